"""e2e_journal: torn writes and flipped bits in a real journal, through the
CLI. A journal is made by trading against the venue (two runs: two
segments); then, each on its own copy:
  - torn tail (the last segment cut mid-record): `perseus journal dump`
    prints every complete record and exits 1 naming the torn offset;
    `perseus run` cuts the tail (saying where), starts, and afterwards the
    journal dumps cleanly with the same records in front;
  - a flipped bit mid-file (valid records after it): dump exits 1 naming
    the file and the offset of the corrupt record; `perseus run` refuses to
    start (exit 1, file and offset named) and leaves the journal as it was;
  - a flipped bit in the last record of an earlier segment: corruption too.
"""
import hashlib
import os
import shutil
import struct
import time

import e2e_lib as L


def records(path):
    """(offset, payload length) of each record of a segment file."""
    data = open(path, "rb").read()
    out, off = [], 64
    while off + 32 <= len(data):
        _, ln = struct.unpack_from("<II", data, off)
        out.append((off, ln))
        off += (32 + ln + 7) // 8 * 8
    return out


def segments(d):
    return [os.path.join(d, s) for s in sorted(os.listdir(d)) if s.endswith(".psj")]


def digest(d):
    h = hashlib.sha256()
    for s in segments(d):
        h.update(open(s, "rb").read())
    return h.hexdigest()


def replay_ini(env, journal):
    ini = os.path.join(env.work, "replay.ini")
    with open(ini, "w") as f:
        f.write("[engine]\nmode = replay\nduration_s = 0.5\nfeed_idle_exit_s = 0\n"
                "[feed.itch]\nsource = uring\nlisten = 127.0.0.1:%d\n"
                "[risk]\nstart_equity = 1000000\ncredit_limit = 1000000\n"
                "[journal]\nenabled = true\ndir = %s\nfsync = none\n" % (L.free_udp_port(), journal))
    return ini


def run_engine(env, journal):
    p = env.start_engine(replay_ini(env, journal))
    rc = p.wait(30)
    return rc, p.err()


def copy(env, src, name):
    dst = os.path.join(env.work, name)
    shutil.copytree(src, dst)
    return dst


def run(env):
    env.start_venue(speed=3000, linger_s=30)
    journal = os.path.join(env.work, "journal")
    ini = env.engine_ini(journal)
    for secs in (3.0, 1.5):
        eng = env.start_engine(ini)
        L.check(eng.wait_err("logged in to the venue", 15), "engine logged in")
        time.sleep(secs)
        eng.kill(L.signal.SIGINT)
        L.check(eng.wait(20) == 0, "engine stopped cleanly")
    rc, orig, err = env.dump(journal)
    segs = segments(journal)
    L.check(rc == 0 and len(segs) == 2, "a real journal: %d records in %d segments" % (len(orig), len(segs)))
    first_seg_records = len(records(segs[0]))

    # -- torn tail ------------------------------------------------------------
    torn = copy(env, journal, "torn")
    last = segments(torn)[-1]
    recs = records(last)
    k = len(recs) * 2 // 3
    cut_off = recs[k][0]
    with open(last, "r+b") as f:
        f.truncate(cut_off + 20)
    complete = first_seg_records + k
    rc, got, err = env.dump(torn)
    L.check(rc == 1, "dump of a torn journal exits 1: %s" % err.strip())
    L.check("torn record at offset %d" % cut_off in err and os.path.basename(last) in err,
            "the message names the file and the torn offset %d" % cut_off)
    L.check(len(got) == complete and got == orig[:complete],
            "every complete record before the tear is printed (%d)" % complete)
    rc, eerr = run_engine(env, torn)
    L.check(rc == 0, "perseus run starts on the torn journal (exit %d)" % rc)
    L.check(("cut a torn record of 20 bytes at offset %d of %s" % (cut_off, last)) in eerr,
            "recovery cuts the torn tail and says where")
    L.check(os.path.getsize(last) == cut_off, "the segment now ends at the last complete record")
    rc, got, err = env.dump(torn)
    L.check(rc == 0, "after recovery the journal dumps cleanly (%s)" % err.strip())
    new = [r["type"] for r in got[complete:]]
    L.check(got[:complete] == orig[:complete] and "START" in new and
            all(t in ("FILL", "ORDER_SENT") for t in new[:new.index("START")]),
            "the records before the tear are intact and the new run follows them "
            "(after %d FILL/ORDER_SENT records recovery rewrote)" % new.index("START"))

    # -- flipped bit mid-file -------------------------------------------------
    bad = copy(env, journal, "flipped")
    last = segments(bad)[-1]
    recs = records(last)
    m = len(recs) // 2
    off = recs[m][0]
    with open(last, "r+b") as f:
        f.seek(off + 32 + recs[m][1] // 2)
        b = f.read(1)
        f.seek(off + 32 + recs[m][1] // 2)
        f.write(bytes([b[0] ^ 0x10]))
    before = digest(bad)
    rc, got, err = env.dump(bad)
    L.check(rc == 1, "dump of a journal with a flipped bit exits 1: %s" % err.strip())
    L.check(("%s: corrupt record at offset %d" % (last, off)) in err, "the message names the file and offset %d" % off)
    L.check(got == orig[:first_seg_records + m], "the records before it are printed, none after")
    rc, eerr = run_engine(env, bad)
    L.check(rc == 1, "perseus run refuses to start on it (exit %d)" % rc)
    L.check(last in eerr and ("offset %d" % off) in eerr and "refusing to start" in eerr,
            "its message names the file and offset: %s" % eerr.strip().splitlines()[-1])
    L.check(digest(bad) == before, "the corrupt journal is left as it was (nothing cut)")

    # -- flipped bit at the end of an earlier segment -------------------------
    bad2 = copy(env, journal, "flipped-early")
    first = segments(bad2)[0]
    recs = records(first)
    off = recs[-1][0]
    with open(first, "r+b") as f:
        f.seek(off + 33)
        b = f.read(1)
        f.seek(off + 33)
        f.write(bytes([b[0] ^ 0x01]))
    rc, got, err = env.dump(bad2)
    L.check(rc == 1 and ("%s: corrupt record at offset %d" % (first, off)) in err,
            "a bad last record of an earlier segment is corruption, not a torn tail: %s" % err.strip())
    rc, eerr = run_engine(env, bad2)
    L.check(rc == 1 and first in eerr, "perseus run refuses to start on it")


L.main(run)
