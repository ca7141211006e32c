/*
 * httpd.h: a small HTTP/1.1 server on the event loop, used for the node
 * HTTP port of every node and the gateway's public port. Keep-alive and
 * pipelining (one request at a time per connection, in order), idle and
 * slow clients timed out, bodies read by Content-Length, limits from
 * struct http_limits, a connection budget below the descriptor limit
 * (httpd.c says how it holds against hostile clients). The handler answers
 * at once or later.
 */
#ifndef JDP_HTTPD_H
#define JDP_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "buf.h"
#include "http.h"

struct ev;
struct httpd;
struct httpd_conn;

/*
 * Called once per complete request. req's spans and body stay valid until
 * the request is answered. The handler must answer with httpd_reply, now
 * or later (keep the ticket from httpd_ticket to answer later).
 */
typedef void (*httpd_handler)(struct httpd_conn *, const struct http_request *,
    const uint8_t *, size_t, void *);

/*
 * Listen on addr. Returns the server or NULL with *cause set (caller
 * frees). client_timeout is the idle/slow-client limit in ms.
 */
struct httpd *httpd_new(struct ev *, const struct sockaddr_in *,
    const struct http_limits *, int64_t, httpd_handler, void *, char **);
/* Close every connection and the listener. */
void httpd_free(struct httpd *);
/*
 * Answer the current request of a connection: status, content type (or
 * NULL), body, extra header lines ("Name: value\r\n", or NULL).
 */
void httpd_reply(
    struct httpd_conn *, int, const char *, const void *, size_t, const char *);
/*
 * Give every answer (those httpd makes itself too) the header name: value,
 * unless the handler's extra lines already carry it.
 */
void httpd_set_default_header(struct httpd *, const char *, const char *);
/* A ticket to answer a connection's current request later. */
uint64_t httpd_ticket(struct httpd_conn *);
/* The connection a ticket belongs to, or NULL if it has gone away. */
struct httpd_conn *httpd_find(struct httpd *, uint64_t);
/* Prometheus counters (prefix e.g. "jdp_http"). */
void httpd_write_metrics(struct httpd *, struct buf *, const char *);
/* Number of open connections. */
int httpd_nconns(struct httpd *);
/*
 * How many connections all servers of a process may hold when it may open
 * nofile descriptors: all but a quarter (at least 64), at most 8192.
 */
int httpd_conn_budget(uint64_t);

#endif
