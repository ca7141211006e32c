/*
 * gossip.h: heartbeat gossip failure detection as a pure state machine
 * (docs/PROTOCOL.md, "Gossip").
 *
 * Each node keeps a table of (id, heartbeat, incarnation, status). Every
 * gossip interval it bumps its own heartbeat and sends the table to a few
 * random members; merging a received table raises heartbeats, and an entry
 * whose heartbeat has not risen for failure-timeout is failed, then
 * removed once cleanup-timeout has passed since its last rise. Like the
 * election, gossip reads no clock and touches no socket: every call takes
 * now (ms) and fills an outbox; randomness comes from the seed in the
 * configuration.
 *
 * An ICMP port-unreachable report only makes a member a suspect: anyone
 * can forge one. The member is sent an authenticated probe (outbox
 * probes) and is failed only if no authenticated frame from it arrives
 * before the probe deadline, or at once if the kernel's report quotes
 * exactly that probe (its tag), which only a dead port can cause.
 */
#ifndef JDP_GOSSIP_H
#define JDP_GOSSIP_H

#include <stdint.h>

#include "proto.h"

#define GOSSIP_MAX_NODES PROTO_GOSSIP_MAX
#define GOSSIP_EV_MAX (3 * GOSSIP_MAX_NODES)

/* Local status of an entry. ALIVE and FAILED cross the wire as such. */
enum gossip_status {
	GOSSIP_ALIVE = PROTO_GOSSIP_ALIVE,
	GOSSIP_FAILED = PROTO_GOSSIP_FAILED,
	GOSSIP_REMOVED = 2 /* cleaned up; kept to stop resurrection */
};

struct gossip_conf {
	int self;
	int nmembers; /* self included */
	int members[GOSSIP_MAX_NODES]; /* node ids */
	uint64_t incarnation; /* this process's, rises on restart */
	int64_t interval; /* ms between rounds */
	int64_t failure_timeout; /* ms without a rise: failed */
	int64_t cleanup_timeout; /* ms without a rise: removed */
	int fanout; /* members sent to per round */
	uint64_t seed; /* PRNG seed for choosing members */
};

enum gossip_ev_type {
	GOSSIP_EV_UPDATED, /* heartbeat rose (log the update line) */
	GOSSIP_EV_JOINED, /* first heard of this member */
	GOSSIP_EV_REJOINED, /* higher incarnation: it restarted */
	GOSSIP_EV_REVIVED, /* failed entry heard from itself again */
	GOSSIP_EV_FAILED, /* no rise for failure-timeout */
	GOSSIP_EV_REMOVED /* no rise for cleanup-timeout */
};

struct gossip_event {
	enum gossip_ev_type type;
	int id; /* the entry */
	uint64_t heartbeat;
	uint64_t incarnation;
	int from; /* sender, -1 for timers */
	int64_t now; /* local time */
};

/* A PROBE to send (docs/PROTOCOL.md, "Probes"). */
struct gossip_probe {
	int to;
	uint64_t tag;
};

struct gossip_out {
	int nto; /* 0: nothing to send */
	int to[GOSSIP_MAX_NODES];
	struct proto_gossip msg; /* the same to each */
	int nev;
	struct gossip_event ev[GOSSIP_EV_MAX];
	int nprobe;
	struct gossip_probe probe[GOSSIP_MAX_NODES];
};

/* One entry as seen from outside. */
struct gossip_info {
	int id;
	uint64_t heartbeat;
	uint64_t incarnation;
	enum gossip_status status;
	int64_t last_heard; /* local ms of the last rise */
};

struct gossip;

/* Empty an outbox. */
void gossip_out_reset(struct gossip_out *);
/* A table holding only self (heartbeat 0). Caller frees with gossip_free. */
struct gossip *gossip_new(const struct gossip_conf *, int64_t);
/* Free a table. */
void gossip_free(struct gossip *);
/*
 * Merge a table received from member from. Entries about self, unknown
 * ids and FAILED entries are skipped. Returns the entries skipped because
 * they named no member (a caller may count them).
 */
int gossip_handle(struct gossip *, int, const struct proto_gossip *, int64_t,
    struct gossip_out *);
/*
 * An authenticated frame from member id itself arrived: proof of life,
 * which also clears a suspicion. gossip_handle notes its sender itself;
 * the caller reports frames of other types (VOTE, PROBE, PROBE_ACK) here.
 */
void gossip_heard(struct gossip *, int, int64_t);
/*
 * The kernel says a datagram to id met a closed port (ICMP port
 * unreachable). Anyone can forge that report, so it proves nothing: an
 * ALIVE member other than self from which no proof of life (a frame from
 * itself, or a new incarnation taken) came for at least one interval
 * becomes a suspect and is sent a probe (out->probe; again every
 * interval). Any proof of life clears the suspicion; none within two
 * intervals fails it (gossip_tick). Returns 1 if it became a suspect, 0
 * if the report was ignored: self, not a member, never heard of, not
 * ALIVE, heard from recently, or already a suspect.
 */
int gossip_unreachable(struct gossip *, int, int64_t, struct gossip_out *);
/*
 * The kernel's port-unreachable report quotes the authenticated probe
 * with tag that this node sent to id: its port is closed, so a suspect
 * whose current tag that is fails at once (event FAILED). Returns 1 if it
 * was failed, 0 otherwise (not a suspect, or another tag: an old probe).
 */
int gossip_probe_refused(
    struct gossip *, int, uint64_t, int64_t, struct gossip_out *);
/* 1 if id is ALIVE and a suspect (a probe is outstanding). */
int gossip_suspect(const struct gossip *, int);
/* Send a round if one is due and fail or remove silent entries. */
void gossip_tick(struct gossip *, int64_t, struct gossip_out *);
/* When gossip_tick next has work to do. */
int64_t gossip_next_timeout(const struct gossip *);
/* 1 if id is in the table and ALIVE (self always is). */
int gossip_alive(const struct gossip *, int);
/* The entry for id: 0, or -1 if there is none (never heard, or REMOVED). */
int gossip_get(const struct gossip *, int, struct gossip_info *);
/* Live members (self included) into ids, sorted; returns the count. */
int gossip_alive_set(const struct gossip *, int *, int);
/* Name of a status ("ALIVE", "FAILED", "REMOVED"). */
const char *gossip_status_name(enum gossip_status);

#endif
