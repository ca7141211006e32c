#!/bin/bash
# hostile.sh: bad clients cannot hurt the gateway. A gateway with a lowered
# descriptor limit and two peers on loopback; tests/hostile attacks the
# public port, three rounds of: a thousand idle connections (more than the
# gateway's connection budget), slowloris heads, huge heads and request
# lines, garbage, and a connection flood up to the attacker's descriptor
# limit. During every attack a well-behaved client still gets GET /health
# and a new job's answer. Every attacking connection is closed by the
# server (none is left for the attacker to close) and counted in /metrics:
# idle or evicted, or answered 408, 400, 414 or 431. Afterwards the
# gateway's descriptors are back to their baseline; during the flood they
# stayed within the budget, accept() never ran out of descriptors and the
# gateway did not spin; its memory does not grow from round to round.
# Before that, jobs attack the peers: forged control records and a javac
# stack overflow, each followed by an ordinary job.
. "$(dirname "$0")/lib.sh"

HOSTILE="$top_builddir/tests/hostile"
JAR="$top_builddir/jdp-runner.jar"
[ -x "$HOSTILE" ] || skip_all "no $HOSTILE (built by make check)"
[ -f "$JAR" ] || skip_all "no $JAR (built by make)"
command -v java >/dev/null || skip_all "no java"
[ -r /proc/self/stat ] || skip_all "no /proc"

GW_FDS=1024 # the gateway's descriptor limit
ROUNDS=${ROUNDS:-3}
# The gateway's RSS after a round (once all its connections are closed)
# may grow at most this many kB from round 1 to the last: the first round
# sets the allocator's high-water mark, a leak would add to it every round.
RSS_MARGIN=2048
# ASan's quarantine holds freed memory back; without it RSS shows what the
# gateway keeps, not what ASan delays.
export ASAN_OPTIONS="detect_leaks=0:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"

make_cluster 2 "runner-jar $JAR" "run-pool 1" "job-timeout 10s" \
	"request-wait 60s" "client-timeout 1s"
sandbox_probe
PORT=$((BASE + 5))
mkdir -p "$T/jobs"

# Only the gateway runs with few descriptors, so that its limit is a
# second's work away; the attacker gets more than it.
FDS=$(ulimit -Sn)
ulimit -Sn $GW_FDS || skip_all "cannot lower the descriptor limit"
start_node 0
ulimit -Sn "$FDS"
start_node 1
start_node 2
GWPID=$(node_pid 0)
is "$(sed -n 's/^Max open files *\([0-9]*\).*/\1/p' /proc/$GWPID/limits)" \
	$GW_FDS "the gateway runs with $GW_FDS descriptors"

# post NAME: a new job NAME whose run() returns "answer NAME"; prints the
# answer (60 s at most: a connection may wait its turn in the backlog).
post() {
	printf 'public class %s {\n\tpublic String run() {\n\t\treturn "answer %s";\n\t}\n}\n' \
		"$1" "$1" >"$T/jobs/$1.java"
	curl -s --max-time 60 -H "Content-Type: text/x-java-source" \
		--data-binary @"$T/jobs/$1.java" "$GW/compileandrun"
}

# normal NAME: a well-behaved client is served.
normal() {
	is "$(get --max-time 60 "$GW/health")" ok "$1: GET /health is answered"
	is "$(post "$1")" "answer $1" "$1: POST /compileandrun is answered"
}

fds() {
	ls /proc/"$GWPID"/fd | wc -l
}

fds_back() {
	[ "$(fds)" -le "$BASE_FDS" ]
}

rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/"$GWPID"/status
}

# cpu: the gateway's user + system time so far, in clock ticks.
cpu() {
	sed 's/^.*) //' /proc/"$GWPID"/stat | awk '{ print $12 + $13 }'
}

# snap FILE: the gateway's /metrics; m FILE NAME: one of its public port's
# (0 if missing).
snap() {
	get "$GW/metrics" >"$1"
}
m() {
	awk -v n="jdp_public_http_$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"
}

# delta NAME: how much a counter rose during the last attack.
delta() {
	echo $(($(m "$T/after" "$1") - $(m "$T/before" "$1")))
}

# val KEY: a value from the last attack's summary line.
val() {
	printf ' %s\n' "$R" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"
}

has_leader() {
	get "$GW/cluster-info" | grep -q -- '- LEADER$'
}

one_conn() {
	snap "$T/before" && [ "$(m "$T/before" connections)" = 1 ]
}

wait_for 30 has_leader
ok $? "a leader is elected"
normal warmup

# Jobs as attackers (issue 13): a job forging records on the harness's
# control channel (70 MiB claimed; 200000 tiny ones) and a source that
# overflows javac's stack get an error that says so, within
# job-output-max, no peer dies, and the next job is served.
D="$top_srcdir/tests/data/jobs"
{
	printf 'public class Deep {\n\tpublic String run() {\n\t\treturn "" + '
	head -c 100000 /dev/zero | tr '\0' '('
	printf 1
	head -c 100000 /dev/zero | tr '\0' ')'
	printf ';\n\t}\n}\n'
} >"$T/jobs/Deep.java"
for f in "$D/ForgeHuge.java" "$D/ForgeTiny.java" "$T/jobs/Deep.java"; do
	j=$(basename "$f" .java)
	curl -s --max-time 60 -o "$T/$j.body" -H "Content-Type: text/x-java-source" \
		--data-binary @"$f" "$GW/compileandrun"
	case $j in
	Deep) want="^Code did not compile:" ;;
	*) want="the job broke the run harness's protocol" ;;
	esac
	like "$(head -c 300 "$T/$j.body")" "$want" "$j: an error that says so"
	size=$(wc -c <"$T/$j.body")
	ok $((size > 1048576)) "$j: the answer ($size bytes) is within job-output-max"
	for i in 1 2; do
		kill -0 "$(node_pid "$i")" 2>/dev/null
		ok $? "$j: peer $i is alive"
	done
	normal "after$j"
done
# The baseline: nothing open on the public port but the asking connection.
wait_for 10 one_conn
BASE_FDS=$(fds)
MAXC=$(m "$T/before" connections_max)
ok $((MAXC < 1)) "the gateway holds at most $MAXC connections"
echo "# baseline: $BASE_FDS descriptors, $(rss) kB resident"

# attack NAME MODE [N]: run tests/hostile MODE N against the public port;
# once it is up, a normal client is served; then stop it and let the server
# close what is left. Leaves the attacker's summary line in R, and the
# gateway's metrics from before and after in $T/before and $T/after.
attack() {
	_name=$1
	shift
	snap "$T/before"
	(
		ulimit -Sn 4096 2>/dev/null
		exec "$HOSTILE" -i 250 -w 30 127.0.0.1:$PORT "$@"
	) >"$T/$_name.out" 2>"$T/$_name.err" &
	_hp=$!
	wait_for 60 grep -q '^ready' "$T/$_name.out"
	ok $? "$_name: $(head -n 1 "$T/$_name.out")"
	_c0=$(cpu)
	_t0=$(date +%s%N)
	PEAK=$(fds)
	normal "$_name"
	CPU_MS=$((($(cpu) - _c0) * 1000 / $(getconf CLK_TCK)))
	WALL_MS=$((($(date +%s%N) - _t0) / 1000000))
	_f=$(fds)
	[ "$_f" -gt "$PEAK" ] && PEAK=$_f
	kill -USR1 $_hp
	wait $_hp
	R=$(tail -n 1 "$T/$_name.out")
	echo "# $R"
	is "$(val released)" 0 "$_name: the server closed every connection"
	wait_for 30 fds_back
	ok $? "$_name: descriptors back to $BASE_FDS ($(fds))"
	snap "$T/after"
	CLOSED=$(($(delta 'closed_total{reason="idle"}') +
		$(delta 'closed_total{reason="evicted"}')))
	echo "# gateway: ${CPU_MS} ms CPU in ${WALL_MS} ms," \
		"$PEAK descriptors at most, $(rss) kB resident;" \
		"closed $(delta 'closed_total{reason="idle"}') idle," \
		"$(delta 'closed_total{reason="evicted"}') evicted"
}

for round in $(seq 1 $ROUNDS); do
	attack idle$round idle 1000
	is "$CLOSED" "$(val conns)" "idle$round: each closed idle or evicted"
	attack slow$round slowloris 300
	is "$(val status_408)" "$(val conns)" "slow$round: each answered 408"
	is "$(delta 'rejected_total{reason="timeout"}')" "$(val conns)" \
		"slow$round: each counted as a timeout"
	attack huge$round huge 4
	is "$(($(val status_414) + $(val status_431)))" "$(val conns)" \
		"huge$round: each answered 414 or 431"
	is "$(delta 'rejected_total{reason="malformed"}')" "$(val conns)" \
		"huge$round: each counted as malformed"
	attack garbage$round garbage 50
	is "$(val status_400)" "$(val conns)" "garbage$round: each answered 400"
	is "$(delta 'rejected_total{reason="malformed"}')" "$(val conns)" \
		"garbage$round: each counted as malformed"
	attack flood$round flood
	is "$CLOSED" "$(val conns)" "flood$round: each closed idle or evicted"
	# (+1: a new connection is accepted before the one it evicts is
	# closed; +1 for a link the gateway may be reopening meanwhile)
	ok $((PEAK > BASE_FDS + MAXC + 2)) \
		"flood$round: descriptors stayed within the budget ($PEAK)"
	ok $((CPU_MS * 4 > WALL_MS)) \
		"flood$round: the gateway did not spin (${CPU_MS} ms CPU in ${WALL_MS} ms)"
	is "$(grep -c 'http: accept' "$T/log/node-0.summary.log")" 0 \
		"flood$round: accept() never ran out of descriptors"
	eval "RSS_$round=$(rss)"
	echo "# round $round: $(rss) kB resident"
done
grow=$(($(eval echo "\$RSS_$ROUNDS") - RSS_1))
ok $((grow > RSS_MARGIN)) \
	"memory: ${grow} kB more in round $ROUNDS than in round 1 (at most $RSS_MARGIN)"
normal after

done_testing
