#!/usr/bin/env bash
# The build's first steps on a machine missing a dependency: the configure
# names the Debian package and `make deps`, and the next `make build`
# configures again (a failed configure leaves CMakeCache.txt behind, and the
# Makefile once waited on that file, so the tree stayed stuck). A configured
# tree is not configured again.
#   e2e_build_configure.sh SOURCE_DIR CONFIGURED_BUILD_DIR
set -euo pipefail
src=$1
configured=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# pkg-config finds nothing: the first required package stops the configure.
if PKG_CONFIG_LIBDIR="$tmp/none" make -C "$src" --no-print-directory build BUILD="$tmp/b" \
	>"$tmp/out" 2>&1; then
	cat "$tmp/out"
	fail "make build succeeded with no packages visible"
fi
grep -q "liburing not found (Debian package liburing-dev): run 'make deps' as root" "$tmp/out" ||
	{ cat "$tmp/out"; fail "the configure error does not name the package and make deps"; }
[ -f "$tmp/b/CMakeCache.txt" ] || fail "expected the failed configure to leave CMakeCache.txt"
[ ! -f "$tmp/b/Makefile" ] || fail "a failed configure wrote a Makefile"

# The next make build must configure again (dry run: nothing is built).
make -C "$src" --no-print-directory -n build BUILD="$tmp/b" >"$tmp/dry" 2>&1 || true
grep -q "cmake -S . -B $tmp/b" "$tmp/dry" ||
	{ cat "$tmp/dry"; fail "make build after a failed configure does not configure again"; }

# A configured tree is built, not configured again.
make -C "$src" --no-print-directory -n build BUILD="$configured" >"$tmp/dry2" 2>&1 ||
	{ cat "$tmp/dry2"; fail "make -n build failed on the configured tree"; }
if grep -q "cmake -S . -B" "$tmp/dry2"; then
	cat "$tmp/dry2"
	fail "make build configures a tree that is already configured"
fi
grep -q "cmake --build $configured" "$tmp/dry2" || { cat "$tmp/dry2"; fail "no build step"; }
echo "ok: configure errors name the package; make build recovers after a failed configure"
