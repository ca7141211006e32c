#!/bin/bash
# idle.sh: what an idle cluster costs. Starts a local cluster of 8 nodes
# (gateway + 7 peers, `timing fast`) with `jdpctl cluster start`, lets it
# settle (leader elected, run pools full), then measures over BENCH_SECONDS
# (default 30) the CPU (utime+stime from /proc/PID/stat) of every jdpd as
# a share of one core: the gateway, the leader and the followers' mean.
# With BASELINE_BUILDDIR set (a build of another revision), the same is
# measured for that build right after, and the ratios are printed.
#
#   top_builddir=/path/to/build [BASELINE_BUILDDIR=/path/to/old/build] \
#	tests/bench/idle.sh
#
# Only the jdpd processes are counted, not their JVMs (docs/BENCHMARKS.md
# has the JVMs' memory). Use builds without sanitizers.
. "$(dirname "$0")/../integration/lib.sh"

SECS=${BENCH_SECONDS:-30}

ticks() { # utime + stime of pid, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# measure BUILDDIR NAME: prints "NAME gateway G leader L followers F" in
# percent of a core.
measure() {
	_ctl="$1/jdpctl"
	_d="$T/$2"
	_base=$(free_base 7)
	"$_ctl" cluster start -n 7 -d "$_d" --base-port "$_base" \
	    --http-port $((_base + 5)) >/dev/null || return 1
	for f in "$_d"/node-*.pid; do PIDS="$PIDS $(cat "$f")"; done
	_gw="http://127.0.0.1:$((_base + 5))"
	_leader() {
		get "$_gw/cluster-info?format=json" |
		    sed -n 's/.*"leader":\([0-9][0-9]*\),.*/\1/p'
	}
	wait_for 30 eval '[ -n "$(_leader)" ]' || {
		echo "# $2: no leader"
		return 1
	}
	sleep 20 # pools filled (class-data archives written), nodes settled
	_l=$(_leader)
	_t0=$(date +%s%N)
	declare -A _c0
	for i in 0 1 2 3 4 5 6 7; do _c0[$i]=$(ticks "$(cat "$_d/node-$i.pid")"); done
	sleep "$SECS"
	_t1=$(date +%s%N)
	_hz=$(getconf CLK_TCK)
	_ms=$(((_t1 - _t0) / 1000000))
	_f=0
	for i in 0 1 2 3 4 5 6 7; do
		_c=$(($(ticks "$(cat "$_d/node-$i.pid")") - _c0[$i]))
		_pct=$(awk -v c="$_c" -v hz="$_hz" -v ms="$_ms" \
		    'BEGIN { printf "%.3f", 100 * c / hz / (ms / 1000) }')
		if [ "$i" = 0 ]; then
			_g=$_pct
		elif [ "$i" = "$_l" ]; then
			_lp=$_pct
		else
			_f=$(awk -v a="$_f" -v b="$_pct" 'BEGIN { print a + b / 6 }')
		fi
	done
	"$_ctl" cluster stop -d "$_d" >/dev/null 2>&1
	printf '%s gateway %s leader %s followers %.3f\n' "$2" "$_g" "$_lp" "$_f"
}

echo "# idle cluster of 8 nodes, ${SECS} s measured each, % of one core"
# The baseline first, then this build, then the baseline again: a busy
# moment of the machine shows as the two baselines disagreeing.
if [ -n "${BASELINE_BUILDDIR:-}" ]; then
	old=$(measure "$BASELINE_BUILDDIR" baseline) || exit 1
	echo "$old"
fi
now=$(measure "$top_builddir" now) || exit 1
echo "$now"
if [ -n "${BASELINE_BUILDDIR:-}" ]; then
	old2=$(measure "$BASELINE_BUILDDIR" baseline) || exit 1
	echo "$old2"
	echo "$now $old $old2" | awk '{
		printf "ratio now/baseline (mean of both): gateway %.2f leader %.2f followers %.2f\n",
		    $3 / (($10 + $17) / 2), $5 / (($12 + $19) / 2),
		    $7 / (($14 + $21) / 2) }'
fi
