#include <ps/alloc.h>
#include <ps/hist.h>

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NS_60S UINT64_C(60000000000)

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A value spread log-uniformly over [1, 60 s]. */
static uint64_t log_uniform(void)
{
	double e = (double)(rng() >> 11) / (double)(UINT64_C(1) << 53) * log((double)NS_60S);
	uint64_t v = (uint64_t)exp(e);
	return v ? v : 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double rel_err(uint64_t got, uint64_t want)
{
	return fabs((double)got - (double)want) / (double)want;
}

static void test_hist_buckets_tile_the_range(void **state)
{
	(void)state;
	assert_int_equal(ps_hist_bucket_low(0), 0);
	for (uint32_t i = 1; i < PS_HIST_BUCKET_COUNT; i++)
		assert_true(ps_hist_bucket_low(i) == ps_hist_bucket_high(i - 1) + 1);
	assert_true(ps_hist_bucket_high(PS_HIST_BUCKET_COUNT - 1) == PS_HIST_MAX);
	assert_true(PS_HIST_MAX >= NS_60S);
	assert_int_equal(ps_hist__index(PS_HIST_MAX), PS_HIST_BUCKET_COUNT - 1);
}

/* Every value maps to a bucket that contains it, and the bucket is at most
 * 1% wide relative to any value in it. Exhaustive on [0, 2^20), then on a
 * sample (bucket edges and random values) up to 60 s. */
static void check_value(uint64_t v)
{
	uint32_t i = ps_hist__index(v);
	assert_true(i < PS_HIST_BUCKET_COUNT);
	uint64_t lo = ps_hist_bucket_low(i), hi = ps_hist_bucket_high(i);
	if (v < lo || v > hi)
		fail_msg("value %llu in bucket %u [%llu, %llu]", (unsigned long long)v, i,
			 (unsigned long long)lo, (unsigned long long)hi);
	if (v > 0 && rel_err(hi, v) > 0.01)
		fail_msg("value %llu: bucket high %llu is %.4f%% off", (unsigned long long)v,
			 (unsigned long long)hi, 100 * rel_err(hi, v));
}

static void test_hist_relative_error_within_one_percent(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < (1u << 20); v++)
		check_value(v);
	for (unsigned e = 20; e < PS_HIST_MAX_BITS; e++) {
		for (uint64_t d = 0; d < 4096; d++) {
			check_value((UINT64_C(1) << e) + d);
			check_value((UINT64_C(1) << (e + 1)) - 1 - d);
		}
	}
	for (int k = 0; k < 1000000; k++)
		check_value(log_uniform());
	check_value(NS_60S);
	check_value(PS_HIST_MAX);
}

static void test_hist_percentiles_match_sorted_reference(void **state)
{
	(void)state;
	struct ps_hist *h;
	assert_int_equal(ps_hist_create(&h), 0);
	enum { N = 200000 };
	uint64_t *ref = ps_alloc(N * sizeof(*ref));
	uint64_t sum = 0;
	for (int i = 0; i < N; i++) {
		ref[i] = log_uniform();
		sum += ref[i];
		ps_hist_record(h, ref[i]);
	}
	qsort(ref, N, sizeof(*ref), cmp_u64);
	static const double pcts[] = { 0.001, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999 };
	for (size_t k = 0; k < PS_ARRAY_SIZE(pcts); k++) {
		uint64_t rank = (uint64_t)(pcts[k] / 100.0 * N + 0.5);
		uint64_t want = ref[rank ? rank - 1 : 0];
		uint64_t got = ps_hist_percentile(h, pcts[k]);
		if (rel_err(got, want) > 0.01)
			fail_msg("p%g: got %llu want %llu", pcts[k], (unsigned long long)got,
				 (unsigned long long)want);
	}
	assert_int_equal(ps_hist_percentile(h, 0), ref[0]);
	assert_int_equal(ps_hist_percentile(h, 100), ref[N - 1]);
	assert_int_equal(ps_hist_count(h), N);
	assert_int_equal(ps_hist_min(h), ref[0]);
	assert_int_equal(ps_hist_max(h), ref[N - 1]);
	assert_true(fabs(ps_hist_mean(h) - (double)sum / N) < 1e-6 * ((double)sum / N));
	ps_free(ref);
	ps_hist_destroy(h);
}

static void test_hist_small_values_are_exact(void **state)
{
	(void)state;
	struct ps_hist h;
	void *mem = ps_alloc_aligned(64, ps_hist_memsize());
	assert_int_equal(ps_hist_init(&h, mem), 0);
	for (uint64_t v = 1; v <= 100; v++)
		ps_hist_record(&h, v);
	assert_int_equal(ps_hist_percentile(&h, 50), 50);
	assert_int_equal(ps_hist_percentile(&h, 99), 99);
	assert_int_equal(ps_hist_percentile(&h, 100), 100);
	assert_int_equal(ps_hist_min(&h), 1);
	assert_true(ps_hist_mean(&h) == 50.5);
	ps_hist_fini(&h);
	ps_free(mem);
}

static void test_hist_clamps_above_max(void **state)
{
	(void)state;
	struct ps_hist *h;
	assert_int_equal(ps_hist_create(&h), 0);
	ps_hist_record(h, UINT64_MAX);
	assert_int_equal(ps_hist_count(h), 1);
	assert_true(ps_hist_max(h) == PS_HIST_MAX);
	ps_hist_destroy(h);
}

static void test_hist_merge_equals_recording_all(void **state)
{
	(void)state;
	struct ps_hist *a, *b, *all;
	assert_int_equal(ps_hist_create(&a), 0);
	assert_int_equal(ps_hist_create(&b), 0);
	assert_int_equal(ps_hist_create(&all), 0);
	for (int i = 0; i < 50000; i++) {
		uint64_t v = log_uniform();
		ps_hist_record((i & 1) ? a : b, v);
		ps_hist_record(all, v);
	}
	ps_hist_record_n(a, 12345, 1000);
	ps_hist_record_n(all, 12345, 1000);
	ps_hist_merge(a, b);
	assert_int_equal(ps_hist_count(a), ps_hist_count(all));
	assert_int_equal(ps_hist_min(a), ps_hist_min(all));
	assert_int_equal(ps_hist_max(a), ps_hist_max(all));
	assert_true(ps_hist_mean(a) == ps_hist_mean(all));
	assert_memory_equal(a->counts, all->counts, ps_hist_memsize());
	for (int k = 0; k <= 200; k++)
		assert_int_equal(ps_hist_percentile(a, k / 2.0), ps_hist_percentile(all, k / 2.0));

	/* Merging an empty histogram changes nothing; reset empties. */
	ps_hist_reset(b);
	ps_hist_merge(a, b);
	assert_int_equal(ps_hist_count(a), ps_hist_count(all));
	ps_hist_reset(a);
	assert_int_equal(ps_hist_count(a), 0);
	assert_int_equal(ps_hist_min(a), 0);
	assert_int_equal(ps_hist_max(a), 0);
	assert_int_equal(ps_hist_percentile(a, 50), 0);
	assert_true(ps_hist_mean(a) == 0.0);
	ps_hist_destroy(a);
	ps_hist_destroy(b);
	ps_hist_destroy(all);
	ps_hist_destroy(NULL);
}

static void test_hist_record_does_not_allocate(void **state)
{
	(void)state;
	struct ps_hist *h;
	assert_int_equal(ps_hist_create(&h), 0);
	uint64_t before = ps_alloc_count();
	for (uint64_t i = 0; i < 1000000; i++)
		ps_hist_record(h, i * 7919);
	assert_int_equal(ps_alloc_count(), before);
	ps_hist_destroy(h);
}

static void test_hist_print_hdr_format(void **state)
{
	(void)state;
	struct ps_hist *h;
	assert_int_equal(ps_hist_create(&h), 0);
	ps_hist_record(h, 25000);
	ps_hist_record(h, 50000);
	ps_hist_record(h, 75000);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(ps_hist_print_hdr(h, f), 0);
	fclose(f);
	/* The rows HdrHistogram's outputPercentileDistribution gives for 25, 50,
	 * 75 us with 5 ticks per half distance; values are bucket highs (0.35% up). */
	static const char want[] = "       Value     Percentile TotalCount 1/(1-Percentile)\n"
				   "\n"
				   "      25.087 0.000000000000          1           1.00\n"
				   "      25.087 0.100000000000          1           1.11\n"
				   "      25.087 0.200000000000          1           1.25\n"
				   "      25.087 0.300000000000          1           1.43\n"
				   "      50.175 0.400000000000          2           1.67\n"
				   "      50.175 0.500000000000          2           2.00\n"
				   "      50.175 0.550000000000          2           2.22\n"
				   "      50.175 0.600000000000          2           2.50\n"
				   "      50.175 0.650000000000          2           2.86\n"
				   "      75.000 0.700000000000          3           3.33\n"
				   "      75.000 1.000000000000          3\n"
				   "#[Mean    =       50.000, StdDeviation   =       20.406]\n"
				   "#[Max     =       75.000, Total count    =            3]\n"
				   "#[Buckets =           30, SubBuckets     =          256]\n";
	if (strcmp(text, want) != 0)
		fail_msg("got:\n%s", text);
	free(text);

	/* Empty histogram: header and footer only. */
	ps_hist_reset(h);
	f = open_memstream(&text, &len);
	assert_int_equal(ps_hist_print_hdr_scaled(h, f, 1.0), 0);
	fclose(f);
	assert_non_null(strstr(text, "Total count    =            0]"));
	free(text);
	ps_hist_destroy(h);
}

static void test_hist_init_checks_arguments(void **state)
{
	(void)state;
	struct ps_hist h;
	uint64_t mem[2];
	assert_int_equal(ps_hist_init(NULL, mem), -EINVAL);
	assert_int_equal(ps_hist_init(&h, NULL), -EINVAL);
	assert_int_equal(ps_hist_init(&h, (char *)mem + 1), -EINVAL);
	assert_int_equal(ps_hist_create(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_buckets_tile_the_range),
		cmocka_unit_test(test_hist_relative_error_within_one_percent),
		cmocka_unit_test(test_hist_percentiles_match_sorted_reference),
		cmocka_unit_test(test_hist_small_values_are_exact),
		cmocka_unit_test(test_hist_clamps_above_max),
		cmocka_unit_test(test_hist_merge_equals_recording_all),
		cmocka_unit_test(test_hist_record_does_not_allocate),
		cmocka_unit_test(test_hist_print_hdr_format),
		cmocka_unit_test(test_hist_init_checks_arguments),
	};
	return cmocka_run_group_tests_name("base_hist", tests, NULL, NULL);
}
