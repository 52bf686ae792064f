"""e2e_engine_venue: perseus run trades the market maker against perseus venue
replaying the real AMZN day (LOBSTER level 5) at high speed; afterwards the
journal must hold every order and every venue message, and the PnL must add
up: the venue's fill count for the user equals the journal's FILL records,
the OUCH messages the venue sent are the VENUE_MSG records 1..N without a
hole, the positions match the venue's, and the engine's summary PnL equals
the PnL recomputed from the journal's fills (average-cost rule)."""
import os

import e2e_lib as L


def run(env):
    env.start_venue(speed=3000, linger_s=30)
    journal = os.path.join(env.work, "journal")
    eng = env.start_engine(env.engine_ini(journal, extra_engine="duration_s = 40"))
    L.check(eng.wait_err("logged in to the venue", 15), "engine logged in to the venue")
    L.check(env.venue.wait_err("replay finished", 30), "venue replayed the whole day")
    eng.kill(L.signal.SIGINT)
    rc = eng.wait(20)
    L.check(rc == 0, "perseus run stopped cleanly on SIGINT (exit %d)" % rc)
    summary = eng.out()
    print(summary)
    vp = env.venue_position()
    rc, recs, err = env.dump(journal)
    L.check(rc == 0, "journal dump exits 0 (%s)" % err.strip())
    fills = L.by_type(recs, "FILL")
    L.check(vp["fills"] > 0, "the market maker traded (%d venue fills)" % vp["fills"])
    L.check(len(fills) == vp["fills"], "FILL records (%d) = venue's fills for the user (%d)"
            % (len(fills), vp["fills"]))
    L.check(sum(f["qty"] for f in fills) == vp["shares"], "filled shares = venue's (%d)" % vp["shares"])
    L.check_fills_unique(recs)
    L.check_venue_msgs(recs, vp["messages"])
    L.check_tokens_unique(recs)
    L.check_replace_sizes(recs)
    L.check(vp["dup_tokens"] == 0, "the venue saw no token twice")
    sent = L.by_type(recs, "ORDER_SENT")
    L.check(len(sent) > 0, "%d ORDER_SENT records" % len(sent))
    st = L.check_pnl(recs, summary)
    L.check(st["positions"][0]["pos"] == vp["net"], "engine position %d = venue's (%d)"
            % (st["positions"][0]["pos"], vp["net"]))
    L.check(st["fills"] == vp["fills"], "STOP fill count = venue's")
    # cancel_on_exit: every order is gone, at the venue and in risk's view.
    # An order filled or cancelled while a replace of it was in flight must
    # not leave its (dropped) replacement counted as working.
    m = L.re.search(r"position\s+AMZN -?\d+ shares, working buy (\d+) sell (\d+)", summary)
    L.check(m is not None, "summary shows the working shares at exit")
    L.check(m.group(1) == "0" and m.group(2) == "0",
            "no shares left working in risk after cancel_on_exit (buy %s, sell %s)"
            % (m.group(1), m.group(2)))
    L.check(vp["working"] == 0, "the venue holds no working order of the user after "
            "cancel_on_exit (%d)" % vp["working"])
    L.check(L.re.search(r"SELF_TRADE", summary) is None,
            "no order refused as a self-trade (the market maker never crosses its own quotes)")
    L.check(st["next_seq"] == vp["messages"] + 1, "STOP next venue sequence = venue's count + 1")


L.main(run)
