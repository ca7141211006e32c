/*
 * client.h: the console's HTTP client, the one file that uses libcurl:
 * blocking GET and POST for the one-shot commands, and a set of requests
 * run together (libcurl multi) for the TUI.
 */
#ifndef JDP_CLIENT_H
#define JDP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct client_req;
struct client_multi;

/* Set up libcurl for the whole process; once, before any request. */
void client_init(void);
/* Give back what client_init took; after the last request. */
void client_done(void);
/*
 * GET url, appending the answer to body and storing an X-Log-Size header
 * in *logsize (if not NULL). Returns the HTTP status, or -1 when the
 * server cannot be reached (*err names why, static).
 */
long client_get(const char *, struct buf *, uint64_t *, const char **);
/*
 * POST len bytes of body with Content-Type ctype (and the bearer token of
 * JDP_TOKEN) to url, waiting at most timeout_ms; the answer is appended to
 * out. Returns the HTTP status, or -1 (*err names why, static).
 */
long client_post(const char *, const char *, const void *, size_t, long,
    struct buf *, const char **);
/*
 * Why a request for url at the gateway gw did not succeed: HTTP status st,
 * or -1 with err from client_get or client_post. Returns "cannot reach the
 * gateway at GW: ERR" or "URL answered HTTP ST" (static, valid until the
 * next call).
 */
const char *client_error(const char *, const char *, long, const char *);
/* Base URL of a node's HTTP API from its "HOST:PORT" address; 0 or -1. */
int client_node_url(const char *, char *, size_t);

/*
 * A GET of url for a client_multi: the answer is appended to body, an
 * X-Log-Size header stored in *logsize (if not NULL); at most timeout_ms,
 * connecting within connect_ms. arg (not NULL) is the caller's, given
 * back by client_multi_next. Caller frees (client_req_free).
 */
struct client_req *client_req_new(
    const char *, long, long, struct buf *, uint64_t *, void *);
/*
 * Make req a POST of len bytes of body (kept by the caller until req is
 * freed) with Content-Type ctype and the bearer token of JDP_TOKEN.
 */
void client_req_post(struct client_req *, const char *, const void *, size_t);
/* Free req, taking it out of its client_multi first. */
void client_req_free(struct client_req *);

/*
 * Requests run together, keeping at most maxconn connections alive.
 * Caller frees (client_multi_free, after freeing its requests).
 */
struct client_multi *client_multi_new(long);
/* Free m; its requests must have been freed. */
void client_multi_free(struct client_multi *);
/* Start req in m. */
void client_multi_add(struct client_multi *, struct client_req *);
/*
 * Run the transfers of m, waiting at most ms for them or for one of the
 * first four of fds (nfds) to become readable.
 */
void client_multi_wait(struct client_multi *, const int *, int, int);
/*
 * A finished request of m: returns its arg and stores the HTTP status in
 * *status, or -1 with *err saying why (valid until the request is freed).
 * NULL when none has finished since the last call.
 */
void *client_multi_next(struct client_multi *, long *, const char **);

#endif
