#!/bin/sh
# man.sh: the manual pages pass mandoc's linter (TAP, one line per page).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v mandoc >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP mandoc is not installed"; exit 0; }
n=0
bad=0
for m in "$top_srcdir"/man/*.[0-9]; do
	n=$((n + 1))
	out=$(mandoc -Tlint -W warning "$m" 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - $(basename "$m")"
	else
		echo "not ok $n - $(basename "$m")"
		echo "$out" | sed 's/^/# /'
		bad=$((bad + 1))
	fi
done
echo "1..$n"
[ "$bad" -eq 0 ]
