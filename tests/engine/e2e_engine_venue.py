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
    summary, recs = L.finish_day(env, eng, journal)
    vp = env.venue_position()
    fills = L.by_type(recs, "FILL")
    L.check(vp["fills"] > 0, "the market maker traded (%d venue fills)" % vp["fills"])
    L.check(len(fills) == vp["fills"], "FILL records (%d) = venue's fills for the user (%d)"
            % (len(fills), vp["fills"]))
    L.check(sum(f["qty"] for f in fills) == vp["shares"], "filled shares = venue's (%d)" % vp["shares"])
    L.check_fills_unique(recs)
    L.check_venue_msgs(recs, vp["messages"])
    L.check_tokens_unique(recs)
    L.check_replace_sizes(recs)
    L.check_one_order_per_side(recs)
    L.check(vp["dup_tokens"] == 0, "the venue saw no token twice")
    sent = L.by_type(recs, "ORDER_SENT")
    L.check(len(sent) > 0, "%d ORDER_SENT records" % len(sent))
    st = L.check_pnl(recs, summary)
    L.check(st["positions"][0]["pos"] == vp["net"], "engine position %d = venue's (%d)"
            % (st["positions"][0]["pos"], vp["net"]))
    L.check(st["fills"] == vp["fills"], "STOP fill count = venue's")
    L.check_nothing_working(summary, vp)
    L.check(st["next_seq"] == vp["messages"] + 1, "STOP next venue sequence = venue's count + 1")


L.main(run)
