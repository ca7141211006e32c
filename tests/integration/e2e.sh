#!/bin/bash
# e2e.sh: the whole path with real daemons on loopback: gateway, leader,
# followers and the runner. A request sent before any peer is up, the HTTP
# contract and its error cases, /v1/run (stdin, timeout, jdpctl submit), the
# cache and its clearing on a leader change, 100 concurrent distinct
# requests, and a follower and a leader each killed during a 3-second job
# (docs/WORK.md).
. "$(dirname "$0")/lib.sh"

JAR="$top_builddir/jdp-runner.jar"
[ -f "$JAR" ] || skip_all "no $JAR (built by make)"
command -v java >/dev/null || skip_all "no java"

# Five peers: a quorum (3) survives the two kills below.
NPEERS=5
make_cluster $NPEERS "runner-jar $JAR" "job-timeout 10s" "request-wait 60s" \
	"max-body 64K" "run-pool 1"
JOBS="$T/jobs"
mkdir -p "$JOBS"

sandbox_probe

# job NAME BODY: a classic job class NAME whose run() returns BODY.
job() {
	printf 'public class %s {\n\tpublic String run() {\n\t\treturn "%s";\n\t}\n}\n' \
		"$1" "$2" >"$JOBS/$1.java"
}

# slow NAME BODY: the same after sleeping 3 s.
slow() {
	printf 'public class %s {\n\tpublic String run() throws Exception {\n\t\tThread.sleep(3000);\n\t\treturn "%s";\n\t}\n}\n' \
		"$1" "$2" >"$JOBS/$1.java"
}

# post FILE [CONTENT-TYPE]: POST FILE to /compileandrun (default type
# text/x-java-source); prints the body, and leaves the status in $T/code and
# the headers in $T/headers.
post() {
	curl -s --max-time 60 -D "$T/headers" -o "$T/body" -w '%{http_code}' \
		-H "Content-Type: ${2-text/x-java-source}" --data-binary @"$1" \
		"$GW/compileandrun" >"$T/code"
	cat "$T/body"
}

header() {
	tr -d '\r' <"$T/headers" | sed -n "s/^$1: //Ip"
}

# jobs_started: "from leader" lines in every peer's summary log.
jobs_started() {
	cat "$T"/log/node-[1-9]*.summary.log 2>/dev/null | grep -c 'from leader \['
}

# runner_of COUNT: the id of the peer whose log shows job number COUNT+1.
runner_of() {
	for _i in $(seq 1 $NPEERS); do
		[ "$(node_pid "$_i")" ] || continue
		if grep -q 'from leader \[' "$T/log/node-$_i.summary.log" 2>/dev/null &&
			[ "$(grep -c 'from leader \[' "$T/log/node-$_i.summary.log")" -gt \
				"$(eval echo "\${before_$_i:-0}")" ]; then
			echo "$_i"
			return 0
		fi
	done
	return 1
}

snapshot() {
	for _i in $(seq 1 $NPEERS); do
		eval "before_$_i=$(grep -c 'from leader \[' "$T/log/node-$_i.summary.log" 2>/dev/null)"
	done
}

# --- A request sent before any peer is up is answered once they are.
start_node 0
wait_for 10 healthy 0
ok $? "the gateway is up alone"
job Early "early bird"
post "$JOBS/Early.java" >"$T/early.out" &
early=$!
wait_for 10 grep -q 'request .* (compileandrun)' "$T/log/node-0.verbose.log"
ok $? "the gateway holds the request"
for i in $(seq 1 $NPEERS); do
	start_node "$i"
done
wait "$early"
is "$(cat "$T/early.out")" "early bird" "a request sent before any peer is up is answered"
wait_for 20 has_leader
ok $? "a leader is elected"
like "$(get "$GW/cluster-info")" "Server 0 - OBSERVER" "the gateway observes"

# --- The classic contract.
job Hello "Hello 42"
is "$(post "$JOBS/Hello.java")" "Hello 42" "200 and exactly run()'s text"
is "$(cat "$T/code")" 200 "status 200"
is "$(header Cached-Response)" false "first answer: Cached-Response: false"
is "$(post "$JOBS/Hello.java")" "Hello 42" "the repeat has the same body"
is "$(header Cached-Response)" true "repeat: Cached-Response: true"

body=$(post "$JOBS/Hello.java" text/plain)
is "$(cat "$T/code")" 400 "wrong Content-Type: 400"
is "$body" 'Content-Type must be "text/x-java-source"' "wrong Content-Type: the classic body"
is "$(header Cached-Response)" false "and Cached-Response: false"
post "$JOBS/Hello.java" "" >/dev/null
is "$(cat "$T/code")" 400 "no Content-Type: 400"
post "$JOBS/Hello.java" 'TEXT/X-Java-Source; charset=utf-8' >/dev/null
is "$(cat "$T/code")" 200 "the media type is case-insensitive and takes parameters"
code=$(curl -s -D "$T/headers" -o /dev/null -w '%{http_code}' "$GW/compileandrun")
is "$code" 405 "GET /compileandrun: 405"
is "$(header Allow)" POST "with Allow: POST"
is "$(header Cached-Response)" false "and Cached-Response"

body=$(post "$top_srcdir/tests/data/jobs/Broken.java")
is "$(cat "$T/code")" 400 "a compile error is a 400"
is "$(printf '%s\n' "$body" | head -n 1)" "Code did not compile:" "with the classic first line"
body=$(post "$top_srcdir/tests/data/jobs/Throws.java")
is "$(cat "$T/code")" 400 "a run-time exception is a 400"
is "$(printf '%s\n' "$body" | head -n 1)" "Could not create and run instance of class" \
	"with the classic first line"
head -c 100000 /dev/zero | tr '\0' x >"$T/big.java"
post "$T/big.java" >/dev/null
is "$(cat "$T/code")" 413 "a body over max-body: 413"
is "$(curl -s -o /dev/null -w '%{http_code}' "$GW/nowhere")" 404 "other paths: 404"
is "$(get "$GW/health")" ok "/health on the public port"

# --- /v1/run
json=$(curl -s --max-time 60 -H 'Content-Type: application/json' \
	--data '{"source": "public class J { public String run() { return \"json!\"; } }"}' \
	"$GW/v1/run")
like "$json" '"status":"ok"' "/v1/run: status ok"
like "$json" '"result":"json!"' "/v1/run: the result"
like "$json" '"node":[1-9]' "/v1/run: the node that ran it"
like "$json" '"timings":\{"compile_ms":[0-9]+,"run_ms":[0-9]+' "/v1/run: timings"
json=$(curl -s -w '%{http_code}' -o "$T/body" -H 'Content-Type: application/json' \
	--data '{"nosource":1}' "$GW/v1/run")
is "$json" 400 "/v1/run: a missing source is a 400"
like "$(cat "$T/body")" '"error":.*source' "naming the field"

# --- /v1/run's stdin and timeout; the cache tells stdins apart.
# v1 JSON: POST JSON to /v1/run; prints the answer, the status in $T/code.
v1() {
	curl -s --max-time 60 -o "$T/body" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data "$1" "$GW/v1/run" >"$T/code"
	cat "$T/body"
}
ECHO='public class E { public static void main(String[] a) throws Exception { System.in.transferTo(System.out); } }'
json=$(v1 "{\"source\":\"$ECHO\",\"stdin\":\"one\\ntwo\"}")
like "$json" '"status":"ok","result":"one\\ntwo"' "/v1/run: main() reads the stdin given"
like "$json" '"cached":false' "... not cached"
json=$(v1 "{\"source\":\"$ECHO\",\"stdin\":\"three\"}")
like "$json" '"result":"three".*"cached":false' "the same source with another stdin is not a cache hit"
json=$(v1 "{\"source\":\"$ECHO\",\"stdin\":\"one\\ntwo\"}")
like "$json" '"result":"one\\ntwo".*"cached":true' "the same source and stdin is"
json=$(v1 "{\"source\":\"$ECHO\"}")
like "$json" '"status":"ok","result":""' "no stdin: System.in is empty"
json=$(v1 '{"source": "public class J { public String run() { return \"json!\"; } }", "timeout": 3600}')
like "$json" '"result":"json!".*"cached":true' "a timeout above job-timeout is job-timeout (same cache entry)"
SLEEP='public class S { public String run() throws Exception { Thread.sleep(5000); return null; } }'
json=$(v1 "{\"source\":\"$SLEEP\",\"timeout\":1}")
like "$json" '"status":"timeout","result":"Time limit exceeded \(1 s\)"' "/v1/run: timeout 1 s applies and names itself"
json=$(v1 "{\"source\":\"$SLEEP\",\"timeout\":0.0001}")
like "$json" '"result":"Time limit exceeded \(1 ms\)"' "/v1/run: timeout 0.0001 s is 1 ms, not job-timeout"
for t in 0 -1 '"soon"'; do
	v1 "{\"source\":\"$ECHO\",\"timeout\":$t}" >/dev/null
	is "$(cat "$T/code")" 400 "/v1/run: timeout $t is a 400"
done
like "$(cat "$T/body")" '"error":"\\"timeout\\" must be a number of seconds"' "naming the field"
printf 'from jdpctl\n' >"$T/in.txt"
is "$("$JDPCTL" submit -g "$GW" "$top_srcdir/tests/data/jobs/Echo.java" --stdin - <"$T/in.txt")" \
	"from jdpctl" "jdpctl submit --stdin - sends its own stdin"
is "$("$JDPCTL" submit -g "$GW" "$top_srcdir/tests/data/jobs/Echo.java" --stdin "$T/in.txt" </dev/null)" \
	"from jdpctl" "jdpctl submit --stdin FILE"
out=$("$JDPCTL" submit -g "$GW" "$top_srcdir/tests/data/jobs/Sleeper.java" --timeout 0.5 2>&1)
is "$?" 1 "jdpctl submit --timeout 0.5: a job error"
is "$out" "Time limit exceeded (500 ms)" "with the sub-second limit in its text"
"$JDPCTL" submit -g "$GW" "$JOBS/Hello.java" --timeout never 2>/dev/null
is "$?" 2 "jdpctl submit --timeout never: a usage error"
"$JDPCTL" submit -g "$GW" "$JOBS/Hello.java" --stdin "$T/none" 2>/dev/null
is "$?" 2 "jdpctl submit --stdin with no such file: a usage error"

# --- 100 concurrent distinct requests, each gets exactly its own body.
for i in $(seq 1 100); do
	job "C$i" "answer-$i"
done
for i in $(seq 1 100); do
	curl -s --max-time 300 -H 'Content-Type: text/x-java-source' \
		-w '%{http_code} %{time_total}s\n' -o "$T/c$i.out" \
		--data-binary @"$JOBS/C$i.java" "$GW/compileandrun" >"$T/c$i.code" &
	cpids="$cpids $!"
done
wait $cpids
good=0
for i in $(seq 1 100); do
	if [ "$(cat "$T/c$i.out")" = "answer-$i" ]; then
		good=$((good + 1))
	else
		echo "# request $i: $(cat "$T/c$i.code") $(head -c 200 "$T/c$i.out")"
	fi
done
is "$good" 100 "100 concurrent distinct requests each get their own body"
spread=0
for i in $(seq 1 $NPEERS); do
	[ "$i" = "$(leader)" ] && continue
	n=$(grep -c 'from leader \[' "$T/log/node-$i.summary.log")
	[ "$n" -ge 20 ] && spread=$((spread + 1))
done
is "$spread" $((NPEERS - 1)) "round robin: every follower ran its share"
like "$(get "$GW/metrics")" 'jdp_cache_hits_total [1-9]' "/metrics counts cache hits"

# --- A follower killed during a 3-second job.
slow SlowF "survived a follower"
snapshot
post "$JOBS/SlowF.java" >"$T/slowf.out" &
p=$!
wait_for 20 runner_of
victim=$(runner_of)
ok $? "the slow job started on follower $victim"
kill_node "$victim"
wait "$p"
is "$(cat "$T/slowf.out")" "survived a follower" "follower killed mid-job: the right answer"
wait_for 10 sh -c "! curl -sf '$GW/cluster-info' | grep -q 'Server $victim '"
ok $? "the dead follower leaves /cluster-info"

# --- A leader killed during a 3-second job.
old=$(leader)
slow SlowL "survived a leader"
snapshot
post "$JOBS/SlowL.java" >"$T/slowl.out" &
p=$!
wait_for 20 runner_of
ok $? "the slow job started on follower $(runner_of)"
started=$(jobs_started)
kill_node "$old"
wait "$p"
is "$(cat "$T/slowl.out")" "survived a leader" "leader killed mid-job: the right answer"
new=$(leader)
ok $([ -n "$new" ] && [ "$new" != "$old" ]; echo $?) "a new leader ($new) replaced $old"
like "$(cat "$T/log/node-$new.summary.log")" NEW_LEADER_GETTING_LAST_WORK \
	"the new leader collected last work"
is "$(jobs_started)" "$started" "the job was not run a second time"

# --- After a leader change the cache starts cold.
is "$(post "$JOBS/Hello.java")" "Hello 42" "the cached job after the change"
is "$(header Cached-Response)" false "after a leader change: Cached-Response: false"
post "$JOBS/Hello.java" >/dev/null
is "$(header Cached-Response)" true "and cached again afterwards"

done_testing
