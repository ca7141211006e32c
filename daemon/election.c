/*
 * election.c: ZooKeeper-style fast leader election, a pure state machine
 * (see election.h; the protocol is described in docs/PROTOCOL.md).
 *
 * A vote proposes (leader, epoch); a higher epoch wins, then a higher id.
 * LOOKING voters broadcast their vote, adopt better ones and decide once
 * a quorum of voters agrees and no better vote came for the finalize
 * time. FOLLOWING and LEADING nodes answer LOOKING and OBSERVING ones at
 * once, and a LOOKING node joins a leader that is established: the leader
 * itself says LEADING, enough voters say FOLLOWING it to make a quorum
 * (the joiner counted), and gossip does not hold the leader failed.
 *
 * Safety rests on one local rule, the accepted pair: a voter accepts
 * (follows or leads) at most one leader per epoch over its lifetime and
 * never goes back to an older epoch than the last one it accepted. Any
 * two quorums share a voter, so no two leaders can ever be accepted by a
 * quorum in the same epoch. The caller persists the pair across restarts.
 * A LOOKING voter that cannot join the established leader because of the
 * rule tells it so (its accepted pair rides in every vote) and the leader
 * steps down to start a new epoch that everybody may accept.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "election.h"
#include "xmalloc.h"

struct election_peer {
	int id;
	int voter;
	int down; /* gossip holds it failed */
	int up; /* gossip hears it */
	int have; /* last is valid */
	struct proto_vote last; /* latest notification */
	int64_t last_at; /* when it arrived */
};

struct election {
	struct election_conf conf;
	int self; /* index of self in peers */
	int voter; /* self votes */
	int nvoters;
	struct election_peer peers[ELECT_MAX_NODES];

	enum election_state state;
	uint64_t round; /* epoch of the current vote */
	int prop; /* proposed leader, -1 none */
	int leader; /* FOLLOWING/LEADING/OBSERVING */
	struct election_accepted acc;

	int64_t send_at; /* LOOKING: next resend */
	int64_t backoff;
	int64_t finalize_at; /* -1: no quorum yet */
	int64_t ping_at; /* FOLLOWING/LEADING */
	int64_t since; /* entered this state */
	int64_t leader_at; /* last heard from leader */
	int fresh; /* not decided since start */
	uint64_t nelections;
};

/*
 * How recent a leader's own LEADING must be for a LOOKING node to join it:
 * a live leader pings every ping interval, so three missed pings say it
 * may be gone even before gossip says so.
 */
#define ELECT_LEADER_FRESH(e) (3 * (e)->conf.ping_interval)

static void election_look(
    struct election *, uint64_t, int64_t, const char *, struct election_out *);

void
election_out_reset(struct election_out *out)
{
	out->nmsg = 0;
	out->nev = 0;
}

const char *
election_state_name(enum election_state s)
{
	switch (s) {
	case ELECT_LOOKING:
		return "LOOKING";
	case ELECT_FOLLOWING:
		return "FOLLOWING";
	case ELECT_LEADING:
		return "LEADING";
	case ELECT_OBSERVING:
		return "OBSERVING";
	}
	return "UNKNOWN";
}

/* Index of member id, or -1. */
static int
election_find(const struct election *e, int id)
{
	int i;

	for (i = 0; i < e->conf.nmembers; i++) {
		if (e->peers[i].id == id)
			return i;
	}
	return -1;
}

static struct election_peer *
election_peer(struct election *e, int id)
{
	int i = election_find(e, id);

	return i == -1 ? NULL : &e->peers[i];
}

static void
election_event(struct election_out *out, enum election_ev_type type,
    enum election_state from, enum election_state to, int leader,
    uint64_t epoch, const char *why)
{
	struct election_event *ev;

	assert(out->nev < ELECT_EV_MAX);
	ev = &out->ev[out->nev++];
	ev->type = type;
	ev->from = from;
	ev->to = to;
	ev->leader = leader;
	ev->epoch = epoch;
	ev->why = why;
}

/* This node's current notification. */
static struct proto_vote
election_vote(const struct election *e)
{
	struct proto_vote v;
	int leader;

	memset(&v, 0, sizeof v);
	v.sender = (uint16_t)e->conf.self;
	v.epoch = e->round;
	if (!e->voter)
		v.state = PROTO_OBSERVING;
	else
		v.state = (uint8_t)e->state;
	leader = e->state == ELECT_LOOKING ? e->prop : e->leader;
	if (leader != -1) {
		v.flags |= PROTO_VOTE_LEADER;
		v.leader = (uint16_t)leader;
	}
	if (e->acc.valid) {
		v.flags |= PROTO_VOTE_ACCEPTED;
		v.acc_leader = (uint16_t)e->acc.leader;
		v.acc_epoch = e->acc.epoch;
	}
	return v;
}

static void
election_send(const struct election *e, int to, struct election_out *out)
{
	struct election_msg *m;

	assert(out->nmsg < ELECT_OUT_MAX);
	m = &out->msg[out->nmsg++];
	m->to = to;
	m->vote = election_vote(e);
}

/* Send the current notification to every other member. */
static void
election_broadcast(const struct election *e, struct election_out *out)
{
	int i;

	for (i = 0; i < e->conf.nmembers; i++) {
		if (i != e->self)
			election_send(e, e->peers[i].id, out);
	}
}

/* May this node accept leader in epoch? (The accepted-pair rule.) */
static int
election_may_accept(const struct election *e, int leader, uint64_t epoch)
{
	if (!e->voter || !e->acc.valid)
		return 1;
	if (epoch > e->acc.epoch)
		return 1;
	return epoch == e->acc.epoch && leader == e->acc.leader;
}

/* Could a voter that accepted acc (from its vote) ever follow us now? */
static int
election_blocked(const struct election *e, const struct proto_vote *v)
{
	if (!(v->flags & PROTO_VOTE_ACCEPTED))
		return 0;
	if (v->acc_epoch > e->round)
		return 1;
	return v->acc_epoch == e->round && v->acc_leader != e->conf.self;
}

/* A candidate: a voter that gossip does not hold failed. */
static int
election_eligible(const struct election *e, int id)
{
	int i = election_find(e, id);

	return i != -1 && e->peers[i].voter && !e->peers[i].down;
}

static void
election_switch(struct election *e, enum election_state to, int64_t now,
    const char *why, struct election_out *out)
{
	enum election_state from = e->state;

	e->state = to;
	e->since = now;
	if (from != to)
		election_event(
		    out, ELECT_EV_SWITCH, from, to, e->leader, e->round, why);
}

/* Become FOLLOWING/LEADING/OBSERVING leader in epoch. */
static void
election_decide(struct election *e, int leader, uint64_t epoch, int64_t now,
    const char *why, struct election_out *out)
{
	enum election_state to;

	if (!election_may_accept(e, leader, epoch)) {
		/* Cannot happen while LOOKING rounds exceed acc.epoch. */
		election_look(e,
		    (epoch > e->acc.epoch ? epoch : e->acc.epoch) + 1, now,
		    "accepted another leader in that epoch", out);
		return;
	}
	if (!e->voter)
		to = ELECT_OBSERVING;
	else if (leader == e->conf.self)
		to = ELECT_LEADING;
	else
		to = ELECT_FOLLOWING;
	e->leader = leader;
	e->round = epoch;
	e->prop = leader;
	e->fresh = 0;
	e->finalize_at = -1;
	e->leader_at = now;
	e->ping_at = now + e->conf.ping_interval;
	if (e->voter) {
		e->acc.valid = 1;
		e->acc.leader = leader;
		e->acc.epoch = epoch;
		election_event(
		    out, ELECT_EV_ACCEPT, e->state, to, leader, epoch, why);
	}
	election_switch(e, to, now, why, out);
	election_event(out, ELECT_EV_LEADER, to, to, leader, epoch, why);
	/* Tell everybody at once: LOOKING nodes and observers learn it. */
	election_broadcast(e, out);
}

/*
 * Is a LOOKING node's own evidence enough to join an established leader?
 * Returns the leader (its epoch in *epoch) or -1.
 */
static int
election_established(const struct election *e, int64_t now, uint64_t *epoch)
{
	const struct election_peer *l, *p;
	int best = -1, count, i, j;
	uint64_t best_epoch = 0, ep;

	for (i = 0; i < e->conf.nmembers; i++) {
		l = &e->peers[i];
		if (i == e->self) {
			/*
			 * A restarted leader whose followers still follow
			 * it; never one that stepped down in this life.
			 */
			if (!e->fresh || !e->voter || !e->acc.valid ||
			    e->acc.leader != l->id)
				continue;
		} else {
			if (!l->voter || l->down || !l->have ||
			    l->last.state != PROTO_LEADING ||
			    !(l->last.flags & PROTO_VOTE_LEADER) ||
			    l->last.leader != l->id ||
			    now - l->last_at >= ELECT_LEADER_FRESH(e))
				continue;
		}
		ep = i == e->self ? e->acc.epoch : l->last.epoch;
		count = 1; /* the leader */
		if (e->voter && i != e->self)
			count++; /* the joiner */
		for (j = 0; j < e->conf.nmembers; j++) {
			p = &e->peers[j];
			if (j == i || j == e->self || !p->voter || p->down ||
			    !p->have ||
			    now - p->last_at >= e->conf.failure_timeout)
				continue;
			if (p->last.state == PROTO_FOLLOWING &&
			    (p->last.flags & PROTO_VOTE_LEADER) &&
			    p->last.leader == l->id && p->last.epoch == ep)
				count++;
		}
		if (count < election_quorum(e))
			continue;
		if (!election_may_accept(e, l->id, ep))
			continue;
		if (best == -1 || ep > best_epoch ||
		    (ep == best_epoch && l->id > best)) {
			best = l->id;
			best_epoch = ep;
		}
	}
	if (best != -1)
		*epoch = best_epoch;
	return best;
}

/* Votes in the current round for candidate, this node's own included. */
static int
election_count_votes(const struct election *e, int cand)
{
	const struct election_peer *p;
	int i, n = 0;

	for (i = 0; i < e->conf.nmembers; i++) {
		p = &e->peers[i];
		if (!p->voter)
			continue;
		if (i == e->self) {
			if (e->prop == cand)
				n++;
			continue;
		}
		if (p->down || !p->have || p->last.state == PROTO_OBSERVING ||
		    !(p->last.flags & PROTO_VOTE_LEADER))
			continue;
		if (p->last.leader == cand && p->last.epoch == e->round)
			n++;
	}
	return n;
}

/*
 * LOOKING with a quorum: is a better candidate still to be heard? A voter
 * with a higher id than our proposal that gossip hears, but that has not
 * looked in this round, most likely still follows the dead leader (it
 * notices a little later, or its machine is slow): wait for it, at most a
 * failure timeout from when we began to look, so that the best live
 * candidate wins whatever the skew between detections. A node that has
 * not decided since it started also waits for better voters gossip has
 * not heard yet: when a whole cluster starts, one that is slower to start
 * (its runner first) still gets to lead, as the classic design expects.
 */
static int
election_awaited(const struct election *e, int64_t now)
{
	const struct election_peer *p;
	int i;

	if (now - e->since >= e->conf.failure_timeout)
		return 0;
	for (i = 0; i < e->conf.nmembers; i++) {
		p = &e->peers[i];
		if (i == e->self || !p->voter || p->down || p->id < e->prop ||
		    (!p->up && !e->fresh))
			continue;
		if (!p->have || p->last.state != PROTO_LOOKING ||
		    p->last.epoch < e->round)
			return 1;
	}
	return 0;
}

/* LOOKING: join an established leader, or (re)start the finalize wait. */
static void
election_evaluate(struct election *e, int64_t now, struct election_out *out)
{
	uint64_t epoch;
	int leader;

	if (e->state != ELECT_LOOKING)
		return;
	if ((leader = election_established(e, now, &epoch)) != -1) {
		election_decide(
		    e, leader, epoch, now, "joined established leader", out);
		return;
	}
	if (!e->voter || e->prop == -1 ||
	    election_count_votes(e, e->prop) < election_quorum(e)) {
		e->finalize_at = -1;
		return;
	}
	if (e->finalize_at == -1)
		e->finalize_at = now + e->conf.finalize;
}

/* Change the proposal and tell everybody; the finalize wait restarts. */
static void
election_propose(
    struct election *e, int prop, int64_t now, struct election_out *out)
{
	e->prop = prop;
	e->finalize_at = -1;
	e->backoff = e->conf.finalize;
	e->send_at = now + e->backoff;
	election_broadcast(e, out);
}

/* Start (or restart) looking in round, at least one past what we accepted. */
static void
election_look(struct election *e, uint64_t round, int64_t now, const char *why,
    struct election_out *out)
{
	if (e->voter && e->acc.valid && round <= e->acc.epoch)
		round = e->acc.epoch + 1;
	e->round = round;
	e->leader = -1;
	e->finalize_at = -1;
	e->nelections++;
	if (e->state == ELECT_LEADING)
		election_event(out, ELECT_EV_STEPDOWN, ELECT_LEADING,
		    ELECT_LOOKING, e->conf.self, e->round, why);
	election_switch(e, ELECT_LOOKING, now, why, out);
	election_propose(e, e->voter ? e->conf.self : -1, now, out);
	election_evaluate(e, now, out);
}

struct election *
election_new(const struct election_conf *conf,
    const struct election_accepted *acc, int64_t now, struct election_out *out)
{
	struct election *e;
	int i;

	assert(conf->nmembers > 0 && conf->nmembers <= ELECT_MAX_NODES);
	e = xcalloc(1, sizeof *e);
	e->conf = *conf;
	e->self = -1;
	for (i = 0; i < conf->nmembers; i++) {
		e->peers[i].id = conf->members[i].id;
		e->peers[i].voter = conf->members[i].voter;
		if (conf->members[i].voter)
			e->nvoters++;
		if (conf->members[i].id == conf->self)
			e->self = i;
	}
	assert(e->self != -1);
	e->voter = e->peers[e->self].voter;
	if (e->voter && acc != NULL && acc->valid) {
		assert(acc->epoch < ELECT_EPOCH_MAX);
		e->acc = *acc;
	}
	e->state = ELECT_LOOKING;
	e->leader = -1;
	e->prop = -1;
	e->since = now;
	e->fresh = 1;
	election_look(
	    e, e->acc.valid ? e->acc.epoch + 1 : 0, now, "start", out);
	return e;
}

void
election_free(struct election *e)
{
	free(e);
}

/*
 * LOOKING: a notification from p. A node that election_look has just
 * joined to an established leader has nothing to do: its broadcast told
 * p already, and taking p's round would move its epoch off the one it
 * accepted.
 */
static void
election_handle_looking(struct election *e, struct election_peer *p,
    int64_t now, struct election_out *out)
{
	const struct proto_vote *v = &p->last;
	int has = (v->flags & PROTO_VOTE_LEADER) != 0;
	int theirs = has ? v->leader : -1;

	if (e->state != ELECT_LOOKING)
		return;
	if (v->state == PROTO_LOOKING && p->voter) {
		if (v->epoch > e->round) {
			/* A newer round: catch up and vote again. */
			e->round = v->epoch;
			if (e->voter) {
				int prop = e->conf.self;

				if (has && election_eligible(e, theirs) &&
				    theirs > prop)
					prop = theirs;
				election_propose(e, prop, now, out);
			}
		} else if (v->epoch == e->round && e->voter && has &&
		    election_eligible(e, theirs) && theirs > e->prop) {
			election_propose(e, theirs, now, out);
		} else if (e->voter &&
		    (v->epoch < e->round || !has || theirs < e->prop)) {
			/* They are behind: tell them what we know. */
			election_send(e, p->id, out);
		}
	} else if (v->state == PROTO_OBSERVING && e->voter) {
		election_send(e, p->id, out);
	}
	election_evaluate(e, now, out);
}

int
election_handle_vote(struct election *e, const struct proto_vote *v,
    int64_t now, struct election_out *out)
{
	struct election_peer *p;

	if ((p = election_peer(e, v->sender)) == NULL ||
	    v->sender == e->conf.self)
		return -1;
	/* A voter never sends OBSERVING, an observer never anything else. */
	if ((v->state == PROTO_OBSERVING) == p->voter)
		return -1;
	/* Epochs near 2^64 would make round + 1 wrap to 0. */
	if (v->epoch >= ELECT_EPOCH_MAX ||
	    ((v->flags & PROTO_VOTE_ACCEPTED) &&
		v->acc_epoch >= ELECT_EPOCH_MAX))
		return -1;
	p->have = 1;
	p->last = *v;
	p->last_at = now;

	switch (e->state) {
	case ELECT_LOOKING:
		election_handle_looking(e, p, now, out);
		break;
	case ELECT_FOLLOWING:
	case ELECT_OBSERVING:
		if (p->id == e->leader) {
			if (v->state == PROTO_LEADING && v->epoch == e->round &&
			    (v->flags & PROTO_VOTE_LEADER) &&
			    v->leader == e->leader) {
				e->leader_at = now;
				break;
			}
			/*
			 * Still finalizing the round we decided in, with itself
			 * as its vote: it has not left, it will lead (or go
			 * silent, and failure-timeout decides). Tell it ours.
			 */
			if (v->state == PROTO_LOOKING && v->epoch == e->round &&
			    (v->flags & PROTO_VOTE_LEADER) &&
			    v->leader == e->leader) {
				election_send(e, p->id, out);
				break;
			}
			/* Our leader left its post. */
			election_look(e, e->round + 1, now, "leader left", out);
			election_handle_looking(e, p, now, out);
			break;
		}
		/*
		 * A voter already looks, or leads or follows, in a later
		 * epoch and our leader has missed its pings: it is most
		 * likely gone, so move on now rather than when our own gossip
		 * says so. Everybody then votes at about the same time (the
		 * best candidate wins), and a late observer finds the new
		 * leader as soon as it is announced.
		 */
		if (p->voter && v->epoch > e->round &&
		    now - e->leader_at >= ELECT_LEADER_FRESH(e)) {
			election_look(e, e->round + 1, now,
			    "leader silent while others moved on", out);
			election_handle_looking(e, p, now, out);
			break;
		}
		if (e->state == ELECT_FOLLOWING &&
		    (v->state == PROTO_LOOKING || v->state == PROTO_OBSERVING))
			election_send(e, p->id, out);
		break;
	case ELECT_LEADING:
		if (v->state != PROTO_LOOKING && v->state != PROTO_OBSERVING)
			break;
		if (v->state == PROTO_LOOKING && election_blocked(e, v)) {
			uint64_t r = e->round;

			if (v->acc_epoch > r)
				r = v->acc_epoch;
			if (v->epoch > r)
				r = v->epoch;
			election_look(
			    e, r + 1, now, "a voter cannot join", out);
			election_handle_looking(e, p, now, out);
			break;
		}
		election_send(e, p->id, out);
		break;
	}
	return 0;
}

/* LEADING: voters (self included) that followed us within the timeout. */
static int
election_following(const struct election *e, int64_t now)
{
	const struct election_peer *p;
	int i, n = 1;

	for (i = 0; i < e->conf.nmembers; i++) {
		p = &e->peers[i];
		if (i == e->self || !p->voter || p->down || !p->have)
			continue;
		if (p->last.state == PROTO_FOLLOWING &&
		    (p->last.flags & PROTO_VOTE_LEADER) &&
		    p->last.leader == e->conf.self &&
		    p->last.epoch == e->round &&
		    now - p->last_at < e->conf.failure_timeout)
			n++;
	}
	return n;
}

void
election_tick(struct election *e, int64_t now, struct election_out *out)
{
	switch (e->state) {
	case ELECT_LOOKING:
		if (e->finalize_at != -1 && now >= e->finalize_at) {
			e->finalize_at = -1;
			if (e->prop != -1 &&
			    election_count_votes(e, e->prop) >=
				election_quorum(e)) {
				if (!election_awaited(e, now)) {
					election_decide(e, e->prop, e->round,
					    now, "elected", out);
					return;
				}
				e->finalize_at = now + e->conf.finalize;
			}
		}
		if (now >= e->send_at) {
			election_broadcast(e, out);
			e->backoff *= 2;
			if (e->backoff > e->conf.backoff_max)
				e->backoff = e->conf.backoff_max;
			e->send_at = now + e->backoff;
		}
		break;
	case ELECT_FOLLOWING:
	case ELECT_OBSERVING:
		if (now - e->leader_at >= e->conf.failure_timeout) {
			election_look(
			    e, e->round + 1, now, "leader silent", out);
			return;
		}
		if (e->state == ELECT_FOLLOWING && now >= e->ping_at) {
			election_send(e, e->leader, out);
			e->ping_at = now + e->conf.ping_interval;
		}
		break;
	case ELECT_LEADING:
		/* The quorum check runs with the pings. */
		if (now < e->ping_at)
			break;
		if (now - e->since >= e->conf.failure_timeout &&
		    election_following(e, now) < election_quorum(e)) {
			election_look(e, e->round + 1, now, "no quorum", out);
			return;
		}
		election_broadcast(e, out);
		e->ping_at = now + e->conf.ping_interval;
		break;
	}
}

int64_t
election_next_timeout(const struct election *e)
{
	int64_t t;

	switch (e->state) {
	case ELECT_LOOKING:
		t = e->send_at;
		if (e->finalize_at != -1 && e->finalize_at < t)
			t = e->finalize_at;
		return t;
	case ELECT_FOLLOWING:
		t = e->leader_at + e->conf.failure_timeout;
		return e->ping_at < t ? e->ping_at : t;
	case ELECT_OBSERVING:
		return e->leader_at + e->conf.failure_timeout;
	case ELECT_LEADING:
		return e->ping_at;
	}
	return e->send_at;
}

void
election_node_down(
    struct election *e, int id, int64_t now, struct election_out *out)
{
	struct election_peer *p;

	if ((p = election_peer(e, id)) == NULL || id == e->conf.self)
		return;
	p->down = 1;
	p->up = 0;
	switch (e->state) {
	case ELECT_FOLLOWING:
	case ELECT_OBSERVING:
		if (id == e->leader)
			election_look(
			    e, e->round + 1, now, "leader failed", out);
		break;
	case ELECT_LOOKING:
		if (e->voter && id == e->prop)
			election_look(
			    e, e->round + 1, now, "candidate failed", out);
		else
			election_evaluate(e, now, out);
		break;
	case ELECT_LEADING:
		break;
	}
}

void
election_node_up(
    struct election *e, int id, int64_t now, struct election_out *out)
{
	struct election_peer *p;

	if ((p = election_peer(e, id)) == NULL || id == e->conf.self)
		return;
	p->down = 0;
	p->up = 1;
	election_evaluate(e, now, out);
}

enum election_state
election_state(const struct election *e)
{
	return e->state;
}

int
election_leader(const struct election *e)
{
	return e->state == ELECT_LOOKING ? -1 : e->leader;
}

uint64_t
election_epoch(const struct election *e)
{
	return e->round;
}

struct election_accepted
election_accepted(const struct election *e)
{
	return e->acc;
}

enum election_state
election_member_state(const struct election *e, int id)
{
	const struct election_peer *p;
	int i;

	if ((i = election_find(e, id)) == -1)
		return ELECT_LOOKING;
	if (i == e->self)
		return e->state;
	p = &e->peers[i];
	if (e->state != ELECT_LOOKING && id == e->leader)
		return ELECT_LEADING;
	if (!p->voter) {
		/* An observer that found its leader said so to everybody. */
		if (p->have)
			return (p->last.flags & PROTO_VOTE_LEADER)
			    ? ELECT_OBSERVING
			    : ELECT_LOOKING;
		return e->state == ELECT_LOOKING ? ELECT_LOOKING
						 : ELECT_OBSERVING;
	}
	if (p->have)
		return (enum election_state)p->last.state;
	return e->state == ELECT_LOOKING ? ELECT_LOOKING : ELECT_FOLLOWING;
}

int
election_quorum(const struct election *e)
{
	return e->nvoters / 2 + 1;
}

uint64_t
election_count(const struct election *e)
{
	return e->nelections;
}
