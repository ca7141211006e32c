/*
 * gateway.c: the public HTTP API and the gateway side of the work
 * protocol (gateway.h, docs/WORK.md).
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

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "ev.h"
#include "gateway.h"
#include "hash.h"
#include "http.h"
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

#define GW_CTYPE_TEXT "text/plain; charset=utf-8"
#define GW_CTYPE_JSON "application/json"
#define GW_BAD_CTYPE "Content-Type must be \"text/x-java-source\""
#define GW_UNAUTHORIZED "a bearer token is required (Authorization: Bearer)"
#define GW_CHALLENGE "WWW-Authenticate: Bearer realm=\"jdp\"\r\n"
#define GW_TOKEN_MIN 16
#define GW_TOKEN_MAX 512

enum gw_kind {
	GW_CLASSIC, /* POST /compileandrun */
	GW_V1 /* POST /v1/run */
};

enum gw_state { GW_HELD, GW_SENT };

enum gw_ignored {
	GW_IGN_SENDER, /* not the current leader */
	GW_IGN_LINK, /* a link already given up */
	GW_IGN_TYPE, /* not a RESULT */
	GW_IGN_PAYLOAD, /* RESULT that does not decode */
	GW_IGN_UNKNOWN, /* no such request (answered already) */
	GW_IGN_REPLAY, /* sequence did not rise */
	GW_IGN_COUNT
};

static const char *gw_ignored_names[GW_IGN_COUNT] = {"not_leader", "old_link",
    "wrong_type", "bad_payload", "unknown_id", "replay"};

struct gw_req {
	uint64_t id;
	uint64_t ticket; /* httpd ticket */
	enum gw_kind kind;
	enum gw_state state;
	struct buf work; /* WORK payload */
	uint8_t key[HASH_LEN]; /* cache key */
	int cacheable;
	int64_t arrived;
	int64_t held_since;
	int64_t sent_at;
	uint64_t sent_gen; /* link generation */
	int sent_to; /* leader it was last sent to */
	int sends;
	struct idtab_entry hentry;
	TAILQ_ENTRY(gw_req) entry;
};

struct gateway {
	struct ev *ev;
	const struct conf *conf;
	const struct conf_node *self;
	const uint8_t *key;
	struct httpd *httpd;
	httpd_handler fallback;
	void *fallback_arg;
	struct cache *cache;
	uint64_t tick;
	int token; /* jobs need "Authorization: Bearer" */
	uint8_t token_hash[HASH_LEN]; /* SHA-256 of the token */

	uint64_t next_id;
	struct wire_sender tx;
	int leader; /* as the cluster told last */
	uint64_t epoch;
	int last_leader; /* last leader known, for the cache */
	uint64_t last_epoch;
	struct link *link;
	uint64_t link_gen;
	uint64_t link_seq; /* last seq seen on it */
	int64_t retry_at;

	struct idtab ids;
	TAILQ_HEAD(, gw_req) reqs;
	int nreqs;
	int nheld;

	/* Counters. */
	uint64_t requests[2];
	uint64_t answered[PROTO_RESULT_NSTATUS];
	uint64_t cached_replies;
	uint64_t full; /* 503: queue full */
	uint64_t wait_expired; /* 503: no leader in time */
	uint64_t timeouts; /* 504 */
	uint64_t bad_requests;
	uint64_t unauthorized; /* 401: no or wrong bearer token */
	uint64_t sends;
	uint64_t resends;
	uint64_t leader_changes;
	uint64_t ignored[GW_IGN_COUNT];
	int64_t total_ms; /* of answered requests */
};

static void gateway_link_msg(struct link *, const struct wire_msg *, void *);
static void gateway_link_closed(struct link *, enum wire_err, void *);

/* ---- request table ------------------------------------------------- */

static struct gw_req *
gateway_find(struct gateway *g, uint64_t id)
{
	return idtab_find(&g->ids, id);
}

static struct gw_req *
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

/* ---- HTTP answers -------------------------------------------------- */

static int
gateway_retry_after(const struct gateway *g)
{
	int64_t s;

	s = (g->conf->failure_timeout + g->conf->election_finalize + 999) /
	    1000;
	return s < 1 ? 1 : (int)s;
}

/* A plain answer with Cached-Response: false (and more extra lines). */
static void
gateway_reply_plain(struct httpd_conn *c, int status, const char *ctype,
    const char *body, const char *extra)
{
	char hdrs[256];

	snprintf(hdrs, sizeof hdrs, "Cached-Response: false\r\n%s",
	    extra != NULL ? extra : "");
	httpd_reply(c, status, ctype, body, strlen(body), hdrs);
}

/* 503 with Retry-After, as text or JSON. */
static void
gateway_reply_unavailable(
    struct gateway *g, struct httpd_conn *c, enum gw_kind kind, const char *why)
{
	char extra[64];
	struct buf b;

	snprintf(
	    extra, sizeof extra, "Retry-After: %d\r\n", gateway_retry_after(g));
	if (kind == GW_CLASSIC) {
		gateway_reply_plain(c, 503, GW_CTYPE_TEXT, why, extra);
		return;
	}
	buf_init(&b);
	buf_puts(&b, "{\"error\":");
	buf_json_str(&b, why, strlen(why));
	buf_puts(&b, "}\n");
	gateway_reply_plain(c, 503, GW_CTYPE_JSON, buf_cstr(&b), extra);
	buf_free(&b);
}

static void
gateway_reply_json_error(
    struct httpd_conn *c, int status, const char *why, const char *extra)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "{\"error\":");
	buf_json_str(&b, why, strlen(why));
	buf_puts(&b, "}\n");
	gateway_reply_plain(c, status, GW_CTYPE_JSON, buf_cstr(&b), extra);
	buf_free(&b);
}

/* Answer a job's HTTP request from a decoded RESULT. */
static void
gateway_reply_result(struct gateway *g, struct httpd_conn *c, enum gw_kind kind,
    uint64_t id, const struct proto_result *pr, int cached, int64_t total_ms)
{
	char extra[160];
	struct buf b;
	int status;

	if (pr->status < PROTO_RESULT_NSTATUS)
		g->answered[pr->status]++;
	if (cached)
		g->cached_replies++;
	if (c == NULL)
		return; /* the client went away */
	if (kind == GW_CLASSIC) {
		if (pr->status == PROTO_RESULT_OK)
			status = 200;
		else if (pr->status == PROTO_RESULT_REJECTED)
			status = 503;
		else
			status = 400;
		if (status == 503)
			snprintf(extra, sizeof extra,
			    "Cached-Response: %s\r\n"
			    "X-Jdp-Node: %u\r\nRetry-After: %d\r\n",
			    cached ? "true" : "false", pr->node,
			    gateway_retry_after(g));
		else
			snprintf(extra, sizeof extra,
			    "Cached-Response: %s\r\n"
			    "X-Jdp-Node: %u\r\n",
			    cached ? "true" : "false", pr->node);
		httpd_reply(
		    c, status, GW_CTYPE_TEXT, pr->body, pr->body_len, extra);
		return;
	}
	buf_init(&b);
	buf_printf(&b, "{\"id\":\"%016llx\",\"status\":\"%s\",\"result\":",
	    (unsigned long long)id, proto_result_status_name(pr->status));
	buf_json_str(&b, (const char *)pr->body, pr->body_len);
	buf_puts(&b, ",\"stdout\":");
	buf_json_str(&b, (const char *)pr->out, pr->out_len);
	buf_puts(&b, ",\"stderr\":");
	buf_json_str(&b, (const char *)pr->err, pr->err_len);
	buf_printf(&b,
	    ",\"node\":%u,\"timings\":{\"compile_ms\":%u,"
	    "\"run_ms\":%u,\"total_ms\":%lld},\"cached\":%s}\n",
	    pr->node, pr->compile_ms, pr->run_ms, (long long)total_ms,
	    cached ? "true" : "false");
	snprintf(extra, sizeof extra, "Cached-Response: %s\r\n",
	    cached ? "true" : "false");
	httpd_reply(c, 200, GW_CTYPE_JSON, buf_data(&b), buf_len(&b), extra);
	buf_free(&b);
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
static void
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
	if (r->cacheable && pr.status != PROTO_RESULT_TIMEOUT &&
	    pr.status != PROTO_RESULT_REJECTED)
		cache_put(g->cache, r->key, m->payload, m->plen);
	total = ev_now(g->ev) - r->arrived;
	g->total_ms += total;
	c = httpd_find(g->httpd, r->ticket);
	gateway_reply_result(g, c, r->kind, r->id, &pr, 0, total);
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

/* ---- requests ------------------------------------------------------ */

/*
 * A job request: answer from the cache, refuse when full, or hold it and
 * send it to the leader.
 */
static void
gateway_submit(struct gateway *g, struct httpd_conn *c, enum gw_kind kind,
    const struct proto_work *pw)
{
	struct proto_result pr;
	const uint8_t *hit;
	uint8_t key[HASH_LEN];
	struct gw_req *r;
	struct buf work;
	size_t len;

	buf_init(&work);
	proto_work_encode(&work, pw);
	hash_sha256(buf_data(&work), buf_len(&work), key);
	if ((hit = cache_get(g->cache, key, &len)) != NULL &&
	    proto_result_decode(hit, len, &pr) == 0) {
		gateway_reply_result(g, c, kind, 0, &pr, 1, 0);
		buf_free(&work);
		return;
	}
	if (g->nreqs >= g->conf->queue_max) {
		g->full++;
		gateway_reply_unavailable(
		    g, c, kind, "Server busy: too many requests waiting\n");
		buf_free(&work);
		return;
	}
	r = gateway_req_new(g);
	r->kind = kind;
	r->ticket = httpd_ticket(c);
	r->work = work;
	memcpy(r->key, key, HASH_LEN);
	r->cacheable = 1;
	log_debug("request %llx (%s), %zu bytes of source",
	    (unsigned long long)r->id,
	    kind == GW_CLASSIC ? "compileandrun" : "v1/run", pw->source_len);
	gateway_flush(g);
}

/* POST /compileandrun. */
static void
gateway_classic(struct gateway *g, struct httpd_conn *c,
    const struct http_request *req, const uint8_t *body, size_t len)
{
	struct proto_work pw;

	g->requests[GW_CLASSIC]++;
	if (!http_method_is(req, "POST")) {
		g->bad_requests++;
		gateway_reply_plain(c, 405, GW_CTYPE_TEXT,
		    "Method not allowed: use POST\n", "Allow: POST\r\n");
		return;
	}
	if (!http_media_type_is(
		http_header_get(req, "Content-Type"), "text/x-java-source")) {
		g->bad_requests++;
		gateway_reply_plain(c, 400, GW_CTYPE_TEXT, GW_BAD_CTYPE, NULL);
		return;
	}
	memset(&pw, 0, sizeof pw);
	pw.source = body;
	pw.source_len = len;
	gateway_submit(g, c, GW_CLASSIC, &pw);
}

/* POST /v1/run: {"source": "...", "stdin": "...", "timeout": seconds}. */
static void
gateway_v1(struct gateway *g, struct httpd_conn *c,
    const struct http_request *req, const uint8_t *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *root = NULL, *v;
	struct proto_work pw;
	const char *why = NULL;
	double t;

	g->requests[GW_V1]++;
	if (!http_method_is(req, "POST")) {
		g->bad_requests++;
		gateway_reply_json_error(c, 405, "use POST", "Allow: POST\r\n");
		return;
	}
	memset(&pw, 0, sizeof pw);
	tok = json_tokener_new();
	if (len > 0 && len <= INT32_MAX)
		root = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	if (root == NULL || json_tokener_get_parse_end(tok) != len)
		why = "body must be one JSON object";
	else if (!json_object_is_type(root, json_type_object))
		why = "body must be a JSON object";
	else if (!json_object_object_get_ex(root, "source", &v) ||
	    !json_object_is_type(v, json_type_string))
		why = "\"source\" (a string) is required";
	else {
		pw.source = (const uint8_t *)json_object_get_string(v);
		pw.source_len = (size_t)json_object_get_string_len(v);
	}
	if (why == NULL && json_object_object_get_ex(root, "stdin", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_string))
			why = "\"stdin\" must be a string";
		else {
			pw.flags |= PROTO_WORK_STDIN;
			pw.stdin_data =
			    (const uint8_t *)json_object_get_string(v);
			pw.stdin_len = (size_t)json_object_get_string_len(v);
		}
	}
	if (why == NULL && json_object_object_get_ex(root, "timeout", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			why = "\"timeout\" must be a number of seconds";
		else if ((t = json_object_get_double(v)) <= 0)
			why = "\"timeout\" must be positive";
		else if (t * 1000 < (double)g->conf->job_timeout)
			/* Whole ms, at least 1: 0 would mean job-timeout. */
			pw.timeout_ms =
			    t < 0.001 ? 1 : (uint32_t)(t * 1000 + 0.5);
		/* At or above job-timeout: the follower's own limit (0). */
	}
	if (why != NULL) {
		g->bad_requests++;
		gateway_reply_json_error(c, 400, why, NULL);
	} else
		gateway_submit(g, c, GW_V1, &pw);
	if (root != NULL)
		json_object_put(root);
	json_tokener_free(tok);
}

static int
gateway_path_is(const struct http_request *req, const char *path)
{
	return req->path.len == strlen(path) &&
	    memcmp(req->path.p, path, req->path.len) == 0;
}

/*
 * With api-token-file set, does the request carry the token
 * ("Authorization: Bearer TOKEN", the scheme in any case)? The hashes are
 * compared in constant time, so neither length nor content leaks.
 */
static int
gateway_authorized(const struct gateway *g, const struct http_request *req)
{
	const struct http_span *h;
	uint8_t hash[HASH_LEN];
	const char *p, *end;

	if (!g->token)
		return 1;
	if ((h = http_header_get(req, "Authorization")) == NULL || h->len < 7 ||
	    strncasecmp(h->p, "Bearer ", 7) != 0)
		return 0;
	p = h->p + 7;
	end = h->p + h->len;
	while (p < end && *p == ' ')
		p++;
	hash_sha256(p, (size_t)(end - p), hash);
	return sodium_memcmp(hash, g->token_hash, HASH_LEN) == 0;
}

static void
gateway_http(struct httpd_conn *c, const struct http_request *req,
    const uint8_t *body, size_t len, void *arg)
{
	struct gateway *g = arg;
	int classic = gateway_path_is(req, "/compileandrun");

	if (!classic && !gateway_path_is(req, "/v1/run")) {
		g->fallback(c, req, body, len, g->fallback_arg);
		return;
	}
	if (!gateway_authorized(g, req)) {
		g->unauthorized++;
		if (classic)
			gateway_reply_plain(c, 401, GW_CTYPE_TEXT,
			    GW_UNAUTHORIZED "\n", GW_CHALLENGE);
		else
			gateway_reply_json_error(
			    c, 401, GW_UNAUTHORIZED, GW_CHALLENGE);
		return;
	}
	if (classic)
		gateway_classic(g, c, req, body, len);
	else
		gateway_v1(g, c, req, body, len);
}

/*
 * Read the bearer token from path: one line of RFC 6750 token characters,
 * 16 to 512 of them; keep only its hash.
 */
static int
gateway_token_load(struct gateway *g, const char *path, char **cause)
{
	char text[GW_TOKEN_MAX + 2];
	size_t have = 0, n;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(
		    cause, "api-token-file %s: %s", path, strerror(errno));
		return -1;
	}
	while (have < sizeof text &&
	    ((r = read(fd, text + have, sizeof text - have)) > 0 ||
		(r == -1 && errno == EINTR)))
		have += r > 0 ? (size_t)r : 0;
	close(fd);
	while (have > 0 && isspace((unsigned char)text[have - 1]))
		have--;
	for (n = 0; n < have; n++) {
		if (!isalnum((unsigned char)text[n]) &&
		    strchr("-._~+/=", text[n]) == NULL)
			break;
	}
	if (n != have || have < GW_TOKEN_MIN || have > GW_TOKEN_MAX) {
		sodium_memzero(text, sizeof text);
		xasprintf(cause,
		    "api-token-file %s: the token must be one line of %d to "
		    "%d letters, digits or -._~+/=",
		    path, GW_TOKEN_MIN, GW_TOKEN_MAX);
		return -1;
	}
	hash_sha256(text, have, g->token_hash);
	sodium_memzero(text, sizeof text);
	g->token = 1;
	return 0;
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
				gateway_reply_unavailable(g, c, r->kind,
				    "No leader available; try again later\n");
			gateway_req_free(g, r);
		} else if (now - r->arrived >= lifetime) {
			g->timeouts++;
			log_warn("request %llx: no answer in %lld ms, 504",
			    (unsigned long long)r->id,
			    (long long)(now - r->arrived));
			if (c != NULL && r->kind == GW_CLASSIC)
				gateway_reply_plain(c, 504, GW_CTYPE_TEXT,
				    "The cluster did not answer in time\n",
				    NULL);
			else if (c != NULL)
				gateway_reply_json_error(c, 504,
				    "the cluster did not answer in time", NULL);
			gateway_req_free(g, r);
		} else if (r->state == GW_SENT && now - r->sent_at >= resend) {
			/* Lost somewhere: the same id again, never twice run. */
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
	    gateway_token_load(g, conf->api_token_file, cause) == -1) {
		free(g);
		return NULL;
	}
	g->httpd = httpd_new(
	    ev, &a, &lim, conf->client_timeout, gateway_http, g, cause);
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
			gateway_reply_unavailable(
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
	int i;

	buf_printf(b,
	    "# TYPE jdp_gateway_requests_total counter\n"
	    "jdp_gateway_requests_total{endpoint=\"compileandrun\"} %llu\n"
	    "jdp_gateway_requests_total{endpoint=\"v1_run\"} %llu\n",
	    (unsigned long long)g->requests[GW_CLASSIC],
	    (unsigned long long)g->requests[GW_V1]);
	buf_printf(b, "# TYPE jdp_gateway_answered_total counter\n");
	for (i = 0; i < PROTO_RESULT_NSTATUS; i++)
		buf_printf(b,
		    "jdp_gateway_answered_total{status=\"%s\"} "
		    "%llu\n",
		    proto_result_status_name(i),
		    (unsigned long long)g->answered[i]);
	buf_printf(b,
	    "# TYPE jdp_gateway_cached_replies_total counter\n"
	    "jdp_gateway_cached_replies_total %llu\n",
	    (unsigned long long)g->cached_replies);
	buf_printf(b,
	    "# TYPE jdp_gateway_refused_total counter\n"
	    "jdp_gateway_refused_total{reason=\"queue_full\"} %llu\n"
	    "jdp_gateway_refused_total{reason=\"no_leader\"} %llu\n"
	    "jdp_gateway_refused_total{reason=\"timeout\"} %llu\n"
	    "jdp_gateway_refused_total{reason=\"bad_request\"} %llu\n"
	    "jdp_gateway_refused_total{reason=\"unauthorized\"} %llu\n",
	    (unsigned long long)g->full, (unsigned long long)g->wait_expired,
	    (unsigned long long)g->timeouts,
	    (unsigned long long)g->bad_requests,
	    (unsigned long long)g->unauthorized);
	buf_printf(b,
	    "# TYPE jdp_gateway_pending gauge\n"
	    "jdp_gateway_pending %d\n",
	    g->nreqs);
	buf_printf(b, "# TYPE jdp_gateway_held gauge\njdp_gateway_held %d\n",
	    g->nheld);
	buf_printf(b,
	    "# TYPE jdp_gateway_sends_total counter\n"
	    "jdp_gateway_sends_total %llu\n",
	    (unsigned long long)g->sends);
	buf_printf(b,
	    "# TYPE jdp_gateway_resends_total counter\n"
	    "jdp_gateway_resends_total %llu\n",
	    (unsigned long long)g->resends);
	buf_printf(b,
	    "# TYPE jdp_gateway_leader_changes_total counter\n"
	    "jdp_gateway_leader_changes_total %llu\n",
	    (unsigned long long)g->leader_changes);
	buf_printf(b,
	    "# TYPE jdp_gateway_leader gauge\n"
	    "jdp_gateway_leader %d\n",
	    g->leader);
	buf_printf(b, "# TYPE jdp_gateway_ignored_replies_total counter\n");
	for (i = 0; i < GW_IGN_COUNT; i++)
		buf_printf(b,
		    "jdp_gateway_ignored_replies_total"
		    "{reason=\"%s\"} %llu\n",
		    gw_ignored_names[i], (unsigned long long)g->ignored[i]);
	buf_printf(b,
	    "# TYPE jdp_gateway_answer_ms_total counter\n"
	    "jdp_gateway_answer_ms_total %lld\n",
	    (long long)g->total_ms);
	cache_write_metrics(g->cache, b, "jdp_cache");
	httpd_write_metrics(g->httpd, b, "jdp_public_http");
}
