/*
 * Strategy API. A strategy is a set of callbacks run by the book stage: on
 * every book update and trade of its instrument, on every execution report of
 * its own orders, and on a timer. It answers by appending order intents to a
 * caller-owned output array; risk checks them and exec sends them, so a
 * strategy never touches a socket, a lock or the heap after init.
 *
 * Orders are named by the strategy's own tag (say 1 = bid quote, 2 = ask
 * quote): a CANCEL or REPLACE intent names the tag, the exec stage finds the
 * live order, and every report carries the tag back. The framework keeps the
 * strategy's position from its fills, so every strategy sees the same number.
 *
 * Parameters come from [strategy.NAME] sections:
 *	[strategy.mm1]
 *	kind = mm            ; mm | momentum | probe
 *	symbol = AMZN
 *	...kind-specific keys (see each strategy's schema and README)
 *
 * Threads: a strategy belongs to the book stage's thread; nothing here is
 * thread-safe.
 */
#ifndef PS_STRATEGY_H
#define PS_STRATEGY_H

#include <ps/book.h>
#include <ps/common.h>
#include <ps/md.h>
#include <ps/order.h>

struct ps_config;
struct ps_strategy;

/* Intents produced by one callback. The caller sets intents/cap and count = 0. */
struct ps_strategy_out {
	struct ps_order_intent *intents;
	uint32_t count;
	uint32_t cap;
	uint32_t dropped; /* intents that did not fit (counted, never written) */
};

/* Callbacks of a strategy kind; book and trade callbacks are the hot path. */
struct ps_strategy_ops {
	const char *kind;
	size_t state_len; /* bytes of private state, zeroed before init */
	/* Reads [section]; returns 0 or a negative code with err filled. Cold. */
	int (*init)(struct ps_strategy *s, struct ps_config *cfg, const char *section, char *err,
		    size_t err_len);
	void (*on_book)(struct ps_strategy *s, const struct ps_book *book,
			const struct ps_md_event *ev, struct ps_strategy_out *out);
	void (*on_trade)(struct ps_strategy *s, const struct ps_md_event *ev,
			 struct ps_strategy_out *out);
	void (*on_report)(struct ps_strategy *s, const struct ps_exec_report *r,
			  struct ps_strategy_out *out);
	void (*on_timer)(struct ps_strategy *s, uint64_t now_ns, struct ps_strategy_out *out);
};

struct ps_strategy_stats {
	uint64_t book_events;
	uint64_t intents;
	uint64_t fills;
	uint64_t filled_qty;
	uint64_t rejects;
};

struct ps_strategy {
	const struct ps_strategy_ops *ops;
	char name[32];       /* NAME of [strategy.NAME] */
	uint32_t instrument; /* dense id of its one instrument */
	uint16_t id;         /* strategy id carried by its intents */
	bool enabled;        /* false: callbacks still run, intents are dropped */
	int64_t position;    /* shares, + long / - short, from its fills */
	uint64_t now_ns;     /* time of the event being handled (ps_tsc_to_ns of its TSC) */
	struct ps_strategy_stats stats;
	void *state; /* ops->state_len bytes, owned by the strategy object */
};

/* ---- cold path -------------------------------------------------------- */

/* Kinds shipped with Perseus ("mm", "momentum", "probe"); NULL when unknown. */
PS_API const struct ps_strategy_ops *ps_strategy_kind(const char *kind);

/**
 * Create the strategy of [section] (kind, symbol and its parameters).
 * @param instrument dense id the caller resolved for the section's symbol
 * @return 0; -ENOMEM; PS_ECONFIG with err naming the file, line and key.
 */
PS_API int ps_strategy_create(struct ps_strategy **s, struct ps_config *cfg, const char *section,
			      uint16_t id, uint32_t instrument, char *err, size_t err_len);
PS_API void ps_strategy_destroy(struct ps_strategy *s);

/* ---- hot path --------------------------------------------------------- */

/* Append an intent; NULL (and out->dropped++) when out is full. */
static inline struct ps_order_intent *ps_strategy_out_push(struct ps_strategy_out *out)
{
	if (ps_unlikely(out->count == out->cap)) {
		out->dropped++;
		return NULL;
	}
	return &out->intents[out->count++];
}

/* Stamp the framework fields of the intents a callback appended from `first` on. */
static inline void ps_strategy__stamp(struct ps_strategy *s, struct ps_strategy_out *out,
				      uint32_t first, uint64_t md_tsc)
{
	if (!s->enabled) {
		out->dropped += out->count - first;
		out->count = first;
		return;
	}
	for (uint32_t i = first; i < out->count; i++) {
		out->intents[i].strategy_id = s->id;
		out->intents[i].instrument = s->instrument;
		out->intents[i].md_tsc = md_tsc;
	}
	s->stats.intents += out->count - first;
}

/* Book of the strategy's instrument changed by ev (already applied). */
static inline void ps_strategy_on_book(struct ps_strategy *s, const struct ps_book *book,
				       const struct ps_md_event *ev, uint64_t now_ns,
				       struct ps_strategy_out *out)
{
	uint32_t first = out->count;

	s->now_ns = now_ns;
	s->stats.book_events++;
	if (ev->type == PS_MD_TRADE || ev->type == PS_MD_EXECUTE) {
		if (s->ops->on_trade)
			s->ops->on_trade(s, ev, out);
	}
	s->ops->on_book(s, book, ev, out);
	ps_strategy__stamp(s, out, first, ev->recv_tsc);
}

/* An execution report of one of this strategy's orders. */
static inline void ps_strategy_on_report(struct ps_strategy *s, const struct ps_exec_report *r,
					 uint64_t now_ns, struct ps_strategy_out *out)
{
	uint32_t first = out->count;

	s->now_ns = now_ns;
	if (r->type == PS_REPORT_FILL) {
		s->position += r->side == PS_SIDE_BUY ? (int64_t)r->qty : -(int64_t)r->qty;
		s->stats.fills++;
		s->stats.filled_qty += r->qty;
	} else if (r->type == PS_REPORT_REJECTED) {
		s->stats.rejects++;
	}
	if (s->ops->on_report)
		s->ops->on_report(s, r, out);
	ps_strategy__stamp(s, out, first, r->tsc);
}

static inline void ps_strategy_on_timer(struct ps_strategy *s, uint64_t now_ns, uint64_t tsc,
					struct ps_strategy_out *out)
{
	uint32_t first = out->count;

	s->now_ns = now_ns;
	if (s->ops->on_timer)
		s->ops->on_timer(s, now_ns, out);
	ps_strategy__stamp(s, out, first, tsc);
}

/* Microprice of the top of book, fixed point (same scale as prices):
 * (bid * ask_qty + ask * bid_qty) / (bid_qty + ask_qty). Leans towards the
 * side with less size, which is where the next trade tends to go.
 * Returns false when either side is empty. */
static inline bool ps_strategy_microprice(const struct ps_book *book, int64_t *out)
{
	const struct ps_book_level *bid = ps_book_best(book, PS_SIDE_BUY);
	const struct ps_book_level *ask = ps_book_best(book, PS_SIDE_SELL);

	if (!bid || !ask || bid->qty == 0 || ask->qty == 0)
		return false;
	/* 64-bit when it fits (equities: price ~1e7 at 1e-4 scale x qty ~1e6);
	 * 128-bit otherwise (crypto at 1e-8 scale). */
	int64_t a, b, num;
	int64_t den = (int64_t)(bid->qty + ask->qty);
	if (ps_likely(!__builtin_mul_overflow(bid->price, (int64_t)ask->qty, &a) &&
		      !__builtin_mul_overflow(ask->price, (int64_t)bid->qty, &b) &&
		      !__builtin_add_overflow(a, b, &num))) {
		*out = num / den;
		return true;
	}
	__int128 wide =
	    (__int128)bid->price * (__int128)ask->qty + (__int128)ask->price * (__int128)bid->qty;
	*out = (int64_t)(wide / den);
	return true;
}

#endif /* PS_STRATEGY_H */
