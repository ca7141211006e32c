#!/bin/bash
# unreachable.sh: a dead node's closed UDP port (ICMP port unreachable)
# fails it at once, long before failure-timeout (30 s here): the error makes
# it a suspect, and the error for the probe sent to it, quoting that probe,
# fails it. A node that starts late or restarts is never failed by it
# (forged errors: spoof.sh).
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"

make_cluster 3 "gossip-interval 200ms" "failure-timeout 30s" \
    "cleanup-timeout 60s"
# A third of failure-timeout: only the fast path can pass.
quick=10

# gone N ID...: no listed node shows node N alive.
gone() {
	_n=$1
	shift
	for _i in "$@"; do
		info "$_i" | grep -q "^Server $_n - " && return 1
	done
	return 0
}

# follows N ID...: every listed node shows N as a FOLLOWER.
follows() {
	_n=$1
	shift
	for _i in "$@"; do
		info "$_i" | grep -qx "Server $_n - FOLLOWER" || return 1
	done
}

# failed_lines ID N: node ID's summary lines failing N.
failed_lines() {
	grep -c "\[$1\]: no heartbeat from server \[$2\] - SERVER FAILED" \
	    "$T/log/node-$1.summary.log"
}

# metric ID NAME: a value from node ID's /metrics (0 if absent).
metric() {
	get "$(node_url "$1")/metrics" |
	    awk -v m="$2" '$1 == m { v = $2 } END { print v + 0 }'
}

# beats ID N MIN: node ID holds N alive with heartbeat at least MIN.
beats() {
	_h=$(get "$(node_url "$1")/cluster-info?format=json" |
	    sed -n "s/.*\"id\":$2,[^}]*\"alive\":true,\"heartbeat\":\([0-9]*\).*/\1/p")
	[ -n "$_h" ] && [ "$_h" -ge "$3" ]
}

# Peer 1 starts late: the others' datagrams to it meet a closed port.
for i in 3 2 0; do
	start_node "$i"
done
is_leader() {
	[ "$(leader)" = "$1" ]
}
wait_for 30 is_leader 3
ok $? "2 of 3 peers elect 3"
ignored() {
	[ "$(metric 3 'jdp_cluster_unreachable_total{verdict="ignored"}')" -gt 0 ]
}
wait_for 10 ignored
ok $? "3 heard port unreachable for 1, never started, and ignored it"
start_node 1
wait_for 30 follows 1 0 2 3
ok $? "1 starts late and follows 3 everywhere"
! grep -q 'SERVER FAILED' "$T"/log/*.summary.log
ok $? "nobody declared the late node (or anyone) failed"

# A follower dies.
kill_node 2
wait_for $quick gone 2 0 1 3
ok $? "kill -9 follower 2: gone everywhere within ${quick}s (failure-timeout 30s)"
for i in 0 1 3; do
	is "$(failed_lines $i 2)" 1 "$i's summary log says server 2 FAILED"
done
grep -q 'port unreachable at server \[2\] (ICMP) for our probe: its process is gone' \
    "$T/log/node-3.verbose.log"
ok $? "3's verbose log gives the evidence: the error quotes its probe"
is "$(leader)" 3 "a dead follower changes no leader"

# It restarts: back everywhere, and never failed again.
start_node 2
wait_for 30 follows 2 0 1 3
ok $? "restarted 2 follows 3 everywhere"
# Heartbeat 10 (2 s of rounds) everywhere: a stale report had its chance.
wait_for 30 beats 0 2 10 && wait_for 30 beats 1 2 10 &&
    wait_for 30 beats 3 2 10
ok $? "0, 1 and 3 hold the new 2 alive for 10 rounds"
for i in 0 1 3; do
	is "$(failed_lines $i 2)" 1 "$i did not fail the new 2"
done

# The leader dies: the new leader is known at the gateway quickly.
kill_node 3
wait_for $quick is_leader 2
ok $? "kill -9 leader 3: the gateway knows leader 2 within ${quick}s"
for i in 0 1 2; do
	is "$(failed_lines $i 3)" 1 "$i's summary log says server 3 FAILED"
done
[ "$(metric 0 'jdp_cluster_unreachable_total{verdict="failed"}')" -ge 2 ]
ok $? "/metrics of the gateway counts its verdicts from port unreachable"

done_testing
