/*
 * The venue's matching engine on replayed real flow: the AMZN day (ITCH, see
 * common/bench_day.h) fed through ps_match exactly as the venue's replay
 * does (adds as DAY limit orders, cancels to the remaining size, deletes,
 * executions as the aggressor that caused them, replaces), with an event
 * callback that only counts, so the figure is the matcher and the book.
 *
 *   venue/match/perseus/amzn5   items/s = replayed messages per second
 *
 * One iteration = one ITCH message; the book is rebuilt (untimed) at the end
 * of each day. Goal: at least 5M orders/s on one core.
 */
#include <string.h>

#include <ps/book.h>
#include <ps/itch.h>
#include <ps/venue_match.h>

#include "common/bench_day.h"
#include "harness.h"

#define TAKER_BIT (1ull << 61)

struct counter {
	uint64_t events;
	uint64_t executions;
};

static void count_event(void *ctx, const struct ps_match_event *ev)
{
	struct counter *c = ctx;
	c->events++;
	c->executions += ev->type == PS_MATCH_EV_EXECUTE;
}

/* One message through the matcher (the venue's replay_one, without I/O). */
static void replay(struct ps_match *m, struct ps_book *b, const uint8_t *p, uint16_t len,
		   uint64_t *taker)
{
	const struct ps_book_order *o;
	uint64_t ref;

	switch (p[0]) {
	case 'A':
	case 'F':
		ps_match_order(m, 0, ps_load_be64(p + 11),
			       p[19] == 'B' ? PS_SIDE_BUY : PS_SIDE_SELL, ps_load_be32(p + 32),
			       ps_load_be32(p + 20), PS_TIF_DAY);
		break;
	case 'X':
		ref = ps_load_be64(p + 11);
		if ((o = ps_book_order_get(b, ref))) {
			uint32_t c = ps_load_be32(p + 19);
			ps_match_cancel(m, 0, ref, o->qty > c ? o->qty - c : 0);
		}
		break;
	case 'D':
		ref = ps_load_be64(p + 11);
		if (ps_book_order_get(b, ref))
			ps_match_cancel(m, 0, ref, 0);
		break;
	case 'E':
	case 'C':
		ref = ps_load_be64(p + 11);
		if ((o = ps_book_order_get(b, ref)))
			ps_match_aggress(m, 0, TAKER_BIT | ++*taker, (enum ps_side)o->side,
					 b->side[o->side].levels[o->level].price,
					 ps_load_be32(p + 19));
		break;
	case 'U':
		ref = ps_load_be64(p + 11);
		if (ps_book_order_get(b, ref))
			ps_match_replace(m, 0, ref, ps_load_be64(p + 19), ps_load_be32(p + 31),
					 ps_load_be32(p + 27));
		break;
	default:
		break;
	}
	(void)len;
}

static void bench_venue_match_amzn5(struct ps_bench *b)
{
	const struct ps_bench_day *day;
	struct ps_book_config bc = { .instrument_count = 1,
				     .max_orders = 1u << 18,
				     .max_levels = 4096 };
	struct ps_book_set *set;
	struct ps_match m;
	struct counter c = { 0 };
	uint64_t n, taker = 0, done = 0;
	size_t off = 0;

	if (ps_bench_day_get(&day)) {
		ps_bench_skip(b, "cannot load the AMZN level-5 LOBSTER day");
		return;
	}
	if (ps_book_set_create(&set, &bc) || ps_match_init(&m, set, count_event, &c)) {
		ps_bench_skip(b, "cannot set up the matcher");
		return;
	}
	struct ps_book *book = ps_book_set_get(set, 0);
	while ((n = ps_bench_batch(b, 4096)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			if (off >= day->itch_len) {
				ps_bench_pause(b);
				ps_book_clear(book);
				off = 0;
				ps_bench_resume(b);
			}
			uint16_t len = ps_load_be16(day->itch + off);
			replay(&m, book, day->itch + off + 2, len, &taker);
			off += 2u + len;
		}
		done += n;
	}
	ps_bench_items(b, (int64_t)done);
	ps_bench_counter(b, "events_per_msg", done ? (double)c.events / (double)done : 0);
	ps_bench_counter(b, "executions", (double)c.executions);
	ps_bench_counter(b, "msgs_per_day", (double)day->msg_count);
	ps_book_set_destroy(set);
}
PS_BENCH("venue/match/perseus/amzn5", bench_venue_match_amzn5, 0, 0);
