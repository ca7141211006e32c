/*
 * work-int.h: what the two halves of the work protocol share inside the
 * module: work.c (links, frames, the follower side, life cycle) and
 * work-leader.c (the leader side). Not for use outside work*.c.
 */
#ifndef JDP_WORK_INT_H
#define JDP_WORK_INT_H

#include <stdint.h>
#include <sys/queue.h>

#include "buf.h"
#include "hash.h"
#include "idtab.h"
#include "wire.h"
#include "work.h"

struct conf_node;
struct link;

#define WORK_TICK_MS 100
/* A follower whose link just failed is skipped this long. */
#define WORK_RETRY_MS 500
/* Unacknowledged results are kept at most this long. */
#define WORK_HOLD_MS (5 * 60 * 1000)
/* A job a follower refuses (runner full or absent) is tried this often. */
#define WORK_MAX_TRIES 3
/* Request ids acknowledged lately, to drop late duplicate results. */
#define WORK_ACKED_RING 4096

/*
 * The work port against strangers (docs/WORK.md "Unauthenticated
 * connections"): an accepted connection is unauthenticated until its first
 * good frame. At most WORK_UNAUTH_MAX of them at once (a new one evicts
 * the oldest), each closed if no good frame came within
 * WORK_HANDSHAKE_MS, and none may announce a payload above
 * WORK_UNAUTH_FRAME. accept() takes at most WORK_ACCEPT_BATCH connections
 * per wake-up and rests WORK_ACCEPT_PAUSE_MS when out of descriptors.
 */
#define WORK_UNAUTH_MAX 64
#define WORK_HANDSHAKE_MS 3000
#define WORK_UNAUTH_FRAME 4096
#define WORK_ACCEPT_BATCH 64
#define WORK_ACCEPT_PAUSE_MS 100
/* At most one warning about the work port per this many ms. */
#define WORK_WARN_MS 10000

enum work_state { WORK_QUEUED, WORK_RUNNING, WORK_DONE };

enum work_drop {
	WORK_DROP_UNKNOWN, /* sender is no member */
	WORK_DROP_ROLE, /* message not allowed from that sender */
	WORK_DROP_REPLAY, /* old incarnation or sequence */
	WORK_DROP_PAYLOAD, /* payload does not decode */
	WORK_DROP_NOT_LEADER, /* WORK for a node that does not lead */
	WORK_DROP_STALE, /* answer from a peer we no longer talk to */
	WORK_DROP_FRAME, /* the link's frame decoder refused input */
	WORK_DROP_COUNT
};

/* Why an unauthenticated connection was closed; indexes counters. */
enum work_unauth {
	WORK_UNAUTH_TIMEOUT, /* no good frame within WORK_HANDSHAKE_MS */
	WORK_UNAUTH_EVICTED, /* the oldest, for a new one over the budget */
	WORK_UNAUTH_OVERSIZE, /* a frame above WORK_UNAUTH_FRAME */
	WORK_UNAUTH_COUNT
};

struct work_job {
	struct work *w;
	uint64_t id;
	enum work_state state;
	int origin; /* gateway to answer, -1 */
	int follower; /* leader: runs there, -1 */
	int result_from; /* leader: holds the result */
	struct buf work; /* WORK payload (may be empty) */
	struct buf result; /* RESULT payload once DONE */
	int64_t since; /* entered its state */
	uint64_t handle; /* follower: runner handle */
	int tries; /* leader: followers that refused it */
	int queued;
	size_t held; /* leader: bytes counted in w->leader_bytes */
	int has_digest; /* leader: digest is the WORK payload's */
	uint8_t digest[HASH_LEN]; /* leader: SHA-256 of the WORK payload */
	struct idtab_entry hentry;
	TAILQ_ENTRY(work_job) entry;
	TAILQ_ENTRY(work_job) qentry;
};

TAILQ_HEAD(work_jobs, work_job);

struct work_table {
	struct idtab ids;
	struct work_jobs all;
	int n;
};

struct work_conn {
	struct work *w;
	struct link *link;
	int peer; /* node id, -1 until known */
	int outgoing;
	int64_t accepted_at; /* accepted: when */
	uint64_t last_seq;
	TAILQ_ENTRY(work_conn) entry;
};

struct work_peer {
	const struct conf_node *node;
	struct work_conn *out; /* we connected (leader) */
	struct work_conn *in; /* latest it connected */
	uint64_t incarnation; /* highest seen */
	/*
	 * Highest sequence number of that incarnation seen on any link the
	 * peer opened: its frames on links it opens all come from one
	 * counter, so a frame replayed on a new link is not above it.
	 */
	uint64_t in_incarnation;
	uint64_t in_seq;
	int64_t retry_at;
	int querying; /* LAST_WORK_QUERY unanswered */
	uint64_t dispatched;
};

struct work {
	struct ev *ev;
	const struct conf *conf;
	const struct conf_node *self;
	const uint8_t *key;
	struct work_hooks hooks;
	struct wire_sender tx;
	/* What the cluster told last (work_leader_changed, work_set_alive). */
	int leader;
	uint64_t cluster_epoch;
	uint64_t alive; /* bit i: conf->nodes[i] */
	struct work_peer *peers; /* parallel to conf->nodes */
	TAILQ_HEAD(, work_conn) conns;
	uint64_t tick;
	int listen_fd; /* the work port (work_listen), or -1 */
	uint64_t accept_pause; /* timer while accept() rests, or 0 */
	int unauth; /* accepted connections without a good frame yet */
	int64_t warned_at; /* last rate-limited warning */

	/* Leader side. */
	int leading;
	uint64_t epoch; /* of this node's term */
	int collecting;
	int64_t collect_until;
	struct work_table ljobs;
	struct work_jobs queue;
	int rr;
	uint64_t acked[WORK_ACKED_RING];
	int acked_pos;
	uint64_t leader_bytes; /* WORK payloads and results held */

	/* Follower side. */
	struct work_table fjobs;
	int running;

	/* Counters. */
	uint64_t drops[WORK_DROP_COUNT];
	uint64_t unauth_closed[WORK_UNAUTH_COUNT];
	uint64_t accepted;
	uint64_t accept_paused;
	uint64_t received;
	uint64_t dispatched;
	uint64_t reassigned;
	uint64_t not_ready; /* follower: WORK sent back, runner starting */
	uint64_t refused_inflight; /* new WORK beyond inflight-max */
	uint64_t refused_reused; /* known id, another payload */
	uint64_t attached; /* retried id still in flight */
	uint64_t answered_held; /* retried id answered at once */
	uint64_t collected_running;
	uint64_t collected_done;
	uint64_t leader_results;
	uint64_t duplicates;
	uint64_t expired;
	uint64_t terms; /* times this node took office */
	uint64_t jobs_done; /* follower */
	uint64_t results_resent;
};

/* The job with id in table t, or NULL. */
struct work_job *work_table_find(struct work_table *, uint64_t);
/* A new job with id in table t (not there yet). */
struct work_job *work_table_add(struct work *, struct work_table *, uint64_t);
/* Remove a job from its table and free it. */
void work_table_remove(struct work_table *, struct work_job *);
/* The peer entry of node id, or NULL. */
struct work_peer *work_peer(struct work *, int);
/* Does gossip count peer p alive (as the cluster last told)? */
int work_alive(const struct work *, const struct work_peer *);
/* Send one frame on a connection: type, reqid, payload. */
void work_send(
    struct work *, struct work_conn *, int, uint64_t, const void *, size_t);
/* Close a connection now (no close callback). */
void work_conn_close(struct work *, struct work_conn *);
/* The leader's link to follower p, connecting if needed; NULL if not. */
struct work_conn *work_peer_out(struct work *, struct work_peer *);

/* Forget a leader job (unqueued, removed, freed). */
void work_leader_forget(struct work *, struct work_job *);
/* Drop every piece of leader state: links to followers, the table. */
void work_leader_reset(struct work *);
/* Hand the queued jobs out, round robin over the usable followers. */
void work_leader_dispatch(struct work *);
/* Follower id is gone (link or gossip): give its running work to others. */
void work_leader_lost(struct work *, int);
/* Last work collected from every follower (or given up on): start. */
void work_leader_collect_check(struct work *);
/*
 * A RESULT payload for id from follower `from` (which may be this node,
 * for a job it ran as a follower before it took office).
 */
void work_leader_take_result(
    struct work *, int, uint64_t, const uint8_t *, size_t);
/* WORK from a gateway. */
void work_leader_on_work(
    struct work *, struct work_conn *, const struct wire_msg *);
/* RESULT from a follower (on our link to it). */
void work_leader_on_result(struct work *, const struct wire_msg *);
/* RESULT_ACK from a gateway: pass it on to the follower and forget. */
void work_leader_on_ack(struct work *, const struct wire_msg *);
/* LAST_WORK_REPLY from a follower. */
void work_leader_on_last_work(struct work *, const struct wire_msg *);
/* Append the leader side's Prometheus text (refusals, bytes held). */
void work_leader_write_metrics(const struct work *, struct buf *);

#endif
