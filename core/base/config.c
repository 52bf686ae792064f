#include <ps/alloc.h>
#include <ps/config.h>
#include <ps/err.h>
#include <ps/fixed.h>

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct entry {
	char *section;
	char *key;
	char *value;
	int line;
	bool used; /* read by a getter */
};

struct section {
	char *name;
	int line; /* first header */
};

struct ps_config {
	char *path;
	struct entry *entries;
	uint32_t count, cap;
	struct section *secs;
	uint32_t nsec, seccap;
};

/* ---- messages ---------------------------------------------------------- */

PS_PRINTF(4, 5)
static void appendf(char *err, size_t err_len, size_t *pos, const char *fmt, ...)
{
	if (!err || *pos + 1 >= err_len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err + *pos, err_len - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos = PS_MIN(*pos + (size_t)n, err_len - 1);
}

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

/* ---- table ----------------------------------------------------------- */

static struct entry *find(const struct ps_config *c, const char *section, const char *key)
{
	for (uint32_t i = 0; i < c->count; i++)
		if (strcmp(c->entries[i].section, section) == 0 &&
		    strcmp(c->entries[i].key, key) == 0)
			return &c->entries[i];
	return NULL;
}

static const struct section *find_section(const struct ps_config *c, const char *name)
{
	for (uint32_t i = 0; i < c->nsec; i++)
		if (strcmp(c->secs[i].name, name) == 0)
			return &c->secs[i];
	return NULL;
}

static int add_section(struct ps_config *c, const char *name, size_t len, int line)
{
	for (uint32_t i = 0; i < c->nsec; i++)
		if (strlen(c->secs[i].name) == len && memcmp(c->secs[i].name, name, len) == 0)
			return 0;
	if (c->nsec == c->seccap) {
		uint32_t cap = c->seccap ? 2 * c->seccap : 16;
		struct section *s = ps_realloc(c->secs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		c->secs = s;
		c->seccap = cap;
	}
	char *n = ps_alloc(len + 1);
	if (!n)
		return -ENOMEM;
	memcpy(n, name, len);
	n[len] = '\0';
	c->secs[c->nsec].name = n;
	c->secs[c->nsec].line = line;
	c->nsec++;
	return 0;
}

/* ---- parsing --------------------------------------------------------- */

struct parse_ctx {
	struct ps_config *c;
	const char *text; /* whole file, NUL-terminated */
	const char *pos;  /* next unread byte */
	int line;         /* lines handed to libinih so far = current line number */
	int err_code;     /* first error found by us (0: none) */
	char *err;
	size_t err_len;
};

/*
 * libinih reads through this: it hands out one line at a time, so ctx->line
 * is the line libinih is working on when it calls the handler, and it
 * records section headers itself (libinih reports only keys, and a section
 * with all defaults must still be enumerable). A line that does not fit
 * libinih's buffer is an error rather than silently split in two.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *x = stream;

	if (*x->pos == '\0' || num < 2)
		return NULL;
	const char *nl = strchr(x->pos, '\n');
	size_t len = nl ? (size_t)(nl - x->pos) + 1 : strlen(x->pos);
	size_t content = nl ? len - 1 : len;
	if (content > 0 && x->pos[content - 1] == '\r')
		content--;
	x->line++;

	if (content > (size_t)num - 2 && !x->err_code) {
		x->err_code = PS_ESYNTAX;
		fail(x->err, x->err_len, PS_ESYNTAX,
		     "%s:%d: line too long (%zu characters; max %d)", x->c->path, x->line, content,
		     num - 2);
	}
	size_t copy = PS_MIN(len, (size_t)num - 1);
	memcpy(str, x->pos, copy);
	str[copy] = '\0';

	const char *p = x->pos;
	while (p < x->pos + content && (*p == ' ' || *p == '\t'))
		p++;
	if (*p == '[') {
		const char *end = memchr(p, ']', (size_t)(x->pos + content - p));
		if (end && add_section(x->c, p + 1, (size_t)(end - p - 1), x->line) != 0 &&
		    !x->err_code) {
			x->err_code = -ENOMEM;
			fail(x->err, x->err_len, -ENOMEM, "%s: out of memory", x->c->path);
		}
	}
	x->pos += len;
	return str;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *x = user;
	struct ps_config *c = x->c;
	const struct entry *dup = find(c, section, key);

	if (dup) {
		if (!x->err_code) {
			x->err_code = PS_ESYNTAX;
			fail(x->err, x->err_len, PS_ESYNTAX,
			     "%s:%d: [%s] %s: duplicate key (first set at line %d)", c->path,
			     x->line, section, key, dup->line);
		}
		return 0;
	}
	if (c->count == c->cap) {
		uint32_t cap = c->cap ? 2 * c->cap : 32;
		struct entry *e = ps_realloc(c->entries, cap * sizeof(*e));
		if (!e)
			goto nomem;
		c->entries = e;
		c->cap = cap;
	}
	struct entry *e = &c->entries[c->count];
	e->section = ps_strdup(section);
	e->key = ps_strdup(key);
	e->value = ps_strdup(value);
	e->line = x->line;
	e->used = false;
	if (!e->section || !e->key || !e->value) {
		ps_free(e->section);
		ps_free(e->key);
		ps_free(e->value);
		goto nomem;
	}
	c->count++;
	if (!find_section(c, section) && add_section(c, section, strlen(section), x->line) != 0)
		goto nomem;
	return 1;
nomem:
	if (!x->err_code) {
		x->err_code = -ENOMEM;
		fail(x->err, x->err_len, -ENOMEM, "%s: out of memory", c->path);
	}
	return 0;
}

/* Text of line n (1-based), trimmed, into buf. */
static const char *line_text(const char *text, int n, char *buf, size_t len)
{
	const char *p = text;
	for (int i = 1; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return "";
	while (*p == ' ' || *p == '\t')
		p++;
	size_t l = strcspn(p, "\r\n");
	if (l >= len)
		l = len - 1;
	memcpy(buf, p, l);
	buf[l] = '\0';
	return buf;
}

int ps_config_load_string(struct ps_config **out, const char *text, const char *name, char *err,
			  size_t err_len)
{
	if (!out || !text)
		return fail(err, err_len, -EINVAL, "config: NULL argument");
	*out = NULL;
	if (err && err_len)
		err[0] = '\0';

	struct ps_config *c = ps_calloc(1, sizeof(*c));
	if (!c || !(c->path = ps_strdup(name ? name : "(string)"))) {
		ps_free(c);
		return fail(err, err_len, -ENOMEM, "%s: out of memory", name ? name : "config");
	}
	struct parse_ctx x = { .c = c, .text = text, .pos = text, .err = err, .err_len = err_len };

	/* Continuation lines would turn an indented "key = value" into part of
	 * the previous value; we do not accept them (see the header). */
	bool multiline = ini_allow_multiline;
	ini_allow_multiline = false;
	int rc = ini_parse_stream(reader, &x, handler, &x);
	ini_allow_multiline = multiline;

	if (x.err_code) {
		ps_config_destroy(c);
		return x.err_code;
	}
	if (rc != 0) {
		char buf[128];
		ps_config_destroy(c);
		if (rc < 0)
			return fail(err, err_len, -ENOMEM, "%s: out of memory", name);
		return fail(
		    err, err_len, PS_ESYNTAX,
		    "%s:%d: syntax error: '%s' (expected [section], key = value or a comment)",
		    name, rc, line_text(text, rc, buf, sizeof(buf)));
	}
	*out = c;
	return 0;
}

int ps_config_load(struct ps_config **out, const char *path, char *err, size_t err_len)
{
	if (!out || !path)
		return fail(err, err_len, -EINVAL, "config: NULL argument");
	*out = NULL;

	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		return fail(err, err_len, -e, "%s: cannot open: %s", path, strerror(e));
	}
	size_t cap = 4096, len = 0;
	char *buf = ps_alloc(cap);
	int rc = 0;
	while (buf) {
		len += fread(buf + len, 1, cap - len - 1, f);
		if (ferror(f)) {
			rc = fail(err, err_len, -EIO, "%s: read error", path);
			break;
		}
		if (feof(f))
			break;
		if (len + 1 == cap) {
			char *n = ps_realloc(buf, cap * 2);
			if (!n) {
				ps_free(buf);
				buf = NULL;
				break;
			}
			buf = n;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return fail(err, err_len, -ENOMEM, "%s: out of memory", path);
	if (rc == 0) {
		buf[len] = '\0';
		if (strlen(buf) != len)
			rc = fail(err, err_len, PS_ESYNTAX, "%s: contains a NUL byte", path);
		else
			rc = ps_config_load_string(out, buf, path, err, err_len);
	}
	ps_free(buf);
	return rc;
}

void ps_config_destroy(struct ps_config *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->count; i++) {
		ps_free(c->entries[i].section);
		ps_free(c->entries[i].key);
		ps_free(c->entries[i].value);
	}
	for (uint32_t i = 0; i < c->nsec; i++)
		ps_free(c->secs[i].name);
	ps_free(c->entries);
	ps_free(c->secs);
	ps_free(c->path);
	ps_free(c);
}

const char *ps_config_path(const struct ps_config *c)
{
	return c->path;
}

/* ---- sections -------------------------------------------------------- */

bool ps_config_pattern_match(const char *pattern, const char *name)
{
	size_t pl = strlen(pattern);
	if (pl >= 2 && pattern[pl - 2] == '.' && pattern[pl - 1] == '*')
		return strncmp(pattern, name, pl - 1) == 0 && name[pl - 1] != '\0';
	return strcmp(pattern, name) == 0;
}

const char *ps_config_section_next(const struct ps_config *c, const char *pattern,
				   struct ps_config_iter *it)
{
	while (it->pos < c->nsec) {
		const char *name = c->secs[it->pos++].name;
		if (!pattern || ps_config_pattern_match(pattern, name))
			return name;
	}
	return NULL;
}

bool ps_config_has_section(const struct ps_config *c, const char *section)
{
	return find_section(c, section) != NULL;
}

int ps_config_section_line(const struct ps_config *c, const char *section)
{
	const struct section *s = find_section(c, section);
	return s ? s->line : 0;
}

const char *ps_config_section_suffix(const char *section)
{
	const char *dot = strchr(section, '.');
	return dot ? dot + 1 : "";
}

bool ps_config_has(const struct ps_config *c, const char *section, const char *key)
{
	return find(c, section, key) != NULL;
}

int ps_config_line(const struct ps_config *c, const char *section, const char *key)
{
	const struct entry *e = find(c, section, key);
	return e ? e->line : 0;
}

/* ---- getters --------------------------------------------------------- */

/* The entry for (section, key), marked used; NULL when absent. */
static struct entry *lookup(struct ps_config *c, const char *section, const char *key)
{
	struct entry *e = find(c, section, key);
	if (e)
		e->used = true;
	return e;
}

PS_PRINTF(5, 6)
static int bad(const struct ps_config *c, const struct entry *e, char *err, size_t err_len,
	       const char *fmt, ...)
{
	size_t pos = 0;
	appendf(err, err_len, &pos, "%s:%d: [%s] %s = %s: expected ", c->path, e->line, e->section,
		e->key, e->value);
	if (err && pos + 1 < err_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + pos, err_len - pos, fmt, ap);
		va_end(ap);
	}
	return PS_ECONFIG;
}

int ps_config_get_str(struct ps_config *c, const char *section, const char *key, const char *def,
		      const char **out, char *err, size_t err_len)
{
	(void)err;
	(void)err_len;
	const struct entry *e = lookup(c, section, key);
	*out = e ? e->value : def;
	return 0;
}

int ps_config_get_strbuf(struct ps_config *c, const char *section, const char *key, const char *def,
			 char *out, size_t out_len, char *err, size_t err_len)
{
	const struct entry *e = lookup(c, section, key);
	const char *v = e ? e->value : def;

	if (strlen(v) >= out_len) {
		if (e)
			return bad(c, e, err, err_len, "at most %zu characters", out_len - 1);
		return fail(err, err_len, -EINVAL,
			    "%s: [%s] %s: default longer than %zu characters", c->path, section,
			    key, out_len - 1);
	}
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* Integer text: optional sign, then decimal digits or 0x and hex digits. */
static bool parse_i64(const char *s, int64_t *v)
{
	const char *p = s;
	int base = 10;
	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16;
	if (!(*p >= '0' && *p <= '9'))
		return false;
	char *end;
	errno = 0;
	long long r = strtoll(s, &end, base);
	if (errno || *end != '\0' || end == s)
		return false;
	*v = r;
	return true;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	if (!(*s >= '0' && *s <= '9')) /* no sign: strtoull would accept "-1" */
		return false;
	char *end;
	errno = 0;
	unsigned long long r = strtoull(s, &end, base);
	if (errno || *end != '\0')
		return false;
	*v = r;
	return true;
}

int ps_config_get_int(struct ps_config *c, const char *section, const char *key, int64_t def,
		      int64_t min, int64_t max, int64_t *out, char *err, size_t err_len)
{
	const struct entry *e = lookup(c, section, key);
	int64_t v;
	if (!e) {
		*out = def;
		return 0;
	}
	if (!parse_i64(e->value, &v) || v < min || v > max)
		return bad(c, e, err, err_len, "an integer in [%lld, %lld]", (long long)min,
			   (long long)max);
	*out = v;
	return 0;
}

int ps_config_get_uint(struct ps_config *c, const char *section, const char *key, uint64_t def,
		       uint64_t max, uint64_t *out, char *err, size_t err_len)
{
	const struct entry *e = lookup(c, section, key);
	uint64_t v;
	if (!e) {
		*out = def;
		return 0;
	}
	if (!parse_u64(e->value, &v) || v > max)
		return bad(c, e, err, err_len, "an unsigned integer in [0, %llu]",
			   (unsigned long long)max);
	*out = v;
	return 0;
}

int ps_config_get_bool(struct ps_config *c, const char *section, const char *key, bool def,
		       bool *out, char *err, size_t err_len)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	const struct entry *e = lookup(c, section, key);
	if (!e) {
		*out = def;
		return 0;
	}
	for (size_t i = 0; i < PS_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(e->value, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(e->value, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return bad(c, e, err, err_len, "a boolean (true/false, yes/no, on/off, 1/0)");
}

int ps_config_get_double(struct ps_config *c, const char *section, const char *key, double def,
			 double min, double max, double *out, char *err, size_t err_len)
{
	const struct entry *e = lookup(c, section, key);
	if (!e) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(e->value, &end);
	if (end == e->value || *end != '\0' || errno == ERANGE || !isfinite(v) || v < min ||
	    v > max)
		return bad(c, e, err, err_len, "a number in [%g, %g]", min, max);
	*out = v;
	return 0;
}

int ps_config_get_fixed(struct ps_config *c, const char *section, const char *key, int64_t def,
			unsigned scale, int64_t *out, char *err, size_t err_len)
{
	const struct entry *e = lookup(c, section, key);
	int64_t v;
	if (!e) {
		*out = def;
		return 0;
	}
	int rc = ps_fixed_parse(e->value, strlen(e->value), scale, &v);
	if (rc == PS_EDECIMALS)
		return bad(c, e, err, err_len, "a decimal number with at most %u decimals", scale);
	if (rc == PS_EOVERFLOW)
		return bad(c, e, err, err_len, "a decimal number that fits int64 at %u decimals",
			   scale);
	if (rc)
		return bad(c, e, err, err_len, "a decimal number like 12.5 (at most %u decimals)",
			   scale);
	*out = v;
	return 0;
}

int ps_config_get_enum(struct ps_config *c, const char *section, const char *key,
		       const char *const *names, int def, int *out, char *err, size_t err_len)
{
	const struct entry *e = lookup(c, section, key);
	if (!e) {
		*out = def;
		return 0;
	}
	for (int i = 0; names[i]; i++) {
		if (strcmp(e->value, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	char list[256];
	size_t pos = 0;
	list[0] = '\0';
	for (int i = 0; names[i]; i++)
		appendf(list, sizeof(list), &pos, "%s%s", i ? ", " : "", names[i]);
	return bad(c, e, err, err_len, "one of: %s", list);
}

#define CPU_MAX 1023

/* Kernel cpulist syntax. Returns NULL on success or what is wrong. */
static const char *parse_cpulist(const char *s, int *cpus, uint32_t max_count, uint32_t *count)
{
	uint32_t n = 0;
	const char *p = s;

	while (*p == ' ')
		p++;
	if (*p == '\0') {
		*count = 0;
		return NULL;
	}
	for (;;) {
		char *end;
		while (*p == ' ')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return "a CPU list like 0-3,6";
		long a = strtol(p, &end, 10), b;
		p = end;
		if (*p == '-') {
			p++;
			if (!(*p >= '0' && *p <= '9'))
				return "a CPU list like 0-3,6";
			b = strtol(p, &end, 10);
			p = end;
		} else {
			b = a;
		}
		if (a > CPU_MAX || b > CPU_MAX)
			return "CPU numbers in [0, 1023]";
		if (b < a)
			return "ranges written low-high (like 0-3)";
		for (long cpu = a; cpu <= b; cpu++) {
			for (uint32_t i = 0; i < n; i++)
				if (cpus[i] == cpu)
					return "each CPU listed once";
			if (n == max_count)
				return "fewer CPUs";
			cpus[n++] = (int)cpu;
		}
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (*p != ',')
			return "a CPU list like 0-3,6";
		p++;
	}
	*count = n;
	return NULL;
}

int ps_config_get_cpulist(struct ps_config *c, const char *section, const char *key,
			  const char *def, int *cpus, uint32_t max_count, uint32_t *count,
			  char *err, size_t err_len)
{
	const struct entry *e = lookup(c, section, key);
	const char *what = parse_cpulist(e ? e->value : (def ? def : ""), cpus, max_count, count);
	if (!what)
		return 0;
	if (!e)
		return fail(err, err_len, -EINVAL,
			    "[%s] %s: bad default CPU list '%s': expected %s", section, key, def,
			    what);
	if (strcmp(what, "fewer CPUs") == 0)
		return bad(c, e, err, err_len, "at most %u CPUs", max_count);
	return bad(c, e, err, err_len, "%s", what);
}

/* ---- checks ---------------------------------------------------------- */

static bool key_accepted(const struct ps_config_schema *schema, size_t n, const char *section,
			 const char *key, bool *section_known)
{
	*section_known = false;
	for (size_t i = 0; i < n; i++) {
		if (!ps_config_pattern_match(schema[i].section, section))
			continue;
		*section_known = true;
		if (!schema[i].keys)
			return true;
		for (const char *const *k = schema[i].keys; *k; k++)
			if (ps_config_pattern_match(*k, key))
				return true;
	}
	return false;
}

int ps_config_check(const struct ps_config *c, const struct ps_config_schema *schema,
		    size_t schema_count, char *err, size_t err_len)
{
	size_t pos = 0;
	int rc = 0;

	if (err && err_len)
		err[0] = '\0';
	for (uint32_t s = 0; s < c->nsec; s++) {
		bool known = false;
		for (size_t i = 0; i < schema_count && !known; i++)
			known = ps_config_pattern_match(schema[i].section, c->secs[s].name);
		if (known)
			continue;
		char list[256];
		size_t lp = 0;
		list[0] = '\0';
		for (size_t i = 0; i < schema_count; i++)
			appendf(list, sizeof(list), &lp, "%s%s", i ? ", " : "", schema[i].section);
		appendf(err, err_len, &pos, "%s%s:%d: unknown section [%s] (accepted: %s)",
			pos ? "\n" : "", c->path, c->secs[s].line, c->secs[s].name, list);
		rc = PS_ECONFIG;
	}
	for (uint32_t i = 0; i < c->count; i++) {
		const struct entry *e = &c->entries[i];
		bool section_known;
		if (key_accepted(schema, schema_count, e->section, e->key, &section_known) ||
		    !section_known)
			continue; /* unknown sections were reported above */
		char list[256];
		size_t lp = 0;
		list[0] = '\0';
		for (size_t j = 0; j < schema_count; j++) {
			if (!ps_config_pattern_match(schema[j].section, e->section))
				continue;
			for (const char *const *k = schema[j].keys; k && *k; k++)
				appendf(list, sizeof(list), &lp, "%s%s", lp ? ", " : "", *k);
		}
		appendf(err, err_len, &pos, "%s%s:%d: [%s] unknown key '%s' (accepted: %s)",
			pos ? "\n" : "", c->path, e->line, e->section, e->key, list);
		rc = PS_ECONFIG;
	}
	return rc;
}

int ps_config_check_unused(const struct ps_config *c, char *err, size_t err_len)
{
	size_t pos = 0;
	int rc = 0;

	if (err && err_len)
		err[0] = '\0';
	for (uint32_t i = 0; i < c->count; i++) {
		const struct entry *e = &c->entries[i];
		if (e->used)
			continue;
		appendf(err, err_len, &pos, "%s%s:%d: [%s] unknown key '%s'", pos ? "\n" : "",
			c->path, e->line, e->section, e->key);
		rc = PS_ECONFIG;
	}
	return rc;
}
