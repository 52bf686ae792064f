/*
 * L3 (order-by-order) book: one book per instrument, grouped in a book set
 * indexed by dense instrument id, fed one struct ps_md_event at a time.
 *
 * Design
 * - Orders. One order table shared by every book of the set: a pool of
 *   32-byte orders (free-list stack, uint32_t index handles) and an open
 *   addressing hash from order id to pool index (linear probing,
 *   backward-shift deletion, so no tombstones and probe chains never rot).
 *   Shared because ITCH order reference numbers are unique across the whole
 *   feed and the busiest instrument is not known in advance: one table sized
 *   for the day serves 1 or 8,000 instruments. A slot is 8 bytes: the high 32
 *   bits of the Fibonacci hash of the id (the home slot is recomputed from it
 *   when a deletion shifts entries back) and the pool index; the id itself is
 *   checked in the order, which the operation touches anyway. The table has
 *   the next power of two >= 2 * max_orders slots (load <= 0.5), so memory per
 *   order is 32 + 16..32 bytes = 48..64 bytes (ps_book_set_memsize / max_orders
 *   is reported by bench). Dense ids (LOBSTER, the venue) hash to distinct
 *   slots; sparse 64-bit ITCH ids spread evenly.
 * - Levels. Per book and side, a pool of 32-byte levels (price, total qty,
 *   anonymous qty, order count, FIFO head/tail) and a "ladder": a sorted
 *   array with one int64 per level, key * 2^16 + level handle (key = price
 *   for bids, -price for asks, so one code path serves both sides), best
 *   level at the END. Best bid/ask is ladder[count - 1]: O(1). Almost all
 *   activity is within a few levels of the top, so finding a price walks
 *   down from the best end (a pad of INT64_MIN below index 0 stops it on
 *   short ladders without a bounds check) and binary-searches once it has
 *   passed 8 entries; inserting or removing a level
 *   within 8 of the top moves 8 entries with fixed-size copies (no call),
 *   deeper ones use memmove. An order holds its level handle, so execute,
 *   cancel and delete never search; only a level that empties is searched
 *   for, to remove it. We chose this over a price-indexed ladder because a
 *   ladder must be sized for the whole price range (stale orders at $0.0001
 *   or $199,999 exist) and recentred as the price moves, and over a tree
 *   because a tree chases pointers where 8 contiguous entries are one cache
 *   line. Limits: max_levels <= 2^16 per side, |price| < 2^47.
 *   Worst case: a level created or removed deep in the book (far from the
 *   best) memmoves every entry above it: O(levels on that side), e.g. a book
 *   with thousands of far-away levels being rebuilt bottom-up. A side holds
 *   at most max_levels levels; more is PS_EFULL (counted, never a crash).
 * - Each level's orders form an intrusive doubly linked FIFO (prev/next order
 *   indices inside the order), so time priority is the list order and unlink
 *   is O(1).
 * - Anonymous size: size at a price that belongs to orders the book never saw
 *   (the pre-market book a day starts with, or a LOBSTER refill). An execute,
 *   cancel or delete whose id is unknown but which carries a price (nonzero)
 *   reduces the anonymous size at that side and price.
 * - Errors never crash the book: every hot-path function returns 0 or a
 *   negative code, counts it in the book's struct ps_book_stats and records
 *   the failing operation in struct ps_book_diag (out of line, cold path);
 *   ps_book_diag_format turns it into text.
 *
 * Threads: a book set is single-writer; every function that takes a
 * non-const pointer must be called by the one thread that owns the set (the
 * book stage). Const readers (top-N, best) must run on that thread too; other
 * threads need a copy the owner publishes (e.g. a top-N snapshot behind a
 * <ps/seqlock.h>).
 *
 * Memory: caller-owned (ps_book_set_memsize + ps_book_set_init), or allocated
 * by ps_book_set_create through ps_alloc. Nothing allocates after init.
 */
#ifndef PS_BOOK_H
#define PS_BOOK_H

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <ps/common.h>
#include <ps/err.h>
#include <ps/md.h>

#define PS_BOOK_NIL UINT32_MAX /* no order / no level */

/* Upper limits checked by ps_book_set_init (index handles are uint32_t and
 * the hash needs 2x slots). */
#define PS_BOOK_MAX_ORDERS (1u << 30)
#define PS_BOOK_MAX_LEVELS (1u << 16) /* a level handle is 16 bits of a ladder entry */

/* Prices must lie strictly within +-PS_BOOK_PRICE_LIMIT (2^47: ITCH prices
 * are 32-bit; 1e-8 crypto scales reach $1.4M), so that price * 2^16 + a
 * level handle fits an int64 ladder entry. Others are -EINVAL. */
#define PS_BOOK_PRICE_LIMIT (INT64_C(1) << 47)

/* Ladder layout: PS_BOOK__PAD entries of INT64_MIN below index 0 (so the
 * walk down from the top never needs a bounds check) and PS_BOOK__PAD spare
 * entries above max_levels (so a fixed 8-entry move may overrun). */
#define PS_BOOK__PAD  8u
#define PS_BOOK__SCAN 8u

/* Operation codes recorded in struct ps_book_diag. */
enum ps_book_op {
	PS_BOOK_OP_NONE = 0,
	PS_BOOK_OP_ADD,
	PS_BOOK_OP_EXECUTE,
	PS_BOOK_OP_CANCEL,
	PS_BOOK_OP_DELETE,
	PS_BOOK_OP_REPLACE,
	PS_BOOK_OP_ANONYMOUS,
	PS_BOOK_OP_APPLY, /* event for an instrument outside the set */
};

struct ps_book_config {
	uint32_t instrument_count; /* books, ids 0..instrument_count-1 (>= 1) */
	uint32_t max_orders;       /* live orders across all books (>= 1) */
	uint32_t max_levels;       /* price levels per side per book (>= 1) */
};

/* An order resting in a book. 32 bytes. */
struct ps_book_order {
	uint64_t id;    /* venue order reference */
	uint32_t qty;   /* remaining visible qty (> 0 while live) */
	uint32_t prev;  /* FIFO neighbour towards the head (older), or NIL */
	uint32_t next;  /* towards the tail (newer), or NIL; free-list link when free */
	uint32_t level; /* level handle in books[book].side[side] */
	uint32_t book;  /* instrument id of the book holding it */
	uint8_t side;   /* enum ps_side */
	uint8_t pad[3];
};
static_assert(sizeof(struct ps_book_order) == 32, "order must stay 32 bytes");

/* Hash slot: tag = high 32 bits of the id's hash (home slot = tag >> shift),
 * order = pool index or PS_BOOK_NIL when empty. */
struct ps_book_slot {
	uint32_t tag;
	uint32_t order;
};

/* The shared order table (inside struct ps_book_set). */
struct ps_book_orders {
	struct ps_book_order *pool;
	struct ps_book_slot *slots;
	uint32_t mask;      /* slot count - 1 (power of two) */
	uint32_t shift;     /* 32 - log2(slot count) */
	uint32_t capacity;  /* pool entries */
	uint32_t live;      /* orders in use */
	uint32_t free_head; /* free-list stack of pool entries */
	uint32_t pad;
};

/* A price level. 32 bytes. qty = sum of its orders' qty + anon_qty. */
struct ps_book_level {
	int64_t price;
	uint64_t qty;
	uint32_t anon_qty;    /* size of orders the book never saw */
	uint32_t order_count; /* known orders in the FIFO */
	uint32_t head;        /* oldest order (first to fill), NIL if none; free-list link */
	uint32_t tail;        /* newest order, NIL if none */
};
static_assert(sizeof(struct ps_book_level) == 32, "level must stay 32 bytes");

/* One side of one book. ladder[i] = key * 2^16 + level handle, where key is
 * the price for bids and -price for asks, ascending, so the best level
 * (highest bid, lowest ask) is ladder[count - 1]; one int64 per level keeps
 * the scanned and moved array as small as it gets. */
struct ps_book_side {
	int64_t *ladder;              /* [count]; ladder[-8..-1] = INT64_MIN */
	struct ps_book_level *levels; /* [max_levels] pool */
	uint32_t count;
	uint32_t free_head;
};

/* Error counters; each hot-path error increments exactly one. */
struct ps_book_stats {
	uint64_t unknown_id;         /* PS_ENOTFOUND: id not in the book (or another book's) */
	uint64_t duplicate_id;       /* PS_EDUPLICATE: add/replace of an id already live */
	uint64_t crossed;            /* PS_ECROSSED: an update left best bid >= best ask */
	uint64_t negative_qty;       /* -ERANGE: more removed than the order/anon size held */
	uint64_t full;               /* PS_EFULL: order table or level pool full */
	uint64_t invalid;            /* -EINVAL: zero qty, bad side */
	uint64_t unknown_instrument; /* PS_ENOTFOUND from ps_book_apply (set stats only) */
};

/* The last error (cold-path diagnostic). count = errors so far. */
struct ps_book_diag {
	uint64_t count;
	uint64_t order_id;
	int64_t price;
	uint32_t qty;
	int32_t err;
	uint32_t instrument;
	uint8_t op;   /* enum ps_book_op */
	uint8_t side; /* enum ps_side */
};

struct ps_book {
	struct ps_book_side side[2]; /* indexed by enum ps_side */
	struct ps_book_orders *orders;
	uint32_t instrument;
	uint32_t max_levels;
	struct ps_book_stats stats;
	struct ps_book_diag diag;
};

struct ps_book_set {
	struct ps_book_orders orders;
	struct ps_book *books; /* [book_count] */
	uint32_t book_count;
	uint32_t max_levels;
	struct ps_book_stats stats; /* unknown_instrument */
	struct ps_book_diag diag;
	void *mem;  /* the caller's block (or ours, from ps_book_set_create) */
	bool owned; /* mem came from ps_alloc */
};

/* One level as seen from outside (ps_book_top). */
struct ps_book_level_view {
	int64_t price;
	uint64_t qty;         /* visible size, anonymous size included */
	uint32_t order_count; /* known orders (anonymous size not counted) */
	uint32_t pad;
};

/* ---- cold path (book.c) ------------------------------------------------ */

/**
 * Bytes of memory ps_book_set_init needs for cfg (64-byte aligned block).
 * @return the size, or 0 if cfg is invalid (zero or over PS_BOOK_MAX_*).
 */
PS_API size_t ps_book_set_memsize(const struct ps_book_config *cfg);

/**
 * Initialise set in mem (ps_book_set_memsize(cfg) bytes, 64-byte aligned,
 * caller-owned; it must outlive the set). All books start empty.
 * @return 0, or -EINVAL for a bad cfg, NULL set/mem or misaligned mem.
 */
PS_API int ps_book_set_init(struct ps_book_set *set, void *mem, const struct ps_book_config *cfg);

/* Forget the set (debug builds poison it). The caller frees mem. */
PS_API void ps_book_set_fini(struct ps_book_set *set);

/**
 * Allocate (ps_alloc) and initialise a set.
 * @return 0, -EINVAL for a bad cfg, -ENOMEM.
 */
PS_API int ps_book_set_create(struct ps_book_set **set, const struct ps_book_config *cfg);

/* Free a set from ps_book_set_create; NULL does nothing. */
PS_API void ps_book_set_destroy(struct ps_book_set *set);

/* Remove every order and level of one book (PS_MD_CLEAR). O(its orders). */
PS_API void ps_book_clear(struct ps_book *book);

/**
 * Resynchronise one level from an outside source (a snapshot, an oracle
 * row): afterwards the level at side/price holds exactly qty of anonymous
 * size and no known orders (those there are removed and their ids
 * forgotten; later events on them fall back to the anonymous size). qty 0
 * removes the level. Cold path: O(orders at the level).
 * @return 0; PS_EFULL (no level free); PS_ECROSSED (done, book crossed);
 *   -EINVAL (bad side).
 */
PS_API int ps_book_level_reset(struct ps_book *book, enum ps_side side, int64_t price,
			       uint32_t qty);

/* Sum of every book's stats plus the set's own. */
PS_API void ps_book_set_stats(const struct ps_book_set *set, struct ps_book_stats *out);

/* Total errors counted in st. */
PS_API uint64_t ps_book_stats_total(const struct ps_book_stats *st);

/**
 * Format the book's last error ("no errors" when none) into buf.
 * @return snprintf's result (characters that the full text needs).
 */
PS_API int ps_book_diag_format(const struct ps_book_diag *diag, char *buf, size_t len);

/**
 * Check the book's invariants (sorted ladder, level sums, FIFO links, hash
 * entries) — tests and debugging; O(book).
 * @return 0, or -EPROTO naming nothing more precise than "inconsistent".
 */
PS_API int ps_book_validate(const struct ps_book *book);

/* Out-of-line error path: counts err in book->stats, records book->diag,
 * returns err. Internal; called by the inlines below. */
PS_API PS_COLD int ps_book__fail(struct ps_book *book, int err, enum ps_book_op op, uint64_t id,
				 unsigned side, int64_t price, uint32_t qty);
/* Out-of-line ps_book_add of an order that crosses the other side: the add,
 * then PS_ECROSSED when it succeeded. Internal. */
PS_API PS_COLD int ps_book__add_crossed(struct ps_book *b, uint64_t id, enum ps_side side,
					int64_t price, uint32_t qty);
/* ps_book_apply's unknown instrument. The event's fields are passed by value
 * so that the event need not be in memory: a caller that decodes into a
 * local event keeps it in registers. */
PS_API PS_COLD int ps_book_set__fail_instrument(struct ps_book_set *set, uint32_t instrument,
						uint64_t id, unsigned side, int64_t price,
						uint32_t qty);

/* ---- hot path ---------------------------------------------------------- */

static inline struct ps_book *ps_book_set_get(struct ps_book_set *set, uint32_t instrument)
{
	return instrument < set->book_count ? &set->books[instrument] : NULL;
}

static inline uint32_t ps_book__tag(uint64_t id)
{
	/* Fibonacci hashing: the high bits of id * 2^64/phi are well mixed even
	 * for dense or strided ids; the top 32 are the tag, its top bits the home. */
	return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32);
}

/* Pool index of id, or PS_BOOK_NIL; *slot = its slot, or the empty slot
 * where it would go. Terminates: the table is never more than half full. */
static inline uint32_t ps_book__find(const struct ps_book_orders *t, uint64_t id, uint32_t tag,
				     uint32_t *slot)
{
	uint32_t i = tag >> t->shift;

	for (;;) {
		const struct ps_book_slot *s = &t->slots[i];

		if (s->order == PS_BOOK_NIL)
			break;
		if (s->tag == tag && t->pool[s->order].id == id) {
			*slot = i;
			return s->order;
		}
		i = (i + 1) & t->mask;
	}
	*slot = i;
	return PS_BOOK_NIL;
}

/* Backward-shift deletion: pull later entries of the probe run into the
 * hole unless that would move one before its home slot. */
static inline void ps_book__slot_delete(struct ps_book_orders *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j].order == PS_BOOK_NIL)
			break;
		uint32_t home = t->slots[j].tag >> t->shift;
		/* Movable iff home is not cyclically inside (i, j]. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].order = PS_BOOK_NIL;
}

static inline int64_t ps_book__key(unsigned side, int64_t price)
{
	return side == PS_SIDE_BUY ? price : -price;
}

static inline uint32_t ps_book__handle(int64_t entry)
{
	return (uint32_t)((uint64_t)entry & 0xffffu);
}

static inline bool ps_book__price_ok(int64_t price)
{
	/* Unsigned: wraps instead of overflowing for prices near INT64_MAX. */
	return (uint64_t)price + (uint64_t)(PS_BOOK_PRICE_LIMIT - 1) <
	       (uint64_t)(2 * PS_BOOK_PRICE_LIMIT - 1);
}

/* First ladder entry above limit (one past the best when none is), walking
 * down from the best end (the pad of INT64_MIN below index 0 stops it on
 * short ladders); after PS_BOOK__SCAN entries it binary-searches the rest.
 * (Counting the top 8 with vector compares was measured: more
 * instructions.) A pointer, not an index: the callers read p[-1] and move
 * entries from p. */
static inline int64_t *ps_book__side_seek(const struct ps_book_side *s, int64_t limit)
{
	int64_t *p = s->ladder + s->count;       /* one past the best */
	const int64_t *stop = p - PS_BOOK__SCAN; /* may point into the pad: never hit then */

	while (p[-1] > limit) {
		if (ps_unlikely(--p == stop)) {
			uint32_t lo = 0,
				 hi = (uint32_t)(p - s->ladder); /* first index with > limit */

			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;

				if (s->ladder[mid] > limit)
					hi = mid;
				else
					lo = mid + 1;
			}
			return s->ladder + lo;
		}
	}
	return p;
}

/* Index of key's entry in s->ladder with *found, else the index where it
 * would be inserted. Entries of key lie in [key * 2^16, key * 2^16 + 0xffff]:
 * below the first entry above that range is key's, iff it is >= the range's
 * start (the pad at ladder[-1] is not). */
static inline uint32_t ps_book__side_find(const struct ps_book_side *s, int64_t key, bool *found)
{
	int64_t base = key * 65536;
	const int64_t *p = ps_book__side_seek(s, base + 0xffff);

	*found = p[-1] >= base;
	return (uint32_t)(p - s->ladder) - *found;
}

/* Move 8 ladder entries (overlapping by 7): all loads, then all stores,
 * through vector values so that the compiler keeps them in registers (a
 * plain memmove of a constant size was compiled to a libc call, and an
 * array temporary to a round trip through the stack; both measured). One
 * 64-byte vector where the target has 64-byte registers (AVX-512); two
 * 32-byte ones elsewhere, since GCC lowers a 64-byte vector on AVX2 through
 * the stack (15 instructions instead of 4, measured under callgrind). */
#ifdef __AVX512F__
typedef int64_t ps_book__blk __attribute__((vector_size(64)));

static inline void ps_book__move8(int64_t *dst, const int64_t *src)
{
	ps_book__blk v;

	memcpy(&v, src, sizeof(v));
	memcpy(dst, &v, sizeof(v));
}
#else
typedef int64_t ps_book__blk __attribute__((vector_size(32)));

static inline void ps_book__move8(int64_t *dst, const int64_t *src)
{
	ps_book__blk lo, hi;

	memcpy(&lo, src, sizeof(lo));
	memcpy(&hi, src + 4, sizeof(hi));
	memcpy(dst, &lo, sizeof(lo));
	memcpy(dst + 4, &hi, sizeof(hi));
}
#endif

/* Take a level from the free list and insert entry (key * 2^16 + its
 * handle) for it at p (from ps_book__side_seek, key not found there), and
 * return its handle. The level's fields are the caller's to set. The side
 * must have a free level (s->free_head != PS_BOOK_NIL). */
static inline uint32_t ps_book__level_new(struct ps_book_side *s, int64_t base, int64_t *p)
{
	uint32_t h = s->free_head;

	s->free_head = s->levels[h].head;
	int64_t *end = s->ladder + s->count;
	if (ps_likely(p + PS_BOOK__SCAN >= end)) {
		/* Fixed-size move: the pad above max_levels absorbs the overrun. */
		ps_book__move8(p + 1, p);
	} else {
		memmove(p + 1, p, (size_t)(end - p) * sizeof(*p));
	}
	*p = base + h;
	s->count++;
	return h;
}

/* Handle of the level at price, created empty if absent; NIL when full. */
static inline uint32_t ps_book__level_acquire(struct ps_book *b, unsigned side, int64_t price)
{
	struct ps_book_side *s = &b->side[side];
	int64_t base = ps_book__key(side, price) * 65536;
	int64_t *p = ps_book__side_seek(s, base + 0xffff);

	if (p[-1] >= base)
		return ps_book__handle(p[-1]);
	if (ps_unlikely(s->free_head == PS_BOOK_NIL))
		return PS_BOOK_NIL;
	uint32_t h = ps_book__level_new(s, base, p);
	struct ps_book_level *l = &s->levels[h];
	l->price = price;
	l->qty = 0;
	l->anon_qty = 0;
	l->order_count = 0;
	l->head = PS_BOOK_NIL;
	l->tail = PS_BOOK_NIL;
	return h;
}

/* Where entry (present) is in s->ladder: walks down from the best end like
 * ps_book__side_seek, but for one exact value, so there is no key range to
 * compute; binary search past PS_BOOK__SCAN entries. */
static inline int64_t *ps_book__side_entry(const struct ps_book_side *s, int64_t entry)
{
	int64_t *p = s->ladder + s->count - 1;
	const int64_t *stop = p - PS_BOOK__SCAN;

	while (*p != entry) {
		if (ps_unlikely(--p == stop)) {
			uint32_t lo = 0, hi = (uint32_t)(p - s->ladder) + 1;

			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;

				if (s->ladder[mid] < entry)
					lo = mid + 1;
				else
					hi = mid;
			}
			return s->ladder + lo;
		}
	}
	return p;
}

/* Remove the (empty) level h from its side. */
static inline void ps_book__level_remove(struct ps_book *b, unsigned side, uint32_t h)
{
	struct ps_book_side *s = &b->side[side];
	struct ps_book_level *l = &s->levels[h];
	/* levels[] is set up at init (never NULL); the analyzer cannot see it.
	 * NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	int64_t *p = ps_book__side_entry(s, ps_book__key(side, l->price) * 65536 + h);
	int64_t *end = s->ladder + s->count;

	if (ps_likely(p + 1 + PS_BOOK__SCAN >= end)) {
		ps_book__move8(p, p + 1);
	} else {
		memmove(p, p + 1, (size_t)(end - p - 1) * sizeof(*p));
	}
	s->count--;
	l->head = s->free_head;
	s->free_head = h;
}

/* True when best bid >= best ask. */
static inline bool ps_book_crossed(const struct ps_book *b)
{
	const struct ps_book_side *bid = &b->side[PS_SIDE_BUY], *ask = &b->side[PS_SIDE_SELL];

	/* Entries are key * 2^16 + handle with bid key = bid price and ask key =
	 * -ask price: crossed iff the keys sum to >= 0. */
	return bid->count && ask->count &&
	       (bid->ladder[bid->count - 1] >> 16) + (ask->ladder[ask->count - 1] >> 16) >= 0;
}

/* True when a price level at side/price is at or through the best of the
 * other side. An empty side's top is the INT64_MIN pad, whose key (-2^47)
 * added to any valid key is negative. */
static inline bool ps_book__crosses(const struct ps_book *b, unsigned side, int64_t price)
{
	const struct ps_book_side *opp = &b->side[side ^ 1u];

	/* ladder is set up at init (never NULL); the analyzer cannot see it.
	 * NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	return ps_book__key(side, price) + (opp->ladder[(int64_t)opp->count - 1] >> 16) >= 0;
}

/* Append order oi to the tail of level h. */
static inline void ps_book__link(struct ps_book_orders *t, struct ps_book_level *l, uint32_t oi)
{
	struct ps_book_order *o = &t->pool[oi];

	o->next = PS_BOOK_NIL;
	o->prev = l->tail;
	if (l->tail != PS_BOOK_NIL)
		t->pool[l->tail].next = oi;
	else
		l->head = oi;
	l->tail = oi;
	l->qty += o->qty;
	l->order_count++;
}

static inline void ps_book__unlink(struct ps_book_orders *t, struct ps_book_level *l, uint32_t oi)
{
	struct ps_book_order *o = &t->pool[oi];

	if (o->prev != PS_BOOK_NIL)
		t->pool[o->prev].next = o->next;
	else
		l->head = o->next;
	if (o->next != PS_BOOK_NIL)
		t->pool[o->next].prev = o->prev;
	else
		l->tail = o->prev;
	l->qty -= o->qty;
	l->order_count--;
}

/* Take order oi (in slot) out of the book entirely. */
static inline void ps_book__order_remove(struct ps_book *b, uint32_t oi, uint32_t slot)
{
	struct ps_book_orders *t = b->orders;
	struct ps_book_order *o = &t->pool[oi];
	unsigned side = o->side;
	uint32_t h = o->level;
	struct ps_book_level *l = &b->side[side].levels[h];

	/* The level's only size (most deletes on a real day): the level goes
	 * as a whole, so there is nothing to unlink (every field of a level is
	 * set again when it is taken from the free list). */
	if (l->qty == o->qty)
		ps_book__level_remove(b, side, h);
	else
		ps_book__unlink(t, l, oi);
	ps_book__slot_delete(t, slot);
	o->next = t->free_head;
	t->free_head = oi;
	t->live--;
}

/* ps_book_add after its argument checks and without the crossing check:
 * 0, PS_EDUPLICATE or PS_EFULL. */
static PS_ALWAYS_INLINE int ps_book__add(struct ps_book *b, uint64_t id, enum ps_side side,
					 int64_t price, uint32_t qty)
{
	struct ps_book_orders *t = b->orders;
	uint32_t tag = ps_book__tag(id);
	uint32_t slot;

	if (ps_unlikely(ps_book__find(t, id, tag, &slot) != PS_BOOK_NIL))
		return ps_book__fail(b, PS_EDUPLICATE, PS_BOOK_OP_ADD, id, side, price, qty);
	uint32_t oi = t->free_head;
	if (ps_unlikely(oi == PS_BOOK_NIL))
		return ps_book__fail(b, PS_EFULL, PS_BOOK_OP_ADD, id, side, price, qty);

	struct ps_book_side *s = &b->side[side];
	int64_t base = ps_book__key(side, price) * 65536;
	int64_t *p = ps_book__side_seek(s, base + 0xffff);
	bool found = p[-1] >= base;
	if (ps_unlikely(!found && s->free_head == PS_BOOK_NIL))
		return ps_book__fail(b, PS_EFULL, PS_BOOK_OP_ADD, id, side, price, qty);

	/* Nothing fails from here on. The hash slot is written first so that
	 * its values are dead during the level work (fewer spills: measured). */
	struct ps_book_order *o = &t->pool[oi];
	t->slots[slot].tag = tag;
	t->slots[slot].order = oi;
	t->free_head = o->next;
	t->live++;
	o->id = id;
	o->qty = qty;
	o->book = b->instrument;
	o->side = (uint8_t)side;
	if (found) {
		uint32_t h = ps_book__handle(p[-1]);

		o->level = h;
		ps_book__link(t, &s->levels[h], oi);
	} else {
		/* A new level (most adds on a real day) is set up holding just
		 * this order, not set up empty and then linked to. */
		uint32_t h = ps_book__level_new(s, base, p);
		struct ps_book_level *l = &s->levels[h];

		o->level = h;
		o->prev = PS_BOOK_NIL;
		o->next = PS_BOOK_NIL;
		l->price = price;
		l->qty = qty;
		l->anon_qty = 0;
		l->order_count = 1;
		l->head = oi;
		l->tail = oi;
	}
	return 0;
}

/**
 * Add a resting order at the tail of its price level.
 * @return 0; PS_ECROSSED (applied, but now best bid >= best ask);
 *   PS_EDUPLICATE (id live; nothing changes); PS_EFULL (order table or
 *   levels full; nothing changes); -EINVAL (qty 0 or bad side).
 */
static PS_ALWAYS_INLINE int ps_book_add(struct ps_book *b, uint64_t id, enum ps_side side,
					int64_t price, uint32_t qty)
{
	if (ps_unlikely(qty == 0 || (unsigned)side > PS_SIDE_SELL || !ps_book__price_ok(price)))
		return ps_book__fail(b, -EINVAL, PS_BOOK_OP_ADD, id, side, price, qty);
	/* An add leaves the other side as it is, so whether it crosses is
	 * known before it is made: checked here while side and price are in
	 * registers, the rare crossing add goes out of line (measured: fewer
	 * instructions than a check at the end). */
	if (ps_unlikely(ps_book__crosses(b, side, price)))
		return ps_book__add_crossed(b, id, side, price, qty);
	return ps_book__add(b, id, side, price, qty);
}

/**
 * Add qty of anonymous size (orders the book never saw) at side/price.
 * @return 0; PS_ECROSSED (applied); PS_EFULL (levels full; nothing changes);
 *   -EINVAL (qty 0, bad side, or the level's anonymous size would pass 2^32-1).
 */
static inline int ps_book_add_anonymous(struct ps_book *b, enum ps_side side, int64_t price,
					uint32_t qty)
{
	if (ps_unlikely(qty == 0 || (unsigned)side > PS_SIDE_SELL || !ps_book__price_ok(price)))
		return ps_book__fail(b, -EINVAL, PS_BOOK_OP_ANONYMOUS, 0, side, price, qty);
	uint32_t h = ps_book__level_acquire(b, side, price);
	if (ps_unlikely(h == PS_BOOK_NIL))
		return ps_book__fail(b, PS_EFULL, PS_BOOK_OP_ANONYMOUS, 0, side, price, qty);
	struct ps_book_level *l = &b->side[side].levels[h];
	if (ps_unlikely(l->anon_qty > UINT32_MAX - qty)) {
		if (l->qty == 0)
			ps_book__level_remove(b, side, h);
		return ps_book__fail(b, -EINVAL, PS_BOOK_OP_ANONYMOUS, 0, side, price, qty);
	}
	l->anon_qty += qty;
	l->qty += qty;
	if (ps_unlikely(ps_book__crosses(b, side, price)))
		return ps_book__fail(b, PS_ECROSSED, PS_BOOK_OP_ANONYMOUS, 0, side, price, qty);
	return 0;
}

/* Remove qty of anonymous size at side/price (an unknown id's execute,
 * cancel or delete). Errors as ps_book_execute. */
static inline int ps_book__anon_reduce(struct ps_book *b, enum ps_book_op op, uint64_t id,
				       enum ps_side side, int64_t price, uint32_t qty)
{
	if (ps_unlikely(price == 0 || (unsigned)side > PS_SIDE_SELL || !ps_book__price_ok(price)))
		return ps_book__fail(b, PS_ENOTFOUND, op, id, side, price, qty);
	struct ps_book_side *s = &b->side[side];
	bool found;
	uint32_t pos = ps_book__side_find(s, ps_book__key(side, price), &found);
	if (ps_unlikely(!found))
		return ps_book__fail(b, PS_ENOTFOUND, op, id, side, price, qty);
	uint32_t h = ps_book__handle(s->ladder[pos]);
	struct ps_book_level *l = &s->levels[h];
	if (ps_unlikely(l->anon_qty == 0))
		return ps_book__fail(b, PS_ENOTFOUND, op, id, side, price, qty);
	int rc = 0;
	if (ps_unlikely(qty > l->anon_qty)) {
		rc = ps_book__fail(b, -ERANGE, op, id, side, price, qty);
		qty = l->anon_qty;
	}
	l->anon_qty -= qty;
	l->qty -= qty;
	if (l->qty == 0)
		ps_book__level_remove(b, side, h);
	return rc;
}

/* Shared body of execute and cancel: take qty off order id (removing it at
 * zero), or off the anonymous size at side/price when id is unknown. */
static inline int ps_book__reduce(struct ps_book *b, enum ps_book_op op, uint64_t id, uint32_t qty,
				  enum ps_side side, int64_t price)
{
	struct ps_book_orders *t = b->orders;
	uint32_t slot;
	uint32_t oi = ps_book__find(t, id, ps_book__tag(id), &slot);

	if (oi == PS_BOOK_NIL)
		return ps_book__anon_reduce(b, op, id, side, price, qty);
	struct ps_book_order *o = &t->pool[oi];
	if (ps_unlikely(o->book != b->instrument || qty == 0))
		return ps_book__fail(b, qty ? PS_ENOTFOUND : -EINVAL, op, id, side, price, qty);
	if (qty < o->qty) {
		o->qty -= qty;
		b->side[o->side].levels[o->level].qty -= qty;
		return 0;
	}
	int rc = 0;
	if (ps_unlikely(qty > o->qty))
		rc = ps_book__fail(b, -ERANGE, op, id, o->side, price, qty);
	ps_book__order_remove(b, oi, slot);
	return rc;
}

/**
 * Execute qty of resting order id (removed when it reaches zero). An id the
 * book does not hold reduces the anonymous size at side/price instead
 * (price 0 = unknown: then it is an unknown id).
 * @return 0; PS_ENOTFOUND (unknown id and no anonymous size there, or an id
 *   of another book; nothing changes); -ERANGE (qty exceeds what is there:
 *   all of it is removed); -EINVAL (qty 0).
 */
static inline int ps_book_execute(struct ps_book *b, uint64_t id, uint32_t qty, enum ps_side side,
				  int64_t price)
{
	return ps_book__reduce(b, PS_BOOK_OP_EXECUTE, id, qty, side, price);
}

/* Partial cancel of qty shares: as ps_book_execute. */
static inline int ps_book_cancel(struct ps_book *b, uint64_t id, uint32_t qty, enum ps_side side,
				 int64_t price)
{
	return ps_book__reduce(b, PS_BOOK_OP_CANCEL, id, qty, side, price);
}

/**
 * Delete order id whatever its remaining size. An unknown id removes qty of
 * anonymous size at side/price instead (as ps_book_execute).
 * @return 0; PS_ENOTFOUND; -ERANGE (anonymous size smaller than qty: all of
 *   it is removed).
 */
static PS_ALWAYS_INLINE int ps_book_delete(struct ps_book *b, uint64_t id, enum ps_side side,
					   int64_t price, uint32_t qty)
{
	struct ps_book_orders *t = b->orders;
	uint32_t slot;
	uint32_t oi = ps_book__find(t, id, ps_book__tag(id), &slot);

	if (oi == PS_BOOK_NIL)
		return ps_book__anon_reduce(b, PS_BOOK_OP_DELETE, id, side, price, qty);
	if (ps_unlikely(t->pool[oi].book != b->instrument))
		return ps_book__fail(b, PS_ENOTFOUND, PS_BOOK_OP_DELETE, id, side, price, qty);
	ps_book__order_remove(b, oi, slot);
	return 0;
}

/**
 * Replace order id by new_id at price with qty, same side, at the tail of its
 * new level (priority lost even at the same price).
 * @return 0; PS_ECROSSED (applied); PS_ENOTFOUND (id unknown; nothing
 *   changes); PS_EDUPLICATE (new_id live; nothing changes); -EINVAL (qty 0;
 *   nothing changes); PS_EFULL (no level for the new price: the old order is
 *   gone and the new one was not added).
 */
static inline int ps_book_replace(struct ps_book *b, uint64_t id, uint64_t new_id, int64_t price,
				  uint32_t qty)
{
	struct ps_book_orders *t = b->orders;
	uint32_t slot, new_slot;
	uint32_t new_tag = ps_book__tag(new_id);
	uint32_t oi = ps_book__find(t, id, ps_book__tag(id), &slot);

	if (ps_unlikely(oi == PS_BOOK_NIL || t->pool[oi].book != b->instrument))
		return ps_book__fail(b, PS_ENOTFOUND, PS_BOOK_OP_REPLACE, id, 0, price, qty);
	struct ps_book_order *o = &t->pool[oi];
	unsigned side = o->side;
	if (ps_unlikely(qty == 0 || !ps_book__price_ok(price)))
		return ps_book__fail(b, -EINVAL, PS_BOOK_OP_REPLACE, id, side, price, qty);
	if (ps_unlikely(ps_book__find(t, new_id, new_tag, &new_slot) != PS_BOOK_NIL))
		return ps_book__fail(b, PS_EDUPLICATE, PS_BOOK_OP_REPLACE, new_id, side, price,
				     qty);

	struct ps_book_level *levels = b->side[side].levels;
	uint32_t old_h = o->level;
	ps_book__unlink(t, &levels[old_h], oi);
	/* Acquire before removing the old level: at the same price it is reused. */
	uint32_t h = ps_book__level_acquire(b, side, price);
	ps_book__slot_delete(t, slot);
	if (ps_unlikely(h == PS_BOOK_NIL)) {
		if (levels[old_h].qty == 0)
			ps_book__level_remove(b, side, old_h);
		o->next = t->free_head;
		t->free_head = oi;
		t->live--;
		return ps_book__fail(b, PS_EFULL, PS_BOOK_OP_REPLACE, new_id, side, price, qty);
	}
	o->id = new_id;
	o->qty = qty;
	o->level = h;
	ps_book__link(t, &levels[h], oi);
	if (levels[old_h].qty == 0)
		ps_book__level_remove(b, side, old_h);
	/* The deletion above may have shifted slots: probe again for new_id. */
	ps_book__find(t, new_id, new_tag, &new_slot);
	t->slots[new_slot].tag = new_tag;
	t->slots[new_slot].order = oi;
	if (ps_unlikely(ps_book__crosses(b, side, price)))
		return ps_book__fail(b, PS_ECROSSED, PS_BOOK_OP_REPLACE, new_id, side, price, qty);
	return 0;
}

/* Best level of a side, or NULL when the side is empty. O(1). */
static inline const struct ps_book_level *ps_book_best(const struct ps_book *b, enum ps_side side)
{
	const struct ps_book_side *s = &b->side[side];

	return s->count ? &s->levels[ps_book__handle(s->ladder[s->count - 1])] : NULL;
}

/* The level at price, or NULL when the side has none there. */
static inline const struct ps_book_level *ps_book_level_at(const struct ps_book *b,
							   enum ps_side side, int64_t price)
{
	const struct ps_book_side *s = &b->side[side];
	bool found;

	if (!ps_book__price_ok(price))
		return NULL;
	uint32_t pos = ps_book__side_find(s, ps_book__key(side, price), &found);

	return found ? &s->levels[ps_book__handle(s->ladder[pos])] : NULL;
}

/* Number of levels on a side. */
static inline uint32_t ps_book_depth(const struct ps_book *b, enum ps_side side)
{
	return b->side[side].count;
}

/* Order id as the book holds it, or NULL. */
static inline const struct ps_book_order *ps_book_order_get(const struct ps_book *b, uint64_t id)
{
	uint32_t slot;
	uint32_t oi = ps_book__find(b->orders, id, ps_book__tag(id), &slot);

	if (oi == PS_BOOK_NIL || b->orders->pool[oi].book != b->instrument)
		return NULL;
	return &b->orders->pool[oi];
}

/* Whether id is live in any book of b's set: the order table is shared, so
 * an id live elsewhere cannot be added here either (ps_book_add refuses it). */
static inline bool ps_book_id_live(const struct ps_book *b, uint64_t id)
{
	uint32_t slot;

	return ps_book__find(b->orders, id, ps_book__tag(id), &slot) != PS_BOOK_NIL;
}

/* Whether a price lies strictly within +-PS_BOOK_PRICE_LIMIT (the range the
 * book holds; ps_book_add refuses others). */
static inline bool ps_book_price_ok(int64_t price)
{
	return ps_book__price_ok(price);
}

/**
 * Copy the best n levels of a side into out[0..), best first.
 * @return levels written (< n when the side has fewer).
 */
static inline uint32_t ps_book_top(const struct ps_book *b, enum ps_side side, uint32_t n,
				   struct ps_book_level_view *out)
{
	const struct ps_book_side *s = &b->side[side];
	uint32_t k = n < s->count ? n : s->count;

	for (uint32_t i = 0; i < k; i++) {
		const struct ps_book_level *l =
		    &s->levels[ps_book__handle(s->ladder[s->count - 1 - i])];

		out[i].price = l->price;
		out[i].qty = l->qty;
		out[i].order_count = l->order_count;
		out[i].pad = 0;
	}
	return k;
}

/**
 * Apply one market-data event to the book of ev->instrument: ADD, EXECUTE,
 * CANCEL, DELETE, REPLACE and CLEAR change the book; TRADE, STATUS and NONE
 * are ignored (0).
 * @return as the operation; PS_ENOTFOUND for an instrument outside the set
 *   (counted in set->stats.unknown_instrument).
 * PS_ALWAYS_INLINE (here and on ps_book_add / ps_book_delete, the two
 * events that are 93% of a real day): with more than one caller in a
 * binary, GCC's size heuristics left them out of line, which cost 6 to 35
 * instructions per message in decode + apply (the call, and an event that
 * must then be in memory; measured with callgrind on the AMZN day).
 */
static PS_ALWAYS_INLINE int ps_book_apply(struct ps_book_set *set, const struct ps_md_event *ev)
{
	enum ps_side side = (enum ps_side)ev->side;

	/* The type switch comes first and each case checks the instrument
	 * itself: a caller that decodes into a local event (the type a constant
	 * on each decoder path) then has its jump threaded straight into the
	 * right case, one dispatch per message instead of two (measured:
	 * decode + apply, callgrind). */
	switch (ev->type) {
	case PS_MD_ADD:
		if (ps_unlikely(ev->instrument >= set->book_count))
			break;
		return ps_book_add(&set->books[ev->instrument], ev->order_id, side, ev->price,
				   ev->qty);
	case PS_MD_EXECUTE:
		if (ps_unlikely(ev->instrument >= set->book_count))
			break;
		return ps_book_execute(&set->books[ev->instrument], ev->order_id, ev->qty, side,
				       ev->price);
	case PS_MD_CANCEL:
		if (ps_unlikely(ev->instrument >= set->book_count))
			break;
		return ps_book_cancel(&set->books[ev->instrument], ev->order_id, ev->qty, side,
				      ev->price);
	case PS_MD_DELETE:
		if (ps_unlikely(ev->instrument >= set->book_count))
			break;
		return ps_book_delete(&set->books[ev->instrument], ev->order_id, side, ev->price,
				      ev->qty);
	case PS_MD_REPLACE:
		if (ps_unlikely(ev->instrument >= set->book_count))
			break;
		return ps_book_replace(&set->books[ev->instrument], ev->order_id, ev->new_order_id,
				       ev->price, ev->qty);
	case PS_MD_CLEAR:
		if (ps_unlikely(ev->instrument >= set->book_count))
			break;
		ps_book_clear(&set->books[ev->instrument]);
		return 0;
	default:
		if (ps_unlikely(ev->instrument >= set->book_count))
			break;
		return 0;
	}
	return ps_book_set__fail_instrument(set, ev->instrument, ev->order_id, ev->side, ev->price,
					    ev->qty);
}

#endif /* PS_BOOK_H */
