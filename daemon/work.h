/*
 * work.h: the work protocol on TCP links (docs/WORK.md): the leader side
 * (round robin over live followers, an in-flight table, reassignment,
 * collecting last work on taking office) and the follower side (run jobs,
 * keep each result until the leader acknowledges it). The gateway side is
 * gateway.h.
 *
 * Every node has one struct work; it takes the connections accepted on the
 * node's TCP port (port + 2) and connects to others as its role needs. It
 * keeps what the cluster tells it (leader, epoch, live nodes) and runs jobs
 * through hooks, so tests can run several in one process with a fake
 * cluster and a fake runner; node-glue.c wires it to the real ones.
 */
#ifndef JDP_WORK_H
#define JDP_WORK_H

#include <stdint.h>

#include "buf.h"
#include "proto.h"

struct conf;
struct ev;
struct work;
struct work_job;

/* What work needs from the node's job runner. */
struct work_hooks {
	void *arg;
	/*
	 * Start a job (copy what you keep: the spans die on return) and call
	 * work_job_done(job, result) exactly once, now or later, unless it is
	 * cancelled first. Returns a handle for cancel. NULL on a node
	 * without a runner (a gateway): jobs are refused.
	 */
	uint64_t (*run)(void *, const struct proto_work *, struct work_job *);
	/* Stop a job; work_job_done must not be called for it afterwards. */
	void (*cancel)(void *, uint64_t);
	/*
	 * 1 once the runner can take jobs (its compile server has started);
	 * before, WORK is answered NOT_READY. NULL: always ready.
	 */
	int (*ready)(void *);
};

/*
 * The work side of node self (an id in conf) with the cluster key and its
 * incarnation. The hooks are copied; NULL: no runner. Until the cluster
 * tells it otherwise (work_leader_changed, work_set_alive) there is no
 * leader, epoch 0 and no live node. Caller frees with work_free.
 */
struct work *work_new(struct ev *, const struct conf *, int, uint64_t,
    const uint8_t *, const struct work_hooks *);
/*
 * A job the run hook started finished: r's texts are valid during the
 * call; r->node may be left 0.
 */
void work_job_done(struct work_job *, const struct proto_result *);
/* Close every link, cancel running jobs, free everything. */
void work_free(struct work *);
/*
 * Take a connection accepted on the work port (non-blocking or not): it
 * is unauthenticated until its first good frame (docs/WORK.md).
 */
void work_accept(struct work *, int);
/*
 * Accept connections on the listening socket fd (non-blocking) from the
 * loop, bounded per wake-up and resting when out of descriptors; the
 * caller keeps fd open until work_free, which stops polling it.
 */
void work_listen(struct work *, int);
/*
 * The cluster's leader is now leader (-1: none) in epoch: told on every
 * change of either. Frames carry the epoch. A node that becomes leader
 * collects last work before it hands out anything; one that stops leading
 * drops its leader state.
 */
void work_leader_changed(struct work *, int, uint64_t);
/*
 * Which nodes gossip counts alive now: bit i for conf->nodes[i]. Told
 * with every cluster event, before the event itself.
 */
void work_set_alive(struct work *, uint64_t);
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
