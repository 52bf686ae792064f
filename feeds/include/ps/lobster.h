/*
 * LOBSTER (lobsterdata.com) order-flow files: reader and converter to ITCH 5.0.
 *
 * A LOBSTER day is a pair of CSV files with one row per event: `message`
 * (Time, Type, OrderID, Size, Price, Direction) and `orderbook` (the top N
 * levels after that event: AskPrice1, AskSize1, BidPrice1, BidSize1, ...).
 * Both may sit inside a zip archive (deflate).
 *
 * Reading. struct ps_lobster_src yields lines from a plain file (mapped),
 * a memory buffer, or one member of a zip archive. For a zip it parses the
 * central directory itself and inflates the member (raw deflate, zlib) in
 * fixed-size chunks into one window buffer, so a day streams row by row with
 * two allocations per source, made at open; the member's CRC-32 is checked
 * at its end. Rows are parsed in place by ps_lobster_msg_parse /
 * ps_lobster_book_parse (no allocation, integers only: times become ns).
 * struct ps_lobster_reader walks both files in step.
 *
 * Converting (ps_lobster_conv): LOBSTER flow -> ITCH 5.0 messages, handed to
 * a callback one at a time. The book of orderbook row 0 becomes Add Order
 * (A) messages with synthetic order ids, one per level; then message k >= 1
 * becomes: type 1 -> A, 2 -> X (partial cancel), 3 -> D, 4 -> E, 5 -> P
 * (non-displayed execution), 6 -> Q, 7 -> H (price -1 halted, 0 quotation
 * only, 1 trading). An order id never added in the flow (it rested before
 * the sample began) is served from the synthetic order of its price level.
 * The converter keeps the book its output builds, limited to the top N of
 * the last row: a level that leaves the top N is deleted from the output
 * (its orders get Order Delete: a level-N file cannot say what happens to
 * it out of view), and a level of row k that the view does not know (one
 * that came into view from beyond depth N) is refilled with a synthetic Add
 * Order of the row's size (the data README's rule 4). A known level whose
 * size disagrees with the row is counted as a mismatch and corrected. Timestamps: LOBSTER seconds after midnight -> ns. Output starts
 * with System Event 'O' and a Stock Directory message and ends with System
 * Event 'C'. Worst case: the level view is a sorted array per side (linear
 * insert), fine for a converter, not for a hot path.
 */
#ifndef PS_LOBSTER_H
#define PS_LOBSTER_H

#include <ps/common.h>
#include <ps/err.h>

#define PS_LOBSTER_MAX_LEVELS   64
#define PS_LOBSTER_EMPTY_ASK    9999999999LL
#define PS_LOBSTER_EMPTY_BID    (-9999999999LL)
#define PS_LOBSTER_MAX_LINE_LEN 8192 /* longest row accepted (64 levels fit) */

enum ps_lobster_type {
	PS_LOBSTER_SUBMIT = 1,
	PS_LOBSTER_CANCEL = 2,
	PS_LOBSTER_DELETE = 3,
	PS_LOBSTER_EXECUTE = 4,
	PS_LOBSTER_EXECUTE_HIDDEN = 5,
	PS_LOBSTER_CROSS = 6,
	PS_LOBSTER_HALT = 7,
};

struct ps_lobster_msg {
	uint64_t time_ns; /* ns after midnight */
	uint64_t order_id;
	int64_t price; /* dollars x 10000 (ITCH Price(4) scale) */
	uint32_t size;
	uint8_t type;     /* enum ps_lobster_type */
	int8_t direction; /* 1 buy, -1 sell */
};

struct ps_lobster_book_row {
	uint32_t levels; /* columns / 4 */
	int64_t ask_price[PS_LOBSTER_MAX_LEVELS];
	uint32_t ask_size[PS_LOBSTER_MAX_LEVELS];
	int64_t bid_price[PS_LOBSTER_MAX_LEVELS];
	uint32_t bid_size[PS_LOBSTER_MAX_LEVELS];
};

/*
 * Parse one message row (no line terminator needed; a trailing '\r' is
 * accepted). Time decimals beyond the 9th (below 1 ns: floating-point residue
 * in some files) are dropped. @return 0; PS_ESYNTAX (wrong column count or a
 * non-number); PS_EOVERFLOW (a value too big).
 */
PS_API int ps_lobster_msg_parse(struct ps_lobster_msg *m, const char *line, size_t len);

/* Parse one orderbook row; levels = columns / 4. @return 0, PS_ESYNTAX
 * (columns not a multiple of 4, more than PS_LOBSTER_MAX_LEVELS levels, a
 * non-number) or PS_EOVERFLOW. */
PS_API int ps_lobster_book_parse(struct ps_lobster_book_row *b, const char *line, size_t len);

/* Line source. Embedded by the caller; open, next_line..., close. */
struct ps_lobster_src {
	const uint8_t *in; /* whole plain file, or the member's compressed bytes */
	size_t in_len;
	void *map; /* mmap of the file, or NULL (memory source) */
	size_t map_len;
	void *zs;       /* inflate state (zip member), else NULL */
	char *win;      /* inflate window (zip member), else NULL */
	size_t win_len; /* bytes of inflated data in win */
	size_t win_off; /* next unread byte in win (plain: in) */
	size_t in_off;  /* compressed bytes consumed */
	uint32_t crc;   /* running CRC-32 of inflated data */
	uint32_t crc_want;
	uint64_t out_total; /* inflated bytes so far */
	uint64_t out_want;  /* member's uncompressed size */
	uint64_t line_no;   /* lines returned so far */
	bool done;          /* inflate reached the end of the member */
};

/* Map a plain CSV file. @return 0 or -errno. */
PS_API int ps_lobster_src_open(struct ps_lobster_src *s, const char *path);

/* Lines of buf[0..len-1] (caller-owned, outlives s). */
PS_API void ps_lobster_src_open_mem(struct ps_lobster_src *s, const void *buf, size_t len);

/*
 * Open the first member of zip archive path whose name contains name_part
 * (e.g. "message_" or "orderbook_"). @return 0; -errno (open/mmap);
 * -ENOMEM; PS_ENOTFOUND (no such member); PS_EPROTOCOL (not a zip, a
 * compression method other than stored/deflate, a corrupt directory).
 */
PS_API int ps_lobster_src_open_zip(struct ps_lobster_src *s, const char *path,
				   const char *name_part);

/*
 * Next line (without its '\n'; the view is valid until the next call).
 * @return 1 a line; 0 end; PS_EOVERFLOW a line longer than
 * PS_LOBSTER_MAX_LINE_LEN; PS_EPROTOCOL corrupt deflate data; PS_ECRC the
 * member's CRC-32 or size disagrees with the directory.
 */
PS_API int ps_lobster_src_next_line(struct ps_lobster_src *s, const char **line, size_t *len);

PS_API void ps_lobster_src_close(struct ps_lobster_src *s);

/* Both files of a day, in step. */
struct ps_lobster_reader {
	struct ps_lobster_src msg_src;
	struct ps_lobster_src book_src;
	struct ps_lobster_msg msg;       /* current row (after next() == 1) */
	struct ps_lobster_book_row book; /* current row */
	uint64_t rows;                   /* rows read so far */
};

/*
 * Open a day. Each of msg_path / book_path is a CSV file, or a zip archive
 * (name ending ".zip"), whose "message" / "orderbook" member is used; the
 * same zip may be given for both. @return 0 or an error of the src opens.
 */
PS_API int ps_lobster_reader_open(struct ps_lobster_reader *r, const char *msg_path,
				  const char *book_path);

/* Next row pair. @return 1; 0 at the end of both; PS_EMISMATCH when one
 * file ends first; a parse or source error (see above). */
PS_API int ps_lobster_reader_next(struct ps_lobster_reader *r);

PS_API void ps_lobster_reader_close(struct ps_lobster_reader *r);

/* ---- converter to ITCH 5.0 -------------------------------------------- */

/* Receives each ITCH message (no framing). Return 0 to go on, < 0 to stop
 * (the converter returns that value). */
typedef int (*ps_lobster_emit_fn)(void *ctx, const uint8_t *msg, size_t len);

struct ps_lobster_conv_cfg {
	uint32_t levels;            /* depth N of the orderbook file (1..64) */
	uint16_t stock_locate;      /* e.g. 1 */
	char stock[8];              /* e.g. "AMZN    " (space padded) */
	uint64_t synthetic_id_base; /* first synthetic order id (0: 1 << 40) */
};

struct ps_lobster_conv_stats {
	uint64_t rows;        /* LOBSTER rows consumed (row 0 included) */
	uint64_t itch_msgs;   /* ITCH messages emitted */
	uint64_t seeds;       /* synthetic adds from row 0 */
	uint64_t refills;     /* synthetic adds for unknown levels coming into view */
	uint64_t forgotten;   /* levels deleted from the output as they left the top N */
	uint64_t mismatches;  /* rows where a known level's size disagreed with row k */
	uint64_t unknown_ids; /* messages on orders never added in the flow */
};

struct ps_lobster_conv; /* opaque: level view and order map */

/* @return 0; -EINVAL (levels out of range); -ENOMEM. *out owned by the caller:
 * free with ps_lobster_conv_destroy. Cold path. */
PS_API int ps_lobster_conv_create(struct ps_lobster_conv **out,
				  const struct ps_lobster_conv_cfg *cfg, ps_lobster_emit_fn emit,
				  void *ctx);

PS_API void ps_lobster_conv_destroy(struct ps_lobster_conv *c);

/*
 * Feed row k (message k and orderbook row k, k = 0, 1, ...). Row 0 emits
 * the prologue (S 'O', R) and the seed adds; later rows emit the message's
 * ITCH equivalent and any refills. @return 0, -ENOMEM, PS_ESYNTAX (a
 * message type the converter does not know), or the emit callback's error.
 */
PS_API int ps_lobster_conv_row(struct ps_lobster_conv *c, const struct ps_lobster_msg *m,
			       const struct ps_lobster_book_row *b);

/* Emit the epilogue (S 'C'). @return 0 or the callback's error. */
PS_API int ps_lobster_conv_finish(struct ps_lobster_conv *c);

PS_API const struct ps_lobster_conv_stats *ps_lobster_conv_stats(const struct ps_lobster_conv *c);

/*
 * Convenience: convert a whole day (paths as for ps_lobster_reader_open).
 * cfg->levels 0 takes the depth from the orderbook file. @return 0 or the
 * first error; *stats (optional) receives the converter's counters.
 */
PS_API int ps_lobster_convert(const char *msg_path, const char *book_path,
			      const struct ps_lobster_conv_cfg *cfg, ps_lobster_emit_fn emit,
			      void *ctx, struct ps_lobster_conv_stats *stats);

#endif /* PS_LOBSTER_H */
