/* Journal writer (io_uring, double-buffered) and reader. See <ps/journal.h>. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/journal.h>

static const char magic[8] = { 'P', 'S', 'J', 'O', 'U', 'R', 'N', '1' };

uint32_t ps_crc32c(const void *buf, size_t len)
{
	/* isa-l's crc32_iscsi takes and returns the register un-inverted. */
	uint32_t crc = 0xFFFFFFFFu;
	const unsigned char *p = buf;

	while (len) {
		int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
		crc = crc32_iscsi((unsigned char *)p, n, crc);
		p += n;
		len -= (size_t)n;
	}
	return ~crc;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint32_t align8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

/* ---- writer --------------------------------------------------------------- */

struct jbuf {
	uint8_t *data;
	uint32_t used;
	uint32_t pending; /* completions still expected (write, maybe fsync) */
};

struct ps_journal {
	struct ps_journal_config cfg;
	char dir[PATH_MAX - 64];
	struct io_uring ring;
	int fd;
	uint64_t seg_index;
	uint64_t seg_off; /* bytes of this segment handed to the kernel */
	struct jbuf buf[2];
	unsigned cur;
	uint64_t next_seq;
	uint64_t last_sync_ns;
	int error; /* first I/O error: the journal refuses everything after it */
	struct ps_journal_stats stats;
};

static int segment_path(char *out, size_t len, const char *dir, uint64_t index)
{
	int n = snprintf(out, len, "%s/journal-%08llu.psj", dir, (unsigned long long)index);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool parse_segment_name(const char *name, uint64_t *index)
{
	/* "journal-" 8 digits ".psj" */
	uint64_t v = 0;

	if (strlen(name) != 20 || strncmp(name, "journal-", 8) != 0 ||
	    strcmp(name + 16, ".psj") != 0)
		return false;
	for (int i = 8; i < 16; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	*index = v;
	return true;
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Reap completions until buffer b has none pending (b < 0: all buffers). */
static int reap(struct ps_journal *j, int b)
{
	while (b < 0 ? (j->buf[0].pending || j->buf[1].pending) : j->buf[b].pending) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_wait_cqe(&j->ring, &cqe);

		if (rc == -EINTR)
			continue;
		if (rc)
			return rc;
		uint64_t ud = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&j->ring, cqe);
		struct jbuf *jb = &j->buf[ud & 1];
		bool is_write = !(ud & 2);
		jb->pending--;
		if (res < 0 && !j->error)
			j->error = res;
		else if (is_write && (uint32_t)res != jb->used && !j->error)
			j->error = -EIO; /* short write to a regular file: disk full */
		if (!jb->pending)
			jb->used = 0;
	}
	return j->error;
}

int ps_journal_flush(struct ps_journal *j, bool wait)
{
	struct jbuf *b = &j->buf[j->cur];
	unsigned other = j->cur ^ 1u;
	bool sync;

	if (j->error)
		return j->error;
	if (b->used) {
		/* The other buffer must be free before we start filling it. */
		if (j->buf[other].pending) {
			j->stats.waits++;
			if (reap(j, (int)other))
				return j->error;
		}
		sync = j->cfg.fsync == PS_JOURNAL_FSYNC_BATCH ||
		       (j->cfg.fsync == PS_JOURNAL_FSYNC_INTERVAL &&
			mono_ns() - j->last_sync_ns >= j->cfg.fsync_interval_ns);
		struct io_uring_sqe *sqe = io_uring_get_sqe(&j->ring);
		if (!sqe)
			return j->error = -EBUSY;
		io_uring_prep_write(sqe, j->fd, b->data, b->used, j->seg_off);
		io_uring_sqe_set_data64(sqe, j->cur);
		b->pending = 1;
		if (sync) {
			sqe->flags |= IOSQE_IO_LINK;
			sqe = io_uring_get_sqe(&j->ring);
			if (!sqe)
				return j->error = -EBUSY;
			io_uring_prep_fsync(sqe, j->fd, IORING_FSYNC_DATASYNC);
			io_uring_sqe_set_data64(sqe, j->cur | 2u);
			b->pending = 2;
			j->stats.fsyncs++;
			j->last_sync_ns = mono_ns();
		}
		int rc = io_uring_submit(&j->ring);
		if (rc < 0)
			return j->error = rc;
		j->seg_off += b->used;
		j->stats.batches++;
		j->cur = other;
	}
	if (wait)
		return reap(j, -1);
	return 0;
}

static int segment_open(struct ps_journal *j)
{
	char path[PATH_MAX];
	uint8_t *h;
	uint64_t now = real_ns();
	int rc;

	if ((rc = segment_path(path, sizeof(path), j->dir, j->seg_index)))
		return rc;
	j->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return -errno;
	j->seg_off = 0;
	j->stats.segments++;
	/* The header goes first into the (empty) current buffer. */
	h = j->buf[j->cur].data + j->buf[j->cur].used;
	memset(h, 0, PS_JOURNAL_HEADER_LEN);
	memcpy(h, magic, 8);
	uint32_t version = PS_JOURNAL_VERSION, hlen = PS_JOURNAL_HEADER_LEN;
	memcpy(h + 8, &version, 4);
	memcpy(h + 12, &hlen, 4);
	memcpy(h + 16, &j->seg_index, 8);
	memcpy(h + 24, &j->next_seq, 8);
	memcpy(h + 32, &now, 8);
	uint32_t crc = ps_crc32c(h, PS_JOURNAL_HEADER_LEN - 4);
	memcpy(h + PS_JOURNAL_HEADER_LEN - 4, &crc, 4);
	j->buf[j->cur].used += PS_JOURNAL_HEADER_LEN;
	return 0;
}

static int segment_close(struct ps_journal *j)
{
	int rc = ps_journal_flush(j, true);

	if (j->fd >= 0) {
		if (fdatasync(j->fd) && !rc)
			rc = -errno;
		else
			j->stats.fsyncs++;
		close(j->fd);
		j->fd = -1;
	}
	return rc;
}

/* Largest index among the segments of dir (0 when none). */
static int last_segment_index(const char *dir, uint64_t *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*out = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		uint64_t idx;
		if (parse_segment_name(e->d_name, &idx) && idx > *out)
			*out = idx;
	}
	closedir(d);
	return 0;
}

int ps_journal_open(struct ps_journal **out, const struct ps_journal_config *cfg, uint64_t next_seq)
{
	struct ps_journal *j;
	int rc;

	*out = NULL;
	if (!cfg || !cfg->dir || !*cfg->dir || next_seq == 0 ||
	    strlen(cfg->dir) >= sizeof(j->dir) || cfg->fsync > PS_JOURNAL_FSYNC_BATCH)
		return -EINVAL;
	j = ps_calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->fd = -1;
	j->cfg = *cfg;
	if (!j->cfg.segment_bytes)
		j->cfg.segment_bytes = 64ull << 20;
	if (!j->cfg.buffer_bytes)
		j->cfg.buffer_bytes = 1u << 20;
	if (!j->cfg.fsync_interval_ns)
		j->cfg.fsync_interval_ns = 10 * 1000 * 1000;
	if (j->cfg.buffer_bytes <
		PS_JOURNAL_MAX_PAYLOAD + PS_JOURNAL_REC_HDR_LEN + PS_JOURNAL_HEADER_LEN ||
	    j->cfg.segment_bytes < j->cfg.buffer_bytes) {
		ps_free(j);
		return -EINVAL;
	}
	snprintf(j->dir, sizeof(j->dir), "%s", cfg->dir);
	j->cfg.dir = j->dir;
	j->next_seq = next_seq;
	j->last_sync_ns = mono_ns();
	for (int i = 0; i < 2; i++) {
		j->buf[i].data = ps_alloc_aligned(4096, j->cfg.buffer_bytes);
		if (!j->buf[i].data) {
			rc = -ENOMEM;
			goto err;
		}
	}
	if ((rc = io_uring_queue_init(8, &j->ring, 0))) {
		j->buf[0].pending = j->buf[1].pending = 0;
		goto err_ring;
	}
	/* Best effort: a kernel without IORING_REGISTER_IOWQ_AFF leaves the
	 * workers where the scheduler puts them. */
	if (cfg->worker_cpus)
		(void)io_uring_register_iowq_aff(&j->ring, sizeof(*cfg->worker_cpus),
						 cfg->worker_cpus);
	if ((rc = mkdir_p(j->dir)) || (rc = last_segment_index(j->dir, &j->seg_index)))
		goto err_open;
	j->seg_index++;
	if ((rc = segment_open(j)))
		goto err_open;
	*out = j;
	return 0;
err_open:
	io_uring_queue_exit(&j->ring);
err_ring:
err:
	ps_free(j->buf[0].data);
	ps_free(j->buf[1].data);
	ps_free(j);
	return rc;
}

int64_t ps_journal_append(struct ps_journal *j, uint16_t type, uint16_t flags, uint64_t ts_ns,
			  const void *payload, uint32_t len)
{
	uint32_t total;
	struct jbuf *b;
	uint8_t *r;
	int rc;

	if (ps_unlikely(j->error))
		return j->error;
	if (ps_unlikely(len > PS_JOURNAL_MAX_PAYLOAD))
		return -EMSGSIZE;
	total = align8(PS_JOURNAL_REC_HDR_LEN + len);
	b = &j->buf[j->cur];
	if (ps_unlikely(j->seg_off + b->used + total > j->cfg.segment_bytes &&
			j->seg_off + b->used > PS_JOURNAL_HEADER_LEN)) {
		if ((rc = segment_close(j)))
			return rc;
		j->seg_index++;
		if ((rc = segment_open(j)))
			return j->error = rc;
		b = &j->buf[j->cur];
	}
	if (ps_unlikely(b->used + total > j->cfg.buffer_bytes)) {
		if ((rc = ps_journal_flush(j, false)))
			return rc;
		b = &j->buf[j->cur];
	}
	r = b->data + b->used;
	uint32_t zero = 0;
	uint64_t seq = j->next_seq++;
	memcpy(r + 4, &len, 4);
	memcpy(r + 8, &type, 2);
	memcpy(r + 10, &flags, 2);
	memcpy(r + 12, &zero, 4);
	memcpy(r + 16, &seq, 8);
	memcpy(r + 24, &ts_ns, 8);
	if (len)
		memcpy(r + PS_JOURNAL_REC_HDR_LEN, payload, len);
	memset(r + PS_JOURNAL_REC_HDR_LEN + len, 0, total - PS_JOURNAL_REC_HDR_LEN - len);
	uint32_t crc = ps_crc32c(r + 4, PS_JOURNAL_REC_HDR_LEN - 4 + len);
	memcpy(r, &crc, 4);
	b->used += total;
	j->stats.records++;
	j->stats.bytes += total;
	return (int64_t)seq;
}

int ps_journal_close(struct ps_journal *j)
{
	int rc;

	if (!j)
		return 0;
	rc = segment_close(j);
	io_uring_queue_exit(&j->ring);
	ps_free(j->buf[0].data);
	ps_free(j->buf[1].data);
	ps_free(j);
	return rc;
}

void ps_journal_get_stats(const struct ps_journal *j, struct ps_journal_stats *out)
{
	*out = j->stats;
}

uint64_t ps_journal_next_seq(const struct ps_journal *j)
{
	return j->next_seq;
}

/* ---- reader --------------------------------------------------------------- */

struct seg {
	uint64_t index;
	char path[PATH_MAX];
};

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Valid record header+payload at off? (len within the file, CRC matches.) */
static bool record_ok(const uint8_t *p, uint64_t size, uint64_t off, uint32_t *len_out)
{
	uint32_t crc, len;

	if (off + PS_JOURNAL_REC_HDR_LEN > size)
		return false;
	memcpy(&crc, p + off, 4);
	memcpy(&len, p + off + 4, 4);
	if (len > PS_JOURNAL_MAX_PAYLOAD || off + PS_JOURNAL_REC_HDR_LEN + len > size)
		return false;
	if (ps_crc32c(p + off + 4, PS_JOURNAL_REC_HDR_LEN - 4 + len) != crc)
		return false;
	*len_out = len;
	return true;
}

/* Is there any valid record at an 8-aligned offset after off? */
static bool valid_record_after(const uint8_t *p, uint64_t size, uint64_t off)
{
	uint32_t len;

	for (uint64_t o = off + 8; o + PS_JOURNAL_REC_HDR_LEN <= size; o += 8)
		if (record_ok(p, size, o, &len))
			return true;
	return false;
}

static int scan_segment(const struct seg *s, bool last, unsigned flags, ps_journal_record_fn fn,
			void *ctx, struct ps_journal_scan *res)
{
	int fd = open(s->path, (flags & PS_JOURNAL_SCAN_TRUNCATE) ? O_RDWR : O_RDONLY);
	struct stat st;
	uint8_t *p = NULL;
	uint64_t off;
	int rc = 0;

	if (fd < 0) {
		snprintf(res->error, sizeof(res->error), "%s: cannot open: %s", s->path,
			 strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (size < PS_JOURNAL_HEADER_LEN) {
		/* Died before the header reached the disk: nothing in it. */
		if (last && (flags & PS_JOURNAL_SCAN_TRUNCATE)) {
			res->truncated = true;
			res->torn_offset = 0;
			res->torn_bytes = size;
			snprintf(res->torn_file, sizeof(res->torn_file), "%s", s->path);
			close(fd);
			return unlink(s->path) ? -errno : 0;
		}
		snprintf(res->error, sizeof(res->error), "%s: %llu bytes, shorter than a header",
			 s->path, (unsigned long long)size);
		rc = last ? PS_ETORN : PS_ECRC;
		goto out;
	}
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		p = NULL;
		rc = -errno;
		goto out;
	}
	uint32_t hcrc;
	memcpy(&hcrc, p + PS_JOURNAL_HEADER_LEN - 4, 4);
	uint64_t first_seq;
	memcpy(&first_seq, p + 24, 8);
	if (memcmp(p, magic, 8) != 0 || ps_crc32c(p, PS_JOURNAL_HEADER_LEN - 4) != hcrc ||
	    first_seq == 0) {
		snprintf(res->error, sizeof(res->error), "%s: bad segment header", s->path);
		rc = PS_ECRC;
		goto out;
	}
	/* Each segment goes on where the one before it ended, also when that
	 * one holds no record (an engine that died before its first): records
	 * cut off the end of an earlier segment are lost, not a torn tail. */
	if (res->next_seq && first_seq != res->next_seq) {
		snprintf(res->error, sizeof(res->error),
			 "%s: starts at sequence %llu, but %llu was next (records lost)", s->path,
			 (unsigned long long)first_seq, (unsigned long long)res->next_seq);
		rc = PS_ESEQGAP;
		goto out;
	}
	res->next_seq = first_seq;
	res->segments++;
	for (off = PS_JOURNAL_HEADER_LEN; off < size;) {
		uint32_t len;
		if (!record_ok(p, size, off, &len)) {
			if (!last || valid_record_after(p, size, off)) {
				snprintf(
				    res->error, sizeof(res->error),
				    "%s: corrupt record at offset %llu (CRC mismatch with valid "
				    "records after it)",
				    s->path, (unsigned long long)off);
				rc = PS_ECRC;
				goto out;
			}
			res->torn_offset = off;
			res->torn_bytes = size - off;
			snprintf(res->torn_file, sizeof(res->torn_file), "%s", s->path);
			if (flags & PS_JOURNAL_SCAN_TRUNCATE) {
				if (ftruncate(fd, (off_t)off) || fsync(fd)) {
					rc = -errno;
					goto out;
				}
				res->truncated = true;
			} else {
				snprintf(res->error, sizeof(res->error),
					 "%s: torn record at offset %llu (%llu bytes to the end)",
					 s->path, (unsigned long long)off,
					 (unsigned long long)(size - off));
				rc = PS_ETORN;
			}
			goto out;
		}
		struct ps_journal_record rec = { .len = len, .file = s->path, .offset = off };
		memcpy(&rec.type, p + off + 8, 2);
		memcpy(&rec.flags, p + off + 10, 2);
		memcpy(&rec.seq, p + off + 16, 8);
		memcpy(&rec.ts_ns, p + off + 24, 8);
		rec.payload = p + off + PS_JOURNAL_REC_HDR_LEN;
		if (rec.seq != res->next_seq) {
			snprintf(
			    res->error, sizeof(res->error),
			    "%s: offset %llu: sequence %llu where %llu was next (records lost)",
			    s->path, (unsigned long long)off, (unsigned long long)rec.seq,
			    (unsigned long long)res->next_seq);
			rc = PS_ESEQGAP;
			goto out;
		}
		res->last_seq = rec.seq;
		res->next_seq = rec.seq + 1;
		res->records++;
		if (fn && (rc = fn(ctx, &rec)))
			goto out;
		off += align8(PS_JOURNAL_REC_HDR_LEN + len);
	}
out:
	if (p)
		munmap(p, size);
	close(fd);
	return rc;
}

int ps_journal_scan(const char *path, unsigned flags, ps_journal_record_fn fn, void *ctx,
		    struct ps_journal_scan *res)
{
	struct stat st;
	struct seg *segs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (stat(path, &st)) {
		snprintf(res->error, sizeof(res->error), "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		struct seg one = { .index = 0 };
		snprintf(one.path, sizeof(one.path), "%s", path);
		return scan_segment(&one, true, flags, fn, ctx, res);
	}
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		uint64_t idx;
		if (!parse_segment_name(e->d_name, &idx))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct seg *ns = ps_realloc(segs, nc * sizeof(*segs));
			if (!ns) {
				rc = -ENOMEM;
				break;
			}
			segs = ns;
			cap = nc;
		}
		segs[n].index = idx;
		snprintf(segs[n].path, sizeof(segs[n].path), "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (!rc && n) {
		qsort(segs, n, sizeof(*segs), cmp_seg);
		for (size_t i = 0; i < n && !rc; i++)
			rc = scan_segment(&segs[i], i + 1 == n, flags, fn, ctx, res);
	}
	ps_free(segs);
	return rc;
}
