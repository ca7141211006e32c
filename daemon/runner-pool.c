/*
 * runner-pool.c: the pool of pre-started sandboxed run JVMs: filling it
 * (with a backoff when they fail to start), giving compiled jobs to warm
 * ones, their result records, the jobs' time limit and what a run JVM's
 * exit status means for its job.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ev.h"
#include "log.h"
#include "runner-int.h"
#include "sandbox.h"
#include "wire.h"
#include "xmalloc.h"

static void runner_run_output(struct runner_proc *, int, void *);
static void runner_run_exit(struct runner_proc *, void *);

static const struct runner_proc_ops runner_run_ops = {
    runner_run_output, runner_run_exit};

static int64_t
runner_pool_timer(struct ev *ev, void *arg)
{
	struct runner *r = arg;

	r->pool_timer = 0;
	runner_pool_fill(r);
	return EV_TIMER_STOP;
}

/* Start run JVMs until the pool (plus waiting jobs) is covered. */
void
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
		if ((p = runner_jvm_start(r, 0, &runner_run_ops)) == NULL) {
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
void
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
		runner_job_clock(job);
	}
	runner_pool_fill(r);
}

/* The process is no longer counted as starting, ready or busy. */
static void
runner_pool_uncount(struct runner_proc *p)
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
runner_pool_retire(struct runner_proc *p)
{
	runner_pool_uncount(p);
	p->state = RUNNER_PROC_DONE;
	runner_proc_stop(p);
	runner_dispatch(p->r);
}

/* Its job was cancelled: stop the process, give its place back. */
void
runner_pool_cancel(struct runner_proc *p)
{
	runner_pool_uncount(p);
	p->job = NULL;
	p->state = RUNNER_PROC_DONE;
	runner_proc_stop(p);
}

/* Finish the running job of p and retire p. */
static void
runner_run_finish(struct runner_proc *p, enum proto_result_status status,
    const char *body, size_t len)
{
	struct runner_job *job = p->job;

	if (job != NULL)
		runner_job_finish(job, status, body, len);
	runner_pool_retire(p);
}

static void
runner_run_drain(struct runner_proc *p)
{
	runner_proc_read(p, RUNNER_OUT, p->r->output_max);
	runner_proc_read(p, RUNNER_ERR, p->r->output_max);
}

/*
 * The run JVM broke the harness's protocol (a record that is malformed,
 * too large or unexpected): its job, if any, gets a runtime error that
 * says so, and the JVM is killed. Logged and counted, never more.
 */
static void
runner_run_bad(struct runner_proc *p, const struct runner_record *rec)
{
	struct runner *r = p->r;
	struct buf text;

	r->bad_records++;
	buf_init(&text);
	buf_puts(&text,
	    "Could not create and run instance of class\n"
	    "the job broke the run harness's protocol: ");
	runner_record_why(&text, rec, r->output_max);
	log_warn("runner: run JVM pid %ld%s: %s", (long)p->sp.pid,
	    p->job != NULL ? "" : " (no job)",
	    buf_cstr(&text) +
		strlen("Could not create and run instance of "
		       "class\nthe job broke the run harness's "
		       "protocol: "));
	if (p->job != NULL)
		runner_run_finish(p, PROTO_RESULT_RUNTIME_ERROR,
		    buf_cstr(&text), buf_len(&text));
	else {
		if (p->state == RUNNER_PROC_STARTING)
			r->jvm_failures++;
		runner_pool_retire(p);
	}
	buf_free(&text);
}

/* A result record from the harness (the job's only one, or 'X'). */
static void
runner_run_record(struct runner_proc *p, int kind, const char *d, size_t len)
{
	struct runner *r = p->r;
	struct runner_job *job = p->job;
	struct buf *out = &p->buf[RUNNER_OUT];
	struct runner_result res;

	if (kind == 'X') {
		/* System.exit: the exit status completes the story. */
		job->exited = 1;
		job->main = d[0] == 'M';
		return;
	}
	runner_run_drain(p);
	if (buf_len(out) > r->output_max ||
	    buf_len(&p->buf[RUNNER_ERR]) > r->output_max)
		kind = 'P';
	if (runner_record_result(
		r, kind, d, len, buf_cstr(out), buf_len(out), &res) == -1) {
		res.status = PROTO_RESULT_RUNTIME_ERROR; /* never */
		res.body = "Could not create and run instance of class";
		res.body_len = strlen(res.body);
	}
	runner_run_finish(p, res.status, res.body, res.body_len);
}

/*
 * Parse control records, each bounded by job-output-max: 'R' once while
 * starting, then, once a job is given, one result (O M E L P), or 'X'
 * and nothing after it. Anything else ends the JVM (runner_run_bad).
 */
static void
runner_run_parse(struct runner_proc *p)
{
	struct runner *r = p->r;
	struct buf *b = &p->buf[RUNNER_CTL];
	struct runner_record rec;
	char *payload;
	ssize_t n;
	int expected;

	while (p->state != RUNNER_PROC_DONE) {
		n = runner_record_parse(
		    buf_data(b), buf_len(b), r->output_max, &rec);
		if (n == RUNNER_RECORD_PARTIAL)
			return;
		if (n == RUNNER_RECORD_BAD) {
			runner_run_bad(p, &rec);
			return;
		}
		if (p->state == RUNNER_PROC_STARTING)
			expected = rec.kind == 'R';
		else if (p->state == RUNNER_PROC_BUSY && p->job != NULL)
			expected = rec.kind != 'R' && !p->job->exited;
		else
			expected = 0; /* ready, without a job: nothing */
		if (!expected) {
			rec.why = RUNNER_RECORD_UNEXPECTED;
			runner_run_bad(p, &rec);
			return;
		}
		if (rec.kind == 'R') {
			r->nstarting--;
			r->nready++;
			p->state = RUNNER_PROC_READY;
			r->run_fails = 0;
			log_debug("runner: run JVM pid %ld ready in %lld ms",
			    (long)p->sp.pid,
			    (long long)(ev_now(r->ev) - p->started));
			buf_consume(b, (size_t)n);
			runner_dispatch(r);
			continue;
		}
		/* A NUL-terminated copy for the callback. */
		payload = xstrndup((const char *)rec.data, (size_t)rec.len);
		buf_consume(b, (size_t)n);
		runner_run_record(p, rec.kind, payload, (size_t)rec.len);
		free(payload);
	}
}

/* A running job's time is up (run JVM or trusted): answer, stop it. */
void
runner_run_expire(struct runner_job *job, const char *text)
{
	struct runner_proc *p = job->proc;

	if (job->run != NULL) {
		runner_trusted_stop(job);
		runner_job_finish(
		    job, PROTO_RESULT_TIMEOUT, text, strlen(text));
	} else if (p != NULL) {
		runner_run_drain(p);
		runner_run_finish(p, PROTO_RESULT_TIMEOUT, text, strlen(text));
	}
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
		runner_run_finish(p, PROTO_RESULT_OUTPUT_LIMIT, r->output_text,
		    strlen(r->output_text));
		return;
	}
	if (job->exited && job->main && code == 0) {
		runner_run_finish(p, PROTO_RESULT_OK,
		    buf_cstr(&p->buf[RUNNER_OUT]),
		    buf_len(&p->buf[RUNNER_OUT]));
		return;
	}
	if (sandbox_oom(&p->sp)) {
		runner_run_finish(p, PROTO_RESULT_MEMORY_LIMIT, r->memory_text,
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
	    p, PROTO_RESULT_RUNTIME_ERROR, buf_cstr(&text), buf_len(&text));
	buf_free(&text);
}

/* A run JVM's stdout, stderr (capped: the job's) and control records. */
static void
runner_run_output(struct runner_proc *p, int i, void *arg)
{
	struct runner *r = arg;

	if (i == RUNNER_CTL) {
		/* A record at most: what is left comes on the next call. */
		runner_proc_read(p, i, RUNNER_RUN_HDR + r->output_max);
		runner_run_parse(p);
		return;
	}
	if (p->job == NULL) {
		/* Warming up: keep a little stderr for error messages. */
		runner_proc_read(p, i, RUNNER_ERR_KEEP);
		if (i == RUNNER_OUT)
			buf_reset(&p->buf[i]);
		else
			runner_proc_tail(p, i, RUNNER_ERR_KEEP);
		return;
	}
	runner_proc_read(p, i, r->output_max);
	if (buf_len(&p->buf[i]) > r->output_max)
		runner_run_finish(p, PROTO_RESULT_OUTPUT_LIMIT, r->output_text,
		    strlen(r->output_text));
}

/* A run JVM exited: its last records, then what its exit means. */
static void
runner_run_exit(struct runner_proc *p, void *arg)
{
	struct runner *r = arg;

	/* Whatever it wrote before dying is still in the pipes. */
	if (p->state != RUNNER_PROC_DONE)
		runner_proc_drain(p, r->output_max);
	if (p->job != NULL)
		runner_run_parse(p);
	if (p->state != RUNNER_PROC_DONE) {
		runner_run_exited(p);
		if (p->state != RUNNER_PROC_DONE) {
			runner_pool_uncount(p);
			p->state = RUNNER_PROC_DONE;
		}
	}
	TAILQ_REMOVE(&r->procs, p, entry);
	runner_proc_free(p);
	runner_dispatch(r);
}
