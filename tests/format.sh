#!/bin/sh
# format.sh: every C source follows .clang-format (TAP, one line per file).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v clang-format >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP clang-format is not installed"; exit 0; }
cd "$top_srcdir" || exit 1
n=0
bad=0
for f in common/*.[ch] daemon/*.[ch] console/*.[ch] tests/*.[ch] tests/unit/*.c \
    tests/sim/*.[ch] tests/fuzz/*.c; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f (run: clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "1..$n"
[ "$bad" -eq 0 ]
