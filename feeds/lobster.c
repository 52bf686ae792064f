/*
 * LOBSTER reader: CSV row parsers, line sources (plain file, memory, zip
 * member inflated with zlib) and the two-file reader. See <ps/lobster.h>.
 *
 * Zip: we read the End Of Central Directory record (the last 22+ bytes,
 * signature 0x06054b50), walk the central directory (0x02014b50 entries)
 * for the member, and find its data behind the local header (0x04034b50),
 * whose name/extra lengths may differ from the central copy. Zip64 is not
 * supported (the LOBSTER samples are far below 4 GiB). All offsets are
 * bounds-checked against the mapped file before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
/* next_in as a const pointer: we inflate straight from the read-only map. */
#define ZLIB_CONST
#include <zlib.h>

#include <ps/alloc.h>
#include <ps/lobster.h>

/* Inflate window: holds whole lines, so it is a multiple of the longest. */
#define WIN_CAP (256u * 1024u)

/* ---- row parsers ------------------------------------------------------- */

/* Signed decimal integer up to ',' or end. */
static int parse_i64(const char **pp, const char *end, int64_t *out)
{
	const char *p = *pp;
	bool neg = false;
	uint64_t v = 0;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p == end || *p < '0' || *p > '9')
		return PS_ESYNTAX;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (uint64_t)INT64_MAX / 10)
			return PS_EOVERFLOW;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > (uint64_t)INT64_MAX)
			return PS_EOVERFLOW;
		p++;
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	*pp = p;
	return 0;
}

/* Expect a ',' (between columns) or the end (after the last one). */
static int expect_sep(const char **pp, const char *end, bool last)
{
	if (last)
		return *pp == end ? 0 : PS_ESYNTAX;
	if (*pp == end || **pp != ',')
		return PS_ESYNTAX;
	(*pp)++;
	return 0;
}

static const char *trim_end(const char *line, size_t len)
{
	const char *end = line + len;

	while (end > line && (end[-1] == '\r' || end[-1] == '\n'))
		end--;
	return end;
}

/* Seconds after midnight with up to 9 decimals -> ns. */
static int parse_time(const char **pp, const char *end, uint64_t *ns)
{
	const char *p = *pp;
	uint64_t sec = 0, frac = 0;
	int digits = 0;

	if (p == end || *p < '0' || *p > '9')
		return PS_ESYNTAX;
	while (p < end && *p >= '0' && *p <= '9') {
		sec = sec * 10 + (uint64_t)(*p - '0');
		if (sec > 1000000000ull)
			return PS_EOVERFLOW;
		p++;
	}
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p >= '0' && *p <= '9') {
			/* Digits below 1 ns are binary floating-point residue in
			 * some LOBSTER files (43002.632812672004): dropped. */
			if (++digits <= 9)
				frac = frac * 10 + (uint64_t)(*p - '0');
			p++;
		}
	}
	for (; digits < 9; digits++)
		frac *= 10;
	*ns = sec * 1000000000ull + frac;
	*pp = p;
	return 0;
}

int ps_lobster_msg_parse(struct ps_lobster_msg *m, const char *line, size_t len)
{
	const char *p = line, *end = trim_end(line, len);
	int64_t type, id, size, price, dir;
	int rc;

	if ((rc = parse_time(&p, end, &m->time_ns)) || (rc = expect_sep(&p, end, false)) ||
	    (rc = parse_i64(&p, end, &type)) || (rc = expect_sep(&p, end, false)) ||
	    (rc = parse_i64(&p, end, &id)) || (rc = expect_sep(&p, end, false)) ||
	    (rc = parse_i64(&p, end, &size)) || (rc = expect_sep(&p, end, false)) ||
	    (rc = parse_i64(&p, end, &price)) || (rc = expect_sep(&p, end, false)) ||
	    (rc = parse_i64(&p, end, &dir)) || (rc = expect_sep(&p, end, true)))
		return rc;
	if (type < 0 || type > 255 || id < 0 || size < 0 || dir < -1 || dir > 1)
		return PS_ESYNTAX;
	if (size > UINT32_MAX)
		return PS_EOVERFLOW;
	m->type = (uint8_t)type;
	m->order_id = (uint64_t)id;
	m->size = (uint32_t)size;
	m->price = price;
	m->direction = (int8_t)dir;
	return 0;
}

int ps_lobster_book_parse(struct ps_lobster_book_row *b, const char *line, size_t len)
{
	const char *p = line, *end = trim_end(line, len);
	uint32_t lv = 0;

	for (;;) {
		int64_t v[4];
		int rc;

		if (lv == PS_LOBSTER_MAX_LEVELS)
			return PS_ESYNTAX;
		for (int i = 0; i < 4; i++) {
			if ((rc = parse_i64(&p, end, &v[i])))
				return rc;
			if (i < 3 && (rc = expect_sep(&p, end, false)))
				return rc;
		}
		if (v[1] < 0 || v[1] > UINT32_MAX || v[3] < 0 || v[3] > UINT32_MAX)
			return v[1] < 0 || v[3] < 0 ? PS_ESYNTAX : PS_EOVERFLOW;
		b->ask_price[lv] = v[0];
		b->ask_size[lv] = (uint32_t)v[1];
		b->bid_price[lv] = v[2];
		b->bid_size[lv] = (uint32_t)v[3];
		lv++;
		if (p == end)
			break;
		if (*p != ',')
			return PS_ESYNTAX;
		p++;
	}
	b->levels = lv;
	return 0;
}

/* ---- line sources ------------------------------------------------------ */

static int map_file(const char *path, void **map, size_t *len)
{
	struct stat sb;
	void *p = NULL;
	int fd, err = 0;

	*map = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		err = -errno;
	} else if (sb.st_size > 0) {
		p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			err = -errno;
	}
	close(fd);
	if (err)
		return err;
	if (p) {
		*map = p;
		*len = (size_t)sb.st_size;
	}
	return 0;
}

void ps_lobster_src_open_mem(struct ps_lobster_src *s, const void *buf, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->in = buf;
	s->in_len = len;
}

int ps_lobster_src_open(struct ps_lobster_src *s, const char *path)
{
	void *map;
	size_t len;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = map_file(path, &map, &len);
	if (rc < 0)
		return rc;
	s->map = map;
	s->map_len = len;
	s->in = map;
	s->in_len = len;
	return 0;
}

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Find the member; on success data, method, sizes and crc describe it. */
static int zip_find(const uint8_t *z, size_t n, const char *name_part, const uint8_t **data,
		    uint32_t *method, uint32_t *csize, uint32_t *usize, uint32_t *crc)
{
	size_t eocd = SIZE_MAX, part_len = strlen(name_part);
	uint32_t entries, cd_off, cd_size;
	size_t off;

	if (n < 22)
		return PS_EPROTOCOL;
	/* EOCD is 22 bytes plus a comment of up to 65535 bytes. */
	for (size_t i = n - 22 + 1; i-- > 0 && n - i <= 22 + 65535;) {
		if (le32(z + i) == 0x06054b50u) {
			eocd = i;
			break;
		}
	}
	if (eocd == SIZE_MAX)
		return PS_EPROTOCOL;
	entries = le16(z + eocd + 10);
	cd_size = le32(z + eocd + 12);
	cd_off = le32(z + eocd + 16);
	if ((size_t)cd_off > n || (size_t)cd_size > n - cd_off)
		return PS_EPROTOCOL;
	off = cd_off;
	for (uint32_t e = 0; e < entries; e++) {
		uint32_t nlen, xlen, clen, lho, lnlen, lxlen;
		const uint8_t *c = z + off;
		bool match = false;

		if (cd_off + (size_t)cd_size - off < 46 || le32(c) != 0x02014b50u)
			return PS_EPROTOCOL;
		nlen = le16(c + 28);
		xlen = le16(c + 30);
		clen = le16(c + 32);
		if (cd_off + (size_t)cd_size - off - 46 < (size_t)nlen + xlen + clen)
			return PS_EPROTOCOL;
		for (size_t i = 0; i + part_len <= nlen && !match; i++)
			match = memcmp(c + 46 + i, name_part, part_len) == 0;
		if (match) {
			*method = le16(c + 10);
			*crc = le32(c + 16);
			*csize = le32(c + 20);
			*usize = le32(c + 24);
			lho = le32(c + 42);
			if (*csize == 0xFFFFFFFFu || *usize == 0xFFFFFFFFu)
				return PS_EPROTOCOL; /* zip64 */
			if ((size_t)lho > n || n - lho < 30 || le32(z + lho) != 0x04034b50u)
				return PS_EPROTOCOL;
			lnlen = le16(z + lho + 26);
			lxlen = le16(z + lho + 28);
			if (n - lho - 30 < (size_t)lnlen + lxlen ||
			    n - lho - 30 - lnlen - lxlen < *csize)
				return PS_EPROTOCOL;
			*data = z + lho + 30 + lnlen + lxlen;
			return 0;
		}
		off += 46 + (size_t)nlen + xlen + clen;
	}
	return PS_ENOTFOUND;
}

int ps_lobster_src_open_zip(struct ps_lobster_src *s, const char *path, const char *name_part)
{
	const uint8_t *data = NULL;
	uint32_t method = 0, csize = 0, usize = 0, crc = 0;
	z_stream *zs;
	int rc;

	rc = ps_lobster_src_open(s, path);
	if (rc < 0)
		return rc;
	rc = zip_find(s->in, s->in_len, name_part, &data, &method, &csize, &usize, &crc);
	if (rc < 0)
		goto err;
	if (method == 0) { /* stored: the member's bytes are the text */
		if (csize != usize) {
			rc = PS_EPROTOCOL;
			goto err;
		}
		s->in = data;
		s->in_len = csize;
		return 0;
	}
	if (method != 8) {
		rc = PS_EPROTOCOL;
		goto err;
	}
	zs = ps_calloc(1, sizeof(*zs));
	s->win = ps_alloc(WIN_CAP);
	s->zs = zs;
	if (!zs || !s->win) {
		rc = -ENOMEM;
		goto err;
	}
	/* Negative window bits: raw deflate, as zip stores it (no zlib header). */
	if (inflateInit2(zs, -MAX_WBITS) != Z_OK) {
		ps_free(zs);
		s->zs = NULL;
		rc = -ENOMEM;
		goto err;
	}
	zs->next_in = data;
	zs->avail_in = csize;
	s->in = data;
	s->in_len = csize;
	s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	s->crc_want = crc;
	s->out_want = usize;
	return 0;
err:
	ps_lobster_src_close(s);
	return rc;
}

void ps_lobster_src_close(struct ps_lobster_src *s)
{
	if (s->zs) {
		inflateEnd(s->zs);
		ps_free(s->zs);
	}
	ps_free(s->win);
	if (s->map)
		munmap(s->map, s->map_len);
	memset(s, 0, sizeof(*s));
}

/* Inflate more into the window after moving the unread tail to its front. */
static int refill(struct ps_lobster_src *s)
{
	z_stream *zs = s->zs;
	size_t before;
	int zr;

	memmove(s->win, s->win + s->win_off, s->win_len - s->win_off);
	s->win_len -= s->win_off;
	s->win_off = 0;
	zs->next_out = (Bytef *)s->win + s->win_len;
	zs->avail_out = (uInt)(WIN_CAP - s->win_len);
	before = zs->avail_out;
	zr = inflate(zs, Z_NO_FLUSH);
	if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
		return PS_EPROTOCOL;
	{
		size_t got = before - zs->avail_out;

		s->crc = (uint32_t)crc32(s->crc, (const Bytef *)s->win + s->win_len, (uInt)got);
		s->win_len += got;
		s->out_total += got;
		if (zr == Z_STREAM_END) {
			s->done = true;
			if (s->crc != s->crc_want || s->out_total != s->out_want)
				return PS_ECRC;
		} else if (got == 0) {
			return PS_EPROTOCOL; /* no progress: the stream ends early */
		}
	}
	return 0;
}

int ps_lobster_src_next_line(struct ps_lobster_src *s, const char **line, size_t *len)
{
	if (!s->zs) { /* plain text: lines straight from the buffer */
		const char *b = (const char *)s->in + s->win_off;
		size_t left = s->in_len - s->win_off;
		const char *nl;
		size_t n;

		if (left == 0)
			return 0;
		nl = memchr(b, '\n', left);
		n = nl ? (size_t)(nl - b) : left;
		if (n > PS_LOBSTER_MAX_LINE_LEN)
			return PS_EOVERFLOW;
		s->win_off += nl ? n + 1 : n;
		*line = b;
		*len = n && b[n - 1] == '\r' ? n - 1 : n;
		s->line_no++;
		return 1;
	}
	for (;;) {
		const char *b = s->win + s->win_off;
		size_t left = s->win_len - s->win_off;
		const char *nl = left ? memchr(b, '\n', left) : NULL;
		int rc;

		if (nl || (s->done && left)) {
			size_t n = nl ? (size_t)(nl - b) : left;

			if (n > PS_LOBSTER_MAX_LINE_LEN)
				return PS_EOVERFLOW;
			s->win_off += nl ? n + 1 : n;
			*line = b;
			*len = n && b[n - 1] == '\r' ? n - 1 : n;
			s->line_no++;
			return 1;
		}
		if (s->done)
			return 0;
		if (left > PS_LOBSTER_MAX_LINE_LEN)
			return PS_EOVERFLOW;
		rc = refill(s);
		if (rc < 0)
			return rc;
	}
}

/* ---- two-file reader --------------------------------------------------- */

static bool is_zip(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && !strcasecmp(path + n - 4, ".zip");
}

static int open_any(struct ps_lobster_src *s, const char *path, const char *part)
{
	return is_zip(path) ? ps_lobster_src_open_zip(s, path, part) : ps_lobster_src_open(s, path);
}

int ps_lobster_reader_open(struct ps_lobster_reader *r, const char *msg_path, const char *book_path)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = open_any(&r->msg_src, msg_path, "message");
	if (rc < 0)
		return rc;
	rc = open_any(&r->book_src, book_path, "orderbook");
	if (rc < 0) {
		ps_lobster_src_close(&r->msg_src);
		return rc;
	}
	return 0;
}

/* Next non-empty line, 0 at the end. */
static int next_nonempty(struct ps_lobster_src *s, const char **line, size_t *len)
{
	int rc;

	while ((rc = ps_lobster_src_next_line(s, line, len)) == 1 && *len == 0)
		;
	return rc;
}

int ps_lobster_reader_next(struct ps_lobster_reader *r)
{
	const char *ml = NULL, *bl = NULL;
	size_t mlen = 0, blen = 0;
	int a, b, rc;

	a = next_nonempty(&r->msg_src, &ml, &mlen);
	if (a < 0)
		return a;
	b = next_nonempty(&r->book_src, &bl, &blen);
	if (b < 0)
		return b;
	if (a != b)
		return PS_EMISMATCH;
	if (a == 0)
		return 0;
	rc = ps_lobster_msg_parse(&r->msg, ml, mlen);
	if (rc < 0)
		return rc;
	rc = ps_lobster_book_parse(&r->book, bl, blen);
	if (rc < 0)
		return rc;
	r->rows++;
	return 1;
}

void ps_lobster_reader_close(struct ps_lobster_reader *r)
{
	ps_lobster_src_close(&r->msg_src);
	ps_lobster_src_close(&r->book_src);
}
