#!/bin/bash
# election.sh: election and gossip between real daemons on loopback: the
# first election, a dead follower, a dead leader, restarts, and garbage.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"

make_cluster 7
# Highest id first: a node that starts more than election-finalize after
# the others find a leader joins it as a follower (a late joiner), so the
# classic outcome, leader 7 in epoch 0, needs 7 up early.
for i in 7 6 5 4 3 2 1 0; do
	start_node "$i"
done

# shows WANT ID...: every listed node's /cluster-info is exactly WANT.
shows() {
	_want=$1
	shift
	for _i in "$@"; do
		[ "$(info "$_i")" = "$_want" ] || return 1
	done
}

# leads LEADER EPOCH ID...: every listed node knows LEADER in EPOCH.
leads() {
	_l=$1
	_e=$2
	shift 2
	for _i in "$@"; do
		get "$(node_url "$_i")/cluster-info?format=json" |
		    grep -q "\"leader\":$_l,\"epoch\":$_e," || return 1
	done
}

# table ROLE... : the expected text for nodes 0.. with these roles ("-"
# for a node that must not appear).
table() {
	_i=0
	for _r in "$@"; do
		[ "$_r" = - ] || echo "Server $_i - $_r"
		_i=$((_i + 1))
	done
}

# drops ID: the sum of node ID's jdp_cluster_dropped_total counters.
drops() {
	get "$(node_url "$1")/metrics" |
	    awk '/^jdp_cluster_dropped_total/ { s += $2 } END { print s + 0 }'
}

all="0 1 2 3 4 5 6 7"
want=$(table OBSERVER FOLLOWER FOLLOWER FOLLOWER FOLLOWER FOLLOWER FOLLOWER LEADER)
wait_for 30 shows "$want" $all
ok $? "7 peers + gateway: every node shows leader 7 and 6 followers"
[ "$tap_failed" -eq 0 ] || info 0 | sed 's/^/#   /'
leads 7 0 $all
ok $? "every node knows leader 7 in epoch 0"
is "$(get "$GW/cluster-info" | grep -c .)" 8 \
    "the gateway's public port lists the 8 nodes"
json=$(get "$(node_url 3)/cluster-info?format=json")
like "$json" '"id":7,"role":"LEADER","address":"127\.0\.0\.1:[0-9]+","alive":true,"heartbeat":[0-9]+' \
    "JSON /cluster-info has role, address, alive and heartbeat per node"
like "$(get "$(node_url 7)/metrics")" 'jdp_cluster_state\{state="LEADING"\} 1' \
    "/metrics of 7 says LEADING"
like "$(cat "$T/log/node-3.summary.log")" \
    'FOLLOWING \[3\]: switching from \[LOOKING\] to \[FOLLOWING\]' \
    "3's summary log has its switch line"
like "$(grep -m1 'updated \[' "$T/log/node-3.summary.log")" \
    "\[3\]: updated \[[0-7]\]'s heartbeat sequence to \[[0-9]+\] based on message from \[[0-7]\] at node time \[[0-9]+\]" \
    "3's summary log has heartbeat update lines"
like "$(grep -m1 'gossip from \[' "$T/log/node-3.verbose.log")" \
    'gossip from \[[0-7]\] at node time \[[0-9]+\]: \[[0-7]\] hb [0-9]+ inc [0-9]+ ALIVE' \
    "3's verbose log records received gossip"

# A follower dies: it disappears everywhere, nothing else changes.
kill_node 3
want=$(table OBSERVER FOLLOWER FOLLOWER - FOLLOWER FOLLOWER FOLLOWER LEADER)
wait_for 20 shows "$want" 0 1 2 4 5 6 7
ok $? "kill -9 follower 3: it disappears from /cluster-info everywhere"
leads 7 0 0 1 2 4 5 6 7
ok $? "a dead follower changes no leader and no epoch"
grep -q '\[1\]: no heartbeat from server \[3\] - SERVER FAILED' \
    "$T/log/node-1.summary.log"
ok $? "1's summary log says server 3 FAILED"
grep -qx '\[1\]: no heartbeat from server \[3\] - SERVER FAILED' "$T/node-1.out"
ok $? "and 1's standard output has the same line, whole"

# The leader dies: 6 leads epoch 1 everywhere, the gateway too.
kill_node 7
wait_for 20 leads 6 1 0 1 2 4 5 6
ok $? "kill -9 leader 7: every node knows leader 6 in epoch 1"
want=$(table OBSERVER FOLLOWER FOLLOWER - FOLLOWER FOLLOWER LEADER -)
wait_for 20 shows "$want" 0 1 2 4 5 6
ok $? "/cluster-info everywhere shows 6 LEADER and no 7"
grep -q 'switching from \[FOLLOWING\] to \[LOOKING\]' \
    "$T/log/node-1.summary.log"
ok $? "1's summary log has the FOLLOWING to LOOKING switch"

# Restarted nodes come back as followers, with no new election.
start_node 7
start_node 3
want=$(table OBSERVER FOLLOWER FOLLOWER FOLLOWER FOLLOWER FOLLOWER LEADER FOLLOWER)
wait_for 20 shows "$want" $all
ok $? "restarted 7 and 3 are FOLLOWERs of 6 everywhere"
leads 6 1 $all
ok $? "still leader 6 in epoch 1"

# Garbage at peer 2: dropped, counted, nothing else.
before=$(drops 2)
port=$((BASE + 20))
for i in $(seq 1 100); do
	head -c $((RANDOM % 300 + 1)) /dev/urandom >/dev/udp/127.0.0.1/$port
	# Magic and version right, then noise: fails later checks.
	{ printf '\112\104\001'; head -c $((RANDOM % 100 + 40)) /dev/urandom; } \
	    >/dev/udp/127.0.0.1/$port
done
counted() {
	[ $(($(drops 2) - before)) -ge 200 ]
}
wait_for 10 counted
ok $? "200 garbage datagrams at peer 2 are counted as drops ($(($(drops 2) - before)))"
m=$(get "$(node_url 2)/metrics")
like "$m" 'jdp_cluster_dropped_total\{reason="magic"\} [1-9]' "some by bad magic"
like "$m" 'jdp_cluster_dropped_total\{reason="(tag|short|oversize)"\} [1-9]' \
    "some by a later check (tag, short, oversize)"
healthy 2
ok $? "peer 2 still serves"
leads 6 1 $all
ok $? "the garbage changed no leader and no epoch"
shows "$want" $all
ok $? "and no /cluster-info"

done_testing
