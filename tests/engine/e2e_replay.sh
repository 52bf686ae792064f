#!/usr/bin/env bash
# Replay mode: a real LOBSTER day converted to MoldUDP64 packets in a pcap
# (perseus lobster-to-itch --pcap) is replayed by perseus run from the pcap
# source; every message must reach the book, with no gap and no book error.
set -euo pipefail
perseus=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$perseus" lobster-to-itch --zip "$root/feeds/data/lobster/LOBSTER_SampleFile_AMZN_2012-06-21_1.zip" \
	--out "$work/day.itch" --pcap "$work/day.pcap" >"$work/conv.out"
msgs=$("$perseus" itch-replay "$work/day.itch" | awk '/^messages/ {print $2; exit}')
cat >"$work/run.ini" <<INI
[engine]
mode = replay
symbols = AMZN
feed_idle_exit_s = 1
[feed.file]
source = pcap
pcap = $work/day.pcap
listen = 0.0.0.0:26477
[risk]
start_equity = 1000000
credit_limit = 1000000
[strategy.mo]
kind = momentum
symbol = AMZN
INI
"$perseus" run --config "$work/run.ini" >"$work/run.out" 2>"$work/run.err"
cat "$work/run.out"
line=$(grep -E '^  market data' "$work/run.out")
got=$(echo "$line" | awk '{print $5}')
echo "replay: itch-replay counted $msgs messages; the engine decoded $got"
[ -n "$msgs" ] && [ "$got" = "$msgs" ] || { echo "FAIL: message counts differ"; exit 1; }
grep -q 'gaps 0, recovered by re-request 0 msgs, stale 0' "$work/run.out" || { echo "FAIL: gaps"; exit 1; }
intents=$(grep -E '^  orders' "$work/run.out" | awk '{print $2}')
[ "$intents" -gt 0 ] || { echo "FAIL: the momentum strategy never traded on the day"; exit 1; }
echo "1 passed, 0 failed"
