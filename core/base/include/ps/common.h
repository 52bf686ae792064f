/*
 * Compiler and platform helpers shared by every component above ring/.
 * (ring/ includes nothing of ours and carries its own few macros.)
 */
#ifndef PS_COMMON_H
#define PS_COMMON_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PS_API               __attribute__((visibility("default")))
#define PS_COLD              __attribute__((cold, noinline))
#define PS_ALWAYS_INLINE     inline __attribute__((always_inline))
#define PS_NOINLINE          __attribute__((noinline))
#define PS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define PS_UNUSED            __attribute__((unused))

#define ps_likely(x)   __builtin_expect(!!(x), 1)
#define ps_unlikely(x) __builtin_expect(!!(x), 0)

/* Destructive-interference size. tuning/ may raise it to 128 where the
 * adjacent-line prefetcher pairs lines. */
#ifndef PS_CACHE_LINE
#define PS_CACHE_LINE 64
#endif

#define PS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PS_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define PS_MAX(a, b)     ((a) > (b) ? (a) : (b))

/* Spin-wait hint: PAUSE on x86 lets the sibling hyperthread run and saves power. */
static inline void ps_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Big-endian loads and stores for wire formats (ITCH, OUCH, MoldUDP64, SoupBinTCP).
 * memcpy compiles to one unaligned load plus a bswap. */
static inline uint16_t ps_load_be16(const void *p)
{
	uint16_t v;
	__builtin_memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}
static inline uint32_t ps_load_be32(const void *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, sizeof(v));
	return __builtin_bswap32(v);
}
static inline uint64_t ps_load_be48(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return ((uint64_t)ps_load_be16(b) << 32) | ps_load_be32(b + 2);
}
static inline uint64_t ps_load_be64(const void *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}
static inline void ps_store_be16(void *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	__builtin_memcpy(p, &v, sizeof(v));
}
static inline void ps_store_be32(void *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	__builtin_memcpy(p, &v, sizeof(v));
}
static inline void ps_store_be48(void *p, uint64_t v)
{
	uint8_t *b = (uint8_t *)p;
	ps_store_be16(b, (uint16_t)(v >> 32));
	ps_store_be32(b + 2, (uint32_t)v);
}
static inline void ps_store_be64(void *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	__builtin_memcpy(p, &v, sizeof(v));
}

#endif /* PS_COMMON_H */
