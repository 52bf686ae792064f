/*
 * BinaryFILE framing (NASDAQ's file format for ITCH days): each message is
 * a 2-byte big-endian length, then that many bytes of message.
 *
 * Reader: iterates a memory buffer (ps_binfile_reader_init_mem) or a file
 * mapped read-only (ps_binfile_reader_open). ps_binfile_next() returns a
 * view into the buffer (no copy). A record whose length prefix or body runs
 * past the end is reported as PS_ETRUNCATED with its offset; nothing past
 * the end is ever read. The reader is not thread-safe: one thread owns it.
 *
 * Writer: appends framed messages to a FILE (ps_binfile_writer_open) or to
 * a caller buffer (ps_binfile_writer_init_mem). Cold path.
 */
#ifndef PS_BINFILE_H
#define PS_BINFILE_H

#include <stdio.h>

#include <ps/common.h>
#include <ps/err.h>

struct ps_binfile_reader {
	const uint8_t *base; /* first byte of the data */
	size_t len;          /* bytes of data */
	size_t off;          /* offset of the next record's length prefix */
	void *map;           /* mmap base when opened from a file, else NULL */
	size_t map_len;
};

/* Iterate len bytes at buf (caller-owned, must outlive the reader). Inline so
 * that a reader local to a decode loop stays in registers. */
static inline void ps_binfile_reader_init_mem(struct ps_binfile_reader *r, const void *buf,
					      size_t len)
{
	r->base = (const uint8_t *)buf;
	r->len = len;
	r->off = 0;
	r->map = NULL;
	r->map_len = 0;
}

/*
 * Map path read-only and iterate it. @return 0, or -errno from open/fstat/
 * mmap. An empty file gives a reader with no records. Close with
 * ps_binfile_reader_close.
 */
PS_API int ps_binfile_reader_open(struct ps_binfile_reader *r, const char *path);

/* Unmap (when opened from a file) and poison nothing: r may be re-inited. */
PS_API void ps_binfile_reader_close(struct ps_binfile_reader *r);

/* Start again from the first record. */
static inline void ps_binfile_reader_rewind(struct ps_binfile_reader *r)
{
	r->off = 0;
}

/*
 * Next record.
 * @param msg  set to the message (view into the reader's buffer)
 * @param len  set to its length (may be 0: a zero-length record is legal framing)
 * @return 1 a record; 0 end of data (off == len); PS_ETRUNCATED when the
 *         prefix or the body is cut short: r->off then stays at the offset
 *         of the truncated record, and every further call says the same.
 */
static inline int ps_binfile_next(struct ps_binfile_reader *r, const uint8_t **msg, size_t *len)
{
	size_t left = r->len - r->off;
	size_t n;

	if (ps_unlikely(left < 2))
		return left == 0 ? 0 : PS_ETRUNCATED;
	n = ps_load_be16(r->base + r->off);
	if (ps_unlikely(left - 2 < n))
		return PS_ETRUNCATED;
	*msg = r->base + r->off + 2;
	*len = n;
	r->off += 2 + n;
	return 1;
}

struct ps_binfile_writer {
	FILE *f;        /* file mode, else NULL */
	uint8_t *buf;   /* memory mode: caller buffer */
	size_t cap;     /* memory mode: its size */
	size_t len;     /* bytes written so far (both modes) */
	uint64_t count; /* records written */
};

/* Create/truncate path for writing. @return 0 or -errno. */
PS_API int ps_binfile_writer_open(struct ps_binfile_writer *w, const char *path);

/* Write into buf[0..cap-1] (caller-owned). */
PS_API void ps_binfile_writer_init_mem(struct ps_binfile_writer *w, void *buf, size_t cap);

/*
 * Append one framed record. @return 0; -EINVAL when len > 65535; -ENOSPC
 * when the memory buffer is full (nothing written); -EIO on a write error.
 */
PS_API int ps_binfile_write(struct ps_binfile_writer *w, const void *msg, size_t len);

/* Flush and close the file (memory mode: nothing). @return 0 or -EIO. */
PS_API int ps_binfile_writer_close(struct ps_binfile_writer *w);

#endif /* PS_BINFILE_H */
