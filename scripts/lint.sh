#!/usr/bin/env bash
# make lint: clang-format check, clang-tidy and cppcheck over the project's
# own C sources. Exits non-zero on the first tool that finds something.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${LINT_BUILD:-build}
[ -f "$build/compile_commands.json" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null

mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' '*.cc' | sort)
mapfile -t csrc < <(printf '%s\n' "${files[@]}" | grep -E '\.c$' | grep -v '^tests/fuzz/')

echo "lint: clang-format (${#files[@]} files)"
clang-format --dry-run --Werror "${files[@]}"

echo "lint: clang-tidy (${#csrc[@]} files)"
tidy_log=$(mktemp)
printf '%s\n' "${csrc[@]}" | xargs -P "$(nproc)" -n 8 clang-tidy -p "$build" --quiet >"$tidy_log" 2>/dev/null || true
if grep -qE 'warning:|error:' "$tidy_log"; then
	grep -E -A3 'warning:|error:' "$tidy_log"
	echo "lint: clang-tidy found problems"
	exit 1
fi
rm -f "$tidy_log"

echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	--inline-suppr --suppress=missingIncludeSystem --suppress=unknownMacro \
	--std=c11 -D__GNUC__ -D__x86_64__ \
	-I ring/include -I core/base/include -I core/book/include -I feeds/include \
	-I risk/include -I exec/include -I core/strategy/include -I core/engine/include \
	"${csrc[@]}"
echo "lint: clean"
