/*
 * The venue's matching engine against a reference model. Every 8 input bytes
 * are one request (a new order, DAY or IOC, limit or market; a cancel down to
 * some shares; a replace; a replayed aggressor; anonymous size seeded at a
 * price) on a small book set (2 books, 24 orders, 5 levels per side, so the
 * tables fill), with ids from a small range (so they collide, and 0, which
 * EXECUTE events use for anonymous size, comes up).
 *
 * The model is the plain statement of price-time priority: a list of resting
 * orders with a time stamp each, anonymous size first at its price, every
 * search a linear scan. For each request the engine's return value and its
 * events (type, ids, match number, price, qty, leaves, side, rests) must be
 * the model's, one for one, and afterwards every book must hold exactly the
 * model's levels and orders (ps_book_validate as well). Any difference
 * aborts with the request that caused it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ps/err.h>
#include <ps/venue_match.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BOOKS      2
#define MAX_ORDERS 24
#define MAX_LEVELS 5
#define MAX_EVENTS 256

/* ---- the model ------------------------------------------------------------------- */

struct m_order {
	uint64_t id; /* 0 for anonymous size */
	uint64_t seq;
	int64_t price;
	uint32_t qty;
	uint32_t instrument;
	uint8_t side;
	bool live;
};

struct model {
	struct m_order o[MAX_ORDERS + BOOKS * 2 * MAX_LEVELS]; /* known orders and anon size */
	uint64_t seq;
	uint64_t next_match;
	struct ps_match_event ev[MAX_EVENTS];
	unsigned n;
};

static void m_emit(struct model *m, const struct ps_match_event *ev)
{
	if (m->n >= MAX_EVENTS)
		abort();
	m->ev[m->n++] = *ev;
}

static unsigned m_known(const struct model *m)
{
	unsigned n = 0;

	for (size_t i = 0; i < PS_ARRAY_SIZE(m->o); i++)
		n += m->o[i].live && m->o[i].id;
	return n;
}

/* The live known order with this id in any book (the order table is shared). */
static struct m_order *m_find(struct model *m, uint64_t id)
{
	for (size_t i = 0; id && i < PS_ARRAY_SIZE(m->o); i++)
		if (m->o[i].live && m->o[i].id == id)
			return &m->o[i];
	return NULL;
}

static bool m_level(const struct model *m, uint32_t b, unsigned side, int64_t price)
{
	for (size_t i = 0; i < PS_ARRAY_SIZE(m->o); i++)
		if (m->o[i].live && m->o[i].instrument == b && m->o[i].side == side &&
		    m->o[i].price == price)
			return true;
	return false;
}

static unsigned m_levels(const struct model *m, uint32_t b, unsigned side)
{
	unsigned n = 0;

	for (size_t i = 0; i < PS_ARRAY_SIZE(m->o); i++) {
		const struct m_order *o = &m->o[i];
		bool first = o->live && o->instrument == b && o->side == side;

		for (size_t j = 0; first && j < i; j++)
			if (m->o[j].live && m->o[j].instrument == b && m->o[j].side == side &&
			    m->o[j].price == o->price)
				first = false;
		n += first;
	}
	return n;
}

static bool better(unsigned side, int64_t a, int64_t b)
{
	return side == PS_SIDE_BUY ? a > b : a < b;
}

/* The order to fill first on a side: best price, anonymous size, oldest. */
static struct m_order *m_head(struct model *m, uint32_t b, unsigned side)
{
	struct m_order *h = NULL;

	for (size_t i = 0; i < PS_ARRAY_SIZE(m->o); i++) {
		struct m_order *o = &m->o[i];

		if (!o->live || o->instrument != b || o->side != side)
			continue;
		if (!h || better(side, o->price, h->price) ||
		    (o->price == h->price && (!o->id || (h->id && o->seq < h->seq))))
			h = o;
	}
	return h;
}

static struct m_order *m_slot(struct model *m)
{
	for (size_t i = 0; i < PS_ARRAY_SIZE(m->o); i++)
		if (!m->o[i].live)
			return &m->o[i];
	abort(); /* sized for every order and anonymous level there can be */
}

static bool crosses(unsigned side, int64_t limit, int64_t resting)
{
	return side == PS_SIDE_BUY ? resting <= limit : resting >= limit;
}

static bool price_ok(int64_t p)
{
	return p > -PS_BOOK_PRICE_LIMIT && p < PS_BOOK_PRICE_LIMIT;
}

static uint32_t m_sweep(struct model *m, uint32_t b, uint64_t taker, unsigned side, int64_t limit,
			uint32_t qty)
{
	unsigned opp = side == PS_SIDE_BUY ? PS_SIDE_SELL : PS_SIDE_BUY;

	while (qty) {
		struct m_order *h = m_head(m, b, opp);

		if (!h || !crosses(side, limit, h->price))
			break;
		uint32_t n = qty < h->qty ? qty : h->qty;
		struct ps_match_event ev = {
			.type = PS_MATCH_EV_EXECUTE,
			.id = h->id,
			.taker_id = taker,
			.match_number = m->next_match++,
			.price = h->price,
			.qty = n,
			.leaves = h->qty - n,
			.instrument = b,
			.side = (uint8_t)opp,
		};
		h->qty -= n;
		h->live = h->qty > 0;
		qty -= n;
		m_emit(m, &ev);
	}
	return qty;
}

/* Rest qty of id at price (the checks ps_book_add makes that can fail here). */
static int m_rest(struct model *m, uint32_t b, uint64_t id, unsigned side, int64_t price,
		  uint32_t qty)
{
	if (m_find(m, id))
		return PS_EDUPLICATE;
	if (m_known(m) >= MAX_ORDERS ||
	    (!m_level(m, b, side, price) && m_levels(m, b, side) >= MAX_LEVELS))
		return PS_EFULL;
	*m_slot(m) = (struct m_order){ .id = id,
				       .seq = ++m->seq,
				       .price = price,
				       .qty = qty,
				       .instrument = b,
				       .side = (uint8_t)side,
				       .live = true };
	return 0;
}

static int64_t m_place(struct model *m, uint32_t b, uint64_t id, unsigned side, int64_t price,
		       uint32_t qty, bool day)
{
	uint32_t left = m_sweep(m, b, id, side, price, qty);
	int rc = left && day ? m_rest(m, b, id, side, price, left) : 0;
	struct ps_match_event ev = {
		.type = PS_MATCH_EV_DONE,
		.id = id,
		.price = price,
		.qty = qty,
		.leaves = left,
		.instrument = b,
		.side = (uint8_t)side,
		.rests = left && day && rc == 0,
	};

	m_emit(m, &ev);
	if (ev.rests) {
		ev.type = PS_MATCH_EV_ADD;
		ev.qty = left;
		m_emit(m, &ev);
	}
	return rc ? rc : (int64_t)(qty - left);
}

static int64_t m_order(struct model *m, uint32_t b, uint64_t id, unsigned side, int64_t price,
		       uint32_t qty, bool day)
{
	if (b >= BOOKS)
		return PS_ENOTFOUND;
	if (qty == 0 || side > PS_SIDE_SELL || id == 0 ||
	    (day && (price == PS_MATCH_MARKET_BUY || price <= 0 || !price_ok(price))))
		return -EINVAL;
	if (m_find(m, id))
		return PS_EDUPLICATE;
	return m_place(m, b, id, side, price, qty, day);
}

static int64_t m_cancel(struct model *m, uint32_t b, uint64_t id, uint32_t remaining)
{
	struct m_order *o = m_find(m, id);

	if (b >= BOOKS || !o || o->instrument != b)
		return PS_ENOTFOUND;
	if (remaining >= o->qty)
		return 0;
	struct ps_match_event ev = {
		.type = remaining ? PS_MATCH_EV_CANCEL : PS_MATCH_EV_DELETE,
		.id = id,
		.price = o->price,
		.qty = o->qty - remaining,
		.leaves = remaining,
		.instrument = b,
		.side = o->side,
	};
	o->qty = remaining;
	o->live = remaining > 0;
	m_emit(m, &ev);
	return ev.qty;
}

static int64_t m_replace(struct model *m, uint32_t b, uint64_t id, uint64_t new_id, int64_t price,
			 uint32_t qty)
{
	struct m_order *o = m_find(m, id);

	if (b >= BOOKS || !o || o->instrument != b)
		return PS_ENOTFOUND;
	if (qty == 0 || price <= 0 || price == PS_MATCH_MARKET_BUY || !price_ok(price) ||
	    new_id == 0 || new_id == id)
		return -EINVAL;
	if (m_find(m, new_id))
		return PS_EDUPLICATE;
	unsigned side = o->side, opp = side == PS_SIDE_BUY ? PS_SIDE_SELL : PS_SIDE_BUY;
	struct m_order *best = m_head(m, b, opp);
	struct ps_match_event del = {
		.type = PS_MATCH_EV_DELETE,
		.id = id,
		.price = o->price,
		.qty = o->qty,
		.instrument = b,
		.side = (uint8_t)side,
	};

	if (best && crosses(side, price, best->price)) {
		o->live = false;
		m_emit(m, &del);
		return m_place(m, b, new_id, side, price, qty, true);
	}
	/* The new price needs a level while the old one still holds its own. */
	if (!m_level(m, b, side, price) && m_levels(m, b, side) >= MAX_LEVELS) {
		o->live = false;
		m_emit(m, &del);
		return PS_EFULL;
	}
	struct ps_match_event ev = {
		.type = PS_MATCH_EV_REPLACE,
		.id = id,
		.new_id = new_id,
		.price = price,
		.qty = qty,
		.leaves = qty,
		.instrument = b,
		.side = (uint8_t)side,
	};
	o->id = new_id;
	o->price = price;
	o->qty = qty;
	o->seq = ++m->seq;
	m_emit(m, &ev);
	return 0;
}

static int64_t m_aggress(struct model *m, uint32_t b, uint64_t taker, unsigned resting_side,
			 int64_t price, uint32_t qty)
{
	if (b >= BOOKS)
		return PS_ENOTFOUND;
	if (qty == 0)
		return -EINVAL;
	unsigned side = resting_side == PS_SIDE_BUY ? PS_SIDE_SELL : PS_SIDE_BUY;
	return (int64_t)qty - m_sweep(m, b, taker, side, price, qty);
}

/* ---- the engine under test ------------------------------------------------------- */

struct run {
	struct ps_match_event ev[MAX_EVENTS];
	unsigned n;
};

static void record(void *ctx, const struct ps_match_event *ev)
{
	struct run *r = ctx;

	if (r->n >= MAX_EVENTS)
		abort();
	r->ev[r->n++] = *ev;
}

static void fail(size_t req, const char *what)
{
	fprintf(stderr, "fuzz_venue_match: request %zu: %s\n", req, what);
	abort();
}

static void compare_events(size_t req, const struct run *r, const struct model *m)
{
	if (r->n != m->n)
		fail(req, "event count differs from the model's");
	for (unsigned i = 0; i < r->n; i++) {
		const struct ps_match_event *a = &r->ev[i], *e = &m->ev[i];

		if (a->type != e->type || a->id != e->id || a->new_id != e->new_id ||
		    a->taker_id != e->taker_id || a->match_number != e->match_number ||
		    a->price != e->price || a->qty != e->qty || a->leaves != e->leaves ||
		    a->instrument != e->instrument || a->side != e->side || a->rests != e->rests)
			fail(req, "an event differs from the model's");
	}
}

/* Every level of every book as the model has it, sizes and FIFO order. */
static void compare_books(size_t req, struct ps_book_set *set, struct model *m)
{
	for (uint32_t b = 0; b < BOOKS; b++) {
		struct ps_book *bk = &set->books[b];

		if (ps_book_validate(bk) != 0)
			fail(req, "ps_book_validate failed");
		for (unsigned side = 0; side < 2; side++) {
			if (ps_book_depth(bk, (enum ps_side)side) != m_levels(m, b, side))
				fail(req, "level count differs");
			for (size_t i = 0; i < PS_ARRAY_SIZE(m->o); i++) {
				const struct m_order *o = &m->o[i];

				if (!o->live || o->instrument != b || o->side != side)
					continue;
				const struct ps_book_level *l =
				    ps_book_level_at(bk, (enum ps_side)side, o->price);
				if (!l)
					fail(req, "a level of the model is missing");
				if (!o->id) {
					if (l->anon_qty != o->qty)
						fail(req, "anonymous size differs");
					continue;
				}
				const struct ps_book_order *bo = ps_book_order_get(bk, o->id);
				if (!bo || bo->qty != o->qty || bo->side != side ||
				    bk->side[side].levels[bo->level].price != o->price)
					fail(req, "an order differs");
				/* FIFO: the orders ahead of it are the model's older ones. */
				uint32_t ahead = 0, older = 0;
				for (uint32_t k = bo->prev; k != PS_BOOK_NIL;
				     k = set->orders.pool[k].prev)
					ahead++;
				for (size_t j = 0; j < PS_ARRAY_SIZE(m->o); j++)
					older += m->o[j].live && m->o[j].id &&
						 m->o[j].instrument == b && m->o[j].side == side &&
						 m->o[j].price == o->price && m->o[j].seq < o->seq;
				if (ahead != older)
					fail(req, "time priority differs");
			}
		}
	}
}

static int64_t price_of(uint8_t sel, uint8_t v)
{
	switch (sel) {
	case 0:
		return PS_MATCH_MARKET_BUY;
	case 1:
		return 0;
	case 2:
		return -(int64_t)v;
	case 3:
		return PS_BOOK_PRICE_LIMIT + v;
	default:
		return 100 + (int64_t)(v % 8); /* a narrow band: levels collide */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ps_book_set *set;
	static struct model m;
	static struct run r;
	static struct ps_match match;
	struct ps_book_config cfg = { .instrument_count = BOOKS,
				      .max_orders = MAX_ORDERS,
				      .max_levels = MAX_LEVELS };

	if (!set && ps_book_set_create(&set, &cfg) != 0)
		abort();
	for (uint32_t b = 0; b < BOOKS; b++)
		ps_book_clear(&set->books[b]);
	memset(&m, 0, sizeof(m));
	m.next_match = 1;
	if (ps_match_init(&match, set, record, &r) != 0)
		abort();

	for (size_t off = 0, req = 0; off + 8 <= size; off += 8, req++) {
		const uint8_t *p = data + off;
		uint32_t b = (uint32_t)(p[1] % 3); /* 2 is outside the set */
		unsigned side = (p[1] >> 2) & 1;
		uint64_t id = p[2] % 32, new_id = p[3] % 32;
		uint8_t sel = p[4] >> 5;
		int64_t price = price_of(sel, p[4]);
		uint32_t qty = (uint32_t)(p[5] % 8) * 25 + (p[6] & 1 ? 0 : p[6] % 3);
		int64_t got = 0, want = 0;

		r.n = 0;
		m.n = 0;
		switch (p[0] % 6) {
		case 0:
		case 1: { /* a new order; IOC with a market price sometimes */
			bool day = !(p[7] & 1);

			if (!day && sel == 1)
				price = side == PS_SIDE_BUY ? PS_MATCH_MARKET_BUY
							    : PS_MATCH_MARKET_SELL;
			if (p[7] & 0x80)
				side = 2 + (p[7] & 1); /* invalid */
			want = m_order(&m, b, id, side, price, qty, day);
			got = ps_match_order(&match, b, id, (enum ps_side)side, price, qty,
					     day ? PS_TIF_DAY : PS_TIF_IOC);
			break;
		}
		case 2:
			want = m_cancel(&m, b, id, qty);
			got = ps_match_cancel(&match, b, id, qty);
			break;
		case 3:
			want = m_replace(&m, b, id, new_id, price, qty);
			got = ps_match_replace(&match, b, id, new_id, price, qty);
			break;
		case 4: /* a replayed execution: aggressor ids are the venue's, never resting */
			want = m_aggress(&m, b, 1000 + id, side, price, qty);
			got =
			    ps_match_aggress(&match, b, 1000 + id, (enum ps_side)side, price, qty);
			break;
		case 5: { /* anonymous size where it does not cross (a seeded book) */
			unsigned opp = side == PS_SIDE_BUY ? PS_SIDE_SELL : PS_SIDE_BUY;
			struct m_order *best = m_head(&m, b, opp);

			if (b >= BOOKS || sel < 4 || qty == 0 ||
			    (best && crosses(side, price, best->price)))
				break;
			bool fits =
			    m_level(&m, b, side, price) || m_levels(&m, b, side) < MAX_LEVELS;
			struct m_order *a = NULL;

			for (size_t i = 0; i < PS_ARRAY_SIZE(m.o); i++)
				if (m.o[i].live && !m.o[i].id && m.o[i].instrument == b &&
				    m.o[i].side == side && m.o[i].price == price)
					a = &m.o[i];
			want = fits ? 0 : PS_EFULL;
			if (fits && a) {
				a->qty += qty;
			} else if (fits) {
				*m_slot(&m) = (struct m_order){ .price = price,
								.qty = qty,
								.instrument = b,
								.side = (uint8_t)side,
								.live = true };
			}
			got = ps_book_add_anonymous(&set->books[b], (enum ps_side)side, price, qty);
			break;
		}
		}
		if (got != want) {
			fprintf(stderr, "request %zu (op %u): returned %lld, the model %lld\n", req,
				p[0] % 6, (long long)got, (long long)want);
			fail(req, "return value differs from the model's");
		}
		compare_events(req, &r, &m);
		compare_books(req, set, &m);
	}
	return 0;
}
