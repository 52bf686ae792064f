/* `perseus tune apply` (tune_apply.h) against fake /proc + /sys trees: the
 * plan, the files after applying it, per-item failures and the undo script. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/err.h>
#include <ps/tune_apply.h>

#define ENTRIES 256

struct fake {
	char root[PATH_MAX];
	struct ps_tune_host host;
	struct ps_tune_apply_opts opts;
	struct ps_tune_plan plan;
	struct ps_tune_change mem[ENTRIES];
	char err[512];
	/* the recording command runner */
	char ran[256];
	int run_rc;
};

#include "fake_tree.h"

/* Contents of root/rel without the trailing newline (static buffer). */
static const char *get(const struct fake *f, const char *rel)
{
	static char buf[512];
	char path[PATH_MAX * 2];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	fp = fopen(path, "r");
	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return buf;
}

static int record_run(char *const argv[], void *arg)
{
	struct fake *f = arg;
	size_t off = strlen(f->ran);

	for (size_t i = 0; argv[i]; i++)
		off += (size_t)snprintf(f->ran + off, sizeof(f->ran) - off, "%s%s", i ? " " : "",
					argv[i]);
	snprintf(f->ran + off, sizeof(f->ran) - off, ";");
	return f->run_rc;
}

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/ps_tune_apply_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	f->host.root = true;
	f->host.rt_allowed = true;
	f->host.memlock_limit = UINT64_MAX;
	f->opts.hugepages = -1;
	f->opts.host = &f->host;
	f->opts.run = record_run;
	f->opts.run_arg = f;
	if (ps_tune_plan_init(&f->plan, f->mem, ENTRIES) != 0)
		return -1;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	char cmd[PATH_MAX + 32];

	ps_tune_plan_fini(&f->plan);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/*
 * An untuned 4-CPU host (no SMT): irqbalance running, IRQs spread over all
 * CPUs, powersave governor (CPU 2 already performance), THP always, RT
 * throttling on, no hugepages.
 */
static void build_untuned(const struct fake *f)
{
	put(f, "sys/devices/system/cpu/online", "0-3\n");
	put(f, "sys/devices/system/cpu/isolated", "\n");
	put(f, "proc/cmdline", "BOOT_IMAGE=/vmlinuz quiet\n");
	put(f, "proc/1/comm", "systemd\n");
	put(f, "proc/812/comm", "irqbalance\n");
	put(f, "proc/interrupts", "           CPU0       CPU1       CPU2       CPU3\n");
	for (unsigned c = 0; c < 4; c++) {
		char buf[16];

		snprintf(buf, sizeof(buf), "%u\n", c);
		putf(f, buf, "sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		putf(f, buf, "sys/devices/system/cpu/cpu%u/topology/core_id", c);
		putf(f, "0\n", "sys/devices/system/cpu/cpu%u/topology/physical_package_id", c);
		putf(f, c == 2 ? "performance\n" : "powersave\n",
		     "sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor", c);
		putf(f, "performance powersave\n",
		     "sys/devices/system/cpu/cpu%u/cpufreq/scaling_available_governors", c);
	}
	put(f, "proc/irq/default_smp_affinity", "f\n");
	put(f, "proc/irq/0/smp_affinity_list", "0-3\n");
	put(f, "proc/irq/24/smp_affinity_list", "0-3\n");
	put(f, "proc/irq/24/eth0-TxRx-0/spurious", "count 0\n");
	put(f, "proc/irq/25/smp_affinity_list", "3\n");
	put(f, "proc/irq/26/smp_affinity_list", "0-1\n");
	put(f, "proc/irq/9/smp_affinity_list", "1-2\n");
	put(f, "sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
	put(f, "sys/kernel/mm/transparent_hugepage/defrag",
	    "[always] defer defer+madvise madvise never\n");
	put(f, "proc/sys/vm/nr_hugepages", "0\n");
	put(f, "proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	put(f, "proc/sys/kernel/sched_rt_period_us", "1000000\n");
	/* Two kdamonds, the second one already stopped. */
	put(f, "sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds", "2\n");
	put(f, "sys/kernel/mm/damon/admin/kdamonds/0/state", "on\n");
	put(f, "sys/kernel/mm/damon/admin/kdamonds/1/state", "off\n");
	/* A KVM guest whose idle vCPUs halt at once. */
	put(f, "sys/devices/system/cpu/cpuidle/current_driver", "haltpoll\n");
	put(f, "sys/devices/system/cpu/cpuidle/current_governor_ro", "haltpoll\n");
	put(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", "0\n");
}

static int build(struct fake *f)
{
	int n = ps_tune_plan_build(&f->plan, f->root, &f->opts, f->err, sizeof(f->err));

	if (n < 0)
		print_message("build: %d %s\n", n, f->err);
	return n;
}

/* The change entry for @rel (root-relative); NULL when the plan has none. */
static const struct ps_tune_change *find(const struct fake *f, const char *rel)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	for (uint32_t i = 0; i < f->plan.count; i++)
		if (f->plan.entries[i].change && !strcmp(f->plan.entries[i].path, path))
			return &f->plan.entries[i];
	return NULL;
}

#define assert_change(f, rel, old, nv)                               \
	do {                                                         \
		const struct ps_tune_change *c_ = find((f), (rel));  \
		if (!c_)                                             \
			fail_msg("no change planned for %s", (rel)); \
		assert_string_equal(c_->old_value, (old));           \
		assert_string_equal(c_->new_value, (nv));            \
	} while (0)

static char *print_plan(const struct fake *f)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	assert_non_null(mem);
	assert_int_equal(ps_tune_plan_print(mem, &f->plan), 0);
	fclose(mem);
	return text;
}

static void test_tune_apply_plan_lists_each_change_with_old_and_new(void **state)
{
	struct fake *f = *state;
	char *text;

	build_untuned(f);
	f->opts.cpus = "2-3";
	f->opts.hugepages = 64;
	/* irqbalance, default mask, IRQ 0 24 25 9, governor x3, thp x2, hugepages, rt,
	 * kdamond 0, halt polling */
	assert_int_equal(build(f), 15);
	assert_string_equal(f->plan.hot_list, "2-3");
	assert_string_equal(f->plan.housekeeping_list, "0-1");
	assert_int_equal(f->plan.irqbalance_pid, 812);

	assert_int_equal(f->plan.entries[0].item, PS_TUNE_APPLY_IRQBALANCE);
	assert_true(f->plan.entries[0].change);
	assert_change(f, "proc/irq/default_smp_affinity", "f", "3");
	assert_change(f, "proc/irq/0/smp_affinity_list", "0-3", "0-1");
	assert_change(f, "proc/irq/24/smp_affinity_list", "0-3", "0-1");
	assert_change(f, "proc/irq/25/smp_affinity_list", "3", "0-1");
	assert_change(f, "proc/irq/9/smp_affinity_list", "1-2", "1");
	assert_null(find(f, "proc/irq/26/smp_affinity_list")); /* already on 0-1 */
	assert_string_equal(find(f, "proc/irq/24/smp_affinity_list")->note,
			    "handlers: eth0-TxRx-0");
	/* IRQs in numeric order, whatever readdir said. */
	assert_int_equal(f->plan.entries[2].irq, 0);
	assert_int_equal(f->plan.entries[3].irq, 9);
	assert_int_equal(f->plan.entries[4].irq, 24);
	assert_int_equal(f->plan.entries[5].irq, 25);

	assert_change(f, "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave",
		      "performance");
	assert_change(f, "sys/devices/system/cpu/cpu3/cpufreq/scaling_governor", "powersave",
		      "performance");
	assert_null(find(f, "sys/devices/system/cpu/cpu2/cpufreq/scaling_governor"));
	assert_change(f, "sys/kernel/mm/transparent_hugepage/enabled", "always", "madvise");
	assert_change(f, "sys/kernel/mm/transparent_hugepage/defrag", "always", "defer+madvise");
	assert_change(f, "proc/sys/vm/nr_hugepages", "0", "64");
	assert_change(f, "proc/sys/kernel/sched_rt_runtime_us", "950000", "-1");
	assert_non_null(strstr(find(f, "proc/sys/kernel/sched_rt_runtime_us")->note,
			       "warning: with throttling"));
	assert_change(f, "sys/kernel/mm/damon/admin/kdamonds/0/state", "on", "off");
	assert_null(find(f, "sys/kernel/mm/damon/admin/kdamonds/1/state")); /* already off */
	assert_change(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", "0", "200000");

	text = print_plan(f);
	assert_non_null(strstr(text, "hot CPUs 2-3, housekeeping CPUs 0-1"));
	assert_non_null(strstr(text, "plan   irq_affinity  "));
	assert_non_null(strstr(text, "/proc/irq/24/smp_affinity_list: 0-3 -> 0-1"));
	assert_non_null(strstr(text, "undo: echo 0-3 > "));
	assert_non_null(strstr(text, "undo: systemctl start irqbalance"));
	assert_non_null(strstr(text, "undo: echo on > "));
	assert_non_null(strstr(text, "plan   halt_poll     "));
	assert_non_null(strstr(text, "undo: echo 0 > "));
	assert_non_null(strstr(text, "15 changes planned; dry run: nothing was changed"));
	free(text);

	/* Building changed nothing. */
	assert_string_equal(get(f, "proc/irq/24/smp_affinity_list"), "0-3");
	assert_string_equal(get(f, "proc/sys/kernel/sched_rt_runtime_us"), "950000");
	assert_string_equal(f->ran, "");
}

static void test_tune_apply_writes_the_new_values(void **state)
{
	struct fake *f = *state;
	char *text;

	build_untuned(f);
	f->opts.cpus = "2-3";
	f->opts.hugepages = 64;
	f->opts.thp = "never";
	assert_int_equal(build(f), 15);
	assert_int_equal(ps_tune_plan_apply(&f->plan, &f->opts), 0);

	assert_string_equal(f->ran, "systemctl stop irqbalance;");
	assert_string_equal(get(f, "proc/irq/default_smp_affinity"), "3");
	assert_string_equal(get(f, "proc/irq/24/smp_affinity_list"), "0-1");
	assert_string_equal(get(f, "proc/irq/25/smp_affinity_list"), "0-1");
	assert_string_equal(get(f, "proc/irq/9/smp_affinity_list"), "1");
	assert_string_equal(get(f, "proc/irq/26/smp_affinity_list"), "0-1");
	assert_string_equal(get(f, "sys/devices/system/cpu/cpu1/cpufreq/scaling_governor"),
			    "performance");
	assert_string_equal(get(f, "sys/kernel/mm/transparent_hugepage/enabled"), "never");
	assert_string_equal(get(f, "sys/kernel/mm/transparent_hugepage/defrag"), "defer+madvise");
	assert_string_equal(get(f, "proc/sys/vm/nr_hugepages"), "64");
	assert_string_equal(get(f, "proc/sys/kernel/sched_rt_runtime_us"), "-1");
	assert_string_equal(get(f, "sys/kernel/mm/damon/admin/kdamonds/0/state"), "off");
	assert_string_equal(get(f, "sys/kernel/mm/damon/admin/kdamonds/1/state"), "off");
	assert_string_equal(get(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns"), "200000");
	for (uint32_t i = 0; i < f->plan.count; i++)
		if (f->plan.entries[i].change)
			assert_int_equal(f->plan.entries[i].result, 0);

	text = print_plan(f);
	assert_non_null(strstr(text, "done   rt_throttling "));
	assert_non_null(strstr(text, "done   damon "));
	assert_non_null(strstr(text, "done   halt_poll "));
	assert_non_null(strstr(text, "15 of 15 changes applied, 0 failed"));
	free(text);

	/* A second plan finds nothing left to do but irqbalance (the fake
	 * process does not go away). */
	assert_int_equal(build(f), 1);
}

static void test_tune_apply_failures_are_reported_and_the_rest_still_run(void **state)
{
	struct fake *f = *state;
	char path[PATH_MAX * 2];
	const struct ps_tune_change *c;
	char *text;

	build_untuned(f);
	f->opts.cpus = "3";
	f->run_rc = -ENOENT;
	assert_true(build(f) > 0);
	/* IRQ 25 refuses: its file turns into a directory before apply. */
	snprintf(path, sizeof(path), "%s/proc/irq/25/smp_affinity_list", f->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);

	assert_int_equal(ps_tune_plan_apply(&f->plan, &f->opts), 2);
	c = find(f, "proc/irq/25/smp_affinity_list");
	assert_non_null(c);
	assert_int_equal(c->result, -EISDIR);
	assert_int_equal(f->plan.entries[0].result, -ENOENT);
	assert_non_null(strstr(f->plan.entries[0].note, "no systemctl"));
	/* Later items ran. */
	assert_string_equal(get(f, "proc/irq/24/smp_affinity_list"), "0-2");
	assert_string_equal(get(f, "proc/sys/kernel/sched_rt_runtime_us"), "-1");

	text = print_plan(f);
	assert_non_null(strstr(text, "FAILED irq_affinity"));
	assert_non_null(strstr(text, "error: Is a directory"));
	assert_non_null(strstr(text, "failed"));
	free(text);
}

static void test_tune_apply_undo_script_restores_the_old_values(void **state)
{
	struct fake *f = *state;
	char path[PATH_MAX * 2], cmd[PATH_MAX * 3];
	FILE *fp;

	build_untuned(f);
	f->opts.cpus = "2-3";
	f->opts.hugepages = 32;
	/* The undo script must not start the real host's irqbalance. */
	f->opts.skip = 1u << PS_TUNE_APPLY_IRQBALANCE;
	assert_int_equal(build(f), 14);
	assert_int_equal(ps_tune_plan_apply(&f->plan, &f->opts), 0);
	assert_string_equal(f->ran, "");

	snprintf(path, sizeof(path), "%s/undo.sh", f->root);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(ps_tune_plan_write_undo(fp, &f->plan), 0);
	assert_int_equal(fclose(fp), 0);
	snprintf(cmd, sizeof(cmd), "/bin/sh '%s'", path);
	assert_int_equal(system(cmd), 0);

	assert_string_equal(get(f, "proc/irq/default_smp_affinity"), "f");
	assert_string_equal(get(f, "proc/irq/24/smp_affinity_list"), "0-3");
	assert_string_equal(get(f, "proc/irq/9/smp_affinity_list"), "1-2");
	assert_string_equal(get(f, "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
			    "powersave");
	assert_string_equal(get(f, "sys/kernel/mm/transparent_hugepage/enabled"), "always");
	assert_string_equal(get(f, "proc/sys/vm/nr_hugepages"), "0");
	assert_string_equal(get(f, "proc/sys/kernel/sched_rt_runtime_us"), "950000");
	assert_string_equal(get(f, "sys/kernel/mm/damon/admin/kdamonds/0/state"), "on");
	assert_string_equal(get(f, "sys/kernel/mm/damon/admin/kdamonds/1/state"), "off");
	assert_string_equal(get(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns"), "0");
	assert_non_null(strstr(get(f, "undo.sh"), "#!/bin/sh"));
}

static void test_tune_apply_undo_quotes_odd_values(void **state)
{
	struct ps_tune_change c = { .item = PS_TUNE_APPLY_THP, .change = true };
	char buf[512];

	(void)state;
	snprintf(c.path, sizeof(c.path), "/tmp/a b/enabled");
	snprintf(c.old_value, sizeof(c.old_value), "it's");
	ps_tune_change_undo(&c, buf, sizeof(buf));
	assert_string_equal(buf, "echo 'it'\\''s' > '/tmp/a b/enabled'");
	c.change = false;
	ps_tune_change_undo(&c, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_tune_apply_vm_without_cpufreq_or_thp_notes_why(void **state)
{
	struct fake *f = *state;
	char *text;

	put(f, "sys/devices/system/cpu/online", "0-1\n");
	put(f, "proc/sys/kernel/sched_rt_runtime_us", "-1\n");
	put(f, "proc/irq/1/smp_affinity_list", "0\n");
	f->opts.cpus = "1";
	assert_int_equal(build(f), 0);
	text = print_plan(f);
	assert_non_null(strstr(text, "governor      no cpufreq (virtual machine or no driver)"));
	assert_non_null(strstr(text, "thp           no transparent hugepages"));
	assert_non_null(strstr(text, "irqbalance    not running"));
	assert_non_null(strstr(text, "irq_affinity  no IRQ is routed to CPUs 1"));
	assert_non_null(strstr(text, "rt_throttling already off"));
	assert_non_null(strstr(text, "hugepages     left alone"));
	assert_non_null(strstr(text, "damon         no DAMON admin interface"));
	assert_non_null(strstr(text, "halt_poll     no haltpoll cpuidle driver (driver: none)"));
	assert_non_null(strstr(text, "0 changes planned"));
	free(text);
	assert_int_equal(ps_tune_plan_apply(&f->plan, &f->opts), 0);
}

/* Only a polling time of 0 is changed: a value someone chose, another
 * governor or a missing parameter is left alone and says why. */
static void test_tune_apply_halt_poll_leaves_other_setups_alone(void **state)
{
	struct fake *f = *state;
	char *text;

	static const struct {
		const char *governor, *param, *note;
	} cases[] = {
		{ "haltpoll", "50000", "halt_poll     already polling (guest_halt_poll_ns 50000)" },
		{ "menu", "0", "halt_poll     haltpoll driver under the menu governor" },
		{ "haltpoll", "lots", "halt_poll     no guest_halt_poll_ns parameter" },
	};

	build_untuned(f);
	f->opts.cpus = "3";
	f->opts.skip = ~(1u << PS_TUNE_APPLY_HALT_POLL);
	assert_int_equal(build(f), 1);
	for (size_t i = 0; i < PS_ARRAY_SIZE(cases); i++) {
		put(f, "sys/devices/system/cpu/cpuidle/current_governor", cases[i].governor);
		put(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", cases[i].param);
		assert_int_equal(build(f), 0);
		text = print_plan(f);
		assert_non_null(strstr(text, cases[i].note));
		free(text);
	}
}

static void test_tune_apply_default_hot_cpus(void **state)
{
	struct fake *f = *state;

	build_untuned(f);
	/* No isolated CPUs: all but the first core. */
	assert_true(build(f) > 0);
	assert_string_equal(f->plan.hot_list, "1-3");
	assert_string_equal(f->plan.housekeeping_list, "0");
	/* Isolated CPUs win. */
	put(f, "sys/devices/system/cpu/isolated", "3\n");
	assert_true(build(f) > 0);
	assert_string_equal(f->plan.hot_list, "3");
	/* SMT: the first core's sibling stays with the OS too. */
	put(f, "sys/devices/system/cpu/isolated", "\n");
	put(f, "sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0,2\n");
	put(f, "sys/devices/system/cpu/cpu2/topology/thread_siblings_list", "0,2\n");
	put(f, "sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "1,3\n");
	put(f, "sys/devices/system/cpu/cpu3/topology/thread_siblings_list", "1,3\n");
	assert_true(build(f) > 0);
	assert_string_equal(f->plan.hot_list, "1,3");
	assert_string_equal(f->plan.housekeeping_list, "0,2");
}

static void test_tune_apply_rejects_bad_options(void **state)
{
	struct fake *f = *state;
	struct ps_tune_change small[3];
	struct ps_tune_plan tiny;

	build_untuned(f);
	f->opts.cpus = "2-9";
	assert_int_equal(build(f), -EINVAL);
	assert_non_null(strstr(f->err, "hot CPUs 4-9 are not online (online: 0-3)"));
	f->opts.cpus = "0-3";
	assert_int_equal(build(f), -EINVAL);
	assert_non_null(strstr(f->err, "leave no housekeeping CPU"));
	f->opts.cpus = "x";
	assert_int_equal(build(f), -EINVAL);
	assert_non_null(strstr(f->err, "bad CPU list 'x'"));
	f->opts.cpus = "3";
	f->opts.thp = "always";
	assert_int_equal(build(f), -EINVAL);
	assert_non_null(strstr(f->err, "bad THP mode 'always'"));
	f->opts.thp = NULL;

	assert_int_equal(ps_tune_plan_init(&tiny, small, PS_ARRAY_SIZE(small)), 0);
	assert_int_equal(ps_tune_plan_build(&tiny, f->root, &f->opts, f->err, sizeof(f->err)),
			 PS_EFULL);
	assert_int_equal(ps_tune_plan_init(&tiny, NULL, 3), -EINVAL);
	assert_int_equal(ps_tune_plan_init(&tiny, small, 0), -EINVAL);
	assert_true(ps_tune_plan_memsize(10) == 10 * sizeof(struct ps_tune_change));
}

static void test_tune_apply_fake_root_never_stops_the_hosts_irqbalance(void **state)
{
	struct fake *f = *state;

	build_untuned(f);
	f->opts.cpus = "3";
	f->opts.run = NULL;
	f->opts.skip = ~(1u << PS_TUNE_APPLY_IRQBALANCE);
	assert_int_equal(build(f), 1);
	assert_int_equal(ps_tune_plan_apply(&f->plan, &f->opts), 1);
	assert_int_equal(f->plan.entries[0].result, -EXDEV);
	assert_non_null(strstr(f->plan.entries[0].note, "not the live host"));
}

static void test_tune_apply_items_by_name(void **state)
{
	enum ps_tune_apply_item item;

	(void)state;
	for (unsigned i = 0; i < PS_TUNE_APPLY_COUNT; i++) {
		assert_int_equal(ps_tune_apply_item_parse(ps_tune_apply_item_name(i), &item), 0);
		assert_int_equal(item, i);
	}
	assert_int_equal(ps_tune_apply_item_parse("nope", &item), -EINVAL);
	assert_string_equal(ps_tune_apply_item_name(PS_TUNE_APPLY_COUNT), "?");
}

/* The live host, read-only: a plan can be built and printed. */
static void test_tune_apply_live_host_dry_run(void **state)
{
	static struct ps_tune_change mem[4096];
	struct ps_tune_plan p;
	struct ps_tune_apply_opts o = { .cpus = "1", .hugepages = -1 };
	char err[256];
	FILE *null;
	int n;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	assert_int_equal(ps_tune_plan_init(&p, mem, PS_ARRAY_SIZE(mem)), 0);
	n = ps_tune_plan_build(&p, "/", &o, err, sizeof(err));
	if (n < 0)
		fail_msg("live plan: %s", err);
	null = fopen("/dev/null", "w");
	assert_non_null(null);
	assert_int_equal(ps_tune_plan_print(null, &p), 0);
	assert_int_equal(ps_tune_plan_write_undo(null, &p), 0);
	fclose(null);
	ps_tune_plan_fini(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_tune_apply_plan_lists_each_change_with_old_and_new, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_apply_writes_the_new_values, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tune_apply_failures_are_reported_and_the_rest_still_run, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_apply_undo_script_restores_the_old_values,
						fake_setup, fake_teardown),
		cmocka_unit_test(test_tune_apply_undo_quotes_odd_values),
		cmocka_unit_test_setup_teardown(test_tune_apply_vm_without_cpufreq_or_thp_notes_why,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_apply_halt_poll_leaves_other_setups_alone,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_apply_default_hot_cpus, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_apply_rejects_bad_options, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tune_apply_fake_root_never_stops_the_hosts_irqbalance, fake_setup,
		    fake_teardown),
		cmocka_unit_test(test_tune_apply_items_by_name),
		cmocka_unit_test(test_tune_apply_live_host_dry_run),
	};
	return cmocka_run_group_tests_name("tuning_apply", tests, NULL, NULL);
}
