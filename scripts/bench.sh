#!/usr/bin/env bash
# make bench: runs build/bench/perseus-bench and prints ours-to-peer ratios.
set -euo pipefail
build=${1:-build}
shift || true
filter='.'
for a in "$@"; do
	case "$a" in --filter=*) filter=${a#--filter=} ;; esac
done
out=${PS_BENCH_OUT:-$build/bench-results}
mkdir -p "$out"
"$build/bench/perseus-bench" --benchmark_filter="$filter" \
	--benchmark_out="$out/bench.json" --benchmark_out_format=json
echo "bench: results in $out/bench.json"
