#!/usr/bin/env bash
# make bench: the whole latency suite, one command.
#
#   scripts/bench.sh BUILD [--filter=REGEX] [--benchmark_* ...]
#
# 1. build/bench/perseus-bench: every microbenchmark, and a table of
#    perseus against every peer that has a benchmark of the same name.
# 2. scripts/bench_suite.py: host description, sockperf UDP ping-pong (the
#    kernel baseline), the end-to-end loop (perseus run against
#    perseus bench-e2e) idle and at rising offered loads until the knee, the
#    same loop through DPDK virtual devices where they run, gnuplot plots and
#    bench-report.md linking them. Skipped when --filter is given or
#    PS_BENCH_E2E=0.
#
# Writes to $PS_BENCH_OUT (default BUILD/bench-results): bench.json,
# results.json, *.png/*.svg, bench-report.md. Any other --benchmark_* flag is
# passed to Google Benchmark as is. Environment:
#   PS_BENCH_MIN_TIME     seconds per benchmark (--benchmark_min_time)
#   PS_BENCH_REPETITIONS  repetitions, interleaved at random; the table then
#                         uses the medians
#   PS_BENCH_RT=1         run under SCHED_FIFO (chrt -f 10; root, 2+ CPUs):
#                         on a shared box other load then cannot preempt the
#                         two spinning threads, which makes runs repeatable.
#                         RT throttling still leaves 5% of each second to
#                         everything else.
#   PS_BENCH_E2E=0        microbenchmarks only
#   PS_BENCH_QUICK=1      short end-to-end steps (a smoke run, about 1 minute)
#   PS_BENCH_RATES=LIST   offered loads of the load test (add orders/s,
#                         default 10000,20000,50000,...,1000000; stops at the knee)
#   PS_BENCH_HOT_IDLE     idle strategy of the engine's hot thread in the
#                         end-to-end runs (spin, the default; yield; park)
#   PS_BENCH_ROUNDS=N     alternating sockperf / idle-loop rounds (default 3;
#                         the report takes the round with the median ratio)
#   PS_BENCH_JOURNAL_PAIRS=N  journal on / off pairs of the idle loop beyond
#                         the one in each round (default 12)
#   PS_BENCH_PUB_IDLE     the publisher (perseus bench-e2e) between sends:
#                         spin (default) or wait (sleep in io_uring: for a
#                         host where it must share its CPU with other work)
# After the run, a table gives perseus against every peer that has a benchmark
# of the same name (component/kind/<impl>/variant): throughput as
# ours/peer items per second (higher is better), latency as ours/peer p50
# (lower is better).
set -euo pipefail
build=${1:-build}
shift || true
filter='.'
extra=()
for a in "$@"; do
	case "$a" in
	--filter=*) filter=${a#--filter=} ;;
	--benchmark_*) extra+=("$a") ;;
	*)
		echo "bench.sh: unknown argument '$a'" >&2
		echo "usage: bench.sh BUILD [--filter=REGEX] [--benchmark_* ...]" >&2
		exit 2
		;;
	esac
done
if [ -n "${PS_BENCH_MIN_TIME:-}" ]; then
	extra+=("--benchmark_min_time=$PS_BENCH_MIN_TIME")
fi
if [ -n "${PS_BENCH_REPETITIONS:-}" ]; then
	extra+=("--benchmark_repetitions=$PS_BENCH_REPETITIONS"
		"--benchmark_enable_random_interleaving=true")
fi
prefix=()
if [ "${PS_BENCH_RT:-0}" = 1 ]; then
	# Only with RT throttling on (sched_rt_runtime_us != -1), so spinning
	# FIFO threads can never lock the rest of the machine out.
	rt_runtime=$(cat /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null || echo -1)
	if [ "$(nproc)" -ge 2 ] && [ "$rt_runtime" != -1 ] && chrt -f 10 true 2>/dev/null; then
		prefix=(chrt -f 10)
	else
		echo "bench.sh: PS_BENCH_RT=1 needs 2+ CPUs, RT throttling and SCHED_FIFO rights;" \
			"running at normal priority" >&2
	fi
fi
out=${PS_BENCH_OUT:-$build/bench-results}
mkdir -p "$out"
${prefix[@]+"${prefix[@]}"} "$build/bench/perseus-bench" --benchmark_filter="$filter" \
	--benchmark_out="$out/bench.json" --benchmark_out_format=json ${extra[@]+"${extra[@]}"}
echo "bench: results in $out/bench.json"
/usr/bin/python3 "$(dirname "$0")/bench_ratios.py" "$out/bench.json"
if [ "${PS_BENCH_E2E:-1}" = 1 ] && [ "$filter" = . ]; then
	quick=()
	[ "${PS_BENCH_QUICK:-0}" = 1 ] && quick=(--quick)
	PS_BENCH_T0=$SECONDS /usr/bin/python3 "$(dirname "$0")/bench_suite.py" --build "$build" \
		--out "$out" --bench-json "$out/bench.json" ${quick[@]+"${quick[@]}"}
fi
