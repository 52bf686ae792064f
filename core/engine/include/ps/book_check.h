/*
 * book-check: replay a LOBSTER day through ps_book and compare the top N
 * levels with LOBSTER's own orderbook file after every message (the oracle
 * rules of feeds/data/README.md). Used by `perseus book-check` and the book
 * tests. Cold path: it allocates its book set once, at the start.
 *
 * Procedure: orderbook row 0 seeds the book as anonymous size (the book
 * built pre-market); for each message k >= 1, the message is applied as a
 * struct ps_md_event through ps_book_apply (type 5, hidden execution, and
 * 6/7 change nothing visible and are skipped), levels of row k that came
 * into view from beyond depth N are refilled from the row as anonymous
 * size (rule 4; see ps_book_view_refill), and the top N of the book must
 * then equal row k. The book remembers levels pushed out of view; where one
 * has gone by the time it would come back, it is dropped (counted apart).
 */
#ifndef PS_BOOK_CHECK_H
#define PS_BOOK_CHECK_H

#include <stdio.h>

#include <ps/book.h>
#include <ps/lobster.h>
#include <ps/md.h>

struct ps_book_check_cfg {
	const char *msg_path;  /* message CSV, or a zip holding it */
	const char *book_path; /* orderbook CSV, or a zip holding it (may be the same zip) */
	uint32_t levels;       /* levels compared per side; 0 = the file's depth */
	FILE *report;          /* first mismatches are printed here; NULL = silent */
	uint32_t max_report;   /* how many */
};

struct ps_book_check_result {
	uint64_t rows;               /* rows read, row 0 included */
	uint64_t mismatches;         /* rows whose top N differed from the book's */
	uint64_t refills;            /* levels that came into view, set from the row (rule 4;
			      * row 0's seed not counted) */
	uint64_t drops;              /* remembered levels beyond the view found gone when
			      * they came back into view (removed) */
	uint64_t skipped;            /* messages that change nothing visible (types 5, 6, 7) */
	uint32_t levels;             /* levels compared */
	struct ps_book_stats errors; /* the book's counted errors */
};

/**
 * Map LOBSTER message m to the book event for instrument.
 * @return true with *ev filled, false for a message that does not change
 *   the visible book (hidden execution, cross trade, halt).
 */
PS_API bool ps_book_check_event(const struct ps_lobster_msg *m, uint32_t instrument,
				struct ps_md_event *ev);

/* Orderbook row -> view of its first levels (empty LOBSTER levels -> qty 0). */
struct ps_book_view;
PS_API void ps_book_check_row_view(const struct ps_lobster_book_row *row, uint32_t levels,
				   struct ps_book_view *v);

/**
 * Run the check over a whole day. *res is filled even on error (as far as
 * it got).
 * @return 0 when the replay ran to the end (mismatches are in res, not an
 *   error); -EINVAL (bad cfg, levels above the file's depth); -ENOMEM; or
 *   the reader's error (-errno, PS_ESYNTAX, PS_EMISMATCH, PS_ECRC, ...).
 */
PS_API int ps_book_check_lobster(const struct ps_book_check_cfg *cfg,
				 struct ps_book_check_result *res);

#endif /* PS_BOOK_CHECK_H */
