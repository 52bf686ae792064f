#include <ps/alloc.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Sanitizers intercept libc malloc, not jemalloc's mallocx: route through
 * libc whenever one is on (our PS_SANITIZE builds, or the fuzz build, which
 * turns ASan on by compiler flag alone). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PS_ALLOC_LIBC 1
#endif
#endif
#if defined(PS_SANITIZE_ADDRESS) || defined(PS_SANITIZE_THREAD) || \
    defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PS_ALLOC_LIBC 1
#endif
#ifndef PS_ALLOC_LIBC
#include <jemalloc/jemalloc.h>
#endif

/* Per thread: each counter is written and read only by its own thread, so a
 * plain _Thread_local needs no atomics. */
static _Thread_local uint64_t alloc_count;
static _Thread_local uint64_t free_count;

void *ps_alloc(size_t size)
{
	alloc_count++;
#ifdef PS_ALLOC_LIBC
	return malloc(size ? size : 1);
#else
	/* mallocx(0) is undefined behaviour in jemalloc's API: ask for 1. */
	return mallocx(size ? size : 1, 0);
#endif
}

void *ps_calloc(size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	alloc_count++;
#ifdef PS_ALLOC_LIBC
	return calloc(1, total ? total : 1);
#else
	return mallocx(total ? total : 1, MALLOCX_ZERO);
#endif
}

static bool align_ok(size_t align)
{
	return align >= sizeof(void *) && (align & (align - 1)) == 0;
}

void *ps_alloc_aligned(size_t align, size_t size)
{
	if (!align_ok(align))
		return NULL;
	alloc_count++;
#ifdef PS_ALLOC_LIBC
	void *p = NULL;
	if (posix_memalign(&p, align, size ? size : 1) != 0)
		return NULL;
	return p;
#else
	return mallocx(size ? size : 1, MALLOCX_ALIGN(align));
#endif
}

void *ps_calloc_aligned(size_t align, size_t size)
{
	if (!align_ok(align))
		return NULL;
	alloc_count++;
#ifdef PS_ALLOC_LIBC
	void *p = NULL;
	if (posix_memalign(&p, align, size ? size : 1) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
#else
	return mallocx(size ? size : 1, MALLOCX_ALIGN(align) | MALLOCX_ZERO);
#endif
}

#define HUGE_PAGE ((size_t)2 << 20)

void *ps_alloc_hot(size_t size)
{
	size_t align = size >= PS_ALLOC_HOT_HUGE ? HUGE_PAGE : PS_CACHE_LINE;
	size_t n = (size + align - 1) & ~(align - 1);
	void *p;

	if (size == 0 || n < size)
		return NULL;
	p = ps_alloc_aligned(align, n);
	if (!p)
		return NULL;
	/* Before the first touch, so the faults below take whole huge pages.
	 * Best effort: EINVAL without THP leaves 4 KiB pages, which work. */
	if (align == HUGE_PAGE)
		(void)madvise(p, n, MADV_HUGEPAGE);
	/* Every byte written: the pages are faulted in here, not on the hot
	 * path (a fresh mapping reads as zero without being backed). */
	memset(p, 0, n);
	return p;
}

void *ps_realloc(void *p, size_t size)
{
	if (!p)
		return ps_alloc(size);
	alloc_count++;
#ifdef PS_ALLOC_LIBC
	return realloc(p, size ? size : 1);
#else
	return rallocx(p, size ? size : 1, 0);
#endif
}

void ps_free(void *p)
{
	if (!p)
		return;
	free_count++;
#ifdef PS_ALLOC_LIBC
	free(p);
#else
	dallocx(p, 0);
#endif
}

char *ps_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = ps_alloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

uint64_t ps_alloc_count(void)
{
	return alloc_count;
}

uint64_t ps_free_count(void)
{
	return free_count;
}
