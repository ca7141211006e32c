/*
 * proto.h: the cluster message catalogue. Every message that crosses the
 * network is listed here with its number; the numbers are part of the wire
 * protocol and never change meaning. Payload layouts and their codecs live
 * in proto.c, next to each other.
 *
 * Version history (WIRE_VERSION in wire.h):
 *	1	first version: election, gossip and work messages.
 *
 * Types are numbered in blocks:
 *	1-15	election (UDP)
 *	16-31	gossip (UDP)
 *	32-63	work (TCP)
 */
#ifndef JDP_PROTO_H
#define JDP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum proto_type {
	/* Election. */
	PROTO_VOTE = 1, /* fast leader election notification */

	/* Gossip. */
	PROTO_GOSSIP = 16, /* heartbeat table */

	/* Work. */
	PROTO_WORK = 32, /* gateway->leader, leader->follower: a job */
	PROTO_RESULT = 33, /* follower->leader, leader->gateway */
	PROTO_RESULT_ACK = 34, /* leader->follower: result delivered */
	PROTO_LAST_WORK_QUERY = 35, /* new leader->followers */
	PROTO_LAST_WORK_REPLY = 36, /* follower->new leader */
};

/* Name of a message type for logs ("VOTE", "GOSSIP", ...). */
const char *proto_type_name(int);

/*
 * VOTE payload, a fast leader election notification (docs/PROTOCOL.md):
 *
 *	offset	size	field
 *	0	1	state		sender's state, enum proto_vote_state
 *	1	1	flags		PROTO_VOTE_LEADER, PROTO_VOTE_ACCEPTED
 *	2	2	sender		sender's node id (equals the frame's)
 *	4	2	leader		proposed (LOOKING) or current leader
 *	6	8	epoch		election epoch of the vote
 *	14	2	acc_leader	leader the sender last accepted
 *	16	8	acc_epoch	epoch in which it accepted acc_leader
 *
 * leader is meaningful only with PROTO_VOTE_LEADER set (an observer that
 * knows no leader sends none), acc_* only with PROTO_VOTE_ACCEPTED.
 */
#define PROTO_VOTE_LEN 24
#define PROTO_VOTE_LEADER 0x01
#define PROTO_VOTE_ACCEPTED 0x02

/* Sender states; the numbers cross the wire. */
enum proto_vote_state {
	PROTO_LOOKING = 0,
	PROTO_FOLLOWING = 1,
	PROTO_LEADING = 2,
	PROTO_OBSERVING = 3
};

struct proto_vote {
	uint8_t state;
	uint8_t flags;
	uint16_t sender;
	uint16_t leader;
	uint64_t epoch;
	uint16_t acc_leader;
	uint64_t acc_epoch;
};

/* Append a VOTE payload. */
void proto_vote_encode(struct buf *, const struct proto_vote *);
/*
 * Decode a VOTE payload from (p, len): 0, or -1 if it is short, long, has
 * unknown flags or an unknown state.
 */
int proto_vote_decode(const uint8_t *, size_t, struct proto_vote *);

/*
 * GOSSIP payload, the sender's heartbeat table:
 *
 *	offset	size	field
 *	0	2	count		entries that follow, at most PROTO_GOSSIP_MAX
 *	2+19*i	2	id		node id
 *		1	status		enum proto_gossip_status
 *		8	incarnation	the node's incarnation
 *		8	heartbeat	the node's heartbeat counter
 */
#define PROTO_GOSSIP_MAX 64
#define PROTO_GOSSIP_ENTRY_LEN 19

/* Entry status; the numbers cross the wire. */
enum proto_gossip_status { PROTO_GOSSIP_ALIVE = 0, PROTO_GOSSIP_FAILED = 1 };

struct proto_gossip_entry {
	uint16_t id;
	uint8_t status;
	uint64_t incarnation;
	uint64_t heartbeat;
};

struct proto_gossip {
	int n;
	struct proto_gossip_entry e[PROTO_GOSSIP_MAX];
};

/* Append a GOSSIP payload (n must be at most PROTO_GOSSIP_MAX). */
void proto_gossip_encode(struct buf *, const struct proto_gossip *);
/*
 * Decode a GOSSIP payload: 0, or -1 if it is truncated, has trailing
 * bytes, too many entries or an unknown status.
 */
int proto_gossip_decode(const uint8_t *, size_t, struct proto_gossip *);

#endif
