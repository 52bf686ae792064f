/*
 * FIX 4.4 codec: exact bytes of an encoded NewOrderSingle, framing at every
 * split offset, garbled frames (BodyLength, CheckSum, tags), dictionary
 * validation reasons, ExecutionReport decoding, decimals, inputs ending at
 * a PROT_NONE page, and no allocation in the parse/encode loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ps/alloc.h>
#include <ps/fix.h>

/* 2026-01-02 03:04:05.678 UTC */
#define T0 (1767323045ull * 1000000000ull + 678000000ull)

/* Builds a message from "a=b|c=d|" text (| = SOH), adding 8, 9 and 10. */
static uint32_t mk(uint8_t *out, const char *body_bars)
{
	char body[2048] = { 0 };
	size_t n = strlen(body_bars);
	for (size_t i = 0; i < n; i++)
		body[i] = body_bars[i] == '|' ? PS_FIX_SOH : body_bars[i];
	int h = sprintf((char *)out, "8=FIX.4.4\0019=%zu\001", n);
	memcpy(out + h, body, n);
	uint32_t len = (uint32_t)h + (uint32_t)n;
	uint32_t ck = ps_fix_checksum(out, len);
	len += (uint32_t)sprintf((char *)out + len, "10=%03u\001", ck);
	return len;
}

static void bars(char *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = src[i] == PS_FIX_SOH ? '|' : (char)src[i];
	dst[n] = 0;
}

static void test_fix_new_order_exact_bytes(void **state)
{
	(void)state;
	struct ps_fix_enc e;
	assert_int_equal(ps_fix_enc_init(&e, "PERSEUS", "VENUE"), 0);
	uint8_t buf[512];
	struct ps_fix_new_order o = {
		.cl_ord_id = "PS000000000001",
		.cl_ord_id_len = 14,
		.symbol = "AAPL",
		.symbol_len = 4,
		.side = '1',
		.ord_type = '2',
		.tif = '0',
		.qty = 100,
		.price = 1502500,
		.scale = 4,
	};
	uint32_t start;
	uint32_t len = ps_fix_enc_new_order(&e, buf, 7, T0, &o, &start);
	char text[512];
	bars(text, buf + start, len);
	const char *want_body = "35=D|34=7|49=PERSEUS|52=20260102-03:04:05.678|56=VENUE|"
				"11=PS000000000001|21=1|55=AAPL|54=1|60=20260102-03:04:05.678|"
				"38=100|40=2|44=150.25|59=0|";
	char want[512];
	uint8_t raw[512];
	uint32_t wl = mk(raw, want_body);
	bars(want, raw, wl);
	assert_string_equal(text, want);

	struct ps_fix_msg m;
	assert_int_equal(ps_fix_parse(buf + start, len, &m), 0);
	assert_true(ps_fix_msg_is(&m, "D"));
	struct ps_fix_reject r;
	assert_true(ps_fix_validate(&m, &r));
	assert_int_equal(ps_fix_frame(buf + start, len), (int32_t)len);
}

static void test_fix_frame_needs_more_at_every_split(void **state)
{
	(void)state;
	uint8_t msg[256];
	uint32_t len = mk(msg, "35=0|34=2|49=A|52=20260102-03:04:05|56=B|");
	for (uint32_t cut = 0; cut < len; cut++)
		assert_int_equal(ps_fix_frame(msg, cut), 0);
	assert_int_equal(ps_fix_frame(msg, len), (int32_t)len);
	/* two back to back: the first frame only */
	uint8_t two[512];
	memcpy(two, msg, len);
	memcpy(two + len, msg, len);
	assert_int_equal(ps_fix_frame(two, 2 * len), (int32_t)len);
}

static void test_fix_frame_skips_garbage(void **state)
{
	(void)state;
	uint8_t buf[256];
	static const uint8_t junk[5] = { 'j', 'u', 'n', 'k', PS_FIX_SOH };
	memcpy(buf, junk, 5);
	uint32_t len = mk(buf + 5, "35=0|34=2|49=A|52=20260102-03:04:05|56=B|");
	assert_int_equal(ps_fix_frame(buf, len + 5), -5);
	assert_int_equal(ps_fix_frame(buf + 5, len), (int32_t)len);
}

static void test_fix_parse_rejects_bad_checksum_and_length(void **state)
{
	(void)state;
	uint8_t msg[256];
	struct ps_fix_msg m;
	uint32_t len = mk(msg, "35=0|34=2|49=A|52=20260102-03:04:05|56=B|");
	assert_int_equal(ps_fix_parse(msg, len, &m), 0);
	msg[len - 2] = msg[len - 2] == '9' ? '0' : (uint8_t)(msg[len - 2] + 1);
	assert_int_equal(ps_fix_parse(msg, len, &m), PS_ECRC);

	/* BodyLength one short: the frame still ends at the trailer, parse says garbled */
	len = mk(msg, "35=0|34=2|49=A|52=20260102-03:04:05|56=B|");
	char *nine = strstr((char *)msg, "9=") + 2;
	(*nine)--;
	int32_t f = ps_fix_frame(msg, len);
	assert_int_equal(f, (int32_t)len);
	assert_int_equal(ps_fix_parse(msg, len, &m), PS_EPROTOCOL);

	/* a tag that is not a number */
	len = mk(msg, "35=0|34=2|4x9=A|52=20260102-03:04:05|56=B|");
	assert_int_equal(ps_fix_parse(msg, len, &m), PS_EPROTOCOL);
	/* 35 not third */
	len = mk(msg, "34=2|35=0|49=A|52=20260102-03:04:05|56=B|");
	assert_int_equal(ps_fix_parse(msg, len, &m), PS_EPROTOCOL);
}

/* RawData (96) holds SOH and '=': its length comes from RawDataLength (95). */
static void test_fix_parse_data_field_with_soh(void **state)
{
	(void)state;
	uint8_t msg[256];
	struct ps_fix_msg m;
	uint32_t len =
	    mk(msg, "35=A|34=1|49=A|52=20260102-03:04:05|56=B|98=0|108=30|95=7|96=x|y=z|w|"
		    "141=Y|");
	assert_int_equal(ps_fix_parse(msg, len, &m), 0);
	int32_t i = ps_fix_msg_find(&m, 96);
	assert_true(i >= 0);
	assert_int_equal(m.fields[i].len, 7);
	assert_memory_equal(ps_fix_msg_value(&m, (uint32_t)i), "x\001y=z\001w", 7);
	assert_int_equal(m.fields[i + 1].tag, 141);
	struct ps_fix_reject r;
	assert_true(ps_fix_validate(&m, &r));
}

static void expect_reject(const char *body, int reason, int32_t tag, bool has_tag)
{
	uint8_t msg[512];
	struct ps_fix_msg m;
	uint32_t len = mk(msg, body);
	assert_int_equal(ps_fix_parse(msg, len, &m), 0);
	struct ps_fix_reject r;
	assert_false(ps_fix_validate(&m, &r));
	assert_int_equal(r.reason, reason);
	assert_int_equal(r.has_ref_tag, has_tag);
	if (has_tag)
		assert_int_equal(r.ref_tag, tag);
}

#define HDR "34=2|49=TW44|52=20260102-03:04:05.000|56=ISLD|"

static void test_fix_validate_reasons(void **state)
{
	(void)state;
	expect_reject("35=0|" HDR "999=HI|", PS_FIX_REJ_INVALID_TAG, 999, true);
	expect_reject("35=0|" HDR "-1=HI|", PS_FIX_REJ_INVALID_TAG, -1, true);
	expect_reject("35=0|" HDR "55=MSFT|", PS_FIX_REJ_TAG_NOT_FOR_MSG_TYPE, 55, true);
	expect_reject("35=0|34=2|49=TW44|52=20260102-03:04:05|56=|", PS_FIX_REJ_NO_VALUE, 56, true);
	expect_reject("35=D|" HDR "11=ID|21=1|40=1|54=1|38=+200.00|55=INTC|60=20260102-03:04:05|",
		      PS_FIX_REJ_BAD_FORMAT, 38, true);
	expect_reject("35=D|11=id|34=2|49=TW44|52=20260102-03:04:05|56=ISLD|21=3|40=1|54=1|55=X|"
		      "60=20260102-03:04:05|",
		      PS_FIX_REJ_OUT_OF_ORDER, 34, true);
	expect_reject("35=D|" HDR "11=ID|21=1|40=1|54=1|55=INTC|386=3|336=A|336=B|"
		      "60=20260102-03:04:05|",
		      PS_FIX_REJ_GROUP_COUNT, 386, true);
	expect_reject("35=*|" HDR, PS_FIX_REJ_INVALID_MSG_TYPE, 0, false);
	expect_reject("35=D|" HDR "11=ID|40=1|54=1|55=INTC|", PS_FIX_REJ_REQUIRED_MISSING, 60,
		      true);
	expect_reject("35=0|" HDR "112=a|112=b|", PS_FIX_REJ_TAG_REPEATED, 112, true);

	uint8_t msg[512];
	struct ps_fix_msg m;
	struct ps_fix_reject r;
	uint32_t len = mk(msg, "35=D|" HDR "11=ID|21=1|40=1|54=1|55=INTC|386=2|336=A|336=B|"
			       "60=20260102-03:04:05|");
	assert_int_equal(ps_fix_parse(msg, len, &m), 0);
	assert_true(ps_fix_validate(&m, &r));
}

static void test_fix_exec_report_decode(void **state)
{
	(void)state;
	uint8_t msg[512];
	struct ps_fix_msg m;
	uint32_t len = mk(msg, "35=8|" HDR "37=O1|11=PS0001|17=E1|150=F|39=1|55=AAPL|54=2|"
			       "38=300|44=150.25|32=100|31=150.2|151=200|14=100|6=150.2|");
	assert_int_equal(ps_fix_parse(msg, len, &m), 0);
	struct ps_fix_exec_report er = { 0 };
	assert_int_equal(ps_fix_exec_report_decode(&m, 4, &er), 0);
	assert_int_equal(er.exec_type, 'F');
	assert_int_equal(er.ord_status, '1');
	assert_int_equal(er.side, '2');
	assert_memory_equal(er.cl_ord_id, "PS0001", 6);
	assert_int_equal(er.cl_ord_id_len, 6);
	assert_int_equal(er.price, 1502500);
	assert_int_equal(er.last_px, 1502000);
	assert_int_equal(er.last_qty, 100);
	assert_int_equal(er.leaves_qty, 200);
	assert_int_equal(er.cum_qty, 100);
	assert_int_equal(er.order_qty, 300);

	len = mk(msg, "35=8|" HDR "37=O1|17=E1|39=1|55=AAPL|54=2|151=200|14=100|6=0|");
	assert_int_equal(ps_fix_parse(msg, len, &m), 0);
	assert_int_equal(ps_fix_exec_report_decode(&m, 4, &er), PS_EPROTOCOL); /* no 150 */
}

static void test_fix_decimal_round_trip(void **state)
{
	(void)state;
	static const struct {
		int64_t v;
		uint32_t scale;
		const char *text;
	} cases[] = {
		{ 1502500, 4, "150.25" }, { 100, 0, "100" },      { -5, 2, "-0.05" },
		{ 10000, 4, "1" },        { 1, 8, "0.00000001" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[32];
		uint32_t n = ps_fix_put_decimal(out, cases[i].v, cases[i].scale);
		assert_int_equal(n, strlen(cases[i].text));
		assert_memory_equal(out, cases[i].text, n);
		int64_t back = INT64_MIN;
		assert_true(ps_fix_view_decimal(out, n, cases[i].scale, &back));
		assert_int_equal(back, cases[i].v);
	}
	int64_t v;
	assert_false(ps_fix_view_decimal((const uint8_t *)"1.235", 5, 2, &v));
	assert_true(ps_fix_view_decimal((const uint8_t *)"1.230", 5, 2, &v));
	assert_int_equal(v, 123);
	assert_false(ps_fix_view_decimal((const uint8_t *)"+1", 2, 2, &v));
	assert_false(ps_fix_view_decimal((const uint8_t *)".", 1, 2, &v));
}

/* The message's last byte is the last byte before a PROT_NONE page. */
static void test_fix_parse_ends_at_guard_page(void **state)
{
	(void)state;
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map =
	    mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	uint8_t msg[512];
	uint32_t len = mk(msg, "35=8|" HDR "37=O1|11=PS0001|17=E1|150=0|39=0|55=AAPL|54=1|"
			       "151=100|14=0|6=0|");
	for (uint32_t cut = 0; cut <= len; cut++) {
		uint8_t *p = map + pg - cut;
		memcpy(p, msg, cut);
		int32_t f = ps_fix_frame(p, cut);
		assert_int_equal(f, cut == len ? (int32_t)len : 0);
		struct ps_fix_msg m;
		int rc = ps_fix_parse(p, cut, &m);
		assert_int_equal(rc, cut == len ? 0 : rc);
		if (cut == len) {
			struct ps_fix_reject r;
			assert_true(ps_fix_validate(&m, &r));
		}
	}
	munmap(map, (size_t)pg * 2);
}

static void test_fix_hot_loop_does_not_allocate(void **state)
{
	(void)state;
	struct ps_fix_enc e;
	assert_int_equal(ps_fix_enc_init(&e, "PERSEUS", "VENUE"), 0);
	uint8_t buf[512];
	struct ps_fix_new_order o = { .cl_ord_id = "PS000000000001",
				      .cl_ord_id_len = 14,
				      .symbol = "AAPL",
				      .symbol_len = 4,
				      .side = '1',
				      .ord_type = '2',
				      .tif = '0',
				      .qty = 100,
				      .price = 1502500,
				      .scale = 4 };
	uint8_t er[512];
	uint32_t erl = mk(er, "35=8|" HDR "37=O1|11=PS0001|17=E1|150=F|39=1|55=AAPL|54=2|"
			      "38=300|44=150.25|32=100|31=150.2|151=200|14=100|6=150.2|");
	uint64_t before = ps_alloc_count();
	uint64_t sum = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t start;
		sum += ps_fix_enc_new_order(&e, buf, i + 1, T0 + i * 1000ull, &o, &start);
		struct ps_fix_msg m;
		struct ps_fix_exec_report x;
		if (ps_fix_parse(er, erl, &m) == 0 && ps_fix_exec_report_decode(&m, 4, &x) == 0)
			sum += x.leaves_qty;
	}
	assert_int_equal(ps_alloc_count(), before);
	assert_true(sum > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_new_order_exact_bytes),
		cmocka_unit_test(test_fix_frame_needs_more_at_every_split),
		cmocka_unit_test(test_fix_frame_skips_garbage),
		cmocka_unit_test(test_fix_parse_rejects_bad_checksum_and_length),
		cmocka_unit_test(test_fix_parse_data_field_with_soh),
		cmocka_unit_test(test_fix_validate_reasons),
		cmocka_unit_test(test_fix_exec_report_decode),
		cmocka_unit_test(test_fix_decimal_round_trip),
		cmocka_unit_test(test_fix_parse_ends_at_guard_page),
		cmocka_unit_test(test_fix_hot_loop_does_not_allocate),
	};
	return cmocka_run_group_tests_name("exec_fix", tests, NULL, NULL);
}
