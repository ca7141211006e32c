/*
 * client.c: the console's HTTP client and the only user of libcurl. A
 * request is set up in one place (client_req_new, client_req_post) and
 * its end read in one place (client_req_finish: the HTTP status, or why
 * there was none), whether it ran alone (client_get, client_post) or
 * with others in a client_multi (the TUI's polling).
 */
#include "config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "xmalloc.h"

/* How long a blocking GET may take; a POST says its own. */
#define CLIENT_GET_TIMEOUT_MS 5000L
#define CLIENT_POST_CONNECT_MS 5000L
/* Extra fds client_multi_wait watches at most. */
#define CLIENT_WAIT_FDS 4

struct client_req {
	CURL *c; /* NULL if libcurl could not make one */
	struct curl_slist *hdrs; /* a POST's headers */
	struct client_multi *m; /* the set it runs in, if any */
	void *arg;
	char err[CURL_ERROR_SIZE];
};

struct client_multi {
	CURLM *multi;
};

void
client_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
client_done(void)
{
	curl_global_cleanup();
}

/* libcurl write callback: appends to the struct buf arg. */
static size_t
client_write(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* libcurl header callback: stores an X-Log-Size header in *arg. */
static size_t
client_logsize(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "x-log-size:";
	size_t len = size * n;
	char num[32];

	if (len > sizeof name && len - (sizeof name - 1) < sizeof num &&
	    strncasecmp(p, name, sizeof name - 1) == 0) {
		memcpy(num, p + sizeof name - 1, len - (sizeof name - 1));
		num[len - (sizeof name - 1)] = '\0';
		*(uint64_t *)arg = strtoull(num, NULL, 10);
	}
	return len;
}

/* A POST's headers: Content-Type, no Expect, the bearer token if set. */
static struct curl_slist *
client_headers(const char *ctype)
{
	struct curl_slist *hdrs = NULL;
	const char *token = getenv("JDP_TOKEN");
	char *h;

	xasprintf(&h, "Content-Type: %s", ctype);
	hdrs = curl_slist_append(hdrs, h);
	free(h);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (token != NULL && *token != '\0') {
		xasprintf(&h, "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	return hdrs;
}

struct client_req *
client_req_new(const char *url, long timeout_ms, long connect_ms,
    struct buf *body, uint64_t *logsize, void *arg)
{
	struct client_req *r = xcalloc(1, sizeof *r);

	r->arg = arg;
	if ((r->c = curl_easy_init()) == NULL) {
		snprintf(r->err, sizeof r->err, "cannot initialise libcurl");
		return r;
	}
	curl_easy_setopt(r->c, CURLOPT_URL, url);
	curl_easy_setopt(r->c, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->c, CURLOPT_WRITEFUNCTION, client_write);
	curl_easy_setopt(r->c, CURLOPT_WRITEDATA, body);
	if (logsize != NULL) {
		curl_easy_setopt(r->c, CURLOPT_HEADERFUNCTION, client_logsize);
		curl_easy_setopt(r->c, CURLOPT_HEADERDATA, logsize);
	}
	curl_easy_setopt(r->c, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* 0 is libcurl's own default. */
	curl_easy_setopt(r->c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(r->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->c, CURLOPT_ERRORBUFFER, r->err);
	return r;
}

void
client_req_post(
    struct client_req *r, const char *ctype, const void *body, size_t len)
{
	if (r->c == NULL)
		return;
	r->hdrs = client_headers(ctype);
	curl_easy_setopt(r->c, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(r->c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(r->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
}

void
client_req_free(struct client_req *r)
{
	if (r->m != NULL)
		curl_multi_remove_handle(r->m->multi, r->c);
	curl_easy_cleanup(r->c);
	curl_slist_free_all(r->hdrs);
	free(r);
}

/*
 * The end of a transfer that returned rc: the HTTP status, or -1 with
 * r->err saying why.
 */
static long
client_req_finish(struct client_req *r, CURLcode rc)
{
	long st = -1;

	if (rc == CURLE_OK)
		curl_easy_getinfo(r->c, CURLINFO_RESPONSE_CODE, &st);
	else if (r->err[0] == '\0')
		snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(rc));
	return st;
}

/* Run r alone and free it; the HTTP status, or -1 (*err, static). */
static long
client_run(struct client_req *r, const char **err)
{
	static char why[CURL_ERROR_SIZE];
	long st = -1;

	if (r->c != NULL)
		st = client_req_finish(r, curl_easy_perform(r->c));
	if (st == -1) {
		snprintf(why, sizeof why, "%s", r->err);
		*err = why;
	}
	client_req_free(r);
	return st;
}

long
client_get(
    const char *url, struct buf *body, uint64_t *logsize, const char **err)
{
	return client_run(
	    client_req_new(url, CLIENT_GET_TIMEOUT_MS, 0, body, logsize, NULL),
	    err);
}

long
client_post(const char *url, const char *ctype, const void *body, size_t len,
    long timeout_ms, struct buf *out, const char **err)
{
	struct client_req *r;

	r = client_req_new(
	    url, timeout_ms, CLIENT_POST_CONNECT_MS, out, NULL, NULL);
	client_req_post(r, ctype, body, len);
	return client_run(r, err);
}

const char *
client_error(const char *gw, const char *url, long st, const char *err)
{
	static char *msg;

	free(msg);
	if (st == -1)
		xasprintf(&msg, "cannot reach the gateway at %s: %s", gw, err);
	else
		xasprintf(&msg, "%s answered HTTP %ld", url, st);
	return msg;
}

int
client_node_url(const char *addr, char *url, size_t len)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;

	if (colon == NULL || colon == addr)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535 - 3)
		return -1;
	snprintf(
	    url, len, "http://%.*s:%ld", (int)(colon - addr), addr, port + 3);
	return 0;
}

struct client_multi *
client_multi_new(long maxconn)
{
	struct client_multi *m = xcalloc(1, sizeof *m);

	m->multi = curl_multi_init();
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, maxconn);
	return m;
}

void
client_multi_free(struct client_multi *m)
{
	if (m == NULL)
		return;
	curl_multi_cleanup(m->multi);
	free(m);
}

void
client_multi_add(struct client_multi *m, struct client_req *r)
{
	r->m = m;
	curl_multi_add_handle(m->multi, r->c);
}

void
client_multi_wait(struct client_multi *m, const int *fds, int nfds, int ms)
{
	struct curl_waitfd wfd[CLIENT_WAIT_FDS];
	int i, running;

	for (i = 0; i < nfds && i < CLIENT_WAIT_FDS; i++) {
		wfd[i].fd = fds[i];
		wfd[i].events = CURL_WAIT_POLLIN;
		wfd[i].revents = 0;
	}
	curl_multi_poll(m->multi, wfd, (unsigned)i, ms, NULL);
	curl_multi_perform(m->multi, &running);
}

void *
client_multi_next(struct client_multi *m, long *status, const char **err)
{
	struct client_req *r;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(
		    msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		*status = client_req_finish(r, msg->data.result);
		*err = r->err;
		return r->arg;
	}
	return NULL;
}
