#!/bin/bash
# failover.sh: time from SIGKILL of the leader to the new leader known at
# the gateway, for 7 peers + gateway on loopback, with `timing fast` and
# `timing course`. Not run by make check; numbers go to docs/BENCHMARKS.md.
#
#	tests/bench/failover.sh [FAST_ROUNDS [COURSE_ROUNDS]]
#
# Each round kills the current leader with SIGKILL, polls the gateway's
# /cluster-info?format=json every ~10 ms until it names another leader,
# then restarts the killed node and waits until the gateway lists it as a
# FOLLOWER again. Uses $top_builddir/jdpd (default: the source tree).
. "$(dirname "$0")/../integration/lib.sh"

fast_rounds=${1:-5}
course_rounds=${2:-2}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# gw_leader: "LEADER EPOCH" as the gateway knows them.
gw_leader() {
	get "$(node_url 0)/cluster-info?format=json" |
	    sed -n 's/.*"leader":\(-\{0,1\}[0-9]*\),"epoch":\([0-9]*\),.*/\1 \2/p'
}

has_leader() {
	set -- $(gw_leader)
	[ -n "$1" ] && [ "$1" != -1 ]
}

gw_lists() {
	get "$(node_url 0)/cluster-info" | grep -qx "Server $1 - $2"
}

# run TIMING ROUNDS: prints one line per round and a summary.
run() {
	timing=$1
	rounds=$2
	rm -rf "$T/log"
	make_cluster 7 "timing $timing"
	for i in 0 1 2 3 4 5 6 7; do
		start_node "$i"
	done
	wait_for 120 has_leader || { echo "# $timing: no leader"; return 1; }
	times=""
	r=1
	while [ "$r" -le "$rounds" ]; do
		set -- $(gw_leader)
		old=$1
		t0=$(now_ms)
		kill_node "$old"
		while :; do
			set -- $(gw_leader)
			[ -n "$1" ] && [ "$1" != -1 ] && [ "$1" != "$old" ] && break
			[ $(($(now_ms) - t0)) -gt 300000 ] && break
			sleep 0.01
		done
		dt=$(($(now_ms) - t0))
		echo "# $timing round $r: leader $old killed -> leader $1 epoch $2 at the gateway after $dt ms"
		times="$times $dt"
		start_node "$old"
		wait_for 300 gw_lists "$old" FOLLOWER ||
		    echo "# $timing: $old did not come back as FOLLOWER"
		r=$((r + 1))
	done
	echo "$times" | tr ' ' '\n' | grep . | sort -n | awk -v t="$timing" '
	    { v[NR] = $1; s += $1 }
	    END { printf "%s: %d rounds, min %d ms, median %d ms, max %d ms, mean %d ms\n",
		t, NR, v[1], v[int((NR + 1) / 2)], v[NR], s / NR }'
	for i in 0 1 2 3 4 5 6 7; do
		kill_node "$i" TERM
	done
}

echo "# failover: $(nproc) cpus, $(uname -r), jdpd $JDPD"
run fast "$fast_rounds"
[ "$course_rounds" -gt 0 ] && run course "$course_rounds"
exit 0
