"""e2e_faults: faults injected through the venue's control port while the
engine trades, one after another on the same run:
  1. dropped, duplicated and reordered market-data packets: the engine
     re-requests what it missed (gaps counted, recovered, nothing stale);
  2. the venue slow to answer: 20 ms, then 2.5 s (past order_timeout_ms,
     so the OMS times requests out as unknown and takes the late answers);
  3. a disconnect: the engine logs in again with its next sequence number
     and goes on; no fill lost;
  4. rejected orders (the fresh orders after the reconnect): the engine
     keeps running and counts them;
  5. a withheld range (dropped packets whose re-requests go unanswered):
     the book is marked stale (an MD_STATUS record) and no order is sent
     after that point.
At the end (clean stop) every fill and venue message is journaled once,
positions equal the venue's and the PnL adds up."""
import json
import os
import time

import e2e_lib as L


def metrics(path):
    with open(path) as f:
        lines = [ln for ln in f if ln.strip()]
    return json.loads(lines[-1])


def run(env):
    env.start_venue(speed=1000, linger_s=30)
    journal = os.path.join(env.work, "journal")
    mfile = os.path.join(env.work, "metrics.jsonl")
    eng = env.start_engine(env.engine_ini(
        journal, extra_engine="duration_s = 45\nmetrics_file = %s\nmetrics_interval_ms = 50" % mfile))
    L.check(eng.wait_err("logged in to the venue", 15), "engine logged in to the venue")
    time.sleep(1.0)

    # 1. market-data faults, recovered by re-requests
    L.md_faults(env, eng)
    m = metrics(mfile)
    L.check(m["md_gaps"] > 0, "md faults: %d gaps seen" % m["md_gaps"])
    L.check(m["md_stale"] == 0, "md faults: every gap recovered by re-request, nothing stale")

    # 2. the venue answers late, then later than order_timeout_ms (2 s)
    env.control("delay_us 20000")
    time.sleep(2.0)
    env.control("delay_us 2500000")
    time.sleep(3.5)
    env.control("delay_us 0")
    time.sleep(0.5)
    L.check(eng.alive(), "engine still running after the venue's late answers")

    # 3+4. a disconnect, with the venue rejecting half of the new orders: the
    # engine logs in again from its next sequence number, cancels what it
    # cannot vouch for (cancel on disconnect), and the strategy's fresh
    # orders meet the rejects (the venue rejects new orders, not replaces).
    env.control("reject 500")
    env.control("disconnect")
    L.check(eng.wait_err("logged in to the venue", 10, count=2), "engine logged in again after the disconnect")
    end = time.time() + 10
    while int(env.control("status")["rejected"]) < 2 and time.time() < end:
        time.sleep(0.1)
    env.control("reject 0")
    time.sleep(1.0)
    L.check(eng.alive(), "engine kept running through the disconnect and the venue rejects")

    # 5. unrecoverable gap: drop a stretch and withhold its re-requests
    summary = L.unrecoverable_gap(env, eng)
    to = L.re.search(r"requests timed out\s+(\d+)", summary)
    L.check(to is not None and int(to.group(1)) > 0,
            "summary: %s requests timed out while the venue answered late" % (to.group(1) if to else 0))
    rj = L.re.search(r"rejects\s+(\d+) risk, (\d+) venue", summary)
    L.check(rj and int(rj.group(2)) > 0, "summary: %s venue rejects counted" % rj.group(2))

    vp = env.venue_position()
    rc, recs, err = env.dump(journal)
    L.check(rc == 0, "journal dump exits 0 (%s)" % err.strip())
    rejected = [r for r in L.by_type(recs, "VENUE_MSG") if r["ouch_type"] == "J"]
    L.check(len(rejected) == int(rj.group(2)), "%d venue Rejected messages journaled" % len(rejected))
    stale = [r for r in L.by_type(recs, "MD_STATUS") if r["stale"]]
    L.check(len(stale) >= 1, "an MD_STATUS record marks the book stale")
    after = [r for r in L.by_type(recs, "ORDER_SENT") if r["seq"] > stale[0]["seq"]]
    L.check(not after, "no ORDER_SENT after the stale point (journal seq %d)" % stale[0]["seq"])
    before = [r for r in L.by_type(recs, "ORDER_SENT") if r["seq"] < stale[0]["seq"]]
    L.check(len(before) > 0, "%d orders sent before it" % len(before))
    fills = L.by_type(recs, "FILL")
    L.check(len(fills) == vp["fills"], "FILL records (%d) = venue's fills (%d): none lost across the disconnect"
            % (len(fills), vp["fills"]))
    L.check_fills_unique(recs)
    L.check_venue_msgs(recs, vp["messages"])
    L.check_tokens_unique(recs)
    L.check(vp["dup_tokens"] == 0, "the venue saw no token twice")
    st = L.check_pnl(recs, summary)
    L.check(st["positions"][0]["pos"] == vp["net"], "engine position %d = venue's (%d)"
            % (st["positions"][0]["pos"], vp["net"]))
    # The refused replaces left their orders as they were, in risk's view too.
    L.check_replace_sizes(recs)
    L.check_one_order_per_side(recs)
    L.check_nothing_working(summary, vp)


L.main(run)
