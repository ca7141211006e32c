/*
 * proto.h: the cluster message catalogue. Every message that crosses the
 * network is listed here with its number; the numbers are part of the wire
 * protocol and never change meaning. Payload layouts and their codecs live
 * in proto.c, next to each other.
 *
 * Version history (WIRE_VERSION in wire.h):
 *	1	first version: election, gossip and work messages (RESULT
 *		status 7, not_ready, and the status byte's top bit,
 *		PROTO_RESULT_F_TRANSIENT, added before the first release).
 *		PROBE and PROBE_ACK (17, 18) added later in version 1: new
 *		types, no layout changed; older nodes drop them as unknown.
 *		WORK's flag PROTO_WORK_FILES (0x02) added later in version 1:
 *		its fields follow the old ones, so a WORK without it is laid
 *		out as before; an older node drops one with it (unknown flag).
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
	PROTO_PROBE = 17, /* are you alive? (a port-unreachable report) */
	PROTO_PROBE_ACK = 18, /* answer to a PROBE */

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

/*
 * PROBE and PROBE_ACK payloads, the tag of a suspicion (docs/PROTOCOL.md,
 * "Probes"); a PROBE_ACK echoes its PROBE's tag:
 *
 *	offset	size	field
 *	0	8	tag		chosen by the prober, never 0
 *
 * A PROBE frame is small (82 bytes) so that the ICMP error for it quotes
 * it whole.
 */
#define PROTO_PROBE_LEN 8

/* Append a PROBE or PROBE_ACK payload. */
void proto_probe_encode(struct buf *, uint64_t);
/* Decode a PROBE or PROBE_ACK payload: 0, or -1 if not 8 bytes or tag 0. */
int proto_probe_decode(const uint8_t *, size_t, uint64_t *);

/*
 * ---- Work messages (TCP links; daemon/work.c, daemon/gateway.c) ----
 *
 * The request id travels in the frame header (reqid); it is assigned by
 * the gateway, carries the gateway's id in its top 16 bits
 * (PROTO_REQID_GATEWAY) and is reused on every retry. docs/WORK.md has
 * the exchange; these are the payloads.
 *
 * WORK payload, a job (gateway->leader, leader->follower):
 *
 *	offset	size	field
 *	0	1	flags		PROTO_WORK_STDIN: stdin is given;
 *					PROTO_WORK_FILES: the fields below
 *	1	4	timeout_ms	wall-clock limit, 0 = the follower's job-timeout
 *	5	4+n	stdin		bytes (empty unless PROTO_WORK_STDIN)
 *	.	4+n	source		the Java source (empty with PROTO_WORK_FILES)
 *   with PROTO_WORK_FILES only:
 *	.	4+n	main		entry class, "" = inferred
 *	.	4	release		javac --release N, 0 = the default
 *	.	4	nargs		at most PROTO_WORK_ARGS_MAX
 *	.	(4+n)*	args		nargs strings for main(String[])
 *	.	4	nfiles		1 to PROTO_WORK_FILES_MAX
 *	.	(4+n	name		"util/Helper.java"
 *	.	 4+n)*	content		its source
 *
 * RESULT payload, a finished job (follower->leader, leader->gateway):
 *
 *	offset	size	field
 *	0	1	status		enum proto_result_status, ORed with
 *					PROTO_RESULT_F_TRANSIENT
 *	1	2	node		id of the follower that ran the job
 *	3	4	compile_ms
 *	7	4	run_ms
 *	11	4+n	body		run()'s text, or the classic error text
 *	.	4+n	stdout
 *	.	4+n	stderr
 *
 * RESULT_ACK (gateway->leader, leader->follower) and LAST_WORK_QUERY (new
 * leader->follower) have empty payloads; RESULT_ACK names its request in
 * the header.
 *
 * LAST_WORK_REPLY payload (follower->new leader), sent right after the
 * RESULT frames of every finished, unacknowledged job:
 *
 *	offset	size	field
 *	0	4	nrunning	jobs still running here
 *	4	8*n	running		their request ids
 *	.	4	ndone		finished jobs whose RESULT preceded this
 *	.	8*n	done		their request ids
 */
#define PROTO_REQID_GATEWAY(id) ((int)((id) >> 48))
#define PROTO_WORK_STDIN 0x01
#define PROTO_WORK_FILES 0x02
#define PROTO_WORK_MIN_LEN 13
/* Most args and files one WORK may carry (max-files is at most this). */
#define PROTO_WORK_ARGS_MAX 4096
#define PROTO_WORK_FILES_MAX 4096
#define PROTO_RESULT_MIN_LEN 23
/* Most ids one LAST_WORK_REPLY list may carry. */
#define PROTO_LAST_WORK_MAX (1u << 20)

/* Outcome of a job; the numbers cross the wire. */
enum proto_result_status {
	PROTO_RESULT_OK = 0,
	PROTO_RESULT_COMPILE_ERROR = 1,
	PROTO_RESULT_RUNTIME_ERROR = 2,
	PROTO_RESULT_TIMEOUT = 3,
	PROTO_RESULT_MEMORY_LIMIT = 4,
	PROTO_RESULT_OUTPUT_LIMIT = 5,
	PROTO_RESULT_REJECTED = 6,
	/*
	 * Follower to leader only: the runner is still starting (its compile
	 * server has not been ready yet); give the job to another follower.
	 * The follower keeps no such result, and it counts as no try.
	 */
	PROTO_RESULT_NOT_READY = 7
};
#define PROTO_RESULT_NSTATUS 8
/*
 * In the status byte: the failure is the machinery's, not the job's own
 * answer (the compile server died under it, ...): the same job may well
 * succeed again, so the gateway never caches it (docs/WORK.md).
 */
#define PROTO_RESULT_F_TRANSIENT 0x80

/* Spans point into the decoded payload. */
struct proto_work {
	uint8_t flags;
	uint32_t timeout_ms;
	const uint8_t *stdin_data;
	size_t stdin_len;
	const uint8_t *source;
	size_t source_len;
	/* With PROTO_WORK_FILES: */
	const uint8_t *main; /* "" = inferred */
	size_t main_len;
	uint32_t release; /* 0 = javac's default */
	uint32_t nargs;
	const uint8_t *args; /* nargs encoded strings: proto_work_next */
	size_t args_len;
	uint32_t nfiles;
	const uint8_t
	    *files; /* nfiles (name, content) pairs: proto_work_next */
	size_t files_len;
};

struct proto_result {
	uint8_t status;
	uint8_t flags; /* PROTO_RESULT_F_TRANSIENT */
	uint16_t node;
	uint32_t compile_ms;
	uint32_t run_ms;
	const uint8_t *body;
	size_t body_len;
	const uint8_t *out;
	size_t out_len;
	const uint8_t *err;
	size_t err_len;
};

struct proto_last_work {
	uint32_t nrunning;
	const uint8_t *running; /* nrunning big-endian u64 */
	uint32_t ndone;
	const uint8_t *done; /* ndone big-endian u64 */
};

/* Append a WORK payload. */
void proto_work_encode(struct buf *, const struct proto_work *);
/*
 * Decode a WORK payload: 0, or -1 if it is truncated, has trailing bytes,
 * unknown flags, stdin without PROTO_WORK_STDIN, or with PROTO_WORK_FILES
 * a source, no files, or more args or files than the caps.
 */
int proto_work_decode(const uint8_t *, size_t, struct proto_work *);
/*
 * Take the next string of a decoded args or files list: *p and *left
 * advance past it, *s and *n span it. 0, or -1 at the end. A files list
 * is its names and contents in turn.
 */
int proto_work_next(const uint8_t **, size_t *, const uint8_t **, size_t *);
/*
 * Append the files part of a WORK (after proto_work_encode's flags ...
 * source, PROTO_WORK_FILES set): main, release, the args and the files
 * as arrays of spans; proto_work_encode calls it when args and files are
 * already encoded lists (a decoded WORK).
 */
void proto_work_encode_files(struct buf *, const uint8_t *, size_t, uint32_t,
    uint32_t, const uint8_t *const *, const size_t *, uint32_t,
    const uint8_t *const *, const size_t *);
/* Append a RESULT payload. */
void proto_result_encode(struct buf *, const struct proto_result *);
/*
 * Decode a RESULT payload: 0, or -1 if it is truncated, has trailing bytes
 * or an unknown status.
 */
int proto_result_decode(const uint8_t *, size_t, struct proto_result *);
/* Name of a result status for JSON and logs ("ok", "compile_error"...). */
const char *proto_result_status_name(int);
/* Append a LAST_WORK_REPLY payload from two id arrays. */
void proto_last_work_encode(
    struct buf *, const uint64_t *, uint32_t, const uint64_t *, uint32_t);
/* Decode a LAST_WORK_REPLY payload: 0, or -1 if malformed. */
int proto_last_work_decode(const uint8_t *, size_t, struct proto_last_work *);
/* The i-th id of a decoded id list (running or done). */
uint64_t proto_last_work_id(const uint8_t *, uint32_t);

#endif
