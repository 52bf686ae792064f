/*
 * `perseus tune apply`: plan, apply, print and undo (see tune_apply.h).
 *
 * The plan is built from what the files say now, so the old values in it
 * are the ones to restore. Items are applied in PS_TUNE_APPLY_MAP order:
 * irqbalance is stopped before IRQs are moved, or it would move them back.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/tune_apply.h>

#include "tune_fs.h"

/* snprintf for fields where cutting a long value short is intended. */
static void sfmt(char *buf, size_t len, const char *fmt, ...) PS_PRINTF(3, 4);

static void sfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static const char *const item_names[PS_TUNE_APPLY_COUNT] = {
#define PS_XX(id, name) [PS_TUNE_APPLY_##id] = (name),
	PS_TUNE_APPLY_MAP(PS_XX)
#undef PS_XX
};

const char *ps_tune_apply_item_name(enum ps_tune_apply_item item)
{
	return (unsigned)item < PS_TUNE_APPLY_COUNT ? item_names[item] : "?";
}

int ps_tune_apply_item_parse(const char *name, enum ps_tune_apply_item *item)
{
	for (unsigned i = 0; name && i < PS_TUNE_APPLY_COUNT; i++)
		if (!strcmp(name, item_names[i])) {
			*item = (enum ps_tune_apply_item)i;
			return 0;
		}
	return -EINVAL;
}

size_t ps_tune_plan_memsize(uint32_t max_entries)
{
	return (size_t)max_entries * sizeof(struct ps_tune_change);
}

int ps_tune_plan_init(struct ps_tune_plan *p, void *mem, uint32_t max_entries)
{
	if (!p || !mem || !max_entries)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->entries = mem;
	p->cap = max_entries;
	return 0;
}

void ps_tune_plan_fini(struct ps_tune_plan *p)
{
	if (p)
		memset(p, 0, sizeof(*p));
}

/* ---- building ------------------------------------------------------------------ */

struct build {
	struct ps_tune_plan *p;
	bool full;
};

static struct ps_tune_change *entry(struct build *b, enum ps_tune_apply_item item, bool change,
				    const char *rel)
{
	struct ps_tune_change *c;

	if (b->p->count == b->p->cap) {
		b->full = true;
		return NULL;
	}
	c = &b->p->entries[b->p->count++];
	memset(c, 0, sizeof(*c));
	c->item = item;
	c->change = change;
	c->irq = -1;
	c->result = PS_TUNE_CHANGE_PENDING;
	if (rel)
		sfmt(c->path, sizeof(c->path), "%s/%s", b->p->root, rel);
	return c;
}

static void note(struct build *b, enum ps_tune_apply_item item, const char *fmt, ...)
    PS_PRINTF(3, 4);

static void note(struct build *b, enum ps_tune_apply_item item, const char *fmt, ...)
{
	struct ps_tune_change *c = entry(b, item, false, NULL);
	va_list ap;

	if (!c)
		return;
	va_start(ap, fmt);
	vsnprintf(c->note, sizeof(c->note), fmt, ap);
	va_end(ap);
}

static void change(struct build *b, enum ps_tune_apply_item item, const char *rel, const char *old,
		   const char *new_value)
{
	struct ps_tune_change *c = entry(b, item, true, rel);

	if (!c)
		return;
	sfmt(c->old_value, sizeof(c->old_value), "%s", old);
	sfmt(c->new_value, sizeof(c->new_value), "%s", new_value);
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

/* The hot set: --cpus, else the isolated CPUs, else all but the first core. */
static int pick_cpus(struct ps_tune_plan *p, const struct ps_tune_apply_opts *o,
		     const struct ps_tune_facts *f, char *err, size_t err_len)
{
	char online[256];
	struct ps_tune_cpuset extra = { { 0 } };

	ps_tune_cpuset_format(&f->online, online, sizeof(online));
	if (o->cpus) {
		if (ps_tune_cpuset_parse(&p->hot, o->cpus) < 0 || !ps_tune_cpuset_count(&p->hot)) {
			sfmt(err, err_len,
			     "bad CPU list '%s' (expected e.g. 2-3 or 1,3,5-7, CPUs below %d)",
			     o->cpus, PS_TUNE_MAX_CPUS);
			return -EINVAL;
		}
	} else if (f->isolated_known && ps_tune_cpuset_count(&f->isolated)) {
		p->hot = f->isolated;
	} else {
		int first = 0;

		while (first < PS_TUNE_MAX_CPUS && !ps_tune_cpuset_has(&f->online, first))
			first++;
		p->hot = f->online;
		for (int c = 0; c < PS_TUNE_MAX_CPUS; c++)
			if (ps_tune_cpuset_has(&f->online, c) &&
			    f->core_leader[c] == f->core_leader[first])
				p->hot.w[c / 64] &= ~(UINT64_C(1) << (c % 64));
	}
	for (size_t i = 0; i < PS_ARRAY_SIZE(extra.w); i++) {
		extra.w[i] = p->hot.w[i] & ~f->online.w[i];
		p->housekeeping.w[i] = f->online.w[i] & ~p->hot.w[i];
	}
	ps_tune_cpuset_format(&p->hot, p->hot_list, sizeof(p->hot_list));
	ps_tune_cpuset_format(&p->housekeeping, p->housekeeping_list, sizeof(p->housekeeping_list));
	if (ps_tune_cpuset_count(&extra)) {
		char list[256];

		ps_tune_cpuset_format(&extra, list, sizeof(list));
		sfmt(err, err_len, "hot CPUs %s are not online (online: %s)", list, online);
		return -EINVAL;
	}
	if (!ps_tune_cpuset_count(&p->hot)) {
		sfmt(err, err_len, "no CPU to keep for hot threads (online: %s); give --cpus",
		     online);
		return -EINVAL;
	}
	if (!ps_tune_cpuset_count(&p->housekeeping)) {
		sfmt(err, err_len,
		     "hot CPUs %s leave no housekeeping CPU for the kernel, IRQs and the cold "
		     "thread (online: %s)",
		     p->hot_list, online);
		return -EINVAL;
	}
	return 0;
}

static void plan_irqbalance(struct build *b, const struct ps_tune_facts *f)
{
	struct ps_tune_change *c;

	b->p->irqbalance_pid = f->irqbalance_pid;
	if (!f->irqbalance_pid) {
		note(b, PS_TUNE_APPLY_IRQBALANCE, "not running");
		return;
	}
	c = entry(b, PS_TUNE_APPLY_IRQBALANCE, true, NULL);
	if (!c)
		return;
	sfmt(c->path, sizeof(c->path), "irqbalance service");
	sfmt(c->old_value, sizeof(c->old_value), "running (pid %ld)", f->irqbalance_pid);
	sfmt(c->new_value, sizeof(c->new_value), "stopped");
	sfmt(c->note, sizeof(c->note),
	     "it starts again at boot unless disabled: systemctl disable irqbalance");
}

/* "ff,ffffffff" (32-bit groups, most significant first) <-> cpuset. */
static int mask_parse(struct ps_tune_cpuset *s, const char *str)
{
	size_t groups = 1, g = 0;

	memset(s, 0, sizeof(*s));
	for (const char *q = str; *q; q++)
		groups += *q == ',';
	for (const char *q = str; *q; g++) {
		char *end;
		unsigned long v = strtoul(q, &end, 16);
		size_t shift = (groups - 1 - g) * 32;

		if (end == q || (*end && *end != ','))
			return -EINVAL;
		for (unsigned bit = 0; bit < 32; bit++)
			if (v >> bit & 1)
				ps_tune_cpuset_set(s, (unsigned)(shift + bit));
		q = *end ? end + 1 : end;
	}
	return 0;
}

static void mask_format(const struct ps_tune_cpuset *s, char *buf, size_t len)
{
	size_t off = 0;
	int top = PS_TUNE_MAX_CPUS / 32 - 1;

	while (top > 0 && !(uint32_t)(s->w[top / 2] >> (top % 2 * 32)))
		top--;
	buf[0] = '\0';
	for (int g = top; g >= 0; g--) {
		uint32_t v = (uint32_t)(s->w[g / 2] >> (g % 2 * 32));
		int n = snprintf(buf + off, len - off, g == top ? "%x" : ",%08x", v);

		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
}

static int cmp_irq(const void *a, const void *b)
{
	const struct ps_tune_change *x = a, *y = b;

	return (x->irq > y->irq) - (x->irq < y->irq);
}

static void plan_irqs(struct build *b)
{
	struct ps_tune_plan *p = b->p;
	char path[PATH_MAX], rel[64], buf[4096], list[256], names[128];
	struct ps_tune_cpuset old, next;
	uint32_t first, moved = 0;
	DIR *d;

	if (ps_tune__read(p->root, "proc/irq/default_smp_affinity", buf, sizeof(buf)) > 0 &&
	    mask_parse(&old, buf) == 0) {
		bool hits = false;

		for (size_t i = 0; i < PS_ARRAY_SIZE(old.w); i++)
			hits |= (old.w[i] & p->hot.w[i]) != 0;
		if (hits) {
			mask_format(&p->housekeeping, list, sizeof(list));
			change(b, PS_TUNE_APPLY_IRQ_AFFINITY, "proc/irq/default_smp_affinity", buf,
			       list);
			if (p->count && p->entries[p->count - 1].change)
				sfmt(p->entries[p->count - 1].note, sizeof(p->entries[0].note),
				     "IRQs registered from now on start on CPUs %s",
				     p->housekeeping_list);
		}
	}

	sfmt(path, sizeof(path), "%s/proc/irq", p->root);
	d = opendir(path);
	if (!d) {
		note(b, PS_TUNE_APPLY_IRQ_AFFINITY, "no /proc/irq: cannot see IRQs");
		return;
	}
	first = p->count;
	for (const struct dirent *e; (e = readdir(d)) != NULL;) {
		struct ps_tune_change *c;
		bool hits = false, rest = false;

		if (!is_dec(e->d_name) || strlen(e->d_name) > 10)
			continue;
		sfmt(rel, sizeof(rel), "proc/irq/%s/smp_affinity_list", e->d_name);
		if (ps_tune__read(p->root, rel, buf, sizeof(buf)) <= 0 ||
		    ps_tune_cpuset_parse(&old, buf) < 0)
			continue;
		for (size_t i = 0; i < PS_ARRAY_SIZE(old.w); i++) {
			next.w[i] = old.w[i] & p->housekeeping.w[i];
			hits |= (old.w[i] & p->hot.w[i]) != 0;
			rest |= next.w[i] != 0;
		}
		if (!hits)
			continue;
		/* Keep the IRQ's spread over the housekeeping CPUs it already had. */
		if (!rest)
			next = p->housekeeping;
		ps_tune_cpuset_format(&next, list, sizeof(list));
		change(b, PS_TUNE_APPLY_IRQ_AFFINITY, rel, buf, list);
		if (b->full)
			break;
		c = &p->entries[p->count - 1];
		c->irq = (int)strtol(e->d_name, NULL, 10);
		ps_tune_irq_names(p->root, c->irq, names, sizeof(names));
		if (names[0])
			sfmt(c->note, sizeof(c->note), "handlers: %s", names);
		moved++;
	}
	closedir(d);
	qsort(p->entries + first, p->count - first, sizeof(p->entries[0]), cmp_irq);
	if (!moved)
		note(b, PS_TUNE_APPLY_IRQ_AFFINITY, "no IRQ is routed to CPUs %s", p->hot_list);
}

static void plan_governor(struct build *b, const struct ps_tune_facts *f)
{
	char rel[96], gov[64], avail[256];
	unsigned found = 0, ok = 0;

	for (int cpu = 0; cpu < PS_TUNE_MAX_CPUS; cpu++) {
		if (!ps_tune_cpuset_has(&f->online, cpu))
			continue;
		sfmt(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
		     cpu);
		if (ps_tune__read(b->p->root, rel, gov, sizeof(gov)) <= 0)
			continue;
		found++;
		if (!strcmp(gov, "performance")) {
			ok++;
			continue;
		}
		change(b, PS_TUNE_APPLY_GOVERNOR, rel, gov, "performance");
		sfmt(rel, sizeof(rel),
		     "sys/devices/system/cpu/cpu%d/cpufreq/scaling_available_governors", cpu);
		if (!b->full && ps_tune__read(b->p->root, rel, avail, sizeof(avail)) > 0 &&
		    !strstr(avail, "performance"))
			sfmt(b->p->entries[b->p->count - 1].note, sizeof(b->p->entries[0].note),
			     "the driver offers only: %s", avail);
	}
	if (!found)
		note(b, PS_TUNE_APPLY_GOVERNOR, "no cpufreq (virtual machine or no driver)");
	else if (ok == found)
		note(b, PS_TUNE_APPLY_GOVERNOR, "already performance on all %u CPUs", found);
}

/* "always [madvise] never" -> "madvise"; false when there is no bracket. */
static bool bracketed(const char *s, char *out, size_t len)
{
	const char *a = strchr(s, '['), *z = a ? strchr(a, ']') : NULL;
	size_t n;

	if (!z)
		return false;
	n = PS_MIN((size_t)(z - a - 1), len - 1);
	memcpy(out, a + 1, n);
	out[n] = '\0';
	return true;
}

/* True when @word is one of the blank-separated choices in @list. */
static bool offers(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *q = list; (q = strstr(q, word)) != NULL; q += n) {
		bool start = q == list || q[-1] == ' ' || q[-1] == '[';
		bool end = q[n] == '\0' || q[n] == ' ' || q[n] == ']';

		if (start && end)
			return true;
	}
	return false;
}

static void plan_thp(struct build *b, const char *mode)
{
	static const char en[] = "sys/kernel/mm/transparent_hugepage/enabled";
	static const char df[] = "sys/kernel/mm/transparent_hugepage/defrag";
	char buf[256], cur[64];

	if (ps_tune__read(b->p->root, en, buf, sizeof(buf)) < 0 ||
	    !bracketed(buf, cur, sizeof(cur))) {
		note(b, PS_TUNE_APPLY_THP, "no transparent hugepages on this kernel");
		return;
	}
	/* "never" already satisfies "madvise": nothing gets a huge page unasked. */
	if (!strcmp(cur, mode) || (!strcmp(mode, "madvise") && !strcmp(cur, "never")))
		note(b, PS_TUNE_APPLY_THP, "enabled is already %s", cur);
	else
		change(b, PS_TUNE_APPLY_THP, en, cur, mode);

	if (ps_tune__read(b->p->root, df, buf, sizeof(buf)) < 0 ||
	    !bracketed(buf, cur, sizeof(cur)))
		return;
	if (!strcmp(cur, "always"))
		/* Synchronous compaction inside a page fault: stalls of milliseconds. */
		change(b, PS_TUNE_APPLY_THP, df, cur,
		       offers(buf, "defer+madvise") ? "defer+madvise" : "madvise");
	else
		note(b, PS_TUNE_APPLY_THP, "defrag is already %s", cur);
}

static void plan_hugepages(struct build *b, int64_t want)
{
	static const char rel[] = "proc/sys/vm/nr_hugepages";
	char cur[64], next[32];

	if (want < 0) {
		note(b, PS_TUNE_APPLY_HUGEPAGES, "left alone (no --hugepages N)");
		return;
	}
	if (ps_tune__read(b->p->root, rel, cur, sizeof(cur)) <= 0) {
		note(b, PS_TUNE_APPLY_HUGEPAGES, "no vm.nr_hugepages on this kernel");
		return;
	}
	sfmt(next, sizeof(next), "%lld", (long long)want);
	if (!strcmp(cur, next))
		note(b, PS_TUNE_APPLY_HUGEPAGES, "already %s", cur);
	else
		change(b, PS_TUNE_APPLY_HUGEPAGES, rel, cur, next);
}

static void plan_rt(struct build *b)
{
	static const char rel[] = "proc/sys/kernel/sched_rt_runtime_us";
	char cur[64];

	if (ps_tune__read(b->p->root, rel, cur, sizeof(cur)) <= 0) {
		note(b, PS_TUNE_APPLY_RT_THROTTLING, "no kernel.sched_rt_runtime_us");
		return;
	}
	if (!strcmp(cur, "-1")) {
		note(b, PS_TUNE_APPLY_RT_THROTTLING, "already off");
		return;
	}
	change(b, PS_TUNE_APPLY_RT_THROTTLING, rel, cur, "-1");
	if (!b->full)
		sfmt(b->p->entries[b->p->count - 1].note, sizeof(b->p->entries[0].note),
		     "warning: with throttling off a SCHED_FIFO thread that never sleeps owns "
		     "its CPU outright; kernel threads pinned there starve and the box can "
		     "hang. Only with hot threads on isolated CPUs %s",
		     b->p->hot_list);
}

/* Each running kdamond stopped (see check_damon in tune_check.c); the undo
 * starts it again with the parameters it keeps in sysfs. The reclaim modules
 * are left to their own parameter (named in tune check's fix). */
static void plan_damon(struct build *b)
{
	static const char admin[] = "sys/kernel/mm/damon/admin/kdamonds";
	char rel[192], cur[64];
	unsigned stopped = 0, n = 0;

	sfmt(rel, sizeof(rel), "%s/nr_kdamonds", admin);
	if (ps_tune__read(b->p->root, rel, cur, sizeof(cur)) <= 0) {
		note(b, PS_TUNE_APPLY_DAMON, "no DAMON admin interface on this kernel");
		return;
	}
	n = is_dec(cur) ? (unsigned)strtoul(cur, NULL, 10) : 0;
	for (unsigned i = 0; i < n && i < 16; i++) {
		sfmt(rel, sizeof(rel), "%s/%u/state", admin, i);
		if (ps_tune__read(b->p->root, rel, cur, sizeof(cur)) <= 0 || strcmp(cur, "on") != 0)
			continue;
		change(b, PS_TUNE_APPLY_DAMON, rel, cur, "off");
		stopped++;
	}
	if (!stopped)
		note(b, PS_TUNE_APPLY_DAMON, "no kdamond running");
}

/* A haltpoll guest's vCPUs poll before they halt (see check_halt_poll in
 * tune_check.c); undo: back to 0. Only a polling time of 0 is changed: a
 * value someone chose stays. */
static void plan_halt_poll(struct build *b)
{
	struct ps_tune__halt_poll_state s;

	switch (ps_tune__halt_poll(b->p->root, &s)) {
	case PS_TUNE__HP_NOT_GUEST:
		note(b, PS_TUNE_APPLY_HALT_POLL, "no haltpoll cpuidle driver (driver: %s)",
		     s.driver);
		break;
	case PS_TUNE__HP_OTHER_GOV:
		note(b, PS_TUNE_APPLY_HALT_POLL, "haltpoll driver under the %s governor",
		     s.governor);
		break;
	case PS_TUNE__HP_NO_PARAM:
		note(b, PS_TUNE_APPLY_HALT_POLL, "no guest_halt_poll_ns parameter");
		break;
	case PS_TUNE__HP_OFF:
		change(b, PS_TUNE_APPLY_HALT_POLL, PS_TUNE__HALT_POLL_PARAM, s.param,
		       PS_TUNE__HALT_POLL_ON);
		break;
	case PS_TUNE__HP_ON:
		note(b, PS_TUNE_APPLY_HALT_POLL, "already polling (guest_halt_poll_ns %s)",
		     s.param);
		break;
	}
}

int ps_tune_plan_build(struct ps_tune_plan *p, const char *root, const struct ps_tune_apply_opts *o,
		       char *err, size_t err_len)
{
	static const struct ps_tune_apply_opts defaults = { .hugepages = -1 };
	struct build b = { p, false };
	struct ps_tune_facts *f;
	const char *thp;
	char dummy[1];
	int rc, changes = 0;

	if (!err || !err_len) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	err[0] = '\0';
	if (!p || !p->entries) {
		sfmt(err, err_len, "plan not initialised");
		return -EINVAL;
	}
	if (!o)
		o = &defaults;
	thp = o->thp ? o->thp : "madvise";
	if (strcmp(thp, "madvise") != 0 && strcmp(thp, "never") != 0) {
		sfmt(err, err_len, "bad THP mode '%s' (accepted: madvise, never)", thp);
		return -EINVAL;
	}
	p->count = 0;
	p->applied = false;
	rc = ps_tune__root(root, p->root, sizeof(p->root));
	if (rc) {
		sfmt(err, err_len, "root path too long");
		return rc;
	}
	f = ps_alloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	rc = ps_tune_facts_read(root, o->host, f);
	if (rc) {
		sfmt(err, err_len, "cannot read the host: %s", ps_strerror(rc));
		goto out;
	}
	rc = pick_cpus(p, o, f, err, err_len);
	if (rc)
		goto out;

	for (unsigned item = 0; item < PS_TUNE_APPLY_COUNT; item++) {
		if (o->skip & (1u << item)) {
			note(&b, (enum ps_tune_apply_item)item, "skipped (--skip)");
			continue;
		}
		switch ((enum ps_tune_apply_item)item) {
		case PS_TUNE_APPLY_IRQBALANCE:
			plan_irqbalance(&b, f);
			break;
		case PS_TUNE_APPLY_IRQ_AFFINITY:
			plan_irqs(&b);
			break;
		case PS_TUNE_APPLY_GOVERNOR:
			plan_governor(&b, f);
			break;
		case PS_TUNE_APPLY_THP:
			plan_thp(&b, thp);
			break;
		case PS_TUNE_APPLY_HUGEPAGES:
			plan_hugepages(&b, o->hugepages);
			break;
		case PS_TUNE_APPLY_RT_THROTTLING:
			plan_rt(&b);
			break;
		case PS_TUNE_APPLY_DAMON:
			plan_damon(&b);
			break;
		case PS_TUNE_APPLY_HALT_POLL:
			plan_halt_poll(&b);
			break;
		case PS_TUNE_APPLY_COUNT:
			break;
		}
	}
	if (b.full) {
		sfmt(err, err_len, "more than %u plan entries", p->cap);
		rc = PS_EFULL;
		goto out;
	}
	for (uint32_t i = 0; i < p->count; i++)
		changes += p->entries[i].change;
	rc = changes;
out:
	ps_free(f);
	return rc;
}

/* ---- applying --------------------------------------------------------------------- */

static int run_default(char *const argv[], void *arg)
{
	pid_t pid;
	int status;

	(void)arg;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return -EIO;
}

static int apply_irqbalance(const struct ps_tune_plan *p, struct ps_tune_change *c,
			    const struct ps_tune_apply_opts *o)
{
	char a0[] = "systemctl", a1[] = "stop", a2[] = "irqbalance";
	char *argv[] = { a0, a1, a2, NULL };
	int rc;

	if (!o || !o->run) {
		if (p->root[0]) {
			sfmt(c->note, sizeof(c->note),
			     "not stopped: %s is not the live host, and its irqbalance is not "
			     "this host's service",
			     p->root);
			return -EXDEV;
		}
		rc = run_default(argv, NULL);
	} else {
		rc = o->run(argv, o->run_arg);
	}
	if (rc)
		sfmt(c->note, sizeof(c->note),
		     "systemctl stop irqbalance failed (%s): stop it by hand (kill %ld), or "
		     "IRQs will drift back",
		     rc == -ENOENT ? "no systemctl" : "non-zero exit", p->irqbalance_pid);
	return rc;
}

int ps_tune_plan_apply(struct ps_tune_plan *p, const struct ps_tune_apply_opts *o)
{
	int failed = 0;

	if (!p)
		return 0;
	for (uint32_t i = 0; i < p->count; i++) {
		struct ps_tune_change *c = &p->entries[i];
		const char *rel = c->path + strlen(p->root) + 1;
		char back[64];

		if (!c->change)
			continue;
		if (c->item == PS_TUNE_APPLY_IRQBALANCE) {
			c->result = apply_irqbalance(p, c, o);
		} else {
			c->result = ps_tune__write(p->root, rel, c->new_value);
			/* The kernel reserves what it can find; it may be fewer pages. */
			if (!c->result && c->item == PS_TUNE_APPLY_HUGEPAGES &&
			    ps_tune__read(p->root, rel, back, sizeof(back)) > 0 &&
			    strcmp(back, c->new_value) != 0) {
				sfmt(c->note, sizeof(c->note),
				     "asked for %s, the kernel reserved %s (memory too "
				     "fragmented: reserve at boot with hugepages=%s)",
				     c->new_value, back, c->new_value);
				c->result = -ENOMEM;
			}
		}
		failed += c->result != 0;
	}
	p->applied = true;
	return failed;
}

/* ---- printing ------------------------------------------------------------------------ */

/* @s as one shell word: bare when it is plain, else single-quoted. */
static void shell_word(const char *s, char *buf, size_t len)
{
	size_t off = 0;
	bool plain = *s != '\0';

	for (const char *q = s; *q; q++)
		plain &= isalnum((unsigned char)*q) || strchr("/,.+-_:=", *q) != NULL;
	if (plain) {
		sfmt(buf, len, "%s", s);
		return;
	}
	if (len < 3) {
		buf[0] = '\0';
		return;
	}
	buf[off++] = '\'';
	for (const char *q = s; *q && off + 5 < len; q++) {
		if (*q == '\'') {
			memcpy(buf + off, "'\\''", 4);
			off += 4;
		} else {
			buf[off++] = *q;
		}
	}
	buf[off++] = '\'';
	buf[off] = '\0';
}

void ps_tune_change_undo(const struct ps_tune_change *c, char *buf, size_t len)
{
	char val[272], path[400];

	if (!len)
		return;
	buf[0] = '\0';
	if (!c->change)
		return;
	if (c->item == PS_TUNE_APPLY_IRQBALANCE) {
		sfmt(buf, len, "systemctl start irqbalance");
		return;
	}
	shell_word(c->old_value, val, sizeof(val));
	shell_word(c->path, path, sizeof(path));
	sfmt(buf, len, "echo %s > %s", val, path);
}

static const char *state(const struct ps_tune_change *c)
{
	if (c->result == PS_TUNE_CHANGE_PENDING)
		return "plan";
	return c->result ? "FAILED" : "done";
}

int ps_tune_plan_print(FILE *f, const struct ps_tune_plan *p)
{
	char undo[800];
	unsigned changes = 0, failed = 0, unchanged = 0;

	fprintf(f, "hot CPUs %s, housekeeping CPUs %s%s%s\n", p->hot_list, p->housekeeping_list,
		p->root[0] ? ", root " : "", p->root);
	for (uint32_t i = 0; i < p->count; i++) {
		const struct ps_tune_change *c = &p->entries[i];

		if (!c->change) {
			unchanged++;
			continue;
		}
		changes++;
		failed += c->result != PS_TUNE_CHANGE_PENDING && c->result != 0;
		fprintf(f, "  %-6s %-13s %s: %s -> %s\n", state(c),
			ps_tune_apply_item_name(c->item), c->path, c->old_value, c->new_value);
		if (c->result != PS_TUNE_CHANGE_PENDING && c->result != 0)
			fprintf(f, "         error: %s\n", ps_strerror(c->result));
		if (c->note[0])
			fprintf(f, "         %s\n", c->note);
		ps_tune_change_undo(c, undo, sizeof(undo));
		fprintf(f, "         undo: %s\n", undo);
	}
	if (unchanged) {
		fprintf(f, "unchanged:\n");
		for (uint32_t i = 0; i < p->count; i++)
			if (!p->entries[i].change)
				fprintf(f, "  %-13s %s\n",
					ps_tune_apply_item_name(p->entries[i].item),
					p->entries[i].note);
	}
	if (!p->applied)
		fprintf(f, "%u change%s planned; dry run: nothing was changed\n", changes,
			changes == 1 ? "" : "s");
	else
		fprintf(f, "%u of %u change%s applied, %u failed\n", changes - failed, changes,
			changes == 1 ? "" : "s", failed);
	return fflush(f) || ferror(f) ? -EIO : 0;
}

int ps_tune_plan_write_undo(FILE *f, const struct ps_tune_plan *p)
{
	char undo[800];
	unsigned n = 0;

	fprintf(f,
		"#!/bin/sh\n"
		"# Undoes `perseus tune apply` (hot CPUs %s, housekeeping CPUs %s).\n"
		"# Run as root. Newest change first; the values are those read before it.\n",
		p->hot_list, p->housekeeping_list);
	if (!p->applied)
		fprintf(f, "# Written on a dry run: nothing has been changed yet.\n");
	for (uint32_t i = p->count; i-- > 0;) {
		const struct ps_tune_change *c = &p->entries[i];

		if (!c->change || (p->applied && c->result != 0))
			continue;
		ps_tune_change_undo(c, undo, sizeof(undo));
		fprintf(f, "%s\n", undo);
		n++;
	}
	if (!n)
		fprintf(f, "# nothing to undo\n");
	return fflush(f) || ferror(f) ? -EIO : 0;
}
