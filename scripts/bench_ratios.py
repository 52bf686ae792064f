#!/usr/bin/python3
"""Ours-to-peer ratio table from Google Benchmark JSON files (stdlib only).

    bench_ratios.py BENCH.json [MORE.json ...]

Benchmarks are named component/kind/<impl>/variant (perseus is ours). For
every name that exists for perseus and for a peer implementation:
  throughput: ratio = ours / peer items_per_second   (> 1: ours is faster)
  latency:    ratio = ours / peer p50_ns             (< 1: ours is faster)
  paired:     component/kind/all/variant benchmarks that time every
              implementation in one run, taking turns, report the ratios
              themselves: perseus/<peer>_p50 (latency) and perseus/<peer>_rate
              (throughput)
Each figure is the median over every run of that benchmark in all the files
(repetitions and separate invocations alike); n is the number of runs.
"""
import json
import re
import statistics
import sys

OURS = "perseus"
METRICS = ("items_per_second", "p50_ns", "p99_ns", "p999_ns")
# Paired benchmarks (component/kind/all/variant) run every implementation in
# one body and report the ratios directly: perseus/<peer>_p50 with
# <impl>_p50_ns (latency), perseus/<peer>_rate with <impl>_per_s (throughput).
PAIRED = re.compile(r"^perseus/(.+)_(p50|rate)$")


def base_name(b):
    name = b.get("run_name") or b["name"]
    return re.sub(r"/(real|manual)_time$", "", name)


def load(paths):
    """name -> {metric: [values over runs]}"""
    runs = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for b in data.get("benchmarks", []):
            if b.get("error_occurred") or b.get("run_type") == "aggregate":
                continue
            m = runs.setdefault(base_name(b), {})
            for k, v in b.items():
                if (k in METRICS or PAIRED.match(k) or k.endswith("_p50_ns") or
                        k.endswith("_per_s")):
                    m.setdefault(k, []).append(float(v))
    return {name: {k: (statistics.median(v), len(v)) for k, v in m.items()}
            for name, m in runs.items()}


def split(name):
    parts = name.split("/")
    if len(parts) < 4:
        return None
    return "/".join(parts[:2]), parts[2], "/".join(parts[3:])


def fmt_rate(v):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= div:
            return "%.2f%s/s" % (v / div, unit)
    return "%.0f/s" % v


def ratio_rows(runs):
    """(label, peer, ours, theirs, ratio, better, n) for every pair in runs."""
    index = {}
    for name, m in runs.items():
        key = split(name)
        if key:
            index[(key[0], key[2], key[1])] = m
    rows = []
    for (kind, variant, impl), ours in sorted(index.items()):
        if impl != OURS:
            continue
        for (k2, v2, peer), theirs in sorted(index.items()):
            if k2 != kind or v2 != variant or peer == OURS:
                continue
            label = "%s/%s" % (kind, variant)
            n = min(ours.get("items_per_second", (0, 0))[1],
                    theirs.get("items_per_second", (0, 0))[1])
            if "p50_ns" in ours and "p50_ns" in theirs and theirs["p50_ns"][0] > 0:
                a, b = ours["p50_ns"][0], theirs["p50_ns"][0]
                rows.append((label, peer, "p50 %.0f ns" % a, "p50 %.0f ns" % b, a / b,
                             "lower", n))
            elif ours.get("items_per_second") and theirs.get("items_per_second"):
                a, b = ours["items_per_second"][0], theirs["items_per_second"][0]
                if b > 0:
                    rows.append((label, peer, fmt_rate(a), fmt_rate(b), a / b, "higher", n))
    for name, m in sorted(runs.items()):
        key = split(name)
        if not key or key[1] != "all":
            continue
        for k, (ratio, n) in sorted(m.items()):
            hit = PAIRED.match(k)
            if not hit:
                continue
            peer, what = hit.group(1), hit.group(2)
            label = "%s/%s" % (key[0], key[2])
            if what == "p50":
                a = m.get("perseus_p50_ns", (0, 0))[0]
                b = m.get(peer + "_p50_ns", (0, 0))[0]
                rows.append((label, peer, "p50 %.0f ns" % a, "p50 %.0f ns" % b, ratio,
                             "lower", n))
            else:
                a = m.get("perseus_per_s", (0, 0))[0]
                b = m.get(peer + "_per_s", (0, 0))[0]
                rows.append((label, peer, fmt_rate(a), fmt_rate(b), ratio, "higher", n))
    return rows


def main(argv):
    if len(argv) < 2:
        print("usage: bench_ratios.py BENCH.json [MORE.json ...]", file=sys.stderr)
        return 2
    runs = load(argv[1:])
    rows = ratio_rows(runs)
    if not rows:
        print("bench: no benchmark ran for both perseus and a peer")
        return 0
    w = max(len(r[0]) for r in rows)
    print()
    print("%-*s  %-9s %14s %14s %7s  %-6s %s" % (w, "benchmark", "peer", "perseus", "peer",
                                                 "ratio", "better", "n"))
    for label, peer, a, b, ratio, better, n in rows:
        print("%-*s  %-9s %14s %14s %6.2fx  %-6s %d" % (w, label, peer, a, b, ratio, better, n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
