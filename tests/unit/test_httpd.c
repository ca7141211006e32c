/*
 * test_httpd.c: the HTTP server against bad clients, on loopback sockets
 * and a fake clock: the connection budget, eviction at the budget, accept()
 * out of descriptors (paused, not spun), answers to a client that does not
 * read them (bounded), idle connections timed out, and a refused body:
 * the answer reaches a client still sending it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "http.h"
#include "httpd.h"
#include "tap.h"

#define TIMEOUT 1000
#define NREQ 1000 /* pipelined requests of a client that does not read */

static int64_t fake_now = 1000;
static struct sockaddr_in addr;
static int held; /* requests for /later not answered yet */

static int64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* "/later" is answered never, "/big" with 64 KiB, anything else 1 KiB. */
static void
handler(struct httpd_conn *c, const struct http_request *req,
    const uint8_t *body, size_t len, void *arg)
{
	static char kib[65536];
	size_t n = 1024;

	(void)body;
	(void)len;
	(void)arg;
	if (req->path.len == 6 && memcmp(req->path.p, "/later", 6) == 0) {
		held++;
		return;
	}
	if (req->path.len == 4 && memcmp(req->path.p, "/big", 4) == 0)
		n = sizeof kib;
	memset(kib, 'x', n);
	httpd_reply(c, 200, "text/plain", kib, n, NULL);
}

/* Turn the loop n times, waiting at most a few ms each. */
static void
run(struct ev *ev, int n)
{
	while (n-- > 0)
		ev_run_once(ev, 2);
}

static void
advance(struct ev *ev, int64_t ms)
{
	fake_now += ms;
	ev_update_time(ev);
	run(ev, 5);
}

/* A free loopback port in addr. */
static void
pick_port(void)
{
	socklen_t len = sizeof addr;
	int fd;

	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&addr, sizeof addr);
	getsockname(fd, (struct sockaddr *)&addr, &len);
	close(fd);
}

static void
say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		diag("short write");
}

static int
client(void)
{
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == -1)
		return -1;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* 1 if the server closed fd (EOF or reset), 0 if it is open and quiet. */
static int
closed(int fd)
{
	char b[4096];
	ssize_t n;

	while ((n = read(fd, b, sizeof b)) > 0)
		continue;
	return n == 0 || (n == -1 && errno != EAGAIN);
}

/* Bytes the server sent on fd so far; *eof set if it closed. */
static size_t
drain(int fd, int *eof)
{
	char b[65536];
	size_t total = 0;
	ssize_t n;

	*eof = 0;
	while ((n = read(fd, b, sizeof b)) > 0)
		total += (size_t)n;
	if (n == 0)
		*eof = 1;
	return total;
}

/* A counter of the server's /metrics text ("accept_paused_total"). */
static long long
metric(struct httpd *h, const char *name)
{
	struct buf b;
	char key[128];
	const char *p;
	long long v = -1;

	buf_init(&b);
	httpd_write_metrics(h, &b, "t");
	snprintf(key, sizeof key, "\nt_%s ", name);
	if ((p = strstr(buf_cstr(&b), key)) != NULL)
		v = atoll(p + strlen(key));
	buf_free(&b);
	return v;
}

static struct httpd *
server_max_body(struct ev *ev, size_t max_body)
{
	struct http_limits lim;
	struct httpd *h;
	char *cause = NULL;

	http_limits_default(&lim);
	if (max_body != 0)
		lim.max_body = max_body;
	pick_port();
	h = httpd_new(ev, &addr, &lim, TIMEOUT, handler, NULL, &cause);
	if (h == NULL) {
		diag("httpd_new: %s", cause);
		exit(1);
	}
	return h;
}

static struct httpd *
server(struct ev *ev)
{
	return server_max_body(ev, 0);
}

static void
test_budget(void)
{
	is_int(httpd_conn_budget(1024), 768, "1024 descriptors: 768");
	is_int(httpd_conn_budget(512), 384, "512: 384");
	is_int(httpd_conn_budget(200), 136, "200: 136 (64 kept)");
	is_int(httpd_conn_budget(64), 16, "64: 16 at least");
	is_int(httpd_conn_budget(1 << 20), 8192, "2^20: 8192 at most");
	is_int(httpd_conn_budget(UINT64_MAX), 8192, "unlimited: 8192");
}

/* At the budget a new connection evicts the least recently used idle one. */
static void
test_evict(struct ev *ev)
{
	struct httpd *h = server(ev);
	int fds[32], busy[32], extra, n, i, eof, open;
	int budget = httpd_conn_budget(96);

	n = budget < 32 ? budget : 32;
	is_int(metric(h, "connections_max"), budget, "budget %d", budget);
	for (i = 0; i < n; i++) {
		fds[i] = client();
		run(ev, 2);
	}
	is_int(httpd_nconns(h), n, "%d idle connections held", n);
	extra = client();
	say(extra, "GET / HTTP/1.1\r\n\r\n");
	run(ev, 10);
	ok(closed(fds[0]), "the oldest idle one is evicted");
	ok(!closed(fds[1]), "the next one is not");
	ok(drain(extra, &eof) > 1024 && !eof, "the new one is served");
	is_int(metric(h, "closed_total{reason=\"evicted\"}"), 1, "counted");
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(extra);
	run(ev, 10);
	is_int(httpd_nconns(h), 0, "all gone");

	/* Connections owing an answer are never evicted. */
	held = 0;
	for (i = 0; i < n; i++) {
		busy[i] = client();
		say(busy[i], "GET /later HTTP/1.1\r\n\r\n");
		run(ev, 3);
	}
	is_int(held, n, "%d requests held", n);
	extra = client();
	run(ev, 10);
	ok(closed(extra), "a new one finds no room and is closed");
	is_int(metric(h, "rejected_total{reason=\"connection_limit\"}"), 1,
	    "counted");
	for (open = i = 0; i < n; i++)
		open += !closed(busy[i]);
	is_int(open, n, "every held request still open");
	for (i = 0; i < n; i++)
		close(busy[i]);
	close(extra);
	httpd_free(h);
}

/* accept() out of descriptors: one try per pause, then served. */
static void
test_emfile(struct ev *ev)
{
	struct httpd *h = server(ev);
	int spare[128], nspare = 0, null, c, eof;

	c = client();
	say(c, "GET / HTTP/1.1\r\n\r\n");
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	while (nspare < 128 && (spare[nspare] = dup(null)) != -1)
		nspare++;
	ok(nspare < 128 && errno == EMFILE, "no descriptor left (%d)", nspare);
	run(ev, 20);
	is_int(metric(h, "accept_paused_total"), 1, "accept paused once");
	advance(ev, 50);
	run(ev, 20);
	is_int(metric(h, "accept_paused_total"), 1,
	    "and not tried again within the pause");
	advance(ev, 60);
	is_int(metric(h, "accept_paused_total"), 2, "tried once after it");
	while (nspare > 0)
		close(spare[--nspare]);
	close(null);
	advance(ev, 110);
	is_int(httpd_nconns(h), 1, "accepted once descriptors are back");
	ok(drain(c, &eof) > 1024, "and served");
	close(c);
	httpd_free(h);
}

/* A client that sends requests but never reads: answers are bounded. */
static void
test_no_reader(struct ev *ev)
{
	struct httpd *h = server(ev);
	const char req[] = "GET /big HTTP/1.1\r\n\r\n";
	size_t sent = 0, got = 0, want = NREQ * (sizeof req - 1), each;
	int c, small = 4096, eof, i;
	long long before;
	struct buf b;
	ssize_t n;
	char *all;

	/* The size of one answer. */
	all = calloc(1, 65536);
	buf_init(&b);
	http_write_response(&b, 200, "text/plain", all, 65536, 1, NULL);
	each = buf_len(&b);
	buf_free(&b);
	free(all);
	all = malloc(want);
	for (i = 0; i < NREQ; i++)
		memcpy(all + i * (sizeof req - 1), req, sizeof req - 1);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	connect(c, (struct sockaddr *)&addr, sizeof addr);
	fcntl(c, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 500 && sent < want; i++) {
		n = write(c, all + sent, want - sent);
		if (n > 0)
			sent += (size_t)n;
		run(ev, 2);
	}
	before = metric(h, "requests_total");
	ok(before < NREQ / 5, "not reading: %lld of %d answered", before, NREQ);
	small = 1 << 20;
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	for (i = 0; i < 1000000 && got < NREQ * each; i++) {
		if (sent < want && (n = write(c, all + sent, want - sent)) > 0)
			sent += (size_t)n;
		got += drain(c, &eof);
		ev_run_once(ev, 0);
	}
	is_int(metric(h, "requests_total"), NREQ, "reading: all answered");
	is_int(got, NREQ * each, "every answer arrived");
	ok(!eof, "the connection is still open");
	close(c);
	free(all);
	httpd_free(h);
}

/* A connection that never sends a byte is closed after the timeout. */
static void
test_idle(struct ev *ev)
{
	struct httpd *h = server(ev);
	int c;

	c = client();
	run(ev, 5);
	is_int(httpd_nconns(h), 1, "accepted");
	advance(ev, TIMEOUT / 2);
	ok(!closed(c), "open within the timeout");
	advance(ev, TIMEOUT);
	ok(closed(c), "closed after it");
	is_int(metric(h, "closed_total{reason=\"idle\"}"), 1, "counted idle");
	close(c);
	httpd_free(h);
}

/* Write all of n bytes of 'x' (the loop turning meanwhile); 0 or -1. */
static int
send_body(struct ev *ev, int fd, size_t n)
{
	static char chunk[8192];
	ssize_t w;

	memset(chunk, 'x', sizeof chunk);
	while (n > 0) {
		w = send(fd, chunk, n < sizeof chunk ? n : sizeof chunk,
		    MSG_NOSIGNAL);
		if (w == -1 && errno == EAGAIN) {
			run(ev, 1);
			continue;
		}
		if (w <= 0)
			return -1;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * A body over max-body is refused at its head with 413 while the client
 * still sends it: closing with its bytes unread would reset the
 * connection, and the client's next write would fail before it reads the
 * answer. The server lingers instead, dropping input until the client's
 * end (or HTTPD_LINGER_MS).
 */
static void
test_refused_body(struct ev *ev)
{
	struct httpd *h = server_max_body(ev, 1024);
	char b[4096];
	size_t got = 0;
	ssize_t n;
	int c, i;

	c = client();
	say(c,
	    "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n"
	    "\r\n");
	ok(send_body(ev, c, 100000) == 0, "the first 100 kB of the body go");
	run(ev, 5);
	ok(send_body(ev, c, 900000) == 0,
	    "and, with the answer out, the rest (no reset)");
	shutdown(c, SHUT_WR);
	for (i = 0; i < 200 && got < sizeof b - 1; i++) {
		run(ev, 1);
		n = read(c, b + got, sizeof b - 1 - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	b[got] = '\0';
	ok(strncmp(b, "HTTP/1.1 413 ", 13) == 0, "the client reads the 413");
	ok(strstr(b, "Connection: close\r\n") != NULL,
	    "with Connection: close");
	run(ev, 5);
	is_int(httpd_nconns(h), 0, "closed at the client's end");
	close(c);

	/* A client that sends and never closes is let go after the linger. */
	c = client();
	say(c, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n");
	run(ev, 5);
	is_int(httpd_nconns(h), 1, "a refused client that keeps quiet lingers");
	advance(ev, 2500);
	advance(ev, 500);
	is_int(httpd_nconns(h), 0, "for a bounded time");
	close(c);
	httpd_free(h);
}

int
main(void)
{
	struct rlimit rl;
	struct ev *ev;

	test_budget();
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 96;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		printf("1..0 # SKIP cannot lower RLIMIT_NOFILE\n");
		return 0;
	}
	ev = ev_new();
	ev_set_clock(ev, fake_clock, NULL);
	test_evict(ev);
	test_emfile(ev);
	test_no_reader(ev);
	test_idle(ev);
	test_refused_body(ev);
	ev_free(ev);
	return tap_done();
}
