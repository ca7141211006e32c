#!/bin/bash
# security.sh: the optional bearer token for jobs (api-token-file), and an
# attacker on the cluster network: votes forged without the key, votes from
# an id that is not a member, and real datagrams captured and replayed. None
# of them may change anything but the drop counters (docs/RELIABILITY.md).
# Strangers on the leader's work port (idle connections over its budget, a
# 64 MiB frame trickled) are closed and counted while jobs are served
# (docs/WORK.md).
. "$(dirname "$0")/lib.sh"

JAR="$top_builddir/jdp-runner.jar"
FORGE="$top_builddir/tests/forge"
[ -f "$JAR" ] || skip_all "no $JAR (built by make)"
[ -x "$FORGE" ] || skip_all "no $FORGE (built by make check)"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"

# Four peers configured, three started: node 4's address is where the
# attacker listens, so it receives what the cluster sends to node 4.
make_cluster 4 "runner-jar $JAR" "api-token-file $T/api.token" "run-pool 1"
sandbox_probe

# A gateway refuses to start with a bad token file, saying why.
echo short >"$T/api.token"
out=$("$JDPD" -c "$T/jdp.conf" -i 0 -f 2>&1)
is $? 1 "a token of 5 characters: jdpd exits 1"
like "$out" "api-token-file $T/api.token: the token must be one line of 16" \
	"and says what a token must be"
rm -f "$T/api.token"
like "$("$JDPD" -c "$T/jdp.conf" -i 0 -f 2>&1)" \
	"api-token-file $T/api.token: No such file or directory" \
	"a missing token file is named"

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN" >"$T/api.token"
"$FORGE" capture $((BASE + 40)) 8000 "$T/captured" >"$T/ncaptured" &
CAPTURE=$!
for i in 3 2 1 0; do
	start_node "$i"
done

leads() {
	for _i in 0 1 2 3; do
		get "$(node_url "$_i")/cluster-info?format=json" |
		    grep -q '"leader":3,"epoch":0,' || return 1
	done
}
wait_for 30 leads
ok $? "3 peers and the gateway agree on leader 3 in epoch 0"

JOB="$T/Token.java"
printf 'public class Token {\n\tpublic String run() {\n\t\treturn "let in";\n\t}\n}\n' >"$JOB"

# post [AUTHORIZATION]: POST the job to /compileandrun; the status code,
# then the body on the next lines; headers in $T/headers.
post() {
	curl -s --max-time 60 -D "$T/headers" -w '%{http_code}\n' -o "$T/body" \
	    -H "Content-Type: text/x-java-source" ${1:+-H "Authorization: $1"} \
	    --data-binary @"$JOB" "$GW/compileandrun"
	cat "$T/body"
}

like "$(post)" '^401
a bearer token is required' "/compileandrun without a token: 401 and why"
grep -qi '^WWW-Authenticate: Bearer realm="jdp"' "$T/headers"
ok $? "with a WWW-Authenticate challenge"
like "$(post "Bearer wrong-token-of-enough-length")" '^401' "a wrong token: 401"
like "$(post "Basic $TOKEN")" '^401' "the right token in another scheme: 401"
is "$(post "Bearer $TOKEN")" "200
let in" "the right token: the job's answer"
is "$(post "bearer  $TOKEN")" "200
let in" "the scheme in any case, spaces before the token"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Content-Type: application/json" \
	--data '{"source":"x"}' "$GW/v1/run")
is "$code" 401 "/v1/run without a token: 401"
like "$(cat "$T/body")" '^\{"error":"a bearer token is required' "as JSON"
healthy 0
ok $? "/health needs no token"
like "$(get "$GW/cluster-info")" "Server 3 - LEADER" "nor /cluster-info"
like "$(get -H "Authorization: Bearer $TOKEN" "$GW/metrics")" \
	'jdp_gateway_refused_total\{reason="unauthorized"\} 4' \
	"/metrics counts the 4 refusals"

out=$(JDP_GATEWAY=$GW "$JDPCTL" submit "$JOB" 2>&1)
is $? 2 "jdpctl submit without JDP_TOKEN exits 2"
like "$out" "wants a bearer token: set JDP_TOKEN" "and says to set JDP_TOKEN"
is "$(JDP_GATEWAY=$GW JDP_TOKEN=$TOKEN "$JDPCTL" submit "$JOB")" "let in" \
	"with JDP_TOKEN it prints the answer"

# drops ID: node ID's drop counters, "REASON=N" per line.
drops() {
	get "$(node_url "$1")/metrics" |
	    sed -n 's/^jdp_cluster_dropped_total{reason="\([a-z_]*\)"} /\1=/p'
}
# dropped ID REASON: one counter.
dropped() {
	drops "$1" | sed -n "s/^$2=//p"
}
state() {
	for _i in 0 1 2 3; do
		get "$(node_url "$_i")/cluster-info?format=json" |
		    sed 's/"heartbeat":[0-9]*//g; s/"last_heard_ms":[0-9]*//g' |
		    grep -o '"leader":[0-9]*,"epoch":[0-9]*'
		get "$(node_url "$_i")/cluster-info"
	done
}
before=$(state)

# Forged without the key: "4 leads epoch 99", to every node.
for i in 0 1 2 3; do
	eval "tag_$i=$(dropped "$i" tag)"
	"$FORGE" vote - 4 99 $((BASE + 10 * i)) >/dev/null
done
forged() {
	for _i in 0 1 2 3; do
		[ "$(dropped "$_i" tag)" -eq $(($(eval echo "\$tag_$_i") + 1)) ] ||
		    return 1
	done
}
wait_for 10 forged
ok $? "a vote signed with another key is dropped by every node as a bad tag"

# Signed with the key, from an id that is not in the configuration.
s1=$(dropped 1 unknown_sender)
"$FORGE" vote "$T/cluster.key" 42 99 $((BASE + 10)) >/dev/null
wait_for 10 eval '[ "$(dropped 1 unknown_sender)" -eq $((s1 + 1)) ]'
ok $? "a vote from id 42 (no such member) is dropped as an unknown sender"

# Real datagrams, byte for byte, a few seconds late.
wait "$CAPTURE"
n=$(cat "$T/ncaptured")
[ "$n" -gt 0 ]
ok $? "captured $n datagrams the cluster sent to node 4"
r1=$(($(dropped 1 replay) + $(dropped 1 unknown_sender)))
r0=$(($(dropped 0 replay) + $(dropped 0 unknown_sender)))
# refused ID: node ID's replay and unknown-sender drops.
refused() {
	echo $(($(dropped "$1" replay) + $(dropped "$1" unknown_sender)))
}
# replay_to ID PORT: replay the capture in batches, each one counted by
# node ID before the next is sent, so that a node the scheduler keeps
# waiting never has more than a batch in its socket buffer (the kernel
# would drop the rest, uncounted); prints how many were sent.
replay_to() {
	_sent=0
	_first=0
	while [ "$_first" -lt "$n" ]; do
		_before=$(refused "$1")
		_k=$("$FORGE" replay "$T/captured" "$2" "$_first" 10)
		_sent=$((_sent + _k))
		wait_for 10 eval '[ "$(refused '"$1"')" -ge $((_before + _k)) ]' ||
		    break
		_first=$((_first + 10))
	done
	echo "$_sent"
}
is "$(replay_to 1 $((BASE + 10)))" "$n" "replayed to node 1"
is "$(replay_to 0 "$BASE")" "$n" "and to the gateway"
replayed() {
	[ $(($(dropped 1 replay) + $(dropped 1 unknown_sender))) -eq $((r1 + n)) ] &&
	    [ $(($(dropped 0 replay) + $(dropped 0 unknown_sender))) -eq $((r0 + n)) ]
}
wait_for 10 replayed
ok $? "every replayed datagram is dropped (old sequence, or node 1's own)"

is "$(state)" "$before" "leader, epoch and /cluster-info are what they were"
healthy 1 && healthy 0
ok $? "and the nodes still serve"

# The public port's logs and metrics need the token too (the node port,
# on the cluster network, does not: docs/WORK.md).
# code PATH [AUTHORIZATION]: the status of GET PATH on the public port.
code() {
	curl -s --max-time 10 -o "$T/body" -D "$T/headers" -w '%{http_code}' \
	    ${2:+-H "Authorization: $2"} "$GW$1"
}
for p in /logs/verbose /logs/summary /metrics "/logs/verbose?tail=5"; do
	is "$(code "$p")" 401 "GET $p on the public port without a token: 401"
	grep -qi '^WWW-Authenticate: Bearer realm="jdp"' "$T/headers"
	ok $? "with a WWW-Authenticate challenge"
	is "$(code "$p" "Bearer wrong-token-of-enough-length")" 401 \
	    "with a wrong token: 401"
	is "$(code "$p" "Bearer $TOKEN")" 200 "with the token: 200"
done
like "$(cat "$T/body")" "\[0\]:" "and the answer is node 0's log"
is "$(code /logs/nosuch "Bearer $TOKEN")" 404 "an unknown path with the token: 404"
is "$(code /health)" 200 "/health still needs no token"
is "$(code /cluster-info)" 200 "nor /cluster-info"
is "$(code "/cluster-info?format=json")" 200 "nor its JSON"
# node 0's node port (port+3) still answers operators' tools without one.
is "$(curl -s -o /dev/null -w '%{http_code}' "$(node_url 0)/logs/summary?tail=1")" \
	200 "the node port serves logs without a token"
out=$("$JDPCTL" logs 0 -g "$GW" 2>&1 | tail -n 1)
like "$out" "\[0\]:" "jdpctl logs 0 reads the node port's log"
out=$(JDP_TOKEN=$TOKEN "$JDPCTL" logs 0 -g "$GW" 2>&1 | tail -n 1)
like "$out" "\[0\]:" "and with JDP_TOKEN set too"

unauth='jdp_work_unauthenticated_closed_total{reason="\([a-z_]*\)"}'
"$FORGE" workflood $((BASE + 32)) 200 20000 >"$T/flood" &
FLOOD=$!
printf 'public class Flood {\n\tpublic String run() {\n\t\treturn "served";\n\t}\n}\n' >"$JOB"
is "$(post "Bearer $TOKEN")" "200
served" "a new job is served while strangers flood the leader's work port"
healthy 3
ok $? "and the leader answers on its HTTP port"
wait "$FLOOD"
is "$(cat "$T/flood")" "200 1" \
	"the leader closed all 200 idle connections and the trickled 64 MiB frame"
m=$(get "$(node_url 3)/metrics" | sed -n "s/^$unauth /\1=/p")
like "$m" "evicted=[1-9]" "the idle ones beyond the budget were evicted"
like "$m" "handshake_timeout=[1-9]" "the rest timed out without a good frame"
like "$m" "oversize=1" "the 64 MiB frame was refused as oversize"

done_testing
