#!/bin/bash
# e2e.sh: the whole path, gateway -> leader -> follower -> runner and back,
# measured in one run on loopback (numbers go to docs/BENCHMARKS.md,
# section "End to end"). Not part of make check; run from a build directory
# (one configured without --enable-sanitizers for meaningful numbers):
#
#	tests/bench/e2e.sh [SECONDS]
#
# 1. latency of a trivial job, every request a cache miss, one client,
#    against cold javac + java of the same job;
# 2. jobs per second with 50 concurrent clients (cache misses);
# 3. cached replies per second with keep-alive (wrk), against nginx serving
#    a small static file on the same machine, if nginx is installed;
# 4. time from SIGKILL of the leader to the first answered request.
#
# Needs wrk. Cluster: a gateway and 5 peers, `timing fast`, `job-mode
# $JOB_MODE` (default sandbox; trusted runs jobs in the compile servers).
. "$(dirname "$0")/../integration/lib.sh"

SECS=${1:-15}
ROUNDS=${ROUNDS:-3}
JAR="$top_builddir/jdp-runner.jar"
command -v wrk >/dev/null || { echo "wrk is needed"; exit 1; }
[ -f "$JAR" ] || { echo "no $JAR: run make first"; exit 1; }

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

val() {
	sed -n "s/^$1 //p" "$2"
}

echo "# machine: $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -n 1)"
echo "# jdpd: $("$JDPD" --version 2>&1 | head -n 1), $(grep -q fsanitize "$top_builddir/Makefile" 2>/dev/null && echo sanitizers || echo no sanitizers)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- cold javac + java, 5 times.
. "$(dirname "$0")/cold.sh"
cold_javac_java "$T"
cold_med=$COLD_MEDIAN

# --- the cluster
JOB_MODE=${JOB_MODE:-sandbox}
echo "# job-mode $JOB_MODE"
make_cluster 5 "runner-jar $JAR" "run-pool 2" "job-timeout 10s" \
	"request-wait 30s" "queue-max 4096" "log-level warn" \
	"job-mode $JOB_MODE"
sandbox_probe
for i in 0 1 2 3 4 5; do
	start_node "$i"
done
wait_for 30 has_leader || { echo "no leader"; exit 1; }
# Warm every follower's compile server and JVM pool.
for i in $(seq 1 40); do
	curl -s -H 'Content-Type: text/x-java-source' --data-binary \
		"public class W$i { public String run() { return \"w\"; } }" \
		"$GW/compileandrun" >/dev/null
done

# --- 1a. latency at light load: one request at a time, paced so that the
# followers' JVM pools are full again (as the runner benchmark does); the
# client's time (curl) and the gateway's breakdown (/v1/run timings).
: >"$T/paced"
for i in $(seq 1 "${PACED:-40}"); do
	curl -s -o "$T/v1.json" -w '%{time_total}\n' -H 'Content-Type: application/json' \
		--data "{\"source\":\"public class P${i}_$$ { public String run() { return \\\"p$i\\\"; } }\"}" \
		"$GW/v1/run" >>"$T/paced.curl"
	sed -n 's/.*"compile_ms":\([0-9]*\),"run_ms":\([0-9]*\),"total_ms":\([0-9]*\).*/\1 \2 \3/p' \
		"$T/v1.json" >>"$T/paced"
	sleep 0.3
done
n=$(wc -l <"$T/paced")
pct() { # pct FILE COLUMN P: the P-th percentile of a column
	awk -v c="$2" '{ print $c }' "$1" | sort -n |
		awk -v p="$3" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'
}
awk '{ printf "%.1f\n", $1 * 1000 }' "$T/paced.curl" >"$T/paced.ms"
light=$(pct "$T/paced.ms" 1 50)
echo "light_requests $n"
echo "light_latency_p50_ms $light"
echo "light_latency_p99_ms $(pct "$T/paced.ms" 1 99)"
echo "light_compile_p50_ms $(pct "$T/paced" 1 50) run_p50_ms $(pct "$T/paced" 2 50) gateway_total_p50_ms $(pct "$T/paced" 3 50)"
echo "light_speedup_vs_cold_median $(awk -v c="$cold_med" -v p="$light" 'BEGIN { printf "%.1f", c / p }')"

# --- 1b. latency back to back, one client, every request a miss: the next
# job arrives before the followers have refilled their JVM pools.
JDP_PREFIX=lat$$ wrk -t1 -c1 -d"${SECS}s" --timeout 30s \
	-s "$top_srcdir/tests/bench/e2e-jobs.lua" "$GW" >"$T/lat.out" 2>&1
p50=$(val latency_p50_ms "$T/lat.out")
p99=$(val latency_p99_ms "$T/lat.out")
echo "back_to_back_latency_p50_ms $p50"
echo "back_to_back_latency_p99_ms $p99"
echo "miss_requests $(val requests "$T/lat.out") (wrong: $(val wrong_answers "$T/lat.out"))"
echo "back_to_back_speedup_vs_cold_median $(awk -v c="$cold_med" -v p="$p50" 'BEGIN { printf "%.1f", c / p }')"

# --- 2. throughput, 50 clients, every request a miss.
JDP_PREFIX=thr$$ wrk -t2 -c50 -d"${SECS}s" --timeout 30s \
	-s "$top_srcdir/tests/bench/e2e-jobs.lua" "$GW" >"$T/thr.out" 2>&1
echo "miss_jobs_per_s_50_clients $(val requests_per_s "$T/thr.out")"
echo "miss_50_clients_p50_ms $(val latency_p50_ms "$T/thr.out") p99_ms $(val latency_p99_ms "$T/thr.out")"
echo "miss_50_clients_requests $(val requests "$T/thr.out") (wrong: $(val wrong_answers "$T/thr.out"))"

# --- 3. cached replies with keep-alive, against nginx. The two alternate,
# twice, and the better run of each counts (the machine may be shared).
curl -s -H 'Content-Type: text/x-java-source' --data-binary \
	'public class Cached { public String run() { return "cached"; } }' \
	"$GW/compileandrun" >/dev/null
ngpid=""
if command -v nginx >/dev/null; then
	NG="$T/nginx"
	mkdir -p "$NG/html" "$NG/logs"
	printf 'cached' >"$NG/html/index.txt"
	nport=$((BASE + 7))
	cat >"$NG/nginx.conf" <<EON
worker_processes 1;
daemon off;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$nport;
		root $NG/html;
	}
}
EON
	nginx -c "$NG/nginx.conf" -p "$NG" &
	ngpid=$!
	PIDS="$PIDS $ngpid"
	wait_for 5 curl -sf "http://127.0.0.1:$nport/index.txt"
fi
best() { # best A B: the larger number
	awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a > b) ? a : b }'
}
cached=0
ng=0
for r in 1 2; do
	wrk -t2 -c50 -d"${SECS}s" -s "$top_srcdir/tests/bench/e2e-cached.lua" \
		"$GW" >"$T/cached.out" 2>&1
	c=$(val requests_per_s "$T/cached.out")
	echo "cached_replies_per_s_round_$r $c (p50 $(val latency_p50_ms "$T/cached.out") ms, p99 $(val latency_p99_ms "$T/cached.out") ms)"
	cached=$(best "$cached" "$c")
	[ -n "$ngpid" ] || continue
	wrk -t2 -c50 -d"${SECS}s" "http://127.0.0.1:$nport/index.txt" \
		>"$T/nginx.out" 2>&1
	n=$(sed -n 's/^Requests\/sec: *//p' "$T/nginx.out")
	echo "nginx_static_per_s_round_$r $n (1 worker)"
	ng=$(best "$ng" "$n")
done
echo "cached_replies_per_s $cached"
if [ -n "$ngpid" ]; then
	kill "$ngpid"
	wait "$ngpid" 2>/dev/null
	echo "nginx_static_per_s $ng"
	echo "cached_vs_nginx $(awk -v a="$cached" -v b="$ng" 'BEGIN { printf "%.2f", a / b }')"
fi

# --- 4. leader kill to first answered request.
fo=""
for r in $(seq 1 "$ROUNDS"); do
	L=$(leader)
	src="public class F${r}_$$ { public String run() { return \"after $r\"; } }"
	s=$(now_ms)
	kill_node "$L"
	a=$(curl -s --max-time 60 -H 'Content-Type: text/x-java-source' \
		--data-binary "$src" "$GW/compileandrun")
	e=$(($(now_ms) - s))
	[ "$a" = "after $r" ] || echo "# round $r: wrong answer: $a"
	fo="$fo $e"
	echo "failover_round_$r leader $L -> $(leader): first answer after $e ms"
	start_node "$L"
	wait_for 30 sh -c "curl -sf '$GW/cluster-info' | grep -qx 'Server $L - FOLLOWER'"
	sleep 1 # let the restarted runner warm up
done
echo "failover_first_answer_ms$fo"
echo "failover_first_answer_median_ms $(printf '%s\n' $fo | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
