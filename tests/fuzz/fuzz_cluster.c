/*
 * fuzz_cluster.c: one node's election and gossip state machines driven by
 * a script the way daemon/cluster.c drives them after decoding, with their
 * invariants checked after every step; and every payload decoder of
 * common/proto.c: what one accepts must encode back to the same bytes and
 * decode again to the same values.
 *
 * The input is a script; a byte past its end reads as 0.
 *
 *	header (17 bytes)
 *	0	members: n = 1 + b % 9, or 1 + b % 64 if b & 0x80
 *	1	self: member b % n
 *	2	voters: member i votes if bit i % 8 is set (the rest observe)
 *	3	ids: member i is (7i + b) % 64
 *	4	gossip-interval 10 + b ms
 *	5	failure-timeout 2 * interval + 1 + 4b ms
 *	6	cleanup-timeout failure-timeout + 8b ms
 *	7	election-finalize 10 + b ms
 *	8	accepted pair on disk: bit 0 valid, leader member (b >> 1) % n
 *	9	epoch of that pair (u64, big-endian)
 *
 *	steps, until the input ends: op, then by (op & 0x7f) % 10
 *	VOTE	sender, dt, then with op & 0x80 len and len raw payload
 *		bytes, else state, flags, leader, epoch delta, accepted
 *		leader, accepted epoch delta (epochs relative to the node's)
 *	GOSSIP	sender, dt, then with op & 0x80 len and raw bytes, else a
 *		count (b % 10) of entries: member, status (b & 1),
 *		incarnation delta, heartbeat delta (relative to what the node
 *		last showed for that member)
 *	WORK, RESULT, LAST_WORK_REPLY
 *		len, then len payload bytes for the work decoders (each
 *		of the three ops runs all three, as on raw VOTE and GOSSIP
 *		payloads)
 *	TICK	dt: both machines' timers, as cluster_timer
 *	WAIT	time jumps to the machines' next timeout, then TICK
 *	DOWN, UP
 *		member, dt: gossip's verdict straight to the election; DOWN
 *		with op & 0x80: a port-unreachable report to gossip instead,
 *		then q: with q & 1 it quotes a PROBE whose tag is the last
 *		one probed (q & 2) or q itself, else it is a plain report
 *	RESTART	dt: this node restarts with the pair it persisted
 * A member byte m names member m % (n + 1); n names a non-member. dt is in
 * ms. RESULT_ACK and LAST_WORK_QUERY carry no payload and have no decoder.
 *
 * Checked after every step (abort() on a violation): the accepted pair
 * never goes back, and is what the caller persisted; the state agrees with
 * the role, leader, epoch and pair (a voter's epoch itself may go down: a
 * LOOKING round that ran ahead joins an established leader of an older
 * epoch, as in ZooKeeper, but never below the pair); outboxes stay within
 * their bounds (scaled to the cluster's size) and address members other
 * than self; the gossip table holds members only, ALIVE or FAILED, each
 * (incarnation, heartbeat) only rising; after a tick neither machine is
 * due again at once; every message sent decodes back to itself.
 *
 * The seed corpus (corpus/cluster) is written by this file's generator,
 * which also traces a script step by step (a crash file, say):
 *	clang -DFUZZ_CLUSTER_GEN -I$builddir -Icommon -Idaemon \
 *	    tests/fuzz/fuzz_cluster.c daemon/election.c daemon/gossip.c \
 *	    common/proto.c common/wire.c common/buf.c common/hash.c \
 *	    common/xmalloc.c $(pkg-config --cflags --libs libsodium) -o gen
 *	./gen tests/fuzz/corpus/cluster
 *	./gen -t crash-...
 * The seed stepdown-join is a finding kept as a regression: a leader that
 * stepped down and joined another leader took a looker's round as its
 * epoch (test_election.c, test_stepdown_join). epoch-max replays the other:
 * epochs near 2^64 (test_epoch_max).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "election.h"
#include "gossip.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

enum fuzz_op {
	FUZZ_VOTE,
	FUZZ_GOSSIP,
	FUZZ_WORK,
	FUZZ_RESULT,
	FUZZ_LAST_WORK,
	FUZZ_TICK,
	FUZZ_WAIT,
	FUZZ_DOWN,
	FUZZ_UP,
	FUZZ_RESTART,
	FUZZ_NOPS
};
#define FUZZ_RAW 0x80
#define FUZZ_HDR_LEN 17
#define FUZZ_MAX_STEPS 1000
#define FUZZ_OUTSIDER 1000 /* id of the non-member */

struct fuzz_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

/* What the harness last saw of a member's gossip entry. */
struct fuzz_seen {
	int have;
	uint64_t incarnation;
	uint64_t heartbeat;
};

struct fuzz {
	int n;
	int self;
	int ids[ELECT_MAX_NODES];
	int voter[ELECT_MAX_NODES];
	int nvoters;
	struct election_conf ec;
	struct gossip_conf gc;
	struct election *e;
	struct gossip *g;
	int64_t now;
	struct election_accepted disk; /* what cluster_acc_save wrote */
	struct fuzz_seen seen[GOSSIP_MAX_NODES];
};

static struct election_out fuzz_eout;
static struct gossip_out fuzz_gout;

/* abort() with a word on stderr: libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_cluster: %s:%d: %s\n", __FILE__, \
			    __LINE__, #cond);                                  \
			abort();                                               \
		}                                                              \
	} while (0)

static uint8_t
fuzz_u8(struct fuzz_rd *rd)
{
	return rd->off < rd->len ? rd->p[rd->off++] : 0;
}

static uint64_t
fuzz_u64(struct fuzz_rd *rd)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | fuzz_u8(rd);
	return v;
}

/* Up to n bytes of the script into a buffer of exactly that size. */
static uint8_t *
fuzz_bytes(struct fuzz_rd *rd, size_t n, size_t *got)
{
	uint8_t *p;

	if (n > rd->len - rd->off)
		n = rd->len - rd->off;
	p = malloc(n > 0 ? n : 1);
	memcpy(p, rd->p + rd->off, n);
	rd->off += n;
	*got = n;
	return p;
}

/* x + d, saturating: deltas make epochs near the node's, never wrap. */
static uint64_t
fuzz_near(uint64_t x, int8_t d)
{
	if (d < 0 && x < (uint64_t) - (int)d)
		return 0;
	if (d > 0 && x > UINT64_MAX - (uint64_t)d)
		return UINT64_MAX;
	return x + (uint64_t)(int64_t)d;
}

/* Index of member id, or -1. */
static int
fuzz_index(const struct fuzz *f, int id)
{
	int i;

	for (i = 0; i < f->n; i++) {
		if (f->ids[i] == id)
			return i;
	}
	return -1;
}

static int
fuzz_member_id(const struct fuzz *f, uint8_t b)
{
	int i = b % (f->n + 1);

	return i == f->n ? FUZZ_OUTSIDER : f->ids[i];
}

static int
fuzz_is_voter(const struct fuzz *f, int id)
{
	int i = fuzz_index(f, id);

	return i != -1 && f->voter[i];
}

/* ---- payload decoders: decode(encode(decode(x))) ------------------------ */

static void
fuzz_same_bytes(const struct buf *b, const uint8_t *p, size_t len)
{
	FUZZ_CHECK(buf_len(b) == len);
	FUZZ_CHECK(len == 0 || memcmp(buf_data(b), p, len) == 0);
}

static int
fuzz_vote_equal(const struct proto_vote *a, const struct proto_vote *b)
{
	return a->state == b->state && a->flags == b->flags &&
	    a->sender == b->sender && a->leader == b->leader &&
	    a->epoch == b->epoch && a->acc_leader == b->acc_leader &&
	    a->acc_epoch == b->acc_epoch;
}

static int
fuzz_span_in(const uint8_t *s, size_t n, const uint8_t *p, size_t len)
{
	return n == 0 || (s >= p && n <= len && s - p <= (ptrdiff_t)(len - n));
}

static int
fuzz_span_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static int
fuzz_vote_decode(const uint8_t *p, size_t len, struct proto_vote *v)
{
	struct proto_vote again;
	struct buf b;

	if (proto_vote_decode(p, len, v) == -1)
		return -1;
	buf_init(&b);
	proto_vote_encode(&b, v);
	fuzz_same_bytes(&b, p, len);
	FUZZ_CHECK(proto_vote_decode(buf_data(&b), buf_len(&b), &again) == 0);
	FUZZ_CHECK(fuzz_vote_equal(v, &again));
	buf_free(&b);
	return 0;
}

static int
fuzz_gossip_equal(const struct proto_gossip *a, const struct proto_gossip *b)
{
	int i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (a->e[i].id != b->e[i].id ||
		    a->e[i].status != b->e[i].status ||
		    a->e[i].incarnation != b->e[i].incarnation ||
		    a->e[i].heartbeat != b->e[i].heartbeat)
			return 0;
	}
	return 1;
}

static int
fuzz_gossip_decode(const uint8_t *p, size_t len, struct proto_gossip *g)
{
	static struct proto_gossip again;
	struct buf b;
	int i;

	if (proto_gossip_decode(p, len, g) == -1)
		return -1;
	FUZZ_CHECK(g->n >= 0 && g->n <= PROTO_GOSSIP_MAX);
	for (i = 0; i < g->n; i++)
		FUZZ_CHECK(g->e[i].status == PROTO_GOSSIP_ALIVE ||
		    g->e[i].status == PROTO_GOSSIP_FAILED);
	buf_init(&b);
	proto_gossip_encode(&b, g);
	fuzz_same_bytes(&b, p, len);
	FUZZ_CHECK(proto_gossip_decode(buf_data(&b), buf_len(&b), &again) == 0);
	FUZZ_CHECK(fuzz_gossip_equal(g, &again));
	buf_free(&b);
	return 0;
}

static void
fuzz_work_decode(const uint8_t *p, size_t len)
{
	struct proto_work w, again;
	struct buf b;

	if (proto_work_decode(p, len, &w) == -1)
		return;
	FUZZ_CHECK(len >= PROTO_WORK_MIN_LEN);
	FUZZ_CHECK(fuzz_span_in(w.stdin_data, w.stdin_len, p, len));
	FUZZ_CHECK(fuzz_span_in(w.source, w.source_len, p, len));
	FUZZ_CHECK((w.flags & PROTO_WORK_STDIN) || w.stdin_len == 0);
	buf_init(&b);
	proto_work_encode(&b, &w);
	fuzz_same_bytes(&b, p, len);
	FUZZ_CHECK(proto_work_decode(buf_data(&b), buf_len(&b), &again) == 0);
	FUZZ_CHECK(again.flags == w.flags && again.timeout_ms == w.timeout_ms);
	FUZZ_CHECK(fuzz_span_equal(
	    again.stdin_data, again.stdin_len, w.stdin_data, w.stdin_len));
	FUZZ_CHECK(fuzz_span_equal(
	    again.source, again.source_len, w.source, w.source_len));
	buf_free(&b);
}

static void
fuzz_result_decode(const uint8_t *p, size_t len)
{
	struct proto_result r, again;
	struct buf b;

	if (proto_result_decode(p, len, &r) == -1)
		return;
	FUZZ_CHECK(len >= PROTO_RESULT_MIN_LEN);
	FUZZ_CHECK(r.status < PROTO_RESULT_NSTATUS);
	FUZZ_CHECK(strcmp(proto_result_status_name(r.status), "unknown") != 0);
	FUZZ_CHECK(fuzz_span_in(r.body, r.body_len, p, len));
	FUZZ_CHECK(fuzz_span_in(r.out, r.out_len, p, len));
	FUZZ_CHECK(fuzz_span_in(r.err, r.err_len, p, len));
	buf_init(&b);
	proto_result_encode(&b, &r);
	fuzz_same_bytes(&b, p, len);
	FUZZ_CHECK(proto_result_decode(buf_data(&b), buf_len(&b), &again) == 0);
	FUZZ_CHECK(again.status == r.status && again.node == r.node &&
	    again.compile_ms == r.compile_ms && again.run_ms == r.run_ms);
	FUZZ_CHECK(
	    fuzz_span_equal(again.body, again.body_len, r.body, r.body_len));
	FUZZ_CHECK(fuzz_span_equal(again.out, again.out_len, r.out, r.out_len));
	FUZZ_CHECK(fuzz_span_equal(again.err, again.err_len, r.err, r.err_len));
	buf_free(&b);
}

static void
fuzz_last_work_decode(const uint8_t *p, size_t len)
{
	struct proto_last_work lw, again;
	uint64_t *running, *done;
	struct buf b;
	uint32_t i;

	if (proto_last_work_decode(p, len, &lw) == -1)
		return;
	FUZZ_CHECK(lw.nrunning <= PROTO_LAST_WORK_MAX &&
	    lw.ndone <= PROTO_LAST_WORK_MAX);
	FUZZ_CHECK(8 + 8 * ((size_t)lw.nrunning + lw.ndone) == len);
	FUZZ_CHECK(fuzz_span_in(lw.running, 8 * (size_t)lw.nrunning, p, len));
	FUZZ_CHECK(fuzz_span_in(lw.done, 8 * (size_t)lw.ndone, p, len));
	running = malloc(8 * ((size_t)lw.nrunning + 1));
	done = malloc(8 * ((size_t)lw.ndone + 1));
	for (i = 0; i < lw.nrunning; i++)
		running[i] = proto_last_work_id(lw.running, i);
	for (i = 0; i < lw.ndone; i++)
		done[i] = proto_last_work_id(lw.done, i);
	buf_init(&b);
	proto_last_work_encode(&b, running, lw.nrunning, done, lw.ndone);
	fuzz_same_bytes(&b, p, len);
	FUZZ_CHECK(
	    proto_last_work_decode(buf_data(&b), buf_len(&b), &again) == 0);
	FUZZ_CHECK(again.nrunning == lw.nrunning && again.ndone == lw.ndone);
	for (i = 0; i < lw.nrunning; i++)
		FUZZ_CHECK(proto_last_work_id(again.running, i) == running[i]);
	for (i = 0; i < lw.ndone; i++)
		FUZZ_CHECK(proto_last_work_id(again.done, i) == done[i]);
	buf_free(&b);
	free(running);
	free(done);
}

/* Bytes through every work decoder: one payload may suit several. */
static void
fuzz_work_payload(const uint8_t *p, size_t len)
{
	fuzz_work_decode(p, len);
	fuzz_result_decode(p, len);
	fuzz_last_work_decode(p, len);
}

/* ---- invariants ------------------------------------------------------------ */

/* The accepted pair only moves forward: a later epoch, or the same pair. */
static int
fuzz_acc_after(
    const struct election_accepted *was, const struct election_accepted *is)
{
	if (!was->valid)
		return 1;
	if (!is->valid)
		return 0;
	return is->epoch > was->epoch ||
	    (is->epoch == was->epoch && is->leader == was->leader);
}

/* The election's state, leader, epoch and accepted pair agree. */
static void
fuzz_check_election(const struct fuzz *f)
{
	enum election_state st = election_state(f->e);
	struct election_accepted acc = election_accepted(f->e);
	int leader = election_leader(f->e), self = f->ids[f->self], i;
	uint64_t epoch = election_epoch(f->e);
	enum election_state ms;

	FUZZ_CHECK(election_member_state(f->e, self) == st);
	FUZZ_CHECK(election_member_state(f->e, FUZZ_OUTSIDER) == ELECT_LOOKING);
	for (i = 0; i < f->n; i++) {
		ms = election_member_state(f->e, f->ids[i]);
		if (f->voter[i])
			FUZZ_CHECK(ms == ELECT_LOOKING ||
			    ms == ELECT_FOLLOWING || ms == ELECT_LEADING);
		else
			FUZZ_CHECK(
			    ms == ELECT_LOOKING || ms == ELECT_OBSERVING);
	}
	FUZZ_CHECK(election_quorum(f->e) == f->nvoters / 2 + 1);
	/* What the node accepted is what its caller persisted. */
	FUZZ_CHECK(acc.valid == f->disk.valid);
	if (acc.valid) {
		FUZZ_CHECK(
		    acc.epoch == f->disk.epoch && acc.leader == f->disk.leader);
		FUZZ_CHECK(fuzz_is_voter(f, acc.leader));
	}
	if (!f->voter[f->self]) {
		FUZZ_CHECK(st == ELECT_LOOKING || st == ELECT_OBSERVING);
		FUZZ_CHECK(!acc.valid);
	} else
		FUZZ_CHECK(st != ELECT_OBSERVING);
	switch (st) {
	case ELECT_LOOKING:
		FUZZ_CHECK(leader == -1);
		/* A voter looks past every epoch it accepted in. */
		FUZZ_CHECK(!acc.valid || epoch > acc.epoch);
		break;
	case ELECT_LEADING:
		FUZZ_CHECK(leader == self);
		/* FALLTHROUGH */
	case ELECT_FOLLOWING:
		FUZZ_CHECK(st == ELECT_LEADING || leader != self);
		FUZZ_CHECK(fuzz_is_voter(f, leader));
		FUZZ_CHECK(
		    acc.valid && acc.leader == leader && acc.epoch == epoch);
		FUZZ_CHECK(
		    election_member_state(f->e, leader) == ELECT_LEADING);
		break;
	case ELECT_OBSERVING:
		FUZZ_CHECK(fuzz_is_voter(f, leader) && leader != self);
		break;
	default:
		FUZZ_CHECK(!"unknown election state");
	}
}

/* The table holds members only, in sane states, and only moves forward. */
static void
fuzz_check_gossip(struct fuzz *f)
{
	struct gossip_info info;
	int ids[GOSSIP_MAX_NODES], nalive = 0, n, i;
	struct fuzz_seen *s;

	for (i = 0; i < f->n; i++) {
		s = &f->seen[i];
		if (gossip_get(f->g, f->ids[i], &info) == -1) {
			FUZZ_CHECK(i != f->self);
			FUZZ_CHECK(!gossip_alive(f->g, f->ids[i]));
			continue;
		}
		FUZZ_CHECK(info.id == f->ids[i]);
		FUZZ_CHECK(info.status == GOSSIP_ALIVE ||
		    info.status == GOSSIP_FAILED);
		FUZZ_CHECK(info.last_heard <= f->now);
		FUZZ_CHECK(gossip_alive(f->g, f->ids[i]) ==
		    (info.status == GOSSIP_ALIVE));
		/* (incarnation, heartbeat) never goes back, even via REMOVED. */
		if (s->have)
			FUZZ_CHECK(info.incarnation > s->incarnation ||
			    (info.incarnation == s->incarnation &&
				info.heartbeat >= s->heartbeat));
		s->have = 1;
		s->incarnation = info.incarnation;
		s->heartbeat = info.heartbeat;
		if (info.status == GOSSIP_ALIVE)
			nalive++;
	}
	FUZZ_CHECK(gossip_alive(f->g, f->ids[f->self]));
	FUZZ_CHECK(!gossip_alive(f->g, FUZZ_OUTSIDER));
	FUZZ_CHECK(gossip_get(f->g, f->ids[f->self], &info) == 0 &&
	    info.incarnation == f->gc.incarnation);
	n = gossip_alive_set(f->g, ids, GOSSIP_MAX_NODES);
	FUZZ_CHECK(n == nalive);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(gossip_alive(f->g, ids[i]));
		FUZZ_CHECK(i == 0 || ids[i - 1] < ids[i]);
	}
}

/* ---- outboxes, handled as cluster.c handles them --------------------------- */

static void
fuzz_election_out(struct fuzz *f, const struct election_out *out)
{
	const struct election_event *ev;
	struct election_accepted acc;
	struct proto_vote v;
	struct buf b;
	int i, self = f->ids[f->self];

	FUZZ_CHECK(out->nev >= 0 && out->nev <= ELECT_EV_MAX);
	FUZZ_CHECK(out->nmsg >= 0 && out->nmsg <= ELECT_OUT_MAX);
	/*
	 * The outbox holds a few broadcasts for the largest cluster: a call
	 * that sends more per member here would overflow it there.
	 */
	FUZZ_CHECK(out->nmsg <= ELECT_OUT_MAX / ELECT_MAX_NODES * f->n);
	for (i = 0; i < out->nev; i++) {
		ev = &out->ev[i];
		switch (ev->type) {
		case ELECT_EV_ACCEPT:
			FUZZ_CHECK(f->voter[f->self]);
			FUZZ_CHECK(fuzz_is_voter(f, ev->leader));
			FUZZ_CHECK(ev->to == ELECT_FOLLOWING ||
			    ev->to == ELECT_LEADING);
			FUZZ_CHECK(
			    (ev->to == ELECT_LEADING) == (ev->leader == self));
			acc.valid = 1;
			acc.leader = ev->leader;
			acc.epoch = ev->epoch;
			/* The safety rule: one leader per epoch, never back. */
			FUZZ_CHECK(fuzz_acc_after(&f->disk, &acc));
			f->disk = acc; /* cluster_acc_save */
			break;
		case ELECT_EV_SWITCH:
			FUZZ_CHECK(ev->from != ev->to);
			break;
		case ELECT_EV_LEADER:
			FUZZ_CHECK(fuzz_is_voter(f, ev->leader));
			break;
		case ELECT_EV_STEPDOWN:
			FUZZ_CHECK(
			    ev->from == ELECT_LEADING && ev->leader == self);
			break;
		default:
			FUZZ_CHECK(!"unknown election event");
		}
	}
	buf_init(&b);
	for (i = 0; i < out->nmsg; i++) {
		FUZZ_CHECK(fuzz_index(f, out->msg[i].to) != -1);
		FUZZ_CHECK(out->msg[i].to != self);
		FUZZ_CHECK(out->msg[i].vote.sender == self);
		buf_reset(&b);
		proto_vote_encode(&b, &out->msg[i].vote);
		FUZZ_CHECK(
		    fuzz_vote_decode(buf_data(&b), buf_len(&b), &v) == 0);
		FUZZ_CHECK((v.state == PROTO_OBSERVING) == !f->voter[f->self]);
		/* A vote announces no pair that is not on disk yet. */
		if (v.flags & PROTO_VOTE_ACCEPTED) {
			acc.valid = 1;
			acc.leader = v.acc_leader;
			acc.epoch = v.acc_epoch;
			FUZZ_CHECK(fuzz_acc_after(&acc, &f->disk));
		}
		/* FOLLOWING or LEADING names the pair it accepted. */
		if (v.state == PROTO_FOLLOWING || v.state == PROTO_LEADING)
			FUZZ_CHECK((v.flags & PROTO_VOTE_LEADER) &&
			    (v.flags & PROTO_VOTE_ACCEPTED) &&
			    v.leader == v.acc_leader &&
			    v.epoch == v.acc_epoch &&
			    (v.state == PROTO_LEADING) == (v.leader == self));
	}
	buf_free(&b);
	/* The caller persists every pair the machine accepts. */
	acc = election_accepted(f->e);
	FUZZ_CHECK(acc.valid == f->disk.valid &&
	    (!acc.valid ||
		(acc.epoch == f->disk.epoch && acc.leader == f->disk.leader)));
}

/* The tag of the last probe gossip asked for (a quote may name it). */
static uint64_t fuzz_last_tag;

/* cluster_gossip_out: check the outbox, events to the election. */
static void
fuzz_gossip_out(struct fuzz *f, const struct gossip_out *out)
{
	static struct election_out eout;
	static struct proto_gossip g;
	const struct gossip_event *ev;
	struct buf b;
	int i, j, down;

	FUZZ_CHECK(out->nev >= 0 && out->nev <= GOSSIP_EV_MAX);
	for (i = 0; i < out->nev; i++) {
		ev = &out->ev[i];
		FUZZ_CHECK(fuzz_index(f, ev->id) != -1);
		FUZZ_CHECK(ev->id != f->ids[f->self]);
		switch (ev->type) {
		case GOSSIP_EV_UPDATED:
			down = -1;
			break;
		case GOSSIP_EV_JOINED:
		case GOSSIP_EV_REJOINED:
		case GOSSIP_EV_REVIVED:
			down = 0;
			break;
		case GOSSIP_EV_FAILED:
		case GOSSIP_EV_REMOVED:
			FUZZ_CHECK(ev->from == -1);
			down = 1;
			break;
		default:
			FUZZ_CHECK(!"unknown gossip event");
			down = -1;
		}
		if (down == -1)
			continue;
		election_out_reset(&eout);
		if (down)
			election_node_down(f->e, ev->id, ev->now, &eout);
		else
			election_node_up(f->e, ev->id, ev->now, &eout);
		fuzz_election_out(f, &eout);
	}
	FUZZ_CHECK(out->nprobe >= 0 && out->nprobe <= f->n);
	for (i = 0; i < out->nprobe; i++) {
		FUZZ_CHECK(fuzz_index(f, out->probe[i].to) != -1);
		FUZZ_CHECK(out->probe[i].to != f->ids[f->self]);
		FUZZ_CHECK(out->probe[i].tag != 0);
		FUZZ_CHECK(gossip_suspect(f->g, out->probe[i].to));
		fuzz_last_tag = out->probe[i].tag;
	}
	if (out->nto == 0)
		return;
	FUZZ_CHECK(out->nto <= f->gc.fanout && out->nto < f->n);
	for (i = 0; i < out->nto; i++) {
		FUZZ_CHECK(fuzz_index(f, out->to[i]) != -1);
		FUZZ_CHECK(out->to[i] != f->ids[f->self]);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(out->to[j] != out->to[i]);
	}
	FUZZ_CHECK(out->msg.n >= 1 && out->msg.n <= f->n);
	for (i = 0; i < out->msg.n; i++) {
		FUZZ_CHECK(fuzz_index(f, out->msg.e[i].id) != -1);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(out->msg.e[j].id != out->msg.e[i].id);
	}
	buf_init(&b);
	proto_gossip_encode(&b, &out->msg);
	FUZZ_CHECK(fuzz_gossip_decode(buf_data(&b), buf_len(&b), &g) == 0);
	FUZZ_CHECK(fuzz_gossip_equal(&g, &out->msg));
	buf_free(&b);
}

/* cluster_timer: gossip's timers, then the election's. */
static void
fuzz_timer(struct fuzz *f)
{
	gossip_out_reset(&fuzz_gout);
	gossip_tick(f->g, f->now, &fuzz_gout);
	fuzz_gossip_out(f, &fuzz_gout);
	election_out_reset(&fuzz_eout);
	election_tick(f->e, f->now, &fuzz_eout);
	fuzz_election_out(f, &fuzz_eout);
	/* A timer that has run is not due again at once: no busy loop. */
	FUZZ_CHECK(gossip_next_timeout(f->g) > f->now);
	FUZZ_CHECK(election_next_timeout(f->e) > f->now);
}

/* cluster_new, from the pair on disk. */
static void
fuzz_start(struct fuzz *f)
{
	election_out_reset(&fuzz_eout);
	f->e = election_new(&f->ec, &f->disk, f->now, &fuzz_eout);
	f->g = gossip_new(&f->gc, f->now);
	fuzz_election_out(f, &fuzz_eout);
	gossip_out_reset(&fuzz_gout);
	gossip_tick(f->g, f->now, &fuzz_gout);
	fuzz_gossip_out(f, &fuzz_gout);
}

static void
fuzz_setup(struct fuzz *f, struct fuzz_rd *rd)
{
	uint8_t b0 = fuzz_u8(rd), self = fuzz_u8(rd), voters = fuzz_u8(rd);
	uint8_t base = fuzz_u8(rd), acc;
	int i;

	memset(f, 0, sizeof *f);
	f->n = 1 + (b0 & 0x80 ? b0 % 64 : b0 % 9);
	f->self = self % f->n;
	for (i = 0; i < f->n; i++) {
		f->ids[i] = (7 * i + base) % 64;
		f->voter[i] = (voters >> (i % 8)) & 1;
		f->nvoters += f->voter[i];
		f->ec.members[i].id = f->ids[i];
		f->ec.members[i].voter = f->voter[i];
		f->gc.members[i] = f->ids[i];
	}
	f->ec.self = f->gc.self = f->ids[f->self];
	f->ec.nmembers = f->gc.nmembers = f->n;
	f->gc.interval = 10 + fuzz_u8(rd);
	f->gc.failure_timeout = 2 * f->gc.interval + 1 + 4 * fuzz_u8(rd);
	f->gc.cleanup_timeout = f->gc.failure_timeout + 8 * fuzz_u8(rd);
	f->gc.fanout = 3; /* CLUSTER_FANOUT */
	f->gc.incarnation = 1000;
	f->gc.seed = 42;
	f->ec.finalize = 10 + fuzz_u8(rd);
	f->ec.ping_interval = f->gc.interval;
	f->ec.failure_timeout = f->gc.failure_timeout;
	f->ec.backoff_max = 8 * f->ec.finalize;
	acc = fuzz_u8(rd);
	/* cluster_acc_load keeps a sane pair naming a member. */
	f->disk.valid = (acc & 1) && f->voter[f->self];
	f->disk.leader = f->ids[(acc >> 1) % f->n];
	f->disk.epoch = fuzz_u64(rd);
	if (f->disk.epoch >= ELECT_EPOCH_MAX)
		f->disk.valid = 0; /* corrupt */
	if (f->disk.valid && !f->voter[(acc >> 1) % f->n])
		f->disk.valid = 0; /* no voter ever accepted an observer */
	if (!f->disk.valid)
		memset(&f->disk, 0, sizeof f->disk);
	f->now = 1000000;
	fuzz_start(f);
}

/* A VOTE payload: raw bytes, or fields near the node's epoch. */
static uint8_t *
fuzz_vote_payload(
    struct fuzz *f, struct fuzz_rd *rd, int raw, int sender, size_t *len)
{
	struct proto_vote v;
	struct buf b;
	uint8_t *p;

	if (raw)
		return fuzz_bytes(rd, fuzz_u8(rd), len);
	memset(&v, 0, sizeof v);
	v.state = fuzz_u8(rd) % 4;
	v.flags = fuzz_u8(rd) & (PROTO_VOTE_LEADER | PROTO_VOTE_ACCEPTED);
	v.sender = (uint16_t)sender;
	v.leader = (uint16_t)fuzz_member_id(f, fuzz_u8(rd));
	v.epoch = fuzz_near(election_epoch(f->e), (int8_t)fuzz_u8(rd));
	v.acc_leader = (uint16_t)fuzz_member_id(f, fuzz_u8(rd));
	v.acc_epoch = fuzz_near(election_epoch(f->e), (int8_t)fuzz_u8(rd));
	buf_init(&b);
	proto_vote_encode(&b, &v);
	*len = buf_len(&b);
	p = malloc(*len);
	memcpy(p, buf_data(&b), *len);
	buf_free(&b);
	return p;
}

/* A GOSSIP payload: raw bytes, or entries near what the node knows. */
static uint8_t *
fuzz_gossip_payload(struct fuzz *f, struct fuzz_rd *rd, int raw, size_t *len)
{
	static struct proto_gossip g;
	struct proto_gossip_entry *r;
	struct gossip_info info;
	struct buf b;
	uint8_t *p;
	int i, k;

	if (raw)
		return fuzz_bytes(rd, fuzz_u8(rd), len);
	g.n = fuzz_u8(rd) % 10;
	for (i = 0; i < g.n; i++) {
		r = &g.e[i];
		r->id = (uint16_t)fuzz_member_id(f, fuzz_u8(rd));
		r->status = fuzz_u8(rd) & 1;
		memset(&info, 0, sizeof info);
		if ((k = fuzz_index(f, r->id)) != -1 && f->seen[k].have) {
			info.incarnation = f->seen[k].incarnation;
			info.heartbeat = f->seen[k].heartbeat;
		}
		r->incarnation =
		    fuzz_near(info.incarnation, (int8_t)fuzz_u8(rd));
		r->heartbeat = fuzz_near(info.heartbeat, (int8_t)fuzz_u8(rd));
	}
	buf_init(&b);
	proto_gossip_encode(&b, &g);
	*len = buf_len(&b);
	p = malloc(*len);
	memcpy(p, buf_data(&b), *len);
	buf_free(&b);
	return p;
}

/* cluster_handle for a VOTE. */
static void
fuzz_vote(struct fuzz *f, int sender, const uint8_t *p, size_t len)
{
	struct proto_vote v;
	int i, r, refuse;

	if (fuzz_vote_decode(p, len, &v) == -1 || v.sender != sender)
		return;
	i = fuzz_index(f, sender);
	refuse = i == -1 || i == f->self ||
	    (v.state == PROTO_OBSERVING) == f->voter[i] ||
	    v.epoch >= ELECT_EPOCH_MAX ||
	    ((v.flags & PROTO_VOTE_ACCEPTED) && v.acc_epoch >= ELECT_EPOCH_MAX);
	election_out_reset(&fuzz_eout);
	r = election_handle_vote(f->e, &v, f->now, &fuzz_eout);
	FUZZ_CHECK(r == (refuse ? -1 : 0));
	if (refuse)
		FUZZ_CHECK(fuzz_eout.nmsg == 0 && fuzz_eout.nev == 0);
	else
		gossip_heard(f->g, sender, f->now);
	fuzz_election_out(f, &fuzz_eout);
}

/* cluster_handle for a GOSSIP. */
static void
fuzz_gossip(struct fuzz *f, int sender, const uint8_t *p, size_t len)
{
	static struct proto_gossip g;
	int i, unknown = 0;

	if (fuzz_gossip_decode(p, len, &g) == -1)
		return;
	for (i = 0; i < g.n; i++) {
		if (fuzz_index(f, g.e[i].id) == -1)
			unknown++;
	}
	gossip_out_reset(&fuzz_gout);
	FUZZ_CHECK(
	    gossip_handle(f->g, sender, &g, f->now, &fuzz_gout) == unknown);
	FUZZ_CHECK(fuzz_gout.nto == 0);
	fuzz_gossip_out(f, &fuzz_gout);
}

static void
fuzz_step(struct fuzz *f, struct fuzz_rd *rd)
{
	uint8_t op = fuzz_u8(rd), *p;
	int sender, id, raw, r, q;
	int64_t next;
	size_t len;

	raw = op & FUZZ_RAW;
	op = (uint8_t)((op & ~FUZZ_RAW) % FUZZ_NOPS);
	switch (op) {
	case FUZZ_VOTE:
		sender = fuzz_member_id(f, fuzz_u8(rd));
		f->now += fuzz_u8(rd);
		p = fuzz_vote_payload(f, rd, raw, sender, &len);
		if (raw)
			fuzz_work_payload(p, len);
		fuzz_vote(f, sender, p, len);
		free(p);
		break;
	case FUZZ_GOSSIP:
		sender = fuzz_member_id(f, fuzz_u8(rd));
		f->now += fuzz_u8(rd);
		p = fuzz_gossip_payload(f, rd, raw, &len);
		if (raw)
			fuzz_work_payload(p, len);
		fuzz_gossip(f, sender, p, len);
		free(p);
		break;
	case FUZZ_WORK:
	case FUZZ_RESULT:
	case FUZZ_LAST_WORK:
		p = fuzz_bytes(rd, fuzz_u8(rd), &len);
		fuzz_work_payload(p, len);
		free(p);
		break;
	case FUZZ_TICK:
		f->now += fuzz_u8(rd);
		fuzz_timer(f);
		break;
	case FUZZ_WAIT:
		next = election_next_timeout(f->e);
		if (gossip_next_timeout(f->g) < next)
			next = gossip_next_timeout(f->g);
		if (next > f->now)
			f->now = next;
		fuzz_timer(f);
		break;
	case FUZZ_DOWN:
	case FUZZ_UP:
		id = fuzz_member_id(f, fuzz_u8(rd));
		f->now += fuzz_u8(rd);
		if (op == FUZZ_DOWN && raw) { /* cluster_unreachable */
			q = fuzz_u8(rd);
			gossip_out_reset(&fuzz_gout);
			if (q & 1) {
				r = gossip_probe_refused(f->g, id,
				    (q & 2) ? fuzz_last_tag : q, f->now,
				    &fuzz_gout);
				FUZZ_CHECK(fuzz_gout.nto == 0 &&
				    fuzz_gout.nprobe == 0 &&
				    fuzz_gout.nev == r);
				FUZZ_CHECK(!r || !gossip_alive(f->g, id));
			} else {
				r = gossip_unreachable(
				    f->g, id, f->now, &fuzz_gout);
				/* A report alone fails nobody. */
				FUZZ_CHECK(fuzz_gout.nto == 0 &&
				    fuzz_gout.nev == 0 &&
				    fuzz_gout.nprobe == r);
				FUZZ_CHECK(!r ||
				    (gossip_alive(f->g, id) &&
					gossip_suspect(f->g, id)));
			}
			fuzz_gossip_out(f, &fuzz_gout);
			break;
		}
		election_out_reset(&fuzz_eout);
		if (op == FUZZ_DOWN)
			election_node_down(f->e, id, f->now, &fuzz_eout);
		else
			election_node_up(f->e, id, f->now, &fuzz_eout);
		fuzz_election_out(f, &fuzz_eout);
		break;
	case FUZZ_RESTART:
		f->now += fuzz_u8(rd);
		election_free(f->e);
		gossip_free(f->g);
		f->gc.incarnation++;
		f->gc.seed++;
		memset(f->seen, 0, sizeof f->seen); /* a new table */
		fuzz_start(f);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_rd rd = {data, len, 0};
	struct election_accepted acc;
	static struct fuzz f;
	int steps;

	fuzz_setup(&f, &rd);
	fuzz_check_election(&f);
	fuzz_check_gossip(&f);
	for (steps = 0; rd.off < rd.len && steps < FUZZ_MAX_STEPS; steps++) {
		acc = election_accepted(f.e);
		fuzz_step(&f, &rd);

		FUZZ_CHECK(fuzz_acc_after(&acc, &f.disk));
		fuzz_check_election(&f);
		fuzz_check_gossip(&f);
	}
	election_free(f.e);
	gossip_free(f.g);
	return 0;
}

#ifdef FUZZ_CLUSTER_GEN
/* ---- the seed generator (see the top of the file) ------------------------ */

#include <stdarg.h>

static uint8_t gen_buf[1 << 16];
static size_t gen_len;

static const char *
gen_op_name(uint8_t op)
{
	static const char *names[FUZZ_NOPS] = {"VOTE", "GOSSIP", "WORK",
	    "RESULT", "LAST_WORK", "TICK", "WAIT", "DOWN", "UP", "RESTART"};
	static char s[32];

	snprintf(s, sizeof s, "%s%s", names[(op & ~FUZZ_RAW) % FUZZ_NOPS],
	    op & FUZZ_RAW ? " raw" : "");
	return s;
}

static void
gen_add(int n, ...)
{
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		gen_buf[gen_len++] = (uint8_t)va_arg(ap, int);
	va_end(ap);
}

/* n members (< 10), self, voter mask, id base, accepted pair. */
static void
gen_header(int n, int self, int voters, int base, int acc, uint64_t epoch)
{
	int i;

	gen_len = 0;
	/* interval 50, failure 201, cleanup 601, finalize 50 ms */
	gen_add(9, n - 1, self, voters, base, 40, 25, 50, 40, acc);
	for (i = 7; i >= 0; i--)
		gen_add(1, (int)(epoch >> (8 * i)) & 0xff);
}

/* A vote from member: state, flags, leader, epoch delta, acc. */
static void
gen_vote(int from, int state, int flags, int leader, int de, int accl, int dae)
{
	gen_add(9, FUZZ_VOTE, from, 5, state, flags, leader, de, accl, dae);
}

/* A table from member with up to three entries (member, inc, hb deltas). */
static void
gen_gossip(int from, int n, int m1, int m2, int m3, int dinc, int dhb)
{
	int m[3] = {m1, m2, m3}, i;

	gen_add(4, FUZZ_GOSSIP, from, 5, n);
	for (i = 0; i < n; i++)
		gen_add(4, m[i], 0, dinc, dhb);
}

static void
gen_waits(int n)
{
	while (n-- > 0)
		gen_add(1, FUZZ_WAIT);
}

/* A payload: its length, then its bytes. */
static void
gen_payload(const struct buf *b)
{
	gen_add(1, (int)buf_len(b));
	memcpy(gen_buf + gen_len, buf_data(b), buf_len(b));
	gen_len += buf_len(b);
}

/* Replay gen_buf step by step, printing where the node is after each. */
static void
gen_trace(const char *name, int verbose)
{
	static struct fuzz f;
	struct fuzz_rd rd = {gen_buf, gen_len, 0};
	size_t at;

	fuzz_setup(&f, &rd);
	while (rd.off < rd.len) {
		at = rd.off;
		fuzz_step(&f, &rd);
		if (verbose)
			printf("  @%zu %s t=%lld: %s leader %d epoch %llu\n",
			    at, gen_op_name(gen_buf[at]),
			    (long long)(f.now - 1000000),
			    election_state_name(election_state(f.e)),
			    election_leader(f.e),
			    (unsigned long long)election_epoch(f.e));
	}
	printf("%-10s %4zu bytes: %s, leader %d, epoch %llu\n", name, gen_len,
	    election_state_name(election_state(f.e)), election_leader(f.e),
	    (unsigned long long)election_epoch(f.e));
	election_free(f.e);
	gossip_free(f.g);
}

static void
gen_write(const char *dir, const char *name)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(gen_buf, 1, gen_len, fp) != gen_len || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
	LLVMFuzzerTestOneInput(gen_buf, gen_len);
	gen_trace(name, 0);
}

int
main(int argc, char **argv)
{
	struct proto_work w;
	struct proto_result r;
	struct proto_vote v;
	struct proto_gossip g;
	uint64_t ids[3] = {1ull << 48 | 1, 1ull << 48 | 2, 7};
	struct buf b;
	FILE *fp;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0); /* seen before an abort() */
	if (argc == 3 && strcmp(argv[1], "-t") == 0) {
		/* Trace a script (a crash file, say), then check it. */
		if ((fp = fopen(argv[2], "rb")) == NULL) {
			perror(argv[2]);
			return 1;
		}
		gen_len = fread(gen_buf, 1, sizeof gen_buf, fp);
		fclose(fp);
		gen_trace(argv[2], 1);
		LLVMFuzzerTestOneInput(gen_buf, gen_len);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s corpus-dir | -t script\n", argv[0]);
		return 1;
	}
	/* Ids 1, 8, 15. The highest (member 2) wins and leads. */
	gen_header(3, 2, 0xff, 1, 0, 0);
	gen_gossip(0, 3, 0, 1, 2, 5, 1);
	gen_vote(0, PROTO_LOOKING, PROTO_VOTE_LEADER, 2, 0, 0, 0);
	gen_vote(1, PROTO_LOOKING, PROTO_VOTE_LEADER, 2, 0, 0, 0);
	gen_waits(3);
	gen_vote(0, PROTO_FOLLOWING, 3, 2, 0, 2, 0);
	gen_vote(1, PROTO_FOLLOWING, 3, 2, 0, 2, 0);
	for (i = 0; i < 6; i++) {
		gen_gossip(i % 2, 2, 0, 1, 0, 0, 1);
		gen_waits(2);
	}
	gen_write(argv[1], "lead");

	/* Member 0 follows 15, which then falls silent and fails. */
	gen_header(3, 0, 0xff, 1, 0, 0);
	gen_gossip(2, 2, 2, 1, 0, 5, 1);
	gen_vote(2, PROTO_LOOKING, PROTO_VOTE_LEADER, 2, 0, 0, 0);
	gen_vote(1, PROTO_LOOKING, PROTO_VOTE_LEADER, 2, 0, 0, 0);
	gen_waits(2);
	gen_vote(2, PROTO_LEADING, 3, 2, 0, 2, 0);
	gen_vote(1, PROTO_FOLLOWING, 3, 2, 0, 2, 0);
	gen_waits(12);
	gen_add(3, FUZZ_DOWN, 2, 0);
	gen_vote(1, PROTO_LOOKING, 3, 1, 0, 2, -1);
	gen_waits(3);
	gen_write(argv[1], "follow");

	/* Member 3 (id 22) observes a leader with a following quorum. */
	gen_header(4, 3, 0x07, 1, 0, 0);
	gen_vote(1, PROTO_FOLLOWING, 3, 2, 3, 2, 3);
	gen_vote(0, PROTO_FOLLOWING, 3, 2, 3, 2, 3);
	gen_vote(2, PROTO_LEADING, 3, 2, 3, 2, 3);
	gen_waits(2);
	gen_vote(2, PROTO_LEADING, 3, 2, 0, 2, 0);
	gen_waits(6);
	gen_write(argv[1], "observe");

	/* Accepted 8 in epoch 7 before a restart; joins it, restarts. */
	gen_header(3, 0, 0xff, 1, 1 | 1 << 1, 7);
	gen_vote(1, PROTO_LEADING, 3, 1, -1, 1, -1);
	gen_vote(2, PROTO_FOLLOWING, 3, 1, -1, 1, -1);
	gen_waits(2);
	gen_add(2, FUZZ_RESTART, 10);
	gen_vote(1, PROTO_LEADING, 3, 1, 0, 1, 0);
	gen_vote(2, PROTO_LOOKING, 3, 2, 1, 1, 0);
	gen_waits(4);
	gen_write(argv[1], "restart");

	/* A member fails, is removed, comes back by itself, restarts. */
	gen_header(3, 0, 0xff, 1, 0, 0);
	gen_gossip(1, 2, 1, 2, 0, 3, 4);
	gen_waits(20);
	gen_gossip(2, 1, 1, 0, 0, 0, 9);
	gen_gossip(1, 1, 1, 0, 0, 0, 9);
	gen_gossip(2, 1, 1, 0, 0, 1, 1);
	gen_add(3, FUZZ_UP, 1, 0);
	gen_waits(4);
	gen_write(argv[1], "gossip");

	/* Every payload type, well formed and raw. */
	gen_header(2, 0, 0xff, 1, 0, 0);
	buf_init(&b);
	memset(&v, 0, sizeof v);
	v.state = PROTO_LOOKING;
	v.flags = PROTO_VOTE_LEADER;
	v.sender = 8;
	v.leader = 8;
	proto_vote_encode(&b, &v);
	gen_add(3, FUZZ_VOTE | FUZZ_RAW, 1, 1);
	gen_payload(&b);
	buf_reset(&b);
	g.n = 1;
	g.e[0].id = 8;
	g.e[0].status = PROTO_GOSSIP_ALIVE;
	g.e[0].incarnation = 3;
	g.e[0].heartbeat = 1;
	proto_gossip_encode(&b, &g);
	gen_add(3, FUZZ_GOSSIP | FUZZ_RAW, 1, 1);
	gen_payload(&b);
	buf_reset(&b);
	w.flags = PROTO_WORK_STDIN;
	w.timeout_ms = 5000;
	w.stdin_data = (const uint8_t *)"in";
	w.stdin_len = 2;
	w.source = (const uint8_t *)"class A {}";
	w.source_len = 10;
	proto_work_encode(&b, &w);
	gen_add(1, FUZZ_WORK);
	gen_payload(&b);
	buf_reset(&b);
	memset(&r, 0, sizeof r);
	r.status = PROTO_RESULT_OK;
	r.node = 8;
	r.body = (const uint8_t *)"42";
	r.body_len = 2;
	r.out = (const uint8_t *)"out";
	r.out_len = 3;
	proto_result_encode(&b, &r);
	gen_add(1, FUZZ_RESULT);
	gen_payload(&b);
	buf_reset(&b);
	proto_last_work_encode(&b, ids, 2, ids + 2, 1);
	gen_add(1, FUZZ_LAST_WORK);
	gen_payload(&b);
	/* The empty ones: no stdin, no text, no ids. */
	buf_reset(&b);
	w.flags = 0;
	w.stdin_len = 0;
	proto_work_encode(&b, &w);
	gen_add(1, FUZZ_WORK);
	gen_payload(&b);
	buf_reset(&b);
	memset(&r, 0, sizeof r);
	r.status = PROTO_RESULT_REJECTED;
	proto_result_encode(&b, &r);
	gen_add(1, FUZZ_RESULT);
	gen_payload(&b);
	buf_reset(&b);
	proto_last_work_encode(&b, NULL, 0, NULL, 0);
	gen_add(1, FUZZ_LAST_WORK);
	gen_payload(&b);
	buf_free(&b);
	gen_write(argv[1], "payloads");

	/*
	 * Epochs that would wrap: on disk; 8 and 15 elect 15 in epoch
	 * 2^64-1, which then falls silent (before the fix member 1 looked
	 * in epoch 0 and could never accept again); an accepted pair there.
	 */
	gen_header(3, 0, 0xff, 1, 1 | 2 << 1, UINT64_MAX);
	memset(&v, 0, sizeof v);
	for (i = 0; i < 4; i++) {
		v.sender = i == 0 ? 8 : 15;
		v.leader = 15;
		v.state = i == 1 ? PROTO_LEADING : PROTO_LOOKING;
		v.epoch = i < 2 ? UINT64_MAX : i == 2 ? 1 : ELECT_EPOCH_MAX - 1;
		v.flags =
		    PROTO_VOTE_LEADER | (i == 2 ? PROTO_VOTE_ACCEPTED : 0);
		v.acc_epoch = i == 2 ? UINT64_MAX : 0;
		buf_init(&b);
		proto_vote_encode(&b, &v);
		gen_add(3, FUZZ_VOTE | FUZZ_RAW, v.sender == 8 ? 1 : 2, 1);
		gen_payload(&b);
		buf_free(&b);
		gen_waits(i == 1 ? 12 : 1);
	}
	gen_write(argv[1], "epoch-max");

	/* 64 members, 33 of them voting: broadcasts to everybody. */
	gen_header(64, 4, 0xff, 0, 0, 0);
	gen_buf[0] = 0x80 | 63;
	gen_buf[2] = 0x55; /* even members vote */
	for (i = 0; i < 64; i += 2)
		gen_vote(i, PROTO_LOOKING, PROTO_VOTE_LEADER, 62, 0, 0, 0);
	gen_waits(4);
	gen_write(argv[1], "large");
	return 0;
}
#endif
