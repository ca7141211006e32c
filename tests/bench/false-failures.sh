#!/bin/bash
# false-failures.sh: run a healthy 7 peers + gateway cluster (timing fast)
# for SECONDS (default 600) and count failure declarations and elections;
# there should be none. Run it beside other load to make it "busy". Not
# run by make check; numbers go to docs/BENCHMARKS.md.
#
#	tests/bench/false-failures.sh [SECONDS]
. "$(dirname "$0")/../integration/lib.sh"

secs=${1:-600}

make_cluster 7
for i in 0 1 2 3 4 5 6 7; do
	start_node "$i"
done
leader7() {
	get "$(node_url 0)/cluster-info?format=json" | grep -q '"leader":7,"epoch":0,'
}
wait_for 60 leader7 || { echo "no leader"; exit 1; }
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$secs" ]; do
	sleep 5
done
failed=$(cat "$T"/log/node-*.summary.log | grep -c 'SERVER FAILED')
switches=$(cat "$T"/log/node-*.summary.log | grep -c 'switching from \[\(FOLLOWING\|LEADING\|OBSERVING\)\]')
epochs=$(for i in 0 1 2 3 4 5 6 7; do get "$(node_url "$i")/cluster-info?format=json" |
    sed -n 's/.*"epoch":\([0-9]*\),.*/\1/p'; done | sort -u | tr '\n' ' ')
echo "false-failures: $secs s, 8 nodes, load $(cut -d' ' -f1-3 /proc/loadavg): $failed failure declarations, $switches switches away from a leader, epochs now: $epochs"
for i in 0 1 2 3 4 5 6 7; do
	kill_node "$i" TERM
done
