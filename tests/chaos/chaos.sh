#!/bin/bash
# chaos.sh [SECONDS]: the fault campaign. A gateway and five peers on
# loopback; WORKERS clients keep distinct jobs in flight while peers, the
# leader more often than the others, are killed with SIGKILL and restarted
# 1-4 s later (never more than two peers down, so a quorum lives). Every
# answer must be exactly its own job's. Prints TAP and one summary line:
#
#	chaos: S s, requests R, kills K (leader L), restarts N, wrong 0,
#	lost 0, retries 0, duplicate executions D (after a kill D1, other D2)
#
# A duplicate execution is a job that started on a follower more than once
# (the "job ID from leader" lines of the peers' summary logs, which survive
# the kills); "after a kill" means the node that ran it before was killed
# since, so the job was run again elsewhere (docs/WORK.md, Chaos).
#
# By hand, from a build tree (CHAOS_SECONDS, CHAOS_WORKERS, CHAOS_KEEP=DIR
# to keep the logs):
#	top_builddir=$PWD CHAOS_SECONDS=1800 tests/chaos/chaos.sh
. "$(dirname "$0")/../integration/lib.sh"

SECS=${1:-${CHAOS_SECONDS:-45}}
WORKERS=${CHAOS_WORKERS:-4}
NPEERS=5
# The run goes on past SECS until it has killed this many peers and leaders.
MIN_KILLS=$((SECS / 10 > 3 ? SECS / 10 : 3))
MIN_LEADER_KILLS=$((MIN_KILLS / 3))
JAR="$top_builddir/jdp-runner.jar"
[ -f "$JAR" ] || skip_all "no $JAR (built by make)"
command -v java >/dev/null || skip_all "no java"

# The accounting below reads whole summary logs: no rotation.
make_cluster $NPEERS "runner-jar $JAR" "run-pool 1" "job-timeout 10s" \
	"request-wait 60s" "log-max-size 0"
sandbox_probe
# The gateway gives up on a request after request-wait + 2 x (job-timeout +
# 2 x failure-timeout) = 88 s; a client waits longer, so that a request the
# cluster dropped shows as a 504, and one it never answers as a 000.
CLIENT_WAIT=150

now_ms() {
	_t=$EPOCHREALTIME
	echo $((${_t%.*} * 1000 + 10#${_t#*.} / 1000))
}

# stamp EPOCHREALTIME: that time as the nodes' logs write it.
stamp() {
	printf '%(%Y-%m-%d %H:%M:%S)T.%.3s' "${1%.*}" "${1#*.}"
}

# job N: the source of job N, "job-N" after sleeping 0-1.5 s.
job() {
	_ms=$(($1 % 3 == 0 ? 0 : 200 + $1 * 337 % 1300))
	printf 'public class J {\n\tpublic String run() throws Exception {\n\t\tThread.sleep(%d);\n\t\treturn "job-%d";\n\t}\n}\n' \
		"$_ms" "$1"
}

# client W: send jobs W, W+WORKERS, ... one at a time until $T/stop exists;
# a line "N CODE RETRIES VERDICT SECONDS SENT-AT" per job in $T/client-W
# (SENT-AT: the time of the first try, as in the nodes' logs). A 503
# with Retry-After (no leader for request-wait, or every runner full) is
# sent again after that many seconds, as DESIGN.md asks of clients.
client() {
	_n=$1
	_d="$T/c$1"
	mkdir -p "$_d"
	while [ ! -e "$T/stop" ]; do
		job "$_n" >"$_d/src"
		_tries=0
		_t0=$EPOCHREALTIME
		: >"$_d/hdr"
		while :; do
			_res=$(curl -s --max-time $CLIENT_WAIT -D "$_d/hdr" \
				-o "$_d/body" -w '%{http_code} %{time_total}' \
				-H 'Content-Type: text/x-java-source' \
				--data-binary @"$_d/src" "$GW/compileandrun")
			_ra=$(tr -d '\r' <"$_d/hdr" | sed -n 's/^Retry-After: //Ip')
			[ "${_res%% *}" = 503 ] && [ -n "$_ra" ] || break
			_tries=$((_tries + 1))
			sleep "$_ra"
		done
		if [ "${_res%% *}" = 200 ] &&
			printf 'job-%d' "$_n" | cmp -s - "$_d/body"; then
			_v=right
		elif [ "${_res%% *}" = 200 ] || [ "${_res%% *}" = 400 ]; then
			_v=wrong
		else
			_v=lost
		fi
		if [ "$_v" != right ]; then
			{
				echo "job $_n: $_res"
				cat "$_d/hdr" "$_d/body"
			} >>"$T/bad"
		fi
		echo "$_n ${_res%% *} $_tries $_v ${_res#* } $(stamp "$_t0")" \
			>>"$T/client-$1"
		_n=$((_n + WORKERS))
	done
}

start_node 0
for i in $(seq 1 $NPEERS); do
	start_node "$i"
done
wait_for 60 has_leader
ok $? "a leader is elected"
for w in $(seq 1 $WORKERS); do
	client "$w" &
	CLIENTS="$CLIENTS $!"
done

# The faults: every 2-5 s kill a peer (the leader one time in two), if
# fewer than two are down or starting; restart each 1-4 s after its death.
kills=0
leader_kills=0
restarts=0
: >"$T/kills"
start=$(now_ms)
end=$((start + SECS * 1000))
hard_end=$((end + SECS * 1000 + 60000))
next_kill=$((start + 2000 + RANDOM % 3000))
while :; do
	t=$(now_ms)
	[ "$t" -ge "$end" ] && [ "$kills" -ge "$MIN_KILLS" ] &&
		[ "$leader_kills" -ge "$MIN_LEADER_KILLS" ] && break
	[ "$t" -ge "$hard_end" ] && break
	for i in $(seq 1 $NPEERS); do
		eval "r=\${RESTART_$i:-}"
		if [ -n "$r" ] && [ "$t" -ge "$r" ]; then
			start_node "$i"
			eval "RESTART_$i="
			restarts=$((restarts + 1))
		fi
	done
	up=""
	if [ "$t" -ge "$next_kill" ]; then
		for i in $(seq 1 $NPEERS); do
			[ -n "$(node_pid "$i")" ] && healthy "$i" && up="$up $i"
		done
	fi
	set -- $up
	if [ $# -gt $((NPEERS - 2)) ]; then
		L=$(leader)
		case " $up " in
		*" $L "*) ;;
		*) L="" ;;
		esac
		if [ -n "$L" ] && [ $((RANDOM % 2)) = 0 ]; then
			v=$L
		else
			shift $((RANDOM % $#))
			v=$1
		fi
		# The kill happens between the two stamps.
		eval "p=\$PID_$v"
		s0=$EPOCHREALTIME
		kill -KILL "$p"
		s1=$EPOCHREALTIME
		kill_node "$v"
		echo "$(stamp "$s0") $(stamp "$s1") [$v]" >>"$T/kills"
		kills=$((kills + 1))
		[ "$v" = "$L" ] && leader_kills=$((leader_kills + 1))
		eval "RESTART_$v=$((t + 1000 + RANDOM % 3000))"
		next_kill=$((t + 2000 + RANDOM % 3000))
	fi
	sleep 0.1
done
touch "$T/stop"
for i in $(seq 1 $NPEERS); do
	if [ -z "$(node_pid "$i")" ]; then
		start_node "$i"
		restarts=$((restarts + 1))
	fi
done
wait $CLIENTS
secs=$((($(now_ms) - start) / 1000))

cat "$T"/client-* >"$T/answers"
requests=$(wc -l <"$T/answers")
wrong=$(grep -c ' wrong ' "$T/answers")
lost=$(grep -c ' lost ' "$T/answers")
retries=$(awk '{ n += $3 } END { print n + 0 }' "$T/answers")
slowest=$(sort -g -k5 "$T/answers" | tail -n 1 | cut -d' ' -f5)

# Executions: every "job ID from leader" line of a peer's summary log, in
# time order. A repeat is "after a kill" when the node that last started it
# was killed after that and before the repeat ($T/kills: the two stamps
# around each kill).
for i in $(seq 1 $NPEERS); do
	sed -n "s/^\(.\{23\}\) .*: job \([0-9a-f]*\) from leader \[.*/\1 [$i] \2/p" \
		"$T/log/node-$i.summary.log"
done | sort -s -k1,2 >"$T/executions"
awk '
FILENAME == ARGV[1] { n = ++nk[$5]; k0[$5, n] = $1 " " $2; k1[$5, n] = $3 " " $4; next }
{
	t = $1 " " $2
	if ($4 in node) {
		dup++
		p = node[$4]
		for (i = 1; i <= nk[p]; i++)
			if (k1[p, i] > at[$4] && k0[p, i] < t)
				break
		if (i <= nk[p])
			after_kill++
		else
			print "duplicate execution of " $4 ": on " p " at " \
			    at[$4] ", then on " $3 " at " t > "/dev/stderr"
	}
	node[$4] = $3
	at[$4] = t
}
END { printf "%d %d %d\n", dup, after_kill, dup - after_kill }
' "$T/kills" "$T/executions" >"$T/dups" 2>"$T/dups.why"
read -r dups dups_kill dups_other <"$T/dups"
sed 's/^/#   /' "$T/dups.why"

echo "chaos: $secs s, requests $requests, kills $kills (leader $leader_kills)," \
	"restarts $restarts, wrong $wrong, lost $lost, retries $retries," \
	"duplicate executions $dups (after a kill $dups_kill, other" \
	"$dups_other), slowest answer ${slowest:-0} s" | tee "$T/summary" |
	sed 's/^/# /'
[ -f "$T/bad" ] && head -n 40 "$T/bad" | sed 's/^/#   /'

ok $([ "$requests" -gt 0 ]; echo $?) "requests were sent ($requests)"
is "$wrong" 0 "no wrong answers"
is "$lost" 0 "no lost answers"
ok $([ "$kills" -ge "$MIN_KILLS" ]; echo $?) \
	"at least $MIN_KILLS peers killed ($kills)"
ok $([ "$leader_kills" -ge "$MIN_LEADER_KILLS" ]; echo $?) \
	"at least $MIN_LEADER_KILLS of them leading ($leader_kills)"
wait_for 60 has_leader
ok $? "a leader serves after the storm"
job 0 >"$T/last.java"
is "$(curl -s --max-time $CLIENT_WAIT -H 'Content-Type: text/x-java-source' \
	--data-binary @"$T/last.java" "$GW/compileandrun")" job-0 \
	"and answers a job"
if [ -n "${CHAOS_KEEP:-}" ]; then
	mkdir -p "$CHAOS_KEEP" && cp -r "$T"/* "$CHAOS_KEEP"/
	echo "# logs kept in $CHAOS_KEEP"
fi
done_testing
