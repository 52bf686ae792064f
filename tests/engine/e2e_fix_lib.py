"""The end-to-end environment of e2e_lib.py with FIX 4.4 order entry: the
venue's FIX acceptor is on, and the engine's [venue.sim] says protocol = fix.
Checks shared by e2e_fix.py and e2e_fix_restart.py live here too."""
import re

import e2e_lib as L

COMP_ID = "PERSEUS"  # the venue's fix_comp_id (its default)
SEQ_RX = re.compile(r"FIX 4\.4 session \S+ -> \S+ on \S+: next sequence out (\d+), in (\d+)")


class FixEnv(L.Env):
    VENUE_EXTRA = "fix_listen = 127.0.0.1:0\nfix_comp_id = %s\n" % COMP_ID
    VENUE_READY = "FIX 4.4 on"
    VENUE_PORT = "fix"

    def engine_ini(self, journal, extra_engine="", extra=""):
        ini = super().engine_ini(journal, extra_engine, extra)
        with open(ini) as f:
            text = f.read()
        start = text.index("[venue.sim]")
        end = text.index("[risk]")
        venue = ("[venue.sim]\nprotocol = fix\nconnect = 127.0.0.1:%s\nuser = %s\n"
                 "sender_comp_id = %s\ntarget_comp_id = %s\n"
                 "password_env = PERSEUS_VENUE_PASSWORD\nheartbeat_s = 1\n"
                 "order_timeout_ms = 2000\n\n" % (self.ports["fix"], L.USER, L.USER, COMP_ID))
        with open(ini, "w") as f:
            f.write(text[:start] + venue + text[end:])
        return ini


def seq_numbers(eng):
    """(next out, next in) the engine started its FIX session with."""
    m = SEQ_RX.search(eng.err())
    if not m:
        raise L.Fail("engine did not report its FIX sequence numbers:\n" + eng.err()[-2000:])
    return int(m.group(1)), int(m.group(2))


def check_venue_seqs(recs):
    """FIX MsgSeqNums of the journaled venue messages: strictly increasing
    (none applied twice); holes are the session's own messages."""
    seqs = [r["venue_seq"] for r in L.by_type(recs, "VENUE_MSG")]
    L.check(len(seqs) > 0 and all(b > a for a, b in zip(seqs, seqs[1:])),
            "%d VENUE_MSG records in strictly increasing FIX MsgSeqNum (%d..%d), none twice"
            % (len(seqs), seqs[0] if seqs else 0, seqs[-1] if seqs else 0))
    return seqs


def check_against_venue(env, recs, summary):
    """Fills, shares, position and PnL of the journal against the venue and the summary."""
    vp = env.venue_position()
    fills = L.by_type(recs, "FILL")
    L.check(vp["fills"] > 0, "the market maker traded over FIX (%d venue fills)" % vp["fills"])
    L.check(len(fills) == vp["fills"], "FILL records (%d) = venue's fills for the user (%d)"
            % (len(fills), vp["fills"]))
    L.check(sum(f["qty"] for f in fills) == vp["shares"], "filled shares = venue's (%d)" % vp["shares"])
    L.check_fills_unique(recs)
    L.check_tokens_unique(recs)
    L.check(vp["dup_tokens"] == 0, "the venue saw no ClOrdID twice")
    L.check_replace_sizes(recs, fix=True)
    L.check_one_order_per_side(recs)
    L.check(len(L.by_type(recs, "ORDER_SENT")) > 0, "%d ORDER_SENT records" % len(L.by_type(recs, "ORDER_SENT")))
    st = L.check_pnl(recs, summary)
    L.check(st["positions"][0]["pos"] == vp["net"], "engine position %d = venue's (%d)"
            % (st["positions"][0]["pos"], vp["net"]))
    L.check(st["fills"] == vp["fills"], "STOP fill count = venue's")
    L.check_nothing_working(summary, vp)
    return vp, st


def main(fn):
    """e2e_lib.main with the FIX environment."""
    real = L.Env
    L.Env = FixEnv  # L.main builds the environment by this name
    try:
        L.main(fn)
    finally:
        L.Env = real
