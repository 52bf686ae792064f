#!/usr/bin/env bash
# make demo: the venue simulator replays the bundled real NASDAQ day as ITCH
# over MoldUDP64 on loopback; perseus run trades the market maker against it
# with a thread topology fitted to this host; the summary shows what happened.
# Every process started here is stopped when it ends, also on Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[ -x "$build/perseus" ] || build="$root/$build"
perseus="$(cd "$(dirname "$build/perseus")" && pwd)/perseus"
cd "$root"

work=$(mktemp -d /tmp/perseus-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'echo "demo: interrupted"; exit 130' INT TERM

cores=$(nproc)
if [ "$cores" -ge 16 ]; then topo=16; elif [ "$cores" -ge 8 ]; then topo=8;
elif [ "$cores" -ge 4 ]; then topo=4; else topo=2; fi
topology="tuning/configs/topology-$topo.ini"
cp configs/demo-run.ini "$work/run.ini"
if [ -f "$topology" ]; then
	cat "$topology" >>"$work/run.ini"
else
	printf '[thread.hot]\ncpu = 1\nstages = md,book,exec\nidle = yield\n[thread.cold]\ncpu = 0\nstages = cold\nidle = sleep\n' >>"$work/run.ini"
fi
# Two CPUs: the topology puts the hot thread on CPU 1 and expects the device
# interrupts on CPU 0. Where they land on CPU 1 instead and cannot be moved
# (a managed IRQ: the one virtio-blk queue of a small VM, which the journal's
# writes keep busy), the hot thread goes to CPU 0 and the rest to CPU 1.
# PERSEUS_DEMO_IRQ_AWARE=0 keeps the topology as written.
if [ "$topo" = 2 ] && [ "${PERSEUS_DEMO_IRQ_AWARE:-1}" != 0 ]; then
	irqs=$("$perseus" tune irqs 2>/dev/null || true)
	n0=$(awk '$1 == "cpu" && $2 == 0 { print $4 }' <<<"$irqs")
	n1=$(awk '$1 == "cpu" && $2 == 1 { print $4 }' <<<"$irqs")
	if [ -n "$n0" ] && [ -n "$n1" ] && [ "$n1" -gt $((2 * n0 + 1000)) ]; then
		sed -i '/^\[thread\./,$ { s/^cpu = 1$/cpu = X/; s/^cpu = 0$/cpu = 1/; s/^cpu = X$/cpu = 0/ }' \
			"$work/run.ini"
		echo "demo: CPU 1 takes the device interrupts ($n1 since boot, $(awk '$1 == "cpu" && $2 == 1 { $1 = $2 = $3 = $4 = ""; print }' <<<"$irqs" | sed 's/^ *//'); CPU 0: $n0): hot thread on CPU 0, the rest on CPU 1 (perseus tune irqs; PERSEUS_DEMO_IRQ_AWARE=0 keeps the topology)"
	fi
fi
# PERSEUS_DEMO_HOT_IDLE=spin|yield|park: the hot threads' idle strategy
# (default: the topology's).
if [ -n "${PERSEUS_DEMO_HOT_IDLE:-}" ]; then
	awk -v idle="$PERSEUS_DEMO_HOT_IDLE" '/^\[/ { hot = ($0 ~ /^\[thread\./ && $0 !~ /cold/) }
		hot && $1 == "idle" { print "idle = " idle; next } { print }' \
		"$work/run.ini" >"$work/run.ini.new" && mv "$work/run.ini.new" "$work/run.ini"
fi
sed -i "s|^\[journal\]|[journal]\ndir = $work/journal|" "$work/run.ini"
sed -i "s|^duration_s = .*|duration_s = 50\nmetrics_file = $work/metrics.jsonl|" "$work/run.ini"

secret=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
export PERSEUS_VENUE_USERS="demo:$secret" PERSEUS_VENUE_PASSWORD="$secret"

# The venue stands for the exchange, another machine: keep it off the hot
# CPUs, on the one the topology gives the cold thread and the OS.
venue_cpu=$(awk '/^\[thread\.cold\]/ { f = 1; next } /^\[/ { f = 0 }
	f && $1 == "cpu" { print $3; exit }' "$work/run.ini")
venue_cpu=${venue_cpu:-0}

echo "demo: $cores cores: topology $topology; venue on CPU $venue_cpu; work files in $work"

# What the host itself takes from the first hot thread's CPU, measured before
# anything runs there: the part of the tick-to-trade tail no code removes.
# PERSEUS_DEMO_JITTER_S=0 skips it.
hot_cpu=$(awk '/^\[thread\./ { hot = ($0 !~ /cold/) } hot && $1 == "cpu" { print $3; exit }' \
	"$work/run.ini")
jitter_s=${PERSEUS_DEMO_JITTER_S:-2}
if [ -n "$hot_cpu" ] && [ "$jitter_s" != 0 ]; then
	"$perseus" tune jitter --cpu "$hot_cpu" --seconds "$jitter_s" >"$work/jitter.out" 2>&1 ||
		true
fi
taskset -c "$venue_cpu" "$perseus" venue --config configs/demo-venue.ini >"$work/venue.out" 2>"$work/venue.err" &
pids+=($!)
# Wait until the venue listens (it converts the LOBSTER day first).
for _ in $(seq 100); do
	grep -q "OUCH on port" "$work/venue.err" 2>/dev/null && break
	kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/venue.err"; exit 1; }
	sleep 0.1
done
"$perseus" run --config "$work/run.ini" >"$work/run.out" 2>"$work/run.err" &
pids+=($!)
wait "${pids[1]}" || { echo "demo: perseus run failed:"; cat "$work/run.err"; exit 1; }
wait "${pids[0]}" || true
pids=()
echo
cat "$work/run.out"
echo
grep -E "replayed|client fills|md messages" "$work/venue.out" | sed 's/^/venue: /'
if [ -s "$work/jitter.out" ]; then
	echo
	echo "host: the hot CPU before the run (perseus tune jitter --cpu $hot_cpu --seconds $jitter_s):"
	head -5 "$work/jitter.out" | sed 's/^/host: /'
fi
echo
echo "demo: journal in $work/journal ($("$perseus" journal dump "$work/journal" 2>/dev/null | wc -l) records; perseus journal dump $work/journal)"
echo "demo: metrics in $work/metrics.jsonl"
# Each run leaves its work files (about 4 MB, mostly the journal) for the
# commands above; only the latest PERSEUS_DEMO_KEEP runs' (default 5) stay.
keep=${PERSEUS_DEMO_KEEP:-5}
if [[ "$keep" =~ ^[0-9]+$ ]] && [ "$keep" -ge 1 ]; then
	mapfile -t old < <(ls -1dt /tmp/perseus-demo.?????? 2>/dev/null | tail -n +$((keep + 1)))
	if [ "${#old[@]}" -gt 0 ]; then
		rm -rf -- "${old[@]}"
		echo "demo: removed the work files of ${#old[@]} earlier runs (the latest $keep stay; PERSEUS_DEMO_KEEP)"
	fi
fi
