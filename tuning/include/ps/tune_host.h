/*
 * Host/config disagreement: does the thread layout a run asks for fit the
 * host it starts on?
 *
 * The engine reads its [thread.NAME] sections into struct ps_tune_thread
 * (ps_tune_threads_read does that from a struct ps_config), reads the host
 * facts once (ps_tune_facts_read, from /proc and /sys under a root prefix,
 * reusing ps_tune_check for isolation, RT and mlock) and asks
 * ps_tune_threads_check for warnings, which it prints at start:
 *
 *   two threads on one CPU where one of them spins; a spinning thread on a
 *   CPU that is not isolated, that still takes device interrupts, or whose
 *   SMT sibling runs another spinning thread; a CPU that is not online; a
 *   SCHED_FIFO priority the process may not use, or one that RT throttling
 *   will interrupt; memory locking that is not allowed.
 *
 * Nothing here changes the host; `perseus tune apply` does that.
 *
 * Worst cases: /proc/interrupts counts are totals since boot, so an IRQ is
 * blamed on a CPU only while its current affinity (effective_affinity_list,
 * else smp_affinity_list) still includes that CPU; where neither file can be
 * read the counts alone decide. Timer interrupts and the per-CPU
 * architectural rows (LOC, RES, CAL, ...) are never counted: every CPU takes
 * them and nothing outside the kernel command line moves them.
 */
#ifndef PS_TUNE_HOST_H
#define PS_TUNE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ps/common.h>
#include <ps/tune.h>

struct ps_config;

/* ---- CPU sets in the kernel's cpulist syntax ("0-3,8,10-11") -------------- */

struct ps_tune_cpuset {
	uint64_t w[PS_TUNE_MAX_CPUS / 64];
};

static inline void ps_tune_cpuset_set(struct ps_tune_cpuset *s, unsigned cpu)
{
	if (cpu < PS_TUNE_MAX_CPUS)
		s->w[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

static inline bool ps_tune_cpuset_has(const struct ps_tune_cpuset *s, int cpu)
{
	return cpu >= 0 && cpu < PS_TUNE_MAX_CPUS && (s->w[cpu / 64] >> (cpu % 64) & 1);
}

/* Number of CPUs in @s. */
PS_API unsigned ps_tune_cpuset_count(const struct ps_tune_cpuset *s);

/*
 * Parse a cpulist ("0-3,8"; surrounding whitespace allowed; "" is empty).
 * @return 0; -EINVAL on bad syntax, a reversed range or a CPU number
 *         >= PS_TUNE_MAX_CPUS (@s is then empty).
 */
PS_API int ps_tune_cpuset_parse(struct ps_tune_cpuset *s, const char *str);

/* Write @s as a cpulist into @buf ("none" when empty; truncated to @len). */
PS_API void ps_tune_cpuset_format(const struct ps_tune_cpuset *s, char *buf, size_t len);

/* ---- the planned threads ---------------------------------------------------- */

/* Stage bits of struct ps_tune_thread.stages. */
#define PS_TUNE_STAGE_MD   (1u << 0)
#define PS_TUNE_STAGE_BOOK (1u << 1)
#define PS_TUNE_STAGE_EXEC (1u << 2)
#define PS_TUNE_STAGE_COLD (1u << 3)

/* One planned thread. Strings are borrowed; they must outlive the check. */
struct ps_tune_thread {
	const char *name; /* "md" for [thread.md]; NULL prints as "?" */
	int cpu;          /* CPU to pin to; -1: not pinned */
	const char *idle; /* "spin", "yield" or "park" (ps_idle_parse names) */
	int priority;     /* 0: SCHED_OTHER; 1..99: SCHED_FIFO */
	unsigned stages;  /* PS_TUNE_STAGE_* bits (informational) */
};

/*
 * Read every [thread.NAME] section of @c in file order: cpu (integer
 * -1..1023, default -1 = not pinned), stages (comma list of md, book, exec,
 * cold; default none), idle (spin, yield or park; default yield, as the
 * engine) and priority (0..99, default 0). Names and idle strings point into @c and live until
 * ps_config_destroy. Other keys in those sections are left unread, so the
 * caller's ps_config_check_unused still sees them.
 * @return 0 with *@count set; PS_ECONFIG with "FILE:LINE: ..." in @err for
 *         a bad value or an unknown stage; PS_EFULL when there are more
 *         than @max thread sections; -EINVAL on NULL arguments.
 */
PS_API PS_COLD int ps_tune_threads_read(struct ps_config *c, struct ps_tune_thread *t, size_t max,
					size_t *count, char *err, size_t err_len);

/* ---- host facts --------------------------------------------------------------- */

/* What the check needs to know about the host. Large (about 16 KiB): put it
 * on the heap or in static storage, not on a small thread stack. */
struct ps_tune_facts {
	struct ps_tune_cpuset online;
	struct ps_tune_cpuset isolated;         /* valid when isolated_known */
	struct ps_tune_cpuset nohz_full;        /* empty when unknown or none */
	bool isolated_known;                    /* sysfs has the isolated file */
	bool topology;                          /* core_leader read from sysfs */
	bool rt_allowed;                        /* SCHED_FIFO allowed for this process */
	bool rt_throttled;                      /* kernel.sched_rt_runtime_us != -1 */
	bool mlock_allowed;                     /* root or RLIMIT_MEMLOCK unlimited */
	bool halts_at_once;                     /* a haltpoll guest polling 0 ns (halt_poll) */
	long irqbalance_pid;                    /* irqbalance's pid; 0 when not running */
	char rt_throttle[PS_TUNE_VALUE_LEN];    /* tune check's value, e.g. "on: 950000 us ..." */
	uint16_t core_leader[PS_TUNE_MAX_CPUS]; /* lowest CPU of each CPU's core */
	int32_t irq_top[PS_TUNE_MAX_CPUS];      /* busiest device IRQ routed there; -1 none */
	uint64_t
	    irq_count[PS_TUNE_MAX_CPUS]; /* device interrupts taken (IRQs still routed there) */
};

/*
 * Read the facts under @root ("/" or NULL for the live host) for the process
 * described by @host (NULL: ps_tune_host_probe). Isolation, nohz_full, RT
 * scheduling, RT throttling and mlock come from ps_tune_check; online CPUs,
 * SMT siblings and device interrupts are read here. Missing files leave the
 * matching fact empty/false. Cold path; any thread.
 * @return 0; -EINVAL when @f is NULL; -ENAMETOOLONG; -errno from the probe.
 */
PS_API PS_COLD int ps_tune_facts_read(const char *root, const struct ps_tune_host *host,
				      struct ps_tune_facts *f);

/*
 * The handler names of IRQ @irq under @root ("/" or NULL: live), from the
 * action directories of /proc/irq/N/, space-separated into @buf ("" when
 * there are none or @irq < 0). Cold path.
 */
PS_API PS_COLD void ps_tune_irq_names(const char *root, int irq, char *buf, size_t len);

/* ---- warnings ------------------------------------------------------------------- */

/* Warning kinds, with stable names for scripts and tests. */
#define PS_TUNE_WARNING_MAP(XX)                    \
	XX(NO_CPU, "cpu_missing")                  \
	XX(BAD_IDLE, "bad_idle")                   \
	XX(BAD_PRIORITY, "bad_priority")           \
	XX(SPIN_UNPINNED, "spin_unpinned")         \
	XX(SPIN_SHARED, "spin_shared")             \
	XX(SPIN_NOT_ISOLATED, "spin_not_isolated") \
	XX(SPIN_IRQ, "spin_irq")                   \
	XX(SMT_SIBLING, "smt_sibling")             \
	XX(RT_DENIED, "rt_denied")                 \
	XX(RT_THROTTLED, "rt_throttled")           \
	XX(PARK_HALTS, "park_halts")               \
	XX(MLOCK_DENIED, "mlock_denied")

enum ps_tune_warning_kind {
#define PS_XX(id, name) PS_TUNE_WARNING_##id,
	PS_TUNE_WARNING_MAP(PS_XX)
#undef PS_XX
	    PS_TUNE_WARNING_COUNT
};

struct ps_tune_warning {
	enum ps_tune_warning_kind kind;
	const char *code; /* stable name from PS_TUNE_WARNING_MAP (static storage) */
	char thread[32];  /* the thread it is about; "" for process-wide ones */
	int cpu;          /* the CPU it is about; -1 when none */
	char msg[320];    /* one sentence: what, why it costs latency, how to fix */
};

/*
 * Compare @n planned threads with the host. @mlock: the run will call
 * mlockall. Writes at most @w_count warnings into @w (caller-owned; may be
 * NULL when @w_count is 0) in thread order.
 * @return the number of warnings found (more than @w_count when @w was too
 *         small: only the first @w_count are written); -EINVAL when @t or
 *         @f is NULL with @n > 0.
 */
PS_API PS_COLD int ps_tune_threads_check(const struct ps_tune_thread *t, size_t n,
					 const struct ps_tune_facts *f, bool mlock,
					 struct ps_tune_warning *w, size_t w_count);

/*
 * Print one line per warning: "warning: [code] message". Nothing for n == 0.
 * @return 0, or -EIO when writing to @f fails.
 */
PS_API PS_COLD int ps_tune_warnings_print(FILE *f, const struct ps_tune_warning *w, size_t n);

#endif /* PS_TUNE_HOST_H */
