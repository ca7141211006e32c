#!/bin/bash
# jdpctl.sh: the console's command table and local cluster management.
. "$(dirname "$0")/lib.sh"

like "$("$JDPCTL" --help)" '^  cluster ' "--help lists the commands"
like "$("$JDPCTL" --version)" '^jdpctl [0-9]' "--version"
out=$("$JDPCTL" frobnicate 2>&1)
is $? 2 "an unknown command exits 2"
like "$out" 'unknown command: frobnicate' "and says so"
"$JDPCTL" cluster start -n 0 -d "$T/c" 2>/dev/null
is $? 2 "-n 0 is a usage error"
"$JDPCTL" kill 1 -d "$T/none" 2>/dev/null
is $? 2 "kill in a directory without a cluster exits 2"

BASE=$(free_base 3)
D="$T/c"
# Every node the test starts is recorded for cleanup, whatever happens.
record_pids() {
	for f in "$D"/node-*.pid; do
		[ -f "$f" ] && PIDS="$PIDS $(cat "$f")"
	done
}
out=$("$JDPCTL" cluster start -n 3 -d "$D" --base-port "$BASE" --http-port $((BASE + 5)))
rc=$?
record_pids
is $rc 0 "cluster start succeeds"
is "$out" "http://127.0.0.1:$((BASE + 5))" "and prints the gateway URL"
is "$(grep -c '^node ' "$D/jdp.conf")" 4 "the config has a gateway and 3 peers"
like "$(stat -c %a "$D/cluster.key")" '^600$' "the key file is private"
for i in 0 1 2 3; do
	ok $(healthy $i; echo $?) "node $i is up"
done
"$JDPCTL" cluster start -n 3 -d "$D" --base-port "$BASE" 2>/dev/null
is $? 2 "a second start in the same directory is refused"

pid2=$(cat "$D/node-2.pid")
like "$("$JDPCTL" kill 2 -d "$D")" "^killed node 2 \\(pid $pid2\\)" "kill reports the node and pid"
ok $(! healthy 2; echo $?) "node 2 no longer answers"
"$JDPCTL" kill 2 -d "$D" 2>/dev/null
is $? 2 "killing a dead node exits 2"
like "$("$JDPCTL" restart 2 -d "$D")" "^restarted node 2" "restart starts it again"
record_pids
ok $(healthy 2; echo $?) "node 2 answers again"
is "$(grep -c 'started as peer' "$D/log/node-2.summary.log")" 2 "twice (before the kill and after the restart)"

is "$("$JDPCTL" cluster stop -d "$D")" "stopped 4 nodes" "cluster stop stops every node"
for i in 0 1 2 3; do
	ok $(! healthy $i; echo $?) "node $i is down"
done
is "$("$JDPCTL" cluster stop -d "$D")" "stopped 0 nodes" "stopping again is harmless"

done_testing
