/*
 * gateway-api.c: the gateway's public HTTP API (gateway.h, docs/WORK.md):
 * POST /compileandrun (the classic contract: the source as the body, the
 * answer as text) and POST /v1/run (JSON in and out), the bearer token
 * when api-token-file is set, and every reply a job request gets. Other
 * paths go to the fallback handler (the node API). A new endpoint goes
 * here: a path in gateway_api_http and a handler beside the others.
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
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "gateway-int.h"
#include "gateway.h"
#include "hash.h"
#include "http.h"
#include "httpd.h"
#include "log.h"
#include "proto.h"
#include "wire.h"
#include "xmalloc.h"

#define GW_BAD_CTYPE "Content-Type must be \"text/x-java-source\""
#define GW_UNAUTHORIZED "a bearer token is required (Authorization: Bearer)"
#define GW_CHALLENGE "WWW-Authenticate: Bearer realm=\"jdp\"\r\n"
#define GW_TOKEN_MIN 16
#define GW_TOKEN_MAX 512

/* ---- replies ------------------------------------------------------- */

static int
gateway_api_retry_after(const struct gateway *g)
{
	int64_t s;

	s = (g->conf->failure_timeout + g->conf->election_finalize + 999) /
	    1000;
	return s < 1 ? 1 : (int)s;
}

/* A plain answer with Cached-Response: false (and more extra lines). */
void
gateway_api_reply_plain(struct httpd_conn *c, int status, const char *ctype,
    const char *body, const char *extra)
{
	char hdrs[256];

	snprintf(hdrs, sizeof hdrs, "Cached-Response: false\r\n%s",
	    extra != NULL ? extra : "");
	httpd_reply(c, status, ctype, body, strlen(body), hdrs);
}

/* 503 with Retry-After, as text or JSON. */
void
gateway_api_reply_unavailable(
    struct gateway *g, struct httpd_conn *c, enum gw_kind kind, const char *why)
{
	char extra[64];
	struct buf b;

	snprintf(extra, sizeof extra, "Retry-After: %d\r\n",
	    gateway_api_retry_after(g));
	if (kind == GW_CLASSIC) {
		gateway_api_reply_plain(c, 503, GW_CTYPE_TEXT, why, extra);
		return;
	}
	buf_init(&b);
	buf_puts(&b, "{\"error\":");
	buf_json_str(&b, why, strlen(why));
	buf_puts(&b, "}\n");
	gateway_api_reply_plain(c, 503, GW_CTYPE_JSON, buf_cstr(&b), extra);
	buf_free(&b);
}

void
gateway_api_reply_json_error(
    struct httpd_conn *c, int status, const char *why, const char *extra)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "{\"error\":");
	buf_json_str(&b, why, strlen(why));
	buf_puts(&b, "}\n");
	gateway_api_reply_plain(c, status, GW_CTYPE_JSON, buf_cstr(&b), extra);
	buf_free(&b);
}

/* Answer a job's HTTP request from a decoded RESULT. */
void
gateway_api_reply_result(struct gateway *g, struct httpd_conn *c,
    enum gw_kind kind, uint64_t id, const struct proto_result *pr, int cached,
    int64_t total_ms)
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
			    gateway_api_retry_after(g));
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

/* ---- requests ------------------------------------------------------ */

/*
 * A job request: answer from the cache, refuse when full, or hold it and
 * send it to the leader.
 */
static void
gateway_api_submit(struct gateway *g, struct httpd_conn *c, enum gw_kind kind,
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
	    proto_result_decode(hit, len, &pr) == 0 && gateway_cacheable(&pr)) {
		gateway_api_reply_result(g, c, kind, 0, &pr, 1, 0);
		buf_free(&work);
		return;
	}
	if (g->nreqs >= g->conf->queue_max) {
		g->full++;
		gateway_api_reply_unavailable(
		    g, c, kind, "Server busy: too many requests waiting\n");
		buf_free(&work);
		return;
	}
	/* One request always gets in, so no body is refused for good. */
	if (g->nreqs > 0 && g->bytes + buf_len(&work) > g->conf->inflight_max) {
		g->inflight_full++;
		gateway_api_reply_unavailable(g, c, kind,
		    "Server busy: too many request bytes in flight "
		    "(inflight-max)\n");
		buf_free(&work);
		return;
	}
	r = gateway_req_new(g);
	r->kind = kind;
	r->ticket = httpd_ticket(c);
	r->work = work;
	g->bytes += buf_len(&work);
	memcpy(r->key, key, HASH_LEN);
	r->cacheable = 1;
	log_debug("request %llx (%s), %zu bytes of source",
	    (unsigned long long)r->id,
	    kind == GW_CLASSIC ? "compileandrun" : "v1/run", pw->source_len);
	gateway_flush(g);
}

/* POST /compileandrun. */
static void
gateway_api_classic(struct gateway *g, struct httpd_conn *c,
    const struct http_request *req, const uint8_t *body, size_t len)
{
	struct proto_work pw;

	g->requests[GW_CLASSIC]++;
	if (!http_method_is(req, "POST")) {
		g->bad_requests++;
		gateway_api_reply_plain(c, 405, GW_CTYPE_TEXT,
		    "Method not allowed: use POST\n", "Allow: POST\r\n");
		return;
	}
	if (!http_media_type_is(
		http_header_get(req, "Content-Type"), "text/x-java-source")) {
		g->bad_requests++;
		gateway_api_reply_plain(
		    c, 400, GW_CTYPE_TEXT, GW_BAD_CTYPE, NULL);
		return;
	}
	memset(&pw, 0, sizeof pw);
	pw.source = body;
	pw.source_len = len;
	gateway_api_submit(g, c, GW_CLASSIC, &pw);
}

/* The fields of a /v1/run body (docs/WORK.md); any other is a 400. */
static const char *const gateway_api_v1_fields[] = {
    "source", "files", "main", "args", "release", "stdin", "timeout", NULL};

/* The most bytes of one file name or main class name. */
#define GW_NAME_MAX 1024

/*
 * Why a file name is refused (written to why, size n), or NULL: it must
 * be a relative path of non-empty components, none "." or "..", without
 * control characters or backslashes, ending in ".java".
 */
static const char *
gateway_api_file_name_bad(const char *name, size_t len, char *why, size_t n)
{
	const char *p, *end = name + len, *c;
	size_t i;

	if (len == 0)
		return "a file name is empty";
	if (len > GW_NAME_MAX) {
		snprintf(
		    why, n, "a file name is longer than %d bytes", GW_NAME_MAX);
		return why;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    name[i] == '\\') {
			snprintf(why, n,
			    "file name \"%.*s\" holds a control character "
			    "or a backslash",
			    (int)len, name);
			return why;
		}
	}
	if (name[0] == '/') {
		snprintf(
		    why, n, "file name \"%.*s\" is absolute", (int)len, name);
		return why;
	}
	for (p = name; p < end; p = c + 1) {
		if ((c = memchr(p, '/', (size_t)(end - p))) == NULL)
			c = end;
		if (c - p == 2 && p[0] == '.' && p[1] == '.') {
			snprintf(why, n, "file name \"%.*s\" holds \"..\"",
			    (int)len, name);
			return why;
		}
		if (c == p || (c - p == 1 && p[0] == '.')) {
			snprintf(why, n,
			    "file name \"%.*s\" has an empty or \".\" "
			    "component",
			    (int)len, name);
			return why;
		}
	}
	if (len < 6 || memcmp(end - 5, ".java", 5) != 0 || end[-6] == '/') {
		snprintf(why, n,
		    "file name \"%.*s\" does not end in .java (only Java "
		    "sources are accepted)",
		    (int)len, name);
		return why;
	}
	return NULL;
}

/* A /v1/run body's files, args and the rest, as the WORK carries them. */
struct gateway_api_job {
	const uint8_t **f; /* name, content, ... */
	size_t *fl;
	uint32_t nfiles;
	const uint8_t **a;
	size_t *al;
	uint32_t nargs;
	const uint8_t *main;
	size_t main_len;
	uint32_t release;
	int files; /* PROTO_WORK_FILES */
};

/* "files": an array of {"name", "content"}; NULL or why it is refused. */
static const char *
gateway_api_v1_files(struct gateway *g, struct json_object *v,
    struct gateway_api_job *j, char *why, size_t n)
{
	struct json_object *o, *name, *content;
	size_t i, k, count;
	const char *bad;

	if (!json_object_is_type(v, json_type_array) ||
	    (count = json_object_array_length(v)) == 0)
		return "\"files\" must be a non-empty array of "
		       "{\"name\", \"content\"}";
	if (count > (size_t)g->conf->max_files) {
		snprintf(why, n, "too many files: %zu (max-files is %d)", count,
		    g->conf->max_files);
		return why;
	}
	j->f = xcalloc(2 * count, sizeof *j->f);
	j->fl = xcalloc(2 * count, sizeof *j->fl);
	for (i = 0; i < count; i++) {
		o = json_object_array_get_idx(v, i);
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, "name", &name) ||
		    !json_object_is_type(name, json_type_string) ||
		    !json_object_object_get_ex(o, "content", &content) ||
		    !json_object_is_type(content, json_type_string) ||
		    json_object_object_length(o) != 2) {
			snprintf(why, n,
			    "files[%zu] must be {\"name\": string, "
			    "\"content\": string} and nothing else",
			    i);
			return why;
		}
		j->f[2 * i] = (const uint8_t *)json_object_get_string(name);
		j->fl[2 * i] = (size_t)json_object_get_string_len(name);
		j->f[2 * i + 1] =
		    (const uint8_t *)json_object_get_string(content);
		j->fl[2 * i + 1] = (size_t)json_object_get_string_len(content);
		if ((bad = gateway_api_file_name_bad((const char *)j->f[2 * i],
			 j->fl[2 * i], why, n)) != NULL)
			return bad;
		for (k = 0; k < i; k++) {
			if (j->fl[2 * k] == j->fl[2 * i] &&
			    memcmp(j->f[2 * k], j->f[2 * i], j->fl[2 * i]) ==
				0) {
				snprintf(why, n, "two files named \"%.*s\"",
				    (int)j->fl[2 * i],
				    (const char *)j->f[2 * i]);
				return why;
			}
		}
	}
	j->nfiles = (uint32_t)count;
	return NULL;
}

/* "main", "args" and "release"; NULL or why they are refused. */
static const char *
gateway_api_v1_entry(
    struct json_object *root, struct gateway_api_job *j, char *why, size_t n)
{
	struct json_object *v, *a;
	size_t i, count;
	int64_t rel;

	if (json_object_object_get_ex(root, "main", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0 ||
		    json_object_get_string_len(v) > GW_NAME_MAX)
			return "\"main\" must be a class name such as "
			       "\"app.Main\"";
		j->main = (const uint8_t *)json_object_get_string(v);
		j->main_len = (size_t)json_object_get_string_len(v);
		j->files = 1;
	}
	if (json_object_object_get_ex(root, "args", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_array))
			return "\"args\" must be an array of strings";
		if ((count = json_object_array_length(v)) >
		    PROTO_WORK_ARGS_MAX) {
			snprintf(why, n, "too many args: %zu (at most %d)",
			    count, PROTO_WORK_ARGS_MAX);
			return why;
		}
		j->a = xcalloc(count + 1, sizeof *j->a);
		j->al = xcalloc(count + 1, sizeof *j->al);
		for (i = 0; i < count; i++) {
			a = json_object_array_get_idx(v, i);
			if (!json_object_is_type(a, json_type_string))
				return "\"args\" must be an array of strings";
			j->a[i] = (const uint8_t *)json_object_get_string(a);
			j->al[i] = (size_t)json_object_get_string_len(a);
		}
		j->nargs = (uint32_t)count;
		j->files = 1;
	}
	if (json_object_object_get_ex(root, "release", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_int) ||
		    (rel = json_object_get_int64(v)) < 1 || rel > 65535)
			return "\"release\" must be a positive integer "
			       "(javac --release N)";
		j->release = (uint32_t)rel;
		j->files = 1;
	}
	return NULL;
}

/*
 * POST /v1/run: {"source": "..." or "files": [...], "main", "args",
 * "release", "stdin", "timeout"} (docs/WORK.md).
 */
static void
gateway_api_v1(struct gateway *g, struct httpd_conn *c,
    const struct http_request *req, const uint8_t *body, size_t len)
{
	static const uint8_t empty[1];
	struct json_tokener *tok;
	struct json_object *root = NULL, *v, *files = NULL;
	struct gateway_api_job j;
	struct proto_work pw;
	const char *why = NULL;
	char text[1400];
	struct buf work;
	double t;
	int i;

	g->requests[GW_V1]++;
	if (!http_method_is(req, "POST")) {
		g->bad_requests++;
		gateway_api_reply_json_error(
		    c, 405, "use POST", "Allow: POST\r\n");
		return;
	}
	memset(&pw, 0, sizeof pw);
	memset(&j, 0, sizeof j);
	tok = json_tokener_new();
	if (len > 0 && len <= INT32_MAX)
		root = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	if (root == NULL || json_tokener_get_parse_end(tok) != len)
		why = "body must be one JSON object";
	else if (!json_object_is_type(root, json_type_object))
		why = "body must be a JSON object";
	else {
		json_object_object_foreach(root, key, val)
		{
			(void)val;
			for (i = 0; gateway_api_v1_fields[i] != NULL; i++) {
				if (strcmp(key, gateway_api_v1_fields[i]) == 0)
					break;
			}
			if (gateway_api_v1_fields[i] == NULL && why == NULL) {
				snprintf(text, sizeof text,
				    "unknown field \"%.64s\" (known: source, "
				    "files, main, args, release, stdin, "
				    "timeout)",
				    key);
				why = text;
			}
		}
	}
	if (why == NULL) {
		if (json_object_object_get_ex(root, "files", &files) &&
		    json_object_is_type(files, json_type_null))
			files = NULL;
		if (json_object_object_get_ex(root, "source", &v) &&
		    json_object_is_type(v, json_type_null))
			v = NULL;
		if (v != NULL && files != NULL)
			why = "give \"source\" or \"files\", not both";
		else if (files != NULL)
			why = gateway_api_v1_files(
			    g, files, &j, text, sizeof text);
		else if (v == NULL || !json_object_is_type(v, json_type_string))
			why = "\"source\" (a string) or \"files\" (an array) "
			      "is required";
		else {
			pw.source = (const uint8_t *)json_object_get_string(v);
			pw.source_len = (size_t)json_object_get_string_len(v);
		}
	}
	if (why == NULL)
		why = gateway_api_v1_entry(root, &j, text, sizeof text);
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
	if (why == NULL && (files != NULL || j.files)) {
		if (files == NULL) {
			/*
			 * A source with main, args or release: one file
			 * without a name, which the compile server names
			 * after its public class.
			 */
			j.f = xcalloc(2, sizeof *j.f);
			j.fl = xcalloc(2, sizeof *j.fl);
			j.f[0] = empty;
			j.f[1] = pw.source;
			j.fl[1] = pw.source_len;
			j.nfiles = 1;
			pw.source = NULL;
			pw.source_len = 0;
		}
		pw.flags |= PROTO_WORK_FILES;
		buf_init(&work);
		wire_put_u8(&work, pw.flags);
		wire_put_u32(&work, pw.timeout_ms);
		wire_put_bytes(&work, pw.stdin_data, pw.stdin_len);
		wire_put_bytes(&work, NULL, 0);
		proto_work_encode_files(&work, j.main, j.main_len, j.release,
		    j.nargs, j.a, j.al, j.nfiles, j.f, j.fl);
		if (proto_work_decode(buf_data(&work), buf_len(&work), &pw) ==
		    -1)
			why = "the job cannot be encoded";
		else
			gateway_api_submit(g, c, GW_V1, &pw);
		buf_free(&work);
	} else if (why == NULL)
		gateway_api_submit(g, c, GW_V1, &pw);
	if (why != NULL) {
		g->bad_requests++;
		gateway_api_reply_json_error(c, 400, why, NULL);
	}
	free(j.f);
	free(j.fl);
	free(j.a);
	free(j.al);
	if (root != NULL)
		json_object_put(root);
	json_tokener_free(tok);
}

/*
 * With api-token-file set, does the request carry the token
 * ("Authorization: Bearer TOKEN", the scheme in any case)? The hashes are
 * compared in constant time, so neither length nor content leaks.
 */
static int
gateway_api_authorized(const struct gateway *g, const struct http_request *req)
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

void
gateway_api_http(struct httpd_conn *c, const struct http_request *req,
    const uint8_t *body, size_t len, void *arg)
{
	struct gateway *g = arg;
	int classic = http_path_is(req, "/compileandrun");
	int job = classic || http_path_is(req, "/v1/run");

	/*
	 * With a token, only /health and /cluster-info are open to anyone on
	 * the public port: logs, metrics and any other node path need it.
	 */
	if (!job &&
	    (http_path_is(req, "/health") ||
		http_path_is(req, "/cluster-info") ||
		gateway_api_authorized(g, req))) {
		g->fallback(c, req, body, len, g->fallback_arg);
		return;
	}
	if (!gateway_api_authorized(g, req)) {
		g->unauthorized++;
		if (!job || classic)
			gateway_api_reply_plain(c, 401, GW_CTYPE_TEXT,
			    GW_UNAUTHORIZED "\n", GW_CHALLENGE);
		else
			gateway_api_reply_json_error(
			    c, 401, GW_UNAUTHORIZED, GW_CHALLENGE);
		return;
	}
	if (classic)
		gateway_api_classic(g, c, req, body, len);
	else
		gateway_api_v1(g, c, req, body, len);
}

/*
 * Read the bearer token from path: one line of RFC 6750 token characters,
 * 16 to 512 of them; keep only its hash.
 */
int
gateway_api_token_load(struct gateway *g, const char *path, char **cause)
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
