#include <ps/clock.h>
#include <ps/err.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Over a 50 ms interval the TSC-derived and CLOCK_MONOTONIC durations agree
 * within 3% (generous for a shared VM; the calibration itself is ppm). */
static void check_against_monotonic(void)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		uint64_t t0 = ps_tsc(), n0 = ps_now_ns();
		sleep_ns(50000000u);
		uint64_t t1 = ps_tsc(), n1 = ps_now_ns();
		double ratio = (double)ps_tsc_to_ns(t1 - t0) / (double)(n1 - n0);
		if (ratio > 0.97 && ratio < 1.03)
			return;
		print_message("attempt %d: ratio %.4f\n", attempt, ratio);
	}
	fail_msg("ps_tsc_to_ns disagrees with CLOCK_MONOTONIC by more than 3%%");
}

static void test_clock_init_is_fast_and_calibrated(void **state)
{
	(void)state;
	uint64_t n0 = ps_now_ns();
	assert_int_equal(ps_clock_init(), 0);
	uint64_t took = ps_now_ns() - n0;
	assert_true(took < 100000000u);
	if (ps_clock_uses_tsc()) {
		assert_true(ps_tsc_ghz() > 0.1 && ps_tsc_ghz() < 10.0);
		print_message("TSC %.4f GHz, init %.1f ms\n", ps_tsc_ghz(), took / 1e6);
	} else {
		assert_true(ps_tsc_ghz() == 1.0);
	}
	check_against_monotonic();
}

static void test_clock_tsc_is_monotonic(void **state)
{
	(void)state;
	assert_int_equal(ps_clock_init(), 0);
	uint64_t prev = ps_tsc();
	for (int i = 0; i < 100000; i++) {
		uint64_t now = (i & 1) ? ps_tsc() : ps_tscp();
		assert_true(now >= prev);
		prev = now;
	}
	uint64_t a = ps_now_ns(), b = ps_now_ns();
	assert_true(b >= a);
}

static void test_clock_ns_to_tsc_round_trips(void **state)
{
	(void)state;
	assert_int_equal(ps_clock_init(), 0);
	uint64_t cycles = ps_clock_ns_to_tsc(1000000000u);
	uint64_t back = ps_tsc_to_ns(cycles);
	assert_true(back > 999999000u && back < 1000001000u);
	/* Large absolute readings do not overflow the conversion. */
	assert_true(ps_tsc_to_ns(UINT64_MAX / 2) > 0);
}

static void test_clock_fallback_forced_by_flag(void **state)
{
	(void)state;
	assert_int_equal(ps_clock_init_flags(PS_CLOCK_F_NO_TSC), 0);
	assert_false(ps_clock_uses_tsc());
	assert_true(ps_tsc_ghz() == 1.0);
	assert_int_equal(ps_tsc_to_ns(123456789u), 123456789u);
	assert_int_equal(ps_clock_ns_to_tsc(987654321u), 987654321u);
	/* ps_tsc() now reads CLOCK_MONOTONIC ns. */
	uint64_t a = ps_now_ns(), t = ps_tsc(), b = ps_now_ns();
	assert_true(a <= t && t <= b);
	check_against_monotonic();
	assert_int_equal(ps_clock_init(), 0);
}

static void test_clock_fallback_forced_by_env(void **state)
{
	(void)state;
	setenv("PS_CLOCK_NO_TSC", "1", 1);
	assert_int_equal(ps_clock_init(), 0);
	assert_false(ps_clock_uses_tsc());
	unsetenv("PS_CLOCK_NO_TSC");
	assert_int_equal(ps_clock_init(), 0);
	assert_int_equal(ps_clock_uses_tsc(), ps_clock_tsc_invariant());
}

static void test_clock_flags_checked(void **state)
{
	(void)state;
	assert_int_equal(ps_clock_init_flags(1u << 7), -EINVAL);
	assert_int_equal(ps_clock_init_flags(PS_CLOCK_F_NO_TSC | PS_CLOCK_F_REQUIRE_TSC), -EINVAL);
	int rc = ps_clock_init_flags(PS_CLOCK_F_REQUIRE_TSC);
	if (ps_clock_tsc_invariant()) {
		assert_int_equal(rc, 0);
		assert_true(ps_clock_uses_tsc());
	} else {
		assert_int_equal(rc, PS_ENOTSC);
		assert_false(ps_clock_uses_tsc());
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_init_is_fast_and_calibrated),
		cmocka_unit_test(test_clock_tsc_is_monotonic),
		cmocka_unit_test(test_clock_ns_to_tsc_round_trips),
		cmocka_unit_test(test_clock_fallback_forced_by_flag),
		cmocka_unit_test(test_clock_fallback_forced_by_env),
		cmocka_unit_test(test_clock_flags_checked),
	};
	return cmocka_run_group_tests_name("base_clock", tests, NULL, NULL);
}
