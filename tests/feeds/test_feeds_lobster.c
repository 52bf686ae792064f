/* LOBSTER: row parsers, line sources (plain, zip), the two-file reader and the
 * converter to ITCH 5.0, checked by replaying its output into ps_book. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/book.h>
#include <ps/itch.h>
#include <ps/lobster.h>

static void zip_path(char *buf, size_t len, int levels)
{
	snprintf(buf, len, "%s/feeds/data/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_%d.zip",
		 PS_SOURCE_DIR, levels);
	if (access(buf, R_OK) != 0) {
		print_message("missing %s\n", buf);
		exit(77);
	}
}

static void test_lobster_msg_parse_rows(void **state)
{
	struct ps_lobster_msg m;
	const char *row = "34200.18960767,1,11885113,21,2238100,1";

	(void)state;
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), 0);
	assert_int_equal(m.time_ns, 34200189607670ull);
	assert_int_equal(m.type, 1);
	assert_int_equal(m.order_id, 11885113);
	assert_int_equal(m.size, 21);
	assert_int_equal(m.price, 2238100);
	assert_int_equal(m.direction, 1);

	row = "43002.632812672004,3,134172772,100,2238700,-1\r";
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), 0);
	assert_int_equal(m.time_ns, 43002632812672ull); /* digits below 1 ns dropped */
	assert_int_equal(m.direction, -1);

	row = "57600,7,0,0,-1,-1";
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), 0);
	assert_int_equal(m.time_ns, 57600000000000ull);
	assert_int_equal(m.price, -1);

	row = "34200.1,1,2,3,4";
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), PS_ESYNTAX);
	row = "34200.1,1,2,3,4,1,9";
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), PS_ESYNTAX);
	row = "x,1,2,3,4,1";
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), PS_ESYNTAX);
	row = "1,1,2,99999999999,4,1";
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), PS_EOVERFLOW);
	row = "1,1,99999999999999999999,3,4,1";
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), PS_EOVERFLOW);
	row = "1,1,2,3,4,2";
	assert_int_equal(ps_lobster_msg_parse(&m, row, strlen(row)), PS_ESYNTAX);
	assert_int_equal(ps_lobster_msg_parse(&m, "", 0), PS_ESYNTAX);
}

static void test_lobster_book_parse_rows(void **state)
{
	struct ps_lobster_book_row b;
	const char *row = "2239500,100,2231800,100,9999999999,0,-9999999999,0";

	(void)state;
	assert_int_equal(ps_lobster_book_parse(&b, row, strlen(row)), 0);
	assert_int_equal(b.levels, 2);
	assert_int_equal(b.ask_price[0], 2239500);
	assert_int_equal(b.ask_size[0], 100);
	assert_int_equal(b.bid_price[0], 2231800);
	assert_int_equal(b.bid_size[0], 100);
	assert_int_equal(b.ask_price[1], PS_LOBSTER_EMPTY_ASK);
	assert_int_equal(b.bid_price[1], PS_LOBSTER_EMPTY_BID);
	row = "1,2,3";
	assert_int_equal(ps_lobster_book_parse(&b, row, strlen(row)), PS_ESYNTAX);
	row = "1,2,3,4,";
	assert_int_equal(ps_lobster_book_parse(&b, row, strlen(row)), PS_ESYNTAX);
	row = "1,-2,3,4";
	assert_int_equal(ps_lobster_book_parse(&b, row, strlen(row)), PS_ESYNTAX);
}

static void test_lobster_memory_source_lines(void **state)
{
	static const char text[] = "a,b\r\n\nccc\nlast";
	struct ps_lobster_src s;
	const char *line = NULL;
	size_t len = 0;

	(void)state;
	ps_lobster_src_open_mem(&s, text, strlen(text));
	assert_int_equal(ps_lobster_src_next_line(&s, &line, &len), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(line, "a,b", 3);
	assert_int_equal(ps_lobster_src_next_line(&s, &line, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(ps_lobster_src_next_line(&s, &line, &len), 1);
	assert_int_equal(len, 3);
	assert_int_equal(ps_lobster_src_next_line(&s, &line, &len), 1);
	assert_int_equal(len, 4);
	assert_memory_equal(line, "last", 4);
	assert_int_equal(ps_lobster_src_next_line(&s, &line, &len), 0);
	ps_lobster_src_close(&s);
}

static void read_all(int levels, uint64_t want_rows, const char *first_msg, const char *first_book)
{
	char path[4096];
	struct ps_lobster_reader r;
	struct ps_lobster_msg m;
	struct ps_lobster_book_row b;
	int rc;

	zip_path(path, sizeof(path), levels);
	assert_int_equal(ps_lobster_reader_open(&r, path, path), 0);
	assert_int_equal(ps_lobster_msg_parse(&m, first_msg, strlen(first_msg)), 0);
	assert_int_equal(ps_lobster_book_parse(&b, first_book, strlen(first_book)), 0);
	assert_int_equal(ps_lobster_reader_next(&r), 1);
	assert_memory_equal(&r.msg, &m, sizeof(m));
	assert_int_equal(r.book.levels, (uint32_t)levels);
	assert_memory_equal(r.book.ask_price, b.ask_price, sizeof(int64_t) * (size_t)levels);
	assert_memory_equal(r.book.bid_size, b.bid_size, sizeof(uint32_t) * (size_t)levels);
	while ((rc = ps_lobster_reader_next(&r)) == 1)
		;
	assert_int_equal(rc, 0);
	assert_int_equal(r.rows, want_rows);
	assert_true(r.msg_src.done && r.book_src.done); /* CRC-32 and size checked */
	ps_lobster_reader_close(&r);
}

static void test_lobster_reads_both_zips_row_by_row(void **state)
{
	(void)state;
	read_all(1, 57515, "34200.017459617,5,0,1,2238200,-1", "2239500,100,2231800,100");
	read_all(5, 155935, "34200.017459617,5,0,1,2238200,-1",
		 "2239500,100,2231800,100,2239900,100,2230700,200,2240000,220,2230400,100,"
		 "2242500,100,2230000,10,2244000,547,2226200,100");
}

static void test_lobster_zip_errors(void **state)
{
	char path[4096], bad[4096];
	struct ps_lobster_src s;
	FILE *in, *out;
	char buf[4096];
	size_t n, total = 0;

	(void)state;
	zip_path(path, sizeof(path), 1);
	assert_int_equal(ps_lobster_src_open_zip(&s, path, "no-such-member"), PS_ENOTFOUND);
	assert_int_equal(ps_lobster_src_open_zip(&s, "/nonexistent.zip", "message"), -ENOENT);
	/* the first 100 kB of the archive: no end-of-central-directory record */
	snprintf(bad, sizeof(bad), "%s/test_lobster_cut.%d.zip", PS_BINARY_DIR, (int)getpid());
	in = fopen(path, "rb");
	out = fopen(bad, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while (total < 100000 && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, out);
		total += n;
	}
	fclose(in);
	fclose(out);
	assert_int_equal(ps_lobster_src_open_zip(&s, bad, "message"), PS_EPROTOCOL);
	assert_int_equal(ps_lobster_src_open_zip(&s, __FILE__, "message"), PS_EPROTOCOL);
	unlink(bad);
}

/* Replays the converter's output into ps_book as it is emitted. */
struct replay {
	struct ps_book_set *books;
	struct ps_itch_stats st;
	uint64_t book_errors;
	uint64_t type_count[128];
};

static int replay_emit(void *ctx, const uint8_t *msg, size_t len)
{
	struct replay *rp = ctx;
	struct ps_md_event ev;
	int rc = ps_itch_decode(msg, len, &ev, &rp->st);

	if (rc < 0)
		return -EPROTO;
	rp->type_count[msg[0] & 0x7f]++;
	if (rc == PS_ITCH_RC_EVENT && ps_book_apply(rp->books, &ev) < 0)
		rp->book_errors++;
	return 0;
}

/* Top N of the replayed book against every orderbook row. */
static void convert_and_check(int levels, uint64_t want_refills)
{
	char path[4096];
	struct ps_lobster_reader r;
	struct ps_lobster_conv *c = NULL;
	struct ps_lobster_conv_cfg cfg = { .levels = (uint32_t)levels, .stock_locate = 1 };
	struct ps_book_config bc = { .instrument_count = 2,
				     .max_orders = 1u << 20,
				     .max_levels = 4096 };
	struct replay rp;
	const struct ps_lobster_conv_stats *cs;
	uint64_t bad_rows = 0;
	int rc;

	zip_path(path, sizeof(path), levels);
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(ps_book_set_create(&rp.books, &bc), 0);
	memcpy(cfg.stock, "AMZN    ", 8);
	assert_int_equal(ps_lobster_conv_create(&c, &cfg, replay_emit, &rp), 0);
	assert_int_equal(ps_lobster_reader_open(&r, path, path), 0);
	while ((rc = ps_lobster_reader_next(&r)) == 1) {
		struct ps_book *b = ps_book_set_get(rp.books, 1);
		struct ps_book_level_view v[PS_LOBSTER_MAX_LEVELS];
		bool ok = true;

		assert_int_equal(ps_lobster_conv_row(c, &r.msg, &r.book), 0);
		for (unsigned s = 0; s < 2; s++) {
			uint32_t n = ps_book_top(b, (enum ps_side)s, (uint32_t)levels, v);

			for (uint32_t i = 0; i < (uint32_t)levels; i++) {
				int64_t p =
				    s == PS_SIDE_BUY ? r.book.bid_price[i] : r.book.ask_price[i];
				uint32_t q =
				    s == PS_SIDE_BUY ? r.book.bid_size[i] : r.book.ask_size[i];

				if (q == 0)
					ok &= i >= n;
				else
					ok &= i < n && v[i].price == p && v[i].qty == q;
			}
		}
		bad_rows += !ok;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(ps_lobster_conv_finish(c), 0);
	cs = ps_lobster_conv_stats(c);
	print_message("AMZN level %d: %llu rows -> %llu ITCH messages, %llu refills, "
		      "%llu forgotten levels, %llu unknown ids, %llu mismatches\n",
		      levels, (unsigned long long)cs->rows, (unsigned long long)cs->itch_msgs,
		      (unsigned long long)cs->refills, (unsigned long long)cs->forgotten,
		      (unsigned long long)cs->unknown_ids, (unsigned long long)cs->mismatches);
	assert_int_equal(cs->rows, r.rows);
	assert_int_equal(cs->seeds, 2 * (uint64_t)levels);
	assert_int_equal(cs->refills, want_refills);
	assert_int_equal(cs->mismatches, 0);
	/* the output decodes cleanly and the book it builds is the oracle's */
	assert_int_equal(rp.st.truncated + rp.st.badlen + rp.st.unknown, 0);
	assert_int_equal(ps_itch_stats_messages(&rp.st), cs->itch_msgs);
	assert_int_equal(rp.type_count['S'], 2);
	assert_int_equal(rp.type_count['R'], 1);
	assert_int_equal(rp.book_errors, 0);
	assert_int_equal(bad_rows, 0);
	assert_int_equal(ps_book_validate(ps_book_set_get(rp.books, 1)), 0);
	ps_lobster_reader_close(&r);
	ps_lobster_conv_destroy(c);
	ps_book_set_destroy(rp.books);
}

static void test_lobster_converter_level1_matches_every_row(void **state)
{
	(void)state;
	convert_and_check(1, 13953);
}

static void test_lobster_converter_level5_matches_every_row(void **state)
{
	(void)state;
	convert_and_check(5, 33840);
}

static void test_lobster_converter_rejects_bad_config(void **state)
{
	struct ps_lobster_conv *c = (struct ps_lobster_conv *)1;
	struct ps_lobster_conv_cfg cfg = { .levels = 0 };

	(void)state;
	assert_int_equal(ps_lobster_conv_create(&c, &cfg, replay_emit, NULL), -EINVAL);
	assert_null(c);
	cfg.levels = PS_LOBSTER_MAX_LEVELS + 1;
	assert_int_equal(ps_lobster_conv_create(&c, &cfg, replay_emit, NULL), -EINVAL);
	ps_lobster_conv_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lobster_msg_parse_rows),
		cmocka_unit_test(test_lobster_book_parse_rows),
		cmocka_unit_test(test_lobster_memory_source_lines),
		cmocka_unit_test(test_lobster_reads_both_zips_row_by_row),
		cmocka_unit_test(test_lobster_zip_errors),
		cmocka_unit_test(test_lobster_converter_level1_matches_every_row),
		cmocka_unit_test(test_lobster_converter_level5_matches_every_row),
		cmocka_unit_test(test_lobster_converter_rejects_bad_config),
	};
	return cmocka_run_group_tests_name("feeds_lobster", tests, NULL, NULL);
}
