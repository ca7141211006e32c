#!/bin/bash
# demo.sh: the classic demo as a script. Seven peers and a gateway on
# loopback; wait for a leader and print the roles; nine requests and their
# answers; kill -9 a follower and watch it leave /cluster-info; kill -9 the
# leader, send nine requests in the background, print the new leader and
# all nine answers; one more request; list the verbose logs; shut down.
#
# It prints TAP for `make check`, and the story to the screen and to
# output.log (DEMO_LOG overrides the path). By hand, from a build tree:
#	top_builddir=$PWD tests/integration/demo.sh
# (or with top_srcdir and top_builddir set when building out of tree).
. "$(dirname "$0")/lib.sh"

OUT=${DEMO_LOG:-output.log}
: >"$OUT"
JAR="$top_builddir/jdp-runner.jar"
[ -f "$JAR" ] || skip_all "no $JAR (built by make)"

# say TEXT...: the story, on the screen (as TAP comments) and in $OUT.
say() {
	printf '%s\n' "$*" >>"$OUT"
	printf '# %s\n' "$*"
}

# show CMD...: run CMD and tell its output.
show() {
	"$@" 2>&1 | while IFS= read -r _l; do say "    $_l"; done
}

make_cluster 7 "runner-jar $JAR" "run-pool 1" "job-timeout 10s"
sandbox_probe
mkdir -p "$T/jobs"

# job N: a class whose run() answers "Hello from job N".
job() {
	printf 'public class Job%s {\n\tpublic String run() {\n\t\treturn "Hello from job %s";\n\t}\n}\n' \
		"$1" "$1" >"$T/jobs/Job$1.java"
}

# request N: POST job N; prints its answer (headers in $T/headers-N).
request() {
	curl -s --max-time 60 -D "$T/headers-$1" \
		-H 'Content-Type: text/x-java-source' \
		--data-binary @"$T/jobs/Job$1.java" "$GW/compileandrun"
}

# node_of N: the follower that ran job N.
node_of() {
	tr -d '\r' <"$T/headers-$1" | sed -n 's/^X-Jdp-Node: //p'
}

say "== Starting the gateway (node 0, $GW) and 7 peers"
start_node 0
for i in 1 2 3 4 5 6 7; do
	start_node "$i"
done
wait_for 30 has_leader
ok $? "a leader is elected"
L=$(leader)
say "== Roles (GET /cluster-info):"
show get "$GW/cluster-info"
is "$(get "$GW/cluster-info" | grep -c '^Server ')" 8 "eight nodes are listed"

say "== Nine requests"
good=0
for i in 1 2 3 4 5 6 7 8 9; do
	job "$i"
	a=$(request "$i")
	say "    job $i -> $a (follower $(node_of "$i"))"
	[ "$a" = "Hello from job $i" ] && good=$((good + 1))
done
is "$good" 9 "nine requests, nine right answers"

F=""
for i in 1 2 3 4 5 6 7; do
	[ "$i" != "$L" ] && { F=$i; break; }
done
say "== kill -9 follower $F"
kill_node "$F"
gone() {
	! get "$GW/cluster-info" | grep -q "^Server $F "
}
wait_for 20 gone
ok $? "follower $F is gone from /cluster-info"
show get "$GW/cluster-info"

say "== kill -9 leader $L, then nine requests in the background"
kill_node "$L"
for i in 10 11 12 13 14 15 16 17 18; do
	job "$i"
	request "$i" >"$T/answer-$i" &
	bg="$bg $!"
done
wait $bg
N=$(leader)
say "== The new leader is $N"
ok $([ -n "$N" ] && [ "$N" != "$L" ]; echo $?) "a new leader replaced $L"
show get "$GW/cluster-info"
good=0
for i in 10 11 12 13 14 15 16 17 18; do
	a=$(cat "$T/answer-$i")
	say "    job $i -> $a (follower $(node_of "$i"))"
	[ "$a" = "Hello from job $i" ] && good=$((good + 1))
done
is "$good" 9 "all nine requests sent across the failover are answered right"

say "== One more request"
job 19
a=$(request 19)
say "    job 19 -> $a (follower $(node_of 19))"
is "$a" "Hello from job 19" "the cluster keeps serving"

say "== The verbose logs"
show ls -l "$T"/log/
is "$(ls "$T"/log/*.verbose.log | wc -l)" 8 "every node wrote a verbose log"

say "== Shutting down"
st=0
for i in 0 1 2 3 4 5 6 7; do
	[ -n "$(node_pid "$i")" ] || continue
	kill_node "$i" TERM || st=1
done
ok $st "every surviving node stops cleanly on SIGTERM"
say "(the story is in $OUT)"

done_testing
