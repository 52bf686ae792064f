/*
 * Cold path of the SPSC byte ring: validation, poisoning, dump.
 */
#include <ps/ring_bytes.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ring_internal.h"

PS_RING_COLD size_t ps_ring_bytes_memsize(uint32_t capacity_bytes)
{
	if (!ps_ring__pow2_ok(capacity_bytes, PS_RING_BYTES_MIN_CAPACITY,
			      PS_RING_BYTES_MAX_CAPACITY))
		return 0;
	return capacity_bytes;
}

PS_RING_COLD int ps_ring_bytes_init(struct ps_ring_bytes *r, void *mem, uint32_t capacity_bytes)
{
	if (r == NULL || mem == NULL || ((uintptr_t)mem % PS_RING_BYTES_ALIGN) != 0)
		return -EINVAL;
	if (ps_ring_bytes_memsize(capacity_bytes) == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->prod.mask = capacity_bytes - 1;
	/* Half the buffer, less a header: see "Limits" in ring_bytes.h. */
	r->prod.max_len = capacity_bytes / 2 - PS_RING_BYTES_HDR_LEN;
	r->prod.buf = mem;
	r->cons.mask = capacity_bytes - 1;
	r->cons.buf = mem;
	/* Relaxed: no other thread may see r until the caller publishes it. */
	atomic_store_explicit(&r->prod.tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->cons.head, 0, memory_order_relaxed);
	return 0;
}

PS_RING_COLD void ps_ring_bytes_fini(struct ps_ring_bytes *r)
{
	if (r == NULL)
		return;
	ps_ring__poison(r, sizeof(*r));
}

PS_RING_COLD void ps_ring_bytes_dump(const struct ps_ring_bytes *r, FILE *f)
{
	/* Relaxed: the caller guarantees a quiescent ring; these are plain reads. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);

	fprintf(f,
		"ring_bytes %p: capacity=%" PRIu32 " max_len=%" PRIu32 " buf=%p\n"
		"  prod.tail=%" PRIu32 " prod.head_cache=%" PRIu32 " prod.claim_end=%" PRIu32 "\n"
		"  cons.head=%" PRIu32 " cons.tail_cache=%" PRIu32 " cons.peek_end=%" PRIu32 "\n"
		"  used=%" PRIu32 "\n",
		(const void *)r, r->prod.mask + 1, r->prod.max_len, (void *)r->prod.buf, tail,
		r->prod.head_cache, r->prod.claim_end, head, r->cons.tail_cache, r->cons.peek_end,
		tail - head);
}
