"""Shared helpers of the end-to-end tests (tests/engine/e2e_*.py).

Each test runs the real `perseus venue` (replaying the bundled LOBSTER day)
and `perseus run` over loopback on ports chosen at run time, reads the
journal back with `perseus journal dump --format jsonl`, and checks it
against what the venue says it did (its `position USER [SEQ]` control
command). Standard library only; every process started here is recorded in
WORK/pids (the shell wrapper's trap kills them too) and killed on exit.
"""
import atexit
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LOBSTER = os.path.join(ROOT, "feeds", "data", "lobster", "LOBSTER_SampleFile_AMZN_2012-06-21_5.zip")
USER = "e2e"


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print("ok: " + what, flush=True)


def free_udp_port():
    """A UDP port nothing is bound to right now (the venue sends to it and
    the engine binds it a moment later, and again after each restart). It is
    drawn below the kernel's ephemeral range, so no socket bound to port 0
    (the venue's own ports, other tests' clients) can take it meanwhile."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rnd = random.SystemRandom()
    for _ in range(200):
        port = rnd.randrange(max(1024, low - 12000), low - 500)
        if 26300 <= port < 26500:
            continue  # the demo's and the benchmarks' fixed ports
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        return port
    raise Fail("no free UDP port below the ephemeral range")


def die_with_parent():
    """In the child before exec: SIGKILL when the test process dies, even by
    SIGKILL (a ctest timeout), so no venue or engine outlives its test."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Proc:
    def __init__(self, env, name, argv, extra_env):
        self.name = name
        self.out_path = os.path.join(env.work, name + ".out")
        self.err_path = os.path.join(env.work, name + ".err")
        e = dict(os.environ)
        e.update(extra_env)
        self.p = subprocess.Popen(argv, cwd=ROOT, env=e, stdout=open(self.out_path, "w"),
                                  stderr=open(self.err_path, "w"), preexec_fn=die_with_parent)
        env.procs.append(self)
        with open(os.path.join(env.work, "pids"), "a") as f:
            f.write("%d\n" % self.p.pid)

    def err(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def out(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.p.poll() is None

    def wait_err(self, pattern, timeout, count=1):
        """Wait until pattern (a regex) appears count times in stderr."""
        end = time.time() + timeout
        rx = re.compile(pattern)
        while time.time() < end:
            if len(rx.findall(self.err())) >= count:
                return True
            if not self.alive():
                return len(rx.findall(self.err())) >= count
            time.sleep(0.02)
        return False

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.p.wait(5)
            raise Fail("%s did not exit within %.0f s; stderr:\n%s" % (self.name, timeout, self.err()[-3000:]))


class Env:
    def __init__(self):
        if len(sys.argv) < 3:
            print("usage: %s PERSEUS WORKDIR" % sys.argv[0], file=sys.stderr)
            sys.exit(2)
        self.perseus = os.path.abspath(sys.argv[1])
        self.work = os.path.abspath(sys.argv[2])
        self.procs = []
        self.password = "%08x" % random.getrandbits(32)
        self.md_port = free_udp_port()
        self.ports = {}
        self.venue = None
        self.engine_n = 0
        atexit.register(self.cleanup)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        if not os.path.exists(LOBSTER):
            print("skip: %s missing" % LOBSTER)
            sys.exit(77)

    def cleanup(self):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            try:
                p.p.wait(5)
            except subprocess.TimeoutExpired:
                pass

    # ---- venue --------------------------------------------------------------

    # What a subclass adds to [venue], the stderr line that says the venue is
    # ready, and the port it must have published by then.
    VENUE_EXTRA = ""
    VENUE_READY = "OUCH on port"
    VENUE_PORT = "ouch"

    def start_venue(self, speed, linger_s=30, skip_s=0, faults=""):
        ports_file = os.path.join(self.work, "venue.ports")
        ini = os.path.join(self.work, "venue.ini")
        # A venue started before this one left its ports here: read only
        # the new venue's.
        if os.path.exists(ports_file):
            os.unlink(ports_file)
        with open(ini, "w") as f:
            f.write("[venue]\nsession = E2E0000001\nouch_listen = 127.0.0.1:0\n%s"
                    "md_dest = 127.0.0.1:%d\nrerequest_listen = 127.0.0.1:0\n"
                    "control_listen = 127.0.0.1:0\nports_file = %s\nprint_fills = false\n"
                    "heartbeat_ms = 200\n"
                    "[venue.replay]\nlobster = %s\nsymbol = AMZN\nspeed = %g\nlinger_s = %g\n"
                    "skip_s = %g\n%s" % (self.VENUE_EXTRA, self.md_port, ports_file, LOBSTER,
                                          speed, linger_s, skip_s, faults))
        self.venue = Proc(self, "venue", [self.perseus, "venue", "--config", ini],
                          {"PERSEUS_VENUE_USERS": "%s:%s" % (USER, self.password)})
        end = time.time() + 20
        while time.time() < end:
            if os.path.exists(ports_file) and self.venue.wait_err(self.VENUE_READY, 0.05):
                with open(ports_file) as f:
                    for line in f:
                        k, _, v = line.strip().partition("=")
                        self.ports[k] = v
                if self.VENUE_PORT in self.ports:
                    return
            if not self.venue.alive():
                break
            time.sleep(0.05)
        raise Fail("venue did not start:\n" + self.venue.err())

    def control(self, cmd, timeout=2.0):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        try:
            for _ in range(3):
                s.sendto(cmd.encode(), ("127.0.0.1", int(self.ports["control"])))
                try:
                    reply = s.recv(1024).decode()
                    break
                except socket.timeout:
                    continue
            else:
                raise Fail("venue control '%s': no reply" % cmd)
        finally:
            s.close()
        if not reply.startswith("ok"):
            raise Fail("venue control '%s': %s" % (cmd, reply))
        return dict(kv.split("=", 1) for kv in reply.split() if "=" in kv)

    def venue_position(self, upto=None):
        r = self.control("position %s%s" % (USER, "" if upto is None else " %d" % upto))
        return {k: int(v) for k, v in r.items() if k != "user"}

    # ---- engine -------------------------------------------------------------

    MM = """[strategy.mm]
kind = mm
symbol = AMZN
tick = 0.01
qty = 100
half_spread_ticks = 2
skew_ticks = 1
max_position = 300
min_requote_us = 200
"""

    def engine_ini(self, journal, extra_engine="", extra="", strategy=None):
        """A paper-mode run config against this venue; strategy: the
        [strategy.*] sections (default: the market maker, MM)."""
        ini = os.path.join(self.work, "run.ini")
        with open(ini, "w") as f:
            f.write("""[engine]
mode = paper
symbols = AMZN
feed_idle_exit_s = 0
cancel_on_exit = true
%s
[feed.itch]
source = uring
listen = 127.0.0.1:%d
rerequest = 127.0.0.1:%s
session = E2E0000001

[venue.sim]
protocol = ouch
connect = 127.0.0.1:%s
user = %s
session = E2E0000001
password_env = PERSEUS_VENUE_PASSWORD
heartbeat_ms = 200
order_timeout_ms = 2000

[risk]
start_equity = 1000000
credit_limit = 1000000
fill_throttle_count = 250
order_rate = 200
order_burst = 50

[risk.AMZN]
max_long = 1000
max_short = 1000
max_order_qty = 500

%s
[journal]
dir = %s
fsync = none
%s""" % (extra_engine, self.md_port, self.ports["rerequest"], self.ports["ouch"], USER,
         self.MM if strategy is None else strategy, journal, extra))
        return ini

    def start_engine(self, ini):
        self.engine_n += 1
        return Proc(self, "engine%d" % self.engine_n, [self.perseus, "run", "--config", ini],
                    {"PERSEUS_VENUE_PASSWORD": self.password})

    # ---- journal ------------------------------------------------------------

    def dump(self, path):
        r = subprocess.run([self.perseus, "journal", "dump", path, "--format", "jsonl"],
                           capture_output=True, text=True, timeout=60)
        recs = []
        for line in r.stdout.splitlines():
            if line.strip():
                recs.append(json.loads(line))
        return r.returncode, recs, r.stderr


# ---- checks on a journal --------------------------------------------------------

def by_type(recs, t):
    return [r for r in recs if r["type"] == t]


def trunc_div(a, b):
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def pnl_from_fills(fills):
    """Per instrument: position, cost and realized PnL by the average-cost rule
    of risk/README.md (Post-trade): a fill that closes part of a position takes
    cost x closed / position (truncated) out of the cost and books the
    difference as realized; a fill through zero closes and opens."""
    book = {}
    for f in fills:
        b = book.setdefault(f["instrument"], {"pos": 0, "cost": 0, "realized": 0})
        dq = f["qty"] if f["side"] == "buy" else -f["qty"]
        px = f["price"]
        pos = b["pos"]
        if pos == 0 or (pos > 0) == (dq > 0):
            b["pos"] = pos + dq
            b["cost"] += dq * px
            continue
        absp = abs(pos)
        c = min(f["qty"], absp)
        removed = b["cost"] if c == absp else trunc_div(b["cost"] * c, absp)
        b["realized"] += (c * px if pos > 0 else -c * px) - removed
        b["cost"] -= removed
        b["pos"] = pos - c if pos > 0 else pos + c
        if f["qty"] > c:
            rest = f["qty"] - c
            b["pos"] = rest if dq > 0 else -rest
            b["cost"] = b["pos"] * px
    return book


def md_faults(env, eng):
    """3 s of dropped, duplicated and reordered market-data packets (40
    permille each) while the engine trades; it must keep running."""
    for c in ("md_drop 40", "md_dup 40", "md_reorder 40"):
        env.control(c)
    time.sleep(3.0)
    for c in ("md_drop 0", "md_dup 0", "md_reorder 0"):
        env.control(c)
    time.sleep(0.5)
    check(eng.alive(), "engine still running after the market-data faults")


def unrecoverable_gap(env, eng):
    """A stretch of market data dropped with its re-requests withheld: the
    engine must declare the gap unrecoverable (its books stale). Then it is
    stopped with SIGINT and must exit 0. @return its summary."""
    seq = int(env.control("status")["md_seq"])
    env.control("withhold %d 1000000000" % seq)
    env.control("md_drop 1000")
    time.sleep(0.3)
    env.control("md_drop 0")
    check(eng.wait_err("could not be recovered", 10),
          "withheld range: the engine declares the gap unrecoverable")
    time.sleep(2.0)
    eng.kill(signal.SIGINT)
    rc = eng.wait(20)
    check(rc == 0, "perseus run stopped cleanly (exit %d)" % rc)
    summary = eng.out()
    print(summary, flush=True)
    sm = re.search(r"gaps (\d+), recovered by re-request (\d+) msgs, stale (\d+)", summary)
    check(sm is not None and int(sm.group(1)) > 0 and int(sm.group(2)) > 0 and int(sm.group(3)) >= 1,
          "summary: %s gaps, %s messages recovered by re-request, stale %s (after the withheld "
          "range)" % (sm.groups() if sm else ("?", "?", "?")))
    return summary


def check_nothing_working(summary, vp):
    """cancel_on_exit: every order is gone, in risk's view (the summary's
    working shares) and at the venue (vp: venue_position()). An order filled
    or cancelled while a replace of it was in flight must not leave its
    dropped replacement counted as working. And no order was refused as a
    self-trade (risk's working orders are the venue's, and the market maker
    never crosses its own quotes)."""
    m = re.search(r"position\s+AMZN -?\d+ shares, working buy (\d+) sell (\d+)", summary)
    check(m is not None and m.group(1) == "0" and m.group(2) == "0",
          "no shares left working in risk after cancel_on_exit (%s)"
          % (" ".join(m.group(0).split()) if m else "no position line in the summary"))
    check(vp["working"] == 0, "the venue holds no working order of the user after "
          "cancel_on_exit (%d)" % vp["working"])
    check(re.search(r"SELF_TRADE", summary) is None,
          "no order refused as a self-trade (the market maker never crosses its own quotes)")


def finish_day(env, eng, journal):
    """The venue replays the day to its end; then the engine is stopped with
    SIGINT and must exit 0. @return (its summary, the journal's records)."""
    check(env.venue.wait_err("replay finished", 30), "venue replayed the whole day")
    eng.kill(signal.SIGINT)
    rc = eng.wait(20)
    check(rc == 0, "perseus run stopped cleanly on SIGINT (exit %d)" % rc)
    summary = eng.out()
    print(summary)
    rc, recs, err = env.dump(journal)
    check(rc == 0, "journal dump exits 0 (%s)" % err.strip())
    return summary, recs


def check_replace_sizes(recs, fix=False):
    """Every replace the venue accepted (a U record after our ORDER_SENT)
    opens with the shares we asked for. OUCH: exactly (a replace's shares
    are the new open shares). FIX: less what the original filled while the
    replace was in flight, since OrderQty counts the fills of the whole
    chain of orders it continues (CumQty)."""
    sent = {}  # replacement token -> (index of its ORDER_SENT, original token, qty)
    checked = 0
    for i, r in enumerate(recs):
        if r["type"] == "ORDER_SENT" and r.get("action") == "replace":
            sent[r["token"]] = (i, r["orig_token"], r["qty"])
        elif r["type"] == "VENUE_MSG" and r.get("ouch_type") == "U" and r["token"] in sent:
            j, orig, qty = sent.pop(r["token"])
            raced = sum(f["qty"] for f in recs[j:i] if f["type"] == "FILL" and f["token"] == orig)
            want = qty - raced if fix else qty
            if r["shares"] != want:
                raise Fail("replace %s opened with %d shares: asked %d, %d filled meanwhile"
                           % (r["token"], r["shares"], qty, raced))
            checked += 1
    check(checked > 0, "%d accepted replaces opened with the shares asked for%s"
          % (checked, " (less the fills that raced them)" if fix else ""))


def check_one_order_per_side(recs):
    """The market maker quotes one order per side: the venue never holds two
    of its orders working on one side (a replace takes its original's place).
    Replays the journaled venue messages, which are in the venue's order. A
    strategy told twice that a side's order ended (the late reject of a
    replace its original's fill had made void) quotes that side again beside
    the order it sent meanwhile."""
    live = {}  # token -> [side, open shares]
    most = {"buy": 0, "sell": 0}
    for r in recs:
        if r["type"] != "VENUE_MSG":
            continue
        t, tok = r["ouch_type"], r.get("token")
        if t == "A" or t == "U":
            if t == "U":
                live.pop(r["previous_token"], None)
            if r["shares"] > 0:
                live[tok] = [r["side"], r["shares"]]
        elif (t == "E" or t == "C") and tok in live:
            live[tok][1] -= r["shares"]
            if live[tok][1] <= 0:
                del live[tok]
        else:
            continue
        for side in most:
            n = sum(1 for o in live.values() if o[0] == side)
            if n > 1:
                raise Fail("venue message %d (journal record %d): %d %s orders working at once: %s"
                           % (r["venue_seq"], r["seq"], n, side,
                              " ".join(k for k, o in live.items() if o[0] == side)))
            most[side] = max(most[side], n)
    check(most["buy"] == 1 and most["sell"] == 1,
          "at most one order working per side at the venue (journaled venue messages)")


def check_venue_msgs(recs, n_venue):
    seqs = [r["venue_seq"] for r in by_type(recs, "VENUE_MSG")]
    check(seqs == list(range(1, len(seqs) + 1)),
          "VENUE_MSG records carry venue sequence 1..%d in order, no hole, none twice" % len(seqs))
    check(len(seqs) == n_venue,
          "every OUCH message the venue sent the user is journaled (%d of %d)" % (len(seqs), n_venue))


def check_tokens_unique(recs):
    toks = [r["token"] for r in by_type(recs, "ORDER_SENT")]
    check(len(toks) == len(set(toks)), "all %d ORDER_SENT tokens are unique" % len(toks))


def check_fills_unique(recs):
    seqs = [r["venue_seq"] for r in by_type(recs, "FILL")]
    check(len(seqs) == len(set(seqs)), "no fill journaled twice (%d FILL records)" % len(seqs))


def money(text, label):
    m = re.search(r"%s\s+(-?)(\d+)\.(\d{4})" % re.escape(label), text)
    if not m:
        raise Fail("summary has no '%s' line:\n%s" % (label, text))
    v = int(m.group(2)) * 10000 + int(m.group(3))
    return -v if m.group(1) else v


def check_pnl(recs, summary):
    """Summary PnL == STOP record == PnL recomputed from the FILL records."""
    stops = by_type(recs, "STOP")
    check(len(stops) >= 1, "the journal ends with a STOP record")
    check(recs[-1]["type"] == "STOP", "STOP is the last record")
    st = stops[-1]
    book = pnl_from_fills(by_type(recs, "FILL"))
    realized = unrealized = 0
    for p in st["positions"]:
        b = book.get(p["instrument"], {"pos": 0, "cost": 0, "realized": 0})
        check(b["pos"] == p["pos"], "instrument %d: position %d = signed sum of the FILL records (%d)"
              % (p["instrument"], p["pos"], b["pos"]))
        check(b["cost"] == p["cost"], "instrument %d: cost %d recomputed from the fills" % (p["instrument"], p["cost"]))
        check(b["realized"] == p["pos_realized"],
              "instrument %d: realized %d recomputed from the fills (%d)" % (p["instrument"], p["pos_realized"], b["realized"]))
        u = b["pos"] * p["mark"] - b["cost"]
        check(u == p["pos_unrealized"], "instrument %d: unrealized = pos x mark - cost = %d" % (p["instrument"], u))
        realized += b["realized"]
        unrealized += u
    check(realized == st["realized"] and unrealized == st["unrealized"],
          "STOP totals (realized %d, unrealized %d) = recomputed" % (st["realized"], st["unrealized"]))
    if summary is not None:
        check(money(summary, "realized PnL") == realized, "summary realized PnL = recomputed (%d)" % realized)
        check(money(summary, "unrealized PnL") == unrealized, "summary unrealized PnL = recomputed (%d)" % unrealized)
        check(money(summary, "total PnL") == realized + unrealized, "summary total PnL = recomputed")
    return st


def main(fn):
    t0 = time.time()
    try:
        fn(Env())
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        work = os.path.abspath(sys.argv[2])
        for name in sorted(os.listdir(work)):
            if name.endswith(".err"):
                with open(os.path.join(work, name), errors="replace") as f:
                    tail = f.read()[-1500:]
                print("---- %s (tail)\n%s" % (name, tail))
        sys.exit(1)
    print("passed in %.1f s" % (time.time() - t0))
