/*
 * Private helpers of the ring .c files (tests/ring may include it too).
 */
#ifndef PS_RING_INTERNAL_H
#define PS_RING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Byte written over a finished ring in debug builds: all-ones pointers and
 * indices fault or fail loudly on use after fini (libuv's memset(-1)). */
#define PS_RING_POISON 0xff

static inline bool ps_ring__pow2_ok(uint32_t v, uint32_t min, uint32_t max)
{
	return v >= min && v <= max && (v & (v - 1)) == 0;
}

static inline void ps_ring__poison(void *p, size_t len)
{
#ifndef NDEBUG
	memset(p, PS_RING_POISON, len);
#else
	(void)p;
	(void)len;
#endif
}

#endif /* PS_RING_INTERNAL_H */
