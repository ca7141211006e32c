/*
 * runner.h: the job runner. Turns Java source into a result on the event
 * loop: a long-lived compile server JVM compiles in memory, then a fresh
 * sandboxed JVM, taken from a small pool started ahead of demand, runs the
 * job and exits (docs/RUNNER.md). With job-mode trusted the compile
 * server runs jobs itself, as threads, and there is no pool.
 *
 * A job is Java source with a public class. With a no-argument constructor
 * and `public String run()` the result is what run() returned; with
 * `public static void main(String[])` instead it is what main printed.
 */
#ifndef JDP_RUNNER_H
#define JDP_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct buf;
struct conf;
struct ev;
struct runner;

/*
 * A job's status is the protocol's enum proto_result_status (names:
 * proto_result_status_name). The runner answers PROTO_RESULT_OK to
 * PROTO_RESULT_REJECTED, never PROTO_RESULT_NOT_READY: RUNNER_NSTATUS of
 * them, the ones its metrics count.
 */
#define RUNNER_NSTATUS (PROTO_RESULT_REJECTED + 1)

/*
 * A finished job. The pointers are valid only during the callback (copy
 * what you keep); each text is NUL-terminated too.
 */
struct runner_result {
	uint64_t id;
	enum proto_result_status status;
	/*
	 * ok: exactly what run() returned, or what main printed; otherwise
	 * the classic error text, whose first line is one of
	 *	Code did not compile:
	 *	Could not create and run instance of class
	 *	No class name found in code
	 *	The return type of the class was int, not java.lang.String
	 *	Time limit exceeded (10 s)		(or "(500 ms)")
	 *	Memory limit exceeded (256 MiB)
	 *	Output limit exceeded (1 MiB)
	 *	Runner busy: ...			(rejected)
	 */
	const char *body;
	size_t body_len;
	const char *out; /* job's stdout, capped */
	size_t out_len;
	const char *err; /* job's stderr, capped */
	size_t err_len;
	/*
	 * 1: a failure of the machinery (the compile server died under the
	 * job, the runner cannot start or is full), not the job's own
	 * answer; it is never cached (PROTO_RESULT_F_TRANSIENT).
	 */
	int transient;
	int64_t queue_ms; /* waiting for the compiler */
	int64_t compile_ms;
	int64_t wait_ms; /* waiting for a run JVM */
	int64_t run_ms;
};

typedef void (*runner_cb)(const struct runner_result *, void *);

/*
 * Start a runner on the loop: the compile server and the run pool start
 * in the background. Returns NULL with *cause set (caller frees) if java or
 * the jar is missing, or if bubblewrap is missing or unusable and
 * allow-unsandboxed is off.
 */
struct runner *runner_new(struct ev *, const struct conf *, char **);
/* Kill every child, reap them, drop pending jobs without callbacks. */
void runner_free(struct runner *);
/*
 * Submit a job: its source, its standard input (System.in reads exactly
 * these bytes, then end of file; NULL or 0 bytes: empty) and its wall-clock
 * limit in ms (0, or more than job-timeout: job-timeout). Both are copied.
 * cb is called exactly once from the loop, never from inside runner_submit,
 * unless the job is cancelled first; RUNNER_REJECTED when the runner's
 * queue (queue-max) is full. Returns the job's id (never 0).
 */
uint64_t runner_submit(struct runner *, const char *, size_t, const char *,
    size_t, int64_t, runner_cb, void *);

/* A span of bytes (a file name, its content, an argument); not owned. */
struct runner_str {
	const char *p;
	size_t len;
};

/*
 * A job as several files (docs/RUNNER.md, "Several files"): nfiles
 * (name, content) pairs compiled in one javac task, names such as
 * "util/Helper.java" (the caller checks them); main is the entry class's
 * binary name ("app.Main"), or empty to infer it; args reach
 * main(String[]); release is javac's --release (0: its default). With
 * nfiles 0 the job is source instead, as runner_submit.
 */
struct runner_spec {
	const char *source;
	size_t source_len;
	const struct runner_str *files; /* 2 * nfiles: name, content, ... */
	size_t nfiles;
	struct runner_str main;
	const struct runner_str *args;
	size_t nargs;
	uint32_t release;
	const char *in; /* stdin */
	size_t in_len;
	int64_t timeout_ms;
};

/*
 * Submit a job described by a spec; everything is copied. The same as
 * runner_submit otherwise; the files' contents together are bounded by
 * max-body like one source.
 */
uint64_t runner_submit_spec(
    struct runner *, const struct runner_spec *, runner_cb, void *);
/*
 * 1 once the compile server has been ready (it stays 1 across restarts):
 * before, a job would wait for a cold start, so followers send work back.
 */
int runner_ready(const struct runner *);
/*
 * Cancel a job: its processes are killed and its callback never runs. An
 * id that is unknown, already answered, or being answered (called from
 * inside its own callback) is a harmless no-op, so callers need not keep
 * their own list of running jobs.
 */
void runner_cancel(struct runner *, uint64_t);
/* Append Prometheus text: jobs by status, pool, compile server restarts. */
void runner_write_metrics(struct runner *, struct buf *);
/* What isolation jobs get, one line (e.g. for logs and --json). */
const char *runner_sandbox(const struct runner *);

/*
 * Run one Java file through a fresh runner on its own loop and print the
 * result: ok -> body on stdout, 0; job error -> text on stderr, 1; usage or
 * setup error -> message, 2. json prints one JSON object on stdout instead
 * (same exit codes).
 */
int runner_exec_main(const struct conf *, const char *, int);

#endif
