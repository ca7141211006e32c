/*
 * node.c: a jdp node. Binds the node's work (port + 2) and node HTTP
 * (port + 3) ports, opens its logs, and puts the modules together on one
 * event loop: the cluster (UDP port: election and gossip), the work
 * protocol, the runner on a peer and the public HTTP API on a gateway.
 * Serves the node HTTP API, stops cleanly on SIGTERM or SIGINT and reopens
 * its log files on SIGHUP.
 */
#include "config.h"

#include <errno.h>
#include <sodium.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cluster.h"
#include "conf.h"
#include "ev.h"
#include "gateway.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "net.h"
#include "node-glue.h"
#include "node.h"
#include "runner.h"
#include "wire.h"
#include "work.h"
#include "xmalloc.h"

/* Largest log slice one GET /logs/... returns. */
#define NODE_LOG_CHUNK (1024 * 1024)

struct node {
	const struct conf *conf;
	const struct conf_node *self;
	struct ev *ev;
	uint8_t key[WIRE_KEY_LEN];
	int tcp;
	int sigfd;
	struct httpd *http; /* node HTTP, port + 3 */
	struct cluster *cluster;
	struct runner *runner; /* peers */
	struct work *work;
	struct gateway *gateway; /* the gateway's public port */
	int status;
};

static const char *
node_role_name(void *arg)
{
	struct node *n = arg;

	if (n->cluster != NULL)
		return cluster_role_name(n->cluster);
	return n->self->role == CONF_GATEWAY ? "OBSERVING" : "LOOKING";
}

static void
node_reply_text(struct httpd_conn *c, int status, const char *text)
{
	httpd_reply(
	    c, status, "text/plain; charset=utf-8", text, strlen(text), NULL);
}

/* A numeric query parameter, 0 if absent or not a number. */
static uint64_t
node_query_u64(const struct http_request *req, const char *key)
{
	struct http_span v;
	char s[24];

	if (!http_query_get(req, key, &v) || v.len == 0 || v.len >= sizeof s)
		return 0;
	memcpy(s, v.p, v.len);
	s[v.len] = '\0';
	return strtoull(s, NULL, 10);
}

/*
 * GET /logs/summary|verbose: the whole file, or ?since=BYTE (from that
 * offset), or ?tail=N (the last N lines). The X-Log-Size header gives the
 * file size, the offset to ask for next.
 */
static void
node_http_logs(
    struct httpd_conn *c, const struct http_request *req, enum log_file which)
{
	struct stat st;
	struct buf b;
	char extra[64];
	const char *path = log_path(which);
	uint64_t since = 0, tail = 0;
	off_t from;
	size_t want, got = 0, nl;
	ssize_t r;
	int fd;

	since = node_query_u64(req, "since");
	tail = node_query_u64(req, "tail");
	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		node_reply_text(c, 500, "log file unavailable\n");
		return;
	}
	fstat(fd, &st);
	if ((uint64_t)st.st_size < since)
		since = 0; /* the file was truncated: start again */
	from = (off_t)since;
	if (st.st_size - from > NODE_LOG_CHUNK)
		from = tail > 0 ? st.st_size - NODE_LOG_CHUNK : from;
	want = (size_t)(st.st_size - from);
	if (want > NODE_LOG_CHUNK)
		want = NODE_LOG_CHUNK;
	buf_init(&b);
	buf_reserve(&b, want + 1);
	while (got < want) {
		r = pread(fd, b.data + got, want - got, from + (off_t)got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	b.len = got;
	if (tail > 0) {
		/* Keep the last `tail` lines. */
		nl = 0;
		for (r = (ssize_t)got - 1; r >= 0; r--) {
			if (b.data[r] == '\n' && r != (ssize_t)got - 1 &&
			    ++nl == tail)
				break;
		}
		if (r >= 0)
			buf_consume(&b, (size_t)r + 1);
	}
	snprintf(extra, sizeof extra, "X-Log-Size: %llu\r\n",
	    (unsigned long long)(from + (off_t)got));
	httpd_reply(c, 200, "text/plain; charset=utf-8", buf_data(&b),
	    buf_len(&b), extra);
	buf_free(&b);
}

static void
node_http_metrics(struct node *n, struct httpd_conn *c)
{
	struct buf b;

	buf_init(&b);
	/* Two labels: buf_metric_label takes one. */
	buf_metric_type(&b, "gauge", "jdp_node_info");
	buf_printf(&b, "jdp_node_info{id=\"%d\",role=\"%s\"} 1\n", n->self->id,
	    conf_role_name(n->self->role));
	buf_metric(&b, "counter", "jdp_log_rotations_total",
	    (long long)log_rotations());
	httpd_write_metrics(n->http, &b, "jdp_node_http");
	if (n->cluster != NULL)
		cluster_write_metrics(n->cluster, &b);
	if (n->work != NULL)
		work_write_metrics(n->work, &b);
	if (n->runner != NULL)
		runner_write_metrics(n->runner, &b);
	if (n->gateway != NULL)
		gateway_write_metrics(n->gateway, &b);
	httpd_reply(c, 200, "text/plain; version=0.0.4", buf_data(&b),
	    buf_len(&b), NULL);
	buf_free(&b);
}

/* GET /cluster-info: text, or JSON with Accept or ?format=json. */
static void
node_http_cluster_info(
    struct node *n, struct httpd_conn *c, const struct http_request *req)
{
	const struct http_span *accept;
	struct http_span v;
	struct buf b;
	int json;

	accept = http_header_get(req, "Accept");
	json = (http_query_get(req, "format", &v) && v.len == 4 &&
		   memcmp(v.p, "json", 4) == 0) ||
	    http_media_type_is(accept, "application/json");
	buf_init(&b);
	cluster_write_info(n->cluster, &b, json);
	httpd_reply(c, 200,
	    json ? "application/json" : "text/plain; charset=utf-8",
	    buf_data(&b), buf_len(&b), NULL);
	buf_free(&b);
}

/* The node HTTP API, served on port + 3 and on a gateway's public port. */
static void
node_http(struct httpd_conn *c, const struct http_request *req,
    const uint8_t *body, size_t len, void *arg)
{
	struct node *n = arg;

	(void)body;
	(void)len;
	if (!http_method_is(req, "GET")) {
		httpd_reply(c, 405, "text/plain", "method not allowed\n", 19,
		    "Allow: GET\r\n");
		return;
	}
	if (http_path_is(req, "/health"))
		node_reply_text(c, 200, "ok\n");
	else if (http_path_is(req, "/logs/summary"))
		node_http_logs(c, req, LOG_SUMMARY);
	else if (http_path_is(req, "/logs/verbose"))
		node_http_logs(c, req, LOG_VERBOSE);
	else if (http_path_is(req, "/metrics"))
		node_http_metrics(n, c);
	else if (http_path_is(req, "/cluster-info"))
		node_http_cluster_info(n, c, req);
	else
		node_reply_text(c, 404, "not found\n");
}

static void
node_signal(struct ev *ev, int fd, int what, void *arg)
{
	struct node *n = arg;
	struct signalfd_siginfo si;

	(void)what;
	if (read(fd, &si, sizeof si) != sizeof si)
		return;
	if (si.ssi_signo == SIGHUP) {
		if (log_reopen() == -1)
			log_warn("SIGHUP: cannot reopen the log files: %s",
			    strerror(errno));
		else
			log_info("SIGHUP: log files reopened");
		return;
	}
	log_info("received signal %d, shutting down", (int)si.ssi_signo);
	n->status = 0;
	ev_stop(ev);
}

static int
node_bind(struct node *n, char **cause)
{
	const struct conf *conf = n->conf;
	struct http_limits lim;
	struct sockaddr_in a;
	sigset_t set;

	/* Bound now, listening once the runner is up (node_new). */
	a = net_addr_offset(&n->self->addr, CONF_TCP_OFFSET);
	if ((n->tcp = net_tcp_bind(&a, cause)) == -1)
		return -1;

	http_limits_default(&lim);
	lim.max_body = conf->max_body;
	a = net_addr_offset(&n->self->addr, CONF_HTTP_OFFSET);
	n->http = httpd_new(
	    n->ev, &a, &lim, conf->client_timeout, node_http, n, cause);
	if (n->http == NULL)
		return -1;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((n->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		xasprintf(cause, "signalfd: %s", strerror(errno));
		return -1;
	}
	ev_add_fd(n->ev, n->sigfd, EV_READ, node_signal, n);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

struct node *
node_new(const struct conf *conf, int id, char **cause)
{
	struct node *n;
	char *why = NULL;

	n = xcalloc(1, sizeof *n);
	n->conf = conf;
	n->tcp = n->sigfd = -1;
	n->status = 1;
	if ((n->self = conf_find_node(conf, id)) == NULL) {
		xasprintf(cause, "%s: no node %d in the configuration",
		    conf->path, id);
		goto fail;
	}
	if (wire_key_load(conf->key_file, n->key, cause) == -1)
		goto fail;
	n->ev = ev_new();
	if (node_bind(n, cause) == -1)
		goto fail;
	if (log_open(id, conf->log_dir, conf->log_level, &why) == -1) {
		*cause = why;
		goto fail;
	}
	log_set_max_size(conf->log_max_size);
	/*
	 * The runner first: its start-up blocks (sandbox probes, the
	 * class-data archive), and a node must not vote, gossip or take work
	 * links before its loop runs, or the others count on a member that
	 * cannot answer (a leader's WORK would wait in the backlog of a node
	 * it has meanwhile given up on, and run there late, a second time).
	 */
	if (n->self->role == CONF_PEER &&
	    (n->runner = runner_new(n->ev, conf, &why)) == NULL) {
		/* It still votes and can lead; jobs sent to it are refused. */
		log_error("runner: %s; this node will refuse jobs", why);
		free(why);
	}
	/*
	 * The start-up took seconds the loop's clock has not seen: the
	 * election must not begin in the past (its wait for better voters
	 * is bounded by failure-timeout since it began looking).
	 */
	ev_update_time(n->ev);
	if (listen(n->tcp, 128) == -1) {
		xasprintf(
		    cause, "listen on the work port: %s", strerror(errno));
		goto fail;
	}
	if ((n->cluster = cluster_new(n->ev, conf, id, n->key, cause)) == NULL)
		goto fail;
	n->work =
	    node_glue_work(n->ev, conf, id, n->key, n->cluster, n->runner);
	work_listen(n->work, n->tcp);
	if (n->self->role == CONF_GATEWAY && n->self->http_port != 0) {
		n->gateway = node_glue_gateway(
		    n->ev, conf, id, n->key, n->cluster, node_http, n, cause);
		if (n->gateway == NULL)
			goto fail;
	}
	log_set_role(node_role_name, n);
	log_info("jdpd %s started as %s %s (incarnation %llu)", VERSION,
	    conf_role_name(n->self->role), net_addr_str(&n->self->addr),
	    (unsigned long long)cluster_incarnation(n->cluster));
	return n;
fail:
	node_free(n);
	return NULL;
}

int
node_run(struct node *n)
{
	if (ev_run(n->ev) == -1)
		log_error("event loop: %s", strerror(errno));
	log_info("stopped");
	return n->status;
}

void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	gateway_free(n->gateway);
	work_free(n->work);
	runner_free(n->runner);
	cluster_free(n->cluster);
	httpd_free(n->http);
	if (n->tcp != -1) {
		ev_del_fd(n->ev, n->tcp);
		close(n->tcp);
	}
	if (n->sigfd != -1) {
		ev_del_fd(n->ev, n->sigfd);
		close(n->sigfd);
	}
	ev_free(n->ev);
	sodium_memzero(n->key, sizeof n->key);
	free(n);
	log_set_role(NULL, NULL);
}
