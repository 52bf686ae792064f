#include <ps/thread.h>

#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static int report_cpu(void *arg)
{
	int *cpu = arg;
	*cpu = sched_getcpu();
	return 42;
}

static void test_thread_pins_to_cpu0(void **state)
{
	(void)state;
	struct ps_thread t;
	struct ps_thread_attr attr = PS_THREAD_ATTR_INIT;
	char err[256] = "";
	int cpu = -1, ret = 0;
	attr.cpu = 0;
	attr.name = "ps-test-pinned-long-name";
	if (ps_thread_cpu_check(0, NULL, 0) != 0)
		skip();
	assert_int_equal(ps_thread_start(&t, &attr, report_cpu, &cpu, err, sizeof(err)), 0);
	assert_int_equal(ps_thread_join(&t, &ret), 0);
	assert_int_equal(ret, 42);
	assert_int_equal(cpu, 0);
	assert_int_equal(ps_thread_join(&t, &ret), -EINVAL); /* joined already */
}

static void test_thread_unpinned_defaults(void **state)
{
	(void)state;
	struct ps_thread t;
	int cpu = -1, ret = 0;
	assert_int_equal(ps_thread_start(&t, NULL, report_cpu, &cpu, NULL, 0), 0);
	assert_int_equal(ps_thread_join(&t, &ret), 0);
	assert_int_equal(ret, 42);
	assert_true(cpu >= 0);
}

static void test_thread_bad_cpu_is_named(void **state)
{
	(void)state;
	struct ps_thread t;
	struct ps_thread_attr attr = PS_THREAD_ATTR_INIT;
	char err[256] = "", want[64];
	int cpu;
	attr.cpu = 9999;
	assert_int_equal(ps_thread_start(&t, &attr, report_cpu, &cpu, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cpu 9999 does not exist"));
	snprintf(want, sizeof(want), "(this host has CPUs 0");
	assert_non_null(strstr(err, want));
	assert_int_equal(ps_thread_join(&t, NULL), -EINVAL);
	attr.cpu = -5;
	assert_int_equal(ps_thread_start(&t, &attr, report_cpu, &cpu, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cpu -5 does not exist"));
	assert_int_equal(ps_thread_pin_self(9999, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cpu 9999"));
}

static void test_thread_priority_out_of_range(void **state)
{
	(void)state;
	struct ps_thread t;
	struct ps_thread_attr attr = PS_THREAD_ATTR_INIT;
	char err[256] = "";
	int cpu;
	attr.priority = 100;
	assert_int_equal(ps_thread_start(&t, &attr, report_cpu, &cpu, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "priority 100 out of range (0 for SCHED_OTHER, 1..99 for SCHED_FIFO)");
	attr.priority = -1;
	assert_int_equal(ps_thread_start(&t, &attr, report_cpu, &cpu, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "priority -1 out of range"));
	assert_int_equal(ps_thread_priority_self(100, err, sizeof(err)), -EINVAL);
	assert_int_equal(ps_thread_start(NULL, &attr, report_cpu, &cpu, err, sizeof(err)), -EINVAL);
	assert_int_equal(ps_thread_start(&t, &attr, NULL, &cpu, err, sizeof(err)), -EINVAL);
}

static int report_policy(void *arg)
{
	int *policy = arg;
	struct sched_param sp;
	pthread_getschedparam(pthread_self(), policy, &sp);
	return sp.sched_priority;
}

/* SCHED_FIFO either works (root / CAP_SYS_NICE) or fails with -EPERM and a
 * message naming the priority; both are checked, whichever this host gives. */
static void test_thread_fifo_priority_or_eperm(void **state)
{
	(void)state;
	struct ps_thread t;
	struct ps_thread_attr attr = PS_THREAD_ATTR_INIT;
	char err[256] = "";
	int policy = -1, ret = 0;
	attr.priority = 10;
	int rc = ps_thread_start(&t, &attr, report_policy, &policy, err, sizeof(err));
	if (rc == -EPERM) {
		assert_non_null(strstr(err, "SCHED_FIFO priority 10 not permitted"));
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(ps_thread_join(&t, &ret), 0);
	assert_int_equal(policy, SCHED_FIFO);
	assert_int_equal(ret, 10);
}

struct idle_run {
	enum ps_idle_kind kind;
	uint32_t rounds;
	uint32_t period; /* one round in `period` did work */
	uint64_t yields, parks;
};

static int run_idle(void *arg)
{
	struct idle_run *r = arg;
	struct ps_idle idle;
	ps_idle_init(&idle, r->kind);
	/* Work now and then; long idle stretches in between. */
	for (uint32_t i = 0; i < r->rounds; i++)
		ps_idle_wait(&idle, i % r->period == r->period - 1);
	r->yields = idle.yields;
	r->parks = idle.parks;
	return 0;
}

static void test_thread_idle_strategies_run(void **state)
{
	(void)state;
	static const char *const names[] = { "spin", "yield", "park", "sleep" };
	for (size_t i = 0; i < PS_ARRAY_SIZE(names); i++) {
		enum ps_idle_kind kind;
		char err[128];
		assert_int_equal(ps_idle_parse(names[i], &kind, err, sizeof(err)), 0);
		assert_string_equal(ps_idle_name(kind), names[i]);
		/* Parking stretches stay short: 12 sleeps (1 us doubling to the
		 * 1 ms cap) take about 3 ms. */
		uint32_t period = kind == PS_IDLE_PARK    ? PS_IDLE_SPINS + PS_IDLE_YIELDS + 13
				  : kind == PS_IDLE_SLEEP ? 4
							  : 2000;
		struct idle_run r = { .kind = kind, .rounds = 10 * period, .period = period };
		struct ps_thread t;
		assert_int_equal(ps_thread_start(&t, NULL, run_idle, &r, err, sizeof(err)), 0);
		assert_int_equal(ps_thread_join(&t, NULL), 0);
		switch (kind) {
		case PS_IDLE_SPIN:
			assert_int_equal(r.yields, 0);
			assert_int_equal(r.parks, 0);
			break;
		case PS_IDLE_YIELD:
			/* Each 2000-round stretch: 1000 spins, 999 yields, 1 work. */
			assert_int_equal(r.yields, 10 * (2000 - 1 - PS_IDLE_SPINS));
			assert_int_equal(r.parks, 0);
			break;
		case PS_IDLE_PARK:
			assert_int_equal(r.yields, 10 * PS_IDLE_YIELDS);
			assert_int_equal(r.parks, 10 * 12);
			break;
		case PS_IDLE_SLEEP:
			/* Never spins or yields: each idle round is one 1 ms sleep
			 * (3 of every 4 rounds here). */
			assert_int_equal(r.yields, 0);
			assert_int_equal(r.parks, 10 * 3);
			break;
		}
	}
}

static void test_thread_park_backoff_is_capped(void **state)
{
	(void)state;
	struct ps_idle idle;
	ps_idle_init(&idle, PS_IDLE_PARK);
	idle.rounds = PS_IDLE_SPINS + PS_IDLE_YIELDS; /* skip to parking */
	for (int i = 0; i < 12; i++)
		ps_idle_wait(&idle, false);
	assert_int_equal(idle.parks, 12);
	assert_int_equal(idle.park_ns, PS_IDLE_PARK_MAX_NS);
	ps_idle_wait(&idle, true);
	assert_int_equal(idle.rounds, 0);
}

/* A spinner's round count wraps without it ever yielding or sleeping. */
static void test_thread_spin_never_leaves_spinning(void **state)
{
	(void)state;
	struct ps_idle idle;
	ps_idle_init(&idle, PS_IDLE_SPIN);
	idle.rounds = UINT32_MAX - 2;
	for (int i = 0; i < 4; i++)
		ps_idle_wait(&idle, false);
	assert_true(idle.rounds < 4);
	assert_int_equal(idle.yields, 0);
	assert_int_equal(idle.parks, 0);
}

static void test_thread_idle_parse_lists_names(void **state)
{
	(void)state;
	enum ps_idle_kind kind = PS_IDLE_PARK;
	char err[128];
	assert_int_equal(ps_idle_parse("busy", &kind, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "unknown idle strategy 'busy' (accepted: spin, yield, park, sleep)");
	assert_int_equal(kind, PS_IDLE_PARK);
	assert_int_equal(ps_idle_parse("Spin", &kind, NULL, 0), -EINVAL);
	assert_int_equal(ps_idle_parse(NULL, &kind, err, sizeof(err)), -EINVAL);
	assert_string_equal(ps_idle_name((enum ps_idle_kind)7), "?");
}

/* mlockall is process-wide, so it runs in a child: it either locks (root,
 * CAP_IPC_LOCK or a big enough RLIMIT_MEMLOCK) or fails with a message. */
static void test_thread_mlock_in_child(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ps_thread t;
		struct ps_thread_attr attr = PS_THREAD_ATTR_INIT;
		char err[256] = "";
		int cpu, rc;
		attr.mlock = true;
		rc = ps_thread_start(&t, &attr, report_cpu, &cpu, err, sizeof(err));
		if (rc == 0)
			_exit(ps_thread_join(&t, NULL) == 0 ? 0 : 1);
		_exit((rc == -EPERM || rc == -ENOMEM) && strstr(err, "mlockall") ? 0 : 2);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_thread_cpu_count(void **state)
{
	(void)state;
	assert_true(ps_thread_cpu_count() >= 1);
	assert_int_equal(ps_thread_cpu_check(ps_thread_cpu_count(), NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_pins_to_cpu0),
		cmocka_unit_test(test_thread_unpinned_defaults),
		cmocka_unit_test(test_thread_bad_cpu_is_named),
		cmocka_unit_test(test_thread_priority_out_of_range),
		cmocka_unit_test(test_thread_fifo_priority_or_eperm),
		cmocka_unit_test(test_thread_idle_strategies_run),
		cmocka_unit_test(test_thread_park_backoff_is_capped),
		cmocka_unit_test(test_thread_spin_never_leaves_spinning),
		cmocka_unit_test(test_thread_idle_parse_lists_names),
		cmocka_unit_test(test_thread_mlock_in_child),
		cmocka_unit_test(test_thread_cpu_count),
	};
	return cmocka_run_group_tests_name("base_thread", tests, NULL, NULL);
}
