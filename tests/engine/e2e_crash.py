"""e2e_crash: kill -9 the engine at random moments (during recovery, during
login, while trading) at least 20 times while the venue keeps running, and
restart it on the same journal each time. After each restart: the position
recovered from the journal equals the signed sum of the venue's fills over
exactly the venue messages journaled (no fill lost, none applied twice),
the fill count matches, and the segments written before the restart read
back cleanly (recovery cut any torn tail). At the end a clean stop: no
token reused, VENUE_MSG 1..N without a hole, every fill journaled once,
positions equal to the venue's and the PnL adds up. Half the runs have the
venue answering 30 ms late, so kills land with requests in flight; each
restart cancels what an earlier run left live before it trades, so at the
end nothing is left working and no quote was refused as a self-trade."""
import os
import random
import re
import shutil
import time

import e2e_lib as L

KILLS = int(os.environ.get("PS_E2E_KILLS", "22"))
RX = re.compile(r"recovered position AMZN (-?\d+) shares, cost (-?\d+), realized (-?\d+), "
                r"through venue sequence (\d+)")
RXF = re.compile(r"recovered \d+ journal records: \d+ orders, \d+ venue messages, (\d+) fills "
                 r"\((\d+) rewritten\)")


def check_recovered(env, eng, journal, i):
    """The engine just started on the journal: compare what it recovered with the venue."""
    err = eng.err()
    m = RX.search(err)
    if m:
        pos, seq = int(m.group(1)), int(m.group(4))
        fills = int(RXF.search(err).group(1))
        rewritten = int(RXF.search(err).group(2))
    else:
        # Nothing to recover: every earlier engine died before its first
        # record reached the disk (checked against the segments below).
        pos = seq = fills = rewritten = 0
    vp = env.venue_position(seq)
    L.check(pos == vp["net"] and fills == vp["fills"],
            "restart %d: recovered position %d from %d fills through venue seq %d = venue's (%d, %d)%s"
            % (i, pos, fills, seq, vp["net"], vp["fills"],
               " (%d FILL rewritten)" % rewritten if rewritten else ""))
    # Everything before the newest segment is closed: it must read back whole.
    segs = sorted(s for s in os.listdir(journal) if s.endswith(".psj"))
    old = os.path.join(env.work, "old-segments")
    shutil.rmtree(old, ignore_errors=True)
    os.mkdir(old)
    for s in segs[:-1]:
        shutil.copy(os.path.join(journal, s), old)
    if not m:
        rc, recs, derr = env.dump(old) if segs[:-1] else (0, [], "")
        L.check(rc == 0 and not recs, "restart %d: nothing recovered from an empty journal" % i)
    elif segs[:-1]:
        rc, recs, derr = env.dump(old)
        L.check(rc == 0, "restart %d: the %d earlier segments read back cleanly (%s)"
                % (i, len(segs) - 1, derr.strip()))
        toks = [r["token"] for r in L.by_type(recs, "ORDER_SENT")]
        vs = [r["venue_seq"] for r in L.by_type(recs, "VENUE_MSG")]
        L.check(len(toks) == len(set(toks)) and vs == list(range(1, len(vs) + 1)) and vp["dup_tokens"] == 0,
                "restart %d: %d ORDER_SENT tokens unique (venue saw none twice), VENUE_MSG 1..%d without a hole"
                % (i, len(toks), len(vs)))


def run(env):
    seed = int(os.environ.get("PS_E2E_SEED", str(int(time.time()))))
    print("PS_E2E_SEED=%d" % seed, flush=True)
    rnd = random.Random(seed)
    env.start_venue(speed=700, linger_s=60)
    journal = os.path.join(env.work, "journal")
    ini = env.engine_ini(journal)
    t0 = time.time()
    kills = 0
    while kills < KILLS and time.time() - t0 < 40:
        # Half the runs with the venue answering 30 ms late, so that kills
        # also land with requests in flight (answered for the next run).
        env.control("delay_us %d" % (30000 if rnd.random() < 0.5 else 0))
        eng = env.start_engine(ini)
        if rnd.random() < 0.25:
            # Anywhere in start-up: recovery, journal open, login, catch-up.
            time.sleep(rnd.uniform(0.0, 0.25))
            eng.kill()
            eng.wait(5)
            kills += 1
            print("kill %d: %.3f s after start" % (kills, time.time() - t0), flush=True)
            continue
        if not eng.wait_err("logged in to the venue", 10):
            raise L.Fail("engine %d did not log in:\n%s" % (env.engine_n, eng.err()))
        check_recovered(env, eng, journal, env.engine_n - 1)
        time.sleep(rnd.uniform(0.05, 1.0))
        eng.kill()
        eng.wait(5)
        kills += 1
        print("kill %d while trading" % kills, flush=True)
    L.check(kills >= 20, "%d kill -9s in %.1f s" % (kills, time.time() - t0))
    # Clean stop: the last engine trades until the day ends, then SIGINT.
    eng = env.start_engine(ini)
    L.check(eng.wait_err("logged in to the venue", 10), "final engine logged in")
    check_recovered(env, eng, journal, env.engine_n - 1)
    L.check(env.venue.wait_err("replay finished", 40), "venue replayed the day")
    time.sleep(0.3)
    eng.kill(L.signal.SIGINT)
    rc = eng.wait(20)
    L.check(rc == 0, "final engine stopped cleanly (exit %d)" % rc)
    print(eng.out(), flush=True)
    vp = env.venue_position()
    rc, recs, err = env.dump(journal)
    L.check(rc == 0, "journal dump exits 0 (%s)" % err.strip())
    starts = L.by_type(recs, "START")
    L.check(len(starts) >= 2, "%d START records for %d engine starts (some killed before)" % (len(starts), env.engine_n))
    L.check_tokens_unique(recs)
    L.check_replace_sizes(recs)
    L.check_one_order_per_side(recs)
    L.check(vp["dup_tokens"] == 0, "the venue saw no token twice (journaled or not)")
    L.check_fills_unique(recs)
    L.check_venue_msgs(recs, vp["messages"])
    fills = L.by_type(recs, "FILL")
    L.check(len(fills) == vp["fills"], "FILL records (%d) = venue's fills (%d)" % (len(fills), vp["fills"]))
    st = L.check_pnl(recs, eng.out())
    L.check(st["positions"][0]["pos"] == vp["net"], "engine position %d = venue's (%d)"
            % (st["positions"][0]["pos"], vp["net"]))
    # After all the restarts, risk's working orders are still the venue's.
    L.check_nothing_working(eng.out(), vp)


L.main(run)
