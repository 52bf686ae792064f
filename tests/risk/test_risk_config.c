/*
 * [risk] / [risk.SYMBOL] configuration: defaults, overrides, and a config
 * error naming the key for a missing, negative, out-of-range or inconsistent
 * limit or an unknown symbol.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <ps/err.h>
#include <ps/risk_config.h>

struct cfx {
	struct ps_instrument_table *t;
	struct ps_risk_limits g;
	struct ps_risk_instr_limits il[2];
	char err[512];
};

static int cfx_setup(void **state)
{
	struct cfx *f = test_calloc(1, sizeof(*f));

	assert_int_equal(ps_instrument_table_create(&f->t, 4), 0);
	assert_int_equal(ps_instrument_table_add(f->t, "AAPL", 4, 100, 1, 4, NULL), 0);
	assert_int_equal(ps_instrument_table_add(f->t, "MSFT", 4, 100, 10, 4, NULL), 0);
	*state = f;
	return 0;
}

static int cfx_teardown(void **state)
{
	struct cfx *f = *state;

	ps_instrument_table_destroy(f->t);
	test_free(f);
	return 0;
}

static int load(struct cfx *f, const char *text)
{
	struct ps_config *c;
	int rc = ps_config_load_string(&c, text, "run.ini", f->err, sizeof(f->err));

	assert_int_equal(rc, 0);
	f->err[0] = '\0';
	rc = ps_risk_config_load(c, f->t, &f->g, f->il, f->err, sizeof(f->err));
	ps_config_destroy(c);
	return rc;
}

#define BASE "[risk]\nstart_equity = 100000\ncredit_limit = 200000\n"

static void test_risk_config_defaults_and_overrides(void **state)
{
	struct cfx *f = *state;

	assert_int_equal(load(f,
			      BASE "max_long = 500\ncollar_bps = 100\nbreach_action = reduce\n"
				   "sizing_mode = risk\n"
				   "[risk.MSFT]\nmax_long = 50\nrestricted = yes\ntick = 0.05\n"),
			 0);
	assert_int_equal(f->g.g[PS_RISK_G_START_EQUITY], INT64_C(1000000000));
	assert_int_equal(f->g.g[PS_RISK_G_CREDIT_LIMIT], INT64_C(2000000000));
	assert_int_equal(f->g.g[PS_RISK_G_DAILY_LOSS_BP], 500);
	assert_int_equal(f->g.g[PS_RISK_G_MAX_OPEN_POSITIONS], 20);
	assert_int_equal(f->g.g[PS_RISK_G_MIN_CONFIDENCE_BP], 6000);
	assert_int_equal(f->g.g[PS_RISK_G_BREACH_ACTION], 0);
	assert_int_equal(f->g.g[PS_RISK_G_SIZING_MODE], 2);
	assert_int_equal(f->il[0].v[PS_RISK_I_MAX_LONG], 500);
	assert_int_equal(f->il[0].v[PS_RISK_I_TICK], 100);
	assert_int_equal(f->il[0].v[PS_RISK_I_LOT], 1);
	assert_int_equal(f->il[0].v[PS_RISK_I_COLLAR_BPS], 100);
	assert_int_equal(f->il[1].v[PS_RISK_I_MAX_LONG], 50);
	assert_int_equal(f->il[1].v[PS_RISK_I_RESTRICTED], 1);
	assert_int_equal(f->il[1].v[PS_RISK_I_TICK], 500);
	assert_int_equal(f->il[1].v[PS_RISK_I_LOT], 10);
	assert_int_equal(f->il[1].v[PS_RISK_I_COLLAR_BPS], 100);
}

static void expect_error(struct cfx *f, const char *text, const char *key)
{
	assert_int_equal(load(f, text), PS_ECONFIG);
	if (!strstr(f->err, key))
		fail_msg("error '%s' does not name '%s'", f->err, key);
	assert_non_null(strstr(f->err, "run.ini"));
}

static void test_risk_config_missing_required(void **state)
{
	struct cfx *f = *state;

	expect_error(f, "[risk]\ncredit_limit = 1\n", "start_equity");
	expect_error(f, "[risk]\nstart_equity = 1\n", "credit_limit");
}

static void test_risk_config_negative_and_bad_values(void **state)
{
	struct cfx *f = *state;

	expect_error(f, BASE "max_long = -1\n", "max_long");
	expect_error(f, BASE "daily_loss_bp = -5\n", "daily_loss_bp");
	expect_error(f, BASE "max_gross = -10.5\n", "max_gross");
	expect_error(f, BASE "daily_loss_bp = 10001\n", "daily_loss_bp");
	expect_error(f, BASE "breach_action = panic\n", "breach_action");
	expect_error(f, BASE "kill_switch = maybe\n", "kill_switch");
	expect_error(f, BASE "order_burst = 0\n", "order_burst");
	expect_error(f, BASE "[risk.MSFT]\nmax_short = -3\n", "max_short");
}

static void test_risk_config_inconsistent_limits(void **state)
{
	struct cfx *f = *state;

	expect_error(f, BASE "warn_at_bp = 9000\nthrottle_at_bp = 8000\n", "warn_at_bp");
	expect_error(f, BASE "max_gross = 1000\nmax_net = 2000\n", "max_net");
	expect_error(f, BASE "[risk.AAPL]\nmax_order_notional = 200000.0001\n",
		     "max_order_notional");
	expect_error(f, BASE "[risk.MSFT]\nmax_long = 10\nmax_short = 10\nmax_order_qty = 20\n",
		     "max_order_qty");
	expect_error(f, BASE "[risk.MSFT]\nmax_order_qty = 5\n", "max_order_qty");
	expect_error(f, BASE "fill_throttle_ms = 0\n", "fill_throttle_ms");
	assert_non_null(strstr(f->err, "[risk]"));
	expect_error(f, BASE "[risk.MSFT]\nmax_long = 10\nmax_short = 10\nmax_order_qty = 20\n",
		     "[risk.MSFT]");
}

static void test_risk_config_unknown_symbol(void **state)
{
	struct cfx *f = *state;

	expect_error(f, BASE "[risk.GOOG]\nmax_long = 1\n", "GOOG");
}

static void test_risk_config_board_accepts_loaded_limits(void **state)
{
	struct cfx *f = *state;
	struct ps_risk_board b;
	static uint64_t mem[8192];

	assert_true(ps_risk_board_memsize(2) <= sizeof(mem));
	assert_int_equal(load(f, BASE), 0);
	assert_int_equal(ps_risk_board_init(&b, mem, 2, &f->g, f->il, f->err, sizeof(f->err)), 0);
	ps_risk_board_fini(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, cfx_setup, cfx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_risk_config_defaults_and_overrides),
		T(test_risk_config_missing_required),
		T(test_risk_config_negative_and_bad_values),
		T(test_risk_config_inconsistent_limits),
		T(test_risk_config_unknown_symbol),
		T(test_risk_config_board_accepts_loaded_limits),
	};
#undef T
	return cmocka_run_group_tests_name("risk_config", tests, NULL, NULL);
}
