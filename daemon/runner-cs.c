/*
 * runner-cs.c: the compile server, one JVM that compiles one job at a
 * time (CompileServer.java): starting and restarting it with a backoff,
 * its requests (COMPILE; RUN and STOP come from runner-trusted.c), its
 * answers, and the compile time limit.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ev.h"
#include "log.h"
#include "runner-int.h"
#include "sandbox.h"
#include "wire.h"
#include "xmalloc.h"

#define RUNNER_COMPILE_GRACE_MS 2000 /* a compile runs at least this */

static void runner_cs_output(struct runner_proc *, int, void *);
static void runner_cs_exit(struct runner_proc *, void *);
static void runner_cs_lost(struct runner *, const char *);
static void runner_cs_parse(struct runner *, struct runner_proc *);

static const struct runner_proc_ops runner_cs_ops = {
    runner_cs_output, runner_cs_exit};

/*
 * The largest answer of the compile server: class bytes (CompileServer
 * answers a compile error beyond 4 x max-body + 1 MiB), an error text, or
 * a trusted job's result (text, stdout and stderr, each within
 * job-output-max).
 */
static uint64_t
runner_cs_answer_max(const struct runner *r)
{
	return 4 * r->source_max + 3 * r->output_max + (1ULL << 20);
}

static int64_t
runner_cs_restart_timer(struct ev *ev, void *arg)
{
	struct runner *r = arg;

	r->cs_restart_timer = 0;
	runner_cs_start(r);
	return EV_TIMER_STOP;
}

void
runner_cs_start(struct runner *r)
{
	if (r->cs != NULL || r->cs_restart_timer != 0)
		return;
	if (r->cs_starts++ > 0)
		r->cs_restarts++;
	if ((r->cs = runner_jvm_start(r, 1, &runner_cs_ops)) == NULL) {
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
		job->transient = 1;
		runner_job_finish(
		    job, PROTO_RESULT_COMPILE_ERROR, text, strlen(text));
		free(text);
	}
	runner_runs_lost(r, why, 0);
	/* Waiting for a compile server to start does not count. */
	runner_queue_unclock(&r->compile_q);
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
 * Kill the compile server; innocent: for a reason of ours, not of the jobs
 * in it, whose trusted jobs go back to the head of the run queue.
 */
static void
runner_cs_end(struct runner *r, const char *why, int innocent)
{
	struct runner_proc *p = r->cs;

	runner_runs_lost(r, why, innocent);
	/* Reaped by its exit callback; listed so runner_free finds it. */
	p->state = RUNNER_PROC_DONE;
	sandbox_kill(r->sb, &p->sp);
	TAILQ_INSERT_TAIL(&r->procs, p, entry);
	p->listed = 1;
	runner_cs_lost(r, why);
}

/* Kill the compile server for a reason of ours, not of the jobs in it. */
void
runner_cs_kill(struct runner *r, const char *why)
{
	runner_cs_end(r, why, 1);
}

/*
 * The compile server broke its protocol (an answer malformed, too large or
 * unexpected; in trusted mode a job can write on its stdout): kill it; the
 * job compiling gets a compile error, trusted jobs run again once.
 */
static void
runner_cs_bad(struct runner *r, const struct runner_record *rec)
{
	struct buf why;

	r->bad_records++;
	buf_init(&why);
	buf_puts(&why, "broke the protocol (");
	runner_record_why(&why, rec, runner_cs_answer_max(r));
	buf_puts(&why, ")");
	runner_cs_end(r, buf_cstr(&why), 0);
	buf_free(&why);
}

/*
 * A compile ran past what was left of its job's time limit, and at least
 * RUNNER_COMPILE_GRACE_MS: the job is answered (unless it was cancelled)
 * and the server killed, so that it does not hold up the jobs queued
 * behind; they go on with the next server.
 */
static int64_t
runner_cs_timeout(struct ev *ev, void *arg)
{
	struct runner *r = arg;
	struct runner_job *job = r->compiling;
	char *limit, *text;

	r->cs_timer = 0;
	if (job != NULL) {
		r->compiling = NULL;
		limit = runner_fmt_ms(job->timeout_ms);
		xasprintf(&text, "Time limit exceeded (%s)", limit);
		runner_job_finish(
		    job, PROTO_RESULT_TIMEOUT, text, strlen(text));
		free(text);
		free(limit);
	}
	runner_cs_kill(
	    r, "was killed: a compile ran past its job's time limit");
	return EV_TIMER_STOP;
}

/* Write one request to the compile server. */
void
runner_cs_send(struct runner *r, int kind, uint32_t id, const void *data,
    size_t len, const void *data2, size_t len2)
{
	struct buf *b = &r->cs->buf[RUNNER_IN];

	wire_put_u32(b, id);
	wire_put_u8(b, (uint8_t)kind);
	wire_put_u32(b, (uint32_t)(len + len2));
	buf_add(b, data, len);
	if (len2 > 0)
		buf_add(b, data2, len2);
	runner_proc_flush(r->cs);
}

/* A request id, never 0. */
uint32_t
runner_cs_id(struct runner *r)
{
	if (++r->cs_seq == 0)
		r->cs_seq = 1;
	return r->cs_seq;
}

void
runner_compile_next(struct runner *r)
{
	struct runner_proc *p = r->cs;
	struct runner_job *job;
	int64_t delay;

	if (p == NULL || p->state != RUNNER_PROC_READY || r->cs_busy != 0)
		return;
	if ((job = TAILQ_FIRST(&r->compile_q)) == NULL)
		return;
	TAILQ_REMOVE(&r->compile_q, job, entry);
	job->state = RUNNER_JOB_COMPILING;
	job->t_compile = ev_now(r->ev);
	r->compiling = job;
	r->cs_busy = runner_cs_id(r);
	runner_cs_send(r, job->req, r->cs_busy, job->src, job->len, NULL, 0);
	free(job->src);
	job->src = NULL;
	/* Its own compile is bounded apart: by what is left of its limit. */
	runner_job_unclock(job);
	delay = job->left_ms;
	if (delay < RUNNER_COMPILE_GRACE_MS)
		delay = RUNNER_COMPILE_GRACE_MS;
	r->cs_timer = ev_add_timer(r->ev, delay, runner_cs_timeout, r);
}

/* Whether the compile server may send this answer now. */
static int
runner_cs_expected(
    struct runner *r, struct runner_proc *p, const struct runner_record *rec)
{
	switch (rec->kind) {
	case RUNNER_CS_READY:
		return p->state == RUNNER_PROC_STARTING;
	case RUNNER_CS_RESULT:
	case RUNNER_CS_GONE:
		return r->trusted && p->state == RUNNER_PROC_READY;
	default: /* the answer to the one compile in it */
		return r->cs_busy != 0 && rec->id == r->cs_busy;
	}
}

/*
 * Handle complete answers from the compile server, each bounded by
 * runner_cs_answer_max; anything malformed or unexpected kills it.
 */
static void
runner_cs_parse(struct runner *r, struct runner_proc *p)
{
	struct buf *b = &p->buf[RUNNER_OUT];
	struct runner_record rec;
	struct runner_job *job;
	char *text;
	ssize_t n;

	while (r->cs == p) {
		n = runner_record_parse_cs(
		    buf_data(b), buf_len(b), runner_cs_answer_max(r), &rec);
		if (n == RUNNER_RECORD_PARTIAL)
			break;
		if (n == RUNNER_RECORD_BAD || !runner_cs_expected(r, p, &rec)) {
			if (n != RUNNER_RECORD_BAD)
				rec.why = RUNNER_RECORD_UNEXPECTED;
			runner_cs_bad(r, &rec);
			return;
		}
		if (rec.kind == RUNNER_CS_READY) {
			log_info("runner: compile server ready (pid %ld, %lld "
				 "ms)",
			    (long)p->sp.pid,
			    (long long)(ev_now(r->ev) - p->started));
			p->state = RUNNER_PROC_READY;
			r->cs_fails = 0;
			r->cs_was_ready = 1;
			/* Their time runs from now (docs/RUNNER.md). */
			runner_queue_clock(&r->compile_q);
			/* JDK 17 warns of the security manager (trusted). */
			buf_reset(&p->buf[RUNNER_ERR]);
		} else if (rec.kind == RUNNER_CS_RESULT ||
		    rec.kind == RUNNER_CS_GONE) {
			runner_trusted_answer(
			    r, rec.id, rec.kind, rec.data, (uint32_t)rec.len);
		} else {
			r->cs_busy = 0;
			if (r->cs_timer != 0)
				ev_del_timer(r->ev, r->cs_timer);
			r->cs_timer = 0;
			job = r->compiling;
			r->compiling = NULL;
			if (job != NULL) {
				job->t_compiled = ev_now(r->ev);
				if (rec.kind == RUNNER_CS_OK) {
					/* The classes, then the args. */
					wire_put_u32(&job->payload,
					    (uint32_t)(rec.len +
						buf_len(&job->args)));
					buf_add(&job->payload, rec.data,
					    (size_t)rec.len);
					buf_add(&job->payload,
					    buf_data(&job->args),
					    buf_len(&job->args));
					job->state = RUNNER_JOB_RUN_QUEUE;
					TAILQ_INSERT_TAIL(
					    &r->run_q, job, entry);
					r->nrun_q++;
				} else {
					text = xstrndup((const char *)rec.data,
					    (size_t)rec.len);
					runner_job_finish(job,
					    PROTO_RESULT_COMPILE_ERROR, text,
					    (size_t)rec.len);
					free(text);
				}
			}
		}
		buf_consume(b, (size_t)n);
		runner_dispatch(r);
	}
	if (r->cs == p)
		runner_compile_next(r);
}

/*
 * The compile server's answers (stdout, an answer at most per read: the
 * rest comes on the next call), stderr and control pipe (their tails).
 */
static void
runner_cs_output(struct runner_proc *p, int i, void *arg)
{
	struct runner *r = arg;

	if (i == RUNNER_OUT) {
		runner_proc_read(p, i, RUNNER_CS_HDR + runner_cs_answer_max(r));
		runner_cs_parse(r, p);
	} else {
		runner_proc_read(p, i, RUNNER_ERR_KEEP);
		runner_proc_tail(p, i, RUNNER_ERR_KEEP);
	}
}

/* A compile server exited: its last answers, then start another. */
static void
runner_cs_exit(struct runner_proc *p, void *arg)
{
	struct runner *r = arg;

	/* Whatever it wrote before dying is still in the pipes. */
	if (p->state != RUNNER_PROC_DONE)
		runner_proc_drain(p, RUNNER_ERR_KEEP);
	if (r->cs == p) {
		runner_cs_parse(r, p);
		if (r->cs == p)
			runner_cs_lost(r, "died");
	}
	if (p->listed)
		TAILQ_REMOVE(&r->procs, p, entry);
	runner_proc_free(p);
}
