/*
 * Asynchronous binary log.
 *
 * Hot threads never format. PS_LOG(level, fmt, ...) checks the level with one
 * relaxed load, then writes a binary record into the calling thread's own SPSC
 * byte ring (struct ps_log_thread, registered once at thread start):
 *
 *	u64 site   pointer to a static const struct ps_log_site {level, file,
 *	           line, fmt, argument type signature}, one per call site
 *	u64 tsc    ps_tsc() at the call
 *	u64 arg... one 8-byte slot per argument: integers widened to 64 bits,
 *	           doubles as their bits, pointers; a char * argument is copied:
 *	           a slot with its length (at most PS_LOG_STR_MAX bytes), then the
 *	           bytes padded to 8. PS_LOG_LIT("text") passes a string literal by
 *	           pointer instead (it must be a literal: checked at compile time).
 *
 * The signature is built at compile time with _Generic, and the format is
 * checked against the arguments by the compiler (printf rules), so the cold
 * side can trust the record. The level is part of the static site, so it
 * must be a constant expression.
 *
 * When the ring is full the record is dropped and the thread's drop counter
 * goes up; the hot thread never blocks, allocates, locks or makes a syscall.
 * A thread that is not registered drops its records too (counted in one
 * process-wide counter, ps_log_stats().orphan_drops).
 *
 * A cold thread calls ps_log_drain() (or runs ps_log_drainer_start()): it
 * merges the threads' rings by TSC and formats each record as
 *	2026-11-22T03:04:05.123456789 INFO file.c:42 message
 * (UTC wall clock, from the TSC and a base captured at ps_log_init) into a
 * buffer written to the log's fd with write(2). ps_log_flush() drains and
 * writes everything (shutdown). ps_log_install_crash_handler() catches
 * SIGSEGV, SIGBUS, SIGABRT, SIGFPE and SIGILL, writes out what it can with
 * async-signal-safe code only (write(2), no stdio, no locks, no malloc) and
 * re-raises the signal with the previous disposition.
 *
 * Worst cases: records of different threads are merged by TSC only among
 * those present at the time of a drain, so lines of two threads can appear
 * slightly out of time order across drains (each thread's own order always
 * holds). A string argument longer than PS_LOG_STR_MAX is cut. The crash
 * handler formats doubles with a simple fixed-point routine (no width or
 * flags) and gives up on a drain that another thread holds for over a second.
 * At most PS_LOG_MAX_THREADS threads may be registered at once.
 *
 * One struct ps_log per process: the level and the per-thread registration
 * are process-wide (thread-local), because the hot path cannot afford to be
 * told which log to use.
 */
#ifndef PS_LOG_H
#define PS_LOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/types.h>

#include <ps/clock.h>
#include <ps/common.h>
#include <ps/ring_bytes.h>

enum ps_log_level {
	PS_LOG_DEBUG = 0,
	PS_LOG_INFO = 1,
	PS_LOG_WARN = 2,
	PS_LOG_ERROR = 3,
	PS_LOG_FATAL = 4,
	PS_LOG_OFF = 5, /* as a minimum level: log nothing */
};

#define PS_LOG_MAX_THREADS 64   /* registered at once */
#define PS_LOG_MAX_ARGS    8    /* arguments of one PS_LOG call */
#define PS_LOG_STR_MAX     64   /* bytes kept of a copied string argument */
#define PS_LOG_LINE_MAX    2048 /* longest formatted line; longer ones are cut */

/* Static description of one PS_LOG call site. */
struct ps_log_site {
	const char *file;
	const char *fmt;
	uint32_t line;
	uint8_t level; /* enum ps_log_level */
	uint8_t nargs;
	uint8_t nstr; /* copied string arguments */
	/* sig[1..nargs]: one type code per argument (see log.c); sig[0] is a
	 * placeholder so that a call without arguments still initialises it. */
	char sig[PS_LOG_MAX_ARGS + 2];
};

/* A string literal passed by pointer (no copy): PS_LOG_LIT("venue-a"). */
struct ps_log_lit {
	const char *s;
};
#define PS_LOG_LIT(s) ((struct ps_log_lit){ "" s "" })

/*
 * One hot thread's registration: its ring and drop counter. Caller-owned,
 * embedded or allocated; the ring memory is separate (ps_log_thread_memsize).
 * ring: producer = the owning thread, consumer = whichever thread drains
 * (serialised by the log's mutex). drops: written only by the owning thread.
 */
struct ps_log_thread {
	struct ps_ring_bytes ring;
	alignas(PS_CACHE_LINE) _Atomic uint64_t drops; /* records lost to a full ring */
	uint64_t drops_reported;                       /* draining thread only */
	struct ps_log *log;
	char name[16];
	uint32_t slot;
};

struct ps_log_config {
	int fd;                  /* where lines go (not closed by the log) */
	enum ps_log_level level; /* minimum level recorded */
	uint32_t buf_len;        /* output buffer bytes; 0 = 64 KiB; at least 2 lines */
};

struct ps_log_stats {
	uint64_t records;      /* formatted */
	uint64_t bytes;        /* written to the fd */
	uint64_t drops;        /* by registered threads, all time */
	uint64_t orphan_drops; /* by threads that were not registered */
	uint64_t write_errors;
};

/*
 * The log. Caller-embedded; everything cold. threads[] is read by the crash
 * handler without the mutex, so its entries are atomic; they change only
 * under the mutex.
 */
struct ps_log {
	pthread_mutex_t lock; /* register/unregister/drain/flush */
	_Atomic(struct ps_log_thread *) threads[PS_LOG_MAX_THREADS];
	_Atomic pid_t drain_tid; /* thread inside a drain, 0 none; for the crash handler */
	_Atomic int crashing;    /* set by the crash handler: drains stop */
	int fd;
	char *buf; /* caller memory, buf_cap bytes */
	size_t buf_len, buf_cap;
	uint64_t tsc0;      /* ps_tsc() at init */
	int64_t wall0_ns;   /* CLOCK_REALTIME at init */
	int64_t sec_cached; /* wall ns of the second in sec_str; INT64_MIN: none */
	char sec_str[24];   /* "YYYY-MM-DDTHH:MM:SS." of that second */
	uint64_t records, bytes, write_errors, drops_seen;
	uint64_t orphan_reported;
	/* drainer thread (ps_log_drainer_start) */
	pthread_t drainer;
	_Atomic int drainer_stop;
	bool drainer_running;
	uint64_t drainer_idle_ns;
};

/* Process-wide state the hot path reads (internal). */
PS_API extern _Atomic int ps_log__min_level;
PS_API extern _Atomic uint64_t ps_log__orphan_drops;
PS_API extern __thread struct ps_log_thread *ps_log__self
    __attribute__((tls_model("initial-exec")));

/* ---- cold API ------------------------------------------------------------ */

/* Bytes of output-buffer memory ps_log_init needs for @cfg. */
PS_API size_t ps_log_memsize(const struct ps_log_config *cfg);

/**
 * Initialise @log over caller-owned @mem (ps_log_memsize bytes) and set the
 * process-wide minimum level. Captures the TSC/wall-clock base: call
 * ps_clock_init() first. Cold; before any thread registers.
 * @return 0; -EINVAL when log, mem or cfg is NULL, cfg->fd < 0, the level is
 *         out of range or buf_len is below 2 * PS_LOG_LINE_MAX; -errno from
 *         pthread_mutex_init.
 */
PS_API PS_COLD int ps_log_init(struct ps_log *log, void *mem, const struct ps_log_config *cfg);

/**
 * End @log: stops the drainer thread, flushes, removes the crash handler if
 * it belongs to this log.
 * @return 0; -EBUSY while threads are still registered (nothing changes then);
 *         a negative errno from the final write (the log is finished anyway).
 */
PS_API PS_COLD int ps_log_fini(struct ps_log *log);

/* Change the minimum level (any thread, takes effect at once). */
PS_API void ps_log_set_level(enum ps_log_level level);
PS_API enum ps_log_level ps_log_get_level(void);
PS_API const char *ps_log_level_name(enum ps_log_level level);

/* Ring memory for a thread with a ring of @ring_bytes (power of two,
 * 256..2^31); 0 when ring_bytes is invalid. */
PS_API size_t ps_log_thread_memsize(uint32_t ring_bytes);

/**
 * Register the calling thread: its PS_LOG records go to @t's ring, built over
 * caller-owned @mem (ps_log_thread_memsize bytes, 8-byte aligned). @name (may
 * be NULL) names the thread in drop reports. Cold; the calling thread only.
 * @return 0; -EINVAL on a NULL pointer or a bad ring size; -EBUSY when this
 *         thread is already registered; PS_EFULL when PS_LOG_MAX_THREADS are.
 */
PS_API PS_COLD int ps_log_thread_register(struct ps_log *log, struct ps_log_thread *t, void *mem,
					  uint32_t ring_bytes, const char *name);

/**
 * Unregister the calling thread: drains and formats its remaining records,
 * then forgets @t; @t and its memory are the caller's again on return.
 * Cold; must be called by the thread that registered @t.
 * @return 0; -EINVAL when @t is not the calling thread's registration.
 */
PS_API PS_COLD int ps_log_thread_unregister(struct ps_log_thread *t);

/* Records @t lost to a full ring so far (any thread). */
static inline uint64_t ps_log_thread_drops(const struct ps_log_thread *t)
{
	/* Relaxed: a statistic; orders nothing. Partner: the owning thread's
	 * relaxed increment in ps_log__write. */
	return atomic_load_explicit(&t->drops, memory_order_relaxed);
}

/**
 * Format the records present in the threads' rings now (at most 65536 per
 * call), oldest TSC first, into the output buffer; writes the buffer when it
 * fills. New drops since the last drain are reported as WARN lines. Cold; any
 * one thread at a time (others wait on the mutex).
 * @return records formatted (>= 0), or -errno when a write failed (the
 *         buffered lines are lost; draining goes on next call).
 */
PS_API int ps_log_drain(struct ps_log *log);

/**
 * Drain until every ring is empty and write the buffer out. Cold.
 * @return 0, or -errno from write(2).
 */
PS_API PS_COLD int ps_log_flush(struct ps_log *log);

/**
 * Start a cold thread that drains in a loop, sleeping @idle_ns (0 = 1 ms)
 * whenever a drain found nothing, and flushing then.
 * @return 0; -EBUSY when one runs already; -errno from pthread_create.
 */
PS_API PS_COLD int ps_log_drainer_start(struct ps_log *log, uint64_t idle_ns);

/* Stop the drainer thread (after one more drain); 0 when none was running. */
PS_API PS_COLD int ps_log_drainer_stop(struct ps_log *log);

/**
 * Catch SIGSEGV, SIGBUS, SIGABRT, SIGFPE and SIGILL: write out buffered and
 * queued records with write(2), then restore the previous handlers and
 * re-raise. One log per process. Cold.
 * @return 0, or -errno from sigaction.
 */
PS_API PS_COLD int ps_log_install_crash_handler(struct ps_log *log);

/* Restore the handlers that were there before (no-op if none installed). */
PS_API PS_COLD void ps_log_remove_crash_handler(void);

PS_API void ps_log_stats(struct ps_log *log, struct ps_log_stats *st);

/* ---- hot path ------------------------------------------------------------ */

/* One argument as stored in a record slot: integers widened, doubles as
 * their bits, pointers as pointers (no integer/pointer casts). */
union ps_log__slot {
	uint64_t u;
	double d;
	const void *p;
};
static_assert(sizeof(union ps_log__slot) == 8, "a slot is 8 bytes");

/* Argument type codes (one per argument in ps_log_site.sig). */
#define PS_LOG__TYPE(x) \
	_Generic((x), _Bool: 'u', char: 'c', signed char: 'i', unsigned char: 'u',    \
		 short: 'i', unsigned short: 'u', int: 'i', unsigned int: 'u', long: 'i', \
		 unsigned long: 'u', long long: 'i', unsigned long long: 'u', float: 'd', \
		 double: 'd', char *: 's', const char *: 's', struct ps_log_lit: 'S',    \
		 default: 'p')

static inline union ps_log__slot ps_log__i64(int64_t v)
{
	return (union ps_log__slot){ .u = (uint64_t)v };
}
static inline union ps_log__slot ps_log__u64(uint64_t v)
{
	return (union ps_log__slot){ .u = v };
}
static inline union ps_log__slot ps_log__f64(double v)
{
	return (union ps_log__slot){ .d = v };
}
static inline union ps_log__slot ps_log__str(const char *s)
{
	return (union ps_log__slot){ .p = s };
}
static inline union ps_log__slot ps_log__lit(struct ps_log_lit l)
{
	return (union ps_log__slot){ .p = l.s };
}
static inline union ps_log__slot ps_log__ptr(const volatile void *p)
{
	return (union ps_log__slot){ .p = (const void *)p };
}

/* Argument to its 8-byte slot value. */
#define PS_LOG__VAL(x) \
	_Generic((x), _Bool: ps_log__u64, char: ps_log__i64, signed char: ps_log__i64,        \
		 unsigned char: ps_log__u64, short: ps_log__i64, unsigned short: ps_log__u64, \
		 int: ps_log__i64, unsigned int: ps_log__u64, long: ps_log__i64,              \
		 unsigned long: ps_log__u64, long long: ps_log__i64,                          \
		 unsigned long long: ps_log__u64, float: ps_log__f64, double: ps_log__f64,    \
		 char *: ps_log__str, const char *: ps_log__str, struct ps_log_lit: ps_log__lit, \
		 default: ps_log__ptr)(x)

/* What the printf format check sees: a literal wrapper counts as a string. */
#define PS_LOG__CHK(x) _Generic((x), struct ps_log_lit : "", default : (x))

static inline void ps_log__fmt_check(const char *fmt, ...) PS_PRINTF(1, 2);
static inline void ps_log__fmt_check(const char *fmt, ...)
{
	(void)fmt;
}

/* Argument counting and mapping, up to PS_LOG_MAX_ARGS (8) arguments. */
#define PS_LOG__CAT2(a, b)                                         a##b
#define PS_LOG__CAT(a, b)                                          PS_LOG__CAT2(a, b)
#define PS_LOG__NARGS_(_0, _1, _2, _3, _4, _5, _6, _7, _8, n, ...) n
#define PS_LOG__NARGS(...)                                         PS_LOG__NARGS_(0, ##__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
/* ", M(a), M(b), ..." (leading comma; nothing for no arguments) */
#define PS_LOG__MAP(M, ...) PS_LOG__CAT(PS_LOG__MAP_, PS_LOG__NARGS(__VA_ARGS__))(M, ##__VA_ARGS__)
#define PS_LOG__MAP_0(M)
#define PS_LOG__MAP_1(M, a)                      , M(a)
#define PS_LOG__MAP_2(M, a, b)                   , M(a), M(b)
#define PS_LOG__MAP_3(M, a, b, c)                , M(a), M(b), M(c)
#define PS_LOG__MAP_4(M, a, b, c, d)             , M(a), M(b), M(c), M(d)
#define PS_LOG__MAP_5(M, a, b, c, d, e)          , M(a), M(b), M(c), M(d), M(e)
#define PS_LOG__MAP_6(M, a, b, c, d, e, f)       , M(a), M(b), M(c), M(d), M(e), M(f)
#define PS_LOG__MAP_7(M, a, b, c, d, e, f, g)    , M(a), M(b), M(c), M(d), M(e), M(f), M(g)
#define PS_LOG__MAP_8(M, a, b, c, d, e, f, g, h) , M(a), M(b), M(c), M(d), M(e), M(f), M(g), M(h)
/* "+ M(a) + M(b) ..." */
#define PS_LOG__SUM(M, ...) PS_LOG__CAT(PS_LOG__SUM_, PS_LOG__NARGS(__VA_ARGS__))(M, ##__VA_ARGS__)
#define PS_LOG__SUM_0(M)
#define PS_LOG__SUM_1(M, a)                   +M(a)
#define PS_LOG__SUM_2(M, a, b)                +M(a) + M(b)
#define PS_LOG__SUM_3(M, a, b, c)             +M(a) + M(b) + M(c)
#define PS_LOG__SUM_4(M, a, b, c, d)          +M(a) + M(b) + M(c) + M(d)
#define PS_LOG__SUM_5(M, a, b, c, d, e)       +M(a) + M(b) + M(c) + M(d) + M(e)
#define PS_LOG__SUM_6(M, a, b, c, d, e, f)    +M(a) + M(b) + M(c) + M(d) + M(e) + M(f)
#define PS_LOG__SUM_7(M, a, b, c, d, e, f, g) +M(a) + M(b) + M(c) + M(d) + M(e) + M(f) + M(g)
#define PS_LOG__SUM_8(M, a, b, c, d, e, f, g, h) \
	+M(a) + M(b) + M(c) + M(d) + M(e) + M(f) + M(g) + M(h)
#define PS_LOG__IS_S(x) (PS_LOG__TYPE(x) == 's')

#ifdef __FILE_NAME__
#define PS_LOG__FILE __FILE_NAME__
#else
#define PS_LOG__FILE __FILE__
#endif

/* True when records of @level are kept: one relaxed load. */
static inline bool ps_log_enabled(enum ps_log_level level)
{
	/* Relaxed: the level is a filter; a call racing a change may go either way. */
	return (int)level >= atomic_load_explicit(&ps_log__min_level, memory_order_relaxed);
}

/* Slow part of a drop (not inlined into every call site). */
PS_API PS_COLD void ps_log__drop_orphan(void);

static inline void ps_log__drop(struct ps_log_thread *t)
{
	/* Relaxed load + store, not a read-modify-write: only this thread writes
	 * drops. Partner: ps_log_thread_drops / the drain's relaxed read. */
	atomic_store_explicit(&t->drops, atomic_load_explicit(&t->drops, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/*
 * Write one record. @a holds site->nargs slot values, a[0] unused (so the
 * argument list may be empty). Hot path: no locks, no syscalls, no
 * allocation; drops when the ring is full.
 */
static inline void ps_log__write(const struct ps_log_site *site, const union ps_log__slot *a)
{
	struct ps_log_thread *t = ps_log__self;
	uint64_t tsc = ps_tsc();
	uint32_t slen[PS_LOG_MAX_ARGS + 1];
	uint32_t len = 16 + 8u * site->nargs;
	union ps_log__slot *p;

	if (ps_unlikely(!t)) {
		ps_log__drop_orphan();
		return;
	}
	if (site->nstr) {
		memset(slen, 0, sizeof(slen));
		for (unsigned i = 1; i <= site->nargs; i++) {
			if (site->sig[i] != 's')
				continue;
			slen[i] =
			    a[i].p ? (uint32_t)strnlen((const char *)a[i].p, PS_LOG_STR_MAX) : 0;
			len += (slen[i] + 7u) & ~7u;
		}
	}
	p = (union ps_log__slot *)ps_ring_bytes_claim(&t->ring, len);
	if (ps_unlikely(!p)) {
		ps_log__drop(t);
		return;
	}
	p[0].p = site;
	p[1].u = tsc;
	p += 2;
	if (!site->nstr) {
		for (unsigned i = 1; i <= site->nargs; i++)
			*p++ = a[i];
	} else {
		for (unsigned i = 1; i <= site->nargs; i++) {
			if (site->sig[i] != 's') {
				*p++ = a[i];
				continue;
			}
			/* A NULL string is stored as length UINT64_MAX, no bytes. */
			(p++)->u = a[i].p ? slen[i] : UINT64_MAX;
			if (slen[i])
				memcpy(p, a[i].p, slen[i]);
			p += (slen[i] + 7u) / 8u;
		}
	}
	ps_ring_bytes_commit(&t->ring);
}

/*
 * Log a message: PS_LOG(PS_LOG_INFO, "order %lu filled at %ld", id, px).
 * @level must be a constant expression; fmt a string literal with printf
 * conversions (checked); at most 8 arguments of integer, floating, char *,
 * pointer or PS_LOG_LIT type. Arguments are evaluated only when the level
 * is enabled.
 */
#define PS_LOG(level, fmt, ...)                                                                 \
	do {                                                                                    \
		if (ps_log_enabled(level)) {                                                    \
			static const struct ps_log_site ps_log__site_ = {                       \
				PS_LOG__FILE,                                                   \
				"" fmt "",                                                      \
				__LINE__,                                                       \
				(level),                                                        \
				PS_LOG__NARGS(__VA_ARGS__),                                     \
				0 PS_LOG__SUM(PS_LOG__IS_S, ##__VA_ARGS__),                     \
				{ '=' PS_LOG__MAP(PS_LOG__TYPE, ##__VA_ARGS__) },               \
			};                                                                      \
			if (0)                                                                  \
				ps_log__fmt_check(fmt PS_LOG__MAP(PS_LOG__CHK, ##__VA_ARGS__)); \
			const union ps_log__slot ps_log__a_[] = { { 0 } PS_LOG__MAP(            \
			    PS_LOG__VAL, ##__VA_ARGS__) };                                      \
			ps_log__write(&ps_log__site_, ps_log__a_);                              \
		}                                                                               \
	} while (0)

#endif /* PS_LOG_H */
