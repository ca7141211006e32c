/*
 * work.c: the leader and follower sides of the work protocol (work.h,
 * docs/WORK.md).
 *
 * Links: the side that needs something connects and the answers come back
 * on the same link. A leader connects to each follower it gives work to
 * (WORK, RESULT_ACK, LAST_WORK_QUERY out; RESULT, LAST_WORK_REPLY back);
 * a gateway connects to the leader (WORK, RESULT_ACK out; RESULT back).
 * An accepted link is identified by the sender id of its first good frame;
 * a frame from an unknown id, from a role that may not send it, from an
 * older incarnation of its sender, or with a sequence number that does not
 * rise on its link is dropped and counted.
 *
 * Leader table (ljobs): one entry per request id.
 *	QUEUED	waiting for a follower (or for last work to be collected)
 *	RUNNING	sent to `follower`; work payload kept for reassignment
 *	DONE	result held until the gateway acknowledges it, then the
 *		leader acknowledges it to the follower and forgets it
 * Follower table (fjobs): RUNNING while the runner has it, DONE with its
 * result until the leader acknowledges it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "idtab.h"
#include "link.h"
#include "log.h"
#include "net.h"
#include "proto.h"
#include "wire.h"
#include "work.h"
#include "xmalloc.h"

#define WORK_TICK_MS 100
/* A follower whose link just failed is skipped this long. */
#define WORK_RETRY_MS 500
/* Unacknowledged results are kept at most this long. */
#define WORK_HOLD_MS (5 * 60 * 1000)
/* A job a follower refuses (runner full or absent) is tried this often. */
#define WORK_MAX_TRIES 3
/* Request ids acknowledged lately, to drop late duplicate results. */
#define WORK_ACKED_RING 4096

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

static const char *work_drop_names[WORK_DROP_COUNT] = {"unknown_sender",
    "wrong_role", "replay", "bad_payload", "not_leader", "stale", "bad_frame"};

struct work;

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
	uint64_t last_seq;
	TAILQ_ENTRY(work_conn) entry;
};

struct work_peer {
	const struct conf_node *node;
	struct work_conn *out; /* we connected (leader) */
	struct work_conn *in; /* latest it connected */
	uint64_t incarnation; /* highest seen */
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

	/* Follower side. */
	struct work_table fjobs;
	int running;

	/* Counters. */
	uint64_t drops[WORK_DROP_COUNT];
	uint64_t received;
	uint64_t dispatched;
	uint64_t reassigned;
	uint64_t not_ready; /* follower: WORK sent back, runner starting */
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

static void work_conn_msg(struct link *, const struct wire_msg *, void *);
static void work_conn_closed(struct link *, enum wire_err, void *);
static void work_leader_dispatch(struct work *);

/* ---- tables -------------------------------------------------------- */

static void
work_table_init(struct work_table *t)
{
	idtab_init(&t->ids);
	TAILQ_INIT(&t->all);
	t->n = 0;
}

static struct work_job *
work_table_find(struct work_table *t, uint64_t id)
{
	return idtab_find(&t->ids, id);
}

static struct work_job *
work_table_add(struct work *w, struct work_table *t, uint64_t id)
{
	struct work_job *j;

	j = xcalloc(1, sizeof *j);
	j->w = w;
	j->id = id;
	j->origin = j->follower = j->result_from = -1;
	j->since = ev_now(w->ev);
	buf_init(&j->work);
	buf_init(&j->result);
	j->hentry.id = id;
	j->hentry.data = j;
	idtab_add(&t->ids, &j->hentry);
	TAILQ_INSERT_TAIL(&t->all, j, entry);
	t->n++;
	return j;
}

static void
work_table_remove(struct work_table *t, struct work_job *j)
{
	idtab_remove(&t->ids, &j->hentry);
	TAILQ_REMOVE(&t->all, j, entry);
	t->n--;
	buf_free(&j->work);
	buf_free(&j->result);
	free(j);
}

/* ---- peers and links ----------------------------------------------- */

static struct work_peer *
work_peer(struct work *w, int id)
{
	int i;

	for (i = 0; i < w->conf->nnodes; i++) {
		if (w->conf->nodes[i].id == id)
			return &w->peers[i];
	}
	return NULL;
}

/* Does gossip count peer p alive (as the cluster last told)? */
static int
work_alive(const struct work *w, const struct work_peer *p)
{
	return (w->alive >> (p - w->peers) & 1) != 0;
}

static void
work_send(struct work *w, struct work_conn *c, int type, uint64_t reqid,
    const void *p, size_t len)
{
	struct wire_hdr h;

	wire_sender_hdr(&w->tx, &h, type, w->cluster_epoch, reqid);
	link_send(c->link, &h, p, len);
}

static struct work_conn *
work_conn_new(struct work *w, int peer, int outgoing)
{
	struct work_conn *c;

	c = xcalloc(1, sizeof *c);
	c->w = w;
	c->peer = peer;
	c->outgoing = outgoing;
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	return c;
}

/* Forget a connection whose link is gone or going. */
static void
work_conn_forget(struct work *w, struct work_conn *c)
{
	struct work_peer *p;

	if (c->peer != -1 && (p = work_peer(w, c->peer)) != NULL) {
		if (p->out == c)
			p->out = NULL;
		if (p->in == c)
			p->in = NULL;
	}
	TAILQ_REMOVE(&w->conns, c, entry);
	free(c);
}

/* Close a connection now (no close callback). */
static void
work_conn_close(struct work *w, struct work_conn *c)
{
	link_free(c->link);
	work_conn_forget(w, c);
}

/* The leader's link to follower p, connecting if needed; NULL if not. */
static struct work_conn *
work_peer_out(struct work *w, struct work_peer *p)
{
	struct sockaddr_in a;
	struct work_conn *c;

	if (p->out != NULL)
		return p->out;
	a = net_addr_offset(&p->node->addr, CONF_TCP_OFFSET);
	c = work_conn_new(w, p->node->id, 1);
	c->link =
	    link_connect(w->ev, &a, w->key, work_conn_msg, work_conn_closed, c);
	if (c->link == NULL) {
		work_conn_forget(w, c);
		p->retry_at = ev_now(w->ev) + WORK_RETRY_MS;
		return NULL;
	}
	p->out = c;
	return c;
}

void
work_accept(struct work *w, int fd)
{
	struct work_conn *c;

	c = work_conn_new(w, -1, 0);
	c->link =
	    link_accept(w->ev, fd, w->key, work_conn_msg, work_conn_closed, c);
	if (c->link == NULL)
		work_conn_forget(w, c);
}

/* ---- leader side --------------------------------------------------- */

static void
work_leader_enqueue(struct work *w, struct work_job *j)
{
	j->state = WORK_QUEUED;
	j->follower = -1;
	j->since = ev_now(w->ev);
	if (!j->queued) {
		TAILQ_INSERT_TAIL(&w->queue, j, qentry);
		j->queued = 1;
	}
}

static void
work_leader_unqueue(struct work *w, struct work_job *j)
{
	if (j->queued) {
		TAILQ_REMOVE(&w->queue, j, qentry);
		j->queued = 0;
	}
}

static void
work_leader_forget(struct work *w, struct work_job *j)
{
	work_leader_unqueue(w, j);
	work_table_remove(&w->ljobs, j);
}

/* Drop every piece of leader state: links to followers, the table. */
static void
work_leader_reset(struct work *w)
{
	struct work_job *j;
	int i;

	while ((j = TAILQ_FIRST(&w->ljobs.all)) != NULL)
		work_leader_forget(w, j);
	for (i = 0; i < w->conf->nnodes; i++) {
		if (w->peers[i].out != NULL)
			work_conn_close(w, w->peers[i].out);
		/*
		 * A gateway whose link closes resends what it has in flight
		 * (to this node again if it leads a new term).
		 */
		if (w->leading && w->peers[i].in != NULL &&
		    w->peers[i].node->role == CONF_GATEWAY)
			work_conn_close(w, w->peers[i].in);
		w->peers[i].querying = 0;
		w->peers[i].retry_at = 0;
	}
	w->collecting = 0;
	w->leading = 0;
}

/* Can follower p take work now? */
static int
work_leader_usable(struct work *w, struct work_peer *p)
{
	if (p->node->role != CONF_PEER || p->node->id == w->self->id)
		return 0;
	if (ev_now(w->ev) < p->retry_at)
		return 0;
	return work_alive(w, p);
}

/* Next follower in round-robin order, or NULL if none can take work. */
static struct work_peer *
work_leader_next(struct work *w)
{
	struct work_peer *p;
	int i, n = w->conf->nnodes;

	for (i = 0; i < n; i++) {
		w->rr = (w->rr + 1) % n;
		p = &w->peers[w->rr];
		if (work_leader_usable(w, p))
			return p;
	}
	return NULL;
}

/* Hand the queued jobs out, round robin over the usable followers. */
static void
work_leader_dispatch(struct work *w)
{
	struct work_job *j;
	struct work_peer *p;
	struct work_conn *c;

	if (!w->leading || w->collecting)
		return;
	while ((j = TAILQ_FIRST(&w->queue)) != NULL) {
		if ((p = work_leader_next(w)) == NULL)
			return; /* the tick tries again */
		if ((c = work_peer_out(w, p)) == NULL)
			continue;
		work_leader_unqueue(w, j);
		j->state = WORK_RUNNING;
		j->follower = p->node->id;
		j->since = ev_now(w->ev);
		p->dispatched++;
		w->dispatched++;
		log_info("job %llx to follower [%d]", (unsigned long long)j->id,
		    p->node->id);
		work_send(w, c, PROTO_WORK, j->id, buf_data(&j->work),
		    buf_len(&j->work));
	}
}

/* Send a held result to the gateway that asked, if it is connected. */
static void
work_leader_deliver(struct work *w, struct work_job *j)
{
	struct work_peer *g;

	if (j->origin == -1 || (g = work_peer(w, j->origin)) == NULL ||
	    g->in == NULL)
		return;
	work_send(w, g->in, PROTO_RESULT, j->id, buf_data(&j->result),
	    buf_len(&j->result));
}

/* Follower id is gone (link or gossip): give its running work to others. */
static void
work_leader_lost(struct work *w, int id)
{
	struct work_job *j, *next;

	for (j = TAILQ_FIRST(&w->ljobs.all); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (j->state != WORK_RUNNING || j->follower != id)
			continue;
		if (buf_len(&j->work) == 0) {
			/*
			 * Learnt from LAST_WORK_REPLY and not asked for yet:
			 * the gateway's resend will bring the source.
			 */
			work_leader_forget(w, j);
			continue;
		}
		w->reassigned++;
		log_info("job %llx: follower [%d] lost, reassigning",
		    (unsigned long long)j->id, id);
		work_leader_enqueue(w, j);
	}
	work_leader_dispatch(w);
}

static int
work_leader_recently_acked(struct work *w, uint64_t id)
{
	int i;

	for (i = 0; i < WORK_ACKED_RING; i++) {
		if (w->acked[i] == id)
			return 1;
	}
	return 0;
}

/* WORK from a gateway. */
static void
work_leader_on_work(
    struct work *w, struct work_conn *c, const struct wire_msg *m)
{
	struct proto_work pw;
	struct work_job *j;

	if (proto_work_decode(m->payload, m->plen, &pw) == -1) {
		w->drops[WORK_DROP_PAYLOAD]++;
		log_warn("dropped WORK %llx from [%d]: bad payload",
		    (unsigned long long)m->h.reqid, m->h.sender);
		return;
	}
	if ((j = work_table_find(&w->ljobs, m->h.reqid)) == NULL) {
		j = work_table_add(w, &w->ljobs, m->h.reqid);
		j->origin = m->h.sender;
		buf_add(&j->work, m->payload, m->plen);
		work_leader_enqueue(w, j);
		log_debug("job %llx from gateway [%d], %zu bytes of source",
		    (unsigned long long)j->id, m->h.sender, pw.source_len);
		work_leader_dispatch(w);
		return;
	}
	/* A retried id: never run twice. */
	j->origin = m->h.sender;
	if (buf_len(&j->work) == 0)
		buf_add(&j->work, m->payload, m->plen);
	if (j->state == WORK_DONE) {
		w->answered_held++;
		log_info("job %llx: retried, answered from the held result",
		    (unsigned long long)j->id);
		work_leader_deliver(w, j);
	} else {
		w->attached++;
		log_info("job %llx: retried while in flight, attached",
		    (unsigned long long)j->id);
	}
	(void)c;
}

/*
 * The follower `from` holds a result: acknowledge it so that it forgets it
 * (this node's own follower table when from is this node).
 */
static void
work_leader_ack_follower(struct work *w, int from, uint64_t id)
{
	struct work_peer *p;
	struct work_job *fj;

	if (from == w->self->id) {
		if ((fj = work_table_find(&w->fjobs, id)) != NULL &&
		    fj->state == WORK_DONE)
			work_table_remove(&w->fjobs, fj);
	} else if ((p = work_peer(w, from)) != NULL && p->out != NULL)
		work_send(w, p->out, PROTO_RESULT_ACK, id, NULL, 0);
}

/*
 * Follower `from` sent job j back, its runner still starting: skip it a
 * while and give the job to another, without counting a try. Nothing is
 * stored or acknowledged (the follower kept nothing).
 */
static void
work_leader_not_ready(struct work *w, int from, struct work_job *j)
{
	struct work_peer *p;

	if ((p = work_peer(w, from)) != NULL)
		p->retry_at = ev_now(w->ev) + WORK_RETRY_MS;
	if (j == NULL || j->state != WORK_RUNNING || j->follower != from ||
	    buf_len(&j->work) == 0)
		return;
	log_info("job %llx: follower [%d] not ready yet, trying another",
	    (unsigned long long)j->id, from);
	w->reassigned++;
	work_leader_enqueue(w, j);
	work_leader_dispatch(w);
}

/*
 * A RESULT payload for id from follower `from` (which may be this node, for
 * a job it ran as a follower before it took office).
 */
static void
work_leader_take_result(
    struct work *w, int from, uint64_t id, const uint8_t *payload, size_t plen)
{
	struct proto_result pr;
	struct work_job *j;

	if (proto_result_decode(payload, plen, &pr) == -1) {
		w->drops[WORK_DROP_PAYLOAD]++;
		log_warn("dropped RESULT %llx from [%d]: bad payload",
		    (unsigned long long)id, from);
		return;
	}
	w->leader_results++;
	j = work_table_find(&w->ljobs, id);
	if (pr.status == PROTO_RESULT_NOT_READY) {
		work_leader_not_ready(w, from, j);
		return;
	}
	if (j == NULL && work_leader_recently_acked(w, id)) {
		/* Already delivered and acknowledged: a late duplicate. */
		w->duplicates++;
		work_leader_ack_follower(w, from, id);
		return;
	}
	if (j == NULL) {
		/* Finished under an old leader: hold it for the retry. */
		j = work_table_add(w, &w->ljobs, id);
		w->collected_done++;
	} else if (j->state == WORK_DONE) {
		w->duplicates++;
		if (j->result_from != from)
			work_leader_ack_follower(w, from, id);
		return;
	}
	if (pr.status == PROTO_RESULT_REJECTED && buf_len(&j->work) > 0 &&
	    ++j->tries < WORK_MAX_TRIES) {
		/* Refused, not failed: another follower may take it. */
		work_leader_ack_follower(w, from, id);
		log_info("job %llx: refused by follower [%d], trying another",
		    (unsigned long long)id, from);
		w->reassigned++;
		work_leader_enqueue(w, j);
		work_leader_dispatch(w);
		return;
	}
	work_leader_unqueue(w, j);
	j->state = WORK_DONE;
	j->since = ev_now(w->ev);
	j->result_from = from;
	buf_reset(&j->result);
	buf_add(&j->result, payload, plen);
	log_info("job %llx: %s from follower [%d]", (unsigned long long)j->id,
	    proto_result_status_name(pr.status), from);
	work_leader_deliver(w, j);
}

/* RESULT from a follower (on our link to it). */
static void
work_leader_on_result(struct work *w, const struct wire_msg *m)
{
	work_leader_take_result(
	    w, m->h.sender, m->h.reqid, m->payload, m->plen);
}

/* RESULT_ACK from a gateway: pass it on to the follower and forget. */
static void
work_leader_on_ack(struct work *w, const struct wire_msg *m)
{
	struct work_job *j;

	if ((j = work_table_find(&w->ljobs, m->h.reqid)) == NULL ||
	    j->state != WORK_DONE)
		return;
	work_leader_ack_follower(w, j->result_from, j->id);
	w->acked[w->acked_pos] = j->id;
	w->acked_pos = (w->acked_pos + 1) % WORK_ACKED_RING;
	work_leader_forget(w, j);
}

/* Last work collected from every follower (or given up on): start. */
static void
work_leader_collect_check(struct work *w)
{
	int i;

	if (!w->collecting)
		return;
	for (i = 0; i < w->conf->nnodes; i++) {
		if (w->peers[i].querying && ev_now(w->ev) < w->collect_until)
			return;
	}
	for (i = 0; i < w->conf->nnodes; i++) {
		if (w->peers[i].querying)
			log_warn("no last work from [%d], going on without",
			    w->peers[i].node->id);
		w->peers[i].querying = 0;
	}
	w->collecting = 0;
	log_info("last work collected: %d jobs known", w->ljobs.n);
	work_leader_dispatch(w);
}

/* LAST_WORK_REPLY from a follower. */
static void
work_leader_on_last_work(struct work *w, const struct wire_msg *m)
{
	struct proto_last_work lw;
	struct work_peer *p;
	struct work_job *j;
	uint64_t id;
	uint32_t i;

	if (proto_last_work_decode(m->payload, m->plen, &lw) == -1) {
		w->drops[WORK_DROP_PAYLOAD]++;
		log_warn("dropped LAST_WORK_REPLY from [%d]: bad payload",
		    m->h.sender);
		return;
	}
	log_info("last work from [%d]: %u running, %u finished", m->h.sender,
	    lw.nrunning, lw.ndone);
	for (i = 0; i < lw.nrunning; i++) {
		id = proto_last_work_id(lw.running, i);
		if ((j = work_table_find(&w->ljobs, id)) == NULL)
			j = work_table_add(w, &w->ljobs, id);
		else if (j->state != WORK_QUEUED)
			continue;
		work_leader_unqueue(w, j);
		j->state = WORK_RUNNING;
		j->follower = m->h.sender;
		j->since = ev_now(w->ev);
		w->collected_running++;
	}
	if ((p = work_peer(w, m->h.sender)) != NULL)
		p->querying = 0;
	work_leader_collect_check(w);
}

/* This node takes office: ask every follower for its last work first. */
static void
work_leader_start(struct work *w, uint64_t epoch)
{
	struct work_job *j, *fj;
	struct work_peer *p;
	struct work_conn *c;
	int i;

	work_leader_reset(w);
	w->leading = 1;
	w->epoch = epoch;
	w->terms++;
	w->collecting = 1;
	w->collect_until = ev_now(w->ev) + w->conf->failure_timeout;
	log_event("NEW_LEADER_GETTING_LAST_WORK (epoch %llu)",
	    (unsigned long long)epoch);
	/* What this node ran as a follower counts as collected already. */
	TAILQ_FOREACH(fj, &w->fjobs.all, entry)
	{
		if (fj->state == WORK_DONE) {
			work_leader_take_result(w, w->self->id, fj->id,
			    buf_data(&fj->result), buf_len(&fj->result));
			continue;
		}
		j = work_table_add(w, &w->ljobs, fj->id);
		j->state = WORK_RUNNING;
		j->follower = w->self->id;
		w->collected_running++;
	}
	for (i = 0; i < w->conf->nnodes; i++) {
		p = &w->peers[i];
		if (p->node->role != CONF_PEER || p->node->id == w->self->id ||
		    !work_alive(w, p))
			continue;
		if ((c = work_peer_out(w, p)) == NULL)
			continue;
		p->querying = 1;
		work_send(w, c, PROTO_LAST_WORK_QUERY, 0, NULL, 0);
	}
	work_leader_collect_check(w);
}

/* ---- follower side ------------------------------------------------- */

/* Where this follower sends results: the current leader's link. */
static struct work_conn *
work_follower_uplink(struct work *w, const struct work_job *j)
{
	struct work_peer *p;
	if (w->leader != -1 && (p = work_peer(w, w->leader)) != NULL &&
	    p->in != NULL)
		return p->in;
	if (j->origin != -1 && (p = work_peer(w, j->origin)) != NULL &&
	    p->in != NULL)
		return p->in;
	return NULL;
}

void
work_job_done(struct work_job *j, const struct proto_result *r)
{
	struct work *w = j->w;
	struct proto_result copy = *r;
	struct work_conn *c;

	copy.node = (uint16_t)w->self->id;
	j->state = WORK_DONE;
	j->since = ev_now(w->ev);
	j->handle = 0;
	w->running--;
	w->jobs_done++;
	buf_reset(&j->result);
	proto_result_encode(&j->result, &copy);
	log_info("job %llx done: %s (compile %u ms, run %u ms)",
	    (unsigned long long)j->id, proto_result_status_name(r->status),
	    r->compile_ms, r->run_ms);
	if (w->leading) {
		/* Started as a follower before this node took office. */
		work_leader_take_result(w, w->self->id, j->id,
		    buf_data(&j->result), buf_len(&j->result));
		return;
	}
	if ((c = work_follower_uplink(w, j)) != NULL)
		work_send(w, c, PROTO_RESULT, j->id, buf_data(&j->result),
		    buf_len(&j->result));
}

/*
 * WORK while the runner is still starting: tell the leader at once and keep
 * nothing (it gives the job to another follower; a new leader asking for
 * last work hears nothing of it, the gateway's resend brings it back).
 */
static void
work_follower_not_ready(
    struct work *w, struct work_conn *c, uint64_t id, int leader)
{
	static const char why[] = "the runner is still starting\n";
	struct proto_result r;
	struct buf b;

	memset(&r, 0, sizeof r);
	r.status = PROTO_RESULT_NOT_READY;
	r.node = (uint16_t)w->self->id;
	r.body = (const uint8_t *)why;
	r.body_len = sizeof why - 1;
	buf_init(&b);
	proto_result_encode(&b, &r);
	w->not_ready++;
	log_info("job %llx sent back to leader [%d]: runner not ready",
	    (unsigned long long)id, leader);
	work_send(w, c, PROTO_RESULT, id, buf_data(&b), buf_len(&b));
	buf_free(&b);
}

/* WORK from a leader. */
static void
work_follower_on_work(
    struct work *w, struct work_conn *c, const struct wire_msg *m)
{
	struct proto_work pw;
	struct proto_result rej;
	struct work_job *j;
	static const char nojobs[] = "this node runs no jobs\n";

	if (proto_work_decode(m->payload, m->plen, &pw) == -1) {
		w->drops[WORK_DROP_PAYLOAD]++;
		log_warn("dropped WORK %llx from [%d]: bad payload",
		    (unsigned long long)m->h.reqid, m->h.sender);
		return;
	}
	if ((j = work_table_find(&w->fjobs, m->h.reqid)) != NULL) {
		j->origin = m->h.sender;
		if (j->state == WORK_DONE) {
			w->results_resent++;
			work_send(w, c, PROTO_RESULT, j->id,
			    buf_data(&j->result), buf_len(&j->result));
		}
		return;
	}
	if (w->hooks.run != NULL && w->hooks.ready != NULL &&
	    !w->hooks.ready(w->hooks.arg)) {
		work_follower_not_ready(w, c, m->h.reqid, m->h.sender);
		return;
	}
	j = work_table_add(w, &w->fjobs, m->h.reqid);
	j->origin = m->h.sender;
	j->state = WORK_RUNNING;
	w->running++;
	log_info("job %llx from leader [%d]", (unsigned long long)j->id,
	    m->h.sender);
	if (w->hooks.run == NULL) {
		memset(&rej, 0, sizeof rej);
		rej.status = PROTO_RESULT_REJECTED;
		rej.body = (const uint8_t *)nojobs;
		rej.body_len = sizeof nojobs - 1;
		work_job_done(j, &rej);
		return;
	}
	j->handle = w->hooks.run(w->hooks.arg, &pw, j);
	if (j->state != WORK_RUNNING)
		j->handle = 0; /* finished inside run */
}

/* LAST_WORK_QUERY from a new leader: results first, then the list. */
static void
work_follower_on_query(
    struct work *w, struct work_conn *c, const struct wire_msg *m)
{
	struct work_job *j;
	uint64_t *running, *done;
	uint32_t nr = 0, nd = 0;
	struct buf b;

	running = xreallocarray(NULL, (size_t)w->fjobs.n + 1, sizeof *running);
	done = xreallocarray(NULL, (size_t)w->fjobs.n + 1, sizeof *done);
	TAILQ_FOREACH(j, &w->fjobs.all, entry)
	{
		j->origin = m->h.sender;
		if (j->state == WORK_DONE) {
			work_send(w, c, PROTO_RESULT, j->id,
			    buf_data(&j->result), buf_len(&j->result));
			done[nd++] = j->id;
		} else
			running[nr++] = j->id;
	}
	buf_init(&b);
	proto_last_work_encode(&b, running, nr, done, nd);
	work_send(w, c, PROTO_LAST_WORK_REPLY, 0, buf_data(&b), buf_len(&b));
	log_info("new leader [%d] asked for last work: %u running, %u "
		 "finished",
	    m->h.sender, nr, nd);
	buf_free(&b);
	free(running);
	free(done);
}

/* RESULT_ACK from a leader: the result is safe, forget it. */
static void
work_follower_on_ack(struct work *w, const struct wire_msg *m)
{
	struct work_job *j;

	if ((j = work_table_find(&w->fjobs, m->h.reqid)) != NULL &&
	    j->state == WORK_DONE)
		work_table_remove(&w->fjobs, j);
}

/* ---- dispatch ------------------------------------------------------ */

/*
 * Check a frame's sender against the link and the message type; returns
 * the sender's peer entry, or NULL (counted) to drop the frame.
 */
static struct work_peer *
work_check(struct work *w, struct work_conn *c, const struct wire_msg *m)
{
	struct work_peer *p;
	int from_gateway, ok;

	if ((p = work_peer(w, m->h.sender)) == NULL ||
	    m->h.sender == w->self->id) {
		w->drops[WORK_DROP_UNKNOWN]++;
		return NULL;
	}
	if (c->peer != -1 && c->peer != m->h.sender) {
		w->drops[WORK_DROP_ROLE]++;
		return NULL;
	}
	if (m->h.incarnation < p->incarnation ||
	    (c->last_seq != 0 && m->h.seq <= c->last_seq)) {
		w->drops[WORK_DROP_REPLAY]++;
		return NULL;
	}
	from_gateway = p->node->role == CONF_GATEWAY;
	switch (m->h.type) {
	case PROTO_WORK:
	case PROTO_RESULT_ACK:
		/* Gateway->leader or leader->follower, on accepted links. */
		ok = !c->outgoing &&
		    (from_gateway || w->self->role == CONF_PEER);
		break;
	case PROTO_LAST_WORK_QUERY:
		ok =
		    !c->outgoing && !from_gateway && w->self->role == CONF_PEER;
		break;
	case PROTO_RESULT:
	case PROTO_LAST_WORK_REPLY:
		/* Answers on links this node opened to a follower. */
		ok = c->outgoing && !from_gateway;
		break;
	default:
		ok = 0;
	}
	if (!ok) {
		w->drops[WORK_DROP_ROLE]++;
		return NULL;
	}
	return p;
}

static void
work_conn_msg(struct link *l, const struct wire_msg *m, void *arg)
{
	struct work_conn *c = arg;
	struct work *w = c->w;
	struct work_peer *p;

	(void)l;
	if ((p = work_check(w, c, m)) == NULL) {
		log_debug("dropped %s %llx from [%d] on the work port",
		    proto_type_name(m->h.type), (unsigned long long)m->h.reqid,
		    m->h.sender);
		return;
	}
	w->received++;
	c->last_seq = m->h.seq;
	p->incarnation = m->h.incarnation;
	if (c->peer == -1) {
		c->peer = m->h.sender;
		if (p->in != NULL && p->in != c)
			work_conn_close(w, p->in); /* superseded */
		p->in = c;
	}
	log_debug("received %s %llx from [%d] epoch %llu, %zu bytes",
	    proto_type_name(m->h.type), (unsigned long long)m->h.reqid,
	    m->h.sender, (unsigned long long)m->h.epoch, m->plen);

	switch (m->h.type) {
	case PROTO_WORK:
		if (p->node->role == CONF_PEER) {
			work_follower_on_work(w, c, m);
			break;
		}
		if (!w->leading) {
			/* The gateway's view is stale: make it look again. */
			w->drops[WORK_DROP_NOT_LEADER]++;
			log_info("WORK %llx from gateway [%d] but not leading",
			    (unsigned long long)m->h.reqid, m->h.sender);
			work_conn_close(w, c);
			break;
		}
		work_leader_on_work(w, c, m);
		break;
	case PROTO_RESULT_ACK:
		if (p->node->role == CONF_PEER)
			work_follower_on_ack(w, m);
		else if (w->leading)
			work_leader_on_ack(w, m);
		break;
	case PROTO_LAST_WORK_QUERY:
		work_follower_on_query(w, c, m);
		break;
	case PROTO_RESULT:
		if (!w->leading) {
			w->drops[WORK_DROP_STALE]++;
			break;
		}
		work_leader_on_result(w, m);
		break;
	case PROTO_LAST_WORK_REPLY:
		if (!w->leading) {
			w->drops[WORK_DROP_STALE]++;
			break;
		}
		work_leader_on_last_work(w, m);
		break;
	}
}

static void
work_conn_closed(struct link *l, enum wire_err err, void *arg)
{
	struct work_conn *c = arg;
	struct work *w = c->w;
	struct work_peer *p;
	int peer = c->peer, outgoing = c->outgoing;

	(void)l;
	if (err != WIRE_OK) {
		w->drops[WORK_DROP_FRAME]++;
		log_warn("work link with [%d] closed: bad frame (%s)", peer,
		    wire_err_name(err));
	}
	work_conn_forget(w, c);
	if (!outgoing || peer == -1 || !w->leading)
		return;
	/* Our link to a follower failed: it may be dead. */
	if ((p = work_peer(w, peer)) != NULL) {
		p->retry_at = ev_now(w->ev) + WORK_RETRY_MS;
		if (p->querying) {
			p->querying = 0;
			log_info("no last work from [%d]: link closed", peer);
		}
	}
	work_leader_lost(w, peer);
	work_leader_collect_check(w);
}

/* ---- timers, notifications, lifecycle ------------------------------ */

static int64_t
work_tick(struct ev *ev, void *arg)
{
	struct work *w = arg;
	struct work_job *j, *next;
	int64_t now = ev_now(ev);

	if (w->leading) {
		work_leader_collect_check(w);
		work_leader_dispatch(w);
		for (j = TAILQ_FIRST(&w->ljobs.all); j != NULL; j = next) {
			next = TAILQ_NEXT(j, entry);
			if (j->state == WORK_DONE &&
			    now - j->since > WORK_HOLD_MS) {
				w->expired++;
				work_leader_forget(w, j);
			}
		}
	}
	for (j = TAILQ_FIRST(&w->fjobs.all); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (j->state == WORK_DONE && now - j->since > WORK_HOLD_MS) {
			w->expired++;
			work_table_remove(&w->fjobs, j);
		}
	}
	return WORK_TICK_MS;
}

void
work_leader_changed(struct work *w, int leader, uint64_t epoch)
{
	w->leader = leader;
	w->cluster_epoch = epoch;
	if (leader == w->self->id) {
		if (!w->leading || epoch != w->epoch)
			work_leader_start(w, epoch);
		return;
	}
	if (w->leading) {
		log_info("no longer leading: dropping %d jobs in flight",
		    w->ljobs.n);
		work_leader_reset(w);
	}
}

void
work_set_alive(struct work *w, uint64_t alive)
{
	w->alive = alive;
}

void
work_node_down(struct work *w, int id)
{
	struct work_peer *p;

	if (!w->leading || (p = work_peer(w, id)) == NULL)
		return;
	if (p->out != NULL)
		work_conn_close(w, p->out);
	p->querying = 0;
	work_leader_lost(w, id);
	work_leader_collect_check(w);
}

void
work_node_up(struct work *w, int id)
{
	struct work_peer *p;

	if ((p = work_peer(w, id)) != NULL)
		p->retry_at = 0;
	work_leader_dispatch(w);
}

struct work *
work_new(struct ev *ev, const struct conf *conf, int self, uint64_t incarnation,
    const uint8_t *key, const struct work_hooks *hooks)
{
	struct work *w;
	int i;

	w = xcalloc(1, sizeof *w);
	w->ev = ev;
	w->conf = conf;
	w->self = conf_find_node(conf, self);
	if (w->self == NULL)
		fatalx("work: no node %d", self);
	wire_sender_init(&w->tx, self, incarnation);
	w->key = key;
	if (hooks != NULL)
		w->hooks = *hooks;
	w->leader = -1;
	w->peers = xcalloc((size_t)conf->nnodes, sizeof *w->peers);
	for (i = 0; i < conf->nnodes; i++)
		w->peers[i].node = &conf->nodes[i];
	TAILQ_INIT(&w->conns);
	work_table_init(&w->ljobs);
	work_table_init(&w->fjobs);
	TAILQ_INIT(&w->queue);
	w->tick = ev_add_timer(ev, WORK_TICK_MS, work_tick, w);
	return w;
}

void
work_free(struct work *w)
{
	struct work_conn *c;
	struct work_job *j;

	if (w == NULL)
		return;
	work_leader_reset(w);
	while ((j = TAILQ_FIRST(&w->fjobs.all)) != NULL) {
		if (j->state == WORK_RUNNING && j->handle != 0 &&
		    w->hooks.cancel != NULL)
			w->hooks.cancel(w->hooks.arg, j->handle);
		work_table_remove(&w->fjobs, j);
	}
	while ((c = TAILQ_FIRST(&w->conns)) != NULL)
		work_conn_close(w, c);
	ev_del_timer(w->ev, w->tick);
	free(w->peers);
	free(w);
}

uint64_t
work_jobs_done(const struct work *w)
{
	return w->jobs_done;
}

int
work_jobs_running(const struct work *w)
{
	return w->running;
}

int
work_leader_in_flight(const struct work *w)
{
	return w->leading ? w->ljobs.n : 0;
}

void
work_write_metrics(const struct work *w, struct buf *b)
{
	int i;

	buf_metric(b, "gauge", "jdp_work_leading", w->leading);
	buf_metric(
	    b, "gauge", "jdp_work_leader_jobs", w->leading ? w->ljobs.n : 0);
	buf_metric(b, "gauge", "jdp_work_follower_running", w->running);
	buf_metric(
	    b, "gauge", "jdp_work_follower_held", w->fjobs.n - w->running);
	buf_metric(b, "counter", "jdp_work_jobs_done_total", w->jobs_done);
	buf_metric(b, "counter", "jdp_work_frames_received_total", w->received);
	buf_metric(b, "counter", "jdp_work_dispatched_total", w->dispatched);
	buf_metric(b, "counter", "jdp_work_reassigned_total", w->reassigned);
	buf_metric(b, "counter", "jdp_work_not_ready_total", w->not_ready);
	buf_printf(b,
	    "# TYPE jdp_work_retries_total counter\n"
	    "jdp_work_retries_total{outcome=\"attached\"} %llu\n"
	    "jdp_work_retries_total{outcome=\"answered_held\"} %llu\n",
	    (unsigned long long)w->attached,
	    (unsigned long long)w->answered_held);
	buf_printf(b,
	    "# TYPE jdp_work_collected_total counter\n"
	    "jdp_work_collected_total{state=\"running\"} %llu\n"
	    "jdp_work_collected_total{state=\"done\"} %llu\n",
	    (unsigned long long)w->collected_running,
	    (unsigned long long)w->collected_done);
	buf_metric(
	    b, "counter", "jdp_work_duplicate_results_total", w->duplicates);
	buf_metric(b, "counter", "jdp_work_expired_total", w->expired);
	buf_metric(b, "counter", "jdp_work_terms_total", w->terms);
	buf_printf(b, "# TYPE jdp_work_dropped_total counter\n");
	for (i = 0; i < WORK_DROP_COUNT; i++)
		buf_printf(b, "jdp_work_dropped_total{reason=\"%s\"} %llu\n",
		    work_drop_names[i], (unsigned long long)w->drops[i]);
	buf_printf(b, "# TYPE jdp_work_follower_dispatched_total counter\n");
	for (i = 0; i < w->conf->nnodes; i++) {
		if (w->peers[i].node->role != CONF_PEER ||
		    w->peers[i].node->id == w->self->id)
			continue;
		buf_printf(b,
		    "jdp_work_follower_dispatched_total"
		    "{follower=\"%d\"} %llu\n",
		    w->peers[i].node->id,
		    (unsigned long long)w->peers[i].dispatched);
	}
}
