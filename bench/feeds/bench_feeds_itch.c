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
 *     build/bench/perseus-bench --benchmark_filter=feeds/itch/perseus/decode_day
 *   (instructions / 233,936 = instructions per message)
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

#include "harness.h"

#define DAY_ZIP "feeds/data/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"

static struct {
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint64_t msgs;
	bool loaded;
	int err;
} day;

static int collect(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	if (day.cap - day.len < len + 2) {
		size_t cap = day.cap ? day.cap * 2 : 1u << 20;
		uint8_t *p = ps_realloc(day.buf, cap);

		if (!p)
			return -ENOMEM;
		day.buf = p;
		day.cap = cap;
	}
	ps_store_be16(day.buf + day.len, (uint16_t)len);
	memcpy(day.buf + day.len + 2, msg, len);
	day.len += len + 2;
	day.msgs++;
	return 0;
}

static int day_load(void)
{
	struct ps_lobster_conv_cfg cfg = { .levels = 0, .stock_locate = 1 };
	const char *root = getenv("PS_SOURCE_DIR");
	char path[4096];

	if (day.loaded)
		return day.err;
	day.loaded = true;
	memcpy(cfg.stock, "AMZN    ", 8);
	if (root) {
		snprintf(path, sizeof(path), "%s/%s", root, DAY_ZIP);
	} else {
		/* __FILE__ is .../bench/feeds/bench_feeds_itch.c: the root is 3 up. */
		snprintf(path, sizeof(path), "%s", __FILE__);
		for (int up = 0; up < 3; up++) {
			char *slash = strrchr(path, '/');

			if (slash)
				*slash = '\0';
		}
		size_t n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "/%s", DAY_ZIP);
	}
	day.err = ps_lobster_convert(path, path, &cfg, collect, NULL, NULL);
	return day.err;
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
	ps_binfile_reader_init_mem(&r, day.buf, day.len);
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
			sum += bench_feeds_itch_decode_day(day.buf, day.len, &st);
		msgs += n * day.msgs;
	}
	ps_bench_keep(&sum);
	ps_bench_items(b, (int64_t)msgs);
	ps_bench_counter(b, "messages_per_day", (double)day.msgs);
}
PS_BENCH("feeds/itch/perseus/decode_day", bench_feeds_itch_decode_day_run, 0, 0);
