/*
 * Async log: cost of a PS_LOG call on the hot thread, and records formatted
 * per second by the cold side.
 *
 * log/hot/perseus/call*: batches of PS_LOG calls timed with the TSC; the
 * ring is drained between batches (outside the timed region) so it never
 * fills. Reports the median per-call ns over batches (p50_ns) and p99_ns of
 * the batch means; the manual time is the sum of the batch times.
 *
 * log/cold/perseus/format*: a batch of records is queued (not timed), then
 * one ps_log_drain formats them into the buffer and writes it to /dev/null
 * (timed). items_per_second is records formatted per second.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <ps/clock.h>
#include <ps/log.h>

#include "harness.h"

#ifndef LOG_BENCH_RING
#define LOG_BENCH_RING (1u << 22)
#endif
#define HOT_BATCH   256u
#define COLD_BATCH  8192u
#define MAX_SAMPLES 65536u

enum variant { V_INTS, V_STR, V_FILTERED, V_MIXED };

struct log_env {
	struct ps_log log;
	struct ps_log_thread t;
	void *buf, *ring;
	int fd;
};

static int env_open(struct ps_bench *b, struct log_env *e)
{
	static bool clock_ready;
	struct ps_log_config cfg = { .level = PS_LOG_INFO };

	if (!clock_ready) {
		ps_clock_init();
		clock_ready = true;
	}
	e->fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cfg.fd = e->fd;
	e->buf = malloc(ps_log_memsize(&cfg));
	e->ring = aligned_alloc(64, ps_log_thread_memsize(LOG_BENCH_RING));
	if (e->fd < 0 || !e->buf || !e->ring || ps_log_init(&e->log, e->buf, &cfg))
		goto err;
	if (ps_log_thread_register(&e->log, &e->t, e->ring, LOG_BENCH_RING, "bench")) {
		ps_log_fini(&e->log);
		goto err;
	}
	return 0;
err:
	ps_bench_skip(b, "log setup failed");
	if (e->fd >= 0)
		close(e->fd);
	free(e->buf);
	free(e->ring);
	return -1;
}

static void env_close(struct log_env *e)
{
	ps_log_thread_unregister(&e->t);
	ps_log_fini(&e->log);
	close(e->fd);
	free(e->buf);
	free(e->ring);
}

/* n log calls of variant v, numbered from i. The switch sits outside the
 * loops so that each variant's loop is its own code: with the switch inside,
 * whether the compiler unswitched it moved the filtered call between 0.7 and
 * 2.0 ns with unrelated changes to the ring's inline code. */
static void log_n(enum variant v, uint64_t i, uint64_t n)
{
	uint64_t end = i + n;

	switch (v) {
	case V_INTS:
		for (; i < end; i++)
			PS_LOG(PS_LOG_INFO, "order %lu px %ld qty %d", (unsigned long)i, -(long)i,
			       100);
		break;
	case V_STR:
		for (; i < end; i++)
			PS_LOG(PS_LOG_INFO, "order %lu sym %s qty %d", (unsigned long)i, "AAPL",
			       100);
		break;
	case V_FILTERED:
		for (; i < end; i++)
			PS_LOG(PS_LOG_DEBUG, "order %lu px %ld qty %d", (unsigned long)i, -(long)i,
			       100);
		break;
	case V_MIXED:
		for (; i < end; i++)
			PS_LOG(PS_LOG_INFO, "order %lu sym %s px %.4f", (unsigned long)i, "AAPL",
			       (double)i * 0.01);
		break;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void bench_log_hot(struct ps_bench *b)
{
	enum variant v = (enum variant)ps_bench_arg(b);
	static double samples[MAX_SAMPLES];
	struct log_env e;
	uint64_t n, i = 0;
	size_t ns = 0;

	if (env_open(b, &e))
		return;
	while ((n = ps_bench_batch(b, HOT_BATCH)) != 0) {
		uint64_t t0 = ps_tsc(), t1;

		log_n(v, i, n);
		i += n;
		t1 = ps_tscp();
		ps_bench_set_iteration_time(b, (double)ps_tsc_to_ns(t1 - t0) * 1e-9);
		if (ns < MAX_SAMPLES)
			samples[ns++] = (double)ps_tsc_to_ns(t1 - t0) / (double)n;
		/* The cold side between batches: the ring never fills. */
		ps_log_drain(&e.log);
	}
	if (ns) {
		qsort(samples, ns, sizeof(samples[0]), cmp_double);
		ps_bench_counter(b, "p50_ns", samples[ns / 2]);
		ps_bench_counter(b, "p99_ns", samples[ns * 99 / 100]);
	}
	ps_bench_counter(b, "drops", (double)ps_log_thread_drops(&e.t));
	env_close(&e);
}

static void bench_log_cold(struct ps_bench *b)
{
	enum variant v = (enum variant)ps_bench_arg(b);
	struct log_env e;
	uint64_t n, i = 0, total = 0;

	if (env_open(b, &e))
		return;
	while ((n = ps_bench_batch(b, COLD_BATCH)) != 0) {
		uint64_t t0, t1;
		int got;

		log_n(v, i, n);
		i += n;
		t0 = ps_tsc();
		got = ps_log_drain(&e.log);
		t1 = ps_tscp();
		ps_bench_set_iteration_time(b, (double)ps_tsc_to_ns(t1 - t0) * 1e-9);
		if (got > 0)
			total += (uint64_t)got;
	}
	ps_log_flush(&e.log);
	ps_bench_items(b, (int64_t)total);
	ps_bench_counter(b, "drops", (double)ps_log_thread_drops(&e.t));
	env_close(&e);
}

PS_BENCH("log/hot/perseus/call", bench_log_hot, V_INTS, PS_BENCH_F_MANUAL_TIME);
PS_BENCH("log/hot/perseus/call_str", bench_log_hot, V_STR, PS_BENCH_F_MANUAL_TIME);
PS_BENCH("log/hot/perseus/filtered", bench_log_hot, V_FILTERED, PS_BENCH_F_MANUAL_TIME);
PS_BENCH("log/cold/perseus/format", bench_log_cold, V_INTS, PS_BENCH_F_MANUAL_TIME);
PS_BENCH("log/cold/perseus/format_str_double", bench_log_cold, V_MIXED, PS_BENCH_F_MANUAL_TIME);
