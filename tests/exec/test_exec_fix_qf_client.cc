// A QuickFIX (libquickfix-dev) initiator for test_exec_fix_quickfix.c, built
// by that test with g++ -std=c++14 (the QuickFIX headers need it). It logs
// on to the venue's FIX acceptor with two sessions (users QF1 and QF2,
// Password 554 added to the Logon), crosses a buy of QF1 with a sell of QF2,
// rests a buy of QF1 and cancels it, prints one line per report received:
//   ER <user> <ClOrdID> <ExecType> <OrdStatus> <LastQty> <CumQty> <LeavesQty>
//   CXLREJ <user> <ClOrdID>
// then logs out (initiator.stop) and prints DONE, or TIMEOUT.
//
// usage: test_exec_fix_qf_client CONFIG PASSWORD
#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/MessageCracker.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelReject.h>
#include <quickfix/fix44/OrderCancelRequest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

class Client : public FIX::Application, public FIX::MessageCracker
{
      public:
	explicit Client(std::string pw) : password(std::move(pw))
	{
	}
	std::atomic<int> logons{ 0 }, reports{ 0 };
	std::string password;
	std::mutex out;

	void onCreate(const FIX::SessionID &)
	{
	}
	void onLogon(const FIX::SessionID &)
	{
		logons++;
	}
	void onLogout(const FIX::SessionID &)
	{
	}
	void toAdmin(FIX::Message &m, const FIX::SessionID &)
	{
		FIX::MsgType t;
		m.getHeader().getField(t);
		if (t == FIX::MsgType_Logon)
			m.setField(FIX::Password(password));
	}
	void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend)
	{
	}
	void fromAdmin(const FIX::Message &,
		       const FIX::SessionID &) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
						     FIX::IncorrectTagValue, FIX::RejectLogon)
	{
	}
	void fromApp(const FIX::Message &m,
		     const FIX::SessionID &s) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
						    FIX::IncorrectTagValue,
						    FIX::UnsupportedMessageType)
	{
		crack(m, s);
	}
	void onMessage(const FIX44::ExecutionReport &er, const FIX::SessionID &s)
	{
		FIX::ClOrdID cl;
		FIX::ExecType et;
		FIX::OrdStatus os;
		FIX::CumQty cq;
		FIX::LeavesQty lq;
		FIX::LastQty last(0);
		er.get(cl);
		er.get(et);
		er.get(os);
		er.get(cq);
		er.get(lq);
		if (er.isSetField(last))
			er.get(last);
		std::lock_guard<std::mutex> g(out);
		std::printf("ER %s %s %c %c %g %g %g\n",
			    s.getTargetCompID().getValue() == "VENUE"
				? s.getSenderCompID().getValue().c_str()
				: "?",
			    cl.getValue().c_str(), et.getValue(), os.getValue(), last.getValue(),
			    cq.getValue(), lq.getValue());
		std::fflush(stdout);
		reports++;
	}
	void onMessage(const FIX44::OrderCancelReject &r, const FIX::SessionID &s)
	{
		FIX::ClOrdID cl;
		r.get(cl);
		std::lock_guard<std::mutex> g(out);
		std::printf("CXLREJ %s %s\n", s.getSenderCompID().getValue().c_str(),
			    cl.getValue().c_str());
		std::fflush(stdout);
		reports++;
	}
};

static bool wait_for(const std::atomic<int> &v, int want)
{
	for (int i = 0; i < 200 && v.load() < want; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	return v.load() >= want;
}

static void order(const char *user, const char *id, char side, double px, double qty)
{
	FIX44::NewOrderSingle o(FIX::ClOrdID(id), FIX::Side(side), FIX::TransactTime(),
				FIX::OrdType(FIX::OrdType_LIMIT));
	o.set(FIX::Symbol("AAPL"));
	o.set(FIX::OrderQty(qty));
	o.set(FIX::Price(px));
	o.set(FIX::TimeInForce(FIX::TimeInForce_DAY));
	FIX::Session::sendToTarget(o, FIX::SessionID("FIX.4.4", user, "VENUE"));
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	try {
		FIX::SessionSettings settings(argv[1]);
		Client app(argv[2]);
		FIX::FileStoreFactory store(settings);
		FIX::SocketInitiator initiator(app, store, settings);
		initiator.start();
		if (!wait_for(app.logons, 2)) {
			std::printf("TIMEOUT logon\n");
			initiator.stop(true);
			return 1;
		}
		order("QF1", "B1", FIX::Side_BUY, 10.25, 100);
		if (!wait_for(app.reports, 1))
			goto timeout;
		order("QF2", "S1", FIX::Side_SELL, 10.25, 100);
		/* B1 new, S1 new, B1 fill, S1 fill */
		if (!wait_for(app.reports, 4))
			goto timeout;
		order("QF1", "B2", FIX::Side_BUY, 9.5, 50);
		if (!wait_for(app.reports, 5))
			goto timeout;
		{
			FIX44::OrderCancelRequest c(FIX::OrigClOrdID("B2"), FIX::ClOrdID("C2"),
						    FIX::Side(FIX::Side_BUY), FIX::TransactTime());
			c.set(FIX::Symbol("AAPL"));
			FIX::Session::sendToTarget(c, FIX::SessionID("FIX.4.4", "QF1", "VENUE"));
		}
		if (!wait_for(app.reports, 6))
			goto timeout;
		{
			/* a cancel of an unknown order: OrderCancelReject */
			FIX44::OrderCancelRequest c(FIX::OrigClOrdID("NOPE"), FIX::ClOrdID("C3"),
						    FIX::Side(FIX::Side_BUY), FIX::TransactTime());
			c.set(FIX::Symbol("AAPL"));
			FIX::Session::sendToTarget(c, FIX::SessionID("FIX.4.4", "QF1", "VENUE"));
		}
		if (!wait_for(app.reports, 7))
			goto timeout;
		initiator.stop();
		std::printf("DONE\n");
		return 0;
	timeout:
		std::printf("TIMEOUT reports %d\n", app.reports.load());
		initiator.stop(true);
		return 1;
	} catch (const std::exception &e) {
		std::printf("ERROR %s\n", e.what());
		return 1;
	}
}
