/*
 * runner-trusted.c: trusted jobs (job-mode trusted), run as threads in the
 * compile server: RUN and STOP requests, RESULT and GONE answers, jobs
 * whose threads do not end (the server is restarted), and the jobs lost
 * with a server that died.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ev.h"
#include "log.h"
#include "runner-int.h"
#include "wire.h"
#include "xmalloc.h"

#define RUNNER_STOP_GRACE_MS 3000 /* a trusted job's threads to end */

void
runner_run_free(struct runner_run *run)
{
	if (run->job != NULL)
		run->job->run = NULL;
	if (run->timer != 0)
		ev_del_timer(run->r->ev, run->timer);
	free(run);
}

/* Hand waiting jobs to the compile server, up to runs_max at once. */
void
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
		runner_job_clock(job);
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
void
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

/* RESULT: answer the job as runner_run_record does for a run JVM. */
static void
runner_trusted_result(struct runner_job *job, const uint8_t *d, uint32_t len)
{
	struct runner *r = job->r;
	const uint8_t *text, *out, *err;
	size_t tlen, olen, elen;
	struct runner_result res;
	struct wire_rd rd;
	struct buf b;
	uint8_t k;
	int kind = 0, code, main;

	/* The kind, then text, stdout and stderr, each length-prefixed. */
	wire_rd_init(&rd, d, len);
	if (wire_get_u8(&rd, &k) == 0)
		kind = k;
	if (wire_get_bytes(&rd, &text, &tlen) == -1 ||
	    wire_get_bytes(&rd, &out, &olen) == -1 ||
	    wire_get_bytes(&rd, &err, &elen) == -1)
		kind = 0;
	else {
		job->out = xstrndup((const char *)out, olen);
		job->out_len = olen;
		job->err = xstrndup((const char *)err, elen);
		job->err_len = elen;
	}
	buf_init(&b);
	if (kind == 0)
		tlen = olen = 0;
	else
		buf_add(&b, text, tlen); /* a NUL-terminated copy */
	if (runner_record_result(
		r, kind, buf_cstr(&b), tlen, job->out, olen, &res) == 0) {
		runner_job_finish(job, res.status, res.body, res.body_len);
		buf_free(&b);
		return;
	}
	switch (kind) {
	case 'X':
		/* The mode ('O' or 'M'), then the exit status. */
		main = tlen > 0 && text[0] == 'M';
		code = tlen > 1 ? atoi(buf_cstr(&b) + 1) : -1;
		if (main && code == 0) {
			runner_job_finish(job, PROTO_RESULT_OK, job->out, olen);
			break;
		}
		buf_reset(&b);
		buf_puts(&b, "Could not create and run instance of class\n");
		runner_exit_text(&b, code, main);
		runner_job_finish(
		    job, PROTO_RESULT_RUNTIME_ERROR, buf_cstr(&b), buf_len(&b));
		break;
	default:
		log_warn("runner: compile server: bad result for job %llu",
		    (unsigned long long)job->id);
		buf_reset(&b);
		buf_puts(&b,
		    "Could not create and run instance of class\n"
		    "the compile server gave no result");
		job->transient = 1;
		runner_job_finish(
		    job, PROTO_RESULT_RUNTIME_ERROR, buf_cstr(&b), buf_len(&b));
		break;
	}
	buf_free(&b);
}

/* RESULT or GONE from the compile server. */
void
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
void
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
		if (innocent || !job->retried) {
			/* Run again, its whole limit from the next server. */
			job->retried |= !innocent;
			job->state = RUNNER_JOB_RUN_QUEUE;
			job->t_run = 0;
			runner_job_unclock(job);
			job->left_ms = job->timeout_ms;
			TAILQ_INSERT_HEAD(&r->run_q, job, entry);
			r->nrun_q++;
			continue;
		}
		buf_init(&b);
		buf_printf(&b,
		    "Could not create and run instance of class\n"
		    "the compile server %s while running this job",
		    why);
		job->transient = 1;
		runner_job_finish(
		    job, PROTO_RESULT_RUNTIME_ERROR, buf_cstr(&b), buf_len(&b));
		buf_free(&b);
	}
}
