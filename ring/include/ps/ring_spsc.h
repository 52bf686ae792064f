/*
 * SPSC ring of fixed-size slots: one producer thread, one consumer thread.
 *
 * Design. The slots live in caller-owned memory (ps_ring_spsc_memsize bytes);
 * the struct is embedded by the caller. Indices are free-running uint32_t,
 * masked on access: count is a power of two, so (tail - head) is the fill level
 * across the 2^32 wrap, and all count slots are usable (count <= 2^31 keeps
 * "full" and "empty" apart). Each side keeps a private copy of the other side's
 * index (prod.head_cache, cons.tail_cache). The consumer re-reads the shared
 * tail only when its copy says "empty"; the producer re-reads the shared head
 * when its copy shows the ring more than half full, or, while the ring is busy
 * (its last re-read found PS_RING_SPSC_BUSY_FILL or more items unread), more
 * than PS_RING_SPSC_BUSY_REFRESH items full (see "Throughput"). So while the
 * consumer keeps up (the case latency cares about) each side touches its own
 * cache line plus the slots, and the index lines move between cores only once
 * per half ring of the other side. The answers are exact either way: "full"
 * and "empty" come only from a fresh read of the other side's index. Each
 * side's line also carries its own copy of the read-only geometry (mask,
 * slot_len, slots), so an operation reads exactly one control line. A guard
 * line separates the two sides and follows the consumer side, because
 * adjacent-line prefetchers fetch lines in pairs.
 *
 * Copies: the slot length is fixed at init. The common 8- and 64-byte lengths
 * (and 16, 32) are copied with constant-size moves picked by a switch that
 * always predicts the same way (see ps_ring__copy1); other lengths use a
 * memcpy of slot_len bytes.
 *
 * Worst cases: with 8-byte slots, eight slots share a cache line, so a
 * consumer that runs right behind the producer reads lines the producer is
 * still writing (the line moves once per slot, not once per line). Bursts or
 * claim/commit of several slots amortise that. A consumer that is always
 * caught up re-reads prod.tail on every dequeue; that is the price of the
 * lowest latency and is what the empty check must do anyway.
 *
 * Throughput: a producer that re-read the head only when its copy said
 * "full" kept the ring swinging between its edges (0.07-0.24 failed enqueues
 * and as many failed dequeues per item), the consumer reading the lines the
 * producer was writing; re-reading whenever the ring looks more than half
 * full gave 8-byte single-item throughput 39.7M/s against 27.7M/s. Busy, it
 * pays to re-read much earlier: with the threshold at 64 items, 8-byte
 * single-item throughput rose 1.36-1.60x in every run, 64-byte 0.76-1.39x
 * (median 1.2x of 12 runs; the same process, turns taken in rounds, so the
 * VM's state is the same for both; bench/HISTORY.md). But a re-read that
 * misses delays this enqueue's publication (the stores wait for the load to
 * retire), and a ring kept nearly empty by a quick consumer would pay that
 * every 64 items: round trip p99 623 against 570 ns (medians of 6 runs).
 * Hence the two thresholds: the early one only while the last re-read found
 * a backlog, which a ring kept nearly empty never shows (round trip p99
 * 572 ns). Re-reading on every enqueue (ck_ring's and rte_ring's way) is no
 * faster than at 64 and pays the miss on every item. (Variants and figures:
 * bench/HISTORY.md.)
 *
 * Latency: once the consumer has found the ring empty
 * PS_RING_SPSC_IDLE_PREFETCH times in a row, each further empty poll also
 * prefetches the line of the next slot. When the producer then publishes,
 * the consumer has both lines in flight at once instead of fetching the slot
 * only after it sees the new tail: one cache-line transfer less on the
 * critical path (round trip p50 -25..30% here against ck_ring and rte_ring,
 * which fetch them one after the other). A consumer kept busy by a stream
 * rarely waits that long, so it does not pull lines the producer is filling
 * (doing it on every empty poll halved 8-byte single-item throughput).
 *
 * Threads: functions marked "producer" may be called by one thread at a time,
 * functions marked "consumer" by one (other) thread at a time; init/fini/dump
 * only when neither is running.
 */
#ifndef PS_RING_SPSC_H
#define PS_RING_SPSC_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ring/ includes nothing of ours, so it carries its own few macros. */
#ifndef PS_RING_CACHE_LINE
#define PS_RING_CACHE_LINE 64
#endif
#ifndef PS_RING_API
#define PS_RING_API __attribute__((visibility("default")))
#endif
#ifndef PS_RING_COLD
#define PS_RING_COLD __attribute__((cold, noinline))
#endif
#ifndef ps_ring_likely
#define ps_ring_likely(x)   __builtin_expect(!!(x), 1)
#define ps_ring_unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* Largest count: indices are uint32_t, so (tail - head) must stay <= 2^31. */
#define PS_RING_SPSC_MAX_COUNT (UINT32_C(1) << 31)
/* Empty polls in a row after which the consumer prefetches the next slot
 * (see "Latency"). 64 polls is roughly 150-300 ns of waiting here: longer than
 * the gaps a streaming producer leaves between bursts, shorter than the wait
 * for a sparse event. 16 cut the round trip a little more but let a consumer
 * keeping up with 32-item bursts pull lines the producer was still filling. */
#ifndef PS_RING_SPSC_IDLE_PREFETCH
#define PS_RING_SPSC_IDLE_PREFETCH 64u
#endif
/* The producer's re-read thresholds (see "Throughput"): a re-read that finds
 * at least PS_RING_SPSC_BUSY_FILL items unread marks the ring busy, and a busy
 * ring is re-read once more than PS_RING_SPSC_BUSY_REFRESH items look used
 * (never later than the idle threshold, half the ring). 16 to 128 measured
 * alike for 8-byte items; 64-byte items lost below 32. */
#ifndef PS_RING_SPSC_BUSY_FILL
#define PS_RING_SPSC_BUSY_FILL 8u
#endif
#ifndef PS_RING_SPSC_BUSY_REFRESH
#define PS_RING_SPSC_BUSY_REFRESH 64u
#endif
/* The slot memory must be aligned to this many bytes. */
#define PS_RING_SPSC_MEM_ALIGN 8

/*
 * Embed it in storage aligned to PS_RING_CACHE_LINE (static, stack, or
 * aligned_alloc/posix_memalign): plain malloc only guarantees 16 bytes, and
 * then the two sides may share a line. The layout is checked below.
 * prod.* is written only by the producer thread, cons.* only by the consumer
 * thread. prod.tail and cons.head are the only fields the other side reads.
 * The geometry copies (mask, slot_len, slots) are written by init only.
 */
struct ps_ring_spsc {
	alignas(PS_RING_CACHE_LINE) struct {
		_Atomic uint32_t tail; /* next slot to fill; read by the consumer */
		uint32_t head_cache;   /* producer's last view of cons.head */
		uint32_t mask;         /* count - 1 */
		uint32_t slot_len;     /* bytes per slot */
		uint8_t *slots;
		uint32_t refresh_at; /* re-read cons.head when more look used */
	} prod;
	alignas(PS_RING_CACHE_LINE) char guard0[PS_RING_CACHE_LINE];
	alignas(PS_RING_CACHE_LINE) struct {
		_Atomic uint32_t head; /* next slot to drain; read by the producer */
		uint32_t tail_cache;   /* consumer's last view of prod.tail */
		uint32_t mask;
		uint32_t slot_len;
		uint8_t *slots;
		uint32_t idle_polls; /* empty polls in a row (see "Latency") */
	} cons;
	alignas(PS_RING_CACHE_LINE) char guard1[PS_RING_CACHE_LINE];
};

static_assert(offsetof(struct ps_ring_spsc, prod) % PS_RING_CACHE_LINE == 0,
	      "prod must start a cache line");
static_assert(offsetof(struct ps_ring_spsc, cons) % PS_RING_CACHE_LINE == 0,
	      "cons must start a cache line");
static_assert(offsetof(struct ps_ring_spsc, cons) - offsetof(struct ps_ring_spsc, prod) >=
		  2 * PS_RING_CACHE_LINE,
	      "a guard line must separate prod and cons");
static_assert(sizeof(((struct ps_ring_spsc *)0)->prod) <= PS_RING_CACHE_LINE,
	      "producer state must fit one line");
static_assert(sizeof(struct ps_ring_spsc) - offsetof(struct ps_ring_spsc, cons) >=
		  2 * PS_RING_CACHE_LINE,
	      "a guard line must follow cons");

/**
 * Bytes of slot memory for count slots of slot_len bytes.
 * @return the size, or 0 if count is 0, not a power of two or above
 *         PS_RING_SPSC_MAX_COUNT, or slot_len is 0.
 */
PS_RING_API size_t ps_ring_spsc_memsize(uint32_t count, uint32_t slot_len);

/**
 * Initialise r over caller-owned slot memory mem (ps_ring_spsc_memsize bytes,
 * aligned to PS_RING_SPSC_MEM_ALIGN; a cache-line boundary is best). The ring
 * does not own mem: free it after ps_ring_spsc_fini.
 * @return 0, or -EINVAL if r or mem is NULL, mem is misaligned, count is 0,
 *         not a power of two or above PS_RING_SPSC_MAX_COUNT, or slot_len is 0.
 */
PS_RING_API int ps_ring_spsc_init(struct ps_ring_spsc *r, void *mem, uint32_t count,
				  uint32_t slot_len);

/* Ends the ring's life; debug builds poison *r so a later use faults. NULL is a no-op. */
PS_RING_API void ps_ring_spsc_fini(struct ps_ring_spsc *r);

/* Prints the geometry and indices (cold; only while no thread uses the ring). */
PS_RING_API void ps_ring_spsc_dump(const struct ps_ring_spsc *r, FILE *f);

/* ---- inline helpers; not part of the API ------------------------------- */

/* Hide a pointer's provenance from the optimiser (emit no instruction).
 * Without them GCC's -Warray-bounds flags the copy cases below that cannot
 * run when the caller's object is smaller than 64 bytes. */
static inline void *ps_ring__launder(void *p)
{
	__asm__("" : "+r"(p));
	return p;
}

static inline const void *ps_ring__launder_c(const void *p)
{
	__asm__("" : "+r"(p));
	return p;
}

/* Copy one slot out of the ring (the consumer's side). slot_len never
 * changes, so these branches always predict; 8 and 64 are tested first, and
 * each case is a constant-size copy the compiler turns into a few moves (64
 * bytes: one or two vector moves). The source is slot memory the producer
 * wrote long ago, so wide loads are safe; see ps_ring__copy1_in for the other
 * direction. */
static inline void ps_ring__copy1(void *dst, const void *src, uint32_t len)
{
	dst = ps_ring__launder(dst);
	src = ps_ring__launder_c(src);
	if (ps_ring_likely(len == 8))
		__builtin_memcpy(dst, src, 8);
	else if (ps_ring_likely(len == 64))
		__builtin_memcpy(dst, src, 64);
	else if (len == 16)
		__builtin_memcpy(dst, src, 16);
	else if (len == 32)
		__builtin_memcpy(dst, src, 32);
	else
		memcpy(dst, src, len);
}

/* n 8-byte words, each moved through a register on its own. The empty asm
 * keeps the compiler from merging the moves into vector ones. */
static inline void ps_ring__copy_words(uint8_t *d, const uint8_t *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t w;

		__builtin_memcpy(&w, s + (size_t)i * 8, 8);
		__asm__("" : "+r"(w));
		__builtin_memcpy(d + (size_t)i * 8, &w, 8);
	}
}

/* Copy one object into a slot (the producer's side of a single enqueue).
 * The caller has usually just written the object, field by field, and its
 * stores still sit in the store buffer behind the last enqueue's: the slot
 * store and the tail store, which wait for lines the consumer holds. A load
 * wider than the store it reads from cannot take its bytes from that store
 * and waits until the store reaches L1 (a store-forwarding stall), and under
 * x86's store order that means after every older store: the producer stalls
 * for a cross-core transfer on every item. So the object is read in 8-byte
 * words, which forward from 8-byte or wider stores; slots of 16, 32 and 64
 * bytes are copied that way, other lengths by memcpy. Measured on an AMD
 * EPYC guest (bench/HISTORY.md, 2026-12-08): single-item 64-byte throughput
 * 47.9-53.0M/s against 10.1-14.9M/s with one vector copy while the VM's two
 * vCPUs sat close, 12.1 against 4.2-4.5M/s while they sat apart (rte_ring
 * 40-45 and 6-9M/s in the same runs); the round trip and burst-32 (which
 * still copies with vector moves) did not move. */
static inline void ps_ring__copy1_in(void *dst, const void *src, uint32_t len)
{
	uint8_t *d = (uint8_t *)ps_ring__launder(dst);
	const uint8_t *s = (const uint8_t *)ps_ring__launder_c(src);

	if (ps_ring_likely(len == 8))
		__builtin_memcpy(d, s, 8);
	else if (ps_ring_likely(len == 64))
		ps_ring__copy_words(d, s, 8);
	else if (len == 16)
		ps_ring__copy_words(d, s, 2);
	else if (len == 32)
		ps_ring__copy_words(d, s, 4);
	else
		memcpy(d, s, len);
}

/* Copy n contiguous slots. For 8- and 64-byte slots an inline loop of
 * constant-size copies beats a libc call for the short runs a burst moves. */
static inline void ps_ring__copyn(void *dst, const void *src, uint32_t n, uint32_t len)
{
	uint8_t *d = (uint8_t *)ps_ring__launder(dst);
	const uint8_t *s = (const uint8_t *)ps_ring__launder_c(src);

	switch (len) {
	case 8:
		for (uint32_t i = 0; i < n; i++)
			__builtin_memcpy(d + (size_t)i * 8, s + (size_t)i * 8, 8);
		break;
	case 64:
		for (uint32_t i = 0; i < n; i++)
			__builtin_memcpy(d + (size_t)i * 64, s + (size_t)i * 64, 64);
		break;
	default:
		memcpy(d, s, (size_t)n * len);
		break;
	}
}

/* ---- producer ----------------------------------------------------------- */

/* The producer's re-read threshold after a re-read found used items unread:
 * PS_RING_SPSC_BUSY_REFRESH while the ring is busy, half the ring otherwise
 * (see "Throughput"; at capacity 1 and 2, the whole ring). */
static inline uint32_t ps_ring__refresh_at(const struct ps_ring_spsc *r, uint32_t used)
{
	uint32_t idle = r->prod.mask + 1 - (r->prod.mask >> 1);

	return used >= PS_RING_SPSC_BUSY_FILL && idle > PS_RING_SPSC_BUSY_REFRESH
		   ? PS_RING_SPSC_BUSY_REFRESH
		   : idle;
}

/* Producer thread only. Slots free as far as the producer knows, refreshing
 * its view of cons.head when want more would take the ring past refresh_at
 * (always before it could answer "full"). */
static inline uint32_t ps_ring__prod_free(struct ps_ring_spsc *r, uint32_t tail, uint32_t want)
{
	uint32_t used = tail - r->prod.head_cache;

	if ((uint64_t)used + want > r->prod.refresh_at) {
		/* A1: pairs with R2 (ps_ring__cons_publish); the consumer has finished
		 * reading every slot before the head it published, so we may reuse them. */
		r->prod.head_cache = atomic_load_explicit(&r->cons.head, memory_order_acquire);
		used = tail - r->prod.head_cache;
		r->prod.refresh_at = ps_ring__refresh_at(r, used);
	}
	return r->prod.mask + 1 - used;
}

/* Producer thread only. Makes slots before new_tail visible to the consumer. */
static inline void ps_ring__prod_publish(struct ps_ring_spsc *r, uint32_t new_tail)
{
	/* R1: pairs with A2 (ps_ring__cons_avail); the slot contents written
	 * before this store are visible to a consumer that reads the new tail. */
	atomic_store_explicit(&r->prod.tail, new_tail, memory_order_release);
}

/**
 * Copy one slot_len-byte object from obj into the ring. Producer thread only.
 * @return true if enqueued; false if the ring is full (nothing changes).
 */
static inline bool ps_ring_spsc_enqueue(struct ps_ring_spsc *r, const void *obj)
{
	/* Relaxed: only this thread writes prod.tail. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);

	if (ps_ring_unlikely(ps_ring__prod_free(r, tail, 1) == 0))
		return false;
	ps_ring__copy1_in(r->prod.slots + (size_t)(tail & r->prod.mask) * r->prod.slot_len, obj,
			  r->prod.slot_len);
	ps_ring__prod_publish(r, tail + 1);
	return true;
}

/**
 * Copy up to n objects (n * slot_len contiguous bytes at objs) into the ring.
 * Producer thread only.
 * @return the number enqueued, 0..n (the first ones of objs).
 */
static inline uint32_t ps_ring_spsc_enqueue_burst(struct ps_ring_spsc *r, const void *objs,
						  uint32_t n)
{
	/* Relaxed: only this thread writes prod.tail. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint32_t free_count = ps_ring__prod_free(r, tail, n);
	uint32_t len = r->prod.slot_len;
	uint32_t idx = tail & r->prod.mask;
	uint32_t first;

	if (n > free_count)
		n = free_count;
	if (ps_ring_unlikely(n == 0))
		return 0;
	first = r->prod.mask + 1 - idx;
	if (first > n)
		first = n;
	ps_ring__copyn(r->prod.slots + (size_t)idx * len, objs, first, len);
	if (ps_ring_unlikely(first < n))
		ps_ring__copyn(r->prod.slots, (const uint8_t *)objs + (size_t)first * len,
			       n - first, len);
	ps_ring__prod_publish(r, tail + n);
	return n;
}

/**
 * Zero-copy enqueue, step 1: the next free slot (slot_len bytes, owned by the
 * producer until ps_ring_spsc_commit). Claiming again before commit returns
 * the same slot. Producer thread only.
 * @return the slot, or NULL if the ring is full.
 */
static inline void *ps_ring_spsc_claim(struct ps_ring_spsc *r)
{
	/* Relaxed: only this thread writes prod.tail. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);

	if (ps_ring_unlikely(ps_ring__prod_free(r, tail, 1) == 0))
		return NULL;
	return r->prod.slots + (size_t)(tail & r->prod.mask) * r->prod.slot_len;
}

/* Zero-copy enqueue, step 2: publishes the slot returned by the last
 * successful ps_ring_spsc_claim. Producer thread only; only after a claim. */
static inline void ps_ring_spsc_commit(struct ps_ring_spsc *r)
{
	/* Relaxed: only this thread writes prod.tail. */
	ps_ring__prod_publish(r, atomic_load_explicit(&r->prod.tail, memory_order_relaxed) + 1);
}

/**
 * Zero-copy burst enqueue, step 1: up to n contiguous free slots starting at
 * the returned pointer (fewer at the end of the slot array). Producer only.
 * @param got  set to the number of slots claimed, 0..n.
 * @return the first slot, or NULL if *got is 0.
 */
static inline void *ps_ring_spsc_claim_burst(struct ps_ring_spsc *r, uint32_t n, uint32_t *got)
{
	/* Relaxed: only this thread writes prod.tail. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint32_t free_count = ps_ring__prod_free(r, tail, n);
	uint32_t idx = tail & r->prod.mask;
	uint32_t to_end = r->prod.mask + 1 - idx;

	if (n > free_count)
		n = free_count;
	if (n > to_end)
		n = to_end;
	*got = n;
	if (ps_ring_unlikely(n == 0))
		return NULL;
	return r->prod.slots + (size_t)idx * r->prod.slot_len;
}

/* Zero-copy burst enqueue, step 2: publishes the first n (<= *got) slots of
 * the last ps_ring_spsc_claim_burst. Producer thread only. */
static inline void ps_ring_spsc_commit_burst(struct ps_ring_spsc *r, uint32_t n)
{
	/* Relaxed: only this thread writes prod.tail. */
	ps_ring__prod_publish(r, atomic_load_explicit(&r->prod.tail, memory_order_relaxed) + n);
}

/* ---- consumer ----------------------------------------------------------- */

/* Consumer thread only. Slots ready as far as the consumer knows, refreshing
 * its view of prod.tail when fewer than want are ready. */
static inline uint32_t ps_ring__cons_avail(struct ps_ring_spsc *r, uint32_t head, uint32_t want)
{
	uint32_t avail = r->cons.tail_cache - head;

	if (avail < want) {
		/* A2: pairs with R1 (ps_ring__prod_publish); every slot before the
		 * tail we read is fully written. Slots below an older cached tail were
		 * covered by the acquire that read that tail. */
		r->cons.tail_cache = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
		avail = r->cons.tail_cache - head;
		if (avail != 0) {
			if (ps_ring_unlikely(r->cons.idle_polls))
				r->cons.idle_polls = 0;
		} else if (++r->cons.idle_polls >= PS_RING_SPSC_IDLE_PREFETCH) {
			/* Waiting: keep the next slot's line coming so that, when the
			 * producer publishes, it travels with the tail line rather
			 * than after it (see "Latency" at the top). A prefetch is
			 * only a hint: it reads nothing the memory model sees. */
			__builtin_prefetch(
			    r->cons.slots + (size_t)(head & r->cons.mask) * r->cons.slot_len, 0, 3);
		}
	}
	return avail;
}

/* Consumer thread only. Returns slots before new_head to the producer. */
static inline void ps_ring__cons_publish(struct ps_ring_spsc *r, uint32_t new_head)
{
	/* R2: pairs with A1 (ps_ring__prod_free); our reads of the released slots
	 * complete before the producer may overwrite them. */
	atomic_store_explicit(&r->cons.head, new_head, memory_order_release);
}

/**
 * Copy the oldest object (slot_len bytes) to obj and remove it. Consumer only.
 * @return true if dequeued; false if the ring is empty (obj untouched).
 */
static inline bool ps_ring_spsc_dequeue(struct ps_ring_spsc *r, void *obj)
{
	/* Relaxed: only this thread writes cons.head. */
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);

	if (ps_ring__cons_avail(r, head, 1) == 0)
		return false;
	ps_ring__copy1(obj, r->cons.slots + (size_t)(head & r->cons.mask) * r->cons.slot_len,
		       r->cons.slot_len);
	ps_ring__cons_publish(r, head + 1);
	return true;
}

/**
 * Copy up to n of the oldest objects to objs (room for n * slot_len bytes)
 * and remove them. Consumer thread only.
 * @return the number dequeued, 0..n.
 */
static inline uint32_t ps_ring_spsc_dequeue_burst(struct ps_ring_spsc *r, void *objs, uint32_t n)
{
	/* Relaxed: only this thread writes cons.head. */
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);
	uint32_t avail = ps_ring__cons_avail(r, head, n);
	uint32_t len = r->cons.slot_len;
	uint32_t idx = head & r->cons.mask;
	uint32_t first;

	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;
	first = r->cons.mask + 1 - idx;
	if (first > n)
		first = n;
	ps_ring__copyn(objs, r->cons.slots + (size_t)idx * len, first, len);
	if (ps_ring_unlikely(first < n))
		ps_ring__copyn((uint8_t *)objs + (size_t)first * len, r->cons.slots, n - first,
			       len);
	ps_ring__cons_publish(r, head + n);
	return n;
}

/**
 * Zero-copy dequeue, step 1: the oldest slot, readable until
 * ps_ring_spsc_release. Peeking again before release returns the same slot.
 * Consumer thread only.
 * @return the slot, or NULL if the ring is empty.
 */
static inline const void *ps_ring_spsc_peek(struct ps_ring_spsc *r)
{
	/* Relaxed: only this thread writes cons.head. */
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);

	if (ps_ring__cons_avail(r, head, 1) == 0)
		return NULL;
	return r->cons.slots + (size_t)(head & r->cons.mask) * r->cons.slot_len;
}

/* Zero-copy dequeue, step 2: frees the slot returned by the last successful
 * ps_ring_spsc_peek. Consumer thread only; only after a peek. */
static inline void ps_ring_spsc_release(struct ps_ring_spsc *r)
{
	/* Relaxed: only this thread writes cons.head. */
	ps_ring__cons_publish(r, atomic_load_explicit(&r->cons.head, memory_order_relaxed) + 1);
}

/**
 * Zero-copy burst dequeue, step 1: up to n contiguous ready slots starting at
 * the returned pointer (fewer at the end of the slot array). Consumer only.
 * @param got  set to the number of slots returned, 0..n.
 * @return the first slot, or NULL if *got is 0.
 */
static inline const void *ps_ring_spsc_peek_burst(struct ps_ring_spsc *r, uint32_t n, uint32_t *got)
{
	/* Relaxed: only this thread writes cons.head. */
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);
	uint32_t avail = ps_ring__cons_avail(r, head, n);
	uint32_t idx = head & r->cons.mask;
	uint32_t to_end = r->cons.mask + 1 - idx;

	if (n > avail)
		n = avail;
	if (n > to_end)
		n = to_end;
	*got = n;
	if (n == 0)
		return NULL;
	return r->cons.slots + (size_t)idx * r->cons.slot_len;
}

/* Zero-copy burst dequeue, step 2: frees the first n (<= *got) slots of the
 * last ps_ring_spsc_peek_burst. Consumer thread only. */
static inline void ps_ring_spsc_release_burst(struct ps_ring_spsc *r, uint32_t n)
{
	/* Relaxed: only this thread writes cons.head. */
	ps_ring__cons_publish(r, atomic_load_explicit(&r->cons.head, memory_order_relaxed) + n);
}

/* ---- either side -------------------------------------------------------- */

static inline uint32_t ps_ring_spsc_capacity(const struct ps_ring_spsc *r)
{
	return r->prod.mask + 1;
}

static inline uint32_t ps_ring_spsc_slot_len(const struct ps_ring_spsc *r)
{
	return r->prod.slot_len;
}

/* Objects in the ring: exact from a quiescent ring; from a running one a
 * snapshot that may be stale by the time it returns. Any thread. */
static inline uint32_t ps_ring_spsc_count(const struct ps_ring_spsc *r)
{
	/* A3: pairs with R2 (ps_ring__cons_publish); the consumer had seen a tail
	 * at least this head before releasing it, so the tail read next is no
	 * smaller and the difference never goes negative. */
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_acquire);
	/* Relaxed: a snapshot; it orders nothing. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint32_t n = tail - head;

	/* Both sides may move between the two loads: clamp. */
	return n > r->prod.mask + 1 ? r->prod.mask + 1 : n;
}

#endif /* PS_RING_SPSC_H */
