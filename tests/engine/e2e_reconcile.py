"""e2e_reconcile: the engine fails closed when its journal and the venue
disagree. It trades against perseus venue until it has fills, stops cleanly,
and the venue is replaced by a fresh one (same session name, an empty
history: its messages start again at 1). Restarted on the same journal, the
engine must see that the venue does not hold the history it journaled (OUCH:
Login Accepted resumes below the sequence number asked for; FIX: the Logon's
MsgSeqNum is lower than the next one expected), refuse to trade and say why:
no order is sent after the restart, the summary shows TRADING REFUSED with
the reason, and perseus run exits 1. Done for OUCH and for FIX."""
import os
import time

import e2e_fix_lib as F
import e2e_lib as L


def start_engine(env, proto, journal):
    # env is a FixEnv (F.main): its engine_ini says protocol = fix, its base
    # class's says ouch.
    if proto == "fix":
        ini = env.engine_ini(journal, extra_engine="duration_s = 60")
    else:
        ini = super(F.FixEnv, env).engine_ini(journal, extra_engine="duration_s = 60")
    return env.start_engine(ini)


def after_last_start(recs):
    starts = [i for i, r in enumerate(recs) if r["type"] == "START"]
    return recs[starts[-1] + 1:] if starts else recs


def scenario(env, proto):
    journal = os.path.join(env.work, "journal-" + proto)
    env.start_venue(speed=3000, linger_s=60)
    eng = start_engine(env, proto, journal)
    L.check(eng.wait_err("logged in to the venue", 15), "%s: engine logged in" % proto)
    L.check(("FIX 4.4 session" in eng.err()) == (proto == "fix"),
            "%s: the engine speaks %s" % (proto, proto.upper()))
    end = time.time() + 20
    while time.time() < end and env.venue_position()["fills"] == 0:
        time.sleep(0.2)
    L.check(env.venue_position()["fills"] > 0, "%s: the market maker traded" % proto)
    eng.kill(L.signal.SIGINT)
    L.check(eng.wait(20) == 0, "%s: first run stopped cleanly" % proto)
    rc, recs, err = env.dump(journal)
    L.check(rc == 0 and L.by_type(recs, "VENUE_MSG"),
            "%s: the journal holds the venue's messages" % proto)

    # A venue with another history under the same session name.
    env.venue.kill(L.signal.SIGKILL)
    env.venue.wait(10)
    env.start_venue(speed=3000, linger_s=60)
    eng = start_engine(env, proto, journal)
    L.check(eng.wait_err("refusing to trade", 20),
            "%s: restarted engine refuses to trade (log)" % proto)
    time.sleep(1.0)  # market data keeps coming: the strategy keeps asking
    eng.kill(L.signal.SIGINT)
    rc = eng.wait(20)
    out, err = eng.out(), eng.err()
    print("\n".join(l for l in err.splitlines() if "refus" in l))
    L.check(rc == 1, "%s: perseus run exits 1 after refusing (exit %d)" % (proto, rc))
    L.check("refused to trade: " in err, "%s: the exit names the reason" % proto)
    L.check("TRADING REFUSED" in out and "journal" in out.split("TRADING REFUSED")[1][:400],
            "%s: the summary says why" % proto)
    rc, recs, err = env.dump(journal)
    L.check(rc == 0, "%s: journal readable" % proto)
    sent = L.by_type(after_last_start(recs), "ORDER_SENT")
    L.check(not sent, "%s: no order sent after the restart (%d)" % (proto, len(sent)))
    env.venue.kill(L.signal.SIGKILL)
    env.venue.wait(10)


def run(env):
    scenario(env, "ouch")
    scenario(env, "fix")


F.main(run)
