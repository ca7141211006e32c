# netlib.sh: nodes on separate hosts, for the integration tests that need
# them (netns.sh, partition.sh); sourced after lib.sh.
#
# Each node runs in its own network namespace with its own address on a
# bridge, every node on the same port numbers, loopback down, and the
# client in yet another namespace: nothing may assume 127.0.0.1.
#
#	jdptPID-c   br0 10.77.0.100/24 (the client; the bridge lives here)
#	  |-- v0 <-> eth0 10.77.0.10  jdptPID-n0  node 0 gateway, http 8888
#	  |-- v1 <-> eth0 10.77.0.11  jdptPID-n1  node 1 peer
#	  `-- ...                                 (up to node 9)
#
# Needs root, iproute2 and permission to create network namespaces and a
# bridge; net_init skips with the reason otherwise. The host's own
# interfaces are never touched: every veth pair is created inside the
# namespaces, which the EXIT trap deletes.

NSP="jdpt$$"
CL="$NSP-c"
NETNS=""
NET=10.77.0
PORT=8000
HTTP=8888
JAR="$top_builddir/jdp-runner.jar"

netns_cleanup() {
	# Processes first (by pid), then the namespaces (by name): deleting a
	# namespace removes its veth end and with it the peer on the bridge.
	# Anything still running in our namespaces was started here too.
	jdp_cleanup
	for _ns in $NETNS; do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -9 "$_p" 2>/dev/null
		done
		ip netns del "$_ns" 2>/dev/null
	done
}

# mkns NAME: create a namespace and remember it for the cleanup.
mkns() {
	ip netns add "$1" 2>"$T/netns.err" || return 1
	NETNS="$NETNS $1"
}

# net_init NPEERS: skip unless namespaces work, then create the client
# namespace with the bridge and one namespace per node (0..NPEERS).
net_init() {
	[ "$(id -u)" -eq 0 ] || skip_all "network namespaces need root"
	command -v ip >/dev/null 2>&1 || skip_all "no ip (iproute2)"
	command -v curl >/dev/null 2>&1 || skip_all "no curl"
	[ -f "$JAR" ] || skip_all "no $JAR (built by make)"
	trap netns_cleanup EXIT

	mkns "$CL" || skip_all "network namespaces not permitted here" \
	    "($(head -n 1 "$T/netns.err"))"
	ip -n "$CL" link add br0 type bridge 2>"$T/netns.err" ||
	    skip_all "cannot create a bridge in a namespace" \
	    "($(head -n 1 "$T/netns.err"))"
	ip -n "$CL" addr add "$NET.100/24" dev br0 &&
	    ip -n "$CL" link set br0 up || skip_all "cannot configure the bridge"
	_i=0
	while [ "$_i" -le "$1" ]; do
		mkns "$NSP-n$_i" || skip_all "cannot create namespace $NSP-n$_i"
		# Both ends are created inside namespaces, never in the host's.
		# Loopback stays down: a node that talked to 127.0.0.1 would
		# fail.
		ip -n "$CL" link add "v$_i" type veth peer name eth0 \
		    netns "$NSP-n$_i" &&
		    ip -n "$CL" link set "v$_i" master br0 &&
		    ip -n "$CL" link set "v$_i" up &&
		    ip -n "$NSP-n$_i" addr add "$NET.1$_i/24" dev eth0 &&
		    ip -n "$NSP-n$_i" link set eth0 up ||
		    skip_all "cannot create a veth pair between namespaces"
		_i=$((_i + 1))
	done
}

# net_conf NPEERS [directive...]: write $T/jdp.conf (node 0 the gateway,
# peers 1..NPEERS, each at its own address on the same ports) and
# $T/cluster.key; allow-unsandboxed if bubblewrap does not work here.
net_conf() {
	_n=$1
	shift
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/cluster.key"
	{
		echo "node 0 gateway $NET.10:$PORT http $HTTP"
		_i=1
		while [ "$_i" -le "$_n" ]; do
			echo "node $_i peer    $NET.1$_i:$PORT"
			_i=$((_i + 1))
		done
		echo "cluster-key-file $T/cluster.key"
		echo "state-dir $T/state"
		echo "log-dir $T/log"
		echo "runner-jar $JAR"
		echo "run-pool 1"
		for _d in "$@"; do
			echo "$_d"
		done
	} >"$T/jdp.conf"
	# Probe the sandbox in a node's namespace (jobs never use the network).
	sandbox_probe on "$NSP-n1"
}

# on NS CMD...: run CMD in namespace NS.
on() {
	_ns=$1
	shift
	ip netns exec "$_ns" "$@"
}

# start ID: run node ID in its namespace; ip netns exec becomes jdpd, so $!
# is the daemon's pid (a shell function in the background would not be).
start() {
	ip netns exec "$NSP-n$1" "$JDPD" -c "$T/jdp.conf" -i "$1" -f \
	    >>"$T/node-$1.out" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}

# cget PATH: GET from the gateway's public port, from the client namespace.
cget() {
	on "$CL" curl -sf --max-time 5 "http://$NET.10:$HTTP$1"
}

# nget ID PATH: GET from node ID's node HTTP API, from the client namespace.
nget() {
	on "$CL" curl -sf --max-time 5 "http://$NET.1$1:$((PORT + 3))$2"
}

# post FILE [NAME]: POST FILE to the gateway's /compileandrun from the
# client namespace; body on stdout and in $T/NAME.body, status in
# $T/NAME.code, headers in $T/NAME.headers (NAME defaults to post).
post() {
	_o="$T/${2:-post}"
	on "$CL" curl -s --max-time 90 -D "$_o.headers" -o "$_o.body" \
	    -w '%{http_code}' -H 'Content-Type: text/x-java-source' \
	    --data-binary @"$1" "http://$NET.10:$HTTP/compileandrun" >"$_o.code"
	cat "$_o.body"
}
