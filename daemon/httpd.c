/*
 * httpd.c: the HTTP/1.1 server behind every node's HTTP port and the
 * gateway's public port.
 *
 * Each connection is a small state machine driven by httpd_conn_process:
 * parse a head from the input buffer, wait for its body, hand the request
 * to the handler and wait for its answer (BUSY), write the answer, go on
 * with the next pipelined request. While a request is BUSY the connection
 * does not read, so the spans handed to the handler stay valid.
 *
 * Hostile clients (tests/integration/hostile.sh, docs/ARCHITECTURE.md):
 * - Every connection is timed from its accept: one that never sends a byte
 *   is closed after client-timeout like an idle keep-alive one, and a head
 *   or body still incomplete client-timeout after its first byte gets 408.
 * - Input is bounded by the parser's limits (the head) and max-body; a
 *   connection reads nothing while an answer is owed or while more than
 *   HTTPD_OUT_MAX bytes of answers wait for a client that does not read,
 *   so pipelining cannot make answers pile up. Empty buffers are freed.
 * - All servers of a process together hold at most httpd_conn_budget()
 *   connections, so a quarter of the descriptors stays for links, the
 *   runner and the logs. At the budget a new connection evicts the least
 *   recently used one that owes nothing (idle, or a head still arriving),
 *   as nginx reuses idle keep-alive connections; only when none can go is
 *   the new one closed.
 * - accept() failing for want of descriptors or memory (EMFILE, ENFILE,
 *   ENOBUFS, ENOMEM) first evicts like that; if nothing can go, the
 *   listener is not polled for HTTPD_PAUSE_MS instead of spinning on a
 *   level-triggered readable listener. At most HTTPD_ACCEPT_BATCH accepts
 *   per wake-up, so a flood does not starve the connections already in.
 * - A request refused before its body was read (413, 408, a bad head) is
 *   answered, then the connection lingers: the write side is shut and
 *   input is read and dropped until the client closes, for at most
 *   HTTPD_LINGER_MS and HTTPD_LINGER_MAX bytes. Closing with unread input
 *   would send a reset, and a client still sending its body would lose
 *   the answer with its next write (curl reports no status at all).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ev.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "net.h"
#include "xmalloc.h"

/* Longest metric name written, NUL included. */
#define HTTPD_METRIC_NAME 128

#define HTTPD_MAX_CONNS 8192 /* per process, whatever the fd limit */
#define HTTPD_READ_SIZE 16384
#define HTTPD_SWEEP_MS 500
#define HTTPD_OUT_MAX 65536 /* unsent answer bytes before reading stops */
#define HTTPD_ACCEPT_BATCH 64 /* accepts per wake-up of the listener */
#define HTTPD_PAUSE_MS 100 /* listener not polled after EMFILE & co. */
#define HTTPD_WARN_MS 10000 /* at most one accept warning this often */
#define HTTPD_LINGER_MS 2000 /* reading after a refusal, at most */
#define HTTPD_LINGER_MAX (64 * 1024 * 1024) /* bytes dropped, at most */

enum httpd_state {
	HTTPD_ST_HEAD, /* waiting for a complete head */
	HTTPD_ST_BODY, /* head parsed, waiting for the body */
	HTTPD_ST_BUSY, /* the handler owes an answer */
	HTTPD_ST_CLOSING, /* answer queued, close once written */
	HTTPD_ST_LINGER /* refusal written: drop input until the client closes */
};

struct httpd_conn {
	struct httpd *h;
	int fd;
	uint64_t id;
	uint64_t ticket;
	enum httpd_state state;
	struct buf in;
	struct buf out;
	struct http_request req;
	size_t head_len;
	int sent_continue;
	int64_t last_active; /* accepted, or last byte in or out */
	int64_t req_start; /* first byte of the request */
	int processing;
	int dead;
	int linger; /* input may be left unread: linger after the answer */
	size_t dropped; /* bytes read and dropped while lingering */
	TAILQ_ENTRY(httpd_conn) entry; /* least recently answered first */
};

struct httpd {
	struct ev *ev;
	int fd;
	int budget; /* connections of all servers together */
	uint64_t pause; /* timer while the listener rests, or 0 */
	int64_t last_warn;
	struct http_limits limits;
	int64_t timeout;
	httpd_handler handler;
	void *arg;
	char *default_name; /* header every answer carries, or NULL */
	char *default_line; /* "Name: value\r\n" */
	uint64_t next_id;
	uint64_t sweep;
	int nconns;
	TAILQ_HEAD(, httpd_conn) conns;
	TAILQ_ENTRY(httpd) entry;

	/* Counters for /metrics. */
	uint64_t accepted;
	uint64_t requests;
	uint64_t rejected; /* over the connection limit */
	uint64_t bad; /* malformed requests */
	uint64_t timeouts; /* 408: head or body too slow */
	uint64_t idle; /* closed after client-timeout without a request */
	uint64_t evicted; /* closed to make room for a new one */
	uint64_t paused; /* accept() out of descriptors or memory */
};

/* Every server of the process, and their connections together. */
static TAILQ_HEAD(, httpd) httpd_servers = TAILQ_HEAD_INITIALIZER(
    httpd_servers);
static int httpd_total;

static void httpd_conn_process(struct httpd_conn *);
static void httpd_conn_events(struct httpd_conn *);

static void
httpd_conn_free(struct httpd_conn *c)
{
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void
httpd_conn_close(struct httpd_conn *c)
{
	struct httpd *h = c->h;

	if (c->dead)
		return;
	ev_del_fd(h->ev, c->fd);
	close(c->fd);
	TAILQ_REMOVE(&h->conns, c, entry);
	h->nconns--;
	httpd_total--;
	c->dead = 1;
	if (!c->processing)
		httpd_conn_free(c);
}

/* Write what we can; returns -1 if the connection was closed. */
static int
httpd_conn_flush(struct httpd_conn *c)
{
	ssize_t n;

	while (buf_len(&c->out) > 0) {
		n = send(
		    c->fd, buf_data(&c->out), buf_len(&c->out), MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			httpd_conn_close(c);
			return -1;
		}
		buf_consume(&c->out, (size_t)n);
		c->last_active = ev_now(c->h->ev);
	}
	if (buf_len(&c->out) == 0 && c->state == HTTPD_ST_CLOSING) {
		if (!c->linger || shutdown(c->fd, SHUT_WR) == -1) {
			httpd_conn_close(c);
			return -1;
		}
		c->state = HTTPD_ST_LINGER;
		c->last_active = ev_now(c->h->ev);
	}
	if (buf_len(&c->out) == 0)
		buf_free(&c->out);
	httpd_conn_events(c);
	return 0;
}

/*
 * Read while answering nothing and while the client takes its answers;
 * write while output is pending.
 */
static void
httpd_conn_events(struct httpd_conn *c)
{
	int events = 0;

	if ((c->state == HTTPD_ST_HEAD || c->state == HTTPD_ST_BODY) &&
	    buf_len(&c->out) < HTTPD_OUT_MAX)
		events |= EV_READ;
	if (c->state == HTTPD_ST_LINGER)
		events |= EV_READ;
	if (buf_len(&c->out) > 0)
		events |= EV_WRITE;
	ev_mod_fd(c->h->ev, c->fd, events);
}

/* Answer a request the parser refused, and close. */
static void
httpd_conn_error(struct httpd_conn *c, int status)
{
	char body[128];
	int n;

	n = snprintf(
	    body, sizeof body, "%d %s\n", status, http_status_text(status));
	http_write_response(&c->out, status, "text/plain", body, (size_t)n, 0,
	    c->h->default_line);
	c->state = HTTPD_ST_CLOSING;
	c->linger = 1;
	buf_free(&c->in);
	httpd_conn_flush(c);
}

/* Read and drop what a refused client still sends; close at its end. */
static void
httpd_conn_linger(struct httpd_conn *c)
{
	char b[HTTPD_READ_SIZE];
	ssize_t n;

	while ((n = read(c->fd, b, sizeof b)) > 0) {
		c->dropped += (size_t)n;
		if (c->dropped > HTTPD_LINGER_MAX)
			break;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	httpd_conn_close(c);
}

void
httpd_reply(struct httpd_conn *c, int status, const char *ctype,
    const void *body, size_t len, const char *extra)
{
	int keep = c->req.keep_alive;

	struct httpd *h = c->h;
	char *all = NULL;

	if (c->dead || c->state != HTTPD_ST_BUSY)
		return;
	if (h->default_line != NULL &&
	    (extra == NULL || strcasestr(extra, h->default_name) == NULL)) {
		xasprintf(
		    &all, "%s%s", extra != NULL ? extra : "", h->default_line);
		extra = all;
	}
	http_write_response(&c->out, status, ctype, body, len, keep, extra);
	free(all);
	buf_consume(&c->in, c->head_len + (size_t)c->req.content_length);
	if (buf_len(&c->in) == 0)
		buf_free(&c->in);
	c->state = keep ? HTTPD_ST_HEAD : HTTPD_ST_CLOSING;
	c->ticket = 0;
	/* A pipelined request's clock starts now; least recently used last. */
	c->req_start = ev_now(h->ev);
	TAILQ_REMOVE(&h->conns, c, entry);
	TAILQ_INSERT_TAIL(&h->conns, c, entry);
	if (httpd_conn_flush(c) == -1)
		return;
	if (!c->processing)
		httpd_conn_process(c);
}

/* Drive the connection as far as its input allows. */
static void
httpd_conn_process(struct httpd_conn *c)
{
	struct httpd *h = c->h;
	ssize_t n;
	int status;

	c->processing = 1;
	while (!c->dead) {
		if (c->state == HTTPD_ST_HEAD) {
			/* Answers pile up: wait for the client to take them. */
			if (buf_len(&c->in) == 0 ||
			    buf_len(&c->out) >= HTTPD_OUT_MAX)
				break;
			n = http_parse_request((const char *)buf_data(&c->in),
			    buf_len(&c->in), &h->limits, &c->req, &status);
			if (n == HTTP_PARTIAL)
				break;
			if (n < 0) {
				h->bad++;
				httpd_conn_error(c, status);
				break;
			}
			c->head_len = (size_t)n;
			c->sent_continue = 0;
			c->state = HTTPD_ST_BODY;
		}
		if (c->state == HTTPD_ST_BODY) {
			if (buf_len(&c->in) - c->head_len <
			    c->req.content_length) {
				if (c->req.expect_continue &&
				    !c->sent_continue) {
					buf_puts(&c->out,
					    "HTTP/1.1 100 Continue\r\n\r\n");
					c->sent_continue = 1;
					httpd_conn_flush(c);
				}
				break;
			}
			/*
			 * Reading the body may have moved the buffer: parse
			 * the head again so the spans point into it.
			 */
			http_parse_request((const char *)buf_data(&c->in),
			    c->head_len, &h->limits, &c->req, &status);
			c->state = HTTPD_ST_BUSY;
			c->ticket = ++h->next_id;
			h->requests++;
			httpd_conn_events(c);
			h->handler(c, &c->req, buf_data(&c->in) + c->head_len,
			    (size_t)c->req.content_length, h->arg);
			continue;
		}
		break; /* BUSY or CLOSING: wait */
	}
	c->processing = 0;
	if (c->dead)
		httpd_conn_free(c);
}

static void
httpd_conn_io(struct ev *ev, int fd, int what, void *arg)
{
	struct httpd_conn *c = arg;
	ssize_t n;
	uint8_t *p;

	if (what & EV_WRITE) {
		if (httpd_conn_flush(c) == -1)
			return;
		/* Answers went out: a request waiting behind them can go. */
		if (c->state == HTTPD_ST_HEAD && buf_len(&c->in) > 0 &&
		    buf_len(&c->out) < HTTPD_OUT_MAX) {
			httpd_conn_process(c);
			return;
		}
	}
	if (!(what & EV_READ))
		return;
	if (c->state == HTTPD_ST_LINGER) {
		httpd_conn_linger(c);
		return;
	}
	if (c->state != HTTPD_ST_HEAD && c->state != HTTPD_ST_BODY) {
		if (what & EV_ERROR)
			httpd_conn_close(c);
		return;
	}
	p = buf_reserve(&c->in, HTTPD_READ_SIZE);
	n = read(fd, p, HTTPD_READ_SIZE);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		httpd_conn_close(c);
		return;
	}
	if (buf_len(&c->in) == 0 && c->state == HTTPD_ST_HEAD)
		c->req_start = ev_now(ev);
	buf_commit(&c->in, (size_t)n);
	c->last_active = ev_now(ev);
	httpd_conn_process(c);
}

int
httpd_conn_budget(uint64_t nofile)
{
	uint64_t reserve, n;

	reserve = nofile / 4 < 64 ? 64 : nofile / 4;
	n = nofile > reserve + 16 ? nofile - reserve : 16;
	return n > HTTPD_MAX_CONNS ? HTTPD_MAX_CONNS : (int)n;
}

/* The first connection of h, least recently used first, that owes nothing. */
static struct httpd_conn *
httpd_idlest(struct httpd *h)
{
	struct httpd_conn *c;

	TAILQ_FOREACH(c, &h->conns, entry)
	{
		if ((c->state == HTTPD_ST_HEAD ||
			c->state == HTTPD_ST_LINGER) &&
		    buf_len(&c->out) == 0 && !c->processing)
			return c;
	}
	return NULL;
}

/*
 * Make room: close the least recently used connection that owes nothing,
 * of this server if it has one, else of another. 1 if one was closed.
 */
static int
httpd_evict(struct httpd *h)
{
	struct httpd *s;
	struct httpd_conn *c;

	if ((c = httpd_idlest(h)) == NULL) {
		TAILQ_FOREACH(s, &httpd_servers, entry)
		{
			if (s != h && (c = httpd_idlest(s)) != NULL)
				break;
		}
	}
	if (c == NULL)
		return 0;
	c->h->evicted++;
	httpd_conn_close(c);
	return 1;
}

static int64_t
httpd_resume(struct ev *ev, void *arg)
{
	struct httpd *h = arg;

	h->pause = 0;
	ev_mod_fd(ev, h->fd, EV_READ);
	return EV_TIMER_STOP;
}

/*
 * accept() failed for want of descriptors or memory and nothing could be
 * evicted: the listener is level-triggered and stays readable, so stop
 * polling it for a while rather than spin.
 */
static void
httpd_pause(struct httpd *h, int error)
{
	int64_t now = ev_now(h->ev);

	h->paused++;
	if (h->last_warn == 0 || now - h->last_warn >= HTTPD_WARN_MS) {
		log_warn("http: accept: %s; not accepting for %d ms "
			 "(%llu times so far)",
		    strerror(error), HTTPD_PAUSE_MS,
		    (unsigned long long)h->paused);
		h->last_warn = now;
	}
	ev_mod_fd(h->ev, h->fd, 0);
	h->pause = ev_add_timer(h->ev, HTTPD_PAUSE_MS, httpd_resume, h);
}

static void
httpd_conn_new(struct httpd *h, int fd)
{
	struct httpd_conn *c;

	c = xcalloc(1, sizeof *c);
	c->h = h;
	c->fd = fd;
	c->id = ++h->next_id;
	c->state = HTTPD_ST_HEAD;
	c->last_active = c->req_start = ev_now(h->ev);
	buf_init(&c->in);
	buf_init(&c->out);
	if (ev_add_fd(h->ev, fd, EV_READ, httpd_conn_io, c) == -1) {
		close(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&h->conns, c, entry);
	h->nconns++;
	httpd_total++;
}

static void
httpd_accept(struct ev *ev, int fd, int what, void *arg)
{
	struct httpd *h = arg;
	int cfd, n, error;

	(void)ev;
	(void)what;
	for (n = 0; n < HTTPD_ACCEPT_BATCH; n++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			error = errno;
			if (error == EAGAIN || error == EWOULDBLOCK)
				return;
			if (error == EINTR || error == ECONNABORTED ||
			    error == EPROTO || error == EPERM)
				continue; /* that connection only */
			if ((error == EMFILE || error == ENFILE ||
				error == ENOBUFS || error == ENOMEM) &&
			    httpd_evict(h))
				continue;
			httpd_pause(h, error);
			return;
		}
		h->accepted++;
		if (httpd_total >= h->budget && !httpd_evict(h)) {
			h->rejected++;
			close(cfd);
			continue;
		}
		httpd_conn_new(h, cfd);
	}
}

/* Close idle connections and requests whose head or body is too slow. */
static int64_t
httpd_sweep(struct ev *ev, void *arg)
{
	struct httpd *h = arg;
	struct httpd_conn *c, *next;
	int64_t now = ev_now(ev);

	for (c = TAILQ_FIRST(&h->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == HTTPD_ST_BUSY)
			continue;
		if (c->state == HTTPD_ST_CLOSING) {
			if (now - c->last_active > h->timeout)
				httpd_conn_close(c);
			continue;
		}
		if (c->state == HTTPD_ST_LINGER) {
			if (now - c->last_active > HTTPD_LINGER_MS)
				httpd_conn_close(c);
			continue;
		}
		if (buf_len(&c->in) > 0 && now - c->req_start > h->timeout) {
			h->timeouts++;
			httpd_conn_error(c, 408);
		} else if (buf_len(&c->in) == 0 &&
		    now - c->last_active > h->timeout) {
			h->idle++;
			httpd_conn_close(c);
		}
	}
	return HTTPD_SWEEP_MS;
}

struct httpd *
httpd_new(struct ev *ev, const struct sockaddr_in *addr,
    const struct http_limits *limits, int64_t timeout, httpd_handler handler,
    void *arg, char **cause)
{
	struct httpd *h;
	struct rlimit rl;
	int fd;

	if ((fd = net_tcp_listen(addr, 1024, cause)) == -1)
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->ev = ev;
	h->fd = fd;
	h->limits = *limits;
	h->timeout = timeout;
	h->handler = handler;
	h->arg = arg;
	TAILQ_INIT(&h->conns);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = 1024;
	h->budget = httpd_conn_budget(rl.rlim_cur);
	TAILQ_INSERT_TAIL(&httpd_servers, h, entry);
	if (ev_add_fd(ev, fd, EV_READ, httpd_accept, h) == -1)
		fatal("ev_add_fd");
	h->sweep = ev_add_timer(ev, HTTPD_SWEEP_MS, httpd_sweep, h);
	return h;
}

void
httpd_free(struct httpd *h)
{
	struct httpd_conn *c;

	if (h == NULL)
		return;
	while ((c = TAILQ_FIRST(&h->conns)) != NULL)
		httpd_conn_close(c);
	ev_del_timer(h->ev, h->sweep);
	ev_del_timer(h->ev, h->pause);
	TAILQ_REMOVE(&httpd_servers, h, entry);
	ev_del_fd(h->ev, h->fd);
	close(h->fd);
	free(h->default_name);
	free(h->default_line);
	free(h);
}

void
httpd_set_default_header(struct httpd *h, const char *name, const char *value)
{
	free(h->default_name);
	free(h->default_line);
	xasprintf(&h->default_name, "%s:", name);
	xasprintf(&h->default_line, "%s: %s\r\n", name, value);
}

uint64_t
httpd_ticket(struct httpd_conn *c)
{
	return c->ticket;
}

struct httpd_conn *
httpd_find(struct httpd *h, uint64_t ticket)
{
	struct httpd_conn *c;

	if (ticket == 0)
		return NULL;
	TAILQ_FOREACH(c, &h->conns, entry)
	{
		if (c->ticket == ticket)
			return c;
	}
	return NULL;
}

int
httpd_nconns(struct httpd *h)
{
	return h->nconns;
}

/* The metric called prefix_name, in n (HTTPD_METRIC_NAME bytes). */
static const char *
httpd_metric_name(char *n, const char *prefix, const char *name)
{
	snprintf(n, HTTPD_METRIC_NAME, "%s_%s", prefix, name);
	return n;
}

void
httpd_write_metrics(struct httpd *h, struct buf *b, const char *prefix)
{
	char n[HTTPD_METRIC_NAME];

	buf_metric(
	    b, "gauge", httpd_metric_name(n, prefix, "connections"), h->nconns);
	buf_metric(b, "gauge", httpd_metric_name(n, prefix, "connections_max"),
	    h->budget);
	buf_metric(b, "counter", httpd_metric_name(n, prefix, "accepted_total"),
	    (long long)h->accepted);
	buf_metric(b, "counter", httpd_metric_name(n, prefix, "requests_total"),
	    (long long)h->requests);
	buf_metric_type(
	    b, "counter", httpd_metric_name(n, prefix, "rejected_total"));
	buf_metric_label(
	    b, n, "reason", "connection_limit", (long long)h->rejected);
	buf_metric_label(b, n, "reason", "malformed", (long long)h->bad);
	buf_metric_label(b, n, "reason", "timeout", (long long)h->timeouts);
	buf_metric_type(
	    b, "counter", httpd_metric_name(n, prefix, "closed_total"));
	buf_metric_label(b, n, "reason", "idle", (long long)h->idle);
	buf_metric_label(b, n, "reason", "evicted", (long long)h->evicted);
	buf_metric(b, "counter",
	    httpd_metric_name(n, prefix, "accept_paused_total"),
	    (long long)h->paused);
}
