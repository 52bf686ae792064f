/*
 * LOBSTER -> ITCH 5.0 (ps_lobster_conv) -> ps_itch_decode -> ps_book_apply
 * must reproduce LOBSTER's own top-N book after every row of both AMZN
 * 2012-06-21 pairs, with no book error: the converter's synthetic seed and
 * refill adds stand for what the book could not know. Skips (77) when the
 * data is missing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/book.h>
#include <ps/book_view.h>
#include <ps/itch.h>
#include <ps/lobster.h>

#define DATA_DIR PS_SOURCE_DIR "/feeds/data/lobster/"
#define ZIP1     DATA_DIR "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
#define ZIP5     DATA_DIR "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"
#define LOCATE   7

struct replay {
	struct ps_book_set *set;
	struct ps_itch_stats st;
	uint64_t msgs;
	uint64_t events;
};

static int on_itch(void *ctx, const uint8_t *msg, size_t len)
{
	struct replay *r = ctx;
	struct ps_md_event ev;
	int rc = ps_itch_decode(msg, len, &ev, &r->st);

	r->msgs++;
	if (rc < 0)
		return PS_EPROTOCOL;
	if (rc == PS_ITCH_RC_EVENT) {
		r->events++;
		ps_book_apply(r->set, &ev);
	}
	return 0;
}

static void replay_day(const char *zip, uint64_t rows_want)
{
	struct ps_book_config bcfg = { .instrument_count = LOCATE + 1,
				       .max_orders = 1u << 18,
				       .max_levels = 4096 };
	struct ps_lobster_conv_cfg ccfg = { .levels = 0, .stock_locate = LOCATE };
	struct replay r;
	struct ps_lobster_reader rd;
	struct ps_lobster_conv *conv = NULL;
	struct ps_book_view want, got;
	struct ps_book_stats st;
	uint64_t rows = 0, mismatches = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	memcpy(ccfg.stock, "AMZN    ", 8);
	ps_itch_stats_reset(&r.st);
	assert_int_equal(ps_book_set_create(&r.set, &bcfg), 0);
	assert_int_equal(ps_lobster_reader_open(&rd, zip, zip), 0);
	while ((rc = ps_lobster_reader_next(&rd)) == 1) {
		if (rows == 0) {
			ccfg.levels = rd.book.levels;
			assert_int_equal(ps_lobster_conv_create(&conv, &ccfg, on_itch, &r), 0);
		}
		assert_int_equal(ps_lobster_conv_row(conv, &rd.msg, &rd.book), 0);
		rows++;
		want.levels = rd.book.levels;
		memset(want.side, 0, sizeof(want.side));
		for (uint32_t i = 0; i < rd.book.levels; i++) {
			if (rd.book.bid_size[i]) {
				want.side[PS_SIDE_BUY][i].price = rd.book.bid_price[i];
				want.side[PS_SIDE_BUY][i].qty = rd.book.bid_size[i];
			}
			if (rd.book.ask_size[i]) {
				want.side[PS_SIDE_SELL][i].price = rd.book.ask_price[i];
				want.side[PS_SIDE_SELL][i].qty = rd.book.ask_size[i];
			}
		}
		got.levels = want.levels;
		ps_book_view_get(ps_book_set_get(r.set, LOCATE), &got);
		if (!ps_book_view_equal(&want, &got)) {
			if (mismatches < 3) {
				char a[1024], b[1024];

				ps_book_view_format(&want, a, sizeof(a));
				ps_book_view_format(&got, b, sizeof(b));
				print_message("row %llu\n  want %s\n  got  %s\n",
					      (unsigned long long)rows - 1, a, b);
			}
			mismatches++;
		}
	}
	assert_int_equal(rc, 0);
	assert_non_null(conv);
	if (!conv)
		return;
	assert_int_equal(ps_lobster_conv_finish(conv), 0);
	ps_book_set_stats(r.set, &st);
	if (ps_book_stats_total(&st)) {
		char d[256];

		ps_book_diag_format(&ps_book_set_get(r.set, LOCATE)->diag, d, sizeof(d));
		print_message("book: %s\n", d);
	}
	print_message("%s: rows %llu itch %llu events %llu mismatches %llu refills %llu\n", zip,
		      (unsigned long long)rows, (unsigned long long)r.msgs,
		      (unsigned long long)r.events, (unsigned long long)mismatches,
		      (unsigned long long)ps_lobster_conv_stats(conv)->refills);
	assert_int_equal(rows, rows_want);
	assert_int_equal(mismatches, 0);
	assert_int_equal(ps_book_stats_total(&st), 0);
	assert_int_equal(r.st.truncated + r.st.badlen + r.st.unknown, 0);
	ps_lobster_conv_destroy(conv);
	ps_lobster_reader_close(&rd);
	ps_book_set_destroy(r.set);
}

static void test_book_itch_lobster_amzn_level1(void **state)
{
	(void)state;
	replay_day(ZIP1, 57515);
}

static void test_book_itch_lobster_amzn_level5(void **state)
{
	(void)state;
	replay_day(ZIP5, 155935);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_book_itch_lobster_amzn_level1),
		cmocka_unit_test(test_book_itch_lobster_amzn_level5),
	};

	if (access(ZIP1, R_OK) || access(ZIP5, R_OK)) {
		fprintf(stderr, "LOBSTER samples missing under %s: skipped\n", DATA_DIR);
		return 77;
	}
	return cmocka_run_group_tests_name("book_itch_lobster", tests, NULL, NULL);
}
