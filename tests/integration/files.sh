#!/bin/bash
# files.sh: /v1/run with several files (docs/WORK.md, "Several files"):
# a package directory, main inferred and named, args, release, a source
# with args; the 400s for bad file names, duplicates, too many files,
# source and files together and unknown fields; the cache key covers the
# files and the args.
. "$(dirname "$0")/lib.sh"

JAR="$top_builddir/jdp-runner.jar"
[ -f "$JAR" ] || skip_all "no $JAR (built by make)"
command -v java >/dev/null || skip_all "no java"

make_cluster 2 "runner-jar $JAR" "job-timeout 10s" "request-wait 60s" \
	"run-pool 1" "max-files 3"
sandbox_probe
for i in 0 1 2; do
	start_node "$i"
done
wait_for 30 has_leader
ok $? "a leader is elected"

# v1 JSON: POST JSON to /v1/run; the answer, the status in $T/code and
# the headers in $T/headers.
v1() {
	curl -s --max-time 60 -D "$T/headers" -o "$T/body" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data "$1" "$GW/v1/run" >"$T/code"
	cat "$T/body"
}
cached() {
	tr -d '\r' <"$T/headers" | sed -n 's/^Cached-Response: //Ip'
}

MAIN='{"name": "app/Main.java", "content": "package app; import util.Helper; public class Main { public static void main(String[] a) { System.out.print(Helper.greet(String.join(\"+\", a))); } }"}'
HELPER='{"name": "util/Helper.java", "content": "package util; public class Helper { public static String greet(String w) { return \"hi \" + w; } }"}'

json=$(v1 "{\"files\": [$MAIN, $HELPER], \"args\": [\"a\", \"b c\"]}")
is "$(cat "$T/code")" 200 "two files: 200"
like "$json" '"status":"ok","result":"hi a\+b c"' "two files, a package, main inferred, args reach main"
is "$(cached)" false "first answer: Cached-Response: false"
json=$(v1 "{\"files\": [$MAIN, $HELPER], \"args\": [\"a\", \"b c\"]}")
like "$json" '"result":"hi a\+b c".*"cached":true' "the same files and args: cached"
is "$(cached)" true "... Cached-Response: true"
json=$(v1 "{\"files\": [$MAIN, $HELPER], \"args\": [\"a\"]}")
like "$json" '"result":"hi a".*"cached":false' "other args: not a cache hit"
is "$(cached)" false "... Cached-Response: false"
json=$(v1 "{\"files\": [$MAIN, $HELPER], \"args\": [\"a\"], \"main\": \"app.Main\"}")
like "$json" '"result":"hi a".*"cached":false' "main named: runs, and is another cache entry"

A='{"name": "A.java", "content": "public class A { public String run() { return \"A\"; } }"}'
B='{"name": "B.java", "content": "public class B { public String run() { return \"B\"; } }"}'
json=$(v1 "{\"files\": [$A, $B]}")
like "$json" '"status":"compile_error","result":"Code did not compile:\\nError:\\ncannot infer the main class, candidates: A, B' \
	"two candidates: compile_error naming them"
like "$(v1 "{\"files\": [$A, $B], \"main\": \"B\"}")" '"status":"ok","result":"B"' "main picks one"

VAR='public class V { public String run() { var x = \"v\"; return x; } }'
like "$(v1 "{\"source\": \"$VAR\", \"release\": 17}")" '"status":"ok","result":"v"' "a source with release 17"
like "$(v1 "{\"source\": \"$VAR\", \"release\": 8}")" '"status":"compile_error"' "var with release 8: compile_error"
ARGS='public class P { public static void main(String[] a) { System.out.print(a.length + a[0]); } }'
like "$(v1 "{\"source\": \"$ARGS\", \"args\": [\"x\"]}")" '"status":"ok","result":"1x"' "a source with args"

# bad BODY TEXT WHAT: a 400 whose error holds TEXT.
bad() {
	v1 "$1" >/dev/null
	is "$(cat "$T/code")" 400 "$3: 400"
	like "$(cat "$T/body")" "$2" "$3: names it"
}
C='"content": "class X {}"'
bad "{\"files\": [{\"name\": \"/etc/X.java\", $C}]}" 'is absolute' "an absolute file name"
bad "{\"files\": [{\"name\": \"a/../X.java\", $C}]}" 'holds \\"..\\"' "a file name with .."
bad "{\"files\": [{\"name\": \"\", $C}]}" 'a file name is empty' "an empty file name"
bad "{\"files\": [{\"name\": \"notes.txt\", $C}]}" 'does not end in .java' "a file that is not .java"
bad "{\"files\": [{\"name\": \"X.java\", $C}, {\"name\": \"X.java\", $C}]}" \
	'two files named \\"X.java\\"' "two files of the same name"
bad "{\"files\": [{\"name\": \"A.java\", $C}, {\"name\": \"B.java\", $C}, {\"name\": \"C.java\", $C}, {\"name\": \"D.java\", $C}]}" \
	'too many files: 4 \(max-files is 3\)' "more files than max-files"
bad "{\"source\": \"class X {}\", \"files\": [{\"name\": \"X.java\", $C}]}" \
	'give \\"source\\" or \\"files\\", not both' "source and files"
bad '{"stdin": ""}' '\\"source\\" \(a string\) or \\"files\\" \(an array\) is required' "neither source nor files"
bad '{"source": "class X {}", "tests": []}' 'unknown field \\"tests\\"' "an unknown field"
bad '{"source": "class X {}", "release": "17"}' '\\"release\\" must be a positive integer' "a release that is no integer"
bad '{"source": "class X {}", "args": [1]}' '\\"args\\" must be an array of strings' "args that are not strings"

done_testing
