/*
 * Platform jitter (`perseus tune jitter`): how much of a CPU's time this host
 * takes away from a thread that never gives it up.
 *
 * One thread, pinned to the CPU under test, reads the clock in a tight loop
 * for a set time. Two reads further apart than the threshold mean the thread
 * was not running in between: an interrupt, a timer tick, a kernel thread, a
 * task the scheduler put there, or (in a virtual machine) the hypervisor
 * running something else on the physical core. Each such gap is a hiccup; the
 * report gives their rate, the share of time they took, their sizes, and the
 * chance that a window of a given length (a tick-to-trade path) overlaps one,
 * which is the part of a latency tail the platform owns whatever the code
 * does. Facts measured the way sysjitter and hiccups tools measure them; run
 * it with the engine stopped, or on a CPU the engine does not use.
 *
 * Worst cases: the loop's own step (one clock read, about 10-30 ns) is the
 * resolution; a threshold below a few steps counts the loop itself. A
 * thread started with SCHED_FIFO on a CPU it shares with the kernel's per-CPU
 * threads starves them for the measured time (at most the duration asked).
 */
#ifndef PS_TUNE_JITTER_H
#define PS_TUNE_JITTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ps/common.h>

struct ps_hist;

#define PS_JITTER_MAX_NS        (3600ull * 1000000000ull) /* one hour */
#define PS_JITTER_MIN_THRESHOLD 50u                       /* ns */

struct ps_jitter_config {
	int cpu;              /* CPU to measure; -1: where the caller may run (no pinning) */
	int priority;         /* 0: SCHED_OTHER; 1..99: SCHED_FIFO at this priority */
	uint64_t duration_ns; /* how long to spin: 1 ms .. PS_JITTER_MAX_NS */
	uint64_t
	    threshold_ns; /* a gap this long or longer is a hiccup (>= PS_JITTER_MIN_THRESHOLD) */
};

/* Defaults: no pinning, SCHED_OTHER, 5 s, 1 us. */
PS_API void ps_jitter_config_default(struct ps_jitter_config *cfg);

struct ps_jitter_result {
	int cpu; /* the CPU measured (-1: unpinned) */
	uint64_t threshold_ns;
	uint64_t elapsed_ns; /* from the first read to the last */
	uint64_t reads;      /* clock reads in the loop */
	uint64_t hiccups;    /* gaps >= threshold */
	uint64_t lost_ns;    /* their total length */
	uint64_t step_ns;    /* the loop's mean gap outside hiccups: its resolution */
};

/**
 * Spin on a new thread (pinned to cfg->cpu, at cfg->priority) for
 * cfg->duration_ns and record every gap >= cfg->threshold_ns, in ns, into
 * gaps (the caller's histogram; recorded into, not reset). The clock must be
 * calibrated (ps_clock_init). Blocks for the duration.
 * @return 0 with *out filled; -EINVAL for a bad config (the error names the
 *   field and what is accepted) or a CPU that does not exist or is not
 *   allowed; -EPERM when the priority is not permitted; others from thread
 *   creation. err receives the message.
 */
PS_API int ps_jitter_measure(const struct ps_jitter_config *cfg, struct ps_hist *gaps,
			     struct ps_jitter_result *out, char *err, size_t err_len);

/*
 * The chance that a path of path_ns (a tick-to-trade) that starts while the
 * thread runs is interrupted by a hiccup: hiccups per ns * path_ns, at most 1.
 * (A hiccup already under way when the path would start delays its start,
 * not its length; the share of time lost says how often that happens.)
 */
PS_API double ps_jitter_hit_chance(const struct ps_jitter_result *r, uint64_t path_ns);

/*
 * The pct percentile (e.g. 99) of a path of path_ns that starts while the
 * thread runs, were hiccups its only variation: path_ns plus the smallest
 * length d (a bucket edge of gaps, within 1%) such that hiccups longer than
 * d start inside the path at most (100 - pct)% of the time. path_ns when even
 * the shortest recorded hiccups are that rare: the host then leaves that
 * percentile to the code, to the threshold's resolution.
 */
PS_API uint64_t ps_jitter_path_percentile(const struct ps_jitter_result *r,
					  const struct ps_hist *gaps, uint64_t path_ns, double pct);

/* The report as text (a few lines and a table of hiccup sizes) or as one JSON
 * object. @return 0; -1 when writing fails (errno set). */
PS_API int ps_jitter_print(FILE *f, const struct ps_jitter_result *r, const struct ps_hist *gaps);
PS_API int ps_jitter_print_json(FILE *f, const struct ps_jitter_result *r,
				const struct ps_hist *gaps);

#endif /* PS_TUNE_JITTER_H */
