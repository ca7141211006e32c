#!/bin/bash
# memory.sh: memory of a whole local cluster (gateway + 7 peers, the classic
# demo's size) after it has answered some jobs: RSS and PSS of every jdpd
# and of everything it started (compile servers, pooled run JVMs, bwrap).
# PSS counts shared pages once, so it is the fair total. Not run by make
# check; numbers go to docs/BENCHMARKS.md.
#
#	tests/bench/memory.sh [JOBS]	(from a build directory)
#	JOB_MODE=trusted tests/bench/memory.sh	(job-mode trusted)
. "$(dirname "$0")/../integration/lib.sh"

jobs=${1:-20}
JAR="$top_builddir/jdp-runner.jar"
[ -f "$JAR" ] || { echo "no $JAR: run make first"; exit 1; }
make_cluster 7 "runner-jar $JAR" "job-mode ${JOB_MODE:-sandbox}"
for i in 7 6 5 4 3 2 1 0; do
	start_node "$i"
done
leader() {
	get "$GW/cluster-info" | grep -q LEADER
}
wait_for 60 leader || { echo "no leader"; exit 1; }
for i in $(seq 1 "$jobs"); do
	printf 'public class M%d { public String run() { return "m%d"; } }' "$i" "$i" |
	    curl -s --max-time 60 -H 'Content-Type: text/x-java-source' \
	    --data-binary @- "$GW/compileandrun" >/dev/null
done
sleep 5 # let the pools refill: memory at rest, not mid-start

# Every process in the trees of the nodes we started.
tree() {
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		tree "$c"
	done
}
total_rss=0
total_pss=0
declare -A by
for i in 0 1 2 3 4 5 6 7; do
	for p in $(tree "$(node_pid "$i")"); do
		[ -r /proc/"$p"/smaps_rollup ] || continue
		comm=$(cat /proc/"$p"/comm)
		rss=$(awk '/^Rss:/ {print $2}' /proc/"$p"/smaps_rollup)
		pss=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup)
		if [ "$comm" = java ]; then
			grep -q CompileServer /proc/"$p"/cmdline && comm=compile-server || comm=run-jvm
		fi
		by[$comm]=$(( ${by[$comm]:-0} + pss ))
		by[n_$comm]=$(( ${by[n_$comm]:-0} + 1 ))
		total_rss=$((total_rss + rss))
		total_pss=$((total_pss + pss))
	done
done
echo "memory: gateway + 7 peers after $jobs jobs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for k in jdpd compile-server run-jvm bwrap; do
	printf '  %-15s %3d processes  PSS %7d KiB\n' "$k" "${by[n_$k]:-0}" "${by[$k]:-0}"
done
echo "  total RSS $((total_rss / 1024)) MiB, total PSS $((total_pss / 1024)) MiB"
