/*
 * Post-trade: positions with average price, realized and unrealized PnL,
 * equity, high-water mark and drawdown; the loss and drawdown escalation
 * (warning, throttle, latched REDUCING/HALTED) and the operator reset; stop
 * loss and take profit exit intents; position sizing; change records.
 */
#include "risk_fixture.h"

static uint32_t fill_new(struct fx *f, uint32_t instr, unsigned side, int64_t px, uint32_t qty,
			 uint64_t now)
{
	uint32_t h = send(f, instr, side, px, qty, now);

	ps_risk_on_fill(f->r, h, px, qty, now);
	return h;
}

static void test_risk_post_average_price_and_pnl(void **state)
{
	struct fx *f = *state;
	struct ps_risk_position p;
	struct ps_risk_totals t;

	fill_new(f, 0, PS_SIDE_BUY, 1000000, 100, T0); /* long 100 @ 100.00 */
	fill_new(f, 0, PS_SIDE_BUY, 1010000, 100, T0); /* long 200 @ 100.50 */
	assert_int_equal(ps_risk_position_get(f->r, 0, &p), 0);
	assert_int_equal(p.pos, 200);
	assert_int_equal(p.avg_price, 1005000);
	assert_int_equal(p.unrealized, 0 + 200 * (1010000 - 1005000));
	fill_new(f, 0, PS_SIDE_SELL, 1020000, 50, T0); /* close 50 at 102.00 */
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.pos, 150);
	assert_int_equal(p.realized, 50 * (1020000 - 1005000));
	assert_int_equal(p.avg_price, 1005000);
	ps_risk_on_mark(f->r, 0, 990000, T0);
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.unrealized, 150 * (990000 - 1005000));
	/* flip: sell 250 at 99.00 closes 150 and opens short 100 @ 99.00 */
	fill_new(f, 0, PS_SIDE_SELL, 990000, 250, T0);
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.pos, -100);
	assert_int_equal(p.avg_price, 990000);
	assert_int_equal(p.realized, 50 * 15000 + 150 * (990000 - 1005000));
	ps_risk_on_mark(f->r, 0, 980000, T0);
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.unrealized, 100 * 10000);
	ps_risk_totals_get(f->r, &t);
	assert_int_equal(t.realized, p.realized);
	assert_int_equal(t.unrealized, p.unrealized);
	assert_int_equal(t.equity, FX_EQUITY + p.realized + p.unrealized);
	assert_int_equal(t.hwm, FX_EQUITY + 200 * 15000); /* peak: after the sell at 102.00 */
	assert_int_equal(t.drawdown, t.hwm - t.equity);
	assert_int_equal(t.gross, 100 * 980000);
	assert_int_equal(t.net, -100 * 980000);
	assert_int_equal(t.open_positions, 1);
	/* close the short: flat, cost zero, instrument closed */
	fill_new(f, 0, PS_SIDE_BUY, 980000, 100, T0);
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.pos, 0);
	assert_int_equal(p.cost, 0);
	ps_risk_totals_get(f->r, &t);
	assert_int_equal(t.open_positions, 0);
	assert_int_equal(t.unrealized, 0);
}

static void test_risk_post_fill_after_the_order_ended_still_moves_the_position(void **state)
{
	struct fx *f = *state;
	struct ps_risk_position p;

	/* Sent, then taken as gone (a cancel nobody answered): working released. */
	uint32_t h = send(f, 0, PS_SIDE_BUY, 1000000, 100, T0);
	assert_true(ps_risk_order_counts(f->r, h, 0, PS_SIDE_BUY, 0));
	ps_risk_on_cancel(f->r, h, T0);
	assert_false(ps_risk_order_counts(f->r, h, 0, PS_SIDE_BUY, 0));
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.working_buy, 0);
	/* ...and yet the venue filled 60 of it: the position must show them. */
	ps_risk_on_fill_ended(f->r, 0, PS_SIDE_BUY, 0, 1000000, 60, T0);
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.pos, 60);
	assert_int_equal(p.cost, 60 * 1000000);
	assert_int_equal(p.working_buy, 0);
	/* A sell after it closes it with realized PnL, as any fill would. */
	ps_risk_on_fill_ended(f->r, 0, PS_SIDE_SELL, 0, 1010000, 60, T0);
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.pos, 0);
	assert_int_equal(p.realized, 60 * 10000);
	/* Out-of-range arguments change nothing. */
	ps_risk_on_fill_ended(f->r, FX_INSTR, PS_SIDE_BUY, 0, 1000000, 10, T0);
	ps_risk_on_fill_ended(f->r, 0, 2, 0, 1000000, 10, T0);
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.pos, 0);
}

static void test_risk_post_partial_close_truncates_cost(void **state)
{
	struct fx *f = *state;
	struct ps_risk_position p;

	fill_new(f, 0, PS_SIDE_BUY, 1000100, 1, T0);
	fill_new(f, 0, PS_SIDE_BUY, 1000000, 2, T0); /* cost 3000100 over 3 */
	fill_new(f, 0, PS_SIDE_SELL, 1000000, 1, T0);
	ps_risk_position_get(f->r, 0, &p);
	assert_int_equal(p.cost, 3000100 - 3000100 / 3);
	assert_int_equal(p.realized, 1000000 - 3000100 / 3);
}

static void test_risk_post_daily_loss_escalates_and_latches_halt(void **state)
{
	struct fx *f = *state;
	struct ps_risk_totals t;

	set_g(f, PS_RISK_G_DAILY_LOSS_BP, 500); /* 50,000.0000: 5e8 */
	fill_new(f, 0, PS_SIDE_BUY, FX_PX, 1000, T0);
	f->nev = 0;
	ps_risk_on_mark(f->r, 0, 750100, T0); /* loss 2.499e8: below warn (2.5e8) */
	assert_int_equal(f->nev, 0);
	ps_risk_on_mark(f->r, 0, 750000, T0); /* at warn */
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, PS_RISK_EV_WARNING);
	assert_int_equal(f->ev[0].reason, PS_RISK_DAILY_LOSS);
	ps_risk_on_mark(f->r, 0, 600000, T0); /* at throttle (4e8) */
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].type, PS_RISK_EV_THROTTLED);
	ps_risk_on_mark(f->r, 0, 500100, T0); /* just below the limit */
	assert_int_equal(f->nev, 2);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	ps_risk_on_mark(f->r, 0, 500000, T0); /* at the limit: latch HALTED */
	assert_int_equal(f->ev[2].type, PS_RISK_EV_LIMIT_REACHED);
	assert_int_equal(f->ev[3].type, PS_RISK_EV_STATE_CHANGED);
	assert_int_equal(f->ev[3].value, PS_RISK_STATE_HALTED);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_HALTED);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 1, T0), PS_RISK_HALTED);
	/* recovery does not unlatch */
	ps_risk_on_mark(f->r, 0, FX_PX, T0);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_HALTED);
	assert_int_equal(ps_risk_board_reset(&f->board, "ops", NULL), 0);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	ps_risk_totals_get(f->r, &t);
	assert_int_equal(t.state, PS_RISK_STATE_ACTIVE);
	assert_int_equal(t.level, 0);
}

static void test_risk_post_throttle_slows_session_orders(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_DAILY_LOSS_BP, 500);
	set_g(f, PS_RISK_G_SESSION_ORDER_RATE, 10); /* 100 ms; throttled x4 = 400 ms */
	set_g(f, PS_RISK_G_SESSION_ORDER_BURST, 1);
	fill_new(f, 0, PS_SIDE_BUY, FX_PX, 1000, T0);
	ps_risk_on_mark(f->r, 0, 600000, T0);
	send(f, 1, PS_SIDE_BUY, FX_PX, 1, T0 + 1000 * MS);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 2, T0 + 1400 * MS - 1), PS_RISK_RATE_SESSION);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 2, T0 + 1400 * MS), PS_RISK_OK);
}

static void test_risk_post_drawdown_latches_reducing(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_MAX_DRAWDOWN_BP, 100); /* 1% of the high-water mark */
	set_g(f, PS_RISK_G_BREACH_ACTION, 0);     /* reduce */
	fill_new(f, 0, PS_SIDE_BUY, FX_PX, 1000, T0);
	ps_risk_on_mark(f->r, 0, 2 * FX_PX, T0); /* equity 1.1e10 -> hwm */
	int64_t hwm = FX_EQUITY + 1000 * FX_PX, lim = hwm / 100;
	int64_t px_at = 2 * FX_PX - lim / 1000;
	ps_risk_on_mark(f->r, 0, px_at + 100, T0);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
	ps_risk_on_mark(f->r, 0, px_at, T0);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_REDUCING);
	assert_reason(chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_REDUCING);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 1000, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX, 1001, T0), PS_RISK_REDUCING);
	send(f, 0, PS_SIDE_SELL, FX_PX, 600, T0); /* a working reduction counts */
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 100, 400, T0), PS_RISK_OK);
	assert_reason(chk(f, 0, PS_SIDE_SELL, FX_PX + 100, 401, T0), PS_RISK_REDUCING);
	assert_int_equal(ps_risk_board_reset(&f->board, "ops", NULL), 0);
	assert_reason(chk(f, 1, PS_SIDE_BUY, FX_PX, 1, T0), PS_RISK_OK);
}

static void test_risk_post_stop_loss_and_take_profit(void **state)
{
	struct fx *f = *state;

	set_g(f, PS_RISK_G_STOP_LOSS_BP, 800);
	set_g(f, PS_RISK_G_TAKE_PROFIT_BP, 1500);
	chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0); /* picks up the snapshot */
	fill_new(f, 0, PS_SIDE_BUY, FX_PX, 100, T0);
	f->nev = 0;
	ps_risk_on_mark(f->r, 0, 920100, T0); /* -7.99% */
	assert_int_equal(f->nev, 0);
	ps_risk_on_mark(f->r, 0, 920000, T0); /* -8% */
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, PS_RISK_EV_EXIT);
	assert_int_equal(f->ev[0].reason, PS_RISK_STOP_LOSS);
	assert_int_equal(f->ev[0].side, PS_SIDE_SELL);
	assert_int_equal(f->ev[0].qty, 100);
	assert_int_equal(f->ev[0].instrument, 0);
	ps_risk_on_mark(f->r, 0, 910000, T0); /* once per position */
	assert_int_equal(f->nev, 1);
	/* short: take profit at +15% */
	fill_new(f, 1, PS_SIDE_SELL, FX_PX, 10, T0);
	ps_risk_on_mark(f->r, 1, 850100, T0);
	assert_int_equal(f->nev, 1);
	ps_risk_on_mark(f->r, 1, 850000, T0);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].reason, PS_RISK_TAKE_PROFIT);
	assert_int_equal(f->ev[1].side, PS_SIDE_BUY);
	assert_int_equal(f->ev[1].qty, 10);
}

static void test_risk_post_sizing_modes(void **state)
{
	struct fx *f = *state;

	chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0);
	/* fixed */
	set_g(f, PS_RISK_G_SIZING_QTY, 250);
	chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0);
	assert_int_equal(ps_risk_size(f->r, 0, PS_SIDE_BUY, FX_PX, 0, 0), 250);
	/* reward/risk: 150% minimum */
	assert_int_equal(ps_risk_size(f->r, 0, PS_SIDE_BUY, FX_PX, FX_PX - 10000, FX_PX + 14900),
			 0);
	assert_int_equal(ps_risk_size(f->r, 0, PS_SIDE_BUY, FX_PX, FX_PX - 10000, FX_PX + 15000),
			 250);
	/* fraction: 1% of 1e10 = 1e8 / 1e6 = 100 shares */
	set_g(f, PS_RISK_G_SIZING_MODE, 1);
	chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0);
	assert_int_equal(ps_risk_size(f->r, 0, PS_SIDE_BUY, FX_PX, 0, 0), 100);
	/* risk: 0.5% of 1e10 = 5e7 at risk / 1.0000 stop distance = 5000 */
	set_g(f, PS_RISK_G_SIZING_MODE, 2);
	chk(f, 0, PS_SIDE_BUY, FX_PX, 1, T0);
	assert_int_equal(ps_risk_size(f->r, 0, PS_SIDE_BUY, FX_PX, FX_PX - 10000, 0), 5000);
	/* capped by max_order_qty and the lot */
	set_i(f, 0, PS_RISK_I_MAX_ORDER_QTY, 1234);
	set_i(f, 0, PS_RISK_I_LOT, 100);
	chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0);
	assert_int_equal(ps_risk_size(f->r, 0, PS_SIDE_BUY, FX_PX, FX_PX - 10000, 0), 1200);
	/* volatility: no history yet -> 0; then sized inversely to sigma */
	set_g(f, PS_RISK_G_SIZING_MODE, 3);
	chk(f, 0, PS_SIDE_BUY, FX_PX, 100, T0);
	assert_int_equal(ps_risk_size(f->r, 1, PS_SIDE_BUY, FX_PX, 0, 0), 0);
	ps_risk_on_mark(f->r, 1, FX_PX, T0);
	ps_risk_on_mark(f->r, 1, FX_PX + 10000, T0);
	uint32_t q1 = ps_risk_size(f->r, 1, PS_SIDE_BUY, FX_PX, 0, 0);
	ps_risk_on_mark(f->r, 1, FX_PX + 40000, T0);
	uint32_t q2 = ps_risk_size(f->r, 1, PS_SIDE_BUY, FX_PX, 0, 0);
	assert_true(q1 > 0);
	assert_true(q2 < q1);
}

static void test_risk_post_change_records_and_bad_values(void **state)
{
	struct fx *f = *state;
	struct ps_risk_change rec;
	char err[256];

	assert_int_equal(ps_risk_board_set(&f->board, "alice", PS_RISK_SCOPE_INSTR,
					   PS_RISK_I_MAX_LONG, 2, 500, &rec, err, sizeof(err)),
			 0);
	assert_string_equal(rec.who, "alice");
	assert_int_equal(rec.scope, PS_RISK_SCOPE_INSTR);
	assert_int_equal(rec.key, PS_RISK_I_MAX_LONG);
	assert_int_equal(rec.index, 2);
	assert_int_equal(rec.old_value, 0);
	assert_int_equal(rec.new_value, 500);
	assert_int_equal(ps_risk_board_set(&f->board, "bob", PS_RISK_SCOPE_GLOBAL,
					   PS_RISK_G_DAILY_LOSS_BP, 0, -1, &rec, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "daily_loss_bp"));
	assert_int_equal(ps_risk_board_set(&f->board, "bob", PS_RISK_SCOPE_GLOBAL,
					   PS_RISK_G_WARN_AT_BP, 0, 9000, &rec, err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "warn_at_bp"));
	assert_int_equal(ps_risk_board_set(&f->board, "bob", PS_RISK_SCOPE_INSTR,
					   PS_RISK_I_MAX_ORDER_NOTIONAL, 0, FX_EQUITY + 1, &rec,
					   err, sizeof(err)),
			 PS_ECONFIG);
	assert_non_null(strstr(err, "max_order_notional"));
	assert_int_equal(ps_risk_board_set(&f->board, "bob", PS_RISK_SCOPE_INSTR,
					   PS_RISK_I_MAX_LONG, FX_INSTR, 1, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(rec.seq, 1); /* untouched by the failures */
	assert_string_equal(ps_risk_reason_name(PS_RISK_MAX_LONG), "MAX_LONG");
	assert_string_equal(ps_risk_reason_name(999), "?");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_risk_post_average_price_and_pnl),
		T(test_risk_post_partial_close_truncates_cost),
		T(test_risk_post_fill_after_the_order_ended_still_moves_the_position),
		T(test_risk_post_daily_loss_escalates_and_latches_halt),
		T(test_risk_post_throttle_slows_session_orders),
		T(test_risk_post_drawdown_latches_reducing),
		T(test_risk_post_stop_loss_and_take_profit),
		T(test_risk_post_sizing_modes),
		T(test_risk_post_change_records_and_bad_values),
	};
#undef T
	return cmocka_run_group_tests_name("risk_post", tests, NULL, NULL);
}
