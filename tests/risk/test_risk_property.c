/*
 * Property test: at least 1,000,000 random intents, sends, acks, rejects,
 * cancels, amends to the venue's terms, sends taken back from the duplicate
 * window, fills, marks, market-data updates, limit changes and operator
 * actions against a plain reference model written separately below (linear
 * scans, totals recomputed from scratch, no precomputation). Every verdict,
 * every position and PnL figure, equity, high-water mark, drawdown and the
 * risk state must be equal after every step.
 *
 * PS_RISK_PROPERTY_OPS sets the number of operations (default 1,000,000);
 * PS_STRESS_SCALE multiplies it (sanitizer runs use 0.1). PS_RISK_SEED picks
 * the seed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define FX_ORDERS 8 /* small, so the order table fills up now and then */
#include "risk_fixture.h"

/* ---- the reference model ------------------------------------------------------ */

#define NI FX_INSTR
#define NS FX_STRAT
#define NO FX_ORDERS

struct ref_order {
	bool live;
	uint32_t instr;
	unsigned side;
	unsigned strat;
	int64_t price;
	int64_t leaves;
};

struct ref_send {
	bool used;
	unsigned strat, side;
	int64_t price, qty;
	uint64_t t;
};

struct ref {
	int64_t g[PS_RISK_G__COUNT];
	int64_t il[NI][PS_RISK_I__COUNT];
	bool strat_off[NS], strat_thr[NS];
	uint64_t fills[NS][4096];
	uint64_t nfills[NS];
	uint64_t tat_o[NS], tat_c[NS], tat_os, tat_cs;
	struct ref_order o[NO];
	int64_t pos[NI], cost[NI], realized[NI], mark[NI];
	int64_t bid[NI], ask[NI], last[NI];
	uint64_t md_ns[NI];
	bool halted[NI], stale[NI];
	struct ref_send sends[NI][PS_RISK_DUP_SLOTS]; /* last 4 sends, oldest overwritten */
	unsigned send_next[NI];
	int state, level;
	bool throttled, kill;
	int64_t hwm, sod;
};

static int64_t r_abs(int64_t v)
{
	return v < 0 ? -v : v;
}

static int64_t r_bp(int64_t v, int64_t bp)
{
	return (int64_t)((__int128)v * bp / 10000);
}

static int64_t r_equity(const struct ref *m)
{
	int64_t e = m->g[PS_RISK_G_START_EQUITY];

	for (int i = 0; i < NI; i++)
		e += m->realized[i] + m->pos[i] * m->mark[i] - m->cost[i];
	return e;
}

static int64_t r_cap(int64_t equity, int64_t bp)
{
	if (bp == 0)
		return INT64_MAX;
	int64_t c = r_bp(equity, bp);
	return c < 0 ? 0 : c;
}

static int64_t r_ref_price(const struct ref *m, uint32_t i)
{
	if (m->bid[i] > 0 && m->ask[i] > 0)
		return m->bid[i] + (m->ask[i] - m->bid[i]) / 2;
	return m->last[i] > 0 ? m->last[i] : 0;
}

static int64_t r_dist(const struct ref *m, uint32_t i, int64_t ref)
{
	const int64_t *x = m->il[i];

	if (x[PS_RISK_I_COLLAR_TICKS])
		return x[PS_RISK_I_COLLAR_TICKS] * x[PS_RISK_I_TICK];
	return r_bp(ref, x[PS_RISK_I_COLLAR_BPS]);
}

static uint64_t r_interval(int64_t rate)
{
	return rate ? UINT64_C(1000000000) / (uint64_t)rate : 0;
}

static bool r_open(const struct ref *m, uint32_t i)
{
	if (m->pos[i])
		return true;
	for (int h = 0; h < NO; h++)
		if (m->o[h].live && m->o[h].instr == i)
			return true;
	return false;
}

static enum ps_risk_reason r_check(struct ref *m, struct ps_order_intent *in, uint32_t order,
				   uint64_t now)
{
	const int64_t *g = m->g;

	if (in->instrument >= NI || in->strategy_id >= NS || in->side > 1 || in->type > 1 ||
	    in->action > 2)
		return PS_RISK_BAD_INTENT;
	unsigned s = in->strategy_id, side = in->side;
	if (in->action == PS_ORDER_CANCEL) {
		if (m->kill || m->state == PS_RISK_STATE_HALTED)
			return PS_RISK_OK;
		uint64_t t = r_interval(g[PS_RISK_G_CANCEL_RATE]);
		if (m->tat_c[s] > now + (uint64_t)(g[PS_RISK_G_CANCEL_BURST] - 1) * t)
			return PS_RISK_CANCEL_RATE_STRATEGY;
		t = r_interval(g[PS_RISK_G_SESSION_CANCEL_RATE]);
		if (m->tat_cs > now + (uint64_t)(g[PS_RISK_G_SESSION_CANCEL_BURST] - 1) * t)
			return PS_RISK_CANCEL_RATE_SESSION;
		return PS_RISK_OK;
	}
	uint32_t i = in->instrument;
	const int64_t *x = m->il[i];
	int64_t old_q = 0, old_n = 0;
	if (in->action == PS_ORDER_REPLACE) {
		if (order >= NO || !m->o[order].live || m->o[order].instr != i ||
		    m->o[order].side != side)
			return PS_RISK_BAD_INTENT;
		old_q = m->o[order].leaves;
		old_n = old_q * m->o[order].price;
	}
	int64_t sgn_pos = side == PS_SIDE_BUY ? m->pos[i] : -m->pos[i];
	int64_t work_side = 0, work_n[2] = { 0, 0 };
	unsigned working = 0, live = 0;
	int64_t best_other = side == PS_SIDE_BUY ? INT64_MAX : INT64_MIN;
	for (int h = 0; h < NO; h++) {
		const struct ref_order *o = &m->o[h];
		if (!o->live)
			continue;
		live++;
		work_n[o->side] += o->leaves * o->price;
		if (o->instr != i)
			continue;
		working++;
		if (o->side == side)
			work_side += o->leaves;
		else if (side == PS_SIDE_BUY && o->price < best_other)
			best_other = o->price;
		else if (side == PS_SIDE_SELL && o->price > best_other)
			best_other = o->price;
	}
	int64_t q = in->qty;
	/* 1 */
	if (m->kill)
		return PS_RISK_KILL_SWITCH;
	if (m->state == PS_RISK_STATE_HALTED)
		return PS_RISK_HALTED;
	if (m->state == PS_RISK_STATE_REDUCING && sgn_pos + work_side - old_q + q > 0)
		return PS_RISK_REDUCING;
	if (m->strat_off[s])
		return PS_RISK_STRATEGY_OFF;
	if (m->strat_thr[s])
		return PS_RISK_EXEC_THROTTLE;
	/* 2 */
	if (x[PS_RISK_I_RESTRICTED])
		return PS_RISK_RESTRICTED;
	if (m->halted[i])
		return PS_RISK_INSTRUMENT_HALTED;
	if (m->stale[i])
		return PS_RISK_MD_STALE;
	if (g[PS_RISK_G_MD_STALE_MS] && now - m->md_ns[i] > (uint64_t)g[PS_RISK_G_MD_STALE_MS] * MS)
		return PS_RISK_MD_STALE;
	int64_t tick = x[PS_RISK_I_TICK], ref = r_ref_price(m, i);
	int64_t p = in->price;
	if (in->type == PS_ORDER_MARKET) {
		if (ref <= 0)
			return PS_RISK_NO_REFERENCE;
		int64_t d = r_dist(m, i, ref);
		if (side == PS_SIDE_BUY) {
			p = (ref + d) / tick * tick;
		} else {
			int64_t lo = ref - d;
			p = lo <= 0 ? tick : (lo + tick - 1) / tick * tick;
			if (p < tick)
				p = tick;
		}
		if (p <= 0)
			return PS_RISK_NO_REFERENCE;
	}
	/* 3 */
	if (q == 0)
		return PS_RISK_QTY_ZERO;
	if (p <= 0 || p % tick)
		return PS_RISK_TICK;
	if (q % x[PS_RISK_I_LOT])
		return PS_RISK_LOT;
	if (x[PS_RISK_I_MAX_ORDER_QTY] && q > x[PS_RISK_I_MAX_ORDER_QTY])
		return PS_RISK_MAX_QTY;
	if (x[PS_RISK_I_MAX_ORDER_NOTIONAL] && (__int128)p * q > x[PS_RISK_I_MAX_ORDER_NOTIONAL])
		return PS_RISK_MAX_NOTIONAL;
	int64_t n = p * q;
	/* 4 */
	if (x[PS_RISK_I_COLLAR_BPS] || x[PS_RISK_I_COLLAR_TICKS]) {
		if (ref <= 0)
			return PS_RISK_NO_REFERENCE;
		int64_t d = r_dist(m, i, ref);
		if (p < ref - d || p > ref + d)
			return PS_RISK_COLLAR;
	}
	/* 5 */
	if (g[PS_RISK_G_DUP_WINDOW_MS] && in->action == PS_ORDER_NEW)
		for (int k = 0; k < PS_RISK_DUP_SLOTS; k++) {
			const struct ref_send *d = &m->sends[i][k];
			if (d->used && d->strat == s && d->side == side && d->price == p &&
			    d->qty == q && now - d->t < (uint64_t)g[PS_RISK_G_DUP_WINDOW_MS] * MS)
				return PS_RISK_DUPLICATE;
		}
	/* 6 */
	int64_t equity = r_equity(m);
	int64_t worst = sgn_pos + work_side - old_q + q;
	int64_t maxp = side == PS_SIDE_BUY ? x[PS_RISK_I_MAX_LONG] : x[PS_RISK_I_MAX_SHORT];
	if (maxp && worst > maxp)
		return side == PS_SIDE_BUY ? PS_RISK_MAX_LONG : PS_RISK_MAX_SHORT;
	if ((__int128)worst * p > r_cap(equity, g[PS_RISK_G_POSITION_EQUITY_BP]))
		return PS_RISK_POSITION_EQUITY;
	/* 7 */
	int64_t gross = 0, net = 0, abs_cost = 0;
	for (int k = 0; k < NI; k++) {
		gross += r_abs(m->pos[k]) * m->mark[k];
		net += m->pos[k] * m->mark[k];
		abs_cost += r_abs(m->cost[k]);
	}
	int64_t work_total = work_n[0] + work_n[1] - old_n + n;
	int64_t max_gross = g[PS_RISK_G_MAX_GROSS] ? g[PS_RISK_G_MAX_GROSS] : INT64_MAX;
	int64_t gross_after = gross + work_total;
	if (gross_after > max_gross)
		return PS_RISK_GROSS;
	if (gross_after > r_cap(equity, g[PS_RISK_G_GROSS_EQUITY_BP]))
		return PS_RISK_GROSS_EQUITY;
	int64_t net_after = (side == PS_SIDE_BUY ? net : -net) + work_n[side] - old_n + n;
	int64_t max_net = g[PS_RISK_G_MAX_NET] ? g[PS_RISK_G_MAX_NET] : INT64_MAX;
	if (net_after > max_net)
		return PS_RISK_NET;
	if (net_after > r_cap(equity, g[PS_RISK_G_NET_EQUITY_BP]))
		return PS_RISK_NET_EQUITY;
	unsigned open = 0;
	for (uint32_t k = 0; k < NI; k++)
		open += r_open(m, k);
	if (g[PS_RISK_G_MAX_OPEN_POSITIONS] && !r_open(m, i) &&
	    open >= (unsigned)g[PS_RISK_G_MAX_OPEN_POSITIONS])
		return PS_RISK_OPEN_POSITIONS;
	if (in->action == PS_ORDER_NEW) {
		if (x[PS_RISK_I_MAX_WORKING_ORDERS] &&
		    working >= (unsigned)x[PS_RISK_I_MAX_WORKING_ORDERS])
			return PS_RISK_WORKING_ORDERS;
		if (live == NO)
			return PS_RISK_ORDER_TABLE_FULL;
	}
	/* 8 */
	if (abs_cost + work_total > g[PS_RISK_G_CREDIT_LIMIT])
		return PS_RISK_CREDIT;
	/* 9 */
	uint64_t t = r_interval(g[PS_RISK_G_ORDER_RATE]);
	if (m->tat_o[s] > now + (uint64_t)(g[PS_RISK_G_ORDER_BURST] - 1) * t)
		return PS_RISK_RATE_STRATEGY;
	t = r_interval(g[PS_RISK_G_SESSION_ORDER_RATE]);
	uint64_t f = m->throttled ? (uint64_t)g[PS_RISK_G_THROTTLE_FACTOR] : 1;
	if (m->tat_os > now + (uint64_t)(g[PS_RISK_G_SESSION_ORDER_BURST] - 1) * t * f)
		return PS_RISK_RATE_SESSION;
	/* 10 */
	if (side == PS_SIDE_BUY ? p >= best_other : p <= best_other)
		return PS_RISK_SELF_TRADE;
	/* 11 */
	if (in->confidence_bp < g[PS_RISK_G_MIN_CONFIDENCE_BP])
		return PS_RISK_CONFIDENCE;
	in->price = p;
	return PS_RISK_OK;
}

static uint64_t r_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void r_send(struct ref *m, const struct ps_order_intent *in, uint32_t h, uint64_t now)
{
	const int64_t *g = m->g;
	unsigned s = in->strategy_id;

	if (in->action == PS_ORDER_CANCEL) {
		m->tat_c[s] = r_max(m->tat_c[s], now) + r_interval(g[PS_RISK_G_CANCEL_RATE]);
		m->tat_cs = r_max(m->tat_cs, now) + r_interval(g[PS_RISK_G_SESSION_CANCEL_RATE]);
		return;
	}
	if (h >= NO)
		return;
	struct ref_order *o = &m->o[h];
	o->live = true;
	o->instr = in->instrument;
	o->side = in->side;
	o->strat = s;
	o->price = in->price;
	o->leaves = in->qty;
	struct ref_send *d = &m->sends[in->instrument][m->send_next[in->instrument]];
	m->send_next[in->instrument] = (m->send_next[in->instrument] + 1) % PS_RISK_DUP_SLOTS;
	d->used = true;
	d->strat = s;
	d->side = in->side;
	d->price = in->price;
	d->qty = in->qty;
	d->t = now;
	uint64_t f = m->throttled ? (uint64_t)g[PS_RISK_G_THROTTLE_FACTOR] : 1;
	m->tat_o[s] = r_max(m->tat_o[s], now) + r_interval(g[PS_RISK_G_ORDER_RATE]);
	m->tat_os = r_max(m->tat_os, now) + r_interval(g[PS_RISK_G_SESSION_ORDER_RATE]) * f;
}

static int r_level(int64_t v, int64_t base, int64_t bp, const int64_t *g)
{
	if (bp == 0)
		return 0;
	int64_t lim = r_bp(base, bp);
	lim = lim < 1 ? 1 : lim;
	int64_t warn = r_bp(lim, g[PS_RISK_G_WARN_AT_BP]),
		thr = r_bp(lim, g[PS_RISK_G_THROTTLE_AT_BP]);
	warn = warn < 1 ? 1 : warn;
	thr = thr < 1 ? 1 : thr;
	return v >= lim ? 3 : v >= thr ? 2 : v >= warn ? 1 : 0;
}

static void r_post_trade(struct ref *m)
{
	const int64_t *g = m->g;
	int64_t e = r_equity(m);

	if (e > m->hwm)
		m->hwm = e;
	int lvl = r_level(m->sod - e, m->sod, g[PS_RISK_G_DAILY_LOSS_BP], g);
	int ld = r_level(m->hwm - e, m->hwm, g[PS_RISK_G_MAX_DRAWDOWN_BP], g);
	lvl = lvl > ld ? lvl : ld;
	while (m->level < lvl) {
		m->level++;
		if (m->level == 2)
			m->throttled = true;
		if (m->level == 3)
			m->state = g[PS_RISK_G_BREACH_ACTION] ? PS_RISK_STATE_HALTED
							      : PS_RISK_STATE_REDUCING;
	}
}

static void r_fill(struct ref *m, uint32_t h, int64_t px, int64_t q, uint64_t now)
{
	struct ref_order *o = &m->o[h];
	uint32_t i = o->instr;
	int64_t dq = o->side == PS_SIDE_BUY ? q : -q;

	o->leaves -= q < o->leaves ? q : o->leaves;
	if (o->leaves == 0)
		o->live = false;
	/* position: add to the open lot, or close out of it proportionally */
	int64_t pos = m->pos[i];
	if (pos == 0 || (pos > 0 && dq > 0) || (pos < 0 && dq < 0)) {
		m->pos[i] += dq;
		m->cost[i] += dq * px;
	} else {
		int64_t closing = r_abs(dq) < r_abs(pos) ? r_abs(dq) : r_abs(pos);
		int64_t share = closing == r_abs(pos)
				    ? m->cost[i]
				    : (int64_t)((__int128)m->cost[i] * closing / r_abs(pos));
		m->realized[i] += (pos > 0 ? closing * px : -closing * px) - share;
		m->cost[i] -= share;
		m->pos[i] += pos > 0 ? -closing : closing;
		if (r_abs(dq) > closing) {
			m->pos[i] = (dq > 0 ? 1 : -1) * (r_abs(dq) - closing);
			m->cost[i] = m->pos[i] * px;
		}
	}
	m->mark[i] = px;
	r_post_trade(m);
	const int64_t *g = m->g;
	unsigned s = o->strat;
	if (g[PS_RISK_G_FILL_THROTTLE_COUNT]) {
		uint64_t n = (uint64_t)g[PS_RISK_G_FILL_THROTTLE_COUNT];
		m->fills[s][m->nfills[s] % 4096] = now;
		m->nfills[s]++;
		if (m->nfills[s] >= n && !m->strat_thr[s] &&
		    now - m->fills[s][(m->nfills[s] - n) % 4096] <=
			(uint64_t)g[PS_RISK_G_FILL_THROTTLE_MS] * MS)
			m->strat_thr[s] = true;
	}
}

/* ---- the run ---------------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static uint64_t step_no;

static void compare(struct fx *f, struct ref *m)
{
	struct ps_risk_totals t;
	int64_t realized = 0, unreal = 0;

	for (uint32_t i = 0; i < NI; i++) {
		struct ps_risk_position p;

		ps_risk_position_get(f->r, i, &p);
		if (p.pos != m->pos[i] || p.cost != m->cost[i] || p.realized != m->realized[i] ||
		    p.unrealized != m->pos[i] * m->mark[i] - m->cost[i])
			fail_msg("step %" PRIu64 " instr %u: pos %" PRId64 "/%" PRId64
				 " cost %" PRId64 "/%" PRId64 " realized %" PRId64 "/%" PRId64,
				 step_no, i, p.pos, m->pos[i], p.cost, m->cost[i], p.realized,
				 m->realized[i]);
		realized += m->realized[i];
		unreal += m->pos[i] * m->mark[i] - m->cost[i];
	}
	ps_risk_totals_get(f->r, &t);
	int64_t e = r_equity(m);
	if (t.realized != realized || t.unrealized != unreal || t.equity != e || t.hwm != m->hwm ||
	    t.drawdown != m->hwm - e || t.daily_pnl != e - m->sod || t.state != m->state ||
	    t.level != m->level)
		fail_msg("step %" PRIu64 ": equity %" PRId64 "/%" PRId64 " hwm %" PRId64 "/%" PRId64
			 " state %d/%d level %d/%d",
			 step_no, t.equity, e, t.hwm, m->hwm, t.state, m->state, t.level, m->level);
}

/* Limits the run changes now and then: (scope, key, values to pick from). */
struct knob {
	enum ps_risk_scope scope;
	unsigned key;
	int64_t v[4];
};

static const struct knob knobs[] = {
	{ PS_RISK_SCOPE_GLOBAL,
	  PS_RISK_G_MAX_GROSS,
	  { 0, 400 * FX_PX, 800 * FX_PX, 2000 * FX_PX } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_GROSS_EQUITY_BP, { 0, 8000, 300, 20000 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_NET_EQUITY_BP, { 0, 8000, 200, 50 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_POSITION_EQUITY_BP, { 0, 1000, 500, 3000 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_MAX_OPEN_POSITIONS, { 0, 1, 2, 3 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_MIN_CONFIDENCE_BP, { 0, 6000, 3000, 9000 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_DUP_WINDOW_MS, { 0, 5, 50, 1 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_MD_STALE_MS, { 0, 20, 100, 0 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_ORDER_RATE, { 0, 200, 1000, 50 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_ORDER_BURST, { 1, 2, 5, 20 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_SESSION_ORDER_RATE, { 0, 500, 2000, 100 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_SESSION_ORDER_BURST, { 1, 3, 10, 100 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_CANCEL_BURST, { 1, 2, 5, 40 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_MAX_NET, { 0, 200 * FX_PX, 500 * FX_PX, 0 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_THROTTLE_FACTOR, { 1, 4, 10, 4 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_CANCEL_RATE, { 0, 300, 100, 1000 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_SESSION_CANCEL_RATE, { 0, 500, 200, 2000 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_FILL_THROTTLE_COUNT, { 0, 5, 20, 3 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_DAILY_LOSS_BP, { 0, 100, 300, 50 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_MAX_DRAWDOWN_BP, { 0, 150, 400, 80 } },
	{ PS_RISK_SCOPE_GLOBAL, PS_RISK_G_BREACH_ACTION, { 0, 1, 1, 1 } },
	{ PS_RISK_SCOPE_GLOBAL,
	  PS_RISK_G_CREDIT_LIMIT,
	  { 600 * FX_PX, 2000 * FX_PX, 300 * FX_PX, FX_EQUITY } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_MAX_LONG, { 0, 80, 500, 200 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_MAX_SHORT, { 0, 60, 400, 200 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_MAX_ORDER_QTY, { 0, 300, 100, 0 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_MAX_ORDER_NOTIONAL, { 0, 150 * FX_PX, 50 * FX_PX, 0 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_COLLAR_BPS, { 0, 50, 200, 10 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_COLLAR_TICKS, { 0, 0, 5, 20 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_MAX_WORKING_ORDERS, { 0, 6, 2, 4 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_RESTRICTED, { 0, 0, 0, 1 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_LOT, { 1, 1, 10, 1 } },
	{ PS_RISK_SCOPE_INSTR, PS_RISK_I_TICK, { FX_TICK, FX_TICK, 1, 250 } },
};

static void knob_turn(struct fx *f, struct ref *m)
{
	const struct knob *k = &knobs[below(PS_ARRAY_SIZE(knobs))];
	int64_t v = k->v[below(4)];
	uint32_t i = (uint32_t)below(NI);

	if (ps_risk_board_set(&f->board, "prop", k->scope, k->key, i, v, NULL, NULL, 0) != 0)
		return;
	if (k->scope == PS_RISK_SCOPE_GLOBAL)
		m->g[k->key] = v;
	else
		m->il[i][k->key] = v;
}

static void operator_action(struct fx *f, struct ref *m)
{
	unsigned s = (unsigned)below(NS);

	switch (below(5)) {
	case 0: /* engaged now and then, released soon */
		m->kill = m->kill ? false : below(3) == 0;
		assert_int_equal(ps_risk_board_kill(&f->board, "prop", m->kill, NULL), 0);
		break;
	case 1:
		assert_int_equal(ps_risk_board_reset(&f->board, "prop", NULL), 0);
		/* The reset moves figures compared after every step (hwm, state):
		 * pick it up now rather than at the next check. */
		ps_risk_refresh(f->r, 0);
		m->level = 0;
		m->throttled = false;
		m->state = PS_RISK_STATE_ACTIVE;
		m->hwm = r_equity(m);
		break;
	case 2:
		m->strat_off[s] = m->strat_off[s] ? false : below(3) == 0;
		assert_int_equal(
		    ps_risk_board_strategy_enable(&f->board, "prop", s, !m->strat_off[s], NULL), 0);
		break;
	case 3:
		assert_int_equal(ps_risk_board_strategy_release(&f->board, "prop", s, NULL), 0);
		m->strat_thr[s] = false;
		m->nfills[s] = 0;
		break;
	default:
		ps_risk_day_roll(f->r, 0);
		m->sod = r_equity(m);
		break;
	}
}

static uint32_t pick_live(const struct ref *m)
{
	uint32_t start = (uint32_t)below(NO);

	for (uint32_t k = 0; k < NO; k++) {
		uint32_t h = (start + k) % NO;
		if (m->o[h].live)
			return h;
	}
	return PS_RISK_ORDER_NONE;
}

static int64_t rand_price(const struct ref *m, uint32_t i)
{
	int64_t base = m->mark[i] > 0 ? m->mark[i] : FX_PX;
	int64_t p = base + ((int64_t)below(41) - 20) * FX_TICK;

	if (below(20) == 0)
		p += (int64_t)below(FX_TICK); /* off the grid */
	if (below(200) == 0)
		p = -(int64_t)below(3) * FX_TICK;
	return p;
}

static void test_risk_property_matches_reference(void **state)
{
	struct fx *f = *state;
	struct ref *m = ps_calloc(1, sizeof(*m));
	uint64_t ops = 1000000, now = T0, verdicts[PS_RISK_REASON__COUNT] = { 0 };
	struct ps_order_intent last_new = intent(0, PS_SIDE_BUY, FX_PX, 1);
	const char *e;

	assert_non_null(m);
	if ((e = getenv("PS_RISK_PROPERTY_OPS")) != NULL)
		ops = strtoull(e, NULL, 10);
	if ((e = getenv("PS_STRESS_SCALE")) != NULL && strtod(e, NULL) > 0)
		ops = (uint64_t)((double)ops * strtod(e, NULL));
	rng_state = (e = getenv("PS_RISK_SEED")) != NULL ? strtoull(e, NULL, 0)
							 : UINT64_C(0x9E3779B97F4A7C15);
	if (rng_state == 0)
		rng_state = 1;
	print_message("seed 0x%" PRIx64 ", %" PRIu64 " operations\n", rng_state, ops);

	/* Same start as the fixture, then the run's own limits. */
	memcpy(m->g, f->board.g->g, sizeof(m->g));
	for (uint32_t i = 0; i < NI; i++) {
		memcpy(m->il[i], f->board.il[i].v, sizeof(m->il[i]));
		m->last[i] = FX_PX;
		m->md_ns[i] = T0;
	}
	m->hwm = m->sod = FX_EQUITY;
	for (unsigned k = 0; k < 12; k++)
		knob_turn(f, m);

	for (step_no = 0; step_no < ops; step_no++) {
		uint64_t dice = below(1000);

		if (below(4) == 0)
			now += below(3 * MS);
		if (dice < 420) { /* new order */
			uint32_t i = (uint32_t)below(NI);
			struct ps_order_intent in =
			    intent(i, (unsigned)below(2), rand_price(m, i),
				   (uint32_t)(below(10) == 0 ? 0 : 1 + below(120)));
			if (below(50) == 0)
				in.instrument = NI;
			if (below(10) == 0)
				in.type = PS_ORDER_MARKET;
			in.strategy_id = (uint16_t)below(NS);
			if (below(8) == 0)
				in = last_new; /* a repeat: duplicates */
			in.confidence_bp = (uint16_t)below(10001);
			last_new = in;
			struct ps_order_intent rin = in;
			enum ps_risk_reason v = ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, now);
			enum ps_risk_reason w = r_check(m, &rin, PS_RISK_ORDER_NONE, now);
			if (v != w)
				fail_msg(
				    "step %" PRIu64 ": new: got %s, reference %s (instr %u side %u "
				    "type %u px %" PRId64 " qty %u lot %" PRId64 " tick %" PRId64
				    ")",
				    step_no, ps_risk_reason_name(v), ps_risk_reason_name(w),
				    rin.instrument, rin.side, rin.type, rin.price, rin.qty,
				    rin.instrument < NI ? m->il[rin.instrument][PS_RISK_I_LOT] : 0,
				    rin.instrument < NI ? m->il[rin.instrument][PS_RISK_I_TICK]
							: 0);
			verdicts[v]++;
			if (v == PS_RISK_OK) {
				assert_int_equal(in.price, rin.price);
				uint32_t h =
				    ps_risk_on_send(f->r, &in, PS_RISK_ORDER_NONE, step_no, now);
				assert_true(h < NO);
				assert_false(m->o[h].live);
				r_send(m, &rin, h, now);
			}
		} else if (dice < 480) { /* replace */
			uint32_t h = pick_live(m);
			if (h == PS_RISK_ORDER_NONE)
				continue;
			if (below(20) == 0)
				h = (h + 1) % NO; /* maybe not live, maybe another instrument */
			const struct ref_order *o = &m->o[h];
			uint32_t i = o->live ? o->instr : 0;
			struct ps_order_intent in = intent(
			    i, o->live ? o->side : 0, rand_price(m, i), (uint32_t)(1 + below(120)));
			in.action = PS_ORDER_REPLACE;
			in.strategy_id = o->live ? (uint16_t)o->strat : 0;
			in.confidence_bp = (uint16_t)below(10001);
			struct ps_order_intent rin = in;
			enum ps_risk_reason v = ps_risk_check(f->r, &in, h, now);
			enum ps_risk_reason w = r_check(m, &rin, h, now);
			if (v != w)
				fail_msg("step %" PRIu64 ": replace: got %s, reference %s", step_no,
					 ps_risk_reason_name(v), ps_risk_reason_name(w));
			verdicts[v]++;
			if (v == PS_RISK_OK) {
				assert_int_equal(ps_risk_on_send(f->r, &in, h, 0, now), h);
				r_send(m, &rin, h, now);
			}
		} else if (dice < 540) { /* cancel request */
			struct ps_order_intent in = intent(0, 0, 0, 0);
			in.action = PS_ORDER_CANCEL;
			in.strategy_id = (uint16_t)below(NS);
			struct ps_order_intent rin = in;
			enum ps_risk_reason v = ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, now);
			enum ps_risk_reason w = r_check(m, &rin, PS_RISK_ORDER_NONE, now);
			if (v != w)
				fail_msg("step %" PRIu64 ": cancel: got %s, reference %s", step_no,
					 ps_risk_reason_name(v), ps_risk_reason_name(w));
			verdicts[v]++;
			if (v == PS_RISK_OK) {
				ps_risk_on_send(f->r, &in, PS_RISK_ORDER_NONE, 0, now);
				r_send(m, &rin, PS_RISK_ORDER_NONE, now);
			}
		} else if (dice < 600) { /* ack */
			uint32_t h = pick_live(m);
			if (h != PS_RISK_ORDER_NONE)
				ps_risk_on_ack(f->r, h);
		} else if (dice < 640) { /* venue reject or cancel done */
			uint32_t h = pick_live(m);
			if (h == PS_RISK_ORDER_NONE)
				continue;
			if (below(2))
				ps_risk_on_reject(f->r, h, now);
			else
				ps_risk_on_cancel(f->r, h, now);
			m->o[h].live = false;
		} else if (dice < 665) { /* the venue's own terms (a refused replace) */
			uint32_t h = pick_live(m);
			if (h == PS_RISK_ORDER_NONE)
				continue;
			if (below(20) == 0)
				h = (h + 1) % NO; /* maybe an order that has ended */
			struct ref_order *o = &m->o[h];
			int64_t px = rand_price(m, o->instr < NI ? o->instr : 0);
			uint32_t leaves = below(5) == 0 ? 0 : (uint32_t)(1 + below(120));
			ps_risk_on_amend(f->r, h, px, leaves, now);
			if (o->live && leaves == 0) {
				o->live = false;
			} else if (o->live) {
				o->price = px;
				o->leaves = leaves;
			}
		} else if (dice < 680) { /* a send that never reached the market */
			struct ps_order_intent in = last_new;
			ps_risk_dup_forget(f->r, &in);
			if (in.instrument < NI && in.side < 2) {
				for (unsigned k = 1; k <= PS_RISK_DUP_SLOTS; k++) {
					unsigned at =
					    (m->send_next[in.instrument] + PS_RISK_DUP_SLOTS - k) %
					    PS_RISK_DUP_SLOTS;
					struct ref_send *d = &m->sends[in.instrument][at];
					if (d->used && d->strat == in.strategy_id &&
					    d->side == in.side && d->price == in.price &&
					    d->qty == in.qty) {
						d->used = false;
						break;
					}
				}
			}
		} else if (dice < 820) { /* fill */
			uint32_t h = pick_live(m);
			if (h == PS_RISK_ORDER_NONE)
				continue;
			struct ref_order *o = &m->o[h];
			int64_t q =
			    below(3) == 0 ? o->leaves : 1 + (int64_t)below((uint64_t)o->leaves);
			if (below(100) == 0)
				q += 1 + (int64_t)below(5); /* venue overfill */
			int64_t px =
			    o->price - (int64_t)below(3) * FX_TICK * (o->side == 0 ? 1 : -1);
			ps_risk_on_fill(f->r, h, px, (uint32_t)q, now);
			r_fill(m, h, px, q, now);
		} else if (dice < 940) { /* mark */
			uint32_t i = (uint32_t)below(NI);
			int64_t base = m->mark[i] > 0 ? m->mark[i] : FX_PX;
			int64_t px = base + ((int64_t)below(21) - 10) * FX_TICK;
			if (below(50) == 0)
				px = base + ((int64_t)below(2001) - 1000) * FX_TICK; /* jump */
			if (px <= FX_TICK * 10)
				px = FX_PX;
			ps_risk_on_mark(f->r, i, px, now);
			m->mark[i] = px;
			r_post_trade(m);
		} else if (dice < 980) { /* market data */
			uint32_t i = (uint32_t)below(NI);
			int64_t mid = (m->mark[i] > 0 ? m->mark[i] : FX_PX) +
				      ((int64_t)below(11) - 5) * FX_TICK;
			int64_t b = below(5) ? mid - FX_TICK : 0, a = below(5) ? mid + FX_TICK : 0;
			int64_t l = below(8) ? mid : 0;
			ps_risk_md_update(f->r, i, b, a, l, now);
			m->bid[i] = b;
			m->ask[i] = a;
			m->last[i] = l;
			m->md_ns[i] = now;
			if (below(10) == 0) {
				bool hal = below(3) == 0, st = below(3) == 0;
				ps_risk_md_status(f->r, i, hal, st);
				m->halted[i] = hal;
				m->stale[i] = st;
			}
		} else if (dice < 995) {
			knob_turn(f, m);
		} else {
			operator_action(f, m);
		}
		compare(f, m);
	}
	/* The run must have exercised most verdicts. */
	unsigned seen = 0;
	for (unsigned v = 0; v <= PS_RISK_CONFIDENCE; v++) {
		seen += verdicts[v] != 0;
		print_message("  %-22s %" PRIu64 "\n", ps_risk_reason_name(v), verdicts[v]);
	}
	if (ops >= 1000000)
		assert_true(seen >= 33);
	ps_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_risk_property_matches_reference, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests_name("risk_property", tests, NULL, NULL);
}
