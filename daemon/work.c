/*
 * work.c: the work protocol's links and frames, the follower side and the
 * life cycle (work.h, docs/WORK.md); the leader side is work-leader.c.
 *
 * Links: the side that needs something connects and the answers come back
 * on the same link. A leader connects to each follower it gives work to
 * (WORK, RESULT_ACK, LAST_WORK_QUERY out; RESULT, LAST_WORK_REPLY back);
 * a gateway connects to the leader (WORK, RESULT_ACK out; RESULT back).
 * An accepted link is identified by the sender id of its first good frame;
 * a frame from an unknown id, from a role that may not send it, from an
 * older incarnation of its sender, or with a sequence number that does not
 * rise on its link is dropped and counted. On accepted links the sequence
 * number must also rise across all links of that sender's incarnation
 * (a sender stamps every frame from one counter), so a frame recorded on
 * one link and replayed on a new one is dropped as a replay.
 *
 * Until its first good frame an accepted link is unauthenticated: bounded
 * in number, in time and in frame size (work-int.h, WORK.md). A link a
 * node opens starts with an empty RESULT_ACK (request id 0, which names no
 * request), a small frame that authenticates it before any large WORK.
 *
 * Follower table (fjobs): RUNNING while the runner has it, DONE with its
 * result until the leader acknowledges it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
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
#include "work-int.h"
#include "work.h"
#include "xmalloc.h"

static const char *work_drop_names[WORK_DROP_COUNT] = {"unknown_sender",
    "wrong_role", "replay", "bad_payload", "not_leader", "stale", "bad_frame"};

static const char *work_unauth_names[WORK_UNAUTH_COUNT] = {
    "handshake_timeout", "evicted", "oversize"};

static void work_conn_msg(struct link *, const struct wire_msg *, void *);
static void work_conn_closed(struct link *, enum wire_err, void *);

/* ---- tables -------------------------------------------------------- */

static void
work_table_init(struct work_table *t)
{
	idtab_init(&t->ids);
	TAILQ_INIT(&t->all);
	t->n = 0;
}

struct work_job *
work_table_find(struct work_table *t, uint64_t id)
{
	return idtab_find(&t->ids, id);
}

struct work_job *
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

void
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

struct work_peer *
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
int
work_alive(const struct work *w, const struct work_peer *p)
{
	return (w->alive >> (p - w->peers) & 1) != 0;
}

void
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

/* Is c an accepted connection that has not sent a good frame yet? */
static int
work_conn_unauth(const struct work_conn *c)
{
	return !c->outgoing && c->peer == -1;
}

/* A warning about the work port, at most one per WORK_WARN_MS. */
static void
work_warn(struct work *w, const char *what)
{
	int64_t now = ev_now(w->ev);

	if (w->warned_at != 0 && now - w->warned_at < WORK_WARN_MS)
		return;
	w->warned_at = now;
	log_warn("work port: %s (closed so far: %llu timed out, %llu "
		 "evicted, %llu oversize; accept paused %llu times)",
	    what, (unsigned long long)w->unauth_closed[WORK_UNAUTH_TIMEOUT],
	    (unsigned long long)w->unauth_closed[WORK_UNAUTH_EVICTED],
	    (unsigned long long)w->unauth_closed[WORK_UNAUTH_OVERSIZE],
	    (unsigned long long)w->accept_paused);
}

/* The listener's rest is over: poll it again. */
static int64_t
work_accept_resume(struct ev *ev, void *arg)
{
	struct work *w = arg;

	w->accept_pause = 0;
	if (w->listen_fd != -1)
		ev_mod_fd(ev, w->listen_fd, EV_READ);
	return EV_TIMER_STOP;
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
	if (work_conn_unauth(c))
		w->unauth--;
	TAILQ_REMOVE(&w->conns, c, entry);
	free(c);
	/* A descriptor is free again: accept() may try at once. */
	if (w->accept_pause != 0) {
		ev_del_timer(w->ev, w->accept_pause);
		work_accept_resume(w->ev, w);
	}
}

/* Close a connection now (no close callback). */
void
work_conn_close(struct work *w, struct work_conn *c)
{
	link_free(c->link);
	work_conn_forget(w, c);
}

/* The leader's link to follower p, connecting if needed; NULL if not. */
struct work_conn *
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
	/*
	 * A small first frame authenticates the link (WORK.md). If the
	 * link fails at once, its close callback forgot c: p->out is NULL.
	 */
	work_send(w, c, PROTO_RESULT_ACK, 0, NULL, 0);
	return p->out;
}

/* Close the oldest unauthenticated connection; 0 if there is none. */
static int
work_evict(struct work *w)
{
	struct work_conn *c;

	TAILQ_FOREACH(c, &w->conns, entry)
	{
		if (work_conn_unauth(c)) {
			w->unauth_closed[WORK_UNAUTH_EVICTED]++;
			work_warn(w, "too many unauthenticated connections");
			work_conn_close(w, c);
			return 1;
		}
	}
	return 0;
}

void
work_accept(struct work *w, int fd)
{
	struct work_conn *c;

	w->accepted++;
	if (w->unauth >= WORK_UNAUTH_MAX)
		work_evict(w);
	c = work_conn_new(w, -1, 0);
	c->accepted_at = ev_now(w->ev);
	c->link =
	    link_accept(w->ev, fd, w->key, work_conn_msg, work_conn_closed, c);
	if (c->link == NULL) {
		work_conn_forget(w, c);
		return;
	}
	w->unauth++;
	link_set_max(c->link, WORK_UNAUTH_FRAME);
}

/*
 * accept() failed for want of descriptors or memory and no
 * unauthenticated connection could go: the listener is level-triggered
 * and stays readable, so stop polling it until a connection closes or
 * WORK_ACCEPT_PAUSE_MS pass, rather than spin.
 */
static void
work_accept_pause(struct work *w, int error)
{
	char what[128];

	w->accept_paused++;
	snprintf(what, sizeof what, "accept: %s; resting %d ms",
	    strerror(error), WORK_ACCEPT_PAUSE_MS);
	work_warn(w, what);
	ev_mod_fd(w->ev, w->listen_fd, 0);
	w->accept_pause =
	    ev_add_timer(w->ev, WORK_ACCEPT_PAUSE_MS, work_accept_resume, w);
}

static void
work_accept_io(struct ev *ev, int fd, int what, void *arg)
{
	struct work *w = arg;
	int c, n, error;

	(void)ev;
	(void)what;
	for (n = 0; n < WORK_ACCEPT_BATCH; n++) {
		c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c != -1) {
			work_accept(w, c);
			continue;
		}
		error = errno;
		if (error == EAGAIN || error == EWOULDBLOCK)
			return;
		if (error == EINTR || error == ECONNABORTED ||
		    error == EPROTO || error == EPERM)
			continue; /* that connection only */
		if ((error == EMFILE || error == ENFILE || error == ENOBUFS ||
			error == ENOMEM) &&
		    work_evict(w))
			continue;
		work_accept_pause(w, error);
		return;
	}
}

void
work_listen(struct work *w, int fd)
{
	w->listen_fd = fd;
	ev_add_fd(w->ev, fd, EV_READ, work_accept_io, w);
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
	    (c->last_seq != 0 && m->h.seq <= c->last_seq) ||
	    (!c->outgoing && m->h.incarnation == p->in_incarnation &&
		m->h.seq <= p->in_seq)) {
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
	if (!c->outgoing) {
		p->in_incarnation = m->h.incarnation;
		p->in_seq = m->h.seq;
	}
	if (c->peer == -1) {
		/* Authenticated: the usual limits from now on. */
		w->unauth--;
		link_set_max(c->link, WIRE_MAX_PAYLOAD);
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
	if (err == WIRE_ERR_OVERSIZE && work_conn_unauth(c)) {
		w->unauth_closed[WORK_UNAUTH_OVERSIZE]++;
		work_warn(w, "a frame too large before authentication");
	}
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
	struct work_conn *c, *cnext;
	int64_t now = ev_now(ev);

	for (c = TAILQ_FIRST(&w->conns); c != NULL; c = cnext) {
		cnext = TAILQ_NEXT(c, entry);
		if (work_conn_unauth(c) &&
		    now - c->accepted_at >= WORK_HANDSHAKE_MS) {
			w->unauth_closed[WORK_UNAUTH_TIMEOUT]++;
			work_warn(w, "no good frame within the handshake time");
			work_conn_close(w, c);
		}
	}
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
	w->listen_fd = -1;
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
	if (w->listen_fd != -1)
		ev_del_fd(w->ev, w->listen_fd);
	w->listen_fd = -1;
	if (w->accept_pause != 0)
		ev_del_timer(w->ev, w->accept_pause);
	w->accept_pause = 0;
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
	static const char *retries = "jdp_work_retries_total";
	static const char *collected = "jdp_work_collected_total";
	static const char *dropped = "jdp_work_dropped_total";
	static const char *fdisp = "jdp_work_follower_dispatched_total";
	static const char *unauth = "jdp_work_unauthenticated_closed_total";
	char id[16];
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
	work_leader_write_metrics(w, b);
	buf_metric_type(b, "counter", retries);
	buf_metric_label(b, retries, "outcome", "attached", w->attached);
	buf_metric_label(
	    b, retries, "outcome", "answered_held", w->answered_held);
	buf_metric_type(b, "counter", collected);
	buf_metric_label(
	    b, collected, "state", "running", w->collected_running);
	buf_metric_label(b, collected, "state", "done", w->collected_done);
	buf_metric(
	    b, "counter", "jdp_work_duplicate_results_total", w->duplicates);
	buf_metric(b, "counter", "jdp_work_expired_total", w->expired);
	buf_metric(b, "counter", "jdp_work_terms_total", w->terms);
	buf_metric_type(b, "counter", dropped);
	for (i = 0; i < WORK_DROP_COUNT; i++)
		buf_metric_label(
		    b, dropped, "reason", work_drop_names[i], w->drops[i]);
	buf_metric(b, "counter", "jdp_work_accepted_total", w->accepted);
	buf_metric(b, "gauge", "jdp_work_unauthenticated", w->unauth);
	buf_metric_type(b, "counter", unauth);
	for (i = 0; i < WORK_UNAUTH_COUNT; i++)
		buf_metric_label(b, unauth, "reason", work_unauth_names[i],
		    w->unauth_closed[i]);
	buf_metric(
	    b, "counter", "jdp_work_accept_paused_total", w->accept_paused);
	buf_metric_type(b, "counter", fdisp);
	for (i = 0; i < w->conf->nnodes; i++) {
		if (w->peers[i].node->role != CONF_PEER ||
		    w->peers[i].node->id == w->self->id)
			continue;
		snprintf(id, sizeof id, "%d", w->peers[i].node->id);
		buf_metric_label(
		    b, fdisp, "follower", id, w->peers[i].dispatched);
	}
}
