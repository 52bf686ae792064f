/*
 * Risk runtime: setup, snapshot refresh, the cold classifiers behind the
 * inline check, the order lifecycle, positions and PnL, escalation, sizing.
 * Everything here runs on the one risk (exec) thread.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/risk.h>

#define BP 10000

static size_t align_up(size_t n)
{
	return (n + PS_CACHE_LINE - 1) & ~(size_t)(PS_CACHE_LINE - 1);
}

struct layout {
	size_t instr, strat, fills, orders, snap, total;
};

static bool params_ok(const struct ps_risk_params *p)
{
	return p && p->board && p->instrument_count > 0 &&
	       p->instrument_count == p->board->instrument_count && p->strategy_count > 0 &&
	       p->strategy_count <= PS_RISK_MAX_STRATEGIES && p->order_capacity > 0 &&
	       p->order_capacity < PS_RISK_ORDER_NONE;
}

static void layout_of(const struct ps_risk_params *p, struct layout *l)
{
	l->instr = 0;
	l->strat = l->instr + align_up((size_t)p->instrument_count * sizeof(struct ps_risk_instr));
	l->fills = l->strat + align_up((size_t)p->strategy_count * sizeof(struct ps_risk_strategy));
	l->orders =
	    l->fills + align_up((size_t)p->strategy_count * PS_RISK_FILL_RING * sizeof(uint64_t));
	l->snap = l->orders + align_up((size_t)p->order_capacity * sizeof(struct ps_risk_order));
	l->total = l->snap + align_up(ps_risk_board_memsize(p->instrument_count));
}

size_t ps_risk_memsize(const struct ps_risk_params *p)
{
	struct layout l;

	if (!params_ok(p))
		return 0;
	layout_of(p, &l);
	return l.total;
}

static void emit(struct ps_risk *r, uint8_t type, uint8_t reason, int64_t value, int64_t limit,
		 uint32_t instrument, uint16_t strategy)
{
	struct ps_risk_event ev;

	r->events++;
	if (!r->sink)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = r->last_ns;
	ev.type = type;
	ev.reason = reason;
	ev.value = value;
	ev.limit = limit;
	ev.instrument = instrument;
	ev.strategy = strategy;
	ev.state = r->state;
	r->sink(r->sink_ctx, &ev);
}

/* ---- derived limits ---------------------------------------------------------- */

/* d = odd * 2^shift; inv = odd^-1 mod 2^64 (Newton: each step doubles the
 * correct low bits, five steps from 3 bits give 96 >= 64). n = d * m gives
 * n * inv = m << shift exactly, so the rotation yields m <= UINT64_MAX / d;
 * any other n lands above that bound (Hacker's Delight 10-17). */
static void divisor(uint64_t d, uint64_t *inv, uint64_t *thr, uint8_t *shift)
{
	unsigned s = (unsigned)__builtin_ctzll(d);
	uint64_t odd = d >> s, x = odd;

	for (int i = 0; i < 5; i++)
		x *= 2 - odd * x;
	*inv = x;
	*thr = UINT64_MAX / d;
	*shift = (uint8_t)s;
}

/* v * bp / 10000, truncated toward zero. The 64-bit path (a multiply and a
 * division by a constant, which compiles to a multiply) covers every realistic
 * figure; only a product beyond int64 takes the 128-bit library division. */
static int64_t bp_of(int64_t v, int64_t bp)
{
	int64_t x;

	if (ps_likely(!__builtin_mul_overflow(v, bp, &x)))
		return x / BP;
	return (int64_t)((__int128)v * bp / BP);
}

/* Cap from a bp-of-equity limit: 0 = off; never negative. */
static int64_t equity_cap(int64_t equity, int64_t bp)
{
	if (bp == 0)
		return INT64_MAX;
	return PS_MAX(0, bp_of(equity, bp));
}

static void thresholds(int64_t base, int64_t limit_bp, const int64_t *g, int64_t th[3])
{
	if (limit_bp == 0) {
		th[0] = th[1] = th[2] = INT64_MAX;
		return;
	}
	int64_t lim = PS_MAX(1, bp_of(base, limit_bp));
	th[0] = PS_MAX(1, bp_of(lim, g[PS_RISK_G_WARN_AT_BP]));
	th[1] = PS_MAX(1, bp_of(lim, g[PS_RISK_G_THROTTLE_AT_BP]));
	th[2] = lim;
}

static void session_rates(struct ps_risk *r)
{
	const int64_t *g = r->lim->g;
	uint64_t f = r->throttled ? (uint64_t)g[PS_RISK_G_THROTTLE_FACTOR] : 1;
	uint64_t t;

	t = g[PS_RISK_G_SESSION_ORDER_RATE]
		? UINT64_C(1000000000) / (uint64_t)g[PS_RISK_G_SESSION_ORDER_RATE]
		: 0;
	r->t_order_x = t * f;
	r->tau_order_x = (uint64_t)(g[PS_RISK_G_SESSION_ORDER_BURST] - 1) * t * f;
}

static void rate(int64_t per_s, int64_t burst, uint64_t *t, uint64_t *tau)
{
	*t = per_s ? UINT64_C(1000000000) / (uint64_t)per_s : 0;
	*tau = (uint64_t)(burst - 1) * *t;
}

/* Caps that depend on equity: after every equity change. */
static void equity_caps(struct ps_risk *r)
{
	const int64_t *g = r->lim->g;

	r->pos_eq_cap = equity_cap(r->equity, g[PS_RISK_G_POSITION_EQUITY_BP]);
	r->gross_cap =
	    PS_MIN(r->max_gross_abs, equity_cap(r->equity, g[PS_RISK_G_GROSS_EQUITY_BP]));
	r->net_cap = PS_MIN(r->max_net_abs, equity_cap(r->equity, g[PS_RISK_G_NET_EQUITY_BP]));
}

static int64_t floor_to(int64_t v, int64_t m)
{
	return v / m * m;
}

static void collar(struct ps_risk_instr *ins)
{
	int64_t ref = ins->ref, dist;
	bool off = ins->collar_ticks == 0 && ins->collar_bps == 0;

	if (ref <= 0) {
		/* No reference: limit orders pass only with the collar off;
		 * market orders always need one. */
		ins->collar_lo = off ? INT64_MIN : INT64_MAX;
		ins->collar_hi = off ? INT64_MAX : INT64_MIN;
		ins->prot[0] = ins->prot[1] = 0;
		return;
	}
	dist = ins->collar_ticks ? ins->collar_ticks * ins->tick : bp_of(ref, ins->collar_bps);
	if (off) {
		ins->collar_lo = INT64_MIN;
		ins->collar_hi = INT64_MAX;
	} else {
		ins->collar_lo = ref - dist;
		ins->collar_hi = ref + dist;
	}
	/* Protection prices: the collar edge, rounded inward onto the grid. */
	ins->prot[PS_SIDE_BUY] = floor_to(ref + dist, ins->tick);
	int64_t lo = ref - dist;
	int64_t s = lo <= 0 ? ins->tick : floor_to(lo + ins->tick - 1, ins->tick);
	ins->prot[PS_SIDE_SELL] = PS_MAX(s, ins->tick);
}

static void instr_derive(struct ps_risk_instr *ins, const struct ps_risk_instr_limits *il)
{
	const int64_t *x = il->v;

	ins->tick = x[PS_RISK_I_TICK];
	ins->lot = x[PS_RISK_I_LOT];
	divisor((uint64_t)ins->tick, &ins->tick_inv, &ins->tick_thr, &ins->tick_shift);
	divisor((uint64_t)ins->lot, &ins->lot_inv, &ins->lot_thr, &ins->lot_shift);
	ins->max_order_qty =
	    x[PS_RISK_I_MAX_ORDER_QTY] ? (uint32_t)x[PS_RISK_I_MAX_ORDER_QTY] : UINT32_MAX;
	ins->max_notional =
	    x[PS_RISK_I_MAX_ORDER_NOTIONAL] ? x[PS_RISK_I_MAX_ORDER_NOTIONAL] : INT64_MAX;
	ins->max_pos[PS_SIDE_BUY] = x[PS_RISK_I_MAX_LONG] ? x[PS_RISK_I_MAX_LONG] : INT64_MAX;
	ins->max_pos[PS_SIDE_SELL] = x[PS_RISK_I_MAX_SHORT] ? x[PS_RISK_I_MAX_SHORT] : INT64_MAX;
	ins->max_working = x[PS_RISK_I_MAX_WORKING_ORDERS]
			       ? (uint32_t)x[PS_RISK_I_MAX_WORKING_ORDERS]
			       : UINT32_MAX;
	ins->flags = (uint8_t)((ins->flags & ~PS_RISK_IF_RESTRICTED) |
			       (x[PS_RISK_I_RESTRICTED] ? PS_RISK_IF_RESTRICTED : 0));
	ins->collar_bps = x[PS_RISK_I_COLLAR_BPS];
	ins->collar_ticks = x[PS_RISK_I_COLLAR_TICKS];
	collar(ins);
}

/* Copy "some gate is set" into every strategy's off byte (PS_RISK_SOFF_GATE). */
static void gate_sync(struct ps_risk *r)
{
	for (uint32_t s = 0; s < r->strategy_count; s++) {
		struct ps_risk_strategy *st = &r->strat[s];

		st->off =
		    (uint8_t)((st->off & ~PS_RISK_SOFF_GATE) | (r->gate ? PS_RISK_SOFF_GATE : 0));
	}
}

static void set_state(struct ps_risk *r, uint8_t state)
{
	uint8_t old = r->state;

	if (old == state)
		return;
	r->state = state;
	r->gate = (uint8_t)((r->gate & PS_RISK_GATE_KILL) |
			    (state == PS_RISK_STATE_HALTED ? PS_RISK_GATE_HALTED : 0) |
			    (state == PS_RISK_STATE_REDUCING ? PS_RISK_GATE_REDUCING : 0));
	gate_sync(r);
	emit(r, PS_RISK_EV_STATE_CHANGED, PS_RISK_OPERATOR, state, old, 0, 0);
}

static void equity_recompute(struct ps_risk *r);

void ps_risk_refresh(struct ps_risk *r, uint64_t now_ns)
{
	struct ps_risk_board *b = r->board;
	uint32_t seq = ps_risk__board_seq(b);
	const int64_t *g;
	int64_t old_start = r->start_equity;

	r->last_ns = PS_MAX(r->last_ns, now_ns);
	ps_seqlock_read(&b->lock, r->lim, b->g, b->len);
	/* If a write slipped in after the load of seq, the next check sees the
	 * new seq and copies again. */
	r->seen_seq = seq & ~1u;
	g = r->lim->g;

	bool kill = g[PS_RISK_G_KILL_SWITCH] != 0;
	if (kill != !!(r->gate & PS_RISK_GATE_KILL)) {
		r->gate =
		    (uint8_t)(kill ? r->gate | PS_RISK_GATE_KILL : r->gate & ~PS_RISK_GATE_KILL);
		gate_sync(r);
		emit(r, kill ? PS_RISK_EV_KILL_SWITCH_ON : PS_RISK_EV_KILL_SWITCH_OFF,
		     PS_RISK_OPERATOR, kill, 0, 0, 0);
	}
	if (g[PS_RISK_G_RESET_GEN] != r->reset_gen) {
		/* Operator reset: clear the latch and the escalation, and measure
		 * drawdown from here. The daily loss keeps its start-of-day base:
		 * if it is still beyond the limit, the next fill or mark latches
		 * again (raise daily_loss_bp first). */
		r->reset_gen = g[PS_RISK_G_RESET_GEN];
		r->level = 0;
		r->throttled = 0;
		r->hwm = r->equity;
		set_state(r, PS_RISK_STATE_ACTIVE);
	}
	for (uint32_t s = 0; s < r->strategy_count; s++) {
		struct ps_risk_strategy *st = &r->strat[s];

		st->off = (uint8_t)((st->off & ~(PS_RISK_SOFF_OPERATOR | PS_RISK_SOFF_GATE)) |
				    (r->lim->s[PS_RISK_S_OFF][s] ? PS_RISK_SOFF_OPERATOR : 0) |
				    (r->gate ? PS_RISK_SOFF_GATE : 0));
		if (r->lim->s[PS_RISK_S_RELEASE_GEN][s] != st->release_gen) {
			st->release_gen = r->lim->s[PS_RISK_S_RELEASE_GEN][s];
			st->off &= (uint8_t)~PS_RISK_SOFF_THROTTLE;
			st->fill_count = 0;
		}
	}
	r->credit = g[PS_RISK_G_CREDIT_LIMIT];
	r->max_open = g[PS_RISK_G_MAX_OPEN_POSITIONS] ? (uint32_t)g[PS_RISK_G_MAX_OPEN_POSITIONS]
						      : UINT32_MAX;
	r->min_conf = (uint16_t)g[PS_RISK_G_MIN_CONFIDENCE_BP];
	r->stale_ns =
	    g[PS_RISK_G_MD_STALE_MS] ? (uint64_t)g[PS_RISK_G_MD_STALE_MS] * 1000000u : UINT64_MAX;
	r->dup_ns = (uint64_t)g[PS_RISK_G_DUP_WINDOW_MS] * 1000000u;
	r->max_gross_abs = g[PS_RISK_G_MAX_GROSS] ? g[PS_RISK_G_MAX_GROSS] : INT64_MAX;
	r->max_net_abs = g[PS_RISK_G_MAX_NET] ? g[PS_RISK_G_MAX_NET] : INT64_MAX;
	rate(g[PS_RISK_G_ORDER_RATE], g[PS_RISK_G_ORDER_BURST], &r->t_order_s, &r->tau_order_s);
	rate(g[PS_RISK_G_CANCEL_RATE], g[PS_RISK_G_CANCEL_BURST], &r->t_cancel_s, &r->tau_cancel_s);
	rate(g[PS_RISK_G_SESSION_CANCEL_RATE], g[PS_RISK_G_SESSION_CANCEL_BURST], &r->t_cancel_x,
	     &r->tau_cancel_x);
	session_rates(r);
	r->fill_n = (uint32_t)g[PS_RISK_G_FILL_THROTTLE_COUNT];
	r->fill_window_ns = (uint64_t)g[PS_RISK_G_FILL_THROTTLE_MS] * 1000000u;
	for (uint32_t i = 0; i < r->instrument_count; i++)
		instr_derive(&r->instr[i], &r->il[i]);

	/* A change of start equity is a deposit or withdrawal: it moves the
	 * start-of-day equity and the high-water mark with it. */
	r->start_equity = g[PS_RISK_G_START_EQUITY];
	r->sod_equity += r->start_equity - old_start;
	r->hwm += r->start_equity - old_start;
	thresholds(r->sod_equity, g[PS_RISK_G_DAILY_LOSS_BP], g, r->loss_th);
	equity_recompute(r);
}

/* ---- setup ----------------------------------------------------------------------- */

int ps_risk_init(struct ps_risk *r, void *mem, const struct ps_risk_params *p)
{
	struct layout l;
	uint8_t *m = (uint8_t *)mem;

	if (!r || !mem || !params_ok(p) || ((uintptr_t)mem & (PS_CACHE_LINE - 1)))
		return -EINVAL;
	layout_of(p, &l);
	memset(r, 0, sizeof(*r));
	memset(mem, 0, l.total);
	r->instrument_count = p->instrument_count;
	r->strategy_count = p->strategy_count;
	r->order_capacity = p->order_capacity;
	r->board = p->board;
	r->sink = p->sink;
	r->sink_ctx = p->sink_ctx;
	r->instr = (struct ps_risk_instr *)(void *)(m + l.instr);
	r->strat = (struct ps_risk_strategy *)(void *)(m + l.strat);
	r->orders = (struct ps_risk_order *)(void *)(m + l.orders);
	r->lim = (struct ps_risk_limits *)(void *)(m + l.snap);
	r->il = (struct ps_risk_instr_limits *)(r->lim + 1);
	for (uint32_t s = 0; s < p->strategy_count; s++) {
		r->strat[s].fills =
		    (uint64_t *)(void *)(m + l.fills) + (size_t)s * PS_RISK_FILL_RING;
		r->strat[s].dup_tag[PS_SIDE_BUY] = (uint64_t)s << 33;
		r->strat[s].dup_tag[PS_SIDE_SELL] = (uint64_t)s << 33 | UINT64_C(1) << 32;
	}
	for (uint32_t i = 0; i < p->order_capacity; i++)
		r->orders[i].next = i + 1 < p->order_capacity ? i + 1 : PS_RISK_ORDER_NONE;
	r->free_head = 0;
	for (uint32_t i = 0; i < p->instrument_count; i++) {
		struct ps_risk_instr *ins = &r->instr[i];

		ins->head = PS_RISK_ORDER_NONE;
	}
	/* Take the board's operator counters as they are: only later raises act. */
	ps_seqlock_read(&p->board->lock, r->lim, p->board->g, p->board->len);
	r->reset_gen = r->lim->g[PS_RISK_G_RESET_GEN];
	for (uint32_t s = 0; s < p->strategy_count; s++)
		r->strat[s].release_gen = r->lim->s[PS_RISK_S_RELEASE_GEN][s];
	r->start_equity = r->lim->g[PS_RISK_G_START_EQUITY];
	r->sod_equity = r->start_equity;
	r->hwm = r->start_equity;
	r->equity = r->start_equity;
	ps_risk_refresh(r, 0);
	return 0;
}

void ps_risk_fini(struct ps_risk *r)
{
	if (r)
		memset(r, 0, sizeof(*r));
}

int ps_risk_create(struct ps_risk **out, const struct ps_risk_params *p)
{
	size_t len = ps_risk_memsize(p);
	struct ps_risk *r;
	void *mem;
	int rc;

	if (!out || len == 0)
		return -EINVAL;
	r = ps_alloc_aligned(PS_CACHE_LINE, sizeof(*r));
	mem = ps_alloc_hot(len);
	if (!r || !mem) {
		ps_free(mem);
		ps_free(r);
		return -ENOMEM;
	}
	rc = ps_risk_init(r, mem, p);
	if (rc) {
		ps_free(mem);
		ps_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void ps_risk_destroy(struct ps_risk *r)
{
	if (!r)
		return;
	ps_free(r->instr); /* the start of mem */
	ps_free(r);
}

/* ---- cold classifiers ------------------------------------------------------------ */

enum ps_risk_reason ps_risk__blocked(const struct ps_risk *r, const struct ps_order_intent *in,
				     int64_t old_qty)
{
	const struct ps_risk_instr *ins = &r->instr[in->instrument];
	uint8_t off = r->strat[in->strategy_id].off;

	if (r->gate & PS_RISK_GATE_KILL)
		return PS_RISK_KILL_SWITCH;
	if (r->gate & PS_RISK_GATE_HALTED)
		return PS_RISK_HALTED;
	/* REDUCING: after all working orders on this side and this one fill, the
	 * position must not have grown in this direction. */
	if ((r->gate & PS_RISK_GATE_REDUCING) &&
	    ins->dir_pos[in->side] + ins->work_qty[in->side] - old_qty + in->qty > 0)
		return PS_RISK_REDUCING;
	if (off & PS_RISK_SOFF_OPERATOR)
		return PS_RISK_STRATEGY_OFF;
	if (off & PS_RISK_SOFF_THROTTLE)
		return PS_RISK_EXEC_THROTTLE;
	return PS_RISK_OK;
}

enum ps_risk_reason ps_risk__instr_flags(const struct ps_risk_instr *ins)
{
	if (ins->flags & PS_RISK_IF_RESTRICTED)
		return PS_RISK_RESTRICTED;
	if (ins->flags & PS_RISK_IF_HALTED)
		return PS_RISK_INSTRUMENT_HALTED;
	return PS_RISK_MD_STALE;
}

enum ps_risk_reason ps_risk__collar(const struct ps_risk_instr *ins)
{
	return ins->collar_lo > ins->collar_hi ? PS_RISK_NO_REFERENCE : PS_RISK_COLLAR;
}

enum ps_risk_reason ps_risk__gross(const struct ps_risk *r, int64_t gross_after)
{
	return gross_after > r->max_gross_abs ? PS_RISK_GROSS : PS_RISK_GROSS_EQUITY;
}

enum ps_risk_reason ps_risk__net(const struct ps_risk *r, int64_t net_after)
{
	return net_after > r->max_net_abs ? PS_RISK_NET : PS_RISK_NET_EQUITY;
}

/* ---- order lifecycle ------------------------------------------------------------- */

static bool is_open(const struct ps_risk_instr *ins)
{
	return ins->pos != 0 || ins->working_count != 0;
}

static void open_update(struct ps_risk *r, struct ps_risk_instr *ins, bool was_open)
{
	bool now_open = is_open(ins);

	ins->open = now_open;
	if (now_open && !was_open)
		r->open_count++;
	else if (!now_open && was_open)
		r->open_count--;
}

/* Best own working price of `side` orders: recompute the self-trade band of
 * the other side. */
static void rescan(struct ps_risk *r, struct ps_risk_instr *ins, unsigned side)
{
	int64_t best = side == PS_SIDE_BUY ? INT64_MIN : INT64_MAX;
	unsigned other = side ^ 1u;

	for (uint32_t h = ins->head; h != PS_RISK_ORDER_NONE; h = r->orders[h].next) {
		const struct ps_risk_order *o = &r->orders[h];

		if (o->side != side)
			continue;
		if (side == PS_SIDE_BUY ? o->price > best : o->price < best)
			best = o->price;
	}
	if (best == INT64_MIN || best == INT64_MAX || best < 1) {
		ins->st_base[other] = 0;
		ins->st_span[other] = 0;
	} else if (other == PS_SIDE_BUY) { /* buys at or above our best sell */
		ins->st_base[other] = best;
		ins->st_span[other] = (uint64_t)(INT64_MAX - best);
	} else { /* sells at or below our best buy */
		ins->st_base[other] = 1;
		ins->st_span[other] = (uint64_t)(best - 1);
	}
}

static void gcra(uint64_t *tat, uint64_t now, uint64_t t)
{
	*tat = PS_MAX(*tat, now) + t;
}

/* The duplicate check's key: the strategy's dup_tag of the side, and the qty. */
static uint64_t dup_key(const struct ps_order_intent *in)
{
	return in->qty | (uint64_t)in->side << 32 | (uint64_t)in->strategy_id << 33;
}

static void dup_record(struct ps_risk_instr *ins, const struct ps_order_intent *in, uint64_t now)
{
	struct ps_risk_dup *d = &ins->dup[ins->dup_next];

	d->key = dup_key(in);
	d->price = in->price;
	d->ns = now;
	ins->dup_next = (uint8_t)((ins->dup_next + 1) % PS_RISK_DUP_SLOTS);
}

void ps_risk_dup_forget(struct ps_risk *r, const struct ps_order_intent *in)
{
	if (in->instrument >= r->instrument_count || in->side > 1)
		return;
	struct ps_risk_instr *ins = &r->instr[in->instrument];
	uint64_t key = dup_key(in);

	/* Newest first: the send being taken back is the latest at its terms. */
	for (unsigned k = 1; k <= PS_RISK_DUP_SLOTS; k++) {
		struct ps_risk_dup *d =
		    &ins->dup[(ins->dup_next + PS_RISK_DUP_SLOTS - k) % PS_RISK_DUP_SLOTS];
		if (d->key == key && d->price == in->price) {
			d->key = 0;
			return;
		}
	}
}

uint32_t ps_risk_on_send(struct ps_risk *r, const struct ps_order_intent *in, uint32_t order,
			 uint64_t coid, uint64_t now_ns)
{
	struct ps_risk_strategy *st;
	struct ps_risk_instr *ins;
	struct ps_risk_order *o;
	unsigned side = in->side;
	bool was_open;

	if (in->strategy_id >= r->strategy_count || in->instrument >= r->instrument_count ||
	    side > 1)
		return PS_RISK_ORDER_NONE;
	r->last_ns = PS_MAX(r->last_ns, now_ns);
	st = &r->strat[in->strategy_id];
	if (in->action == PS_ORDER_CANCEL) {
		gcra(&st->tat_cancel, now_ns, r->t_cancel_s);
		gcra(&r->tat_cancel, now_ns, r->t_cancel_x);
		return order;
	}
	ins = &r->instr[in->instrument];
	was_open = is_open(ins);
	if (in->action == PS_ORDER_REPLACE) {
		if (order >= r->order_capacity || !r->orders[order].live)
			return PS_RISK_ORDER_NONE;
		o = &r->orders[order];
		ins->work_qty[side] -= o->leaves;
		r->work_notional[side] -= (int64_t)o->leaves * o->price;
	} else {
		order = r->free_head;
		if (order == PS_RISK_ORDER_NONE)
			return PS_RISK_ORDER_NONE;
		o = &r->orders[order];
		r->free_head = o->next;
		o->coid = coid;
		o->instrument = in->instrument;
		o->strategy = in->strategy_id;
		o->side = (uint8_t)side;
		o->live = 1;
		o->prev = PS_RISK_ORDER_NONE;
		o->next = ins->head;
		if (ins->head != PS_RISK_ORDER_NONE)
			r->orders[ins->head].prev = order;
		ins->head = order;
		ins->working_count++;
	}
	o->price = in->price;
	o->leaves = in->qty;
	ins->work_qty[side] += in->qty;
	r->work_notional[side] += (int64_t)in->qty * in->price;
	rescan(r, ins, side);
	dup_record(ins, in, now_ns);
	gcra(&st->tat_order, now_ns, r->t_order_s);
	gcra(&r->tat_order, now_ns, r->t_order_x);
	open_update(r, ins, was_open);
	return order;
}

void ps_risk_on_ack(struct ps_risk *r, uint32_t order)
{
	(void)r;
	(void)order;
}

/* The order stops counting; unlinks and frees it. */
static void order_done(struct ps_risk *r, uint32_t h)
{
	struct ps_risk_order *o = &r->orders[h];
	struct ps_risk_instr *ins = &r->instr[o->instrument];

	ins->work_qty[o->side] -= o->leaves;
	r->work_notional[o->side] -= (int64_t)o->leaves * o->price;
	if (o->prev != PS_RISK_ORDER_NONE)
		r->orders[o->prev].next = o->next;
	else
		ins->head = o->next;
	if (o->next != PS_RISK_ORDER_NONE)
		r->orders[o->next].prev = o->prev;
	ins->working_count--;
	o->live = 0;
	o->leaves = 0;
	o->next = r->free_head;
	r->free_head = h;
	rescan(r, ins, o->side);
}

static void order_end(struct ps_risk *r, uint32_t order, uint64_t now_ns)
{
	struct ps_risk_instr *ins;
	bool was_open;

	if (order >= r->order_capacity || !r->orders[order].live)
		return;
	r->last_ns = PS_MAX(r->last_ns, now_ns);
	ins = &r->instr[r->orders[order].instrument];
	was_open = is_open(ins);
	order_done(r, order);
	open_update(r, ins, was_open);
}

void ps_risk_on_amend(struct ps_risk *r, uint32_t order, int64_t price, uint32_t leaves,
		      uint64_t now_ns)
{
	if (order >= r->order_capacity || !r->orders[order].live)
		return;
	if (leaves == 0) {
		order_end(r, order, now_ns);
		return;
	}
	struct ps_risk_order *o = &r->orders[order];
	struct ps_risk_instr *ins = &r->instr[o->instrument];
	unsigned side = o->side;

	r->last_ns = PS_MAX(r->last_ns, now_ns);
	ins->work_qty[side] += (int64_t)leaves - (int64_t)o->leaves;
	r->work_notional[side] += (int64_t)leaves * price - (int64_t)o->leaves * o->price;
	o->price = price;
	o->leaves = leaves;
	rescan(r, ins, side);
}

void ps_risk_on_reject(struct ps_risk *r, uint32_t order, uint64_t now_ns)
{
	order_end(r, order, now_ns);
}

void ps_risk_on_cancel(struct ps_risk *r, uint32_t order, uint64_t now_ns)
{
	order_end(r, order, now_ns);
}

/* ---- positions and PnL ----------------------------------------------------------- */

/* Apply a fill to the position; returns the realized PnL of the closed part.
 * Closing c of |pos| shares takes cost * c / |pos| (truncated toward zero)
 * out of the cost; a full close takes all of it. */
static int64_t position_apply(struct ps_risk_instr *ins, unsigned side, uint32_t q, int64_t px)
{
	int64_t dq = side == PS_SIDE_BUY ? (int64_t)q : -(int64_t)q;
	int64_t pos = ins->pos, realized = 0;

	if (pos == 0 || (pos > 0) == (dq > 0)) {
		ins->pos = pos + dq;
		ins->cost += dq * px;
		ins->dir_pos[PS_SIDE_BUY] = ins->pos;
		ins->dir_pos[PS_SIDE_SELL] = -ins->pos;
		return 0;
	}
	int64_t absp = pos > 0 ? pos : -pos;
	int64_t c = PS_MIN((int64_t)q, absp);
	int64_t removed = c == absp ? ins->cost : (int64_t)((__int128)ins->cost * c / absp);
	realized = (pos > 0 ? c * px : -c * px) - removed;
	ins->cost -= removed;
	ins->pos = pos > 0 ? pos - c : pos + c;
	if ((int64_t)q > c) {
		int64_t rest = (int64_t)q - c;

		ins->pos = dq > 0 ? rest : -rest;
		ins->cost = ins->pos * px;
	}
	if (ins->pos == 0 || (ins->pos > 0) != (pos > 0))
		ins->exit_latched = 0;
	ins->dir_pos[PS_SIDE_BUY] = ins->pos;
	ins->dir_pos[PS_SIDE_SELL] = -ins->pos;
	return realized;
}

/* Re-value one instrument at its mark and move the totals by the difference. */
static void revalue(struct ps_risk *r, struct ps_risk_instr *ins)
{
	int64_t absp = ins->pos < 0 ? -ins->pos : ins->pos;
	int64_t g = absp * ins->mark, n = ins->pos * ins->mark;
	int64_t ac = ins->cost < 0 ? -ins->cost : ins->cost;

	r->gross_total += g - ins->gross;
	r->net_total += n - ins->net;
	r->dir_net[PS_SIDE_BUY] = r->net_total;
	r->dir_net[PS_SIDE_SELL] = -r->net_total;
	r->abs_cost_total += ac - ins->abs_cost;
	ins->gross = g;
	ins->net = n;
	ins->abs_cost = ac;
}

static int level_of(int64_t v, const int64_t th[3])
{
	return v >= th[2] ? 3 : v >= th[1] ? 2 : v >= th[0] ? 1 : 0;
}

/* Equity, high-water mark and the caps that follow equity. */
static void equity_recompute(struct ps_risk *r)
{
	const int64_t *g = r->lim->g;

	r->equity = r->start_equity + r->realized_total + r->net_total - r->cost_total;
	if (r->equity > r->hwm || r->dd_base != r->hwm || r->dd_gen != r->seen_seq) {
		/* drawdown thresholds follow the high-water mark and the limits */
		if (r->equity > r->hwm)
			r->hwm = r->equity;
		thresholds(r->hwm, g[PS_RISK_G_MAX_DRAWDOWN_BP], g, r->dd_th);
		r->dd_base = r->hwm;
		r->dd_gen = r->seen_seq;
	}
	equity_caps(r);
}

/* After a fill or a mark: equity, then the loss/drawdown escalation. Levels
 * only rise (warning, throttle, breach) until the operator resets them. */
static void equity_update(struct ps_risk *r)
{
	const int64_t *g = r->lim->g;

	equity_recompute(r);

	int64_t loss = r->sod_equity - r->equity, dd = r->hwm - r->equity;
	int ll = level_of(loss, r->loss_th), ld = level_of(dd, r->dd_th);
	int lvl = PS_MAX(ll, ld);
	uint8_t reason = ll >= ld ? PS_RISK_DAILY_LOSS : PS_RISK_DRAWDOWN;
	int64_t v = ll >= ld ? loss : dd;
	const int64_t *th = ll >= ld ? r->loss_th : r->dd_th;

	while (r->level < lvl) {
		r->level++;
		switch (r->level) {
		case 1:
			emit(r, PS_RISK_EV_WARNING, reason, v, th[0], 0, 0);
			break;
		case 2:
			r->throttled = 1;
			session_rates(r);
			emit(r, PS_RISK_EV_THROTTLED, reason, v, th[1], 0, 0);
			break;
		default:
			emit(r, PS_RISK_EV_LIMIT_REACHED, reason, v, th[2], 0, 0);
			set_state(r, g[PS_RISK_G_BREACH_ACTION] ? PS_RISK_STATE_HALTED
								: PS_RISK_STATE_REDUCING);
			break;
		}
	}
}

/* Stop loss / take profit on one position: one exit intent per position. */
static void exits(struct ps_risk *r, struct ps_risk_instr *ins, uint32_t instrument)
{
	const int64_t *g = r->lim->g;
	int64_t sl = g[PS_RISK_G_STOP_LOSS_BP], tp = g[PS_RISK_G_TAKE_PROFIT_BP];
	uint8_t reason;

	if (ins->pos == 0 || ins->exit_latched || ins->abs_cost == 0)
		return;
	__int128 upnl = (__int128)ins->net - ins->cost;
	if (sl && -upnl * BP >= (__int128)sl * ins->abs_cost)
		reason = PS_RISK_STOP_LOSS;
	else if (tp && upnl * BP >= (__int128)tp * ins->abs_cost)
		reason = PS_RISK_TAKE_PROFIT;
	else
		return;
	ins->exit_latched = 1;
	r->events++;
	if (!r->sink)
		return;

	struct ps_risk_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = r->last_ns;
	ev.type = PS_RISK_EV_EXIT;
	ev.reason = reason;
	ev.value = (int64_t)upnl;
	ev.limit = reason == PS_RISK_STOP_LOSS ? sl : tp;
	ev.price = ins->mark;
	ev.instrument = instrument;
	ev.qty = (uint32_t)(ins->pos > 0 ? ins->pos : -ins->pos);
	ev.side = ins->pos > 0 ? PS_SIDE_SELL : PS_SIDE_BUY;
	ev.state = r->state;
	r->sink(r->sink_ctx, &ev);
}

static void fill_throttle(struct ps_risk *r, struct ps_risk_strategy *st, uint16_t sid,
			  uint64_t now)
{
	if (r->fill_n == 0)
		return;
	st->fills[st->fill_count % PS_RISK_FILL_RING] = now;
	st->fill_count++;
	if (st->fill_count < r->fill_n || (st->off & PS_RISK_SOFF_THROTTLE))
		return;
	if (now - st->fills[(st->fill_count - r->fill_n) % PS_RISK_FILL_RING] <=
	    r->fill_window_ns) {
		st->off |= PS_RISK_SOFF_THROTTLE;
		emit(r, PS_RISK_EV_THROTTLED, PS_RISK_EXEC_THROTTLE, r->fill_n,
		     (int64_t)r->fill_window_ns, 0, sid);
	}
}

void ps_risk_on_fill(struct ps_risk *r, uint32_t order, int64_t price, uint32_t qty,
		     uint64_t now_ns)
{
	struct ps_risk_order *o;
	struct ps_risk_instr *ins;
	bool was_open;
	uint32_t dec;

	if (order >= r->order_capacity || !r->orders[order].live || qty == 0)
		return;
	if (ps_unlikely(ps_risk__board_seq(r->board) != r->seen_seq))
		ps_risk_refresh(r, now_ns);
	r->last_ns = PS_MAX(r->last_ns, now_ns);
	o = &r->orders[order];
	ins = &r->instr[o->instrument];
	was_open = is_open(ins);
	dec = PS_MIN(qty, o->leaves);
	ins->work_qty[o->side] -= dec;
	r->work_notional[o->side] -= (int64_t)dec * o->price;
	o->leaves -= dec;

	int64_t cost_before = ins->cost;
	int64_t realized = position_apply(ins, o->side, qty, price);
	ins->realized += realized;
	r->realized_total += realized;
	r->cost_total += ins->cost - cost_before;
	ins->mark = price;
	ins->has_mark = 1;

	uint32_t instrument = o->instrument;
	uint16_t sid = o->strategy;
	if (o->leaves == 0)
		order_done(r, order);
	open_update(r, ins, was_open);
	revalue(r, ins);
	equity_update(r);
	exits(r, ins, instrument);
	fill_throttle(r, &r->strat[sid], sid, now_ns);
}

void ps_risk_on_fill_ended(struct ps_risk *r, uint32_t instrument, unsigned side, uint16_t strategy,
			   int64_t price, uint32_t qty, uint64_t now_ns)
{
	struct ps_risk_instr *ins;
	bool was_open;

	if (instrument >= r->instrument_count || side > 1 || qty == 0)
		return;
	if (ps_unlikely(ps_risk__board_seq(r->board) != r->seen_seq))
		ps_risk_refresh(r, now_ns);
	r->last_ns = PS_MAX(r->last_ns, now_ns);
	ins = &r->instr[instrument];
	was_open = is_open(ins);
	/* No working quantity to release: the order already stopped counting. */
	int64_t cost_before = ins->cost;
	int64_t realized = position_apply(ins, side, qty, price);
	ins->realized += realized;
	r->realized_total += realized;
	r->cost_total += ins->cost - cost_before;
	ins->mark = price;
	ins->has_mark = 1;
	open_update(r, ins, was_open);
	revalue(r, ins);
	equity_update(r);
	exits(r, ins, instrument);
	if (strategy < r->strategy_count)
		fill_throttle(r, &r->strat[strategy], strategy, now_ns);
}

void ps_risk_on_mark(struct ps_risk *r, uint32_t instrument, int64_t price, uint64_t now_ns)
{
	struct ps_risk_instr *ins;

	if (instrument >= r->instrument_count || price <= 0)
		return;
	if (ps_unlikely(ps_risk__board_seq(r->board) != r->seen_seq))
		ps_risk_refresh(r, now_ns);
	r->last_ns = PS_MAX(r->last_ns, now_ns);
	ins = &r->instr[instrument];
	if (ins->has_mark && ins->mark > 0) {
		/* Sizing only (never compared or summed into limits). */
		double ret = (double)(price - ins->mark) / (double)ins->mark;
		double lambda = (double)r->lim->g[PS_RISK_G_EWMA_LAMBDA_BP] / BP;

		ins->ewma_var = lambda * ins->ewma_var + (1.0 - lambda) * ret * ret;
	}
	ins->mark = price;
	ins->has_mark = 1;
	revalue(r, ins);
	equity_update(r);
	exits(r, ins, instrument);
}

/* ---- market data ------------------------------------------------------------------ */

void ps_risk_md_update(struct ps_risk *r, uint32_t instrument, int64_t bid, int64_t ask,
		       int64_t last, uint64_t now_ns)
{
	struct ps_risk_instr *ins;
	int64_t ref;

	if (instrument >= r->instrument_count)
		return;
	ins = &r->instr[instrument];
	ins->bid = bid;
	ins->ask = ask;
	ins->last = last;
	ins->md_ns = now_ns;
	ref = bid > 0 && ask > 0 ? bid + (ask - bid) / 2 : last > 0 ? last : 0;
	if (ref != ins->ref) {
		ins->ref = ref;
		collar(ins);
	}
}

void ps_risk_md_status(struct ps_risk *r, uint32_t instrument, bool halted, bool stale)
{
	struct ps_risk_instr *ins;

	if (instrument >= r->instrument_count)
		return;
	ins = &r->instr[instrument];
	ins->flags = (uint8_t)((ins->flags & PS_RISK_IF_RESTRICTED) |
			       (halted ? PS_RISK_IF_HALTED : 0) | (stale ? PS_RISK_IF_STALE : 0));
}

/* ---- queries and tools -------------------------------------------------------------- */

void ps_risk_day_roll(struct ps_risk *r, uint64_t now_ns)
{
	r->last_ns = PS_MAX(r->last_ns, now_ns);
	r->sod_equity = r->equity;
	thresholds(r->sod_equity, r->lim->g[PS_RISK_G_DAILY_LOSS_BP], r->lim->g, r->loss_th);
}

int ps_risk_position_get(const struct ps_risk *r, uint32_t instrument, struct ps_risk_position *out)
{
	const struct ps_risk_instr *ins;

	if (!r || !out || instrument >= r->instrument_count)
		return -EINVAL;
	ins = &r->instr[instrument];
	out->pos = ins->pos;
	out->cost = ins->cost;
	out->avg_price = ins->pos ? ins->cost / ins->pos : 0;
	out->realized = ins->realized;
	out->unrealized = ins->net - ins->cost;
	out->mark = ins->mark;
	out->working_buy = ins->work_qty[PS_SIDE_BUY];
	out->working_sell = ins->work_qty[PS_SIDE_SELL];
	return 0;
}

void ps_risk_totals_get(const struct ps_risk *r, struct ps_risk_totals *out)
{
	out->realized = r->realized_total;
	out->unrealized = r->net_total - r->cost_total;
	out->equity = r->equity;
	out->hwm = r->hwm;
	out->drawdown = r->hwm - r->equity;
	out->daily_pnl = r->equity - r->sod_equity;
	out->gross = r->gross_total;
	out->net = r->net_total;
	out->open_positions = r->open_count;
	out->state = r->state;
	out->level = r->level;
	out->kill_switch = (r->gate & PS_RISK_GATE_KILL) != 0;
}

uint32_t ps_risk_size(const struct ps_risk *r, uint32_t instrument, unsigned side, int64_t entry,
		      int64_t stop, int64_t target)
{
	const int64_t *g = r->lim->g;
	const struct ps_risk_instr *ins;
	int64_t q, dist = stop > 0 ? (entry > stop ? entry - stop : stop - entry) : 0;

	if (instrument >= r->instrument_count || side > 1 || entry <= 0 || r->equity <= 0)
		return 0;
	ins = &r->instr[instrument];
	if (target > 0 && stop > 0 && g[PS_RISK_G_MIN_REWARD_RISK_PCT]) {
		int64_t reward = target > entry ? target - entry : entry - target;

		if (dist == 0 ||
		    (__int128)reward * 100 < (__int128)g[PS_RISK_G_MIN_REWARD_RISK_PCT] * dist)
			return 0;
	}
	switch (g[PS_RISK_G_SIZING_MODE]) {
	case 0:
		q = g[PS_RISK_G_SIZING_QTY];
		break;
	case 1:
		q = bp_of(r->equity, g[PS_RISK_G_SIZING_FRACTION_BP]) / entry;
		break;
	case 2:
		if (dist == 0)
			return 0;
		q = bp_of(r->equity, g[PS_RISK_G_SIZING_RISK_BP]) / dist;
		break;
	default: {
		double sigma = sqrt(ins->ewma_var);
		double budget = (double)bp_of(r->equity, g[PS_RISK_G_SIZING_VOL_BP]);

		if (!(sigma > 0))
			return 0;
		double dq = budget / ((double)entry * sigma);
		q = dq >= (double)UINT32_MAX ? (int64_t)UINT32_MAX : (int64_t)dq;
		break;
	}
	}
	int64_t have = (side == PS_SIDE_BUY ? ins->pos : -ins->pos) + ins->work_qty[side];
	q = PS_MIN(q, (int64_t)ins->max_order_qty);
	q = PS_MIN(q, ins->max_pos[side] - have);
	if (r->pos_eq_cap != INT64_MAX)
		q = PS_MIN(q, r->pos_eq_cap / entry - have);
	if (ins->max_notional != INT64_MAX)
		q = PS_MIN(q, ins->max_notional / entry);
	q -= q % ins->lot;
	return q <= 0 ? 0 : (uint32_t)PS_MIN(q, (int64_t)UINT32_MAX);
}
