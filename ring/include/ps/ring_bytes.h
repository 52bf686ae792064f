/*
 * SPSC byte ring of variable-length records: one producer thread, one
 * consumer thread (log and journal records, one ring per hot thread).
 *
 * Design. capacity_bytes of caller-owned memory (a power of two, at least
 * PS_RING_BYTES_MIN_CAPACITY) hold records, each an 8-byte header (payload
 * length) followed by the payload, rounded up to 8 bytes, so every payload is
 * 8-byte aligned. A record never wraps: when it does not fit before the end of
 * the buffer, the producer writes a padding header there and puts the record at
 * offset 0; padding and record are published by the same commit, so the
 * consumer sees both or neither. Indices are free-running uint32_t byte counts
 * masked on access; (tail - head) is the fill level across the 2^32 wrap.
 * Each side caches the other side's index, as in ps_ring_spsc, and the
 * producer re-reads the consumer's whenever its copy shows less than half the
 * buffer free (see "Throughput" in ring_spsc.h): claim/commit of 32-byte
 * records 30.4-32.3M/s against 14.1-18.5M/s re-reading only when the copy
 * said "no room" (5 interleaved pairs). "No room" still comes only from a
 * fresh read.
 *
 * Limits and worst cases. A record of payload len uses
 * 8 + round_up(len, 8) bytes, plus the unused bytes before the end of the
 * buffer when it has to wrap. The largest payload is capacity/2 - 8 bytes
 * (ps_ring_bytes_max_len): a record no bigger than half the buffer always fits
 * once the ring drains, wherever the tail is. Near that size a wrap can waste
 * almost half the buffer. Tiny records pay 8 bytes of header each.
 *
 * Threads: producer functions from one thread at a time, consumer functions
 * from one (other) thread at a time; init/fini/dump when neither runs.
 */
#ifndef PS_RING_BYTES_H
#define PS_RING_BYTES_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

#define PS_RING_BYTES_MIN_CAPACITY 32u
#define PS_RING_BYTES_MAX_CAPACITY (UINT32_C(1) << 31)
#define PS_RING_BYTES_ALIGN        8u /* record and payload alignment; mem alignment */
#define PS_RING_BYTES_HDR_LEN      8u
/* Header length value that marks padding up to the end of the buffer. */
#define PS_RING_BYTES_PAD UINT32_MAX

/* Record header; the payload follows it. */
struct ps_ring_bytes_hdr {
	uint32_t len;      /* payload bytes, or PS_RING_BYTES_PAD */
	uint32_t reserved; /* zero */
};
static_assert(sizeof(struct ps_ring_bytes_hdr) == PS_RING_BYTES_HDR_LEN, "header is 8 bytes");

/*
 * Embed it in storage aligned to PS_RING_CACHE_LINE (static, stack, or
 * aligned_alloc/posix_memalign): plain malloc only guarantees 16 bytes, and
 * then the two sides may share a line. The layout is checked below.
 * prod.* is written only by the producer thread, cons.* only by the consumer.
 * prod.tail and cons.head are the only fields the other side reads. mask,
 * max_len and buf are copies written by init only.
 */
struct ps_ring_bytes {
	alignas(PS_RING_CACHE_LINE) struct {
		_Atomic uint32_t tail; /* end of committed records; read by the consumer */
		uint32_t head_cache;   /* producer's last view of cons.head */
		uint32_t claim_end;    /* tail after the pending claim is committed */
		uint32_t mask;         /* capacity - 1 */
		uint32_t max_len;      /* largest payload */
		uint8_t *buf;
	} prod;
	alignas(PS_RING_CACHE_LINE) char guard0[PS_RING_CACHE_LINE];
	alignas(PS_RING_CACHE_LINE) struct {
		_Atomic uint32_t head; /* start of the oldest record; read by the producer */
		uint32_t tail_cache;   /* consumer's last view of prod.tail */
		uint32_t peek_end;     /* head after the peeked record is released */
		uint32_t mask;
		uint8_t *buf;
	} cons;
	alignas(PS_RING_CACHE_LINE) char guard1[PS_RING_CACHE_LINE];
};

static_assert(offsetof(struct ps_ring_bytes, cons) % PS_RING_CACHE_LINE == 0,
	      "cons must start a cache line");
static_assert(offsetof(struct ps_ring_bytes, cons) - offsetof(struct ps_ring_bytes, prod) >=
		  2 * PS_RING_CACHE_LINE,
	      "a guard line must separate prod and cons");
static_assert(sizeof(struct ps_ring_bytes) - offsetof(struct ps_ring_bytes, cons) >=
		  2 * PS_RING_CACHE_LINE,
	      "a guard line must follow cons");

/**
 * Bytes of buffer memory for a ring of capacity_bytes.
 * @return capacity_bytes, or 0 if it is not a power of two or outside
 *         [PS_RING_BYTES_MIN_CAPACITY, PS_RING_BYTES_MAX_CAPACITY].
 */
PS_RING_API size_t ps_ring_bytes_memsize(uint32_t capacity_bytes);

/**
 * Initialise r over caller-owned mem (ps_ring_bytes_memsize bytes, aligned
 * to PS_RING_BYTES_ALIGN). The ring does not own mem.
 * @return 0, or -EINVAL if r or mem is NULL, mem is misaligned, or
 *         capacity_bytes is not a power of two or out of range.
 */
PS_RING_API int ps_ring_bytes_init(struct ps_ring_bytes *r, void *mem, uint32_t capacity_bytes);

/* Ends the ring's life; debug builds poison *r. NULL is a no-op. */
PS_RING_API void ps_ring_bytes_fini(struct ps_ring_bytes *r);

/* Prints geometry and indices (cold; only while no thread uses the ring). */
PS_RING_API void ps_ring_bytes_dump(const struct ps_ring_bytes *r, FILE *f);

/* Largest payload a claim accepts: capacity/2 - 8. */
static inline uint32_t ps_ring_bytes_max_len(const struct ps_ring_bytes *r)
{
	return r->prod.max_len;
}

static inline uint32_t ps_ring_bytes_capacity(const struct ps_ring_bytes *r)
{
	return r->prod.mask + 1;
}

/* Bytes a record of payload len occupies (header, payload, alignment). */
static inline uint32_t ps_ring_bytes_record_len(uint32_t len)
{
	return PS_RING_BYTES_HDR_LEN +
	       ((len + PS_RING_BYTES_ALIGN - 1) & ~(PS_RING_BYTES_ALIGN - 1));
}

/* Producer thread only. At least `need` bytes free after tail, as far as the
 * producer knows, refreshing its view of cons.head when fewer than need plus
 * half the buffer are (see "Design"). */
static inline bool ps_ring_bytes__room(struct ps_ring_bytes *r, uint32_t tail, uint32_t need)
{
	uint32_t cap = r->prod.mask + 1;

	if (ps_ring_likely(cap - (tail - r->prod.head_cache) >= (uint64_t)need + (cap >> 1)))
		return true;
	/* A1: pairs with R2 (ps_ring_bytes_release); the consumer has finished
	 * reading every byte before the head it published. */
	r->prod.head_cache = atomic_load_explicit(&r->cons.head, memory_order_acquire);
	return cap - (tail - r->prod.head_cache) >= need;
}

/**
 * Reserve a record with a payload of len bytes. Producer thread only. The
 * payload (8-byte aligned) belongs to the producer until ps_ring_bytes_commit;
 * claiming again before commit discards the earlier claim.
 * @return the payload, or NULL if len > ps_ring_bytes_max_len or there is no
 *         room now; nothing is published then.
 */
static inline void *ps_ring_bytes_claim(struct ps_ring_bytes *r, uint32_t len)
{
	/* Relaxed: only this thread writes prod.tail. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint32_t cap = r->prod.mask + 1;
	uint32_t pos = tail & r->prod.mask;
	uint32_t to_end = cap - pos;
	uint32_t rec, need;
	struct ps_ring_bytes_hdr *h;

	if (ps_ring_unlikely(len > r->prod.max_len))
		return NULL;
	rec = ps_ring_bytes_record_len(len);
	need = rec <= to_end ? rec : to_end + rec;
	if (!ps_ring_bytes__room(r, tail, need))
		return NULL;
	if (ps_ring_unlikely(rec > to_end)) {
		/* Pad to the end; the record goes at offset 0. Both become visible
		 * together at commit. */
		h = (struct ps_ring_bytes_hdr *)(void *)(r->prod.buf + pos);
		h->len = PS_RING_BYTES_PAD;
		h->reserved = 0;
		pos = 0;
	}
	h = (struct ps_ring_bytes_hdr *)(void *)(r->prod.buf + pos);
	h->len = len;
	h->reserved = 0;
	r->prod.claim_end = tail + need;
	return h + 1;
}

/* Publishes the record of the last successful ps_ring_bytes_claim. Producer
 * thread only; a commit without a pending claim does nothing. */
static inline void ps_ring_bytes_commit(struct ps_ring_bytes *r)
{
	/* R1: pairs with A2 (ps_ring_bytes_peek); headers and payload written
	 * before this store are visible to a consumer that reads the new tail. */
	atomic_store_explicit(&r->prod.tail, r->prod.claim_end, memory_order_release);
}

/*
 * Producer thread only. Hints that the next `bytes` bytes of the ring will
 * be written soon: their cache lines are fetched with write intent now, off
 * the critical path of the next claim. Those lines were last touched by the
 * consumer one lap ago and are usually out of every cache. A prefetch reads
 * nothing the memory model sees.
 */
static inline void ps_ring_bytes_prefetch(const struct ps_ring_bytes *r, uint32_t bytes)
{
	/* Relaxed: only this thread writes prod.tail. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);

	for (uint32_t off = 0; off < bytes; off += PS_RING_CACHE_LINE)
		__builtin_prefetch(r->prod.buf + ((tail + off) & r->prod.mask), 1, 3);
}

/**
 * The oldest record. Consumer thread only. The payload stays valid until
 * ps_ring_bytes_release; peeking again before release returns it again.
 * @param len  set to the payload length when a record is returned.
 * @return the payload, or NULL if the ring is empty.
 */
static inline const void *ps_ring_bytes_peek(struct ps_ring_bytes *r, uint32_t *len)
{
	/* Relaxed: only this thread writes cons.head. */
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);
	uint32_t pos = head & r->cons.mask;
	const struct ps_ring_bytes_hdr *h;

	if (head == r->cons.tail_cache) {
		/* A2: pairs with R1 (ps_ring_bytes_commit); every record before the
		 * tail we read is fully written. */
		r->cons.tail_cache = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
		if (head == r->cons.tail_cache)
			return NULL;
	}
	h = (const struct ps_ring_bytes_hdr *)(const void *)(r->cons.buf + pos);
	if (ps_ring_unlikely(h->len == PS_RING_BYTES_PAD)) {
		/* The record after a pad was committed with it: it is at offset 0. */
		head += r->cons.mask + 1 - pos;
		h = (const struct ps_ring_bytes_hdr *)(const void *)r->cons.buf;
	}
	*len = h->len;
	r->cons.peek_end = head + ps_ring_bytes_record_len(h->len);
	return h + 1;
}

/* Frees the record returned by the last successful ps_ring_bytes_peek.
 * Consumer thread only; only after a peek. */
static inline void ps_ring_bytes_release(struct ps_ring_bytes *r)
{
	/* R2: pairs with A1 (ps_ring_bytes_claim); our reads of the record finish
	 * before the producer may overwrite its bytes. */
	atomic_store_explicit(&r->cons.head, r->cons.peek_end, memory_order_release);
}

/*
 * At least `bytes` free, as the producer sees it: its cached copy of the
 * consumer's head answers, and the head itself is read (a cache line the
 * consumer writes) only when the cached view says no. Use this, not
 * ps_ring_bytes_used, for a producer's "is there room" check in a loop: it
 * leaves the consumer's line alone. Never more optimistic than the truth.
 * Producer thread only.
 */
static inline bool ps_ring_bytes_has_room(struct ps_ring_bytes *r, uint32_t bytes)
{
	/* Relaxed: only this thread writes prod.tail. */
	return ps_ring_bytes__room(r, atomic_load_explicit(&r->prod.tail, memory_order_relaxed),
				   bytes);
}

/* Bytes in use (records, headers, padding): a snapshot, exact when quiescent. Any thread. */
static inline uint32_t ps_ring_bytes_used(const struct ps_ring_bytes *r)
{
	/* A3: pairs with R2 (ps_ring_bytes_release); the tail read next is no
	 * older than the one the consumer saw before publishing this head. */
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_acquire);
	/* Relaxed: a snapshot; it orders nothing. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint32_t n = tail - head;

	/* Both sides may move between the two loads: clamp. */
	return n > r->prod.mask + 1 ? r->prod.mask + 1 : n;
}

#endif /* PS_RING_BYTES_H */
