#!/bin/bash
# runner.sh: the job runner's latency, throughput and memory against cold
# javac + java of the same job, in one run (numbers go to
# docs/BENCHMARKS.md, section "Runner"). Run from a build directory:
#
#	sh /path/to/jdp/tests/bench/runner.sh [LIGHT_JOBS] [BURST_JOBS]
#
# MODES="sandbox trusted" measures each job-mode in turn, in the same run
# (default: sandbox only).
# Not part of make check: it takes a minute and wants an idle machine.
set -e
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
LIGHT=${1:-100}
BURST=${2:-40}
JAR="$top_builddir/jdp-runner.jar"
make -C "$top_builddir" jdp-runner.jar tests/bench/bench_runner >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/jdp-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

echo "# machine: $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -n 1)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

. "$(dirname "$0")/cold.sh"
cold_javac_java "$T"

# Through the runner (sanitizers off for numbers: ASAN_OPTIONS does not
# matter much here, the JVMs dominate).
for mode in ${MODES:-sandbox}; do
	ASAN_OPTIONS=detect_leaks=0 "$top_builddir/tests/bench/bench_runner" \
	    "$JAR" "$T/Hello.java" "$LIGHT" "$BURST" "$mode"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
