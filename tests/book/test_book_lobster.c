/*
 * The LOBSTER oracle (feeds/data/README.md): both AMZN 2012-06-21 pairs
 * replayed through ps_book with ps_book_check_lobster must give zero
 * mismatches over every row, with no book error, and no more refills than
 * an independent one-step checker needs (13,953 on level 1, 33,840 on
 * level 5). Skips (77) when the data is missing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/book_check.h>

#define DATA_DIR PS_SOURCE_DIR "/feeds/data/lobster/"
#define ZIP1     DATA_DIR "LOBSTER_SampleFile_AMZN_2012-06-21_1.zip"
#define ZIP5     DATA_DIR "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip"

static void check_day(const char *zip, uint32_t levels, uint64_t rows, uint64_t refills)
{
	struct ps_book_check_cfg cfg = { .msg_path = zip,
					 .book_path = zip,
					 .levels = levels,
					 .report = stderr,
					 .max_report = 3 };
	struct ps_book_check_result res;

	assert_int_equal(ps_book_check_lobster(&cfg, &res), 0);
	print_message("%s: rows %llu mismatches %llu refills %llu skipped %llu\n", zip,
		      (unsigned long long)res.rows, (unsigned long long)res.mismatches,
		      (unsigned long long)res.refills, (unsigned long long)res.skipped);
	assert_int_equal(res.rows, rows);
	assert_int_equal(res.levels, levels);
	assert_int_equal(res.mismatches, 0);
	assert_int_equal(res.refills, refills);
	assert_int_equal(ps_book_stats_total(&res.errors), 0);
}

static void test_book_lobster_amzn_level1_matches(void **state)
{
	(void)state;
	check_day(ZIP1, 1, 57515, 13953);
}

static void test_book_lobster_amzn_level5_matches(void **state)
{
	(void)state;
	check_day(ZIP5, 5, 155935, 33840);
}

static void test_book_lobster_level5_top1_matches(void **state)
{
	struct ps_book_check_cfg cfg = { .msg_path = ZIP5, .book_path = ZIP5, .levels = 1 };
	struct ps_book_check_result res;

	(void)state;
	assert_int_equal(ps_book_check_lobster(&cfg, &res), 0);
	assert_int_equal(res.rows, 155935);
	assert_int_equal(res.mismatches, 0);
}

static void test_book_lobster_rejects_bad_input(void **state)
{
	struct ps_book_check_cfg cfg = { .msg_path = ZIP1, .book_path = ZIP1, .levels = 2 };
	struct ps_book_check_result res;

	(void)state;
	/* Deeper than the file. */
	assert_int_equal(ps_book_check_lobster(&cfg, &res), -EINVAL);
	cfg.levels = 1;
	cfg.msg_path = DATA_DIR "no-such-file.zip";
	assert_int_equal(ps_book_check_lobster(&cfg, &res), -ENOENT);
	assert_int_equal(ps_book_check_lobster(NULL, &res), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_book_lobster_amzn_level1_matches),
		cmocka_unit_test(test_book_lobster_amzn_level5_matches),
		cmocka_unit_test(test_book_lobster_level5_top1_matches),
		cmocka_unit_test(test_book_lobster_rejects_bad_input),
	};

	if (access(ZIP1, R_OK) || access(ZIP5, R_OK)) {
		fprintf(stderr, "LOBSTER samples missing under %s: skipped\n", DATA_DIR);
		return 77;
	}
	return cmocka_run_group_tests_name("book_lobster", tests, NULL, NULL);
}
