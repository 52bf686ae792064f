#include <ps/err.h>
#include <ps/fixed.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

static int parse(const char *s, unsigned scale, int64_t *v)
{
	return ps_fixed_parse(s, strlen(s), scale, v);
}

static void test_fixed_parse_accepts_plain_numbers(void **state)
{
	(void)state;
	int64_t v = 0;
	assert_int_equal(parse("123", 0, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse("-12.5", 2, &v), 0);
	assert_int_equal(v, -1250);
	assert_int_equal(parse("+0.0001", 4, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse("007.50", 4, &v), 0);
	assert_int_equal(v, 75000);
	assert_int_equal(parse("-0", 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse("-0.000", 2, &v), 0);
	assert_int_equal(v, 0);
	/* Trailing zeros past the scale are exact, so accepted. */
	assert_int_equal(parse("1.2500", 2, &v), 0);
	assert_int_equal(v, 125);
	assert_int_equal(parse("0.10000000000000", 1, &v), 0);
	assert_int_equal(v, 1);
}

static void test_fixed_parse_uses_only_len_bytes(void **state)
{
	(void)state;
	int64_t v = 0;
	assert_int_equal(ps_fixed_parse("12.34xyz", 5, 2, &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(ps_fixed_parse("12.34", 3, 2, &v), PS_ESYNTAX); /* "12." */
}

static void test_fixed_parse_rejects_syntax(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",     "-",   "+",     "1.",  ".5",  "-.5", "1e3", " 1",   "1 ", "1 000", "1,5",
		"0x10", "abc", "1.2.3", "--1", "+-1", "inf", "nan", "1.5e", "١",  "12a",   "1..2",
	};
	for (size_t i = 0; i < PS_ARRAY_SIZE(bad); i++) {
		int64_t v = 42;
		assert_int_equal(parse(bad[i], 4, &v), PS_ESYNTAX);
		assert_int_equal(v, 42); /* untouched */
	}
	/* Syntax beats the other errors. */
	int64_t v;
	assert_int_equal(parse("99999999999999999999x", 0, &v), PS_ESYNTAX);
	assert_int_equal(parse("1.23456x", 2, &v), PS_ESYNTAX);
	assert_int_equal(ps_fixed_parse(NULL, 0, 2, &v), PS_ESYNTAX);
}

static void test_fixed_parse_rejects_too_many_decimals(void **state)
{
	(void)state;
	int64_t v = 7;
	assert_int_equal(parse("1.234", 2, &v), PS_EDECIMALS);
	assert_int_equal(parse("0.00001", 4, &v), PS_EDECIMALS);
	assert_int_equal(parse("1.5", 0, &v), PS_EDECIMALS);
	assert_int_equal(parse("1.0000000001", 9, &v), PS_EDECIMALS);
	assert_int_equal(v, 7);
	/* Decimals are checked before magnitude. */
	assert_int_equal(parse("99999999999999999999.5", 0, &v), PS_EDECIMALS);
}

static void test_fixed_parse_rejects_bad_scale(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(parse("1", PS_FIXED_MAX_SCALE + 1, &v), -EINVAL);
	assert_int_equal(parse("1", 0, NULL), -EINVAL);
}

static void test_fixed_parse_boundaries_at_every_scale(void **state)
{
	(void)state;
	char buf[PS_FIXED_STR_MAX];
	for (unsigned scale = 0; scale <= PS_FIXED_MAX_SCALE; scale++) {
		int64_t v = 0;
		/* INT64_MAX and INT64_MIN round-trip through format and parse. */
		assert_true(ps_fixed_format(INT64_MAX, scale, buf, sizeof(buf)) > 0);
		assert_int_equal(parse(buf, scale, &v), 0);
		assert_true(v == INT64_MAX);
		assert_true(ps_fixed_format(INT64_MIN, scale, buf, sizeof(buf)) > 0);
		assert_int_equal(parse(buf, scale, &v), 0);
		assert_true(v == INT64_MIN);

		/* One unit past each end overflows. */
		char over[PS_FIXED_STR_MAX + 2];
		ps_fixed_format(INT64_MAX, scale, buf, sizeof(buf));
		size_t n = strlen(buf);
		memcpy(over, buf, n + 1);
		over[n - 1] = '8'; /* ...807 -> ...808 */
		assert_int_equal(parse(over, scale, &v), PS_EOVERFLOW);
		ps_fixed_format(INT64_MIN, scale, buf, sizeof(buf));
		n = strlen(buf);
		memcpy(over, buf, n + 1);
		over[n - 1] = '9'; /* ...808 -> ...809 */
		assert_int_equal(parse(over, scale, &v), PS_EOVERFLOW);

		/* The integer part alone too big for the scale. */
		int64_t p = ps_fixed_pow10(scale);
		char big[40];
		if (scale > 0) { /* at scale 0, INT64_MAX + 1 is covered above */
			snprintf(big, sizeof(big), "%lld", (long long)(INT64_MAX / p + 1));
			assert_int_equal(parse(big, scale, &v), PS_EOVERFLOW);
		}
		snprintf(big, sizeof(big), "%lld", (long long)(INT64_MAX / p));
		assert_int_equal(parse(big, scale, &v), 0);
		assert_true(v == INT64_MAX / p * p);
	}
	int64_t v;
	assert_int_equal(parse("99999999999999999999999999", 0, &v), PS_EOVERFLOW);
	assert_int_equal(parse("-9223372036854775808", 0, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse("9223372036854775808", 0, &v), PS_EOVERFLOW);
}

static void test_fixed_format_keeps_scale(void **state)
{
	(void)state;
	char buf[PS_FIXED_STR_MAX];
	assert_int_equal(ps_fixed_format(12500, 4, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "1.2500");
	assert_int_equal(ps_fixed_format(-5, 2, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "-0.05");
	assert_int_equal(ps_fixed_format(0, 0, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "0");
	assert_int_equal(ps_fixed_format(0, 3, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "0.000");
	ps_fixed_format(INT64_MIN, 9, buf, sizeof(buf));
	assert_string_equal(buf, "-9223372036.854775808");
	ps_fixed_format(INT64_MAX, 0, buf, sizeof(buf));
	assert_string_equal(buf, "9223372036854775807");
}

static void test_fixed_format_reports_small_buffer(void **state)
{
	(void)state;
	char buf[6] = "xxxxx";
	assert_int_equal(ps_fixed_format(12500, 4, buf, 6), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(ps_fixed_format(12500, 4, buf, 7 - 1 + 0), -ENOSPC);
	char ok[7];
	assert_int_equal(ps_fixed_format(12500, 4, ok, sizeof(ok)), 6);
	assert_int_equal(ps_fixed_format(1, PS_FIXED_MAX_SCALE + 1, ok, sizeof(ok)), -EINVAL);
	assert_int_equal(ps_fixed_format(1, 0, NULL, 0), -ENOSPC);
}

static void test_fixed_rescale(void **state)
{
	(void)state;
	int64_t v = 0;
	assert_int_equal(ps_fixed_rescale(125, 2, 4, &v), 0);
	assert_int_equal(v, 12500);
	assert_int_equal(ps_fixed_rescale(12500, 4, 2, &v), 0);
	assert_int_equal(v, 125);
	assert_int_equal(ps_fixed_rescale(-12500, 4, 2, &v), 0);
	assert_int_equal(v, -125);
	assert_int_equal(ps_fixed_rescale(7, 3, 3, &v), 0);
	assert_int_equal(v, 7);
	v = 99;
	assert_int_equal(ps_fixed_rescale(12345, 4, 2, &v), PS_EDECIMALS);
	assert_int_equal(ps_fixed_rescale(INT64_MAX, 0, 1, &v), PS_EOVERFLOW);
	assert_int_equal(ps_fixed_rescale(INT64_MIN, 0, 9, &v), PS_EOVERFLOW);
	assert_int_equal(v, 99);
	assert_int_equal(ps_fixed_rescale(INT64_MIN, 9, 0, &v), PS_EDECIMALS);
	assert_int_equal(ps_fixed_rescale(INT64_MIN / 10 * 10, 1, 0, &v), 0);
	assert_true(v == INT64_MIN / 10);
	assert_int_equal(ps_fixed_rescale(1, 10, 0, &v), -EINVAL);
	assert_int_equal(ps_fixed_rescale(1, 0, 10, &v), -EINVAL);
	assert_int_equal(ps_fixed_rescale(1, 0, 1, NULL), -EINVAL);
}

static void test_fixed_pow10(void **state)
{
	(void)state;
	assert_int_equal(ps_fixed_pow10(0), 1);
	assert_int_equal(ps_fixed_pow10(4), 10000);
	assert_true(ps_fixed_pow10(18) == INT64_C(1000000000000000000));
	assert_int_equal(ps_fixed_pow10(19), -1);
}

/* Input that ends exactly at a PROT_NONE page: any read past len faults. */
static void test_fixed_parse_never_reads_past_len(void **state)
{
	(void)state;
	long page = sysconf(_SC_PAGESIZE);
	char *mem = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	assert_int_equal(mprotect(mem + page, (size_t)page, PROT_NONE), 0);
	static const char *const inputs[] = { "1", "-12.5",     "12.", "-",
					      "+", "0.0001000", "1e",  "99999999999999999999" };
	for (size_t i = 0; i < PS_ARRAY_SIZE(inputs); i++) {
		size_t len = strlen(inputs[i]);
		/* Every prefix, each ending at the guard page. */
		for (size_t l = 0; l <= len; l++) {
			char *s = mem + page - l;
			memcpy(s, inputs[i], l);
			int64_t v;
			(void)ps_fixed_parse(s, l, 4, &v);
		}
	}
	munmap(mem, (size_t)page * 2);
}

static void test_fixed_round_trip_sample(void **state)
{
	(void)state;
	char buf[PS_FIXED_STR_MAX];
	uint64_t x = 0x9E3779B97F4A7C15u;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t v = (int64_t)x >> (x % 60), back = 0;
		unsigned scale = (unsigned)(x % (PS_FIXED_MAX_SCALE + 1));
		int n = ps_fixed_format(v, scale, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(parse(buf, scale, &back), 0);
		assert_true(back == v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_parse_accepts_plain_numbers),
		cmocka_unit_test(test_fixed_parse_uses_only_len_bytes),
		cmocka_unit_test(test_fixed_parse_rejects_syntax),
		cmocka_unit_test(test_fixed_parse_rejects_too_many_decimals),
		cmocka_unit_test(test_fixed_parse_rejects_bad_scale),
		cmocka_unit_test(test_fixed_parse_boundaries_at_every_scale),
		cmocka_unit_test(test_fixed_format_keeps_scale),
		cmocka_unit_test(test_fixed_format_reports_small_buffer),
		cmocka_unit_test(test_fixed_rescale),
		cmocka_unit_test(test_fixed_pow10),
		cmocka_unit_test(test_fixed_parse_never_reads_past_len),
		cmocka_unit_test(test_fixed_round_trip_sample),
	};
	return cmocka_run_group_tests_name("base_fixed", tests, NULL, NULL);
}
