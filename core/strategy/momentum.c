/*
 * Momentum: three exponential moving averages of the microprice on three
 * time scales (fast, medium, slow; alpha = 2^-shift per book update, kept in
 * fixed point with 16 fraction bits, so no floating point and no division).
 *
 *   trend up   when fast > medium > slow
 *   trend down when fast < medium < slow
 *   confidence = 5000 + 5000 * |fast - slow| / (slow * full_bps / 10000),
 *                capped at 10000 basis points, 0 without a trend
 *
 * With a trend and confidence at least min_confidence_bp it trades towards
 * a target position of +-max_position with marketable IOC limit orders (at
 * the opposite best price) of at most qty shares, one order in flight at a
 * time and at most one per cooldown_us. The averages warm up for 2^slow_shift
 * updates before the first order.
 */
#include <stdio.h>

#include <ps/config.h>
#include <ps/err.h>

#include "strategy_internal.h"

#define EMA_FRAC 16

struct momentum {
	int64_t ema[3]; /* fast, medium, slow; price << EMA_FRAC */
	uint32_t shift[3];
	uint64_t updates;
	uint64_t warmup;
	uint64_t cooldown_ns;
	uint64_t last_ns;
	int64_t max_position;
	int64_t full_bps;
	uint32_t qty;
	uint32_t min_confidence_bp;
	uint32_t next_tag;
	bool pending;
};

static int mo_init(struct ps_strategy *s, struct ps_config *c, const char *sec, char *err,
		   size_t err_len)
{
	static const char *const keys[3] = { "fast_shift", "medium_shift", "slow_shift" };
	static const int64_t defs[3] = { 3, 6, 9 };
	struct momentum *m = s->state;
	int64_t v;
	int rc;

	for (int i = 0; i < 3; i++) {
		if ((rc = ps_config_get_int(c, sec, keys[i], defs[i], 1, 20, &v, err, err_len)))
			return rc;
		m->shift[i] = (uint32_t)v;
	}
	if (!(m->shift[0] < m->shift[1] && m->shift[1] < m->shift[2])) {
		snprintf(err, err_len,
			 "%s:%d: [%s] need fast_shift < medium_shift < slow_shift (got %u, %u, %u)",
			 ps_config_path(c), ps_config_section_line(c, sec), sec, m->shift[0],
			 m->shift[1], m->shift[2]);
		return PS_ECONFIG;
	}
	if ((rc = ps_config_get_int(c, sec, "qty", 100, 1, 1000000, &v, err, err_len)))
		return rc;
	m->qty = (uint32_t)v;
	if ((rc = ps_config_get_int(c, sec, "max_position", 300, 1, INT32_MAX, &m->max_position,
				    err, err_len)))
		return rc;
	if ((rc = ps_config_get_int(c, sec, "min_confidence_bp", 6000, 0, 10000, &v, err, err_len)))
		return rc;
	m->min_confidence_bp = (uint32_t)v;
	if ((rc = ps_config_get_int(c, sec, "full_confidence_bps", 5, 1, 10000, &m->full_bps, err,
				    err_len)))
		return rc;
	if ((rc = ps_config_get_int(c, sec, "cooldown_us", 1000, 0, 600000000, &v, err, err_len)))
		return rc;
	m->cooldown_ns = (uint64_t)v * 1000;
	m->warmup = 1ull << m->shift[2];
	m->next_tag = 1;
	return 0;
}

/* Confidence in basis points from the trend's strength; 0 without a trend. */
static uint32_t confidence(const struct momentum *m, int *dir)
{
	int64_t f = m->ema[0], md = m->ema[1], sl = m->ema[2], diff, full;

	if (f > md && md > sl)
		*dir = 1;
	else if (f < md && md < sl)
		*dir = -1;
	else {
		*dir = 0;
		return 0;
	}
	diff = f > sl ? f - sl : sl - f;
	full = sl / 10000 * m->full_bps; /* |fast - slow| that earns full confidence */
	if (full <= 0 || diff >= full)
		return 10000;
	return (uint32_t)(5000 + diff * 5000 / full);
}

static void mo_on_book(struct ps_strategy *s, const struct ps_book *book,
		       const struct ps_md_event *ev, struct ps_strategy_out *out)
{
	struct momentum *m = s->state;
	const struct ps_book_level *bb, *ba;
	struct ps_order_intent *it;
	int64_t micro, target, delta;
	uint32_t conf, qty;
	int dir;

	(void)ev;
	if (!ps_strategy_microprice(book, &micro))
		return;
	if (m->updates++ == 0) {
		for (int i = 0; i < 3; i++)
			m->ema[i] = micro << EMA_FRAC;
		return;
	}
	for (int i = 0; i < 3; i++)
		m->ema[i] += ((micro << EMA_FRAC) - m->ema[i]) >> m->shift[i];
	if (m->updates < m->warmup || m->pending || s->now_ns - m->last_ns < m->cooldown_ns)
		return;
	conf = confidence(m, &dir);
	if (dir == 0 || conf < m->min_confidence_bp)
		return;
	target = dir * m->max_position;
	delta = target - s->position;
	if (delta == 0 || (delta > 0) != (dir > 0))
		return;
	qty = (uint32_t)PS_MIN(delta > 0 ? delta : -delta, (int64_t)m->qty);
	bb = ps_book_best(book, PS_SIDE_BUY);
	ba = ps_book_best(book, PS_SIDE_SELL);
	it = ps_strategy_out_push(out);
	if (!it)
		return;
	*it = (struct ps_order_intent){
		.price = dir > 0 ? ba->price : bb->price,
		.qty = qty,
		.confidence_bp = (uint16_t)conf,
		.action = PS_ORDER_NEW,
		.side = dir > 0 ? PS_SIDE_BUY : PS_SIDE_SELL,
		.type = PS_ORDER_LIMIT,
		.tif = PS_TIF_IOC,
		.tag = m->next_tag++,
	};
	m->pending = true;
	m->last_ns = s->now_ns;
}

static void mo_on_report(struct ps_strategy *s, const struct ps_exec_report *r,
			 struct ps_strategy_out *out)
{
	struct momentum *m = s->state;

	(void)out;
	if (r->type == PS_REPORT_REJECTED)
		m->last_ns = s->now_ns; /* refused: wait a cooldown before trying again */
	if (r->type == PS_REPORT_CANCELED || r->type == PS_REPORT_REJECTED ||
	    (r->type == PS_REPORT_FILL && r->leaves_qty == 0))
		m->pending = false;
}

const struct ps_strategy_ops ps_strategy_momentum_ops = {
	.kind = "momentum",
	.state_len = sizeof(struct momentum),
	.init = mo_init,
	.on_book = mo_on_book,
	.on_report = mo_on_report,
};
