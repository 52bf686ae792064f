/*
 * Shared fixture of the risk tests: a board and a ps_risk over 3 instruments
 * and 3 strategies, with every limit off except the account figures, so each
 * test switches on exactly the limit it looks at.
 */
#ifndef PS_TEST_RISK_FIXTURE_H
#define PS_TEST_RISK_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/risk.h>

#define FX_INSTR 3
#define FX_STRAT 3
#ifndef FX_ORDERS
#define FX_ORDERS 16
#endif
#define FX_EVENTS 256
#define FX_EQUITY INT64_C(10000000000) /* 1,000,000.0000 */
#define FX_PX     INT64_C(1000000)     /* 100.0000 */
#define FX_TICK   100
#define MS        UINT64_C(1000000)
#define T0        (UINT64_C(1000) * MS)

struct fx {
	struct ps_risk_board board;
	struct ps_risk *r;
	void *board_mem;
	struct ps_risk_event ev[FX_EVENTS];
	unsigned nev;
};

static void fx_sink(void *ctx, const struct ps_risk_event *ev)
{
	struct fx *f = ctx;

	if (f->nev < FX_EVENTS)
		f->ev[f->nev++] = *ev;
}

static void fx_base_limits(struct ps_risk_limits *g, struct ps_risk_instr_limits *il)
{
	int64_t *v = g->g;

	ps_risk_limits_defaults(g);
	v[PS_RISK_G_START_EQUITY] = FX_EQUITY;
	v[PS_RISK_G_CREDIT_LIMIT] = FX_EQUITY;
	v[PS_RISK_G_POSITION_EQUITY_BP] = 0;
	v[PS_RISK_G_GROSS_EQUITY_BP] = 0;
	v[PS_RISK_G_NET_EQUITY_BP] = 0;
	v[PS_RISK_G_MAX_OPEN_POSITIONS] = 0;
	v[PS_RISK_G_MIN_CONFIDENCE_BP] = 0;
	v[PS_RISK_G_DUP_WINDOW_MS] = 0;
	v[PS_RISK_G_ORDER_RATE] = 0;
	v[PS_RISK_G_SESSION_ORDER_RATE] = 0;
	v[PS_RISK_G_CANCEL_RATE] = 0;
	v[PS_RISK_G_SESSION_CANCEL_RATE] = 0;
	v[PS_RISK_G_FILL_THROTTLE_COUNT] = 0;
	v[PS_RISK_G_DAILY_LOSS_BP] = 0;
	v[PS_RISK_G_MAX_DRAWDOWN_BP] = 0;
	v[PS_RISK_G_STOP_LOSS_BP] = 0;
	v[PS_RISK_G_TAKE_PROFIT_BP] = 0;
	for (unsigned i = 0; i < FX_INSTR; i++) {
		int64_t *x = il[i].v;

		ps_risk_instr_limits_defaults(&il[i]);
		x[PS_RISK_I_TICK] = FX_TICK;
		x[PS_RISK_I_LOT] = 1;
		x[PS_RISK_I_MAX_ORDER_QTY] = 0;
		x[PS_RISK_I_MAX_ORDER_NOTIONAL] = 0;
		x[PS_RISK_I_COLLAR_BPS] = 0;
		x[PS_RISK_I_COLLAR_TICKS] = 0;
		x[PS_RISK_I_MAX_LONG] = 0;
		x[PS_RISK_I_MAX_SHORT] = 0;
		x[PS_RISK_I_MAX_WORKING_ORDERS] = 0;
	}
}

static int fx_setup(void **state)
{
	struct ps_risk_limits g = { 0 };
	struct ps_risk_instr_limits il[FX_INSTR] = { 0 };
	struct ps_risk_params p;
	struct fx *f = ps_calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	fx_base_limits(&g, il);
	f->board_mem = ps_alloc_aligned(64, ps_risk_board_memsize(FX_INSTR));
	assert_non_null(f->board_mem);
	assert_int_equal(
	    ps_risk_board_init(&f->board, f->board_mem, FX_INSTR, &g, il, err, sizeof(err)), 0);
	memset(&p, 0, sizeof(p));
	p.instrument_count = FX_INSTR;
	p.strategy_count = FX_STRAT;
	p.order_capacity = FX_ORDERS;
	p.board = &f->board;
	p.sink = fx_sink;
	p.sink_ctx = f;
	assert_int_equal(ps_risk_create(&f->r, &p), 0);
	for (uint32_t i = 0; i < FX_INSTR; i++)
		ps_risk_md_update(f->r, i, 0, 0, FX_PX, T0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	ps_risk_destroy(f->r);
	ps_risk_board_fini(&f->board);
	ps_free(f->board_mem);
	ps_free(f);
	return 0;
}

PS_UNUSED static void set_g(struct fx *f, unsigned key, int64_t v)
{
	char err[256];
	int rc = ps_risk_board_set(&f->board, "test", PS_RISK_SCOPE_GLOBAL, key, 0, v, NULL, err,
				   sizeof(err));
	if (rc)
		fail_msg("set %s: %s", ps_risk_key_info(PS_RISK_SCOPE_GLOBAL, key)->name, err);
}

PS_UNUSED static void set_i(struct fx *f, uint32_t instr, unsigned key, int64_t v)
{
	char err[256];
	int rc = ps_risk_board_set(&f->board, "test", PS_RISK_SCOPE_INSTR, key, instr, v, NULL, err,
				   sizeof(err));
	if (rc)
		fail_msg("set %s: %s", ps_risk_key_info(PS_RISK_SCOPE_INSTR, key)->name, err);
}

static struct ps_order_intent intent(uint32_t instr, unsigned side, int64_t px, uint32_t qty)
{
	struct ps_order_intent in;

	memset(&in, 0, sizeof(in));
	in.instrument = instr;
	in.side = (uint8_t)side;
	in.price = px;
	in.qty = qty;
	in.action = PS_ORDER_NEW;
	in.type = PS_ORDER_LIMIT;
	in.confidence_bp = 10000;
	return in;
}

/* Check a NEW limit order; returns the verdict. */
PS_UNUSED static enum ps_risk_reason chk(struct fx *f, uint32_t instr, unsigned side, int64_t px,
					 uint32_t qty, uint64_t now)
{
	struct ps_order_intent in = intent(instr, side, px, qty);

	return ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, now);
}

/* Check and send; asserts acceptance; returns the handle. */
PS_UNUSED static uint32_t send(struct fx *f, uint32_t instr, unsigned side, int64_t px,
			       uint32_t qty, uint64_t now)
{
	struct ps_order_intent in = intent(instr, side, px, qty);
	enum ps_risk_reason v = ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, now);

	if (v != PS_RISK_OK)
		fail_msg("send rejected: %s", ps_risk_reason_name(v));
	uint32_t h = ps_risk_on_send(f->r, &in, PS_RISK_ORDER_NONE, 1, now);
	assert_int_not_equal(h, PS_RISK_ORDER_NONE);
	return h;
}

#define assert_reason(expr, want)                                                         \
	do {                                                                              \
		enum ps_risk_reason got_ = (expr);                                        \
		if (got_ != (want))                                                       \
			fail_msg("%s: got %s, want %s", #expr, ps_risk_reason_name(got_), \
				 ps_risk_reason_name(want));                              \
	} while (0)

#endif /* PS_TEST_RISK_FIXTURE_H */
