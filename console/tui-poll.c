/*
 * tui-poll.c: the TUI's polling with requests run together (client.c's
 * client_multi, libcurl multi), so that a slow or dead node never stalls
 * the screen. Each tick asks the gateway
 * for /cluster-info (a node instead while the gateway is down), every node
 * for its summary log from the last offset (?since=), every fourth tick
 * for its /metrics (jobs), and the log viewer's node for its log. A target
 * with a request still in flight is skipped; connections are kept alive
 * by the multi handle.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "submit.h"
#include "tui.h"
#include "xmalloc.h"

#define TUI_POLL_TIMEOUT_MS 2000L
#define TUI_POLL_CONNECT_MS 1000L
#define TUI_SUBMIT_TIMEOUT_MS 120000L
#define TUI_LOG_CHUNK (1024 * 1024)
#define TUI_SLOW_TICKS 4
#define TUI_FIRST_LINES                                                        \
	100000 /* first summary fetch: the last MiB at most */ /* metrics, and logs of unreachable nodes */

enum tui_req_kind {
	TUI_REQ_VIEW,
	TUI_REQ_SUMMARY,
	TUI_REQ_METRICS,
	TUI_REQ_LOG,
	TUI_REQ_SUBMIT
};

struct tui_req {
	struct tui_poll *p;
	enum tui_req_kind kind;
	int node; /* index into m->nodes; -1 for the gateway */
	unsigned tag; /* log generation or job sequence number */
	int64_t started;
	struct client_req *c;
	struct buf body;
	uint64_t logsize;
	char *post; /* a job's request, kept while it runs */
	struct tui_req *next; /* every request in flight */
};

struct tui_poll {
	struct tui_model *m;
	struct client_multi *multi;
	unsigned tick;
	int view_busy;
	int fallback; /* next node to ask for a view while the gateway is down */
	unsigned char sum_busy[CONF_MAX_NODES];
	unsigned char met_busy[CONF_MAX_NODES];
	int log_busy;
	int log_more; /* the last log answer was a full chunk: ask again */
	unsigned log_gen;
	struct tui_req *reqs;
};

struct tui_poll *
tui_poll_new(struct tui_model *m)
{
	struct tui_poll *p = xcalloc(1, sizeof *p);

	p->m = m;
	p->multi = client_multi_new(2L * CONF_MAX_NODES);
	return p;
}

static void
tui_poll_req_free(struct tui_req *r)
{
	struct tui_req **pp;

	for (pp = &r->p->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	client_req_free(r->c);
	buf_free(&r->body);
	free(r->post);
	free(r);
}

void
tui_poll_free(struct tui_poll *p)
{
	if (p == NULL)
		return;
	while (p->reqs != NULL)
		tui_poll_req_free(p->reqs);
	client_multi_free(p->multi);
	free(p);
}

static struct tui_req *
tui_poll_start(struct tui_poll *p, enum tui_req_kind kind, int node,
    const char *url, long timeout_ms)
{
	struct tui_req *r = xcalloc(1, sizeof *r);

	r->p = p;
	r->kind = kind;
	r->node = node;
	buf_init(&r->body);
	r->c = client_req_new(
	    url, timeout_ms, TUI_POLL_CONNECT_MS, &r->body, &r->logsize, r);
	return r;
}

static void
tui_poll_add(struct tui_poll *p, struct tui_req *r, int64_t now)
{
	r->started = now;
	r->next = p->reqs;
	p->reqs = r;
	client_multi_add(p->multi, r->c);
}

/* Base URL of node index i, or -1 if its address is unknown. */
static int
tui_poll_base(struct tui_poll *p, int i, char *url, size_t len)
{
	return client_node_url(p->m->nodes[i].v.address, url, len);
}

static void
tui_poll_view(struct tui_poll *p, int64_t now)
{
	struct tui_model *m = p->m;
	char base[512], url[600];
	int i, node = -1;

	if (p->view_busy)
		return;
	if (!m->gw_ok && m->nnodes > 0 && p->tick % 2 == 1) {
		/* Every other tick, ask a node while the gateway is down. */
		for (i = 0; i < m->nnodes; i++) {
			node = (p->fallback + i) % m->nnodes;
			if (!m->nodes[node].unreachable &&
			    tui_poll_base(p, node, base, sizeof base) == 0)
				break;
			node = -1;
		}
		p->fallback = (p->fallback + 1) % m->nnodes;
	}
	if (node == -1)
		snprintf(
		    url, sizeof url, "%s/cluster-info?format=json", m->gateway);
	else
		snprintf(url, sizeof url, "%s/cluster-info?format=json", base);
	p->view_busy = 1;
	tui_poll_add(p,
	    tui_poll_start(p, TUI_REQ_VIEW, node, url, TUI_POLL_TIMEOUT_MS),
	    now);
}

static void
tui_poll_log(struct tui_poll *p, int64_t now)
{
	struct tui_model *m = p->m;
	struct tui_req *r;
	char base[512], url[640];
	int i;

	if (m->log_node < 0 || p->log_busy ||
	    (i = tui_model_find(m, m->log_node)) == -1 ||
	    tui_poll_base(p, i, base, sizeof base) == -1)
		return;
	/* The last lines first, then what is added. */
	if (m->log_off == 0)
		snprintf(url, sizeof url, "%s/logs/%s?tail=%d", base,
		    m->log_verbose ? "verbose" : "summary", TUI_LOG_LINES);
	else
		snprintf(url, sizeof url, "%s/logs/%s?since=%llu", base,
		    m->log_verbose ? "verbose" : "summary",
		    (unsigned long long)m->log_off);
	r = tui_poll_start(p, TUI_REQ_LOG, i, url, TUI_POLL_TIMEOUT_MS);
	r->tag = p->log_gen;
	p->log_busy = 1;
	p->log_more = 0;
	tui_poll_add(p, r, now);
}

void
tui_poll_log_now(struct tui_poll *p)
{
	p->log_gen++;
	p->log_more = 1;
}

void
tui_poll_tick(struct tui_poll *p, int64_t now)
{
	struct tui_model *m = p->m;
	char base[512], url[640];
	int i, slow = p->tick % TUI_SLOW_TICKS == 0;

	tui_poll_view(p, now);
	for (i = 0; i < m->nnodes; i++) {
		if (tui_poll_base(p, i, base, sizeof base) == -1)
			continue;
		if (!p->sum_busy[i] && (slow || !m->nodes[i].unreachable)) {
			/*
			 * At first only the file's end (the node sends at
			 * most its last MiB for ?tail=), then what is added.
			 */
			if (m->nodes[i].sum_off == 0)
				snprintf(url, sizeof url,
				    "%s/logs/summary?tail=%d", base,
				    TUI_FIRST_LINES);
			else
				snprintf(url, sizeof url,
				    "%s/logs/summary?since=%llu", base,
				    (unsigned long long)m->nodes[i].sum_off);
			p->sum_busy[i] = 1;
			tui_poll_add(p,
			    tui_poll_start(p, TUI_REQ_SUMMARY, i, url,
				TUI_POLL_TIMEOUT_MS),
			    now);
		}
		if (slow && !p->met_busy[i] && !m->nodes[i].unreachable) {
			snprintf(url, sizeof url, "%s/metrics", base);
			p->met_busy[i] = 1;
			tui_poll_add(p,
			    tui_poll_start(p, TUI_REQ_METRICS, i, url,
				TUI_POLL_TIMEOUT_MS),
			    now);
		}
	}
	if (m->log_follow || p->log_more)
		tui_poll_log(p, now);
	p->tick++;
}

int
tui_poll_submit(
    struct tui_poll *p, const char *file, int64_t now, char *why, size_t len)
{
	struct tui_req *r;
	struct buf src;
	char url[600];

	buf_init(&src);
	if (submit_read_file(file, &src) == -1) {
		snprintf(why, len, "%s: %s", file, strerror(errno));
		buf_free(&src);
		return -1;
	}
	snprintf(url, sizeof url, "%s/v1/run", p->m->gateway);
	r = tui_poll_start(p, TUI_REQ_SUBMIT, -1, url, TUI_SUBMIT_TIMEOUT_MS);
	r->post = submit_request_json(
	    (char *)buf_data(&src), buf_len(&src), NULL, 0, 0);
	buf_free(&src);
	client_req_post(r->c, "application/json", r->post, strlen(r->post));
	r->tag = tui_model_job_add(p->m, file, now);
	tui_poll_add(p, r, now);
	return 0;
}

/* First line of s, cut to fit. */
static void
tui_poll_first_line(char *dst, size_t len, const char *s)
{
	size_t n = strcspn(s, "\n");

	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void
tui_poll_job_done(struct tui_poll *p, struct tui_req *r, long st,
    const char *err, int64_t now)
{
	struct submit_answer a;
	struct tui_job *j;

	if ((j = tui_model_job_find(p->m, r->tag)) == NULL)
		return;
	j->done = 1;
	j->latency_ms = (long)(now - j->started);
	if (st == -1) {
		snprintf(j->status, sizeof j->status, "unreachable");
		tui_poll_first_line(j->result, sizeof j->result, err);
	} else if (submit_parse(
		       st, buf_cstr(&r->body), buf_len(&r->body), &a) == 0) {
		snprintf(j->status, sizeof j->status, "%s%s", a.status,
		    a.cached ? ", cached" : "");
		j->node = a.node;
		tui_poll_first_line(j->result, sizeof j->result, a.result);
		submit_answer_free(&a);
	} else {
		snprintf(j->status, sizeof j->status, "http %ld", st);
		tui_poll_first_line(
		    j->result, sizeof j->result, buf_cstr(&r->body));
	}
}

/* Request r ended: HTTP status st, or -1 and why (err). */
static void
tui_poll_done(struct tui_poll *p, struct tui_req *r, long st, const char *err,
    int64_t now)
{
	struct tui_model *m = p->m;
	struct view *v;
	const char *bad = NULL;
	char why[300];

	switch (r->kind) {
	case TUI_REQ_VIEW:
		p->view_busy = 0;
		v = xmalloc(sizeof *v);
		if (st == 200 &&
		    view_parse(
			buf_cstr(&r->body), buf_len(&r->body), v, &bad) == 0)
			tui_model_view(m, v,
			    r->node == -1 ? -1 : m->nodes[r->node].v.id, now);
		else if (r->node == -1) {
			if (st == -1)
				snprintf(why, sizeof why, "%s", err);
			else if (st != 200)
				snprintf(why, sizeof why, "HTTP %ld", st);
			else
				snprintf(
				    why, sizeof why, "bad answer: %s", bad);
			tui_model_gateway_down(m, why);
		}
		free(v);
		break;
	case TUI_REQ_SUMMARY:
		p->sum_busy[r->node] = 0;
		if (st == 200)
			tui_model_summary(m, r->node,
			    (char *)buf_data(&r->body), buf_len(&r->body),
			    r->logsize);
		else
			m->nodes[r->node].unreachable = 1;
		break;
	case TUI_REQ_METRICS:
		p->met_busy[r->node] = 0;
		if (st == 200)
			tui_model_metrics(m, r->node, buf_cstr(&r->body), now);
		break;
	case TUI_REQ_LOG:
		p->log_busy = 0;
		if (r->tag != p->log_gen)
			break; /* the viewer moved on */
		if (st == 200) {
			tui_model_log_data(m, (char *)buf_data(&r->body),
			    buf_len(&r->body), r->logsize);
			p->log_more = buf_len(&r->body) >= TUI_LOG_CHUNK;
		}
		break;
	case TUI_REQ_SUBMIT:
		tui_poll_job_done(p, r, st, err, now);
		break;
	}
}

void
tui_poll_wait(struct tui_poll *p, const int *fds, int nfds, int ms)
{
	client_multi_wait(p->multi, fds, nfds, ms);
}

int
tui_poll_collect(struct tui_poll *p, int64_t now)
{
	struct tui_req *r;
	const char *err;
	long st;
	int changed = 0;

	while ((r = client_multi_next(p->multi, &st, &err)) != NULL) {
		tui_poll_done(p, r, st, err, now);
		tui_poll_req_free(r);
		changed = 1;
	}
	if (p->log_more && !p->log_busy)
		tui_poll_log(p, now);
	return changed;
}
