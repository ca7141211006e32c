#!/bin/bash
# spoof.sh: forged ICMP port-unreachable errors fail nobody. A gateway and
# five peers, each on its own host (netlib.sh's namespaces); from the
# client's namespace raw sockets (tests/spoof) send every node errors
# claiming that a follower's port is closed, and the followers and the
# gateway errors about the leader's. A report about a member heard from
# within the last gossip interval is ignored; any other makes a suspect,
# which answers its authenticated PROBE: no SERVER FAILED, no election, the
# leader stays. Then the leader really dies: its port answers the probe
# with an ICMP error quoting it, and every node knows the new leader long
# before failure-timeout (30 s here).
#
# The topology, and the reasons to skip, are netlib.sh's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

SPOOF="$top_builddir/tests/spoof"
[ -x "$SPOOF" ] || skip_all "no $SPOOF (built by make check)"
ROUNDS=${SPOOF_ROUNDS:-40}
# A third of failure-timeout: only the fast path can pass.
quick=10

NODES="0 1 2 3 4 5"
net_init 5
net_conf 5 "gossip-interval 200ms" "failure-timeout 30s" \
    "cleanup-timeout 60s"

for i in $NODES; do
	start "$i"
done

# metric ID NAME: a value from node ID's /metrics (0 if absent).
metric() {
	nget "$1" /metrics | awk -v m="$2" '$1 == m { v = $2 } END { print v + 0 }'
}

# leader_is ID N: node ID knows leader N.
leader_is() {
	nget "$1" '/cluster-info?format=json' | grep -q "^{\"self\":$1,\"state\":\"[A-Z]*\",\"leader\":$2,"
}

# all_follow N [DEAD]: every node but DEAD knows leader N.
all_follow() {
	for _i in $NODES; do
		[ "$_i" = "$2" ] && continue
		leader_is "$_i" "$1" || return 1
	done
}

suspects() {
	metric "$1" 'jdp_cluster_unreachable_total{verdict="suspect"}'
}
reports() {
	echo $(($(suspects "$1") +
	    $(metric "$1" 'jdp_cluster_unreachable_total{verdict="ignored"}') +
	    $(metric "$1" 'jdp_cluster_unreachable_total{verdict="failed"}')))
}
acks() {
	metric "$1" 'jdp_cluster_messages_received_total{type="PROBE_ACK"}'
}

# answered ID N: node ID heard N reports, and every probe it sent for
# them was answered (a suspicion not cleared fails before its answer).
answered() {
	[ "$(reports "$1")" -ge "$2" ] && [ "$(acks "$1")" -ge "$(suspects "$1")" ]
}

# spoof VICTIM MEMBER: forge ROUNDS errors to VICTIM about MEMBER.
spoof() {
	on "$CL" "$SPOOF" "$NET.1$1" "$NET.1$2" "$PORT" "$ROUNDS" 100 \
	    >"$T/spoof-$1-$2.out" 2>&1 &
	SPOOFERS="$SPOOFERS $!"
	SENT="$SENT $1-$2"
}

wait_for 30 all_follow 5
ok $? "every node follows leader 5"
for i in $NODES; do
	eval "elections_$i=$(metric "$i" jdp_cluster_elections_total)"
done

# The attack, ROUNDS errors 100 ms apart each: every node hears that a
# follower's port is closed, the gateway and the followers that the
# leader's is.
for i in $NODES; do
	m=$((i % 4 + 1))
	[ "$m" = "$i" ] && m=$((m % 4 + 1))
	spoof "$i" "$m"
	[ "$i" != 5 ] && spoof "$i" 5
done
rc=0
for p in $SPOOFERS; do
	wait "$p" || rc=1
done
[ "$rc" -eq 0 ] ||
    skip_all "the raw socket was refused: $(cat "$T"/spoof-*.out | head -n 1)"
for s in $SENT; do
	is "$(cat "$T/spoof-$s.out")" "$ROUNDS" \
	    "$ROUNDS forged errors sent to node ${s%-*} about ${s#*-}"
done

total=0
for i in $NODES; do
	want=$((ROUNDS * $(echo " $SENT " | grep -o " $i-" | wc -l)))
	wait_for 30 answered "$i" "$want"
	ok $? "node $i took the $want reports ($(suspects "$i") suspects) and had every probe answered ($(acks "$i") PROBE_ACK)"
	total=$((total + $(suspects "$i")))
done
[ "$total" -gt 0 ]
ok $? "some reports made suspects ($total): the probes were tested"
for i in $NODES; do
	is "$(metric "$i" 'jdp_cluster_unreachable_total{verdict="failed"}')" 0 \
	    "node $i failed nobody on a forged error"
done
! grep -q 'SERVER FAILED' "$T"/log/*.summary.log
ok $? "no node declared any member failed"
for i in $NODES; do
	eval "before=\$elections_$i"
	is "$(metric "$i" jdp_cluster_elections_total)" "$before" \
	    "node $i started no election"
done
all_follow 5
ok $? "every node still follows leader 5"

# A real death still fails over fast: the leader's closed port answers
# the probe with an error quoting it.
kill_node 5
wait_for $quick all_follow 4 5
ok $? "kill -9 leader 5: everybody follows 4 within ${quick}s (failure-timeout 30s)"
[ "$(metric 0 'jdp_cluster_unreachable_total{verdict="failed"}')" -ge 1 ]
ok $? "the gateway failed 5 on an error quoting its own probe"
grep -q 'port unreachable at server \[5\] (ICMP) for our probe' \
    "$T/log/node-0.verbose.log"
ok $? "the gateway's verbose log gives the evidence"

done_testing
