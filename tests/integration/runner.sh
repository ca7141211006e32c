#!/bin/bash
# runner.sh: jobs through `jdpd -c CONF --exec FILE`: every status, the
# classic error texts, run() and main() jobs, and hostile jobs, after each
# of which no process of the job may be left behind.
#
# Where bubblewrap or user namespaces do not work (some CI containers),
# the runner refuses without allow-unsandboxed; the test checks that
# refusal, then runs unsandboxed and SKIPs only the sandbox assertions.
. "$(dirname "$0")/lib.sh"

J="$top_srcdir/tests/data/jobs"
JAR="$top_builddir/jdp-runner.jar"
[ -f "$JAR" ] || skip_all "no $JAR (run make first)"
command -v pgrep >/dev/null || skip_all "pgrep is needed (procps)"

# job-timeout leaves the memory hog time to fill its heap on a loaded CI
# machine (2 s was too short at load 15).
# A copy of the jar under $T and an unusual job-memory give our sandboxes
# command lines that no one else's have: bwrap binds $T/runner.jar and
# the run JVMs get -Xmx204800k.
cp "$JAR" "$T/runner.jar"
cat >"$T/jdp.conf" <<EOF
node 1 peer 127.0.0.1:7010
cluster-key-file $T/cluster.key
job-timeout 5s
job-memory 200M
job-output-max 1M
runner-jar $T/runner.jar
state-dir $T/state
log-dir $T/log
EOF

# skip DESCRIPTION REASON
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

leftovers() {
	pgrep -f -- "$T/runner.jar" || pgrep -f -- "Xmx204800k"
}

no_leftovers() {
	! leftovers >/dev/null
}

# run FILE [CONF]: one job; sets RC, OUT, ERR, LINE1, LINE2, LINE3 (of
# stderr), then checks that nothing of it is left running.
run() {
	"$JDPD" -c "${2:-$T/jdp.conf}" --exec "$1" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	LINE1=$(sed -n 1p "$T/err")
	LINE2=$(sed -n 2p "$T/err")
	LINE3=$(sed -n 3p "$T/err")
	wait_for 10 no_leftovers
	ok $? "$(basename "$1"): no process of the job is left behind"
}

# --- setup errors ---------------------------------------------------------
out=$(JDP_BWRAP=/nonexistent/bwrap "$JDPD" -c "$T/jdp.conf" \
    --exec "$J/Hello.java" 2>&1)
is $? 2 "without bubblewrap, --exec refuses (exit 2)"
like "$out" '^jdpd: bubblewrap \(bwrap\) is not available: jobs cannot be sandboxed; install bubblewrap or set allow-unsandboxed yes' \
    "and says why and what to do"

sed 's|^runner-jar .*|runner-jar /nonexistent/jdp-runner.jar|' \
    "$T/jdp.conf" >"$T/nojar.conf"
out=$("$JDPD" -c "$T/nojar.conf" --exec "$J/Hello.java" 2>&1)
is $? 2 "a missing runner jar is a setup error (exit 2)"
like "$out" 'runner-jar: /nonexistent/jdp-runner.jar' "naming the jar"

out=$("$JDPD" -c "$T/jdp.conf" --exec "$T/missing.java" 2>&1)
is $? 2 "a missing job file is a usage error (exit 2)"

# A key file where jobs could read it (here: inside the JDK, which is bound
# into every sandbox; a stand-in java suffices, nothing runs): refused.
mkdir -p "$T/jdk/bin"
cp /bin/true "$T/jdk/bin/java"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/jdk/cluster.key"
chmod 600 "$T/jdk/cluster.key"
sed -e "s|^cluster-key-file .*|cluster-key-file $T/jdk/cluster.key|" \
    -e "\$a java $T/jdk/bin/java" "$T/jdp.conf" >"$T/exposed.conf"
want="jdpd: cluster-key-file $T/jdk/cluster.key: jobs could read it: $T/jdk is bound into the job sandbox"
out=$("$JDPD" -c "$T/exposed.conf" -n 2>&1 >/dev/null)
is $? 1 "jdpd -n refuses a key file the sandbox could read (exit 1)"
like "$out" "^$want" "naming the file and where it is bound"
out=$(timeout 60 "$JDPD" -c "$T/exposed.conf" -i 1 -f 2>&1)
is "$?:$out" "1:$want; keep the file outside it (such as in /etc/jdp)" \
    "jdpd -i refuses to start with it"
out=$("$JDPD" -c "$T/exposed.conf" --exec "$J/Hello.java" 2>&1)
is $? 2 "jdpd --exec refuses too (a setup error, exit 2)"

cp "$T/jdp.conf" "$T/unsandboxed.conf"
echo "allow-unsandboxed yes" >>"$T/unsandboxed.conf"
JDP_BWRAP=/nonexistent/bwrap run "$J/Hello.java" "$T/unsandboxed.conf"
is "$RC:$OUT" "0:Hello 42" "allow-unsandboxed yes runs jobs without bwrap"

# --- which sandbox this machine gives ---------------------------------------
"$JDPD" -c "$T/jdp.conf" --exec "$J/Hello.java" --json >"$T/json" \
    2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'bubblewrap (bwrap) is not available' "$T/err"
then
	SANDBOX=none
	WHY=$(sed -n 's/.*allow-unsandboxed yes (\(.*\))$/\1/p' "$T/err")
	echo "# bubblewrap does not work here ($WHY): running unsandboxed"
	cp "$T/unsandboxed.conf" "$T/jdp.conf"
	"$JDPD" -c "$T/jdp.conf" --exec "$J/Hello.java" --json >"$T/json"
	rc=$?
else
	SANDBOX=bwrap
fi
json=$(cat "$T/json")
is $rc 0 "--json: exit 0 for an ok job"
like "$json" '^\{"status":"ok","result":"Hello 42","stdout":"","stderr":"",' \
    "--json: status, result, stdout, stderr"
like "$json" '"timings":\{"queue_ms":[0-9]+,"compile_ms":[0-9]+,"wait_ms":[0-9]+,"run_ms":[0-9]+\}' \
    "--json: timings"
echo "# sandbox: $(printf '%s' "$json" | sed -n 's/.*"sandbox":"\([^"]*\)".*/\1/p')"
case $json in
*"cgroup v"*"pids"*) PIDS_LIMIT=1 ;;
*) PIDS_LIMIT=0 ;;
esac

# --- ordinary jobs ------------------------------------------------------------
run "$J/Hello.java"
is "$RC:$OUT" "0:Hello 42" "run(): the result is what run() returned"
is "$ERR" "" "an ok job prints nothing on stderr"
run "$J/MainJob.java"
is "$RC:$OUT" "0:sorted [a, b, c]
done" "main(): the result is what main printed"
run "$J/Packaged.java"
is "$OUT" "org.example.jobs.Packaged" "a class in a package"
run "$J/Counter.java"
is "$OUT" "runs=1" "static state: first job"
run "$J/Counter.java"
is "$OUT" "runs=1" "static state: the same class again starts fresh"

# --- the classic error texts -------------------------------------------------
run "$J/Broken.java"
is "$RC" 1 "a compile error exits 1"
is "$LINE1" "Code did not compile:" "compile error: first line"
is "$LINE2" "Error on line 3, column 24 in string:///Broken.java" \
    "compile error: where"
is "$LINE3" "cannot find symbol" "compile error: javac's message"
"$JDPD" -c "$T/jdp.conf" --exec "$J/Broken.java" --json >"$T/json"
like "$(cat "$T/json")" '^\{"status":"compile_error","result":"Code did not compile:\\nError on line 3' \
    "--json: compile_error"
run "$J/NoPublic.java"
is "$RC:$ERR" "1:No class name found in code" "no public class"
run "$J/TwoPublic.java"
is "$LINE1" "Code did not compile:" "two public classes: a compile error"
like "$ERR" "class Second is public, should be declared in a file named Second\.java" \
    "two public classes: javac's reason"
run "$J/ReturnsInt.java"
is "$RC:$LINE1" "1:The return type of the class was int, not java.lang.String" \
    "run() returning int"
run "$J/Throws.java"
is "$LINE1" "Could not create and run instance of class" "an exception: first line"
is "$LINE2" "java.lang.IllegalStateException: boom" "an exception: the exception"
like "$LINE3" "at Throws\.run\(Throws\.java:3\)" "an exception: the job's stack"
run "$J/Latin.java"
is "$LINE1" "Code did not compile:" "non-UTF-8 source: a compile error"
is "$LINE2" "Error on line 3, column 14 in string:///Latin.java" \
    "non-UTF-8 source: where the bad byte is"
{
	echo 'public class Huge { public String run() { return "no"; } }'
	yes '// padding padding padding padding padding padding padding' |
	    head -c 20971520
} >"$T/Huge.java"
run "$T/Huge.java"
is "$LINE1" "Code did not compile:" "a 20 MB source: a clear error"
like "$LINE2" "^Source too large: [0-9]+ bytes" "a 20 MB source: says why"

# --- limits and hostile jobs -------------------------------------------------
"$JDPD" -c "$T/jdp.conf" --exec "$J/Sleeper.java" >"$T/sleep.out" \
    2>"$T/sleep.err" &
spid=$!
PIDS="$PIDS $spid"
wait_for 10 leftovers
ok $? "the leftover check sees a running job's processes"
wait "$spid"
is "$?:$(head -n 1 "$T/sleep.err")" "1:Time limit exceeded (5 s)" \
    "sleeping forever: timeout"
wait_for 10 no_leftovers
ok $? "Sleeper.java: no process of the job is left behind"
run "$J/Loop.java"
is "$RC:$LINE1" "1:Time limit exceeded (5 s)" "an infinite loop: timeout"
run "$J/Hog.java"
is "$RC:$LINE1" "1:Memory limit exceeded (200 MiB)" \
    "allocating without end: memory limit"
run "$J/Printer.java"
is "$RC:$LINE1" "1:Output limit exceeded (1 MiB)" \
    "printing 100 MB: output limit"
run "$J/BigResult.java"
is "$RC:$LINE1" "1:Output limit exceeded (1 MiB)" \
    "returning 10 MB: output limit"
run "$J/Spawner.java"
is "$RC:$OUT" "0:blocked blocked" "creating processes fails (seccomp)"
run "$J/ThreadBomb.java"
if [ "$PIDS_LIMIT" = 1 ]; then
	like "$RC:$OUT" "^0:stopped after [0-9]+ threads$" \
	    "threads without end: stopped by the pids limit"
else
	like "$RC:$LINE1$OUT" "^(0:stopped after|1:(Time|Memory) limit)" \
	    "threads without end: stopped by a limit (no pids cgroup here)"
fi
run "$J/Exits.java"
is "$LINE1" "Could not create and run instance of class" \
    "System.exit in run(): a runtime error"
like "$LINE2" "System\.exit\(3\)" "System.exit in run(): says so"
run "$J/MainExits.java"
is "$RC:$OUT" "0:printed before exit" \
    "System.exit(0) at the end of main(): its output is the result"

if [ "$SANDBOX" = bwrap ]; then
	java "$J/HostListener.java" >"$T/port" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 20 test -s "$T/port"
	port=$(head -n 1 "$T/port")
	exec 3<>"/dev/tcp/127.0.0.1/$port" && read -r hello <&3
	exec 3<&-
	is "$hello" "hello" "a service listens on the host at port $port"
	sed "s/PORT/$port/" "$J/Connect.java" >"$T/Connect.java"
	run "$T/Connect.java"
	like "$RC:$OUT" "^0:blocked " "a job cannot connect to it (no network)"
	run "$J/Shadow.java"
	is "$OUT" "blocked NoSuchFileException" "a job cannot read /etc/shadow"
	run "$J/Writer.java"
	is "$OUT" "root=blocked etc=blocked usr=blocked jar=blocked tmp=WROTE" \
	    "a job writes only its private /tmp"
	[ -e /jdp-test ] || [ -e /etc/jdp-test ] || [ -e /usr/jdp-test ] ||
	    [ -e /tmp/jdp-test ]
	ok $((! $?)) "nothing it wrote reached the host"
	# A key under a default install's sysconfdir (/usr/local/etc/jdp):
	# /usr is not bound, only the JDK and the libraries.
	if S=$(mktemp -d /usr/local/etc/jdp-test.XXXXXX 2>/dev/null); then
		echo "jdp-secret" >"$S/cluster.key"
		chmod 755 "$S"
		chmod 644 "$S/cluster.key"
		sed "s|SECRET|$S/cluster.key|" "$J/ReadSecret.java" \
		    >"$T/ReadSecret.java"
		run "$T/ReadSecret.java"
		rm -rf "$S"
		is "$RC:$OUT" "0:blocked NoSuchFileException" \
		    "a job cannot read a key under /usr/local/etc"
	else
		skip "a key under /usr/local/etc" "cannot write there"
		skip "a job cannot read it" "cannot write there"
	fi
	run "$J/ShmFlood.java"
	is "$RC:$OUT" "0:shm=16MiB stopped dev=blocked" \
	    "a /dev/shm flood stops at 16 MiB; /dev itself is read-only"
else
	for d in "no network" "no /etc/shadow" "writes only /tmp" \
	    "nothing reaches the host" "no key under /usr/local/etc" \
	    "the key is not there" "/dev/shm is bounded" \
	    "/dev/shm is bounded"; do
		skip "sandbox: $d" "bubblewrap does not work here"
	done
fi

# Without cgroups (JDP_CGROUP=none, for tests only), RLIMIT_AS bounds
# memory and threads instead.
run "$J/Limits.java"
if [ "$PIDS_LIMIT" = 1 ]; then
	is "$OUT" "as=unlimited" "with cgroups, no address-space limit"
else
	like "$OUT" "^as=[0-9]+$" "without a pids cgroup, an address-space limit"
fi
export JDP_CGROUP=none
run "$J/Limits.java"
like "$RC:$OUT" "^0:as=[0-9]+$" "without cgroups: an address-space limit"
run "$J/ThreadBomb.java"
like "$RC:$OUT" "^0:stopped after [0-9]+ threads$" \
    "without cgroups: threads without end are stopped"
n=$(printf '%s' "$OUT" | sed -n 's/^stopped after \([0-9]*\) threads$/\1/p')
ok $((${n:-100000} > 1000)) "... after at most 1000 (${n:-none})"
run "$J/Hog.java"
is "$RC:$LINE1" "1:Memory limit exceeded (200 MiB)" \
    "without cgroups: allocating without end: memory limit"
if [ "$SANDBOX" = bwrap ]; then
	run "$J/ShmFlood.java"
	is "$RC:$OUT" "0:shm=16MiB stopped dev=blocked" \
	    "without cgroups: /dev/shm is bounded"
else
	skip "without cgroups: /dev/shm is bounded" "no bubblewrap here"
	skip "without cgroups: no process left behind" "no bubblewrap here"
fi
run "$J/Hello.java"
is "$RC:$OUT" "0:Hello 42" "without cgroups: an ordinary job after those"
unset JDP_CGROUP

# The same ordinary job still works after all of that.
run "$J/Hello.java"
is "$RC:$OUT" "0:Hello 42" "an ordinary job after the hostile ones"

done_testing
