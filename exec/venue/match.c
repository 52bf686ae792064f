/* Price-time matching over ps_book (see <ps/venue_match.h>). */
#include <errno.h>

#include <ps/err.h>
#include <ps/venue_match.h>

int ps_match_init(struct ps_match *m, struct ps_book_set *books, ps_match_event_fn fn, void *ctx)
{
	if (!m || !books || !fn)
		return -EINVAL;
	*m = (struct ps_match){ .books = books, .fn = fn, .ctx = ctx, .next_match = 1 };
	return 0;
}

static inline bool crosses(enum ps_side side, int64_t limit, int64_t resting)
{
	return side == PS_SIDE_BUY ? resting <= limit : resting >= limit;
}

/* Trade taker_id's qty against the other side while it crosses limit.
 * Returns the qty left. */
static uint32_t sweep(struct ps_match *m, struct ps_book *b, uint64_t taker_id, enum ps_side side,
		      int64_t limit, uint32_t qty)
{
	enum ps_side opp = side == PS_SIDE_BUY ? PS_SIDE_SELL : PS_SIDE_BUY;

	while (qty) {
		const struct ps_book_level *l = ps_book_best(b, opp);
		struct ps_match_event ev;
		uint64_t maker = 0;
		uint32_t avail, n;

		if (!l || !crosses(side, limit, l->price))
			break;
		/* Anonymous size (a book seeded without ids) is the oldest at its price. */
		if (l->anon_qty) {
			avail = l->anon_qty;
		} else {
			const struct ps_book_order *o = &b->orders->pool[l->head];
			maker = o->id;
			avail = o->qty;
		}
		n = qty < avail ? qty : avail;
		ev = (struct ps_match_event){
			.type = PS_MATCH_EV_EXECUTE,
			.id = maker,
			.taker_id = taker_id,
			.match_number = m->next_match++,
			.price = l->price,
			.qty = n,
			.leaves = avail - n,
			.instrument = b->instrument,
			.side = (uint8_t)opp,
		};
		/* Never fails: the order (or the anonymous size) is there with avail >= n. */
		ps_book_execute(b, maker, n, opp, ev.price);
		m->stats.executions++;
		m->stats.executed_qty += n;
		qty -= n;
		m->fn(m->ctx, &ev);
	}
	return qty;
}

static int64_t place(struct ps_match *m, struct ps_book *b, uint64_t id, enum ps_side side,
		     int64_t price, uint32_t qty, enum ps_tif tif)
{
	uint32_t left = sweep(m, b, id, side, price, qty);
	bool rest = left && tif == PS_TIF_DAY;
	struct ps_match_event ev = {
		.type = PS_MATCH_EV_DONE,
		.id = id,
		.price = price,
		.qty = qty,
		.leaves = left,
		.instrument = b->instrument,
		.side = (uint8_t)side,
		.rests = rest,
	};
	int rc = 0;

	if (rest) {
		rc = ps_book_add(b, id, side, price, left);
		if (rc && rc != PS_ECROSSED) {
			ev.rests = false;
			m->stats.rejects++;
		}
	}
	m->fn(m->ctx, &ev);
	if (ev.rests) {
		ev.type = PS_MATCH_EV_ADD;
		ev.qty = left;
		m->fn(m->ctx, &ev);
	}
	if (rc && rc != PS_ECROSSED)
		return rc;
	return (int64_t)(qty - left);
}

int64_t ps_match_order(struct ps_match *m, uint32_t instrument, uint64_t id, enum ps_side side,
		       int64_t price, uint32_t qty, enum ps_tif tif)
{
	struct ps_book *b;

	if (instrument >= m->books->book_count) {
		m->stats.rejects++;
		return PS_ENOTFOUND;
	}
	b = &m->books->books[instrument];
	/* Id 0 names anonymous size in EXECUTE events; a DAY order must be able to rest. */
	if (qty == 0 || id == 0 || (unsigned)side > PS_SIDE_SELL ||
	    (tif == PS_TIF_DAY &&
	     (price == PS_MATCH_MARKET_BUY || price <= 0 || !ps_book_price_ok(price)))) {
		m->stats.rejects++;
		return -EINVAL;
	}
	/* Live in any book of the set: ps_book_add would refuse it after the fills. */
	if (ps_book_id_live(b, id)) {
		m->stats.rejects++;
		return PS_EDUPLICATE;
	}
	m->stats.orders++;
	return place(m, b, id, side, price, qty, tif);
}

int64_t ps_match_cancel(struct ps_match *m, uint32_t instrument, uint64_t id, uint32_t remaining)
{
	const struct ps_book_order *o;
	struct ps_book *b;
	struct ps_match_event ev;

	if (instrument >= m->books->book_count ||
	    !(o = ps_book_order_get(&m->books->books[instrument], id))) {
		m->stats.rejects++;
		return PS_ENOTFOUND;
	}
	b = &m->books->books[instrument];
	if (remaining >= o->qty)
		return 0;
	ev = (struct ps_match_event){
		.type = remaining ? PS_MATCH_EV_CANCEL : PS_MATCH_EV_DELETE,
		.id = id,
		.price = b->side[o->side].levels[o->level].price,
		.qty = o->qty - remaining,
		.leaves = remaining,
		.instrument = instrument,
		.side = o->side,
	};
	if (remaining)
		ps_book_cancel(b, id, ev.qty, (enum ps_side)ev.side, ev.price);
	else
		ps_book_delete(b, id, (enum ps_side)ev.side, ev.price, ev.qty);
	m->stats.cancels++;
	m->fn(m->ctx, &ev);
	return ev.qty;
}

int64_t ps_match_replace(struct ps_match *m, uint32_t instrument, uint64_t id, uint64_t new_id,
			 int64_t price, uint32_t qty)
{
	const struct ps_book_order *o;
	struct ps_book *b;
	struct ps_match_event ev, del;
	enum ps_side side, opp;
	const struct ps_book_level *best;

	if (instrument >= m->books->book_count ||
	    !(o = ps_book_order_get(&m->books->books[instrument], id))) {
		m->stats.rejects++;
		return PS_ENOTFOUND;
	}
	b = &m->books->books[instrument];
	if (qty == 0 || price <= 0 || price == PS_MATCH_MARKET_BUY || !ps_book_price_ok(price) ||
	    new_id == 0 || new_id == id) {
		m->stats.rejects++;
		return -EINVAL;
	}
	if (ps_book_id_live(b, new_id)) {
		m->stats.rejects++;
		return PS_EDUPLICATE;
	}
	side = (enum ps_side)o->side;
	opp = side == PS_SIDE_BUY ? PS_SIDE_SELL : PS_SIDE_BUY;
	m->stats.replaces++;
	/* The old order's end, if it leaves the book without a REPLACE. */
	del = (struct ps_match_event){
		.type = PS_MATCH_EV_DELETE,
		.id = id,
		.price = b->side[side].levels[o->level].price,
		.qty = o->qty,
		.instrument = instrument,
		.side = (uint8_t)side,
	};
	best = ps_book_best(b, opp);
	if (best && crosses(side, price, best->price)) {
		/* Marketable replacement: the old order leaves the book and the
		 * new one matches as a fresh order. */
		ps_book_delete(b, id, side, del.price, del.qty);
		m->fn(m->ctx, &del);
		return place(m, b, new_id, side, price, qty, PS_TIF_DAY);
	}
	ev = (struct ps_match_event){
		.type = PS_MATCH_EV_REPLACE,
		.id = id,
		.new_id = new_id,
		.price = price,
		.qty = qty,
		.leaves = qty,
		.instrument = instrument,
		.side = (uint8_t)side,
	};
	int rc = ps_book_replace(b, id, new_id, price, qty);
	if (rc && rc != PS_ECROSSED) {
		m->stats.rejects++;
		/* No level for the new price: the book dropped the old order and
		 * could not rest the new one. Its owner must hear that it ended. */
		if (rc == PS_EFULL)
			m->fn(m->ctx, &del);
		return rc;
	}
	m->fn(m->ctx, &ev);
	return 0;
}

int64_t ps_match_aggress(struct ps_match *m, uint32_t instrument, uint64_t taker_id,
			 enum ps_side resting_side, int64_t price, uint32_t qty)
{
	enum ps_side side = resting_side == PS_SIDE_BUY ? PS_SIDE_SELL : PS_SIDE_BUY;

	if (instrument >= m->books->book_count || qty == 0) {
		m->stats.rejects++;
		return instrument >= m->books->book_count ? PS_ENOTFOUND : -EINVAL;
	}
	return (int64_t)qty - sweep(m, &m->books->books[instrument], taker_id, side, price, qty);
}
