/*
 * test_runner.c: the runner in-process on an event loop, the way jdpd uses
 * it: a warm compile server and a pool of run JVMs serving many jobs.
 * Hostile jobs are each followed by an ordinary one; jobs with the same
 * class name run side by side; the queue limit rejects; cancel, metrics
 * and a compile server that dies. Then the same in trusted mode (job-mode
 * trusted: jobs run in the compile server), where a job's threads that
 * cannot be stopped cost a new compile server, and no other job.
 *
 * Needs the build tree's jdp-runner.jar and a JDK; uses the job files in
 * tests/data/jobs/.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "runner.h"
#include "runner-int.h"
#include "sandbox.h"
#include "tap.h"
#include "xmalloc.h"

#define NSLOTS 16

struct slot {
	int done;
	int calls;
	int order; /* 1 for the first callback of a test, 2 ... */
	enum proto_result_status status;
	char *body;
	size_t body_len;
	char *out;
};

static struct ev *ev;
static struct runner *r;
static const char *srcdir, *builddir;
static int norder; /* callbacks so far, for slot.order */

static void
test_cb(const struct runner_result *res, void *arg)
{
	struct slot *s = arg;

	s->calls++;
	s->done = 1;
	s->order = ++norder;
	s->status = res->status;
	free(s->body);
	s->body = xstrndup(res->body, res->body_len);
	s->body_len = res->body_len;
	free(s->out);
	s->out = xstrndup(res->out, res->out_len);
}

/* test_cb, then cancel the job being answered: nothing may happen. */
static void
test_cancel_cb(const struct runner_result *res, void *arg)
{
	test_cb(res, arg);
	runner_cancel(r, res->id);
}

static void
slots_reset(struct slot *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(s[i].body);
		free(s[i].out);
		memset(&s[i], 0, sizeof s[i]);
	}
}

/* Run the loop until the n slots are done or ms pass; 0 if all done. */
static int
wait_slots(struct slot *s, int n, int64_t ms)
{
	int64_t end = ev_update_time(ev) + ms;
	int i, all;

	for (;;) {
		for (all = 1, i = 0; i < n; i++)
			all &= s[i].done;
		if (all)
			return 0;
		if (ev_now(ev) >= end)
			return -1;
		ev_run_once(ev, 100);
	}
}

/* Run the loop for ms. */
static void
spin(int64_t ms)
{
	int64_t end = ev_update_time(ev) + ms;

	while (ev_now(ev) < end)
		ev_run_once(ev, end - ev_now(ev));
}

static char *
load(const char *name, size_t *len)
{
	char path[4096], *data;
	FILE *f;
	long n;

	snprintf(path, sizeof path, "%s/tests/data/jobs/%s.java", srcdir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = xmalloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* Submit a job with its stdin and time limit (ms, 0: job-timeout). */
static uint64_t
submit_in(const char *name, const char *in, size_t in_len, int64_t timeout_ms,
    struct slot *s)
{
	char *src;
	size_t len;
	uint64_t id;

	src = load(name, &len);
	id = runner_submit(r, src, len, in, in_len, timeout_ms, test_cb, s);
	free(src);
	return id;
}

static uint64_t
submit(const char *name, struct slot *s)
{
	return submit_in(name, NULL, 0, 0, s);
}

/* Submit one job with stdin and a time limit, and wait for it. */
static void
run1_in(const char *name, const char *in, size_t in_len, int64_t timeout_ms,
    struct slot *s)
{
	slots_reset(s, 1);
	submit_in(name, in, in_len, timeout_ms, s);
	if (wait_slots(s, 1, 30000) == -1)
		diag("%s: no answer within 30 s", name);
}

static void
run1(const char *name, struct slot *s)
{
	run1_in(name, NULL, 0, 0, s);
}

/* Run several files (name, content, ...) with main, args and release. */
static void
run_files(const char *const *files, size_t nfiles, const char *main,
    const char *const *args, size_t nargs, uint32_t release, struct slot *s)
{
	struct runner_str f[16], a[8];
	struct runner_spec spec;
	size_t i;

	memset(&spec, 0, sizeof spec);
	for (i = 0; i < 2 * nfiles; i++) {
		f[i].p = files[i];
		f[i].len = strlen(files[i]);
	}
	for (i = 0; i < nargs; i++) {
		a[i].p = args[i];
		a[i].len = strlen(args[i]);
	}
	spec.files = f;
	spec.nfiles = nfiles;
	spec.main.p = main;
	spec.main.len = main != NULL ? strlen(main) : 0;
	spec.args = a;
	spec.nargs = nargs;
	spec.release = release;
	slots_reset(s, 1);
	runner_submit_spec(r, &spec, test_cb, s);
	if (wait_slots(s, 1, 30000) == -1)
		diag("files: no answer within 30 s");
}

/*
 * Several files (docs/RUNNER.md, "Several files"): a package directory,
 * main inferred and named, two candidates, args, --release.
 */
static void
test_files(struct slot *s, const char *mode)
{
	static const char *const two[] = {"app/Main.java",
	    "package app; import util.Helper; public class Main { "
	    "public static void main(String[] a) { "
	    "System.out.print(Helper.greet(String.join(\"+\", a)) + "
	    "\" \" + a.length); } }",
	    "util/Helper.java",
	    "package util; public class Helper { public static String "
	    "greet(String w) { return \"hi \" + w; } }"};
	static const char *const both[] = {"A.java",
	    "public class A { public String run() { return \"A\"; } }",
	    "B.java",
	    "public class B { public static void main(String[] a) { "
	    "System.out.print(\"B\"); } }"};
	static const char *const var[] = {"V.java",
	    "public class V { public String run() { var x = \"v\"; "
	    "return x; } }"};
	static const char *const args[] = {"x", "y z", ""};
	char what[64];

	run_files(two, 2, NULL, args, 3, 0, s);
	snprintf(what, sizeof what, "%sfiles: a package, main inferred", mode);
	is_int(s[0].status, PROTO_RESULT_OK, "%s: ok", what);
	is_str(s[0].body, "hi x+y z+ 3", "%s: args reach main", what);
	run_files(two, 2, NULL, NULL, 0, 0, s);
	is_str(s[0].body, "hi  0", "%sfiles: no args: an empty array", mode);

	run_files(both, 2, NULL, NULL, 0, 0, s);
	is_int(s[0].status, PROTO_RESULT_COMPILE_ERROR,
	    "%sfiles: two candidates: compile_error", mode);
	ok(s[0].body != NULL &&
		strstr(s[0].body, "candidates: A, B; name one") != NULL,
	    "%sfiles: the answer names the candidates", mode);
	if (s[0].body != NULL && strstr(s[0].body, "candidates") == NULL)
		diag("%s", s[0].body);
	run_files(both, 2, "B", NULL, 0, 0, s);
	is_str(s[0].body, "B", "%sfiles: main named: B", mode);
	run_files(both, 2, "A", NULL, 0, 0, s);
	is_str(s[0].body, "A", "%sfiles: main named: A (run())", mode);
	run_files(both, 2, "C", NULL, 0, 0, s);
	ok(s[0].status == PROTO_RESULT_COMPILE_ERROR && s[0].body != NULL &&
		strstr(s[0].body, "main class C not found") != NULL,
	    "%sfiles: an unknown main class: compile_error naming it", mode);

	run_files(var, 1, NULL, NULL, 0, 17, s);
	is_str(s[0].body, "v", "%sfiles: var with --release 17", mode);
	run_files(var, 1, NULL, NULL, 0, 8, s);
	ok(s[0].status == PROTO_RESULT_COMPILE_ERROR && s[0].body != NULL &&
		strstr(s[0].body, "Error on line 1") != NULL,
	    "%sfiles: var with --release 8: compile_error", mode);
	run_files(var, 1, NULL, NULL, 0, 99, s);
	ok(s[0].status == PROTO_RESULT_COMPILE_ERROR && s[0].body != NULL &&
		strstr(s[0].body, "release 99 is not supported") != NULL,
	    "%sfiles: release 99: compile_error naming it", mode);
}

/*
 * stdin and per-job time limits: main() and run() read exactly the given
 * bytes then end of file, or nothing at once; 1 MiB goes in while the job
 * prints; a limit below job-timeout (8 s) applies and names itself, one
 * above it is capped.
 */
static void
test_stdin_timeout(struct slot *s)
{
	const char text[] = "first line\nsecond line, no newline";
	char *big, want[64];
	size_t i, n = 1 << 20;
	uint64_t sum = 0;

	run1_in("Echo", text, sizeof text - 1, 0, s);
	is_int(s->status, PROTO_RESULT_OK, "Echo with stdin: ok");
	is_str(s->body, text, "main() reads exactly its stdin");
	run1("Echo", s);
	is_int(s->status, PROTO_RESULT_OK, "Echo without stdin: ok");
	is_str(s->body, "", "without stdin System.in is empty at once");

	big = xmalloc(n);
	for (i = 0; i < n; i++) {
		big[i] = (char)(i % 251);
		sum = (sum * 31 + (uint8_t)big[i]) % 1000000007;
	}
	snprintf(want, sizeof want, "bytes=%zu sum=%llu", n,
	    (unsigned long long)sum);
	run1_in("ReadIn", big, n, 0, s);
	free(big);
	is_str(s->body, want, "run() reads 1 MiB of stdin, byte for byte");
	is_str(s->out, "................",
	    "... printing while it reads (no deadlock)");
	run1("ReadIn", s);
	is_str(s->body, "bytes=0 sum=0", "run() without stdin reads nothing");

	run1_in("Sleeper", NULL, 0, 1000, s);
	is_int(s->status, PROTO_RESULT_TIMEOUT, "timeout 1 s: timeout");
	is_str(s->body, "Time limit exceeded (1 s)",
	    "timeout 1 s: the text names the job's own limit");
	run1_in("Sleeper", NULL, 0, 250, s);
	is_str(s->body, "Time limit exceeded (250 ms)",
	    "timeout 250 ms: the text names milliseconds");
	run1_in("Sleeper", NULL, 0, 60000, s);
	is_str(s->body, "Time limit exceeded (8 s)",
	    "timeout 60 s: capped at job-timeout 8 s");
}

static int
starts_with(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Read /proc/PID/NAME into buf, NUL-terminated; its length, or -1. */
static long
read_proc(long pid, const char *name, char *buf, size_t size)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/%s", pid, name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

/* The pid of our child running the compile server, or -1. */
static pid_t
find_compile_server(void)
{
	DIR *d;
	struct dirent *de;
	char buf[8192];
	long n, i, pid, ppid;
	pid_t found = -1;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while (found == -1 && (de = readdir(d)) != NULL) {
		if ((pid = strtol(de->d_name, NULL, 10)) <= 0)
			continue;
		if (read_proc(pid, "stat", buf, sizeof buf) == -1)
			continue;
		if (strrchr(buf, ')') == NULL ||
		    sscanf(strrchr(buf, ')') + 2, "%*c %ld", &ppid) != 1 ||
		    ppid != (long)getpid())
			continue;
		if ((n = read_proc(pid, "cmdline", buf, sizeof buf)) == -1)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		if (strstr(buf, "jdp.CompileServer") != NULL)
			found = (pid_t)pid;
	}
	closedir(d);
	return found;
}

/*
 * Same class name, static state (Counter): n runs, two side by side, then
 * one after another; each sees runs=1. prefix starts the test names.
 */
static void
test_counter(struct slot *s, int n, const char *prefix)
{
	int i;

	slots_reset(s, n);
	submit("Counter", &s[0]);
	submit("Counter", &s[1]);
	wait_slots(s, 2, 30000);
	for (i = 2; i < n; i++) {
		submit("Counter", &s[i]);
		wait_slots(s + i, 1, 30000);
	}
	for (i = 0; i < n; i++)
		is_str(s[i].body, "runs=1",
		    "%sCounter run %d: static state is not shared", prefix,
		    i + 1);
}

/*
 * A hostile job with its time limit (ms; 0: job-timeout, 8 s, long enough
 * for Hog to reach its memory limit on a loaded machine), then an
 * ordinary job.
 */
static void
test_hostile_then_ordinary(const char *name, int64_t timeout_ms,
    enum proto_result_status want, const char *first, struct slot *s)
{
	run1_in(name, NULL, 0, timeout_ms, s);
	is_int(s->status, want, "%s: status %s", name,
	    proto_result_status_name(want));
	if (!ok(starts_with(s->body, first), "%s: answer starts \"%s\"", name,
		first))
		diag("got: %.200s", s->body ? s->body : "(none)");
	run1("Hello", s);
	is_str(s->body, "Hello 42", "an ordinary job after %s succeeds", name);
}

/* A runner on ev for these directives, or bail out; sets *conf. */
static struct runner *
runner_start(const char *directives, struct conf **conf)
{
	struct runner *rn;
	char *text, *cause;

	xasprintf(&text,
	    "node 1 peer 127.0.0.1:7010\n"
	    "cluster-key-file /dev/null\n"
	    "job-memory 128M\n"
	    "job-output-max 64K\n"
	    "runner-jar %s/jdp-runner.jar\n"
	    "%s%s",
	    builddir, directives,
	    getenv("JDP_TEST_UNSANDBOXED") ? "allow-unsandboxed yes\n" : "");
	if (conf_parse("test.conf", text, conf, &cause) == -1) {
		printf("Bail out! %s\n", cause);
		exit(1);
	}
	free(text);
	if ((rn = runner_new(ev, *conf, &cause)) == NULL &&
	    strstr(cause, "bubblewrap") != NULL) {
		/* CI containers without bwrap: what runs is still tested. */
		diag("%s; retrying unsandboxed", cause);
		free(cause);
		(*conf)->allow_unsandboxed = 1;
		rn = runner_new(ev, *conf, &cause);
	}
	if (rn == NULL) {
		printf("Bail out! %s\n", cause);
		exit(1);
	}
	diag("sandbox: %s", runner_sandbox(rn));
	return rn;
}

/* The value of one metric line ("name value"), or -1. */
static long
metric(const char *name)
{
	struct buf m;
	char *p, *line;
	long v = -1;

	buf_init(&m);
	runner_write_metrics(r, &m);
	xasprintf(&line, "\n%s ", name);
	if ((p = strstr(buf_cstr(&m), line)) != NULL)
		v = strtol(p + strlen(line), NULL, 10);
	free(line);
	buf_free(&m);
	return v;
}

/* ok if text contains sub. */
static void
has(const char *text, const char *sub, const char *name)
{
	if (!ok(text != NULL && strstr(text, sub) != NULL, "%s", name))
		diag("got: %.300s", text != NULL ? text : "(none)");
}

/*
 * Jobs that write on the harness's control channel themselves (fd 3,
 * reached by reflection): a record claiming 70 MiB and 200000 tiny ones
 * end the JVM with a runtime error that says so, never a body over
 * job-output-max; a job that writes two results is answered with the
 * first, once. A result over the limit in bytes (not characters) is
 * output_limit. After each, an ordinary job.
 */
static void
test_forgery(struct slot *s)
{
	static const char bad[] = "Could not create and run instance of class\n"
				  "the job broke the run harness's protocol";

	test_hostile_then_ordinary(
	    "ForgeHuge", 0, PROTO_RESULT_RUNTIME_ERROR, bad, s);
	ok(s->calls == 1, "ForgeHuge: one answer");
	run1("ForgeHuge", s);
	ok(s->body_len <= 64 * 1024,
	    "ForgeHuge: the body handed on is at most job-output-max (%zu)",
	    s->body_len);
	has(s->body, "a record of 73400320 bytes",
	    "ForgeHuge: the text says what was wrong");
	test_hostile_then_ordinary(
	    "ForgeTiny", 0, PROTO_RESULT_RUNTIME_ERROR, bad, s);
	run1("ForgeTiny", s);
	has(s->body, "an unexpected record 'R'",
	    "ForgeTiny: the text says what was wrong");
	test_hostile_then_ordinary(
	    "ForgeTwice", 0, PROTO_RESULT_OK, "first", s);
	run1("ForgeTwice", s);
	is_str(s->body, "first", "ForgeTwice: the first record is the answer");
	spin(300);
	is_int(s->calls, 1, "ForgeTwice: and the only one");
	test_hostile_then_ordinary("WideResult", 0, PROTO_RESULT_OUTPUT_LIMIT,
	    "Output limit exceeded (64 KiB)", s);
	is_int(metric("jdp_runner_protocol_errors_total"), 4,
	    "the four forgeries are counted");
}

/* A job whose run() returns "" + open x n, mid, close x n. Caller frees. */
static char *
deep_source(const char *open, const char *mid, const char *close, int n)
{
	struct buf b;
	char *src;
	int i;

	buf_init(&b);
	buf_puts(&b,
	    "public class Deep {\n\tpublic String run() {\n"
	    "\t\treturn \"\" + ");
	for (i = 0; i < n; i++)
		buf_puts(&b, open);
	buf_puts(&b, mid);
	for (i = 0; i < n; i++)
		buf_puts(&b, close);
	buf_puts(&b, ";\n\t}\n}\n");
	src = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return src;
}

/*
 * The compile server against its jobs: sources nested deeply enough to
 * overflow javac's stack are compile errors and the next job compiles;
 * a public class of one job is not visible to the next job's compile.
 */
static void
test_compile_hostile(struct slot *s)
{
	static const struct {
		const char *what, *open, *mid, *close;
	} deep[] = {
	    {"100000 nested parentheses", "(", "1", ")"},
	    {"a chain of 100000 additions", "", "1", "+1"},
	};
	char *src;
	size_t i;

	for (i = 0; i < sizeof deep / sizeof deep[0]; i++) {
		slots_reset(s, 1);
		src = deep_source(
		    deep[i].open, deep[i].mid, deep[i].close, 100000);
		runner_submit(r, src, strlen(src), NULL, 0, 0, test_cb, s);
		free(src);
		if (wait_slots(s, 1, 60000) == -1)
			diag("%s: no answer within 60 s", deep[i].what);
		is_int(s->status, PROTO_RESULT_COMPILE_ERROR,
		    "%s: a compile error", deep[i].what);
		if (!ok(starts_with(s->body, "Code did not compile:"),
			"%s: the classic first line", deep[i].what))
			diag("got: %.300s", s->body ? s->body : "(none)");
		has(s->body, "nested too deeply", "... that says why");
		ok(s->body_len < 200, "... in a few words, not javac's stack");
		run1("Hello", s);
		is_str(s->body, "Hello 42", "an ordinary job after %s",
		    deep[i].what);
	}

	run1("Const", s);
	is_str(s->body, "leaked", "Const: a public class with a constant");
	run1("UsesConst", s);
	is_int(s->status, PROTO_RESULT_COMPILE_ERROR,
	    "UsesConst: a later job does not see Const");
	has(s->body, "cannot find symbol", "UsesConst: javac's reason");
}

/* Run the loop until job id is running or ms pass; 0 if it is. */
static int
wait_running(uint64_t id, int64_t ms)
{
	int64_t end = ev_update_time(ev) + ms;
	struct runner_job *job;

	for (;;) {
		TAILQ_FOREACH(job, &r->jobs, all)
		if (job->id == id && job->state == RUNNER_JOB_RUNNING)
			return 0;
		if (ev_now(ev) >= end)
			return -1;
		ev_run_once(ev, 100);
	}
}

/*
 * One run JVM (run-pool 1) and job-timeout 30 s. Three jobs cancelled
 * while they run give their JVMs back: none stays counted busy, and the
 * pool still starts JVMs. A source that javac needs hours for, with a
 * 2 s limit, and behind it two ordinary jobs, with 1 s and 30 s: the
 * first is answered when its 1 s have passed waiting (the wait counts),
 * the slow compile at its 2 s (the compile server is killed), and the
 * third on the new compile server.
 */
static void
test_deadlines(void)
{
	struct conf *conf;
	struct slot s[4];
	uint64_t id;
	int i;

	memset(s, 0, sizeof s);
	r = runner_start("job-timeout 30s\nrun-pool 1\n", &conf);
	slots_reset(s, 4);
	for (i = 0; i < 3; i++) {
		id = submit("Sleeper", &s[i]);
		if (wait_running(id, 30000) == -1)
			diag("Sleeper %d does not run within 30 s", i + 1);
		runner_cancel(r, id);
	}
	is_int(metric("jdp_runner_jvms{state=\"busy\"}"), 0,
	    "three cancelled running jobs: no JVM is left counted busy");
	run1("Hello", &s[3]);
	is_str(s[3].body, "Hello 42", "run-pool 1: a job after three cancels");
	is_int(s[0].calls + s[1].calls + s[2].calls, 0,
	    "the cancelled jobs got no callback");

	slots_reset(s, 3);
	norder = 0;
	submit_in("SlowCompile", NULL, 0, 2000, &s[0]);
	submit_in("Hello", NULL, 0, 1000, &s[1]);
	submit_in("Hello", NULL, 0, 0, &s[2]);
	if (wait_slots(s, 3, 90000) == -1)
		diag("not all answered within 90 s");
	is_int(s[1].status, PROTO_RESULT_TIMEOUT,
	    "a job queued behind a slow compile times out at its own limit");
	is_str(s[1].body, "Time limit exceeded (1 s)",
	    "... and says so (its own limit)");
	is_int(s[1].order, 1, "... before the slow compile is over");
	is_int(s[0].status, PROTO_RESULT_TIMEOUT, "SlowCompile: timeout");
	is_str(s[0].body, "Time limit exceeded (2 s)",
	    "SlowCompile: at its own limit");
	is_int(s[2].status, PROTO_RESULT_OK,
	    "the job queued behind it runs on the new compile server");
	is_str(s[2].body, "Hello 42", "... with its answer");
	is_int(metric("jdp_runner_compile_server_restarts_total"), 1,
	    "the slow compile cost one compile server restart");
	run1("Hello", s);
	is_str(s->body, "Hello 42", "an ordinary job after the slow compile");

	runner_free(r);
	slots_reset(s, 4);
	conf_free(conf);
}

/* Trusted mode: jobs run in the compile server, as threads. */
static void
test_trusted(void)
{
	struct conf *conf;
	struct slot s[4];

	memset(s, 0, sizeof s);
	r = runner_start("job-timeout 8s\njob-mode trusted\n", &conf);
	is_int(metric("jdp_runner_job_mode{mode=\"trusted\"}"), 1,
	    "trusted: metrics show the job mode");

	run1("Hello", s);
	is_int(s[0].status, PROTO_RESULT_OK, "trusted: Hello: ok");
	is_str(s[0].body, "Hello 42", "trusted: what run() returned");
	run1("MainJob", s);
	is_str(s[0].body, "sorted [a, b, c]\ndone",
	    "trusted: main(): the result is what it printed");
	is_str(s[0].out, "sorted [a, b, c]\ndone", "trusted: main(): stdout");
	run1("Packaged", s);
	is_str(s[0].body, "org.example.jobs.Packaged",
	    "trusted: a job in a package");
	test_files(s, "trusted: ");
	run1("Broken", s);
	is_int(
	    s[0].status, PROTO_RESULT_COMPILE_ERROR, "trusted: compile error");
	run1("Throws", s);
	is_int(
	    s[0].status, PROTO_RESULT_RUNTIME_ERROR, "trusted: runtime error");
	is_str(s[0].body,
	    "Could not create and run instance of class\n"
	    "java.lang.IllegalStateException: boom\n"
	    "\tat Throws.run(Throws.java:3)",
	    "trusted: the exception and the job's stack, nothing of ours");

	test_counter(s, 3, "trusted: ");

	test_hostile_then_ordinary(
	    "Loop", 3000, PROTO_RESULT_TIMEOUT, "Time limit exceeded (3 s)", s);
	test_hostile_then_ordinary("Exits", 0, PROTO_RESULT_RUNTIME_ERROR,
	    "Could not create and run instance of class\n"
	    "java.lang.IllegalStateException: the job called System.exit(3) "
	    "instead of returning from run()",
	    s);
	run1("MainExits", s);
	is_str(s[0].body, "printed before exit\n",
	    "trusted: System.exit(0) after main() printed: its output");
	test_hostile_then_ordinary("Printer", 0, PROTO_RESULT_OUTPUT_LIMIT,
	    "Output limit exceeded (64 KiB)", s);
	/* Printer was stopped printing: none of it reaches the next job. */
	run1("MainJob", s);
	is_str(s[0].out, "sorted [a, b, c]\ndone",
	    "trusted: a job's stdout after an output flood is its own");
	test_hostile_then_ordinary("BigResult", 0, PROTO_RESULT_OUTPUT_LIMIT,
	    "Output limit exceeded (64 KiB)", s);
	test_stdin_timeout(s);
	test_files(s, "");
	run1("ForgeHuge", s);
	ok(s->done && s->body_len <= 64 * 1024,
	    "trusted: a job writing 70 MiB on fd 3 is answered within limits");
	run1("Hello", s);
	is_str(s->body, "Hello 42", "trusted: an ordinary job after it");
	is_int(metric("jdp_runner_compile_server_restarts_total"), 0,
	    "trusted: the compile server survived all that");

	/* A slow job does not hold up the next one. */
	slots_reset(s, 2);
	submit("Nap", &s[0]);
	submit("Hello", &s[1]);
	wait_slots(s + 1, 1, 30000);
	ok(s[1].done && !s[0].done,
	    "trusted: a job is answered while an "
	    "earlier, slower one still runs");
	wait_slots(s, 1, 30000);
	is_str(s[0].body, "rested", "trusted: the slower job too");

	/*
	 * Stuck leaves a thread that cannot be stopped: the compile server
	 * is restarted; Nap, running meanwhile, runs again, and is answered.
	 */
	run1("Stuck", s);
	is_str(s[0].body, "stuck", "trusted: Stuck: ok");
	slots_reset(s, 2);
	submit("Nap", &s[0]);
	submit("Hello", &s[1]);
	wait_slots(s, 2, 60000);
	is_str(s[0].body, "rested",
	    "trusted: a job running when the server restarts is answered");
	is_str(s[1].body, "Hello 42", "trusted: and the one after it");
	is_int(metric("jdp_runner_compile_server_restarts_total"), 1,
	    "trusted: the threads left behind cost one server restart");
	run1("Hello", s);
	is_str(s[0].body, "Hello 42", "trusted: jobs go on after it");

	runner_free(r);
	errno = 0;
	ok(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "trusted: runner_free leaves no child behind");
	slots_reset(s, 4);
	conf_free(conf);
}

/*
 * The whole /metrics text of a runner with every number set, byte for
 * byte (Prometheus scrapers and dashboards read it). No JVM: a runner
 * struct filled by hand.
 */
static void
test_metrics_text(void)
{
	static const char want[] =
	    "# HELP jdp_runner_job_mode Where jobs run (job-mode): a sandboxed "
	    "JVM each, or trusted in the compile server.\n"
	    "# TYPE jdp_runner_job_mode gauge\n"
	    "jdp_runner_job_mode{mode=\"sandbox\"} 1\n"
	    "# HELP jdp_runner_trusted_running Trusted jobs running in the "
	    "compile server.\n"
	    "# TYPE jdp_runner_trusted_running gauge\n"
	    "jdp_runner_trusted_running 1\n"
	    "# HELP jdp_runner_jobs_total Jobs finished by the runner, by "
	    "status.\n"
	    "# TYPE jdp_runner_jobs_total counter\n"
	    "jdp_runner_jobs_total{status=\"ok\"} 1\n"
	    "jdp_runner_jobs_total{status=\"compile_error\"} 11\n"
	    "jdp_runner_jobs_total{status=\"runtime_error\"} 21\n"
	    "jdp_runner_jobs_total{status=\"timeout\"} 31\n"
	    "jdp_runner_jobs_total{status=\"memory_limit\"} 41\n"
	    "jdp_runner_jobs_total{status=\"output_limit\"} 51\n"
	    "jdp_runner_jobs_total{status=\"rejected\"} 61\n"
	    "# HELP jdp_runner_pool_size Run JVMs kept warm (run-pool).\n"
	    "# TYPE jdp_runner_pool_size gauge\n"
	    "jdp_runner_pool_size 2\n"
	    "# HELP jdp_runner_jvms Run JVMs by state.\n"
	    "# TYPE jdp_runner_jvms gauge\n"
	    "jdp_runner_jvms{state=\"starting\"} 1\n"
	    "jdp_runner_jvms{state=\"ready\"} 2\n"
	    "jdp_runner_jvms{state=\"busy\"} 3\n"
	    "# HELP jdp_runner_queued Jobs waiting, by stage.\n"
	    "# TYPE jdp_runner_queued gauge\n"
	    "jdp_runner_queued{stage=\"compile\"} 11\n"
	    "jdp_runner_queued{stage=\"run\"} 4\n"
	    "# HELP jdp_runner_compile_server_up 1 when the compile server is "
	    "ready.\n"
	    "# TYPE jdp_runner_compile_server_up gauge\n"
	    "jdp_runner_compile_server_up 1\n"
	    "# HELP jdp_runner_compile_server_restarts_total Compile server "
	    "restarts.\n"
	    "# TYPE jdp_runner_compile_server_restarts_total counter\n"
	    "jdp_runner_compile_server_restarts_total 5\n"
	    "# HELP jdp_runner_jvm_starts_total Run JVMs started.\n"
	    "# TYPE jdp_runner_jvm_starts_total counter\n"
	    "jdp_runner_jvm_starts_total 7\n"
	    "# HELP jdp_runner_jvm_start_failures_total Run JVMs that died "
	    "before their job.\n"
	    "# TYPE jdp_runner_jvm_start_failures_total counter\n"
	    "jdp_runner_jvm_start_failures_total 1\n"
	    "# HELP jdp_runner_protocol_errors_total Children killed for "
	    "breaking the runner's protocol (a malformed, oversized or "
	    "unexpected record).\n"
	    "# TYPE jdp_runner_protocol_errors_total counter\n"
	    "jdp_runner_protocol_errors_total 3\n"
	    "# HELP jdp_runner_compile_seconds_total Time spent compiling "
	    "jobs.\n"
	    "# TYPE jdp_runner_compile_seconds_total counter\n"
	    "jdp_runner_compile_seconds_total 1.234\n"
	    "# HELP jdp_runner_run_seconds_total Time spent running jobs.\n"
	    "# TYPE jdp_runner_run_seconds_total counter\n"
	    "jdp_runner_run_seconds_total 56.789\n";
	struct runner fake;
	struct runner_run run;
	struct runner_proc cs;
	struct runner_job job;
	struct buf m;
	int i;

	memset(&fake, 0, sizeof fake);
	memset(&run, 0, sizeof run);
	memset(&cs, 0, sizeof cs);
	memset(&job, 0, sizeof job);
	TAILQ_INIT(&fake.runs);
	run.job = &job;
	TAILQ_INSERT_TAIL(&fake.runs, &run, entry);
	for (i = 0; i < RUNNER_NSTATUS; i++)
		fake.finished[i] = (uint64_t)(i * 10 + 1);
	fake.pool_size = 2;
	fake.nstarting = 1;
	fake.nready = 2;
	fake.nbusy = 3;
	fake.njobs = 20;
	fake.nrun_q = 4;
	fake.compiling = &job;
	cs.state = RUNNER_PROC_READY;
	fake.cs = &cs;
	fake.cs_restarts = 5;
	fake.jvm_starts = 7;
	fake.jvm_failures = 1;
	fake.bad_records = 3;
	fake.compile_ms_sum = 1234;
	fake.run_ms_sum = 56789;
	buf_init(&m);
	runner_write_metrics(&fake, &m);
	is_str(buf_cstr(&m), want, "metrics: the whole text, byte for byte");
	buf_free(&m);
}

/*
 * sandbox_readable, the start-up check's question: could a process with
 * these ids and no capabilities read a file below a bound directory?
 */
static void
test_sandbox_readable(void)
{
	char root[] = "/tmp/jdp-readable.XXXXXX", sub[64], file[80], near[80];
	char neardir[64];
	const gid_t grp = 4242;
	uid_t me = geteuid();
	gid_t mygid = getegid();
	FILE *f;

	if (mkdtemp(root) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	chmod(root, 0755);
	snprintf(sub, sizeof sub, "%s/sub", root);
	snprintf(file, sizeof file, "%s/key", sub);
	snprintf(neardir, sizeof neardir, "%sx", root);
	snprintf(near, sizeof near, "%s/key", neardir);
	mkdir(sub, 0755);
	mkdir(neardir, 0755);
	if ((f = fopen(file, "w")) != NULL) {
		fputs("secret\n", f);
		fclose(f);
	}
	if ((f = fopen(near, "w")) != NULL)
		fclose(f);
	chmod(near, 0644);
	chmod(file, 0600);
	ok(sandbox_readable(root, file, me, mygid, NULL, 0),
	    "mode 0600: its owner (jdpd's own uid, as jobs run) reads it");
	ok(!sandbox_readable(root, file, 65534, 65534, NULL, 0),
	    "mode 0600: another uid does not");
	chmod(file, 0644);
	ok(sandbox_readable(root, file, 65534, 65534, NULL, 0),
	    "mode 0644: anyone reads it");
	chmod(sub, 0700);
	ok(!sandbox_readable(root, file, 65534, 65534, NULL, 0),
	    "mode 0644 in a 0700 directory: another uid cannot reach it");
	chmod(sub, 0711);
	ok(sandbox_readable(root, file, 65534, 65534, NULL, 0),
	    "... in a 0711 directory it can");
	chmod(root, 0700);
	ok(!sandbox_readable(root, file, 65534, 65534, NULL, 0),
	    "the bound directory's own mode counts too");
	chmod(root, 0755);
	chmod(file, 0000);
	ok(!sandbox_readable(root, file, me, mygid, NULL, 0),
	    "mode 0000: not even its owner (jobs have no capabilities)");
	chmod(file, 0640);
	if (me == 0 && chown(file, 0, grp) == 0) {
		ok(sandbox_readable(root, file, 65534, 65534, &grp, 1),
		    "mode 0640: a member of its group reads it");
		ok(!sandbox_readable(root, file, 65534, 65534, NULL, 0),
		    "... others do not");
	} else {
		ok(1, "group member # SKIP not root: cannot chown");
		ok(1, "group other # SKIP not root: cannot chown");
	}
	chmod(file, 0644);
	ok(sandbox_readable(file, file, 65534, 65534, NULL, 0),
	    "a file bound by itself (the jar)");
	ok(!sandbox_readable(sub, near, me, mygid, NULL, 0),
	    "a path outside the bound directory is not in the sandbox");
	ok(!sandbox_readable(root, near, me, mygid, NULL, 0),
	    "nor one that only shares its name's prefix");
	unlink(file);
	unlink(near);
	rmdir(sub);
	rmdir(neardir);
	rmdir(root);
}

int
main(void)
{
	struct conf *conf;
	struct slot s[NSLOTS];
	struct buf m;
	char *text, *src;
	size_t len;
	int i, nrej, nok;
	uint64_t id;
	pid_t cs;

	signal(SIGPIPE, SIG_IGN);
	memset(s, 0, sizeof s);
	if ((srcdir = getenv("top_srcdir")) == NULL)
		srcdir = "..";
	if ((builddir = getenv("top_builddir")) == NULL)
		builddir = ".";

	for (i = 0; i < RUNNER_NSTATUS; i++)
		ok(strcmp(proto_result_status_name(i), "unknown") != 0,
		    "status %d has a name (%s)", i,
		    proto_result_status_name(i));
	is_str(proto_result_status_name(PROTO_RESULT_MEMORY_LIMIT),
	    "memory_limit", "status names are the API's");
	test_metrics_text();
	test_sandbox_readable();

	ev = ev_new();
	r = runner_start("job-timeout 8s\nrun-pool 2\nqueue-max 6\n", &conf);
	is_int(metric("jdp_runner_job_mode{mode=\"sandbox\"}"), 1,
	    "metrics show the job mode");

	/* The callback never runs inside runner_submit. */
	slots_reset(s, 1);
	submit("Hello", &s[0]);
	is_int(s[0].done, 0, "no callback from inside runner_submit");
	wait_slots(s, 1, 30000);
	is_int(s[0].status, PROTO_RESULT_OK, "Hello: ok");
	is_str(s[0].body, "Hello 42", "Hello: what run() returned");

	test_counter(s, 4, "");

	test_hostile_then_ordinary(
	    "Loop", 3000, PROTO_RESULT_TIMEOUT, "Time limit exceeded (3 s)", s);
	test_hostile_then_ordinary("Hog", 0, PROTO_RESULT_MEMORY_LIMIT,
	    "Memory limit exceeded (128 MiB)", s);
	test_hostile_then_ordinary("Printer", 0, PROTO_RESULT_OUTPUT_LIMIT,
	    "Output limit exceeded (64 KiB)", s);
	test_hostile_then_ordinary("BigResult", 0, PROTO_RESULT_OUTPUT_LIMIT,
	    "Output limit exceeded (64 KiB)", s);
	test_hostile_then_ordinary("Exits", 0, PROTO_RESULT_RUNTIME_ERROR,
	    "Could not create and run instance of class", s);
	test_hostile_then_ordinary(
	    "Spawner", 0, PROTO_RESULT_OK, "blocked blocked", s);
	test_hostile_then_ordinary(
	    "ThreadBomb", 0, PROTO_RESULT_OK, "stopped after", s);
	test_hostile_then_ordinary("Broken", 0, PROTO_RESULT_COMPILE_ERROR,
	    "Code did not compile:\nError on line 3, column 24 in "
	    "string:///Broken.java\ncannot find symbol",
	    s);
	test_forgery(s);
	test_compile_hostile(s);

	/* Several at once, within queue-max: all answered, all right. */
	slots_reset(s, 6);
	for (i = 0; i < 6; i++)
		submit(i % 2 ? "Hello" : "MainJob", &s[i]);
	ok(wait_slots(s, 6, 60000) == 0, "six jobs at once are answered");
	for (nok = i = 0; i < 6; i++)
		nok += s[i].status == PROTO_RESULT_OK &&
		    strcmp(s[i].body,
			i % 2 ? "Hello 42" : "sorted [a, b, c]\ndone") == 0;
	is_int(nok, 6, "six jobs at once: all ok");

	/* Beyond queue-max: rejected, each answered exactly once. */
	slots_reset(s, 8);
	for (i = 0; i < 8; i++)
		submit("Hello", &s[i]);
	ok(wait_slots(s, 8, 60000) == 0, "eight jobs: all answered");
	for (nrej = nok = i = 0; i < 8; i++) {
		nrej += s[i].status == PROTO_RESULT_REJECTED &&
		    starts_with(s[i].body, "Runner busy");
		nok += s[i].status == PROTO_RESULT_OK;
	}
	is_int(nrej, 2, "the two beyond queue-max 6 are rejected");
	is_int(nok, 6, "the six within it run");
	spin(200);
	for (nok = i = 0; i < 8; i++)
		nok += s[i].calls == 1;
	is_int(nok, 8, "every callback ran exactly once");

	/* Cancel a running job: no callback, the next job is fine. */
	slots_reset(s, 2);
	id = submit_in("Sleeper", NULL, 0, 3000, &s[0]);
	runner_cancel(r, id + 1000); /* unknown: nothing happens */
	id = submit_in("Sleeper", NULL, 0, 3000, &s[1]);
	spin(800);
	runner_cancel(r, id);
	wait_slots(s, 1, 10000);
	is_int(s[0].status, PROTO_RESULT_TIMEOUT,
	    "an unknown id cancels nothing (that sleeper times out)");
	spin(300);
	is_int(s[1].calls, 0, "a cancelled job gets no callback");
	run1("Hello", s);
	is_str(s[0].body, "Hello 42", "an ordinary job after a cancel");

	/* Cancel from inside the job's callback, and once it is answered. */
	slots_reset(s, 1);
	src = load("Hello", &len);
	id = runner_submit(r, src, len, NULL, 0, 0, test_cancel_cb, &s[0]);
	free(src);
	wait_slots(s, 1, 30000);
	runner_cancel(r, id);
	spin(100);
	is_int(s[0].calls, 1,
	    "cancel inside its callback and after it: one callback, no harm");
	is_str(s[0].body, "Hello 42", "... with the job's answer");
	run1("Hello", s);
	is_str(s[0].body, "Hello 42", "an ordinary job after those cancels");

	/* The compile server dies: it is restarted, jobs go on. */
	cs = find_compile_server();
	ok(cs > 0, "the compile server is our child");
	if (cs > 0)
		kill(cs, SIGKILL);
	spin(200);
	run1("Hello", s);
	is_str(s[0].body, "Hello 42", "a job after the compile server died");

	buf_init(&m);
	runner_write_metrics(r, &m);
	text = buf_cstr(&m);
	ok(strstr(text, "jdp_runner_compile_server_restarts_total 1\n") != NULL,
	    "metrics: one compile server restart");
	ok(strstr(text, "jdp_runner_jobs_total{status=\"rejected\"} 2\n") !=
		NULL,
	    "metrics: two rejected jobs");
	ok(strstr(text, "jdp_runner_jobs_total{status=\"timeout\"} 2\n") !=
		NULL,
	    "metrics: two timeouts");
	ok(strstr(text, "jdp_runner_pool_size 2\n") != NULL,
	    "metrics: the pool size");
	ok(strstr(text, "# TYPE jdp_runner_jobs_total counter\n") != NULL,
	    "metrics: Prometheus TYPE lines");
	buf_free(&m);

	test_stdin_timeout(s);

	runner_free(r);
	errno = 0;
	ok(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "runner_free leaves no child behind");
	slots_reset(s, NSLOTS);
	conf_free(conf);

	test_deadlines();
	test_trusted();
	ev_free(ev);
	return tap_done();
}
