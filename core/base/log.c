/*
 * Cold side of the async log (see <ps/log.h>): thread registration, the
 * drain that merges and formats records, the buffered writer, the drainer
 * thread and the crash handler.
 *
 * Argument type codes in ps_log_site.sig (set by PS_LOG__TYPE):
 *	'i' signed integer   'u' unsigned integer   'c' char    'd' double
 *	's' copied string    'S' literal by pointer 'p' pointer
 *
 * Formatting is our own for the common conversions (integers, strings,
 * chars, pointers without flags or width) because snprintf per argument
 * would cap the cold side well below its goal of 5M records/s; anything with
 * flags, width or precision, and every floating conversion, goes through
 * snprintf with the spec rebuilt for the stored 64-bit value. The crash
 * handler uses only the own routines (snprintf is not async-signal-safe).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ps/err.h>
#include <ps/log.h>

_Atomic int ps_log__min_level = PS_LOG_INFO;
_Atomic uint64_t ps_log__orphan_drops;
__thread struct ps_log_thread *ps_log__self __attribute__((tls_model("initial-exec")));

#define DRAIN_MAX       65536u /* records per ps_log_drain call */
#define DEFAULT_BUF_LEN (64u * 1024u)
#define MIN_RING_LEN    4096u /* fits the largest record (8 strings of PS_LOG_STR_MAX) twice */
#define NS_PER_SEC      INT64_C(1000000000)
#define NS_PER_DAY      (INT64_C(86400) * NS_PER_SEC)

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF" };

/* "LEVEL " padded to 8 bytes for one fixed-size copy; len is what counts. */
struct level_str {
	char s[8];
	size_t len;
};
static const struct level_str level_strs[] = {
	{ "DEBUG   ", 6 }, { "INFO    ", 5 }, { "WARN    ", 5 },
	{ "ERROR   ", 6 }, { "FATAL   ", 6 },
};

static __thread pid_t my_tid;

static pid_t tid_self(void)
{
	if (!my_tid)
		my_tid = gettid();
	return my_tid;
}

/* ---- output: a bounded line builder --------------------------------------- */

struct out {
	char *p;
	char *end; /* one byte is always left for the final '\n' */
};

/* Most pieces are a few bytes: overlapping fixed-size copies instead of a
 * call into memcpy for each. */
static inline void put(struct out *o, const char *s, size_t n)
{
	size_t room = (size_t)(o->end - o->p);
	char *d = o->p;

	if (n > room)
		n = room;
	if (n > 16) {
		memcpy(d, s, n);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n >= 2) {
		memcpy(d, s, 2);
		memcpy(d + n - 2, s + n - 2, 2);
	} else if (n) {
		*d = *s;
	}
	o->p += n;
}

static inline void put_c(struct out *o, char c)
{
	if (o->p < o->end)
		*o->p++ = c;
}

static inline void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
			      "34353637383940414243444546474849505152535455565758596061626364656667"
			      "6869707172737475767778798081828384858687888990919293949596979899";

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[24];
	char *q = tmp + sizeof(tmp);

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		q -= 2;
		memcpy(q, digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, digits2 + 2 * v, 2);
	} else {
		*--q = (char)('0' + v);
	}
	put(o, q, (size_t)(tmp + sizeof(tmp) - q));
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		put_c(o, '-');
		put_u64(o, (uint64_t)0 - (uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

/* @v in @width decimal digits with leading zeros (v < 10^width). */
static void put_u_fixed(struct out *o, uint64_t v, unsigned width)
{
	char tmp[24];

	for (unsigned i = width; i-- > 0;) {
		tmp[i] = (char)('0' + v % 10);
		v /= 10;
	}
	put(o, tmp, width);
}

static void put_radix(struct out *o, uint64_t v, unsigned shift, bool upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned mask = (1u << shift) - 1;
	char tmp[24];
	char *q = tmp + sizeof(tmp);

	do {
		*--q = dig[v & mask];
		v >>= shift;
	} while (v);
	put(o, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* Fixed-point double for the crash handler: no flags, width or exponent. */
static void put_double_simple(struct out *o, double v, int prec)
{
	static const uint64_t pow10[] = { 1,      10,      100,      1000,      10000,
					  100000, 1000000, 10000000, 100000000, 1000000000 };
	uint64_t ip, fp;

	if (v != v) {
		put_str(o, "nan");
		return;
	}
	if (v < 0) {
		put_c(o, '-');
		v = -v;
	}
	if (v >= 1e18) {
		put_str(o, v > 1.7976931348623157e308 ? "inf" : "(large)");
		return;
	}
	if (prec < 0)
		prec = 6;
	if (prec > 9)
		prec = 9;
	ip = (uint64_t)v;
	fp = (uint64_t)((v - (double)ip) * (double)pow10[prec] + 0.5);
	if (fp >= pow10[prec]) {
		ip++;
		fp -= pow10[prec];
	}
	put_u64(o, ip);
	if (prec) {
		put_c(o, '.');
		put_u_fixed(o, fp, (unsigned)prec);
	}
}

/* ---- records --------------------------------------------------------------- */

struct arg {
	char type;
	uint64_t v;
	const void *ptr; /* the same slot read as a pointer ('S', 'p') */
	const char *s;   /* 's' and 'S': the bytes (not NUL-terminated for 's') */
	uint32_t slen;
};

/* Decode a record's arguments; false when the record is malformed. */
static bool decode_args(const struct ps_log_site *site, const uint64_t *p, const uint64_t *end,
			struct arg *a)
{
	for (unsigned i = 1; i <= site->nargs; i++, a++) {
		if (p >= end)
			return false;
		a->type = site->sig[i];
		a->v = *p;
		a->ptr = ((const union ps_log__slot *)(const void *)p)->p;
		p++;
		a->s = NULL;
		a->slen = 0;
		if (a->type == 's') {
			if (a->v == UINT64_MAX)
				continue; /* NULL */
			if (a->v > PS_LOG_STR_MAX || (uint64_t)(end - p) < (a->v + 7) / 8)
				return false;
			a->s = (const char *)p;
			a->slen = (uint32_t)a->v;
			p += (a->slen + 7u) / 8u;
		} else if (a->type == 'S' && a->v) {
			a->s = a->ptr;
			a->slen = (uint32_t)strlen(a->s);
		}
	}
	return true;
}

static bool is_null_str(const struct arg *a)
{
	return (a->type == 's' && a->v == UINT64_MAX) || (a->type == 'S' && !a->v);
}

/* Integer slot truncated and extended as printf would for @bits. */
static uint64_t int_value(const struct arg *a, unsigned bits, bool is_signed)
{
	uint64_t v = a->v;

	if (bits == 64)
		return v;
	v &= (UINT64_C(1) << bits) - 1;
	if (is_signed && (v >> (bits - 1)))
		v |= ~((UINT64_C(1) << bits) - 1);
	return v;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Through snprintf with a rebuilt spec (never in the crash handler). */
static void put_spec(struct out *o, const char *flags, int width, int prec, char conv,
		     const struct arg *a, uint64_t ival)
{
	char spec[48], tmp[512];
	size_t off = 0;
	int n;

	spec[off++] = '%';
	for (; *flags && off < 16; flags++)
		spec[off++] = *flags;
	if (width >= 0)
		off += (size_t)snprintf(spec + off, sizeof(spec) - off, "%d", PS_MIN(width, 256));
	if (prec >= 0 && conv != 's')
		off += (size_t)snprintf(spec + off, sizeof(spec) - off, ".%d", PS_MIN(prec, 256));
	switch (conv) {
	case 'd':
	case 'i':
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		spec[off++] = 'l';
		spec[off++] = 'l';
		spec[off++] = conv;
		spec[off] = '\0';
		n = snprintf(tmp, sizeof(tmp), spec, (unsigned long long)ival);
		break;
	case 'c':
		spec[off++] = 'c';
		spec[off] = '\0';
		n = snprintf(tmp, sizeof(tmp), spec, (int)(unsigned char)ival);
		break;
	case 'p': {
		spec[off++] = 'p';
		spec[off] = '\0';
		n = snprintf(tmp, sizeof(tmp), spec, a->ptr);
		break;
	}
	case 's': {
		const char *s = is_null_str(a) ? "(null)" : a->s ? a->s : "";
		int len = is_null_str(a) ? 6 : (int)a->slen;

		if (prec >= 0 && prec < len)
			len = prec;
		memcpy(spec + off, ".*s", 4);
		n = snprintf(tmp, sizeof(tmp), spec, len, s);
		break;
	}
	default: { /* floating */
		double d;

		memcpy(&d, &a->v, sizeof(d));
		spec[off++] = conv;
		spec[off] = '\0';
		n = snprintf(tmp, sizeof(tmp), spec, d);
		break;
	}
	}
	if (n > 0)
		put(o, tmp, PS_MIN((size_t)n, sizeof(tmp) - 1));
}
#pragma GCC diagnostic pop

/* printf-style expansion of @fmt with the decoded arguments. */
static void format_message(struct out *o, const char *f, const struct arg *args, unsigned nargs,
			   bool safe)
{
	unsigned ai = 0;

	while (*f) {
		const char *pct = strchr(f, '%');
		char flags[8];
		unsigned nf = 0, bits = 32;
		int width = -1, prec = -1;
		const struct arg *a;
		char conv;

		if (!pct) {
			put_str(o, f);
			return;
		}
		put(o, f, (size_t)(pct - f));
		f = pct + 1;
		if (*f == '%') {
			put_c(o, '%');
			f++;
			continue;
		}
		while (*f && strchr("-+ #0'", *f)) {
			if (nf < sizeof(flags) - 1)
				flags[nf++] = *f;
			f++;
		}
		flags[nf] = '\0';
		if (*f == '*') {
			width = ai < nargs ? (int)(int64_t)args[ai++].v : 0;
			if (width < 0) {
				width = -width;
				if (nf < sizeof(flags) - 1) {
					flags[nf++] = '-';
					flags[nf] = '\0';
				}
			}
			f++;
		} else if (*f >= '0' && *f <= '9') {
			width = 0;
			for (; *f >= '0' && *f <= '9'; f++)
				width = PS_MIN(width * 10 + (*f - '0'), 100000);
		}
		if (*f == '.') {
			f++;
			prec = 0;
			if (*f == '*') {
				prec = ai < nargs ? (int)(int64_t)args[ai++].v : 0;
				f++;
			} else {
				for (; *f >= '0' && *f <= '9'; f++)
					prec = PS_MIN(prec * 10 + (*f - '0'), 100000);
			}
		}
		for (;; f++) {
			if (*f == 'h')
				bits = bits == 16 ? 8 : 16;
			else if (*f == 'l' || *f == 'L' || *f == 'q' || *f == 'j' || *f == 'z' ||
				 *f == 't')
				bits = 64;
			else
				break;
		}
		conv = *f;
		if (!conv)
			return;
		f++;
		if (ai >= nargs) {
			/* The compile-time check makes this unreachable for PS_LOG. */
			put_str(o, "%!");
			put_c(o, conv);
			continue;
		}
		a = &args[ai++];
		bool simple = safe || (nf == 0 && width < 0 && prec < 0);

		switch (conv) {
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X':
		case 'o':
		case 'c': {
			bool sgn = conv == 'd' || conv == 'i';
			uint64_t v = int_value(a, bits, sgn);

			if (!simple)
				put_spec(o, flags, width, prec, conv, a, v);
			else if (conv == 'c')
				put_c(o, (char)v);
			else if (sgn)
				put_i64(o, (int64_t)v);
			else if (conv == 'u')
				put_u64(o, v);
			else if (conv == 'o')
				put_radix(o, v, 3, false);
			else
				put_radix(o, v, 4, conv == 'X');
			break;
		}
		case 's':
			if (!simple) {
				put_spec(o, flags, width, prec, conv, a, 0);
			} else if (is_null_str(a)) {
				put_str(o, "(null)");
			} else if (a->s) {
				uint32_t n = a->slen;

				if (prec >= 0 && (uint32_t)prec < n)
					n = (uint32_t)prec;
				put(o, a->s, n);
			}
			break;
		case 'p':
			if (!simple) {
				put_spec(o, flags, width, prec, conv, a, 0);
			} else if (!a->v) {
				put_str(o, "(nil)");
			} else {
				put_str(o, "0x");
				put_radix(o, a->v, 4, false);
			}
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			if (safe) {
				double d;

				memcpy(&d, &a->v, sizeof(d));
				put_double_simple(o, d, prec);
			} else {
				put_spec(o, flags, width, prec, conv, a, 0);
			}
			break;
		default:
			put_c(o, '%');
			put_c(o, conv);
			break;
		}
	}
}

/* Wall-clock ns (UTC) of a TSC reading. */
static int64_t tsc_to_wall(const struct ps_log *log, uint64_t tsc)
{
	if (tsc >= log->tsc0)
		return log->wall0_ns + (int64_t)ps_tsc_to_ns(tsc - log->tsc0);
	return log->wall0_ns - (int64_t)ps_tsc_to_ns(log->tsc0 - tsc);
}

/* Proleptic Gregorian date of a day count since 1970-01-01 (era arithmetic:
 * 400-year eras of 146097 days, years starting in March so leap days fall
 * at the end). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468; /* days from 0000-03-01 to 1970-01-01 */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "2026-11-22T03:04:05.123456789 LEVEL " */
static void put_prefix(struct ps_log *log, struct out *o, int64_t wall, unsigned level)
{
	const struct level_str *lv = &level_strs[level < PS_LOG_OFF ? level : PS_LOG_FATAL];
	uint64_t ns = (uint64_t)wall - (uint64_t)log->sec_cached;

	/* Records come in bursts within one second: the date and time of day
	 * are formatted once per second, only the nanoseconds per record. */
	if (log->sec_cached == INT64_MIN || ns >= (uint64_t)NS_PER_SEC) {
		int64_t day =
		    wall >= 0 ? wall / NS_PER_DAY : -((-wall + NS_PER_DAY - 1) / NS_PER_DAY);
		int64_t in_day = wall - day * NS_PER_DAY;
		uint64_t sec = (uint64_t)(in_day / NS_PER_SEC);
		struct out d = { log->sec_str, log->sec_str + sizeof(log->sec_str) };
		int64_t y;
		unsigned m, dd;

		civil_from_days(day, &y, &m, &dd);
		put_u_fixed(&d, (uint64_t)(y < 0 ? 0 : y) % 10000, 4);
		put_c(&d, '-');
		put_u_fixed(&d, m, 2);
		put_c(&d, '-');
		put_u_fixed(&d, dd, 2);
		put_c(&d, 'T');
		put_u_fixed(&d, sec / 3600, 2);
		put_c(&d, ':');
		put_u_fixed(&d, sec / 60 % 60, 2);
		put_c(&d, ':');
		put_u_fixed(&d, sec % 60, 2);
		put_c(&d, '.');
		log->sec_cached = day * NS_PER_DAY + (int64_t)sec * NS_PER_SEC;
		ns = (uint64_t)wall - (uint64_t)log->sec_cached;
	}
	if (ps_likely(o->end - o->p >= 64)) {
		/* Fixed-size copies the compiler turns into a few moves. */
		char *q = o->p;

		memcpy(q, log->sec_str, 20);
		q[20] = (char)('0' + ns / 100000000);
		ns %= 100000000;
		memcpy(q + 21, digits2 + 2 * (ns / 1000000), 2);
		ns %= 1000000;
		memcpy(q + 23, digits2 + 2 * (ns / 10000), 2);
		ns %= 10000;
		memcpy(q + 25, digits2 + 2 * (ns / 100), 2);
		memcpy(q + 27, digits2 + 2 * (ns % 100), 2);
		q[29] = ' ';
		memcpy(q + 30, lv->s, 8);
		o->p = q + 30 + lv->len;
		return;
	}
	put(o, log->sec_str, 20);
	put_u_fixed(o, ns, 9);
	put_c(o, ' ');
	put(o, lv->s, lv->len);
}

static bool buf_room(const struct ps_log *log)
{
	return log->buf_cap - log->buf_len >= PS_LOG_LINE_MAX;
}

static struct out line_begin(struct ps_log *log)
{
	struct out o = { log->buf + log->buf_len, log->buf + log->buf_len + PS_LOG_LINE_MAX - 1 };

	return o;
}

static void line_end(struct ps_log *log, struct out *o)
{
	*o->p++ = '\n';
	log->buf_len = (size_t)(o->p - log->buf);
}

/* Format one record into the buffer (caller made room). */
static void format_record(struct ps_log *log, const void *rec, uint32_t len, bool safe)
{
	const uint64_t *p = rec;
	const union ps_log__slot *slots = rec;
	const struct ps_log_site *site;
	struct arg args[PS_LOG_MAX_ARGS];
	struct out o = line_begin(log);

	if (len < 16)
		return;
	site = slots[0].p;
	put_prefix(log, &o, tsc_to_wall(log, p[1]), site->level);
	put_str(&o, site->file);
	put_c(&o, ':');
	put_u64(&o, site->line);
	put_c(&o, ' ');
	if (site->nargs > PS_LOG_MAX_ARGS || !decode_args(site, p + 2, p + len / 8, args))
		put_str(&o, "(malformed record)");
	else
		format_message(&o, site->fmt, args, site->nargs, safe);
	line_end(log, &o);
	log->records++;
}

/* A line of the log's own (drop reports, crash notice), stamped now. */
static struct out own_line_begin(struct ps_log *log, unsigned level)
{
	struct out o = line_begin(log);

	put_prefix(log, &o, tsc_to_wall(log, ps_tsc()), level);
	put_str(&o, "log: ");
	return o;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write the buffer out; on error the buffered lines are dropped. */
static int buf_write(struct ps_log *log)
{
	int err;

	if (!log->buf_len)
		return 0;
	err = write_all(log->fd, log->buf, log->buf_len);
	if (err)
		log->write_errors++;
	else
		log->bytes += log->buf_len;
	log->buf_len = 0;
	return err;
}

static void report_drops(struct ps_log *log, struct ps_log_thread *t)
{
	uint64_t d = ps_log_thread_drops(t);
	struct out o;

	if (d == t->drops_reported || !buf_room(log))
		return;
	o = own_line_begin(log, PS_LOG_WARN);
	put_str(&o, "thread '");
	put_str(&o, t->name);
	put_str(&o, "' dropped ");
	put_u64(&o, d - t->drops_reported);
	put_str(&o, " records (ring full)");
	line_end(log, &o);
	t->drops_reported = d;
}

static void report_orphans(struct ps_log *log)
{
	/* Relaxed: a statistic. Partner: ps_log__drop_orphan's relaxed add. */
	uint64_t d = atomic_load_explicit(&ps_log__orphan_drops, memory_order_relaxed);
	struct out o;

	if (d == log->orphan_reported || !buf_room(log))
		return;
	o = own_line_begin(log, PS_LOG_WARN);
	put_u64(&o, d - log->orphan_reported);
	put_str(&o, " records dropped by threads that are not registered");
	line_end(log, &o);
	log->orphan_reported = d;
}

/*
 * Drain up to @max records from every registered ring (or only @only),
 * oldest TSC first. Normal drains hold log->lock; the crash handler calls
 * this with @safe set after making sure no other thread drains.
 * Returns records formatted, or the first write error.
 */
static int drain_locked(struct ps_log *log, struct ps_log_thread *only, uint32_t max, bool safe)
{
	struct ps_log_thread *ts[PS_LOG_MAX_THREADS];
	unsigned nt = 0;
	uint32_t n = 0;
	int err = 0;

	if (only) {
		ts[nt++] = only;
	} else {
		for (unsigned i = 0; i < PS_LOG_MAX_THREADS; i++) {
			/* A4: pairs with R3 (register); a published thread is initialised. */
			struct ps_log_thread *t =
			    atomic_load_explicit(&log->threads[i], memory_order_acquire);

			if (t)
				ts[nt++] = t;
		}
	}
	for (; n < max; n++) {
		struct ps_log_thread *best = NULL;
		const void *rec = NULL;
		uint32_t len = 0;
		uint64_t best_tsc = UINT64_MAX;

		/* Relaxed: a hint to stop early; the crash handler waits for
		 * drain_tid, not for this load. */
		if (!safe && atomic_load_explicit(&log->crashing, memory_order_relaxed))
			break;
		for (unsigned i = 0; i < nt; i++) {
			uint32_t l;
			const uint64_t *r = ps_ring_bytes_peek(&ts[i]->ring, &l);

			if (r && l >= 16 && (!best || r[1] < best_tsc)) {
				best = ts[i];
				best_tsc = r[1];
				rec = r;
				len = l;
			} else if (r && l < 16) {
				ps_ring_bytes_release(&ts[i]->ring); /* cannot happen: skip */
			}
		}
		if (!best)
			break;
		if (!buf_room(log)) {
			int e = buf_write(log);

			if (e && !err)
				err = e;
		}
		format_record(log, rec, len, safe);
		ps_ring_bytes_release(&best->ring);
	}
	for (unsigned i = 0; i < nt; i++)
		report_drops(log, ts[i]);
	if (!only)
		report_orphans(log);
	return err ? err : (int)n;
}

/* Take the consumer role (log->lock held): false when a crash is in progress.
 * Seq-cst store then load here, seq-cst store then load in the crash handler
 * (crashing, then drain_tid): at least one side sees the other, so the two
 * never drain at once. */
static bool consumer_enter(struct ps_log *log)
{
	atomic_store(&log->drain_tid, tid_self());
	if (atomic_load(&log->crashing)) {
		atomic_store(&log->drain_tid, 0);
		return false;
	}
	return true;
}

static void consumer_exit(struct ps_log *log)
{
	/* R4: pairs with A5 in the crash handler; our buffer writes are done. */
	atomic_store_explicit(&log->drain_tid, 0, memory_order_release);
}

/* ---- public cold API -------------------------------------------------------- */

void ps_log__drop_orphan(void)
{
	/* Relaxed: a counter read only for reporting. */
	atomic_fetch_add_explicit(&ps_log__orphan_drops, 1, memory_order_relaxed);
}

const char *ps_log_level_name(enum ps_log_level level)
{
	return (unsigned)level <= PS_LOG_OFF ? level_names[level] : "?";
}

void ps_log_set_level(enum ps_log_level level)
{
	/* Relaxed: see ps_log_enabled. */
	atomic_store_explicit(&ps_log__min_level, (int)level, memory_order_relaxed);
}

enum ps_log_level ps_log_get_level(void)
{
	return (enum ps_log_level)atomic_load_explicit(&ps_log__min_level, memory_order_relaxed);
}

size_t ps_log_memsize(const struct ps_log_config *cfg)
{
	return cfg && cfg->buf_len ? cfg->buf_len : DEFAULT_BUF_LEN;
}

int ps_log_init(struct ps_log *log, void *mem, const struct ps_log_config *cfg)
{
	struct timespec ts;
	int err;

	if (!log || !mem || !cfg || cfg->fd < 0 || (unsigned)cfg->level > PS_LOG_OFF)
		return -EINVAL;
	if (ps_log_memsize(cfg) < 2 * PS_LOG_LINE_MAX)
		return -EINVAL;
	memset(log, 0, sizeof(*log));
	err = pthread_mutex_init(&log->lock, NULL);
	if (err)
		return -err;
	log->fd = cfg->fd;
	log->buf = mem;
	log->buf_cap = ps_log_memsize(cfg);
	log->sec_cached = INT64_MIN;
	/* The base pair: read back to back, so the wall clock of any TSC is
	 * wall0 + (tsc - tsc0) converted; off by the calibration error only. */
	clock_gettime(CLOCK_REALTIME, &ts);
	log->tsc0 = ps_tsc();
	log->wall0_ns = (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
	log->orphan_reported = atomic_load_explicit(&ps_log__orphan_drops, memory_order_relaxed);
	ps_log_set_level(cfg->level);
	return 0;
}

static struct ps_log *_Atomic crash_log;

int ps_log_fini(struct ps_log *log)
{
	int err;

	if (!log)
		return 0;
	pthread_mutex_lock(&log->lock);
	for (unsigned i = 0; i < PS_LOG_MAX_THREADS; i++) {
		if (atomic_load_explicit(&log->threads[i], memory_order_relaxed)) {
			pthread_mutex_unlock(&log->lock);
			return -EBUSY;
		}
	}
	pthread_mutex_unlock(&log->lock);
	ps_log_drainer_stop(log);
	err = ps_log_flush(log);
	if (atomic_load(&crash_log) == log)
		ps_log_remove_crash_handler();
	pthread_mutex_destroy(&log->lock);
	return err;
}

size_t ps_log_thread_memsize(uint32_t ring_bytes)
{
	if (ring_bytes < MIN_RING_LEN)
		return 0;
	return ps_ring_bytes_memsize(ring_bytes);
}

int ps_log_thread_register(struct ps_log *log, struct ps_log_thread *t, void *mem,
			   uint32_t ring_bytes, const char *name)
{
	int err;
	unsigned slot;

	if (!log || !t || !mem || !ps_log_thread_memsize(ring_bytes))
		return -EINVAL;
	if (ps_log__self)
		return -EBUSY;
	err = ps_ring_bytes_init(&t->ring, mem, ring_bytes);
	if (err)
		return err;
	atomic_init(&t->drops, 0);
	t->drops_reported = 0;
	t->log = log;
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "?");

	pthread_mutex_lock(&log->lock);
	for (slot = 0; slot < PS_LOG_MAX_THREADS; slot++)
		if (!atomic_load_explicit(&log->threads[slot], memory_order_relaxed))
			break;
	if (slot == PS_LOG_MAX_THREADS) {
		pthread_mutex_unlock(&log->lock);
		ps_ring_bytes_fini(&t->ring);
		return PS_EFULL;
	}
	t->slot = slot;
	/* R3: pairs with A4 (drain, crash handler); t is initialised before it
	 * is visible in the table. */
	atomic_store_explicit(&log->threads[slot], t, memory_order_release);
	pthread_mutex_unlock(&log->lock);
	ps_log__self = t;
	return 0;
}

int ps_log_thread_unregister(struct ps_log_thread *t)
{
	struct ps_log *log;

	if (!t || ps_log__self != t)
		return -EINVAL;
	log = t->log;
	pthread_mutex_lock(&log->lock);
	if (consumer_enter(log)) {
		while (drain_locked(log, t, DRAIN_MAX, false) > 0)
			;
		consumer_exit(log);
	}
	/* Relaxed: the table changes under the mutex; the crash handler may
	 * still read t once more, and t stays valid until we return. */
	atomic_store_explicit(&log->threads[t->slot], NULL, memory_order_relaxed);
	log->drops_seen += ps_log_thread_drops(t);
	pthread_mutex_unlock(&log->lock);
	ps_log__self = NULL;
	ps_ring_bytes_fini(&t->ring);
	return 0;
}

int ps_log_drain(struct ps_log *log)
{
	int n = 0;

	pthread_mutex_lock(&log->lock);
	if (consumer_enter(log)) {
		n = drain_locked(log, NULL, DRAIN_MAX, false);
		consumer_exit(log);
	}
	pthread_mutex_unlock(&log->lock);
	return n;
}

int ps_log_flush(struct ps_log *log)
{
	int err = 0;

	pthread_mutex_lock(&log->lock);
	if (consumer_enter(log)) {
		/* Bounded: producers that never pause cannot keep a flush going. */
		for (unsigned round = 0; round < 64; round++) {
			int n = drain_locked(log, NULL, DRAIN_MAX, false);

			if (n < 0 && !err)
				err = n;
			if (n == 0)
				break;
		}
		int e = buf_write(log);

		if (e && !err)
			err = e;
		consumer_exit(log);
	}
	pthread_mutex_unlock(&log->lock);
	return err;
}

void ps_log_stats(struct ps_log *log, struct ps_log_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&log->lock);
	st->records = log->records;
	st->bytes = log->bytes;
	st->write_errors = log->write_errors;
	st->drops = log->drops_seen;
	for (unsigned i = 0; i < PS_LOG_MAX_THREADS; i++) {
		const struct ps_log_thread *t =
		    atomic_load_explicit(&log->threads[i], memory_order_relaxed);

		if (t)
			st->drops += ps_log_thread_drops(t);
	}
	pthread_mutex_unlock(&log->lock);
	st->orphan_drops = atomic_load_explicit(&ps_log__orphan_drops, memory_order_relaxed);
}

/* ---- drainer thread ----------------------------------------------------------- */

static void *drainer_main(void *arg)
{
	struct ps_log *log = arg;
	struct timespec idle = { (time_t)(log->drainer_idle_ns / 1000000000u),
				 (long)(log->drainer_idle_ns % 1000000000u) };

	/* Relaxed: a stop request; the join in ps_log_drainer_stop orders the rest. */
	while (!atomic_load_explicit(&log->drainer_stop, memory_order_relaxed)) {
		if (ps_log_drain(log) != 0)
			continue;
		/* Idle: put out what is buffered, then rest. */
		pthread_mutex_lock(&log->lock);
		if (consumer_enter(log)) {
			buf_write(log);
			consumer_exit(log);
		}
		pthread_mutex_unlock(&log->lock);
		nanosleep(&idle, NULL);
	}
	ps_log_flush(log);
	return NULL;
}

int ps_log_drainer_start(struct ps_log *log, uint64_t idle_ns)
{
	int err;

	if (log->drainer_running)
		return -EBUSY;
	log->drainer_idle_ns = idle_ns ? idle_ns : 1000000u;
	atomic_store_explicit(&log->drainer_stop, 0, memory_order_relaxed);
	err = pthread_create(&log->drainer, NULL, drainer_main, log);
	if (err)
		return -err;
	log->drainer_running = true;
	return 0;
}

int ps_log_drainer_stop(struct ps_log *log)
{
	if (!log->drainer_running)
		return 0;
	atomic_store_explicit(&log->drainer_stop, 1, memory_order_relaxed);
	pthread_join(log->drainer, NULL);
	log->drainer_running = false;
	return 0;
}

/* ---- crash handler --------------------------------------------------------------- */

static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
static struct sigaction crash_old[PS_ARRAY_SIZE(crash_sigs)];
static bool crash_installed;

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGABRT:
		return "SIGABRT";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	}
	return "signal";
}

/* Async-signal-safe: atomics, write(2), nanosleep, gettid, sigaction, raise. */
static void crash_handler(int sig, siginfo_t *si, void *uc)
{
	struct ps_log *log = atomic_load(&crash_log);
	int saved_errno = errno;

	(void)si;
	(void)uc;
	/* Only the first crashing thread writes; the others just die. */
	if (log && !atomic_exchange(&log->crashing, 1)) {
		pid_t me = gettid();
		struct timespec ms = { 0, 1000000 };
		bool mine = false;

		for (int i = 0; i < 1000; i++) {
			/* A5: pairs with R4 (consumer_exit); the drainer's buffer
			 * writes happened before it let go. */
			pid_t holder = atomic_load_explicit(&log->drain_tid, memory_order_acquire);

			if (holder == 0 || holder == me) {
				mine = true;
				break;
			}
			nanosleep(&ms, NULL);
		}
		if (mine) {
			struct out o;

			/* Queued records first (they are older), then the notice. */
			for (int round = 0; round < 64; round++)
				if (drain_locked(log, NULL, DRAIN_MAX, true) <= 0)
					break;
			if (!buf_room(log))
				buf_write(log);
			o = own_line_begin(log, PS_LOG_FATAL);
			put_str(&o, "caught ");
			put_str(&o, sig_name(sig));
			put_str(&o, " (");
			put_u64(&o, (uint64_t)sig);
			put_str(&o, ") after the records above");
			line_end(log, &o);
			buf_write(log);
		}
	}
	for (size_t i = 0; i < PS_ARRAY_SIZE(crash_sigs); i++)
		if (crash_sigs[i] == sig)
			sigaction(sig, &crash_old[i], NULL);
	errno = saved_errno;
	/* Pending until we return (the signal is blocked in its handler); a
	 * faulting instruction would also fault again under the old action. */
	raise(sig);
}

int ps_log_install_crash_handler(struct ps_log *log)
{
	struct sigaction sa;

	if (!log)
		return -EINVAL;
	if (crash_installed) {
		atomic_store(&crash_log, log);
		return 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	atomic_store(&crash_log, log);
	for (size_t i = 0; i < PS_ARRAY_SIZE(crash_sigs); i++) {
		if (sigaction(crash_sigs[i], &sa, &crash_old[i]) < 0) {
			int err = -errno;

			while (i-- > 0)
				sigaction(crash_sigs[i], &crash_old[i], NULL);
			atomic_store(&crash_log, NULL);
			return err;
		}
	}
	crash_installed = true;
	return 0;
}

void ps_log_remove_crash_handler(void)
{
	if (!crash_installed)
		return;
	for (size_t i = 0; i < PS_ARRAY_SIZE(crash_sigs); i++)
		sigaction(crash_sigs[i], &crash_old[i], NULL);
	atomic_store(&crash_log, NULL);
	crash_installed = false;
}
