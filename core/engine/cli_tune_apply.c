/* `perseus tune apply`: set this host up for low latency (dry run by default). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/config.h>
#include <ps/err.h>
#include <ps/tune_apply.h>
#include <ps/tune_host.h>

#include "cli.h"
#include "cli_tune_apply.h"

#define CMD "tune"

/* Plan entries to start with; doubled while the host has more IRQs. */
#define PLAN_ENTRIES_START 1024u
#define PLAN_ENTRIES_MAX   (1u << 20)
/* Thread sections read from --config. */
#define MAX_THREADS 64

static void apply_usage(FILE *f)
{
	fprintf(f,
		"usage: perseus tune apply [--dry-run | --yes] [--cpus LIST] [--config FILE]\n"
		"                          [--hugepages N] [--thp madvise|never] [--skip ITEMS]\n"
		"                          [--undo-file PATH] [--root DIR]\n"
		"\n"
		"Moves IRQs off the hot CPUs (and stops irqbalance), sets the performance\n"
		"governor, THP to madvise, RT throttling off, stops DAMON, lets a haltpoll\n"
		"guest's idle vCPUs poll before they halt and, when asked, vm.nr_hugepages.\n"
		"Prints each change (path, old value, new value) and the command that undoes it.\n"
		"Run-time settings only: they do not survive a reboot (see tuning/GUIDE.md).\n"
		"\n"
		"  --dry-run         print the plan, change nothing (the default)\n"
		"  --yes             apply it (needs root); a failed item does not stop the rest\n"
		"  --cpus LIST       hot CPUs, e.g. 2-3 (default: the CPUs of the spinning\n"
		"                    threads in --config, else the isolated CPUs, else all\n"
		"                    but the first core)\n"
		"  --config FILE     run config: its [thread.*] CPUs, plus warnings where it\n"
		"                    and this host disagree\n"
		"  --hugepages N     set vm.nr_hugepages to N (default: left alone)\n"
		"  --thp MODE        madvise (default) or never\n"
		"  --skip ITEMS      comma list of irqbalance, irq_affinity, governor, thp,\n"
		"                    hugepages, rt_throttling, damon, halt_poll\n"
		"  --undo-file PATH  also write the undo commands to PATH as a shell script\n"
		"  --root DIR        act on DIR/proc and DIR/sys instead of the live ones\n");
}

static int parse_skip(const char *list, uint32_t *skip)
{
	char buf[256], *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return -EINVAL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum ps_tune_apply_item item;

		if (ps_tune_apply_item_parse(tok, &item) < 0) {
			ps_cli_error(
			    CMD,
			    "apply: unknown item '%s' in --skip (accepted: irqbalance, "
			    "irq_affinity, governor, thp, hugepages, rt_throttling, damon, "
			    "halt_poll)",
			    tok);
			return -EINVAL;
		}
		*skip |= 1u << item;
	}
	return 0;
}

/* The CPUs of the spinning threads as a cpulist; false when there are none. */
static bool spin_cpus(const struct ps_tune_thread *t, size_t n, char *buf, size_t len)
{
	struct ps_tune_cpuset s = { { 0 } };

	for (size_t i = 0; i < n; i++)
		if (t[i].cpu >= 0 && t[i].idle && !strcmp(t[i].idle, "spin"))
			ps_tune_cpuset_set(&s, (unsigned)t[i].cpu);
	if (!ps_tune_cpuset_count(&s))
		return false;
	ps_tune_cpuset_format(&s, buf, len);
	return true;
}

/* Build the plan, growing the entry memory while the host has more IRQs. */
static int build(struct ps_tune_plan *p, void **mem, const char *root,
		 const struct ps_tune_apply_opts *o)
{
	char err[512];

	for (uint32_t cap = PLAN_ENTRIES_START; cap <= PLAN_ENTRIES_MAX; cap *= 2) {
		int rc;

		ps_free(*mem);
		*mem = ps_alloc(ps_tune_plan_memsize(cap));
		if (!*mem) {
			ps_cli_error(CMD, "apply: out of memory");
			return -ENOMEM;
		}
		(void)ps_tune_plan_init(p, *mem, cap);
		rc = ps_tune_plan_build(p, root, o, err, sizeof(err));
		if (rc == PS_EFULL)
			continue;
		if (rc < 0)
			ps_cli_error(CMD, "apply: %s", err[0] ? err : ps_strerror(rc));
		return rc;
	}
	ps_cli_error(CMD, "apply: more than %u IRQs and CPUs to plan for", PLAN_ENTRIES_MAX);
	return PS_EFULL;
}

static int write_undo(const char *path, const struct ps_tune_plan *p)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	FILE *f;
	int rc;

	if (fd < 0) {
		ps_cli_error(CMD, "apply: cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	rc = ps_tune_plan_write_undo(f, p);
	if (fclose(f) != 0 && !rc)
		rc = -EIO;
	if (rc)
		ps_cli_error(CMD, "apply: cannot write %s: %s", path, ps_strerror(rc));
	return rc;
}

/* Warnings where the config's threads and the host (as it is now) disagree. */
static int config_warnings(const char *path, const struct ps_tune_thread *t, size_t n,
			   const char *root)
{
	struct ps_tune_warning w[64];
	struct ps_tune_facts *f = ps_alloc(sizeof(*f));
	int rc, k;

	if (!f)
		return -ENOMEM;
	rc = ps_tune_facts_read(root, NULL, f);
	if (rc) {
		ps_cli_error(CMD, "apply: cannot read the host: %s", ps_strerror(rc));
		ps_free(f);
		return rc;
	}
	k = ps_tune_threads_check(t, n, f, true, w, PS_ARRAY_SIZE(w));
	ps_free(f);
	printf("\n%s against this host: %d warning%s\n", path, k, k == 1 ? "" : "s");
	return ps_tune_warnings_print(stdout, w, (size_t)PS_MIN(k, (int)PS_ARRAY_SIZE(w)));
}

int ps_cli_tune_apply(int argc, char **argv)
{
	struct ps_tune_apply_opts o = { .hugepages = -1 };
	struct ps_tune_thread threads[MAX_THREADS];
	struct ps_config *cfg = NULL;
	struct ps_tune_plan plan;
	const char *root = "/", *undo = NULL, *config = NULL;
	char cpus[256], err[512];
	size_t nthreads = 0;
	bool yes = false, dry = false;
	void *mem = NULL;
	int rc, failed = 0, status = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			apply_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--yes")) {
			yes = true;
		} else if (!strcmp(a, "--dry-run")) {
			dry = true;
		} else if (v && !strcmp(a, "--cpus")) {
			o.cpus = v;
			i++;
		} else if (v && !strcmp(a, "--config")) {
			config = v;
			i++;
		} else if (v && !strcmp(a, "--hugepages")) {
			char *end;

			errno = 0;
			o.hugepages = strtoll(v, &end, 10);
			if (errno || end == v || *end || o.hugepages < 0) {
				ps_cli_error(CMD, "apply: --hugepages wants a count >= 0, not '%s'",
					     v);
				return 2;
			}
			i++;
		} else if (v && !strcmp(a, "--thp")) {
			o.thp = v;
			i++;
		} else if (v && !strcmp(a, "--skip")) {
			if (parse_skip(v, &o.skip) < 0)
				return 2;
			i++;
		} else if (v && !strcmp(a, "--undo-file")) {
			undo = v;
			i++;
		} else if (v && !strcmp(a, "--root")) {
			root = v;
			i++;
		} else {
			ps_cli_error(CMD, "apply: unknown or incomplete argument '%s'", a);
			apply_usage(stderr);
			return 2;
		}
	}
	if (yes && dry) {
		ps_cli_error(CMD, "apply: --yes and --dry-run contradict each other");
		return 2;
	}
	/* Only the live host needs privileges; a --root tree is the caller's own. */
	if (yes && !strcmp(root, "/") && geteuid() != 0) {
		ps_cli_error(CMD, "apply: --yes changes kernel settings and needs root (sudo "
				  "perseus tune apply --yes ...); nothing was changed. Without "
				  "--yes it prints the plan.");
		return 1;
	}
	if (config) {
		rc = ps_config_load(&cfg, config, err, sizeof(err));
		if (!rc)
			rc = ps_tune_threads_read(cfg, threads, PS_ARRAY_SIZE(threads), &nthreads,
						  err, sizeof(err));
		if (rc) {
			ps_cli_error(CMD, "apply: %s", err);
			goto out;
		}
		if (!o.cpus && spin_cpus(threads, nthreads, cpus, sizeof(cpus)))
			o.cpus = cpus;
	}

	if (build(&plan, &mem, root, &o) < 0)
		goto out;
	if (yes)
		failed = ps_tune_plan_apply(&plan, &o);
	printf("perseus tune apply (%s): ", yes ? "applied" : "dry run, nothing changed");
	if (ps_tune_plan_print(stdout, &plan) < 0) {
		ps_cli_error(CMD, "apply: cannot write the report: %s", strerror(errno));
		goto out;
	}
	if (undo && write_undo(undo, &plan) < 0)
		goto out;
	if (undo)
		printf("undo commands written to %s\n", undo);
	if (config && config_warnings(config, threads, nthreads, root) < 0)
		goto out;
	if (failed) {
		ps_cli_error(CMD, "apply: %d change%s failed (see above); the others were applied",
			     failed, failed == 1 ? "" : "s");
		goto out;
	}
	status = 0;
out:
	ps_tune_plan_fini(&plan);
	ps_free(mem);
	ps_config_destroy(cfg);
	return status;
}
