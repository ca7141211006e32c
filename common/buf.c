/* buf.c: growable byte buffers. */
#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof *b);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	size_t need;

	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->cap - b->len >= n)
		return b->data + b->len;
	/* Reclaim the consumed prefix before growing. */
	if (b->off > 0 && b->cap - (b->len - b->off) >= n &&
	    b->off >= b->cap / 2) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		return b->data + b->len;
	}
	need = b->len + n;
	if (need < b->len)
		need = SIZE_MAX; /* xreallocarray reports it */
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap = b->cap * 2 > b->cap ? b->cap * 2 : need;
	b->data = xreallocarray(b->data, 1, b->cap);
	return b->data + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	assert(b->cap - b->len >= n);
	b->len += n;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	memcpy(buf_reserve(b, n), p, n);
	b->len += n;
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n <= 0)
		return;
	vsnprintf(
	    (char *)buf_reserve(b, (size_t)n + 1), (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

uint8_t *
buf_data(const struct buf *b)
{
	return b->data != NULL ? b->data + b->off : NULL;
}

size_t
buf_len(const struct buf *b)
{
	return b->len - b->off;
}

void
buf_consume(struct buf *b, size_t n)
{
	assert(n <= b->len - b->off);
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

char *
buf_cstr(struct buf *b)
{
	*buf_reserve(b, 1) = '\0';
	return (char *)buf_data(b);
}

void
buf_json_str(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	buf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f)
				buf_printf(b, "\\u%04x", p[i]);
			else
				buf_add(b, &p[i], 1);
		}
	}
	buf_add(b, "\"", 1);
}

void
buf_metric(struct buf *b, const char *type, const char *name, long long value)
{
	buf_printf(b, "# TYPE %s %s\n%s %lld\n", name, type, name, value);
}

void
buf_metric_type(struct buf *b, const char *type, const char *name)
{
	buf_printf(b, "# TYPE %s %s\n", name, type);
}

void
buf_metric_label(struct buf *b, const char *name, const char *label,
    const char *value, long long n)
{
	buf_printf(b, "%s{%s=\"%s\"} %lld\n", name, label, value, n);
}
