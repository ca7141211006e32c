/*
 * sim.c: a deterministic simulator for election and gossip.
 *
 * N voters (ids 1..N) and one observer (id 0, the gateway) run the real
 * state machines on a fake clock over a fake network that loses,
 * delays, duplicates and reorders messages, with crashes, restarts (a new
 * incarnation; the accepted pair survives, as it does on disk) and
 * partitions. A message to a crashed (not partitioned) node comes back, with
 * a seeded probability, as ICMP port unreachable to the sender's gossip,
 * quoting the message (a quoted PROBE fails its suspect at once). Some
 * seeds also have an attacker forge port-unreachable reports, throughout
 * the run, about any member (live or not) to any live node, some quoting
 * a guessed probe tag. Payloads go through the real VOTE, GOSSIP and
 * PROBE codecs. Each
 * seed picks its faults; after the fault phase the network heals, crashed
 * nodes come back (a minority of voters may stay dead) and the run must
 * settle.
 *
 * Checked after every step:
 *	- safety: no epoch ever has two leaders that a quorum accepted
 *	  (FOLLOWING L in E, or L itself LEADING in E), neither at one
 *	  instant nor one after the other;
 *  *	- no live node fails a live member once the network has been calm
 *	  for SIM_CALM ms, forged reports or not;
 * and after the faults stop:
 *	- liveness: within SIM_BOUND ms exactly one leader that every live
 *	  voter and the observer agree on (same leader and epoch), holding
 *	  for SIM_HOLD ms.
 *
 * Usage:
 *	sim [--seeds N] [--first S]		many seeds, TAP (make check)
 *	sim --seed S [--nodes N] [-v|-vv]	one seed, with a trace
 *	sim --selftest				the checkers catch violations
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "election.h"
#include "gossip.h"
#include "proto.h"

/* The `fast` preset (DESIGN.md). */
#define SIM_GOSSIP 200
#define SIM_FAILURE 2000
#define SIM_CLEANUP 4000
#define SIM_FINALIZE 200
#define SIM_FANOUT 3

#define SIM_MAX_NODES 10 /* 9 voters + the observer */
#define SIM_BOUND 30000 /* ms after the faults to agree */
#define SIM_HOLD 5000 /* ms the agreement must hold */
#define SIM_PAYLOAD (2 + SIM_MAX_NODES * PROTO_GOSSIP_ENTRY_LEN)
#define SIM_MAX_WINNERS 4096
#define SIM_ICMP (-1) /* sim_msg type: port unreachable, quoting data */
#define SIM_CALM (2 * SIM_CLEANUP) /* ms after the faults: no failures */

struct sim_msg {
	int64_t at;
	uint64_t seq;
	int from;
	int to;
	int type;
	int qtype; /* SIM_ICMP: the quoted message's type */
	uint64_t inc; /* the sender's incarnation */
	size_t len;
	uint8_t data[SIM_PAYLOAD];
};

struct sim_node {
	int id;
	int voter;
	int up;
	int64_t start_at; /* -1: not scheduled */
	uint64_t incarnation;
	struct election *e;
	struct gossip *g;
	struct election_accepted acc; /* "on disk" */
	int group; /* partition side */
};

/* What the checkers see of a node. */
struct sim_view {
	int up;
	int voter;
	enum election_state state;
	int leader;
	uint64_t epoch;
};

struct sim_winner {
	uint64_t epoch;
	int leader;
};

struct sim {
	uint64_t seed;
	int nv; /* voters */
	int n; /* nodes */
	int quorum;
	int verbose;
	uint64_t rng;
	int64_t now;
	struct sim_node nodes[SIM_MAX_NODES];

	/* The network. */
	double loss;
	double dup;
	int64_t dmax; /* ms, uniform 1..dmax */
	double spike; /* chance of +0..1000 ms */
	double icmp; /* chance a message to a crashed node comes back */
	int64_t spoof_every; /* ms between forged reports at most, 0: none */
	int64_t next_spoof;
	uint64_t spoofs; /* forged reports delivered */
	struct sim_msg **heap;
	int nheap;
	int aheap;
	uint64_t seq;
	uint64_t sent;
	uint64_t delivered;

	/* Faults. */
	int64_t fault_end;
	int64_t next_fault;

	/* Checks. */
	struct sim_winner winners[SIM_MAX_WINNERS];
	int nwinners;
	int64_t agree_since; /* -1: not agreeing */
	int failed;
	char why[512];
	int64_t settled; /* ms after fault_end */
	uint64_t maxepoch;
};

static uint64_t
sim_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static int64_t
sim_below(struct sim *s, int64_t n)
{
	return n <= 0 ? 0 : (int64_t)(sim_random(&s->rng) % (uint64_t)n);
}

static double
sim_chance(struct sim *s)
{
	return (double)(sim_random(&s->rng) >> 11) / 9007199254740992.0;
}

static void __attribute__((format(printf, 3, 4)))
sim_trace(struct sim *s, int level, const char *fmt, ...)
{
	va_list ap;

	if (s->verbose < level)
		return;
	printf("# %7lld ", (long long)s->now);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void __attribute__((format(printf, 2, 3)))
sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->failed)
		return;
	s->failed = 1;
	n = snprintf(s->why, sizeof s->why, "t=%lld ms: ", (long long)s->now);
	va_start(ap, fmt);
	vsnprintf(s->why + n, sizeof s->why - (size_t)n, fmt, ap);
	va_end(ap);
	sim_trace(s, 1, "FAILED: %s", s->why);
}

/* --- the checkers ------------------------------------------------------ */

/*
 * Safety over views: record every (epoch, leader) accepted by a quorum;
 * a second leader for an epoch is a violation. Returns 0 or -1 with why.
 */
static int
sim_check_safety(struct sim_winner *w, int *nw, const struct sim_view *v, int n,
    int quorum, char *why, size_t whylen)
{
	int i, j, count, k;

	for (i = 0; i < n; i++) {
		if (!v[i].up || !v[i].voter ||
		    (v[i].state != ELECT_FOLLOWING &&
			v[i].state != ELECT_LEADING))
			continue;
		/* Count each (leader, epoch) once, at its first holder. */
		for (j = 0; j < i; j++) {
			if (v[j].up && v[j].voter &&
			    (v[j].state == ELECT_FOLLOWING ||
				v[j].state == ELECT_LEADING) &&
			    v[j].leader == v[i].leader &&
			    v[j].epoch == v[i].epoch)
				break;
		}
		if (j < i)
			continue;
		count = 0;
		for (j = 0; j < n; j++) {
			if (v[j].up && v[j].voter &&
			    (v[j].state == ELECT_FOLLOWING ||
				v[j].state == ELECT_LEADING) &&
			    v[j].leader == v[i].leader &&
			    v[j].epoch == v[i].epoch)
				count++;
		}
		if (count < quorum)
			continue;
		for (k = 0; k < *nw; k++) {
			if (w[k].epoch != v[i].epoch)
				continue;
			if (w[k].leader != v[i].leader) {
				snprintf(why, whylen,
				    "two leaders accepted by a "
				    "quorum in epoch %llu: %d and now %d",
				    (unsigned long long)v[i].epoch, w[k].leader,
				    v[i].leader);
				return -1;
			}
			break;
		}
		if (k == *nw && *nw < SIM_MAX_WINNERS) {
			w[*nw].epoch = v[i].epoch;
			w[*nw].leader = v[i].leader;
			(*nw)++;
		}
	}
	return 0;
}

/* Liveness over views: 1 if one leader is agreed on by every live node. */
static int
sim_check_agree(const struct sim_view *v, int n)
{
	int i, leader = -1;
	uint64_t epoch = 0;

	for (i = 0; i < n; i++) {
		if (!v[i].up || !v[i].voter || v[i].state != ELECT_LEADING)
			continue;
		if (leader != -1)
			return 0;
		leader = v[i].leader;
		epoch = v[i].epoch;
	}
	if (leader == -1)
		return 0;
	for (i = 0; i < n; i++) {
		if (!v[i].up)
			continue;
		if (v[i].voter && v[i].state != ELECT_LEADING &&
		    v[i].state != ELECT_FOLLOWING)
			return 0;
		if (!v[i].voter && v[i].state != ELECT_OBSERVING)
			return 0;
		if (v[i].leader != leader || v[i].epoch != epoch)
			return 0;
	}
	return 1;
}

static void
sim_views(const struct sim *s, struct sim_view *v)
{
	const struct sim_node *nd;
	int i;

	for (i = 0; i < s->n; i++) {
		nd = &s->nodes[i];
		v[i].up = nd->up;
		v[i].voter = nd->voter;
		if (!nd->up)
			continue;
		v[i].state = election_state(nd->e);
		v[i].leader = election_leader(nd->e);
		v[i].epoch = election_epoch(nd->e);
	}
}

static void
sim_check(struct sim *s)
{
	struct sim_view v[SIM_MAX_NODES];
	char why[256];
	int i;

	sim_views(s, v);
	if (sim_check_safety(s->winners, &s->nwinners, v, s->n, s->quorum, why,
		sizeof why) == -1)
		sim_fail(s, "%s", why);
	for (i = 0; i < s->n; i++) {
		if (v[i].up && v[i].epoch > s->maxepoch)
			s->maxepoch = v[i].epoch;
	}
	if (s->now < s->fault_end)
		return;
	if (sim_check_agree(v, s->n)) {
		if (s->agree_since == -1)
			s->agree_since = s->now;
	} else
		s->agree_since = -1;
}

/* --- the network ------------------------------------------------------- */

static int
sim_msg_before(const struct sim_msg *a, const struct sim_msg *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void
sim_heap_push(struct sim *s, struct sim_msg *m)
{
	int i, p;

	if (s->nheap == s->aheap) {
		s->aheap = s->aheap ? s->aheap * 2 : 256;
		s->heap = realloc(s->heap, (size_t)s->aheap * sizeof *s->heap);
		if (s->heap == NULL)
			abort();
	}
	i = s->nheap++;
	while (i > 0 && sim_msg_before(m, s->heap[p = (i - 1) / 2])) {
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = m;
}

static struct sim_msg *
sim_heap_pop(struct sim *s)
{
	struct sim_msg *top = s->heap[0], *last;
	int i = 0, c;

	last = s->heap[--s->nheap];
	for (;;) {
		c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap &&
		    sim_msg_before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!sim_msg_before(s->heap[c], last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap > 0)
		s->heap[i] = last;
	return top;
}

static int
sim_index(const struct sim *s, int id)
{
	int i;

	for (i = 0; i < s->n; i++) {
		if (s->nodes[i].id == id)
			return i;
	}
	return -1;
}

/* Put one copy of a payload on the wire from node index f to id to. */
static void
sim_send(struct sim *s, int f, int to, int type, const struct buf *b)
{
	struct sim_msg *m;
	int copies = 1, c, t;

	if ((t = sim_index(s, to)) == -1) {
		sim_fail(
		    s, "node %d sent to unknown id %d", s->nodes[f].id, to);
		return;
	}
	if (t == f) {
		sim_fail(s, "node %d sent to itself", s->nodes[f].id);
		return;
	}
	s->sent++;
	if (sim_chance(s) < s->loss)
		return;
	if (sim_chance(s) < s->dup)
		copies = 2;
	for (c = 0; c < copies; c++) {
		m = malloc(sizeof *m);
		if (m == NULL || buf_len(b) > sizeof m->data)
			abort();
		m->at = s->now + 1 + sim_below(s, s->dmax);
		if (sim_chance(s) < s->spike)
			m->at += sim_below(s, 1000);
		m->seq = s->seq++;
		m->from = f;
		m->to = t;
		m->type = type;
		m->qtype = 0;
		m->inc = s->nodes[f].incarnation;
		m->len = buf_len(b);
		memcpy(m->data, buf_data(b), m->len);
		sim_heap_push(s, m);
	}
}

/* --- driving a node ---------------------------------------------------- */

static void sim_election_out(struct sim *, int, struct election_out *);

static void
sim_election_out(struct sim *s, int i, struct election_out *out)
{
	struct sim_node *nd = &s->nodes[i];
	struct election_event *ev;
	struct buf b;
	int k;

	for (k = 0; k < out->nev; k++) {
		ev = &out->ev[k];
		switch (ev->type) {
		case ELECT_EV_SWITCH:
			sim_trace(s, 1, "n%d: %s -> %s epoch %llu (%s)", nd->id,
			    election_state_name(ev->from),
			    election_state_name(ev->to),
			    (unsigned long long)ev->epoch, ev->why);
			break;
		case ELECT_EV_LEADER:
			sim_trace(s, 1, "n%d: leader %d epoch %llu", nd->id,
			    ev->leader, (unsigned long long)ev->epoch);
			break;
		case ELECT_EV_ACCEPT:
			nd->acc.valid = 1;
			nd->acc.leader = ev->leader;
			nd->acc.epoch = ev->epoch;
			break;
		case ELECT_EV_STEPDOWN:
			sim_trace(
			    s, 1, "n%d: steps down (%s)", nd->id, ev->why);
			break;
		}
	}
	buf_init(&b);
	for (k = 0; k < out->nmsg; k++) {
		buf_reset(&b);
		proto_vote_encode(&b, &out->msg[k].vote);
		sim_trace(s, 2, "n%d -> n%d VOTE %s leader %d epoch %llu",
		    nd->id, out->msg[k].to,
		    election_state_name(out->msg[k].vote.state),
		    (out->msg[k].vote.flags & PROTO_VOTE_LEADER)
			? out->msg[k].vote.leader
			: -1,
		    (unsigned long long)out->msg[k].vote.epoch);
		sim_send(s, i, out->msg[k].to, PROTO_VOTE, &b);
	}
	buf_free(&b);
}

static void
sim_gossip_out(struct sim *s, int i, struct gossip_out *out)
{
	struct sim_node *nd = &s->nodes[i];
	struct election_out eout;
	struct gossip_event *ev;
	struct buf b;
	int k;

	for (k = 0; k < out->nev; k++) {
		ev = &out->ev[k];
		election_out_reset(&eout);
		switch (ev->type) {
		case GOSSIP_EV_UPDATED:
			break;
		case GOSSIP_EV_JOINED:
		case GOSSIP_EV_REJOINED:
		case GOSSIP_EV_REVIVED:
			if (ev->type != GOSSIP_EV_JOINED)
				sim_trace(s, 1,
				    "n%d: n%d %s (incarnation %llu)", nd->id,
				    ev->id,
				    ev->type == GOSSIP_EV_REJOINED ? "rejoined"
								   : "revived",
				    (unsigned long long)ev->incarnation);
			election_node_up(nd->e, ev->id, s->now, &eout);
			break;
		case GOSSIP_EV_FAILED:
			sim_trace(s, 1,
			    "n%d: no heartbeat from server [%d] - "
			    "SERVER FAILED",
			    nd->id, ev->id);
			if (s->now >= s->fault_end + SIM_CALM &&
			    s->nodes[ev->id].up)
				sim_fail(s,
				    "n%d failed live n%d %lld ms after the "
				    "faults",
				    nd->id, ev->id,
				    (long long)(s->now - s->fault_end));
			election_node_down(nd->e, ev->id, s->now, &eout);
			break;
		case GOSSIP_EV_REMOVED:
			sim_trace(s, 2, "n%d: removed n%d", nd->id, ev->id);
			election_node_down(nd->e, ev->id, s->now, &eout);
			break;
		}
		sim_election_out(s, i, &eout);
	}
	buf_init(&b);
	for (k = 0; k < out->nprobe; k++) {
		buf_reset(&b);
		proto_probe_encode(&b, out->probe[k].tag);
		sim_trace(s, 2, "n%d: probe n%d", nd->id, out->probe[k].to);
		sim_send(s, i, out->probe[k].to, PROTO_PROBE, &b);
	}
	if (out->nto != 0) {
		buf_reset(&b);
		proto_gossip_encode(&b, &out->msg);
		for (k = 0; k < out->nto; k++)
			sim_send(s, i, out->to[k], PROTO_GOSSIP, &b);
	}
	buf_free(&b);
}

static void
sim_node_start(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	struct election_conf ec;
	struct gossip_conf gc;
	struct election_out eout;
	struct gossip_out gout;
	int k;

	memset(&ec, 0, sizeof ec);
	ec.self = nd->id;
	ec.nmembers = s->n;
	for (k = 0; k < s->n; k++) {
		ec.members[k].id = s->nodes[k].id;
		ec.members[k].voter = s->nodes[k].voter;
	}
	ec.finalize = SIM_FINALIZE;
	ec.ping_interval = SIM_GOSSIP;
	ec.failure_timeout = SIM_FAILURE;
	ec.backoff_max = 8 * SIM_FINALIZE;

	memset(&gc, 0, sizeof gc);
	gc.self = nd->id;
	gc.nmembers = s->n;
	for (k = 0; k < s->n; k++)
		gc.members[k] = s->nodes[k].id;
	gc.incarnation = ++nd->incarnation;
	gc.interval = SIM_GOSSIP;
	gc.failure_timeout = SIM_FAILURE;
	gc.cleanup_timeout = SIM_CLEANUP;
	gc.fanout = SIM_FANOUT;
	gc.seed = sim_random(&s->rng);

	nd->up = 1;
	nd->start_at = -1;
	sim_trace(s, 1, "n%d: start, incarnation %llu, accepted %s%d/%llu",
	    nd->id, (unsigned long long)nd->incarnation,
	    nd->acc.valid ? "" : "none ", nd->acc.leader,
	    (unsigned long long)nd->acc.epoch);
	election_out_reset(&eout);
	nd->e = election_new(&ec, &nd->acc, s->now, &eout);
	nd->g = gossip_new(&gc, s->now);
	sim_election_out(s, i, &eout);
	gossip_out_reset(&gout);
	gossip_tick(nd->g, s->now, &gout);
	sim_gossip_out(s, i, &gout);
}

static void
sim_node_crash(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];

	if (!nd->up)
		return;
	sim_trace(s, 1, "n%d: CRASH (%s)", nd->id,
	    election_state_name(election_state(nd->e)));
	election_free(nd->e);
	gossip_free(nd->g);
	nd->e = NULL;
	nd->g = NULL;
	nd->up = 0;
}

static int64_t
sim_node_next(const struct sim_node *nd)
{
	int64_t a = election_next_timeout(nd->e),
		b = gossip_next_timeout(nd->g);

	return a < b ? a : b;
}

static void
sim_node_timer(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	struct election_out eout;
	struct gossip_out gout;

	gossip_out_reset(&gout);
	gossip_tick(nd->g, s->now, &gout);
	sim_gossip_out(s, i, &gout);
	election_out_reset(&eout);
	election_tick(nd->e, s->now, &eout);
	sim_election_out(s, i, &eout);
}

/* m met a closed port: the kernel answers its sender after a delay. */
static void
sim_icmp(struct sim *s, const struct sim_msg *m)
{
	struct sim_msg *r = malloc(sizeof *r);

	if (r == NULL)
		abort();
	r->at = s->now + 1 + sim_below(s, s->dmax);
	r->seq = s->seq++;
	r->from = m->to;
	r->to = m->from;
	r->type = SIM_ICMP;
	r->qtype = m->type;
	r->inc = m->inc;
	r->len = m->len;
	memcpy(r->data, m->data, m->len);
	sim_heap_push(s, r);
}

/*
 * A port-unreachable report reaches live node index t about node index f,
 * quoting a message of type qtype that t sent in incarnation inc: what
 * cluster.c does with it.
 */
static void
sim_report(struct sim *s, int t, int f, int qtype, uint64_t inc,
    const uint8_t *data, size_t len)
{
	struct sim_node *to = &s->nodes[t];
	struct gossip_out gout;
	uint64_t tag;

	gossip_out_reset(&gout);
	if (qtype == PROTO_PROBE && inc == to->incarnation &&
	    proto_probe_decode(data, len, &tag) == 0 &&
	    gossip_probe_refused(to->g, s->nodes[f].id, tag, s->now, &gout))
		sim_trace(s, 2, "n%d: port unreachable at n%d for its probe",
		    to->id, s->nodes[f].id);
	else
		gossip_unreachable(to->g, s->nodes[f].id, s->now, &gout);
	sim_gossip_out(s, t, &gout);
}

/* The attacker forges a report: to a live node, about another node. */
static void
sim_spoof(struct sim *s)
{
	struct buf b;
	int t, f, tries;

	s->next_spoof = s->now + 1 + sim_below(s, s->spoof_every);
	for (tries = 0; tries < 8; tries++) {
		t = (int)sim_below(s, s->n);
		f = (int)sim_below(s, s->n);
		if (s->nodes[t].up && t != f)
			break;
	}
	if (!s->nodes[t].up || t == f)
		return;
	s->spoofs++;
	sim_trace(s, 2, "attacker: forged port unreachable at n%d to n%d",
	    s->nodes[f].id, s->nodes[t].id);
	buf_init(&b);
	/*
	 * Half quote a PROBE with a guessed tag: even a quote that passed
	 * the MAC check (a replayed PROBE) fails nothing without the tag.
	 */
	proto_probe_encode(&b, sim_random(&s->rng) | 1);
	sim_report(s, t, f, sim_chance(s) < 0.5 ? PROTO_PROBE : PROTO_GOSSIP,
	    s->nodes[t].incarnation, buf_data(&b), buf_len(&b));
	buf_free(&b);
}

static void
sim_deliver(struct sim *s, struct sim_msg *m)
{
	struct sim_node *to = &s->nodes[m->to], *from = &s->nodes[m->from];
	struct election_out eout;
	struct gossip_out gout;
	struct proto_vote v;
	struct proto_gossip g;
	struct buf b;
	uint64_t tag;

	if (m->type == SIM_ICMP) {
		/* from is the dead node, to the one that sent to it. */
		if (!to->up || to->group != from->group)
			return;
		sim_trace(
		    s, 2, "n%d: port unreachable at n%d", to->id, from->id);
		sim_report(
		    s, m->to, m->from, m->qtype, m->inc, m->data, m->len);
		return;
	}
	if (to->group != from->group)
		return; /* a partition says nothing */
	if (!to->up) {
		if (sim_chance(s) < s->icmp)
			sim_icmp(s, m);
		return;
	}
	s->delivered++;
	if (m->type == PROTO_VOTE) {
		if (proto_vote_decode(m->data, m->len, &v) == -1) {
			sim_fail(s, "VOTE from n%d does not decode", from->id);
			return;
		}
		if (v.sender != from->id) {
			sim_fail(s, "VOTE from n%d says sender %d", from->id,
			    v.sender);
			return;
		}
		gossip_heard(to->g, from->id, s->now);
		election_out_reset(&eout);
		if (election_handle_vote(to->e, &v, s->now, &eout) == -1)
			sim_fail(
			    s, "n%d refused a VOTE from n%d", to->id, from->id);
		sim_election_out(s, m->to, &eout);
	} else if (m->type == PROTO_PROBE || m->type == PROTO_PROBE_ACK) {
		if (proto_probe_decode(m->data, m->len, &tag) == -1) {
			sim_fail(s, "PROBE from n%d does not decode", from->id);
			return;
		}
		gossip_heard(to->g, from->id, s->now);
		if (m->type == PROTO_PROBE) {
			buf_init(&b);
			proto_probe_encode(&b, tag);
			sim_send(s, m->to, from->id, PROTO_PROBE_ACK, &b);
			buf_free(&b);
		}
	} else {
		if (proto_gossip_decode(m->data, m->len, &g) == -1) {
			sim_fail(
			    s, "GOSSIP from n%d does not decode", from->id);
			return;
		}
		gossip_out_reset(&gout);
		if (gossip_handle(to->g, from->id, &g, s->now, &gout) != 0)
			sim_fail(
			    s, "GOSSIP from n%d names unknown ids", from->id);
		sim_gossip_out(s, m->to, &gout);
	}
}

/* --- faults ------------------------------------------------------------ */

static void
sim_fault(struct sim *s)
{
	int i, k, live = 0, r = (int)sim_below(s, 100);
	static const double losses[] = {0, 0.05, 0.2, 0.5};
	static const int64_t delays[] = {5, 50, 200, 600};

	for (i = 0; i < s->n; i++)
		live += s->nodes[i].up;
	if (r < 20) {
		i = (int)sim_below(s, s->n);
		sim_node_crash(s, i);
	} else if (r < 35) {
		/* Crash whoever leads. */
		for (i = 0; i < s->n; i++) {
			if (s->nodes[i].up &&
			    election_state(s->nodes[i].e) == ELECT_LEADING) {
				sim_node_crash(s, i);
				break;
			}
		}
	} else if (r < 60) {
		for (k = 0; k < s->n; k++) {
			i = (int)sim_below(s, s->n);
			if (!s->nodes[i].up && s->nodes[i].start_at == -1) {
				s->nodes[i].start_at =
				    s->now + 1 + sim_below(s, 2000);
				break;
			}
		}
	} else if (r < 70) {
		for (i = 0; i < s->n; i++)
			s->nodes[i].group = (int)sim_below(s, 2);
		sim_trace(s, 1, "PARTITION");
	} else if (r < 80) {
		for (i = 0; i < s->n; i++)
			s->nodes[i].group = 0;
		sim_trace(s, 1, "HEAL");
	} else if (r < 90) {
		s->loss = losses[sim_below(s, 4)];
		s->dup = sim_chance(s) < 0.5 ? 0 : 0.1;
		sim_trace(s, 1, "loss %.2f dup %.2f", s->loss, s->dup);
	} else {
		s->dmax = delays[sim_below(s, 4)];
		s->spike = sim_chance(s) < 0.5 ? 0 : 0.05;
		sim_trace(s, 1, "delay 1..%lld ms, spikes %.2f",
		    (long long)s->dmax, s->spike);
	}
	(void)live;
}

/* The faults stop: heal, calm the network, restart most crashed nodes. */
static void
sim_calm(struct sim *s)
{
	int i, keep_dead, dead = 0;

	s->loss = 0;
	s->dup = 0;
	s->dmax = 5;
	s->spike = 0;
	keep_dead =
	    sim_chance(s) < 0.5 ? 0 : (int)sim_below(s, s->nv - s->quorum + 1);
	sim_trace(s, 1,
	    "FAULTS END: heal, calm network, keep up to %d "
	    "voters dead",
	    keep_dead);
	for (i = 0; i < s->n; i++) {
		s->nodes[i].group = 0;
		if (s->nodes[i].up || s->nodes[i].start_at != -1)
			continue;
		if (s->nodes[i].voter && dead < keep_dead) {
			dead++;
			continue;
		}
		s->nodes[i].start_at = s->now + 1 + sim_below(s, 1000);
	}
}

/* --- one run ----------------------------------------------------------- */

static void
sim_init(struct sim *s, uint64_t seed, int nv, int verbose)
{
	int i;

	memset(s, 0, sizeof *s);
	s->seed = seed;
	s->rng = seed * 0x2545f4914f6cdd1dULL + 1;
	s->nv = nv;
	s->n = nv + 1;
	s->quorum = nv / 2 + 1;
	s->verbose = verbose;
	s->agree_since = -1;
	s->settled = -1;
	for (i = 0; i < s->n; i++) {
		s->nodes[i].id = i; /* 0 is the observer */
		s->nodes[i].voter = i != 0;
		s->nodes[i].start_at = sim_below(s, 500);
	}
	s->loss = 0.05;
	s->dmax = 20;
	s->fault_end = 4000 + sim_below(s, 8000);
	s->next_fault = 300 + sim_below(s, 1000);
	s->icmp = (double)sim_below(s, 3) / 2; /* never, half, always */
	/* No attacker, or a forged report every 1..5 or 1..50 ms. */
	s->spoof_every = (int64_t[]){0, 5, 50}[sim_below(s, 3)];
	s->next_spoof = s->spoof_every ? 1 + sim_below(s, s->spoof_every) : -1;
}

static void
sim_done(struct sim *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		sim_node_crash(s, i);
	while (s->nheap > 0)
		free(sim_heap_pop(s));
	free(s->heap);
}

/* Run one seed; returns 0 if every check held. */
static int
sim_run(struct sim *s)
{
	int64_t t, nt;
	int i, kind, who, calmed = 0;
	uint64_t steps = 0;

	while (!s->failed) {
		/*
		 * The earliest thing: 0 start, 1 fault, 2 message, 3 timer,
		 * 4 forged report.
		 */
		t = INT64_MAX;
		kind = -1;
		who = -1;
		for (i = 0; i < s->n; i++) {
			if (!s->nodes[i].up && s->nodes[i].start_at != -1 &&
			    s->nodes[i].start_at < t) {
				t = s->nodes[i].start_at;
				kind = 0;
				who = i;
			}
		}
		if (!calmed &&
		    (s->next_fault < t ||
			(s->fault_end < t && s->fault_end <= s->next_fault))) {
			t = s->next_fault < s->fault_end ? s->next_fault
							 : s->fault_end;
			kind = 1;
		}
		if (s->nheap > 0 && s->heap[0]->at < t) {
			t = s->heap[0]->at;
			kind = 2;
		}
		if (s->next_spoof != -1 && s->next_spoof < t) {
			t = s->next_spoof;
			kind = 4;
		}
		for (i = 0; i < s->n; i++) {
			if (s->nodes[i].up &&
			    (nt = sim_node_next(&s->nodes[i])) < t) {
				t = nt;
				kind = 3;
				who = i;
			}
		}
		if (t < s->now)
			t = s->now;
		if (t > s->fault_end + SIM_BOUND) {
			s->now = s->fault_end + SIM_BOUND;
			sim_fail(s,
			    "no agreed leader %d ms after the faults "
			    "stopped",
			    SIM_BOUND);
			break;
		}
		s->now = t;
		if (++steps > 50000000) {
			sim_fail(s, "runaway: too many steps");
			break;
		}
		switch (kind) {
		case 0:
			sim_node_start(s, who);
			break;
		case 1:
			if (s->now >= s->fault_end) {
				sim_calm(s);
				calmed = 1;
			} else {
				sim_fault(s);
				s->next_fault =
				    s->now + 200 + sim_below(s, 1300);
			}
			break;
		case 2: {
			struct sim_msg *m = sim_heap_pop(s);

			sim_deliver(s, m);
			free(m);
			break;
		}
		case 3:
			sim_node_timer(s, who);
			break;
		case 4:
			sim_spoof(s);
			break;
		}
		sim_check(s);
		if (calmed && s->agree_since != -1 &&
		    s->now - s->agree_since >= SIM_HOLD) {
			s->settled = s->agree_since - s->fault_end;
			if (s->settled < 0)
				s->settled = 0;
			break;
		}
	}
	return s->failed ? -1 : 0;
}

/* --- self test of the checkers ----------------------------------------- */

static int
sim_selftest(int *tap)
{
	struct sim_winner w[8];
	struct sim_view v[4];
	char why[256];
	int nw = 0, fails = 0, r;

	/* 3 voters; 1 LEADING epoch 4, 2 FOLLOWING 1: a quorum for 1. */
	memset(v, 0, sizeof v);
	v[0] = (struct sim_view){1, 1, ELECT_LEADING, 1, 4};
	v[1] = (struct sim_view){1, 1, ELECT_FOLLOWING, 1, 4};
	v[2] = (struct sim_view){1, 1, ELECT_LOOKING, -1, 5};
	v[3] = (struct sim_view){1, 0, ELECT_OBSERVING, 1, 4};
	r = sim_check_safety(w, &nw, v, 4, 2, why, sizeof why);
	printf("%s %d - checker: one leader per epoch passes\n",
	    r == 0 && nw == 1 ? "ok" : "not ok", ++*tap);
	fails += !(r == 0 && nw == 1);
	r = sim_check_agree(v, 4);
	printf("%s %d - checker: a LOOKING voter is no agreement\n",
	    r == 0 ? "ok" : "not ok", ++*tap);
	fails += r != 0;
	v[2] = (struct sim_view){1, 1, ELECT_FOLLOWING, 1, 4};
	r = sim_check_agree(v, 4);
	printf("%s %d - checker: everybody on leader 1 epoch 4 agrees\n",
	    r == 1 ? "ok" : "not ok", ++*tap);
	fails += r != 1;
	/* Later: 2 and 3 accept 3 in the same epoch 4 (1 went away). */
	v[0].up = 0;
	v[1] = (struct sim_view){1, 1, ELECT_FOLLOWING, 3, 4};
	v[2] = (struct sim_view){1, 1, ELECT_LEADING, 3, 4};
	r = sim_check_safety(w, &nw, v, 4, 2, why, sizeof why);
	printf("%s %d - checker: a second leader in epoch 4 later is caught\n",
	    r == -1 ? "ok" : "not ok", ++*tap);
	fails += r != -1;
	return fails;
}

/* --- main -------------------------------------------------------------- */

static void
sim_usage(void)
{
	fprintf(stderr,
	    "usage: sim [--seeds N] [--first S] | --seed S "
	    "[--nodes N] [-v|-vv] | --selftest\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sim *s;
	uint64_t first = 1, nseeds = 1000, seed, one = 0;
	int i, nodes = 0, verbose = 0, single = 0, tap = 0, failures = 0, nv;
	int64_t worst = 0;
	uint64_t groups[10] = {0}, msgs = 0, maxepoch = 0, spoofs = 0;
	clock_t c0 = clock();

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
			nseeds = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--first") == 0 && i + 1 < argc)
			first = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			one = strtoull(argv[++i], NULL, 10);
			single = 1;
		} else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
			nodes = atoi(argv[++i]);
		else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "-vv") == 0)
			verbose = 2;
		else if (strcmp(argv[i], "--selftest") == 0) {
			failures = sim_selftest(&tap);
			printf("1..%d\n", tap);
			return failures ? 1 : 0;
		} else
			sim_usage();
	}
	if (nodes != 0 && (nodes < 1 || nodes > SIM_MAX_NODES - 1))
		sim_usage();
	if ((s = malloc(sizeof *s)) == NULL)
		abort();

	failures = sim_selftest(&tap);
	if (single) {
		first = one;
		nseeds = 1;
	}
	for (seed = first; seed < first + nseeds; seed++) {
		nv = nodes != 0 ? nodes : 3 + (int)(seed % 7);
		sim_init(s, seed, nv, verbose);
		if (sim_run(s) == -1) {
			failures++;
			printf("not ok %d - seed %llu, %d voters: %s\n", ++tap,
			    (unsigned long long)seed, nv, s->why);
			printf("# replay: tests/sim/sim --seed %llu --nodes %d "
			       "-v\n",
			    (unsigned long long)seed, nv);
		} else {
			groups[nv]++;
			if (s->settled > worst)
				worst = s->settled;
			if (single)
				printf("ok %d - seed %llu, %d voters: settled "
				       "%lld ms after the faults, epoch %llu\n",
				    ++tap, (unsigned long long)seed, nv,
				    (long long)s->settled,
				    (unsigned long long)s->maxepoch);
		}
		msgs += s->sent;
		spoofs += s->spoofs;
		if (s->maxepoch > maxepoch)
			maxepoch = s->maxepoch;
		sim_done(s);
	}
	if (!single) {
		for (nv = 1; nv < 10; nv++) {
			if (groups[nv] == 0)
				continue;
			printf("ok %d - %llu seeds with %d voters + observer: "
			       "safe, one leader agreed on\n",
			    ++tap, (unsigned long long)groups[nv], nv);
		}
		printf("# %llu seeds from %llu, %d failed; slowest settled "
		       "%lld ms after the faults; highest epoch %llu; %llu "
		       "messages; %llu forged reports; %.1f s cpu\n",
		    (unsigned long long)nseeds, (unsigned long long)first,
		    failures - 0, (long long)worst,
		    (unsigned long long)maxepoch, (unsigned long long)msgs,
		    (unsigned long long)spoofs,
		    (double)(clock() - c0) / CLOCKS_PER_SEC);
	}
	printf("1..%d\n", tap);
	free(s);
	return failures ? 1 : 0;
}
