"""e2e_fix_restart: the engine trades over FIX 4.4 and is stopped and
restarted on the same journal while the venue keeps running: kill -9 while
trading (the venue answers for it while it is dead: its quotes fill, its
last requests are answered; it keeps those ExecutionReports for the next
Logon), once SIGTERM (a clean stop: cancels, Logout), then kill -9 at
random moments.

After each restart the engine logs on with the outgoing sequence number
it stored beside the journal (strictly above the last run's, so the venue
never sees a number too low) and the incoming one after the last venue
message journaled, and the session's ResendRequest brings what it missed.
At the end: no ClOrdID reused (journal and venue), the journaled venue
messages carry strictly increasing MsgSeqNums (none applied twice), every
fill the venue made for the user is journaled exactly once, the position
equals the venue's and the PnL adds up."""
import os
import random
import re
import time

import e2e_fix_lib as F
import e2e_lib as L

KILLS = int(os.environ.get("PS_E2E_FIX_KILLS", "3"))
CAUGHT = re.compile(r"FIX session caught up: next sequence in (\d+), out (\d+); (\d+) messages")


def start(env, ini, what, last_out):
    """Starts an engine on the journal; checks its sequence numbers and what it
    recovered. @return (engine, next out, messages recovered after the Logon)."""
    eng = env.start_engine(ini)
    L.check(eng.wait_err("FIX session caught up", 15), "%s: logged on and caught up" % what)
    out, inn = F.seq_numbers(eng)
    if last_out:
        L.check(out > last_out and inn > 1 and "recovered" in eng.err(),
                "%s recovered the journal and logs on with the stored outgoing sequence %d "
                "(> %d), incoming %d" % (what, out, last_out, inn))
    return eng, out, int(CAUGHT.search(eng.err()).group(3))


def trading(env, n, timeout):
    """Waits until the venue has sent the user n more messages (the engine trades)."""
    base = env.venue_position()["messages"]
    end = time.time() + timeout
    while env.venue_position()["messages"] < base + n and time.time() < end:
        time.sleep(0.05)
    return env.venue_position()["messages"] >= base + n


def away(env, timeout):
    """The engine was just killed: waits (at most timeout) until the venue made
    a report for it (a fill or cancel of an order it left working, an answer
    to a request it sent last), or nothing of it works at the venue any more.
    @return how many reports the venue made meanwhile."""
    base = env.venue_position()["messages"]
    end = time.time() + timeout
    while time.time() < end:
        vp = env.venue_position()
        if vp["messages"] > base or vp["working"] == 0:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # what the engine sent before it died reaches the venue
    return env.venue_position()["messages"] - base


def run(env):
    seed = int(os.environ.get("PS_E2E_SEED", str(int(time.time()))))
    print("PS_E2E_SEED=%d" % seed, flush=True)
    rnd = random.Random(seed)
    env.start_venue(speed=300, linger_s=90)
    journal = os.path.join(env.work, "journal")
    ini = env.engine_ini(journal)

    # 1. kill -9 a trading engine; the venue answers for it while it is dead
    # (its quotes fill or its last requests are answered). The kill comes once
    # the venue holds orders of it, but when those fill before the kill lands
    # (the other side held back by max_position, or refused) the venue has
    # nothing to say: restart and kill again (at most 8 times; a restart first
    # cancels what the killed run left, then quotes).
    eng, out, _ = start(env, ini, "engine 1", 0)
    L.check(out == 1, "engine 1 starts the FIX session at 1")
    L.check(trading(env, 10, 15), "engine 1 trades")
    for _ in range(8):
        what = "engine %d" % env.engine_n
        end = time.time() + 15
        while env.venue_position()["working"] == 0 and time.time() < end:
            time.sleep(0.05)
        eng.kill()
        eng.wait(5)
        gone = away(env, 20)
        if gone:
            break
        print("kill -9 of %s: the venue made no report for it while it was dead; restarting"
              % what, flush=True)
        eng, out, _ = start(env, ini, "engine %d" % (env.engine_n + 1), out)
    L.check(gone > 0, "the venue made %d reports for %s while it was dead" % (gone, what))

    # 2. The restart gets them back (ResendRequest) before it trades; then a clean stop.
    what = "engine %d" % (env.engine_n + 1)
    eng, out, replayed = start(env, ini, what, out)
    L.check(replayed >= gone, "%s got the %d reports (and %d more not journaled) through "
            "ResendRequest before trading" % (what, gone, replayed - gone))
    time.sleep(2.0)
    eng.kill(L.signal.SIGTERM)
    rc = eng.wait(20)
    L.check(rc == 0, "%s stopped cleanly on SIGTERM (exit %d)" % (what, rc))

    # 3. More kill -9s at random moments while trading.
    for k in range(KILLS):
        what = "engine %d" % (env.engine_n + 1)
        eng, out, replayed = start(env, ini, what, out)
        if k:
            L.check(replayed >= gone, "%s got the %d reports made while the engine was dead"
                    % (what, gone))
        trading(env, 6, 8)  # after a restart the strategy may wait for its book
        time.sleep(rnd.uniform(0.0, 1.0))
        eng.kill()
        eng.wait(5)
        gone = away(env, 3)
        print("kill -9 of %s; the venue made %d reports for it while it was dead" % (what, gone),
              flush=True)

    eng, out, replayed = start(env, ini, "final engine", out)
    L.check(replayed >= gone, "final engine got the %d reports made while the engine was dead" % gone)
    L.check(env.venue.wait_err("replay finished", 110), "venue replayed the day")
    time.sleep(0.3)
    eng.kill(L.signal.SIGINT)
    rc = eng.wait(20)
    L.check(rc == 0, "final engine stopped cleanly (exit %d)" % rc)
    summary = eng.out()
    print(summary, flush=True)
    rc, recs, err = env.dump(journal)
    L.check(rc == 0, "journal dump exits 0 (%s)" % err.strip())
    L.check(len(L.by_type(recs, "START")) == env.engine_n, "%d START records" % env.engine_n)
    F.check_venue_seqs(recs)
    F.check_against_venue(env, recs, summary)
    verr = env.venue.err()
    L.check("MsgSeqNum too low" not in verr, "the venue never saw a sequence number too low")
    L.check(len(re.findall("FIX session %s logged on" % L.USER, verr)) == env.engine_n,
            "the venue saw %d Logons" % env.engine_n)


F.main(run)
