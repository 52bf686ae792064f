/*
 * The venue's matching engine: price-time priority per instrument over the
 * L3 book of core/book (one ps_book_set holds every instrument's resting
 * orders, background and client alike).
 *
 * Every change of the book is reported as one struct ps_match_event, in the
 * order it happens, to a callback: the ITCH publisher turns them into A, E,
 * X, D and U messages, and the order-entry sessions into OUCH executions,
 * cancels and replaces for the owners of the orders involved. Order ids are
 * the venue's own reference numbers; the caller knows which belong to
 * clients (for example by a high bit) and which to the background flow.
 *
 * Background flow (a real day replayed) enters through the same calls as
 * client orders, so our orders compete with it on equal terms: a replayed
 * add that crosses our resting order trades with it, and a replayed
 * execution of resting order X is replayed as the aggressor that caused it
 * (an IOC order on the other side at X's price for the executed size), which
 * fills whatever has priority at that price, our orders included.
 *
 * Threads: single-threaded (the venue's matching thread).
 */
#ifndef PS_VENUE_MATCH_H
#define PS_VENUE_MATCH_H

#include <ps/book.h>
#include <ps/common.h>
#include <ps/order.h>

enum ps_match_ev_type {
	PS_MATCH_EV_ADD = 1, /* order id rests: side, price, qty */
	PS_MATCH_EV_EXECUTE, /* resting id (maker, 0 = anonymous size) traded qty at price
				with taker_id; leaves = maker's remaining qty */
	PS_MATCH_EV_CANCEL,  /* resting id reduced by qty; leaves = remaining (> 0) */
	PS_MATCH_EV_DELETE,  /* resting id removed (leaves 0); qty = what it had */
	PS_MATCH_EV_REPLACE, /* resting id became new_id at price/qty, priority lost */
	PS_MATCH_EV_DONE,    /* the taker id finished matching: leaves = unfilled qty, which
				rests (ADD follows) or is cancelled (IOC) */
};

struct ps_match_event {
	uint64_t id;
	uint64_t new_id;   /* REPLACE */
	uint64_t taker_id; /* EXECUTE */
	uint64_t match_number;
	int64_t price;
	uint32_t qty;
	uint32_t leaves;
	uint32_t instrument;
	uint8_t type; /* enum ps_match_ev_type */
	uint8_t side; /* side of order `id` (EXECUTE: the maker's side) */
	bool rests;   /* DONE: the leftover rests in the book */
};

typedef void (*ps_match_event_fn)(void *ctx, const struct ps_match_event *ev);

struct ps_match_stats {
	uint64_t orders; /* new orders (client and background) */
	uint64_t executions;
	uint64_t executed_qty;
	uint64_t cancels;
	uint64_t replaces;
	uint64_t rejects; /* refused requests (unknown id, bad qty, full) */
};

struct ps_match {
	struct ps_book_set *books;
	ps_match_event_fn fn;
	void *ctx;
	uint64_t next_match;
	struct ps_match_stats stats;
};

/* Market orders trade at any price: the limit they match with. */
#define PS_MATCH_MARKET_BUY  INT64_MAX
#define PS_MATCH_MARKET_SELL 0

/**
 * Set up over an initialised book set (caller-owned). fn gets every event.
 * @return 0; -EINVAL.
 */
PS_API int ps_match_init(struct ps_match *m, struct ps_book_set *books, ps_match_event_fn fn,
			 void *ctx);

/**
 * A new order: matches against the other side while it crosses `price`
 * (best price first, oldest first within a price), then the rest rests
 * (DAY) or is dropped (IOC). Market orders: price PS_MATCH_MARKET_BUY/SELL
 * and IOC. Events: EXECUTE per fill, DONE, then ADD if it rests.
 * @return filled qty (>= 0); PS_ENOTFOUND (instrument); -EINVAL (qty 0,
 *   id 0 (EXECUTE's anonymous size), bad side, or a DAY order at a market
 *   price or one outside the book's price range); PS_EDUPLICATE (id live in
 *   any book of the set); PS_EFULL (no room to rest: the fills stand, the
 *   rest is cancelled: DONE says rests = false).
 */
PS_API int64_t ps_match_order(struct ps_match *m, uint32_t instrument, uint64_t id,
			      enum ps_side side, int64_t price, uint32_t qty, enum ps_tif tif);

/**
 * Reduce resting order id to `remaining` shares (OUCH cancel semantics:
 * 0 cancels it). Events: CANCEL, or DELETE at 0.
 * @return qty removed; PS_ENOTFOUND; -EINVAL (remaining above the order's qty
 *   is allowed and removes nothing: returns 0).
 */
PS_API int64_t ps_match_cancel(struct ps_match *m, uint32_t instrument, uint64_t id,
			       uint32_t remaining);

/**
 * Replace resting order id by new_id at price for qty (priority lost). If
 * the new price crosses, it matches like a new order. Events: REPLACE (or
 * DELETE + matching + ADD when it crosses).
 * @return filled qty of the replacement; PS_ENOTFOUND; PS_EDUPLICATE (new_id
 *   live in any book); -EINVAL (qty 0, a market or out-of-range price,
 *   new_id 0 or equal to id); nothing changes on these. PS_EFULL (no level
 *   left for the new price): the old order is gone (a DELETE event says so)
 *   and the new one does not rest.
 */
PS_API int64_t ps_match_replace(struct ps_match *m, uint32_t instrument, uint64_t id,
				uint64_t new_id, int64_t price, uint32_t qty);

/**
 * Replay of a background execution of resting order `id` (side, price, qty
 * as the recorded day had them): an IOC aggressor on the other side at that
 * price, which fills by priority. taker_id names the aggressor in events.
 * @return qty filled.
 */
PS_API int64_t ps_match_aggress(struct ps_match *m, uint32_t instrument, uint64_t taker_id,
				enum ps_side resting_side, int64_t price, uint32_t qty);

#endif /* PS_VENUE_MATCH_H */
