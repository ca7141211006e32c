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
is "$(stat -c %a "$D")" 700 "the directory jdpctl created is private (0700)"

# The directory gets a cluster key: only one of this user's own, that no
# one else can write, and nothing in it is followed through a link.
# refused DIR: cluster start in DIR, which must be refused; prints why.
refused() {
	"$JDPCTL" cluster start -n 1 -d "$1" --base-port "$BASE" 2>&1
	echo "rc=$?"
}
mkdir -m 0777 "$T/ww"
chmod 0777 "$T/ww"
out=$(refused "$T/ww")
like "$out" "rc=2" "a world-writable directory is refused"
like "$out" "$T/ww is writable by group or others \\(mode 0777\\)" "saying why"
ok $([ ! -e "$T/ww/cluster.key" ] && [ ! -e "$T/ww/jdp.conf" ]; echo $?) \
	"and nothing is written there"
mkdir -m 0770 "$T/gw"
chmod 0770 "$T/gw"
like "$(refused "$T/gw")" "rc=2" "so is a group-writable one"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	other="$T/other"
	mkdir -m 0755 "$other"
	chown nobody "$other"
else
	other=/ # owned by root, and we are not
fi
out=$(refused "$other")
like "$out" "rc=2" "a directory owned by another user is refused"
like "$out" "is owned by uid [0-9]*, not by you" "saying whose it is"
ok $([ ! -e "$other/cluster.key" ]; echo $?) "and no key is written there"

mkdir -m 0700 "$T/sl"
echo "not a key" >"$T/target"
ln -s "$T/target" "$T/sl/cluster.key"
out=$(refused "$T/sl")
like "$out" "rc=2" "a symbolic link where the key goes is refused"
like "$out" "$T/sl/cluster.key is not a regular file of yours" "saying which"
is "$(cat "$T/target")" "not a key" "and the file it points to is untouched"
rm "$T/sl/cluster.key"
ln -s "$T/target" "$T/sl/jdp.conf"
like "$(refused "$T/sl")" "rc=2" "and so is one where jdp.conf goes"
is "$(cat "$T/target")" "not a key" "which is not followed either"
mkdir -m 0700 "$T/real"
ln -s "$T/real" "$T/linkdir"
out=$(refused "$T/linkdir")
like "$out" "$T/linkdir is a symbolic link" "a directory given as a link is refused"
ok $([ -z "$(ls -A "$T/real")" ]; echo $?) "and nothing is written behind it"

# The default is a per-user state directory, never /tmp.
out=$(env -u JDP_DIR -u XDG_STATE_HOME HOME="$T/home" "$JDPCTL" cluster stop 2>&1)
like "$out" "no cluster in $T/home/.local/state/jdp " "the default directory is \$HOME/.local/state/jdp"
out=$(env -u JDP_DIR XDG_STATE_HOME="$T/xdg" "$JDPCTL" cluster stop 2>&1)
like "$out" "no cluster in $T/xdg/jdp " "or \$XDG_STATE_HOME/jdp"

# Starting again in its own directory replaces its own old key and config.
old=$(cat "$D/cluster.key")
out=$("$JDPCTL" cluster start -n 3 -d "$D" --base-port "$BASE" --http-port $((BASE + 5)))
rc=$?
record_pids
is $rc 0 "a cluster starts again in its own directory"
ok $([ "$(cat "$D/cluster.key")" != "$old" ]; echo $?) "with a fresh key"
like "$(stat -c %a "$D/cluster.key")" '^600$' "still private"
is "$("$JDPCTL" cluster stop -d "$D")" "stopped 4 nodes" "and stops"

done_testing
