/*
 * wire.c: big-endian field encoding, the bounded reader, and the
 * authenticated frame (layout in wire.h).
 *
 * wire_decode serves both transports. On a stream (TCP) WIRE_PARTIAL means
 * "keep the bytes and wait for more". A datagram (UDP) is a whole frame or
 * nothing, so there the caller must treat WIRE_PARTIAL as a truncated
 * message and drop it, counting it under WIRE_ERR_SHORT (which *err is set
 * to). Garbage is rejected as early as the bytes allow: the magic and the
 * version are checked byte by byte as they arrive, and an oversized plen as
 * soon as the header is complete, so a stream never waits for a payload
 * it would refuse anyway.
 *
 * wire_encode writes h->version as given (callers set WIRE_VERSION; tests
 * use others), and the payload must not point into the output buffer,
 * which may move as it grows. wire_decode accepts err == NULL, and its
 * max_payload is capped at WIRE_MAX_PAYLOAD (0 allows only empty payloads).
 */
#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "wire.h"
#include "xmalloc.h"

/* A key file is 64 hex digits; allow generous surrounding white space. */
#define WIRE_KEYFILE_MAX 4096

static void
wire_store_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wire_store_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
wire_store_u64(uint8_t *p, uint64_t v)
{
	wire_store_u32(p, (uint32_t)(v >> 32));
	wire_store_u32(p + 4, (uint32_t)v);
}

void
wire_put_u8(struct buf *b, uint8_t v)
{
	buf_add(b, &v, 1);
}

void
wire_put_u16(struct buf *b, uint16_t v)
{
	wire_store_u16(buf_reserve(b, 2), v);
	buf_commit(b, 2);
}

void
wire_put_u32(struct buf *b, uint32_t v)
{
	wire_store_u32(buf_reserve(b, 4), v);
	buf_commit(b, 4);
}

void
wire_put_u64(struct buf *b, uint64_t v)
{
	wire_store_u64(buf_reserve(b, 8), v);
	buf_commit(b, 8);
}

void
wire_put_bytes(struct buf *b, const void *p, size_t len)
{
	assert(len <= UINT32_MAX);
	wire_put_u32(b, (uint32_t)len);
	buf_add(b, p, len);
}

void
wire_put_str(struct buf *b, const char *s)
{
	wire_put_bytes(b, s, strlen(s));
}

void
wire_rd_init(struct wire_rd *rd, const void *p, size_t len)
{
	rd->p = p;
	rd->len = len;
	rd->off = 0;
	rd->bad = 0;
}

/* Take n bytes; NULL (and bad set) if fewer are left or already bad. */
static const uint8_t *
wire_rd_take(struct wire_rd *rd, size_t n)
{
	const uint8_t *p;

	if (rd->bad || n > rd->len - rd->off) {
		rd->bad = 1;
		return NULL;
	}
	p = rd->p + rd->off;
	rd->off += n;
	return p;
}

int
wire_get_u8(struct wire_rd *rd, uint8_t *v)
{
	const uint8_t *p;

	if ((p = wire_rd_take(rd, 1)) == NULL)
		return -1;
	*v = p[0];
	return 0;
}

int
wire_get_u16(struct wire_rd *rd, uint16_t *v)
{
	const uint8_t *p;

	if ((p = wire_rd_take(rd, 2)) == NULL)
		return -1;
	*v = (uint16_t)((unsigned)p[0] << 8 | p[1]);
	return 0;
}

int
wire_get_u32(struct wire_rd *rd, uint32_t *v)
{
	const uint8_t *p;

	if ((p = wire_rd_take(rd, 4)) == NULL)
		return -1;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    (uint32_t)p[3];
	return 0;
}

int
wire_get_u64(struct wire_rd *rd, uint64_t *v)
{
	uint32_t hi, lo;

	if (wire_get_u32(rd, &hi) == -1 || wire_get_u32(rd, &lo) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
wire_get_bytes(struct wire_rd *rd, const uint8_t **out, size_t *outlen)
{
	const uint8_t *p;
	uint32_t n;

	if (wire_get_u32(rd, &n) == -1 || (p = wire_rd_take(rd, n)) == NULL)
		return -1;
	*out = p;
	*outlen = n;
	return 0;
}

size_t
wire_rd_left(const struct wire_rd *rd)
{
	return rd->len - rd->off;
}

void
wire_encode(struct buf *out, const struct wire_hdr *h, const void *payload,
    size_t plen, const uint8_t key[WIRE_KEY_LEN])
{
	crypto_auth_hmacsha256_state st;
	uint8_t hdr[WIRE_HDR_LEN], tag[WIRE_TAG_LEN];

	assert(plen <= WIRE_MAX_PAYLOAD);
	hash_sodium_init();

	wire_store_u16(hdr + 0, WIRE_MAGIC);
	hdr[2] = h->version;
	hdr[3] = h->type;
	wire_store_u16(hdr + 4, h->sender);
	wire_store_u64(hdr + 6, h->incarnation);
	wire_store_u64(hdr + 14, h->epoch);
	wire_store_u64(hdr + 22, h->seq);
	wire_store_u64(hdr + 30, h->reqid);
	wire_store_u32(hdr + 38, (uint32_t)plen);

	crypto_auth_hmacsha256_init(&st, key, WIRE_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, hdr, sizeof hdr);
	if (plen > 0)
		crypto_auth_hmacsha256_update(&st, payload, plen);
	crypto_auth_hmacsha256_final(&st, tag);
	sodium_memzero(&st, sizeof st);

	buf_add(out, hdr, sizeof hdr);
	buf_add(out, payload, plen);
	buf_add(out, tag, sizeof tag);
}

/* Set *err (if wanted) and return r. */
static ssize_t
wire_decode_fail(enum wire_err *err, enum wire_err why, ssize_t r)
{
	if (err != NULL)
		*err = why;
	return r;
}

ssize_t
wire_decode(const uint8_t *p, size_t len, const uint8_t key[WIRE_KEY_LEN],
    size_t max_payload, struct wire_msg *m, enum wire_err *err)
{
	struct wire_rd rd;
	struct wire_hdr h;
	uint16_t magic;
	uint8_t tag[WIRE_TAG_LEN];
	size_t total;

	/* Reject garbage on the first wrong byte, not after a full header. */
	if (len >= 1 && p[0] != (WIRE_MAGIC >> 8))
		return wire_decode_fail(err, WIRE_ERR_MAGIC, WIRE_BAD);
	if (len >= 2 && p[1] != (WIRE_MAGIC & 0xff))
		return wire_decode_fail(err, WIRE_ERR_MAGIC, WIRE_BAD);
	if (len >= 3 && p[2] != WIRE_VERSION)
		return wire_decode_fail(err, WIRE_ERR_VERSION, WIRE_BAD);
	if (len < WIRE_HDR_LEN)
		return wire_decode_fail(err, WIRE_ERR_SHORT, WIRE_PARTIAL);

	wire_rd_init(&rd, p, WIRE_HDR_LEN);
	wire_get_u16(&rd, &magic);
	wire_get_u8(&rd, &h.version);
	wire_get_u8(&rd, &h.type);
	wire_get_u16(&rd, &h.sender);
	wire_get_u64(&rd, &h.incarnation);
	wire_get_u64(&rd, &h.epoch);
	wire_get_u64(&rd, &h.seq);
	wire_get_u64(&rd, &h.reqid);
	wire_get_u32(&rd, &h.plen);
	assert(!rd.bad && wire_rd_left(&rd) == 0);

	if (max_payload > WIRE_MAX_PAYLOAD)
		max_payload = WIRE_MAX_PAYLOAD;
	if (h.plen > max_payload)
		return wire_decode_fail(err, WIRE_ERR_OVERSIZE, WIRE_BAD);
	total = WIRE_HDR_LEN + (size_t)h.plen + WIRE_TAG_LEN;
	if (len < total)
		return wire_decode_fail(err, WIRE_ERR_SHORT, WIRE_PARTIAL);

	hash_sodium_init();
	crypto_auth_hmacsha256(tag, p, WIRE_HDR_LEN + (size_t)h.plen, key);
	if (crypto_verify_32(tag, p + WIRE_HDR_LEN + h.plen) != 0)
		return wire_decode_fail(err, WIRE_ERR_TAG, WIRE_BAD);

	m->h = h;
	m->payload = p + WIRE_HDR_LEN;
	m->plen = h.plen;
	if (err != NULL)
		*err = WIRE_OK;
	return (ssize_t)total;
}

const char *
wire_err_name(enum wire_err e)
{
	switch (e) {
	case WIRE_OK:
		return "ok";
	case WIRE_ERR_SHORT:
		return "short";
	case WIRE_ERR_MAGIC:
		return "magic";
	case WIRE_ERR_VERSION:
		return "version";
	case WIRE_ERR_OVERSIZE:
		return "oversize";
	case WIRE_ERR_TAG:
		return "tag";
	case WIRE_ERR_COUNT:
		break;
	}
	return "unknown";
}

int
wire_key_load(const char *path, uint8_t key[WIRE_KEY_LEN], char **cause)
{
	char text[WIRE_KEYFILE_MAX + 1], *s, *e;
	size_t have = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(fd, text + have, sizeof text - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0 || (have += (size_t)n) == sizeof text)
			break;
	}
	if (have > WIRE_KEYFILE_MAX || memchr(text, '\0', have) != NULL)
		goto badkey;
	text[have] = '\0';

	for (s = text; isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (hash_unhex(s, key, WIRE_KEY_LEN) == 0) {
		rc = 0;
		goto out;
	}
badkey:
	sodium_memzero(key, WIRE_KEY_LEN);
	xasprintf(
	    cause, "%s: cluster key must be 64 hex digits (32 bytes)", path);
out:
	sodium_memzero(text, sizeof text);
	close(fd);
	return rc;
}

void
wire_sender_init(struct wire_sender *s, int id, uint64_t incarnation)
{
	memset(s, 0, sizeof *s);
	s->id = (uint16_t)id;
	s->incarnation = incarnation;
}

void
wire_sender_hdr(struct wire_sender *s, struct wire_hdr *h, int type,
    uint64_t epoch, uint64_t reqid)
{
	memset(h, 0, sizeof *h);
	h->version = WIRE_VERSION;
	h->type = (uint8_t)type;
	h->sender = s->id;
	h->incarnation = s->incarnation;
	h->epoch = epoch;
	h->seq = ++s->seq;
	h->reqid = reqid;
}
