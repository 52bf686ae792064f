/*
 * core/base hot paths: histogram record, TSC reads and conversion, and the
 * instrument lookup. Peers in the same run: clock_gettime(CLOCK_MONOTONIC)
 * for the TSC reads.
 */
#include "harness.h"

#include <ps/alloc.h>
#include <ps/clock.h>
#include <ps/hist.h>
#include <ps/instrument.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#ifndef BENCH_BASE_VALUES
#define BENCH_BASE_VALUES 4096 /* power of two: index with a mask */
#endif

/* Latency-like values: log-uniform from 10 ns to 1 ms, fixed seed. */
static void fill_values(uint64_t *v, size_t n)
{
	uint64_t x = 0x9E3779B97F4A7C15u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double u = (double)(x >> 11) / (double)(UINT64_C(1) << 53);
		v[i] = (uint64_t)(10.0 * exp(u * log(1e5)));
	}
}

static void bench_base_hist_record(struct ps_bench *b)
{
	struct ps_hist *h;
	uint64_t *v = ps_alloc(BENCH_BASE_VALUES * sizeof(*v));
	if (!v || ps_hist_create(&h) != 0) {
		ps_free(v);
		ps_bench_skip(b, "out of memory");
		return;
	}
	fill_values(v, BENCH_BASE_VALUES);
	uint64_t n, i = 0, total = 0;
	while ((n = ps_bench_batch(b, 4096)) != 0) {
		for (uint64_t k = 0; k < n; k++, i++)
			ps_hist_record(h, v[i & (BENCH_BASE_VALUES - 1)]);
		total += n;
	}
	ps_bench_keep(h);
	ps_bench_items(b, (int64_t)total);
	ps_bench_counter(b, "p50_ns", (double)ps_hist_percentile(h, 50));
	ps_hist_destroy(h);
	ps_free(v);
}
PS_BENCH("base/hist/record/perseus/loguniform", bench_base_hist_record, 0, 0);

static void bench_base_clock_tsc(struct ps_bench *b)
{
	uint64_t n, acc = 0;
	ps_clock_init();
	while ((n = ps_bench_batch(b, 4096)) != 0)
		for (uint64_t k = 0; k < n; k++)
			acc += ps_tsc();
	ps_bench_keep(&acc);
	ps_bench_label(b, ps_clock_uses_tsc() ? "rdtsc" : "fallback clock_gettime");
}
PS_BENCH("base/clock/read/perseus/tsc", bench_base_clock_tsc, 0, 0);

static void bench_base_clock_tscp(struct ps_bench *b)
{
	uint64_t n, acc = 0;
	ps_clock_init();
	while ((n = ps_bench_batch(b, 4096)) != 0)
		for (uint64_t k = 0; k < n; k++)
			acc += ps_tscp();
	ps_bench_keep(&acc);
}
PS_BENCH("base/clock/read/perseus/tscp", bench_base_clock_tscp, 0, 0);

static void bench_base_clock_now_ns(struct ps_bench *b)
{
	uint64_t n, acc = 0;
	while ((n = ps_bench_batch(b, 4096)) != 0)
		for (uint64_t k = 0; k < n; k++)
			acc += ps_now_ns();
	ps_bench_keep(&acc);
}
PS_BENCH("base/clock/read/libc/clock_gettime", bench_base_clock_now_ns, 0, 0);

static void bench_base_clock_tsc_to_ns(struct ps_bench *b)
{
	uint64_t n, acc = 0, t = 0;
	ps_clock_init();
	while ((n = ps_bench_batch(b, 4096)) != 0)
		for (uint64_t k = 0; k < n; k++) {
			t += 1234567;
			acc += ps_tsc_to_ns(t);
		}
	ps_bench_keep(&acc);
}
PS_BENCH("base/clock/convert/perseus/tsc_to_ns", bench_base_clock_tsc_to_ns, 0, 0);

/* Lookup of ITCH-style 8-byte symbols in a table of arg instruments. */
static void bench_base_instrument_find(struct ps_bench *b)
{
	uint32_t count = (uint32_t)ps_bench_arg(b);
	struct ps_instrument_table *t;
	char(*syms)[PS_INSTRUMENT_SYMBOL_LEN] = ps_alloc((size_t)count * sizeof(*syms));
	if (!syms || ps_instrument_table_create(&t, count) != 0) {
		ps_free(syms);
		ps_bench_skip(b, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		char s[16];
		int len = snprintf(s, sizeof(s), "S%06u", i);
		ps_instrument_symbol_pack(syms[i], s, (size_t)len);
		ps_instrument_table_add(t, s, (size_t)len, 1, 1, 4, NULL);
	}
	/* Visit order precomputed so the loop has no division: a stride that
	 * is coprime with count touches every symbol. */
	uint32_t *order = ps_alloc(BENCH_BASE_VALUES * sizeof(*order));
	if (!order) {
		ps_instrument_table_destroy(t);
		ps_free(syms);
		ps_bench_skip(b, "out of memory");
		return;
	}
	for (uint32_t k = 0; k < BENCH_BASE_VALUES; k++)
		order[k] = (uint32_t)(((uint64_t)k * 7919) % count);
	uint64_t n, i = 0, acc = 0;
	while ((n = ps_bench_batch(b, 4096)) != 0)
		for (uint64_t k = 0; k < n; k++, i++)
			acc +=
			    ps_instrument_table_find(t, syms[order[i & (BENCH_BASE_VALUES - 1)]]);
	ps_bench_keep(&acc);
	ps_free(order);
	ps_instrument_table_destroy(t);
	ps_free(syms);
}
PS_BENCH("base/instrument/find/perseus/8000", bench_base_instrument_find, 8000, 0);
