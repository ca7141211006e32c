/*
 * gateway-int.h: what the gateway's two files share: gateway.c (the
 * request table, the link to the leader, the tick) and gateway-api.c (the
 * HTTP API: handlers, authentication, replies). Not for use outside
 * gateway*.c.
 */
#ifndef JDP_GATEWAY_INT_H
#define JDP_GATEWAY_INT_H

#include <stdint.h>
#include <sys/queue.h>

#include "buf.h"
#include "hash.h"
#include "httpd.h"
#include "idtab.h"
#include "proto.h"
#include "wire.h"

struct cache;
struct conf;
struct conf_node;
struct ev;
struct http_request;
struct link;

#define GW_CTYPE_TEXT "text/plain; charset=utf-8"
#define GW_CTYPE_JSON "application/json"

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
	uint64_t bytes; /* WORK payloads of the requests in reqs */

	/* Counters. */
	uint64_t requests[2];
	uint64_t answered[PROTO_RESULT_NSTATUS];
	uint64_t cached_replies;
	uint64_t full; /* 503: queue full */
	uint64_t inflight_full; /* 503: inflight-max bytes held */
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

/* A new request, HELD, with the next id; the caller fills it in. */
struct gw_req *gateway_req_new(struct gateway *);
/* Send every held request to the leader, connecting if needed. */
void gateway_flush(struct gateway *);
/*
 * Is a RESULT the job's own answer, to be cached? Not a failure of the
 * machinery (PROTO_RESULT_F_TRANSIENT), a refusal or a timeout.
 */
int gateway_cacheable(const struct proto_result *);

/* The httpd handler of the public port: job endpoints, else fallback. */
void gateway_api_http(struct httpd_conn *, const struct http_request *,
    const uint8_t *, size_t, void *);
/*
 * Read the bearer token from path (api-token-file) and keep its hash.
 * Returns 0, or -1 with *cause set (caller frees).
 */
int gateway_api_token_load(struct gateway *, const char *, char **);
/* A plain answer with Cached-Response: false (and more extra lines). */
void gateway_api_reply_plain(
    struct httpd_conn *, int, const char *, const char *, const char *);
/* 503 with Retry-After, as text or JSON. */
void gateway_api_reply_unavailable(
    struct gateway *, struct httpd_conn *, enum gw_kind, const char *);
/* {"error": why} with status and extra header lines. */
void gateway_api_reply_json_error(
    struct httpd_conn *, int, const char *, const char *);
/*
 * Answer a job's HTTP request from a decoded RESULT (c NULL: the client
 * went away, only counted).
 */
void gateway_api_reply_result(struct gateway *, struct httpd_conn *,
    enum gw_kind, uint64_t, const struct proto_result *, int, int64_t);

#endif
