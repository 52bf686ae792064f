/* What the exec stage (core/engine/stage_exec.c) tells a strategy about its
 * orders: each order's end once. A replace in flight when its original
 * fills to the end is dropped by the venue (FIX: with an OrderCancelReject,
 * which the adapter turns into a Rejected message for the replacement's
 * token). The strategy heard of the end with the fill (leaves 0); the late
 * reject must not reach it as well, or it takes its side as empty a second
 * time, while the order it sent meanwhile is working (a market maker then
 * sends a second quote on that side and its other side is refused as a
 * self-trade: e2e_fix_restart, seed 1796663477). A refused replace or
 * cancel of an order that still works is news and is reported, with the
 * open shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ps/alloc.h>
#include <ps/clock.h>

#include "engine_internal.h"

#define TOKEN_START 1000u
#define PRICE       2235400

struct fx {
	struct ps_engine *e;
	char ini[64];
	uint64_t next_token;
	uint64_t seq;
};

static int setup(void **state)
{
	struct fx *f = ps_calloc(1, sizeof(*f));
	char err[256] = "";
	FILE *ini;
	int fd;

	assert_non_null(f);
	ps_clock_init();
	snprintf(f->ini, sizeof(f->ini), "/tmp/ps-exec-reports-XXXXXX");
	fd = mkstemp(f->ini);
	assert_true(fd >= 0);
	ini = fdopen(fd, "w");
	assert_non_null(ini);
	fputs("[risk]\nstart_equity = 1000000\ncredit_limit = 1000000\n"
	      "[risk.AMZN]\nmax_long = 1000\nmax_short = 1000\nmax_order_qty = 500\n",
	      ini);
	fclose(ini);

	struct ps_engine *e = ps_calloc_aligned(PS_CACHE_LINE, sizeof(*e));
	assert_non_null(e);
	f->e = e;
	assert_int_equal(ps_config_load(&e->config, f->ini, err, sizeof(err)), 0);
	assert_int_equal(ps_instrument_table_create(&e->instruments, ENG_MAX_INSTRUMENTS), 0);
	assert_int_equal(ps_instrument_table_add(e->instruments, "AMZN", 4, 100, 1, 4, NULL), 0);
	memcpy(e->cfg.symbols[0], "AMZN", 5);
	e->cfg.symbol_count = 1;
	e->token_start = TOKEN_START;
	/* Reports go to ring C, where the test reads them as the book stage would. */
	e->split_book_exec = true;
	e->ring_mem[2] = ps_alloc_hot(ps_ring_spsc_memsize(64, sizeof(struct ps_exec_report)));
	assert_non_null(e->ring_mem[2]);
	assert_int_equal(
	    ps_ring_spsc_init(&e->ring_c, e->ring_mem[2], 64, sizeof(struct ps_exec_report)), 0);
	assert_int_equal(eng_exec_open(&e->exec, e, err, sizeof(err)), 0);
	f->next_token = TOKEN_START;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct ps_engine *e = f->e;

	eng_exec_close(&e->exec);
	ps_ring_spsc_fini(&e->ring_c);
	ps_free(e->ring_mem[2]);
	ps_instrument_table_destroy(e->instruments);
	ps_config_destroy(e->config);
	ps_free(e);
	unlink(f->ini);
	ps_free(f);
	return 0;
}

/* An order the strategy sent (as recovery re-creates one from its
 * ORDER_SENT record; the OMS, risk and the tag table take it as sent). */
static void sent(struct fx *f, uint8_t action, const char *orig, int64_t price, char *token)
{
	struct ps_jrec_order r;

	memset(&r, 0, sizeof(r));
	snprintf(token, PS_OUCH_TOKEN_LEN + 1, "P%013llu", (unsigned long long)f->next_token++);
	memcpy(r.token, token, PS_OUCH_TOKEN_LEN);
	if (orig)
		memcpy(r.orig_token, orig, PS_OUCH_TOKEN_LEN);
	r.token_hwm = f->next_token;
	r.price = price;
	r.qty = 100;
	r.tag = 1;
	r.side = PS_SIDE_BUY;
	r.tif = PS_TIF_DAY;
	r.type = PS_ORDER_LIMIT;
	r.action = action;
	eng_exec_restore_order(&f->e->exec, &r, PS_JREC_ORDER_SENT);
}

static void venue(struct fx *f, const struct ps_ouch_msg *m)
{
	eng_exec_apply_msg(&f->e->exec, ++f->seq, m, true);
}

static void accepted(struct fx *f, const char *token)
{
	struct ps_ouch_msg m = { .type = PS_OUCH_ACCEPTED };

	memcpy(m.u.accepted.token, token, PS_OUCH_TOKEN_LEN);
	memcpy(m.u.accepted.stock, "AMZN    ", PS_OUCH_STOCK_LEN);
	m.u.accepted.shares = 100;
	m.u.accepted.price = PRICE;
	m.u.accepted.side = PS_OUCH_SIDE_BUY;
	venue(f, &m);
}

static void executed(struct fx *f, const char *token, uint32_t shares)
{
	struct ps_ouch_msg m = { .type = PS_OUCH_EXECUTED };

	memcpy(m.u.executed.token, token, PS_OUCH_TOKEN_LEN);
	m.u.executed.shares = shares;
	m.u.executed.price = PRICE;
	m.u.executed.match_number = f->seq;
	venue(f, &m);
}

static void rejected(struct fx *f, const char *token)
{
	struct ps_ouch_msg m = { .type = PS_OUCH_REJECTED };

	memcpy(m.u.token_event.token, token, PS_OUCH_TOKEN_LEN);
	m.u.token_event.reason = 'X';
	venue(f, &m);
}

/* A cancel of the order with this token sent (as recovery re-creates one
 * from its CANCEL_SENT record). */
static void cancel_sent(struct fx *f, const char *token)
{
	struct ps_jrec_order r;

	memset(&r, 0, sizeof(r));
	memcpy(r.token, token, PS_OUCH_TOKEN_LEN);
	r.tag = 1;
	r.side = PS_SIDE_BUY;
	r.action = PS_ORDER_CANCEL;
	eng_exec_restore_order(&f->e->exec, &r, PS_JREC_CANCEL_SENT);
}

static void cancel_rejected(struct fx *f, const char *token)
{
	struct ps_ouch_msg m = { .type = PS_OUCH_CANCEL_REJECT };

	memcpy(m.u.token_event.token, token, PS_OUCH_TOKEN_LEN);
	venue(f, &m);
}

/* The next report to the strategy; asserts there is one of this type. */
static struct ps_exec_report next_report(struct fx *f, uint8_t type)
{
	struct ps_exec_report r;

	memset(&r, 0, sizeof(r));
	assert_true(ps_ring_spsc_dequeue(&f->e->ring_c, &r));
	assert_int_equal(r.type, type);
	assert_int_equal(r.tag, 1);
	return r;
}

static void assert_no_report(struct fx *f)
{
	struct ps_exec_report r;

	assert_false(ps_ring_spsc_dequeue(&f->e->ring_c, &r));
}

static int64_t working_buy(struct fx *f)
{
	struct ps_risk_position p;

	assert_int_equal(ps_risk_position_get(f->e->exec.risk, 0, &p), 0);
	return p.working_buy;
}

/* Order A sent and accepted, then a replace of it by B sent (in flight). */
static void replace_in_flight(struct fx *f, char *a, char *b)
{
	sent(f, PS_ORDER_NEW, NULL, PRICE, a);
	accepted(f, a);
	next_report(f, PS_REPORT_ACCEPTED);
	sent(f, PS_ORDER_REPLACE, a, PRICE - 100, b);
}

static void test_reject_of_a_replacement_dropped_by_a_fill_is_not_reported(void **state)
{
	struct fx *f = *state;
	char a[PS_OUCH_TOKEN_LEN + 1], b[PS_OUCH_TOKEN_LEN + 1], c[PS_OUCH_TOKEN_LEN + 1];
	struct ps_exec_report r;

	/* A fills to the end before the venue sees the replace by B. */
	replace_in_flight(f, a, b);
	executed(f, a, 100);
	r = next_report(f, PS_REPORT_FILL);
	assert_int_equal(r.qty, 100);
	assert_int_equal(r.leaves_qty, 0);
	assert_int_equal(working_buy(f), 0);
	/* The strategy quotes again on that side (C); then the venue's reject
	 * of B arrives. */
	sent(f, PS_ORDER_NEW, NULL, PRICE - 200, c);
	assert_int_equal(working_buy(f), 100);
	uint64_t rejects = f->e->exec.venue_rejects;
	rejected(f, b);
	assert_int_equal(f->e->exec.venue_rejects, rejects + 1);
	assert_no_report(f);
	assert_int_equal(working_buy(f), 100); /* C still counts */
	accepted(f, c);
	r = next_report(f, PS_REPORT_ACCEPTED);
	assert_int_equal(r.client_order_id, ps_oms_find(&f->e->exec.oms, c));
}

static void test_refused_replace_of_a_working_order_is_reported(void **state)
{
	struct fx *f = *state;
	char a[PS_OUCH_TOKEN_LEN + 1], b[PS_OUCH_TOKEN_LEN + 1];
	struct ps_exec_report r;

	replace_in_flight(f, a, b);
	executed(f, a, 30);
	r = next_report(f, PS_REPORT_FILL);
	assert_int_equal(r.leaves_qty, 70);
	rejected(f, b);
	r = next_report(f, PS_REPORT_REJECTED);
	assert_int_equal(r.leaves_qty, 70); /* A still works, with its open shares */
	assert_int_equal(working_buy(f), 70);
	assert_no_report(f);
}

static void test_reject_of_a_new_order_is_reported(void **state)
{
	struct fx *f = *state;
	char a[PS_OUCH_TOKEN_LEN + 1];
	struct ps_exec_report r;

	sent(f, PS_ORDER_NEW, NULL, PRICE, a);
	assert_int_equal(working_buy(f), 100);
	rejected(f, a);
	r = next_report(f, PS_REPORT_REJECTED);
	assert_int_equal(r.leaves_qty, 0);
	assert_int_equal(working_buy(f), 0);
	assert_no_report(f);
}

static void canceled(struct fx *f, const char *token, uint32_t shares)
{
	struct ps_ouch_msg m = { .type = PS_OUCH_CANCELED };

	memcpy(m.u.canceled.token, token, PS_OUCH_TOKEN_LEN);
	m.u.canceled.decrement_shares = shares;
	m.u.canceled.reason = 'S'; /* supervisory: cancel on disconnect */
	venue(f, &m);
}

/* The session drops with a replace of A by B in flight; the venue cancels
 * A (cancel on disconnect) and says so in the replay. The strategy hears A
 * is gone, and nothing more about B, which can never work: a late answer
 * about B (a reject, or its cancel timing out after the reconnect) must not
 * reach the strategy as the end of its side's next order (e2e_faults under
 * ASan: a second sell working beside the one sent after the reconnect). */
static void replacement_in_flight_at_a_drop(void **state, bool caught_up_first)
{
	struct fx *f = *state;
	char a[PS_OUCH_TOKEN_LEN + 1], b[PS_OUCH_TOKEN_LEN + 1];
	struct ps_exec_report r;

	replace_in_flight(f, a, b);
	eng_exec_session_event(&f->e->exec, PS_SOUP_CLIENT_EV_DISCONNECTED, PS_EDISCONNECTED);
	uint32_t hb = ps_oms_find(&f->e->exec.oms, b);
	assert_int_equal(ps_oms_order_get(&f->e->exec.oms, hb)->state, PS_OMS_STATE_UNKNOWN);
	if (caught_up_first) {
		/* The venue's cancel of A comes after the catch-up, which asked to
		 * cancel both orders the drop left unknown (the OMS side of it). */
		uint32_t hs[4];
		assert_int_equal(ps_oms_on_reconnect(&f->e->exec.oms, 1, hs, 4), 2);
		assert_int_equal(ps_oms_order_get(&f->e->exec.oms, hb)->state,
				 PS_OMS_STATE_PENDING_CANCEL);
	}
	canceled(f, a, 100);
	r = next_report(f, PS_REPORT_CANCELED);
	assert_int_equal(r.client_order_id, ps_oms_find(&f->e->exec.oms, a));
	assert_int_equal(working_buy(f), 0);
	assert_false(f->e->exec.meta[hb].live);
	rejected(f, b);
	assert_no_report(f);
}

static void test_replacement_in_flight_at_a_drop_ends_with_its_original(void **state)
{
	replacement_in_flight_at_a_drop(state, false);
}

static void test_replacement_in_flight_at_a_drop_ends_with_its_original_after_catch_up(void **state)
{
	replacement_in_flight_at_a_drop(state, true);
}

/* A cancel the venue refuses (too late, or not cancelable now) leaves the
 * order working: its strategy hears the refusal with the open shares, as
 * for a refused replace; without it a strategy waiting for the cancel's
 * answer (the market maker sends nothing more on a side while a request
 * is in flight) would wait for good. */
static void test_refused_cancel_of_a_working_order_is_reported(void **state)
{
	struct fx *f = *state;
	char a[PS_OUCH_TOKEN_LEN + 1];
	struct ps_exec_report r;

	sent(f, PS_ORDER_NEW, NULL, PRICE, a);
	accepted(f, a);
	next_report(f, PS_REPORT_ACCEPTED);
	executed(f, a, 40);
	next_report(f, PS_REPORT_FILL);
	cancel_sent(f, a);
	uint32_t h = ps_oms_find(&f->e->exec.oms, a);
	assert_int_equal(ps_oms_order_get(&f->e->exec.oms, h)->state, PS_OMS_STATE_PENDING_CANCEL);
	cancel_rejected(f, a);
	r = next_report(f, PS_REPORT_REJECTED);
	assert_int_equal(r.client_order_id, h);
	assert_int_equal(r.leaves_qty, 60);
	assert_int_equal(ps_oms_order_get(&f->e->exec.oms, h)->state,
			 PS_OMS_STATE_PARTIALLY_FILLED);
	assert_int_equal(working_buy(f), 60); /* still working, in risk's view too */
	assert_no_report(f);
	/* Asking again works as the first time. */
	cancel_sent(f, a);
	assert_int_equal(ps_oms_order_get(&f->e->exec.oms, h)->state, PS_OMS_STATE_PENDING_CANCEL);
}

/* The strategy's request for a side whose order waits for an answer (here
 * a cancel the engine sent on its own, as after a reconnect) is refused,
 * and the refusal says the order may still work: its open shares, not 0,
 * or the strategy would quote that side again beside it. So does a request
 * refused while the session is down. A NEW refused leaves nothing. */
static void test_refused_request_for_an_order_awaiting_an_answer_leaves_it_working(void **state)
{
	struct fx *f = *state;
	char a[PS_OUCH_TOKEN_LEN + 1];
	struct eng_b2e m = { .kind = B2E_INTENT };
	struct ps_exec_report r;

	sent(f, PS_ORDER_NEW, NULL, PRICE, a);
	accepted(f, a);
	next_report(f, PS_REPORT_ACCEPTED);
	cancel_sent(f, a);
	m.u.intent = (struct ps_order_intent){ .price = PRICE - 100,
					       .qty = 100,
					       .confidence_bp = 10000,
					       .action = PS_ORDER_REPLACE,
					       .side = PS_SIDE_BUY,
					       .type = PS_ORDER_LIMIT,
					       .tif = PS_TIF_DAY,
					       .tag = 1 };
	f->e->exec.caught_up = true;
	eng_exec_on_b2e(&f->e->exec, &m);
	r = next_report(f, PS_REPORT_REJECTED);
	assert_int_equal(r.reason, PS_ENOTFOUND);
	assert_int_equal(r.leaves_qty, 100);
	f->e->exec.caught_up = false; /* the session is down */
	eng_exec_on_b2e(&f->e->exec, &m);
	r = next_report(f, PS_REPORT_REJECTED);
	assert_int_equal(r.reason, PS_EDISCONNECTED);
	assert_int_equal(r.leaves_qty, 100);
	m.u.intent.action = PS_ORDER_NEW;
	eng_exec_on_b2e(&f->e->exec, &m);
	r = next_report(f, PS_REPORT_REJECTED);
	assert_int_equal(r.leaves_qty, 0);
	assert_no_report(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_reject_of_a_replacement_dropped_by_a_fill_is_not_reported, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_replace_of_a_working_order_is_reported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_of_a_new_order_is_reported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_cancel_of_a_working_order_is_reported,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_replacement_in_flight_at_a_drop_ends_with_its_original, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_replacement_in_flight_at_a_drop_ends_with_its_original_after_catch_up,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused_request_for_an_order_awaiting_an_answer_leaves_it_working, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
