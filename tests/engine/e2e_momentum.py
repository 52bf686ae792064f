"""e2e_momentum: perseus run trades the momentum strategy (EMA crossover of
the microprice on three time scales, marketable IOC orders towards a target
position) against perseus venue replaying the real AMZN day. Afterwards:
it bought and sold; every fill is journaled once and matches the venue's;
every order was IOC and none is left working at the venue; the position
never went past max_position (fills counted in journal order); the position
equals the venue's and the summary PnL equals the PnL recomputed from the
journal's fills."""
import os

import e2e_lib as L

MAX_POSITION = 300
STRATEGY = """[strategy.mo]
kind = momentum
symbol = AMZN
qty = 100
max_position = %d
min_confidence_bp = 6000
cooldown_us = 1000
""" % MAX_POSITION


def run(env):
    env.start_venue(speed=3000, linger_s=30)
    journal = os.path.join(env.work, "journal")
    eng = env.start_engine(env.engine_ini(journal, extra_engine="duration_s = 40", strategy=STRATEGY))
    L.check(eng.wait_err("logged in to the venue", 15), "engine logged in to the venue")
    summary, recs = L.finish_day(env, eng, journal)
    vp = env.venue_position()
    sent = L.by_type(recs, "ORDER_SENT")
    fills = L.by_type(recs, "FILL")
    L.check(len(sent) > 0 and all(r["action"] == "new" and r["tif"] == "ioc" for r in sent),
            "%d orders, every one a NEW with time in force IOC" % len(sent))
    buys = sum(f["qty"] for f in fills if f["side"] == "buy")
    sells = sum(f["qty"] for f in fills if f["side"] == "sell")
    L.check(buys > 0 and sells > 0, "the strategy bought (%d shares) and sold (%d shares) on the day"
            % (buys, sells))
    L.check(len(fills) == vp["fills"], "FILL records (%d) = venue's fills for the user (%d)"
            % (len(fills), vp["fills"]))
    L.check(buys + sells == vp["shares"], "filled shares = venue's (%d)" % vp["shares"])
    L.check_fills_unique(recs)
    L.check_venue_msgs(recs, vp["messages"])
    L.check_tokens_unique(recs)
    L.check(vp["dup_tokens"] == 0, "the venue saw no token twice")
    L.check_nothing_working(summary, vp)  # IOC orders never rest
    pos, worst = 0, 0
    for f in fills:
        pos += f["qty"] if f["side"] == "buy" else -f["qty"]
        worst = max(worst, abs(pos))
    L.check(worst <= MAX_POSITION, "the position never went past max_position %d (largest %d)"
            % (MAX_POSITION, worst))
    st = L.check_pnl(recs, summary)
    L.check(st["positions"][0]["pos"] == vp["net"], "engine position %d = venue's (%d)"
            % (st["positions"][0]["pos"], vp["net"]))
    L.check(st["fills"] == vp["fills"], "STOP fill count = venue's")


L.main(run)
