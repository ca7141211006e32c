/*
 * cluster.h: the socket shell around election and gossip. It binds the
 * node's UDP port, checks every datagram (frame, HMAC, sender, replay,
 * payload), drives both state machines from the event loop's timers and
 * clock, sends their messages, writes the protocol's log lines, keeps the
 * accepted (epoch, leader) pair on disk, and tells listeners about leader
 * and epoch changes and failed or returning nodes.
 */
#ifndef JDP_CLUSTER_H
#define JDP_CLUSTER_H

#include <stdint.h>

#include "buf.h"

struct conf;
struct ev;
struct cluster;

/*
 * What listeners hear about. Between them the events say all there is to
 * know of the cluster's leader, epoch and live nodes: a listener keeps what
 * it is told and never asks.
 */
enum cluster_ev_type {
	CLUSTER_EV_LEADER, /* (leader, epoch) changed, either or both */
	CLUSTER_EV_NODE_DOWN, /* gossip declared node failed */
	CLUSTER_EV_NODE_UP /* gossip hears node again (or first time) */
};

struct cluster_event {
	enum cluster_ev_type type;
	int leader; /* CLUSTER_EV_LEADER: -1 if none */
	uint64_t epoch; /* CLUSTER_EV_LEADER */
	int node; /* CLUSTER_EV_NODE_* */
	uint64_t incarnation; /* CLUSTER_EV_NODE_UP */
	uint64_t alive; /* every event: bit i set if conf->nodes[i] is alive */
};

typedef void (*cluster_listener)(const struct cluster_event *, void *);

/* Most listeners one cluster takes. */
#define CLUSTER_MAX_LISTENERS 8

/*
 * Join the cluster as node self_id of conf: bind its UDP port, read the
 * accepted pair from LOG-DIR/node-ID.accepted, start gossip and the
 * election. Returns NULL with *cause set (caller frees). Caller frees with
 * cluster_free.
 */
struct cluster *cluster_new(
    struct ev *, const struct conf *, int, const uint8_t[32], char **);
/* Leave: close the socket, cancel the timer, free everything. */
void cluster_free(struct cluster *);
/*
 * Call cb(event, arg) at once with the current (leader, epoch) as a
 * CLUSTER_EV_LEADER event, then on every change of (leader, epoch) and
 * every node failure or return, after the cluster's own state is updated.
 * Returns 0, or -1 when CLUSTER_MAX_LISTENERS are registered.
 */
int cluster_add_listener(struct cluster *, cluster_listener, void *);
/* "LEADING", "FOLLOWING", "OBSERVING" or "LOOKING" (log prefixes). */
const char *cluster_role_name(struct cluster *);
/* The leader's id, -1 if none is known. */
int cluster_leader(struct cluster *);
/* The current election epoch. */
uint64_t cluster_epoch(struct cluster *);
/* 1 if gossip counts node id alive (self always). */
int cluster_alive(struct cluster *, int);
/* This process's incarnation (microseconds since 1970 at start). */
uint64_t cluster_incarnation(struct cluster *);
/*
 * GET /cluster-info: text, one line per live node sorted by id
 * ("Server 7 - LEADER"), or JSON (leader, epoch, every configured node
 * with role, address, alive, heartbeat, last_heard_ms, incarnation).
 */
void cluster_write_info(struct cluster *, struct buf *, int);
/* Prometheus text: messages in/out, drops by reason, elections, epoch. */
void cluster_write_metrics(struct cluster *, struct buf *);

#endif
