/*
 * SPSC ring benchmarks: perseus ps_ring_spsc against DPDK rte_ring (SP/SC,
 * element API, on plain memory without EAL) and Concurrency Kit ck_ring
 * (SPSC), in the same binary and run, so ratios are meaningful on a noisy box.
 *
 *   ring/throughput/<impl>/single/{8B,64B}   one item per call
 *   ring/throughput/<impl>/burst32/{8B,64B}  bursts of up to 32 (ck_ring has
 *                                            no burst call: 32 single calls)
 *   ring/rtt/<impl>/{8B,64B}                 ping-pong over two rings; p50,
 *                                            p99, p99.9 in ns from rdtsc; the
 *                                            waiting sides poll flat out
 *   ring/rtt/<impl>/pause/{8B,64B}           the same, the waiting sides
 *                                            pausing between polls
 *   ring/bytes/perseus/claim_commit/32B      byte ring, 32-byte records
 *   ring/rtt_paired/all/8B                   the three round trips taking
 *                                            turns in one run
 *   ring/throughput_paired/all/{8B,64B}      the three single-item rates
 *                                            taking turns in one run
 *
 * Throughput: a producer thread (started inside the body, pinned to the first
 * allowed CPU) fills the ring flat out; the benchmark thread (pinned to the
 * second) drains it; one iteration is one item, timed in wall-clock time.
 * All rings have 1024 slots (ck_ring and rte_ring hold 1023).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ck_ring.h>

#include <ps/ring_bytes.h>
#include <ps/ring_spsc.h>

#include "harness.h"

#ifdef PS_HAVE_DPDK
#include <rte_ring.h>
#include <rte_ring_elem.h>
#endif

/* Iteration counts are overridable (ck benchmark/ style). */
#ifndef RING_SLOTS
#define RING_SLOTS 1024u
#endif
#ifndef RTT_SAMPLES
#define RTT_SAMPLES (1u << 20)
#endif
#define BURST 32u

struct obj64 {
	uint64_t w[8];
};

/* ---- pinning and timing helpers ----------------------------------------- */

static int nth_cpu(const cpu_set_t *set, int idx)
{
	int seen = 0;

	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, set) && seen++ == idx)
			return c;
	}
	return -1;
}

/* Pin the calling thread to its idx-th allowed CPU (of the process mask). */
static void pin_self(const cpu_set_t *allowed, int idx)
{
	int cpu = nth_cpu(allowed, idx);
	cpu_set_t one;

	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
}

static inline void relax(void)
{
	__builtin_ia32_pause();
}

static inline uint64_t tsc(void)
{
	return __builtin_ia32_rdtsc();
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* TSC ticks per ns, measured once against CLOCK_MONOTONIC over 20 ms. */
static double tsc_per_ns(void)
{
	static double v;

	if (v == 0) {
		double t0 = now_s(), t1;
		uint64_t c0 = tsc(), c1;

		do {
			t1 = now_s();
		} while (t1 - t0 < 0.02);
		c1 = tsc();
		v = (double)(c1 - c0) / ((t1 - t0) * 1e9);
	}
	return v;
}

/* ---- the queues under test behind one set of inline calls --------------- */

/*
 * One struct for every implementation; each bench uses one member. The hot
 * calls below are static inline with constant element sizes, so each
 * benchmark loop compiles to the implementation's own inlined fast path.
 *
 * Each ring's control block starts its own 128-byte pair (the run that holds
 * them is allocated on 128 bytes too), so where one implementation's lines
 * fall does not depend on the size of another's: packed one after the other,
 * a change to our struct had moved ck_ring's two index lines into or out of
 * one adjacent-line pair, and its rate moved with them (bench/HISTORY.md).
 * ck_ring's two indexes (64 bytes apart) now always share one pair.
 */
struct q {
	alignas(128) struct ps_ring_spsc ps;
	alignas(128) struct ck_ring ck;
	alignas(128) struct ps_ring_bytes bytes;
	void *ck_buf;
	void *mem;
#ifdef PS_HAVE_DPDK
	struct rte_ring *rte;
#endif
};

enum impl { IMPL_PERSEUS, IMPL_RTE, IMPL_CK };
#define N_IMPL 3

/* The implementations' names as the benchmark names and counters spell them. */
static const char *const impl_names[N_IMPL] = { "perseus", "rte_ring", "ck_ring" };

/* 0, or a reason the queue could not be built (the bench is skipped). */
static const char *q_init(struct q *q, enum impl impl, uint32_t esize)
{
	memset(q, 0, sizeof(*q));
	switch (impl) {
	case IMPL_PERSEUS:
		if (posix_memalign(&q->mem, 64, ps_ring_spsc_memsize(RING_SLOTS, esize)) != 0)
			return "out of memory";
		if (ps_ring_spsc_init(&q->ps, q->mem, RING_SLOTS, esize) != 0)
			return "ps_ring_spsc_init failed";
		return NULL;
	case IMPL_CK:
		if (posix_memalign(&q->ck_buf, 64, (size_t)RING_SLOTS * esize) != 0)
			return "out of memory";
		ck_ring_init(&q->ck, RING_SLOTS);
		return NULL;
	case IMPL_RTE:
#ifdef PS_HAVE_DPDK
	{
		ssize_t len = rte_ring_get_memsize_elem(esize, RING_SLOTS);

		if (len < 0 || posix_memalign(&q->mem, 64, (size_t)len) != 0)
			return "rte_ring_get_memsize_elem failed";
		q->rte = q->mem;
		if (rte_ring_init(q->rte, "bench", RING_SLOTS, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
			return "rte_ring_init failed";
		return NULL;
	}
#else
		return "built without DPDK";
#endif
	}
	return "unknown implementation";
}

static void q_fini(struct q *q, enum impl impl)
{
	if (impl == IMPL_PERSEUS && q->mem != NULL)
		ps_ring_spsc_fini(&q->ps);
	free(q->mem);
	free(q->ck_buf);
}

/* perseus: the slot length is fixed at init; the switch inside predicts. */
static inline bool ps_enq(struct q *q, const void *o)
{
	return ps_ring_spsc_enqueue(&q->ps, o);
}
static inline bool ps_deq(struct q *q, void *o)
{
	return ps_ring_spsc_dequeue(&q->ps, o);
}
static inline uint32_t ps_enq_n(struct q *q, const void *o, uint32_t n)
{
	return ps_ring_spsc_enqueue_burst(&q->ps, o, n);
}
static inline uint32_t ps_deq_n(struct q *q, void *o, uint32_t n)
{
	return ps_ring_spsc_dequeue_burst(&q->ps, o, n);
}

/* ck_ring: 8-byte items are its native pointer-sized values. */
CK_RING_PROTOTYPE(obj64, obj64)

static inline bool ck_enq8(struct q *q, const void *o)
{
	void *v;

	memcpy(&v, o, sizeof(v));
	return ck_ring_enqueue_spsc(&q->ck, q->ck_buf, v);
}
static inline bool ck_deq8(struct q *q, void *o)
{
	void *v;

	if (!ck_ring_dequeue_spsc(&q->ck, q->ck_buf, &v))
		return false;
	memcpy(o, &v, sizeof(v));
	return true;
}
static inline bool ck_enq64(struct q *q, const void *o)
{
	return ck_ring_enqueue_spsc_obj64(&q->ck, q->ck_buf, (struct obj64 *)o);
}
static inline bool ck_deq64(struct q *q, void *o)
{
	return ck_ring_dequeue_spsc_obj64(&q->ck, q->ck_buf, o);
}
/* No burst call in ck_ring's SPSC API: a loop of single calls. */
static inline uint32_t ck_enq8_n(struct q *q, const void *o, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && ck_enq8(q, (const uint8_t *)o + i * 8))
		i++;
	return i;
}
static inline uint32_t ck_deq8_n(struct q *q, void *o, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && ck_deq8(q, (uint8_t *)o + i * 8))
		i++;
	return i;
}
static inline uint32_t ck_enq64_n(struct q *q, const void *o, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && ck_enq64(q, (const uint8_t *)o + i * 64))
		i++;
	return i;
}
static inline uint32_t ck_deq64_n(struct q *q, void *o, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && ck_deq64(q, (uint8_t *)o + i * 64))
		i++;
	return i;
}

#ifdef PS_HAVE_DPDK
static inline bool rte_enq8(struct q *q, const void *o)
{
	return rte_ring_sp_enqueue_elem(q->rte, (void *)o, 8) == 0;
}
static inline bool rte_deq8(struct q *q, void *o)
{
	return rte_ring_sc_dequeue_elem(q->rte, o, 8) == 0;
}
static inline bool rte_enq64(struct q *q, const void *o)
{
	return rte_ring_sp_enqueue_elem(q->rte, (void *)o, 64) == 0;
}
static inline bool rte_deq64(struct q *q, void *o)
{
	return rte_ring_sc_dequeue_elem(q->rte, o, 64) == 0;
}
static inline uint32_t rte_enq8_n(struct q *q, const void *o, uint32_t n)
{
	return rte_ring_sp_enqueue_burst_elem(q->rte, o, 8, n, NULL);
}
static inline uint32_t rte_deq8_n(struct q *q, void *o, uint32_t n)
{
	return rte_ring_sc_dequeue_burst_elem(q->rte, o, 8, n, NULL);
}
static inline uint32_t rte_enq64_n(struct q *q, const void *o, uint32_t n)
{
	return rte_ring_sp_enqueue_burst_elem(q->rte, o, 64, n, NULL);
}
static inline uint32_t rte_deq64_n(struct q *q, void *o, uint32_t n)
{
	return rte_ring_sc_dequeue_burst_elem(q->rte, o, 64, n, NULL);
}
#endif

/* ---- shared run state ---------------------------------------------------- */

struct run {
	struct q a; /* throughput: the ring; rtt: ping (bench thread -> echo) */
	struct q b; /* rtt: pong (echo -> bench thread) */
	cpu_set_t allowed;
	alignas(64) _Atomic int ready;     /* helper thread is pinned and running */
	alignas(64) _Atomic int stop;      /* bench thread is done */
	alignas(64) uint64_t helper_waits; /* helper's failed calls; read after join */
};

/* Relaxed: flags only; the ring calls carry the data ordering, and
 * pthread_join orders everything at the end. */
static inline bool run_stopped(struct run *r)
{
	return atomic_load_explicit(&r->stop, memory_order_relaxed) != 0;
}

static void run_wait_ready(struct run *r)
{
	/* Relaxed: as run_stopped. */
	while (atomic_load_explicit(&r->ready, memory_order_relaxed) == 0)
		relax();
}

static void run_set(_Atomic int *flag)
{
	/* Relaxed: as run_stopped. */
	atomic_store_explicit(flag, 1, memory_order_relaxed);
}

/* Starts fn pinned to CPU #0; pins the bench thread to CPU #1 and returns the
 * bench thread's old mask in *saved. */
static int run_start(struct run *r, pthread_t *t, void *(*fn)(void *), cpu_set_t *saved)
{
	pthread_getaffinity_np(pthread_self(), sizeof(*saved), saved);
	r->allowed = *saved;
	if (pthread_create(t, NULL, fn, r) != 0)
		return -EAGAIN;
	pin_self(&r->allowed, 1);
	run_wait_ready(r);
	return 0;
}

static void run_finish(struct run *r, pthread_t t, const cpu_set_t *saved)
{
	run_set(&r->stop);
	pthread_join(t, NULL);
	pthread_setaffinity_np(pthread_self(), sizeof(*saved), saved);
}

/* Ends a run of run_new (ring b is zeroed memory where it was not used). */
static void run_free(struct run *r, enum impl impl)
{
	q_fini(&r->a, impl);
	q_fini(&r->b, impl);
	free(r);
}

/* A run over one ring (a) or two (a and b) of esize-byte items, with fn
 * started on CPU #0; NULL (the benchmark skipped, nothing left behind) when
 * memory, a ring or the thread cannot be had. */
static struct run *run_new(struct ps_bench *b, enum impl impl, uint32_t esize, bool two,
			   pthread_t *t, void *(*fn)(void *), cpu_set_t *saved)
{
	struct run *r = NULL;
	const char *why;

	if (posix_memalign((void **)&r, 128, sizeof(*r)) != 0) {
		ps_bench_skip(b, "out of memory");
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	why = q_init(&r->a, impl, esize);
	if (why == NULL && two)
		why = q_init(&r->b, impl, esize);
	if (why != NULL || run_start(r, t, fn, saved) != 0) {
		ps_bench_skip(b, why != NULL ? why : "pthread_create failed");
		run_free(r, impl);
		return NULL;
	}
	return r;
}

/* ---- throughput ----------------------------------------------------------- */

/*
 * TPUT(name, impl, esize, ENQ, DEQ, n): producer pushes numbered items (the
 * number in word 0) with ENQ(q, objs, n) -> count; the bench thread pulls
 * one iteration's worth with DEQ and sums word 0 so nothing is optimised out.
 */
#define TPUT(name, impl, esize, ENQ, DEQ, nper)                                                  \
	static void *name##_producer(void *arg)                                                  \
	{                                                                                        \
		struct run *r = arg;                                                             \
		alignas(64) uint8_t objs[(nper) * (esize)];                                      \
		uint64_t seq = 0, waits = 0;                                                     \
                                                                                                 \
		memset(objs, 0, sizeof(objs));                                                   \
		pin_self(&r->allowed, 0);                                                        \
		run_set(&r->ready);                                                              \
		while (!run_stopped(r)) {                                                        \
			uint32_t k;                                                              \
                                                                                                 \
			for (uint32_t i = 0; i < (nper); i++)                                    \
				memcpy(objs + i * (esize), &(uint64_t){ seq + i }, 8);           \
			k = ENQ(&r->a, objs, (nper));                                            \
			if (k == 0) {                                                            \
				waits++;                                                         \
				relax();                                                         \
			}                                                                        \
			seq += k;                                                                \
		}                                                                                \
		r->helper_waits = waits;                                                         \
		return NULL;                                                                     \
	}                                                                                        \
	/* Pulls n items; adds their word 0 to *sum and failed dequeues to *waits. */            \
	static void name##_drain(struct run *r, uint64_t n, uint64_t *sum, uint64_t *waits)      \
	{                                                                                        \
		alignas(64) uint8_t objs[(nper) * (esize)];                                      \
		uint64_t got = 0;                                                                \
                                                                                                 \
		while (got < n) {                                                                \
			uint64_t want = n - got < (nper) ? n - got : (nper);                     \
			uint32_t k = DEQ(&r->a, objs, (uint32_t)want);                           \
                                                                                                 \
			if (k == 0) {                                                            \
				(*waits)++;                                                      \
				relax();                                                         \
				continue;                                                        \
			}                                                                        \
			for (uint32_t i = 0; i < k; i++) {                                       \
				uint64_t w;                                                      \
                                                                                                 \
				memcpy(&w, objs + i * (esize), 8);                               \
				*sum += w;                                                       \
			}                                                                        \
			got += k;                                                                \
		}                                                                                \
	}                                                                                        \
	static void name(struct ps_bench *b)                                                     \
	{                                                                                        \
		uint64_t n, total = 0, sum = 0, waits = 0;                                       \
		cpu_set_t saved;                                                                 \
		pthread_t t;                                                                     \
		struct run *r = run_new(b, (impl), (esize), false, &t, name##_producer, &saved); \
                                                                                                 \
		if (r == NULL)                                                                   \
			return;                                                                  \
		while ((n = ps_bench_batch(b, 1u << 16)) != 0) {                                 \
			name##_drain(r, n, &sum, &waits);                                        \
			total += n;                                                              \
		}                                                                                \
		run_finish(r, t, &saved);                                                        \
		ps_bench_keep(&sum);                                                             \
		ps_bench_items(b, (int64_t)total);                                               \
		/* Which edge the run sat on: failed enqueues (full), dequeues (empty). */       \
		ps_bench_counter(b, "full_per_item", (double)r->helper_waits / (double)total);   \
		ps_bench_counter(b, "empty_per_item", (double)waits / (double)total);            \
		run_free(r, (impl));                                                             \
	}

/* CHUNK(name, impl, esize): name##_chunk(b, items), one run of TPUT's name
 * over items on a fresh ring and producer thread, timed alone (for the paired
 * benchmark below): items per second, or 0 when it could not be set up. */
#define CHUNK(name, impl, esize)                                                                 \
	static double name##_chunk(struct ps_bench *b, uint64_t items)                           \
	{                                                                                        \
		uint64_t sum = 0, waits = 0, t0;                                                 \
		cpu_set_t saved;                                                                 \
		pthread_t t;                                                                     \
		struct run *r = run_new(b, (impl), (esize), false, &t, name##_producer, &saved); \
                                                                                                 \
		if (r == NULL)                                                                   \
			return 0;                                                                \
		t0 = tsc();                                                                      \
		name##_drain(r, items, &sum, &waits);                                            \
		t0 = tsc() - t0;                                                                 \
		run_finish(r, t, &saved);                                                        \
		ps_bench_keep(&sum);                                                             \
		run_free(r, (impl));                                                             \
		return t0 ? (double)items * 1e9 * tsc_per_ns() / (double)t0 : 0;                 \
	}

/* Single-item calls presented through the n-item shape used by TPUT. */
#define SINGLE(fn)                                                      \
	static inline uint32_t fn##_1(struct q *q, void *o, uint32_t n) \
	{                                                               \
		(void)n;                                                \
		return fn(q, o) ? 1u : 0u;                              \
	}
SINGLE(ps_enq)
SINGLE(ps_deq)
SINGLE(ck_enq8)
SINGLE(ck_deq8)
SINGLE(ck_enq64)
SINGLE(ck_deq64)

TPUT(bench_ring_tput_perseus_single_8, IMPL_PERSEUS, 8, ps_enq_1, ps_deq_1, 1)
TPUT(bench_ring_tput_perseus_single_64, IMPL_PERSEUS, 64, ps_enq_1, ps_deq_1, 1)
TPUT(bench_ring_tput_perseus_burst_8, IMPL_PERSEUS, 8, ps_enq_n, ps_deq_n, BURST)
TPUT(bench_ring_tput_perseus_burst_64, IMPL_PERSEUS, 64, ps_enq_n, ps_deq_n, BURST)
TPUT(bench_ring_tput_ck_single_8, IMPL_CK, 8, ck_enq8_1, ck_deq8_1, 1)
TPUT(bench_ring_tput_ck_single_64, IMPL_CK, 64, ck_enq64_1, ck_deq64_1, 1)
TPUT(bench_ring_tput_ck_burst_8, IMPL_CK, 8, ck_enq8_n, ck_deq8_n, BURST)
TPUT(bench_ring_tput_ck_burst_64, IMPL_CK, 64, ck_enq64_n, ck_deq64_n, BURST)
CHUNK(bench_ring_tput_perseus_single_8, IMPL_PERSEUS, 8)
CHUNK(bench_ring_tput_perseus_single_64, IMPL_PERSEUS, 64)
CHUNK(bench_ring_tput_ck_single_8, IMPL_CK, 8)
CHUNK(bench_ring_tput_ck_single_64, IMPL_CK, 64)

PS_BENCH("ring/throughput/perseus/single/8B", bench_ring_tput_perseus_single_8, 0,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/perseus/single/64B", bench_ring_tput_perseus_single_64, 0,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/perseus/burst32/8B", bench_ring_tput_perseus_burst_8, 0,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/perseus/burst32/64B", bench_ring_tput_perseus_burst_64, 0,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/ck_ring/single/8B", bench_ring_tput_ck_single_8, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/ck_ring/single/64B", bench_ring_tput_ck_single_64, 0,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/ck_ring/burst32/8B", bench_ring_tput_ck_burst_8, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/ck_ring/burst32/64B", bench_ring_tput_ck_burst_64, 0,
	 PS_BENCH_F_REAL_TIME);

#ifdef PS_HAVE_DPDK
SINGLE(rte_enq8)
SINGLE(rte_deq8)
SINGLE(rte_enq64)
SINGLE(rte_deq64)
TPUT(bench_ring_tput_rte_single_8, IMPL_RTE, 8, rte_enq8_1, rte_deq8_1, 1)
TPUT(bench_ring_tput_rte_single_64, IMPL_RTE, 64, rte_enq64_1, rte_deq64_1, 1)
TPUT(bench_ring_tput_rte_burst_8, IMPL_RTE, 8, rte_enq8_n, rte_deq8_n, BURST)
TPUT(bench_ring_tput_rte_burst_64, IMPL_RTE, 64, rte_enq64_n, rte_deq64_n, BURST)
CHUNK(bench_ring_tput_rte_single_8, IMPL_RTE, 8)
CHUNK(bench_ring_tput_rte_single_64, IMPL_RTE, 64)
PS_BENCH("ring/throughput/rte_ring/single/8B", bench_ring_tput_rte_single_8, 0,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/rte_ring/single/64B", bench_ring_tput_rte_single_64, 0,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/rte_ring/burst32/8B", bench_ring_tput_rte_burst_8, 0,
	 PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput/rte_ring/burst32/64B", bench_ring_tput_rte_burst_64, 0,
	 PS_BENCH_F_REAL_TIME);
#endif

/* ---- round-trip latency --------------------------------------------------- */

/*
 * What a waiting side does between polls of an empty ring: nothing, or a
 * pause (what Perseus's own spinning idle strategy does, as do DPDK's
 * rte_pause loops and ck_pr_stall). Both are measured (ring/rtt/<impl>/ and
 * ring/rtt/<impl>/pause/): neither is best for every ring. Sixth session of
 * 2026-12-07, 6 interleaved runs, p50: polling flat out rte_ring 479, ck_ring
 * 433, ours 509 ns; pausing 480, 485, 419 ns. (A throwaway lab found the same
 * for a minimal clone of our protocol, cached indexes and all: 451-463 ns
 * polling flat out, 362-388 pausing, ck_ring 480-500 either way; most likely
 * the publishing store's ownership request competes with the flat-out reads
 * of its line: bench/HISTORY.md.) -DRTT_SPIN=relax makes the flat-out
 * benchmarks (and ring/rtt_paired) pause too.
 */
#define RTT_NOWAIT() ((void)0)
#ifndef RTT_SPIN
#define RTT_SPIN RTT_NOWAIT
#endif

static uint64_t rtt_samples[RTT_SAMPLES];

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sorts the first n samples and reports p50/p99/p99.9 (and max) in ns. */
static void rtt_report(struct ps_bench *b, uint64_t n)
{
	double per_ns = tsc_per_ns();

	if (n > RTT_SAMPLES)
		n = RTT_SAMPLES;
	if (n == 0)
		return;
	qsort(rtt_samples, n, sizeof(rtt_samples[0]), cmp_u64);
	/* Nearest-rank percentiles: sample index floor(n * p). */
	size_t i50 = n / 2, i99 = n * 99 / 100, i999 = n * 999 / 1000;

	ps_bench_counter(b, "p50_ns", (double)rtt_samples[i50] / per_ns);
	ps_bench_counter(b, "p99_ns", (double)rtt_samples[i99] / per_ns);
	ps_bench_counter(b, "p999_ns", (double)rtt_samples[i999] / per_ns);
	ps_bench_counter(b, "max_ns", (double)rtt_samples[n - 1] / per_ns);
}

/*
 * RTT(name, impl, esize, ENQ, DEQ): the echo thread moves every esize-byte
 * item from ring a to ring b; the bench thread stamps rdtsc, writes the item
 * word by word (as a producer builds an event just before it sends it),
 * sends, waits for the echo and records the round trip. One iteration is one
 * round trip. The item buffers hold 64 bytes whatever esize is (the static
 * analyser cannot see that rte_ring's copy loop never reads past esize).
 */
#define RTT(name, impl, esize, ENQ, DEQ, WAIT)                                       \
	static void *name##_echo(void *arg)                                          \
	{                                                                            \
		struct run *r = arg;                                                 \
		alignas(64) uint64_t v[8] = { 0 };                                   \
                                                                                     \
		pin_self(&r->allowed, 0);                                            \
		run_set(&r->ready);                                                  \
		while (!run_stopped(r)) {                                            \
			if (!DEQ(&r->a, v)) {                                        \
				WAIT();                                              \
				continue;                                            \
			}                                                            \
			while (!ENQ(&r->b, v))                                       \
				relax();                                             \
		}                                                                    \
		return NULL;                                                         \
	}                                                                            \
	static void name(struct ps_bench *b)                                         \
	{                                                                            \
		alignas(64) uint64_t v[8] = { 0 }, back[8] = { 0 };                  \
		uint64_t n, total = 0;                                               \
		cpu_set_t saved;                                                     \
		pthread_t t;                                                         \
		struct run *r;                                                       \
                                                                                     \
		tsc_per_ns();                                                        \
		r = run_new(b, (impl), (esize), true, &t, name##_echo, &saved);      \
		if (r == NULL)                                                       \
			return;                                                      \
		while ((n = ps_bench_batch(b, 1u << 14)) != 0) {                     \
			for (uint64_t i = 0; i < n; i++) {                           \
				uint64_t t0 = tsc(), seq = back[0] + 1;              \
                                                                                     \
				for (uint32_t w = 0; w < (esize) / 8; w++)           \
					v[w] = seq + w;                              \
				while (!ENQ(&r->a, v))                               \
					relax();                                     \
				while (!DEQ(&r->b, back))                            \
					WAIT();                                      \
				rtt_samples[(total + i) % RTT_SAMPLES] = tsc() - t0; \
			}                                                            \
			total += n;                                                  \
		}                                                                    \
		run_finish(r, t, &saved);                                            \
		ps_bench_keep(back);                                                 \
		rtt_report(b, total);                                                \
		ps_bench_items(b, (int64_t)total);                                   \
		run_free(r, (impl));                                                 \
	}

RTT(bench_ring_rtt_perseus_8, IMPL_PERSEUS, 8, ps_enq, ps_deq, RTT_SPIN)
RTT(bench_ring_rtt_perseus_64, IMPL_PERSEUS, 64, ps_enq, ps_deq, RTT_SPIN)
RTT(bench_ring_rtt_ck_8, IMPL_CK, 8, ck_enq8, ck_deq8, RTT_SPIN)
RTT(bench_ring_rtt_ck_64, IMPL_CK, 64, ck_enq64, ck_deq64, RTT_SPIN)
RTT(bench_ring_rtt_perseus_8p, IMPL_PERSEUS, 8, ps_enq, ps_deq, relax)
RTT(bench_ring_rtt_perseus_64p, IMPL_PERSEUS, 64, ps_enq, ps_deq, relax)
RTT(bench_ring_rtt_ck_8p, IMPL_CK, 8, ck_enq8, ck_deq8, relax)
RTT(bench_ring_rtt_ck_64p, IMPL_CK, 64, ck_enq64, ck_deq64, relax)
PS_BENCH("ring/rtt/perseus/8B", bench_ring_rtt_perseus_8, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/perseus/64B", bench_ring_rtt_perseus_64, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/ck_ring/8B", bench_ring_rtt_ck_8, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/ck_ring/64B", bench_ring_rtt_ck_64, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/perseus/pause/8B", bench_ring_rtt_perseus_8p, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/perseus/pause/64B", bench_ring_rtt_perseus_64p, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/ck_ring/pause/8B", bench_ring_rtt_ck_8p, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/ck_ring/pause/64B", bench_ring_rtt_ck_64p, 0, PS_BENCH_F_REAL_TIME);
#ifdef PS_HAVE_DPDK
RTT(bench_ring_rtt_rte_8, IMPL_RTE, 8, rte_enq8, rte_deq8, RTT_SPIN)
RTT(bench_ring_rtt_rte_64, IMPL_RTE, 64, rte_enq64, rte_deq64, RTT_SPIN)
RTT(bench_ring_rtt_rte_8p, IMPL_RTE, 8, rte_enq8, rte_deq8, relax)
RTT(bench_ring_rtt_rte_64p, IMPL_RTE, 64, rte_enq64, rte_deq64, relax)
PS_BENCH("ring/rtt/rte_ring/8B", bench_ring_rtt_rte_8, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/rte_ring/64B", bench_ring_rtt_rte_64, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/rte_ring/pause/8B", bench_ring_rtt_rte_8p, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/rtt/rte_ring/pause/64B", bench_ring_rtt_rte_64p, 0, PS_BENCH_F_REAL_TIME);
#endif

/* ---- byte ring: log-record-sized writes ------------------------------------ */

#define BYTES_CAPACITY (1u << 16)
#define BYTES_REC      32u

static void *bytes_producer(void *arg)
{
	struct run *r = arg;
	uint64_t seq = 0;

	pin_self(&r->allowed, 0);
	run_set(&r->ready);
	while (!run_stopped(r)) {
		uint8_t *p = ps_ring_bytes_claim(&r->a.bytes, BYTES_REC);

		if (p == NULL) {
			relax();
			continue;
		}
		/* A log record: timestamp, id and two arguments. */
		memcpy(p, &seq, 8);
		memcpy(p + 8, &(uint64_t){ seq ^ 0x5555 }, 8);
		memcpy(p + 16, &(uint64_t){ seq * 3 }, 8);
		memcpy(p + 24, &(uint64_t){ seq + 7 }, 8);
		ps_ring_bytes_commit(&r->a.bytes);
		seq++;
	}
	return NULL;
}

static void bench_ring_bytes_claim_commit_32(struct ps_bench *b)
{
	struct run *r = NULL;
	uint64_t n, total = 0, sum = 0;
	cpu_set_t saved;
	pthread_t t;

	if (posix_memalign((void **)&r, 128, sizeof(*r)) != 0) {
		ps_bench_skip(b, "out of memory");
		return;
	}
	memset(r, 0, sizeof(*r));
	if (posix_memalign(&r->a.mem, 64, ps_ring_bytes_memsize(BYTES_CAPACITY)) != 0 ||
	    ps_ring_bytes_init(&r->a.bytes, r->a.mem, BYTES_CAPACITY) != 0 ||
	    run_start(r, &t, bytes_producer, &saved) != 0) {
		ps_bench_skip(b, "setup failed");
		free(r->a.mem);
		free(r);
		return;
	}
	while ((n = ps_bench_batch(b, 1u << 16)) != 0) {
		for (uint64_t i = 0; i < n;) {
			uint32_t len;
			const uint8_t *p = ps_ring_bytes_peek(&r->a.bytes, &len);
			uint64_t w;

			if (p == NULL) {
				relax();
				continue;
			}
			memcpy(&w, p + 24, 8);
			sum += w + len;
			ps_ring_bytes_release(&r->a.bytes);
			i++;
		}
		total += n;
	}
	run_finish(r, t, &saved);
	ps_bench_keep(&sum);
	ps_bench_items(b, (int64_t)total);
	ps_ring_bytes_fini(&r->a.bytes);
	free(r->a.mem);
	free(r);
}

PS_BENCH("ring/bytes/perseus/claim_commit/32B", bench_ring_bytes_claim_commit_32, 0,
	 PS_BENCH_F_REAL_TIME);

/* ---- paired round-trip latency ---------------------------------------------- */

/*
 * ring/rtt_paired/all/8B: the three implementations take turns in chunks of
 * RTT_CHUNK round trips inside one run, so they see the same machine state
 * (on a VM the cross-core latency changes by 5x from one second to the next,
 * which swamps any difference between separate runs). The echo thread serves
 * whichever pair the bench thread selected; the switch happens only while no
 * item is in flight. Counters: <impl>_p50_ns and perseus/<peer> p50 ratios.
 */
#define RTT_CHUNK 256u

struct paired {
	struct run r[N_IMPL];         /* a/b ring pairs; only r[0]'s flags are used */
	alignas(64) _Atomic int mode; /* which pair the echo thread serves */
};

static uint64_t paired_samples[N_IMPL][RTT_SAMPLES / N_IMPL];

static inline bool paired_deq(struct paired *p, int m, uint64_t *v)
{
	switch (m) {
	case IMPL_PERSEUS:
		return ps_deq(&p->r[IMPL_PERSEUS].a, v);
	case IMPL_CK:
		return ck_deq8(&p->r[IMPL_CK].a, v);
	default:
#ifdef PS_HAVE_DPDK
		return rte_deq8(&p->r[IMPL_RTE].a, v);
#else
		return false;
#endif
	}
}

static inline bool paired_enq_back(struct paired *p, int m, const uint64_t *v)
{
	switch (m) {
	case IMPL_PERSEUS:
		return ps_enq(&p->r[IMPL_PERSEUS].b, v);
	case IMPL_CK:
		return ck_enq8(&p->r[IMPL_CK].b, v);
	default:
#ifdef PS_HAVE_DPDK
		return rte_enq8(&p->r[IMPL_RTE].b, v);
#else
		return false;
#endif
	}
}

static void *paired_echo(void *arg)
{
	struct paired *p = arg;
	struct run *ctl = &p->r[0];
	uint64_t v;

	pin_self(&ctl->allowed, 0);
	run_set(&ctl->ready);
	while (!run_stopped(ctl)) {
		/* Relaxed: the bench thread changes mode only with nothing in
		 * flight; the rings order the items themselves. */
		int m = atomic_load_explicit(&p->mode, memory_order_relaxed);

		if (!paired_deq(p, m, &v))
			continue;
		while (!paired_enq_back(p, m, &v))
			relax();
	}
	return NULL;
}

/* One round trip through the bench-side ends of impl m's pair. */
static inline uint64_t paired_rtt(struct paired *p, int m, uint64_t *v)
{
	uint64_t t0 = tsc(), back = 0;
	struct run *r = &p->r[m];

	switch (m) {
	case IMPL_PERSEUS:
		while (!ps_enq(&r->a, v))
			relax();
		while (!ps_deq(&r->b, &back))
			RTT_SPIN();
		break;
	case IMPL_CK:
		while (!ck_enq8(&r->a, v))
			relax();
		while (!ck_deq8(&r->b, &back))
			RTT_SPIN();
		break;
	default:
#ifdef PS_HAVE_DPDK
		while (!rte_enq8(&r->a, v))
			relax();
		while (!rte_deq8(&r->b, &back))
			RTT_SPIN();
#endif
		break;
	}
	*v = back + 1;
	return tsc() - t0;
}

static double p50_ns(uint64_t *s, uint64_t n)
{
	if (n == 0)
		return 0;
	size_t mid = n / 2;

	qsort(s, n, sizeof(s[0]), cmp_u64);
	return (double)s[mid] / tsc_per_ns();
}

static void bench_ring_rtt_paired_8(struct ps_bench *b)
{
	struct paired *p = NULL;
	uint64_t n, total = 0, v = 1, count[N_IMPL] = { 0 };
	int impls = 0, m = 0;
	cpu_set_t saved;
	pthread_t t;

	tsc_per_ns();
	if (posix_memalign((void **)&p, 64, sizeof(*p)) != 0) {
		ps_bench_skip(b, "out of memory");
		return;
	}
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < N_IMPL; i++) {
		if (q_init(&p->r[i].a, (enum impl)i, 8) == NULL &&
		    q_init(&p->r[i].b, (enum impl)i, 8) == NULL)
			impls |= 1 << i;
	}
	if ((impls & 1) == 0 || run_start(&p->r[0], &t, paired_echo, &saved) != 0) {
		ps_bench_skip(b, "setup failed");
		goto out;
	}
	while ((n = ps_bench_batch(b, RTT_CHUNK)) != 0) {
		/* Next available implementation; nothing is in flight here. */
		do
			m = (m + 1) % N_IMPL;
		while ((impls & (1 << m)) == 0);
		/* Relaxed: the echo thread is idle (every item came back). */
		atomic_store_explicit(&p->mode, m, memory_order_relaxed);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t c = paired_rtt(p, m, &v);

			paired_samples[m][count[m]++ % (RTT_SAMPLES / N_IMPL)] = c;
		}
		total += n;
	}
	run_finish(&p->r[0], t, &saved);
	ps_bench_keep(&v);
	ps_bench_items(b, (int64_t)total);
	{
		double p50[N_IMPL];
		char name[48];

		for (int i = 0; i < N_IMPL; i++) {
			uint64_t k =
			    count[i] < RTT_SAMPLES / N_IMPL ? count[i] : RTT_SAMPLES / N_IMPL;

			p50[i] = p50_ns(paired_samples[i], k);
			if (k == 0)
				continue;
			snprintf(name, sizeof(name), "%s_p50_ns", impl_names[i]);
			ps_bench_counter(b, name, p50[i]);
			if (i != IMPL_PERSEUS && p50[i] > 0) {
				snprintf(name, sizeof(name), "perseus/%s_p50", impl_names[i]);
				ps_bench_counter(b, name, p50[IMPL_PERSEUS] / p50[i]);
			}
		}
	}
out:
	for (int i = 0; i < N_IMPL; i++) {
		q_fini(&p->r[i].a, (enum impl)i);
		q_fini(&p->r[i].b, (enum impl)i);
	}
	free(p);
}

PS_BENCH("ring/rtt_paired/all/8B", bench_ring_rtt_paired_8, 0, PS_BENCH_F_REAL_TIME);

/* ---- paired single-item throughput ----------------------------------------- */

/*
 * ring/throughput_paired/all/{8B,64B}: single-item throughput of the three
 * implementations in turns inside one run, as ring/rtt_paired does for the
 * round trip: each batch of the harness is one round, in which every
 * implementation moves that many items on a fresh ring and producer thread
 * (the first of the round changes from round to round). On this VM a
 * separate run of each lands the peers anywhere in a 2-4x range; turns of a
 * few tens of milliseconds see the same machine. Counters: <impl>_per_s, the
 * median over rounds, and perseus/<peer>_rate, the median of each round's
 * ratio (> 1: ours is faster). Rounds under TPUT_ROUND_MIN items (the
 * harness's first, short probes) are run but not counted.
 */
#define TPUT_ROUND     (1u << 22)
#define TPUT_ROUND_MIN (1u << 16)
#define TPUT_ROUNDS    64

typedef double (*chunk_fn)(struct ps_bench *b, uint64_t items);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, uint32_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void tput_paired(struct ps_bench *b, const chunk_fn fn[N_IMPL])
{
	static double rate[N_IMPL][TPUT_ROUNDS], ratio[N_IMPL][TPUT_ROUNDS];
	uint64_t n, total = 0;
	uint32_t rounds = 0, first = 0;
	char name[48];

	while ((n = ps_bench_batch(b, TPUT_ROUND)) != 0) {
		double got[N_IMPL] = { 0 };

		for (uint32_t j = 0; j < N_IMPL; j++) {
			uint32_t i = (first + j) % N_IMPL;

			if (fn[i])
				got[i] = fn[i](b, n);
		}
		first++;
		total += n;
		if (n < TPUT_ROUND_MIN || rounds == TPUT_ROUNDS || got[IMPL_PERSEUS] <= 0)
			continue;
		for (uint32_t i = 0; i < N_IMPL; i++) {
			rate[i][rounds] = got[i];
			ratio[i][rounds] = got[i] > 0 ? got[IMPL_PERSEUS] / got[i] : 0;
		}
		rounds++;
	}
	ps_bench_items(b, (int64_t)total);
	ps_bench_counter(b, "rounds", rounds);
	if (rounds == 0)
		return;
	for (uint32_t i = 0; i < N_IMPL; i++) {
		if (!fn[i] || rate[i][0] <= 0)
			continue;
		snprintf(name, sizeof(name), "%s_per_s", impl_names[i]);
		ps_bench_counter(b, name, median(rate[i], rounds));
		if (i == IMPL_PERSEUS)
			continue;
		snprintf(name, sizeof(name), "perseus/%s_rate", impl_names[i]);
		ps_bench_counter(b, name, median(ratio[i], rounds));
	}
}

#ifdef PS_HAVE_DPDK
#define RTE_CHUNK(size) bench_ring_tput_rte_single_##size##_chunk
#else
#define RTE_CHUNK(size) NULL
#endif
/* The paired benchmark over the single-item runs of one item size. */
#define TPUT_PAIRED(size)                                                         \
	static void bench_ring_tput_paired_##size(struct ps_bench *b)             \
	{                                                                         \
		chunk_fn fn[N_IMPL] = { 0 };                                      \
                                                                                  \
		fn[IMPL_PERSEUS] = bench_ring_tput_perseus_single_##size##_chunk; \
		fn[IMPL_CK] = bench_ring_tput_ck_single_##size##_chunk;           \
		fn[IMPL_RTE] = RTE_CHUNK(size);                                   \
		tput_paired(b, fn);                                               \
	}
TPUT_PAIRED(8)
TPUT_PAIRED(64)

PS_BENCH("ring/throughput_paired/all/8B", bench_ring_tput_paired_8, 0, PS_BENCH_F_REAL_TIME);
PS_BENCH("ring/throughput_paired/all/64B", bench_ring_tput_paired_64, 0, PS_BENCH_F_REAL_TIME);
