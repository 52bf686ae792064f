/*
 * OUCH 4.2 codec: every message type in both directions encodes to its
 * fixed length with the fields at their offsets, decodes back to the same
 * values, and re-encodes to the same bytes. Wrong lengths and unknown types
 * are refused; decoders never read past the message (PROT_NONE page).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ps/ouch.h>

static const char TOKEN[] = "PSX00000000042";
static const char TOKEN2[] = "PSX00000000043";

static void check_round_trip(const uint8_t *wire, size_t len, bool inbound, struct ps_ouch_msg *m)
{
	int rc =
	    inbound ? ps_ouch_decode_inbound(wire, len, m) : ps_ouch_decode_outbound(wire, len, m);
	assert_int_equal(rc, 0);
	uint8_t again[PS_OUCH_MAX_LEN];
	assert_int_equal(ps_ouch_encode(again, m, inbound), len);
	assert_memory_equal(again, wire, len);
	/* One byte short or long is a length error. */
	rc = inbound ? ps_ouch_decode_inbound(wire, len - 1, m)
		     : ps_ouch_decode_outbound(wire, len - 1, m);
	assert_int_equal(rc, PS_EBADLEN);
	rc = inbound ? ps_ouch_decode_inbound(wire, len + 1, m)
		     : ps_ouch_decode_outbound(wire, len + 1, m);
	assert_int_equal(rc, PS_EBADLEN);
	rc = inbound ? ps_ouch_decode_inbound(wire, len, m) : ps_ouch_decode_outbound(wire, len, m);
	assert_int_equal(rc, 0);
}

static struct ps_ouch_enter_order sample_enter(void)
{
	struct ps_ouch_enter_order o;
	memcpy(o.token, TOKEN, 14);
	ps_ouch_pad(o.stock, 8, "AAPL");
	ps_ouch_pad(o.firm, 4, "PRSS");
	o.side = 'B';
	o.shares = 100;
	o.price = 1234500; /* 123.45 */
	o.tif = PS_OUCH_TIF_MARKET_HOURS;
	o.display = 'Y';
	o.capacity = 'P';
	o.ise = 'N';
	o.min_qty = 7;
	o.cross_type = 'N';
	o.customer_type = 'R';
	return o;
}

static void test_ouch_enter_order_layout(void **state)
{
	(void)state;
	struct ps_ouch_enter_order o = sample_enter();
	uint8_t w[PS_OUCH_MAX_LEN + 1];
	assert_int_equal(ps_ouch_encode_enter_order(w, &o), 49);
	assert_int_equal(w[0], 'O');
	assert_memory_equal(w + 1, TOKEN, 14);
	assert_int_equal(w[15], 'B');
	assert_memory_equal(w + 16, "\x00\x00\x00\x64", 4);
	assert_memory_equal(w + 20, "AAPL    ", 8);
	assert_memory_equal(w + 28, "\x00\x12\xd6\x44", 4);
	assert_memory_equal(w + 32, "\x00\x01\x86\x9e", 4);
	assert_memory_equal(w + 36, "PRSS", 4);
	assert_memory_equal(w + 40, "YPN", 3);
	assert_memory_equal(w + 43, "\x00\x00\x00\x07", 4);
	assert_memory_equal(w + 47, "NR", 2);
	struct ps_ouch_msg m = { 0 };
	check_round_trip(w, 49, true, &m);
	assert_int_equal(m.type, 'O');
	assert_memory_equal(m.u.enter.token, TOKEN, 14);
	assert_memory_equal(m.u.enter.stock, "AAPL    ", 8);
	assert_memory_equal(m.u.enter.firm, "PRSS", 4);
	assert_int_equal(m.u.enter.side, 'B');
	assert_int_equal(m.u.enter.shares, 100);
	assert_int_equal(m.u.enter.price, 1234500);
	assert_int_equal(m.u.enter.tif, 99998);
	assert_int_equal(m.u.enter.display, 'Y');
	assert_int_equal(m.u.enter.capacity, 'P');
	assert_int_equal(m.u.enter.ise, 'N');
	assert_int_equal(m.u.enter.min_qty, 7);
	assert_int_equal(m.u.enter.cross_type, 'N');
	assert_int_equal(m.u.enter.customer_type, 'R');
}

static void test_ouch_enter_template_matches_encoder(void **state)
{
	(void)state;
	struct ps_ouch_enter_order o = sample_enter();
	struct ps_ouch_enter_tmpl t;
	struct ps_ouch_enter_order defaults = o;
	memset(defaults.token, 'z', 14);
	defaults.shares = 1;
	defaults.price = 1;
	defaults.side = 'S';
	ps_ouch_enter_tmpl_init(&t, &defaults);
	uint8_t a[64];
	uint8_t b[64];
	assert_int_equal(ps_ouch_enter_tmpl_encode(&t, a, TOKEN, 'B', 100, "AAPL    ", 1234500),
			 52);
	ps_soup_put_header(b, PS_SOUP_UNSEQUENCED, 49);
	ps_ouch_encode_enter_order(b + 3, &o);
	assert_memory_equal(a, b, 52);
	assert_memory_equal(a, "\x00\x32U", 3);
}

static void test_ouch_replace_cancel_modify_layout(void **state)
{
	(void)state;
	uint8_t w[PS_OUCH_MAX_LEN + 1];
	struct ps_ouch_msg m = { 0 };
	struct ps_ouch_replace_order r;
	memcpy(r.existing_token, TOKEN, 14);
	memcpy(r.replacement_token, TOKEN2, 14);
	r.shares = 250;
	r.price = 1234600;
	r.tif = 0;
	r.display = 'N';
	r.ise = 'Y';
	r.min_qty = 0;
	assert_int_equal(ps_ouch_encode_replace_order(w, &r), 47);
	assert_int_equal(w[0], 'U');
	assert_memory_equal(w + 1, TOKEN, 14);
	assert_memory_equal(w + 15, TOKEN2, 14);
	assert_memory_equal(w + 29, "\x00\x00\x00\xfa", 4);
	assert_memory_equal(w + 33, "\x00\x12\xd6\xa8", 4);
	assert_int_equal(w[41], 'N');
	assert_int_equal(w[42], 'Y');
	check_round_trip(w, 47, true, &m);
	assert_int_equal(m.u.replace.shares, 250);
	assert_int_equal(m.u.replace.price, 1234600);
	assert_memory_equal(m.u.replace.replacement_token, TOKEN2, 14);

	assert_int_equal(ps_ouch_encode_cancel_order(w, TOKEN, 0), 19);
	assert_int_equal(w[0], 'X');
	assert_memory_equal(w + 15, "\x00\x00\x00\x00", 4);
	check_round_trip(w, 19, true, &m);
	assert_memory_equal(m.u.cancel.token, TOKEN, 14);
	assert_int_equal(m.u.cancel.shares, 0);

	struct ps_ouch_modify_order mo = { .shares = 40, .side = 'T' };
	memcpy(mo.token, TOKEN, 14);
	assert_int_equal(ps_ouch_encode_modify_order(w, &mo), 20);
	assert_int_equal(w[0], 'M');
	assert_int_equal(w[15], 'T');
	check_round_trip(w, 20, true, &m);
	assert_int_equal(m.u.modify.side, 'T');
	assert_int_equal(m.u.modify.shares, 40);
}

static const uint64_t TS = 0x0000123456789abcull;

static void test_ouch_outbound_accepted_replaced_layout(void **state)
{
	(void)state;
	uint8_t w[PS_OUCH_MAX_LEN + 1];
	struct ps_ouch_msg m = { 0 };
	struct ps_ouch_accepted a = {
		.timestamp_ns = TS,
		.order_ref = 0x0102030405060708ull,
		.shares = 100,
		.price = 1234500,
		.tif = 99999,
		.min_qty = 3,
		.side = 'S',
		.display = 'Y',
		.capacity = 'A',
		.ise = 'N',
		.cross_type = 'N',
		.order_state = 'L',
		.bbo_weight = '2',
	};
	memcpy(a.token, TOKEN, 14);
	ps_ouch_pad(a.stock, 8, "MSFT");
	ps_ouch_pad(a.firm, 4, "PRSS");
	memcpy(a.previous_token, TOKEN2, 14);
	assert_int_equal(ps_ouch_encode_accepted(w, PS_OUCH_ACCEPTED, &a), 66);
	assert_int_equal(w[0], 'A');
	assert_memory_equal(w + 1, "\x00\x00\x12\x34\x56\x78\x9a\xbc", 8);
	assert_memory_equal(w + 9, TOKEN, 14);
	assert_int_equal(w[23], 'S');
	assert_memory_equal(w + 28, "MSFT    ", 8);
	assert_memory_equal(w + 49, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(w[64], 'L');
	assert_int_equal(w[65], '2');
	check_round_trip(w, 66, false, &m);
	assert_int_equal(m.type, 'A');
	assert_true(m.u.accepted.timestamp_ns == TS);
	assert_true(m.u.accepted.order_ref == 0x0102030405060708ull);
	assert_int_equal(m.u.accepted.shares, 100);
	assert_int_equal(m.u.accepted.price, 1234500);
	assert_int_equal(m.u.accepted.tif, 99999);
	assert_int_equal(m.u.accepted.min_qty, 3);
	assert_int_equal(m.u.accepted.capacity, 'A');
	assert_int_equal(m.u.accepted.order_state, 'L');
	assert_int_equal(m.u.accepted.bbo_weight, '2');
	assert_memory_equal(m.u.accepted.firm, "PRSS", 4);

	assert_int_equal(ps_ouch_encode_accepted(w, PS_OUCH_REPLACED, &a), 80);
	assert_int_equal(w[0], 'U');
	assert_memory_equal(w + 65, TOKEN2, 14);
	assert_int_equal(w[79], '2');
	check_round_trip(w, 80, false, &m);
	assert_int_equal(m.type, 'U');
	assert_memory_equal(m.u.accepted.previous_token, TOKEN2, 14);
	assert_memory_equal(m.u.accepted.token, TOKEN, 14);
}

static void test_ouch_outbound_other_messages_layout(void **state)
{
	(void)state;
	uint8_t w[PS_OUCH_MAX_LEN + 1];
	struct ps_ouch_msg m = { 0 };

	assert_int_equal(ps_ouch_encode_system_event(w, TS, 'S'), 10);
	check_round_trip(w, 10, false, &m);
	assert_int_equal(m.u.system_event.event_code, 'S');
	assert_true(m.u.system_event.timestamp_ns == TS);

	struct ps_ouch_canceled c = { .timestamp_ns = TS,
				      .decrement_shares = 60,
				      .reason = 'U',
				      .qty_prevented = 11,
				      .execution_price = 1000100,
				      .liquidity_flag = 'A' };
	memcpy(c.token, TOKEN, 14);
	assert_int_equal(ps_ouch_encode_canceled(w, PS_OUCH_CANCELED, &c), 28);
	assert_memory_equal(w + 23, "\x00\x00\x00\x3c", 4);
	assert_int_equal(w[27], 'U');
	check_round_trip(w, 28, false, &m);
	assert_int_equal(m.u.canceled.decrement_shares, 60);
	assert_int_equal(m.u.canceled.reason, 'U');
	assert_int_equal(ps_ouch_encode_canceled(w, PS_OUCH_AIQ_CANCELED, &c), 37);
	assert_int_equal(w[0], 'D');
	check_round_trip(w, 37, false, &m);
	assert_int_equal(m.u.canceled.qty_prevented, 11);
	assert_int_equal(m.u.canceled.execution_price, 1000100);
	assert_int_equal(m.u.canceled.liquidity_flag, 'A');

	struct ps_ouch_executed e = { .timestamp_ns = TS,
				      .match_number = 987654321,
				      .shares = 40,
				      .price = 1234400,
				      .liquidity_flag = 'R' };
	memcpy(e.token, TOKEN, 14);
	assert_int_equal(ps_ouch_encode_executed(w, &e), 40);
	assert_memory_equal(w + 23, "\x00\x00\x00\x28", 4);
	assert_int_equal(w[31], 'R');
	check_round_trip(w, 40, false, &m);
	assert_int_equal(m.u.executed.shares, 40);
	assert_int_equal(m.u.executed.price, 1234400);
	assert_true(m.u.executed.match_number == 987654321);

	struct ps_ouch_broken_trade b = { .timestamp_ns = TS, .match_number = 5, .reason = 'E' };
	memcpy(b.token, TOKEN, 14);
	assert_int_equal(ps_ouch_encode_broken_trade(w, &b), 32);
	check_round_trip(w, 32, false, &m);
	assert_true(m.u.broken.match_number == 5);
	assert_int_equal(m.u.broken.reason, 'E');

	struct ps_ouch_token_event t = { .timestamp_ns = TS, .reason = 'X' };
	memcpy(t.token, TOKEN, 14);
	assert_int_equal(ps_ouch_encode_token_event(w, PS_OUCH_REJECTED, &t), 24);
	check_round_trip(w, 24, false, &m);
	assert_int_equal(m.type, 'J');
	assert_int_equal(m.u.token_event.reason, 'X');
	t.reason = 0;
	assert_int_equal(ps_ouch_encode_token_event(w, PS_OUCH_CANCEL_PENDING, &t), 23);
	check_round_trip(w, 23, false, &m);
	assert_int_equal(m.type, 'P');
	assert_int_equal(ps_ouch_encode_token_event(w, PS_OUCH_CANCEL_REJECT, &t), 23);
	check_round_trip(w, 23, false, &m);
	assert_int_equal(m.type, 'I');
	assert_memory_equal(m.u.token_event.token, TOKEN, 14);

	struct ps_ouch_priority_update p = {
		.timestamp_ns = TS, .order_ref = 77, .price = 5, .display = 'Y'
	};
	memcpy(p.token, TOKEN, 14);
	assert_int_equal(ps_ouch_encode_priority_update(w, &p), 36);
	check_round_trip(w, 36, false, &m);
	assert_true(m.u.priority.order_ref == 77);
	assert_int_equal(m.u.priority.price, 5);

	struct ps_ouch_order_modified mo = { .timestamp_ns = TS, .shares = 9, .side = 'E' };
	memcpy(mo.token, TOKEN, 14);
	assert_int_equal(ps_ouch_encode_order_modified(w, &mo), 28);
	check_round_trip(w, 28, false, &m);
	assert_int_equal(m.type, 'M');
	assert_int_equal(m.u.modified.shares, 9);
	assert_int_equal(m.u.modified.side, 'E');
}

static void test_ouch_decode_refuses_unknown_and_empty(void **state)
{
	(void)state;
	struct ps_ouch_msg m = { 0 };
	uint8_t w[PS_OUCH_MAX_LEN] = { 0 };
	assert_int_equal(ps_ouch_decode_outbound(w, 0, &m), PS_ETRUNCATED);
	assert_int_equal(ps_ouch_decode_inbound(w, 0, &m), PS_ETRUNCATED);
	w[0] = 'Q';
	assert_int_equal(ps_ouch_decode_outbound(w, 10, &m), PS_EUNKNOWN_MSG);
	assert_int_equal(ps_ouch_decode_inbound(w, 10, &m), PS_EUNKNOWN_MSG);
	/* Client messages are unknown to the client-side decoder and back. */
	w[0] = 'O';
	assert_int_equal(ps_ouch_decode_outbound(w, 49, &m), PS_EUNKNOWN_MSG);
	w[0] = 'E';
	assert_int_equal(ps_ouch_decode_inbound(w, 40, &m), PS_EUNKNOWN_MSG);
	/* OUCH 4.1's shorter Accepted (no BBO weight) is not 4.2. */
	w[0] = 'A';
	assert_int_equal(ps_ouch_decode_outbound(w, 65, &m), PS_EBADLEN);
	struct ps_ouch_msg bad = { .type = 'Q' };
	assert_int_equal(ps_ouch_encode(w, &bad, true), 0);
	assert_int_equal(ps_ouch_encode(w, &bad, false), 0);
}

static void test_ouch_decoders_never_read_past_the_end(void **state)
{
	(void)state;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	static const uint8_t types[] = { 'O', 'U', 'X', 'M', 'S', 'A', 'C',
					 'D', 'E', 'B', 'J', 'P', 'I', 'T' };
	struct ps_ouch_msg m = { 0 };
	for (size_t t = 0; t < sizeof(types); t++) {
		for (size_t n = 1; n <= PS_OUCH_MAX_LEN; n++) {
			uint8_t *p = map + page - n;
			memset(p, 0x41, n);
			p[0] = types[t];
			(void)ps_ouch_decode_inbound(p, n, &m);
			(void)ps_ouch_decode_outbound(p, n, &m);
		}
	}
	assert_int_equal(munmap(map, (size_t)page * 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ouch_enter_order_layout),
		cmocka_unit_test(test_ouch_enter_template_matches_encoder),
		cmocka_unit_test(test_ouch_replace_cancel_modify_layout),
		cmocka_unit_test(test_ouch_outbound_accepted_replaced_layout),
		cmocka_unit_test(test_ouch_outbound_other_messages_layout),
		cmocka_unit_test(test_ouch_decode_refuses_unknown_and_empty),
		cmocka_unit_test(test_ouch_decoders_never_read_past_the_end),
	};
	return cmocka_run_group_tests_name("exec_ouch", tests, NULL, NULL);
}
