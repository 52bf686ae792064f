/*
 * `perseus tune check`: read-only inspection of /proc and /sys (see tune.h).
 *
 * Each check_* fills one result. Files are read whole into small stack
 * buffers; a missing file is a fact to report, never an error of the check.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ps/json.h>
#include <ps/tune.h>

#include "tune_fs.h"

#define WORDS (PS_TUNE_MAX_CPUS / 64)

/* A set of CPU (or NUMA node) numbers, as sysfs writes them: "0-3,8,10-11". */
struct cpuset {
	uint64_t w[WORDS];
};

struct ctx {
	char root[PATH_MAX]; /* prefix without trailing '/'; "" for the live host */
	const struct ps_tune_host *host;
	char cmdline[4096]; /* kernel command line, "" when unreadable */
	struct cpuset online;
	struct cpuset hot;         /* suggested hot CPUs: online minus CPU 0's core */
	char hot_list[256];        /* hot as a list, or a placeholder */
	unsigned threads_per_core; /* 0 when the topology is unreadable */
};

static const char *const item_names[PS_TUNE_ITEM_COUNT] = {
#define PS_XX(id, name) [PS_TUNE_ITEM_##id] = (name),
	PS_TUNE_ITEM_MAP(PS_XX)
#undef PS_XX
};

/* ---- small helpers --------------------------------------------------------- */

static void cpuset_set(struct cpuset *s, unsigned cpu)
{
	if (cpu < PS_TUNE_MAX_CPUS)
		s->w[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

static bool cpuset_has(const struct cpuset *s, unsigned cpu)
{
	return cpu < PS_TUNE_MAX_CPUS && (s->w[cpu / 64] >> (cpu % 64) & 1);
}

static unsigned cpuset_count(const struct cpuset *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < WORDS; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

/* Parse "0-3,8,10-11" (whitespace allowed around it). Returns 0, or -EINVAL. */
static int cpuset_parse(struct cpuset *s, const char *str)
{
	memset(s, 0, sizeof(*s));
	while (isspace((unsigned char)*str))
		str++;
	while (*str && !isspace((unsigned char)*str)) {
		char *end;
		unsigned long a = strtoul(str, &end, 10), b = a;

		if (end == str)
			return -EINVAL;
		str = end;
		if (*str == '-') {
			b = strtoul(str + 1, &end, 10);
			if (end == str + 1 || b < a)
				return -EINVAL;
			str = end;
		}
		for (unsigned long c = a; c <= b && c < PS_TUNE_MAX_CPUS; c++)
			cpuset_set(s, (unsigned)c);
		if (*str == ',')
			str++;
		else if (*str && !isspace((unsigned char)*str))
			return -EINVAL;
	}
	return 0;
}

/* Write @s as "0-3,8" into @buf; "none" when empty. */
static void cpuset_format(const struct cpuset *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < PS_TUNE_MAX_CPUS; c++) {
		unsigned e = c;
		int n;

		if (!cpuset_has(s, c))
			continue;
		while (e + 1 < PS_TUNE_MAX_CPUS && cpuset_has(s, e + 1))
			e++;
		if (e == c)
			n = snprintf(buf + off, len - off, "%s%u", off ? "," : "", c);
		else
			n = snprintf(buf + off, len - off, "%s%u-%u", off ? "," : "", c, e);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
		c = e;
	}
	if (!off)
		snprintf(buf, len, "none");
}

/* Read root-prefixed @rel into @buf (NUL-terminated, trailing whitespace cut).
 * Returns the length, or -errno. */
static int read_file(const struct ctx *c, const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX + 256];
	size_t off = 0;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", c->root, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, len - 1 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	while (off && isspace((unsigned char)buf[off - 1]))
		off--;
	buf[off] = '\0';
	return (int)off;
}

static int read_u64(const struct ctx *c, const char *rel, uint64_t *v)
{
	char buf[64], *end;
	int n = read_file(c, rel, buf, sizeof(buf));

	if (n < 0)
		return n;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return end == buf || errno ? -EINVAL : 0;
}

static void set(struct ps_tune_result *r, enum ps_tune_status st, const char *value_fmt, ...)
    PS_PRINTF(3, 4);

static void set(struct ps_tune_result *r, enum ps_tune_status st, const char *value_fmt, ...)
{
	va_list ap;

	r->status = st;
	va_start(ap, value_fmt);
	vsnprintf(r->value, sizeof(r->value), value_fmt, ap);
	va_end(ap);
}

static void fix(struct ps_tune_result *r, const char *fmt, ...) PS_PRINTF(2, 3);

static void fix(struct ps_tune_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->fix, sizeof(r->fix), fmt, ap);
	va_end(ap);
}

/* Value of "key=" on the kernel command line into @val; false when absent.
 * Arguments after a lone "--" belong to init, not the kernel. */
static bool cmdline_get(const struct ctx *c, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	const char *p = c->cmdline;

	while (*p) {
		size_t tlen;

		while (*p == ' ' || *p == '\t')
			p++;
		tlen = strcspn(p, " \t");
		if (tlen == 2 && !strncmp(p, "--", 2))
			break;
		if (tlen >= klen && !strncmp(p, key, klen) && (tlen == klen || p[klen] == '=')) {
			size_t vlen = tlen > klen ? tlen - klen - 1 : 0;

			if (vlen >= len)
				vlen = len - 1;
			memcpy(val, p + klen + (tlen > klen), vlen);
			val[vlen] = '\0';
			return true;
		}
		p += tlen;
	}
	return false;
}

/* The bracketed choice in a sysfs selector: "always [madvise] never" -> "madvise". */
static bool bracketed(const char *s, char *out, size_t len)
{
	const char *a = strchr(s, '['), *b = a ? strchr(a, ']') : NULL;
	size_t n;

	if (!a || !b)
		return false;
	n = PS_MIN((size_t)(b - a - 1), len - 1);
	memcpy(out, a + 1, n);
	out[n] = '\0';
	return true;
}

static bool is_dec(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* ---- the checks -------------------------------------------------------------- */

/* Online CPUs, sockets, cores and SMT from cpu*\/topology. Also works out the
 * suggested hot set used in the fixes below. */
static void check_cpus(struct ctx *c, struct ps_tune_result *cpus, struct ps_tune_result *smt)
{
	char buf[4096], list[256], rel[128];
	uint32_t pkgs[64];
	unsigned npkg = 0, ncore = 0, ncpu;
	struct cpuset cpu0_sib = { { 0 } };
	bool topo = true;
	/* (package, core) pairs already counted: at most one per CPU. */
	uint64_t pairs[PS_TUNE_MAX_CPUS];

	if (read_file(c, "sys/devices/system/cpu/online", buf, sizeof(buf)) < 0 ||
	    cpuset_parse(&c->online, buf) < 0 || !cpuset_count(&c->online)) {
		/* No "online" file: count cpuN directories instead. */
		DIR *d;
		char path[PATH_MAX + 64];

		memset(&c->online, 0, sizeof(c->online));
		snprintf(path, sizeof(path), "%s/sys/devices/system/cpu", c->root);
		d = opendir(path);
		if (d) {
			const struct dirent *e;

			while ((e = readdir(d)) != NULL)
				if (!strncmp(e->d_name, "cpu", 3) && is_dec(e->d_name + 3))
					cpuset_set(&c->online,
						   (unsigned)strtoul(e->d_name + 3, NULL, 10));
			closedir(d);
		}
	}
	ncpu = cpuset_count(&c->online);
	cpuset_format(&c->online, list, sizeof(list));

	for (unsigned cpu = 0; cpu < PS_TUNE_MAX_CPUS; cpu++) {
		uint64_t pkg, core, key;
		bool dup = false;

		if (!cpuset_has(&c->online, cpu))
			continue;
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpu%u/topology/physical_package_id", cpu);
		if (read_u64(c, rel, &pkg) < 0) {
			topo = false;
			break;
		}
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/topology/core_id", cpu);
		if (read_u64(c, rel, &core) < 0) {
			topo = false;
			break;
		}
		key = pkg << 32 | (core & 0xffffffffu);
		for (unsigned i = 0; i < ncore; i++)
			dup |= pairs[i] == key;
		if (!dup && ncore < PS_ARRAY_SIZE(pairs))
			pairs[ncore++] = key;
		dup = false;
		for (unsigned i = 0; i < npkg; i++)
			dup |= pkgs[i] == (uint32_t)pkg;
		if (!dup && npkg < PS_ARRAY_SIZE(pkgs))
			pkgs[npkg++] = (uint32_t)pkg;
	}

	/* Hot-set suggestion: leave the first online CPU and its SMT siblings to
	 * the kernel and the cold thread. */
	c->hot = c->online;
	{
		unsigned first = 0;

		while (first < PS_TUNE_MAX_CPUS && !cpuset_has(&c->online, first))
			first++;
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", first);
		if (read_file(c, rel, buf, sizeof(buf)) < 0 || cpuset_parse(&cpu0_sib, buf) < 0) {
			memset(&cpu0_sib, 0, sizeof(cpu0_sib));
			cpuset_set(&cpu0_sib, first);
		}
		for (size_t i = 0; i < WORDS; i++)
			c->hot.w[i] &= ~cpu0_sib.w[i];
	}
	if (cpuset_count(&c->hot))
		cpuset_format(&c->hot, c->hot_list, sizeof(c->hot_list));
	else
		snprintf(c->hot_list, sizeof(c->hot_list), "<hot cpus>");

	cpus->status = PS_TUNE_INFO;
	if (topo && ncore) {
		c->threads_per_core = ncpu / ncore;
		set(cpus, PS_TUNE_INFO,
		    "%u online (%s); %u socket%s, %u core%s, %u thread%s per core", ncpu, list,
		    npkg, npkg == 1 ? "" : "s", ncore, ncore == 1 ? "" : "s", c->threads_per_core,
		    c->threads_per_core == 1 ? "" : "s");
	} else {
		c->threads_per_core = 0;
		set(cpus, PS_TUNE_INFO, "%u online (%s); topology not available", ncpu, list);
	}

	if (!c->threads_per_core) {
		set(smt, PS_TUNE_INFO, "unknown (no topology in sysfs)");
	} else if (c->threads_per_core > 1) {
		set(smt, PS_TUNE_WARN, "on (%u threads per core)", c->threads_per_core);
		fix(smt, "add nosmt to the kernel command line (or echo off > "
			 "/sys/devices/system/cpu/smt/control), or keep hot CPUs' siblings idle");
	} else {
		set(smt, PS_TUNE_OK, "off (1 thread per core)");
	}
}

static void check_isolated(const struct ctx *c, struct ps_tune_result *r)
{
	char buf[1024], list[256];
	struct cpuset s;
	int n = read_file(c, "sys/devices/system/cpu/isolated", buf, sizeof(buf));

	if (n > 0 && cpuset_parse(&s, buf) == 0 && cpuset_count(&s)) {
		cpuset_format(&s, list, sizeof(list));
		set(r, PS_TUNE_OK, "%s", list);
		return;
	}
	set(r, PS_TUNE_WARN, "%s", n < 0 ? "not available" : "none");
	fix(r, "add isolcpus=managed_irq,domain,%s to the kernel command line and reboot",
	    c->hot_list);
}

static void check_nohz_full(const struct ctx *c, struct ps_tune_result *r)
{
	char buf[1024], cl[256];
	struct cpuset s;
	int n = read_file(c, "sys/devices/system/cpu/nohz_full", buf, sizeof(buf));
	bool on_cmdline = cmdline_get(c, "nohz_full", cl, sizeof(cl));

	if (n > 0 && strcmp(buf, "(null)") != 0 && cpuset_parse(&s, buf) == 0 && cpuset_count(&s)) {
		char list[256];

		cpuset_format(&s, list, sizeof(list));
		set(r, PS_TUNE_OK, "%s", list);
		return;
	}
	if (n < 0) {
		/* The file exists only in kernels built with CONFIG_NO_HZ_FULL. */
		if (on_cmdline)
			set(r, PS_TUNE_WARN, "nohz_full=%s ignored: kernel lacks NO_HZ_FULL", cl);
		else
			set(r, PS_TUNE_WARN, "not supported by this kernel");
		fix(r, "boot a kernel built with CONFIG_NO_HZ_FULL=y and add nohz_full=%s",
		    c->hot_list);
		return;
	}
	set(r, PS_TUNE_WARN, "none");
	fix(r, "add nohz_full=%s to the kernel command line and reboot", c->hot_list);
}

static void check_rcu_nocbs(const struct ctx *c, struct ps_tune_result *r)
{
	char cl[256];

	if (cmdline_get(c, "rcu_nocbs", cl, sizeof(cl))) {
		set(r, PS_TUNE_OK, "%s", cl[0] ? cl : "all");
		return;
	}
	set(r, PS_TUNE_WARN, "not set");
	fix(r, "add rcu_nocbs=%s rcu_nocb_poll to the kernel command line and reboot", c->hot_list);
}

static void check_irqbalance(const struct ctx *c, struct ps_tune_result *r)
{
	char path[PATH_MAX + 64], rel[300], comm[64];
	long pid = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/proc", c->root);
	d = opendir(path);
	if (!d) {
		set(r, PS_TUNE_INFO, "unknown (no /proc)");
		return;
	}
	for (const struct dirent *e; (e = readdir(d)) != NULL;) {
		if (!is_dec(e->d_name))
			continue;
		snprintf(rel, sizeof(rel), "proc/%s/comm", e->d_name);
		if (read_file(c, rel, comm, sizeof(comm)) > 0 && !strcmp(comm, "irqbalance")) {
			pid = strtol(e->d_name, NULL, 10);
			break;
		}
	}
	closedir(d);
	if (!pid) {
		set(r, PS_TUNE_OK, "not running");
		return;
	}
	set(r, PS_TUNE_WARN, "running (pid %ld)", pid);
	fix(r,
	    "systemctl disable --now irqbalance, then steer IRQs off CPUs %s via "
	    "/proc/irq/*/smp_affinity_list",
	    c->hot_list);
}

static void check_governor(const struct ctx *c, struct ps_tune_result *r)
{
	struct cpuset slow = { { 0 } };
	char rel[128], gov[64], other[64] = "", list[256];
	unsigned found = 0;

	for (unsigned cpu = 0; cpu < PS_TUNE_MAX_CPUS; cpu++) {
		if (!cpuset_has(&c->online, cpu))
			continue;
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor",
			 cpu);
		if (read_file(c, rel, gov, sizeof(gov)) <= 0)
			continue;
		found++;
		if (strcmp(gov, "performance") != 0) {
			cpuset_set(&slow, cpu);
			if (!other[0])
				snprintf(other, sizeof(other), "%s", gov);
		}
	}
	if (!found) {
		set(r, PS_TUNE_INFO, "no cpufreq (virtual machine or no driver)");
		return;
	}
	if (!cpuset_count(&slow)) {
		set(r, PS_TUNE_OK, "performance");
		return;
	}
	cpuset_format(&slow, list, sizeof(list));
	set(r, PS_TUNE_WARN, "%s on CPUs %s", other, list);
	fix(r, "cpupower frequency-set -g performance (or echo performance > "
	       "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)");
}

/* Idle states deeper than this exit latency cost a wake-up on every message. */
#define DEEP_IDLE_LATENCY_US 2

static void check_cpuidle(const struct ctx *c, struct ps_tune_result *r)
{
	char driver[64], rel[160], name[32], deep[PS_TUNE_VALUE_LEN] = "",
					     shallow[PS_TUNE_VALUE_LEN] = "";
	unsigned first = 0, nstates = 0;

	if (read_file(c, "sys/devices/system/cpu/cpuidle/current_driver", driver, sizeof(driver)) <=
	    0)
		snprintf(driver, sizeof(driver), "none");
	while (first < PS_TUNE_MAX_CPUS && !cpuset_has(&c->online, first))
		first++;
	for (unsigned s = 0; s < 32; s++) {
		uint64_t lat = 0, dis = 0;
		char *dst;

		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cpuidle/state%u/name",
			 first, s);
		if (read_file(c, rel, name, sizeof(name)) <= 0)
			break;
		nstates++;
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cpuidle/state%u/latency",
			 first, s);
		(void)read_u64(c, rel, &lat);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cpuidle/state%u/disable",
			 first, s);
		(void)read_u64(c, rel, &dis);
		if (dis)
			continue;
		dst = lat > DEEP_IDLE_LATENCY_US ? deep : shallow;
		size_t off = strlen(dst);
		snprintf(dst + off, PS_TUNE_VALUE_LEN - off, "%s%s(%luus)", off ? " " : "", name,
			 (unsigned long)lat);
	}
	if (!nstates) {
		set(r, PS_TUNE_INFO, "no idle states (driver: %s)", driver);
		return;
	}
	if (!deep[0]) {
		set(r, PS_TUNE_OK, "shallow only: %s", shallow[0] ? shallow : "all disabled");
		return;
	}
	set(r, PS_TUNE_WARN, "deep states enabled: %s", deep);
	fix(r, "add processor.max_cstate=1 intel_idle.max_cstate=1 (or idle=poll) to the kernel "
	       "command line, or echo 1 > /sys/devices/system/cpu/cpu*/cpuidle/stateN/disable");
}

/*
 * A virtual machine's idle vCPU under the haltpoll governor polls for up to
 * guest_halt_poll_ns before it halts. At 0 it halts at once: a thread that
 * sleeps there (a parked idle strategy, the cold thread, a blocking peer) is
 * woken through the host, which on our 2-vCPU VM put a blocking UDP ping-pong's
 * half round trip at 34-35 us p50 against 4.0 us with 200 us of polling
 * (tuning/GUIDE.md). The cpu_idle_states item cannot see it: the halt state
 * advertises an exit latency of 1 us.
 */
static void check_halt_poll(const struct ctx *c, struct ps_tune_result *r)
{
	struct ps_tune__halt_poll_state s;

	switch (ps_tune__halt_poll(c->root, &s)) {
	case PS_TUNE__HP_NOT_GUEST:
		set(r, PS_TUNE_INFO, "no haltpoll cpuidle driver (driver: %s)", s.driver);
		return;
	case PS_TUNE__HP_OTHER_GOV:
		set(r, PS_TUNE_INFO, "haltpoll driver under the %s governor", s.governor);
		return;
	case PS_TUNE__HP_NO_PARAM:
		set(r, PS_TUNE_INFO, "haltpoll governor; guest_halt_poll_ns not readable");
		return;
	case PS_TUNE__HP_OFF:
		set(r, PS_TUNE_WARN,
		    "off (guest_halt_poll_ns 0): an idle vCPU halts at once, and a wake-up "
		    "waits for the host");
		fix(r, "echo " PS_TUNE__HALT_POLL_ON " > /" PS_TUNE__HALT_POLL_PARAM
		       " (haltpoll.guest_halt_poll_ns=" PS_TUNE__HALT_POLL_ON
		       " on the kernel command line), or perseus tune apply");
		return;
	case PS_TUNE__HP_ON:
		set(r, PS_TUNE_OK, "polls up to %llu ns before halting", (unsigned long long)s.ns);
		return;
	}
}

static void check_thp(const struct ctx *c, struct ps_tune_result *en, struct ps_tune_result *df)
{
	char buf[256], v[64];

	if (read_file(c, "sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)) < 0 ||
	    !bracketed(buf, v, sizeof(v))) {
		set(en, PS_TUNE_INFO, "not available");
	} else if (!strcmp(v, "always")) {
		set(en, PS_TUNE_WARN, "always");
		fix(en, "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled (or "
			"transparent_hugepage=madvise on the kernel command line)");
	} else {
		set(en, PS_TUNE_OK, "%s", v);
	}

	if (read_file(c, "sys/kernel/mm/transparent_hugepage/defrag", buf, sizeof(buf)) < 0 ||
	    !bracketed(buf, v, sizeof(v))) {
		set(df, PS_TUNE_INFO, "not available");
	} else if (!strcmp(v, "always")) {
		/* Synchronous compaction inside a page fault: millisecond stalls. */
		set(df, PS_TUNE_WARN, "always");
		fix(df, "echo defer+madvise > /sys/kernel/mm/transparent_hugepage/defrag");
	} else {
		set(df, PS_TUNE_OK, "%s", v);
	}
}

/*
 * DAMON: a kdamond samples the accessed bit of pages all over memory (the
 * hot tables too: each sample clears a bit the next access must set again,
 * which in a VM with shadow paging costs a hypervisor fault) and its schemes
 * act on what looks idle (pageout: proactive reclaim). Set up through the
 * sysfs admin interface or the damon_reclaim / damon_lru_sort modules.
 */
static void check_damon(const struct ctx *c, struct ps_tune_result *r)
{
	static const char *const mods[] = { "damon_reclaim", "damon_lru_sort" };
	const char *admin = "sys/kernel/mm/damon/admin/kdamonds";
	char rel[192], buf[64], ops[32], act[32], on[PS_TUNE_VALUE_LEN] = "";
	int first = -1;
	uint64_t n = 0;

	(void)snprintf(rel, sizeof(rel), "%s/nr_kdamonds", admin);
	(void)read_u64(c, rel, &n);
	for (uint64_t i = 0; i < n && i < 16; i++) {
		size_t off = strlen(on);

		(void)snprintf(rel, sizeof(rel), "%s/%u/state", admin, (unsigned)i);
		if (read_file(c, rel, buf, sizeof(buf)) <= 0 || strcmp(buf, "on") != 0)
			continue;
		(void)snprintf(rel, sizeof(rel), "%s/%u/contexts/0/operations", admin, (unsigned)i);
		if (read_file(c, rel, ops, sizeof(ops)) <= 0)
			(void)snprintf(ops, sizeof(ops), "?");
		(void)snprintf(rel, sizeof(rel), "%s/%u/contexts/0/schemes/0/action", admin,
			       (unsigned)i);
		if (read_file(c, rel, act, sizeof(act)) <= 0)
			(void)snprintf(act, sizeof(act), "monitoring only");
		(void)snprintf(on + off, sizeof(on) - off, "%skdamond %u (%s, %s)", off ? ", " : "",
			       (unsigned)i, ops, act);
		if (first < 0)
			first = (int)i;
	}
	for (size_t m = 0; m < PS_ARRAY_SIZE(mods); m++) {
		size_t off = strlen(on);

		(void)snprintf(rel, sizeof(rel), "sys/module/%s/parameters/enabled", mods[m]);
		if (read_file(c, rel, buf, sizeof(buf)) > 0 && buf[0] == 'Y')
			(void)snprintf(on + off, sizeof(on) - off, "%s%s", off ? ", " : "",
				       mods[m]);
	}
	if (!on[0]) {
		set(r, PS_TUNE_OK, "not running");
		return;
	}
	set(r, PS_TUNE_WARN, "on: %s", on);
	if (first >= 0)
		fix(r,
		    "echo off > /sys/kernel/mm/damon/admin/kdamonds/%d/state (each kdamond on), "
		    "or perseus tune apply",
		    first);
	else
		fix(r,
		    "echo N > /sys/module/damon_reclaim/parameters/enabled (and damon_lru_sort)");
}

/* "Key:   123 kB" from meminfo text. */
static bool meminfo_get(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			*v = strtoull(p + klen + 1, NULL, 10);
			return true;
		}
	}
	return false;
}

static void check_hugepages(const struct ctx *c, struct ps_tune_result *r)
{
	char buf[8192];
	uint64_t total, free_, size_kb = 0;

	if (read_file(c, "proc/meminfo", buf, sizeof(buf)) < 0 ||
	    !meminfo_get(buf, "HugePages_Total", &total) ||
	    !meminfo_get(buf, "HugePages_Free", &free_)) {
		set(r, PS_TUNE_INFO, "not available");
		return;
	}
	(void)meminfo_get(buf, "Hugepagesize", &size_kb);
	if (!total) {
		set(r, PS_TUNE_WARN, "none reserved (%lu kB pages)", (unsigned long)size_kb);
		fix(r,
		    "sysctl -w vm.nr_hugepages=512 (or hugepages=512 on the kernel command line)");
		return;
	}
	if (!free_) {
		set(r, PS_TUNE_WARN, "%lu total, none free (%lu kB pages)", (unsigned long)total,
		    (unsigned long)size_kb);
		fix(r, "reserve more: sysctl -w vm.nr_hugepages=%lu", (unsigned long)total * 2);
		return;
	}
	set(r, PS_TUNE_OK, "%lu total, %lu free (%lu kB pages)", (unsigned long)total,
	    (unsigned long)free_, (unsigned long)size_kb);
}

static bool has_flag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = flags; (p = strstr(p, flag)) != NULL; p += n)
		if ((p == flags || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void check_tsc(const struct ctx *c, struct ps_tune_result *tsc, struct ps_tune_result *cs)
{
	/* The first "flags" line (within the first CPU's block, a few KiB);
	 * /proc/cpuinfo repeats it per CPU. */
	char buf[16384];
	char src[64];
	const char *flags = NULL;

	if (read_file(c, "proc/cpuinfo", buf, sizeof(buf)) >= 0) {
		for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (!strncmp(p, "flags", 5) &&
			    (p[5] == '\t' || p[5] == ' ' || p[5] == ':')) {
				const char *eol = strchr(p, '\n');

				flags = strchr(p, ':');
				if (flags && eol && flags > eol)
					flags = NULL;
				if (eol)
					buf[eol - buf] = '\0';
				break;
			}
	}
	if (!flags) {
		set(tsc, PS_TUNE_INFO, "no CPU flags in /proc/cpuinfo");
	} else {
		bool constant = has_flag(flags + 1, "constant_tsc");
		bool nonstop = has_flag(flags + 1, "nonstop_tsc");

		if (constant && nonstop) {
			set(tsc, PS_TUNE_OK, "constant_tsc nonstop_tsc");
		} else {
			set(tsc, PS_TUNE_WARN, "missing%s%s", constant ? "" : " constant_tsc",
			    nonstop ? "" : " nonstop_tsc");
			fix(tsc,
			    "no invariant TSC: timestamps fall back to clock_gettime; use hardware "
			    "(or a hypervisor setting) that exposes an invariant TSC");
		}
	}

	if (read_file(c, "sys/devices/system/clocksource/clocksource0/current_clocksource", src,
		      sizeof(src)) <= 0) {
		set(cs, PS_TUNE_INFO, "not available");
	} else if (!strcmp(src, "tsc")) {
		set(cs, PS_TUNE_OK, "tsc");
	} else {
		set(cs, PS_TUNE_WARN, "%s", src);
		fix(cs, "add clocksource=tsc tsc=reliable to the kernel command line (only with an "
			"invariant TSC)");
	}
}

static void check_numa(const struct ctx *c, struct ps_tune_result *r)
{
	char buf[1024], list[256], path[PATH_MAX + 64];
	struct cpuset nodes = { { 0 } };
	unsigned n;

	if (read_file(c, "sys/devices/system/node/online", buf, sizeof(buf)) < 0 ||
	    cpuset_parse(&nodes, buf) < 0) {
		DIR *d;

		memset(&nodes, 0, sizeof(nodes));
		snprintf(path, sizeof(path), "%s/sys/devices/system/node", c->root);
		d = opendir(path);
		if (d) {
			for (const struct dirent *e; (e = readdir(d)) != NULL;)
				if (!strncmp(e->d_name, "node", 4) && is_dec(e->d_name + 4))
					cpuset_set(&nodes,
						   (unsigned)strtoul(e->d_name + 4, NULL, 10));
			closedir(d);
		}
	}
	n = cpuset_count(&nodes);
	if (!n) {
		set(r, PS_TUNE_INFO, "1 node (no NUMA information in sysfs)");
		return;
	}
	cpuset_format(&nodes, list, sizeof(list));
	if (n == 1)
		set(r, PS_TUNE_INFO, "1 node (%s)", list);
	else
		set(r, PS_TUNE_INFO,
		    "%u nodes (%s); keep each hot thread and its memory on one node", n, list);
}

static void check_rt(const struct ctx *c, struct ps_tune_result *sched, struct ps_tune_result *thr)
{
	const struct ps_tune_host *h = c->host;
	char buf[64];
	uint64_t period = 0;

	if (h->rt_allowed)
		set(sched, PS_TUNE_OK, "SCHED_FIFO allowed (%s)",
		    h->root ? "root" : "RLIMIT_RTPRIO or CAP_SYS_NICE");
	else {
		set(sched, PS_TUNE_WARN, "SCHED_FIFO not allowed (RLIMIT_RTPRIO %lu%s)",
		    (unsigned long)h->rtprio_limit, h->root ? ", root but denied" : ", not root");
		fix(sched, "run as root, grant CAP_SYS_NICE, or add '<user> - rtprio 99' to "
			   "/etc/security/limits.conf");
	}

	if (read_file(c, "proc/sys/kernel/sched_rt_runtime_us", buf, sizeof(buf)) <= 0) {
		set(thr, PS_TUNE_INFO, "not available");
		return;
	}
	if (!strcmp(buf, "-1")) {
		set(thr, PS_TUNE_OK, "off");
		return;
	}
	(void)read_u64(c, "proc/sys/kernel/sched_rt_period_us", &period);
	/* A busy-spinning SCHED_FIFO thread is stopped for the rest of each period
	 * once it has used its runtime: a periodic multi-millisecond stall. */
	set(thr, PS_TUNE_WARN, "on: %s us per %lu us period", buf, (unsigned long)period);
	fix(thr,
	    "sysctl -w kernel.sched_rt_runtime_us=-1 (only with hot threads on isolated CPUs)");
}

static void check_mlock(const struct ctx *c, struct ps_tune_result *r)
{
	const struct ps_tune_host *h = c->host;

	if (h->root) {
		set(r, PS_TUNE_OK, "root (CAP_IPC_LOCK)");
	} else if (h->memlock_limit == UINT64_MAX) {
		set(r, PS_TUNE_OK, "RLIMIT_MEMLOCK unlimited");
	} else {
		set(r, PS_TUNE_WARN, "RLIMIT_MEMLOCK %lu KiB",
		    (unsigned long)(h->memlock_limit >> 10));
		fix(r, "ulimit -l unlimited, or '<user> - memlock unlimited' in "
		       "/etc/security/limits.conf (LimitMEMLOCK=infinity under systemd)");
	}
}

/* ---- public API ---------------------------------------------------------------- */

static void *rt_probe_thread(void *arg)
{
	struct sched_param sp = { .sched_priority = 1 };

	*(int *)arg = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	return NULL;
}

static uint64_t rlim_u64(rlim_t v)
{
	return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

int ps_tune_host_probe(struct ps_tune_host *h)
{
	struct rlimit rl;
	pthread_t t;
	int probe = -1, err;

	if (!h)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->root = geteuid() == 0;
	if (getrlimit(RLIMIT_RTPRIO, &rl) == 0)
		h->rtprio_limit = rlim_u64(rl.rlim_cur);
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
		h->memlock_limit = rlim_u64(rl.rlim_cur);
	/* The probe thread changes only its own policy and then exits. */
	err = pthread_create(&t, NULL, rt_probe_thread, &probe);
	if (err)
		return -err;
	pthread_join(t, NULL);
	h->rt_allowed = probe == 0;
	return 0;
}

const char *ps_tune_status_name(enum ps_tune_status s)
{
	switch (s) {
	case PS_TUNE_OK:
		return "OK";
	case PS_TUNE_INFO:
		return "INFO";
	case PS_TUNE_WARN:
		return "WARN";
	}
	return "?";
}

size_t ps_tune_count(const struct ps_tune_result *res, size_t n, enum ps_tune_status s)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += res[i].status == s;
	return k;
}

int ps_tune_check(const char *root, const struct ps_tune_host *host, struct ps_tune_result *res,
		  size_t res_count)
{
	struct ps_tune_host probed;
	struct ctx ctx, *c = &ctx;
	size_t rlen;
	int err;

	if (!res || res_count < PS_TUNE_ITEM_COUNT)
		return -EINVAL;
	if (!root)
		root = "/";
	rlen = strlen(root);
	while (rlen && root[rlen - 1] == '/')
		rlen--;
	if (rlen >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!host) {
		err = ps_tune_host_probe(&probed);
		if (err)
			return err;
		host = &probed;
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->root, root, rlen);
	c->root[rlen] = '\0';
	c->host = host;
	if (read_file(c, "proc/cmdline", c->cmdline, sizeof(c->cmdline)) < 0)
		c->cmdline[0] = '\0';

	for (size_t i = 0; i < PS_TUNE_ITEM_COUNT; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].item = item_names[i];
		res[i].status = PS_TUNE_INFO;
	}
	check_cpus(c, &res[PS_TUNE_ITEM_CPUS], &res[PS_TUNE_ITEM_SMT]);
	check_isolated(c, &res[PS_TUNE_ITEM_ISOLATED]);
	check_nohz_full(c, &res[PS_TUNE_ITEM_NOHZ_FULL]);
	check_rcu_nocbs(c, &res[PS_TUNE_ITEM_RCU_NOCBS]);
	check_irqbalance(c, &res[PS_TUNE_ITEM_IRQBALANCE]);
	check_governor(c, &res[PS_TUNE_ITEM_GOVERNOR]);
	check_cpuidle(c, &res[PS_TUNE_ITEM_CPUIDLE]);
	check_halt_poll(c, &res[PS_TUNE_ITEM_HALT_POLL]);
	check_thp(c, &res[PS_TUNE_ITEM_THP], &res[PS_TUNE_ITEM_THP_DEFRAG]);
	check_hugepages(c, &res[PS_TUNE_ITEM_HUGEPAGES]);
	check_tsc(c, &res[PS_TUNE_ITEM_TSC], &res[PS_TUNE_ITEM_CLOCKSOURCE]);
	check_numa(c, &res[PS_TUNE_ITEM_NUMA]);
	check_rt(c, &res[PS_TUNE_ITEM_RT_SCHED], &res[PS_TUNE_ITEM_RT_THROTTLE]);
	check_mlock(c, &res[PS_TUNE_ITEM_MLOCK]);
	check_damon(c, &res[PS_TUNE_ITEM_DAMON]);
	return PS_TUNE_ITEM_COUNT;
}

int ps_tune_print(FILE *f, const struct ps_tune_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%-5s %-16s %s\n", ps_tune_status_name(res[i].status), res[i].item,
			res[i].value);
		if (res[i].status == PS_TUNE_WARN && res[i].fix[0])
			fprintf(f, "      %-16s fix: %s\n", "", res[i].fix);
	}
	fprintf(f, "%zu OK, %zu WARN, %zu INFO\n", ps_tune_count(res, n, PS_TUNE_OK),
		ps_tune_count(res, n, PS_TUNE_WARN), ps_tune_count(res, n, PS_TUNE_INFO));
	return fflush(f) || ferror(f) ? -EIO : 0;
}

static void json_str(FILE *f, const char *s)
{
	ps_json_put_string(f, s, strlen(s));
}

int ps_tune_print_json(FILE *f, const struct ps_tune_result *res, size_t n)
{
	fputs("{\"checks\":[", f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",{\"item\":" : "{\"item\":", f);
		json_str(f, res[i].item);
		fputs(",\"status\":", f);
		json_str(f, ps_tune_status_name(res[i].status));
		fputs(",\"value\":", f);
		json_str(f, res[i].value);
		fputs(",\"fix\":", f);
		json_str(f, res[i].fix);
		fputc('}', f);
	}
	fprintf(f, "],\"ok\":%zu,\"info\":%zu,\"warn\":%zu}\n", ps_tune_count(res, n, PS_TUNE_OK),
		ps_tune_count(res, n, PS_TUNE_INFO), ps_tune_count(res, n, PS_TUNE_WARN));
	return fflush(f) || ferror(f) ? -EIO : 0;
}
