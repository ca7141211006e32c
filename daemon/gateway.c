/*
 * gateway.c: the gateway side of the work protocol (gateway.h,
 * docs/WORK.md): the request table, the link to the leader and the tick;
 * the HTTP API that fills the table is gateway-api.c.
 *
 * A request's life:
 *	cache hit	answered at once, Cached-Response: true
 *	HELD		no leader known or no link to it; answered 503 with
 *			Retry-After after request-wait
 *	SENT		WORK sent to the leader on the current link; resent
 *			(same id) if the link breaks, the leader changes, or
 *			no answer comes for a long time
 *	answered	the RESULT from the current leader; the gateway sends
 *			RESULT_ACK so the leader and follower can forget it
 * Replies from any other sender, or on a link to a leader already given
 * up, are ignored and counted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "ev.h"
#include "gateway-int.h"
#include "gateway.h"
#include "httpd.h"
#include "idtab.h"
#include "link.h"
#include "log.h"
#include "net.h"
#include "proto.h"
#include "wire.h"
#include "xmalloc.h"

#define GW_TICK_MS 50
/* Wait this long before reconnecting to the leader after a failure. */
#define GW_RETRY_MS 200

static const char *gw_ignored_names[GW_IGN_COUNT] = {"not_leader", "old_link",
    "wrong_type", "bad_payload", "unknown_id", "replay"};

static void gateway_link_msg(struct link *, const struct wire_msg *, void *);
static void gateway_link_closed(struct link *, enum wire_err, void *);

/* ---- request table ------------------------------------------------- */

static struct gw_req *
gateway_find(struct gateway *g, uint64_t id)
{
	return idtab_find(&g->ids, id);
}

struct gw_req *
gateway_req_new(struct gateway *g)
{
	struct gw_req *r;

	r = xcalloc(1, sizeof *r);
	r->id =
	    (uint64_t)g->self->id << 48 | (g->next_id++ & 0xffffffffffffULL);
	r->state = GW_HELD;
	r->arrived = r->held_since = ev_now(g->ev);
	buf_init(&r->work);
	r->hentry.id = r->id;
	r->hentry.data = r;
	idtab_add(&g->ids, &r->hentry);
	TAILQ_INSERT_TAIL(&g->reqs, r, entry);
	g->nreqs++;
	g->nheld++;
	return r;
}

static void
gateway_req_free(struct gateway *g, struct gw_req *r)
{
	idtab_remove(&g->ids, &r->hentry);
	TAILQ_REMOVE(&g->reqs, r, entry);
	g->nreqs--;
	if (r->state == GW_HELD)
		g->nheld--;
	g->bytes -= buf_len(&r->work);
	buf_free(&r->work);
	free(r);
}

static void
gateway_req_hold(struct gateway *g, struct gw_req *r)
{
	if (r->state == GW_HELD)
		return;
	r->state = GW_HELD;
	r->held_since = ev_now(g->ev);
	g->nheld++;
}

/*
 * Is a RESULT the job's own answer, to be cached? Only the outcomes of the
 * job itself, and none that the follower marked a failure of the machinery
 * (the compile server died, the runner could not start, the leader or a
 * follower refused it): the same request may well succeed next time.
 * Timeouts are not cached either, since a loaded follower may cause them.
 */
int
gateway_cacheable(const struct proto_result *pr)
{
	if (pr->flags & PROTO_RESULT_F_TRANSIENT)
		return 0;
	switch (pr->status) {
	case PROTO_RESULT_OK:
	case PROTO_RESULT_COMPILE_ERROR:
	case PROTO_RESULT_RUNTIME_ERROR:
	case PROTO_RESULT_MEMORY_LIMIT:
	case PROTO_RESULT_OUTPUT_LIMIT:
		return 1;
	default:
		return 0;
	}
}

/* ---- the link to the leader ---------------------------------------- */

static void
gateway_send(
    struct gateway *g, int type, uint64_t reqid, const void *p, size_t len)
{
	struct wire_hdr h;

	wire_sender_hdr(&g->tx, &h, type, g->epoch, reqid);
	link_send(g->link, &h, p, len);
}

/* Drop the link to the leader; what was sent on it is held again. */
static void
gateway_link_drop(struct gateway *g)
{
	struct gw_req *r;

	if (g->link != NULL) {
		link_free(g->link);
		g->link = NULL;
	}
	TAILQ_FOREACH(r, &g->reqs, entry)
	gateway_req_hold(g, r);
}

/* Send every held request to the leader, connecting if needed. */
void
gateway_flush(struct gateway *g)
{
	const struct conf_node *n;
	struct sockaddr_in a;
	struct gw_req *r;

	if (g->nheld == 0 || g->leader == -1)
		return;
	if (g->link == NULL) {
		if (ev_now(g->ev) < g->retry_at)
			return;
		if ((n = conf_find_node(g->conf, g->leader)) == NULL)
			return;
		a = net_addr_offset(&n->addr, CONF_TCP_OFFSET);
		g->link = link_connect(g->ev, &a, g->key, gateway_link_msg,
		    gateway_link_closed, g);
		if (g->link == NULL) {
			g->retry_at = ev_now(g->ev) + GW_RETRY_MS;
			return;
		}
		g->link_gen++;
		g->link_seq = 0;
		/* A small first frame authenticates the link (WORK.md). */
		gateway_send(g, PROTO_RESULT_ACK, 0, NULL, 0);
		if (g->link == NULL)
			return; /* it failed at once: all stay held */
	}
	TAILQ_FOREACH(r, &g->reqs, entry)
	{
		if (r->state != GW_HELD)
			continue;
		r->state = GW_SENT;
		r->sent_at = ev_now(g->ev);
		r->sent_gen = g->link_gen;
		g->nheld--;
		if (r->sends++ > 0) {
			g->resends++;
			if (r->sent_to != g->leader)
				log_info("request %llx resent to leader [%d]",
				    (unsigned long long)r->id, g->leader);
			else
				log_debug("request %llx resent to leader [%d]",
				    (unsigned long long)r->id, g->leader);
		}
		r->sent_to = g->leader;
		g->sends++;
		gateway_send(g, PROTO_WORK, r->id, buf_data(&r->work),
		    buf_len(&r->work));
		if (g->link == NULL)
			break; /* it failed under us: the rest stay held */
	}
}

static void
gateway_link_msg(struct link *l, const struct wire_msg *m, void *arg)
{
	struct gateway *g = arg;
	struct proto_result pr;
	struct gw_req *r;
	struct httpd_conn *c;
	int64_t total;

	if (l != g->link) {
		g->ignored[GW_IGN_LINK]++;
		return;
	}
	if (m->h.sender != g->leader) {
		g->ignored[GW_IGN_SENDER]++;
		log_debug("ignored %s from [%d]: not the leader",
		    proto_type_name(m->h.type), m->h.sender);
		return;
	}
	if (m->h.seq <= g->link_seq) {
		g->ignored[GW_IGN_REPLAY]++;
		return;
	}
	g->link_seq = m->h.seq;
	if (m->h.type != PROTO_RESULT) {
		g->ignored[GW_IGN_TYPE]++;
		return;
	}
	if (proto_result_decode(m->payload, m->plen, &pr) == -1) {
		g->ignored[GW_IGN_PAYLOAD]++;
		log_warn("bad RESULT %llx from [%d]",
		    (unsigned long long)m->h.reqid, m->h.sender);
		return;
	}
	log_debug("received RESULT %llx from [%d]: %s",
	    (unsigned long long)m->h.reqid, m->h.sender,
	    proto_result_status_name(pr.status));
	/* Delivered or not, the leader may forget it now. */
	gateway_send(g, PROTO_RESULT_ACK, m->h.reqid, NULL, 0);
	if ((r = gateway_find(g, m->h.reqid)) == NULL) {
		g->ignored[GW_IGN_UNKNOWN]++;
		return;
	}
	if (r->cacheable && gateway_cacheable(&pr))
		cache_put(g->cache, r->key, m->payload, m->plen);
	total = ev_now(g->ev) - r->arrived;
	g->total_ms += total;
	c = httpd_find(g->httpd, r->ticket);
	gateway_api_reply_result(g, c, r->kind, r->id, &pr, 0, total);
	gateway_req_free(g, r);
}

static void
gateway_link_closed(struct link *l, enum wire_err err, void *arg)
{
	struct gateway *g = arg;

	(void)l;
	if (err != WIRE_OK)
		log_warn("link to leader [%d] closed: bad frame (%s)",
		    g->leader, wire_err_name(err));
	else
		log_debug("link to leader [%d] closed", g->leader);
	g->link = NULL; /* freed by link.c after this call */
	gateway_link_drop(g);
	g->retry_at = ev_now(g->ev) + GW_RETRY_MS;
}

void
gateway_leader_changed(struct gateway *g, int leader, uint64_t epoch)
{
	if (leader == g->leader && epoch == g->epoch)
		return;
	if (leader == -1 && g->leader == -1) {
		/* A new round while still looking: only frames carry it. */
		g->epoch = epoch;
		return;
	}
	if (leader != -1 &&
	    (leader != g->last_leader || epoch != g->last_epoch)) {
		if (g->last_leader != -1)
			cache_clear(g->cache);
		g->last_leader = leader;
		g->last_epoch = epoch;
	}
	if (leader != g->leader) {
		/* Whatever the old leader still says is ignored. */
		gateway_link_drop(g);
		g->retry_at = 0;
		g->leader_changes++;
	}
	g->leader = leader;
	g->epoch = epoch;
	if (leader == -1)
		log_info("no leader: holding %d requests", g->nreqs);
	else
		log_info("leader is [%d] (epoch %llu): sending %d requests",
		    leader, (unsigned long long)epoch, g->nheld);
	gateway_flush(g);
}

/* ---- timers, lifecycle --------------------------------------------- */

static int64_t
gateway_tick(struct ev *ev, void *arg)
{
	struct gateway *g = arg;
	struct gw_req *r, *next;
	struct httpd_conn *c;
	int64_t now = ev_now(ev), resend, lifetime;

	resend = g->conf->job_timeout + 2 * g->conf->failure_timeout;
	lifetime = g->conf->request_wait + 2 * resend;
	for (r = TAILQ_FIRST(&g->reqs); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		c = NULL;
		if ((r->state == GW_HELD &&
			now - r->held_since >= g->conf->request_wait) ||
		    now - r->arrived >= lifetime)
			c = httpd_find(g->httpd, r->ticket);
		if (r->state == GW_HELD &&
		    now - r->held_since >= g->conf->request_wait) {
			g->wait_expired++;
			log_info("request %llx: no leader for %lld ms, 503",
			    (unsigned long long)r->id,
			    (long long)(now - r->held_since));
			if (c != NULL)
				gateway_api_reply_unavailable(g, c, r->kind,
				    "No leader available; try again later\n");
			gateway_req_free(g, r);
		} else if (now - r->arrived >= lifetime) {
			g->timeouts++;
			log_warn("request %llx: no answer in %lld ms, 504",
			    (unsigned long long)r->id,
			    (long long)(now - r->arrived));
			if (c != NULL && r->kind == GW_CLASSIC)
				gateway_api_reply_plain(c, 504, GW_CTYPE_TEXT,
				    "The cluster did not answer in time\n",
				    NULL);
			else if (c != NULL)
				gateway_api_reply_json_error(c, 504,
				    "the cluster did not answer in time", NULL);
			gateway_req_free(g, r);
		} else if (r->state == GW_SENT && now - r->sent_at >= resend) {
			/* Lost somewhere: the same id again, attached there. */
			gateway_req_hold(g, r);
		}
	}
	gateway_flush(g);
	return GW_TICK_MS;
}

struct gateway *
gateway_new(struct ev *ev, const struct conf *conf, int self,
    uint64_t incarnation, const uint8_t *key, httpd_handler fallback,
    void *fallback_arg, char **cause)
{
	struct gateway *g;
	struct http_limits lim;
	struct sockaddr_in a;

	g = xcalloc(1, sizeof *g);
	g->ev = ev;
	g->conf = conf;
	if ((g->self = conf_find_node(conf, self)) == NULL ||
	    g->self->http_port == 0) {
		xasprintf(
		    cause, "node %d is not a gateway with an http port", self);
		free(g);
		return NULL;
	}
	wire_sender_init(&g->tx, self, incarnation);
	/* Ids continue past any earlier incarnation's (microseconds). */
	g->next_id = incarnation;
	g->key = key;
	g->fallback = fallback;
	g->fallback_arg = fallback_arg;
	g->leader = g->last_leader = -1;
	idtab_init(&g->ids);
	TAILQ_INIT(&g->reqs);
	http_limits_default(&lim);
	lim.max_body = conf->max_body;
	a = g->self->addr;
	a.sin_port = htons(g->self->http_port);
	if (conf->api_token_file != NULL &&
	    gateway_api_token_load(g, conf->api_token_file, cause) == -1) {
		free(g);
		return NULL;
	}
	g->httpd = httpd_new(
	    ev, &a, &lim, conf->client_timeout, gateway_api_http, g, cause);
	if (g->httpd == NULL) {
		free(g);
		return NULL;
	}
	/* The classic contract: every answer says whether it was cached. */
	httpd_set_default_header(g->httpd, "Cached-Response", "false");
	g->cache = cache_new(conf->cache_size);
	g->tick = ev_add_timer(ev, GW_TICK_MS, gateway_tick, g);
	return g;
}

void
gateway_free(struct gateway *g)
{
	struct gw_req *r;
	struct httpd_conn *c;

	if (g == NULL)
		return;
	while ((r = TAILQ_FIRST(&g->reqs)) != NULL) {
		if ((c = httpd_find(g->httpd, r->ticket)) != NULL)
			gateway_api_reply_unavailable(
			    g, c, r->kind, "The gateway is shutting down\n");
		gateway_req_free(g, r);
	}
	if (g->link != NULL)
		link_free(g->link);
	ev_del_timer(g->ev, g->tick);
	httpd_free(g->httpd);
	cache_free(g->cache);
	free(g);
}

int
gateway_pending(const struct gateway *g)
{
	return g->nreqs;
}

void
gateway_write_metrics(const struct gateway *g, struct buf *b)
{
	static const char *req = "jdp_gateway_requests_total";
	static const char *ans = "jdp_gateway_answered_total";
	static const char *ref = "jdp_gateway_refused_total";
	static const char *ign = "jdp_gateway_ignored_replies_total";
	int i;

	buf_metric_type(b, "counter", req);
	buf_metric_label(
	    b, req, "endpoint", "compileandrun", g->requests[GW_CLASSIC]);
	buf_metric_label(b, req, "endpoint", "v1_run", g->requests[GW_V1]);
	buf_metric_type(b, "counter", ans);
	for (i = 0; i < PROTO_RESULT_NSTATUS; i++)
		buf_metric_label(b, ans, "status", proto_result_status_name(i),
		    g->answered[i]);
	buf_metric(b, "counter", "jdp_gateway_cached_replies_total",
	    g->cached_replies);
	buf_metric_type(b, "counter", ref);
	buf_metric_label(b, ref, "reason", "queue_full", g->full);
	buf_metric_label(b, ref, "reason", "inflight_full", g->inflight_full);
	buf_metric_label(b, ref, "reason", "no_leader", g->wait_expired);
	buf_metric_label(b, ref, "reason", "timeout", g->timeouts);
	buf_metric_label(b, ref, "reason", "bad_request", g->bad_requests);
	buf_metric_label(b, ref, "reason", "unauthorized", g->unauthorized);
	buf_metric(b, "gauge", "jdp_gateway_pending", g->nreqs);
	buf_metric(b, "gauge", "jdp_gateway_held", g->nheld);
	buf_metric(
	    b, "gauge", "jdp_gateway_inflight_bytes", (long long)g->bytes);
	buf_metric(b, "counter", "jdp_gateway_sends_total", g->sends);
	buf_metric(b, "counter", "jdp_gateway_resends_total", g->resends);
	buf_metric(b, "counter", "jdp_gateway_leader_changes_total",
	    g->leader_changes);
	buf_metric(b, "gauge", "jdp_gateway_leader", g->leader);
	buf_metric_type(b, "counter", ign);
	for (i = 0; i < GW_IGN_COUNT; i++)
		buf_metric_label(
		    b, ign, "reason", gw_ignored_names[i], g->ignored[i]);
	buf_metric(b, "counter", "jdp_gateway_answer_ms_total", g->total_ms);
	cache_write_metrics(g->cache, b, "jdp_cache");
	httpd_write_metrics(g->httpd, b, "jdp_public_http");
}
