/*
 * FIX 4.4 codec benchmarks (QuickFIX doing the same work is in
 * quickfix_peer.cc, same binary, same run):
 *
 *   exec/fix/perseus/parse_exec_report  frame + parse (BodyLength and CheckSum
 *                                       checked, all 22 fields split) + decode
 *                                       one 224-byte fill ExecutionReport
 *                                       (the 17 fields of
 *                                       ps_fix_exec_report_decode)
 *                                       (goal <= 100 ns)
 *   exec/fix/perseus/encode_new_order   a complete NewOrderSingle (header,
 *                                       SendingTime, TransactTime, CheckSum)
 *                                       into a preallocated buffer
 *                                       (goal <= 50 ns)
 */
#include <stdio.h>
#include <string.h>

#include <ps/fix.h>

#include "harness.h"

/* 2026-01-02 03:04:05.678 UTC */
#define T0 (1767323045ull * 1000000000ull + 678000000ull)

/* The ExecutionReport both benchmarks parse (also used by quickfix_peer.cc). */
const char *ps_bench_fix_exec_report(size_t *len);

const char *ps_bench_fix_exec_report(size_t *len)
{
	static char msg[512];
	static size_t n;
	if (!n) {
		static const char body[] =
		    "35=8\00134=1234\00149=VENUE\00152=20260102-03:04:05.678\00156=PERSEUS\001"
		    "37=1000042\00111=PS000000000001\00117=E77\001150=F\00139=1\00155=AAPL\001"
		    "54=1\00138=300\00144=150.25\00132=100\00131=150.25\001151=200\00114=100\001"
		    "6=150.25\00160=20260102-03:04:05.678\001";
		int h = snprintf(msg, sizeof(msg), "8=FIX.4.4\0019=%zu\001", sizeof(body) - 1);
		memcpy(msg + h, body, sizeof(body) - 1);
		n = (size_t)h + sizeof(body) - 1;
		unsigned ck = ps_fix_checksum((const uint8_t *)msg, (uint32_t)n);
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "10=%03u\001", ck);
	}
	*len = n;
	return msg;
}

static void bench_exec_fix_parse_exec_report(struct ps_bench *b)
{
	size_t len;
	const uint8_t *msg = (const uint8_t *)ps_bench_fix_exec_report(&len);
	struct ps_fix_msg m;
	struct ps_fix_exec_report er;
	uint64_t n, sum = 0;
	while ((n = ps_bench_batch(b, 1000)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			ps_bench_keep(msg);
			int32_t f = ps_fix_frame(msg, (uint32_t)len);
			if (f > 0 && ps_fix_parse(msg, (uint32_t)f, &m) == 0 &&
			    ps_fix_exec_report_decode(&m, 4, &er) == 0)
				sum += er.leaves_qty;
			ps_bench_keep(&er);
		}
	}
	ps_bench_keep(&sum);
	ps_bench_label(b, sum ? "ok" : "PARSE FAILED");
}
PS_BENCH("exec/fix/perseus/parse_exec_report", bench_exec_fix_parse_exec_report, 0, 0);

static void bench_exec_fix_encode_new_order(struct ps_bench *b)
{
	struct ps_fix_enc e;
	ps_fix_enc_init(&e, "PERSEUS", "VENUE");
	static uint8_t buf[512];
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
	uint64_t n, seq = 1, now = T0;
	uint32_t start = 0, len = 0;
	while ((n = ps_bench_batch(b, 1000)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			len = ps_fix_enc_new_order(&e, buf, seq++, now, &o, &start);
			now += 1000; /* 1 us apart: the cached second is reused */
			ps_bench_keep(buf);
		}
	}
	struct ps_fix_msg m;
	ps_bench_label(b, ps_fix_parse(buf + start, len, &m) == 0 ? "ok" : "ENCODE BROKEN");
}
PS_BENCH("exec/fix/perseus/encode_new_order", bench_exec_fix_encode_new_order, 0, 0);
