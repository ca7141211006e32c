#!/bin/bash
# jdpctl.sh: what an idle TUI costs. Starts a local cluster of 8 nodes
# (gateway + 7 peers), runs `jdpctl` at the default refresh (500 ms) in a
# private tmux server at 120x40, lets it settle, then measures over
# BENCH_SECONDS (default 30): the console's CPU (utime+stime from
# /proc/PID/stat) as a share of one core, its resident memory (VmRSS, and
# the peak VmHWM), and, in the same window, the CPU of one follower jdpd
# for scale. Goal: under 2% of a core and under 15 MB.
#
#   top_builddir=/path/to/build tests/bench/jdpctl.sh
#
# Use a build without sanitizers for the numbers (ASan alone adds tens of
# MB of shadow memory).
. "$(dirname "$0")/../integration/lib.sh"

command -v tmux >/dev/null || skip_all "no tmux"
SECS=${BENCH_SECONDS:-30}
REFRESH=${BENCH_REFRESH:-}
BASE=$(free_base 7)
D="$T/c"
SOCK="jdp-bench-$$"
TM="tmux -L $SOCK -f /dev/null"
bench_cleanup() {
	$TM kill-server 2>/dev/null
	[ -f "$D/jdp.conf" ] && "$JDPCTL" cluster stop -d "$D" >/dev/null 2>&1
	jdp_cleanup
}
trap bench_cleanup EXIT

"$JDPCTL" cluster start -n 7 -d "$D" --base-port "$BASE" \
	--http-port $((BASE + 5)) >/dev/null || exit 1
for f in "$D"/node-*.pid; do PIDS="$PIDS $(cat "$f")"; done
GW="http://127.0.0.1:$((BASE + 5))"

$TM new-session -d -s b -x 120 -y 40 \
	"exec env LANG=C.UTF-8 TERM=tmux-256color $JDPCTL -g $GW -d $D ${REFRESH:+-r $REFRESH}"
pid=$($TM display -p -t b '#{pane_pid}')
leader_shown() {
	$TM capture-pane -p -t b | grep -q '<- leader'
}
wait_for 20 leader_shown || { echo "# no leader on the screen"; exit 1; }
sleep 5 # the first fetch of every log is done; now it is idle

ticks() { # utime + stime of pid, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
hz=$(getconf CLK_TCK)
follower=$(cat "$D/node-1.pid")
t0=$(date +%s%N)
c0=$(ticks "$pid")
f0=$(ticks "$follower")
sleep "$SECS"
t1=$(date +%s%N)
c1=$(ticks "$pid")
f1=$(ticks "$follower")
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
pss=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null)
ms=$(((t1 - t0) / 1000000))
cpu=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v ms="$ms" \
	'BEGIN { printf "%.2f", 100 * c / hz / (ms / 1000) }')
fcpu=$(awk -v c=$((f1 - f0)) -v hz="$hz" -v ms="$ms" \
	'BEGIN { printf "%.2f", 100 * c / hz / (ms / 1000) }')
echo "# idle jdpctl TUI, 8 nodes, refresh ${REFRESH:-500} ms, ${ms} ms measured"
echo "jdpctl_cpu_percent_of_core $cpu"
echo "jdpctl_rss_kib $rss"
echo "jdpctl_peak_rss_kib $hwm"
echo "jdpctl_rss_anon_kib $anon # its own memory; the rest is shared libraries"
echo "jdpctl_pss_kib ${pss:-?}"
echo "follower_jdpd_cpu_percent_of_core $fcpu"
awk -v c="$cpu" -v r="$rss" 'BEGIN { exit !(c < 2 && r < 15 * 1024) }' &&
	echo "# within the goal (< 2% of a core, < 15 MB)" ||
	echo "# OVER the goal (< 2% of a core, < 15 MB)"
