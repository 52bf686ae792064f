/* Platform jitter (tune_jitter.h): config checks, what the spinning loop
 * records on the live host, that it sees a competitor take its CPU, and the
 * report's arithmetic. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ps/clock.h>
#include <ps/hist.h>
#include <ps/thread.h>
#include <ps/tune_jitter.h>

static int setup(void **state)
{
	struct ps_hist *h = NULL;

	if (ps_clock_init() || ps_hist_create(&h))
		return -1;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	ps_hist_destroy(*state);
	return 0;
}

static void test_jitter_rejects_bad_configs_by_name(void **state)
{
	struct ps_hist *h = *state;
	struct ps_jitter_config c;
	struct ps_jitter_result r;
	char err[256];

	ps_jitter_config_default(&c);
	assert_int_equal(c.cpu, -1);
	assert_int_equal(c.duration_ns, 5000000000ull);
	assert_int_equal(c.threshold_ns, 1000);

	c.duration_ns = 999999;
	assert_int_equal(ps_jitter_measure(&c, h, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "duration 999999 ns"));

	ps_jitter_config_default(&c);
	c.threshold_ns = 49;
	assert_int_equal(ps_jitter_measure(&c, h, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "threshold 49 ns"));
	c.threshold_ns = c.duration_ns + 1;
	assert_int_equal(ps_jitter_measure(&c, h, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "threshold"));

	ps_jitter_config_default(&c);
	c.duration_ns = 2000000;
	c.cpu = ps_thread_cpu_count() + 7;
	assert_int_equal(ps_jitter_measure(&c, h, &r, err, sizeof(err)), -EINVAL);
	char want[32];
	snprintf(want, sizeof(want), "%d", c.cpu);
	assert_non_null(strstr(err, want));

	assert_int_equal(ps_jitter_measure(NULL, h, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(ps_jitter_measure(&c, NULL, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(ps_hist_count(h), 0);
}

/* 50 ms on CPU 0: every hiccup is recorded once, none is shorter than the
 * threshold, they never add up to more than the run, and the loop's step is
 * below the threshold (else it would count itself). */
static void test_jitter_records_each_gap_once(void **state)
{
	struct ps_hist *h = *state;
	struct ps_jitter_config c;
	struct ps_jitter_result r;
	char err[256] = "";

	ps_jitter_config_default(&c);
	c.cpu = 0;
	c.duration_ns = 50000000;
	c.threshold_ns = 500;
	assert_int_equal(ps_jitter_measure(&c, h, &r, err, sizeof(err)), 0);
	assert_int_equal(r.cpu, 0);
	assert_int_equal(r.threshold_ns, 500);
	assert_true(r.elapsed_ns >= 49000000 && r.elapsed_ns < 5000000000ull);
	assert_true(r.reads > 1000);
	assert_true(r.hiccups < r.reads);
	assert_int_equal(ps_hist_count(h), r.hiccups);
	assert_true(r.lost_ns <= r.elapsed_ns);
	assert_true(r.lost_ns >=
		    r.hiccups * 495); /* each >= the threshold, to the clock's rounding */
	assert_true(r.step_ns > 0 && r.step_ns < 500);
	if (r.hiccups)
		assert_true(ps_hist_min(h) >= 495);
}

struct hog {
	atomic_bool stop;
};

static int hog_main(void *arg)
{
	struct hog *g = arg;

	/* Relaxed: a stop flag, nothing else is published with it. */
	while (!atomic_load_explicit(&g->stop, memory_order_relaxed))
		;
	return 0;
}

/* A second thread spinning on the same CPU takes about half of it: the
 * scheduler's time slices must show up as lost time and long hiccups. */
static void test_jitter_sees_a_competitor_take_the_cpu(void **state)
{
	struct ps_hist *h = *state;
	struct ps_thread_attr a = PS_THREAD_ATTR_INIT;
	struct ps_jitter_config c;
	struct ps_jitter_result r;
	struct ps_thread t;
	struct hog g;
	char err[256] = "";

	atomic_init(&g.stop, false);
	a.cpu = 0;
	assert_int_equal(ps_thread_start(&t, &a, hog_main, &g, err, sizeof(err)), 0);
	ps_jitter_config_default(&c);
	c.cpu = 0;
	c.duration_ns = 300000000;
	int rc = ps_jitter_measure(&c, h, &r, err, sizeof(err));
	/* Relaxed: see hog_main. */
	atomic_store_explicit(&g.stop, true, memory_order_relaxed);
	assert_int_equal(ps_thread_join(&t, NULL), 0);
	assert_int_equal(rc, 0);
	assert_true(r.lost_ns * 5 >= r.elapsed_ns); /* at least 20% (a fair share: 50%) */
	assert_true(ps_hist_max(h) >= 100000);      /* slices, not interrupts */
}

/* The text (json = false) or JSON report of r and h, into buf. */
static void report(char *buf, size_t len, const struct ps_jitter_result *r, const struct ps_hist *h,
		   bool json)
{
	FILE *f = fmemopen(buf, len, "w");

	assert_non_null(f);
	assert_int_equal(json ? ps_jitter_print_json(f, r, h) : ps_jitter_print(f, r, h), 0);
	assert_int_equal(fclose(f), 0);
}

static void test_jitter_hit_chance_and_reports(void **state)
{
	struct ps_hist *h = *state;
	struct ps_jitter_result r = { .cpu = 3,
				      .threshold_ns = 1000,
				      .elapsed_ns = 1000000,
				      .reads = 99,
				      .hiccups = 10,
				      .lost_ns = 24000,
				      .step_ns = 9 };
	char buf[2048];

	/* 10 hiccups in 1 ms: a 1 us path meets one 1% of the time. */
	assert_true(ps_jitter_hit_chance(&r, 1000) > 0.0099 &&
		    ps_jitter_hit_chance(&r, 1000) < 0.0101);
	assert_true(ps_jitter_hit_chance(&r, 1000000) == 1.0);
	struct ps_jitter_result z = { 0 };
	assert_true(ps_jitter_hit_chance(&z, 1000) == 0.0);

	for (int i = 0; i < 6; i++)
		ps_hist_record(h, 1500); /* "< 2 us" */
	for (int i = 0; i < 3; i++)
		ps_hist_record(h, 3000); /* "2-5 us" */
	ps_hist_record(h, 3000000);      /* ">= 1 ms" */

	/* A 1 us path meets one of the 10 hiccups 1% of the time: at p99 that is
	 * allowed, so the p99 is the path itself. At p99.7 (0.3%: 3 of them) the
	 * 3 ms one and two of the 3 us ones could be, but hiccups longer than
	 * 1.5 us are 4: the p99.7 is stretched to the 3 us ones' bucket edge. At
	 * p99.95 (half a hiccup) even the 3 ms one alone is too many. */
	assert_int_equal(ps_jitter_path_percentile(&r, h, 1000, 99), 1000);
	assert_int_equal(ps_jitter_path_percentile(&r, h, 1000, 99.7),
			 1000 + ps_hist_bucket_high(ps_hist__index(3000)));
	assert_int_equal(ps_jitter_path_percentile(&r, h, 1000, 99.95),
			 1000 + ps_hist_bucket_high(ps_hist__index(3000000)));
	/* Bad arguments: the path itself. */
	assert_int_equal(ps_jitter_path_percentile(&r, h, 1000, 100), 1000);
	assert_int_equal(ps_jitter_path_percentile(&z, h, 1000, 99), 1000);

	report(buf, sizeof(buf), &r, h, false);
	assert_non_null(strstr(buf, "CPU 3: 0.00 s spun, 99 clock reads (loop step 9 ns)"));
	assert_non_null(strstr(buf, "hiccups >= 1000 ns: 10 (10000.0/s), 2.400% of the time lost"));
	assert_non_null(
	    strstr(buf, "a 1 us path starting while the thread runs: hit 1.000% of the time"));
	assert_non_null(strstr(buf, "finds the thread away 2.400% of the time"));
	assert_non_null(strstr(buf, "  < 2 us              6   6000.00/s\n"));
	assert_non_null(strstr(buf, "  2-5 us              3   3000.00/s\n"));
	assert_non_null(strstr(buf, "  >= 1 ms             1   1000.00/s\n"));
	assert_null(strstr(buf, "5-10 us")); /* empty classes are left out */

	report(buf, sizeof(buf), &r, h, true);
	assert_non_null(strstr(buf, "{\"cpu\":3,\"threshold_ns\":1000,\"elapsed_ns\":1000000,"));
	assert_non_null(strstr(buf, "\"hiccups\":10,\"lost_ns\":24000,"));
	assert_non_null(strstr(buf, "\"< 2 us\":6,\"2-5 us\":3,\"5-10 us\":0,"));
	assert_non_null(strstr(buf, "\">= 1 ms\":1}}\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jitter_rejects_bad_configs_by_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_jitter_records_each_gap_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jitter_sees_a_competitor_take_the_cpu, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_jitter_hit_chance_and_reports, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
