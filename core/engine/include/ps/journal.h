/*
 * The journal: append-only segment files of CRC32C-checked records, written
 * only by the cold thread, read back by recovery and `perseus journal dump`.
 *
 * On disk (little-endian; every record starts 8-byte aligned):
 *
 *   segment  := header record*
 *   header   := "PSJOURN1" u32 version u32 header_len u64 segment_index
 *               u64 first_seq u64 created_ns u8 reserved[20] u32 crc   (64 bytes)
 *   record   := u32 crc u32 len u16 type u16 flags u32 reserved u64 seq
 *               u64 ts_ns payload[len] pad-to-8                         (32 + len)
 *
 * The record CRC (CRC32C, Castagnoli) covers everything after the crc field
 * up to the end of the payload, the length included, so a torn length is
 * caught like a torn payload. Segments are named journal-NNNNNNNN.psj with
 * a rising index, and rotate when they pass segment_bytes.
 *
 * Torn tail versus corruption: a bad record after which no valid record
 * follows in the last segment is a torn write (the process died mid-write):
 * recovery truncates it (PS_JOURNAL_SCAN_TRUNCATE) and says so. A bad record
 * followed by a valid one, or a bad record in any but the last segment, is
 * corruption (flipped bits): the scan stops there with PS_ECRC and applies
 * nothing after it, and the caller must fail closed.
 *
 * Writing: records are copied into one of two buffers; ps_journal_flush
 * hands the full buffer to io_uring as one write (plus a linked fsync when
 * the policy says so) and goes on filling the other, so the cold thread
 * never waits on the disk unless both buffers are in flight.
 *
 * Threads: a journal writer belongs to one (cold) thread.
 */
#ifndef PS_JOURNAL_H
#define PS_JOURNAL_H

#include <limits.h>
#include <sched.h>

#include <ps/common.h>

#define PS_JOURNAL_VERSION     1
#define PS_JOURNAL_HEADER_LEN  64
#define PS_JOURNAL_REC_HDR_LEN 32
#define PS_JOURNAL_MAX_PAYLOAD (64u << 10)

enum ps_journal_fsync {
	PS_JOURNAL_FSYNC_NONE = 0,     /* leave it to the kernel */
	PS_JOURNAL_FSYNC_INTERVAL = 1, /* fdatasync at most every fsync_interval_ns */
	PS_JOURNAL_FSYNC_BATCH = 2,    /* fdatasync after every flushed batch */
};

struct ps_journal_config {
	const char *dir;        /* created if missing */
	uint64_t segment_bytes; /* rotate past this size (default 64 MiB) */
	uint32_t buffer_bytes;  /* each of the two write buffers (default 1 MiB) */
	enum ps_journal_fsync fsync;
	uint64_t fsync_interval_ns; /* INTERVAL policy (default 10 ms) */
	/* CPUs for io_uring's async workers (buffered writes and fsyncs may run
	 * on them): keep them off the hot threads' CPUs. NULL: anywhere. */
	const cpu_set_t *worker_cpus;
};

/* A record as the reader hands it out (payload points into the reader's buffer). */
struct ps_journal_record {
	uint64_t seq;
	uint64_t ts_ns;
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	const void *payload;
	const char *file; /* segment it came from */
	uint64_t offset;  /* of the record in that segment */
};

struct ps_journal_stats {
	uint64_t records;
	uint64_t bytes;
	uint64_t batches;
	uint64_t fsyncs;
	uint64_t segments;
	uint64_t waits; /* flushes that had to wait for the disk */
};

struct ps_journal;

/**
 * Open a journal for writing in cfg->dir: a new segment after the last
 * existing one, first record numbered next_seq (recovery passes last + 1).
 * @return 0; -errno (directory or file); -ENOMEM; -EINVAL (bad config).
 */
PS_API int ps_journal_open(struct ps_journal **j, const struct ps_journal_config *cfg,
			   uint64_t next_seq);

/**
 * Append one record (copied). Flushes by itself when the buffer is full.
 * @return the record's sequence number (> 0); -EMSGSIZE (len too big);
 *   -errno from a flush that failed (the journal is then unusable: fail closed).
 */
PS_API int64_t ps_journal_append(struct ps_journal *j, uint16_t type, uint16_t flags,
				 uint64_t ts_ns, const void *payload, uint32_t len);

/* Hand buffered records to the disk (io_uring write, fsync per policy).
 * wait = true also waits until they are written (and synced if the policy
 * syncs). @return 0 or -errno. */
PS_API int ps_journal_flush(struct ps_journal *j, bool wait);

/* Flush, wait, fdatasync (whatever the policy), close. NULL does nothing.
 * @return 0 or the first -errno met. */
PS_API int ps_journal_close(struct ps_journal *j);

PS_API void ps_journal_get_stats(const struct ps_journal *j, struct ps_journal_stats *out);
PS_API uint64_t ps_journal_next_seq(const struct ps_journal *j);

/* ---- reading ------------------------------------------------------------ */

#define PS_JOURNAL_SCAN_TRUNCATE 0x1u /* cut a torn tail off the last segment */

struct ps_journal_scan {
	uint64_t records;
	uint64_t segments;
	uint64_t last_seq; /* 0 when empty */
	/* The sequence the next record must carry: last_seq + 1, or the first
	 * sequence a segment header announces when no record follows it; 0
	 * when no segment was read. */
	uint64_t next_seq;
	uint64_t torn_offset; /* where a torn tail starts (0: none) */
	uint64_t torn_bytes;  /* its length */
	bool truncated;       /* the torn tail was cut off */
	char torn_file[PATH_MAX];
	char error[PATH_MAX + 256]; /* set with PS_ECRC / other failures: what and where */
};

/* Returns 0 to go on, non-zero to stop the scan (returned by ps_journal_scan). */
typedef int (*ps_journal_record_fn)(void *ctx, const struct ps_journal_record *rec);

/**
 * Read every record of a segment file or of a directory of segments, in
 * order, checking each CRC and that sequence numbers rise by one, across
 * segments too (each header says where its segment starts).
 * @return 0; the callback's non-zero value; PS_ECRC (corruption: flipped
 *   bits, or a bad record in an earlier segment; error says where);
 *   PS_ETORN (torn tail and no TRUNCATE flag: records before it were
 *   delivered); PS_ESEQGAP (a sequence number skipped: records lost, also
 *   off the end of an earlier segment); -errno.
 */
PS_API int ps_journal_scan(const char *path, unsigned flags, ps_journal_record_fn fn, void *ctx,
			   struct ps_journal_scan *res);

/* CRC32C (Castagnoli) of buf, the standard one ("123456789" -> 0xE3069283). */
PS_API uint32_t ps_crc32c(const void *buf, size_t len);

#endif /* PS_JOURNAL_H */
