/*
 * ps_book under arbitrary event streams: every 12 input bytes are one event
 * (type, side, instrument, small order id, price, qty, replace id) applied
 * with ps_book_apply to a small set (so tables fill, levels overflow, ids
 * collide and books cross). Whatever the input, the book must never crash
 * and its invariants must hold (ps_book_validate) after every event.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <ps/book.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ps_book_set *set;
	struct ps_book_config cfg = { .instrument_count = 3, .max_orders = 64, .max_levels = 12 };

	if (!set && ps_book_set_create(&set, &cfg) != 0)
		abort();
	for (uint32_t i = 0; i < set->book_count; i++)
		ps_book_clear(&set->books[i]);

	for (size_t off = 0; off + 12 <= size; off += 12) {
		const uint8_t *p = data + off;
		struct ps_md_event ev = {
			.type = (uint8_t)(p[0] % 9),
			.side = (uint8_t)(p[1] & 3),        /* 2 and 3 are invalid sides */
			.instrument = (uint32_t)(p[2] % 4), /* 3 is outside the set */
			.order_id = p[3] % 80,
			.new_order_id = p[4] % 80,
			/* Mostly a narrow band (levels collide), sometimes extreme. */
			.price = p[5] == 0xff ? (int64_t)((uint64_t)p[6] << 56)
					      : 100 + (int64_t)(p[6] % 24) - 12,
			.qty = (uint32_t)p[7] | (uint32_t)p[8] << 8,
		};

		if (p[9] == 0xfe) {
			struct ps_book *b = ps_book_set_get(set, ev.instrument);

			if (b)
				ps_book_add_anonymous(b, (enum ps_side)(ev.side & 1), ev.price,
						      ev.qty);
		} else if (p[9] == 0xfd) {
			struct ps_book *b = ps_book_set_get(set, ev.instrument);

			if (b)
				ps_book_level_reset(b, (enum ps_side)(ev.side & 1), ev.price,
						    ev.qty);
		} else {
			ps_book_apply(set, &ev);
		}
		for (uint32_t i = 0; i < set->book_count; i++)
			if (ps_book_validate(&set->books[i]) != 0)
				abort();
	}
	return 0;
}
