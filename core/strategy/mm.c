/*
 * Market maker: one bid and one ask quote around the microprice, skewed
 * against inventory.
 *
 *   fair = microprice = (bid * ask_qty + ask * bid_qty) / (bid_qty + ask_qty)
 *   skew = position / quote_qty * skew_ticks * tick
 *   bid  = floor_tick(fair - half_spread_ticks * tick - skew)
 *   ask  = ceil_tick (fair + half_spread_ticks * tick - skew)
 *
 * A long position lowers both quotes (sell more eagerly, buy less), a short
 * one raises them. Quotes stay passive: a bid never reaches the best ask (nor
 * our own ask), an ask never the best bid (nor our own bid). A side whose
 * fill would take |position| past max_position is cancelled and not quoted
 * again until the position comes back. A quote is replaced when its wanted
 * price moves by requote_ticks or more, at most once per min_requote_us per
 * side, and never while a request for it is still unanswered (one in flight
 * per side). After a refusal (risk or venue) it sends nothing for
 * reject_backoff_us.
 *
 * An event that leaves the top of the book and the position as the last
 * evaluation saw them is skipped when that evaluation could not have
 * turned out otherwise (skip_unchanged; see mm_on_book): same decisions,
 * about half the instructions per event on the AMZN day.
 */
#include <stdio.h>

#include <ps/config.h>
#include <ps/err.h>

#include "strategy_internal.h"

enum { TAG_BID = 1, TAG_ASK = 2 };

struct quote {
	int64_t price;     /* of the live order, as the venue acknowledged it */
	int64_t req_price; /* of the request in flight (pending) */
	uint64_t last_ns;  /* when the last request for this side was sent */
	bool live;         /* accepted and not yet filled or cancelled */
	bool pending;      /* a request is in flight */
};

/* What an evaluation reads besides the quotes' own state and the clock:
 * the top of the book and the position. */
struct mm_inputs {
	int64_t bid, ask;
	uint64_t bid_qty, ask_qty;
	int64_t position;
};

struct mm {
	int64_t tick;
	int64_t half_spread_ticks;
	int64_t skew_ticks;
	int64_t requote_ticks;
	int64_t max_position;
	uint64_t min_requote_ns;
	uint64_t reject_backoff_ns;
	uint64_t quiet_until_ns; /* after a refusal: no requests before this */
	uint32_t qty;
	struct quote q[2]; /* by enum ps_side */
	/* The inputs of the last evaluation whose outcome nothing else could
	 * change: it sent no request and held back no requote for time (see
	 * mm_on_book). memo_valid is cleared by every report. */
	struct mm_inputs memo;
	bool memo_valid;
	bool skip_unchanged; /* false: evaluate every event (the reference) */
};

static int mm_init(struct ps_strategy *s, struct ps_config *c, const char *sec, char *err,
		   size_t err_len)
{
	struct mm *m = s->state;
	int64_t v;
	int rc;

	if ((rc = ps_strategy__get_price(c, sec, "tick", 100, &m->tick, err, err_len)))
		return rc;
	if ((rc = ps_config_get_int(c, sec, "qty", 100, 1, 1000000, &v, err, err_len)))
		return rc;
	m->qty = (uint32_t)v;
	if ((rc = ps_config_get_int(c, sec, "half_spread_ticks", 1, 0, 10000, &m->half_spread_ticks,
				    err, err_len)))
		return rc;
	if ((rc = ps_config_get_int(c, sec, "skew_ticks", 1, 0, 10000, &m->skew_ticks, err,
				    err_len)))
		return rc;
	if ((rc = ps_config_get_int(c, sec, "requote_ticks", 1, 1, 10000, &m->requote_ticks, err,
				    err_len)))
		return rc;
	if ((rc = ps_config_get_int(c, sec, "max_position", 500, 1, INT32_MAX, &m->max_position,
				    err, err_len)))
		return rc;
	if ((rc = ps_config_get_int(c, sec, "min_requote_us", 100, 0, 60000000, &v, err, err_len)))
		return rc;
	m->min_requote_ns = (uint64_t)v * 1000;
	if ((rc = ps_config_get_int(c, sec, "reject_backoff_us", 10000, 0, 60000000, &v, err,
				    err_len)))
		return rc;
	m->reject_backoff_ns = (uint64_t)v * 1000;
	if ((rc = ps_config_get_bool(c, sec, "skip_unchanged", true, &m->skip_unchanged, err,
				     err_len)))
		return rc;
	if (m->max_position < (int64_t)m->qty) {
		snprintf(err, err_len, "%s:%d: [%s] max_position (%lld) is below qty (%u)",
			 ps_config_path(c), ps_config_line(c, sec, "max_position"), sec,
			 (long long)m->max_position, m->qty);
		return PS_ECONFIG;
	}
	return 0;
}

static void request(struct ps_strategy *s, struct mm *m, unsigned side, uint8_t action,
		    int64_t price, struct ps_strategy_out *out)
{
	struct ps_order_intent *it = ps_strategy_out_push(out);

	if (!it)
		return;
	*it = (struct ps_order_intent){
		.price = price,
		.qty = action == PS_ORDER_CANCEL ? 0 : m->qty,
		.confidence_bp = 10000,
		.action = action,
		.side = (uint8_t)side,
		.type = PS_ORDER_LIMIT,
		.tif = PS_TIF_DAY,
		.tag = side == PS_SIDE_BUY ? TAG_BID : TAG_ASK,
	};
	m->q[side].pending = true;
	m->q[side].req_price = price;
	m->q[side].last_ns = s->now_ns;
}

/* @return true when this side's outcome (nothing to do) can change only
 * with the book, the position or a report: false when it asked for
 * something or a requote waits for min_requote_us. */
static bool quote_side(struct ps_strategy *s, struct mm *m, unsigned side, int64_t want_price,
		       bool want, struct ps_strategy_out *out)
{
	struct quote *q = &m->q[side];
	int64_t moved;

	if (q->pending)
		return true;
	if (!want) {
		if (!q->live)
			return true;
		request(s, m, side, PS_ORDER_CANCEL, q->price, out);
		return false;
	}
	if (!q->live) {
		request(s, m, side, PS_ORDER_NEW, want_price, out);
		return false;
	}
	moved = want_price > q->price ? want_price - q->price : q->price - want_price;
	if (moved < m->requote_ticks * m->tick)
		return true;
	if (s->now_ns - q->last_ns >= m->min_requote_ns)
		request(s, m, side, PS_ORDER_REPLACE, want_price, out);
	return false;
}

static void mm_on_book(struct ps_strategy *s, const struct ps_book *book,
		       const struct ps_md_event *ev, struct ps_strategy_out *out)
{
	struct mm *m = s->state;
	const struct ps_book_level *bb, *ba;
	int64_t fair, skew, bid, ask;

	(void)ev;
	if (s->now_ns < m->quiet_until_ns)
		return;
	/*
	 * Most events (two in three on the AMZN day) leave the top of the book
	 * as it was. When the last evaluation saw these same inputs and its
	 * outcome depended on nothing else, this one would decide the same:
	 * skip it. (Reports clear the memo; the quiet period is checked
	 * above; an evaluation that asked for something or held a requote back
	 * for time does not set it.)
	 */
	bb = ps_book_best(book, PS_SIDE_BUY);
	ba = ps_book_best(book, PS_SIDE_SELL);
	struct mm_inputs in = { .bid = bb ? bb->price : 0,
				.ask = ba ? ba->price : 0,
				.bid_qty = bb ? bb->qty : 0,
				.ask_qty = ba ? ba->qty : 0,
				.position = s->position };
	if (m->skip_unchanged && m->memo_valid && in.bid == m->memo.bid && in.ask == m->memo.ask &&
	    in.bid_qty == m->memo.bid_qty && in.ask_qty == m->memo.ask_qty &&
	    in.position == m->memo.position)
		return;
	m->memo = in;
	m->memo_valid = true;
	if (!ps_strategy_microprice(book, &fair))
		return;
	skew = s->position * m->skew_ticks * m->tick / (int64_t)m->qty;
	bid = ps_strategy__floor_tick(fair - m->half_spread_ticks * m->tick - skew, m->tick);
	ask = ps_strategy__ceil_tick(fair + m->half_spread_ticks * m->tick - skew, m->tick);
	/* Passive only: never cross the other side's best price. */
	if (bid >= ba->price)
		bid = ba->price - m->tick;
	if (ask <= bb->price)
		ask = bb->price + m->tick;
	/* Never cross our own other quote either (risk refuses a self-trade),
	 * at its acknowledged price nor at the price of a request in flight. */
	const struct quote *qa = &m->q[PS_SIDE_SELL], *qb = &m->q[PS_SIDE_BUY];
	int64_t low_ask = qa->live ? qa->price : INT64_MAX;
	int64_t high_bid = qb->live ? qb->price : INT64_MIN;
	if (qa->pending && qa->req_price < low_ask)
		low_ask = qa->req_price;
	if (qb->pending && qb->req_price > high_bid)
		high_bid = qb->req_price;
	if (bid >= low_ask)
		bid = low_ask - m->tick;
	if (ask <= high_bid)
		ask = high_bid + m->tick;
	if (bid <= 0)
		return;
	bool b_settled = quote_side(s, m, PS_SIDE_BUY, bid,
				    s->position + (int64_t)m->qty <= m->max_position, out);
	bool a_settled = quote_side(s, m, PS_SIDE_SELL, ask,
				    -s->position + (int64_t)m->qty <= m->max_position, out);
	m->memo_valid = b_settled && a_settled;
}

static void mm_on_report(struct ps_strategy *s, const struct ps_exec_report *r,
			 struct ps_strategy_out *out)
{
	struct mm *m = s->state;
	struct quote *q;

	(void)out;
	m->memo_valid = false;
	if (r->tag != TAG_BID && r->tag != TAG_ASK)
		return;
	q = &m->q[r->tag == TAG_BID ? PS_SIDE_BUY : PS_SIDE_SELL];
	switch (r->type) {
	case PS_REPORT_ACCEPTED:
	case PS_REPORT_REPLACED:
		q->live = r->leaves_qty > 0;
		q->pending = false;
		q->price = r->price;
		break;
	case PS_REPORT_FILL:
		if (r->leaves_qty == 0) {
			q->live = false;
			q->pending = false;
		}
		break;
	case PS_REPORT_CANCELED:
		q->live = false;
		q->pending = false;
		break;
	case PS_REPORT_REJECTED:
		/* A refused NEW leaves no order; a refused REPLACE or CANCEL leaves
		 * the old one working (leaves_qty says which). */
		q->live = r->leaves_qty > 0;
		q->pending = false;
		/* Risk or the venue said no: asking again at the next tick would
		 * only be refused again, so pause (reject_backoff_us). */
		m->quiet_until_ns = s->now_ns + m->reject_backoff_ns;
		break;
	default:
		break;
	}
	(void)s;
}

const struct ps_strategy_ops ps_strategy_mm_ops = {
	.kind = "mm",
	.state_len = sizeof(struct mm),
	.init = mm_init,
	.on_book = mm_on_book,
	.on_report = mm_on_report,
};
