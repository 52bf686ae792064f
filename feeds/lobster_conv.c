/*
 * LOBSTER -> ITCH 5.0 converter. See <ps/lobster.h> for the mapping.
 *
 * The converter keeps the book an ITCH consumer would build from its output:
 * per side, the price levels sorted best first, each with its known orders
 * in time order (an intrusive list through a pool of orders with stable
 * index handles; a hash from order id to pool index, linear probing with
 * backward-shift deletion) and at most one synthetic order carrying the
 * level's anonymous size (seeded from row 0 or refilled).
 *
 * After each message the view is reconciled with orderbook row k, so that
 * the consumer's book is exactly the row's top N:
 *  - a level the row does not show (pushed beyond depth N, or emptied) is
 *    deleted from the output book: a level-N file says nothing about what
 *    happens beyond depth N, so a remembered level would go stale; its known
 *    orders are deleted (Order Delete), and a later message naming one of
 *    them is served from the anonymous size of its price level;
 *  - a row level the view does not know came into view: synthetic add of
 *    the row's size (a refill, the data README's rule 4);
 *  - a level the view knows with a size other than the row's is a mismatch:
 *    counted (the README's rules give none on the AMZN samples) and set to
 *    the row's size (synthetic order grown by Order Replace or a new add,
 *    or shrunk, then the newest known orders cancelled), so the output
 *    stays consistent.
 * This is the one-step rule of the README (the view never holds more than
 * row k-1 plus message k), so the refill count can be compared with its
 * figures.
 */
#include <errno.h>
#include <string.h>

#include <ps/alloc.h>
#include <ps/itch.h>
#include <ps/lobster.h>

#define NIL UINT32_MAX

struct conv_order {
	uint64_t id;
	int64_t price;
	uint32_t left;
	uint32_t prev; /* towards the level's head (older) */
	uint32_t next; /* towards the tail (newer); free-list link when free */
	uint8_t side;
};

struct conv_level {
	int64_t price;
	uint64_t qty;      /* synth_left + the known orders' left */
	uint64_t synth_id; /* synthetic order, 0 if none */
	uint32_t synth_left;
	uint32_t head; /* oldest known order, NIL if none */
	uint32_t tail; /* newest */
};

struct conv_side {
	struct conv_level *lv; /* best first */
	uint32_t count;
	uint32_t cap;
};

struct ps_lobster_conv {
	struct ps_lobster_conv_cfg cfg;
	ps_lobster_emit_fn emit;
	void *ctx;
	struct conv_order *pool;
	uint32_t pool_cap;
	uint32_t pool_used; /* high-water mark */
	uint32_t free_head;
	uint32_t *slots; /* pool index or NIL */
	uint64_t mask;   /* slot count - 1 */
	uint64_t live;
	struct conv_side side[2]; /* PS_SIDE_BUY, PS_SIDE_SELL */
	uint64_t next_synth;
	uint64_t next_match;
	uint64_t last_ts;
	struct ps_lobster_conv_stats st;
};

/* ---- order pool and id map --------------------------------------------- */

static uint64_t home_of(const struct ps_lobster_conv *c, uint64_t id)
{
	return (id * 0x9E3779B97F4A7C15ull) >> 24 & c->mask;
}

static uint32_t order_find(const struct ps_lobster_conv *c, uint64_t id)
{
	for (uint64_t i = home_of(c, id);; i = (i + 1) & c->mask) {
		uint32_t o = c->slots[i];

		if (o == NIL || c->pool[o].id == id)
			return o;
	}
}

static void slot_put(struct ps_lobster_conv *c, uint32_t o)
{
	uint64_t i;

	for (i = home_of(c, c->pool[o].id); c->slots[i] != NIL; i = (i + 1) & c->mask)
		;
	c->slots[i] = o;
}

static int map_grow(struct ps_lobster_conv *c)
{
	uint64_t n = (c->mask + 1) * 2;
	uint32_t *old = c->slots;
	uint64_t old_n = c->mask + 1;

	c->slots = ps_alloc(n * sizeof(*c->slots));
	if (!c->slots) {
		c->slots = old;
		return -ENOMEM;
	}
	memset(c->slots, 0xFF, n * sizeof(*c->slots));
	c->mask = n - 1;
	for (uint64_t i = 0; i < old_n; i++)
		if (old[i] != NIL)
			slot_put(c, old[i]);
	ps_free(old);
	return 0;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void slot_remove(struct ps_lobster_conv *c, uint64_t id)
{
	uint64_t i = home_of(c, id), j;

	while (c->pool[c->slots[i]].id != id)
		i = (i + 1) & c->mask;
	c->slots[i] = NIL;
	for (j = i;;) {
		uint64_t home;

		j = (j + 1) & c->mask;
		if (c->slots[j] == NIL)
			break;
		home = home_of(c, c->pool[c->slots[j]].id);
		/* move j back to i when its home is not cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			c->slots[i] = c->slots[j];
			c->slots[j] = NIL;
			i = j;
		}
	}
}

static int order_alloc(struct ps_lobster_conv *c, uint32_t *out)
{
	if (c->free_head != NIL) {
		*out = c->free_head;
		c->free_head = c->pool[*out].next;
		return 0;
	}
	if (c->pool_used == c->pool_cap) {
		uint32_t cap = c->pool_cap ? c->pool_cap * 2 : 4096;
		struct conv_order *p = ps_realloc(c->pool, (size_t)cap * sizeof(*p));

		if (!p || cap >= NIL)
			return -ENOMEM;
		c->pool = p;
		c->pool_cap = cap;
	}
	*out = c->pool_used++;
	return 0;
}

/* ---- levels ------------------------------------------------------------- */

/* true when price a is better than b on side s */
static bool better(unsigned s, int64_t a, int64_t b)
{
	return s == PS_SIDE_BUY ? a > b : a < b;
}

/* Index of price, or of where it would go (*found false). */
static uint32_t level_pos(const struct conv_side *sd, unsigned s, int64_t price, bool *found)
{
	uint32_t lo = 0, hi = sd->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (better(s, sd->lv[mid].price, price))
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < sd->count && sd->lv[lo].price == price;
	return lo;
}

static struct conv_level *level_find(struct ps_lobster_conv *c, unsigned s, int64_t price)
{
	bool found;
	uint32_t i = level_pos(&c->side[s], s, price, &found);

	return found ? &c->side[s].lv[i] : NULL;
}

static struct conv_level *level_get(struct ps_lobster_conv *c, unsigned s, int64_t price)
{
	struct conv_side *sd = &c->side[s];
	bool found;
	uint32_t i = level_pos(sd, s, price, &found);

	if (found)
		return &sd->lv[i];
	if (sd->count == sd->cap) {
		uint32_t cap = sd->cap ? sd->cap * 2 : 256;
		struct conv_level *lv = ps_realloc(sd->lv, (size_t)cap * sizeof(*lv));

		if (!lv)
			return NULL;
		sd->lv = lv;
		sd->cap = cap;
	}
	memmove(&sd->lv[i + 1], &sd->lv[i], (size_t)(sd->count - i) * sizeof(*sd->lv));
	memset(&sd->lv[i], 0, sizeof(sd->lv[i]));
	sd->lv[i].price = price;
	sd->lv[i].head = NIL;
	sd->lv[i].tail = NIL;
	sd->count++;
	return &sd->lv[i];
}

/* Drop a level that holds nothing any more. */
static void level_drop_if_empty(struct ps_lobster_conv *c, unsigned s, int64_t price)
{
	struct conv_side *sd = &c->side[s];
	bool found;
	uint32_t i = level_pos(sd, s, price, &found);

	if (!found || sd->lv[i].qty != 0 || sd->lv[i].head != NIL || sd->lv[i].synth_left)
		return;
	memmove(&sd->lv[i], &sd->lv[i + 1], (size_t)(sd->count - i - 1) * sizeof(*sd->lv));
	sd->count--;
}

/* ---- ITCH output -------------------------------------------------------- */

static void head(const struct ps_lobster_conv *c, struct ps_itch_msg *m, uint8_t type, uint64_t ts)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->stock_locate = c->cfg.stock_locate;
	m->timestamp = ts;
}

static int put(struct ps_lobster_conv *c, const struct ps_itch_msg *m)
{
	uint8_t buf[PS_ITCH_MAX_LEN];
	int n = ps_itch_msg_encode(buf, sizeof(buf), m);

	if (n < 0)
		return n;
	c->st.itch_msgs++;
	return c->emit(c->ctx, buf, (size_t)n);
}

static int put_system(struct ps_lobster_conv *c, char code, uint64_t ts)
{
	struct ps_itch_msg m;

	head(c, &m, 'S', ts);
	m.stock_locate = 0;
	m.u.system_event.event_code = code;
	return put(c, &m);
}

static int put_add(struct ps_lobster_conv *c, uint64_t id, unsigned s, uint32_t qty, int64_t price,
		   uint64_t ts)
{
	struct ps_itch_msg m;

	head(c, &m, 'A', ts);
	m.u.add_order.order_reference_number = id;
	m.u.add_order.buy_sell_indicator = s == PS_SIDE_BUY ? 'B' : 'S';
	m.u.add_order.shares = qty;
	memcpy(m.u.add_order.stock, c->cfg.stock, 8);
	m.u.add_order.price = price;
	return put(c, &m);
}

/* E for an execution; else X when part of the order remains, D when all goes. */
static int put_reduce(struct ps_lobster_conv *c, uint64_t id, uint32_t qty, bool all, bool exec,
		      uint64_t ts)
{
	struct ps_itch_msg m;

	if (exec) {
		head(c, &m, 'E', ts);
		m.u.order_executed.order_reference_number = id;
		m.u.order_executed.executed_shares = qty;
		m.u.order_executed.match_number = c->next_match++;
	} else if (all) {
		head(c, &m, 'D', ts);
		m.u.order_delete.order_reference_number = id;
	} else {
		head(c, &m, 'X', ts);
		m.u.order_cancel.order_reference_number = id;
		m.u.order_cancel.canceled_shares = qty;
	}
	return put(c, &m);
}

/* ---- book operations that emit ------------------------------------------ */

/* A new known order at the tail of its level. */
static int order_add(struct ps_lobster_conv *c, uint64_t id, unsigned s, int64_t price,
		     uint32_t qty, uint64_t ts)
{
	struct conv_level *l;
	struct conv_order *o;
	uint32_t oi;
	int rc;

	if ((c->live + 1) * 2 > c->mask + 1 && (rc = map_grow(c)) < 0)
		return rc;
	if ((rc = order_alloc(c, &oi)) < 0)
		return rc;
	l = level_get(c, s, price);
	if (!l) {
		c->pool[oi].next = c->free_head;
		c->free_head = oi;
		return -ENOMEM;
	}
	o = &c->pool[oi];
	o->id = id;
	o->price = price;
	o->left = qty;
	o->side = (uint8_t)s;
	o->next = NIL;
	o->prev = l->tail;
	if (l->tail != NIL)
		c->pool[l->tail].next = oi;
	else
		l->head = oi;
	l->tail = oi;
	l->qty += qty;
	slot_put(c, oi);
	c->live++;
	return put_add(c, id, s, qty, price, ts);
}

/* Take q shares off known order oi (all when q == left: unlinked and freed). */
static int order_reduce(struct ps_lobster_conv *c, uint32_t oi, uint32_t q, bool exec, uint64_t ts)
{
	struct conv_order *o = &c->pool[oi];
	struct conv_level *l = level_find(c, o->side, o->price);
	bool all = q >= o->left;
	unsigned s = o->side;
	int64_t price = o->price;
	int rc;

	if (all)
		q = o->left;
	rc = put_reduce(c, o->id, q, all, exec, ts);
	o->left -= q;
	if (l)
		l->qty -= q;
	if (all) {
		if (l) {
			if (o->prev != NIL)
				c->pool[o->prev].next = o->next;
			else
				l->head = o->next;
			if (o->next != NIL)
				c->pool[o->next].prev = o->prev;
			else
				l->tail = o->prev;
		}
		slot_remove(c, o->id);
		o->id = 0;
		o->next = c->free_head;
		c->free_head = oi;
		c->live--;
		level_drop_if_empty(c, s, price);
	}
	return rc;
}

/* Take up to q shares off the synthetic order of a level; *taken says how many. */
static int synth_reduce(struct ps_lobster_conv *c, unsigned s, int64_t price, uint32_t q, bool exec,
			uint64_t ts, uint32_t *taken)
{
	struct conv_level *l = level_find(c, s, price);
	uint64_t id;
	bool all;
	int rc;

	*taken = 0;
	if (!l || !l->synth_left)
		return 0;
	q = PS_MIN(q, l->synth_left);
	all = q == l->synth_left;
	id = l->synth_id;
	l->synth_left -= q;
	l->qty -= q;
	if (all)
		l->synth_id = 0;
	*taken = q;
	rc = put_reduce(c, id, q, all, exec, ts);
	level_drop_if_empty(c, s, price);
	return rc;
}

/* Grow a level's anonymous size by q: a new synthetic add, or an Order
 * Replace of the existing synthetic order with the larger size. */
static int synth_grow(struct ps_lobster_conv *c, unsigned s, int64_t price, uint32_t q, uint64_t ts)
{
	struct conv_level *l = level_get(c, s, price);
	struct ps_itch_msg m;
	uint64_t id = c->next_synth++;

	if (!l)
		return -ENOMEM;
	l->qty += q;
	if (!l->synth_id) {
		l->synth_id = id;
		l->synth_left = q;
		return put_add(c, id, s, q, price, ts);
	}
	head(c, &m, 'U', ts);
	m.u.order_replace.original_order_reference_number = l->synth_id;
	m.u.order_replace.new_order_reference_number = id;
	m.u.order_replace.shares = l->synth_left + q;
	m.u.order_replace.price = price;
	l->synth_id = id;
	l->synth_left += q;
	return put(c, &m);
}

/* Shrink a level by q: the synthetic order first, then the newest orders. */
static int level_shrink(struct ps_lobster_conv *c, unsigned s, int64_t price, uint64_t q,
			uint64_t ts)
{
	uint32_t taken;
	int rc = synth_reduce(c, s, price, (uint32_t)PS_MIN(q, UINT32_MAX), false, ts, &taken);

	q -= taken;
	while (rc == 0 && q > 0) {
		struct conv_level *l = level_find(c, s, price);
		uint32_t oi, d;

		if (!l || l->tail == NIL)
			break;
		oi = l->tail;
		d = (uint32_t)PS_MIN(q, c->pool[oi].left);
		q -= d;
		rc = order_reduce(c, oi, d, false, ts);
	}
	return rc;
}

/* ---- conversion ----------------------------------------------------------- */

int ps_lobster_conv_create(struct ps_lobster_conv **out, const struct ps_lobster_conv_cfg *cfg,
			   ps_lobster_emit_fn emit, void *ctx)
{
	struct ps_lobster_conv *c;

	*out = NULL;
	if (!cfg || !emit || cfg->levels == 0 || cfg->levels > PS_LOBSTER_MAX_LEVELS)
		return -EINVAL;
	c = ps_calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->emit = emit;
	c->ctx = ctx;
	c->free_head = NIL;
	c->mask = 8192 - 1;
	c->slots = ps_alloc((c->mask + 1) * sizeof(*c->slots));
	if (!c->slots) {
		ps_free(c);
		return -ENOMEM;
	}
	memset(c->slots, 0xFF, (c->mask + 1) * sizeof(*c->slots));
	c->next_synth = cfg->synthetic_id_base ? cfg->synthetic_id_base : 1ull << 40;
	c->next_match = 1;
	*out = c;
	return 0;
}

void ps_lobster_conv_destroy(struct ps_lobster_conv *c)
{
	if (!c)
		return;
	ps_free(c->pool);
	ps_free(c->slots);
	ps_free(c->side[0].lv);
	ps_free(c->side[1].lv);
	ps_free(c);
}

const struct ps_lobster_conv_stats *ps_lobster_conv_stats(const struct ps_lobster_conv *c)
{
	return &c->st;
}

static int prologue(struct ps_lobster_conv *c, uint64_t ts)
{
	struct ps_itch_msg m;
	int rc = put_system(c, 'O', ts);

	if (rc)
		return rc;
	head(c, &m, 'R', ts);
	memcpy(m.u.stock_directory.stock, c->cfg.stock, 8);
	m.u.stock_directory.market_category = 'Q';
	m.u.stock_directory.financial_status_indicator = 'N';
	m.u.stock_directory.round_lot_size = 100;
	m.u.stock_directory.round_lots_only = 'N';
	m.u.stock_directory.issue_classification = 'C';
	memcpy(m.u.stock_directory.issue_sub_type, "Z ", 2);
	m.u.stock_directory.authenticity = 'P';
	m.u.stock_directory.short_sale_threshold_indicator = 'N';
	m.u.stock_directory.ipo_flag = 'N';
	m.u.stock_directory.luld_reference_price_tier = '1';
	m.u.stock_directory.etp_flag = 'N';
	m.u.stock_directory.etp_leverage_factor = 0;
	m.u.stock_directory.inverse_indicator = 'N';
	return put(c, &m);
}

/* Visible levels of one side of a row (empty ones end it). */
static uint32_t row_side(const struct ps_lobster_conv *c, const struct ps_lobster_book_row *b,
			 unsigned s, int64_t *price, uint32_t *size)
{
	uint32_t n = PS_MIN(c->cfg.levels, b->levels), r;

	for (r = 0; r < n; r++) {
		price[r] = s == PS_SIDE_BUY ? b->bid_price[r] : b->ask_price[r];
		size[r] = s == PS_SIDE_BUY ? b->bid_size[r] : b->ask_size[r];
		if (size[r] == 0 ||
		    price[r] == (s == PS_SIDE_BUY ? PS_LOBSTER_EMPTY_BID : PS_LOBSTER_EMPTY_ASK))
			break;
	}
	return r;
}

static bool in_row(const int64_t *price, uint32_t r, int64_t p)
{
	for (uint32_t i = 0; i < r; i++)
		if (price[i] == p)
			return true;
	return false;
}

/* Make the view equal the top N of row b (see the comment at the top). */
static int reconcile(struct ps_lobster_conv *c, const struct ps_lobster_book_row *b, uint64_t ts,
		     bool seed)
{
	bool mismatch = false;

	for (unsigned s = 0; s < 2; s++) {
		int64_t price[PS_LOBSTER_MAX_LEVELS];
		uint32_t size[PS_LOBSTER_MAX_LEVELS];
		uint32_t r = row_side(c, b, s, price, size);
		struct conv_side *sd = &c->side[s];
		int rc;

		/* levels the row does not show: pushed beyond depth N, or emptied */
		for (uint32_t i = 0; i < sd->count;) {
			int64_t p = sd->lv[i].price;

			if (in_row(price, r, p)) {
				i++;
				continue;
			}
			c->st.forgotten++;
			rc = level_shrink(c, s, p, sd->lv[i].qty, ts);
			if (rc)
				return rc;
			if (i < sd->count && sd->lv[i].price == p)
				return -EPROTO; /* could not empty it: a bug */
		}
		for (uint32_t i = 0; i < r; i++) {
			struct conv_level *l = level_find(c, s, price[i]);

			if (!l) {
				rc = synth_grow(c, s, price[i], size[i], ts);
				if (seed)
					c->st.seeds++;
				else
					c->st.refills++;
			} else if (l->qty != size[i]) {
				uint64_t q = l->qty;

				mismatch = true;
				rc = size[i] > q
					 ? synth_grow(c, s, price[i], (uint32_t)(size[i] - q), ts)
					 : level_shrink(c, s, price[i], q - size[i], ts);
			} else {
				rc = 0;
			}
			if (rc)
				return rc;
		}
	}
	if (mismatch)
		c->st.mismatches++;
	return 0;
}

static int apply_msg(struct ps_lobster_conv *c, const struct ps_lobster_msg *m)
{
	unsigned s = m->direction == 1 ? PS_SIDE_BUY : PS_SIDE_SELL;
	uint64_t ts = m->time_ns;
	struct ps_itch_msg im;
	uint32_t oi;

	switch (m->type) {
	case PS_LOBSTER_SUBMIT:
		if (m->order_id == 0 || m->size == 0)
			return PS_ESYNTAX;
		oi = order_find(c, m->order_id);
		if (oi != NIL) { /* id reused: the old order is gone */
			int rc = order_reduce(c, oi, c->pool[oi].left, false, ts);

			if (rc)
				return rc;
		}
		return order_add(c, m->order_id, s, m->price, m->size, ts);
	case PS_LOBSTER_CANCEL:
	case PS_LOBSTER_DELETE:
	case PS_LOBSTER_EXECUTE: {
		bool exec = m->type == PS_LOBSTER_EXECUTE;
		uint32_t taken;

		oi = m->order_id ? order_find(c, m->order_id) : NIL;
		if (oi != NIL)
			return order_reduce(
			    c, oi, m->type == PS_LOBSTER_DELETE ? c->pool[oi].left : m->size, exec,
			    ts);
		/* Rested since before the sample: served from the anonymous size. */
		c->st.unknown_ids++;
		return synth_reduce(c, s, m->price, m->size, exec, ts, &taken);
	}
	case PS_LOBSTER_EXECUTE_HIDDEN:
		head(c, &im, 'P', ts);
		im.u.trade.buy_sell_indicator = s == PS_SIDE_BUY ? 'B' : 'S';
		im.u.trade.shares = m->size;
		memcpy(im.u.trade.stock, c->cfg.stock, 8);
		im.u.trade.price = m->price;
		im.u.trade.match_number = c->next_match++;
		return put(c, &im);
	case PS_LOBSTER_CROSS:
		head(c, &im, 'Q', ts);
		im.u.cross_trade.shares = m->size;
		memcpy(im.u.cross_trade.stock, c->cfg.stock, 8);
		im.u.cross_trade.cross_price = m->price;
		im.u.cross_trade.match_number = c->next_match++;
		im.u.cross_trade.cross_type = 'O';
		return put(c, &im);
	case PS_LOBSTER_HALT:
		head(c, &im, 'H', ts);
		memcpy(im.u.stock_trading_action.stock, c->cfg.stock, 8);
		im.u.stock_trading_action.trading_state = m->price == -1  ? 'H'
							  : m->price == 0 ? 'Q'
									  : 'T';
		im.u.stock_trading_action.reserved = ' ';
		memcpy(im.u.stock_trading_action.reason, "    ", 4);
		return put(c, &im);
	default:
		return PS_ESYNTAX;
	}
}

int ps_lobster_conv_row(struct ps_lobster_conv *c, const struct ps_lobster_msg *m,
			const struct ps_lobster_book_row *b)
{
	int rc;

	c->last_ts = m->time_ns;
	if (c->st.rows++ == 0) {
		/* Row 0 is the book after message 0: seed it; only a message that does
		 * not touch the visible book (hidden execution, halt) is also emitted. */
		rc = prologue(c, m->time_ns);
		if (!rc)
			rc = reconcile(c, b, m->time_ns, true);
		if (!rc && (m->type == PS_LOBSTER_EXECUTE_HIDDEN || m->type == PS_LOBSTER_HALT))
			rc = apply_msg(c, m);
		return rc;
	}
	rc = apply_msg(c, m);
	if (rc)
		return rc;
	return reconcile(c, b, m->time_ns, false);
}

int ps_lobster_conv_finish(struct ps_lobster_conv *c)
{
	return put_system(c, 'C', c->last_ts);
}

int ps_lobster_convert(const char *msg_path, const char *book_path,
		       const struct ps_lobster_conv_cfg *cfg, ps_lobster_emit_fn emit, void *ctx,
		       struct ps_lobster_conv_stats *stats)
{
	struct ps_lobster_reader r;
	struct ps_lobster_conv *c = NULL;
	struct ps_lobster_conv_cfg cf = *cfg;
	int rc;

	rc = ps_lobster_reader_open(&r, msg_path, book_path);
	if (rc < 0)
		return rc;
	while ((rc = ps_lobster_reader_next(&r)) == 1) {
		if (!c) {
			if (cf.levels == 0)
				cf.levels = r.book.levels;
			rc = ps_lobster_conv_create(&c, &cf, emit, ctx);
			if (rc < 0)
				break;
		}
		rc = ps_lobster_conv_row(c, &r.msg, &r.book);
		if (rc)
			break;
	}
	if (rc == 0 && c)
		rc = ps_lobster_conv_finish(c);
	if (c && stats)
		*stats = c->st;
	ps_lobster_conv_destroy(c);
	ps_lobster_reader_close(&r);
	return rc;
}
