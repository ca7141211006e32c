/*
 * election.h: ZooKeeper-style fast leader election as a pure state
 * machine (docs/PROTOCOL.md, "Election").
 *
 * Every entry point takes the current time in milliseconds and an outbox;
 * it changes the election's state, appends the notifications to send and
 * the events that happened, and does nothing else: no sockets, no clock,
 * no logging, no global state. Given the same inputs it does the same
 * thing, so the unit tests and the simulator (tests/sim) drive it exactly
 * as the daemon's shell (cluster.c) does.
 *
 * The caller's duties:
 *	- reset the outbox before each call (election_out_reset), then handle
 *	  its events in order and send its messages;
 *	- persist the accepted (epoch, leader) of every ELECT_EV_ACCEPT event
 *	  before sending the messages of that call, and hand it back to
 *	  election_new after a restart: a voter accepts at most one leader
 *	  per epoch in its lifetime, which is what makes two leaders in one
 *	  epoch impossible (a pair of epoch ELECT_EPOCH_MAX or more is
 *	  corrupt: refuse it);
 *	- call election_tick when election_next_timeout says so;
 *	- report gossip's verdicts with election_node_down / election_node_up.
 */
#ifndef JDP_ELECTION_H
#define JDP_ELECTION_H

#include <stdint.h>

#include "proto.h"

/* Most members (voters and observers) a cluster may have. */
#define ELECT_MAX_NODES 64
/* Outbox capacity: a few broadcasts to every member per call. */
#define ELECT_OUT_MAX (4 * ELECT_MAX_NODES)
#define ELECT_EV_MAX 16
/*
 * Epochs in votes and accepted pairs stay below this. An honest cluster
 * never gets near it (an election a millisecond for 146 million years),
 * and refusing more keeps every epoch + 1 from wrapping to 0.
 */
#define ELECT_EPOCH_MAX (UINT64_C(1) << 62)

/* A node's state; the numbers equal enum proto_vote_state. */
enum election_state {
	ELECT_LOOKING = PROTO_LOOKING,
	ELECT_FOLLOWING = PROTO_FOLLOWING,
	ELECT_LEADING = PROTO_LEADING,
	ELECT_OBSERVING = PROTO_OBSERVING
};

struct election_member {
	int id;
	int voter; /* 1: a peer that votes; 0: an observer */
};

struct election_conf {
	int self;
	int nmembers; /* self included */
	struct election_member members[ELECT_MAX_NODES];
	int64_t finalize; /* ms to wait for a better vote */
	int64_t ping_interval; /* ms between leader pings */
	int64_t failure_timeout; /* ms of silence = gone */
	int64_t backoff_max; /* ms, longest resend delay */
};

/* What a voter accepted last: FOLLOWING or LEADING leader in epoch. */
struct election_accepted {
	int valid;
	int leader;
	uint64_t epoch;
};

enum election_ev_type {
	ELECT_EV_SWITCH, /* state from -> to (log the switch line) */
	ELECT_EV_LEADER, /* a leader is known: leader, epoch */
	ELECT_EV_ACCEPT, /* persist (epoch, leader) before sending */
	ELECT_EV_STEPDOWN /* this leader gave up: why */
};

struct election_event {
	enum election_ev_type type;
	enum election_state from;
	enum election_state to;
	int leader; /* -1 if none */
	uint64_t epoch;
	const char *why; /* static text for logs */
};

struct election_msg {
	int to; /* member id */
	struct proto_vote vote;
};

struct election_out {
	int nmsg;
	struct election_msg msg[ELECT_OUT_MAX];
	int nev;
	struct election_event ev[ELECT_EV_MAX];
};

struct election;

/* Empty an outbox. */
void election_out_reset(struct election_out *);
/*
 * Start an election for conf->self, which must be a member; acc is what
 * it accepted before a restart (NULL or !valid: nothing). The first
 * notifications go to out. Caller frees with election_free.
 */
struct election *election_new(const struct election_conf *,
    const struct election_accepted *, int64_t, struct election_out *);
/* Free an election. */
void election_free(struct election *);
/*
 * Handle a notification already checked to come from member v->sender.
 * Returns 0, or -1 if it names no member or itself, has the wrong state
 * for the sender's role or an epoch of ELECT_EPOCH_MAX or more (count it
 * as a bad payload).
 */
int election_handle_vote(struct election *, const struct proto_vote *, int64_t,
    struct election_out *);
/* Run the timers due at now (resends, finalize, pings, timeouts). */
void election_tick(struct election *, int64_t, struct election_out *);
/* When election_tick next has work to do. */
int64_t election_next_timeout(const struct election *);
/* Gossip declared member id failed (or it was removed). */
void election_node_down(struct election *, int, int64_t, struct election_out *);
/* Gossip hears member id again (joined, restarted or revived). */
void election_node_up(struct election *, int, int64_t, struct election_out *);

/* Current state. */
enum election_state election_state(const struct election *);
/* Current leader, -1 if none. */
int election_leader(const struct election *);
/* Current epoch (the leader's when one is known, else the round). */
uint64_t election_epoch(const struct election *);
/* What this node accepted last. */
struct election_accepted election_accepted(const struct election *);
/*
 * Best knowledge of member id's state: this node's own, or the state in
 * the latest notification from it, or FOLLOWING (OBSERVING for an
 * observer) if nothing was heard and a leader is known, else LOOKING.
 */
enum election_state election_member_state(const struct election *, int);
/* Number of votes that make a quorum (strict majority of voters). */
int election_quorum(const struct election *);
/* Elections this node took part in (times it started LOOKING). */
uint64_t election_count(const struct election *);
/* "LOOKING", "FOLLOWING", "LEADING", "OBSERVING". */
const char *election_state_name(enum election_state);

#endif
