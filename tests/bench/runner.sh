#!/bin/bash
# runner.sh: the job runner's latency, throughput and memory against cold
# javac + java of the same job, in one run (numbers go to
# docs/BENCHMARKS.md, section "Runner"). Run from a build directory:
#
#	sh /path/to/jdp/tests/bench/runner.sh [LIGHT_JOBS] [BURST_JOBS]
#
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

# Cold: javac + java of the same trivial job as a main program, 5 times.
cat >"$T/Hello.java" <<'EOJ'
public class Hello {
	public String run() {
		return "Hello " + 6 * 7;
	}

	public static void main(String[] args) {
		System.out.print(new Hello().run());
	}
}
EOJ
cold=""
for i in 1 2 3 4 5; do
	rm -rf "$T/c" && mkdir "$T/c"
	s=$(date +%s%N)
	javac -d "$T/c" "$T/Hello.java"
	out=$(java -cp "$T/c" Hello)
	e=$((($(date +%s%N) - s) / 1000000))
	[ "$out" = "Hello 42" ] || { echo "cold run failed: $out"; exit 1; }
	cold="$cold $e"
done
echo "cold_javac_java_ms$cold"
echo "cold_javac_java_median_ms $(printf '%s\n' $cold | sort -n | sed -n 3p)"

# Through the runner (sanitizers off for numbers: ASAN_OPTIONS does not
# matter much here, the JVMs dominate).
ASAN_OPTIONS=detect_leaks=0 "$top_builddir/tests/bench/bench_runner" \
    "$JAR" "$T/Hello.java" "$LIGHT" "$BURST"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
