#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD/tests/fuzz for SECONDS each, seeded
# from tests/fuzz/corpus/<target>/ when present. Fails on the first crash.
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
n=0
for bin in "$build"/tests/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	work=$(mktemp -d)
	seeds=()
	[ -d "$root/tests/fuzz/corpus/$name" ] && seeds+=("$root/tests/fuzz/corpus/$name")
	echo "fuzz: $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" "$work" "${seeds[@]}" \
		>"$work/log" 2>&1; then
		tail -40 "$work/log"
		echo "fuzz: $name FAILED (artifacts in $work)" >&2
		exit 1
	fi
	grep -E '^stat::number_of_executed_units' "$work/log" || true
	rm -rf "$work"
	n=$((n + 1))
done
echo "fuzz: $n targets clean"
