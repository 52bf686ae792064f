/* Host/config warnings (tune_host.h) against fake /proc + /sys trees, and the
 * shipped topology configs against the hosts they are written for. */
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

#include <ps/config.h>
#include <ps/err.h>
#include <ps/tune_host.h>

struct fake {
	char root[PATH_MAX];
	struct ps_tune_host host;
	struct ps_tune_facts facts;
	struct ps_tune_warning w[32];
};

#include "fake_tree.h"

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/ps_tune_host_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	/* A process that may use SCHED_FIFO and lock memory. */
	f->host.root = true;
	f->host.rt_allowed = true;
	f->host.rtprio_limit = 99;
	f->host.memlock_limit = UINT64_MAX;
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *f = *state;
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/*
 * A tuned host with @ncpu CPUs. @smt: CPU N and N + ncpu/2 are siblings of
 * one core; otherwise one thread per core. @isolated: cpulist. RT throttling
 * off. /proc/interrupts has only timer and architectural rows.
 */
static void build_host(const struct fake *f, unsigned ncpu, bool smt, const char *isolated)
{
	char buf[64], line[16384];
	size_t off = 0;

	snprintf(buf, sizeof(buf), "0-%u\n", ncpu - 1);
	put(f, "sys/devices/system/cpu/online", buf);
	put(f, "sys/devices/system/cpu/isolated", isolated);
	put(f, "proc/cmdline", "BOOT_IMAGE=/vmlinuz quiet\n");
	put(f, "proc/sys/kernel/sched_rt_runtime_us", "-1\n");
	put(f, "proc/sys/kernel/sched_rt_period_us", "1000000\n");
	put(f, "proc/1/comm", "systemd\n");
	for (unsigned c = 0; c < ncpu; c++) {
		unsigned core = smt ? c % (ncpu / 2) : c;

		if (smt)
			snprintf(buf, sizeof(buf), "%u,%u\n", core, core + ncpu / 2);
		else
			snprintf(buf, sizeof(buf), "%u\n", c);
		putf(f, buf, "sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		snprintf(buf, sizeof(buf), "%u\n", core);
		putf(f, buf, "sys/devices/system/cpu/cpu%u/topology/core_id", c);
		putf(f, "0\n", "sys/devices/system/cpu/cpu%u/topology/physical_package_id", c);
	}
	off += (size_t)snprintf(line + off, sizeof(line) - off, "     ");
	for (unsigned c = 0; c < ncpu; c++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "  CPU%u", c);
	off += (size_t)snprintf(line + off, sizeof(line) - off, "\n  0:");
	for (unsigned c = 0; c < ncpu; c++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " %u", 40 + c);
	off +=
	    (size_t)snprintf(line + off, sizeof(line) - off, "  IO-APIC   2-edge      timer\nLOC:");
	for (unsigned c = 0; c < ncpu; c++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, " %u", 9000 + c);
	snprintf(line + off, sizeof(line) - off, "   Local timer interrupts\nERR:          0\n");
	put(f, "proc/interrupts", line);
}

static void read_facts(struct fake *f)
{
	assert_int_equal(ps_tune_facts_read(f->root, &f->host, &f->facts), 0);
}

static int check(struct fake *f, const struct ps_tune_thread *t, size_t n, bool mlock)
{
	int k = ps_tune_threads_check(t, n, &f->facts, mlock, f->w, PS_ARRAY_SIZE(f->w));

	assert_true(k >= 0);
	for (int i = 0; i < k && i < (int)PS_ARRAY_SIZE(f->w); i++)
		print_message("  [%s] %s\n", f->w[i].code, f->w[i].msg);
	return k;
}

static bool has_warning(const struct fake *f, int k, enum ps_tune_warning_kind kind,
			const char *thread)
{
	for (int i = 0; i < k && i < (int)PS_ARRAY_SIZE(f->w); i++)
		if (f->w[i].kind == kind && (!thread || !strcmp(f->w[i].thread, thread)))
			return true;
	return false;
}

/* ---- cpusets ----------------------------------------------------------------- */

static void test_tune_cpuset_parse_and_format_round_trip(void **state)
{
	struct ps_tune_cpuset s;
	char buf[64];

	(void)state;
	assert_int_equal(ps_tune_cpuset_parse(&s, " 0-3,8,10-11\n"), 0);
	assert_int_equal(ps_tune_cpuset_count(&s), 7);
	assert_true(ps_tune_cpuset_has(&s, 8));
	assert_false(ps_tune_cpuset_has(&s, 9));
	assert_false(ps_tune_cpuset_has(&s, -1));
	ps_tune_cpuset_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "0-3,8,10-11");
	assert_int_equal(ps_tune_cpuset_parse(&s, ""), 0);
	ps_tune_cpuset_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	assert_int_equal(ps_tune_cpuset_parse(&s, "1023"), 0);
	assert_true(ps_tune_cpuset_has(&s, 1023));

	assert_int_equal(ps_tune_cpuset_parse(&s, "3-1"), -EINVAL);
	assert_int_equal(ps_tune_cpuset_parse(&s, "1024"), -EINVAL);
	assert_int_equal(ps_tune_cpuset_parse(&s, "a"), -EINVAL);
	assert_int_equal(ps_tune_cpuset_parse(&s, "1,"), -EINVAL);
	assert_int_equal(ps_tune_cpuset_parse(&s, "1-"), -EINVAL);
	assert_int_equal(ps_tune_cpuset_parse(&s, "1 2"), -EINVAL);
	assert_int_equal(ps_tune_cpuset_count(&s), 0);
}

/* ---- facts ------------------------------------------------------------------------ */

static void test_tune_facts_read_counts_device_irqs_still_routed_to_a_cpu(void **state)
{
	struct fake *f = *state;

	build_host(f, 4, true, "2-3\n");
	put(f, "proc/interrupts",
	    "           CPU0       CPU1       CPU2       CPU3\n"
	    "  0:         44          0          0          0   IO-APIC   2-edge      timer\n"
	    " 24:        100          0          7       5000   PCI-MSI 524288-edge  eth0-rx-0\n"
	    " 25:          0          0        900          0   PCI-MSI 524289-edge  eth0-rx-1\n"
	    " 26:          0          3          0          0   PCI-MSI 65536-edge   nvme0q0\n"
	    " 27:          0          0          0          0   PCI-MSI 65537-edge   nvme0q1\n"
	    "NMI:          0          0          0          0   Non-maskable interrupts\n"
	    "LOC:       1234       5678       9999       9999   Local timer interrupts\n"
	    "ERR:          0\n");
	/* 24 is routed to 2-3 now; 25 used to hit CPU 2 but has moved to CPU 0. */
	put(f, "proc/irq/24/smp_affinity_list", "2-3\n");
	put(f, "proc/irq/25/effective_affinity_list", "0\n");
	put(f, "proc/irq/25/smp_affinity_list", "0-3\n");
	/* 26 has no affinity files: its counts alone decide. */
	read_facts(f);

	assert_int_equal(ps_tune_cpuset_count(&f->facts.online), 4);
	assert_true(f->facts.isolated_known);
	assert_true(ps_tune_cpuset_has(&f->facts.isolated, 2));
	assert_false(ps_tune_cpuset_has(&f->facts.isolated, 1));
	assert_true(f->facts.topology);
	assert_int_equal(f->facts.core_leader[0], 0);
	assert_int_equal(f->facts.core_leader[2], 0);
	assert_int_equal(f->facts.core_leader[3], 1);
	assert_true(f->facts.rt_allowed);
	assert_false(f->facts.rt_throttled);
	assert_true(f->facts.mlock_allowed);
	assert_int_equal(f->facts.irqbalance_pid, 0);

	assert_int_equal(f->facts.irq_count[0], 0); /* IRQ 24 no longer routed there */
	assert_int_equal(f->facts.irq_count[1], 3);
	assert_int_equal(f->facts.irq_top[1], 26);
	assert_int_equal(f->facts.irq_count[2], 7); /* 24 only: 25 moved away */
	assert_int_equal(f->facts.irq_top[2], 24);
	assert_int_equal(f->facts.irq_count[3], 5000);
	assert_int_equal(f->facts.irq_top[3], 24);
}

static void test_tune_facts_read_missing_tree_gives_empty_facts(void **state)
{
	struct fake *f = *state;

	f->host.root = false;
	f->host.rt_allowed = false;
	f->host.memlock_limit = 64 << 10;
	read_facts(f);
	assert_int_equal(ps_tune_cpuset_count(&f->facts.online), 0);
	assert_false(f->facts.isolated_known);
	assert_false(f->facts.rt_allowed);
	assert_false(f->facts.mlock_allowed);
	assert_int_equal(f->facts.irq_top[0], -1);
	assert_int_equal(ps_tune_facts_read(f->root, &f->host, NULL), -EINVAL);
}

/* ---- warnings -------------------------------------------------------------------- */

static void test_tune_threads_check_fused_layout_on_a_tuned_host_is_quiet(void **state)
{
	struct fake *f = *state;
	const struct ps_tune_thread t[] = {
		{ "md", 2, "spin", 0, PS_TUNE_STAGE_MD },
		{ "trade", 3, "spin", 0, PS_TUNE_STAGE_BOOK | PS_TUNE_STAGE_EXEC },
		{ "cold", 0, "park", 0, PS_TUNE_STAGE_COLD },
	};

	build_host(f, 4, false, "2-3\n");
	read_facts(f);
	assert_int_equal(check(f, t, PS_ARRAY_SIZE(t), true), 0);
}

static void test_tune_threads_check_names_every_disagreement(void **state)
{
	struct fake *f = *state;
	const struct ps_tune_thread t[] = {
		{ "md", 2, "spin", 0, 0 },     /* shares CPU 2 with book, both spin */
		{ "book", 2, "spin", 0, 0 },   /* */
		{ "exec", 1, "spin", 0, 0 },   /* not isolated, takes IRQ 24 */
		{ "strat", 6, "spin", 0, 0 },  /* sibling of md's CPU 2 */
		{ "cold", 9, "park", 0, 0 },   /* no CPU 9 */
		{ "float", -1, "spin", 0, 0 }, /* spins unpinned */
		{ "odd", 0, "nap", 120, 0 },   /* bad idle and priority */
		{ "aux", 3, "yield", 0, 0 },   /* shares CPU 3 with a spinner */
		{ "feed2", 3, "spin", 50, 0 }, /* RT + throttling */
	};
	int k;

	/* 4 cores x 2 threads: CPU N and N + 4 are siblings. */
	build_host(f, 8, true, "2-3,6-7\n");
	put(f, "proc/interrupts",
	    "           CPU0       CPU1       CPU2       CPU3       CPU4       CPU5       CPU6  "
	    "     CPU7\n"
	    " 24:          0         12          0          0          0          0          0  "
	    "        0   PCI-MSI 1-edge  eth0\n");
	put(f, "proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	f->host.root = false;
	f->host.memlock_limit = 64 << 10;
	read_facts(f);
	assert_true(f->facts.rt_throttled);

	k = check(f, t, PS_ARRAY_SIZE(t), true);
	assert_true(k <= (int)PS_ARRAY_SIZE(f->w));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SPIN_SHARED, "md"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SPIN_SHARED, "feed2"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SPIN_NOT_ISOLATED, "exec"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SPIN_IRQ, "exec"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SMT_SIBLING, "md"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SMT_SIBLING, "book"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_NO_CPU, "cold"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SPIN_UNPINNED, "float"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_BAD_IDLE, "odd"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_BAD_PRIORITY, "odd"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_RT_THROTTLED, "feed2"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_MLOCK_DENIED, ""));
	/* Nothing about the threads that are fine on their own. */
	assert_false(has_warning(f, k, PS_TUNE_WARNING_SPIN_NOT_ISOLATED, "md"));
	assert_false(has_warning(f, k, PS_TUNE_WARNING_SPIN_IRQ, "md"));
	assert_false(has_warning(f, k, PS_TUNE_WARNING_RT_DENIED, NULL));

	for (int i = 0; i < k; i++) {
		assert_non_null(f->w[i].code);
		assert_true(strlen(f->w[i].msg) > 20);
	}
	/* The IRQ is named, and the fix too. */
	for (int i = 0; i < k; i++)
		if (f->w[i].kind == PS_TUNE_WARNING_SPIN_IRQ) {
			assert_non_null(strstr(f->w[i].msg, "IRQ 24"));
			assert_non_null(strstr(f->w[i].msg, "tune apply --cpus 1"));
			assert_int_equal(f->w[i].cpu, 1);
		}
}

/* A hot thread that parks on a guest whose idle vCPUs halt at once; the cold
 * thread's sleeps are not on the order path, and polling guests are quiet. */
static void test_tune_threads_check_park_on_a_halting_guest(void **state)
{
	struct fake *f = *state;
	const struct ps_tune_thread t[] = {
		{ "trade", 1, "park", 0,
		  PS_TUNE_STAGE_MD | PS_TUNE_STAGE_BOOK | PS_TUNE_STAGE_EXEC },
		{ "cold", 0, "park", 0, PS_TUNE_STAGE_COLD },
		{ "aux", 1, "yield", 0, PS_TUNE_STAGE_EXEC },
	};
	int k;

	build_host(f, 2, false, "1\n");
	put(f, "sys/devices/system/cpu/cpuidle/current_driver", "haltpoll\n");
	put(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", "0\n");
	read_facts(f);
	assert_true(f->facts.halts_at_once);
	k = check(f, t, PS_ARRAY_SIZE(t), false);
	assert_true(has_warning(f, k, PS_TUNE_WARNING_PARK_HALTS, "trade"));
	assert_false(has_warning(f, k, PS_TUNE_WARNING_PARK_HALTS, "cold"));
	assert_false(has_warning(f, k, PS_TUNE_WARNING_PARK_HALTS, "aux"));
	for (int i = 0; i < k; i++)
		if (f->w[i].kind == PS_TUNE_WARNING_PARK_HALTS)
			assert_non_null(strstr(f->w[i].msg, "tune apply (halt_poll)"));

	put(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", "200000\n");
	read_facts(f);
	assert_false(f->facts.halts_at_once);
	k = check(f, t, PS_ARRAY_SIZE(t), false);
	assert_false(has_warning(f, k, PS_TUNE_WARNING_PARK_HALTS, NULL));
}

static void test_tune_threads_check_rt_denied_and_short_output(void **state)
{
	struct fake *f = *state;
	const struct ps_tune_thread t[] = {
		{ "md", 1, "spin", 10, 0 },
		{ "book", 1, "spin", 10, 0 },
	};
	struct ps_tune_warning one = { 0 };
	int k;

	build_host(f, 2, false, "1\n");
	f->host.rt_allowed = false;
	read_facts(f);
	k = check(f, t, PS_ARRAY_SIZE(t), false);
	assert_int_equal(k, 3); /* rt_denied x2, spin_shared */
	assert_true(has_warning(f, k, PS_TUNE_WARNING_RT_DENIED, "md"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_RT_DENIED, "book"));

	/* A short array still gets the full count back, and only its slots written. */
	assert_int_equal(ps_tune_threads_check(t, PS_ARRAY_SIZE(t), &f->facts, false, &one, 1), 3);
	assert_int_equal(one.kind, PS_TUNE_WARNING_RT_DENIED);
	assert_int_equal(ps_tune_threads_check(t, PS_ARRAY_SIZE(t), &f->facts, false, NULL, 0), 3);
	assert_int_equal(ps_tune_threads_check(NULL, 1, &f->facts, false, NULL, 0), -EINVAL);
	assert_int_equal(ps_tune_threads_check(t, 1, NULL, false, NULL, 0), -EINVAL);
}

static void test_tune_warnings_print_one_line_each(void **state)
{
	struct fake *f = *state;
	const struct ps_tune_thread t[] = { { "md", 5, "spin", 0, 0 } };
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int k;

	build_host(f, 2, false, "1\n");
	read_facts(f);
	k = check(f, t, 1, false);
	assert_int_equal(k, 1);
	mem = open_memstream(&text, &len);
	assert_non_null(mem);
	assert_int_equal(ps_tune_warnings_print(mem, f->w, (size_t)k), 0);
	fclose(mem);
	assert_non_null(strstr(text, "warning: [cpu_missing] thread 'md' is pinned to CPU 5"));
	assert_non_null(strstr(text, "(online: 0-1)"));
	assert_int_equal(strchr(text, '\n') - text + 1, (long)len);
	free(text);
}

/* ---- config reading and the shipped topologies ----------------------------------- */

static void test_tune_threads_read_rejects_bad_stages_and_values(void **state)
{
	struct ps_tune_thread t[4];
	struct ps_config *c = NULL;
	char err[256];
	size_t n;

	(void)state;
	assert_int_equal(ps_config_load_string(&c,
					       "[thread.a]\ncpu = 1\nstages = md, book\n"
					       "[thread.b]\nstages = exec,cold\nidle = spin\n",
					       "t.ini", err, sizeof(err)),
			 0);
	assert_int_equal(ps_tune_threads_read(c, t, PS_ARRAY_SIZE(t), &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(t[0].name, "a");
	assert_int_equal(t[0].cpu, 1);
	assert_string_equal(t[0].idle, "yield"); /* default, as the engine */
	assert_int_equal(t[0].stages, PS_TUNE_STAGE_MD | PS_TUNE_STAGE_BOOK);
	assert_int_equal(t[1].cpu, -1);
	assert_string_equal(t[1].idle, "spin");
	assert_int_equal(t[1].stages, PS_TUNE_STAGE_EXEC | PS_TUNE_STAGE_COLD);
	assert_int_equal(ps_tune_threads_read(c, t, 1, &n, err, sizeof(err)), PS_EFULL);
	ps_config_destroy(c);

	assert_int_equal(ps_config_load_string(&c, "[thread.a]\n\nstages = md,risk\n", "t.ini", err,
					       sizeof(err)),
			 0);
	assert_int_equal(ps_tune_threads_read(c, t, PS_ARRAY_SIZE(t), &n, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "t.ini:3: [thread.a] stages = md,risk: unknown stage 'risk'"));
	ps_config_destroy(c);

	assert_int_equal(
	    ps_config_load_string(&c, "[thread.a]\nstages = md,md\n", "t.ini", err, sizeof(err)),
	    0);
	assert_int_equal(ps_tune_threads_read(c, t, PS_ARRAY_SIZE(t), &n, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "repeated stage 'md'"));
	ps_config_destroy(c);

	assert_int_equal(
	    ps_config_load_string(&c, "[thread.a]\nidle = busy\n", "t.ini", err, sizeof(err)), 0);
	assert_int_equal(ps_tune_threads_read(c, t, PS_ARRAY_SIZE(t), &n, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "t.ini:2"));
	ps_config_destroy(c);
}

/* Load tuning/configs/topology-@cores.ini; every stage on exactly one thread. */
static size_t load_topology(unsigned cores, struct ps_config **c, struct ps_tune_thread *t,
			    size_t max)
{
	char path[PATH_MAX], err[512];
	unsigned seen = 0;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/tuning/configs/topology-%u.ini", PS_SOURCE_DIR, cores);
	if (ps_config_load(c, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (ps_tune_threads_read(*c, t, max, &n, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (ps_config_check_unused(*c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(seen & t[i].stages, 0);
		seen |= t[i].stages;
		assert_true(t[i].cpu >= 0);
	}
	assert_int_equal(seen, PS_TUNE_STAGE_MD | PS_TUNE_STAGE_BOOK | PS_TUNE_STAGE_EXEC |
				   PS_TUNE_STAGE_COLD);
	return n;
}

static void test_tune_topology_configs_fit_the_hosts_they_are_for(void **state)
{
	static const struct {
		unsigned cores, ncpu;
		bool smt;
		const char *isolated;
	} hosts[] = {
		{ 2, 2, false, "1\n" },
		{ 4, 4, false, "2-3\n" },
		{ 8, 8, false, "2-7\n" },
		{ 16, 32, true, "2-15,18-31\n" },
	};
	struct fake *f = *state;

	for (size_t h = 0; h < PS_ARRAY_SIZE(hosts); h++) {
		struct ps_tune_thread t[16];
		struct ps_config *c = NULL;
		size_t n = load_topology(hosts[h].cores, &c, t, PS_ARRAY_SIZE(t));

		print_message("topology-%u.ini: %zu threads\n", hosts[h].cores, n);
		build_host(f, hosts[h].ncpu, hosts[h].smt, hosts[h].isolated);
		read_facts(f);
		assert_int_equal(check(f, t, n, true), 0);
		ps_config_destroy(c);
	}
}

static void test_tune_topology_configs_warn_on_a_smaller_untuned_host(void **state)
{
	struct fake *f = *state;
	struct ps_tune_thread t[16];
	struct ps_config *c = NULL;
	size_t n = load_topology(16, &c, t, PS_ARRAY_SIZE(t));
	int k;

	/* The 16-core layout on a 2-CPU box with nothing isolated. */
	build_host(f, 2, false, "\n");
	read_facts(f);
	k = check(f, t, n, true);
	assert_true(has_warning(f, k, PS_TUNE_WARNING_NO_CPU, "md"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_NO_CPU, "exec"));
	assert_false(has_warning(f, k, PS_TUNE_WARNING_NO_CPU, "cold"));
	ps_config_destroy(c);

	/* The 4-core layout on an untuned 4-CPU box: spinners not isolated. */
	n = load_topology(4, &c, t, PS_ARRAY_SIZE(t));
	build_host(f, 4, false, "\n");
	read_facts(f);
	k = check(f, t, n, true);
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SPIN_NOT_ISOLATED, "md"));
	assert_true(has_warning(f, k, PS_TUNE_WARNING_SPIN_NOT_ISOLATED, "trade"));
	assert_false(has_warning(f, k, PS_TUNE_WARNING_SPIN_NOT_ISOLATED, "cold"));
	ps_config_destroy(c);
}

/* The live host: whatever it is, reading it works and the check runs. */
static void test_tune_facts_read_live_host(void **state)
{
	static struct ps_tune_facts live;
	const struct ps_tune_thread t[] = { { "cold", 0, "park", 0, PS_TUNE_STAGE_COLD } };

	(void)state;
	assert_int_equal(ps_tune_facts_read("/", NULL, &live), 0);
	assert_true(ps_tune_cpuset_count(&live.online) >= 1);
	assert_true(ps_tune_cpuset_has(&live.online, 0));
	assert_true(ps_tune_threads_check(t, 1, &live, false, NULL, 0) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tune_cpuset_parse_and_format_round_trip),
		cmocka_unit_test_setup_teardown(
		    test_tune_facts_read_counts_device_irqs_still_routed_to_a_cpu, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_facts_read_missing_tree_gives_empty_facts,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tune_threads_check_fused_layout_on_a_tuned_host_is_quiet, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_threads_check_names_every_disagreement,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_threads_check_park_on_a_halting_guest,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_threads_check_rt_denied_and_short_output,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_warnings_print_one_line_each, fake_setup,
						fake_teardown),
		cmocka_unit_test(test_tune_threads_read_rejects_bad_stages_and_values),
		cmocka_unit_test_setup_teardown(
		    test_tune_topology_configs_fit_the_hosts_they_are_for, fake_setup,
		    fake_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tune_topology_configs_warn_on_a_smaller_untuned_host, fake_setup,
		    fake_teardown),
		cmocka_unit_test(test_tune_facts_read_live_host),
	};
	return cmocka_run_group_tests_name("tuning_host", tests, NULL, NULL);
}
