/*
 * gossip.c: heartbeat gossip failure detection (see gossip.h and
 * docs/PROTOCOL.md, "Gossip").
 *
 * Merge rules for an ALIVE entry r received from member `from`, against
 * the local entry l:
 *	- no l:				take r (JOINED)
 *	- r.incarnation > l's:		take r whatever l's status (REJOINED)
 *	- r.incarnation < l's:		stale, skip
 *	- same incarnation, l ALIVE:	a higher heartbeat updates l (UPDATED)
 *	- same incarnation, l FAILED or REMOVED: only the member itself
 *	  (from == r.id) with a heartbeat above the one recorded at failure
 *	  brings it back (REVIVED); third-party gossip never does, however
 *	  high its heartbeat, because it may be older than our verdict.
 * FAILED entries received are skipped: each node fails members on its own
 * timers. Both timeouts count from the last rise of the heartbeat.
 *
 * A port-unreachable report (gossip_unreachable) can be forged by
 * anyone, so it only makes an ALIVE member a suspect, and only if there
 * was no proof of life within the last interval (a frame from the member
 * itself, or a new incarnation taken; that guard also keeps an old
 * report, about a datagram sent before a quick restart, from costing a
 * probe). A suspect is sent a probe carrying a fresh tag at once and
 * again every interval; any proof of life clears it, and one that gives
 * none for GOSSIP_PROBE_WAIT intervals is failed. A report that quotes
 * the probe with the current tag (gossip_probe_refused) fails it at once:
 * the probe met a closed port, which keeps the failover of a dead leader
 * fast, and nobody who has not seen the probe can forge that quote.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "gossip.h"
#include "xmalloc.h"

/* Intervals a suspect has to give a proof of life. */
#define GOSSIP_PROBE_WAIT 2

struct gossip_entry {
	int id;
	int known; /* ever heard of */
	enum gossip_status status;
	uint64_t heartbeat;
	uint64_t incarnation;
	int64_t last_heard;
	int64_t last_proof; /* last frame from it, or new incarnation */
	uint64_t failed_hb; /* heartbeat when failed */
	int suspect; /* a port-unreachable report: probing */
	uint64_t probe_tag; /* the suspicion's tag */
	int64_t probe_at; /* last probe sent */
	int64_t probe_deadline; /* failed if no proof of life by then */
};

struct gossip {
	struct gossip_conf conf;
	int self; /* index of self */
	struct gossip_entry e[GOSSIP_MAX_NODES];
	uint64_t rng;
	int64_t next_send;
};

void
gossip_out_reset(struct gossip_out *out)
{
	out->nto = 0;
	out->msg.n = 0;
	out->nev = 0;
	out->nprobe = 0;
}

const char *
gossip_status_name(enum gossip_status s)
{
	switch (s) {
	case GOSSIP_ALIVE:
		return "ALIVE";
	case GOSSIP_FAILED:
		return "FAILED";
	case GOSSIP_REMOVED:
		return "REMOVED";
	}
	return "UNKNOWN";
}

/* splitmix64: small, good enough, and the same everywhere. */
static uint64_t
gossip_random(struct gossip *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct gossip_entry *
gossip_find(struct gossip *g, int id)
{
	int i;

	for (i = 0; i < g->conf.nmembers; i++) {
		if (g->e[i].id == id)
			return &g->e[i];
	}
	return NULL;
}

static const struct gossip_entry *
gossip_find_const(const struct gossip *g, int id)
{
	return gossip_find((struct gossip *)g, id);
}

static void
gossip_event(struct gossip_out *out, enum gossip_ev_type type,
    const struct gossip_entry *l, int from, int64_t now)
{
	struct gossip_event *ev;

	assert(out->nev < GOSSIP_EV_MAX);
	ev = &out->ev[out->nev++];
	ev->type = type;
	ev->id = l->id;
	ev->heartbeat = l->heartbeat;
	ev->incarnation = l->incarnation;
	ev->from = from;
	ev->now = now;
}

struct gossip *
gossip_new(const struct gossip_conf *conf, int64_t now)
{
	struct gossip *g;
	int i;

	assert(conf->nmembers > 0 && conf->nmembers <= GOSSIP_MAX_NODES);
	assert(conf->interval > 0 && conf->fanout > 0);
	g = xcalloc(1, sizeof *g);
	g->conf = *conf;
	g->self = -1;
	for (i = 0; i < conf->nmembers; i++) {
		g->e[i].id = conf->members[i];
		if (conf->members[i] == conf->self)
			g->self = i;
	}
	assert(g->self != -1);
	g->e[g->self].known = 1;
	g->e[g->self].status = GOSSIP_ALIVE;
	g->e[g->self].incarnation = conf->incarnation;
	g->e[g->self].last_heard = now;
	g->rng = conf->seed;
	g->next_send = now;
	return g;
}

void
gossip_free(struct gossip *g)
{
	free(g);
}

/* Take r into l as a fresh ALIVE entry. */
static void
gossip_take(
    struct gossip_entry *l, const struct proto_gossip_entry *r, int64_t now)
{
	l->known = 1;
	l->status = GOSSIP_ALIVE;
	l->heartbeat = r->heartbeat;
	l->incarnation = r->incarnation;
	l->last_heard = now;
	l->last_proof = now;
	l->failed_hb = 0;
	l->suspect = 0;
}

void
gossip_heard(struct gossip *g, int id, int64_t now)
{
	struct gossip_entry *l = gossip_find(g, id);

	if (l == NULL || id == g->conf.self)
		return;
	if (now > l->last_proof)
		l->last_proof = now;
	l->suspect = 0;
}

/* Fail l now (event FAILED). */
static void
gossip_fail(struct gossip_entry *l, int64_t now, struct gossip_out *out)
{
	l->status = GOSSIP_FAILED;
	l->failed_hb = l->heartbeat;
	l->suspect = 0;
	gossip_event(out, GOSSIP_EV_FAILED, l, -1, now);
}

/* Put a probe of suspect l in the outbox. */
static void
gossip_probe(struct gossip_entry *l, int64_t now, struct gossip_out *out)
{
	if (out->nprobe < GOSSIP_MAX_NODES) {
		out->probe[out->nprobe].to = l->id;
		out->probe[out->nprobe].tag = l->probe_tag;
		out->nprobe++;
	}
	l->probe_at = now;
}

int
gossip_unreachable(
    struct gossip *g, int id, int64_t now, struct gossip_out *out)
{
	struct gossip_entry *l = gossip_find(g, id);

	if (l == NULL || id == g->conf.self || !l->known ||
	    l->status != GOSSIP_ALIVE || l->suspect ||
	    now - l->last_proof < g->conf.interval)
		return 0;
	l->suspect = 1;
	do
		l->probe_tag = gossip_random(g);
	while (l->probe_tag == 0);
	l->probe_deadline = now + GOSSIP_PROBE_WAIT * g->conf.interval;
	gossip_probe(l, now, out);
	return 1;
}

int
gossip_probe_refused(
    struct gossip *g, int id, uint64_t tag, int64_t now, struct gossip_out *out)
{
	struct gossip_entry *l = gossip_find(g, id);

	if (l == NULL || id == g->conf.self || l->status != GOSSIP_ALIVE ||
	    !l->suspect || l->probe_tag != tag)
		return 0;
	gossip_fail(l, now, out);
	return 1;
}

int
gossip_suspect(const struct gossip *g, int id)
{
	const struct gossip_entry *l = gossip_find_const(g, id);

	return l != NULL && l->status == GOSSIP_ALIVE && l->suspect;
}

int
gossip_handle(struct gossip *g, int from, const struct proto_gossip *m,
    int64_t now, struct gossip_out *out)
{
	const struct proto_gossip_entry *r;
	struct gossip_entry *l;
	int i, unknown = 0;

	gossip_heard(g, from, now);
	for (i = 0; i < m->n; i++) {
		r = &m->e[i];
		if (r->id == g->conf.self)
			continue;
		if ((l = gossip_find(g, r->id)) == NULL) {
			unknown++;
			continue;
		}
		if (r->status != PROTO_GOSSIP_ALIVE)
			continue;
		if (!l->known) {
			gossip_take(l, r, now);
			gossip_event(out, GOSSIP_EV_JOINED, l, from, now);
		} else if (r->incarnation > l->incarnation) {
			gossip_take(l, r, now);
			gossip_event(out, GOSSIP_EV_REJOINED, l, from, now);
		} else if (r->incarnation < l->incarnation) {
			continue;
		} else if (l->status == GOSSIP_ALIVE) {
			if (r->heartbeat <= l->heartbeat)
				continue;
			l->heartbeat = r->heartbeat;
			l->last_heard = now;
			gossip_event(out, GOSSIP_EV_UPDATED, l, from, now);
		} else if (from == r->id && r->heartbeat > l->failed_hb) {
			gossip_take(l, r, now);
			gossip_event(out, GOSSIP_EV_REVIVED, l, from, now);
		}
	}
	return unknown;
}

/* Fill out->msg with every entry not REMOVED. */
static void
gossip_snapshot(const struct gossip *g, struct proto_gossip *m)
{
	const struct gossip_entry *l;
	struct proto_gossip_entry *r;
	int i;

	m->n = 0;
	for (i = 0; i < g->conf.nmembers; i++) {
		l = &g->e[i];
		if (!l->known || l->status == GOSSIP_REMOVED)
			continue;
		r = &m->e[m->n++];
		r->id = (uint16_t)l->id;
		r->status = (uint8_t)l->status;
		r->incarnation = l->incarnation;
		r->heartbeat = l->heartbeat;
	}
}

/* Choose up to fanout distinct members other than self. */
static void
gossip_choose(struct gossip *g, struct gossip_out *out)
{
	int pool[GOSSIP_MAX_NODES], n = 0, i, j, t;

	for (i = 0; i < g->conf.nmembers; i++) {
		if (i != g->self)
			pool[n++] = g->e[i].id;
	}
	out->nto = 0;
	for (i = 0; i < n && i < g->conf.fanout; i++) {
		j = i + (int)(gossip_random(g) % (uint64_t)(n - i));
		t = pool[i];
		pool[i] = pool[j];
		pool[j] = t;
		out->to[out->nto++] = pool[i];
	}
}

void
gossip_tick(struct gossip *g, int64_t now, struct gossip_out *out)
{
	struct gossip_entry *l;
	int i;

	for (i = 0; i < g->conf.nmembers; i++) {
		l = &g->e[i];
		if (i == g->self || !l->known)
			continue;
		if (l->status == GOSSIP_ALIVE &&
		    (now - l->last_heard >= g->conf.failure_timeout ||
			(l->suspect && now >= l->probe_deadline)))
			gossip_fail(l, now, out);
		else if (l->status == GOSSIP_ALIVE && l->suspect &&
		    now - l->probe_at >= g->conf.interval)
			gossip_probe(l, now, out);
		if (l->status == GOSSIP_FAILED &&
		    now - l->last_heard >= g->conf.cleanup_timeout) {
			l->status = GOSSIP_REMOVED;
			gossip_event(out, GOSSIP_EV_REMOVED, l, -1, now);
		}
	}
	if (now >= g->next_send) {
		l = &g->e[g->self];
		l->heartbeat++;
		l->last_heard = now;
		gossip_snapshot(g, &out->msg);
		gossip_choose(g, out);
		g->next_send = now + g->conf.interval;
	}
}

int64_t
gossip_next_timeout(const struct gossip *g)
{
	const struct gossip_entry *l;
	int64_t t = g->next_send, d;
	int i;

	for (i = 0; i < g->conf.nmembers; i++) {
		l = &g->e[i];
		if (i == g->self || !l->known)
			continue;
		if (l->status == GOSSIP_ALIVE) {
			d = l->last_heard + g->conf.failure_timeout;
			if (l->suspect && l->probe_deadline < d)
				d = l->probe_deadline;
			if (l->suspect && l->probe_at + g->conf.interval < d)
				d = l->probe_at + g->conf.interval;
		} else if (l->status == GOSSIP_FAILED)
			d = l->last_heard + g->conf.cleanup_timeout;
		else
			continue;
		if (d < t)
			t = d;
	}
	return t;
}

int
gossip_alive(const struct gossip *g, int id)
{
	const struct gossip_entry *l = gossip_find_const(g, id);

	return l != NULL && l->known && l->status == GOSSIP_ALIVE;
}

int
gossip_get(const struct gossip *g, int id, struct gossip_info *info)
{
	const struct gossip_entry *l = gossip_find_const(g, id);

	if (l == NULL || !l->known || l->status == GOSSIP_REMOVED)
		return -1;
	info->id = l->id;
	info->heartbeat = l->heartbeat;
	info->incarnation = l->incarnation;
	info->status = l->status;
	info->last_heard = l->last_heard;
	return 0;
}

int
gossip_alive_set(const struct gossip *g, int *ids, int max)
{
	int n = 0, i, j, t;

	for (i = 0; i < g->conf.nmembers && n < max; i++) {
		if (g->e[i].known && g->e[i].status == GOSSIP_ALIVE)
			ids[n++] = g->e[i].id;
	}
	/* Insertion sort: members need not be configured in order. */
	for (i = 1; i < n; i++) {
		t = ids[i];
		for (j = i; j > 0 && ids[j - 1] > t; j--)
			ids[j] = ids[j - 1];
		ids[j] = t;
	}
	return n;
}
