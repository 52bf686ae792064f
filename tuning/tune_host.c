/*
 * Host/config disagreement warnings (see tune_host.h), the cpulist helpers
 * and the small root-prefixed file helpers the tuning tools share.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/config.h>
#include <ps/err.h>
#include <ps/thread.h>
#include <ps/tune_host.h>

#include "tune_fs.h"

#define WORDS (PS_TUNE_MAX_CPUS / 64)

/* Locale-free character classes for kernel-written text. */
static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- root-prefixed files (tune_fs.h) ------------------------------------------ */

int ps_tune__root(const char *root, char *out, size_t len)
{
	size_t n = root ? strlen(root) : 0;

	while (n && root[n - 1] == '/')
		n--;
	if (n >= len)
		return -ENAMETOOLONG;
	if (n)
		memcpy(out, root, n);
	out[n] = '\0';
	return 0;
}

static int join(const char *root, const char *rel, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", root, rel);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int ps_tune__read(const char *root, const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t off = 0;
	int fd, err = join(root, rel, path, sizeof(path));

	if (len)
		buf[0] = '\0';
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return err > 0 ? -err : -EIO;
	}
	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, len - 1 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	while (off && blank(buf[off - 1]))
		off--;
	buf[off] = '\0';
	return (int)off;
}

int ps_tune__write(const char *root, const char *rel, const char *value)
{
	char path[PATH_MAX], line[512];
	size_t len, off = 0;
	int fd, n, err = join(root, rel, path, sizeof(path));

	if (err)
		return err;
	n = snprintf(line, sizeof(line), "%s\n", value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	len = (size_t)n;
	/* No O_CREAT: every file written here is a kernel knob that must exist. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A proc/sys knob takes the value in one write(); a short write is an error. */
	while (off < len) {
		ssize_t w = write(fd, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? -errno : -EIO;
			close(fd);
			return err;
		}
		off += (size_t)w;
	}
	/* sysfs reports some rejections only at close. */
	if (close(fd) < 0)
		return -errno;
	return 0;
}

/* ---- guest halt polling (tune_fs.h) ------------------------------------------- */

enum ps_tune__halt_poll ps_tune__halt_poll(const char *root, struct ps_tune__halt_poll_state *s)
{
	char *end;

	memset(s, 0, sizeof(*s));
	if (ps_tune__read(root, "sys/devices/system/cpu/cpuidle/current_driver", s->driver,
			  sizeof(s->driver)) <= 0)
		snprintf(s->driver, sizeof(s->driver), "none");
	if (strcmp(s->driver, "haltpoll") != 0)
		return PS_TUNE__HP_NOT_GUEST;
	/* The haltpoll driver selects the haltpoll governor unless told otherwise;
	 * an unreadable governor leaves the parameter to decide. */
	if (ps_tune__read(root, "sys/devices/system/cpu/cpuidle/current_governor", s->governor,
			  sizeof(s->governor)) <= 0)
		(void)ps_tune__read(root, "sys/devices/system/cpu/cpuidle/current_governor_ro",
				    s->governor, sizeof(s->governor));
	if (s->governor[0] && strcmp(s->governor, "haltpoll") != 0)
		return PS_TUNE__HP_OTHER_GOV;
	if (ps_tune__read(root, PS_TUNE__HALT_POLL_PARAM, s->param, sizeof(s->param)) <= 0 ||
	    !digit(s->param[0]))
		return PS_TUNE__HP_NO_PARAM;
	errno = 0;
	s->ns = strtoull(s->param, &end, 10);
	if (*end || errno)
		return PS_TUNE__HP_NO_PARAM;
	return s->ns ? PS_TUNE__HP_ON : PS_TUNE__HP_OFF;
}

/* ---- cpusets ------------------------------------------------------------------- */

unsigned ps_tune_cpuset_count(const struct ps_tune_cpuset *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < WORDS; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

int ps_tune_cpuset_parse(struct ps_tune_cpuset *s, const char *str)
{
	memset(s, 0, sizeof(*s));
	while (blank(*str))
		str++;
	while (*str && !blank(*str)) {
		char *end;
		unsigned long a, b;

		if (!digit(*str))
			goto bad;
		a = strtoul(str, &end, 10);
		b = a;
		str = end;
		if (*str == '-') {
			if (!digit(str[1]))
				goto bad;
			b = strtoul(str + 1, &end, 10);
			str = end;
		}
		if (b < a || b >= PS_TUNE_MAX_CPUS)
			goto bad;
		for (unsigned long c = a; c <= b; c++)
			ps_tune_cpuset_set(s, (unsigned)c);
		if (*str == ',' && str[1] && !blank(str[1]))
			str++;
		else if (*str && !blank(*str))
			goto bad;
	}
	while (blank(*str))
		str++;
	if (*str)
		goto bad;
	return 0;
bad:
	memset(s, 0, sizeof(*s));
	return -EINVAL;
}

void ps_tune_cpuset_format(const struct ps_tune_cpuset *s, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (int c = 0; c < PS_TUNE_MAX_CPUS; c++) {
		int e = c, n;

		if (!ps_tune_cpuset_has(s, c))
			continue;
		while (ps_tune_cpuset_has(s, e + 1))
			e++;
		if (e == c)
			n = snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
		else
			n = snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", c, e);
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';
			break;
		}
		off += (size_t)n;
		c = e;
	}
	if (!off)
		snprintf(buf, len, "none");
}

/* ---- [thread.NAME] sections ------------------------------------------------------ */

static int parse_stages(struct ps_config *c, const char *sec, const char *list, unsigned *out,
			char *err, size_t err_len)
{
	static const char *const names[] = { "md", "book", "exec", "cold" };
	const char *p = list;

	*out = 0;
	while (*p) {
		size_t n;
		unsigned bit = 0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ", \t");
		if (!n)
			break;
		for (unsigned i = 0; i < PS_ARRAY_SIZE(names); i++)
			if (strlen(names[i]) == n && !strncmp(p, names[i], n))
				bit = 1u << i;
		if (!bit || (*out & bit)) {
			if (err && err_len)
				snprintf(err, err_len,
					 "%s:%d: [%s] stages = %s: %s stage '%.*s' (accepted: md, "
					 "book, exec, cold)",
					 ps_config_path(c), ps_config_line(c, sec, "stages"), sec,
					 list, bit ? "repeated" : "unknown", (int)n, p);
			return PS_ECONFIG;
		}
		*out |= bit;
		p += n;
	}
	return 0;
}

int ps_tune_threads_read(struct ps_config *c, struct ps_tune_thread *t, size_t max, size_t *count,
			 char *err, size_t err_len)
{
	struct ps_config_iter it = { 0 };
	const char *sec;
	size_t n = 0;

	if (!c || !count || (!t && max))
		return -EINVAL;
	*count = 0;
	while ((sec = ps_config_section_next(c, "thread.*", &it)) != NULL) {
		int64_t cpu, prio;
		const char *stages;
		int idle, rc;

		if (n == max) {
			if (err && err_len)
				snprintf(err, err_len, "%s:%d: [%s]: more than %zu thread sections",
					 ps_config_path(c), ps_config_section_line(c, sec), sec,
					 max);
			return PS_EFULL;
		}
		rc = ps_config_get_int(c, sec, "cpu", -1, -1, PS_TUNE_MAX_CPUS - 1, &cpu, err,
				       err_len);
		if (!rc)
			rc = ps_config_get_enum(c, sec, "idle", ps_idle_names, 1, &idle, err,
						err_len);
		if (!rc)
			rc = ps_config_get_int(c, sec, "priority", 0, 0, 99, &prio, err, err_len);
		if (!rc)
			rc = ps_config_get_str(c, sec, "stages", "", &stages, err, err_len);
		if (!rc)
			rc = parse_stages(c, sec, stages, &t[n].stages, err, err_len);
		if (rc)
			return rc;
		t[n].name = ps_config_section_suffix(sec);
		t[n].cpu = (int)cpu;
		t[n].idle = ps_idle_names[idle];
		t[n].priority = (int)prio;
		n++;
	}
	*count = n;
	return 0;
}

/* ---- host facts ------------------------------------------------------------------- */

static bool is_dec(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!digit(s[i]))
			return false;
	return true;
}

static void read_online(const char *root, struct ps_tune_facts *f)
{
	char buf[4096], path[PATH_MAX];
	DIR *d;

	if (ps_tune__read(root, "sys/devices/system/cpu/online", buf, sizeof(buf)) >= 0 &&
	    ps_tune_cpuset_parse(&f->online, buf) == 0 && ps_tune_cpuset_count(&f->online))
		return;
	/* No "online" file: every cpuN directory counts. */
	memset(&f->online, 0, sizeof(f->online));
	if (join(root, "sys/devices/system/cpu", path, sizeof(path)))
		return;
	d = opendir(path);
	if (!d)
		return;
	for (const struct dirent *e; (e = readdir(d)) != NULL;)
		if (!strncmp(e->d_name, "cpu", 3) && is_dec(e->d_name + 3, strlen(e->d_name + 3)))
			ps_tune_cpuset_set(&f->online, (unsigned)strtoul(e->d_name + 3, NULL, 10));
	closedir(d);
}

static void read_topology(const char *root, struct ps_tune_facts *f)
{
	char rel[96], buf[1024];
	struct ps_tune_cpuset sib;

	f->topology = true;
	for (int cpu = 0; cpu < PS_TUNE_MAX_CPUS; cpu++) {
		f->core_leader[cpu] = (uint16_t)cpu;
		if (!ps_tune_cpuset_has(&f->online, cpu))
			continue;
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
		if (ps_tune__read(root, rel, buf, sizeof(buf)) < 0 ||
		    ps_tune_cpuset_parse(&sib, buf) < 0 || !ps_tune_cpuset_has(&sib, cpu)) {
			f->topology = false;
			continue;
		}
		for (int s = 0; s <= cpu; s++)
			if (ps_tune_cpuset_has(&sib, s)) {
				f->core_leader[cpu] = (uint16_t)s;
				break;
			}
	}
}

/* Next blank-separated token of the current line into @tok (@len >= 2;
 * truncated to fit). Returns its stored length, at least 1; 0 at the end of
 * the line (newline consumed); -1 at EOF. */
static int token(FILE *fp, char *tok, size_t len)
{
	size_t n = 0;
	int ch;

	tok[0] = '\0';
	do
		ch = getc(fp);
	while (ch == ' ' || ch == '\t');
	if (ch == EOF)
		return -1;
	if (ch == '\n')
		return 0;
	while (ch != EOF && ch != ' ' && ch != '\t' && ch != '\n') {
		if (n + 1 < len)
			tok[n++] = (char)ch;
		ch = getc(fp);
	}
	if (ch == '\n')
		ungetc(ch, fp);
	tok[n] = '\0';
	return (int)n;
}

static void skip_line(FILE *fp)
{
	int ch;

	do
		ch = getc(fp);
	while (ch != EOF && ch != '\n');
}

/* Per-IRQ affinity now, or false when the kernel does not say. */
static bool irq_affinity(const char *root, unsigned long irq, struct ps_tune_cpuset *aff)
{
	char rel[64], buf[4096];

	snprintf(rel, sizeof(rel), "proc/irq/%lu/effective_affinity_list", irq);
	if (ps_tune__read(root, rel, buf, sizeof(buf)) > 0 && ps_tune_cpuset_parse(aff, buf) == 0)
		return true;
	snprintf(rel, sizeof(rel), "proc/irq/%lu/smp_affinity_list", irq);
	return ps_tune__read(root, rel, buf, sizeof(buf)) > 0 &&
	       ps_tune_cpuset_parse(aff, buf) == 0;
}

/* Scratch for read_interrupts: too big for comfort on a thread stack. */
struct irq_scratch {
	int16_t col_cpu[PS_TUNE_MAX_CPUS];
	uint64_t counts[PS_TUNE_MAX_CPUS];
	uint64_t best[PS_TUNE_MAX_CPUS];
};

/*
 * /proc/interrupts: a header "CPU0 CPU1 ..." naming the columns (online CPUs
 * only), then one row per interrupt: "NAME: count count ... description".
 * Numeric NAMEs are device IRQs; the others (NMI, LOC, RES, ...) are per-CPU
 * architectural interrupts and are skipped, as are rows whose description
 * mentions a timer.
 */
static void read_interrupts(const char *root, struct ps_tune_facts *f, struct irq_scratch *s)
{
	char path[PATH_MAX], tok[64];
	unsigned ncol = 0;
	FILE *fp;
	int n;

	if (join(root, "proc/interrupts", path, sizeof(path)))
		return;
	fp = fopen(path, "re");
	if (!fp)
		return;
	while ((n = token(fp, tok, sizeof(tok))) > 0)
		if (n > 3 && !strncmp(tok, "CPU", 3) && is_dec(tok + 3, (size_t)n - 3) &&
		    ncol < PS_TUNE_MAX_CPUS) {
			unsigned long cpu = strtoul(tok + 3, NULL, 10);

			s->col_cpu[ncol++] = cpu < PS_TUNE_MAX_CPUS ? (int16_t)cpu : -1;
		}
	memset(s->best, 0, sizeof(s->best));
	while (n >= 0) {
		struct ps_tune_cpuset aff;
		unsigned long irq;
		unsigned col = 0;
		bool timer = false, aff_known;
		size_t len;

		n = token(fp, tok, sizeof(tok));
		if (n <= 0)
			continue;
		len = (size_t)n;
		if (len < 2 || tok[len - 1] != ':' || !is_dec(tok, len - 1)) {
			skip_line(fp);
			continue;
		}
		irq = strtoul(tok, NULL, 10);
		memset(s->counts, 0, sizeof(s->counts[0]) * ncol);
		while ((n = token(fp, tok, sizeof(tok))) > 0) {
			if (col < ncol && is_dec(tok, (size_t)n)) {
				s->counts[col++] = strtoull(tok, NULL, 10);
				continue;
			}
			col = ncol;
			timer |= strcasestr(tok, "timer") != NULL;
		}
		if (timer)
			continue;
		aff_known = irq_affinity(root, irq, &aff);
		for (unsigned i = 0; i < ncol; i++) {
			int cpu = s->col_cpu[i];

			if (cpu < 0 || !s->counts[i] ||
			    (aff_known && !ps_tune_cpuset_has(&aff, cpu)))
				continue;
			f->irq_count[cpu] += s->counts[i];
			if (s->counts[i] > s->best[cpu]) {
				s->best[cpu] = s->counts[i];
				f->irq_top[cpu] = (int32_t)irq;
			}
		}
	}
	fclose(fp);
}

/* /proc/irq/N/ has a directory per action, named after its handler. */
void ps_tune_irq_names(const char *root, int irq, char *buf, size_t len)
{
	char base[PATH_MAX], path[PATH_MAX + 32];
	size_t off = 0;
	DIR *d;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	if (irq < 0 || ps_tune__root(root, base, sizeof(base)) ||
	    snprintf(path, sizeof(path), "%s/proc/irq/%d", base, irq) >= (int)sizeof(path))
		return;
	d = opendir(path);
	if (!d)
		return;
	for (const struct dirent *e; (e = readdir(d)) != NULL;) {
		int n;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", e->d_name);
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';
			break;
		}
		off += (size_t)n;
	}
	closedir(d);
}

int ps_tune_facts_read(const char *root, const struct ps_tune_host *host, struct ps_tune_facts *f)
{
	struct ps_tune_result res[PS_TUNE_ITEM_COUNT];
	const struct ps_tune_result *r;
	struct irq_scratch *scratch;
	char rp[PATH_MAX];
	int err;

	if (!f)
		return -EINVAL;
	err = ps_tune__root(root, rp, sizeof(rp));
	if (err)
		return err;
	err = ps_tune_check(root, host, res, PS_ARRAY_SIZE(res));
	if (err < 0)
		return err;
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < PS_TUNE_MAX_CPUS; i++)
		f->irq_top[i] = -1;

	r = &res[PS_TUNE_ITEM_ISOLATED];
	if (r->status == PS_TUNE_OK)
		f->isolated_known = ps_tune_cpuset_parse(&f->isolated, r->value) == 0;
	else
		f->isolated_known = !strcmp(r->value, "none");
	r = &res[PS_TUNE_ITEM_NOHZ_FULL];
	if (r->status == PS_TUNE_OK)
		(void)ps_tune_cpuset_parse(&f->nohz_full, r->value);
	f->rt_allowed = res[PS_TUNE_ITEM_RT_SCHED].status == PS_TUNE_OK;
	r = &res[PS_TUNE_ITEM_RT_THROTTLE];
	f->rt_throttled = r->status == PS_TUNE_WARN;
	snprintf(f->rt_throttle, sizeof(f->rt_throttle), "%s", r->value);
	f->mlock_allowed = res[PS_TUNE_ITEM_MLOCK].status == PS_TUNE_OK;
	f->halts_at_once = res[PS_TUNE_ITEM_HALT_POLL].status == PS_TUNE_WARN;
	r = &res[PS_TUNE_ITEM_IRQBALANCE];
	/* tune check reports it as "running (pid N)". */
	if (r->status == PS_TUNE_WARN && !strncmp(r->value, "running (pid ", 13))
		f->irqbalance_pid = strtol(r->value + 13, NULL, 10);

	read_online(rp, f);
	read_topology(rp, f);
	scratch = ps_alloc(sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	read_interrupts(rp, f, scratch);
	ps_free(scratch);
	return 0;
}

/* ---- the check --------------------------------------------------------------------- */

static const char *const warning_codes[PS_TUNE_WARNING_COUNT] = {
#define PS_XX(id, name) [PS_TUNE_WARNING_##id] = (name),
	PS_TUNE_WARNING_MAP(PS_XX)
#undef PS_XX
};

struct out {
	struct ps_tune_warning *w;
	size_t cap;
	size_t n;
};

static void warn(struct out *o, enum ps_tune_warning_kind kind, const char *thread, int cpu,
		 const char *fmt, ...) PS_PRINTF(5, 6);

static void warn(struct out *o, enum ps_tune_warning_kind kind, const char *thread, int cpu,
		 const char *fmt, ...)
{
	if (o->n < o->cap) {
		struct ps_tune_warning *w = &o->w[o->n];
		va_list ap;

		w->kind = kind;
		w->code = warning_codes[kind];
		snprintf(w->thread, sizeof(w->thread), "%s", thread);
		w->cpu = cpu;
		va_start(ap, fmt);
		vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
		va_end(ap);
	}
	o->n++;
}

static const char *tname(const struct ps_tune_thread *t)
{
	return t->name ? t->name : "?";
}

static bool spins(const struct ps_tune_thread *t)
{
	enum ps_idle_kind k;

	return ps_idle_parse(t->idle ? t->idle : "", &k, NULL, 0) == 0 && k == PS_IDLE_SPIN;
}

/* A SCHED_FIFO thread that never blocks: "yield" under SCHED_FIFO yields only
 * to other FIFO threads of the same priority, so it keeps the CPU as "spin" does. */
static bool rt_busy(const struct ps_tune_thread *t)
{
	enum ps_idle_kind k;

	return t->priority > 0 && ps_idle_parse(t->idle ? t->idle : "", &k, NULL, 0) == 0 &&
	       k != PS_IDLE_PARK && k != PS_IDLE_SLEEP;
}

static bool cpu_ok(const struct ps_tune_thread *t, const struct ps_tune_facts *f)
{
	return t->cpu >= 0 && ps_tune_cpuset_has(&f->online, t->cpu);
}

static void check_one(const struct ps_tune_thread *t, const struct ps_tune_facts *f, struct out *o)
{
	char list[256];
	enum ps_idle_kind k;
	const char *name = tname(t);

	if (ps_idle_parse(t->idle ? t->idle : "", &k, NULL, 0) < 0)
		warn(o, PS_TUNE_WARNING_BAD_IDLE, name, t->cpu,
		     "thread '%s': unknown idle strategy '%s' (accepted: " PS_IDLE_NAMES ")", name,
		     t->idle ? t->idle : "");
	if (t->priority < 0 || t->priority > 99)
		warn(o, PS_TUNE_WARNING_BAD_PRIORITY, name, t->cpu,
		     "thread '%s': priority %d is outside 0..99 (0 = normal scheduling, 1..99 = "
		     "SCHED_FIFO)",
		     name, t->priority);
	if (t->cpu >= 0 && !ps_tune_cpuset_has(&f->online, t->cpu)) {
		ps_tune_cpuset_format(&f->online, list, sizeof(list));
		warn(o, PS_TUNE_WARNING_NO_CPU, name, t->cpu,
		     "thread '%s' is pinned to CPU %d, which is not online here (online: %s); "
		     "pick a topology config for this host's CPU count",
		     name, t->cpu, list);
	}
	if (spins(t) && t->cpu < 0)
		warn(o, PS_TUNE_WARNING_SPIN_UNPINNED, name, -1,
		     "thread '%s' spins but is not pinned: it burns whichever CPU the scheduler "
		     "picks and migrates between caches; give it a cpu",
		     name);
	if (spins(t) && cpu_ok(t, f)) {
		if (f->isolated_known && !ps_tune_cpuset_has(&f->isolated, t->cpu)) {
			ps_tune_cpuset_format(&f->isolated, list, sizeof(list));
			warn(o, PS_TUNE_WARNING_SPIN_NOT_ISOLATED, name, t->cpu,
			     "thread '%s' spins on CPU %d, which is not isolated (isolated: %s): "
			     "other tasks and kernel work share it%s; add it to isolcpus= and "
			     "nohz_full= on the kernel command line",
			     name, t->cpu, list,
			     t->priority > 0 ? ", and at SCHED_FIFO the spinner starves them" : "");
		}
		if (f->irq_count[t->cpu])
			warn(o, PS_TUNE_WARNING_SPIN_IRQ, name, t->cpu,
			     "thread '%s' spins on CPU %d, which takes device interrupts (%llu so "
			     "far, most from IRQ %d): each one stalls the thread; move them with "
			     "perseus tune apply --cpus %d",
			     name, t->cpu, (unsigned long long)f->irq_count[t->cpu],
			     (int)f->irq_top[t->cpu], t->cpu);
	}
	/* A parked hot thread sleeps; on a guest whose idle vCPUs halt at once
	 * its wake-up goes through the host (tune check: halt_poll). */
	if (f->halts_at_once && t->idle && !strcmp(t->idle, "park") &&
	    (t->stages & (PS_TUNE_STAGE_MD | PS_TUNE_STAGE_BOOK | PS_TUNE_STAGE_EXEC)))
		warn(o, PS_TUNE_WARNING_PARK_HALTS, name, t->cpu,
		     "thread '%s' parks, and this virtual machine's idle vCPUs halt at once "
		     "(guest_halt_poll_ns 0): each wake-up waits for the host (a blocking "
		     "ping-pong's half round trip took 34 us on ours against 4 us with polling); "
		     "use idle = yield, or perseus tune apply (halt_poll)",
		     name);
	if (t->priority > 0 && t->priority <= 99 && !f->rt_allowed)
		warn(o, PS_TUNE_WARNING_RT_DENIED, name, t->cpu,
		     "thread '%s' asks for SCHED_FIFO priority %d, which this process may not use: "
		     "run as root, grant CAP_SYS_NICE or raise RLIMIT_RTPRIO (or set priority = 0)",
		     name, t->priority);
	else if (rt_busy(t) && f->rt_throttled)
		warn(o, PS_TUNE_WARNING_RT_THROTTLED, name, t->cpu,
		     "thread '%s' runs at SCHED_FIFO priority %d with idle = %s, but RT throttling "
		     "is %s: the kernel will stop it for the rest of every period once its budget "
		     "is used; sysctl -w kernel.sched_rt_runtime_us=-1 (isolated CPUs only)",
		     name, t->priority, t->idle, f->rt_throttle);
}

static void check_pair(const struct ps_tune_thread *a, const struct ps_tune_thread *b,
		       const struct ps_tune_facts *f, struct out *o)
{
	bool sa = spins(a), sb = spins(b);

	if (!cpu_ok(a, f) || !cpu_ok(b, f) || (!sa && !sb))
		return;
	if (a->cpu == b->cpu) {
		if (sa && sb)
			warn(o, PS_TUNE_WARNING_SPIN_SHARED, tname(a), a->cpu,
			     "threads '%s' and '%s' both spin on CPU %d: each runs only when the "
			     "scheduler preempts the other; give each its own CPU or fuse their "
			     "stages into one thread",
			     tname(a), tname(b), a->cpu);
		else
			warn(o, PS_TUNE_WARNING_SPIN_SHARED, tname(sa ? a : b), a->cpu,
			     "thread '%s' spins on CPU %d, which it shares with '%s' (idle = %s): "
			     "'%s' runs only when the spinner is preempted%s",
			     tname(sa ? a : b), a->cpu, tname(sa ? b : a),
			     (sa ? b : a)->idle ? (sa ? b : a)->idle : "?", tname(sa ? b : a),
			     (sa ? a : b)->priority > (sa ? b : a)->priority
				 ? ", and never while the spinner has the higher SCHED_FIFO "
				   "priority"
				 : "; move one of them");
		return;
	}
	if (sa && sb && f->topology && f->core_leader[a->cpu] == f->core_leader[b->cpu])
		warn(o, PS_TUNE_WARNING_SMT_SIBLING, tname(a), a->cpu,
		     "threads '%s' (CPU %d) and '%s' (CPU %d) both spin on SMT siblings of one "
		     "core: they share its execution units and caches; put them on different "
		     "cores and leave the siblings idle",
		     tname(a), a->cpu, tname(b), b->cpu);
}

int ps_tune_threads_check(const struct ps_tune_thread *t, size_t n, const struct ps_tune_facts *f,
			  bool mlock, struct ps_tune_warning *w, size_t w_count)
{
	struct out o = { w, w ? w_count : 0, 0 };

	if (!f || (!t && n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		check_one(&t[i], f, &o);
		for (size_t j = i + 1; j < n; j++)
			check_pair(&t[i], &t[j], f, &o);
	}
	if (mlock && !f->mlock_allowed)
		warn(&o, PS_TUNE_WARNING_MLOCK_DENIED, "", -1,
		     "memory cannot be locked (not root, RLIMIT_MEMLOCK limited): pages of hot "
		     "threads may be reclaimed and fault back in; ulimit -l unlimited or "
		     "LimitMEMLOCK=infinity");
	return o.n > INT_MAX ? INT_MAX : (int)o.n;
}

int ps_tune_warnings_print(FILE *f, const struct ps_tune_warning *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "warning: [%s] %s\n", w[i].code, w[i].msg);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
