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

#define RUNNER_COMPILE_MIN_MS 10000 /* compile time limit, at least */
#define RUNNER_CS_HDR 9 /* an answer's id, kind and length */

static void runner_cs_output(struct runner_proc *, int, void *);
static void runner_cs_exit(struct runner_proc *, void *);
static void runner_cs_lost(struct runner *, const char *);
static void runner_cs_parse(struct runner *, struct runner_proc *);

static const struct runner_proc_ops runner_cs_ops = {
    runner_cs_output, runner_cs_exit};

/* The compile time limit: job-timeout, but at least RUNNER_COMPILE_MIN_MS. */
static int64_t
runner_compile_limit(const struct runner *r)
{
	return r->timeout_ms > RUNNER_COMPILE_MIN_MS ? r->timeout_ms
						     : RUNNER_COMPILE_MIN_MS;
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
void
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
		runner_job_finish(
		    job, PROTO_RESULT_TIMEOUT, text, strlen(text));
		free(text);
		free(limit);
	}
	runner_cs_kill(r, "exceeded the compile time limit");
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
	struct wire_rd rd;
	const uint8_t *d;
	char *text;
	uint32_t id, len;
	uint8_t kind;

	while (r->cs == p && buf_len(b) >= RUNNER_CS_HDR) {
		wire_rd_init(&rd, buf_data(b), buf_len(b));
		if (wire_get_u32(&rd, &id) == -1 ||
		    wire_get_u8(&rd, &kind) == -1 ||
		    wire_get_u32(&rd, &len) == -1 || wire_rd_left(&rd) < len)
			return;
		d = buf_data(b) + RUNNER_CS_HDR;
		if (kind == RUNNER_CS_READY) {
			log_info("runner: compile server ready (pid %ld, %lld "
				 "ms)",
			    (long)p->sp.pid,
			    (long long)(ev_now(r->ev) - p->started));
			p->state = RUNNER_PROC_READY;
			r->cs_fails = 0;
			r->cs_was_ready = 1;
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
					wire_put_u32(&job->payload, len);
					buf_add(&job->payload, d, len);
					job->state = RUNNER_JOB_RUN_QUEUE;
					TAILQ_INSERT_TAIL(
					    &r->run_q, job, entry);
					r->nrun_q++;
				} else {
					text = xstrndup((const char *)d, len);
					runner_job_finish(job,
					    PROTO_RESULT_COMPILE_ERROR, text,
					    len);
					free(text);
				}
			}
		}
		buf_consume(b, RUNNER_CS_HDR + (size_t)len);
		runner_dispatch(r);
	}
	if (r->cs == p)
		runner_compile_next(r);
}

/* The compile server's answers (stdout), stderr and control pipe. */
static void
runner_cs_output(struct runner_proc *p, int i, void *arg)
{
	struct runner *r = arg;

	runner_proc_read(p, i, 0);
	if (i == RUNNER_OUT)
		runner_cs_parse(r, p);
	else
		runner_proc_tail(p, i, RUNNER_ERR_KEEP);
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
