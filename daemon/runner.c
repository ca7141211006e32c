/*
 * runner.c: the job runner (see runner.h and docs/RUNNER.md): its public
 * API, the jobs and their answers, the runner's life cycle and metrics.
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
 *
 * The other files share runner-int.h: runner-proc.c (children, their pipes
 * and exits), runner-jvm.c (what a JVM is started with), runner-cs.c (the
 * compile server), runner-pool.c (run JVMs), runner-trusted.c (trusted
 * jobs in the compile server) and runner-exec.c (jdpd --exec).
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "log.h"
#include "runner.h"
#include "runner-int.h"
#include "sandbox.h"
#include "wire.h"
#include "xmalloc.h"

#define RUNNER_WARM 40 /* warm-up rounds of the compile server */
#define RUNNER_RUN_WARM 3 /* ... of a run JVM (docs/RUNNER.md) */
#define RUNNER_RUNS_PER_CPU 2 /* trusted jobs at once in the server */

int
runner_ready(const struct runner *r)
{
	return r->cs_was_ready;
}

const char *
runner_sandbox(const struct runner *r)
{
	return sandbox_describe(r->sb);
}

/* "10 s", "1500 ms". Caller frees. */
char *
runner_fmt_ms(int64_t ms)
{
	char *s;

	if (ms % 1000 == 0)
		xasprintf(&s, "%lld s", (long long)(ms / 1000));
	else
		xasprintf(&s, "%lld ms", (long long)ms);
	return s;
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

/* --- jobs ----------------------------------------------------------------- */

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
	buf_free(&job->args);
	free(job->in);
	free(job->body);
	free(job->out);
	free(job->err);
	free(job);
}

/*
 * text (*len bytes) if it is within job-output-max, NULL; else a
 * NUL-terminated copy of its first bytes up to the limit, not splitting a
 * UTF-8 character, with *len set. Caller frees.
 */
static char *
runner_cut(const struct runner *r, const char *text, size_t *len)
{
	size_t n;

	if (*len <= r->output_max)
		return NULL;
	n = (size_t)r->output_max;
	while (n > 0 && ((uint8_t)text[n] & 0xc0) == 0x80)
		n--;
	*len = n;
	return xstrndup(text, n);
}

/* Answer a job: build the result, call back, free the job. */
void
runner_job_finish(struct runner_job *job, enum proto_result_status status,
    const char *body, size_t len)
{
	struct runner *r = job->r;
	struct runner_result res;
	struct runner_proc *p = job->proc;
	int64_t now = ev_now(r->ev);
	runner_cb cb = job->cb;
	void *arg = job->arg;
	char *cut[3];
	int i;

	memset(&res, 0, sizeof res);
	res.id = job->id;
	res.status = status;
	res.body = body;
	res.body_len = len;
	res.transient = job->transient || status == PROTO_RESULT_REJECTED;
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
	/*
	 * Nothing handed on is larger than job-output-max, whatever a child
	 * sent: a result over it is output_limit, an error text, stdout and
	 * stderr are cut (at a character).
	 */
	if (res.body_len > r->output_max && status == PROTO_RESULT_OK) {
		res.status = status = PROTO_RESULT_OUTPUT_LIMIT;
		res.body = r->output_text;
		res.body_len = strlen(r->output_text);
	}
	if ((cut[0] = runner_cut(r, res.body, &res.body_len)) != NULL)
		res.body = cut[0];
	if ((cut[1] = runner_cut(r, res.out, &res.out_len)) != NULL)
		res.out = cut[1];
	if ((cut[2] = runner_cut(r, res.err, &res.err_len)) != NULL)
		res.err = cut[2];
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
	    (unsigned long long)job->id, proto_result_status_name(status),
	    (long long)res.queue_ms, (long long)res.compile_ms,
	    (long long)res.wait_ms, (long long)res.run_ms);

	/* The job is gone before the callback, which may submit or cancel. */
	job->cb = NULL;
	job->answered = 1;
	if (p != NULL) {
		p->job = NULL;
		job->proc = NULL;
	}
	if (cb != NULL)
		cb(&res, arg);
	runner_job_free(job);
	for (i = 0; i < 3; i++)
		free(cut[i]);
}

/*
 * A job's time is up: what counts is waiting in the compile queue (behind
 * other jobs) and running; its own compile is bounded by runner-cs.c.
 */
static int64_t
runner_job_timeout(struct ev *ev, void *arg)
{
	struct runner_job *job = arg;
	char *limit, *text;

	job->timer = 0;
	limit = runner_fmt_ms(job->timeout_ms);
	xasprintf(&text, "Time limit exceeded (%s)", limit);
	free(limit);
	if (job->state == RUNNER_JOB_RUNNING)
		runner_run_expire(job, text);
	else
		runner_job_finish(
		    job, PROTO_RESULT_TIMEOUT, text, strlen(text));
	free(text);
	return EV_TIMER_STOP;
}

/* Start (or resume) a job's clock: what is left of its limit runs. */
void
runner_job_clock(struct runner_job *job)
{
	struct runner *r = job->r;

	runner_job_unclock(job);
	job->deadline = ev_now(r->ev) + job->left_ms;
	job->timer = ev_add_timer(r->ev, job->left_ms, runner_job_timeout, job);
}

/* Pause a job's clock, keeping what is left of its limit. */
void
runner_job_unclock(struct runner_job *job)
{
	int64_t left;

	if (job->timer == 0)
		return;
	ev_del_timer(job->r->ev, job->timer);
	job->timer = 0;
	left = job->deadline - ev_now(job->r->ev);
	job->left_ms = left > 0 ? left : 0;
}

/* Resume the clocks of the jobs in q. */
void
runner_queue_clock(struct runner_jobs *q)
{
	struct runner_job *job;

	TAILQ_FOREACH(job, q, entry)
	if (job->timer == 0)
		runner_job_clock(job);
}

/* Pause the clocks of the jobs in q. */
void
runner_queue_unclock(struct runner_jobs *q)
{
	struct runner_job *job;

	TAILQ_FOREACH(job, q, entry)
	runner_job_unclock(job);
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
runner_job_defer(
    struct runner_job *job, enum proto_result_status status, char *body)
{
	job->state = RUNNER_JOB_DELIVER;
	job->status = status;
	job->body = body;
	job->timer = ev_add_timer(job->r->ev, 0, runner_job_deliver_timer, job);
}

/* Fail every job waiting in a queue (the machinery cannot start). */
void
runner_fail_queue(struct runner *r, struct runner_jobs *q, const char *why)
{
	struct runner_job *job;
	char *text;

	while ((job = TAILQ_FIRST(q)) != NULL) {
		xasprintf(&text, "Runner unavailable: %s", why);
		runner_job_finish(
		    job, PROTO_RESULT_REJECTED, text, strlen(text));
		free(text);
	}
}

/*
 * What a final result record of the harness answers, the same from a run
 * JVM and from a trusted job: 'O' (text is what run() returned), 'M' (out
 * is what main printed), 'E' (text is the exception), 'L' or 'P' (a
 * limit). Sets status, body and body_len of res; -1 for any other kind.
 */
int
runner_record_result(const struct runner *r, int kind, const char *text,
    size_t len, const char *out, size_t out_len, struct runner_result *res)
{
	switch (kind) {
	case 'O':
	case 'E':
		res->status =
		    kind == 'O' ? PROTO_RESULT_OK : PROTO_RESULT_RUNTIME_ERROR;
		res->body = text;
		res->body_len = len;
		break;
	case 'M':
		res->status = PROTO_RESULT_OK;
		res->body = out;
		res->body_len = out_len;
		break;
	case 'L':
		res->status = PROTO_RESULT_MEMORY_LIMIT;
		res->body = r->memory_text;
		res->body_len = strlen(r->memory_text);
		break;
	case 'P':
		res->status = PROTO_RESULT_OUTPUT_LIMIT;
		res->body = r->output_text;
		res->body_len = strlen(r->output_text);
		break;
	default:
		return -1;
	}
	return 0;
}

/* Why a job that called System.exit failed. */
void
runner_exit_text(struct buf *b, int code, int main)
{
	buf_printf(b,
	    "java.lang.IllegalStateException: the job called "
	    "System.exit(%d)%s",
	    code, main ? "" : " instead of returning from run()");
}

uint64_t
runner_submit(struct runner *r, const char *src, size_t len, const char *in,
    size_t in_len, int64_t timeout_ms, runner_cb cb, void *arg)
{
	struct runner_spec spec;

	memset(&spec, 0, sizeof spec);
	spec.source = src;
	spec.source_len = len;
	spec.in = in;
	spec.in_len = in_len;
	spec.timeout_ms = timeout_ms;
	return runner_submit_spec(r, &spec, cb, arg);
}

/* A COMPILE_FILES request's payload (CompileServer.compileFiles). */
static void
runner_files_request(struct buf *b, const struct runner_spec *spec)
{
	size_t i;

	wire_put_u32(b, spec->release);
	wire_put_bytes(b, spec->main.p, spec->main.len);
	wire_put_u32(b, (uint32_t)spec->nfiles);
	for (i = 0; i < 2 * spec->nfiles; i++)
		wire_put_bytes(b, spec->files[i].p, spec->files[i].len);
}

uint64_t
runner_submit_spec(
    struct runner *r, const struct runner_spec *spec, runner_cb cb, void *arg)
{
	const char *in = spec->in;
	size_t in_len = spec->in_len, len = spec->source_len, i;
	int64_t timeout_ms = spec->timeout_ms;
	struct runner_job *job;
	struct buf req;
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
	buf_init(&job->args);
	wire_put_u32(&job->args, (uint32_t)spec->nargs);
	for (i = 0; i < spec->nargs; i++)
		wire_put_bytes(&job->args, spec->args[i].p, spec->args[i].len);
	if (spec->nfiles > 0) {
		/* Names and contents: bounded like one source. */
		len = spec->main.len;
		for (i = 0; i < 2 * spec->nfiles; i++)
			len += spec->files[i].len;
	}
	TAILQ_INSERT_TAIL(&r->jobs, job, all);
	r->njobs++;

	if (r->njobs > r->queue_max) {
		xasprintf(&text,
		    "Runner busy: %d jobs waiting or running "
		    "(queue-max %d)",
		    r->njobs - 1, r->queue_max);
		runner_job_defer(job, PROTO_RESULT_REJECTED, text);
		return job->id;
	}
	if (len > r->source_max) {
		xasprintf(&text,
		    "Code did not compile:\nSource too large: "
		    "%zu bytes (the limit is %llu bytes)",
		    len, (unsigned long long)r->source_max);
		runner_job_defer(job, PROTO_RESULT_COMPILE_ERROR, text);
		return job->id;
	}
	if (in_len > r->source_max) {
		xasprintf(&text,
		    "Could not create and run instance of class\nInput too "
		    "large: %zu bytes (the limit is %llu bytes)",
		    in_len, (unsigned long long)r->source_max);
		runner_job_defer(job, PROTO_RESULT_RUNTIME_ERROR, text);
		return job->id;
	}
	if (spec->nfiles > 0) {
		buf_init(&req);
		runner_files_request(&req, spec);
		job->len = buf_len(&req);
		job->src = xmalloc(job->len + 1);
		memcpy(job->src, buf_data(&req), job->len);
		buf_free(&req);
		job->req = RUNNER_REQ_COMPILE_FILES;
	} else {
		job->src = xmalloc(len + 1);
		memcpy(job->src, spec->source, len);
		job->len = len;
		job->req = RUNNER_REQ_COMPILE;
	}
	if (in_len > 0) {
		job->in = xmalloc(in_len);
		memcpy(job->in, in, in_len);
		job->in_len = in_len;
	}
	job->state = RUNNER_JOB_COMPILE_QUEUE;
	TAILQ_INSERT_TAIL(&r->compile_q, job, entry);
	/*
	 * Its time runs from now, waiting counts, but not for a compile
	 * server to start: then it runs from when one is ready.
	 */
	job->left_ms = job->timeout_ms;
	if (r->cs != NULL && r->cs->state == RUNNER_PROC_READY)
		runner_job_clock(job);
	runner_compile_next(r);
	return job->id;
}

void
runner_cancel(struct runner *r, uint64_t id)
{
	struct runner_job *job;
	struct runner_proc *p;

	if ((job = runner_job_find(r, id)) == NULL || job->answered)
		return; /* unknown, answered, or in its callback */
	log_debug("runner: job %llu cancelled", (unsigned long long)id);
	if ((p = job->proc) != NULL) {
		job->proc = NULL;
		runner_pool_cancel(p);
	}
	if (job->run != NULL)
		runner_trusted_stop(job);
	runner_job_free(job);
	if (p != NULL)
		runner_dispatch(r); /* its place in the pool is free */
}

/* --- the runner ----------------------------------------------------------- */

struct runner *
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
		runner_proc_kill_wait(p);
	}
	if (r->cs != NULL)
		runner_proc_kill_wait(r->cs);
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

/* A metric's HELP line. */
static void
runner_metric_help(struct buf *b, const char *name, const char *text)
{
	buf_printf(b, "# HELP %s %s\n", name, text);
}

void
runner_write_metrics(struct runner *r, struct buf *b)
{
	static const char *const jvms = "jdp_runner_jvms";
	static const char *const queued = "jdp_runner_queued";
	static const char *const jobs = "jdp_runner_jobs_total";
	struct runner_run *run;
	int i, running = 0;

	TAILQ_FOREACH(run, &r->runs, entry)
	running += run->job != NULL;
	runner_metric_help(b, "jdp_runner_job_mode",
	    "Where jobs run (job-mode): a sandboxed JVM each, or trusted in "
	    "the compile server.");
	buf_metric_type(b, "gauge", "jdp_runner_job_mode");
	buf_metric_label(b, "jdp_runner_job_mode", "mode",
	    r->trusted ? "trusted" : "sandbox", 1);
	runner_metric_help(b, "jdp_runner_trusted_running",
	    "Trusted jobs running in the compile server.");
	buf_metric(b, "gauge", "jdp_runner_trusted_running", running);

	runner_metric_help(b, jobs, "Jobs finished by the runner, by status.");
	buf_metric_type(b, "counter", jobs);
	for (i = 0; i < RUNNER_NSTATUS; i++)
		buf_metric_label(b, jobs, "status", proto_result_status_name(i),
		    (long long)r->finished[i]);
	runner_metric_help(
	    b, "jdp_runner_pool_size", "Run JVMs kept warm (run-pool).");
	buf_metric(b, "gauge", "jdp_runner_pool_size", r->pool_size);

	runner_metric_help(b, jvms, "Run JVMs by state.");
	buf_metric_type(b, "gauge", jvms);
	buf_metric_label(b, jvms, "state", "starting", r->nstarting);
	buf_metric_label(b, jvms, "state", "ready", r->nready);
	buf_metric_label(b, jvms, "state", "busy", r->nbusy);
	runner_metric_help(b, queued, "Jobs waiting, by stage.");
	buf_metric_type(b, "gauge", queued);
	buf_metric_label(b, queued, "stage", "compile",
	    r->njobs - r->nbusy - running - r->nrun_q - (r->compiling != NULL));
	buf_metric_label(b, queued, "stage", "run", r->nrun_q);

	runner_metric_help(b, "jdp_runner_compile_server_up",
	    "1 when the compile server is ready.");
	buf_metric(b, "gauge", "jdp_runner_compile_server_up",
	    r->cs != NULL && r->cs->state == RUNNER_PROC_READY);
	runner_metric_help(b, "jdp_runner_compile_server_restarts_total",
	    "Compile server restarts.");
	buf_metric(b, "counter", "jdp_runner_compile_server_restarts_total",
	    (long long)r->cs_restarts);
	runner_metric_help(
	    b, "jdp_runner_jvm_starts_total", "Run JVMs started.");
	buf_metric(b, "counter", "jdp_runner_jvm_starts_total",
	    (long long)r->jvm_starts);
	runner_metric_help(b, "jdp_runner_jvm_start_failures_total",
	    "Run JVMs that died before their job.");
	buf_metric(b, "counter", "jdp_runner_jvm_start_failures_total",
	    (long long)r->jvm_failures);
	runner_metric_help(b, "jdp_runner_protocol_errors_total",
	    "Children killed for breaking the runner's protocol (a malformed, "
	    "oversized or unexpected record).");
	buf_metric(b, "counter", "jdp_runner_protocol_errors_total",
	    (long long)r->bad_records);

	/* Seconds with milliseconds: no buf_metric for fractions. */
	runner_metric_help(b, "jdp_runner_compile_seconds_total",
	    "Time spent compiling jobs.");
	buf_metric_type(b, "counter", "jdp_runner_compile_seconds_total");
	buf_printf(b, "jdp_runner_compile_seconds_total %.3f\n",
	    (double)r->compile_ms_sum / 1000);
	runner_metric_help(
	    b, "jdp_runner_run_seconds_total", "Time spent running jobs.");
	buf_metric_type(b, "counter", "jdp_runner_run_seconds_total");
	buf_printf(b, "jdp_runner_run_seconds_total %.3f\n",
	    (double)r->run_ms_sum / 1000);
}
