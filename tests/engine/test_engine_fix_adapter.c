/* The FIX adapter of the exec stage (eng_fix_normalize): each
 * ExecutionReport the OMS needs (New, Trade, Canceled, Replaced, Rejected)
 * and OrderCancelReject becomes the OUCH message that means the same, which
 * the OMS then accepts; it survives the journal's OUCH encoding unchanged;
 * messages with no OMS meaning are ignored and malformed ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/fix.h>
#include <ps/oms.h>
#include <ps/ouch.h>

#include "engine_internal.h"

#define NOW 1700000000000000000ull

struct fx {
	struct ps_oms oms;
	void *mem;
	uint32_t h; /* an order: buy 100 AMZN at 223.54, accepted */
	char token[PS_OUCH_TOKEN_LEN];
	struct ps_fix_enc enc;
	uint8_t buf[2048];
	struct ps_fix_msg m;
	uint64_t seq;
};

static int setup(void **state)
{
	struct fx *f = ps_calloc(1, sizeof(*f));
	struct ps_oms_config oc = { .capacity = 64,
				    .token_start = 1000,
				    .token_prefix = "P",
				    .timeout_ns = 1000000000u,
				    .cod_policy = PS_OMS_COD_CANCEL };
	struct ps_oms_new req = {
		.price = 2235400, .qty = 100, .instrument = 0, .side = 'B', .tif = PS_TIF_DAY
	};

	assert_non_null(f);
	f->mem = ps_alloc_aligned(64, ps_oms_memsize(&oc));
	assert_non_null(f->mem);
	assert_int_equal(ps_oms_init(&f->oms, f->mem, &oc), 0);
	assert_int_equal(ps_oms_order_new(&f->oms, &req, 1, &f->h), 0);
	memcpy(f->token, ps_oms_order_get(&f->oms, f->h)->token, PS_OUCH_TOKEN_LEN);
	assert_int_equal(ps_oms_on_accepted(&f->oms, f->token, 77, 2), 0);
	assert_int_equal(ps_fix_enc_init(&f->enc, "PERSEUS", "e2e"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ps_oms_fini(&f->oms);
	ps_free(f->mem);
	ps_free(f);
	return 0;
}

/* Starts a message of type t from the venue; fields are appended with ps_fix_add_*. */
static uint32_t begin(struct fx *f, const char *t)
{
	return ps_fix_enc_begin(&f->enc, f->buf, t, ++f->seq, NOW);
}

/* Finishes, parses into f->m, and runs the adapter. */
static int finish(struct fx *f, uint32_t n, struct ps_ouch_msg *out)
{
	uint32_t start;
	uint32_t len = ps_fix_enc_finish(f->buf, n, &start);
	assert_int_equal(ps_fix_parse(f->buf + start, len, &f->m), 0);
	return eng_fix_normalize(&f->m, &f->oms, out);
}

/* An ExecutionReport as perseus venue writes one (exec/venue/venue_fix.c). */
static uint32_t er(struct fx *f, char exec_type, char status, const char *cl, const char *orig,
		   uint32_t leaves, uint32_t cum)
{
	uint32_t n = begin(f, "8");
	n = ps_fix_add_u64(f->buf, n, 37, 4242);
	n = ps_fix_add_str(f->buf, n, 11, cl, PS_OUCH_TOKEN_LEN);
	if (orig)
		n = ps_fix_add_str(f->buf, n, 41, orig, PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_str(f->buf, n, 17, "E123", 4);
	n = ps_fix_add_char(f->buf, n, 150, exec_type);
	n = ps_fix_add_char(f->buf, n, 39, status);
	n = ps_fix_add_str(f->buf, n, 55, "AMZN", 4);
	n = ps_fix_add_char(f->buf, n, 54, '1');
	n = ps_fix_add_u64(f->buf, n, 38, 100);
	n = ps_fix_add_decimal(f->buf, n, 44, 2235400, 4);
	if (exec_type == 'F') {
		n = ps_fix_add_u64(f->buf, n, 32, 30);
		n = ps_fix_add_decimal(f->buf, n, 31, 2235300, 4);
		n = ps_fix_add_char(f->buf, n, 851, '1');
	}
	n = ps_fix_add_u64(f->buf, n, 151, leaves);
	n = ps_fix_add_u64(f->buf, n, 14, cum);
	return ps_fix_add_decimal(f->buf, n, 6, cum ? 2235300 : 0, 4);
}

static uint32_t cancel_reject(struct fx *f, const char *cl, const char *orig, char status,
			      char response_to)
{
	uint32_t n = begin(f, "9");
	n = ps_fix_add_u64(f->buf, n, 37, 4242);
	n = ps_fix_add_str(f->buf, n, 11, cl, PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_str(f->buf, n, 41, orig, PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_char(f->buf, n, 39, status);
	n = ps_fix_add_char(f->buf, n, 434, response_to);
	return ps_fix_add_u64(f->buf, n, 102, status == '8' ? 1 : 0);
}

/* What the journal keeps (OUCH bytes) decodes to the same message. */
static void assert_journal_round_trip(const struct ps_ouch_msg *m)
{
	uint8_t b[PS_OUCH_MAX_LEN];
	struct ps_ouch_msg back = { 0 };
	size_t len = ps_ouch_encode(b, m, false);
	assert_true(len > 0);
	assert_int_equal(ps_ouch_decode_outbound(b, (uint16_t)len, &back), 0);
	assert_int_equal(back.type, m->type);
	switch (m->type) {
	case PS_OUCH_ACCEPTED:
	case PS_OUCH_REPLACED:
		assert_memory_equal(back.u.accepted.token, m->u.accepted.token, PS_OUCH_TOKEN_LEN);
		assert_int_equal(back.u.accepted.shares, m->u.accepted.shares);
		assert_int_equal(back.u.accepted.price, m->u.accepted.price);
		assert_int_equal(back.u.accepted.side, m->u.accepted.side);
		break;
	case PS_OUCH_EXECUTED:
		assert_memory_equal(back.u.executed.token, m->u.executed.token, PS_OUCH_TOKEN_LEN);
		assert_int_equal(back.u.executed.shares, m->u.executed.shares);
		assert_int_equal(back.u.executed.price, m->u.executed.price);
		assert_int_equal(back.u.executed.match_number, m->u.executed.match_number);
		break;
	case PS_OUCH_CANCELED:
		assert_memory_equal(back.u.canceled.token, m->u.canceled.token, PS_OUCH_TOKEN_LEN);
		assert_int_equal(back.u.canceled.decrement_shares, m->u.canceled.decrement_shares);
		break;
	default:
		assert_memory_equal(back.u.token_event.token, m->u.token_event.token,
				    PS_OUCH_TOKEN_LEN);
		break;
	}
}

static void test_fix_adapter_new_is_accepted(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };
	char tok[PS_OUCH_TOKEN_LEN];
	struct ps_oms_new req = { .price = 2235900, .qty = 200, .side = 'S', .tif = PS_TIF_DAY };
	uint32_t h;

	assert_int_equal(ps_oms_order_new(&f->oms, &req, 1, &h), 0);
	memcpy(tok, ps_oms_order_get(&f->oms, h)->token, PS_OUCH_TOKEN_LEN);
	assert_int_equal(finish(f, er(f, '0', '0', tok, NULL, 200, 0), &m), 1);
	assert_int_equal(m.type, PS_OUCH_ACCEPTED);
	assert_memory_equal(m.u.accepted.token, tok, PS_OUCH_TOKEN_LEN);
	assert_memory_equal(m.u.accepted.stock, "AMZN    ", PS_OUCH_STOCK_LEN);
	assert_int_equal(m.u.accepted.shares, 200);
	assert_int_equal(m.u.accepted.price, 2235400);
	assert_int_equal(m.u.accepted.order_ref, 4242);
	assert_int_equal(m.u.accepted.side, PS_OUCH_SIDE_BUY);
	assert_journal_round_trip(&m);
	assert_int_equal(ps_oms_on_ouch(&f->oms, &m, 3), 0);
	assert_int_equal(ps_oms_order_get(&f->oms, h)->state, PS_OMS_STATE_NEW);
}

static void test_fix_adapter_trade_is_executed(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };

	assert_int_equal(finish(f, er(f, 'F', '1', f->token, NULL, 70, 30), &m), 1);
	assert_int_equal(m.type, PS_OUCH_EXECUTED);
	assert_memory_equal(m.u.executed.token, f->token, PS_OUCH_TOKEN_LEN);
	assert_int_equal(m.u.executed.shares, 30);
	assert_int_equal(m.u.executed.price, 2235300);
	assert_int_equal(m.u.executed.match_number, 123);
	assert_int_equal(m.u.executed.liquidity_flag, 'A');
	assert_journal_round_trip(&m);
	assert_int_equal(ps_oms_on_executed(&f->oms, m.u.executed.token, m.u.executed.shares,
					    m.u.executed.price, 3),
			 0);
	assert_int_equal(ps_oms_order_get(&f->oms, f->h)->state, PS_OMS_STATE_PARTIALLY_FILLED);
}

static void test_fix_adapter_canceled_gives_what_went(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };
	const char *cxl = "P0000000009999";

	/* 30 filled, then our cancel (its own ClOrdID, the order in 41). */
	assert_int_equal(ps_oms_on_executed(&f->oms, f->token, 30, 2235300, 3), 0);
	assert_int_equal(ps_oms_order_cancel(&f->oms, f->h, 4), 0);
	assert_int_equal(finish(f, er(f, '4', '4', cxl, f->token, 0, 30), &m), 1);
	assert_int_equal(m.type, PS_OUCH_CANCELED);
	assert_memory_equal(m.u.canceled.token, f->token, PS_OUCH_TOKEN_LEN);
	assert_int_equal(m.u.canceled.decrement_shares, 70); /* FIX: 0 left; OUCH: 70 went */
	assert_int_equal(m.u.canceled.reason, 'U');
	assert_journal_round_trip(&m);
	assert_int_equal(ps_oms_on_canceled(&f->oms, m.u.canceled.token,
					    m.u.canceled.decrement_shares, m.u.canceled.reason, 5),
			 0);
	assert_int_equal(ps_oms_order_get(&f->oms, f->h)->state, PS_OMS_STATE_CANCELED);
}

static void test_fix_adapter_partial_and_unsolicited_cancel(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };

	/* The venue cancels 60 of 100 on its own (no OrigClOrdID): 40 left. */
	assert_int_equal(finish(f, er(f, '4', '0', f->token, NULL, 40, 0), &m), 1);
	assert_int_equal(m.type, PS_OUCH_CANCELED);
	assert_memory_equal(m.u.canceled.token, f->token, PS_OUCH_TOKEN_LEN);
	assert_int_equal(m.u.canceled.decrement_shares, 60);
	assert_int_equal(m.u.canceled.reason, 'I');
	/* Expired (IOC, day end): what is open goes. */
	assert_int_equal(finish(f, er(f, 'C', 'C', f->token, NULL, 0, 0), &m), 1);
	assert_int_equal(m.type, PS_OUCH_CANCELED);
	assert_int_equal(m.u.canceled.decrement_shares, 100);
	assert_int_equal(m.u.canceled.reason, 'T');
}

static void test_fix_adapter_replaced(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };
	uint32_t nh;

	assert_int_equal(ps_oms_order_replace(&f->oms, f->h, 2235500, 80, 3, &nh), 0);
	const char *nt = ps_oms_order_get(&f->oms, nh)->token;
	assert_int_equal(finish(f, er(f, '5', '0', nt, f->token, 80, 0), &m), 1);
	assert_int_equal(m.type, PS_OUCH_REPLACED);
	assert_memory_equal(m.u.accepted.token, nt, PS_OUCH_TOKEN_LEN);
	assert_memory_equal(m.u.accepted.previous_token, f->token, PS_OUCH_TOKEN_LEN);
	assert_int_equal(m.u.accepted.shares, 80); /* the open shares, as OUCH says them */
	assert_journal_round_trip(&m);
	assert_int_equal(ps_oms_on_ouch(&f->oms, &m, 4), 0);
	assert_int_equal(ps_oms_order_get(&f->oms, f->h)->state, PS_OMS_STATE_REPLACED);
	assert_int_equal(ps_oms_order_get(&f->oms, nh)->state, PS_OMS_STATE_NEW);
}

static void test_fix_adapter_rejected(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };
	char tok[PS_OUCH_TOKEN_LEN];
	struct ps_oms_new req = { .price = 2235900, .qty = 100, .side = 'S', .tif = PS_TIF_DAY };
	uint32_t h, n;

	assert_int_equal(ps_oms_order_new(&f->oms, &req, 1, &h), 0);
	memcpy(tok, ps_oms_order_get(&f->oms, h)->token, PS_OUCH_TOKEN_LEN);
	n = er(f, '8', '8', tok, NULL, 0, 0);
	n = ps_fix_add_str(f->buf, n, 58, "H", 1); /* the venue's OUCH reason: halted */
	assert_int_equal(finish(f, n, &m), 1);
	assert_int_equal(m.type, PS_OUCH_REJECTED);
	assert_memory_equal(m.u.token_event.token, tok, PS_OUCH_TOKEN_LEN);
	assert_int_equal(m.u.token_event.reason, 'H');
	assert_journal_round_trip(&m);
	assert_int_equal(ps_oms_on_ouch(&f->oms, &m, 3), 0);
	assert_int_equal(ps_oms_order_get(&f->oms, h)->state, PS_OMS_STATE_REJECTED);
	/* A longer Text is no OUCH reason: "other". */
	n = er(f, '8', '8', tok, NULL, 0, 0);
	n = ps_fix_add_str(f->buf, n, 58, "unknown symbol", 14);
	assert_int_equal(finish(f, n, &m), 1);
	assert_int_equal(m.u.token_event.reason, 'O');
}

static void test_fix_adapter_cancel_reject_of_live_order(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };

	assert_int_equal(ps_oms_order_cancel(&f->oms, f->h, 3), 0);
	assert_int_equal(finish(f, cancel_reject(f, "P0000000009999", f->token, '0', '1'), &m), 1);
	assert_int_equal(m.type, PS_OUCH_CANCEL_REJECT);
	assert_memory_equal(m.u.token_event.token, f->token, PS_OUCH_TOKEN_LEN);
	assert_journal_round_trip(&m);
	assert_int_equal(ps_oms_on_ouch(&f->oms, &m, 4), 0);
	assert_int_equal(ps_oms_order_get(&f->oms, f->h)->state, PS_OMS_STATE_NEW);
}

static void test_fix_adapter_cancel_reject_of_dead_order(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };

	/* The venue no longer holds the order (gone while we were away): FIX
	 * says so, and the order ends here instead of timing out. */
	assert_int_equal(ps_oms_order_cancel(&f->oms, f->h, 3), 0);
	assert_int_equal(finish(f, cancel_reject(f, "P0000000009999", f->token, '8', '1'), &m), 1);
	assert_int_equal(m.type, PS_OUCH_CANCELED);
	assert_memory_equal(m.u.canceled.token, f->token, PS_OUCH_TOKEN_LEN);
	assert_int_equal(m.u.canceled.decrement_shares, 100);
	assert_int_equal(ps_oms_on_canceled(&f->oms, m.u.canceled.token,
					    m.u.canceled.decrement_shares, m.u.canceled.reason, 4),
			 0);
	assert_int_equal(ps_oms_order_get(&f->oms, f->h)->state, PS_OMS_STATE_CANCELED);
	/* Nothing open any more: a second answer means nothing. */
	assert_int_equal(finish(f, cancel_reject(f, "P0000000009998", f->token, '4', '1'), &m), 0);
	/* Not one of ours at all: nothing either. */
	assert_int_equal(
	    finish(f, cancel_reject(f, "X0000000000001", "X0000000000000", '8', '1'), &m), 0);
}

static void test_fix_adapter_replace_reject_rejects_replacement(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };
	uint32_t nh;

	assert_int_equal(ps_oms_order_replace(&f->oms, f->h, 2235500, 80, 3, &nh), 0);
	const char *nt = ps_oms_order_get(&f->oms, nh)->token;
	assert_int_equal(finish(f, cancel_reject(f, nt, f->token, '0', '2'), &m), 1);
	assert_int_equal(m.type, PS_OUCH_REJECTED);
	assert_memory_equal(m.u.token_event.token, nt, PS_OUCH_TOKEN_LEN);
	assert_int_equal(ps_oms_on_ouch(&f->oms, &m, 4), 0);
	assert_int_equal(ps_oms_order_get(&f->oms, nh)->state, PS_OMS_STATE_REJECTED);
	assert_int_equal(ps_oms_order_get(&f->oms, f->h)->state, PS_OMS_STATE_NEW);
}

static void test_fix_adapter_ignores_and_refuses(void **state)
{
	struct fx *f = *state;
	struct ps_ouch_msg m = { 0 };
	uint32_t n;

	/* Restated / OrderStatus: no OMS meaning. */
	assert_int_equal(finish(f, er(f, 'D', '0', f->token, NULL, 100, 0), &m), 0);
	assert_int_equal(finish(f, er(f, 'I', '0', f->token, NULL, 100, 0), &m), 0);
	/* Not an order-entry answer. */
	n = begin(f, "j");
	n = ps_fix_add_u64(f->buf, n, 45, 1);
	n = ps_fix_add_str(f->buf, n, 372, "D", 1);
	n = ps_fix_add_u64(f->buf, n, 380, 3);
	assert_int_equal(finish(f, n, &m), 0);
	/* An ExecutionReport without ExecID. */
	n = begin(f, "8");
	n = ps_fix_add_u64(f->buf, n, 37, 1);
	n = ps_fix_add_str(f->buf, n, 11, f->token, PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_char(f->buf, n, 150, '0');
	n = ps_fix_add_char(f->buf, n, 39, '0');
	n = ps_fix_add_u64(f->buf, n, 151, 100);
	assert_int_equal(finish(f, n, &m), PS_EPROTOCOL);
	/* A ClOrdID longer than a token cannot be one of ours. */
	n = begin(f, "8");
	n = ps_fix_add_u64(f->buf, n, 37, 1);
	n = ps_fix_add_str(f->buf, n, 11, "P00000000000001", 15);
	n = ps_fix_add_str(f->buf, n, 17, "E1", 2);
	n = ps_fix_add_char(f->buf, n, 150, '0');
	n = ps_fix_add_char(f->buf, n, 39, '0');
	n = ps_fix_add_u64(f->buf, n, 151, 100);
	n = ps_fix_add_u64(f->buf, n, 14, 0);
	n = ps_fix_add_decimal(f->buf, n, 6, 0, 4);
	assert_int_equal(finish(f, n, &m), PS_EPROTOCOL);
	/* A trade without LastQty. */
	n = begin(f, "8");
	n = ps_fix_add_u64(f->buf, n, 37, 1);
	n = ps_fix_add_str(f->buf, n, 11, f->token, PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_str(f->buf, n, 17, "E1", 2);
	n = ps_fix_add_char(f->buf, n, 150, 'F');
	n = ps_fix_add_char(f->buf, n, 39, '1');
	n = ps_fix_add_u64(f->buf, n, 151, 70);
	n = ps_fix_add_u64(f->buf, n, 14, 30);
	n = ps_fix_add_decimal(f->buf, n, 6, 2235300, 4);
	assert_int_equal(finish(f, n, &m), PS_EPROTOCOL);
	/* A cancel reject without CxlRejResponseTo. */
	n = begin(f, "9");
	n = ps_fix_add_str(f->buf, n, 11, "P0000000009999", PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_str(f->buf, n, 41, f->token, PS_OUCH_TOKEN_LEN);
	n = ps_fix_add_char(f->buf, n, 39, '0');
	assert_int_equal(finish(f, n, &m), PS_EPROTOCOL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fix_adapter_new_is_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_trade_is_executed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_canceled_gives_what_went, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_partial_and_unsolicited_cancel,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_cancel_reject_of_live_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_cancel_reject_of_dead_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_replace_reject_rejects_replacement,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fix_adapter_ignores_and_refuses, setup,
						teardown),
	};
	return cmocka_run_group_tests_name("engine_fix_adapter", tests, NULL, NULL);
}
