/*
 * test_work.c: the gateway, leader and follower sides of the work protocol
 * in one process, on real loopback sockets, with a fake cluster view and a
 * fake runner: round robin, the HTTP contract, the cache, holding without
 * a leader, the queue bound, a follower lost mid-job, a leader lost
 * mid-job (last work collected, nothing run twice), 100 concurrent
 * distinct requests, transient failures never cached, a request id reused
 * with another payload, the byte budget of requests held (inflight-max),
 * strangers on the work port (idle connections over the budget, a frame
 * too large before authentication, no handshake) while jobs are served,
 * and a WORK frame replayed on a new connection.
 *
 * The fake runner answers "ran:<source>" after a delay named in the
 * source ("sleep=MS;"), or a compile error for sources starting with
 * "bad", a compile error marked transient (the compile server died) for
 * "flaky", and counts the runs of every source.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "gateway.h"
#include "httpd.h"
#include "net.h"
#include "proto.h"
#include "tap.h"
#include "wire.h"
#include "work-int.h"
#include "work.h"
#include "xmalloc.h"

#define NPEERS 4
#define NNODES (NPEERS + 1)

static struct ev *ev;
static struct conf *conf;
static uint8_t key[WIRE_KEY_LEN] = {7, 7, 7};
static int base;

/* The fake cluster's view, told to every node as the real one tells. */
static int cur_leader = -1;
static uint64_t cur_epoch = 1;
static int alive[NNODES];

struct fnode {
	int id;
	int up;
	int listen_fd;
	struct work *work;
	struct gateway *gw;
	int runs;
	int warming; /* its runner is still starting */
};
static struct fnode nodes[NNODES];

/* Fake runner jobs. */
struct fjob {
	struct fnode *n;
	char *src;
	struct work_job *job;
	uint64_t timer;
	int live;
};
#define MAX_FJOBS 4096
static struct fjob fjobs[MAX_FJOBS];
static int nfjobs;

static int64_t
fjob_fire(struct ev *e, void *arg)
{
	struct fjob *j = arg;
	struct proto_result r;
	struct buf body;

	(void)e;
	j->live = 0;
	memset(&r, 0, sizeof r);
	buf_init(&body);
	if (strncmp(j->src, "refuse", 6) == 0) {
		r.status = PROTO_RESULT_REJECTED;
		buf_printf(&body, "Runner busy: %s", j->src);
	} else if (strncmp(j->src, "flaky", 5) == 0) {
		r.status = PROTO_RESULT_COMPILE_ERROR;
		r.flags = PROTO_RESULT_F_TRANSIENT;
		buf_printf(&body,
		    "Code did not compile:\nError:\nthe compile server died "
		    "while compiling this job");
	} else if (strncmp(j->src, "bad", 3) == 0) {
		r.status = PROTO_RESULT_COMPILE_ERROR;
		buf_printf(&body, "Code did not compile:\n%s", j->src);
	} else {
		r.status = PROTO_RESULT_OK;
		buf_printf(&body, "ran:%s", j->src);
	}
	r.body = buf_data(&body);
	r.body_len = buf_len(&body);
	r.out = (const uint8_t *)"out";
	r.out_len = 3;
	r.run_ms = 1;
	work_job_done(j->job, &r);
	buf_free(&body);
	return EV_TIMER_STOP;
}

static uint64_t
hook_run(void *arg, const struct proto_work *pw, struct work_job *job)
{
	struct fnode *n = arg;
	struct fjob *j;
	const char *s;
	int delay = 1;

	if (nfjobs == MAX_FJOBS)
		abort();
	j = &fjobs[nfjobs++];
	j->n = n;
	j->src = xstrndup((const char *)pw->source, pw->source_len);
	j->job = job;
	j->live = 1;
	if ((s = strstr(j->src, "sleep=")) != NULL)
		delay = atoi(s + 6);
	n->runs++;
	j->timer = ev_add_timer(ev, delay, fjob_fire, j);
	return (uint64_t)(j - fjobs) + 1;
}

static int
hook_ready(void *arg)
{
	return !((struct fnode *)arg)->warming;
}

static void
hook_cancel(void *arg, uint64_t h)
{
	struct fjob *j = &fjobs[h - 1];

	(void)arg;
	if (j->live)
		ev_del_timer(ev, j->timer);
	j->live = 0;
}

/* How many times source src was run, over all nodes. */
static int
runs_of(const char *src)
{
	int i, n = 0;

	for (i = 0; i < nfjobs; i++)
		n += strcmp(fjobs[i].src, src) == 0;
	return n;
}

static void
fallback(struct httpd_conn *c, const struct http_request *req,
    const uint8_t *body, size_t len, void *arg)
{
	(void)req;
	(void)body;
	(void)len;
	(void)arg;
	httpd_reply(c, 404, "text/plain", "not found\n", 10, NULL);
}

/* Tell every live node which nodes gossip counts alive. */
static void
cluster_tell_alive(void)
{
	uint64_t mask = 0;
	int i;

	for (i = 0; i < conf->nnodes; i++) {
		if (alive[conf->nodes[i].id])
			mask |= (uint64_t)1 << i;
	}
	for (i = 0; i < NNODES; i++)
		if (nodes[i].up)
			work_set_alive(nodes[i].work, mask);
}

static void
node_start(int id)
{
	struct fnode *n = &nodes[id];
	struct work_hooks h;
	struct sockaddr_in a;
	char *cause = NULL;

	n->id = id;
	memset(&h, 0, sizeof h);
	h.arg = n;
	if (id != 0) {
		h.run = hook_run;
		h.cancel = hook_cancel;
		h.ready = hook_ready;
	}
	a = net_addr_offset(&conf_find_node(conf, id)->addr, CONF_TCP_OFFSET);
	n->listen_fd = net_tcp_listen(&a, 128, &cause);
	if (n->listen_fd == -1) {
		printf("Bail out! %s\n", cause);
		exit(1);
	}
	n->work = work_new(ev, conf, id, (uint64_t)id * 1000 + 1, key, &h);
	work_listen(n->work, n->listen_fd);
	/* Like a cluster listener: the current view at once. */
	work_leader_changed(n->work, cur_leader, cur_epoch);
	if (id == 0) {
		n->gw =
		    gateway_new(ev, conf, 0, 42, key, fallback, NULL, &cause);
		if (n->gw == NULL) {
			printf("Bail out! %s\n", cause);
			exit(1);
		}
		gateway_leader_changed(n->gw, cur_leader, cur_epoch);
	}
	n->up = 1;
	alive[id] = 1;
	cluster_tell_alive();
}

/* A crash: links close, the port refuses, gossip will say so later. */
static void
node_kill(int id)
{
	struct fnode *n = &nodes[id];
	int i;

	for (i = 0; i < nfjobs; i++) {
		if (fjobs[i].n == n && fjobs[i].live) {
			ev_del_timer(ev, fjobs[i].timer);
			fjobs[i].live = 0;
		}
	}
	work_free(n->work);
	n->work = NULL;
	close(n->listen_fd);
	n->up = 0;
}

/* Gossip's verdict reaches every live node. */
static void
cluster_node_down(int id)
{
	int i;

	alive[id] = 0;
	cluster_tell_alive();
	for (i = 1; i < NNODES; i++)
		if (nodes[i].up)
			work_node_down(nodes[i].work, id);
}

static void
cluster_set_leader(int leader, uint64_t epoch)
{
	int i;

	cur_leader = leader;
	cur_epoch = epoch;
	for (i = 1; i < NNODES; i++)
		if (nodes[i].up)
			work_leader_changed(nodes[i].work, leader, epoch);
	gateway_leader_changed(nodes[0].gw, leader, epoch);
}

/* ---- a small asynchronous HTTP client ------------------------------ */

struct client {
	int fd;
	struct buf in;
	int done;
	int status;
	char *head;
	char *body;
};

static void
client_start(struct client *c, const char *method, const char *path,
    const char *ctype, const char *body)
{
	struct sockaddr_in a = conf_find_node(conf, 0)->addr;
	struct buf req;
	size_t off = 0;
	ssize_t n;

	memset(c, 0, sizeof *c);
	buf_init(&c->in);
	a.sin_port = htons(conf_find_node(conf, 0)->http_port);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof a) == -1) {
		printf("Bail out! connect: %s\n", strerror(errno));
		exit(1);
	}
	buf_init(&req);
	buf_printf(&req, "%s %s HTTP/1.1\r\nHost: x\r\n", method, path);
	if (ctype != NULL)
		buf_printf(&req, "Content-Type: %s\r\n", ctype);
	buf_printf(&req, "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    strlen(body), body);
	while (off < buf_len(&req)) {
		/* The loop must run for big bodies: write what fits. */
		n = send(c->fd, buf_data(&req) + off, buf_len(&req) - off,
		    MSG_DONTWAIT);
		if (n > 0)
			off += (size_t)n;
		else
			ev_run_once(ev, 1);
	}
	buf_free(&req);
}

/* Read what has arrived; done once the server closed. */
static int
client_poll(struct client *c)
{
	char tmp[65536], *sep;
	ssize_t n;

	if (c->done)
		return 1;
	while ((n = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT)) > 0)
		buf_add(&c->in, tmp, (size_t)n);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	close(c->fd);
	c->done = 1;
	buf_cstr(&c->in);
	if ((sep = strstr((char *)buf_data(&c->in), "\r\n\r\n")) == NULL) {
		c->head = xstrdup("");
		c->body = xstrdup("");
		return 1;
	}
	c->head = xstrndup((char *)buf_data(&c->in),
	    (size_t)(sep - (char *)buf_data(&c->in)) + 2);
	c->body = xstrdup(sep + 4);
	c->status = atoi(c->head + 9);
	return 1;
}

static void
client_free(struct client *c)
{
	buf_free(&c->in);
	free(c->head);
	free(c->body);
}

/* Spin the loop until c is answered or ms pass; 1 if answered. */
static int
client_wait(struct client *c, int ms)
{
	int64_t until = ev_update_time(ev) + ms;

	while (!client_poll(c)) {
		if (ev_update_time(ev) > until)
			return 0;
		ev_run_once(ev, 5);
	}
	return 1;
}

static void
spin(int ms)
{
	int64_t until = ev_update_time(ev) + ms;

	while (ev_update_time(ev) < until)
		ev_run_once(ev, 5);
}

static int
has_header(const struct client *c, const char *line)
{
	return c->head != NULL && strstr(c->head, line) != NULL;
}

/* One classic request, answered within 5 s. */
static void
post(struct client *c, const char *src)
{
	client_start(c, "POST", "/compileandrun", "text/x-java-source", src);
	client_wait(c, 5000);
}

/* The value of one metric line ("name" or "name{labels}") of node id. */
static long long
metric(int id, const char *name)
{
	struct buf b;
	const char *p, *text;
	size_t klen = strlen(name);
	long long v = -1;

	buf_init(&b);
	if (id == 0)
		gateway_write_metrics(nodes[0].gw, &b);
	else
		work_write_metrics(nodes[id].work, &b);
	text = buf_cstr(&b);
	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, name, klen) == 0 && p[klen] == ' ') {
			v = strtoll(p + klen + 1, NULL, 10);
			break;
		}
	}
	buf_free(&b);
	return v;
}

/* Run the loop until runs_of(src) reaches n (at most ms). */
static int
wait_runs(const char *src, int n, int ms)
{
	int64_t until = ev_update_time(ev) + ms;

	while (runs_of(src) < n && ev_update_time(ev) < until)
		ev_run_once(ev, 5);
	return runs_of(src) >= n;
}

/* Is a run of src still going (not answered yet)? */
static int
running(const char *src)
{
	int i;

	for (i = 0; i < nfjobs; i++)
		if (fjobs[i].live && strcmp(fjobs[i].src, src) == 0)
			return 1;
	return 0;
}

/*
 * A WORK frame for request id, as if gateway 0 had sent it to the leader
 * (the frame checks of work.c passed).
 */
static void
leader_inject(uint64_t id, const char *src)
{
	struct proto_work pw;
	struct wire_msg m;
	struct buf b;

	memset(&pw, 0, sizeof pw);
	pw.source = (const uint8_t *)src;
	pw.source_len = strlen(src);
	buf_init(&b);
	proto_work_encode(&b, &pw);
	memset(&m, 0, sizeof m);
	m.h.type = PROTO_WORK;
	m.h.sender = 0;
	m.h.reqid = id;
	m.payload = buf_data(&b);
	m.plen = buf_len(&b);
	work_leader_on_work(nodes[cur_leader].work, NULL, &m);
	buf_free(&b);
}

/* ---- tests --------------------------------------------------------- */

static void
test_round_robin(void)
{
	struct client c;
	char src[64], want[80];
	int i, good = 0, r2, r3, r4;

	r2 = nodes[2].runs;
	r3 = nodes[3].runs;
	r4 = nodes[4].runs;
	for (i = 0; i < 6; i++) {
		snprintf(src, sizeof src, "rr-%d", i);
		snprintf(want, sizeof want, "ran:rr-%d", i);
		post(&c, src);
		good += c.status == 200 && strcmp(c.body, want) == 0 &&
		    has_header(&c, "Cached-Response: false\r\n");
		client_free(&c);
	}
	is_int(good, 6, "six requests, six right answers, not cached");
	is_int(nodes[1].runs, 0, "the leader runs nothing itself");
	ok(nodes[2].runs - r2 == 2 && nodes[3].runs - r3 == 2 &&
		nodes[4].runs - r4 == 2,
	    "round robin: two jobs per follower "
	    "(%d %d %d)",
	    nodes[2].runs - r2, nodes[3].runs - r3, nodes[4].runs - r4);
}

static void
test_contract(void)
{
	struct client c;
	static char big[3000];

	client_start(&c, "POST", "/compileandrun", "text/plain", "x");
	client_wait(&c, 5000);
	is_int(c.status, 400, "wrong Content-Type: 400");
	is_str(c.body, "Content-Type must be \"text/x-java-source\"",
	    "wrong Content-Type: exact body");
	ok(has_header(&c, "Cached-Response: false\r\n"),
	    "wrong Content-Type: Cached-Response header");
	client_free(&c);

	client_start(&c, "POST", "/compileandrun", NULL, "x");
	client_wait(&c, 5000);
	is_int(c.status, 400, "missing Content-Type: 400");
	client_free(&c);

	client_start(&c, "POST", "/compileandrun",
	    "Text/X-Java-Source; charset=utf-8", "ct-params");
	client_wait(&c, 5000);
	ok(c.status == 200 && strcmp(c.body, "ran:ct-params") == 0,
	    "media type is case-insensitive and takes parameters");
	client_free(&c);

	client_start(&c, "GET", "/compileandrun", NULL, "");
	client_wait(&c, 5000);
	is_int(c.status, 405, "GET: 405");
	ok(has_header(&c, "Allow: POST\r\n"), "405 says Allow: POST");
	ok(has_header(&c, "Cached-Response: false\r\n"),
	    "405 has Cached-Response");
	client_free(&c);

	post(&c, "bad code");
	is_int(c.status, 400, "compile error: 400");
	is_str(c.body, "Code did not compile:\nbad code",
	    "compile error: the error text");
	client_free(&c);

	post(&c, "refuse-all");
	is_int(c.status, 503, "refused by every follower: 503");
	ok(has_header(&c, "Retry-After: "), "with Retry-After");
	is_int(runs_of("refuse-all"), 3, "after three followers were tried");
	client_free(&c);

	memset(big, 'j', sizeof big - 1);
	post(&c, big);
	is_int(c.status, 413, "body over max-body: 413");
	client_free(&c);

	client_start(&c, "GET", "/elsewhere", NULL, "");
	client_wait(&c, 5000);
	is_int(c.status, 404, "other paths go to the node API");
	client_free(&c);

	/* /v1/run */
	client_start(&c, "POST", "/v1/run", "application/json",
	    "{\"source\":\"json-1\",\"stdin\":\"in\",\"timeout\":1.5}");
	client_wait(&c, 5000);
	is_int(c.status, 200, "v1/run: 200");
	ok(strstr(c.body, "\"status\":\"ok\"") != NULL &&
		strstr(c.body, "\"result\":\"ran:json-1\"") != NULL &&
		strstr(c.body, "\"stdout\":\"out\"") != NULL &&
		strstr(c.body, "\"cached\":false") != NULL &&
		strstr(c.body, "\"timings\":{") != NULL &&
		strstr(c.body, "\"node\":") != NULL,
	    "v1/run: JSON fields (%s)", c.body);
	client_free(&c);

	client_start(&c, "POST", "/v1/run", "application/json",
	    "{\"source\":\"bad json-2\"}");
	client_wait(&c, 5000);
	ok(c.status == 200 &&
		strstr(c.body, "\"status\":\"compile_error\"") != NULL,
	    "v1/run: compile_error status");
	client_free(&c);

	client_start(&c, "POST", "/v1/run", "application/json", "{\"src\":1}");
	client_wait(&c, 5000);
	ok(c.status == 400 && strstr(c.body, "source") != NULL,
	    "v1/run: missing source is a 400 naming it");
	client_free(&c);

	client_start(&c, "POST", "/v1/run", "application/json", "{nope");
	client_wait(&c, 5000);
	is_int(c.status, 400, "v1/run: malformed JSON is a 400");
	client_free(&c);

	client_start(&c, "POST", "/v1/run", "application/json",
	    "{\"source\":\"x\",\"timeout\":-1}");
	client_wait(&c, 5000);
	is_int(c.status, 400, "v1/run: negative timeout is a 400");
	client_free(&c);
}

static void
test_cache(void)
{
	struct client c;

	post(&c, "cache-me");
	ok(c.status == 200 && has_header(&c, "Cached-Response: false\r\n"),
	    "first request is not cached");
	client_free(&c);
	post(&c, "cache-me");
	ok(c.status == 200 && strcmp(c.body, "ran:cache-me") == 0 &&
		has_header(&c, "Cached-Response: true\r\n"),
	    "a repeat is answered from the cache");
	client_free(&c);
	is_int(runs_of("cache-me"), 1, "and not run again");
	post(&c, "bad cache");
	client_free(&c);
	post(&c, "bad cache");
	ok(c.status == 400 && has_header(&c, "Cached-Response: true\r\n"),
	    "compile errors are cached too");
	client_free(&c);

	cluster_set_leader(cur_leader, cur_epoch + 1);
	spin(50);
	post(&c, "cache-me");
	ok(c.status == 200 && strcmp(c.body, "ran:cache-me") == 0 &&
		has_header(&c, "Cached-Response: false\r\n"),
	    "after a leader change the cache is cold");
	client_free(&c);
}

/*
 * A failure of the machinery (here: the compile server died under the
 * job) is not the job's answer: it is never cached, the next request runs
 * the job again.
 */
static void
test_transient(void)
{
	struct client c;

	post(&c, "flaky-1");
	ok(c.status == 400 && strstr(c.body, "the compile server died") &&
		has_header(&c, "Cached-Response: false\r\n"),
	    "a transient failure is answered (%d)", c.status);
	client_free(&c);
	post(&c, "flaky-1");
	ok(c.status == 400 && has_header(&c, "Cached-Response: false\r\n"),
	    "a transient failure is not cached");
	client_free(&c);
	is_int(runs_of("flaky-1"), 2, "the repeat runs the job again");
	client_start(&c, "POST", "/v1/run", "application/json",
	    "{\"source\":\"flaky-2\"}");
	client_wait(&c, 5000);
	client_free(&c);
	client_start(&c, "POST", "/v1/run", "application/json",
	    "{\"source\":\"flaky-2\"}");
	client_wait(&c, 5000);
	ok(c.status == 200 && strstr(c.body, "\"cached\":false") != NULL,
	    "nor on /v1/run");
	client_free(&c);
	is_int(runs_of("flaky-2"), 2, "which runs it again too");
}

/*
 * A request id the leader knows, sent again with another payload, is
 * refused (answered rejected, counted), never attached to the other job:
 * the same payload again is an ordinary retry.
 */
static void
test_reused_id(void)
{
	const char *a = "reuse-a;sleep=1500;", *b = "reuse-b";
	const char *refused = "jdp_work_refused_total{reason=\"reused_id\"}";
	const char *attached = "jdp_work_retries_total{outcome=\"attached\"}";
	const char *unknown =
	    "jdp_gateway_ignored_replies_total{reason=\"unknown_id\"}";
	uint64_t id = 0xfeed0001ULL; /* gateway 0's, unused by it */
	long long r0, a0, u0;
	struct work_job *j;
	int64_t until;

	r0 = metric(cur_leader, refused);
	a0 = metric(cur_leader, attached);
	u0 = metric(0, unknown);
	leader_inject(id, a);
	ok(wait_runs(a, 1, 2000), "the first payload runs");
	leader_inject(id, b);
	is_int(metric(cur_leader, refused), r0 + 1,
	    "the same id with another payload is refused and counted");
	j = work_table_find(&nodes[cur_leader].work->ljobs, id);
	ok(j != NULL && j->state == WORK_RUNNING &&
		buf_len(&j->work) == PROTO_WORK_MIN_LEN + strlen(a) &&
		memcmp(buf_data(&j->work) + PROTO_WORK_MIN_LEN, a, strlen(a)) ==
		    0,
	    "the job under that id is still the first one, running");
	until = ev_update_time(ev) + 1000;
	while (metric(0, unknown) == u0 && ev_update_time(ev) < until)
		ev_run_once(ev, 5);
	ok(metric(0, unknown) == u0 + 1 && running(a),
	    "the sender hears an answer (rejected) at once, not the other "
	    "job's");
	leader_inject(id, a);
	is_int(metric(cur_leader, attached), a0 + 1,
	    "the same payload again is a retry: attached");
	is_int(metric(cur_leader, refused), r0 + 1, "not refused");
	until = ev_update_time(ev) + 5000;
	while (running(a) && ev_update_time(ev) < until)
		ev_run_once(ev, 5);
	spin(50);
	is_int(runs_of(a), 1, "the first payload ran once");
	is_int(runs_of(b), 0, "the second never ran");
}

/*
 * inflight-max: the gateway answers 503 with Retry-After beyond its byte
 * budget; the leader answers rejected beyond its own, which the gateway
 * turns into 503 with Retry-After. One request always gets in.
 */
static void
test_inflight(void)
{
	const char *gfull =
	    "jdp_gateway_refused_total{reason=\"inflight_full\"}";
	const char *lfull = "jdp_work_refused_total{reason=\"inflight_full\"}";
	char big1[200], big2[200], big3[200];
	struct client c, c2;
	long long g0, l0;
	int64_t until;

	/* Each request alone fits; two do not. */
	conf->inflight_max = 250;
	snprintf(big1, sizeof big1, "inflight-1;sleep=300;%0150d", 1);
	snprintf(big2, sizeof big2, "inflight-2;%0150d", 2);
	snprintf(big3, sizeof big3, "inflight-3;%0150d", 3);
	g0 = metric(0, gfull);
	client_start(&c, "POST", "/compileandrun", "text/x-java-source", big1);
	ok(wait_runs(big1, 1, 2000), "a request under the budget runs");
	post(&c2, big2);
	is_int(c2.status, 503, "the gateway: a second one beyond it gets 503");
	ok(has_header(&c2, "Retry-After: "), "with Retry-After");
	ok(strstr(c2.body, "inflight-max") != NULL, "naming the budget (%s)",
	    c2.body);
	client_free(&c2);
	is_int(metric(0, gfull), g0 + 1, "counted");
	is_int(runs_of(big2), 0, "and not run");
	client_wait(&c, 5000);
	ok(c.status == 200 && strncmp(c.body, "ran:inflight-1", 14) == 0,
	    "the first is answered");
	client_free(&c);

	/* The leader holds a big job from another gateway. */
	until = ev_update_time(ev) + 2000;
	while (metric(cur_leader, "jdp_work_leader_bytes") != 0 &&
	    ev_update_time(ev) < until)
		ev_run_once(ev, 5);
	is_int(metric(cur_leader, "jdp_work_leader_bytes"), 0,
	    "the leader holds no bytes once the answer is acknowledged");
	is_int(
	    metric(0, "jdp_gateway_inflight_bytes"), 0, "nor does the gateway");
	l0 = metric(cur_leader, lfull);
	leader_inject(0xfeed0002ULL, big1);
	ok(wait_runs(big1, 2, 2000), "the leader takes a job under its budget");
	post(&c2, big3);
	is_int(c2.status, 503, "the leader: beyond its budget, 503");
	ok(has_header(&c2, "Retry-After: "), "with Retry-After");
	is_int(metric(cur_leader, lfull), l0 + 1, "counted by the leader");
	is_int(runs_of(big3), 0, "and not run");
	client_free(&c2);
	while (running(big1))
		ev_run_once(ev, 5);
	spin(50);
	post(&c2, big3);
	ok(c2.status == 200 && strncmp(c2.body, "ran:inflight-3", 14) == 0,
	    "once the budget is free again the request runs");
	client_free(&c2);
	conf->inflight_max = 256 << 20;
}

/* The leader is re-elected in a new epoch while a job runs. */
static void
test_same_leader_new_term(void)
{
	struct client c;
	const char *src = "new-term;sleep=300;";
	int i, running = 0;

	client_start(&c, "POST", "/compileandrun", "text/x-java-source", src);
	for (i = 0; i < 200 && !running; i++) {
		ev_run_once(ev, 5);
		for (int k = 0; k < nfjobs; k++)
			if (fjobs[k].live && strcmp(fjobs[k].src, src) == 0)
				running = 1;
	}
	ok(running, "the job runs");
	cluster_set_leader(cur_leader, cur_epoch + 1);
	/* Well before the gateway's own resend timer (4 s here). */
	client_wait(&c, 2000);
	ok(c.status == 200 && strcmp(c.body, "ran:new-term;sleep=300;") == 0,
	    "same leader in a new term: answered at once");
	is_int(runs_of(src), 1, "and run once");
	client_free(&c);
}

static void
test_concurrent(void)
{
	static struct client cs[100];
	char src[64], want[80];
	int i, good = 0, answered;
	int64_t until;

	for (i = 0; i < 100; i++) {
		snprintf(src, sizeof src, "conc-%d;sleep=%d;", i, i % 7 * 5);
		client_start(&cs[i], "POST", "/compileandrun",
		    "text/x-java-source", src);
	}
	until = ev_update_time(ev) + 10000;
	do {
		ev_run_once(ev, 5);
		answered = 0;
		for (i = 0; i < 100; i++)
			answered += client_poll(&cs[i]);
	} while (answered < 100 && ev_update_time(ev) < until);
	for (i = 0; i < 100; i++) {
		snprintf(
		    want, sizeof want, "ran:conc-%d;sleep=%d;", i, i % 7 * 5);
		good += cs[i].status == 200 && strcmp(cs[i].body, want) == 0;
		client_free(&cs[i]);
	}
	is_int(good, 100,
	    "100 concurrent distinct requests, each its own "
	    "body");
}

static void
test_follower_lost(void)
{
	struct client c;
	const char *src = "follower-dies;sleep=400;";
	int i, victim = -1;

	client_start(&c, "POST", "/compileandrun", "text/x-java-source", src);
	for (i = 0; i < 200 && victim == -1; i++) {
		ev_run_once(ev, 5);
		for (int k = 0; k < nfjobs; k++)
			if (fjobs[k].live && strcmp(fjobs[k].src, src) == 0)
				victim = fjobs[k].n->id;
	}
	ok(victim > 1, "the job runs on a follower (%d)", victim);
	if (victim <= 1)
		return;
	node_kill(victim);
	client_wait(&c, 5000);
	ok(c.status == 200 &&
		strcmp(c.body, "ran:follower-dies;sleep=400;") == 0,
	    "a follower killed mid-job: still the right answer");
	is_int(runs_of(src), 2, "the job ran again elsewhere, once");
	client_free(&c);
	cluster_node_down(victim);
}

static void
test_leader_lost(void)
{
	struct client c;
	const char *src = "leader-dies;sleep=300;";
	int i, runner = -1, old = cur_leader, next = -1;

	client_start(&c, "POST", "/compileandrun", "text/x-java-source", src);
	for (i = 0; i < 200 && runner == -1; i++) {
		ev_run_once(ev, 5);
		for (int k = 0; k < nfjobs; k++)
			if (fjobs[k].live && strcmp(fjobs[k].src, src) == 0)
				runner = fjobs[k].n->id;
	}
	ok(runner > 0 && runner != old, "the job runs on follower %d", runner);
	node_kill(old);
	cluster_node_down(old);
	cluster_set_leader(-1, cur_epoch);
	/* The job finishes while there is no leader: the follower keeps it. */
	spin(450);
	ok(!client_poll(&c), "held while no leader is known");
	for (i = 1; i < NNODES; i++)
		if (nodes[i].up && i != runner)
			next = i;
	cluster_set_leader(next, cur_epoch + 1);
	client_wait(&c, 5000);
	ok(c.status == 200 && strcmp(c.body, "ran:leader-dies;sleep=300;") == 0,
	    "leader killed mid-job: the right answer from new leader %d", next);
	is_int(runs_of(src), 1, "collected as last work, not run twice");
	client_free(&c);
}

/* The follower running the job is elected: it must not run it again. */
static void
test_runner_elected(void)
{
	struct client c;
	const char *src = "runner-elected;sleep=300;";
	int i, runner = -1, old = cur_leader;

	client_start(&c, "POST", "/compileandrun", "text/x-java-source", src);
	for (i = 0; i < 200 && runner == -1; i++) {
		ev_run_once(ev, 5);
		for (int k = 0; k < nfjobs; k++)
			if (fjobs[k].live && strcmp(fjobs[k].src, src) == 0)
				runner = fjobs[k].n->id;
	}
	ok(runner > 0 && runner != old, "the job runs on follower %d", runner);
	if (runner <= 0)
		return;
	node_kill(old);
	cluster_node_down(old);
	cluster_set_leader(runner, cur_epoch + 1);
	client_wait(&c, 5000);
	ok(c.status == 200 &&
		strcmp(c.body, "ran:runner-elected;sleep=300;") == 0,
	    "leader killed, the job's follower elected: the right answer");
	is_int(runs_of(src), 1, "its own job counts as last work");
	client_free(&c);
}

/*
 * Followers whose runner is still starting send work back: it waits at the
 * leader (not refused, not counted as a try) and runs on the first
 * follower that is ready.
 */
static void
test_warming(void)
{
	struct client c;
	int i, r3 = nodes[3].runs, good = 0;

	for (i = 2; i < NNODES; i++)
		nodes[i].warming = 1;
	client_start(
	    &c, "POST", "/compileandrun", "text/x-java-source", "warm-up");
	spin(1200);
	ok(!client_poll(&c),
	    "while every follower warms up a job waits (not refused)");
	is_int(runs_of("warm-up"), 0, "and runs nowhere");
	nodes[3].warming = 0;
	client_wait(&c, 5000);
	ok(c.status == 200 && strcmp(c.body, "ran:warm-up") == 0,
	    "it runs once a follower is ready (%d)", c.status);
	client_free(&c);
	for (i = 0; i < 4; i++) {
		char src[32], want[40];

		snprintf(src, sizeof src, "warm-%d", i);
		snprintf(want, sizeof want, "ran:%s", src);
		post(&c, src);
		good += c.status == 200 && strcmp(c.body, want) == 0;
		client_free(&c);
	}
	is_int(good, 4, "four more jobs, four right answers");
	is_int(nodes[3].runs - r3, 5, "all five on the one ready follower");
	for (i = 2; i < NNODES; i++)
		nodes[i].warming = 0;
}

static void
test_no_leader(void)
{
	struct client c, full[3];
	int i, n503 = 0, retry = 0;
	int saved = cur_leader;

	cluster_set_leader(-1, cur_epoch);
	client_start(
	    &c, "POST", "/compileandrun", "text/x-java-source", "early-bird");
	spin(150);
	ok(!client_poll(&c), "a request with no leader is held");
	cluster_set_leader(saved, cur_epoch + 1);
	client_wait(&c, 5000);
	ok(c.status == 200 && strcmp(c.body, "ran:early-bird") == 0,
	    "and answered once a leader exists");
	client_free(&c);

	/* request-wait is 700ms in this config; queue-max 2. */
	cluster_set_leader(-1, cur_epoch);
	for (i = 0; i < 3; i++) {
		char src[32];

		snprintf(src, sizeof src, "held-%d", i);
		client_start(&full[i], "POST", "/compileandrun",
		    "text/x-java-source", src);
		spin(20);
	}
	for (i = 0; i < 3; i++) {
		client_wait(&full[i], 3000);
		n503 += full[i].status == 503;
		retry += has_header(&full[i], "Retry-After: ");
	}
	is_int(full[2].status, 503, "queue full: 503");
	is_int(n503, 3, "held past request-wait: 503");
	is_int(retry, 3, "every 503 has Retry-After");
	for (i = 0; i < 3; i++)
		client_free(&full[i]);
	cluster_set_leader(saved, cur_epoch + 1);
}

/* ---- strangers on the work port ----------------------------------- */

/* A plain TCP connection to node id's work port. */
static int
raw_connect(int id)
{
	struct sockaddr_in a;
	int fd;

	a = net_addr_offset(&conf_find_node(conf, id)->addr, CONF_TCP_OFFSET);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof a) == -1) {
		printf("Bail out! connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/* Spin the loop until the server closes fd or ms pass; 1 if it did. */
static int
raw_closed(int fd, int ms)
{
	int64_t until = ev_update_time(ev) + ms;
	char tmp[4096];
	ssize_t n;

	for (;;) {
		n = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
		if (n == 0 ||
		    (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK))
			return 1;
		if (ev_update_time(ev) > until)
			return 0;
		ev_run_once(ev, 5);
	}
}

/* A sample of node id's /metrics, e.g. `jdp_work_accepted_total`. */
static long long
work_metric(int id, const char *name)
{
	struct buf b;
	const char *p;
	long long v = -1;
	size_t len = strlen(name);

	buf_init(&b);
	work_write_metrics(nodes[id].work, &b);
	for (p = buf_cstr(&b); p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, name, len) == 0 && p[len] == ' ') {
			v = atoll(p + len + 1);
			break;
		}
	}
	buf_free(&b);
	return v;
}

#define UNAUTH(reason)                                                         \
	"jdp_work_unauthenticated_closed_total{reason=\"" reason "\"}"

/*
 * More idle connections than the budget, one announcing a frame above the
 * limit for strangers: the oldest idle ones are evicted, the large frame
 * is refused at its header, the rest are closed once the handshake time
 * is over, and jobs are served all along.
 */
static void
test_strangers(void)
{
	enum { N = WORK_UNAUTH_MAX + 8 };
	int fds[N], i, closed = 0, target = cur_leader, big;
	long long acc0, ev0, to0, ov0;
	int64_t until;
	struct wire_hdr h;
	struct client c;
	struct buf raw;
	static uint8_t payload[WORK_UNAUTH_FRAME + 1];

	acc0 = work_metric(target, "jdp_work_accepted_total");
	ev0 = work_metric(target, UNAUTH("evicted"));
	to0 = work_metric(target, UNAUTH("handshake_timeout"));
	ov0 = work_metric(target, UNAUTH("oversize"));
	for (i = 0; i < N; i++)
		fds[i] = raw_connect(target);
	for (i = 0; i < 400 &&
	     work_metric(target, "jdp_work_accepted_total") < acc0 + N;
	     i++)
		ev_run_once(ev, 5);
	is_int(work_metric(target, "jdp_work_accepted_total") - acc0, N,
	    "leader %d accepted %d idle connections", target, N);
	is_int(work_metric(target, UNAUTH("evicted")) - ev0,
	    N - WORK_UNAUTH_MAX, "the oldest beyond the budget were evicted");
	ok(work_metric(target, "jdp_work_unauthenticated") <= WORK_UNAUTH_MAX,
	    "at most %d unauthenticated at once", WORK_UNAUTH_MAX);
	ok(raw_closed(fds[0], 1000), "an evicted one is closed");

	/* A header announcing one byte more than strangers may send. */
	big = raw_connect(target);
	memset(&h, 0, sizeof h);
	h.version = WIRE_VERSION;
	h.type = PROTO_WORK;
	h.sender = 0;
	h.seq = 1;
	buf_init(&raw);
	wire_encode(&raw, &h, payload, sizeof payload, key);
	if (write(big, buf_data(&raw), WIRE_HDR_LEN) != WIRE_HDR_LEN)
		ok(0, "write the header");
	buf_free(&raw);
	ok(raw_closed(big, 1000),
	    "a frame above %d bytes from a stranger "
	    "closes the link at its header",
	    WORK_UNAUTH_FRAME);
	close(big);
	is_int(work_metric(target, UNAUTH("oversize")) - ov0, 1,
	    "counted as oversize");

	post(&c, "served-among-strangers");
	ok(c.status == 200 && strcmp(c.body, "ran:served-among-strangers") == 0,
	    "a job is served meanwhile");
	client_free(&c);

	/* All within one handshake time (and some slack) from now. */
	until = ev_update_time(ev) + WORK_HANDSHAKE_MS + 2000;
	for (i = 0; i < N; i++) {
		closed += raw_closed(fds[i], until - ev_update_time(ev));
		close(fds[i]);
	}
	is_int(closed, N, "every idle connection is closed by the node");
	is_int(work_metric(target, UNAUTH("handshake_timeout")) - to0 +
		work_metric(target, UNAUTH("evicted")) - ev0,
	    N, "each one evicted or closed after the handshake time");
	is_int(
	    work_metric(target, "jdp_work_unauthenticated"), 0, "none is left");
}

/*
 * An insider's recording: a WORK frame the follower ran, and whose result
 * was acknowledged, sent again on a new connection must be dropped as a
 * replay, not run again.
 */
static void
test_replay(void)
{
	const char *src = "replayed-work";
	int i, rcv = -1, snd = -1, a, b;
	long long replays;
	uint64_t done;
	struct proto_work pw;
	struct wire_hdr h;
	struct buf p, work, ack;

	for (i = 1; i < NNODES; i++) {
		if (!nodes[i].up || i == cur_leader)
			continue;
		if (rcv == -1)
			rcv = i;
		else if (snd == -1)
			snd = i;
	}
	if (snd == -1) {
		ok(0, "two live peers");
		return;
	}
	memset(&pw, 0, sizeof pw);
	pw.source = (const uint8_t *)src;
	pw.source_len = strlen(src);
	buf_init(&p);
	proto_work_encode(&p, &pw);
	memset(&h, 0, sizeof h);
	h.version = WIRE_VERSION;
	h.sender = (uint16_t)snd;
	h.incarnation = (uint64_t)snd * 1000 + 1;
	h.epoch = cur_epoch;
	/* Numbers the real sender stamped (and so never stamps again). */
	h.seq = ++nodes[snd].work->tx.seq;
	h.type = PROTO_WORK;
	h.reqid = 0x5eed;
	buf_init(&work);
	wire_encode(&work, &h, buf_data(&p), buf_len(&p), key);
	h.seq = ++nodes[snd].work->tx.seq;
	h.type = PROTO_RESULT_ACK;
	buf_init(&ack);
	wire_encode(&ack, &h, NULL, 0, key);

	done = work_jobs_done(nodes[rcv].work);
	a = raw_connect(rcv);
	if (write(a, buf_data(&work), buf_len(&work)) !=
	    (ssize_t)buf_len(&work))
		ok(0, "write WORK");
	for (i = 0; i < 400 && work_jobs_done(nodes[rcv].work) == done; i++)
		ev_run_once(ev, 5);
	is_int(runs_of(src), 1, "node %d runs WORK from node %d", rcv, snd);
	if (write(a, buf_data(&ack), buf_len(&ack)) != (ssize_t)buf_len(&ack))
		ok(0, "write RESULT_ACK");
	spin(50);
	close(a);

	replays = work_metric(rcv, "jdp_work_dropped_total{reason=\"replay\"}");
	b = raw_connect(rcv);
	if (write(b, buf_data(&work), buf_len(&work)) !=
	    (ssize_t)buf_len(&work))
		ok(0, "write WORK again");
	for (i = 0; i < 400 &&
	     work_metric(rcv, "jdp_work_dropped_total{reason=\"replay\"}") ==
		 replays;
	     i++)
		ev_run_once(ev, 5);
	is_int(work_metric(rcv, "jdp_work_dropped_total{reason=\"replay\"}") -
		replays,
	    1, "the same frame on a new connection is dropped as a replay");
	spin(50);
	is_int(runs_of(src), 1, "and the job does not run again");
	close(b);
	buf_free(&p);
	buf_free(&work);
	buf_free(&ack);
}

int
main(void)
{
	struct buf text;
	char *cause = NULL;
	int i, tries;

	ev = ev_new();
	for (tries = 0; tries < 20; tries++) {
		base =
		    20000 + (int)((getpid() * 7919 + tries * 131) % 3000) * 10;
		buf_init(&text);
		buf_printf(&text, "node 0 gateway 127.0.0.1:%d http %d\n", base,
		    base + 5);
		for (i = 1; i < NNODES; i++)
			buf_printf(&text, "node %d peer 127.0.0.1:%d\n", i,
			    base + 10 * i);
		buf_printf(&text,
		    "cluster-key-file /nonexistent\n"
		    "request-wait 700ms\nqueue-max 2\nmax-body 2K\n"
		    "failure-timeout 1s\ngossip-interval 100ms\n"
		    "cleanup-timeout 2s\njob-timeout 2s\n");
		if (conf_parse("test.conf", buf_cstr(&text), &conf, &cause) !=
		    0) {
			printf("Bail out! %s\n", cause);
			return 1;
		}
		buf_free(&text);
		/* Probe the ports. */
		{
			struct sockaddr_in a;
			int ok_ports = 1, fd;

			for (i = 0; i < NNODES && ok_ports; i++) {
				a = net_addr_offset(
				    &conf_find_node(conf, i)->addr, 2);
				fd = net_tcp_listen(&a, 1, &cause);
				if (fd == -1) {
					ok_ports = 0;
					free(cause);
				} else
					close(fd);
			}
			if (ok_ports)
				break;
		}
		conf_free(conf);
	}
	for (i = 0; i < NNODES; i++)
		node_start(i);
	/* The queue-max test needs 2; the rest of the tests need more. */
	conf->queue_max = 1000;
	cluster_set_leader(1, 1);
	spin(50);

	test_round_robin();
	test_contract();
	test_cache();
	test_concurrent();
	test_same_leader_new_term();
	test_warming();
	test_transient();
	test_reused_id();
	test_inflight();
	conf->queue_max = 2;
	test_no_leader();
	conf->queue_max = 1000;
	test_strangers();
	test_replay();
	test_follower_lost();
	test_leader_lost();
	test_runner_elected();

	for (i = 0; i < NNODES; i++)
		if (nodes[i].up)
			node_kill(i);
	gateway_free(nodes[0].gw);
	for (i = 0; i < nfjobs; i++)
		free(fjobs[i].src);
	conf_free(conf);
	ev_free(ev);
	return tap_done();
}
