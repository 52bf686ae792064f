/*
 * Heap allocation for everything in Perseus: one place, jemalloc underneath
 * (mallocx/dallocx), and a per-thread allocation counter so tests can assert
 * that a hot loop allocates nothing:
 *
 *	uint64_t before = ps_alloc_count();
 *	run_hot_loop();
 *	assert_int_equal(ps_alloc_count(), before);
 *
 * Hot paths never call these (STYLE.md §6); they run at setup and in the cold
 * thread. Every function is thread-safe; the counters are per thread
 * (_Thread_local), so a test sees only its own thread's allocations.
 *
 * When built with ASan or TSan (PS_SANITIZE builds, the fuzz build) the calls
 * go to libc malloc instead, so the sanitizer's interceptors see every block.
 */
#ifndef PS_ALLOC_H
#define PS_ALLOC_H

#include <ps/common.h>

/* Allocate size bytes (size 0 gives a unique minimal block). NULL on failure. */
PS_API void *ps_alloc(size_t size);

/* Allocate n * size zeroed bytes; NULL on failure or when n * size overflows. */
PS_API void *ps_calloc(size_t n, size_t size);

/* Allocate size bytes aligned to align (a power of two, >= sizeof(void *);
 * e.g. PS_CACHE_LINE or 4096). NULL on failure or a bad align. Free with ps_free. */
PS_API void *ps_alloc_aligned(size_t align, size_t size);

/* Allocate size zeroed bytes aligned to align; as ps_alloc_aligned otherwise. */
PS_API void *ps_calloc_aligned(size_t align, size_t size);

/*
 * Allocate size zeroed bytes for a hot path's table, every page faulted in
 * now: the first touch of a page on the hot path is a page fault (a few
 * microseconds on a VM), and a lazily zeroed block (ps_calloc) is exactly
 * that. A block of PS_ALLOC_HOT_HUGE bytes or more is rounded up to whole
 * 2 MiB pages and asks the kernel for transparent huge pages
 * (MADV_HUGEPAGE; best effort, with THP off it gets 4 KiB pages): one TLB
 * entry covers 512 times as much of a table whose lines are touched at
 * random, such as the OMS slots or the journal ring. Smaller blocks are
 * cache-line aligned. NULL on failure or size 0. Free with ps_free.
 */
PS_API void *ps_alloc_hot(size_t size);
#define PS_ALLOC_HOT_HUGE (1u << 20)

/* Resize p (NULL acts as ps_alloc). On failure returns NULL and p stays valid.
 * Counts as one allocation. The result has the default alignment only: do not
 * resize blocks from ps_alloc_aligned that need more. */
PS_API void *ps_realloc(void *p, size_t size);

/* Free a block from any ps_alloc* call (NULL does nothing). */
PS_API void ps_free(void *p);

/* Duplicate a NUL-terminated string (NULL on failure). */
PS_API char *ps_strdup(const char *s);

/* Allocations (ps_alloc, ps_calloc, ps_alloc_aligned, ps_calloc_aligned,
 * ps_alloc_hot, ps_realloc, ps_strdup) made so far by the calling thread. */
PS_API uint64_t ps_alloc_count(void);

/* ps_free calls with a non-NULL pointer made so far by the calling thread. */
PS_API uint64_t ps_free_count(void);

#endif /* PS_ALLOC_H */
