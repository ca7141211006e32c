#!/bin/bash
# netns.sh: several hosts. Each node (a gateway and three peers) runs in its
# own network namespace with its own address on a bridge, every node on the
# same port numbers, loopback down, and the client in yet another namespace:
# nothing may assume 127.0.0.1. A leader is elected, the gateway's
# /cluster-info lists everybody, a job sent to the gateway's address is
# answered, and killing the leader elects a new one that answers too.
#
# Topology (all of it exists only inside namespaces this test creates):
#
#	jdptPID-c   br0 10.77.0.100/24 (the client; the bridge lives here)
#	  |-- v0 <-> eth0 10.77.0.10  jdptPID-n0  node 0 gateway, http 8888
#	  |-- v1 <-> eth0 10.77.0.11  jdptPID-n1  node 1 peer
#	  |-- v2 <-> eth0 10.77.0.12  jdptPID-n2  node 2 peer
#	  `-- v3 <-> eth0 10.77.0.13  jdptPID-n3  node 3 peer
#
# Needs root, iproute2 and permission to create network namespaces and a
# bridge; skips with the reason otherwise. The host's own interfaces are
# never touched: every veth pair is created inside the namespaces.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "network namespaces need root"
command -v ip >/dev/null 2>&1 || skip_all "no ip (iproute2)"
command -v curl >/dev/null 2>&1 || skip_all "no curl"
JAR="$top_builddir/jdp-runner.jar"
[ -f "$JAR" ] || skip_all "no $JAR (built by make)"

NSP="jdpt$$"
CL="$NSP-c"
NETNS=""
NET=10.77.0
PORT=8000
HTTP=8888

netns_cleanup() {
	# Processes first (by pid), then the namespaces (by name): deleting a
	# namespace removes its veth end and with it the peer on the bridge.
	# Anything still running in our namespaces was started here too.
	jdp_cleanup
	for _ns in $NETNS; do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -9 "$_p" 2>/dev/null
		done
		ip netns del "$_ns" 2>/dev/null
	done
}
trap netns_cleanup EXIT

# mkns NAME: create a namespace and remember it for the cleanup.
mkns() {
	ip netns add "$1" 2>"$T/netns.err" || return 1
	NETNS="$NETNS $1"
}

mkns "$CL" ||
	skip_all "network namespaces not permitted here ($(head -n 1 "$T/netns.err"))"
ip -n "$CL" link add br0 type bridge 2>"$T/netns.err" ||
	skip_all "cannot create a bridge in a namespace ($(head -n 1 "$T/netns.err"))"
ip -n "$CL" addr add "$NET.100/24" dev br0 &&
	ip -n "$CL" link set br0 up || skip_all "cannot configure the bridge"

for i in 0 1 2 3; do
	mkns "$NSP-n$i" || skip_all "cannot create namespace $NSP-n$i"
	# Both ends are created inside namespaces, never in the host's.
	ip -n "$CL" link add "v$i" type veth peer name eth0 netns "$NSP-n$i" &&
		ip -n "$CL" link set "v$i" master br0 &&
		ip -n "$CL" link set "v$i" up &&
		ip -n "$NSP-n$i" addr add "$NET.1$i/24" dev eth0 &&
		ip -n "$NSP-n$i" link set eth0 up ||
		skip_all "cannot create a veth pair between namespaces"
	# Loopback stays down: a node that talked to 127.0.0.1 would fail.
done

# on NS CMD...: run CMD in namespace NS.
on() {
	_ns=$1
	shift
	ip netns exec "$_ns" "$@"
}

# cget PATH: GET from the gateway's public port, from the client namespace.
cget() {
	on "$CL" curl -sf --max-time 5 "http://$NET.10:$HTTP$1"
}

info() {
	cget /cluster-info
}

leader() {
	info | sed -n 's/^Server \([0-9]*\) - LEADER$/\1/p'
}

# info_is TEXT: the gateway's /cluster-info is exactly TEXT.
info_is() {
	[ "$(info)" = "$1" ]
}

# post FILE: POST FILE to the gateway's /compileandrun from the client
# namespace; body on stdout, status in $T/code, headers in $T/headers.
post() {
	on "$CL" curl -s --max-time 60 -D "$T/headers" -o "$T/body" \
		-w '%{http_code}' -H 'Content-Type: text/x-java-source' \
		--data-binary @"$1" "http://$NET.10:$HTTP/compileandrun" >"$T/code"
	cat "$T/body"
}

# start ID: run node ID in its namespace; ip netns exec becomes jdpd, so $!
# is the daemon's pid (a shell function in the background would not be).
start() {
	ip netns exec "$NSP-n$1" "$JDPD" -c "$T/jdp.conf" -i "$1" -f >>"$T/node-$1.out" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/cluster.key"
cat >"$T/jdp.conf" <<EOF
# Every node on the same ports, each on its own address.
node 0 gateway $NET.10:$PORT http $HTTP
node 1 peer    $NET.11:$PORT
node 2 peer    $NET.12:$PORT
node 3 peer    $NET.13:$PORT
cluster-key-file $T/cluster.key
log-dir $T/log
runner-jar $JAR
run-pool 1
request-wait 60s
EOF

"$JDPD" -c "$T/jdp.conf" -n >"$T/check.out" 2>&1
ok $? "jdpd -n accepts four nodes on one port at four addresses"

# The runner needs bubblewrap unless told otherwise; probe it in a node's
# namespace (jobs never use the network).
if ! on "$NSP-n1" "$JDPD" -c "$T/jdp.conf" \
	--exec "$top_srcdir/tests/data/jobs/Hello.java" >"$T/probe.out" 2>&1; then
	echo "# the sandbox does not work here: allow-unsandboxed yes"
	sed 's/^/#   /' "$T/probe.out" | head -n 5
	echo "allow-unsandboxed yes" >>"$T/jdp.conf"
fi

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
	got=$(on "$CL" curl -sf --max-time 5 "http://$NET.1$i:$((PORT + 3))/health")
	is "$got" "ok" "peer $i's node HTTP API answers at $NET.1$i:$((PORT + 3))"
done

got=$(post "$top_srcdir/tests/data/jobs/Hello.java")
is "$(cat "$T/code") $got" "200 Hello 42" \
	"a job sent to the gateway's address is answered"
node=$(tr -d '\r' <"$T/headers" | sed -n 's/^X-Jdp-Node: //Ip')
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
is "$(cat "$T/code") $got" "200 after 6" "the new leader's cluster answers a job"

done_testing
