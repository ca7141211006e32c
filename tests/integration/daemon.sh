#!/bin/bash
# daemon.sh: jdpd's command line, ports, node HTTP API and clean shutdown.
. "$(dirname "$0")/lib.sh"

make_cluster 2

# -n: check and print the effective configuration.
out=$("$JDPD" -c "$T/jdp.conf" -n 2>&1)
ok $? "jdpd -n accepts a good config"
like "$out" '^gossip-interval +200ms' "-n prints the effective timers"
like "$out" '^node 2 peer +127\.0\.0\.1:' "-n prints the nodes"

printf 'node 1 peer 127.0.0.1:7000\nfrobnicate 3\n' >"$T/bad.conf"
out=$("$JDPD" -c "$T/bad.conf" -n 2>&1)
ok $((! $?)) "jdpd -n fails on a bad directive"
like "$out" "bad\.conf:2: frobnicate: " "the error names file, line and directive"

sed "s|^cluster-key-file .*|cluster-key-file $T/missing.key|" "$T/jdp.conf" >"$T/nokey.conf"
out=$("$JDPD" -c "$T/nokey.conf" -i 1 -f 2>&1)
ok $((! $?)) "jdpd refuses to start without its key file"
like "$out" "missing\.key" "and names the missing key file"

out=$("$JDPD" -c "$T/jdp.conf" -i 42 -f 2>&1)
ok $((! $?)) "an unknown node id is refused"
like "$out" "no node 42" "with a clear message"

"$JDPD" -c "$T/jdp.conf" -i 1 -x 2>/dev/null
is $? 2 "a usage error exits 2"
like "$("$JDPD" --version)" '^jdpd [0-9]' "--version"

# A running peer and gateway.
start_node 1
start_node 0
wait_for 10 healthy 1
ok $? "peer 1 serves /health on its node HTTP port"
wait_for 10 healthy 0
ok $? "the gateway serves /health on its node HTTP port"
is "$(get "$GW/health")" "ok" "the gateway serves /health on its public port"
like "$(curl -s -D - -o /dev/null "$GW/health" | tr -d '\r')" 'Cached-Response: false' \
    "every public answer carries Cached-Response, node API answers too"
resp=$(printf 'BLAH\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$((BASE + 5)); cat >&3; cat <&3")
like "$(printf '%s' "$resp" | tr -d '\r')" 'Cached-Response: false' "and so do the server's own error answers"

for p in $((BASE + 10)) $((BASE + 12)); do
	port_free "$p"
	ok $((! $?)) "peer 1 holds port $p (UDP, TCP)"
done

out=$("$JDPD" -c "$T/jdp.conf" -i 1 -f 2>&1)
ok $((! $?)) "a second node 1 fails to start"
like "$out" "Address already in use" "and says the port is in use"

u=$(node_url 1)
like "$(get "$u/logs/summary")" '\[1\]: jdpd .* started as peer' "/logs/summary has the start line"
lines=$(get "$u/logs/verbose?tail=1" | wc -l)
is "$lines" 1 "/logs/verbose?tail=1 gives one line"
# The log grows while we read it: ?since=SIZE must return exactly the bytes
# from SIZE up to the X-Log-Size it reports, as they are in the file.
size=$(curl -s -D - -o /dev/null "$u/logs/summary" | tr -d '\r' | sed -n 's/^X-Log-Size: //p')
size2=$(curl -s -D "$T/h" -o "$T/since" "$u/logs/summary?since=$size" &&
    tr -d '\r' <"$T/h" | sed -n 's/^X-Log-Size: //p')
tail -c +$((size + 1)) "$T/log/node-1.summary.log" | head -c $((size2 - size)) >"$T/want"
cmp -s "$T/since" "$T/want"
ok $? "?since=SIZE returns exactly the bytes after SIZE ($((size2 - size)) new)"
like "$(get "$u/metrics")" '^jdp_node_http_requests_total [0-9]+' "/metrics is Prometheus text"
is "$(curl -s -o /dev/null -w '%{http_code}' "$u/nowhere")" 404 "unknown paths get 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$u/health")" 405 "POST to /health gets 405"

head -c 300000 /dev/zero | tr '\0' x >"$T/big.body"
is "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/big.body" "$u/health")" 405 \
    "a large body (the input buffer grows) is read and answered"
is "$(curl -s -o /dev/null -w '%{http_code}' "$u/HEALTH")" 404 "paths are case-sensitive"

# Garbage and keep-alive.
resp=$(printf 'BLAH\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$((BASE + 13)); cat >&3; cat <&3")
like "$resp" '^HTTP/1.1 400' "garbage gets 400"
resp=$(printf 'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$((BASE + 13)); cat >&3; cat <&3")
is "$(printf '%s' "$resp" | grep -c '^HTTP/1.1 200')" 2 "two pipelined requests get two answers"
ok $(healthy 1; echo $?) "the node still serves after bad input"

# SIGHUP after an external logrotate moved the files: new files at the path.
mv "$T/log/node-1.summary.log" "$T/log/rotated.log"
kill -HUP "$(node_pid 1)"
wait_for 10 grep -q 'SIGHUP: log files reopened' "$T/log/node-1.summary.log"
ok $? "SIGHUP reopens the log files at their path"
ok $(healthy 1; echo $?) "and the node keeps serving"

kill_node 1 TERM
is $? 0 "SIGTERM stops the node with status 0"
like "$(cat "$T/log/node-1.summary.log")" "shutting down" "and the log says why"

# log-max-size: a full file becomes FILE.1, the current one stays below it.
echo "log-max-size 4K" >>"$T/jdp.conf"
start_node 1
wait_for 30 test -s "$T/log/node-1.summary.log.1"
ok $? "a summary log past log-max-size is rotated to .1"
sz=$(stat -c %s "$T/log/node-1.summary.log")
[ "$sz" -le 4096 ]
ok $? "the current file is within log-max-size ($sz bytes)"
like "$(get "$(node_url 1)/metrics")" '^jdp_log_rotations_total [1-9]' \
    "rotations are counted in /metrics"
like "$(get "$(node_url 1)/logs/summary?tail=1")" '^20' \
    "/logs/summary reads the new file"
kill_node 1 TERM
kill_node 0 INT
is $? 0 "SIGINT stops the gateway with status 0"

done_testing
