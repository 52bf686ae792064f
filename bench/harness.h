/*
 * C side of the benchmark harness. A benchmark body is a C function that
 * receives an opaque handle to Google Benchmark's State; it registers itself
 * with PS_BENCH so the one C++ file (perseus_bench.cc) finds it in the
 * "ps_bench" linker section. Names are slash-separated paths, e.g.
 * "ring/throughput/perseus/single/8B", so --benchmark_filter can pick by
 * component, kind or implementation.
 *
 * Loop shape (one call into C++ per batch, not per iteration):
 *
 *	uint64_t n;
 *	while ((n = ps_bench_batch(b, 1000)) != 0)
 *		for (uint64_t i = 0; i < n; i++)
 *			work(i);
 */
#ifndef PS_BENCH_HARNESS_H
#define PS_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ps_bench;
typedef void (*ps_bench_fn)(struct ps_bench *b);

#define PS_BENCH_F_MANUAL_TIME 0x1u /* body reports time with ps_bench_set_iteration_time */
#define PS_BENCH_F_REAL_TIME   0x2u /* wall clock instead of CPU time (multi-threaded bodies) */
#define PS_BENCH_F_ONCE        0x4u /* exactly one iteration (a body that runs its own loop) */

struct ps_bench_def {
	const char *name;
	ps_bench_fn fn;
	int64_t arg;    /* read with ps_bench_arg() */
	unsigned flags; /* PS_BENCH_F_* */
};

#define PS_BENCH_CAT2(a, b) a##b
#define PS_BENCH_CAT(a, b)  PS_BENCH_CAT2(a, b)
#define PS_BENCH(name_, fn_, arg_, flags_)                                     \
	static const struct ps_bench_def PS_BENCH_CAT(ps_bench_def_, __LINE__) \
	    __attribute__((used, section("ps_bench"),                          \
			   aligned(sizeof(void *)))) = { (name_), (fn_), (arg_), (flags_) }

/* Iterations to run now (up to max_batch); 0 when the benchmark is done. */
uint64_t ps_bench_batch(struct ps_bench *b, uint64_t max_batch);
int64_t ps_bench_arg(const struct ps_bench *b);
/* Counter shown in the output and JSON (e.g. "p50_ns"). */
void ps_bench_counter(struct ps_bench *b, const char *name, double value);
/* Counter reported as a rate per second (e.g. items or messages). */
void ps_bench_rate(struct ps_bench *b, const char *name, double value);
void ps_bench_items(struct ps_bench *b, int64_t items);
void ps_bench_set_iteration_time(struct ps_bench *b, double seconds);
void ps_bench_pause(struct ps_bench *b);
void ps_bench_resume(struct ps_bench *b);
void ps_bench_skip(struct ps_bench *b, const char *why);
void ps_bench_label(struct ps_bench *b, const char *label);
/* Keeps a value alive past the optimizer (Google Benchmark's DoNotOptimize). */
static inline void ps_bench_keep(const void *p)
{
	__asm__ __volatile__("" : : "g"(p) : "memory");
}

#ifdef __cplusplus
}
#endif

#endif /* PS_BENCH_HARNESS_H */
