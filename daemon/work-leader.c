/*
 * work-leader.c: the leader side of the work protocol (work.h,
 * docs/WORK.md): the table of jobs by request id, round robin over the
 * live followers, reassignment, held results and collecting last work on
 * taking office.
 *
 * Leader table (ljobs): one entry per request id.
 *	QUEUED	waiting for a follower (or for last work to be collected)
 *	RUNNING	sent to `follower`; work payload kept for reassignment
 *	DONE	result held until the gateway acknowledges it, then the
 *		leader acknowledges it to the follower and forgets it
 */
#include "config.h"

#include <sys/queue.h>

#include <string.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "hash.h"
#include "log.h"
#include "proto.h"
#include "wire.h"
#include "work-int.h"
#include "work.h"

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

/* Count what job j holds now (payload and result) in w->leader_bytes. */
static void
work_leader_account(struct work *w, struct work_job *j)
{
	size_t now = buf_len(&j->work) + buf_len(&j->result);

	w->leader_bytes = w->leader_bytes - j->held + now;
	j->held = now;
}

void
work_leader_forget(struct work *w, struct work_job *j)
{
	w->leader_bytes -= j->held;
	j->held = 0;
	work_leader_unqueue(w, j);
	work_table_remove(&w->ljobs, j);
}

/* Drop every piece of leader state: links to followers, the table. */
void
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
void
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
void
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

/*
 * Answer WORK id from gateway `to` at once with a RESULT `rejected` and
 * why, keeping nothing: the gateway answers its client 503 with
 * Retry-After (never caches it) and acknowledges a result the leader
 * never held.
 */
static void
work_leader_refuse(struct work *w, int to, uint64_t id, const char *why)
{
	struct proto_result r;
	struct work_peer *g;
	struct buf b;

	if ((g = work_peer(w, to)) == NULL || g->in == NULL)
		return;
	memset(&r, 0, sizeof r);
	r.status = PROTO_RESULT_REJECTED;
	r.flags = PROTO_RESULT_F_TRANSIENT;
	r.node = (uint16_t)w->self->id;
	r.body = (const uint8_t *)why;
	r.body_len = strlen(why);
	buf_init(&b);
	proto_result_encode(&b, &r);
	work_send(w, g->in, PROTO_RESULT, id, buf_data(&b), buf_len(&b));
	buf_free(&b);
}

/* WORK from a gateway. */
void
work_leader_on_work(
    struct work *w, struct work_conn *c, const struct wire_msg *m)
{
	struct proto_work pw;
	struct work_job *j;
	uint8_t digest[HASH_LEN];

	if (proto_work_decode(m->payload, m->plen, &pw) == -1) {
		w->drops[WORK_DROP_PAYLOAD]++;
		log_warn("dropped WORK %llx from [%d]: bad payload",
		    (unsigned long long)m->h.reqid, m->h.sender);
		return;
	}
	hash_sha256(m->payload, m->plen, digest);
	if ((j = work_table_find(&w->ljobs, m->h.reqid)) == NULL) {
		/* One job always gets in, so no body is refused for good. */
		if (w->leader_bytes > 0 &&
		    w->leader_bytes + m->plen > w->conf->inflight_max) {
			w->refused_inflight++;
			log_warn(
			    "refused WORK %llx from [%d]: %llu bytes held, "
			    "inflight-max %llu",
			    (unsigned long long)m->h.reqid, m->h.sender,
			    (unsigned long long)w->leader_bytes,
			    (unsigned long long)w->conf->inflight_max);
			work_leader_refuse(w, m->h.sender, m->h.reqid,
			    "Leader busy: too many request bytes in flight "
			    "(inflight-max)\n");
			return;
		}
		j = work_table_add(w, &w->ljobs, m->h.reqid);
		j->origin = m->h.sender;
		buf_add(&j->work, m->payload, m->plen);
		memcpy(j->digest, digest, HASH_LEN);
		j->has_digest = 1;
		work_leader_account(w, j);
		work_leader_enqueue(w, j);
		log_debug("job %llx from gateway [%d], %zu bytes of source",
		    (unsigned long long)j->id, m->h.sender, pw.source_len);
		work_leader_dispatch(w);
		return;
	}
	/*
	 * A known id with another payload is not a retry: never attach it to
	 * this job nor answer it with this job's result.
	 */
	if (j->has_digest && memcmp(j->digest, digest, HASH_LEN) != 0) {
		w->refused_reused++;
		log_warn("refused WORK %llx from [%d]: the id is reused with "
			 "another payload",
		    (unsigned long long)m->h.reqid, m->h.sender);
		work_leader_refuse(w, m->h.sender, m->h.reqid,
		    "Request id reused with another payload; send it again\n");
		return;
	}
	/* A retried id: one answer, the job run again only if lost. */
	j->origin = m->h.sender;
	if (!j->has_digest) {
		/* Learnt from a follower's last work: this is its payload. */
		memcpy(j->digest, digest, HASH_LEN);
		j->has_digest = 1;
	}
	if (buf_len(&j->work) == 0) {
		buf_add(&j->work, m->payload, m->plen);
		work_leader_account(w, j);
	}
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
void
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
	work_leader_account(w, j);
	log_info("job %llx: %s from follower [%d]", (unsigned long long)j->id,
	    proto_result_status_name(pr.status), from);
	work_leader_deliver(w, j);
}

/* RESULT from a follower (on our link to it). */
void
work_leader_on_result(struct work *w, const struct wire_msg *m)
{
	work_leader_take_result(
	    w, m->h.sender, m->h.reqid, m->payload, m->plen);
}

/* RESULT_ACK from a gateway: pass it on to the follower and forget. */
void
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
void
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
void
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

/* Append the leader side's Prometheus text (refusals, bytes held). */
void
work_leader_write_metrics(const struct work *w, struct buf *b)
{
	static const char *refused = "jdp_work_refused_total";

	buf_metric(b, "gauge", "jdp_work_leader_bytes", w->leader_bytes);
	buf_metric_type(b, "counter", refused);
	buf_metric_label(
	    b, refused, "reason", "inflight_full", w->refused_inflight);
	buf_metric_label(b, refused, "reason", "reused_id", w->refused_reused);
}
