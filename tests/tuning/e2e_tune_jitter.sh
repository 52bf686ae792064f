#!/usr/bin/env bash
# perseus tune jitter through the binary: the JSON report's numbers agree with
# each other, the text report names the CPU, and each bad argument is refused
# with an error naming it (exit 2), a CPU that does not exist with exit 1.
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
echo "1 passed, 0 failed"
