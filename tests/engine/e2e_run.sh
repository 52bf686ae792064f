#!/usr/bin/env bash
# Runs one end-to-end test (tests/engine/e2e_NAME.py) in a fresh work
# directory: e2e_run.sh NAME PERSEUS. Every process the test starts is
# recorded in WORK/pids and killed here on exit, whatever happens.
set -u
name=$1
perseus=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/perseus-e2e-$name.XXXXXX")
cleanup() {
	if [ -f "$work/pids" ]; then
		while read -r p; do kill -9 "$p" 2>/dev/null; done <"$work/pids"
	fi
	if [ "${PS_E2E_KEEP:-0}" = 1 ] || [ "${rc:-1}" != 0 ]; then
		echo "e2e: work files kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
/usr/bin/python3 "$here/e2e_$name.py" "$perseus" "$work" &
py=$!
echo "$py" >>"$work/pids"
wait "$py"
rc=$?
exit "$rc"
