/*
 * node-glue.c: the node's work and gateway sides wired to the cluster and
 * the runner (node-glue.h). The cluster pushes every change of leader,
 * epoch and live nodes to its listeners, which keep what they are told;
 * the runner is called straight from the work hooks, with the work side's
 * job record as the callback argument, so a running job has one record.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "gateway.h"
#include "node-glue.h"
#include "proto.h"
#include "runner.h"
#include "work.h"
#include "xmalloc.h"

/* The runner finished a job: its result in protocol form to work. */
static void
node_glue_done(const struct runner_result *rr, void *job)
{
	struct proto_result r;

	memset(&r, 0, sizeof r);
	r.status = rr->status;
	r.flags = rr->transient ? PROTO_RESULT_F_TRANSIENT : 0;
	r.compile_ms = (uint32_t)(rr->compile_ms < 0 ? 0 : rr->compile_ms);
	r.run_ms = (uint32_t)(rr->run_ms < 0 ? 0 : rr->run_ms);
	r.body = (const uint8_t *)rr->body;
	r.body_len = rr->body_len;
	r.out = (const uint8_t *)rr->out;
	r.out_len = rr->out_len;
	r.err = (const uint8_t *)rr->err;
	r.err_len = rr->err_len;
	work_job_done(job, &r);
}

/* A decoded WORK list as n runner_str (caller frees). */
static struct runner_str *
node_glue_list(const uint8_t *p, size_t left, size_t n)
{
	struct runner_str *v;
	const uint8_t *s;
	size_t i, len;

	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n && proto_work_next(&p, &left, &s, &len) == 0; i++) {
		v[i].p = (const char *)s;
		v[i].len = len;
	}
	return v;
}

static uint64_t
node_glue_run(void *runner, const struct proto_work *pw, struct work_job *job)
{
	struct runner_spec spec;
	struct runner_str *files, *args;
	uint64_t id;

	/* The runner caps timeout_ms at its job-timeout; 0 means that. */
	if (!(pw->flags & PROTO_WORK_FILES))
		return runner_submit(runner, (const char *)pw->source,
		    pw->source_len, (const char *)pw->stdin_data, pw->stdin_len,
		    pw->timeout_ms, node_glue_done, job);
	memset(&spec, 0, sizeof spec);
	files = node_glue_list(pw->files, pw->files_len, 2 * pw->nfiles);
	args = node_glue_list(pw->args, pw->args_len, pw->nargs);
	spec.files = files;
	spec.nfiles = pw->nfiles;
	spec.main.p = (const char *)pw->main;
	spec.main.len = pw->main_len;
	spec.args = args;
	spec.nargs = pw->nargs;
	spec.release = pw->release;
	spec.in = (const char *)pw->stdin_data;
	spec.in_len = pw->stdin_len;
	spec.timeout_ms = pw->timeout_ms;
	id = runner_submit_spec(runner, &spec, node_glue_done, job);
	free(files);
	free(args);
	return id;
}

static void
node_glue_cancel(void *runner, uint64_t handle)
{
	runner_cancel(runner, handle);
}

static int
node_glue_ready(void *runner)
{
	return runner_ready(runner);
}

/* The cluster's news for the work side: live nodes first, then the event. */
static void
node_glue_work_event(const struct cluster_event *e, void *arg)
{
	struct work *w = arg;

	work_set_alive(w, e->alive);
	switch (e->type) {
	case CLUSTER_EV_LEADER:
		work_leader_changed(w, e->leader, e->epoch);
		break;
	case CLUSTER_EV_NODE_DOWN:
		work_node_down(w, e->node);
		break;
	case CLUSTER_EV_NODE_UP:
		work_node_up(w, e->node);
		break;
	}
}

struct work *
node_glue_work(struct ev *ev, const struct conf *conf, int self,
    const uint8_t *key, struct cluster *cluster, struct runner *runner)
{
	struct work_hooks h;
	struct work *w;

	memset(&h, 0, sizeof h);
	h.arg = runner;
	h.run = node_glue_run;
	h.cancel = node_glue_cancel;
	h.ready = node_glue_ready;
	w = work_new(ev, conf, self, cluster_incarnation(cluster), key,
	    runner != NULL ? &h : NULL);
	cluster_add_listener(cluster, node_glue_work_event, w);
	return w;
}

/* The gateway hears of leaders and epochs only. */
static void
node_glue_gateway_event(const struct cluster_event *e, void *arg)
{
	if (e->type == CLUSTER_EV_LEADER)
		gateway_leader_changed(arg, e->leader, e->epoch);
}

struct gateway *
node_glue_gateway(struct ev *ev, const struct conf *conf, int self,
    const uint8_t *key, struct cluster *cluster, httpd_handler fallback,
    void *fallback_arg, char **cause)
{
	struct gateway *g;

	g = gateway_new(ev, conf, self, cluster_incarnation(cluster), key,
	    fallback, fallback_arg, cause);
	if (g != NULL)
		cluster_add_listener(cluster, node_glue_gateway_event, g);
	return g;
}
