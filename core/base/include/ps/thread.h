/*
 * Threads for pipeline stages: start a thread pinned to one CPU, optionally
 * SCHED_FIFO at a given priority, optionally with all memory locked
 * (mlockall), and idle strategies for the poll loop.
 *
 * Errors are negative errno plus a message in the caller's buffer that names
 * the CPU or priority, e.g. "cpu 9999 does not exist (online CPUs: 0-1)" or
 * "SCHED_FIFO priority 50 not permitted: needs CAP_SYS_NICE or RLIMIT_RTPRIO".
 *
 * Idle strategies (chosen by name from config, see ps_idle_parse):
 *   "spin"  busy spin with PAUSE: lowest wake-up latency, burns the core;
 *           for isolated cores only.
 *   "yield" spin PS_IDLE_SPINS idle rounds, then sched_yield() each round:
 *           lets other runnable threads on a shared core run.
 *   "park"  spin, then yield PS_IDLE_YIELDS rounds, then sleep with
 *           exponential backoff from PS_IDLE_PARK_MIN_NS up to
 *           PS_IDLE_PARK_MAX_NS (nanosleep): for cold or fused threads on
 *           small hosts; worst-case wake-up latency is PS_IDLE_PARK_MAX_NS
 *           plus the timer slack.
 *   "sleep" never spins: every idle round sleeps PS_IDLE_SLEEP_NS. For a
 *           thread whose work can wait that long (the cold stage: journal,
 *           log sink, metrics). It wakes about 1000 times a second whatever
 *           the traffic, drains what came meanwhile in one batch and leaves
 *           its core quiet in between; "park" instead spins and yields for
 *           tens of microseconds after every bit of work, which under steady
 *           traffic keeps the core busy all the time (and an SMT sibling, or
 *           a vCPU sharing a physical core, loses cycles to it).
 * A poll loop calls ps_idle_wait(&idle, did_work) once per iteration; any
 * iteration that did work resets the backoff.
 */
#ifndef PS_THREAD_H
#define PS_THREAD_H

#include <ps/common.h>
#include <pthread.h>

/* Idle rounds spent spinning before "yield"/"park" start yielding. At ~10-40 ns
 * per round (PAUSE is ~40 cycles on Zen, ~140 on Skylake) this is 10-50 us. */
#define PS_IDLE_SPINS 1000u
/* Yield rounds before "park" starts sleeping. */
#define PS_IDLE_YIELDS      100u
#define PS_IDLE_PARK_MIN_NS 1000u    /* first sleep: 1 us */
#define PS_IDLE_PARK_MAX_NS 1000000u /* longest sleep: 1 ms */
#define PS_IDLE_SLEEP_NS    1000000u /* "sleep": every idle round, 1 ms */

enum ps_idle_kind {
	PS_IDLE_SPIN = 0,
	PS_IDLE_YIELD = 1,
	PS_IDLE_PARK = 2,
	PS_IDLE_SLEEP = 3,
};

/* Per-thread idle state; embed one in each poll loop. Owned by that thread. */
struct ps_idle {
	enum ps_idle_kind kind;
	uint32_t rounds;  /* consecutive idle rounds */
	uint32_t spins;   /* idle rounds spent spinning before the slow part */
	uint64_t park_ns; /* next sleep length ("park") */
	uint64_t parks;   /* sleeps so far (stats) */
	uint64_t yields;  /* sched_yield calls so far (stats) */
};

/* Names accepted by ps_idle_parse, for messages: "spin, yield, park, sleep". */
#define PS_IDLE_NAMES "spin, yield, park, sleep"
/* The same names indexed by enum ps_idle_kind, NULL-terminated (for
 * ps_config_get_enum). */
PS_API extern const char *const ps_idle_names[];

/**
 * Parse an idle strategy name ("spin", "yield", "park", "sleep"; exact, lower
 * case).
 * @return 0; -EINVAL with "unknown idle strategy 'NAME' (accepted: spin,
 *   yield, park, sleep)" in err (err may be NULL).
 */
PS_API int ps_idle_parse(const char *name, enum ps_idle_kind *kind, char *err, size_t err_len);

/* Name of a kind ("spin", ...); "?" for an invalid value. */
PS_API const char *ps_idle_name(enum ps_idle_kind kind);

/* Reset idle state for kind. */
PS_API void ps_idle_init(struct ps_idle *idle, enum ps_idle_kind kind);

/* Internal: the yield/park/sleep part of ps_idle_wait (and a spinner's
 * rare round-count reset), out of line. */
PS_API void ps_idle__slow(struct ps_idle *idle);

/* Call once per poll-loop iteration. Hot path (the spin part is inline; a
 * syscall happens only after PS_IDLE_SPINS idle rounds of "yield"/"park", or
 * on every idle round of "sleep"). */
static inline void ps_idle_wait(struct ps_idle *idle, bool did_work)
{
	if (did_work) {
		idle->rounds = 0;
		return;
	}
	if (idle->rounds < idle->spins) {
		idle->rounds++;
		ps_cpu_relax();
		return;
	}
	ps_idle__slow(idle);
}

/* Thread attributes. Zero-initialise, then set; PS_THREAD_ATTR_INIT gives the defaults. */
struct ps_thread_attr {
	const char *name; /* thread name (15 chars shown by top/ps), may be NULL */
	int cpu;          /* CPU to pin to; -1: no pinning (inherit the process mask) */
	int priority;     /* 0: SCHED_OTHER; 1..99: SCHED_FIFO at this priority */
	bool mlock;       /* mlockall(MCL_CURRENT | MCL_FUTURE) before starting */
};
#define PS_THREAD_ATTR_INIT                                            \
	{                                                              \
		.name = NULL, .cpu = -1, .priority = 0, .mlock = false \
	}

/* Thread body: returns an int that ps_thread_join hands back. */
typedef int (*ps_thread_fn)(void *arg);

/* A started thread; embedded by the caller, and it must stay alive (not
 * move) until ps_thread_join returns: the new thread reads fn/arg from it and
 * writes ret into it. */
struct ps_thread {
	pthread_t tid;
	ps_thread_fn fn;
	void *arg;
	int ret;
	int cpu;
	bool started;
};

/**
 * Start fn(arg) on a new thread with attr (NULL: defaults). The CPU, priority
 * and mlock are applied before fn runs; if any fails, no thread is left
 * running and the error names what failed.
 * @return 0;
 *   -EINVAL  cpu does not exist / is outside this process's allowed CPUs /
 *            priority outside 0..99 / NULL t or fn;
 *   -EPERM   SCHED_FIFO or mlockall not permitted;
 *   -ENOMEM, -EAGAIN  from mlockall or pthread_create.
 */
PS_API int ps_thread_start(struct ps_thread *t, const struct ps_thread_attr *attr, ps_thread_fn fn,
			   void *arg, char *err, size_t err_len);

/**
 * Wait for t to finish; *ret (may be NULL) receives fn's return value.
 * @return 0; -EINVAL if t was not started (or was joined already).
 */
PS_API int ps_thread_join(struct ps_thread *t, int *ret);

/* Pin the calling thread to cpu. @return 0; -EINVAL (named in err). */
PS_API int ps_thread_pin_self(int cpu, char *err, size_t err_len);

/* Set the calling thread's policy: priority 0 = SCHED_OTHER, 1..99 = SCHED_FIFO.
 * @return 0; -EINVAL (range); -EPERM (not permitted). */
PS_API int ps_thread_priority_self(int priority, char *err, size_t err_len);

/* mlockall(MCL_CURRENT | MCL_FUTURE). @return 0; -EPERM; -ENOMEM (RLIMIT_MEMLOCK). */
PS_API int ps_thread_mlockall(char *err, size_t err_len);

/**
 * Check that cpu exists and is in this process's allowed set.
 * @return 0; -EINVAL with a message listing the online/allowed CPUs.
 */
PS_API int ps_thread_cpu_check(int cpu, char *err, size_t err_len);

/* Number of CPUs the system has configured (sysconf(_SC_NPROCESSORS_CONF)). */
PS_API int ps_thread_cpu_count(void);

#endif /* PS_THREAD_H */
