/*
 * The journal reader (ps_journal_scan) and `perseus journal dump`'s record
 * printer (ps_jrec_print), on journals the real writer made from the input's
 * records, then torn or hit by a flipped bit where the input says.
 *
 * What must hold:
 * - untouched, the scan gives back every record as written, in order;
 * - a record the scan hands out after a tear or a flip is one that was
 *   written, byte for byte (the CRC lets nothing damaged through); the scan
 *   ends with 0, PS_ETORN, PS_ECRC or PS_ESEQGAP, never anything else;
 * - a torn tail (PS_ETORN) is cut by a TRUNCATE scan, after which the
 *   journal reads clean with the same records; corruption (PS_ECRC) is never
 *   cut away, the TRUNCATE scan says PS_ECRC too;
 * - every record prints in the three formats, and each jsonl line is one
 *   valid JSON object, whatever bytes the payload holds.
 *
 * Input: byte 0 (bits 0-1: 0 untouched, 1 tear, 2 flip, 3 both; bits 2-3:
 * 1-4 runs of the writer, a segment file each), bytes 1-4
 * where to tear or flip (an offset into the files, all in a row), then
 * records of [type u8][len u16 LE][payload]. Types run past the known ones.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ps/err.h>
#include <ps/journal.h>
#include <ps/jrec.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 256

struct rec {
	uint16_t type;
	uint32_t len;
	const uint8_t *payload;
};

static struct rec recs[MAX_RECS];
static uint32_t nrecs;
static char dir[64];

/* ---- a strict JSON validator (RFC 8259) for one value ------------------- */

static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;
		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL; /* also the terminating NUL */
		if (c >= 0x80)
			return NULL; /* the printer writes ASCII only */
		if (c == '\\') {
			c = (unsigned char)*p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++, p++)
					if (!((*p >= '0' && *p <= '9') ||
					      (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
						return NULL;
			} else if (!strchr("\"\\/bfnrt", c) || !c) {
				return NULL;
			}
		}
	}
}

static const char *json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	return p; /* the printer writes integers only */
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 8)
		return NULL;
	p = json_ws(p);
	if (*p == '"')
		return json_string(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (!(p = json_string(json_ws(p))))
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if (!(p = json_value(p, depth + 1)))
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	return json_number(p);
}

/* ---- the journal --------------------------------------------------------- */

static void clear_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[128];

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
}

struct seen {
	uint64_t n;
	bool check_print;
};

static int on_record(void *ctx, const struct ps_journal_record *r)
{
	struct seen *s = ctx;

	/* Records are numbered from 1 in writing order: what comes out must be
	 * what went in under that number. */
	if (r->seq < 1 || r->seq > nrecs || r->seq != s->n + 1)
		abort();
	const struct rec *w = &recs[r->seq - 1];
	if (r->type != w->type || r->len != w->len || r->ts_ns != r->seq * 1000 ||
	    memcmp(r->payload, w->payload, w->len) != 0)
		abort();
	s->n++;
	if (!s->check_print)
		return 0;
	for (int fmt = PS_JREC_FORMAT_TEXT; fmt <= PS_JREC_FORMAT_JSONL; fmt++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			abort();
		ps_jrec_print(f, (enum ps_jrec_format)fmt, r->seq, r->ts_ns, r->type, r->payload,
			      r->len);
		fclose(f);
		/* One record, one line. */
		if (!len || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1))
			abort();
		buf[len - 1] = '\0';
		if (fmt == PS_JREC_FORMAT_JSONL) {
			const char *end = json_value(buf, 0);
			if (!end || *json_ws(end) != '\0' || buf[0] != '{')
				abort();
		}
		free(buf);
	}
	return 0;
}

/* The segment files in name order (the writer's names sort by index). */
static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int segments(char names[][128], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)) && n < max)
		if (e->d_name[0] != '.')
			snprintf(names[n++], 128, "%s/%s", dir, e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), by_name);
	return n;
}

/* Tear (cut the file there) or flip a bit at offset at of all files in a row. */
static void damage(uint32_t at, bool tear)
{
	char names[64][128];
	int n = segments(names, 64);
	uint64_t total = 0;
	struct stat st;

	for (int i = 0; i < n; i++)
		if (!stat(names[i], &st))
			total += (uint64_t)st.st_size;
	if (!total)
		return;
	uint64_t off = at % total;
	for (int i = 0; i < n; i++) {
		if (stat(names[i], &st))
			abort();
		if (off >= (uint64_t)st.st_size) {
			off -= (uint64_t)st.st_size;
			continue;
		}
		if (tear) {
			if (truncate(names[i], (off_t)off))
				abort();
		} else {
			int fd = open(names[i], O_RDWR);
			uint8_t b;
			if (fd < 0 || pread(fd, &b, 1, (off_t)off) != 1)
				abort();
			b ^= (uint8_t)(1u << (at >> 29));
			if (pwrite(fd, &b, 1, (off_t)off) != 1)
				abort();
			close(fd);
		}
		return;
	}
}

static void remove_dir(void)
{
	clear_dir();
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		/* tmpfs: the writer's files cost no disk I/O. */
		snprintf(dir, sizeof(dir), "/dev/shm/ps-fuzz-journal-%d", (int)getpid());
		if (mkdir(dir, 0700) && errno != EEXIST)
			abort();
		atexit(remove_dir);
	}
	if (size < 5)
		return 0;
	unsigned mode = data[0];
	uint32_t at;
	memcpy(&at, data + 1, 4);
	size_t i = 5;
	nrecs = 0;
	while (i + 3 <= size && nrecs < MAX_RECS) {
		uint16_t len;
		memcpy(&len, data + i + 1, 2);
		if (len > size - i - 3)
			len = (uint16_t)(size - i - 3);
		recs[nrecs++] =
		    (struct rec){ .type = data[i], .len = len, .payload = data + i + 3 };
		i += 3 + (size_t)len;
	}

	clear_dir();
	/* 1-4 runs of the writer, as restarts make them: each opens a segment
	 * of its own after the last one and goes on numbering. */
	struct ps_journal_config cfg = { .dir = dir,
					 .buffer_bytes = PS_JOURNAL_MAX_PAYLOAD +
							 PS_JOURNAL_REC_HDR_LEN +
							 PS_JOURNAL_HEADER_LEN,
					 .fsync = PS_JOURNAL_FSYNC_NONE };
	uint32_t runs = 1 + ((mode >> 2) & 3);
	for (uint32_t r = 0, k = 0; r < runs; r++) {
		struct ps_journal *j;
		uint32_t end = (r + 1) * nrecs / runs;
		if (ps_journal_open(&j, &cfg, k + 1))
			abort();
		for (; k < end; k++)
			if (ps_journal_append(j, recs[k].type, 0, (uint64_t)(k + 1) * 1000,
					      recs[k].payload, recs[k].len) != (int64_t)k + 1)
				abort();
		if (ps_journal_close(j))
			abort();
	}

	struct ps_journal_scan res;
	struct seen s = { .check_print = true };
	if (ps_journal_scan(dir, 0, on_record, &s, &res) || s.n != nrecs || res.records != nrecs)
		abort();
	if (!(mode & 3))
		return 0;

	if (mode & 1)
		damage(at, true);
	if (mode & 2)
		damage(at * 2654435761u, false);
	s = (struct seen){ 0 };
	int rc = ps_journal_scan(dir, 0, on_record, &s, &res);
	if (rc != 0 && rc != PS_ETORN && rc != PS_ECRC && rc != PS_ESEQGAP)
		abort();
	uint64_t before = s.n;
	s = (struct seen){ 0 };
	int rc2 = ps_journal_scan(dir, PS_JOURNAL_SCAN_TRUNCATE, on_record, &s, &res);
	if (s.n != before)
		abort(); /* the same records, whether or not the tail is cut */
	if (rc == PS_ETORN) {
		if (rc2 != 0 || !res.truncated)
			abort();
		s = (struct seen){ 0 };
		if (ps_journal_scan(dir, 0, on_record, &s, &res) || s.n != before)
			abort();
	} else if (rc2 != rc) {
		abort(); /* corruption and gaps are never cut away */
	}
	return 0;
}
