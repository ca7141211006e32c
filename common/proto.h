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
	PROTO_VOTE = 1,			/* fast leader election notification */

	/* Gossip. */
	PROTO_GOSSIP = 16,		/* heartbeat table */

	/* Work. */
	PROTO_WORK = 32,		/* gateway->leader, leader->follower: a job */
	PROTO_RESULT = 33,		/* follower->leader, leader->gateway */
	PROTO_RESULT_ACK = 34,		/* leader->follower: result delivered */
	PROTO_LAST_WORK_QUERY = 35,	/* new leader->followers */
	PROTO_LAST_WORK_REPLY = 36,	/* follower->new leader */
};

/* Name of a message type for logs ("VOTE", "GOSSIP", ...). */
const char	*proto_type_name(int);

#endif
