/*
 * test_http.c: the HTTP/1.1 request parser and the response writer.
 *
 * The parser cases are text files in tests/data/http/ (the format is in the
 * README there). Every case is parsed whole, then every prefix of it in a
 * buffer of exactly that size, so that ASan sees any read past the end: a
 * prefix must give HTTP_PARTIAL or the same answer as the whole. Random and
 * mutated buffers (fixed seed) must never crash or break the invariants.
 * The writer and the helpers are checked against exact bytes here.
 *
 * Usage: test_http [DATADIR]; without it $top_srcdir/tests/data/http, then
 * the directory next to this source file.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "tap.h"
#include "xmalloc.h"

#define T_MAXREQ 8
#define T_MAXHDR (HTTP_MAX_HEADERS + 1)
#define T_MAXCASES 512

#define T_PARTIAL (-2) /* "partial" in a case file */

struct t_expect {
	int error; /* status, T_PARTIAL, or 0 for a head */
	long long head; /* -1: not given */
	char *method, *target, *path, *query;
	long long version;
	long long nheaders;
	int nlisted; /* "header" lines: the exact list */
	char *hname[T_MAXHDR], *hvalue[T_MAXHDR];
	long long content_length, keep_alive, expect_continue;
};

struct t_case {
	char *where; /* file:line */
	char *name;
	struct http_limits lim;
	struct buf input;
	struct t_expect req[T_MAXREQ];
	int nreq;
	long long rest;
};

static struct t_case *t_cases[T_MAXCASES];
static int t_ncases;

/* xorshift64*: the same numbers on every libc. */
static uint64_t t_rng = 0x6a64702d68747470ULL;

static uint32_t
t_random(void)
{
	t_rng ^= t_rng >> 12;
	t_rng ^= t_rng << 25;
	t_rng ^= t_rng >> 27;
	return (uint32_t)((t_rng * 0x2545f4914f6cdd1dULL) >> 32);
}

/* A copy of p[0..n) in a buffer of exactly n bytes. Caller frees. */
static char *
t_exact(const char *p, size_t n)
{
	char *c;

	c = xmalloc(n > 0 ? n : 1);
	if (n > 0)
		memcpy(c, p, n);
	/* A zero-length prefix gets a pointer past a 1-byte block. */
	return n > 0 ? c : c + 1;
}

static void
t_free_exact(char *c, size_t n)
{
	free(n > 0 ? c : c - 1);
}

static int
t_span_is(const struct http_span *s, const char *str)
{
	size_t n = strlen(str);

	return s->len == n && (n == 0 || memcmp(s->p, str, n) == 0);
}

static char *
t_span_str(const struct http_span *s)
{
	static char out[4][128];
	static int i;
	char *o = out[i++ % 4];
	size_t j, k = 0;

	for (j = 0; j < s->len && k + 5 < sizeof out[0]; j++) {
		unsigned char c = (unsigned char)s->p[j];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			o[k++] = c;
		else
			k += snprintf(o + k, sizeof out[0] - k, "\\x%02x", c);
	}
	o[k] = '\0';
	return o;
}

/* --- case files ------------------------------------------------------ */

/* Append s with \r \n \t \0 \\ \xHH decoded. -1 on a bad escape. */
static int
t_unescape(const char *s, struct buf *out)
{
	char c;
	unsigned v;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			buf_add(out, s, 1);
			continue;
		}
		switch (*++s) {
		case 'r':
			c = '\r';
			break;
		case 'n':
			c = '\n';
			break;
		case 't':
			c = '\t';
			break;
		case '0':
			c = '\0';
			break;
		case '\\':
			c = '\\';
			break;
		case 'x':
			if (sscanf(s + 1, "%2x", &v) != 1 || s[1] == '\0' ||
			    s[2] == '\0')
				return -1;
			c = (char)v;
			s += 2;
			break;
		default:
			return -1;
		}
		buf_add(out, &c, 1);
	}
	return 0;
}

static char *
t_unescape_str(const char *s)
{
	struct buf b;
	char *r = NULL;

	buf_init(&b);
	if (t_unescape(s, &b) == 0)
		r = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return r;
}

static int
t_number(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' ? -1 : 0;
}

static void
t_expect_init(struct t_expect *e)
{
	memset(e, 0, sizeof *e);
	e->head = e->version = e->nheaders = -1;
	e->content_length = e->keep_alive = e->expect_continue = -1;
	e->error = -1;
}

static struct t_case *
t_case_new(const char *file, int line, const char *name)
{
	struct t_case *tc;

	tc = xcalloc(1, sizeof *tc);
	xasprintf(&tc->where, "%s:%d", file, line);
	tc->name = xstrdup(name);
	http_limits_default(&tc->lim);
	buf_init(&tc->input);
	tc->nreq = 1;
	t_expect_init(&tc->req[0]);
	tc->rest = -1;
	return tc;
}

/* Check that a finished case is complete. NULL if so, or the problem. */
static const char *
t_case_check(const struct t_case *tc)
{
	int i;

	if (buf_len(&tc->input) == 0)
		return "no input";
	for (i = 0; i < tc->nreq; i++) {
		if (tc->req[i].error == -1)
			return "a request without head, error or partial";
	}
	return NULL;
}

/* Handle one directive line of a case. NULL if fine, or the problem. */
static const char *
t_case_line(struct t_case *tc, const char *key, const char *val)
{
	struct t_expect *e = &tc->req[tc->nreq - 1];
	long long n = 0;
	char *s, *colon;
	int num;

	num = t_number(val, &n) == 0;
	if (strcmp(key, ">") == 0)
		return t_unescape(val, &tc->input) == 0 ? NULL : "bad escape";
	if (strcmp(key, "repeat") == 0) {
		if (sscanf(val, "%lld", &n) != 1 || n < 0 ||
		    strchr(val, ' ') == NULL)
			return "usage: repeat COUNT TEXT";
		while (n-- > 0) {
			if (t_unescape(strchr(val, ' ') + 1, &tc->input) != 0)
				return "bad escape";
		}
		return NULL;
	}
	if (strcmp(key, "limit") == 0) {
		s = strchr(val, ' ');
		if (s == NULL || t_number(s + 1, &n) != 0 || n < 0)
			return "usage: limit NAME NUMBER";
		*s = '\0';
		if (strcmp(val, "max_request_line") == 0)
			tc->lim.max_request_line = n;
		else if (strcmp(val, "max_header_bytes") == 0)
			tc->lim.max_header_bytes = n;
		else if (strcmp(val, "max_headers") == 0)
			tc->lim.max_headers = n;
		else if (strcmp(val, "max_body") == 0)
			tc->lim.max_body = n;
		else
			return "unknown limit";
		return NULL;
	}
	if (strcmp(key, "next") == 0) {
		if (tc->nreq == T_MAXREQ)
			return "too many requests";
		t_expect_init(&tc->req[tc->nreq++]);
		return NULL;
	}
	if (strcmp(key, "partial") == 0) {
		e->error = T_PARTIAL;
		return NULL;
	}
	if (strcmp(key, "header") == 0) {
		if (e->nlisted == T_MAXHDR)
			return "too many headers";
		if ((colon = strchr(val, ':')) == NULL)
			return "usage: header NAME: VALUE";
		*colon++ = '\0';
		if (*colon == ' ')
			colon++;
		e->hname[e->nlisted] = t_unescape_str(val);
		e->hvalue[e->nlisted] = t_unescape_str(colon);
		if (e->hname[e->nlisted] == NULL ||
		    e->hvalue[e->nlisted] == NULL)
			return "bad escape";
		e->nlisted++;
		return NULL;
	}
	if (strcmp(key, "method") == 0 || strcmp(key, "target") == 0 ||
	    strcmp(key, "path") == 0 || strcmp(key, "query") == 0) {
		if ((s = t_unescape_str(val)) == NULL)
			return "bad escape";
		if (key[0] == 'm')
			e->method = s;
		else if (key[0] == 't')
			e->target = s;
		else if (key[0] == 'p')
			e->path = s;
		else
			e->query = s;
		return NULL;
	}
	if (!num)
		return "unknown directive or not a number";
	if (strcmp(key, "head") == 0) {
		e->error = 0;
		e->head = n;
	} else if (strcmp(key, "error") == 0)
		e->error = (int)n;
	else if (strcmp(key, "version") == 0)
		e->version = n;
	else if (strcmp(key, "nheaders") == 0)
		e->nheaders = n;
	else if (strcmp(key, "content_length") == 0)
		e->content_length = n;
	else if (strcmp(key, "keep_alive") == 0)
		e->keep_alive = n;
	else if (strcmp(key, "expect_continue") == 0)
		e->expect_continue = n;
	else if (strcmp(key, "rest") == 0)
		tc->rest = n;
	else
		return "unknown directive";
	return NULL;
}

static void
t_case_free(struct t_case *tc)
{
	struct t_expect *e;
	int i, j;

	for (i = 0; i < tc->nreq; i++) {
		e = &tc->req[i];
		free(e->method);
		free(e->target);
		free(e->path);
		free(e->query);
		for (j = 0; j < e->nlisted; j++) {
			free(e->hname[j]);
			free(e->hvalue[j]);
		}
	}
	buf_free(&tc->input);
	free(tc->where);
	free(tc->name);
	free(tc);
}

static void
t_case_add(struct t_case *tc)
{
	const char *why;

	if ((why = t_case_check(tc)) != NULL) {
		ok(0, "%s: %s: %s", tc->where, tc->name, why);
		t_case_free(tc);
		return;
	}
	if (t_ncases == T_MAXCASES) {
		ok(0, "%s: too many cases", tc->where);
		t_case_free(tc);
		return;
	}
	t_cases[t_ncases++] = tc;
}

/* Load the cases of one file; a malformed line is a failed test. */
static void
t_load_file(const char *path, const char *base)
{
	FILE *f;
	char *line = NULL, *val;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, bad = 0;
	struct t_case *tc = NULL;
	const char *why;

	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "open %s: %s", path, strerror(errno));
		return;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "=== ", 4) == 0) {
			if (tc != NULL)
				t_case_add(tc);
			tc = t_case_new(base, lineno, line + 4);
			continue;
		}
		if (tc == NULL) {
			ok(0, "%s:%d: directive before the first ===", base,
			    lineno);
			bad = 1;
			break;
		}
		if (line[0] == '>') {
			val = line + 1;
			if (*val == ' ')
				val++;
			why = t_case_line(tc, ">", val);
		} else {
			val = strchr(line, ' ');
			if (val != NULL)
				*val++ = '\0';
			why = t_case_line(tc, line, val != NULL ? val : "");
		}
		if (why != NULL) {
			ok(0, "%s:%d: %s", base, lineno, why);
			bad = 1;
			break;
		}
	}
	if (tc != NULL && !bad)
		t_case_add(tc);
	else if (tc != NULL)
		t_case_free(tc);
	free(line);
	fclose(f);
}

static int
t_is_case_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".txt") == 0;
}

static int
t_load_dir(const char *dir)
{
	struct dirent **list;
	char *path;
	int n, i;

	n = scandir(dir, &list, t_is_case_file, alphasort);
	if (n <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s", dir, list[i]->d_name);
		t_load_file(path, list[i]->d_name);
		free(path);
		free(list[i]);
	}
	free(list);
	return n;
}

/* --- running cases --------------------------------------------------- */

static int
t_span_inside(const struct http_span *s, const char *buf, size_t len)
{
	if (s->len == 0)
		return 1;
	return s->p >= buf && s->p <= buf + len && s->len <= len &&
	    (size_t)(s->p - buf) <= len - s->len;
}

/* Every span of a parsed request lies within buf[0..len). */
static int
t_req_inside(const struct http_request *r, const char *buf, size_t len)
{
	size_t i;

	if (!t_span_inside(&r->method, buf, len) ||
	    !t_span_inside(&r->target, buf, len) ||
	    !t_span_inside(&r->path, buf, len) ||
	    !t_span_inside(&r->query, buf, len) ||
	    r->nheaders > HTTP_MAX_HEADERS)
		return 0;
	for (i = 0; i < r->nheaders; i++) {
		if (!t_span_inside(&r->headers[i].name, buf, len) ||
		    !t_span_inside(&r->headers[i].value, buf, len))
			return 0;
	}
	return 1;
}

static int
t_span_same(const struct http_span *a, const char *abuf,
    const struct http_span *b, const char *bbuf)
{
	if (a->len != b->len)
		return 0;
	return a->len == 0 || a->p - abuf == b->p - bbuf;
}

/* The same request parsed from two copies of the same bytes. */
static int
t_req_same(const struct http_request *a, const char *abuf,
    const struct http_request *b, const char *bbuf)
{
	size_t i;

	if (!t_span_same(&a->method, abuf, &b->method, bbuf) ||
	    !t_span_same(&a->target, abuf, &b->target, bbuf) ||
	    !t_span_same(&a->path, abuf, &b->path, bbuf) ||
	    !t_span_same(&a->query, abuf, &b->query, bbuf) ||
	    a->minor_version != b->minor_version ||
	    a->nheaders != b->nheaders ||
	    a->content_length != b->content_length ||
	    a->keep_alive != b->keep_alive ||
	    a->expect_continue != b->expect_continue)
		return 0;
	for (i = 0; i < a->nheaders; i++) {
		if (!t_span_same(
			&a->headers[i].name, abuf, &b->headers[i].name, bbuf) ||
		    !t_span_same(
			&a->headers[i].value, abuf, &b->headers[i].value, bbuf))
			return 0;
	}
	return 1;
}

static int
t_status_known(int st)
{
	return st == 400 || st == 413 || st == 414 || st == 431 || st == 501 ||
	    st == 505;
}

/*
 * Parse the prefix p[0..k) in a buffer of exactly k bytes and compare with
 * the answer for the whole (r, st, req in full). 1 if it agrees.
 */
static int
t_prefix_agrees(const char *p, size_t k, const struct http_limits *lim,
    ssize_t r, int st, const struct http_request *req, const char *full,
    ssize_t *got)
{
	struct http_request pr;
	int pst = -1, good;
	char *c;

	c = t_exact(p, k);
	*got = http_parse_request(c, k, lim, &pr, &pst);
	if (r > 0 && k < (size_t)r)
		good = *got == HTTP_PARTIAL;
	else if (r > 0)
		good = *got == r && t_req_same(&pr, c, req, full);
	else if (r == HTTP_PARTIAL)
		good = *got == HTTP_PARTIAL;
	else
		good = *got == HTTP_PARTIAL || (*got == HTTP_BAD && pst == st);
	t_free_exact(c, k);
	return good;
}

/*
 * Check the prefixes p[0..k), k = 0..n, against the answer for the whole.
 * All of them for a head or a short input. For a long input with an error
 * (the limit cases, quadratic otherwise): all up to 2048 bytes, all within
 * 512 bytes of where the answer turns from PARTIAL to the error (found by
 * bisection), and every 61st elsewhere. Returns the first k that
 * disagrees, or -1.
 */
static long
t_prefixes(const char *p, size_t n, const struct http_limits *lim, ssize_t r,
    int st, const struct http_request *req, const char *full)
{
	size_t k, lo = 0, hi = n, mid;
	ssize_t got;
	int all = r > 0 || n <= 4096;

	while (!all && lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (!t_prefix_agrees(p, mid, lim, r, st, req, full, &got))
			return (long)mid;
		if (got == HTTP_PARTIAL)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; k <= n; k++) {
		if (!all && k > 2048 && k != n && k % 61 != 0 &&
		    (k + 512 < lo || k > lo + 512))
			continue;
		if (!t_prefix_agrees(p, k, lim, r, st, req, full, &got))
			return (long)k;
	}
	return -1;
}

/* Check the fields a case lists; one test line per field. */
static void
t_check_fields(const struct t_case *tc, int i, const struct t_expect *e,
    const struct http_request *req, const char *buf, size_t len)
{
	int j, same;
	char id[256];

	snprintf(id, sizeof id, "%s %s [%d]", tc->where, tc->name, i);
	ok(t_req_inside(req, buf, len), "%s: spans inside the head", id);
	if (e->method != NULL) {
		if (!ok(t_span_is(&req->method, e->method), "%s: method", id))
			diag("got \"%s\"", t_span_str(&req->method));
	}
	if (e->target != NULL) {
		if (!ok(t_span_is(&req->target, e->target), "%s: target", id))
			diag("got \"%s\"", t_span_str(&req->target));
	}
	if (e->path != NULL) {
		if (!ok(t_span_is(&req->path, e->path), "%s: path", id))
			diag("got \"%s\"", t_span_str(&req->path));
	}
	if (e->query != NULL) {
		if (!ok(t_span_is(&req->query, e->query), "%s: query", id))
			diag("got \"%s\"", t_span_str(&req->query));
	}
	if (e->version != -1)
		is_int(req->minor_version, e->version, "%s: version", id);
	if (e->nlisted > 0) {
		same = req->nheaders == (size_t)e->nlisted;
		for (j = 0; same && j < e->nlisted; j++) {
			same = t_span_is(&req->headers[j].name, e->hname[j]) &&
			    t_span_is(&req->headers[j].value, e->hvalue[j]);
			if (!same)
				diag("header %d: got \"%s\": \"%s\"", j,
				    t_span_str(&req->headers[j].name),
				    t_span_str(&req->headers[j].value));
		}
		if (!ok(same, "%s: headers", id))
			diag("got %zu headers, want %d", req->nheaders,
			    e->nlisted);
	}
	if (e->nheaders != -1)
		is_int(req->nheaders, e->nheaders, "%s: nheaders", id);
	if (e->content_length != -1)
		is_int(req->content_length, e->content_length,
		    "%s: content_length", id);
	if (e->keep_alive != -1)
		is_int(req->keep_alive, e->keep_alive, "%s: keep_alive", id);
	if (e->expect_continue != -1)
		is_int(req->expect_continue, e->expect_continue,
		    "%s: expect_continue", id);
}

static void
t_run_case(const struct t_case *tc)
{
	const char *in = (const char *)buf_data(&tc->input);
	size_t inlen = buf_len(&tc->input), off = 0, rem;
	const struct t_expect *e;
	struct http_request req;
	ssize_t r = 0;
	int i, st;
	long k;
	char *c, id[256];

	for (i = 0; i < tc->nreq; i++) {
		e = &tc->req[i];
		snprintf(id, sizeof id, "%s %s [%d]", tc->where, tc->name, i);
		rem = inlen - off;
		c = t_exact(in + off, rem);
		st = -1;
		r = http_parse_request(c, rem, &tc->lim, &req, &st);
		if (e->error == T_PARTIAL) {
			is_int(r, HTTP_PARTIAL, "%s: partial", id);
		} else if (e->error != 0) {
			if (!ok(r == HTTP_BAD && st == e->error, "%s: error %d",
				id, e->error))
				diag("got %zd, status %d", r, st);
		} else {
			is_int(r, e->head, "%s: head length", id);
			if (r > 0)
				t_check_fields(tc, i, e, &req, c, (size_t)r);
		}
		k = t_prefixes(in + off, rem, &tc->lim, r, st, &req, c);
		if (!ok(k == -1, "%s: all %zu prefixes agree", id, rem + 1))
			diag("prefix of %ld bytes disagrees", k);
		t_free_exact(c, rem);
		if (r <= 0)
			break;
		if (i == tc->nreq - 1 && tc->rest == -1)
			break; /* the body may still be arriving */
		if (!ok(req.content_length <= rem - (size_t)r,
			"%s: body inside the input", id))
			return;
		off += (size_t)r + req.content_length;
	}
	if (i < tc->nreq - 1 && r <= 0)
		ok(0, "%s: %s: %d requests not reached", tc->where, tc->name,
		    tc->nreq - 1 - i);
	else if (tc->rest != -1)
		is_int(inlen - off, tc->rest, "%s: %s: bytes left", tc->where,
		    tc->name);
}

/* --- random input ---------------------------------------------------- */

/*
 * Parse one buffer and check what must hold for any input: a known status,
 * a head inside the buffer, spans inside the head and, with prefixes set,
 * the prefix rule. Returns 0 if all holds.
 */
static int
t_check_any(
    const char *p, size_t n, const struct http_limits *lim, int prefixes)
{
	struct http_request req;
	ssize_t r;
	int st = -1, bad = 0;
	char *c;

	c = t_exact(p, n);
	r = http_parse_request(c, n, lim, &req, &st);
	if (r == HTTP_BAD)
		bad = !t_status_known(st);
	else if (r != HTTP_PARTIAL)
		bad = r <= 0 || (size_t)r > n ||
		    !t_req_inside(&req, c, (size_t)r);
	if (!bad && prefixes)
		bad = t_prefixes(p, n, lim, r, st, &req, c) != -1;
	if (bad) {
		struct http_span all = {p, n};

		diag("bad answer %zd (status %d) for %zu bytes \"%s\"", r, st,
		    n, t_span_str(&all));
	}
	t_free_exact(c, n);
	return bad;
}

static void
t_test_random(void)
{
	static const char *words[] = {"GET", "POST", " ", "/", "?", "&", "=",
	    "HTTP/1.1", "HTTP/1.0", "\r\n", "\n", "\r", ":", ": ",
	    "Content-Length", "Connection", "Transfer-Encoding", "close",
	    "chunked", "keep-alive", "Expect", "100-continue", "0", "12",
	    "99999999999999999999", "\t", ",", "\0", "\x80", "x"};
	const size_t nwords = sizeof words / sizeof words[0];
	struct buf b;
	int i, bad = 0, mode;
	size_t n, j;
	uint8_t byte;
	const char *w;

	buf_init(&b);
	for (i = 0; i < 4000; i++) {
		buf_reset(&b);
		n = t_random() % 300;
		mode = i % 2;
		while (buf_len(&b) < n) {
			if (mode == 0) {
				byte = t_random() & 0xff;
				buf_add(&b, &byte, 1);
			} else {
				j = t_random() % nwords;
				w = words[j];
				buf_add(&b, w, *w == '\0' ? 1 : strlen(w));
			}
		}
		bad += t_check_any(
		    (char *)buf_data(&b), buf_len(&b), NULL, i < 400);
	}
	is_int(bad, 0, "4000 random buffers: no invariant broken");
	buf_free(&b);
}

/* Mutate the inputs of the cases: flip, insert, delete, special bytes. */
static void
t_test_mutations(void)
{
	static const char special[] = "\r\n :\t\0?&,;/0xHTP\x7f\x80";
	struct buf b;
	const struct t_case *tc;
	int i, m, nm, bad = 0;
	size_t len, pos;
	uint8_t *d, byte;

	if (t_ncases == 0) {
		ok(0, "mutations: no cases loaded");
		return;
	}
	buf_init(&b);
	for (i = 0; i < 3000; i++) {
		tc = t_cases[t_random() % t_ncases];
		len = buf_len(&tc->input);
		if (len > 400)
			len = 400;
		buf_reset(&b);
		buf_add(&b, buf_data(&tc->input), len);
		nm = 1 + t_random() % 4;
		for (m = 0; m < nm && buf_len(&b) > 0; m++) {
			d = buf_data(&b);
			pos = t_random() % buf_len(&b);
			switch (t_random() % 4) {
			case 0:
				d[pos] ^= 1 << (t_random() % 8);
				break;
			case 1:
				d[pos] =
				    special[t_random() % (sizeof special - 1)];
				break;
			case 2:
				memmove(d + pos, d + pos + 1,
				    buf_len(&b) - pos - 1);
				b.len--;
				break;
			case 3:
				byte =
				    special[t_random() % (sizeof special - 1)];
				buf_add(&b, "", 1);
				d = buf_data(&b);
				memmove(d + pos + 1, d + pos,
				    buf_len(&b) - pos - 1);
				d[pos] = byte;
				break;
			}
		}
		bad += t_check_any(
		    (char *)buf_data(&b), buf_len(&b), &tc->lim, i < 1000);
	}
	is_int(bad, 0,
	    "3000 mutated cases: no invariant broken, "
	    "prefix rule holds for 1000");
	buf_free(&b);
}

/* --- helpers and writer ---------------------------------------------- */

static void
t_parse_str(const char *s, struct http_request *req)
{
	int st;

	if (http_parse_request(s, strlen(s), NULL, req, &st) <= 0)
		diag("could not parse \"%s\"", s);
}

static void
t_test_helpers(void)
{
	static const char rq[] =
	    "GET /logs/summary?tail=10&flag&empty="
	    "&a=b=c&tail=11&&x=%41 HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "content-TYPE:  Text/X-Java-Source ; charset=utf-8\r\n"
	    "X-Dup: one\r\n"
	    "x-dup: two\r\n\r\n";
	static const struct {
		const char *value;
		int want;
	} mt[] = {
	    {"text/x-java-source", 1},
	    {"Text/X-Java-Source ; charset=utf-8", 1},
	    {"  text/x-java-source;charset=utf-8", 1},
	    {"text/x-java-source\t", 1},
	    {"TEXT/X-JAVA-SOURCE;", 1},
	    {"text/x-java-sourcex", 0},
	    {"text/x-java-sourc", 0},
	    {"text/x-java-source garbage", 0},
	    {"text/plain", 0},
	    {"", 0},
	    {";text/x-java-source", 0},
	};
	struct http_request req;
	struct http_span v, s;
	struct http_limits lim;
	const struct http_span *h;
	size_t i;

	http_limits_default(&lim);
	ok(lim.max_request_line == 8192 && lim.max_header_bytes == 16384 &&
		lim.max_headers == HTTP_MAX_HEADERS &&
		lim.max_body == 16 * 1024 * 1024,
	    "http_limits_default");

	t_parse_str(rq, &req);
	h = http_header_get(&req, "host");
	ok(h != NULL && t_span_is(h, "example.com"), "header_get: any case");
	h = http_header_get(&req, "X-DUP");
	ok(h != NULL && t_span_is(h, "one"), "header_get: first of two");
	ok(http_header_get(&req, "X-Missing") == NULL, "header_get: missing");
	ok(http_header_get(&req, "Hos") == NULL, "header_get: no prefix");
	ok(http_media_type_is(
	       http_header_get(&req, "Content-Type"), "text/x-java-source"),
	    "media_type_is: parsed header");
	ok(!http_media_type_is(NULL, "text/x-java-source"),
	    "media_type_is: absent header");

	ok(http_query_get(&req, "tail", &v) && t_span_is(&v, "10"),
	    "query_get: first value");
	ok(http_query_get(&req, "flag", &v) && v.len == 0,
	    "query_get: key without value");
	ok(http_query_get(&req, "empty", &v) && v.len == 0,
	    "query_get: empty value");
	ok(http_query_get(&req, "a", &v) && t_span_is(&v, "b=c"),
	    "query_get: split at the first =");
	ok(http_query_get(&req, "x", &v) && t_span_is(&v, "%41"),
	    "query_get: not decoded");
	ok(!http_query_get(&req, "tai", &v) && !http_query_get(&req, "b", &v),
	    "query_get: no partial keys or values");
	ok(http_query_get(&req, "flag", NULL), "query_get: NULL value");
	t_parse_str("GET /cluster-info HTTP/1.1\r\n\r\n", &req);
	ok(!http_query_get(&req, "format", &v), "query_get: no query");
	ok(http_path_is(&req, "/cluster-info") &&
		!http_path_is(&req, "/Cluster-info") &&
		!http_path_is(&req, "/cluster") &&
		!http_path_is(&req, "/cluster-info/"),
	    "path_is: exact and case-sensitive");
	t_parse_str("GET /cluster-info?format=json HTTP/1.1\r\n\r\n", &req);
	ok(http_query_get(&req, "format", &v) && t_span_is(&v, "json"),
	    "query_get: only pair");
	ok(http_method_is(&req, "GET") && !http_method_is(&req, "get") &&
		!http_method_is(&req, "GE"),
	    "method_is: case-sensitive");

	for (i = 0; i < sizeof mt / sizeof mt[0]; i++) {
		s.p = mt[i].value;
		s.len = strlen(mt[i].value);
		is_int(http_media_type_is(&s, "text/x-java-source"), mt[i].want,
		    "media_type_is \"%s\"", mt[i].value);
	}

	s.p = "Keep-Alive";
	s.len = 10;
	ok(http_span_eq(&s, "keep-alive") && http_span_eq(&s, "KEEP-ALIVE") &&
		!http_span_eq(&s, "keep-aliv") &&
		!http_span_eq(&s, "keep-alives") &&
		!http_span_eq(NULL, "keep-alive"),
	    "span_eq");
}

static void
t_test_status_text(void)
{
	static const struct {
		int code;
		const char *text;
	} st[] = {
	    {100, "Continue"},
	    {200, "OK"},
	    {204, "No Content"},
	    {400, "Bad Request"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {408, "Request Timeout"},
	    {411, "Length Required"},
	    {413, "Content Too Large"},
	    {414, "URI Too Long"},
	    {429, "Too Many Requests"},
	    {431, "Request Header Fields Too Large"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {503, "Service Unavailable"},
	    {505, "HTTP Version Not Supported"},
	    {799, "Unknown"},
	};
	size_t i;

	for (i = 0; i < sizeof st / sizeof st[0]; i++)
		is_str(http_status_text(st[i].code), st[i].text,
		    "status_text %d", st[i].code);
}

static void
t_is_buf(struct buf *b, const char *want, size_t wantlen, const char *name)
{
	size_t n = buf_len(b);

	if (!ok(n == wantlen && memcmp(buf_data(b), want, n) == 0, "%s", name))
		diag("got \"%s\"", buf_cstr(b));
	buf_reset(b);
}

#define T_IS_BUF(b, lit, name) t_is_buf(b, lit, sizeof lit - 1, name)

static void
t_test_writer(void)
{
	struct buf b;

	buf_init(&b);
	http_write_response(&b, 200, "text/plain", "hello", 5, 1, NULL);
	T_IS_BUF(&b,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 5\r\n"
	    "Connection: keep-alive\r\n"
	    "\r\n"
	    "hello",
	    "writer: 200 with body, keep-alive");

	http_write_response(&b, 405, NULL, NULL, 0, 0, "Allow: POST\r\n");
	T_IS_BUF(&b,
	    "HTTP/1.1 405 Method Not Allowed\r\n"
	    "Content-Length: 0\r\n"
	    "Connection: close\r\n"
	    "Allow: POST\r\n"
	    "\r\n",
	    "writer: 405, no type, extra line, close");

	http_write_response(&b, 503, "text/plain", "busy\n", 5, 1,
	    "Retry-After: 2\r\nCached-Response: false\r\n");
	T_IS_BUF(&b,
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 5\r\n"
	    "Connection: keep-alive\r\n"
	    "Retry-After: 2\r\n"
	    "Cached-Response: false\r\n"
	    "\r\n"
	    "busy\n",
	    "writer: two extra lines verbatim");

	http_write_head(&b, 200, "application/json", 1234, 0, NULL);
	T_IS_BUF(&b,
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 1234\r\n"
	    "Connection: close\r\n"
	    "\r\n",
	    "writer: head alone (HEAD)");

	http_write_response(&b, 204, NULL, "x", 1, 1, NULL);
	T_IS_BUF(&b,
	    "HTTP/1.1 204 No Content\r\n"
	    "Connection: keep-alive\r\n"
	    "\r\n",
	    "writer: 204 has no Content-Length and no body");

	http_write_head(&b, 100, NULL, 0, 1, NULL);
	T_IS_BUF(&b, "HTTP/1.1 100 Continue\r\n\r\n", "writer: 100 Continue");

	http_write_response(&b, 400, "text/plain", "a\0b", 3, 0, NULL);
	T_IS_BUF(&b,
	    "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 3\r\n"
	    "Connection: close\r\n"
	    "\r\n"
	    "a\0b",
	    "writer: binary body kept");

	buf_puts(&b, "prefix|");
	http_write_response(&b, 404, "text/plain", "no", 2, 1, NULL);
	http_write_response(&b, 200, NULL, "", 0, 1, NULL);
	T_IS_BUF(&b,
	    "prefix|"
	    "HTTP/1.1 404 Not Found\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 2\r\n"
	    "Connection: keep-alive\r\n"
	    "\r\n"
	    "no"
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 0\r\n"
	    "Connection: keep-alive\r\n"
	    "\r\n",
	    "writer: appends, back to back");
	buf_free(&b);
}

/* --- main ------------------------------------------------------------ */

static int
t_find_cases(int argc, char **argv)
{
	const char *top;
	char *dir, *slash;
	int n;

	if (argc > 1)
		return t_load_dir(argv[1]);
	if ((top = getenv("top_srcdir")) != NULL) {
		xasprintf(&dir, "%s/tests/data/http", top);
		n = t_load_dir(dir);
		free(dir);
		if (n > 0)
			return n;
	}
	/* __FILE__ is .../tests/unit/test_http.c */
	dir = xstrdup(__FILE__);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
	} else
		strcpy(dir, ".");
	slash = dir;
	xasprintf(&dir, "%s/data/http", slash);
	free(slash);
	n = t_load_dir(dir);
	free(dir);
	return n;
}

int
main(int argc, char **argv)
{
	int i, n;

	n = t_find_cases(argc, argv);
	ok(n > 0 && t_ncases >= 60, "case files found: %d files, %d cases", n,
	    t_ncases);
	for (i = 0; i < t_ncases; i++)
		t_run_case(t_cases[i]);
	t_test_random();
	t_test_mutations();
	t_test_helpers();
	t_test_status_text();
	t_test_writer();
	for (i = 0; i < t_ncases; i++)
		t_case_free(t_cases[i]);
	return tap_done();
}
