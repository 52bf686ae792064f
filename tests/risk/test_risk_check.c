/*
 * Pre-trade checks: every check at, just below and just above its limit with
 * the exact reason code; check order; kill switch; in-flight orders; zero
 * allocations across the check loop.
 */
#include "risk_fixture.h"

static void test_risk_check_accepts_plain_order(void **state)
{
	struct fx *f = *state;

	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0), PS_RISK_OK);
	assert_int_equal(f->r->counters[PS_RISK_OK], 1);
}

static void test_risk_check_rejects_bad_intent(void **state)
{
	struct fx *f = *state;
	struct ps_order_intent in = intent(FX_INSTR, PS_SIDE_BUY, FX_PX, 1);

	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_BAD_INTENT);
	in = intent(0, 2, FX_PX, 1);
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_BAD_INTENT);
	in = intent(0, PS_SIDE_BUY, FX_PX, 1);
	in.strategy_id = FX_STRAT;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_BAD_INTENT);
	in = intent(0, PS_SIDE_BUY, FX_PX, 1);
	in.action = PS_ORDER_REPLACE;
	assert_reason(ps_risk_check(f->r, &in, 3, T0), PS_RISK_BAD_INTENT);
	assert_int_equal(f->r->counters[PS_RISK_BAD_INTENT], 4);
}

static void test_risk_check_kill_switch_blocks_all_but_cancels(void **state)
{
	struct fx *f = *state;
	struct ps_risk_change rec;
	struct ps_order_intent c = intent(0, PS_SIDE_BUY, 0, 0);

	c.action = PS_ORDER_CANCEL;
	set_g(f, PS_RISK_G_CANCEL_RATE, 1);
	set_g(f, PS_RISK_G_CANCEL_BURST, 1);
	assert_int_equal(ps_risk_board_kill(&f->board, "ops", true, &rec), 0);
	assert_int_equal(rec.old_value, 0);
	assert_int_equal(rec.new_value, 1);
	assert_string_equal(rec.who, "ops");
	assert_int_equal(rec.key, PS_RISK_G_KILL_SWITCH);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_KILL_SWITCH);
	assert_reason(chk(f, 0, PS_SIDE_SELL, 0, 0, T0),
		      PS_RISK_KILL_SWITCH); /* first check wins */
	for (int i = 0; i < 5; i++) {       /* cancels pass, unthrottled */
		assert_reason(ps_risk_check(f->r, &c, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);
		ps_risk_on_send(f->r, &c, PS_RISK_ORDER_NONE, 0, T0);
	}
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, PS_RISK_EV_KILL_SWITCH_ON);
	assert_int_equal(ps_risk_board_kill(&f->board, "ops", false, &rec), 0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	assert_int_equal(f->ev[1].type, PS_RISK_EV_KILL_SWITCH_OFF);
	/* With the switch off, the cancel rate applies again. */
	assert_reason(ps_risk_check(f->r, &c, PS_RISK_ORDER_NONE, T0),
		      PS_RISK_CANCEL_RATE_STRATEGY);
}

static void test_risk_check_strategy_off_keeps_others(void **state)
{
	struct fx *f = *state;
	struct ps_order_intent in = intent(0, PS_SIDE_BUY, FX_PX, 1);

	assert_int_equal(ps_risk_board_strategy_enable(&f->board, "ops", 1, false, NULL), 0);
	in.strategy_id = 1;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_STRATEGY_OFF);
	in.strategy_id = 0;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);
	assert_int_equal(ps_risk_board_strategy_enable(&f->board, "ops", 1, true, NULL), 0);
	in.strategy_id = 1;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);
}

static void test_risk_check_instrument_flags(void **state)
{
	struct fx *f = *state;

	set_i(f, 1, PS_RISK_I_RESTRICTED, 1);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_RESTRICTED);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	ps_risk_md_status(f->r, 0, true, false);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_INSTRUMENT_HALTED);
	ps_risk_md_status(f->r, 0, false, true);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_MD_STALE);
	ps_risk_md_status(f->r, 0, false, false);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
}

static void test_risk_check_md_stale_by_age(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_MD_STALE_MS, 100);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0 + 100 * MS - 1), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0 + 100 * MS), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0 + 100 * MS + 1), PS_RISK_MD_STALE);
	ps_risk_md_update(f->r, 0, 0, 0, FX_PX, T0 + 200 * MS);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0 + 250 * MS), PS_RISK_OK);
}

static void test_risk_check_shape(void **state)
{
	struct fx *f = *state;

	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 0, T0), PS_RISK_QTY_ZERO);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 1, 1, T0), PS_RISK_TICK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX - 1, 1, T0), PS_RISK_TICK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + FX_TICK, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, 0, 1, T0), PS_RISK_TICK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, -FX_TICK, 1, T0), PS_RISK_TICK);
	/* a tick that is not a power of two: 0.0250 */
	set_i(f, 0, PS_RISK_I_TICK, 250);
	assert_reason(chk(f, 0, PS_SIDE_BUY, 1000250, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, 1000100, 1, T0), PS_RISK_TICK);
	set_i(f, 0, PS_RISK_I_LOT, 100);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 99, T0), PS_RISK_LOT);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 101, T0), PS_RISK_LOT);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 300, T0), PS_RISK_OK);
	set_i(f, 0, PS_RISK_I_LOT, 1);
	set_i(f, 0, PS_RISK_I_MAX_ORDER_QTY, 100);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 99, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 101, T0), PS_RISK_MAX_QTY);
	set_i(f, 0, PS_RISK_I_MAX_ORDER_QTY, 0);
	set_i(f, 0, PS_RISK_I_MAX_ORDER_NOTIONAL, 100 * FX_PX);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 99, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 101, T0), PS_RISK_MAX_NOTIONAL);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, UINT32_MAX, T0), PS_RISK_MAX_NOTIONAL);
}

static void test_risk_check_collar_and_market_protection(void **state)
{
	struct fx *f = *state;
	struct ps_order_intent in;

	set_i(f, 0, PS_RISK_I_COLLAR_TICKS, 5); /* ref 100.0000: [99.9500, 100.0500] */
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 400, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 500, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 600, 1, T0), PS_RISK_COLLAR);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX - 400, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX - 500, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX - 600, 1, T0), PS_RISK_COLLAR);
	/* bps: 100 bp of 100.0000 = 1.0000 */
	set_i(f, 0, PS_RISK_I_COLLAR_TICKS, 0);
	set_i(f, 0, PS_RISK_I_COLLAR_BPS, 100);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 9900, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 10000, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 10100, 1, T0), PS_RISK_COLLAR);
	/* mid beats last */
	ps_risk_md_update(f->r, 0, FX_PX + 10000, FX_PX + 20000, FX_PX, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 25000, 1, T0), PS_RISK_OK);
	/* market order: protection price at the collar edge, on the grid */
	in = intent(0, PS_SIDE_BUY, 0, 1);
	in.type = PS_ORDER_MARKET;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);
	assert_int_equal(in.price, 1015000 + 10100); /* 101.5 + 1% = 102.5150 -> 102.5100 */
	in = intent(0, PS_SIDE_SELL, 0, 1);
	in.type = PS_ORDER_MARKET;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);
	assert_int_equal(in.price, 1004900); /* 101.5 - 1.015 = 100.4850 -> 100.4900 */
	/* no reference */
	ps_risk_md_update(f->r, 0, 0, 0, 0, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_NO_REFERENCE);
	in = intent(0, PS_SIDE_BUY, 0, 1);
	in.type = PS_ORDER_MARKET;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_NO_REFERENCE);
	/* collar off: a limit order needs no reference, a market order still does */
	set_i(f, 0, PS_RISK_I_COLLAR_BPS, 0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_NO_REFERENCE);
}

static void test_risk_check_duplicate_window(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_DUP_WINDOW_MS, 1000);
	send(f, 0, PS_SIDE_BUY, FX_PX, 10, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 10, T0 + 1000 * MS - 1), PS_RISK_DUPLICATE);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 10, T0 + 1000 * MS), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 11, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 100, 10, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 100, 10, T0), PS_RISK_OK);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 10, T0), PS_RISK_OK);
	struct ps_order_intent in = intent(0, PS_SIDE_BUY, FX_PX, 10);
	in.strategy_id = 2;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);

	/* A quote moved away and back within the window: the replace is no
	 * duplicate (it changes a working order); a NEW at those terms still is. */
	uint32_t h = send(f, 0, PS_SIDE_SELL, FX_PX + 200, 10, T0);
	struct ps_order_intent rp = intent(0, PS_SIDE_SELL, FX_PX + 300, 10);
	rp.action = PS_ORDER_REPLACE;
	assert_reason(ps_risk_check(f->r, &rp, h, T0 + MS), PS_RISK_OK);
	assert_int_equal(ps_risk_on_send(f->r, &rp, h, 0, T0 + MS), h);
	rp.price = FX_PX + 200;
	assert_reason(ps_risk_check(f->r, &rp, h, T0 + 2 * MS), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 200, 10, T0 + 2 * MS), PS_RISK_DUPLICATE);

	/* The venue dropped that last replace (its order had ended): a NEW at
	 * its terms is no duplicate; one at the earlier send's terms still is. */
	assert_int_equal(ps_risk_on_send(f->r, &rp, h, 0, T0 + 2 * MS), h);
	ps_risk_dup_forget(f->r, &rp);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 200, 10, T0 + 3 * MS), PS_RISK_DUPLICATE);
	ps_risk_dup_forget(f->r, &rp);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 200, 10, T0 + 3 * MS), PS_RISK_OK);
	struct ps_order_intent other = intent(1, PS_SIDE_SELL, FX_PX + 200, 10);
	ps_risk_dup_forget(f->r, &other); /* another instrument: nothing to take back */
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 10, T0 + 3 * MS), PS_RISK_DUPLICATE);
}

static void test_risk_check_position_counts_in_flight(void **state)
{
	struct fx *f = *state;

	set_i(f, 0, PS_RISK_I_MAX_LONG, 100);
	set_i(f, 0, PS_RISK_I_MAX_SHORT, 50);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 99, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 101, T0), PS_RISK_MAX_LONG);
	uint32_t h = send(f, 0, PS_SIDE_BUY, FX_PX, 40, T0); /* sent, never acked */
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 60, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 61, T0), PS_RISK_MAX_LONG);
	/* working buys do not offset the short side */
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 100, 50, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 100, 51, T0), PS_RISK_MAX_SHORT);
	/* a fill moves the quantity from working to position: same worst case */
	ps_risk_on_fill(f->r, h, FX_PX, 40, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 60, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 61, T0), PS_RISK_MAX_LONG);
	/* a long position leaves room to sell */
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 90, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 91, T0), PS_RISK_MAX_SHORT);
}

static void test_risk_check_replace_swaps_working_quantity(void **state)
{
	struct fx *f = *state;
	struct ps_order_intent in;

	set_i(f, 0, PS_RISK_I_MAX_LONG, 100);
	set_i(f, 0, PS_RISK_I_MAX_WORKING_ORDERS, 1);
	uint32_t h = send(f, 0, PS_SIDE_BUY, FX_PX, 100, T0);
	in = intent(0, PS_SIDE_BUY, FX_PX - 100, 100);
	in.action = PS_ORDER_REPLACE;
	assert_reason(ps_risk_check(f->r, &in, h, T0), PS_RISK_OK);
	in.qty = 101;
	assert_reason(ps_risk_check(f->r, &in, h, T0), PS_RISK_MAX_LONG);
	in.qty = 50;
	assert_reason(ps_risk_check(f->r, &in, h, T0), PS_RISK_OK);
	assert_int_equal(ps_risk_on_send(f->r, &in, h, 0, T0), h);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_WORKING_ORDERS);
	set_i(f, 0, PS_RISK_I_MAX_WORKING_ORDERS, 2);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 50, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 51, T0), PS_RISK_MAX_LONG);
	ps_risk_on_cancel(f->r, h, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0), PS_RISK_OK);
}

/* A refused replace: the venue says the order still works at its old terms,
 * and risk takes them back (working shares, self-trade band) without
 * counting a send; leaves 0 ends the order. */
static void test_risk_check_amend_restores_the_venues_terms(void **state)
{
	struct fx *f = *state;
	struct ps_order_intent in;

	set_i(f, 0, PS_RISK_I_MAX_LONG, 100);
	set_g(f, PS_RISK_G_DUP_WINDOW_MS, 1000);
	uint32_t h = send(f, 0, PS_SIDE_BUY, FX_PX, 100, T0);
	in = intent(0, PS_SIDE_BUY, FX_PX + 300, 100);
	in.action = PS_ORDER_REPLACE;
	assert_reason(ps_risk_check(f->r, &in, h, T0), PS_RISK_OK);
	assert_int_equal(ps_risk_on_send(f->r, &in, h, 0, T0), h);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 200, 1, T0), PS_RISK_SELF_TRADE);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX - 100, 1, T0), PS_RISK_MAX_LONG);
	/* 54 of the original filled while the replace was in flight; then the
	 * replace is refused: 46 work at the original price. */
	ps_risk_on_amend(f->r, h, FX_PX, 46, T0 + MS);
	assert_int_equal(f->r->instr[0].work_qty[PS_SIDE_BUY], 46);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 200, 1, T0 + MS), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 1, T0 + MS), PS_RISK_SELF_TRADE);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX - 100, 54, T0 + MS), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX - 100, 55, T0 + MS), PS_RISK_MAX_LONG);
	/* No send counted: the earlier NEW is still the only duplicate. */
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 46, T0 + MS), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0 + MS), PS_RISK_DUPLICATE);
	ps_risk_on_amend(f->r, h, FX_PX, 0, T0 + 2 * MS);
	assert_int_equal(f->r->instr[0].work_qty[PS_SIDE_BUY], 0);
	assert_false(ps_risk_order_counts(f->r, h, 0, PS_SIDE_BUY, 0));
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 1, T0 + 2 * MS), PS_RISK_OK);
	ps_risk_on_amend(f->r, h, FX_PX, 10, T0 + 3 * MS); /* ended: nothing to amend */
	assert_int_equal(f->r->instr[0].work_qty[PS_SIDE_BUY], 0);
}

static void test_risk_check_position_equity(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_POSITION_EQUITY_BP, 1000); /* 100,000.0000 = 1000 x 100.0000 */
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 999, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1000, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1001, T0), PS_RISK_POSITION_EQUITY);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 1001, T0), PS_RISK_POSITION_EQUITY);
}

static void test_risk_check_gross_and_net(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_MAX_GROSS, 1000 * FX_PX);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1000, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1001, T0), PS_RISK_GROSS);
	send(f, 1, PS_SIDE_SELL, FX_PX, 400, T0); /* gross counts both sides */
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 600, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 601, T0), PS_RISK_GROSS);
	set_g(f, PS_RISK_G_MAX_GROSS, 0);
	set_g(f, PS_RISK_G_GROSS_EQUITY_BP, 1000);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 600, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 601, T0), PS_RISK_GROSS_EQUITY);
	set_g(f, PS_RISK_G_GROSS_EQUITY_BP, 0);
	/* net: the working sell does not offset a buy (worst case per direction) */
	set_g(f, PS_RISK_G_MAX_NET, 500 * FX_PX);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 500, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 501, T0), PS_RISK_NET);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 100, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 101, T0), PS_RISK_NET);
	set_g(f, PS_RISK_G_MAX_NET, 0);
	set_g(f, PS_RISK_G_NET_EQUITY_BP, 500);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 100, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 101, T0), PS_RISK_NET_EQUITY);
}

static void test_risk_check_open_positions_and_working(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_MAX_OPEN_POSITIONS, 1);
	uint32_t h = send(f, 0, PS_SIDE_BUY, FX_PX, 1, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK); /* already open */
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OPEN_POSITIONS);
	set_g(f, PS_RISK_G_MAX_OPEN_POSITIONS, 2);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	set_g(f, PS_RISK_G_MAX_OPEN_POSITIONS, 1);
	ps_risk_on_reject(f->r, h, T0);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	/* a filled position stays open */
	h = send(f, 0, PS_SIDE_BUY, FX_PX, 1, T0);
	ps_risk_on_fill(f->r, h, FX_PX, 1, T0);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OPEN_POSITIONS);

	set_i(f, 2, PS_RISK_I_MAX_WORKING_ORDERS, 2);
	set_g(f, PS_RISK_G_MAX_OPEN_POSITIONS, 0);
	send(f, 2, PS_SIDE_BUY, FX_PX, 1, T0);
	assert_reason(chk(f, 2, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	send(f, 2, PS_SIDE_BUY, FX_PX, 1, T0);
	assert_reason(chk(f, 2, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_WORKING_ORDERS);
}

static void test_risk_check_order_table_full(void **state)
{
	struct fx *f = *state;

	for (unsigned i = 0; i < FX_ORDERS; i++)
		send(f, i % FX_INSTR, PS_SIDE_BUY, FX_PX, 1, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_ORDER_TABLE_FULL);
}

static void test_risk_check_credit(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_CREDIT_LIMIT, 1000 * FX_PX);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1000, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1001, T0), PS_RISK_CREDIT);
	uint32_t h = send(f, 0, PS_SIDE_BUY, FX_PX, 300, T0);
	ps_risk_on_fill(f->r, h, FX_PX, 100, T0); /* 100 filled at cost + 200 working */
	assert_reason(chk(f, 1, PS_SIDE_SELL, FX_PX, 700, T0), PS_RISK_OK);
	assert_reason(chk(f, 1, PS_SIDE_SELL, FX_PX, 701, T0), PS_RISK_CREDIT);
}

static void test_risk_check_order_rates(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_ORDER_RATE, 10); /* one per 100 ms, burst 2 */
	set_g(f, PS_RISK_G_ORDER_BURST, 2);
	send(f, 0, PS_SIDE_BUY, FX_PX, 1, T0);
	send(f, 0, PS_SIDE_BUY, FX_PX, 2, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 3, T0), PS_RISK_RATE_STRATEGY);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 3, T0 + 100 * MS - 1), PS_RISK_RATE_STRATEGY);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 3, T0 + 100 * MS), PS_RISK_OK);
	struct ps_order_intent in = intent(0, PS_SIDE_BUY, FX_PX, 3);
	in.strategy_id = 1; /* other strategy: own bucket */
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);

	set_g(f, PS_RISK_G_ORDER_RATE, 0);
	set_g(f, PS_RISK_G_SESSION_ORDER_RATE, 10);
	set_g(f, PS_RISK_G_SESSION_ORDER_BURST, 1);
	uint64_t t = T0 + 10000 * MS;
	send(f, 1, PS_SIDE_BUY, FX_PX, 1, t);
	in = intent(1, PS_SIDE_BUY, FX_PX, 2);
	in.strategy_id = 2;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, t + 100 * MS - 1),
		      PS_RISK_RATE_SESSION);
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, t + 100 * MS), PS_RISK_OK);
}

static void test_risk_check_cancel_rates(void **state)
{
	struct fx *f = *state;
	struct ps_order_intent c = intent(0, PS_SIDE_BUY, 0, 0);

	c.action = PS_ORDER_CANCEL;
	set_g(f, PS_RISK_G_CANCEL_RATE, 10);
	set_g(f, PS_RISK_G_CANCEL_BURST, 1);
	assert_reason(ps_risk_check(f->r, &c, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);
	ps_risk_on_send(f->r, &c, PS_RISK_ORDER_NONE, 0, T0);
	assert_reason(ps_risk_check(f->r, &c, PS_RISK_ORDER_NONE, T0 + 100 * MS - 1),
		      PS_RISK_CANCEL_RATE_STRATEGY);
	assert_reason(ps_risk_check(f->r, &c, PS_RISK_ORDER_NONE, T0 + 100 * MS), PS_RISK_OK);
	set_g(f, PS_RISK_G_CANCEL_RATE, 0);
	set_g(f, PS_RISK_G_SESSION_CANCEL_RATE, 10);
	set_g(f, PS_RISK_G_SESSION_CANCEL_BURST, 1);
	assert_reason(ps_risk_check(f->r, &c, PS_RISK_ORDER_NONE, T0 + 100 * MS), PS_RISK_OK);
	ps_risk_on_send(f->r, &c, PS_RISK_ORDER_NONE, 0, T0 + 100 * MS);
	c.strategy_id = 2;
	assert_reason(ps_risk_check(f->r, &c, PS_RISK_ORDER_NONE, T0 + 200 * MS - 1),
		      PS_RISK_CANCEL_RATE_SESSION);
	assert_reason(ps_risk_check(f->r, &c, PS_RISK_ORDER_NONE, T0 + 200 * MS), PS_RISK_OK);
}

static void test_risk_check_exec_throttle_latches(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_FILL_THROTTLE_COUNT, 3);
	set_g(f, PS_RISK_G_FILL_THROTTLE_MS, 100);
	uint32_t h = send(f, 0, PS_SIDE_BUY, FX_PX, 10, T0);
	ps_risk_on_fill(f->r, h, FX_PX, 1, T0);
	ps_risk_on_fill(f->r, h, FX_PX, 1, T0 + 50 * MS);
	/* third fill just outside the window: not throttled */
	ps_risk_on_fill(f->r, h, FX_PX, 1, T0 + 100 * MS + 1);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0 + 100 * MS + 1), PS_RISK_OK);
	/* fills 2..4 inside 100 ms exactly: throttled */
	ps_risk_on_fill(f->r, h, FX_PX, 1, T0 + 150 * MS);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0 + 150 * MS), PS_RISK_EXEC_THROTTLE);
	assert_int_equal(f->ev[f->nev - 1].type, PS_RISK_EV_THROTTLED);
	assert_int_equal(f->ev[f->nev - 1].reason, PS_RISK_EXEC_THROTTLE);
	struct ps_order_intent in = intent(0, PS_SIDE_BUY, FX_PX, 1);
	in.strategy_id = 1;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0 + 10000 * MS), PS_RISK_OK);
	/* latched until the operator releases it, however long it waits */
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0 + 100000 * MS), PS_RISK_EXEC_THROTTLE);
	assert_int_equal(ps_risk_board_strategy_release(&f->board, "ops", 0, NULL), 0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0 + 100000 * MS), PS_RISK_OK);
}

static void test_risk_check_self_trade(void **state)
{
	struct fx *f = *state;

	uint32_t s = send(f, 0, PS_SIDE_SELL, FX_PX + 200, 5, T0);
	send(f, 0, PS_SIDE_BUY, FX_PX - 200, 5, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 100, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 200, 1, T0), PS_RISK_SELF_TRADE);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 300, 1, T0), PS_RISK_SELF_TRADE);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX - 100, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX - 200, 1, T0), PS_RISK_SELF_TRADE);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX - 300, 1, T0), PS_RISK_SELF_TRADE);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX + 300, 1, T0), PS_RISK_OK);
	/* the best sell goes: the next best takes over */
	send(f, 0, PS_SIDE_SELL, FX_PX + 400, 5, T0);
	ps_risk_on_cancel(f->r, s, T0);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 300, 1, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX + 400, 1, T0), PS_RISK_SELF_TRADE);
}

static void test_risk_check_confidence(void **state)
{
	struct fx *f = *state;
	struct ps_order_intent in = intent(0, PS_SIDE_BUY, FX_PX, 1);

	set_g(f, PS_RISK_G_MIN_CONFIDENCE_BP, 6000);
	in.confidence_bp = 5999;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_CONFIDENCE);
	in.confidence_bp = 6000;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);
	in.confidence_bp = 6001;
	assert_reason(ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, T0), PS_RISK_OK);
}

static void test_risk_check_loop_allocates_nothing(void **state)
{
	struct fx *f = *state;
	uint64_t before;
	uint64_t ok = 0;

	set_g(f, PS_RISK_G_MIN_CONFIDENCE_BP, 6000);
	set_g(f, PS_RISK_G_DUP_WINDOW_MS, 1);
	set_i(f, 0, PS_RISK_I_COLLAR_BPS, 500);
	before = ps_alloc_count();
	for (uint64_t i = 0; i < 1000000; i++) {
		uint64_t now = T0 + i * 1000;
		struct ps_order_intent in =
		    intent((uint32_t)(i % FX_INSTR), (unsigned)(i & 1),
			   FX_PX + (int64_t)(i % 7) * 100, (uint32_t)(1 + i % 5));
		in.confidence_bp = (uint16_t)(5000 + i % 5000);
		if (ps_risk_check(f->r, &in, PS_RISK_ORDER_NONE, now) == PS_RISK_OK) {
			uint32_t h = ps_risk_on_send(f->r, &in, PS_RISK_ORDER_NONE, i, now);
			ps_risk_on_ack(f->r, h);
			if (i % 3 == 0)
				ps_risk_on_fill(f->r, h, in.price, in.qty, now);
			else
				ps_risk_on_cancel(f->r, h, now);
			ok++;
		}
		if (i % 64 == 0)
			ps_risk_on_mark(f->r, (uint32_t)(i % FX_INSTR),
					FX_PX + (int64_t)(i % 11) * 100, now);
	}
	assert_int_equal(ps_alloc_count(), before);
	assert_true(ok > 100000);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_risk_check_accepts_plain_order),
		T(test_risk_check_rejects_bad_intent),
		T(test_risk_check_kill_switch_blocks_all_but_cancels),
		T(test_risk_check_strategy_off_keeps_others),
		T(test_risk_check_instrument_flags),
		T(test_risk_check_md_stale_by_age),
		T(test_risk_check_shape),
		T(test_risk_check_collar_and_market_protection),
		T(test_risk_check_duplicate_window),
		T(test_risk_check_position_counts_in_flight),
		T(test_risk_check_replace_swaps_working_quantity),
		T(test_risk_check_amend_restores_the_venues_terms),
		T(test_risk_check_position_equity),
		T(test_risk_check_gross_and_net),
		T(test_risk_check_open_positions_and_working),
		T(test_risk_check_order_table_full),
		T(test_risk_check_credit),
		T(test_risk_check_order_rates),
		T(test_risk_check_cancel_rates),
		T(test_risk_check_exec_throttle_latches),
		T(test_risk_check_self_trade),
		T(test_risk_check_confidence),
		T(test_risk_check_loop_allocates_nothing),
	};
#undef T
	return cmocka_run_group_tests_name("risk_check", tests, NULL, NULL);
}
