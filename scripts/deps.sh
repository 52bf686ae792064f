#!/usr/bin/env bash
# Installs the Debian packages Perseus needs, only those that are missing.
# Idempotent: a second run installs nothing and says so.
set -euo pipefail

# Build and run time.
PKGS=(
	build-essential cmake pkg-config git
	liburing-dev libinih-dev libjemalloc-dev libisal-dev libpcap-dev libdpdk-dev
	libssl-dev libnuma-dev
	libcmocka-dev libbenchmark-dev libck-dev
	clang-14 libclang-rt-14-dev clang-format clang-tidy cppcheck valgrind
	gnuplot-nox sockperf tshark iproute2 unzip python3
	zlib1g-dev
	libquickfix-dev libquickfix-doc g++
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages already installed"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
if ! apt-get update -q >/tmp/perseus-apt-update.log 2>&1; then
	echo "deps: 'apt-get update' failed: the package registry cannot be reached (see /tmp/perseus-apt-update.log)" >&2
	tail -5 /tmp/perseus-apt-update.log >&2
	exit 1
fi
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	echo "deps: 'apt-get install' failed for: ${missing[*]}" >&2
	exit 1
fi
echo "deps: done"
