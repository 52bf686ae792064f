#!/usr/bin/env bash
# make demo (interim, until the engine lands): the ring benchmark summary.
# Short runs (0.2 s per benchmark) keep it well under a minute. Where allowed,
# the run is SCHED_FIFO (PS_BENCH_RT, see bench.sh) so other load on the box
# cannot preempt the spinning threads; PS_BENCH_RT=0 turns that off.
set -euo pipefail
build=${1:-build}
PS_BENCH_MIN_TIME=${PS_BENCH_MIN_TIME:-0.2} PS_BENCH_RT=${PS_BENCH_RT:-1} \
	exec bash "$(dirname "$0")/bench.sh" "$build" --filter='^ring/'
