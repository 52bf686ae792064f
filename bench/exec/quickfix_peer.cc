// QuickFIX (libquickfix-dev) doing the same work as bench_exec_fix.c, in the
// same binary and run, so the ratio is measured rather than assumed:
//
//   exec/fix/quickfix/parse_exec_report  FIX::Message::setString (no data
//                                        dictionary, BodyLength and CheckSum
//                                        checked) of the same ExecutionReport,
//                                        then reading the same 17 fields as
//                                        ps_fix_exec_report_decode (and MsgType)
//   exec/fix/quickfix/encode_new_order   a FIX44::NewOrderSingle with the same
//                                        fields and header, to a string
//
// The QuickFIX headers do not compile as C++17 (dynamic exception
// specifications): bench/CMakeLists.txt builds this file with -std=c++14.
#include <quickfix/Message.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>

#include <string>

#include "harness.h"

extern "C" const char *ps_bench_fix_exec_report(size_t *len);

static void bench_quickfix_parse_exec_report(struct ps_bench *b)
{
	size_t len;
	const char *raw = ps_bench_fix_exec_report(&len);
	const std::string text(raw, len);
	FIX::Message m;
	uint64_t n;
	double sum = 0;
	bool ok = true;
	while ((n = ps_bench_batch(b, 100)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			try {
				m.setString(text, true);
				// the fields ps_fix_exec_report_decode reads, the optional
				// ones (absent here) looked up the same way
				FIX::MsgType type;
				FIX::ClOrdID cl;
				FIX::OrigClOrdID orig;
				FIX::OrderID oid;
				FIX::ExecID eid;
				FIX::Symbol sym;
				FIX::Text txt;
				FIX::ExecType et;
				FIX::OrdStatus os;
				FIX::Side side;
				FIX::OrdRejReason rej;
				FIX::Price price;
				FIX::LastPx px;
				FIX::AvgPx avg;
				FIX::OrderQty oq;
				FIX::LastQty qty;
				FIX::LeavesQty lq;
				FIX::CumQty cq;
				m.getHeader().getField(type);
				if (type.getValue() != "8")
					ok = false;
				m.getField(oid);
				m.getField(eid);
				m.getField(et);
				m.getField(os);
				m.getField(lq);
				m.getFieldIfSet(cl);
				m.getFieldIfSet(orig);
				m.getFieldIfSet(sym);
				m.getFieldIfSet(txt);
				m.getFieldIfSet(side);
				m.getFieldIfSet(rej);
				m.getFieldIfSet(price);
				m.getFieldIfSet(px);
				m.getFieldIfSet(avg);
				m.getFieldIfSet(oq);
				m.getFieldIfSet(qty);
				m.getFieldIfSet(cq);
				sum += lq.getValue() + px.getValue();
				ps_bench_keep(&cl);
				ps_bench_keep(&orig);
				ps_bench_keep(&oid);
				ps_bench_keep(&eid);
				ps_bench_keep(&sym);
				ps_bench_keep(&txt);
				ps_bench_keep(&et);
				ps_bench_keep(&os);
				ps_bench_keep(&side);
				ps_bench_keep(&rej);
				ps_bench_keep(&price);
				ps_bench_keep(&avg);
				ps_bench_keep(&oq);
				ps_bench_keep(&qty);
				ps_bench_keep(&cq);
			} catch (const std::exception &) {
				ok = false;
			}
		}
	}
	ps_bench_keep(&sum);
	ps_bench_label(b, ok ? "ok" : "PARSE FAILED");
}
PS_BENCH("exec/fix/quickfix/parse_exec_report", bench_quickfix_parse_exec_report, 0, 0);

static void bench_quickfix_encode_new_order(struct ps_bench *b)
{
	std::string out;
	uint64_t n, seq = 1;
	FIX::UtcTimeStamp t(3, 4, 5, 678, 2, 1, 2026);
	while ((n = ps_bench_batch(b, 100)) != 0) {
		for (uint64_t i = 0; i < n; i++) {
			FIX44::NewOrderSingle o(FIX::ClOrdID("PS000000000001"), FIX::Side('1'),
						FIX::TransactTime(t), FIX::OrdType('2'));
			o.getHeader().setField(FIX::SenderCompID("PERSEUS"));
			o.getHeader().setField(FIX::TargetCompID("VENUE"));
			o.getHeader().setField(FIX::MsgSeqNum((int)seq++));
			o.getHeader().setField(FIX::SendingTime(t));
			o.set(FIX::HandlInst('1'));
			o.set(FIX::Symbol("AAPL"));
			o.set(FIX::OrderQty(100));
			o.set(FIX::Price(150.25));
			o.set(FIX::TimeInForce('0'));
			o.toString(out);
			ps_bench_keep(out.data());
		}
	}
	ps_bench_label(b, out.size() > 100 ? "ok" : "ENCODE BROKEN");
}
PS_BENCH("exec/fix/quickfix/encode_new_order", bench_quickfix_encode_new_order, 0, 0);
