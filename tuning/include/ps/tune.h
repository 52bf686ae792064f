/*
 * Host readiness check (`perseus tune check`).
 *
 * Reads /proc and /sys and says, item by item, whether this host is set up for
 * low-latency work: isolated CPUs, tickless cores, RCU offload, no irqbalance,
 * performance governor, shallow idle states, a virtual machine's idle vCPUs
 * polling before they halt, THP not "always", hugepages
 * reserved, an invariant TSC used as clocksource, real-time scheduling and
 * mlock allowed, no DAMON kdamond sampling and reclaiming memory. It never
 * changes the system; a WARN carries the fix (kernel command line, sysctl,
 * service) for a person or `tune apply` to carry out.
 *
 * Every path is read under a root prefix ("/" for the live host), so tests can
 * point the check at a fake /proc + /sys tree. What cannot be read from files
 * (may this process use SCHED_FIFO, how much may it mlock) comes from a
 * struct ps_tune_host that ps_tune_host_probe() fills for the live process
 * and tests fill by hand.
 *
 * Worst cases: a kernel that lacks a file reports INFO ("not available") or
 * WARN where its absence itself is the problem (no nohz_full support); values
 * are taken from CPU 0's view where sysfs has one copy per CPU and all CPUs
 * are expected to agree (idle states), and per CPU where they may not
 * (governor). At most PS_TUNE_MAX_CPUS CPUs are looked at.
 */
#ifndef PS_TUNE_H
#define PS_TUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ps/common.h>

#define PS_TUNE_MAX_CPUS  1024
#define PS_TUNE_VALUE_LEN 160
#define PS_TUNE_FIX_LEN   200

enum ps_tune_status {
	PS_TUNE_OK = 0,   /* set up for low latency */
	PS_TUNE_INFO = 1, /* a fact about the host, nothing to fix */
	PS_TUNE_WARN = 2, /* costs latency; fix says how to change it */
};

/* The items, in report order. Names are stable: scripts and JSON use them. */
#define PS_TUNE_ITEM_MAP(XX)             \
	XX(CPUS, "cpus")                 \
	XX(SMT, "smt")                   \
	XX(ISOLATED, "isolated_cpus")    \
	XX(NOHZ_FULL, "nohz_full")       \
	XX(RCU_NOCBS, "rcu_nocbs")       \
	XX(IRQBALANCE, "irqbalance")     \
	XX(GOVERNOR, "cpu_governor")     \
	XX(CPUIDLE, "cpu_idle_states")   \
	XX(HALT_POLL, "halt_poll")       \
	XX(THP, "thp_enabled")           \
	XX(THP_DEFRAG, "thp_defrag")     \
	XX(HUGEPAGES, "hugepages")       \
	XX(TSC, "tsc_invariant")         \
	XX(CLOCKSOURCE, "clocksource")   \
	XX(NUMA, "numa_nodes")           \
	XX(RT_SCHED, "rt_scheduling")    \
	XX(RT_THROTTLE, "rt_throttling") \
	XX(MLOCK, "mlock")               \
	XX(DAMON, "damon")

enum ps_tune_item {
#define PS_XX(id, name) PS_TUNE_ITEM_##id,
	PS_TUNE_ITEM_MAP(PS_XX)
#undef PS_XX
	    PS_TUNE_ITEM_COUNT
};

struct ps_tune_result {
	const char *item; /* stable name from PS_TUNE_ITEM_MAP (static storage) */
	enum ps_tune_status status;
	char value[PS_TUNE_VALUE_LEN]; /* what was found, e.g. "1-3" or "always" */
	char fix[PS_TUNE_FIX_LEN];     /* WARN only: how to fix it; "" otherwise */
};

/* Facts about the calling process that no file under the root holds. */
struct ps_tune_host {
	bool root;              /* effective uid 0 */
	bool rt_allowed;        /* a thread could switch itself to SCHED_FIFO */
	uint64_t rtprio_limit;  /* RLIMIT_RTPRIO soft limit */
	uint64_t memlock_limit; /* RLIMIT_MEMLOCK soft limit in bytes; UINT64_MAX = unlimited */
};

/*
 * Fill @h for the calling process. The SCHED_FIFO probe runs in a short-lived
 * thread that switches itself to SCHED_FIFO priority 1 and exits at once, so
 * neither the caller nor the system is changed. Cold path; any thread.
 * @return 0, or -errno when the probe thread cannot be created.
 */
PS_API PS_COLD int ps_tune_host_probe(struct ps_tune_host *h);

/*
 * Run every check against the tree under @root ("/" or NULL for the live
 * host; a prefix such as "/tmp/fake" for tests) and @host (NULL: probe the
 * calling process). Writes exactly PS_TUNE_ITEM_COUNT results, in
 * PS_TUNE_ITEM_MAP order, into @res (caller-owned).
 * @return PS_TUNE_ITEM_COUNT on success; -EINVAL when @res is NULL or
 *         @res_count < PS_TUNE_ITEM_COUNT; -ENAMETOOLONG when @root is too
 *         long; -errno from ps_tune_host_probe.
 */
PS_API PS_COLD int ps_tune_check(const char *root, const struct ps_tune_host *host,
				 struct ps_tune_result *res, size_t res_count);

/* "OK", "INFO" or "WARN". */
PS_API const char *ps_tune_status_name(enum ps_tune_status s);

/* Number of results with status @s. */
PS_API size_t ps_tune_count(const struct ps_tune_result *res, size_t n, enum ps_tune_status s);

/*
 * Human-readable report, one line per item: "WARN  thp_enabled   always",
 * followed for a WARN by an indented "fix: ..." line, then a summary line.
 * @return 0, or -EIO when writing to @f fails.
 */
PS_API PS_COLD int ps_tune_print(FILE *f, const struct ps_tune_result *res, size_t n);

/*
 * The same as one JSON object:
 * {"checks":[{"item":"...","status":"OK","value":"...","fix":"..."},...],
 *  "ok":N,"info":N,"warn":N}
 * Strings are escaped per RFC 8259. @return 0, or -EIO when writing fails.
 */
PS_API PS_COLD int ps_tune_print_json(FILE *f, const struct ps_tune_result *res, size_t n);

#endif /* PS_TUNE_H */
