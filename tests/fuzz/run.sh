#!/bin/sh
# run.sh: build the libFuzzer targets with clang and run each one.
#
#	tests/fuzz/run.sh [SECONDS [TARGET...]]	(default 5 s, every target:
#						the smoke run of make check)
#	make fuzz				(FUZZ_SECONDS=300 each)
#
# Prints TAP: one line per target with its executions; a crash or a broken
# invariant fails the line, and the reproducer is kept in the build dir.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
secs=${1:-${FUZZ_SECONDS:-5}}
targets="http wire conf cluster runner"
if [ $# -gt 1 ]; then
	shift
	targets="$*"
fi
out="$top_builddir/tests/fuzz"
mkdir -p "$out"

probe="$out/probe.c"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' >"$probe"
if ! command -v clang >/dev/null 2>&1 ||
    ! clang -fsanitize=fuzzer "$probe" -o "$out/probe" >/dev/null 2>&1; then
	echo "1..0 # SKIP clang with libFuzzer is not installed (apt-get install clang libclang-rt-14-dev)"
	exit 0
fi
rm -f "$probe" "$out/probe"

n=0
bad=0
for t in $targets; do
	n=$((n + 1))
	bin="$out/fuzz_$t"
	extra=
	if [ "$t" = cluster ]; then
		extra="$top_srcdir/daemon/election.c $top_srcdir/daemon/gossip.c"
	elif [ "$t" = runner ]; then
		extra="$top_srcdir/daemon/runner-record.c"
	fi
	# shellcheck disable=SC2046,SC2086
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -DHAVE_CONFIG_H \
	    -I"$top_builddir" -I"$top_srcdir/common" -I"$top_srcdir/daemon" \
	    -DJDP_PKGDATADIR='"/nonexistent"' -DJDP_LOCALSTATEDIR='"/nonexistent"' \
	    -DJDP_SYSCONFDIR='"/nonexistent"' \
	    "$top_srcdir/tests/fuzz/fuzz_$t.c" "$top_srcdir"/common/*.c $extra \
	    $(pkg-config --cflags --libs libsodium) -o "$bin" 2>"$bin.build.log"; then
		echo "not ok $n - fuzz_$t builds"
		sed 's/^/# /' "$bin.build.log" | head -n 20
		bad=$((bad + 1))
		continue
	fi
	work="$out/corpus-$t"
	mkdir -p "$work"
	(cd "$out" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 "$work" "$top_srcdir/tests/fuzz/corpus/$t") \
	    >"$bin.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$bin.log")
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - fuzz_$t: ${execs:-?} executions in ${secs}s, no findings"
	else
		echo "not ok $n - fuzz_$t found a problem (see $bin.log)"
		grep -E '^fuzz_[a-z]+: |ERROR|SUMMARY|Test unit written' "$bin.log" | sed 's/^/# /' | head -n 10
		bad=$((bad + 1))
	fi
done
echo "1..$n"
[ "$bad" -eq 0 ]
