# lib.sh: shared helpers for the integration tests (sourced, POSIX sh + bash).
#
# Tests print TAP, start real jdpd processes on free loopback ports in a
# temporary directory, poll with deadlines (never fixed sleeps), and clean up
# every process they started, by pid, on exit.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
JDPD="$top_builddir/jdpd"
JDPCTL="$top_builddir/jdpctl"
# ASan's leak checker cannot follow a daemon killed with SIGKILL; the unit
# tests keep it on.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"

T=$(mktemp -d "${TMPDIR:-/tmp}/jdp-test.XXXXXX")
tap_n=0
tap_failed=0
PIDS=""

jdp_cleanup() {
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ "$tap_failed" -gt 0 ] && [ -d "$T" ]; then
		for f in "$T"/*.out "$T"/log/*.summary.log "$T"/*/node-*.out \
		    "$T"/*/log/*.summary.log; do
			[ -f "$f" ] || continue
			echo "# --- $f (last lines)"
			grep -v "'s heartbeat sequence to" "$f" | tail -n 15 |
			    sed 's/^/#   /'
		done
	fi
	rm -rf "$T"
}
trap jdp_cleanup EXIT
trap 'exit 1' INT TERM

# ok STATUS DESCRIPTION: a TAP line from an exit status.
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# like GOT REGEX DESCRIPTION (grep -E)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: /%s/\n' "$1" "$2" | head -n 20
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# wait_for SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_for() {
	_deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -ge "$_deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# port_free PORT: nothing listens on or is bound to PORT (TCP or UDP).
port_free() {
	[ -z "$(ss -Hlntu "( sport = :$1 )" 2>/dev/null)" ]
}

# free_base NPEERS: a base port with base..base+10*NPEERS+5 all free, in
# 20000..32099: below Linux's ephemeral range (32768-60999), where an
# outgoing connection could take a port between this check and the bind.
free_base() {
	_need=$1
	while :; do
		_base=$(( (RANDOM % (1200 - _need)) * 10 + 20000 ))
		_ok=1
		_i=0
		while [ "$_i" -le "$_need" ]; do
			for _d in 0 1 2 3 5; do
				port_free $((_base + 10 * _i + _d)) || _ok=0
			done
			_i=$((_i + 1))
		done
		[ "$_ok" = 1 ] && { echo "$_base"; return; }
	done
}

# make_cluster NPEERS [directive...]: write $T/jdp.conf and $T/cluster.key
# for a gateway (node 0, public HTTP at BASE+5) and NPEERS peers. Sets BASE
# and GW (the gateway's public URL).
make_cluster() {
	_n=$1
	shift
	BASE=$(free_base "$_n")
	GW="http://127.0.0.1:$((BASE + 5))"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/cluster.key"
	{
		echo "node 0 gateway 127.0.0.1:$BASE http $((BASE + 5))"
		_i=1
		while [ "$_i" -le "$_n" ]; do
			echo "node $_i peer 127.0.0.1:$((BASE + 10 * _i))"
			_i=$((_i + 1))
		done
		echo "cluster-key-file $T/cluster.key"
		echo "state-dir $T/state"
		echo "log-dir $T/log"
		for _d in "$@"; do
			echo "$_d"
		done
	} >"$T/jdp.conf"
}

# sandbox_probe [PREFIX...]: run a job with jdpd --exec on $T/jdp.conf
# (under PREFIX, e.g. `on NAMESPACE`). Where only the sandbox fails, jobs
# run unsandboxed ("allow-unsandboxed yes" is added, and said); where the
# runner fails otherwise, the test is skipped.
sandbox_probe() {
	"$@" "$JDPD" -c "$T/jdp.conf" \
	    --exec "$top_srcdir/tests/data/jobs/Hello.java" >"$T/probe.out" 2>&1 &&
	    return 0
	grep -qi 'bwrap\|bubblewrap\|sandbox' "$T/probe.out" ||
	    skip_all "the runner does not work here: $(head -n 1 "$T/probe.out")"
	echo "# no working sandbox here: jobs run unsandboxed"
	echo "allow-unsandboxed yes" >>"$T/jdp.conf"
}

# node_url ID: the node HTTP base URL of node ID.
node_url() {
	echo "http://127.0.0.1:$((BASE + 10 * $1 + 3))"
}

# start_node ID: run node ID in the foreground, in the background.
start_node() {
	"$JDPD" -c "$T/jdp.conf" -i "$1" -f >>"$T/node-$1.out" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}

# node_pid ID
node_pid() {
	eval "echo \${PID_$1:-}"
}

# kill_node ID [SIGNAL]: signal node ID (default KILL) and reap it.
kill_node() {
	_p=$(node_pid "$1")
	[ -n "$_p" ] || return 1
	kill -"${2:-KILL}" "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	_rc=$?
	eval "PID_$1="
	return $_rc
}

# get URL: body of a GET (curl), failing on HTTP errors.
get() {
	curl -sf --max-time 5 "$@"
}

# leader: the leader's id as the gateway's /cluster-info names it, or
# nothing.
leader() {
	get "$GW/cluster-info" | sed -n 's/^Server \([0-9]*\) - LEADER$/\1/p'
}

has_leader() {
	[ -n "$(leader)" ]
}

# info ID: node ID's own /cluster-info text.
info() {
	get "$(node_url "$1")/cluster-info"
}

# healthy ID: node ID answers /health.
healthy() {
	[ "$(get "$(node_url "$1")/health")" = "ok" ]
}
