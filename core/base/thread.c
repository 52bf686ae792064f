#include <ps/thread.h>

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

PS_PRINTF(4, 5) static int fail(char *err, size_t err_len, int code, const char *fmt, ...)
{
	if (err && err_len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- idle strategies ------------------------------------------------- */

const char *const ps_idle_names[] = { "spin", "yield", "park", "sleep", NULL };

int ps_idle_parse(const char *name, enum ps_idle_kind *kind, char *err, size_t err_len)
{
	for (size_t i = 0; name && i < (PS_ARRAY_SIZE(ps_idle_names) - 1); i++) {
		if (strcmp(name, ps_idle_names[i]) == 0) {
			if (kind)
				*kind = (enum ps_idle_kind)i;
			return 0;
		}
	}
	return fail(err, err_len, -EINVAL,
		    "unknown idle strategy '%s' (accepted: " PS_IDLE_NAMES ")",
		    name ? name : "(null)");
}

const char *ps_idle_name(enum ps_idle_kind kind)
{
	if ((unsigned)kind >= (PS_ARRAY_SIZE(ps_idle_names) - 1))
		return "?";
	return ps_idle_names[kind];
}

void ps_idle_init(struct ps_idle *idle, enum ps_idle_kind kind)
{
	memset(idle, 0, sizeof(*idle));
	idle->kind = kind;
	idle->park_ns = PS_IDLE_PARK_MIN_NS;
	idle->spins = kind == PS_IDLE_SPIN ? UINT32_MAX : kind == PS_IDLE_SLEEP ? 0 : PS_IDLE_SPINS;
}

/* Reached after idle->spins idle rounds: PS_IDLE_SPINS for "yield" and
 * "park", at once for "sleep", after 2^32 - 1 rounds for "spin". */
void ps_idle__slow(struct ps_idle *idle)
{
	if (idle->kind == PS_IDLE_SPIN) {
		idle->rounds = 0; /* spins on: only the count wraps */
		ps_cpu_relax();
		return;
	}
	if (idle->kind == PS_IDLE_SLEEP) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)PS_IDLE_SLEEP_NS };
		nanosleep(&ts, NULL);
		idle->parks++;
		return;
	}
	if (idle->kind == PS_IDLE_YIELD || idle->rounds < PS_IDLE_SPINS + PS_IDLE_YIELDS) {
		idle->rounds++;
		idle->yields++;
		sched_yield();
		return;
	}
	/* park: sleep, doubling up to the cap; any work resets rounds and, on
	 * the next idle stretch, the sleep starts short again. */
	if (idle->rounds == PS_IDLE_SPINS + PS_IDLE_YIELDS) {
		idle->park_ns = PS_IDLE_PARK_MIN_NS;
		idle->rounds++;
	}
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)idle->park_ns };
	nanosleep(&ts, NULL);
	idle->parks++;
	if (idle->park_ns < PS_IDLE_PARK_MAX_NS) {
		idle->park_ns *= 2;
		if (idle->park_ns > PS_IDLE_PARK_MAX_NS)
			idle->park_ns = PS_IDLE_PARK_MAX_NS;
	}
}

/* ---- CPUs, priority, memory locking ---------------------------------- */

int ps_thread_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	return n > 0 ? (int)n : 1;
}

/* "0-3,6" for a CPU set, into buf. */
static const char *cpuset_str(const cpu_set_t *set, char *buf, size_t len)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && pos < len; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		int e = c;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		int n = e > c ? snprintf(buf + pos, len - pos, "%s%d-%d", pos ? "," : "", c, e)
			      : snprintf(buf + pos, len - pos, "%s%d", pos ? "," : "", c);
		if (n < 0)
			break;
		pos += (size_t)n;
		c = e;
	}
	return buf;
}

int ps_thread_cpu_check(int cpu, char *err, size_t err_len)
{
	char list[256];
	cpu_set_t online;
	int ncpu = ps_thread_cpu_count();

	CPU_ZERO(&online);
	for (int c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET(c, &online);
	if (cpu < 0 || cpu >= ncpu || cpu >= CPU_SETSIZE)
		return fail(err, err_len, -EINVAL, "cpu %d does not exist (this host has CPUs %s)",
			    cpu, cpuset_str(&online, list, sizeof(list)));

	cpu_set_t allowed;
	CPU_ZERO(&allowed);
	if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && !CPU_ISSET(cpu, &allowed))
		return fail(
		    err, err_len, -EINVAL,
		    "cpu %d is not in this process's allowed CPUs (%s; see taskset/cgroups)", cpu,
		    cpuset_str(&allowed, list, sizeof(list)));
	return 0;
}

int ps_thread_pin_self(int cpu, char *err, size_t err_len)
{
	int rc = ps_thread_cpu_check(cpu, err, err_len);
	if (rc)
		return rc;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc)
		return fail(err, err_len, -rc, "cannot pin to cpu %d: %s", cpu, strerror(rc));
	return 0;
}

static int priority_check(int priority, char *err, size_t err_len)
{
	int lo = sched_get_priority_min(SCHED_FIFO), hi = sched_get_priority_max(SCHED_FIFO);
	if (priority == 0)
		return 0;
	if (priority < lo || priority > hi)
		return fail(err, err_len, -EINVAL,
			    "priority %d out of range (0 for SCHED_OTHER, %d..%d for SCHED_FIFO)",
			    priority, lo, hi);
	return 0;
}

int ps_thread_priority_self(int priority, char *err, size_t err_len)
{
	int rc = priority_check(priority, err, err_len);
	if (rc)
		return rc;
	struct sched_param sp = { .sched_priority = priority };
	rc = pthread_setschedparam(pthread_self(), priority ? SCHED_FIFO : SCHED_OTHER, &sp);
	if (rc == EPERM)
		return fail(err, err_len, -EPERM,
			    "SCHED_FIFO priority %d not permitted: needs CAP_SYS_NICE or "
			    "RLIMIT_RTPRIO >= %d",
			    priority, priority);
	if (rc)
		return fail(err, err_len, -rc, "cannot set priority %d: %s", priority,
			    strerror(rc));
	return 0;
}

int ps_thread_mlockall(char *err, size_t err_len)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
		return 0;
	int e = errno;
	if (e == EPERM)
		return fail(err, err_len, -EPERM, "mlockall not permitted: needs CAP_IPC_LOCK");
	if (e == ENOMEM)
		return fail(
		    err, err_len, -ENOMEM,
		    "mlockall failed: RLIMIT_MEMLOCK too small (ulimit -l) or out of memory");
	return fail(err, err_len, -e, "mlockall failed: %s", strerror(e));
}

/* ---- threads ---------------------------------------------------------- */

static void *thread_main(void *p)
{
	struct ps_thread *t = p;
	t->ret = t->fn(t->arg);
	return NULL;
}

int ps_thread_start(struct ps_thread *t, const struct ps_thread_attr *attr, ps_thread_fn fn,
		    void *arg, char *err, size_t err_len)
{
	static const struct ps_thread_attr defaults = PS_THREAD_ATTR_INIT;
	pthread_attr_t pa;
	int rc;

	if (!t || !fn)
		return fail(err, err_len, -EINVAL, "thread: NULL thread or function");
	if (!attr)
		attr = &defaults;
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
	t->cpu = attr->cpu;

	/* Validate everything before creating, so the messages name the cause;
	 * pthread_create then applies affinity and policy atomically: the
	 * thread never runs unpinned or at the wrong priority. */
	if (attr->cpu != -1 && (rc = ps_thread_cpu_check(attr->cpu, err, err_len)) != 0)
		return rc;
	if ((rc = priority_check(attr->priority, err, err_len)) != 0)
		return rc;
	if (attr->mlock && (rc = ps_thread_mlockall(err, err_len)) != 0)
		return rc;

	pthread_attr_init(&pa);
	if (attr->cpu != -1) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(attr->cpu, &set);
		pthread_attr_setaffinity_np(&pa, sizeof(set), &set);
	}
	if (attr->priority > 0) {
		struct sched_param sp = { .sched_priority = attr->priority };
		pthread_attr_setinheritsched(&pa, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&pa, SCHED_FIFO);
		pthread_attr_setschedparam(&pa, &sp);
	}
	rc = pthread_create(&t->tid, &pa, thread_main, t);
	pthread_attr_destroy(&pa);
	if (rc == EPERM)
		return fail(err, err_len, -EPERM,
			    "SCHED_FIFO priority %d not permitted: needs CAP_SYS_NICE or "
			    "RLIMIT_RTPRIO >= %d",
			    attr->priority, attr->priority);
	if (rc == EINVAL && attr->cpu != -1)
		return fail(err, err_len, -EINVAL, "cannot start a thread on cpu %d: %s", attr->cpu,
			    strerror(rc));
	if (rc)
		return fail(err, err_len, -rc, "cannot start thread: %s", strerror(rc));
	if (attr->name) {
		char name[16];
		snprintf(name, sizeof(name), "%s", attr->name);
		pthread_setname_np(t->tid, name);
	}
	t->started = true;
	return 0;
}

int ps_thread_join(struct ps_thread *t, int *ret)
{
	if (!t || !t->started)
		return -EINVAL;
	int rc = pthread_join(t->tid, NULL);
	if (rc)
		return -rc;
	t->started = false;
	if (ret)
		*ret = t->ret;
	return 0;
}
