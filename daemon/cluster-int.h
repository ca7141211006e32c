/*
 * cluster-int.h: what cluster.c (the socket shell) shares with
 * cluster-info.c (the /cluster-info and /metrics writers). Not for use
 * outside cluster*.c.
 */
#ifndef JDP_CLUSTER_INT_H
#define JDP_CLUSTER_INT_H

#include <stdint.h>

#include "cluster.h"
#include "conf.h"
#include "wire.h"

struct election_accepted;

struct election;
struct gossip;

/* Datagrams handled per wake-up of the loop (a flood waits its turn). */
#define CLUSTER_READ_MAX 64

/* Drop reasons beyond enum wire_err. */
enum cluster_drop {
	CLUSTER_DROP_TRAILING = WIRE_ERR_COUNT, /* bytes after the frame */
	CLUSTER_DROP_SENDER, /* unknown sender id */
	CLUSTER_DROP_REPLAY, /* old (incarnation, seq) */
	CLUSTER_DROP_TYPE, /* not a UDP message type */
	CLUSTER_DROP_PAYLOAD, /* payload does not decode */
	CLUSTER_DROP_COUNT
};

/* Message types counted in and out. */
enum cluster_msg {
	CLUSTER_MSG_VOTE,
	CLUSTER_MSG_GOSSIP,
	CLUSTER_MSG_PROBE,
	CLUSTER_MSG_PROBE_ACK,
	CLUSTER_MSG_OTHER,
	CLUSTER_MSG_COUNT
};

/* What a port-unreachable report led to (metrics label verdict). */
enum cluster_unreach {
	CLUSTER_UNREACH_IGNORED, /* not held alive, heard from, or probing */
	CLUSTER_UNREACH_SUSPECT, /* a suspect now: probed */
	CLUSTER_UNREACH_FAILED, /* it quoted our probe: failed at once */
	CLUSTER_UNREACH_COUNT
};

struct cluster_peer {
	const struct conf_node *node;
	int seen; /* a frame was accepted from it */
	uint64_t incarnation; /* of the last accepted frame */
	uint64_t seq;
};

struct cluster_listen {
	cluster_listener cb;
	void *arg;
};

struct cluster {
	struct ev *ev;
	const struct conf *conf;
	const struct conf_node *self;
	uint8_t key[WIRE_KEY_LEN];
	uint64_t incarnation;
	struct wire_sender tx;
	int64_t start; /* ev_now at start: node time 0 */
	int fd;
	char *acc_path; /* STATE-DIR/node-ID.accepted */
	char *acc_old_path; /* LOG-DIR/node-ID.accepted, before state-dir */
	int acc_unsaved; /* the last accepted pair is not on disk */
	int acc_leader; /* the last accepted pair */
	uint64_t acc_epoch;
	int64_t acc_failed_at; /* last error logged, 0: none since a save */
	uint64_t acc_failures; /* saves that failed */
	uint64_t votes_withheld; /* votes not sent: the pair is unsaved */

	struct cluster_peer peers[CONF_MAX_NODES];
	int npeers;

	struct election *election;
	struct gossip *gossip;
	uint64_t timer;
	int64_t timer_at;

	struct cluster_listen listeners[CLUSTER_MAX_LISTENERS];
	int nlisteners;
	int told_leader; /* last leader told to listeners */
	uint64_t told_epoch;

	/* Metrics. */
	uint64_t datagrams;
	uint64_t in[CLUSTER_MSG_COUNT];
	uint64_t out[CLUSTER_MSG_COUNT];
	uint64_t dropped[CLUSTER_DROP_COUNT];
	uint64_t send_errors;
	uint64_t failures;
	uint64_t unreachable[CLUSTER_UNREACH_COUNT]; /* port unreachable */
	uint64_t errqueue_other;
	uint64_t unknown_entries;
	int64_t drop_second; /* rate limit of the drop log lines */
	int drop_lines;
};

/* The metrics label of a drop reason (enum wire_err or cluster_drop). */
const char *cluster_drop_name(int);
/* Read the accepted pair from state-dir (or, once, from log-dir) into acc. */
void cluster_state_load(struct cluster *, struct election_accepted *);
/* Write the accepted pair; 0, or -1 (logged, counted: the node must not vote). */
int cluster_state_save(struct cluster *, int, uint64_t);

#endif
