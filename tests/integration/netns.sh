#!/bin/bash
# netns.sh: several hosts. Each node (a gateway and three peers) runs in its
# own network namespace with its own address on a bridge, every node on the
# same port numbers, loopback down, and the client in yet another namespace:
# nothing may assume 127.0.0.1. A leader is elected, the gateway's
# /cluster-info lists everybody, a job sent to the gateway's address is
# answered, and killing the leader elects a new one that answers too.
#
# The topology, and the reasons to skip, are netlib.sh's (four nodes).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"

net_init 3

info() {
	cget /cluster-info
}

# info_is TEXT: the gateway's /cluster-info is exactly TEXT.
info_is() {
	[ "$(info)" = "$1" ]
}

net_conf 3 "request-wait 60s"

"$JDPD" -c "$T/jdp.conf" -n >"$T/check.out" 2>&1
ok $? "jdpd -n accepts four nodes on one port at four addresses"

for i in 0 1 2 3; do
	start "$i"
done

wait_for 30 cget /health
ok $? "the gateway answers at $NET.10:$HTTP from another namespace"

all="Server 0 - OBSERVER
Server 1 - FOLLOWER
Server 2 - FOLLOWER
Server 3 - LEADER"
wait_for 30 info_is "$all"
is "$(info)" "$all" "a leader is elected; /cluster-info lists every node"

json=$(cget '/cluster-info?format=json')
for i in 0 1 2 3; do
	like "$json" "\"id\":$i,[^}]*\"$NET.1$i:$PORT\"" \
		"node $i is listed at its own address $NET.1$i"
done

# Every socket a node listens on is bound to its own address.
for i in 0 1 2 3; do
	socks=$(on "$NSP-n$i" ss -Hlntu | awk '{ print $5 }' | sort -u |
		tr '\n' ' ')
	like "$socks" "^($NET\\.1$i:[0-9]+ )+\$" \
		"node $i listens only on $NET.1$i ($socks)"
done

for i in 1 2 3; do
	got=$(nget "$i" /health)
	is "$got" "ok" "peer $i's node HTTP API answers at $NET.1$i:$((PORT + 3))"
done

got=$(post "$top_srcdir/tests/data/jobs/Hello.java")
is "$(cat "$T/post.code") $got" "200 Hello 42" \
	"a job sent to the gateway's address is answered"
node=$(tr -d '\r' <"$T/post.headers" | sed -n 's/^X-Jdp-Node: //Ip')
like "$node" '^[12]$' "it ran on a follower (node $node)"

# Kill the leader: the gateway sees peer 2 elected, and a new job (not in
# the cache, which a leader change clears anyway) is answered.
p3=$PID_3
kill_node 3
PIDS=$(echo " $PIDS " | sed "s/ $p3 / /")
after="Server 0 - OBSERVER
Server 1 - FOLLOWER
Server 2 - LEADER"
wait_for 30 info_is "$after"
is "$(info)" "$after" "killing the leader elects node 2"

printf 'public class After {\n\tpublic String run() {\n\t\treturn "after " + 2 * 3;\n\t}\n}\n' \
	>"$T/After.java"
got=$(post "$T/After.java")
is "$(cat "$T/post.code") $got" "200 after 6" "the new leader's cluster answers a job"

done_testing
