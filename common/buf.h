/*
 * buf.h: a growable byte buffer with a read offset, used for socket I/O
 * (append at the end, consume from the front) and for building messages.
 */
#ifndef JDP_BUF_H
#define JDP_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t off; /* first unread byte */
	size_t len; /* end of data; bytes readable = len - off */
	size_t cap;
};

/* Initialise an empty buffer (no allocation). */
void buf_init(struct buf *);
/* Release the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *);
/* Drop all contents but keep the memory. */
void buf_reset(struct buf *);
/* Make room for n more bytes at the end; returns the write pointer. */
uint8_t *buf_reserve(struct buf *, size_t);
/* Account for n bytes written at the pointer buf_reserve returned. */
void buf_commit(struct buf *, size_t);
/* Append n bytes. */
void buf_add(struct buf *, const void *, size_t);
/* Append a NUL-less string. */
void buf_puts(struct buf *, const char *);
/* Append formatted text (no NUL is kept in the buffer). */
void buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));
/* Append s as a JSON string literal, quotes and escapes included. */
void buf_json_str(struct buf *, const char *, size_t);
/*
 * Append one Prometheus sample without labels, with its TYPE line:
 * "# TYPE name type\nname value\n" (type "counter" or "gauge").
 */
void buf_metric(struct buf *, const char *, const char *, long long);
/* The TYPE line alone, for a family of labelled samples: type, name. */
void buf_metric_type(struct buf *, const char *, const char *);
/* One labelled sample: name{label="value"} n (the value is not escaped). */
void buf_metric_label(
    struct buf *, const char *, const char *, const char *, long long);
/* Unread bytes and their count. */
uint8_t *buf_data(const struct buf *);
size_t buf_len(const struct buf *);
/* Mark n unread bytes as read; compacts when the buffer drains. */
void buf_consume(struct buf *, size_t);
/* Return the unread bytes as a NUL-terminated string (NUL not counted). */
char *buf_cstr(struct buf *);

#endif
