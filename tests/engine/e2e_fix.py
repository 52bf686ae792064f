"""e2e_fix: perseus run trades the market maker over FIX 4.4 ([venue.sim]
protocol = fix) against perseus venue's FIX acceptor, replaying the real
AMZN day. Afterwards the journal must hold every order and every fill: the
venue's fill count and shares for the user equal the journal's FILL
records, no ClOrdID was sent twice, the journaled venue messages carry
strictly increasing FIX MsgSeqNums, the position equals the venue's, and
the engine's summary PnL equals the PnL recomputed from the journal's
fills. The FIX sequence numbers are kept beside the journal."""
import os

import e2e_fix_lib as F
import e2e_lib as L


def run(env):
    env.start_venue(speed=3000, linger_s=30)
    journal = os.path.join(env.work, "journal")
    eng = env.start_engine(env.engine_ini(journal, extra_engine="duration_s = 40"))
    L.check(eng.wait_err("logged in to the venue", 15), "engine logged in to the venue over FIX")
    out, inn = F.seq_numbers(eng)
    L.check((out, inn) == (1, 1), "a fresh journal starts the FIX session at 1/1")
    L.check(env.venue.wait_err("FIX session %s logged on" % L.USER, 5), "the venue saw the FIX Logon")
    summary, recs = L.finish_day(env, eng, journal)
    F.check_venue_seqs(recs)
    F.check_against_venue(env, recs, summary)
    seqf = os.path.join(journal, "fix-%s-%s.seq" % (L.USER, F.COMP_ID))
    L.check(os.path.exists(seqf), "the FIX sequence numbers live beside the journal (%s)" % os.path.basename(seqf))
    L.check("MsgSeqNum too low" not in env.venue.err(), "the venue never saw a sequence number too low")
    # The journal belongs to this FIX session: OUCH on it is refused.
    ouch = env.start_engine(F.FixEnv.__mro__[1].engine_ini(env, journal))
    rc = ouch.wait(15)
    L.check(rc != 0 and "holds venue messages of a FIX session" in ouch.err(),
            "an OUCH engine on the FIX session's journal refuses to start (exit %d)" % rc)


F.main(run)
