/*
 * Book update throughput on a real day: the AMZN 2012-06-21 level-5 LOBSTER
 * sample, converted once (untimed) to ITCH 5.0 by the LOBSTER converter
 * (seed and refill adds included, so every message hits a known order).
 *
 *   book/apply/perseus/amzn5             ITCH decode (ps_itch_decode) + ps_book_apply
 *   book/apply/perseus/amzn5_events      ps_book_apply on pre-decoded md events
 *   book/apply/perseus/amzn5_day         one day of decode + apply, one iteration
 *   book/apply/perseus/amzn5_events_day  one day of apply, one iteration
 *
 * One iteration = one ITCH message (items/s = messages/s). At the end of the
 * day the book is cleared (untimed) and the day starts again. The timed
 * loops are the noinline apply_* functions, so callgrind can count them:
 *   valgrind --tool=callgrind --toggle-collect=apply_itch_range \
 *     build/bench/perseus-bench --benchmark_filter=book/apply/perseus/amzn5_day
 * gives Ir for one day, so Ir / msgs_per_day is instructions per message
 * (decode + apply); apply_event_range on .../amzn5_events_day gives the
 * book alone, Ir / events_per_day. (valgrind 3.19 cannot run AVX-512 code:
 * build with -DPS_NATIVE=OFF -DCMAKE_C_FLAGS=-march=x86-64-v3 for it.)
 * Data: $PS_SOURCE_DIR/feeds/data/lobster, or the tree this file is in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/alloc.h>
#include <ps/book.h>
#include <ps/itch.h>
#include <ps/lobster.h>

#include "common/bench_day.h"
#include "harness.h"

#define DAY_LOCATE  PS_BENCH_DAY_LOCATE
#define BOOK_ORDERS (1u << 18)
#define BOOK_LEVELS 4096u

struct day {
	const uint8_t *itch; /* BinaryFILE framing (common/bench_day.h) */
	size_t itch_len;
	struct ps_md_event *events; /* decoded events (messages without one left out) */
	uint64_t event_count;
	uint64_t msg_count;
	int err;
	bool loaded;
};

static struct day g_day;

static int day_load(struct day *d)
{
	const struct ps_bench_day *day;
	struct ps_itch_stats st;

	if (d->loaded)
		return d->err;
	d->loaded = true;
	d->err = ps_bench_day_get(&day);
	if (d->err)
		return d->err;
	d->itch = day->itch;
	d->itch_len = day->itch_len;
	d->msg_count = day->msg_count;
	d->events = ps_alloc(sizeof(d->events[0]) * d->msg_count);
	if (!d->events)
		return d->err = -ENOMEM;
	ps_itch_stats_reset(&st);
	for (size_t off = 0; off < d->itch_len;) {
		size_t len = ps_load_be16(d->itch + off);

		if (ps_itch_decode(d->itch + off + 2, len, &d->events[d->event_count], &st) ==
		    PS_ITCH_RC_EVENT)
			d->event_count++;
		off += len + 2;
	}
	return 0;
}

/* Decode and apply the framed messages in [*off, end) up to max messages;
 * returns messages done. */
PS_NOINLINE uint64_t apply_itch_range(struct ps_book_set *set, const uint8_t *buf, size_t *off,
				      size_t end, uint64_t max, struct ps_itch_stats *st);
PS_NOINLINE uint64_t apply_itch_range(struct ps_book_set *set, const uint8_t *buf, size_t *off,
				      size_t end, uint64_t max, struct ps_itch_stats *st)
{
	const uint8_t *p = buf + *off, *stop = buf + end;
	uint64_t n = 0;
	struct ps_md_event ev;

	while (n < max && p < stop) {
		size_t len = ps_load_be16(p);

		if (ps_itch_decode(p + 2, len, &ev, st) == PS_ITCH_RC_EVENT)
			ps_book_apply(set, &ev);
		p += len + 2;
		n++;
	}
	*off = (size_t)(p - buf);
	return n;
}

PS_NOINLINE void apply_event_range(struct ps_book_set *set, const struct ps_md_event *ev,
				   uint64_t n);
PS_NOINLINE void apply_event_range(struct ps_book_set *set, const struct ps_md_event *ev,
				   uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		ps_book_apply(set, &ev[i]);
}

static struct ps_book_set *bench_setup(struct ps_bench *b)
{
	struct ps_book_config cfg = { .instrument_count = DAY_LOCATE + 1,
				      .max_orders = BOOK_ORDERS,
				      .max_levels = BOOK_LEVELS };
	struct ps_book_set *set;
	int rc = day_load(&g_day);

	if (rc) {
		ps_bench_skip(b, "cannot load the AMZN level-5 LOBSTER day");
		return NULL;
	}
	if (ps_book_set_create(&set, &cfg)) {
		ps_bench_skip(b, "cannot allocate the book set");
		return NULL;
	}
	ps_bench_counter(b, "msgs_per_day", (double)g_day.msg_count);
	ps_bench_counter(b, "events_per_day", (double)g_day.event_count);
	ps_bench_counter(b, "bytes_per_order",
			 (double)ps_book_set_memsize(&cfg) / (double)cfg.max_orders);
	return set;
}

static void bench_teardown(struct ps_bench *b, struct ps_book_set *set, uint64_t items)
{
	struct ps_book_stats st;

	ps_book_set_stats(set, &st);
	ps_bench_counter(b, "book_errors", (double)ps_book_stats_total(&st));
	ps_bench_items(b, (int64_t)items);
	ps_book_set_destroy(set);
}

static void restart_day(struct ps_bench *b, struct ps_book_set *set)
{
	ps_bench_pause(b);
	ps_book_clear(ps_book_set_get(set, DAY_LOCATE));
	ps_bench_resume(b);
}

static void bench_book_apply_amzn5(struct ps_bench *b)
{
	struct ps_book_set *set = bench_setup(b);
	struct ps_itch_stats st;
	uint64_t n, items = 0;
	size_t off = 0;

	if (!set)
		return;
	ps_itch_stats_reset(&st);
	while ((n = ps_bench_batch(b, 4096)) != 0) {
		while (n) {
			if (off == g_day.itch_len) {
				restart_day(b, set);
				off = 0;
			}
			uint64_t done =
			    apply_itch_range(set, g_day.itch, &off, g_day.itch_len, n, &st);

			n -= done;
			items += done;
		}
	}
	bench_teardown(b, set, items);
}
PS_BENCH("book/apply/perseus/amzn5", bench_book_apply_amzn5, 0, 0);

static void bench_book_apply_amzn5_events(struct ps_bench *b)
{
	struct ps_book_set *set = bench_setup(b);
	uint64_t n, items = 0, pos = 0;

	if (!set)
		return;
	while ((n = ps_bench_batch(b, 4096)) != 0) {
		while (n) {
			if (pos == g_day.event_count) {
				restart_day(b, set);
				pos = 0;
			}
			uint64_t k = PS_MIN(n, g_day.event_count - pos);

			apply_event_range(set, g_day.events + pos, k);
			pos += k;
			n -= k;
			items += k;
		}
	}
	bench_teardown(b, set, items);
}
PS_BENCH("book/apply/perseus/amzn5_events", bench_book_apply_amzn5_events, 0, 0);

/* Exactly one day, decode + apply, from an empty book: for callgrind
 * (--toggle-collect=apply_itch_range gives the instructions of msgs_per_day
 * messages) and a cold-start figure. */
static void bench_book_apply_amzn5_day(struct ps_bench *b)
{
	struct ps_book_set *set = bench_setup(b);
	struct ps_itch_stats st;
	uint64_t items = 0;
	size_t off = 0;

	if (!set)
		return;
	ps_itch_stats_reset(&st);
	while (ps_bench_batch(b, 1) != 0)
		items += apply_itch_range(set, g_day.itch, &off, g_day.itch_len, UINT64_MAX, &st);
	bench_teardown(b, set, items);
}
PS_BENCH("book/apply/perseus/amzn5_day", bench_book_apply_amzn5_day, 0, PS_BENCH_F_ONCE);

/* Exactly one day of pre-decoded events from an empty book (callgrind:
 * --toggle-collect=apply_event_range gives the book's own instructions). */
static void bench_book_apply_amzn5_events_day(struct ps_bench *b)
{
	struct ps_book_set *set = bench_setup(b);
	uint64_t items = 0;

	if (!set)
		return;
	while (ps_bench_batch(b, 1) != 0) {
		apply_event_range(set, g_day.events, g_day.event_count);
		items += g_day.event_count;
	}
	bench_teardown(b, set, items);
}
PS_BENCH("book/apply/perseus/amzn5_events_day", bench_book_apply_amzn5_events_day, 0,
	 PS_BENCH_F_ONCE);
