/*
 * ITCH 5.0 hot decode (ps_itch_decode) over a real day: the LOBSTER AMZN
 * level-5 sample (2012-06-21, 155,935 rows) converted to ITCH at setup
 * (233,936 messages, BinaryFILE framing, in memory).
 *
 * feeds/itch/perseus/decode      one iteration = one message: frame walk
 *                                (ps_binfile_next) + decode into a ps_md_event;
 *                                wraps around the day. Time per iteration is
 *                                ns per message.
 * feeds/itch/perseus/decode_day  one iteration = the whole day through
 *                                bench_feeds_itch_decode_day(), a noinline
 *                                function, so an instruction count can be
 *                                taken for it alone:
 *   valgrind --tool=callgrind --toggle-collect=bench_feeds_itch_decode_day \
 *     build/bench/perseus-bench --benchmark_filter=feeds/itch/perseus/decode_day \
 *     --benchmark_min_time=0.001
 *   (one call, so instructions / 233,936 = instructions per message; without
 *   the min time every iteration is counted. valgrind 3.19 cannot run
 *   AVX-512 code: build with -DPS_NATIVE=OFF -DCMAKE_C_FLAGS=-march=x86-64-v3.)
 *
 * Data: $PS_SOURCE_DIR/feeds/data/lobster, or the tree this file is in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/alloc.h>
#include <ps/binfile.h>
#include <ps/itch.h>
#include <ps/lobster.h>

#include "common/bench_day.h"
#include "harness.h"

/* The day, loaded once (common/bench_day.c). */
static const struct ps_bench_day *day;

static int day_load(void)
{
	return ps_bench_day_get(&day);
}

static void bench_feeds_itch_decode(struct ps_bench *b)
{
	struct ps_binfile_reader r;
	struct ps_itch_stats st;
	struct ps_md_event ev;
	uint64_t n, total = 0;

	if (day_load() < 0) {
		ps_bench_skip(b, "cannot convert the LOBSTER AMZN level-5 sample");
		return;
	}
	ps_itch_stats_reset(&st);
	ps_binfile_reader_init_mem(&r, day->itch, day->itch_len);
	while ((n = ps_bench_batch(b, 4096)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			const uint8_t *msg = NULL;
			size_t len = 0;

			if (ps_unlikely(ps_binfile_next(&r, &msg, &len) != 1)) {
				ps_binfile_reader_rewind(&r);
				(void)ps_binfile_next(&r, &msg, &len);
			}
			(void)ps_itch_decode(msg, len, &ev, &st);
			ps_bench_keep(&ev);
		}
		total += n;
	}
	ps_bench_items(b, (int64_t)total);
	ps_bench_counter(b, "errors", (double)(st.truncated + st.badlen + st.unknown));
}
PS_BENCH("feeds/itch/perseus/decode", bench_feeds_itch_decode, 0, 0);

/* The whole day once; the unit callgrind counts (see the top of the file). */
PS_NOINLINE uint64_t bench_feeds_itch_decode_day(const uint8_t *buf, size_t len,
						 struct ps_itch_stats *st);
PS_NOINLINE uint64_t bench_feeds_itch_decode_day(const uint8_t *buf, size_t len,
						 struct ps_itch_stats *st)
{
	struct ps_binfile_reader r;
	struct ps_md_event ev;
	const uint8_t *msg = NULL;
	size_t mlen = 0;

	ps_binfile_reader_init_mem(&r, buf, len);
	while (ps_binfile_next(&r, &msg, &mlen) == 1) {
		(void)ps_itch_decode(msg, mlen, &ev, st);
		ps_bench_keep(&ev); /* the event is written out, as into a ring slot */
	}
	return r.off;
}

static void bench_feeds_itch_decode_day_run(struct ps_bench *b)
{
	struct ps_itch_stats st;
	uint64_t n, msgs = 0, sum = 0;

	if (day_load() < 0) {
		ps_bench_skip(b, "cannot convert the LOBSTER AMZN level-5 sample");
		return;
	}
	ps_itch_stats_reset(&st);
	while ((n = ps_bench_batch(b, 1)) != 0) {
		for (uint64_t i = 0; i < n; i++)
			sum += bench_feeds_itch_decode_day(day->itch, day->itch_len, &st);
		msgs += n * day->msg_count;
	}
	ps_bench_keep(&sum);
	ps_bench_items(b, (int64_t)msgs);
	ps_bench_counter(b, "messages_per_day", (double)day->msg_count);
}
PS_BENCH("feeds/itch/perseus/decode_day", bench_feeds_itch_decode_day_run, 0, 0);
