"""e2e_fix_faults: the faults of e2e_faults with order entry over FIX 4.4
(protocol = fix), injected through the venue's control port while the
engine trades:
  1. dropped, duplicated and reordered market-data packets: re-requested,
     recovered, nothing stale;
  2. the FIX connection dropped (no Logout) while the venue rejects half of
     the orders: the engine connects again, logs on with its next sequence
     numbers, and the ResendRequest brings what it missed; no fill lost;
  3. a withheld market-data range: the book is marked stale and no order is
     sent after that point.
At the end (clean stop, cancel_on_exit): every fill journaled once, the
journaled venue messages in strictly increasing MsgSeqNum, the venue never
saw a sequence number too low, nothing left working, positions equal the
venue's and the PnL adds up."""
import os
import time

import e2e_fix_lib as F
import e2e_lib as L


def run(env):
    env.start_venue(speed=1200, linger_s=30)
    journal = os.path.join(env.work, "journal")
    eng = env.start_engine(env.engine_ini(journal, extra_engine="duration_s = 45"))
    L.check(eng.wait_err("FIX session caught up", 15), "engine logged on over FIX")
    time.sleep(1.0)

    # 1. market-data faults, recovered by re-requests
    L.md_faults(env, eng)

    # 2. the FIX connection dropped while the venue rejects half of the orders
    env.control("reject 500")
    before = int(env.control("status")["rejected"])
    env.control("disconnect")
    L.check(env.venue.wait_err("FIX connection disconnected by the control port", 5),
            "the venue dropped the FIX connection")
    L.check(eng.wait_err("FIX session caught up", 15, count=2),
            "engine connected and logged on again, and caught up")
    end = time.time() + 10
    while int(env.control("status")["rejected"]) < before + 2 and time.time() < end:
        time.sleep(0.1)
    env.control("reject 0")
    L.check(int(env.control("status")["rejected"]) >= before + 2, "the venue rejected orders")
    time.sleep(1.0)
    L.check(eng.alive(), "engine kept running through the disconnect and the rejects")

    # 3. unrecoverable gap: drop a stretch and withhold its re-requests
    summary = L.unrecoverable_gap(env, eng)
    rj = L.re.search(r"rejects\s+(\d+) risk, (\d+) venue", summary)
    L.check(rj and int(rj.group(2)) > 0, "summary: %s venue rejects counted" % rj.group(2))
    rc, recs, err = env.dump(journal)
    L.check(rc == 0, "journal dump exits 0 (%s)" % err.strip())
    rejected = [r for r in L.by_type(recs, "VENUE_MSG") if r["ouch_type"] == "J"]
    L.check(len(rejected) == int(rj.group(2)), "%d venue rejects journaled (as OUCH Rejected)"
            % len(rejected))
    stale = [r for r in L.by_type(recs, "MD_STATUS") if r["stale"]]
    L.check(len(stale) >= 1, "an MD_STATUS record marks the book stale")
    after = [r for r in L.by_type(recs, "ORDER_SENT") if r["seq"] > stale[0]["seq"]
             and r["action"] != "cancel"]
    L.check(not after, "no order sent after the stale point but cancels (journal seq %d)"
            % stale[0]["seq"])
    F.check_venue_seqs(recs)
    F.check_against_venue(env, recs, summary)
    verr = env.venue.err()
    L.check("MsgSeqNum too low" not in verr, "the venue never saw a sequence number too low")
    L.check(len(L.re.findall("FIX session %s logged on" % L.USER, verr)) == 2,
            "the venue saw 2 Logons (the first and the one after the disconnect)")


F.main(run)
