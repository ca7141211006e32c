/*
 * runner.c: the job runner (see runner.h and docs/RUNNER.md).
 *
 * A job goes through
 *
 *	COMPILE_QUEUE -> COMPILING -> RUN_QUEUE -> RUNNING -> (callback)
 *
 * The compile server is one JVM that compiles one job at a time; its
 * answer for a good job is the class bytes, which go unchanged to a run
 * JVM of the pool. Run JVMs go STARTING -> READY (warm, waiting for a job)
 * -> BUSY -> DONE (result taken, waiting to be reaped); each runs one job.
 * Every child is watched through its pidfd and non-blocking pipes on the
 * loop; nothing here blocks except runner_free's final reaping.
 *
 * In trusted mode (job-mode trusted) there are no run JVMs: a compiled job
 * goes from RUN_QUEUE back to the compile server, which runs it on a thread
 * of its own (a runner_run, alive from RUN until the server says GONE).
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "log.h"
#include "runner.h"
#include "sandbox.h"
#include "xmalloc.h"

#define RUNNER_CHUNK 65536
#define RUNNER_PIDS_MAX 128 /* tasks (threads) per job */
#define RUNNER_NOFILE 256
#define RUNNER_FSIZE (16ULL << 20)
#define RUNNER_COMPILE_MIN_MS 10000 /* compile time limit, at least */
#define RUNNER_BACKOFF_MAX_MS 30000
#define RUNNER_FAILS_MAX 3 /* failed starts before giving up jobs */
#define RUNNER_POLL_MS 20 /* reaping without pidfd */
#define RUNNER_ERR_KEEP 8192 /* stderr kept from a starting JVM */
#define RUNNER_WARM 40 /* warm-up rounds of the compile server */
#define RUNNER_RUN_WARM 3 /* ... of a run JVM (docs/RUNNER.md) */
#define RUNNER_CDS_FILE "harness.jsa"
#define RUNNER_CDS_WAIT_MS 30000 /* writing the class-data archive */
#define RUNNER_CS_HEAP_MIB 768ULL /* the compile server's heap */
#define RUNNER_STOP_GRACE_MS 3000 /* a trusted job's threads to end */
#define RUNNER_RUNS_PER_CPU 2 /* trusted jobs at once in the server */

/* Compile server answers (CompileServer.java). */
#define RUNNER_CS_OK 0
#define RUNNER_CS_ERROR 1
#define RUNNER_CS_NO_CLASS 2
#define RUNNER_CS_READY 3
#define RUNNER_CS_RESULT 4 /* trusted: a job's result */
#define RUNNER_CS_GONE 5 /* trusted: no thread of the job is left */

/* Requests to the compile server. */
#define RUNNER_REQ_COMPILE 0
#define RUNNER_REQ_RUN 1 /* trusted */
#define RUNNER_REQ_STOP 2 /* trusted */

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

struct runner_proc {
	struct runner *r;
	int compiler; /* the compile server */
	int listed; /* on r->procs */
	enum runner_proc_state state;
	struct sandbox_proc sp;
	int fd[4];
	struct buf buf[4];
	int in_watched;
	int in_close; /* close stdin once drained */
	struct runner_job *job;
	uint64_t poll_timer;
	int64_t started;
	TAILQ_ENTRY(runner_proc) entry;
};
TAILQ_HEAD(runner_procs, runner_proc);

struct runner_job {
	uint64_t id;
	struct runner *r;
	enum runner_job_state state;
	char *src;
	size_t len;
	char *in; /* its stdin, written after the class bytes */
	size_t in_len;
	int64_t timeout_ms; /* wall clock, at most job-timeout */
	runner_cb cb;
	void *arg;
	struct buf payload; /* class bytes for the harness */
	struct runner_proc *proc;
	uint64_t timer;
	int exited; /* 'X': called System.exit */
	int main; /* ... from main() */
	struct runner_run *run; /* trusted, running in the compile server */
	int retried; /* trusted: run again after the server died */
	char *out, *err; /* trusted: the job's stdout and stderr */
	size_t out_len, err_len;
	enum runner_status status; /* for RUNNER_JOB_DELIVER */
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
	int64_t compile_ms_sum, run_ms_sum;
};

static void runner_compile_next(struct runner *);
static void runner_dispatch(struct runner *);
static void runner_pool_fill(struct runner *);
static void runner_cs_start(struct runner *);
static void runner_proc_fd(struct ev *, int, int, void *);
static void runner_proc_exit_cb(struct ev *, int, int, void *);
static void runner_proc_exited(struct runner_proc *);
static int64_t runner_run_timeout(struct ev *, void *);
static void runner_trusted_stop(struct runner_job *);
static void runner_trusted_dispatch(struct runner *);
static void runner_trusted_answer(
    struct runner *, uint32_t, int, const uint8_t *, uint32_t);
static void runner_runs_lost(struct runner *, const char *, int);

static const char *const runner_status_names[RUNNER_NSTATUS] = {"ok",
    "compile_error", "runtime_error", "timeout", "memory_limit", "output_limit",
    "rejected"};

const char *
runner_status_name(enum runner_status s)
{
	if ((unsigned)s >= RUNNER_NSTATUS)
		return "unknown";
	return runner_status_names[s];
}

const char *
runner_sandbox(const struct runner *r)
{
	return sandbox_describe(r->sb);
}

/* "10 s", "1500 ms". Caller frees. */
static char *
runner_fmt_ms(int64_t ms)
{
	char *s;

	if (ms % 1000 == 0)
		xasprintf(&s, "%lld s", (long long)(ms / 1000));
	else
		xasprintf(&s, "%lld ms", (long long)ms);
	return s;
}

/* The compile time limit: job-timeout, but at least RUNNER_COMPILE_MIN_MS. */
static int64_t
runner_compile_limit(const struct runner *r)
{
	return r->timeout_ms > RUNNER_COMPILE_MIN_MS ? r->timeout_ms
						     : RUNNER_COMPILE_MIN_MS;
}

/* "256 MiB", "1 GiB", "1500 bytes". Caller frees. */
static char *
runner_fmt_size(uint64_t n)
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB"};
	char *s;
	int u = 0;

	while (u < 3 && n >= 1024 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	xasprintf(&s, "%llu %s", (unsigned long long)n, units[u]);
	return s;
}

static uint32_t
runner_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
runner_put32(struct buf *b, uint32_t v)
{
	uint8_t p[4] = {v >> 24, v >> 16, v >> 8, v};

	buf_add(b, p, 4);
}

/* --- jobs ---------------------------------------------------------------- */

static struct runner_job *
runner_job_find(struct runner *r, uint64_t id)
{
	struct runner_job *job;

	TAILQ_FOREACH(job, &r->jobs, all)
	if (job->id == id)
		return job;
	return NULL;
}

/* Take the job off every list, timer and process; free it. */
static void
runner_job_free(struct runner_job *job)
{
	struct runner *r = job->r;

	switch (job->state) {
	case RUNNER_JOB_COMPILE_QUEUE:
		TAILQ_REMOVE(&r->compile_q, job, entry);
		break;
	case RUNNER_JOB_RUN_QUEUE:
		TAILQ_REMOVE(&r->run_q, job, entry);
		r->nrun_q--;
		break;
	case RUNNER_JOB_COMPILING:
		if (r->compiling == job)
			r->compiling = NULL;
		break;
	default:
		break;
	}
	if (job->timer != 0)
		ev_del_timer(r->ev, job->timer);
	if (job->proc != NULL)
		job->proc->job = NULL;
	if (job->run != NULL)
		job->run->job = NULL;
	TAILQ_REMOVE(&r->jobs, job, all);
	r->njobs--;
	buf_free(&job->payload);
	free(job->src);
	free(job->in);
	free(job->body);
	free(job->out);
	free(job->err);
	free(job);
}

/* Answer a job: build the result, call back, free the job. */
static void
runner_job_finish(struct runner_job *job, enum runner_status status,
    const char *body, size_t len)
{
	struct runner *r = job->r;
	struct runner_result res;
	struct runner_proc *p = job->proc;
	int64_t now = ev_now(r->ev);
	runner_cb cb = job->cb;
	void *arg = job->arg;

	memset(&res, 0, sizeof res);
	res.id = job->id;
	res.status = status;
	res.body = body;
	res.body_len = len;
	res.out = res.err = "";
	if (p != NULL) {
		res.out = buf_cstr(&p->buf[RUNNER_OUT]);
		res.out_len = buf_len(&p->buf[RUNNER_OUT]);
		res.err = buf_cstr(&p->buf[RUNNER_ERR]);
		res.err_len = buf_len(&p->buf[RUNNER_ERR]);
	} else if (job->out != NULL) {
		res.out = job->out;
		res.out_len = job->out_len;
		res.err = job->err;
		res.err_len = job->err_len;
	}
	if (job->t_compile != 0) {
		res.queue_ms = job->t_compile - job->t_submit;
		res.compile_ms =
		    (job->t_compiled != 0 ? job->t_compiled : now) -
		    job->t_compile;
	} else
		res.queue_ms = now - job->t_submit;
	if (job->t_compiled != 0)
		res.wait_ms =
		    (job->t_run != 0 ? job->t_run : now) - job->t_compiled;
	if (job->t_run != 0)
		res.run_ms = now - job->t_run;
	r->finished[status]++;
	r->compile_ms_sum += res.compile_ms;
	r->run_ms_sum += res.run_ms;
	log_debug("runner: job %llu: %s (queue %lld ms, compile %lld ms, "
		  "wait %lld ms, run %lld ms)",
	    (unsigned long long)job->id, runner_status_name(status),
	    (long long)res.queue_ms, (long long)res.compile_ms,
	    (long long)res.wait_ms, (long long)res.run_ms);

	/* The job is gone before the callback, which may submit or cancel. */
	job->cb = NULL;
	if (p != NULL) {
		p->job = NULL;
		job->proc = NULL;
	}
	if (cb != NULL)
		cb(&res, arg);
	runner_job_free(job);
}

static int64_t
runner_job_deliver_timer(struct ev *ev, void *arg)
{
	struct runner_job *job = arg;

	job->timer = 0;
	runner_job_finish(job, job->status, job->body, strlen(job->body));
	return EV_TIMER_STOP;
}

/* Answer without running, from the loop (never inside runner_submit). */
static void
runner_job_defer(struct runner_job *job, enum runner_status status, char *body)
{
	job->state = RUNNER_JOB_DELIVER;
	job->status = status;
	job->body = body;
	job->timer = ev_add_timer(job->r->ev, 0, runner_job_deliver_timer, job);
}

/* Fail every job waiting in a queue (the machinery cannot start). */
static void
runner_fail_queue(struct runner *r, struct runner_jobs *q, const char *why)
{
	struct runner_job *job;
	char *text;

	while ((job = TAILQ_FIRST(q)) != NULL) {
		xasprintf(&text, "Runner unavailable: %s", why);
		runner_job_finish(job, RUNNER_REJECTED, text, strlen(text));
		free(text);
	}
}

uint64_t
runner_submit(struct runner *r, const char *src, size_t len, const char *in,
    size_t in_len, int64_t timeout_ms, runner_cb cb, void *arg)
{
	struct runner_job *job;
	char *text;

	job = xcalloc(1, sizeof *job);
	job->id = r->next_id++;
	job->r = r;
	job->cb = cb;
	job->arg = arg;
	job->t_submit = ev_now(r->ev);
	job->timeout_ms = timeout_ms > 0 && timeout_ms < r->timeout_ms
	    ? timeout_ms
	    : r->timeout_ms;
	buf_init(&job->payload);
	TAILQ_INSERT_TAIL(&r->jobs, job, all);
	r->njobs++;

	if (r->njobs > r->queue_max) {
		xasprintf(&text,
		    "Runner busy: %d jobs waiting or running "
		    "(queue-max %d)",
		    r->njobs - 1, r->queue_max);
		runner_job_defer(job, RUNNER_REJECTED, text);
		return job->id;
	}
	if (len > r->source_max) {
		xasprintf(&text,
		    "Code did not compile:\nSource too large: "
		    "%zu bytes (the limit is %llu bytes)",
		    len, (unsigned long long)r->source_max);
		runner_job_defer(job, RUNNER_COMPILE_ERROR, text);
		return job->id;
	}
	if (in_len > r->source_max) {
		xasprintf(&text,
		    "Could not create and run instance of class\nInput too "
		    "large: %zu bytes (the limit is %llu bytes)",
		    in_len, (unsigned long long)r->source_max);
		runner_job_defer(job, RUNNER_RUNTIME_ERROR, text);
		return job->id;
	}
	job->src = xmalloc(len + 1);
	memcpy(job->src, src, len);
	job->len = len;
	if (in_len > 0) {
		job->in = xmalloc(in_len);
		memcpy(job->in, in, in_len);
		job->in_len = in_len;
	}
	job->state = RUNNER_JOB_COMPILE_QUEUE;
	TAILQ_INSERT_TAIL(&r->compile_q, job, entry);
	runner_compile_next(r);
	return job->id;
}

void
runner_cancel(struct runner *r, uint64_t id)
{
	struct runner_job *job;
	struct runner_proc *p;

	if ((job = runner_job_find(r, id)) == NULL)
		return;
	log_debug("runner: job %llu cancelled", (unsigned long long)id);
	if ((p = job->proc) != NULL) {
		p->job = NULL;
		job->proc = NULL;
		p->state = RUNNER_PROC_DONE;
		sandbox_kill(r->sb, &p->sp);
	}
	if (job->run != NULL)
		runner_trusted_stop(job);
	runner_job_free(job);
}

/* --- processes ------------------------------------------------------------ */

/* Stop watching and close one pipe. */
static void
runner_proc_close(struct runner_proc *p, int i)
{
	if (p->fd[i] == -1)
		return;
	ev_del_fd(p->r->ev, p->fd[i]);
	close(p->fd[i]);
	p->fd[i] = -1;
	if (i == RUNNER_IN)
		p->in_watched = 0;
}

/* Write what we can of the stdin buffer. */
static void
runner_proc_flush(struct runner_proc *p)
{
	struct buf *b = &p->buf[RUNNER_IN];
	ssize_t n;

	while (p->fd[RUNNER_IN] != -1 && buf_len(b) > 0) {
		n = write(p->fd[RUNNER_IN], buf_data(b), buf_len(b));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) { /* EPIPE: it died; the exit says why */
			buf_reset(b);
			runner_proc_close(p, RUNNER_IN);
			return;
		}
		buf_consume(b, (size_t)n);
	}
	if (p->fd[RUNNER_IN] == -1)
		return;
	if (buf_len(b) == 0) {
		if (p->in_close)
			runner_proc_close(p, RUNNER_IN);
		else if (p->in_watched) {
			ev_del_fd(p->r->ev, p->fd[RUNNER_IN]);
			p->in_watched = 0;
		}
	} else if (!p->in_watched) {
		ev_add_fd(
		    p->r->ev, p->fd[RUNNER_IN], EV_WRITE, runner_proc_fd, p);
		p->in_watched = 1;
	}
}

static int64_t
runner_proc_poll(struct ev *ev, void *arg)
{
	struct runner_proc *p = arg;

	if (!sandbox_reap(&p->sp))
		return RUNNER_POLL_MS;
	p->poll_timer = 0;
	runner_proc_exited(p);
	return EV_TIMER_STOP;
}

/* Strings the arguments of a JVM point into. */
struct runner_argbuf {
	char xmx[64], direct[64], cap[32], warm[32], srcmax[32], cds[64];
};

/*
 * The arguments and limits of the compile server, a run JVM or (dump) the
 * run JVM that writes the harness's class-data archive; returns the count.
 */
static int
runner_jvm_args(struct runner *r, int compiler, int dump, const char **args,
    struct runner_argbuf *ab, struct sandbox_limits *lim)
{
	int n = 0;

	memset(lim, 0, sizeof *lim);
	args[n++] = "-XX:+UseSerialGC";
	args[n++] = "-XX:-UsePerfData";
	args[n++] = "-XX:+DisplayVMOutputToStderr";
	/* Unified logging defaults to stdout, which is the job's. */
	args[n++] = "-Xlog:disable";
	args[n++] = "-Xlog:all=warning:stderr";
	args[n++] = "-Xshare:auto";
	args[n++] = "-Dfile.encoding=UTF-8";
	args[n++] = "-Djava.io.tmpdir=/tmp";
	if (compiler) {
		snprintf(ab->warm, sizeof ab->warm, "%d", r->warm);
		snprintf(ab->srcmax, sizeof ab->srcmax, "%llu",
		    (unsigned long long)r->source_max);
		/* Trusted: javac's heap plus job-memory, shared by jobs. */
		snprintf(ab->xmx, sizeof ab->xmx, "-Xmx%lluk",
		    (RUNNER_CS_HEAP_MIB << 10) +
			(r->trusted ? (unsigned long long)r->memory / 1024
				    : 0));
		args[n++] = ab->xmx;
		args[n++] = "-Xss8m";
		args[n++] = "--add-exports=jdk.compiler/"
			    "com.sun.tools.javac.api=ALL-UNNAMED";
		if (r->trusted)
			args[n++] = "-Djava.security.manager=allow";
		args[n++] = "-cp";
		args[n++] = sandbox_jar(r->sb);
		args[n++] = "jdp.CompileServer";
		args[n++] = ab->srcmax;
		args[n++] = ab->warm;
		if (r->trusted) {
			snprintf(ab->cap, sizeof ab->cap, "%llu",
			    (unsigned long long)r->output_max);
			args[n++] = "trusted";
			args[n++] = ab->cap;
		}
		lim->nofile = 1024;
		return n;
	}
	snprintf(ab->warm, sizeof ab->warm, "%d", r->run_warm);
	snprintf(ab->xmx, sizeof ab->xmx, "-Xmx%lluk",
	    (unsigned long long)(r->memory / 1024));
	snprintf(ab->direct, sizeof ab->direct, "-XX:MaxDirectMemorySize=%lluk",
	    (unsigned long long)(r->memory / 4096));
	snprintf(
	    ab->cap, sizeof ab->cap, "%llu", (unsigned long long)r->output_max);
	args[n++] = ab->xmx;
	args[n++] = "-Xms8m";
	args[n++] = ab->direct;
	args[n++] = "-XX:MaxMetaspaceSize=128m";
	args[n++] = "-XX:ReservedCodeCacheSize=64m";
	if (dump || r->cds) {
		snprintf(ab->cds, sizeof ab->cds, "%s=%s/%s",
		    dump ? "-XX:ArchiveClassesAtExit" : "-XX:SharedArchiveFile",
		    sandbox_cds(r->sb, NULL), RUNNER_CDS_FILE);
		args[n++] = ab->cds;
		lim->cds = dump ? SANDBOX_CDS_WRITE : SANDBOX_CDS_READ;
	}
	args[n++] = "--add-opens=java.base/java.io=ALL-UNNAMED";
	args[n++] = "-cp";
	args[n++] = sandbox_jar(r->sb);
	args[n++] = "jdp.RunHarness";
	args[n++] = ab->cap;
	args[n++] = ab->warm;
	if (dump)
		args[n++] = "dump";
	lim->memory = r->memory + r->memory / 2 + (128ULL << 20);
	lim->pids = RUNNER_PIDS_MAX;
	lim->cpu_s = (int)(r->timeout_ms / 1000) * 2 + 30;
	lim->fsize = RUNNER_FSIZE;
	lim->nofile = RUNNER_NOFILE;
	lim->cgroup = 1;
	return n;
}

/*
 * Write the harness's class-data-sharing archive (AppCDS, a dynamic
 * archive over the JDK's own) once, before the pool starts: one run JVM
 * in the sandbox, with the private directory bound writable, warms up as
 * usual and halts, which dumps every class it loaded. Run JVMs then map it
 * read-only. Blocks (at most RUNNER_CDS_WAIT_MS); without an archive, run
 * JVMs start without one.
 */
static void
runner_cds_dump(struct runner *r)
{
	struct runner_argbuf ab;
	struct sandbox_limits lim;
	struct sandbox_proc sp;
	struct pollfd pfd;
	struct stat st;
	const char *args[40], *host;
	const int fds[4] = {-1, -1, -1, -1};
	char *cause, path[PATH_MAX];
	int n, waited = 0;

	if (sandbox_cds(r->sb, &host) == NULL)
		return;
	n = runner_jvm_args(r, 0, 1, args, &ab, &lim);
	args[n] = NULL;
	if (sandbox_spawn(r->sb, args, fds, &lim, &sp, &cause) == -1) {
		log_warn("runner: class-data archive: %s", cause);
		free(cause);
		return;
	}
	for (;;) {
		if (sandbox_reap(&sp))
			break;
		if (waited >= RUNNER_CDS_WAIT_MS) {
			log_warn("runner: class-data archive: no answer in "
				 "%d ms",
			    RUNNER_CDS_WAIT_MS);
			sandbox_kill(r->sb, &sp);
			while (waitpid(sp.pid, &sp.status, 0) == -1 &&
			    errno == EINTR)
				;
			sp.reaped = 1;
			break;
		}
		pfd.fd = sp.pidfd;
		pfd.events = POLLIN;
		if (sp.pidfd == -1 || poll(&pfd, 1, RUNNER_POLL_MS) == -1)
			usleep(RUNNER_POLL_MS * 1000);
		waited += RUNNER_POLL_MS;
	}
	sandbox_release(r->sb, &sp);
	snprintf(path, sizeof path, "%s/%s", host, RUNNER_CDS_FILE);
	if (WIFEXITED(sp.status) && WEXITSTATUS(sp.status) == 0 &&
	    stat(path, &st) == 0 && st.st_size > 0) {
		r->cds = 1;
		log_info("runner: class-data archive of the harness: %lld "
			 "bytes",
		    (long long)st.st_size);
	} else
		log_warn("runner: no class-data archive (exit status %d); "
			 "run JVMs start without one",
		    sp.status);
}

/* Start a JVM with pipes on all four fds; NULL on failure (logged). */
static struct runner_proc *
runner_proc_start(struct runner *r, int compiler)
{
	struct runner_proc *p;
	struct sandbox_limits lim;
	struct runner_argbuf ab;
	char *cause;
	const char *args[40];
	int child[4], pipes[4][2], i, n;

	n = runner_jvm_args(r, compiler, 0, args, &ab, &lim);
	args[n] = NULL;

	p = xcalloc(1, sizeof *p);
	p->r = r;
	p->compiler = compiler;
	p->state = RUNNER_PROC_STARTING;
	p->started = ev_now(r->ev);
	for (i = 0; i < 4; i++) {
		buf_init(&p->buf[i]);
		if (pipe2(pipes[i], O_CLOEXEC) == -1) {
			log_error("runner: pipe: %s", strerror(errno));
			while (i-- > 0) {
				close(pipes[i][0]);
				close(pipes[i][1]);
			}
			free(p);
			return NULL;
		}
		/* Our end is non-blocking; the JVM's stays blocking. */
		p->fd[i] = pipes[i][i == RUNNER_IN ? 1 : 0];
		child[i] = pipes[i][i == RUNNER_IN ? 0 : 1];
		fcntl(p->fd[i], F_SETFL, O_NONBLOCK);
	}
	if (sandbox_spawn(r->sb, args, child, &lim, &p->sp, &cause) == -1) {
		log_error("runner: cannot start %s: %s",
		    compiler ? "the compile server" : "a run JVM", cause);
		free(cause);
		for (i = 0; i < 4; i++) {
			close(pipes[i][0]);
			close(pipes[i][1]);
		}
		free(p);
		return NULL;
	}
	for (i = 0; i < 4; i++) {
		close(child[i]);
		if (i != RUNNER_IN)
			ev_add_fd(r->ev, p->fd[i], EV_READ, runner_proc_fd, p);
	}
	if (p->sp.pidfd != -1)
		ev_add_fd(r->ev, p->sp.pidfd, EV_READ, runner_proc_exit_cb, p);
	else
		p->poll_timer =
		    ev_add_timer(r->ev, RUNNER_POLL_MS, runner_proc_poll, p);
	log_debug("runner: started %s, pid %ld",
	    compiler ? "compile server" : "run JVM", (long)p->sp.pid);
	return p;
}

/* Free a reaped process. */
static void
runner_proc_free(struct runner_proc *p)
{
	int i;

	for (i = 0; i < 4; i++) {
		runner_proc_close(p, i);
		buf_free(&p->buf[i]);
	}
	if (p->sp.pidfd != -1)
		ev_del_fd(p->r->ev, p->sp.pidfd);
	if (p->poll_timer != 0)
		ev_del_timer(p->r->ev, p->poll_timer);
	sandbox_release(p->r->sb, &p->sp);
	free(p);
}

/* Read what is available on one pipe; -1 at EOF (the pipe is closed). */
static int
runner_proc_read(struct runner_proc *p, int i, size_t limit)
{
	struct buf *b = &p->buf[i];
	ssize_t n;
	size_t want;

	while (p->fd[i] != -1) {
		want = RUNNER_CHUNK;
		if (limit != 0 && buf_len(b) + want > limit + 1)
			want = limit + 1 - buf_len(b);
		if (want == 0)
			return 0; /* over the limit: caller decides */
		n = read(p->fd[i], buf_reserve(b, want), want);
		if (n > 0) {
			buf_commit(b, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		runner_proc_close(p, i);
		return -1;
	}
	return -1;
}

/* Keep only the last n bytes of a buffer. */
static void
runner_buf_tail(struct buf *b, size_t n)
{
	if (buf_len(b) > n)
		buf_consume(b, buf_len(b) - n);
}

/* Last line(s) of a process's stderr, for messages. Caller frees. */
static char *
runner_proc_errtail(struct runner_proc *p)
{
	struct buf *b = &p->buf[RUNNER_ERR];
	const char *s;
	size_t len = buf_len(b);

	runner_buf_tail(b, 2048);
	s = buf_cstr(b);
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return xstrndup(s, len);
}

/* --- the compile server --------------------------------------------------- */

static int64_t
runner_cs_restart_timer(struct ev *ev, void *arg)
{
	struct runner *r = arg;

	r->cs_restart_timer = 0;
	runner_cs_start(r);
	return EV_TIMER_STOP;
}

static void
runner_cs_start(struct runner *r)
{
	if (r->cs != NULL || r->cs_restart_timer != 0)
		return;
	if (r->cs_starts++ > 0)
		r->cs_restarts++;
	if ((r->cs = runner_proc_start(r, 1)) == NULL) {
		r->cs_fails++;
		r->cs_restart_timer =
		    ev_add_timer(r->ev, 1000, runner_cs_restart_timer, r);
	}
}

/* The server died or was killed: fail its job, start another. */
static void
runner_cs_lost(struct runner *r, const char *why)
{
	struct runner_proc *p = r->cs;
	struct runner_job *job = r->compiling;
	char *tail, *text;
	int64_t delay;

	tail = runner_proc_errtail(p);
	if (p->state == RUNNER_PROC_STARTING)
		r->cs_fails++;
	log_warn("runner: compile server (pid %ld) %s%s%s", (long)p->sp.pid,
	    why, *tail != '\0' ? ": " : "", tail);
	r->cs = NULL;
	if (r->cs_timer != 0) {
		ev_del_timer(r->ev, r->cs_timer);
		r->cs_timer = 0;
	}
	r->cs_busy = 0;
	r->compiling = NULL;
	if (job != NULL) {
		xasprintf(&text,
		    "Code did not compile:\nError:\nthe compile "
		    "server %s while compiling this job",
		    why);
		runner_job_finish(
		    job, RUNNER_COMPILE_ERROR, text, strlen(text));
		free(text);
	}
	runner_runs_lost(r, why, 0);
	if (r->cs_fails >= RUNNER_FAILS_MAX) {
		xasprintf(&text, "the compile server cannot start (%s)",
		    *tail != '\0' ? tail : why);
		runner_fail_queue(r, &r->compile_q, text);
		if (r->trusted)
			runner_fail_queue(r, &r->run_q, text);
		free(text);
	}
	free(tail);
	delay = r->cs_fails == 0 ? 0 : 250LL << (r->cs_fails - 1);
	if (delay > RUNNER_BACKOFF_MAX_MS)
		delay = RUNNER_BACKOFF_MAX_MS;
	if (delay == 0)
		runner_cs_start(r);
	else
		r->cs_restart_timer =
		    ev_add_timer(r->ev, delay, runner_cs_restart_timer, r);
}

/*
 * Kill the compile server for a reason of ours, not of the jobs in it: the
 * trusted jobs it runs go back to the head of the run queue.
 */
static void
runner_cs_kill(struct runner *r, const char *why)
{
	struct runner_proc *p = r->cs;

	runner_runs_lost(r, why, 1);
	/* Reaped by its exit callback; listed so runner_free finds it. */
	p->state = RUNNER_PROC_DONE;
	sandbox_kill(r->sb, &p->sp);
	TAILQ_INSERT_TAIL(&r->procs, p, entry);
	p->listed = 1;
	runner_cs_lost(r, why);
}

static int64_t
runner_cs_timeout(struct ev *ev, void *arg)
{
	struct runner *r = arg;
	struct runner_job *job = r->compiling;
	char *limit, *text;

	r->cs_timer = 0;
	if (job != NULL) {
		r->compiling = NULL;
		limit = runner_fmt_ms(runner_compile_limit(r));
		xasprintf(
		    &text, "Time limit exceeded (%s)\nwhile compiling", limit);
		runner_job_finish(job, RUNNER_TIMEOUT, text, strlen(text));
		free(text);
		free(limit);
	}
	runner_cs_kill(r, "exceeded the compile time limit");
	return EV_TIMER_STOP;
}

/* Write one request to the compile server. */
static void
runner_cs_send(struct runner *r, int kind, uint32_t id, const void *data,
    size_t len, const void *data2, size_t len2)
{
	struct buf *b = &r->cs->buf[RUNNER_IN];
	uint8_t k = (uint8_t)kind;

	runner_put32(b, id);
	buf_add(b, &k, 1);
	runner_put32(b, (uint32_t)(len + len2));
	buf_add(b, data, len);
	if (len2 > 0)
		buf_add(b, data2, len2);
	runner_proc_flush(r->cs);
}

/* A request id, never 0. */
static uint32_t
runner_cs_id(struct runner *r)
{
	if (++r->cs_seq == 0)
		r->cs_seq = 1;
	return r->cs_seq;
}

static void
runner_compile_next(struct runner *r)
{
	struct runner_proc *p = r->cs;
	struct runner_job *job;

	if (p == NULL || p->state != RUNNER_PROC_READY || r->cs_busy != 0)
		return;
	if ((job = TAILQ_FIRST(&r->compile_q)) == NULL)
		return;
	TAILQ_REMOVE(&r->compile_q, job, entry);
	job->state = RUNNER_JOB_COMPILING;
	job->t_compile = ev_now(r->ev);
	r->compiling = job;
	r->cs_busy = runner_cs_id(r);
	runner_cs_send(
	    r, RUNNER_REQ_COMPILE, r->cs_busy, job->src, job->len, NULL, 0);
	free(job->src);
	job->src = NULL;
	r->cs_timer =
	    ev_add_timer(r->ev, runner_compile_limit(r), runner_cs_timeout, r);
}

/* Handle complete answers from the compile server. */
static void
runner_cs_parse(struct runner *r, struct runner_proc *p)
{
	struct buf *b = &p->buf[RUNNER_OUT];
	struct runner_job *job;
	const uint8_t *d;
	char *text;
	uint32_t id, len;
	int kind;

	while (r->cs == p && buf_len(b) >= 9) {
		d = buf_data(b);
		id = runner_get32(d);
		kind = d[4];
		len = runner_get32(d + 5);
		if (buf_len(b) < 9 + (size_t)len)
			return;
		d += 9;
		if (kind == RUNNER_CS_READY) {
			log_info("runner: compile server ready (pid %ld, %lld "
				 "ms)",
			    (long)p->sp.pid,
			    (long long)(ev_now(r->ev) - p->started));
			p->state = RUNNER_PROC_READY;
			r->cs_fails = 0;
			/* JDK 17 warns of the security manager (trusted). */
			buf_reset(&p->buf[RUNNER_ERR]);
		} else if (kind == RUNNER_CS_RESULT || kind == RUNNER_CS_GONE) {
			runner_trusted_answer(r, id, kind, d, len);
		} else if (id == r->cs_busy) {
			r->cs_busy = 0;
			if (r->cs_timer != 0)
				ev_del_timer(r->ev, r->cs_timer);
			r->cs_timer = 0;
			job = r->compiling;
			r->compiling = NULL;
			if (job != NULL) {
				job->t_compiled = ev_now(r->ev);
				if (kind == RUNNER_CS_OK) {
					runner_put32(&job->payload, len);
					buf_add(&job->payload, d, len);
					job->state = RUNNER_JOB_RUN_QUEUE;
					TAILQ_INSERT_TAIL(
					    &r->run_q, job, entry);
					r->nrun_q++;
				} else {
					text = xstrndup((const char *)d, len);
					runner_job_finish(job,
					    RUNNER_COMPILE_ERROR, text, len);
					free(text);
				}
			}
		}
		buf_consume(b, 9 + (size_t)len);
		runner_dispatch(r);
	}
	if (r->cs == p)
		runner_compile_next(r);
}

/* --- run JVMs ------------------------------------------------------------- */

static int64_t
runner_pool_timer(struct ev *ev, void *arg)
{
	struct runner *r = arg;

	r->pool_timer = 0;
	runner_pool_fill(r);
	return EV_TIMER_STOP;
}

/* Start run JVMs until the pool (plus waiting jobs) is covered. */
static void
runner_pool_fill(struct runner *r)
{
	struct runner_proc *p;
	int want;

	if (r->pool_timer != 0 || r->trusted)
		return; /* backing off after failures; no run JVMs */
	want = r->pool_size + r->nrun_q;
	while (r->nstarting + r->nready < want &&
	    r->nstarting + r->nready + r->nbusy <
		r->pool_size + r->max_running) {
		if ((p = runner_proc_start(r, 0)) == NULL) {
			r->pool_timer =
			    ev_add_timer(r->ev, 1000, runner_pool_timer, r);
			return;
		}
		r->jvm_starts++;
		TAILQ_INSERT_TAIL(&r->procs, p, entry);
		p->listed = 1;
		r->nstarting++;
	}
}

/* Give waiting jobs to warm JVMs. */
static void
runner_dispatch(struct runner *r)
{
	struct runner_job *job;
	struct runner_proc *p;

	if (r->trusted) {
		runner_trusted_dispatch(r);
		return;
	}
	while ((job = TAILQ_FIRST(&r->run_q)) != NULL) {
		TAILQ_FOREACH(p, &r->procs, entry)
		if (p->state == RUNNER_PROC_READY)
			break;
		if (p == NULL)
			break;
		TAILQ_REMOVE(&r->run_q, job, entry);
		r->nrun_q--;
		p->state = RUNNER_PROC_BUSY;
		r->nready--;
		r->nbusy++;
		p->job = job;
		job->proc = p;
		job->state = RUNNER_JOB_RUNNING;
		job->t_run = ev_now(r->ev);
		/* Output from warming up is not the job's. */
		buf_reset(&p->buf[RUNNER_OUT]);
		buf_reset(&p->buf[RUNNER_ERR]);
		/*
		 * The class bytes, then the job's stdin, then end of file:
		 * written as the pipe drains, while its output is read.
		 */
		buf_add(&p->buf[RUNNER_IN], buf_data(&job->payload),
		    buf_len(&job->payload));
		buf_free(&job->payload);
		if (job->in != NULL)
			buf_add(&p->buf[RUNNER_IN], job->in, job->in_len);
		free(job->in);
		job->in = NULL;
		p->in_close = 1;
		runner_proc_flush(p);
		job->timer = ev_add_timer(
		    r->ev, job->timeout_ms, runner_run_timeout, job);
	}
	runner_pool_fill(r);
}

/* The process is no longer counted as starting, ready or busy. */
static void
runner_proc_uncount(struct runner_proc *p)
{
	struct runner *r = p->r;

	if (p->compiler)
		return;
	switch (p->state) {
	case RUNNER_PROC_STARTING:
		r->nstarting--;
		break;
	case RUNNER_PROC_READY:
		r->nready--;
		break;
	case RUNNER_PROC_BUSY:
		r->nbusy--;
		break;
	case RUNNER_PROC_DONE:
		break;
	}
}

/* The job has its answer: stop the process, whatever it still does. */
static void
runner_proc_done(struct runner_proc *p)
{
	int i;

	runner_proc_uncount(p);
	p->state = RUNNER_PROC_DONE;
	sandbox_kill(p->r->sb, &p->sp);
	for (i = 0; i < 4; i++)
		runner_proc_close(p, i);
	runner_dispatch(p->r);
}

/* Finish the running job of p and retire p. */
static void
runner_run_finish(struct runner_proc *p, enum runner_status status,
    const char *body, size_t len)
{
	struct runner_job *job = p->job;

	if (job != NULL)
		runner_job_finish(job, status, body, len);
	runner_proc_done(p);
}

static void
runner_run_drain(struct runner_proc *p)
{
	runner_proc_read(p, RUNNER_OUT, p->r->output_max);
	runner_proc_read(p, RUNNER_ERR, p->r->output_max);
}

/* A result record from the harness. */
static void
runner_run_record(struct runner_proc *p, int kind, const char *d, size_t len)
{
	struct runner *r = p->r;
	struct runner_job *job = p->job;
	struct buf *out = &p->buf[RUNNER_OUT];

	runner_run_drain(p);
	if (buf_len(out) > r->output_max ||
	    buf_len(&p->buf[RUNNER_ERR]) > r->output_max)
		kind = 'P';
	switch (kind) {
	case 'O':
		runner_run_finish(p, RUNNER_OK, d, len);
		break;
	case 'M':
		runner_run_finish(p, RUNNER_OK, buf_cstr(out), buf_len(out));
		break;
	case 'E':
		runner_run_finish(p, RUNNER_RUNTIME_ERROR, d, len);
		break;
	case 'L':
		runner_run_finish(p, RUNNER_MEMORY_LIMIT, r->memory_text,
		    strlen(r->memory_text));
		break;
	case 'P':
		runner_run_finish(p, RUNNER_OUTPUT_LIMIT, r->output_text,
		    strlen(r->output_text));
		break;
	case 'X':
		/* System.exit: the exit status completes the story. */
		if (job != NULL) {
			job->exited = 1;
			job->main = len > 0 && d[0] == 'M';
		}
		break;
	default:
		log_warn("runner: run JVM pid %ld: bad record %d",
		    (long)p->sp.pid, kind);
		break;
	}
}

/* Parse control records: 'R' (ready), then one result. */
static void
runner_run_parse(struct runner_proc *p)
{
	struct runner *r = p->r;
	struct buf *b = &p->buf[RUNNER_CTL];
	const uint8_t *d;
	char *payload;
	uint32_t len;
	int kind;

	while (p->state != RUNNER_PROC_DONE && buf_len(b) >= 5) {
		d = buf_data(b);
		kind = d[0];
		len = runner_get32(d + 1);
		if (buf_len(b) < 5 + (size_t)len)
			return;
		if (kind == 'R' && p->state == RUNNER_PROC_STARTING) {
			r->nstarting--;
			r->nready++;
			p->state = RUNNER_PROC_READY;
			r->run_fails = 0;
			log_debug("runner: run JVM pid %ld ready in %lld ms",
			    (long)p->sp.pid,
			    (long long)(ev_now(r->ev) - p->started));
			buf_consume(b, 5 + (size_t)len);
			runner_dispatch(r);
			continue;
		}
		/* A NUL-terminated copy for the callback. */
		payload = xstrndup((const char *)d + 5, len);
		buf_consume(b, 5 + (size_t)len);
		runner_run_record(p, kind, payload, len);
		free(payload);
	}
}

static int64_t
runner_run_timeout(struct ev *ev, void *arg)
{
	struct runner_job *job = arg;
	struct runner_proc *p = job->proc;
	char *limit, *text;

	job->timer = 0;
	if (p == NULL && job->run == NULL)
		return EV_TIMER_STOP;
	limit = runner_fmt_ms(job->timeout_ms);
	xasprintf(&text, "Time limit exceeded (%s)", limit);
	if (job->run != NULL) {
		runner_trusted_stop(job);
		runner_job_finish(job, RUNNER_TIMEOUT, text, strlen(text));
	} else {
		runner_run_drain(p);
		runner_run_finish(p, RUNNER_TIMEOUT, text, strlen(text));
	}
	free(text);
	free(limit);
	return EV_TIMER_STOP;
}

/* Why a job that called System.exit failed. */
static void
runner_exit_text(struct buf *b, int code, int main)
{
	buf_printf(b,
	    "java.lang.IllegalStateException: the job called "
	    "System.exit(%d)%s",
	    code, main ? "" : " instead of returning from run()");
}

/* The run JVM exited without a result record (or after System.exit). */
static void
runner_run_exited(struct runner_proc *p)
{
	struct runner *r = p->r;
	struct runner_job *job = p->job;
	struct buf text;
	int st = p->sp.status, code = -1, sig = 0;
	char *tail;

	if (WIFEXITED(st))
		code = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		sig = WTERMSIG(st);
	/* bwrap reports a signal as 128 + signal. */
	if (sandbox_mode(r->sb) != SANDBOX_NONE && code > 128) {
		sig = code - 128;
		code = -1;
	}

	if (job == NULL) {
		if (p->state != RUNNER_PROC_STARTING)
			return;
		r->run_fails++;
		r->jvm_failures++;
		tail = runner_proc_errtail(p);
		log_warn("runner: run JVM pid %ld failed to start (%s %d)%s%s",
		    (long)p->sp.pid, sig ? "signal" : "status",
		    sig ? sig : code, *tail != '\0' ? ": " : "", tail);
		if (r->run_fails >= RUNNER_FAILS_MAX) {
			buf_init(&text);
			buf_printf(&text, "run JVMs fail to start (%s)",
			    *tail != '\0' ? tail : "no message");
			runner_fail_queue(r, &r->run_q, buf_cstr(&text));
			buf_free(&text);
		}
		free(tail);
		if (r->pool_timer == 0) {
			int64_t delay = 250LL
			    << (r->run_fails < 8 ? r->run_fails : 7);
			if (delay > RUNNER_BACKOFF_MAX_MS)
				delay = RUNNER_BACKOFF_MAX_MS;
			r->pool_timer =
			    ev_add_timer(r->ev, delay, runner_pool_timer, r);
		}
		return;
	}

	runner_run_drain(p);
	if (buf_len(&p->buf[RUNNER_OUT]) > r->output_max ||
	    buf_len(&p->buf[RUNNER_ERR]) > r->output_max) {
		runner_run_finish(p, RUNNER_OUTPUT_LIMIT, r->output_text,
		    strlen(r->output_text));
		return;
	}
	if (job->exited && job->main && code == 0) {
		runner_run_finish(p, RUNNER_OK, buf_cstr(&p->buf[RUNNER_OUT]),
		    buf_len(&p->buf[RUNNER_OUT]));
		return;
	}
	if (sandbox_oom(&p->sp)) {
		runner_run_finish(p, RUNNER_MEMORY_LIMIT, r->memory_text,
		    strlen(r->memory_text));
		return;
	}
	buf_init(&text);
	buf_puts(&text, "Could not create and run instance of class\n");
	if (job->exited)
		runner_exit_text(&text, code, job->main);
	else if (sig == SIGXCPU)
		buf_puts(&text, "the job used up its CPU time limit");
	else if (sig != 0)
		buf_printf(&text, "the job's JVM was killed by signal %d", sig);
	else
		buf_printf(&text,
		    "the job's JVM exited with status %d "
		    "without a result",
		    code);
	if (!job->exited && buf_len(&p->buf[RUNNER_ERR]) > 0) {
		tail = runner_proc_errtail(p);
		buf_printf(&text, "\n%s", tail);
		free(tail);
	}
	runner_run_finish(
	    p, RUNNER_RUNTIME_ERROR, buf_cstr(&text), buf_len(&text));
	buf_free(&text);
}

/* --- trusted jobs, in the compile server ---------------------------------- */

static void
runner_run_free(struct runner_run *run)
{
	if (run->job != NULL)
		run->job->run = NULL;
	if (run->timer != 0)
		ev_del_timer(run->r->ev, run->timer);
	free(run);
}

/* Hand waiting jobs to the compile server, up to runs_max at once. */
static void
runner_trusted_dispatch(struct runner *r)
{
	struct runner_job *job;
	struct runner_run *run;

	while (r->cs != NULL && r->cs->state == RUNNER_PROC_READY &&
	    r->nruns < r->runs_max && (job = TAILQ_FIRST(&r->run_q)) != NULL) {
		TAILQ_REMOVE(&r->run_q, job, entry);
		r->nrun_q--;
		run = xcalloc(1, sizeof *run);
		run->r = r;
		run->id = runner_cs_id(r);
		run->job = job;
		TAILQ_INSERT_TAIL(&r->runs, run, entry);
		r->nruns++;
		job->run = run;
		job->state = RUNNER_JOB_RUNNING;
		job->t_run = ev_now(r->ev);
		/* Class bytes, then stdin; kept: it may have to run again. */
		runner_cs_send(r, RUNNER_REQ_RUN, run->id,
		    buf_data(&job->payload), buf_len(&job->payload), job->in,
		    job->in_len);
		job->timer = ev_add_timer(
		    r->ev, job->timeout_ms, runner_run_timeout, job);
	}
}

/* A job's threads outlived the grace: restart the server. */
static int64_t
runner_run_stuck(struct ev *ev, void *arg)
{
	struct runner_run *run = arg;
	struct runner *r = run->r;
	char *why;

	run->timer = 0;
	xasprintf(&why,
	    "was restarted: the threads of a job did not end within %d ms",
	    RUNNER_STOP_GRACE_MS);
	runner_cs_kill(r, why);
	free(why);
	return EV_TIMER_STOP;
}

/* The job was answered: the server must end its threads, in the grace. */
static void
runner_run_answered(struct runner_run *run)
{
	if (run->job != NULL) {
		run->job->run = NULL;
		run->job = NULL;
	}
	if (run->timer == 0)
		run->timer = ev_add_timer(
		    run->r->ev, RUNNER_STOP_GRACE_MS, runner_run_stuck, run);
}

/* Timed out or cancelled: tell the server to stop the job. */
static void
runner_trusted_stop(struct runner_job *job)
{
	struct runner_run *run = job->run;

	if (job->r->cs == NULL) { /* the server is gone, and the run */
		run->job = NULL;
		job->run = NULL;
		return;
	}
	runner_run_answered(run);
	runner_cs_send(job->r, RUNNER_REQ_STOP, run->id, NULL, 0, NULL, 0);
}

/* Take one length-prefixed string of a RESULT; -1 if it is cut short. */
static int
runner_take(const uint8_t **d, uint32_t *left, const char **s, size_t *len)
{
	uint32_t n;

	if (*left < 4 || (n = runner_get32(*d)) > *left - 4)
		return -1;
	*s = (const char *)*d + 4;
	*len = n;
	*d += 4 + (size_t)n;
	*left -= 4 + n;
	return 0;
}

/* RESULT: answer the job as runner_run_record does for a run JVM. */
static void
runner_trusted_result(struct runner_job *job, const uint8_t *d, uint32_t len)
{
	struct runner *r = job->r;
	const char *text, *out, *err;
	size_t tlen, olen, elen;
	struct buf b;
	int kind = 0, code, main;

	if (len > 0) {
		kind = *d++;
		len--;
	}
	if (runner_take(&d, &len, &text, &tlen) == -1 ||
	    runner_take(&d, &len, &out, &olen) == -1 ||
	    runner_take(&d, &len, &err, &elen) == -1)
		kind = 0;
	else {
		job->out = xstrndup(out, olen);
		job->out_len = olen;
		job->err = xstrndup(err, elen);
		job->err_len = elen;
	}
	buf_init(&b);
	switch (kind) {
	case 'O':
		buf_add(&b, text, tlen);
		runner_job_finish(job, RUNNER_OK, buf_cstr(&b), tlen);
		break;
	case 'M':
		runner_job_finish(job, RUNNER_OK, job->out, olen);
		break;
	case 'E':
		buf_add(&b, text, tlen);
		runner_job_finish(
		    job, RUNNER_RUNTIME_ERROR, buf_cstr(&b), tlen);
		break;
	case 'L':
		runner_job_finish(job, RUNNER_MEMORY_LIMIT, r->memory_text,
		    strlen(r->memory_text));
		break;
	case 'P':
		runner_job_finish(job, RUNNER_OUTPUT_LIMIT, r->output_text,
		    strlen(r->output_text));
		break;
	case 'X':
		/* The mode ('O' or 'M'), then the exit status. */
		buf_add(&b, text, tlen);
		main = tlen > 0 && text[0] == 'M';
		code = tlen > 1 ? atoi(buf_cstr(&b) + 1) : -1;
		if (main && code == 0) {
			runner_job_finish(job, RUNNER_OK, job->out, olen);
			break;
		}
		buf_reset(&b);
		buf_puts(&b, "Could not create and run instance of class\n");
		runner_exit_text(&b, code, main);
		runner_job_finish(
		    job, RUNNER_RUNTIME_ERROR, buf_cstr(&b), buf_len(&b));
		break;
	default:
		log_warn("runner: compile server: bad result for job %llu",
		    (unsigned long long)job->id);
		buf_puts(&b,
		    "Could not create and run instance of class\n"
		    "the compile server gave no result");
		runner_job_finish(
		    job, RUNNER_RUNTIME_ERROR, buf_cstr(&b), buf_len(&b));
		break;
	}
	buf_free(&b);
}

/* RESULT or GONE from the compile server. */
static void
runner_trusted_answer(
    struct runner *r, uint32_t id, int kind, const uint8_t *d, uint32_t len)
{
	struct runner_run *run;
	struct runner_job *job;

	TAILQ_FOREACH(run, &r->runs, entry)
	if (run->id == id)
		break;
	if (run == NULL)
		return;
	job = run->job;
	if (kind == RUNNER_CS_GONE) {
		TAILQ_REMOVE(&r->runs, run, entry);
		r->nruns--;
		runner_run_free(run);
		if (job != NULL) /* never: RESULT comes first */
			runner_trusted_result(job, d, 0);
		return;
	}
	runner_run_answered(run);
	if (job != NULL)
		runner_trusted_result(job, d, len);
}

/*
 * The compile server is gone with the trusted jobs in it. Jobs still
 * waiting for their result run again, at the head of the queue, if the
 * server was killed for a reason of ours (innocent), or else once: a job
 * that kills the server twice gets an error.
 */
static void
runner_runs_lost(struct runner *r, const char *why, int innocent)
{
	struct runner_runs lost;
	struct runner_run *run;
	struct runner_job *job;
	struct buf b;

	TAILQ_INIT(&lost);
	TAILQ_CONCAT(&lost, &r->runs, entry);
	r->nruns = 0;
	while ((run = TAILQ_LAST(&lost, runner_runs)) != NULL) {
		TAILQ_REMOVE(&lost, run, entry);
		job = run->job;
		runner_run_free(run);
		if (job == NULL)
			continue;
		if (job->timer != 0)
			ev_del_timer(r->ev, job->timer);
		job->timer = 0;
		if (innocent || !job->retried) {
			job->retried |= !innocent;
			job->state = RUNNER_JOB_RUN_QUEUE;
			job->t_run = 0;
			TAILQ_INSERT_HEAD(&r->run_q, job, entry);
			r->nrun_q++;
			continue;
		}
		buf_init(&b);
		buf_printf(&b,
		    "Could not create and run instance of class\n"
		    "the compile server %s while running this job",
		    why);
		runner_job_finish(
		    job, RUNNER_RUNTIME_ERROR, buf_cstr(&b), buf_len(&b));
		buf_free(&b);
	}
}

/* --- events ------------------------------------------------------------- */

static void
runner_proc_fd(struct ev *ev, int fd, int events, void *arg)
{
	struct runner_proc *p = arg;
	struct runner *r = p->r;
	struct runner_job *job;
	int i;

	if (fd == p->fd[RUNNER_IN]) {
		runner_proc_flush(p);
		return;
	}
	for (i = 1; i < 4; i++)
		if (fd == p->fd[i])
			break;
	if (i == 4)
		return;

	if (p->compiler) {
		if (i == RUNNER_OUT) {
			runner_proc_read(p, i, 0);
			runner_cs_parse(r, p);
		} else {
			runner_proc_read(p, i, 0);
			runner_buf_tail(&p->buf[i], RUNNER_ERR_KEEP);
		}
		return;
	}

	if (i == RUNNER_CTL) {
		runner_proc_read(p, i, 0);
		runner_run_parse(p);
		return;
	}
	job = p->job;
	if (job == NULL) {
		/* Warming up: keep a little stderr for error messages. */
		runner_proc_read(p, i, 0);
		if (i == RUNNER_OUT)
			buf_reset(&p->buf[i]);
		else
			runner_buf_tail(&p->buf[i], RUNNER_ERR_KEEP);
		return;
	}
	runner_proc_read(p, i, r->output_max);
	if (buf_len(&p->buf[i]) > r->output_max)
		runner_run_finish(p, RUNNER_OUTPUT_LIMIT, r->output_text,
		    strlen(r->output_text));
}

/* A child exited: pidfd readable. */
static void
runner_proc_exit_cb(struct ev *ev, int fd, int events, void *arg)
{
	struct runner_proc *p = arg;

	if (!sandbox_reap(&p->sp))
		return;
	ev_del_fd(ev, fd);
	runner_proc_exited(p);
}

static void
runner_proc_exited(struct runner_proc *p)
{
	struct runner *r = p->r;
	int i;

	/* Whatever it wrote before dying is still in the pipes. */
	if (p->state != RUNNER_PROC_DONE)
		for (i = 1; i < 4; i++)
			if (p->fd[i] != -1)
				runner_proc_read(p, i,
				    i == RUNNER_CTL   ? 0
					: p->compiler ? RUNNER_ERR_KEEP
						      : r->output_max);
	if (p->compiler) {
		if (r->cs == p) {
			runner_cs_parse(r, p);
			if (r->cs == p)
				runner_cs_lost(r, "died");
		}
		if (p->listed)
			TAILQ_REMOVE(&r->procs, p, entry);
		runner_proc_free(p);
		return;
	}
	if (p->job != NULL)
		runner_run_parse(p);
	if (p->state != RUNNER_PROC_DONE) {
		runner_run_exited(p);
		if (p->state != RUNNER_PROC_DONE) {
			runner_proc_uncount(p);
			p->state = RUNNER_PROC_DONE;
		}
	}
	TAILQ_REMOVE(&r->procs, p, entry);
	runner_proc_free(p);
	runner_dispatch(r);
}

/* --- the runner ----------------------------------------------------------- */

static struct runner *
runner_create(struct ev *ev, const struct conf *conf, int warm, char **cause)
{
	struct runner *r;
	char *s;
	long ncpu;

	r = xcalloc(1, sizeof *r);
	if ((r->sb = sandbox_new(conf, cause)) == NULL) {
		free(r);
		return NULL;
	}
	/* A dead JVM must not kill jdpd through a write to its pipe. */
	signal(SIGPIPE, SIG_IGN);
	r->ev = ev;
	r->timeout_ms = conf->job_timeout > 0 ? conf->job_timeout : 10000;
	r->memory = conf->job_memory > 0 ? conf->job_memory : 256ULL << 20;
	r->output_max =
	    conf->job_output_max > 0 ? conf->job_output_max : 1ULL << 20;
	r->source_max = conf->max_body > 0 ? conf->max_body : 16ULL << 20;
	r->pool_size = conf->run_pool;
	r->queue_max = conf->queue_max > 0 ? conf->queue_max : 1024;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	r->max_running = ncpu > 2 ? (int)ncpu : 2;
	r->warm = warm;
	r->run_warm = warm != 0 ? RUNNER_RUN_WARM : 0;
	r->trusted = conf->job_mode == CONF_JOB_TRUSTED;
	r->runs_max = RUNNER_RUNS_PER_CPU * r->max_running;
	if (r->trusted) {
		r->pool_size = 0;
		log_warn("runner: job-mode trusted: jobs run inside the "
			 "compile server JVM, NOT isolated from each other "
			 "(shared heap, threads and JDK state) nor from the "
			 "compile server; only for trusted code");
	}
	r->next_id = 1;
	TAILQ_INIT(&r->runs);
	TAILQ_INIT(&r->procs);
	TAILQ_INIT(&r->compile_q);
	TAILQ_INIT(&r->run_q);
	TAILQ_INIT(&r->jobs);

	s = runner_fmt_size(r->memory);
	xasprintf(&r->memory_text, "Memory limit exceeded (%s)", s);
	free(s);
	s = runner_fmt_size(r->output_max);
	xasprintf(&r->output_text, "Output limit exceeded (%s)", s);
	free(s);

	runner_cs_start(r);
	/* Not for --exec: one JVM, started at once, is all it needs. */
	if (warm != 0 && !r->trusted)
		runner_cds_dump(r);
	runner_pool_fill(r);
	return r;
}

struct runner *
runner_new(struct ev *ev, const struct conf *conf, char **cause)
{
	return runner_create(ev, conf, RUNNER_WARM, cause);
}

/* Kill, reap (blocking) and free a process. */
static void
runner_proc_kill_wait(struct runner *r, struct runner_proc *p)
{
	sandbox_kill(r->sb, &p->sp);
	if (!p->sp.reaped) {
		while (waitpid(p->sp.pid, &p->sp.status, 0) == -1 &&
		    errno == EINTR)
			;
		p->sp.reaped = 1;
	}
	runner_proc_free(p);
}

void
runner_free(struct runner *r)
{
	struct runner_job *job;
	struct runner_proc *p;
	struct runner_run *run;

	if (r == NULL)
		return;
	while ((job = TAILQ_FIRST(&r->jobs)) != NULL)
		runner_job_free(job);
	while ((run = TAILQ_FIRST(&r->runs)) != NULL) {
		TAILQ_REMOVE(&r->runs, run, entry);
		runner_run_free(run);
	}
	while ((p = TAILQ_FIRST(&r->procs)) != NULL) {
		TAILQ_REMOVE(&r->procs, p, entry);
		runner_proc_kill_wait(r, p);
	}
	if (r->cs != NULL)
		runner_proc_kill_wait(r, r->cs);
	if (r->cs_timer != 0)
		ev_del_timer(r->ev, r->cs_timer);
	if (r->cs_restart_timer != 0)
		ev_del_timer(r->ev, r->cs_restart_timer);
	if (r->pool_timer != 0)
		ev_del_timer(r->ev, r->pool_timer);
	sandbox_free(r->sb);
	free(r->memory_text);
	free(r->output_text);
	free(r);
}

void
runner_write_metrics(struct runner *r, struct buf *b)
{
	struct runner_run *run;
	int i, running = 0;

	TAILQ_FOREACH(run, &r->runs, entry)
	running += run->job != NULL;
	buf_printf(b,
	    "# HELP jdp_runner_job_mode Where jobs run (job-mode): a "
	    "sandboxed JVM each, or trusted in the compile server.\n"
	    "# TYPE jdp_runner_job_mode gauge\n"
	    "jdp_runner_job_mode{mode=\"%s\"} 1\n"
	    "# HELP jdp_runner_trusted_running Trusted jobs running in the "
	    "compile server.\n# TYPE jdp_runner_trusted_running gauge\n"
	    "jdp_runner_trusted_running %d\n",
	    r->trusted ? "trusted" : "sandbox", running);
	buf_puts(b,
	    "# HELP jdp_runner_jobs_total Jobs finished by the "
	    "runner, by status.\n# TYPE jdp_runner_jobs_total counter\n");
	for (i = 0; i < RUNNER_NSTATUS; i++)
		buf_printf(b, "jdp_runner_jobs_total{status=\"%s\"} %llu\n",
		    runner_status_names[i], (unsigned long long)r->finished[i]);
	buf_printf(b,
	    "# HELP jdp_runner_pool_size Run JVMs kept warm "
	    "(run-pool).\n# TYPE jdp_runner_pool_size gauge\n"
	    "jdp_runner_pool_size %d\n",
	    r->pool_size);
	buf_printf(b,
	    "# HELP jdp_runner_jvms Run JVMs by state.\n"
	    "# TYPE jdp_runner_jvms gauge\n"
	    "jdp_runner_jvms{state=\"starting\"} %d\n"
	    "jdp_runner_jvms{state=\"ready\"} %d\n"
	    "jdp_runner_jvms{state=\"busy\"} %d\n",
	    r->nstarting, r->nready, r->nbusy);
	buf_printf(b,
	    "# HELP jdp_runner_queued Jobs waiting, by stage.\n"
	    "# TYPE jdp_runner_queued gauge\n"
	    "jdp_runner_queued{stage=\"compile\"} %d\n"
	    "jdp_runner_queued{stage=\"run\"} %d\n",
	    r->njobs - r->nbusy - running - r->nrun_q - (r->compiling != NULL),
	    r->nrun_q);
	buf_printf(b,
	    "# HELP jdp_runner_compile_server_up 1 when the "
	    "compile server is ready.\n"
	    "# TYPE jdp_runner_compile_server_up gauge\n"
	    "jdp_runner_compile_server_up %d\n",
	    r->cs != NULL && r->cs->state == RUNNER_PROC_READY);
	buf_printf(b,
	    "# HELP jdp_runner_compile_server_restarts_total "
	    "Compile server restarts.\n"
	    "# TYPE jdp_runner_compile_server_restarts_total counter\n"
	    "jdp_runner_compile_server_restarts_total %llu\n",
	    (unsigned long long)r->cs_restarts);
	buf_printf(b,
	    "# HELP jdp_runner_jvm_starts_total Run JVMs started."
	    "\n# TYPE jdp_runner_jvm_starts_total counter\n"
	    "jdp_runner_jvm_starts_total %llu\n"
	    "# HELP jdp_runner_jvm_start_failures_total Run JVMs that died "
	    "before their job.\n"
	    "# TYPE jdp_runner_jvm_start_failures_total counter\n"
	    "jdp_runner_jvm_start_failures_total %llu\n",
	    (unsigned long long)r->jvm_starts,
	    (unsigned long long)r->jvm_failures);
	buf_printf(b,
	    "# HELP jdp_runner_compile_seconds_total Time spent "
	    "compiling jobs.\n"
	    "# TYPE jdp_runner_compile_seconds_total counter\n"
	    "jdp_runner_compile_seconds_total %.3f\n"
	    "# HELP jdp_runner_run_seconds_total Time spent running jobs.\n"
	    "# TYPE jdp_runner_run_seconds_total counter\n"
	    "jdp_runner_run_seconds_total %.3f\n",
	    (double)r->compile_ms_sum / 1000, (double)r->run_ms_sum / 1000);
}

/* --- jdpd --exec ---------------------------------------------------------- */

struct runner_exec {
	struct ev *ev;
	int json;
	int status; /* exit status */
	const char *sandbox;
};

static void
runner_exec_done(const struct runner_result *res, void *arg)
{
	struct runner_exec *x = arg;
	struct buf b;

	x->status = res->status == RUNNER_OK ? 0
	    : res->status == RUNNER_REJECTED ? 2
					     : 1;
	if (x->json) {
		buf_init(&b);
		buf_puts(&b, "{\"status\":");
		buf_json_str(&b, runner_status_name(res->status),
		    strlen(runner_status_name(res->status)));
		buf_puts(&b, ",\"result\":");
		buf_json_str(&b, res->body, res->body_len);
		buf_puts(&b, ",\"stdout\":");
		buf_json_str(&b, res->out, res->out_len);
		buf_puts(&b, ",\"stderr\":");
		buf_json_str(&b, res->err, res->err_len);
		buf_printf(&b,
		    ",\"timings\":{\"queue_ms\":%lld,"
		    "\"compile_ms\":%lld,\"wait_ms\":%lld,\"run_ms\":%lld}",
		    (long long)res->queue_ms, (long long)res->compile_ms,
		    (long long)res->wait_ms, (long long)res->run_ms);
		buf_puts(&b, ",\"sandbox\":");
		buf_json_str(&b, x->sandbox, strlen(x->sandbox));
		buf_puts(&b, "}\n");
		fwrite(buf_data(&b), 1, buf_len(&b), stdout);
		buf_free(&b);
	} else if (res->status == RUNNER_OK)
		fwrite(res->body, 1, res->body_len, stdout);
	else {
		fwrite(res->body, 1, res->body_len, stderr);
		if (res->body_len == 0 || res->body[res->body_len - 1] != '\n')
			fputc('\n', stderr);
	}
	fflush(stdout);
	ev_stop(x->ev);
}

/* Read a whole file. Caller frees. */
static char *
runner_read_file(const char *path, size_t *len, char **cause)
{
	FILE *f;
	char *data = NULL;
	size_t n = 0, cap = 0, got;

	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			data = xreallocarray(data, cap, 1);
		}
		if ((got = fread(data + n, 1, cap - n, f)) == 0)
			break;
		n += got;
		if (n > (256U << 20)) {
			xasprintf(cause, "%s: file too large", path);
			fclose(f);
			free(data);
			return NULL;
		}
	}
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	*len = n;
	return data;
}

int
runner_exec_main(const struct conf *conf, const char *path, int json)
{
	struct runner_exec x;
	struct runner *r;
	struct conf c = *conf;
	char *src, *cause;
	size_t len;

	/* The result is the output: keep informational lines off it. */
	if (getenv("JDP_EXEC_VERBOSE") == NULL)
		log_set_level(LOGLVL_ERROR);
	if ((src = runner_read_file(path, &len, &cause)) == NULL) {
		fprintf(stderr, "jdpd: %s\n", cause);
		free(cause);
		return 2;
	}
	memset(&x, 0, sizeof x);
	x.ev = ev_new();
	x.json = json;
	x.status = 2;
	/* One job: one run JVM, started while the compiler starts. */
	c.run_pool = 1;
	if ((r = runner_create(x.ev, &c, 0, &cause)) == NULL) {
		fprintf(stderr, "jdpd: %s\n", cause);
		free(cause);
		free(src);
		ev_free(x.ev);
		return 2;
	}
	r->pool_size = 0; /* no refill after our one job */
	x.sandbox = runner_sandbox(r);
	runner_submit(r, src, len, NULL, 0, 0, runner_exec_done, &x);
	free(src);
	if (ev_run(x.ev) == -1) {
		fprintf(stderr, "jdpd: event loop: %s\n", strerror(errno));
		x.status = 2;
	}
	runner_free(r);
	ev_free(x.ev);
	return x.status;
}
