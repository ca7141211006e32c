/*
 * cluster.c: the socket shell around the pure election and gossip state
 * machines (see cluster.h and docs/PROTOCOL.md).
 *
 * Every datagram must be exactly one authenticated frame (wire.h) from a
 * configured node other than ourselves, newer than the last frame accepted
 * from that sender: a higher incarnation, or the same incarnation and a
 * higher sequence number. Anything else is dropped and counted by reason;
 * nothing else happens. Accepted VOTE and GOSSIP payloads go to the state
 * machines; their outboxes are handled here: events first (log lines, the
 * accepted pair written to disk, listeners), then messages.
 *
 * The socket has IP_RECVERR on: when a member's process is gone, the
 * kernel answers our datagrams to its closed port with ICMP port
 * unreachable, queued on our socket's error queue (EPOLLERR). Anyone can
 * forge such a report, so one about a member's address only makes it a
 * suspect (gossip_unreachable), which is sent an authenticated PROBE and
 * answers with a PROBE_ACK. The kernel hands back the datagram an ICMP
 * error quotes: if that is a whole PROBE frame of ours (our key, our
 * incarnation) with the suspicion's tag, the member's port really is
 * closed and gossip_probe_refused fails it at once. Anything else on the
 * error queue is counted and dropped.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/errqueue.h> /* after time.h: it uses struct timespec */

#include "buf.h"
#include "cluster-int.h"
#include "cluster.h"
#include "conf.h"
#include "election.h"
#include "ev.h"
#include "gossip.h"
#include "log.h"
#include "net.h"
#include "proto.h"
#include "wire.h"
#include "xmalloc.h"

/* Largest payload taken over UDP: a full gossip table fits easily. */
#define CLUSTER_MAX_PAYLOAD 8192
/* Drop lines logged per second at most. */
#define CLUSTER_DROP_LOG_MAX 10
/* Members each gossip round goes to. */
#define CLUSTER_FANOUT 3
/* Error-queue entries read per wake-up at most (the loop comes back). */
#define CLUSTER_ERRQUEUE_MAX 64
/* Bytes of a quoted datagram read: a PROBE frame (82) fits. */
#define CLUSTER_QUOTE_MAX 256

static void cluster_election_out(struct cluster *, struct election_out *);

const char *
cluster_drop_name(int reason)
{
	switch (reason) {
	case CLUSTER_DROP_TRAILING:
		return "trailing";
	case CLUSTER_DROP_SENDER:
		return "unknown_sender";
	case CLUSTER_DROP_REPLAY:
		return "replay";
	case CLUSTER_DROP_TYPE:
		return "unknown_type";
	case CLUSTER_DROP_PAYLOAD:
		return "bad_payload";
	}
	return wire_err_name((enum wire_err)reason);
}

static int
cluster_msg_index(int type)
{
	if (type == PROTO_VOTE)
		return CLUSTER_MSG_VOTE;
	if (type == PROTO_GOSSIP)
		return CLUSTER_MSG_GOSSIP;
	if (type == PROTO_PROBE)
		return CLUSTER_MSG_PROBE;
	if (type == PROTO_PROBE_ACK)
		return CLUSTER_MSG_PROBE_ACK;
	return CLUSTER_MSG_OTHER;
}

static struct cluster_peer *
cluster_peer(struct cluster *c, int id)
{
	int i;

	for (i = 0; i < c->npeers; i++) {
		if (c->peers[i].node->id == id)
			return &c->peers[i];
	}
	return NULL;
}

/* Milliseconds since this node started: the logs' "node time". */
static int64_t
cluster_node_time(struct cluster *c, int64_t now)
{
	return now - c->start;
}

/* --- sending -------------------------------------------------------------- */

static void
cluster_send(struct cluster *c, int to, int type, const struct buf *payload)
{
	const struct conf_node *n;
	struct wire_hdr h;
	struct buf b;
	ssize_t r;
	int tries = 0;

	if ((n = conf_find_node(c->conf, to)) == NULL || to == c->self->id)
		return;
	wire_sender_hdr(&c->tx, &h, type, election_epoch(c->election), 0);
	buf_init(&b);
	wire_encode(&b, &h, buf_data(payload), buf_len(payload), c->key);
	/*
	 * ECONNREFUSED reports an ICMP error for an earlier datagram, and
	 * this one was not sent: send it again. The report itself stays on
	 * the error queue for cluster_read.
	 */
	do
		r = sendto(c->fd, buf_data(&b), buf_len(&b), 0,
		    (const struct sockaddr *)&n->addr, sizeof n->addr);
	while (r == -1 && errno == ECONNREFUSED && ++tries < 3);
	if (r == -1)
		c->send_errors++;
	else
		c->out[cluster_msg_index(type)]++;
	buf_free(&b);
}

/* --- listeners ------------------------------------------------------------ */

/* Which members gossip counts alive: bit i for conf->nodes[i]. */
static uint64_t
cluster_alive_mask(struct cluster *c)
{
	uint64_t mask = 0;
	int i;

	for (i = 0; i < c->npeers; i++) {
		if (gossip_alive(c->gossip, c->peers[i].node->id))
			mask |= (uint64_t)1 << i;
	}
	return mask;
}

/* The last (leader, epoch) told, as an event. */
static void
cluster_leader_event(struct cluster *c, struct cluster_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->type = CLUSTER_EV_LEADER;
	ev->leader = c->told_leader;
	ev->epoch = c->told_epoch;
	ev->node = -1;
	ev->alive = cluster_alive_mask(c);
}

static void
cluster_tell(struct cluster *c, struct cluster_event *ev)
{
	int i;

	ev->alive = cluster_alive_mask(c);
	for (i = 0; i < c->nlisteners; i++)
		c->listeners[i].cb(ev, c->listeners[i].arg);
}

/* Tell listeners if the (leader, epoch) pair changed. */
static void
cluster_check_leader(struct cluster *c)
{
	struct cluster_event ev;
	int leader = cluster_leader(c);
	uint64_t epoch = election_epoch(c->election);

	if (leader == c->told_leader && epoch == c->told_epoch)
		return;
	c->told_leader = leader;
	c->told_epoch = epoch;
	cluster_leader_event(c, &ev);
	cluster_tell(c, &ev);
}

static void
cluster_tell_node(
    struct cluster *c, enum cluster_ev_type type, int id, uint64_t incarnation)
{
	struct cluster_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.leader = -1;
	ev.node = id;
	ev.incarnation = incarnation;
	cluster_tell(c, &ev);
}

/* --- outboxes ------------------------------------------------------------- */

static void
cluster_election_out(struct cluster *c, struct election_out *out)
{
	struct election_event *ev;
	struct buf b;
	int i;

	/* A pair that could not be saved before: try again first. */
	if (c->acc_unsaved)
		cluster_state_save(c, c->acc_leader, c->acc_epoch);
	for (i = 0; i < out->nev; i++) {
		ev = &out->ev[i];
		switch (ev->type) {
		case ELECT_EV_ACCEPT:
			cluster_state_save(c, ev->leader, ev->epoch);
			break;
		case ELECT_EV_SWITCH:
			log_event("switching from [%s] to [%s]",
			    election_state_name(ev->from),
			    election_state_name(ev->to));
			log_debug("switch reason: %s (epoch %llu)", ev->why,
			    (unsigned long long)ev->epoch);
			break;
		case ELECT_EV_LEADER:
			log_info("leader is [%d] in epoch [%llu] (%s)",
			    ev->leader, (unsigned long long)ev->epoch, ev->why);
			break;
		case ELECT_EV_STEPDOWN:
			log_event("stepping down as leader: %s", ev->why);
			break;
		}
	}
	/*
	 * A vote carries the accepted pair: none may announce a pair that
	 * is not on disk, or a restart could accept another leader in the
	 * same epoch. The others see a silent member and elect without it.
	 */
	if (c->acc_unsaved) {
		c->votes_withheld += (uint64_t)out->nmsg;
		out->nmsg = 0;
	}
	buf_init(&b);
	for (i = 0; i < out->nmsg; i++) {
		buf_reset(&b);
		proto_vote_encode(&b, &out->msg[i].vote);
		cluster_send(c, out->msg[i].to, PROTO_VOTE, &b);
	}
	buf_free(&b);
	cluster_check_leader(c);
}

static void
cluster_gossip_out(struct cluster *c, struct gossip_out *out)
{
	struct election_out eout;
	struct gossip_event *ev;
	struct buf b;
	int i, down;

	for (i = 0; i < out->nev; i++) {
		ev = &out->ev[i];
		down = -1;
		switch (ev->type) {
		case GOSSIP_EV_JOINED:
			log_info("server [%d] joined (incarnation %llu)",
			    ev->id, (unsigned long long)ev->incarnation);
			/* FALLTHROUGH */
		case GOSSIP_EV_UPDATED:
			log_info("updated [%d]'s heartbeat sequence to [%llu] "
				 "based on message from [%d] at node time "
				 "[%lld]",
			    ev->id, (unsigned long long)ev->heartbeat, ev->from,
			    (long long)cluster_node_time(c, ev->now));
			down = ev->type == GOSSIP_EV_JOINED ? 0 : -1;
			break;
		case GOSSIP_EV_REJOINED:
			log_info("server [%d] restarted: incarnation %llu, "
				 "accepted again",
			    ev->id, (unsigned long long)ev->incarnation);
			down = 0;
			break;
		case GOSSIP_EV_REVIVED:
			log_info("server [%d] is back (heartbeat %llu from "
				 "itself)",
			    ev->id, (unsigned long long)ev->heartbeat);
			down = 0;
			break;
		case GOSSIP_EV_FAILED:
			log_event("no heartbeat from server [%d] - SERVER "
				  "FAILED",
			    ev->id);
			c->failures++;
			down = 1;
			break;
		case GOSSIP_EV_REMOVED:
			log_info("removed server [%d] from the table", ev->id);
			down = 1;
			break;
		}
		if (down == -1)
			continue;
		election_out_reset(&eout);
		if (down)
			election_node_down(c->election, ev->id, ev->now, &eout);
		else
			election_node_up(c->election, ev->id, ev->now, &eout);
		cluster_election_out(c, &eout);
		if (ev->type != GOSSIP_EV_REMOVED)
			cluster_tell_node(c,
			    down ? CLUSTER_EV_NODE_DOWN : CLUSTER_EV_NODE_UP,
			    ev->id, ev->incarnation);
	}
	buf_init(&b);
	for (i = 0; i < out->nprobe; i++) {
		buf_reset(&b);
		proto_probe_encode(&b, out->probe[i].tag);
		log_debug("probing server [%d] (tag %016llx)", out->probe[i].to,
		    (unsigned long long)out->probe[i].tag);
		cluster_send(c, out->probe[i].to, PROTO_PROBE, &b);
	}
	if (out->nto != 0) {
		buf_reset(&b);
		proto_gossip_encode(&b, &out->msg);
		for (i = 0; i < out->nto; i++)
			cluster_send(c, out->to[i], PROTO_GOSSIP, &b);
	}
	buf_free(&b);
}

/* --- timers --------------------------------------------------------------- */

static int64_t
cluster_next(struct cluster *c)
{
	int64_t a = election_next_timeout(c->election);
	int64_t b = gossip_next_timeout(c->gossip);

	return a < b ? a : b;
}

/* Run both machines' due timers; returns the delay to the next. */
static int64_t
cluster_timer(struct ev *ev, void *arg)
{
	struct cluster *c = arg;
	struct election_out eout;
	struct gossip_out gout;
	int64_t now = ev_now(ev), next;

	gossip_out_reset(&gout);
	gossip_tick(c->gossip, now, &gout);
	cluster_gossip_out(c, &gout);
	election_out_reset(&eout);
	election_tick(c->election, now, &eout);
	cluster_election_out(c, &eout);
	next = cluster_next(c);
	if (next <= now)
		next = now + 1;
	c->timer_at = next;
	return next - now;
}

/* After an input: fire earlier if a machine now wants to. */
static void
cluster_rearm(struct cluster *c)
{
	int64_t now = ev_now(c->ev), next = cluster_next(c);

	if (next >= c->timer_at)
		return;
	if (next <= now)
		next = now + 1;
	ev_del_timer(c->ev, c->timer);
	c->timer = ev_add_timer(c->ev, next - now, cluster_timer, c);
	c->timer_at = next;
}

/* --- receiving ------------------------------------------------------------ */

static void
cluster_drop(struct cluster *c, int reason, const char *detail)
{
	int64_t second = ev_now(c->ev) / 1000;

	c->dropped[reason]++;
	/* A flood must not fill the disk: 10 lines a second at most. */
	if (second != c->drop_second) {
		c->drop_second = second;
		c->drop_lines = 0;
	}
	if (++c->drop_lines > CLUSTER_DROP_LOG_MAX)
		return;
	log_debug("dropped a datagram: %s%s%s", cluster_drop_name(reason),
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static void
cluster_log_gossip(
    struct cluster *c, int from, const struct proto_gossip *g, int64_t now)
{
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; i < g->n; i++)
		buf_printf(&b, "%s[%d] hb %llu inc %llu %s", i ? ", " : "",
		    g->e[i].id, (unsigned long long)g->e[i].heartbeat,
		    (unsigned long long)g->e[i].incarnation,
		    g->e[i].status == PROTO_GOSSIP_ALIVE ? "ALIVE" : "FAILED");
	log_debug("gossip from [%d] at node time [%lld]: %s", from,
	    (long long)cluster_node_time(c, now), buf_cstr(&b));
	buf_free(&b);
}

static void
cluster_handle(struct cluster *c, const struct wire_msg *m)
{
	struct election_out eout;
	struct gossip_out gout;
	struct proto_vote v;
	struct proto_gossip g;
	struct buf b;
	uint64_t tag;
	int64_t now = ev_now(c->ev);
	int unknown;

	switch (m->h.type) {
	case PROTO_VOTE:
		if (proto_vote_decode(m->payload, m->plen, &v) == -1 ||
		    v.sender != m->h.sender) {
			cluster_drop(c, CLUSTER_DROP_PAYLOAD, "VOTE");
			return;
		}
		election_out_reset(&eout);
		if (election_handle_vote(c->election, &v, now, &eout) == -1) {
			cluster_drop(c, CLUSTER_DROP_PAYLOAD, "VOTE refused");
			return;
		}
		c->in[CLUSTER_MSG_VOTE]++;
		gossip_heard(c->gossip, m->h.sender, now);
		log_debug("vote from [%d]: %s leader %d epoch %llu",
		    m->h.sender, election_state_name(v.state),
		    (v.flags & PROTO_VOTE_LEADER) ? v.leader : -1,
		    (unsigned long long)v.epoch);
		cluster_election_out(c, &eout);
		break;
	case PROTO_GOSSIP:
		if (proto_gossip_decode(m->payload, m->plen, &g) == -1) {
			cluster_drop(c, CLUSTER_DROP_PAYLOAD, "GOSSIP");
			return;
		}
		c->in[CLUSTER_MSG_GOSSIP]++;
		cluster_log_gossip(c, m->h.sender, &g, now);
		gossip_out_reset(&gout);
		unknown = gossip_handle(c->gossip, m->h.sender, &g, now, &gout);
		c->unknown_entries += (uint64_t)unknown;
		cluster_gossip_out(c, &gout);
		break;
	case PROTO_PROBE:
	case PROTO_PROBE_ACK:
		if (proto_probe_decode(m->payload, m->plen, &tag) == -1) {
			cluster_drop(c, CLUSTER_DROP_PAYLOAD,
			    proto_type_name(m->h.type));
			return;
		}
		c->in[cluster_msg_index(m->h.type)]++;
		gossip_heard(c->gossip, m->h.sender, now);
		log_debug("%s from [%d] (tag %016llx)",
		    proto_type_name(m->h.type), m->h.sender,
		    (unsigned long long)tag);
		if (m->h.type == PROTO_PROBE) {
			buf_init(&b);
			proto_probe_encode(&b, tag);
			cluster_send(c, m->h.sender, PROTO_PROBE_ACK, &b);
			buf_free(&b);
		}
		break;
	default:
		cluster_drop(c, CLUSTER_DROP_TYPE, proto_type_name(m->h.type));
		return;
	}
	cluster_rearm(c);
}

static void
cluster_datagram(struct cluster *c, const uint8_t *p, size_t len)
{
	struct cluster_peer *peer;
	struct wire_msg m;
	enum wire_err err = WIRE_OK;
	ssize_t r;

	c->datagrams++;
	r = wire_decode(p, len, c->key, CLUSTER_MAX_PAYLOAD, &m, &err);
	if (r == WIRE_PARTIAL) {
		cluster_drop(c, WIRE_ERR_SHORT, NULL);
		return;
	}
	if (r < 0) {
		cluster_drop(c,
		    err > WIRE_OK && err < WIRE_ERR_COUNT ? (int)err
							  : WIRE_ERR_SHORT,
		    NULL);
		return;
	}
	if ((size_t)r != len) {
		cluster_drop(c, CLUSTER_DROP_TRAILING, NULL);
		return;
	}
	if ((peer = cluster_peer(c, m.h.sender)) == NULL ||
	    m.h.sender == c->self->id) {
		cluster_drop(c, CLUSTER_DROP_SENDER, NULL);
		return;
	}
	if (peer->seen &&
	    (m.h.incarnation < peer->incarnation ||
		(m.h.incarnation == peer->incarnation &&
		    m.h.seq <= peer->seq))) {
		cluster_drop(c, CLUSTER_DROP_REPLAY, NULL);
		return;
	}
	peer->seen = 1;
	peer->incarnation = m.h.incarnation;
	peer->seq = m.h.seq;
	cluster_handle(c, &m);
}

/*
 * The tag of the PROBE frame of ours that (quote, len) holds whole, or 0
 * if it holds anything else (a stranger cannot forge one: it lacks the
 * key).
 */
static uint64_t
cluster_quoted_probe(struct cluster *c, const uint8_t *quote, size_t len)
{
	struct wire_msg m;
	enum wire_err err;
	uint64_t tag;

	if (wire_decode(quote, len, c->key, CLUSTER_MAX_PAYLOAD, &m, &err) !=
		(ssize_t)len ||
	    m.h.type != PROTO_PROBE || m.h.sender != c->self->id ||
	    m.h.incarnation != c->incarnation ||
	    proto_probe_decode(m.payload, m.plen, &tag) == -1)
		return 0;
	return tag;
}

/*
 * A datagram to addr met a closed port, says the kernel (or a forger):
 * the quoted datagram is (quote, len). Tell gossip whose it was.
 */
static void
cluster_unreachable(struct cluster *c, const struct sockaddr_in *addr,
    const uint8_t *quote, size_t len)
{
	struct gossip_out gout;
	const struct conf_node *n = NULL;
	uint64_t tag;
	int64_t now = ev_now(c->ev);
	int i, verdict = CLUSTER_UNREACH_IGNORED;

	for (i = 0; i < c->conf->nnodes && n == NULL; i++) {
		if (c->conf->nodes[i].addr.sin_addr.s_addr ==
			addr->sin_addr.s_addr &&
		    c->conf->nodes[i].addr.sin_port == addr->sin_port)
			n = &c->conf->nodes[i];
	}
	if (n == NULL) {
		c->errqueue_other++;
		return;
	}
	gossip_out_reset(&gout);
	if ((tag = cluster_quoted_probe(c, quote, len)) != 0 &&
	    gossip_probe_refused(c->gossip, n->id, tag, now, &gout))
		verdict = CLUSTER_UNREACH_FAILED;
	else if (gossip_unreachable(c->gossip, n->id, now, &gout))
		verdict = CLUSTER_UNREACH_SUSPECT;
	c->unreachable[verdict]++;
	switch (verdict) {
	case CLUSTER_UNREACH_FAILED:
		log_debug("port unreachable at server [%d] (ICMP) for our "
			  "probe: its process is gone, failed without waiting "
			  "for failure-timeout",
		    n->id);
		break;
	case CLUSTER_UNREACH_SUSPECT:
		log_debug("port unreachable at server [%d] (ICMP): a "
			  "suspect until it answers a probe",
		    n->id);
		break;
	default:
		log_debug("port unreachable at server [%d] (ICMP): ignored "
			  "(not held alive, heard from within an interval, "
			  "or already probed)",
		    n->id);
		break;
	}
	cluster_gossip_out(c, &gout);
	cluster_rearm(c);
}

/* Read the socket's error queue (ICMP errors, IP_RECVERR). */
static void
cluster_read_errors(struct cluster *c)
{
	struct sock_extended_err *ee;
	struct sockaddr_in addr;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	uint8_t data[CLUSTER_QUOTE_MAX];
	ssize_t n;
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof *ee + sizeof addr)];
	} ctl;
	int i;

	for (i = 0; i < CLUSTER_ERRQUEUE_MAX; i++) {
		memset(&msg, 0, sizeof msg);
		memset(&addr, 0, sizeof addr);
		iov.iov_base = data;
		iov.iov_len = sizeof data;
		msg.msg_name = &addr;
		msg.msg_namelen = sizeof addr;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof ctl.buf;
		if ((n = recvmsg(c->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT)) ==
		    -1)
			return;
		if (msg.msg_flags & MSG_TRUNC)
			n = 0; /* not a probe of ours */
		ee = NULL;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		     cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_RECVERR)
				ee = (struct sock_extended_err *)CMSG_DATA(cm);
		}
		if (ee != NULL && ee->ee_origin == SO_EE_ORIGIN_ICMP &&
		    ee->ee_type == ICMP_DEST_UNREACH &&
		    ee->ee_code == ICMP_PORT_UNREACH &&
		    addr.sin_family == AF_INET)
			cluster_unreachable(c, &addr, data, (size_t)n);
		else
			c->errqueue_other++;
	}
}

static void
cluster_read(struct ev *ev, int fd, int what, void *arg)
{
	struct cluster *c = arg;
	uint8_t pkt[65536];
	ssize_t n;
	int i, refused = 0;

	(void)ev;
	/*
	 * At most CLUSTER_READ_MAX datagrams per wake-up: the socket is
	 * level-triggered, so the loop comes back for the rest after its
	 * timers and other descriptors had their turn; a flood cannot
	 * starve them.
	 */
	for (i = 0; i < CLUSTER_READ_MAX; i++) {
		if ((n = recv(fd, pkt, sizeof pkt, MSG_DONTWAIT)) >= 0)
			cluster_datagram(c, pkt, (size_t)n);
		else if (errno == ECONNREFUSED && !refused)
			refused = 1; /* an ICMP report is queued */
		else
			break; /* the loop comes back for the rest */
	}
	if (refused || (what & EV_ERROR))
		cluster_read_errors(c);
}

/* --- life cycle ----------------------------------------------------------- */

struct cluster *
cluster_new(struct ev *ev, const struct conf *conf, int self_id,
    const uint8_t key[32], char **cause)
{
	struct cluster *c;
	struct election_conf ec;
	struct gossip_conf gc;
	struct election_accepted acc;
	struct election_out eout;
	struct gossip_out gout;
	struct timeval tv;
	int i, on = 1;

	if (conf->nnodes > CONF_MAX_NODES || conf->nnodes > ELECT_MAX_NODES ||
	    conf->nnodes > GOSSIP_MAX_NODES) {
		xasprintf(
		    cause, "%s: too many nodes (%d)", conf->path, conf->nnodes);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->ev = ev;
	c->conf = conf;
	c->fd = -1;
	c->told_leader = -1;
	c->timer_at = INT64_MAX;
	memcpy(c->key, key, WIRE_KEY_LEN);
	if ((c->self = conf_find_node(conf, self_id)) == NULL) {
		xasprintf(cause, "%s: no node %d in the configuration",
		    conf->path, self_id);
		free(c);
		return NULL;
	}
	if ((c->fd = net_udp_bind(&c->self->addr, cause)) == -1) {
		free(c);
		return NULL;
	}
	if (setsockopt(c->fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on) == -1)
		log_warn("IP_RECVERR: %s: failures are found by gossip's "
			 "timeout only",
		    strerror(errno));
	gettimeofday(&tv, NULL);
	c->incarnation = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	wire_sender_init(&c->tx, self_id, c->incarnation);
	c->start = ev_now(ev);
	xasprintf(
	    &c->acc_path, "%s/node-%d.accepted", conf->state_dir, self_id);
	xasprintf(
	    &c->acc_old_path, "%s/node-%d.accepted", conf->log_dir, self_id);

	memset(&ec, 0, sizeof ec);
	memset(&gc, 0, sizeof gc);
	for (i = 0; i < conf->nnodes; i++) {
		c->peers[c->npeers++].node = &conf->nodes[i];
		ec.members[i].id = conf->nodes[i].id;
		ec.members[i].voter = conf->nodes[i].role == CONF_PEER;
		gc.members[i] = conf->nodes[i].id;
	}
	ec.self = gc.self = self_id;
	ec.nmembers = gc.nmembers = conf->nnodes;
	ec.finalize = conf->election_finalize;
	ec.ping_interval = conf->gossip_interval;
	ec.failure_timeout = conf->failure_timeout;
	ec.backoff_max = 8 * conf->election_finalize;
	gc.incarnation = c->incarnation;
	gc.interval = conf->gossip_interval;
	gc.failure_timeout = conf->failure_timeout;
	gc.cleanup_timeout = conf->cleanup_timeout;
	gc.fanout = CLUSTER_FANOUT;
	gc.seed = c->incarnation * 0x9e3779b97f4a7c15ULL ^ (uint64_t)self_id;

	cluster_state_load(c, &acc);
	election_out_reset(&eout);
	c->election = election_new(&ec, &acc, c->start, &eout);
	c->gossip = gossip_new(&gc, c->start);
	ev_add_fd(ev, c->fd, EV_READ, cluster_read, c);
	cluster_election_out(c, &eout);
	gossip_out_reset(&gout);
	gossip_tick(c->gossip, c->start, &gout);
	cluster_gossip_out(c, &gout);
	c->timer_at = cluster_next(c);
	if (c->timer_at <= c->start)
		c->timer_at = c->start + 1;
	c->timer = ev_add_timer(ev, c->timer_at - c->start, cluster_timer, c);
	return c;
}

void
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return;
	ev_del_timer(c->ev, c->timer);
	if (c->fd != -1) {
		ev_del_fd(c->ev, c->fd);
		close(c->fd);
	}
	if (c->election != NULL)
		election_free(c->election);
	if (c->gossip != NULL)
		gossip_free(c->gossip);
	free(c->acc_path);
	free(c->acc_old_path);
	memset(c->key, 0, sizeof c->key);
	free(c);
}

int
cluster_add_listener(struct cluster *c, cluster_listener cb, void *arg)
{
	struct cluster_event ev;

	if (c->nlisteners == CLUSTER_MAX_LISTENERS)
		return -1;
	c->listeners[c->nlisteners].cb = cb;
	c->listeners[c->nlisteners].arg = arg;
	c->nlisteners++;
	cluster_leader_event(c, &ev);
	cb(&ev, arg);
	return 0;
}

const char *
cluster_role_name(struct cluster *c)
{
	return election_state_name(election_state(c->election));
}

int
cluster_leader(struct cluster *c)
{
	/* A node that cannot save its vote follows and leads nobody. */
	if (c->acc_unsaved)
		return -1;
	return election_leader(c->election);
}

uint64_t
cluster_epoch(struct cluster *c)
{
	return election_epoch(c->election);
}

int
cluster_alive(struct cluster *c, int id)
{
	return gossip_alive(c->gossip, id);
}

uint64_t
cluster_incarnation(struct cluster *c)
{
	return c->incarnation;
}
