/*
 * http.h: an incremental HTTP/1.1 request parser and a small response
 * writer.
 *
 * The parser is picohttpparser-shaped: it allocates nothing, returns spans
 * into the caller's buffer, and is simply called again with more bytes when
 * it answers HTTP_PARTIAL. It parses the request line and headers only; the
 * caller reads content_length body bytes after them, and the next pipelined
 * request starts right after the body. Chunked request bodies are refused
 * with 501 (see the decisions at the top of http.c).
 */
#ifndef JDP_HTTP_H
#define JDP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define HTTP_PARTIAL (-2)
#define HTTP_BAD (-1)

#define HTTP_MAX_HEADERS 64

struct http_span {
	const char *p;
	size_t len;
};

struct http_header {
	struct http_span name;
	struct http_span value; /* surrounding white space trimmed */
};

struct http_limits {
	size_t max_request_line; /* default 8192 */
	size_t max_header_bytes; /* whole head; default 16384 */
	size_t max_headers; /* default HTTP_MAX_HEADERS */
	uint64_t max_body; /* Content-Length ceiling */
};

struct http_request {
	struct http_span method; /* case-sensitive */
	struct http_span target; /* as sent: path?query */
	struct http_span path;
	struct http_span query; /* after '?', len 0 if none */
	int minor_version; /* HTTP/1.x */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	uint64_t content_length; /* 0 if absent */
	int keep_alive; /* after Connection + version */
	int expect_continue; /* 1.1 + 100-continue */
};

/* Fill limits with the defaults above and max_body = 16 MiB. */
void http_limits_default(struct http_limits *);

/*
 * Parse the request head at the start of (buf, len); limits NULL means the
 * defaults. Returns the head's length in bytes (> 0; the body starts
 * there), HTTP_PARTIAL when the head is incomplete (and still within the
 * limits: call again with the same bytes and more), or HTTP_BAD with
 * *status set to the answer to give: 400 malformed, 413 Content-Length
 * over max_body, 414 request line too long, 431 headers too large or too
 * many, 501 a Transfer-Encoding (chunked too), 505 not HTTP/1.0 or 1.1.
 * The request's spans point into buf. Never reads past len; allocates
 * nothing. A max_headers above HTTP_MAX_HEADERS counts as HTTP_MAX_HEADERS.
 */
ssize_t http_parse_request(const char *, size_t, const struct http_limits *,
    struct http_request *, int *);

/* The value of a header (name compared case-insensitively), or NULL. */
const struct http_span *http_header_get(
    const struct http_request *, const char *);
/* Case-insensitive compare of a span and a string. */
int http_span_eq(const struct http_span *, const char *);
/* Case-sensitive compare of the request's method and a string. */
int http_method_is(const struct http_request *, const char *);
/* Case-sensitive, exact compare of the request's path and a string. */
int http_path_is(const struct http_request *, const char *);
/*
 * Find key in the query string (pairs separated by '&', key compared
 * exactly, first match wins); returns 1 and the value span (not
 * percent-decoded; empty for a key without '='; value may be NULL), or 0.
 */
int http_query_get(
    const struct http_request *, const char *, struct http_span *);
/*
 * Compare a media type header value ("text/x-java-source; charset=utf-8")
 * with a bare type, case-insensitively, ignoring parameters and the white
 * space around the type. 1 if equal; 0 if not or if the span is NULL.
 */
int http_media_type_is(const struct http_span *, const char *);

/* Reason phrase of a status code ("OK", "Not Found"; "Unknown"). */
const char *http_status_text(int);
/*
 * Append a response head: status line, Content-Type (if not NULL),
 * Content-Length, Connection (keep-alive or close), extra (already
 * formatted "Name: value\r\n" lines, or NULL), and the empty line.
 * 1xx heads carry only the status line and extra; 204 has no
 * Content-Length (RFC 9110 8.6). For HEAD, write the head alone.
 */
void http_write_head(
    struct buf *, int, const char *, size_t, int, const char *);
/* Append a whole response: head then body (none for 1xx and 204). */
void http_write_response(
    struct buf *, int, const char *, const void *, size_t, int, const char *);

#endif
