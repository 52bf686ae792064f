/* `perseus tune`: host readiness (tune check). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ps/err.h>
#include <ps/tune.h>

#include "cli.h"
#include "cli_tune_apply.h"

static void tune_usage(FILE *f)
{
	fprintf(f, "usage: perseus tune check [--json] [--root DIR]\n"
		   "       perseus tune apply [--dry-run | --yes] ... (tune apply --help)\n"
		   "\n"
		   "  check        report, item by item, whether this host is set up for low\n"
		   "               latency (isolated CPUs, nohz_full, rcu_nocbs, irqbalance,\n"
		   "               governor, idle states, THP, hugepages, TSC, NUMA, RT\n"
		   "               scheduling, mlock). Read-only: each WARN names its fix.\n"
		   "  --json       one JSON object instead of the table\n"
		   "  --root DIR   read DIR/proc and DIR/sys instead of the live ones\n");
}

static int tune_check(int argc, char **argv)
{
	struct ps_tune_result res[PS_TUNE_ITEM_COUNT];
	const char *root = "/";
	bool json = false;
	int n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			root = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			tune_usage(stdout);
			return 0;
		} else {
			ps_cli_error("tune", "check: unknown argument '%s'", argv[i]);
			tune_usage(stderr);
			return 2;
		}
	}
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
	ps_cli_error("tune", "unknown subcommand '%s'", argv[1]);
	tune_usage(stderr);
	return 2;
}
PS_CLI_COMMAND("tune", "check (tune check) or set up (tune apply) this host for low latency",
	       cli_tune);
