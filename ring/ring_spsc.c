/*
 * Cold path of the SPSC slot ring: validation, poisoning, dump.
 */
#include <ps/ring_spsc.h>

#include <errno.h>
#include <inttypes.h>

#include "ring_internal.h"

PS_RING_COLD size_t ps_ring_spsc_memsize(uint32_t count, uint32_t slot_len)
{
	if (!ps_ring__pow2_ok(count, 1, PS_RING_SPSC_MAX_COUNT) || slot_len == 0)
		return 0;
	return (size_t)count * slot_len;
}

PS_RING_COLD int ps_ring_spsc_init(struct ps_ring_spsc *r, void *mem, uint32_t count,
				   uint32_t slot_len)
{
	if (r == NULL || mem == NULL || ((uintptr_t)mem % PS_RING_SPSC_MEM_ALIGN) != 0)
		return -EINVAL;
	if (ps_ring_spsc_memsize(count, slot_len) == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->prod.mask = count - 1;
	r->prod.slot_len = slot_len;
	r->prod.slots = mem;
	r->cons.mask = count - 1;
	r->cons.slot_len = slot_len;
	r->cons.slots = mem;
	r->prod.refresh_at = ps_ring__refresh_at(r, 0);
	/* Relaxed: no other thread may see r until the caller publishes it
	 * (thread creation or its own release store orders these). */
	atomic_store_explicit(&r->prod.tail, 0, memory_order_relaxed);
	atomic_store_explicit(&r->cons.head, 0, memory_order_relaxed);
	return 0;
}

PS_RING_COLD void ps_ring_spsc_fini(struct ps_ring_spsc *r)
{
	if (r == NULL)
		return;
	ps_ring__poison(r, sizeof(*r));
}

PS_RING_COLD void ps_ring_spsc_dump(const struct ps_ring_spsc *r, FILE *f)
{
	/* Relaxed: the caller guarantees a quiescent ring; these are plain reads. */
	uint32_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);

	fprintf(f,
		"ring_spsc %p: count=%" PRIu32 " slot_len=%" PRIu32 " slots=%p\n"
		"  prod.tail=%" PRIu32 " prod.head_cache=%" PRIu32 "\n"
		"  cons.head=%" PRIu32 " cons.tail_cache=%" PRIu32 "\n"
		"  used=%" PRIu32 " free=%" PRIu32 "\n",
		(const void *)r, r->prod.mask + 1, r->prod.slot_len, (void *)r->prod.slots, tail,
		r->prod.head_cache, head, r->cons.tail_cache, tail - head,
		r->prod.mask + 1 - (tail - head));
}
