/*
 * http.c: an incremental HTTP/1.1 request parser (RFC 9112) and a small
 * response writer.
 *
 * The parser is shaped like picohttpparser: it allocates nothing, fills
 * spans that point into the caller's buffer and is called again from the
 * start with a longer buffer when it answers HTTP_PARTIAL. Each call is one
 * linear pass over at most max_header_bytes bytes: memchr finds each line
 * end and a table checks the bytes.
 *
 * Every answer is decided by the bytes up to the one that triggers it, so
 * any prefix of a request gives either HTTP_PARTIAL or the same answer as
 * the whole request (the unit tests check this for every prefix). Bad bytes
 * are reported as soon as they arrive, even in an unfinished line, and the
 * size limits are enforced while the head is still incomplete, so a client
 * cannot keep the server buffering by never ending a line.
 *
 * Decisions where the RFC leaves a choice:
 * - Empty lines before the request line are skipped (RFC 9112 2.2); they
 *   count towards max_header_bytes.
 * - A bare LF ends a line like CRLF does (RFC 9112 2.2); a CR not followed
 *   by LF is an error.
 * - Exactly one SP separates the parts of the request line; the version is
 *   "HTTP/" DIGIT "." DIGIT, case-sensitive. HTTP/1.0 and HTTP/1.1 are
 *   served; any other well-formed version is 505, anything else 400.
 * - The method is any token; whether it is known is the router's business
 *   (405). Methods are case-sensitive: "get" is not GET.
 * - The request-target is any run of visible bytes, obs-text included
 *   (clients do send raw UTF-8); it is split into path and query at the
 *   first '?'. It is not decoded.
 * - obs-fold (a header line starting with SP or HTAB) is 400 (RFC 9112 5.2
 *   allows rejecting it). White space between a field name and the colon
 *   is 400 (RFC 9112 5.1 requires it).
 * - Content-Length is digits only; repeated Content-Length lines must
 *   agree; a comma list ("5, 5") is refused. Overflow is 400; a value over
 *   max_body is 413 as soon as its line is complete, before any body byte.
 * - Transfer-Encoding other than "identity" is 501, chunked included.
 *   jdp takes bodies with a Content-Length only: the jobs are small, and
 *   not decoding chunked bodies removes the CL/TE request-smuggling
 *   ambiguity altogether. 501 (RFC 9112 6.1: a transfer coding the server
 *   does not implement) says exactly that; 411 would claim that only the
 *   length is missing, although the client may also have sent one.
 * - Host is not required: jdp serves no virtual hosts.
 * - Expect: 100-continue is honoured for HTTP/1.1 only (RFC 9110 10.1.1).
 */
#include "config.h"

#include <assert.h>
#include <string.h>

#include "buf.h"
#include "http.h"

/* tchar (RFC 9110 5.6.2): the bytes of a method or a field name. */
/* clang-format off */
static const uint8_t http_tchar[256] = {
	/* 0x00 - 0x1f: controls */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/*  !  "  #  $  %  &  '  (  )  *  +  ,  -  .  / */
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
	/* 0  1  2  3  4  5  6  7  8  9  :  ;  <  =  >  ? */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	/* @  A  B  C  D  E  F  G  H  I  J  K  L  M  N  O */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* P  Q  R  S  T  U  V  W  X  Y  Z  [  \  ]  ^  _ */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
	/* `  a  b  c  d  e  f  g  h  i  j  k  l  m  n  o */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* p  q  r  s  t  u  v  w  x  y  z  {  |  }  ~ DEL */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
	/* 0x80 - 0xff: not tokens */
};
/* clang-format on */

static int
http_is_tchar(char c)
{
	return http_tchar[(unsigned char)c];
}

/* A byte of a request-target: visible ASCII or obs-text. */
static int
http_is_target_char(char c)
{
	unsigned char u = (unsigned char)c;

	return u > ' ' && u != 0x7f;
}

/* A byte of a field value: field-vchar, obs-text, SP or HTAB. */
static int
http_is_field_char(char c)
{
	unsigned char u = (unsigned char)c;

	return u == '\t' || (u >= ' ' && u != 0x7f);
}

static int
http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* ASCII lower case, whatever the locale. */
static int
http_lower(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 'A' && u <= 'Z' ? u - 'A' + 'a' : u;
}

static int
http_mem_caseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (http_lower(a[i]) != http_lower(b[i]))
			return 0;
	}
	return 1;
}

void
http_limits_default(struct http_limits *lim)
{
	lim->max_request_line = 8192;
	lim->max_header_bytes = 16384;
	lim->max_headers = HTTP_MAX_HEADERS;
	lim->max_body = 16 * 1024 * 1024;
}

/*
 * Check the request line p[0..n), its line end removed, and fill the
 * method, target, path, query and version of req. When complete is 0 the
 * line is still arriving and only has to be a valid beginning. Returns 0
 * or the error status.
 */
static int
http_parse_request_line(
    const char *p, size_t n, int complete, struct http_request *req)
{
	static const char name[] = "HTTP/";
	const char *q, *v;
	size_t i, m, t, k;

	for (i = 0; i < n && http_is_tchar(p[i]); i++)
		continue;
	if (i == n)
		return complete ? 400 : 0;
	if (p[i] != ' ' || i == 0)
		return 400;
	m = i;

	for (i = m + 1; i < n && http_is_target_char(p[i]); i++)
		continue;
	if (i == n)
		return complete ? 400 : 0; /* HTTP/0.9 has no version */
	if (p[i] != ' ' || i == m + 1)
		return 400;
	t = i;

	/* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3). */
	v = p + t + 1;
	for (k = 0; k < n - t - 1; k++) {
		if (k < 5 && v[k] != name[k])
			return 400;
		if ((k == 5 || k == 7) && (v[k] < '0' || v[k] > '9'))
			return 400;
		if ((k == 6 && v[k] != '.') || k > 7)
			return 400;
	}
	if (!complete)
		return 0;
	if (k != 8)
		return 400;
	if (v[5] != '1' || v[7] > '1')
		return 505;

	req->method.p = p;
	req->method.len = m;
	req->target.p = p + m + 1;
	req->target.len = t - m - 1;
	req->path = req->target;
	q = memchr(req->target.p, '?', req->target.len);
	if (q != NULL) {
		req->path.len = q - req->target.p;
		req->query.p = q + 1;
		req->query.len = req->target.len - req->path.len - 1;
	} else {
		req->query.p = req->target.p + req->target.len;
		req->query.len = 0;
	}
	req->minor_version = v[7] - '0';
	return 0;
}

/*
 * Check a header line p[0..n), its line end removed, and fill h with the
 * name and the trimmed value. When complete is 0 the line is still
 * arriving. Returns 0 or the error status.
 */
static int
http_parse_header_line(
    const char *p, size_t n, int complete, struct http_header *h)
{
	size_t i, j, vs, ve;

	for (i = 0; i < n && http_is_tchar(p[i]); i++)
		continue;
	if (i == n)
		return complete ? 400 : 0;
	if (p[i] != ':' || i == 0)
		return 400;
	for (j = i + 1; j < n; j++) {
		if (!http_is_field_char(p[j]))
			return 400;
	}
	if (!complete)
		return 0;

	vs = i + 1;
	while (vs < n && http_is_ows(p[vs]))
		vs++;
	ve = n;
	while (ve > vs && http_is_ows(p[ve - 1]))
		ve--;
	h->name.p = p;
	h->name.len = i;
	h->value.p = p + vs;
	h->value.len = ve - vs;
	return 0;
}

/*
 * Call fn for each element of a comma-separated list value, OWS trimmed,
 * empty elements skipped. Stops at and returns the first non-zero answer.
 */
static int
http_list_each(const struct http_span *v,
    int (*fn)(const char *, size_t, void *), void *arg)
{
	const char *s = v->p, *end = v->p + v->len, *e;
	size_t n;
	int rc;

	while (s < end) {
		e = memchr(s, ',', end - s);
		if (e == NULL)
			e = end;
		n = e - s;
		while (n > 0 && http_is_ows(*s)) {
			s++;
			n--;
		}
		while (n > 0 && http_is_ows(s[n - 1]))
			n--;
		if (n > 0 && (rc = fn(s, n, arg)) != 0)
			return rc;
		s = e + 1;
	}
	return 0;
}

static int
http_list_not_identity(const char *s, size_t n, void *arg)
{
	(void)arg;
	return n != 8 || !http_mem_caseeq(s, "identity", 8);
}

struct http_conn_tokens {
	int close;
	int keep_alive;
};

static int
http_list_connection(const char *s, size_t n, void *arg)
{
	struct http_conn_tokens *ct = arg;

	if (n == 5 && http_mem_caseeq(s, "close", 5))
		ct->close = 1;
	else if (n == 10 && http_mem_caseeq(s, "keep-alive", 10))
		ct->keep_alive = 1;
	return 0;
}

/* Parse a Content-Length value: digits only. -1 if bad or too big. */
static int
http_parse_length(const struct http_span *v, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;
	unsigned d;

	if (v->len == 0)
		return -1;
	for (i = 0; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -1;
		d = v->p[i] - '0';
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

/*
 * Act on the header just parsed: Content-Length and Transfer-Encoding are
 * checked at once, so 413 and 501 come before the rest of the head.
 * Returns 0 or the error status.
 */
static int
http_check_header(struct http_request *req, const struct http_header *h,
    const struct http_limits *lim, int *seen_length)
{
	uint64_t n;

	if (http_span_eq(&h->name, "Content-Length")) {
		if (http_parse_length(&h->value, &n) != 0)
			return 400;
		if (*seen_length && n != req->content_length)
			return 400;
		*seen_length = 1;
		req->content_length = n;
		if (n > lim->max_body)
			return 413;
	} else if (http_span_eq(&h->name, "Transfer-Encoding")) {
		/* See the top of the file: chunked is 501 too. */
		if (http_list_each(&h->value, http_list_not_identity, NULL))
			return 501;
	}
	return 0;
}

/* Set keep_alive and expect_continue once the head is complete. */
static void
http_finish_request(struct http_request *req)
{
	struct http_conn_tokens ct = {0, 0};
	const struct http_header *h;
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (http_span_eq(&h->name, "Connection"))
			http_list_each(&h->value, http_list_connection, &ct);
		else if (http_span_eq(&h->name, "Expect") &&
		    http_span_eq(&h->value, "100-continue"))
			req->expect_continue = req->minor_version >= 1;
	}
	if (ct.close)
		req->keep_alive = 0;
	else if (req->minor_version >= 1)
		req->keep_alive = 1;
	else
		req->keep_alive = ct.keep_alive;
}

/*
 * Find the end of the line that starts at p, looking no further than end.
 * Returns the LF or NULL; *n is the length of the line without its line
 * end, or of what has arrived of it (a CR at the very end may be the start
 * of CRLF and is left out).
 */
static const char *
http_find_eol(const char *p, const char *end, size_t *n)
{
	const char *nl;

	nl = memchr(p, '\n', end - p);
	*n = (nl != NULL ? nl : end) - p;
	if (*n > 0 && p[*n - 1] == '\r')
		(*n)--;
	return nl;
}

/*
 * Skip one empty line at *pp. Returns 1 if skipped, 0 if *pp is not an
 * empty line, HTTP_PARTIAL if more bytes are needed, HTTP_BAD for a lone CR.
 */
static int
http_skip_empty_line(const char **pp, const char *end)
{
	const char *p = *pp;

	if (p == end)
		return HTTP_PARTIAL;
	if (*p == '\n') {
		*pp = p + 1;
		return 1;
	}
	if (*p != '\r')
		return 0;
	if (p + 1 == end)
		return HTTP_PARTIAL;
	if (p[1] != '\n')
		return HTTP_BAD;
	*pp = p + 2;
	return 1;
}

ssize_t
http_parse_request(const char *buf, size_t len,
    const struct http_limits *limits, struct http_request *req, int *status)
{
	struct http_limits deflim;
	const struct http_limits *lim = limits;
	const char *p, *end, *ls, *wend, *nl;
	size_t n, maxh;
	int capped, rc, seen_length = 0;

	assert(req != NULL && status != NULL);
	if (lim == NULL) {
		http_limits_default(&deflim);
		lim = &deflim;
	}
	maxh = lim->max_headers;
	if (maxh > HTTP_MAX_HEADERS)
		maxh = HTTP_MAX_HEADERS;

	memset(&req->method, 0, sizeof req->method);
	req->target = req->path = req->query = req->method;
	req->minor_version = 0;
	req->nheaders = 0;
	req->content_length = 0;
	req->keep_alive = 0;
	req->expect_continue = 0;
	*status = 0;

	/* Look at max_header_bytes at most; more without a head is 431. */
	capped = len > lim->max_header_bytes;
	p = buf;
	end = buf + (capped ? lim->max_header_bytes : len);

	while ((rc = http_skip_empty_line(&p, end)) == 1)
		continue;
	if (rc == HTTP_PARTIAL)
		goto partial;
	if (rc == HTTP_BAD)
		goto bad400;

	/* The request line, looking at most 2 bytes past its limit (CRLF). */
	ls = p;
	wend = end;
	if ((size_t)(end - ls) > 2 &&
	    (size_t)(end - ls) - 2 > lim->max_request_line)
		wend = ls + lim->max_request_line + 2;
	nl = http_find_eol(ls, wend, &n);
	if (n > lim->max_request_line) {
		/* Bad bytes before the limit come first, none after it. */
		rc = http_parse_request_line(ls, lim->max_request_line, 0, req);
		if (rc == 0)
			rc = 414;
		goto bad;
	}
	if (nl == NULL) {
		if ((rc = http_parse_request_line(ls, n, 0, req)) != 0)
			goto bad;
		goto partial;
	}
	if ((rc = http_parse_request_line(ls, n, 1, req)) != 0)
		goto bad;
	p = nl + 1;

	/* Header lines up to the empty line. */
	for (;;) {
		if ((rc = http_skip_empty_line(&p, end)) == 1)
			break;
		if (rc == HTTP_PARTIAL)
			goto partial;
		if (rc == HTTP_BAD)
			goto bad400;
		if (http_is_ows(*p))
			goto bad400; /* obs-fold */
		if (req->nheaders == maxh) {
			rc = 431;
			goto bad;
		}
		nl = http_find_eol(p, end, &n);
		rc = http_parse_header_line(
		    p, n, nl != NULL, &req->headers[req->nheaders]);
		if (rc != 0)
			goto bad;
		if (nl == NULL)
			goto partial;
		rc = http_check_header(
		    req, &req->headers[req->nheaders++], lim, &seen_length);
		if (rc != 0)
			goto bad;
		p = nl + 1;
	}

	http_finish_request(req);
	return p - buf;

partial:
	if (capped) {
		rc = 431;
		goto bad;
	}
	return HTTP_PARTIAL;
bad400:
	rc = 400;
bad:
	*status = rc;
	return HTTP_BAD;
}

const struct http_span *
http_header_get(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (http_span_eq(&req->headers[i].name, name))
			return &req->headers[i].value;
	}
	return NULL;
}

int
http_span_eq(const struct http_span *s, const char *str)
{
	size_t n = strlen(str);

	return s != NULL && s->len == n && http_mem_caseeq(s->p, str, n);
}

int
http_method_is(const struct http_request *req, const char *method)
{
	size_t n = strlen(method);

	return req->method.len == n && memcmp(req->method.p, method, n) == 0;
}

int
http_path_is(const struct http_request *req, const char *path)
{
	size_t n = strlen(path);

	return req->path.len == n && memcmp(req->path.p, path, n) == 0;
}

int
http_query_get(
    const struct http_request *req, const char *key, struct http_span *value)
{
	const char *s = req->query.p, *end = s + req->query.len, *e, *eq;
	size_t klen = strlen(key);

	while (s < end) {
		e = memchr(s, '&', end - s);
		if (e == NULL)
			e = end;
		eq = memchr(s, '=', e - s);
		if ((size_t)((eq != NULL ? eq : e) - s) == klen &&
		    memcmp(s, key, klen) == 0) {
			if (value != NULL) {
				value->p = eq != NULL ? eq + 1 : e;
				value->len = e - value->p;
			}
			return 1;
		}
		s = e + 1;
	}
	return 0;
}

int
http_media_type_is(const struct http_span *v, const char *type)
{
	const char *s, *end;
	size_t n;

	if (v == NULL || v->p == NULL)
		return 0;
	s = v->p;
	end = v->p + v->len;
	while (s < end && http_is_ows(*s))
		s++;
	n = 0;
	while (s + n < end && s[n] != ';' && !http_is_ows(s[n]))
		n++;
	if (n != strlen(type) || !http_mem_caseeq(s, type, n))
		return 0;
	for (s += n; s < end && http_is_ows(*s); s++)
		continue;
	return s == end || *s == ';';
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 417:
		return "Expectation Failed";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Unknown";
}

/* 1xx and 204 responses have no body and no Content-Length (RFC 9110 8.6). */
static int
http_status_has_body(int status)
{
	return status >= 200 && status != 204;
}

void
http_write_head(struct buf *b, int status, const char *content_type,
    size_t content_length, int keep_alive, const char *extra)
{
	assert(status >= 100 && status <= 999);
	buf_printf(b, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
	if (status >= 200) {
		if (content_type != NULL)
			buf_printf(b, "Content-Type: %s\r\n", content_type);
		if (http_status_has_body(status))
			buf_printf(
			    b, "Content-Length: %zu\r\n", content_length);
		buf_printf(b, "Connection: %s\r\n",
		    keep_alive ? "keep-alive" : "close");
	}
	if (extra != NULL)
		buf_puts(b, extra);
	buf_puts(b, "\r\n");
}

void
http_write_response(struct buf *b, int status, const char *content_type,
    const void *body, size_t len, int keep_alive, const char *extra)
{
	if (!http_status_has_body(status))
		len = 0;
	http_write_head(b, status, content_type, len, keep_alive, extra);
	buf_add(b, body, len);
}
