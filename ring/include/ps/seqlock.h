/*
 * Seqlock: one writer publishes a snapshot (risk limits, config) that any
 * number of readers copy without taking a lock and without writing shared
 * memory. The writer never waits; a reader retries while a write overlaps
 * its copy.
 *
 * Protocol. seq is even when the data is stable and odd while a write is in
 * progress. The writer bumps it to odd, writes, bumps it to even. A reader
 * reads seq (retrying while odd), copies, and re-reads seq; if it changed,
 * the copy may be torn and is thrown away.
 *
 * Data-race freedom. The snapshot memory is written and read concurrently by
 * design, so in C11 every access to it must be atomic. ps_seqlock_write and
 * ps_seqlock_read copy it as 8-byte words (1-byte atomics for a ragged end)
 * with release stores / acquire loads: on x86 those are plain moves, and they
 * order the copy against seq without standalone fences, which ThreadSanitizer
 * does not model. Code that drives write_begin/_end and read_begin/_retry by
 * hand must likewise access the shared fields with (relaxed) atomics; the
 * fences inside those four calls give the ordering.
 *
 * Worst cases: a writer that updates continuously can starve readers (each
 * read overlaps a write); a writer that dies between begin and end leaves
 * readers spinning forever. Only one writer at a time: concurrent writers
 * need their own lock around the write.
 */
#ifndef PS_SEQLOCK_H
#define PS_SEQLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * ThreadSanitizer does not model standalone fences (GCC rejects them with
 * -Wtsan), so TSan builds get the ordering of F1 and F2 from read-modify-
 * writes of seq instead: same guarantees, slower, and only under TSan.
 */
#if defined(__SANITIZE_THREAD__)
#define PS_SEQLOCK_NO_FENCES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PS_SEQLOCK_NO_FENCES 1
#endif
#endif

/* Spin hint while a write is in progress (pause lets a sibling thread run). */
static inline void ps_seqlock__relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* seq: written only by the writer thread; read by every reader. */
struct ps_seqlock {
	_Atomic uint32_t seq;
};

static inline void ps_seqlock_init(struct ps_seqlock *sl)
{
	/* Relaxed: before any sharing; publishing sl is the caller's job. */
	atomic_store_explicit(&sl->seq, 0, memory_order_relaxed);
}

/* Writer only. Marks the snapshot as being written. */
static inline void ps_seqlock_write_begin(struct ps_seqlock *sl)
{
#ifdef PS_SEQLOCK_NO_FENCES
	/* F1 (TSan form): the acquire half keeps the data stores that follow
	 * from moving above the odd seq. */
	atomic_fetch_add_explicit(&sl->seq, 1, memory_order_acq_rel);
#else
	/* Relaxed: only the writer writes seq. */
	uint32_t s = atomic_load_explicit(&sl->seq, memory_order_relaxed);

	/* Relaxed: ordered against the data stores by the fence below. */
	atomic_store_explicit(&sl->seq, s + 1, memory_order_relaxed);
	/* F1: the odd seq is visible before any data store that follows; a reader
	 * whose F2 sees one of those stores then sees seq changed and retries. */
	atomic_thread_fence(memory_order_release);
#endif
}

/* Writer only. Publishes the snapshot written since write_begin. */
static inline void ps_seqlock_write_end(struct ps_seqlock *sl)
{
	/* Relaxed: only the writer writes seq. */
	uint32_t s = atomic_load_explicit(&sl->seq, memory_order_relaxed);

	/* R1: pairs with A1 (read_begin); the data stores before it are visible
	 * to a reader that sees the new even seq. */
	atomic_store_explicit(&sl->seq, s + 1, memory_order_release);
}

/* Reader. Waits out a write in progress; returns the seq to pass to
 * ps_seqlock_read_retry. */
static inline uint32_t ps_seqlock_read_begin(const struct ps_seqlock *sl)
{
	uint32_t s;

	/* A1: pairs with R1 (write_end); the data of the write that made seq
	 * even is visible to the loads that follow. */
	while ((s = atomic_load_explicit(&sl->seq, memory_order_acquire)) & 1u)
		ps_seqlock__relax();
	return s;
}

/* Reader. True if a write overlapped the reads since read_begin returned s:
 * discard what was read and start again. */
static inline bool ps_seqlock_read_retry(const struct ps_seqlock *sl, uint32_t s)
{
#ifdef PS_SEQLOCK_NO_FENCES
	/* F2 (TSan form): the release half keeps the data loads above from
	 * moving below this re-read of seq. Adding 0 changes nothing. */
	return atomic_fetch_add_explicit((_Atomic uint32_t *)&sl->seq, 0, memory_order_acq_rel) !=
	       s;
#else
	/* F2: pairs with F1 (write_begin); the data loads above complete before
	 * seq is re-read, so a load that saw a new store also sees seq moved. */
	atomic_thread_fence(memory_order_acquire);
	/* Relaxed: ordered by F2. */
	return atomic_load_explicit(&sl->seq, memory_order_relaxed) != s;
#endif
}

/* Writer side of the copy: every store is a release, so none of them can move
 * before the odd seq store that precedes the copy (the job F1 does). */
static inline void ps_seqlock__store(void *dst, const void *src, size_t len)
{
	uint8_t *d = (uint8_t *)dst;
	const uint8_t *s = (const uint8_t *)src;
	size_t i = 0;

	if (((uintptr_t)d & 7u) == 0) {
		for (; i + 8 <= len; i += 8) {
			uint64_t w;

			__builtin_memcpy(&w, s + i, 8);
			/* R2: see the function comment; the partner is the reader's
			 * acquire load of the same word (A2). */
			__atomic_store_n((uint64_t *)(void *)(d + i), w, __ATOMIC_RELEASE);
		}
	}
	for (; i < len; i++)
		/* R2, byte-wise for a ragged or unaligned part. */
		__atomic_store_n(d + i, s[i], __ATOMIC_RELEASE);
}

/* Reader side of the copy: every load is an acquire, so the re-read of seq
 * that follows cannot move before any of them (the job F2 does). */
static inline void ps_seqlock__load(void *dst, const void *src, size_t len)
{
	uint8_t *d = (uint8_t *)dst;
	const uint8_t *s = (const uint8_t *)src;
	size_t i = 0;

	if (((uintptr_t)s & 7u) == 0) {
		for (; i + 8 <= len; i += 8) {
			/* A2: pairs with R2; if this load sees a store of a later
			 * write, the seq re-read sees that write's odd seq or later. */
			uint64_t w = __atomic_load_n((const uint64_t *)(const void *)(s + i),
						     __ATOMIC_ACQUIRE);

			__builtin_memcpy(d + i, &w, 8);
		}
	}
	for (; i < len; i++)
		/* A2, byte-wise for a ragged or unaligned part. */
		d[i] = __atomic_load_n(s + i, __ATOMIC_ACQUIRE);
}

/**
 * Writer only: copy len bytes from src (private) into the shared snapshot dst
 * under the seqlock. dst should be 8-byte aligned (it is copied byte-wise
 * otherwise).
 */
static inline void ps_seqlock_write(struct ps_seqlock *sl, void *dst, const void *src, size_t len)
{
	/* Relaxed: only the writer writes seq. */
	uint32_t s = atomic_load_explicit(&sl->seq, memory_order_relaxed);

	/* Relaxed: the release stores of the copy cannot move above it (R2). */
	atomic_store_explicit(&sl->seq, s + 1, memory_order_relaxed);
	ps_seqlock__store(dst, src, len);
	/* R1: pairs with A1; the whole copy is visible to a reader seeing s + 2. */
	atomic_store_explicit(&sl->seq, s + 2, memory_order_release);
}

/**
 * Reader: copy a consistent len-byte snapshot from the shared src into dst
 * (private), retrying while writes overlap.
 * @return the number of retries (0 when no write got in the way).
 */
static inline uint32_t ps_seqlock_read(const struct ps_seqlock *sl, void *dst, const void *src,
				       size_t len)
{
	uint32_t retries = 0;

	for (;;) {
		uint32_t s = ps_seqlock_read_begin(sl);

		ps_seqlock__load(dst, src, len);
		/* Relaxed: the acquire loads of the copy (A2) cannot move below it. */
		if (atomic_load_explicit(&sl->seq, memory_order_relaxed) == s)
			return retries;
		retries++;
	}
}

#endif /* PS_SEQLOCK_H */
