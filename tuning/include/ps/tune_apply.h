/*
 * Host setup (`perseus tune apply`): the run-time half of what `tune check`
 * reports, carried out item by item with an undo command for each change.
 *
 *   irqbalance     stop the service, so it does not move IRQs back
 *   irq_affinity   /proc/irq/N/smp_affinity_list (and default_smp_affinity)
 *                  off the hot CPUs, onto the housekeeping CPUs
 *   governor       cpufreq scaling_governor = performance (where it exists)
 *   thp            transparent_hugepage/enabled = madvise (or never);
 *                  defrag "always" -> defer+madvise
 *   hugepages      vm.nr_hugepages = N (only when asked for)
 *   rt_throttling  kernel.sched_rt_runtime_us = -1
 *   damon          each running kdamond stopped
 *   halt_poll      a haltpoll guest's guest_halt_poll_ns 0 -> 200000 (idle
 *                  vCPUs poll before they halt)
 *
 * A plan is computed first (ps_tune_plan_build) from the files under a root
 * prefix ("/" for the live host, a temporary fake tree in tests): every entry
 * names the file, its old value and its new value, so printing the plan is
 * the dry run. ps_tune_plan_apply then writes the new values; a failure of
 * one entry (a VM without cpufreq, an IRQ that refuses an affinity) is
 * recorded in that entry and the rest still run. Boot-time settings
 * (isolcpus, nohz_full, rcu_nocbs) are out of reach here: see tuning/GUIDE.md.
 *
 * Nothing survives a reboot: these are run-time knobs, and the undo commands
 * restore the values read when the plan was built.
 */
#ifndef PS_TUNE_APPLY_H
#define PS_TUNE_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ps/common.h>
#include <ps/tune_host.h>

/* Items, in the order they are applied. Names are used by --skip. */
#define PS_TUNE_APPLY_MAP(XX)              \
	XX(IRQBALANCE, "irqbalance")       \
	XX(IRQ_AFFINITY, "irq_affinity")   \
	XX(GOVERNOR, "governor")           \
	XX(THP, "thp")                     \
	XX(HUGEPAGES, "hugepages")         \
	XX(RT_THROTTLING, "rt_throttling") \
	XX(DAMON, "damon")                 \
	XX(HALT_POLL, "halt_poll")

enum ps_tune_apply_item {
#define PS_XX(id, name) PS_TUNE_APPLY_##id,
	PS_TUNE_APPLY_MAP(PS_XX)
#undef PS_XX
	    PS_TUNE_APPLY_COUNT
};

/* Runs argv (argv[0] looked up in PATH) and returns 0 when it exited with
 * status 0, else a negative errno. Used to stop irqbalance. */
typedef int (*ps_tune_run_fn)(char *const argv[], void *arg);

struct ps_tune_apply_opts {
	const char *cpus;                /* hot CPUs (cpulist); NULL: the isolated CPUs, or when
				 none are, every online CPU but the first core */
	int64_t hugepages;               /* vm.nr_hugepages to set; < 0 leaves it alone */
	const char *thp;                 /* "madvise" (NULL) or "never" */
	uint32_t skip;                   /* (1u << PS_TUNE_APPLY_x) for items to leave alone */
	const struct ps_tune_host *host; /* NULL: ps_tune_host_probe */
	ps_tune_run_fn run;              /* NULL: fork + execvp, only when root is "/" */
	void *run_arg;
};

/* One entry of a plan. */
struct ps_tune_change {
	enum ps_tune_apply_item item;
	bool change;    /* false: nothing to do, note says why */
	int irq;        /* IRQ number for irq_affinity entries; -1 otherwise */
	char path[192]; /* file written, root prefix included; "irqbalance" service */
	char old_value[128];
	char new_value[128];
	char note[256]; /* risk warning, IRQ handler names, or why nothing changes */
	int result;     /* PS_TUNE_CHANGE_PENDING until applied; 0 done; -errno failed */
};

#define PS_TUNE_CHANGE_PENDING 1

struct ps_tune_plan {
	struct ps_tune_change *entries; /* caller's memory (ps_tune_plan_memsize) */
	uint32_t cap;
	uint32_t count;     /* entries used (changes and notes) */
	char root[256];     /* root prefix without trailing '/'; "" for the live host */
	char hot_list[256]; /* hot CPUs as a cpulist */
	char housekeeping_list[256];
	struct ps_tune_cpuset hot;
	struct ps_tune_cpuset housekeeping;
	long irqbalance_pid; /* 0 when not running */
	bool applied;        /* ps_tune_plan_apply has run */
};

/* Bytes of entry memory for a plan of up to @max_entries entries. A host
 * needs about one entry per IRQ plus one per CPU plus ten. */
PS_API size_t ps_tune_plan_memsize(uint32_t max_entries);

/*
 * Set up @p over @mem (ps_tune_plan_memsize(@max_entries) bytes, caller-owned,
 * must outlive the plan). @return 0; -EINVAL on NULL or zero size.
 */
PS_API int ps_tune_plan_init(struct ps_tune_plan *p, void *mem, uint32_t max_entries);

/* Forget the plan; the memory is the caller's again. */
PS_API void ps_tune_plan_fini(struct ps_tune_plan *p);

/*
 * Read the host under @root ("/" or NULL: live) and fill @p with what
 * @o (NULL: defaults) asks for. Changes nothing on the host.
 * @return the number of changes (entries with change set); -EINVAL with the
 *   reason in @err for a bad cpulist, a hot CPU that is not online, a hot set
 *   that leaves no housekeeping CPU, or a bad thp mode; PS_EFULL when @p has
 *   too few entries (build again with more); -ENAMETOOLONG for a long root;
 *   -errno from ps_tune_host_probe.
 */
PS_API PS_COLD int ps_tune_plan_build(struct ps_tune_plan *p, const char *root,
				      const struct ps_tune_apply_opts *o, char *err,
				      size_t err_len);

/*
 * Carry out every change of @p in order, recording each result in its
 * entry. Does not check privileges: the caller decides whether to try.
 * @o supplies the command runner (NULL: default). When root is not "/" and
 * no runner is given, irqbalance is not stopped (result -EXDEV): the fake
 * tree's process is not the host's service.
 * @return the number of changes that failed (0: all applied).
 */
PS_API PS_COLD int ps_tune_plan_apply(struct ps_tune_plan *p, const struct ps_tune_apply_opts *o);

/* The shell command that restores @c's old value into @buf (truncated to
 * @len); "" for entries that change nothing. */
PS_API void ps_tune_change_undo(const struct ps_tune_change *c, char *buf, size_t len);

/*
 * The plan (or, after apply, the outcome) for a person: one line per
 * change with path, old -> new, its undo command and any warning, then the
 * items left unchanged and why, then a summary.
 * @return 0, or -EIO when writing fails.
 */
PS_API PS_COLD int ps_tune_plan_print(FILE *f, const struct ps_tune_plan *p);

/*
 * A /bin/sh script that undoes the changes, newest first. Before apply it
 * lists every planned change; after apply only those that succeeded.
 * @return 0, or -EIO when writing fails.
 */
PS_API PS_COLD int ps_tune_plan_write_undo(FILE *f, const struct ps_tune_plan *p);

/* Name of an item ("irq_affinity"); "?" for an invalid value. */
PS_API const char *ps_tune_apply_item_name(enum ps_tune_apply_item item);

/* Item by name; -EINVAL when unknown. */
PS_API int ps_tune_apply_item_parse(const char *name, enum ps_tune_apply_item *item);

#endif /* PS_TUNE_APPLY_H */
