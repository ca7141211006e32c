/*
 * runner-int.h: what the runner's files share (runner.c and runner-*.c);
 * callers use runner.h. The structs of a runner, its jobs and children,
 * the compile server's protocol, and the functions one file calls in
 * another, grouped by the file that defines them.
 */
#ifndef JDP_RUNNER_INT_H
#define JDP_RUNNER_INT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "runner.h"
#include "sandbox.h"

struct conf;
struct ev;

#define RUNNER_BACKOFF_MAX_MS 30000
#define RUNNER_FAILS_MAX 3 /* failed starts before giving up jobs */
#define RUNNER_POLL_MS 20 /* reaping without pidfd */
#define RUNNER_ERR_KEEP 8192 /* stderr kept from a starting JVM */

/* Compile server answers (CompileServer.java). */
#define RUNNER_CS_OK 0
#define RUNNER_CS_ERROR 1
#define RUNNER_CS_NO_CLASS 2
#define RUNNER_CS_READY 3
#define RUNNER_CS_RESULT 4 /* trusted: a job's result */
#define RUNNER_CS_GONE 5 /* trusted: no thread of the job is left */

#define RUNNER_CS_HDR 9 /* an answer's id, kind and length */
#define RUNNER_RUN_HDR 5 /* a control record's kind and length */

/* What runner_record_parse* return besides the bytes used. */
#define RUNNER_RECORD_PARTIAL 0
#define RUNNER_RECORD_BAD (-1)

/* Why a record is bad (runner_record_why says it in words). */
enum runner_record_why {
	RUNNER_RECORD_NONE,
	RUNNER_RECORD_KIND, /* unknown kind */
	RUNNER_RECORD_SIZE, /* longer than allowed */
	RUNNER_RECORD_SHAPE, /* wrong length or payload for its kind */
	RUNNER_RECORD_UNEXPECTED /* well-formed, but not now (the caller's) */
};

/* One record a child sent: spans into the caller's buffer. */
struct runner_record {
	uint32_t id; /* compile server answers only */
	int kind;
	uint64_t len; /* the payload's length, as claimed */
	const uint8_t *data; /* the payload (len bytes), when complete */
	enum runner_record_why why;
};

/* Requests to the compile server. */
#define RUNNER_REQ_COMPILE 0
#define RUNNER_REQ_RUN 1 /* trusted */
#define RUNNER_REQ_STOP 2 /* trusted */
#define RUNNER_REQ_COMPILE_FILES 3

enum runner_proc_state {
	RUNNER_PROC_STARTING,
	RUNNER_PROC_READY,
	RUNNER_PROC_BUSY,
	RUNNER_PROC_DONE
};

enum runner_job_state {
	RUNNER_JOB_COMPILE_QUEUE,
	RUNNER_JOB_COMPILING,
	RUNNER_JOB_RUN_QUEUE,
	RUNNER_JOB_RUNNING,
	RUNNER_JOB_DELIVER /* answered without running; on a timer */
};

/* Pipe indexes: stdin (we write), stdout, stderr, control (we read). */
#define RUNNER_IN 0
#define RUNNER_OUT 1
#define RUNNER_ERR 2
#define RUNNER_CTL 3

struct runner_job;
struct runner_run;
struct runner_proc;

/*
 * What the owner of a process (runner-cs.c, runner-pool.c) is told by
 * runner-proc.c, with the arg given to runner_proc_start.
 */
struct runner_proc_ops {
	/* Pipe RUNNER_OUT, RUNNER_ERR or RUNNER_CTL is readable. */
	void (*on_output)(struct runner_proc *, int, void *);
	/*
	 * It exited and is reaped; what it wrote last may still be in the
	 * pipes (runner_proc_drain). The owner frees it (runner_proc_free).
	 */
	void (*on_exit)(struct runner_proc *, void *);
};

struct runner_proc {
	struct ev *ev;
	struct sandbox *sb;
	const struct runner_proc_ops *ops;
	void *arg;
	int compiler; /* the compile server */
	struct sandbox_proc sp;
	int fd[4];
	struct buf buf[4];
	int in_watched;
	int in_close; /* close stdin once drained */
	uint64_t poll_timer;
	int64_t started;

	/* The owner's; runner-proc.c leaves them alone. */
	struct runner *r;
	int listed; /* on r->procs */
	enum runner_proc_state state;
	struct runner_job *job;
	TAILQ_ENTRY(runner_proc) entry;
};
TAILQ_HEAD(runner_procs, runner_proc);

struct runner_job {
	uint64_t id;
	struct runner *r;
	enum runner_job_state state;
	char *src; /* the compile request's payload */
	size_t len;
	int req; /* RUNNER_REQ_COMPILE or RUNNER_REQ_COMPILE_FILES */
	struct buf args; /* u32 count, then u32 length and bytes each */
	char *in; /* its stdin, written after the class bytes */
	size_t in_len;
	int64_t timeout_ms; /* wall clock, at most job-timeout */
	int64_t left_ms; /* of its limit (docs/RUNNER.md: what counts) */
	int64_t deadline; /* its time is up (while timer is set) */
	runner_cb cb;
	void *arg;
	int answered; /* in its callback: runner_cancel leaves it */
	struct buf payload; /* class bytes for the harness */
	struct runner_proc *proc;
	uint64_t timer; /* its time limit (or, delivering, the answer) */
	int exited; /* 'X': called System.exit */
	int main; /* ... from main() */
	struct runner_run *run; /* trusted, running in the compile server */
	int retried; /* trusted: run again after the server died */
	int transient; /* failed by the machinery, not by itself */
	char *out, *err; /* trusted: the job's stdout and stderr */
	size_t out_len, err_len;
	enum proto_result_status status; /* for RUNNER_JOB_DELIVER */
	char *body;
	int64_t t_submit, t_compile, t_compiled, t_run;
	TAILQ_ENTRY(runner_job) entry; /* in a queue, or alone */
	TAILQ_ENTRY(runner_job) all;
};
TAILQ_HEAD(runner_jobs, runner_job);

/* A trusted job in the compile server: from RUN until GONE. */
struct runner_run {
	struct runner *r;
	uint32_t id;
	struct runner_job *job; /* NULL once answered */
	uint64_t timer; /* for GONE, once answered */
	TAILQ_ENTRY(runner_run) entry;
};
TAILQ_HEAD(runner_runs, runner_run);

struct runner {
	struct ev *ev;
	struct sandbox *sb;
	int64_t timeout_ms;
	uint64_t memory;
	uint64_t output_max;
	uint64_t source_max;
	int pool_size;
	int max_running;
	int queue_max;
	int warm; /* compile server warm-up rounds; 0: --exec */
	int run_warm;
	int cds; /* run JVMs map the harness's class-data archive */
	int trusted; /* job-mode trusted: jobs run in the compile server */
	int runs_max;

	char *memory_text;
	char *output_text;

	struct runner_proc *cs;
	uint32_t cs_busy; /* request id in the server */
	struct runner_job *compiling;
	uint64_t cs_timer; /* compile limit */
	uint64_t cs_restart_timer;
	int cs_fails;
	int cs_was_ready; /* the compile server has been ready once */
	uint32_t cs_seq;

	struct runner_runs runs; /* trusted jobs in the compile server */
	int nruns;

	struct runner_procs procs; /* run JVMs */
	int nstarting, nready, nbusy;
	int run_fails;
	uint64_t pool_timer;

	struct runner_jobs compile_q, run_q, jobs;
	int njobs, nrun_q;
	uint64_t next_id;

	uint64_t finished[RUNNER_NSTATUS];
	uint64_t cs_restarts, cs_starts;
	uint64_t jvm_starts, jvm_failures;
	uint64_t bad_records; /* children killed for breaking the protocol */
	int64_t compile_ms_sum, run_ms_sum;
};

/* runner.c */

/* "10 s", "1500 ms". Caller frees. */
char *runner_fmt_ms(int64_t);
/* Answer a job: build the result, call back, free the job. */
void runner_job_finish(
    struct runner_job *, enum proto_result_status, const char *, size_t);
/* Fail every job waiting in a queue (the machinery cannot start). */
void runner_fail_queue(struct runner *, struct runner_jobs *, const char *);
/* The status and body a final harness record answers; -1 if not one. */
int runner_record_result(const struct runner *, int, const char *, size_t,
    const char *, size_t, struct runner_result *);
/* Start (or resume) a job's clock: what is left of its limit runs. */
void runner_job_clock(struct runner_job *);
/* Pause a job's clock, keeping what is left of its limit. */
void runner_job_unclock(struct runner_job *);
/* Resume the clocks of the jobs in a queue. */
void runner_queue_clock(struct runner_jobs *);
/* Pause the clocks of the jobs in a queue. */
void runner_queue_unclock(struct runner_jobs *);
/* Why a job that called System.exit failed, appended to a buffer. */
void runner_exit_text(struct buf *, int, int);
/* A runner with warm-up rounds for the compile server (0: --exec). */
struct runner *runner_create(struct ev *, const struct conf *, int, char **);

/* runner-record.c: pure parsers, a leaf. */

/*
 * One control record of a run JVM in d (len bytes), payloads of at most
 * max bytes: the bytes it takes, RUNNER_RECORD_PARTIAL, or
 * RUNNER_RECORD_BAD (rec->why says why). Allocates nothing.
 */
ssize_t runner_record_parse(
    const uint8_t *, size_t, uint64_t, struct runner_record *);
/* The same for one answer of the compile server. */
ssize_t runner_record_parse_cs(
    const uint8_t *, size_t, uint64_t, struct runner_record *);
/* Append why a record is bad, in words, to a buffer; max is the limit. */
void runner_record_why(struct buf *, const struct runner_record *, uint64_t);

/* runner-proc.c: a leaf, it calls none of the files below. */

/* Write what we can of a child's stdin buffer. */
void runner_proc_flush(struct runner_proc *);
/*
 * Start java with args (NULL-terminated) and limits, with pipes on all four
 * fds, telling ops (with arg) what it writes and when it exits; compiler:
 * the compile server, for log lines. NULL on failure (logged).
 */
struct runner_proc *runner_proc_start(struct ev *, struct sandbox *, int,
    const char *const *, const struct sandbox_limits *,
    const struct runner_proc_ops *, void *);
/* Free a reaped process (ops->on_exit does). */
void runner_proc_free(struct runner_proc *);
/* Kill, reap (blocking) and free a process. */
void runner_proc_kill_wait(struct runner_proc *);
/* Read what is available on one pipe; -1 at EOF (the pipe is closed). */
int runner_proc_read(struct runner_proc *, int, size_t);
/* Keep only the last n bytes read from a pipe. */
void runner_proc_tail(struct runner_proc *, int, size_t);
/* Read what is left after the exit: control whole, stdout/err to limit. */
void runner_proc_drain(struct runner_proc *, size_t);
/* Last line(s) of a process's stderr, for messages. Caller frees. */
char *runner_proc_errtail(struct runner_proc *);
/* Kill it and close its pipes, whatever it still does; on_exit follows. */
void runner_proc_stop(struct runner_proc *);

/* runner-jvm.c */

/* Write the harness's class-data archive, once, before the pool starts. */
void runner_cds_dump(struct runner *);
/* Start the compile server or a run JVM, owned by ops; NULL if it fails. */
struct runner_proc *runner_jvm_start(
    struct runner *, int, const struct runner_proc_ops *);

/* runner-cs.c */

/* Start the compile server unless it runs or a restart is waiting. */
void runner_cs_start(struct runner *);
/* Kill the compile server for a reason of ours, not of its jobs. */
void runner_cs_kill(struct runner *, const char *);
/* Write one request to the compile server. */
void runner_cs_send(
    struct runner *, int, uint32_t, const void *, size_t, const void *, size_t);
/* A request id, never 0. */
uint32_t runner_cs_id(struct runner *);
/* Give the next waiting job to the compile server if it is free. */
void runner_compile_next(struct runner *);

/* runner-pool.c */

/* Start run JVMs until the pool (plus waiting jobs) is covered. */
void runner_pool_fill(struct runner *);
/* Give waiting jobs to warm JVMs (trusted: to the compile server). */
void runner_dispatch(struct runner *);
/* A running job's time is up (run JVM or trusted): answer it with text. */
void runner_run_expire(struct runner_job *, const char *);
/* The running job of a run JVM was cancelled: kill it, uncount it. */
void runner_pool_cancel(struct runner_proc *);

/* runner-trusted.c */

/* Free a trusted run, unlinking its job and timer. */
void runner_run_free(struct runner_run *);
/* Hand waiting jobs to the compile server, up to runs_max at once. */
void runner_trusted_dispatch(struct runner *);
/* Timed out or cancelled: tell the server to stop the job. */
void runner_trusted_stop(struct runner_job *);
/* RESULT or GONE from the compile server. */
void runner_trusted_answer(
    struct runner *, uint32_t, int, const uint8_t *, uint32_t);
/* The server is gone with its trusted jobs: run them again or fail them. */
void runner_runs_lost(struct runner *, const char *, int);

#endif
