#!/usr/bin/env bash
# make demo (interim, until the engine lands): the ring benchmark summary.
set -euo pipefail
build=${1:-build}
exec bash "$(dirname "$0")/bench.sh" "$build" --filter='ring/'
