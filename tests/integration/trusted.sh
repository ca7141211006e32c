#!/bin/bash
# trusted.sh: a small cluster in trusted mode (job-mode trusted: jobs run
# inside each follower's compile server JVM). /compileandrun answers run()
# and main() jobs, compile and run-time errors with the classic texts; 20
# concurrent jobs with the same class name each get their own answer; the
# mode shows in /cluster-info and /metrics, no run JVM is ever started, and
# every peer warned at start.
. "$(dirname "$0")/lib.sh"

JAR="$top_builddir/jdp-runner.jar"
[ -f "$JAR" ] || skip_all "no $JAR (built by make)"
command -v java >/dev/null || skip_all "no java"

make_cluster 2 "runner-jar $JAR" "job-mode trusted" "job-timeout 10s" \
	"request-wait 60s"
sandbox_probe
JOBS="$T/jobs"
mkdir -p "$JOBS"
for i in 0 1 2; do
	start_node "$i"
done
wait_for 30 has_leader
ok $? "a leader is elected"

# post FILE: POST FILE to /compileandrun; the body, the status in $T/code.
post() {
	curl -s --max-time 60 -o "$T/body" -w '%{http_code}' \
		-H "Content-Type: text/x-java-source" --data-binary @"$1" \
		"$GW/compileandrun" >"$T/code"
	cat "$T/body"
}

D="$top_srcdir/tests/data/jobs"
is "$(post "$D/Hello.java")" "Hello 42" "run(): exactly its text"
is "$(cat "$T/code")" 200 "status 200"
is "$(post "$D/MainJob.java")" "sorted [a, b, c]
done" "main(): what it printed"
body=$(post "$D/Broken.java")
is "$(cat "$T/code"):$(printf '%s\n' "$body" | head -n 1)" \
	"400:Code did not compile:" "a compile error: 400, the classic text"
body=$(post "$D/Throws.java")
is "$(cat "$T/code"):$(printf '%s\n' "$body" | head -n 2 | tr '\n' ' ')" \
	"400:Could not create and run instance of class java.lang.IllegalStateException: boom " \
	"a run-time exception: 400, the classic text"
like "$body" "at Throws\.run\(Throws\.java:3\)" "with the job's stack"

# 20 jobs at once, all of class Job with a static counter: each answers
# its own number once.
for i in $(seq 1 20); do
	printf 'public class Job {\n\tstatic int n;\n\tpublic String run() {\n\t\treturn "job %d " + (++n);\n\t}\n}\n' \
		"$i" >"$JOBS/J$i.java"
done
cpids=""
for i in $(seq 1 20); do
	curl -s --max-time 120 -H 'Content-Type: text/x-java-source' \
		-o "$T/j$i.out" --data-binary @"$JOBS/J$i.java" \
		"$GW/compileandrun" &
	cpids="$cpids $!"
done
wait $cpids
good=0
for i in $(seq 1 20); do
	[ "$(cat "$T/j$i.out")" = "job $i 1" ] && good=$((good + 1))
done
is "$good" 20 "20 concurrent jobs of the same class each get their own answer"

like "$(get "$GW/cluster-info?format=json")" '"job_mode":"trusted"' \
	"/cluster-info shows the job mode"
for i in 1 2; do
	m=$(get "$(node_url "$i")/metrics")
	like "$m" '^jdp_runner_job_mode\{mode="trusted"\} 1$' \
		"peer $i: /metrics shows the job mode"
	like "$m" '^jdp_runner_jvm_starts_total 0$' "peer $i: no run JVM started"
	grep -q 'job-mode trusted: jobs run inside the compile server' \
		"$T/log/node-$i.summary.log"
	ok $? "peer $i warned at start"
done
done_testing
