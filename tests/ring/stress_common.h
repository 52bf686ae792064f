/*
 * Shared by the ring stress tests: CPU pinning, the size scale, a wall-clock
 * cap and a spin-then-yield wait, so two busy threads on a 2-core box (or on
 * one core) always make progress.
 */
#ifndef PS_TESTS_RING_STRESS_COMMON_H
#define PS_TESTS_RING_STRESS_COMMON_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Wall-clock cap per stress run; a run that passes it fails with a message. */
#ifndef STRESS_CAP_S
#define STRESS_CAP_S 120.0
#endif

static inline double stress_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* PS_STRESS_SCALE (default 1) times a built-in factor for ThreadSanitizer,
 * which runs these loops 10-50x slower and is run without a scale. */
static inline double stress_scale(void)
{
	const char *s = getenv("PS_STRESS_SCALE");
	double scale = 1.0;

	if (s != NULL && *s != '\0') {
		char *end;
		double v = strtod(s, &end);

		if (end != s && v > 0)
			scale = v;
	}
#ifdef PS_SANITIZE_THREAD
	scale *= 0.1;
#endif
	return scale;
}

static inline uint64_t stress_scaled(uint64_t n)
{
	double v = (double)n * stress_scale();

	return v < 1000 ? 1000 : (uint64_t)v;
}

/* The idx-th CPU this process may run on, or -1 if there are not that many. */
static inline int stress_cpu(int idx)
{
	cpu_set_t set;
	int seen = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &set) && seen++ == idx)
			return c;
	}
	return -1;
}

/* Pin the calling thread to its idx-th allowed CPU (producer 0, consumer 1);
 * with fewer CPUs, or when pinning is refused, it runs unpinned. */
static inline void stress_pin(int idx)
{
	int cpu = stress_cpu(idx);
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		fprintf(stderr, "stress: could not pin to CPU %d; running unpinned\n", cpu);
}

/* Waiting for the other side: pause for a while, then yield the CPU so a
 * peer sharing the core can run. */
struct stress_wait {
	uint32_t spins;
};

static inline void stress_wait(struct stress_wait *w)
{
	if (++w->spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else {
		sched_yield();
		w->spins = 0;
	}
}

/* Shared run control: the deadline and the first failure. */
struct stress_ctl {
	double deadline;
	_Atomic int failed; /* 0, or why the run stopped */
};

enum { STRESS_OK = 0, STRESS_TIMEOUT = 1, STRESS_BAD_DATA = 2 };

static inline void stress_ctl_init(struct stress_ctl *c)
{
	c->deadline = stress_now_s() + STRESS_CAP_S;
	atomic_init(&c->failed, STRESS_OK);
}

/* True when the run must stop; checks the clock every 4096 calls. */
static inline bool stress_stop(struct stress_ctl *c, uint32_t *tick)
{
	/* Relaxed: a flag; the threads join before anyone reads their results. */
	if (atomic_load_explicit(&c->failed, memory_order_relaxed) != STRESS_OK)
		return true;
	if ((++*tick & 4095u) == 0 && stress_now_s() > c->deadline) {
		/* Relaxed: as above. */
		atomic_store_explicit(&c->failed, STRESS_TIMEOUT, memory_order_relaxed);
		return true;
	}
	return false;
}

static inline void stress_fail(struct stress_ctl *c, int why)
{
	int ok = STRESS_OK;

	/* Relaxed: keeps the first reason; ordering comes from pthread_join. */
	atomic_compare_exchange_strong_explicit(&c->failed, &ok, why, memory_order_relaxed,
						memory_order_relaxed);
}

/* splitmix64: cheap, well-mixed values from a sequence number. */
static inline uint64_t stress_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#endif /* PS_TESTS_RING_STRESS_COMMON_H */
