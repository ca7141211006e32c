/*
 * work.h: the work protocol on TCP links (docs/WORK.md): the leader side
 * (round robin over live followers, an in-flight table, reassignment,
 * collecting last work on taking office) and the follower side (run jobs,
 * keep each result until the leader acknowledges it). The gateway side is
 * gateway.h.
 *
 * Every node has one struct work; it takes the connections accepted on the
 * node's TCP port (port + 2) and connects to others as its role needs. It
 * learns about the cluster through hooks and notifications, so tests can
 * run several in one process with a fake cluster and a fake runner.
 */
#ifndef JDP_WORK_H
#define JDP_WORK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "proto.h"

struct cluster;
struct cluster_event;
struct conf;
struct ev;
struct runner;
struct work;

/* A job finished: called exactly once; r's texts are valid during the call. */
typedef void (*work_done_cb)(const struct proto_result *, void *);

/* What work needs from the rest of the node (cluster view, job runner). */
struct work_hooks {
	void *arg;
	/* Current leader's id, -1 if none is known. */
	int (*leader)(void *);
	/* Current election epoch. */
	uint64_t (*epoch)(void *);
	/* 1 if gossip counts node id alive. */
	int (*alive)(void *, int);
	/*
	 * Start a job (copy what you keep: the spans die on return) and call
	 * done(result, done_arg) exactly once, now or later; r->node may be
	 * left 0. Returns a handle for cancel. NULL on a node without a
	 * runner (a gateway).
	 */
	uint64_t (*run)(
	    void *, uint64_t, const struct proto_work *, work_done_cb, void *);
	/* Stop a job; done must not be called for it afterwards. */
	void (*cancel)(void *, uint64_t);
	/*
	 * 1 once the runner can take jobs (its compile server has started);
	 * before, WORK is answered NOT_READY. NULL: always ready.
	 */
	int (*ready)(void *);
};

/*
 * The work side of node self (an id in conf) with the cluster key and its
 * incarnation. The hooks are copied. Caller frees with work_free.
 */
struct work *work_new(struct ev *, const struct conf *, int, uint64_t,
    const uint8_t *, const struct work_hooks *);
/*
 * The same for a real node: hooks backed by cluster (its view and
 * incarnation) and runner (NULL on a gateway).
 */
struct work *work_new_node(struct ev *, const struct conf *, int,
    const uint8_t *, struct cluster *, struct runner *);
/* A cluster_listener that forwards cluster events to a struct work. */
void work_cluster_event(const struct cluster_event *, void *);
/* Fill hooks with the cluster's view (leader, epoch, alive), no runner. */
void work_hooks_cluster(struct work_hooks *, struct cluster *);
/* Close every link, cancel running jobs, free everything. */
void work_free(struct work *);
/* Take a connection accepted on the work port (non-blocking or not). */
void work_accept(struct work *, int);
/*
 * The cluster's leader is now leader (-1: none) in epoch. A node that
 * becomes leader collects last work before it hands out anything; one
 * that stops leading drops its leader state.
 */
void work_leader_changed(struct work *, int, uint64_t);
/* Gossip declared node id failed: reassign its work. */
void work_node_down(struct work *, int);
/* Gossip hears node id again: it can take work. */
void work_node_up(struct work *, int);
/* Jobs this node ran to completion as a follower. */
uint64_t work_jobs_done(const struct work *);
/* Jobs running on this node now (follower side). */
int work_jobs_running(const struct work *);
/* Jobs the leader has in flight (queued or running), 0 if not leading. */
int work_leader_in_flight(const struct work *);
/* Prometheus lines (jdp_work_*). */
void work_write_metrics(const struct work *, struct buf *);

#endif
