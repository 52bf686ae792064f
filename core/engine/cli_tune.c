/* `perseus tune`: host readiness (tune check), setup (tune apply) and the
 * platform's jitter on a CPU (tune jitter). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/clock.h>
#include <ps/err.h>
#include <ps/hist.h>
#include <ps/tune.h>
#include <ps/tune_host.h>
#include <ps/tune_jitter.h>

#include "cli.h"
#include "cli_tune_apply.h"

static void tune_usage(FILE *f)
{
	fprintf(f,
		"usage: perseus tune check [--json] [--root DIR]\n"
		"       perseus tune apply [--dry-run | --yes] ... (tune apply --help)\n"
		"       perseus tune irqs [--json] [--root DIR]\n"
		"       perseus tune jitter [--cpu N] [--seconds S] [--threshold-ns N]\n"
		"                           [--priority P] [--json]\n"
		"\n"
		"  check        report, item by item, whether this host is set up for low\n"
		"               latency (isolated CPUs, nohz_full, rcu_nocbs, irqbalance,\n"
		"               governor, idle states, a VM's halt polling, THP, hugepages,\n"
		"               TSC, NUMA, RT scheduling, mlock, DAMON). Read-only: each WARN\n"
		"               names its fix.\n"
		"  --json       one JSON object instead of the table\n"
		"  --root DIR   read DIR/proc and DIR/sys instead of the live ones\n"
		"  irqs         per online CPU, the device interrupts it has taken (since\n"
		"               boot, counting only IRQs still routed there) and the\n"
		"               busiest: keep hot threads on the CPUs with the fewest\n"
		"  jitter       spin on CPU N (default: unpinned) for S seconds (default 5)\n"
		"               reading the clock, and report every gap of at least N ns\n"
		"               (default 1000): the time this host takes from a thread that\n"
		"               never yields (interrupts, ticks, other tasks, a hypervisor).\n"
		"               Run it with the engine stopped or on a CPU it does not use.\n"
		"  --priority P SCHED_FIFO priority 1..99 for the spinning thread (0: normal)\n");
}

/*
 * The [--json] [--root DIR] [--help] arguments of tune check and tune irqs.
 * @return -1 to go on; else the exit status (0 after --help, 2 after a bad
 *         argument, named in the error).
 */
static int root_json_args(const char *sub, int argc, char **argv, const char **root, bool *json)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			*root = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			tune_usage(stdout);
			return 0;
		} else {
			ps_cli_error("tune", "%s: unknown or incomplete argument '%s'", sub,
				     argv[i]);
			tune_usage(stderr);
			return 2;
		}
	}
	return -1;
}

static int tune_check(int argc, char **argv)
{
	struct ps_tune_result res[PS_TUNE_ITEM_COUNT];
	const char *root = "/";
	bool json = false;
	int n;

	if ((n = root_json_args("check", argc, argv, &root, &json)) >= 0)
		return n;
	n = ps_tune_check(root, NULL, res, PS_ARRAY_SIZE(res));
	if (n < 0) {
		ps_cli_error("tune", "check: %s", ps_strerror(n));
		return 1;
	}
	if ((json ? ps_tune_print_json(stdout, res, (size_t)n)
		  : ps_tune_print(stdout, res, (size_t)n)) < 0) {
		ps_cli_error("tune", "check: cannot write the report: %s", strerror(errno));
		return 1;
	}
	return 0;
}

/* A number in [lo, hi] (a whole one when whole is set), or an error naming
 * the flag and what it accepts. */
static int num_arg(const char *flag, const char *s, double lo, double hi, bool whole, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !(*v >= lo && *v <= hi) ||
	    (whole && *v != (double)(long)*v)) {
		ps_cli_error("tune", "jitter: %s %s: expected %s from %g to %g", flag, s,
			     whole ? "a whole number" : "a number", lo, hi);
		return -1;
	}
	return 0;
}

static int tune_jitter(int argc, char **argv)
{
	struct ps_jitter_config cfg;
	struct ps_jitter_result res;
	struct ps_hist *gaps = NULL;
	bool json = false;
	char err[256] = "";
	int rc;

	ps_jitter_config_default(&cfg);
	for (int i = 1; i < argc; i++) {
		double v;

		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			tune_usage(stdout);
			return 0;
		} else if (i + 1 < argc && !strcmp(argv[i], "--cpu")) {
			if (num_arg("--cpu", argv[++i], 0, PS_TUNE_MAX_CPUS - 1, true, &v))
				return 2;
			cfg.cpu = (int)v;
		} else if (i + 1 < argc && !strcmp(argv[i], "--seconds")) {
			if (num_arg("--seconds", argv[++i], 0.001, 3600, false, &v))
				return 2;
			cfg.duration_ns = (uint64_t)(v * 1e9);
		} else if (i + 1 < argc && !strcmp(argv[i], "--threshold-ns")) {
			if (num_arg("--threshold-ns", argv[++i], PS_JITTER_MIN_THRESHOLD, 1e9, true,
				    &v))
				return 2;
			cfg.threshold_ns = (uint64_t)v;
		} else if (i + 1 < argc && !strcmp(argv[i], "--priority")) {
			if (num_arg("--priority", argv[++i], 0, 99, true, &v))
				return 2;
			cfg.priority = (int)v;
		} else {
			ps_cli_error("tune", "jitter: unknown or incomplete argument '%s'",
				     argv[i]);
			tune_usage(stderr);
			return 2;
		}
	}
	ps_clock_init();
	if ((rc = ps_hist_create(&gaps))) {
		ps_cli_error("tune", "jitter: %s", ps_strerror(rc));
		return 1;
	}
	rc = ps_jitter_measure(&cfg, gaps, &res, err, sizeof(err));
	if (rc) {
		ps_cli_error("tune", "jitter: %s", err[0] ? err : ps_strerror(rc));
		ps_hist_destroy(gaps);
		return 1;
	}
	rc = json ? ps_jitter_print_json(stdout, &res, gaps) : ps_jitter_print(stdout, &res, gaps);
	ps_hist_destroy(gaps);
	if (rc < 0) {
		ps_cli_error("tune", "jitter: cannot write the report: %s", strerror(errno));
		return 1;
	}
	return 0;
}

static int tune_irqs(int argc, char **argv)
{
	const char *root = "/";
	bool json = false;
	int rc;

	if ((rc = root_json_args("irqs", argc, argv, &root, &json)) >= 0)
		return rc;
	struct ps_tune_facts *f = calloc(1, sizeof(*f)); /* 16 KiB: not on the stack */
	if (!f) {
		ps_cli_error("tune", "irqs: out of memory");
		return 1;
	}
	rc = ps_tune_facts_read(root, NULL, f);
	if (rc) {
		ps_cli_error("tune", "irqs: cannot read the host under %s: %s", root,
			     ps_strerror(rc));
		free(f);
		return 1;
	}
	if (json)
		printf("{\"cpus\":[");
	for (int cpu = 0, n = 0; cpu < PS_TUNE_MAX_CPUS; cpu++) {
		char name[128];

		if (!ps_tune_cpuset_has(&f->online, cpu))
			continue;
		ps_tune_irq_names(root, f->irq_top[cpu], name, sizeof(name));
		if (json)
			printf("%s{\"cpu\":%d,\"interrupts\":%llu,\"busiest_irq\":%d}",
			       n ? "," : "", cpu, (unsigned long long)f->irq_count[cpu],
			       (int)f->irq_top[cpu]);
		else if (f->irq_top[cpu] >= 0)
			printf("cpu %d  interrupts %llu  busiest IRQ %d (%s)\n", cpu,
			       (unsigned long long)f->irq_count[cpu], (int)f->irq_top[cpu],
			       name[0] ? name : "?");
		else
			printf("cpu %d  interrupts 0\n", cpu);
		n++;
	}
	if (json)
		printf("]}\n");
	free(f);
	if (fflush(stdout) || ferror(stdout)) {
		ps_cli_error("tune", "irqs: cannot write the report: %s", strerror(errno));
		return 1;
	}
	return 0;
}

static int cli_tune(int argc, char **argv)
{
	if (argc < 2) {
		tune_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		tune_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "check"))
		return tune_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "apply"))
		return ps_cli_tune_apply(argc - 1, argv + 1);
	if (!strcmp(argv[1], "irqs"))
		return tune_irqs(argc - 1, argv + 1);
	if (!strcmp(argv[1], "jitter"))
		return tune_jitter(argc - 1, argv + 1);
	ps_cli_error("tune", "unknown subcommand '%s'", argv[1]);
	tune_usage(stderr);
	return 2;
}
PS_CLI_COMMAND("tune", "check (tune check), set up (tune apply) or measure (tune jitter) this host",
	       cli_tune);
