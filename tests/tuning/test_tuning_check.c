/* ps_tune_check against fake /proc + /sys trees with known values, and the live host. */
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

#include <ps/tune.h>

struct fake {
	char root[PATH_MAX];
	struct ps_tune_host host;
	struct ps_tune_result res[PS_TUNE_ITEM_COUNT];
};

#include "fake_tree.h"

static int fake_setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s/ps_tune_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
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

static const struct ps_tune_result *item(const struct fake *f, enum ps_tune_item i)
{
	return &f->res[i];
}

#define assert_item(f, id, st, val)                                             \
	do {                                                                    \
		const struct ps_tune_result *r_ = item((f), PS_TUNE_ITEM_##id); \
		if (r_->status != (st) || strcmp(r_->value, (val)) != 0)        \
			fail_msg("%s: got %s '%s', want %s '%s'", r_->item,     \
				 ps_tune_status_name(r_->status), r_->value,    \
				 ps_tune_status_name(st), (val));               \
	} while (0)

/* A host set up by the book: 4 CPUs, no SMT, 1-3 isolated and tickless. */
static void build_tuned(const struct fake *f)
{
	put(f, "proc/cmdline",
	    "BOOT_IMAGE=/vmlinuz isolcpus=managed_irq,domain,1-3 nohz_full=1-3 rcu_nocbs=1-3 "
	    "rcu_nocb_poll quiet\n");
	put(f, "proc/1/comm", "systemd\n");
	put(f, "proc/77/comm", "sshd\n");
	put(f, "proc/meminfo",
	    "MemTotal:       16000000 kB\nHugePages_Total:     512\nHugePages_Free:      500\n"
	    "HugePages_Rsvd:        0\nHugepagesize:       2048 kB\n");
	put(f, "proc/cpuinfo",
	    "processor\t: 0\nflags\t\t: fpu tsc rdtscp constant_tsc nonstop_tsc tsc_known_freq\n\n"
	    "processor\t: 1\nflags\t\t: fpu\n");
	put(f, "proc/sys/kernel/sched_rt_runtime_us", "-1\n");
	put(f, "proc/sys/kernel/sched_rt_period_us", "1000000\n");
	put(f, "sys/devices/system/cpu/online", "0-3\n");
	put(f, "sys/devices/system/cpu/isolated", "1-3\n");
	put(f, "sys/devices/system/cpu/nohz_full", "1-3\n");
	put(f, "sys/devices/system/cpu/cpuidle/current_driver", "intel_idle\n");
	for (unsigned c = 0; c < 4; c++) {
		char core[16];

		snprintf(core, sizeof(core), "%u\n", c);
		putf(f, "0\n", "sys/devices/system/cpu/cpu%u/topology/physical_package_id", c);
		putf(f, core, "sys/devices/system/cpu/cpu%u/topology/core_id", c);
		putf(f, core, "sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		putf(f, "performance\n", "sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor",
		     c);
	}
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state0/name", "POLL\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state0/latency", "0\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state0/disable", "0\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state1/name", "C1\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state1/latency", "2\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state1/disable", "0\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state2/name", "C6\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state2/latency", "133\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state2/disable", "1\n");
	put(f, "sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	put(f, "sys/kernel/mm/transparent_hugepage/defrag",
	    "always defer [defer+madvise] madvise never\n");
	put(f, "sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
	put(f, "sys/devices/system/node/online", "0-1\n");
}

static void test_tune_check_tuned_host_is_all_ok(void **state)
{
	struct fake *f = *state;

	build_tuned(f);
	f->host = (struct ps_tune_host){
		.root = false, .rt_allowed = true, .rtprio_limit = 99, .memlock_limit = UINT64_MAX
	};
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT),
			 PS_TUNE_ITEM_COUNT);
	assert_item(f, CPUS, PS_TUNE_INFO, "4 online (0-3); 1 socket, 4 cores, 1 thread per core");
	assert_item(f, SMT, PS_TUNE_OK, "off (1 thread per core)");
	assert_item(f, ISOLATED, PS_TUNE_OK, "1-3");
	assert_item(f, NOHZ_FULL, PS_TUNE_OK, "1-3");
	assert_item(f, RCU_NOCBS, PS_TUNE_OK, "1-3");
	assert_item(f, IRQBALANCE, PS_TUNE_OK, "not running");
	assert_item(f, GOVERNOR, PS_TUNE_OK, "performance");
	assert_item(f, CPUIDLE, PS_TUNE_OK, "shallow only: POLL(0us) C1(2us)");
	assert_item(f, HALT_POLL, PS_TUNE_INFO, "no haltpoll cpuidle driver (driver: intel_idle)");
	assert_item(f, THP, PS_TUNE_OK, "madvise");
	assert_item(f, THP_DEFRAG, PS_TUNE_OK, "defer+madvise");
	assert_item(f, HUGEPAGES, PS_TUNE_OK, "512 total, 500 free (2048 kB pages)");
	assert_item(f, TSC, PS_TUNE_OK, "constant_tsc nonstop_tsc");
	assert_item(f, CLOCKSOURCE, PS_TUNE_OK, "tsc");
	assert_item(f, NUMA, PS_TUNE_INFO,
		    "2 nodes (0-1); keep each hot thread and its memory on one node");
	assert_item(f, RT_SCHED, PS_TUNE_OK, "SCHED_FIFO allowed (RLIMIT_RTPRIO or CAP_SYS_NICE)");
	assert_item(f, RT_THROTTLE, PS_TUNE_OK, "off");
	assert_item(f, MLOCK, PS_TUNE_OK, "RLIMIT_MEMLOCK unlimited");
	assert_item(f, DAMON, PS_TUNE_OK, "not running");
	assert_int_equal(ps_tune_count(f->res, PS_TUNE_ITEM_COUNT, PS_TUNE_WARN), 0);
	for (size_t i = 0; i < PS_TUNE_ITEM_COUNT; i++)
		assert_string_equal(f->res[i].fix, "");
}

/* A stock desktop: SMT, nothing isolated, irqbalance, powersave, deep C-states,
 * THP always, no hugepages, no nonstop_tsc, hpet, RT throttled, small memlock. */
static void build_untuned(const struct fake *f)
{
	/* kdamond 0 stopped, kdamond 1 sampling physical memory with a pageout
	 * scheme, and the damon_reclaim module on. */
	put(f, "sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds", "2\n");
	put(f, "sys/kernel/mm/damon/admin/kdamonds/0/state", "off\n");
	put(f, "sys/kernel/mm/damon/admin/kdamonds/1/state", "on\n");
	put(f, "sys/kernel/mm/damon/admin/kdamonds/1/contexts/0/operations", "paddr\n");
	put(f, "sys/kernel/mm/damon/admin/kdamonds/1/contexts/0/schemes/0/action", "pageout\n");
	put(f, "sys/module/damon_reclaim/parameters/enabled", "Y\n");
	put(f, "sys/module/damon_lru_sort/parameters/enabled", "N\n");
	/* A KVM guest whose idle vCPUs halt at once. */
	put(f, "sys/devices/system/cpu/cpuidle/current_driver", "haltpoll\n");
	put(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", "0\n");
	/* rcu_nocbs after "--" belongs to init and must not count. */
	put(f, "proc/cmdline", "BOOT_IMAGE=/vmlinuz quiet splash -- rcu_nocbs=1\n");
	put(f, "proc/1/comm", "systemd\n");
	put(f, "proc/42/comm", "irqbalance\n");
	put(f, "proc/self/comm", "irqbalance\n"); /* not a pid: ignored */
	put(f, "proc/meminfo",
	    "MemTotal:       16000000 kB\nHugePages_Total:       0\nHugePages_Free:        0\n"
	    "Hugepagesize:       2048 kB\n");
	put(f, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu tsc constant_tsc\n");
	put(f, "proc/sys/kernel/sched_rt_runtime_us", "950000\n");
	put(f, "proc/sys/kernel/sched_rt_period_us", "1000000\n");
	put(f, "sys/devices/system/cpu/online", "0-3\n");
	put(f, "sys/devices/system/cpu/isolated", "\n");
	put(f, "sys/devices/system/cpu/nohz_full", "(null)\n");
	/* Two cores with two threads each: {0,2} and {1,3}. */
	for (unsigned c = 0; c < 4; c++) {
		char core[16];

		snprintf(core, sizeof(core), "%u\n", c % 2);
		putf(f, "0\n", "sys/devices/system/cpu/cpu%u/topology/physical_package_id", c);
		putf(f, core, "sys/devices/system/cpu/cpu%u/topology/core_id", c);
		putf(f, c % 2 ? "1,3\n" : "0,2\n",
		     "sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		putf(f, c < 2 ? "powersave\n" : "performance\n",
		     "sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor", c);
	}
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state0/name", "POLL\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state0/latency", "0\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state0/disable", "0\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state1/name", "C6\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state1/latency", "133\n");
	put(f, "sys/devices/system/cpu/cpu0/cpuidle/state1/disable", "0\n");
	put(f, "sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
	put(f, "sys/kernel/mm/transparent_hugepage/defrag",
	    "[always] defer defer+madvise madvise never\n");
	put(f, "sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet\n");
}

static void test_tune_check_untuned_host_warns_with_fixes(void **state)
{
	struct fake *f = *state;

	build_untuned(f);
	f->host = (struct ps_tune_host){
		.root = false, .rt_allowed = false, .rtprio_limit = 0, .memlock_limit = 8u << 20
	};
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT),
			 PS_TUNE_ITEM_COUNT);
	assert_item(f, CPUS, PS_TUNE_INFO, "4 online (0-3); 1 socket, 2 cores, 2 threads per core");
	assert_item(f, SMT, PS_TUNE_WARN, "on (2 threads per core)");
	assert_item(f, ISOLATED, PS_TUNE_WARN, "none");
	assert_item(f, NOHZ_FULL, PS_TUNE_WARN, "none");
	assert_item(f, RCU_NOCBS, PS_TUNE_WARN, "not set");
	assert_item(f, IRQBALANCE, PS_TUNE_WARN, "running (pid 42)");
	assert_item(f, GOVERNOR, PS_TUNE_WARN, "powersave on CPUs 0-1");
	assert_item(f, CPUIDLE, PS_TUNE_WARN, "deep states enabled: C6(133us)");
	assert_item(f, HALT_POLL, PS_TUNE_WARN,
		    "off (guest_halt_poll_ns 0): an idle vCPU halts at once, and a wake-up waits "
		    "for the host");
	assert_item(f, THP, PS_TUNE_WARN, "always");
	assert_item(f, THP_DEFRAG, PS_TUNE_WARN, "always");
	assert_item(f, HUGEPAGES, PS_TUNE_WARN, "none reserved (2048 kB pages)");
	assert_item(f, TSC, PS_TUNE_WARN, "missing nonstop_tsc");
	assert_item(f, CLOCKSOURCE, PS_TUNE_WARN, "hpet");
	assert_item(f, NUMA, PS_TUNE_INFO, "1 node (no NUMA information in sysfs)");
	assert_item(f, RT_SCHED, PS_TUNE_WARN,
		    "SCHED_FIFO not allowed (RLIMIT_RTPRIO 0, not root)");
	assert_item(f, RT_THROTTLE, PS_TUNE_WARN, "on: 950000 us per 1000000 us period");
	assert_item(f, MLOCK, PS_TUNE_WARN, "RLIMIT_MEMLOCK 8192 KiB");
	assert_item(f, DAMON, PS_TUNE_WARN, "on: kdamond 1 (paddr, pageout), damon_reclaim");
	assert_int_equal(ps_tune_count(f->res, PS_TUNE_ITEM_COUNT, PS_TUNE_OK), 0);
	assert_int_equal(ps_tune_count(f->res, PS_TUNE_ITEM_COUNT, PS_TUNE_INFO), 2);

	/* Every WARN says how to fix it; the suggested hot CPUs leave CPU 0's core. */
	for (size_t i = 0; i < PS_TUNE_ITEM_COUNT; i++)
		if (f->res[i].status == PS_TUNE_WARN)
			assert_true(f->res[i].fix[0] != '\0');
	assert_string_equal(item(f, PS_TUNE_ITEM_ISOLATED)->fix,
			    "add isolcpus=managed_irq,domain,1,3 to the kernel command line and "
			    "reboot");
	assert_non_null(strstr(item(f, PS_TUNE_ITEM_NOHZ_FULL)->fix, "nohz_full=1,3"));
	assert_non_null(strstr(item(f, PS_TUNE_ITEM_RCU_NOCBS)->fix, "rcu_nocbs=1,3"));
	assert_non_null(
	    strstr(item(f, PS_TUNE_ITEM_RT_THROTTLE)->fix, "kernel.sched_rt_runtime_us=-1"));
	assert_non_null(strstr(item(f, PS_TUNE_ITEM_IRQBALANCE)->fix, "irqbalance"));
	assert_non_null(strstr(item(f, PS_TUNE_ITEM_DAMON)->fix,
			       "echo off > /sys/kernel/mm/damon/admin/kdamonds/1/state"));
	assert_non_null(strstr(item(f, PS_TUNE_ITEM_HALT_POLL)->fix,
			       "echo 200000 > /sys/module/haltpoll/parameters/guest_halt_poll_ns"));
}

/* The halt_poll item through each setup a haltpoll guest can have. */
static void test_tune_check_halt_poll_states(void **state)
{
	struct fake *f = *state;

	put(f, "sys/devices/system/cpu/online", "0-1\n");
	put(f, "sys/devices/system/cpu/cpuidle/current_driver", "haltpoll\n");
	put(f, "sys/devices/system/cpu/cpuidle/current_governor_ro", "haltpoll\n");
	put(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", "200000\n");
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT),
			 PS_TUNE_ITEM_COUNT);
	assert_item(f, HALT_POLL, PS_TUNE_OK, "polls up to 200000 ns before halting");
	assert_string_equal(item(f, PS_TUNE_ITEM_HALT_POLL)->fix, "");
	put(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", "0\n");
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT),
			 PS_TUNE_ITEM_COUNT);
	assert_int_equal(item(f, PS_TUNE_ITEM_HALT_POLL)->status, PS_TUNE_WARN);
	/* The writable governor file wins over the read-only one. */
	put(f, "sys/devices/system/cpu/cpuidle/current_governor", "menu\n");
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT),
			 PS_TUNE_ITEM_COUNT);
	assert_item(f, HALT_POLL, PS_TUNE_INFO, "haltpoll driver under the menu governor");
	put(f, "sys/devices/system/cpu/cpuidle/current_governor", "haltpoll\n");
	put(f, "sys/module/haltpoll/parameters/guest_halt_poll_ns", "-5\n");
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT),
			 PS_TUNE_ITEM_COUNT);
	assert_item(f, HALT_POLL, PS_TUNE_INFO,
		    "haltpoll governor; guest_halt_poll_ns not readable");
}

/* No cpufreq, no cpuidle, no nohz_full file, no topology: a small VM. */
static void test_tune_check_missing_files_are_info_or_warn(void **state)
{
	struct fake *f = *state;

	put(f, "proc/cmdline", "console=ttyS0 nohz_full=1\n");
	put(f, "sys/devices/system/cpu/online", "0-1\n");
	put(f, "sys/devices/system/cpu/cpuidle/current_driver", "none\n");
	f->host = (struct ps_tune_host){ .root = true, .rt_allowed = true, .memlock_limit = 0 };
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT),
			 PS_TUNE_ITEM_COUNT);
	assert_item(f, CPUS, PS_TUNE_INFO, "2 online (0-1); topology not available");
	assert_item(f, SMT, PS_TUNE_INFO, "unknown (no topology in sysfs)");
	assert_item(f, ISOLATED, PS_TUNE_WARN, "not available");
	assert_item(f, NOHZ_FULL, PS_TUNE_WARN, "nohz_full=1 ignored: kernel lacks NO_HZ_FULL");
	assert_item(f, IRQBALANCE, PS_TUNE_OK, "not running");
	assert_item(f, GOVERNOR, PS_TUNE_INFO, "no cpufreq (virtual machine or no driver)");
	assert_item(f, CPUIDLE, PS_TUNE_INFO, "no idle states (driver: none)");
	assert_item(f, HALT_POLL, PS_TUNE_INFO, "no haltpoll cpuidle driver (driver: none)");
	assert_item(f, THP, PS_TUNE_INFO, "not available");
	assert_item(f, HUGEPAGES, PS_TUNE_INFO, "not available");
	assert_item(f, TSC, PS_TUNE_INFO, "no CPU flags in /proc/cpuinfo");
	assert_item(f, CLOCKSOURCE, PS_TUNE_INFO, "not available");
	assert_item(f, RT_SCHED, PS_TUNE_OK, "SCHED_FIFO allowed (root)");
	assert_item(f, RT_THROTTLE, PS_TUNE_INFO, "not available");
	assert_item(f, MLOCK, PS_TUNE_OK, "root (CAP_IPC_LOCK)");
	assert_item(f, DAMON, PS_TUNE_OK, "not running");
}

static void test_tune_check_rejects_bad_arguments(void **state)
{
	struct fake *f = *state;

	assert_int_equal(ps_tune_check(f->root, &f->host, NULL, PS_TUNE_ITEM_COUNT), -EINVAL);
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT - 1), -EINVAL);
	assert_int_equal(ps_tune_host_probe(NULL), -EINVAL);
}

static void test_tune_print_json_escapes_and_counts(void **state)
{
	struct fake *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	build_untuned(f);
	assert_int_equal(ps_tune_check(f->root, &f->host, f->res, PS_TUNE_ITEM_COUNT),
			 PS_TUNE_ITEM_COUNT);
	snprintf(f->res[PS_TUNE_ITEM_CPUS].value, PS_TUNE_VALUE_LEN, "a\"b\\c\n");
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(ps_tune_print_json(m, f->res, PS_TUNE_ITEM_COUNT), 0);
	assert_int_equal(fclose(m), 0);
	assert_non_null(strstr(buf, "{\"checks\":[{\"item\":\"cpus\",\"status\":\"INFO\","
				    "\"value\":\"a\\\"b\\\\c\\n\",\"fix\":\"\"}"));
	assert_non_null(strstr(buf, "\"item\":\"thp_enabled\",\"status\":\"WARN\",\"value\":"
				    "\"always\",\"fix\":\"echo madvise > "));
	assert_non_null(strstr(buf, "],\"ok\":0,\"info\":2,\"warn\":17}\n"));
	free(buf);
}

/* The live host: every item present, well-formed, in order. */
static void test_tune_check_live_host_structure(void **state)
{
	struct ps_tune_result res[PS_TUNE_ITEM_COUNT + 1];
	static const char *const names[] = {
#define PS_XX(id, name) name,
		PS_TUNE_ITEM_MAP(PS_XX)
#undef PS_XX
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	(void)state;
	assert_int_equal(ps_tune_check("/", NULL, res, PS_ARRAY_SIZE(res)), PS_TUNE_ITEM_COUNT);
	for (size_t i = 0; i < PS_TUNE_ITEM_COUNT; i++) {
		assert_string_equal(res[i].item, names[i]);
		assert_true(res[i].status == PS_TUNE_OK || res[i].status == PS_TUNE_INFO ||
			    res[i].status == PS_TUNE_WARN);
		assert_true(res[i].value[0] != '\0');
		assert_true((res[i].status == PS_TUNE_WARN) == (res[i].fix[0] != '\0'));
	}
	/* A Linux host always has CPUs and a /proc. */
	assert_non_null(strstr(res[PS_TUNE_ITEM_CPUS].value, " online ("));
	assert_true(strncmp(res[PS_TUNE_ITEM_CPUS].value, "0 online", 8) != 0);

	m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(ps_tune_print(m, res, PS_TUNE_ITEM_COUNT), 0);
	assert_int_equal(fclose(m), 0);
	for (size_t i = 0; i < PS_TUNE_ITEM_COUNT; i++)
		assert_non_null(strstr(buf, names[i]));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tune_check_tuned_host_is_all_ok, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_check_untuned_host_warns_with_fixes,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_check_missing_files_are_info_or_warn,
						fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_check_halt_poll_states, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_check_rejects_bad_arguments, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_tune_print_json_escapes_and_counts, fake_setup,
						fake_teardown),
		cmocka_unit_test(test_tune_check_live_host_structure),
	};
	return cmocka_run_group_tests_name("tuning_check", tests, NULL, NULL);
}
