/*
 * Top-N snapshots of a book and the oracle check against an external view
 * (a LOBSTER orderbook row, a venue snapshot): compare, refill levels that
 * came into view from beyond the depth the source reports, and format.
 *
 * Refill rule (feeds/data/README.md, rule 4): a level that comes into view
 * from beyond depth N has a size the book cannot know; it is taken from the
 * expected view as anonymous size and counted. A level the book already
 * knows is never refilled: a wrong size there is a mismatch.
 * Cold path (tools, tests); nothing here allocates.
 */
#ifndef PS_BOOK_VIEW_H
#define PS_BOOK_VIEW_H

#include <ps/book.h>
#include <ps/md.h>

#define PS_BOOK_VIEW_MAX_LEVELS 64

/* Top levels of both sides; side[s][i] with qty 0 (and price 0) is empty. */
struct ps_book_view {
	uint32_t levels; /* per side, 1..PS_BOOK_VIEW_MAX_LEVELS */
	struct ps_book_level_view side[2][PS_BOOK_VIEW_MAX_LEVELS];
};

/* Fill v with the book's top v->levels per side (set v->levels first). */
PS_API void ps_book_view_get(const struct ps_book *book, struct ps_book_view *v);

/* True when a and b show the same prices and sizes on their first
 * min(a->levels, b->levels) levels (order counts are not compared). */
PS_API bool ps_book_view_equal(const struct ps_book_view *a, const struct ps_book_view *b);

/**
 * Bring the book in line with expected where the book cannot know better
 * (the refill rule, for a source that reports only the top N levels and
 * only the events that change them), so that ps_book_view_equal then tests
 * exactly what the book must know:
 * - a level of expected whose price was not in prev on that side (it came
 *   into view from beyond depth N) is reset to expected's size as
 *   anonymous size (ps_book_level_reset) and counted as a refill, even
 *   when the book remembers a level of that size from when it was in view:
 *   its orders may have changed out of view, unreported (one 100-share
 *   order cancelled, another added), and the next event on the real order
 *   must find anonymous size, not a ghost;
 * - a level in the book's top N that is in neither prev nor expected (one
 *   remembered from beyond the view that has since gone) is removed and
 *   counted as a drop;
 * except at the side and price that event last touched (ADD, EXECUTE,
 * CANCEL, DELETE, REPLACE): the book must know that level itself. Levels in
 * prev are known to the book and never refilled: a wrong size there is a
 * mismatch for the caller's compare. Refills are then exactly the levels
 * that came into view (what a checker that keeps only N levels needs).
 * @param prev     the view before last (NULL: nothing known, e.g. seeding)
 * @param last     the event applied since prev, or NULL
 * @param refills  incremented per level reset (may be NULL)
 * @param drops    incremented per level removed (may be NULL)
 * @return 0, or the first error of ps_book_level_reset (PS_EFULL,
 *   PS_ECROSSED: the level is set but the book is crossed).
 */
PS_API int ps_book_view_refill(struct ps_book *book, const struct ps_book_view *expected,
			       const struct ps_book_view *prev, const struct ps_md_event *last,
			       uint64_t *refills, uint64_t *drops);

/* "bid QTY@PRICE ... | ask QTY@PRICE ..." into buf. @return snprintf's result. */
PS_API int ps_book_view_format(const struct ps_book_view *v, char *buf, size_t len);

#endif /* PS_BOOK_VIEW_H */
