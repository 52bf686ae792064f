#!/usr/bin/env bash
# perseus tune jitter and tune irqs through the binary. jitter: the JSON
# report's numbers agree with each other, the text report names the CPU, and
# each bad argument is refused with an error naming it (exit 2), a CPU that
# does not exist with exit 1. irqs: one entry per online CPU, the same in text
# and JSON, and a fake /proc tree's interrupts counted where they are routed.
set -euo pipefail
perseus=$1
fail() { echo "FAIL: $*"; exit 1; }

out=$("$perseus" tune jitter --cpu 0 --seconds 0.2 --threshold-ns 500 --json)
echo "$out"
/usr/bin/python3 - "$out" <<'PY' || fail "JSON report"
import json, sys
j = json.loads(sys.argv[1])
assert j["cpu"] == 0 and j["threshold_ns"] == 500, j
assert 0.19e9 <= j["elapsed_ns"] < 10e9, j
assert j["reads"] > j["hiccups"] >= 0, j
assert sum(j["sizes"].values()) == j["hiccups"], j
assert j["lost_ns"] <= j["elapsed_ns"], j
assert j["lost_ns"] >= j["hiccups"] * 495, j
assert 0 < j["step_ns"] < 500, j
assert j["path_p99_1us_ns"] >= 1000 and j["path_p99_5us_ns"] >= 5000, j
assert 0 <= j["hit_1us"] <= j["hit_5us"] <= 1, j
PY
text=$("$perseus" tune jitter --cpu 0 --seconds 0.05)
echo "$text"
grep -q '^CPU 0: 0.05 s spun' <<<"$text" || fail "text report: no CPU line"
grep -q '^hiccups >= 1000 ns: ' <<<"$text" || fail "text report: no hiccup line"
grep -q '^a 1 us path starting while the thread runs: hit ' <<<"$text" || fail "text report: no path line"

refuse() { # want_rc want_text args...
	local want=$1 msg=$2 rc=0 err
	shift 2
	err=$("$perseus" tune jitter "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = "$want" ] || fail "tune jitter $*: exit $rc, want $want"
	grep -qF -- "$msg" <<<"$err" || fail "tune jitter $*: '$err' does not say '$msg'"
	echo "refused: tune jitter $* -> $rc: $(head -1 <<<"$err")"
}
refuse 2 "--cpu 1.5: expected a whole number from 0 to 1023" --cpu 1.5
refuse 2 "--seconds 0: expected a number from 0.001 to 3600" --seconds 0
refuse 2 "--threshold-ns 10: expected a whole number from 50" --threshold-ns 10
refuse 2 "--priority 100: expected a whole number from 0 to 99" --priority 100
refuse 2 "unknown or incomplete argument '--cpu'" --cpu
refuse 2 "unknown or incomplete argument '--bogus'" --bogus
cpus=$(nproc --all)
refuse 1 "cpu $((cpus + 3)) does not exist" --cpu $((cpus + 3)) --seconds 0.01

# tune irqs on the live host: one line per online CPU, text and JSON agree.
online=$(grep -c '^processor' /proc/cpuinfo)
text=$("$perseus" tune irqs)
echo "$text"
[ "$(grep -c '^cpu [0-9]* *interrupts [0-9]*' <<<"$text")" = "$online" ] || fail "tune irqs: lines"
json=$("$perseus" tune irqs --json)
/usr/bin/python3 - "$json" "$text" "$online" <<'PY' || fail "tune irqs JSON"
import json, sys
j, text, online = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
assert len(j["cpus"]) == online, j
for c in j["cpus"]:
    line = [l for l in text.splitlines() if l.split()[:2] == ["cpu", str(c["cpu"])]][0]
    # counts only grow between the two calls
    assert int(line.split()[3]) <= c["interrupts"], (line, c)
PY

# A fake tree: IRQ 30 (routed to CPU 1) took 500 on CPU 0 before it moved and
# 7000 on CPU 1; IRQ 31 stays on CPU 0; the timer row never counts.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/proc/irq/30/virtio1-req.0" "$root/proc/irq/31" "$root/sys/devices/system/cpu"
echo 0-1 >"$root/sys/devices/system/cpu/online"
printf '           CPU0       CPU1\n  0:        900        900   IO-APIC   2-edge      timer\n 30:        500       7000   PCI-MSIX  1-edge      virtio1-req.0\n 31:         40          0   PCI-MSIX  1-edge      eth0\n' \
	>"$root/proc/interrupts"
echo 1 >"$root/proc/irq/30/smp_affinity_list"
echo 0 >"$root/proc/irq/31/smp_affinity_list"
text=$("$perseus" tune irqs --root "$root")
echo "$text"
grep -qx 'cpu 0  interrupts 40  busiest IRQ 31 (?)' <<<"$text" || fail "fake tree: cpu 0"
grep -qx 'cpu 1  interrupts 7000  busiest IRQ 30 (virtio1-req.0)' <<<"$text" || fail "fake tree: cpu 1"
err=$("$perseus" tune irqs --bogus 2>&1 >/dev/null) && fail "tune irqs --bogus accepted"
grep -qF "irqs: unknown or incomplete argument '--bogus'" <<<"$err" || fail "tune irqs --bogus: '$err'"
grep -qF "perseus tune irqs [--json] [--root DIR]" <<<"$err" || fail "tune irqs --bogus: no usage"
echo "1 passed, 0 failed"
