/*
 * test_wire.c: big-endian fields, the bounded reader, the authenticated
 * frame (round trip, truncation, bit flips, wrong key, oversize, streams)
 * and cluster key files.
 *
 * Inputs that must not be over-read are copied into malloc'd buffers of
 * exactly their size, so that AddressSanitizer catches any read past len.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "hash.h"
#include "tap.h"
#include "wire.h"

static uint8_t test_key[WIRE_KEY_LEN];
static uint8_t test_key2[WIRE_KEY_LEN];

/* A copy of (p, n) in a heap block of exactly n bytes. Caller frees. */
static uint8_t *
test_dup(const void *p, size_t n)
{
	uint8_t *q = malloc(n == 0 ? 1 : n);

	if (q == NULL)
		abort();
	if (n > 0)
		memcpy(q, p, n);
	return q;
}

/* HMAC-SHA256 (RFC 2104) from hash_sha256 alone, to check the tag. */
static void
test_hmac(const uint8_t key[WIRE_KEY_LEN], const uint8_t *m, size_t len,
    uint8_t out[HASH_LEN])
{
	uint8_t *in = malloc(64 + (len > HASH_LEN ? len : HASH_LEN));
	uint8_t inner[HASH_LEN];
	size_t i;

	if (in == NULL)
		abort();
	for (i = 0; i < 64; i++)
		in[i] = (uint8_t)((i < WIRE_KEY_LEN ? key[i] : 0) ^ 0x36);
	memcpy(in + 64, m, len);
	hash_sha256(in, 64 + len, inner);
	for (i = 0; i < 64; i++)
		in[i] = (uint8_t)((i < WIRE_KEY_LEN ? key[i] : 0) ^ 0x5c);
	memcpy(in + 64, inner, HASH_LEN);
	hash_sha256(in, 64 + HASH_LEN, out);
	free(in);
}

static struct wire_hdr
test_hdr(uint8_t type, uint16_t sender, uint64_t inc, uint64_t epoch,
    uint64_t seq, uint64_t reqid)
{
	struct wire_hdr h;

	memset(&h, 0, sizeof h);
	h.version = WIRE_VERSION;
	h.type = type;
	h.sender = sender;
	h.incarnation = inc;
	h.epoch = epoch;
	h.seq = seq;
	h.reqid = reqid;
	return h;
}

static void
test_put(void)
{
	static const uint8_t want[] = {
	    0x00,
	    0xff,
	    0x00,
	    0x00,
	    0xff,
	    0xff,
	    0x12,
	    0x34,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0xff,
	    0xff,
	    0xff,
	    0xff,
	    0x01,
	    0x02,
	    0x03,
	    0x04,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0xff,
	    0xff,
	    0xff,
	    0xff,
	    0xff,
	    0xff,
	    0xff,
	    0xff,
	    0x01,
	    0x02,
	    0x03,
	    0x04,
	    0x05,
	    0x06,
	    0x07,
	    0x08,
	    0x00,
	    0x00,
	    0x00,
	    0x03,
	    'a',
	    'b',
	    'c',
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	    0x02,
	    'h',
	    'i',
	    0x00,
	    0x00,
	    0x00,
	    0x00,
	};
	struct buf b;
	struct wire_rd rd;
	uint8_t u8a, u8b;
	uint16_t u16a, u16b, u16c;
	uint32_t u32a, u32b, u32c;
	uint64_t u64a, u64b, u64c;
	const uint8_t *p1, *p2, *p3, *p4;
	size_t l1, l2, l3, l4;
	uint8_t *in;
	int r = 0;

	buf_init(&b);
	wire_put_u8(&b, 0);
	wire_put_u8(&b, UINT8_MAX);
	wire_put_u16(&b, 0);
	wire_put_u16(&b, UINT16_MAX);
	wire_put_u16(&b, 0x1234);
	wire_put_u32(&b, 0);
	wire_put_u32(&b, UINT32_MAX);
	wire_put_u32(&b, 0x01020304);
	wire_put_u64(&b, 0);
	wire_put_u64(&b, UINT64_MAX);
	wire_put_u64(&b, 0x0102030405060708ULL);
	wire_put_bytes(&b, "abc", 3);
	wire_put_bytes(&b, NULL, 0);
	wire_put_str(&b, "hi");
	wire_put_str(&b, "");
	is_int(buf_len(&b), sizeof want, "put: encoded length");
	ok(buf_len(&b) == sizeof want &&
		memcmp(buf_data(&b), want, sizeof want) == 0,
	    "put: big-endian bytes and u32 length prefixes");

	in = test_dup(buf_data(&b), buf_len(&b));
	wire_rd_init(&rd, in, buf_len(&b));
	/* One call per statement: the reads must happen in order. */
	r |= wire_get_u8(&rd, &u8a);
	r |= wire_get_u8(&rd, &u8b);
	r |= wire_get_u16(&rd, &u16a);
	r |= wire_get_u16(&rd, &u16b);
	r |= wire_get_u16(&rd, &u16c);
	r |= wire_get_u32(&rd, &u32a);
	r |= wire_get_u32(&rd, &u32b);
	r |= wire_get_u32(&rd, &u32c);
	r |= wire_get_u64(&rd, &u64a);
	r |= wire_get_u64(&rd, &u64b);
	r |= wire_get_u64(&rd, &u64c);
	r |= wire_get_bytes(&rd, &p1, &l1);
	r |= wire_get_bytes(&rd, &p2, &l2);
	r |= wire_get_bytes(&rd, &p3, &l3);
	r |= wire_get_bytes(&rd, &p4, &l4);
	ok(r == 0 && !rd.bad, "get: every value read back");
	ok(u8a == 0 && u8b == UINT8_MAX, "get: u8 extremes");
	ok(u16a == 0 && u16b == UINT16_MAX && u16c == 0x1234,
	    "get: u16 extremes");
	ok(u32a == 0 && u32b == UINT32_MAX && u32c == 0x01020304,
	    "get: u32 extremes");
	ok(u64a == 0 && u64b == UINT64_MAX && u64c == 0x0102030405060708ULL,
	    "get: u64 extremes");
	ok(l1 == 3 && p1 == in + 48 && memcmp(p1, "abc", 3) == 0,
	    "get_bytes points into the input");
	ok(l2 == 0 && l3 == 2 && memcmp(p3, "hi", 2) == 0 && l4 == 0,
	    "get_bytes: empty and string values");
	is_int(wire_rd_left(&rd), 0, "reader consumed everything");
	ok(wire_get_u8(&rd, &u8a) == -1 && rd.bad, "get past the end fails");
	free(in);
	buf_free(&b);
}

/* Every get fails on every input shorter than it needs. */
static void
test_reader_bounds(void)
{
	static const uint8_t src[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct wire_rd rd;
	uint8_t u8, *in;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const uint8_t *bp;
	size_t bl, n;
	int good;

	good = 1;
	for (n = 0; n < 8; n++) {
		in = test_dup(src, n);
		wire_rd_init(&rd, in, n);
		if (n < 1 && (wire_get_u8(&rd, &u8) != -1 || !rd.bad))
			good = 0;
		wire_rd_init(&rd, in, n);
		if (n < 2 && (wire_get_u16(&rd, &u16) != -1 || !rd.bad))
			good = 0;
		wire_rd_init(&rd, in, n);
		if (n < 4 && (wire_get_u32(&rd, &u32) != -1 || !rd.bad))
			good = 0;
		wire_rd_init(&rd, in, n);
		if (wire_get_u64(&rd, &u64) != -1 || !rd.bad)
			good = 0;
		wire_rd_init(&rd, in, n);
		if (n < 4 && (wire_get_bytes(&rd, &bp, &bl) != -1 || !rd.bad))
			good = 0;
		free(in);
	}
	ok(good, "reader: every get on short input fails and sets bad");

	/* Sticky: after one failure even gets that would fit fail. */
	in = test_dup(src, 3);
	wire_rd_init(&rd, in, 3);
	ok(wire_get_u32(&rd, &u32) == -1, "sticky: u32 from 3 bytes fails");
	u8 = 0xee;
	ok(wire_get_u8(&rd, &u8) == -1 && u8 == 0xee,
	    "sticky: u8 fails afterwards and leaves the output alone");
	ok(wire_get_u16(&rd, &u16) == -1, "sticky: u16 fails afterwards");
	ok(rd.bad, "sticky: bad stays set");
	free(in);

	/* A successful read leaves the rest readable; exact fit works. */
	in = test_dup(src, 3);
	wire_rd_init(&rd, in, 3);
	ok(wire_get_u16(&rd, &u16) == 0 && u16 == 0x0102 &&
		wire_rd_left(&rd) == 1,
	    "u16 then one byte left");
	ok(wire_get_u16(&rd, &u16) == -1 && rd.bad,
	    "u16 with one byte left fails");
	free(in);

	/* get_bytes with a length past the end. */
	{
		static const uint8_t over[] = {0, 0, 0, 5, 'a', 'b', 'c', 'd'};
		static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'a'};
		static const uint8_t fit[] = {0, 0, 0, 4, 'a', 'b', 'c', 'd'};

		in = test_dup(over, sizeof over);
		wire_rd_init(&rd, in, sizeof over);
		ok(wire_get_bytes(&rd, &bp, &bl) == -1 && rd.bad,
		    "get_bytes: length one beyond the end fails");
		free(in);
		in = test_dup(huge, sizeof huge);
		wire_rd_init(&rd, in, sizeof huge);
		ok(wire_get_bytes(&rd, &bp, &bl) == -1 && rd.bad,
		    "get_bytes: length 0xffffffff fails");
		free(in);
		in = test_dup(fit, sizeof fit);
		wire_rd_init(&rd, in, sizeof fit);
		ok(wire_get_bytes(&rd, &bp, &bl) == 0 && bl == 4 &&
			bp == in + 4 && wire_rd_left(&rd) == 0,
		    "get_bytes: exact fit");
		free(in);
	}
}

/* Encode (h, payload) and check the decode gives it all back. */
static void
test_roundtrip_one(const char *what, const struct wire_hdr *h,
    const uint8_t *payload, size_t plen)
{
	struct buf b;
	struct wire_msg m;
	enum wire_err err = WIRE_ERR_COUNT;
	uint8_t *in, tag[HASH_LEN];
	size_t total = WIRE_HDR_LEN + plen + WIRE_TAG_LEN;
	ssize_t r;

	buf_init(&b);
	wire_encode(&b, h, payload, plen, test_key);
	is_int(buf_len(&b), total, "%s: frame length", what);
	in = test_dup(buf_data(&b), buf_len(&b));
	test_hmac(test_key, in, total - WIRE_TAG_LEN, tag);
	ok(memcmp(tag, in + total - WIRE_TAG_LEN, WIRE_TAG_LEN) == 0,
	    "%s: tag is HMAC-SHA256 over header and payload", what);

	memset(&m, 0xa5, sizeof m);
	r = wire_decode(in, total, test_key, plen, &m, &err);
	is_int(r, (ssize_t)total, "%s: decode uses the whole frame", what);
	is_int(err, WIRE_OK, "%s: err is ok", what);
	if (r > 0) {
		ok(m.h.version == WIRE_VERSION && m.h.type == h->type &&
			m.h.sender == h->sender,
		    "%s: version, type, sender", what);
		ok(m.h.incarnation == h->incarnation && m.h.epoch == h->epoch,
		    "%s: incarnation, epoch", what);
		ok(m.h.seq == h->seq && m.h.reqid == h->reqid, "%s: seq, reqid",
		    what);
		ok(m.h.plen == plen && m.plen == plen, "%s: plen", what);
		ok(m.payload == in + WIRE_HDR_LEN &&
			(plen == 0 || memcmp(m.payload, payload, plen) == 0),
		    "%s: payload points into the input", what);
	}
	free(in);
	buf_free(&b);
}

static void
test_roundtrip(void)
{
	struct wire_hdr lo, hi, mid;
	uint8_t *big;
	size_t i, bign = 1024 * 1024 + 7;

	lo = test_hdr(0, 0, 0, 0, 0, 0);
	hi = test_hdr(UINT8_MAX, UINT16_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
	    UINT64_MAX);
	mid = test_hdr(7, 0x0102, 0x0102030405060708ULL, 0x1112131415161718ULL,
	    0x2122232425262728ULL, 0x3132333435363738ULL);
	test_roundtrip_one("zero header, empty payload", &lo, NULL, 0);
	test_roundtrip_one("max header, empty payload", &hi, NULL, 0);
	test_roundtrip_one(
	    "mid header, short payload", &mid, (const uint8_t *)"hello", 5);

	big = malloc(bign);
	for (i = 0; i < bign; i++)
		big[i] = (uint8_t)(i * 131 + (i >> 8));
	test_roundtrip_one("max header, 1 MiB payload", &hi, big, bign);
	free(big);
}

/* The header goes on the wire field by field at wire.h's offsets. */
static void
test_layout(void)
{
	static const uint8_t want[WIRE_HDR_LEN] = {
	    0x4a,
	    0x44,
	    WIRE_VERSION,
	    7,
	    0x01,
	    0x02,
	    1,
	    2,
	    3,
	    4,
	    5,
	    6,
	    7,
	    8,
	    0x11,
	    0x12,
	    0x13,
	    0x14,
	    0x15,
	    0x16,
	    0x17,
	    0x18,
	    0x21,
	    0x22,
	    0x23,
	    0x24,
	    0x25,
	    0x26,
	    0x27,
	    0x28,
	    0x31,
	    0x32,
	    0x33,
	    0x34,
	    0x35,
	    0x36,
	    0x37,
	    0x38,
	    0,
	    0,
	    0,
	    3,
	};
	struct wire_hdr h;
	struct buf b;

	h = test_hdr(7, 0x0102, 0x0102030405060708ULL, 0x1112131415161718ULL,
	    0x2122232425262728ULL, 0x3132333435363738ULL);
	h.plen = 999; /* ignored by wire_encode */
	buf_init(&b);
	wire_encode(&b, &h, "xyz", 3, test_key);
	ok(buf_len(&b) == WIRE_HDR_LEN + 3 + WIRE_TAG_LEN &&
		memcmp(buf_data(&b), want, sizeof want) == 0 &&
		memcmp(buf_data(&b) + WIRE_HDR_LEN, "xyz", 3) == 0,
	    "layout: header bytes at the documented offsets");

	/* Appending after a consumed prefix keeps what was there. */
	buf_reset(&b);
	buf_add(&b, "0123456789", 10);
	buf_consume(&b, 8);
	wire_encode(&b, &h, "xyz", 3, test_key);
	ok(buf_len(&b) == 2 + WIRE_HDR_LEN + 3 + WIRE_TAG_LEN &&
		memcmp(buf_data(&b), "89", 2) == 0 &&
		memcmp(buf_data(&b) + 2, want, sizeof want) == 0,
	    "layout: encode appends to a partly consumed buffer");
	buf_free(&b);
}

static void
test_truncation_one(const char *what, size_t plen)
{
	struct wire_hdr h;
	struct buf b;
	struct wire_msg m;
	enum wire_err err;
	uint8_t *payload, *in;
	size_t n, total, bad = SIZE_MAX;
	ssize_t r = 0;

	h = test_hdr(3, 9, 1, 2, 3, 4);
	payload = malloc(plen + 1);
	memset(payload, 'p', plen);
	buf_init(&b);
	wire_encode(&b, &h, payload, plen, test_key);
	total = buf_len(&b);
	for (n = 0; n < total; n++) {
		in = n == 0 ? NULL : test_dup(buf_data(&b), n);
		err = WIRE_OK;
		r = wire_decode(in, n, test_key, WIRE_MAX_PAYLOAD, &m, &err);
		free(in);
		if (r != WIRE_PARTIAL || err != WIRE_ERR_SHORT) {
			bad = n;
			break;
		}
	}
	ok(bad == SIZE_MAX, "%s: every prefix 0..%zu is PARTIAL/short", what,
	    total - 1);
	if (bad != SIZE_MAX)
		diag("prefix %zu: got %zd err %s", bad, r, wire_err_name(err));
	in = test_dup(buf_data(&b), total);
	ok(wire_decode(in, total, test_key, WIRE_MAX_PAYLOAD, &m, &err) ==
		(ssize_t)total,
	    "%s: the whole frame decodes", what);
	free(in);
	free(payload);
	buf_free(&b);
}

static void
test_truncation(void)
{
	test_truncation_one("truncation, empty payload", 0);
	test_truncation_one("truncation, 300-byte payload", 300);
}

/* What decoding a frame with one bit flipped must report. */
static ssize_t
test_flip_expect(size_t byte, const uint8_t *frame, size_t plen, size_t max,
    enum wire_err *want)
{
	uint32_t np;

	if (byte < 2) {
		*want = WIRE_ERR_MAGIC;
		return WIRE_BAD;
	}
	if (byte == 2) {
		*want = WIRE_ERR_VERSION;
		return WIRE_BAD;
	}
	if (byte >= 38 && byte < 42) {
		np = (uint32_t)frame[38] << 24 | (uint32_t)frame[39] << 16 |
		    (uint32_t)frame[40] << 8 | frame[41];
		if (np > max) {
			*want = WIRE_ERR_OVERSIZE;
			return WIRE_BAD;
		}
		if (np > plen) {
			/* Longer than the bytes at hand: waits for more. */
			*want = WIRE_ERR_SHORT;
			return WIRE_PARTIAL;
		}
	}
	*want = WIRE_ERR_TAG;
	return WIRE_BAD;
}

static void
test_bitflip(void)
{
	struct wire_hdr h;
	struct buf b;
	struct wire_msg m;
	enum wire_err err, want;
	uint8_t payload[64], *in;
	size_t i, total, max = 1024, nbad = 0;
	size_t seen[WIRE_ERR_COUNT] = {0};
	ssize_t r, wr;
	unsigned bit;

	for (i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)i;
	h = test_hdr(5, 3, 11, 12, 13, 14);
	buf_init(&b);
	wire_encode(&b, &h, payload, sizeof payload, test_key);
	total = buf_len(&b);
	for (i = 0; i < total; i++) {
		for (bit = 0; bit < 8; bit++) {
			in = test_dup(buf_data(&b), total);
			in[i] ^= (uint8_t)(1u << bit);
			wr =
			    test_flip_expect(i, in, sizeof payload, max, &want);
			err = WIRE_OK;
			r = wire_decode(in, total, test_key, max, &m, &err);
			free(in);
			if (r > 0 || r != wr || err != want) {
				if (nbad++ == 0)
					diag("byte %zu bit %u: got %zd %s, "
					     "want %zd %s",
					    i, bit, r, wire_err_name(err), wr,
					    wire_err_name(want));
			} else
				seen[err]++;
		}
	}
	ok(nbad == 0, "bit flips: none of %zu accepted, each for its reason",
	    total * 8);
	is_int(seen[WIRE_ERR_MAGIC], 16, "bit flips: 16 bad magic");
	is_int(seen[WIRE_ERR_VERSION], 8, "bit flips: 8 bad version");
	ok(seen[WIRE_ERR_OVERSIZE] > 0 && seen[WIRE_ERR_SHORT] > 0,
	    "bit flips in plen: oversize (%zu) and short (%zu) both seen",
	    seen[WIRE_ERR_OVERSIZE], seen[WIRE_ERR_SHORT]);
	is_int(seen[WIRE_ERR_TAG], (total - 3) * 8 - 32 + 1,
	    "bit flips: the rest fail the tag");
	buf_free(&b);
}

static void
test_wrong_key(void)
{
	struct wire_hdr h;
	struct buf b;
	struct wire_msg m;
	enum wire_err err = WIRE_OK;
	uint8_t k[WIRE_KEY_LEN];
	ssize_t r;

	h = test_hdr(1, 2, 3, 4, 5, 6);
	buf_init(&b);
	wire_encode(&b, &h, "data", 4, test_key);
	r = wire_decode(buf_data(&b), buf_len(&b), test_key2, 100, &m, &err);
	ok(r == WIRE_BAD && err == WIRE_ERR_TAG, "wrong key: tag error");
	memcpy(k, test_key, sizeof k);
	k[WIRE_KEY_LEN - 1] ^= 0x80;
	err = WIRE_OK;
	r = wire_decode(buf_data(&b), buf_len(&b), k, 100, &m, &err);
	ok(r == WIRE_BAD && err == WIRE_ERR_TAG,
	    "key differing in one bit: tag error");
	buf_free(&b);
}

static void
test_oversize(void)
{
	struct wire_hdr h;
	struct buf b;
	struct wire_msg m;
	enum wire_err err;
	uint8_t *in, hdr[WIRE_HDR_LEN];
	ssize_t r;

	h = test_hdr(1, 2, 3, 4, 5, 6);
	buf_init(&b);
	wire_encode(&b, &h, "0123456789", 10, test_key);
	memcpy(hdr, buf_data(&b), WIRE_HDR_LEN);

	/* Header alone, plen 10. */
	in = test_dup(hdr, WIRE_HDR_LEN);
	err = WIRE_OK;
	r = wire_decode(in, WIRE_HDR_LEN, test_key, 9, &m, &err);
	ok(r == WIRE_BAD && err == WIRE_ERR_OVERSIZE,
	    "plen 10 > max 9 rejected from the header alone");
	r = wire_decode(in, WIRE_HDR_LEN, test_key, 10, &m, &err);
	ok(r == WIRE_PARTIAL, "plen 10 == max 10 waits for the payload");
	free(in);

	/* Whole frame at exactly the limit and one above it. */
	r = wire_decode(buf_data(&b), buf_len(&b), test_key, 10, &m, &err);
	ok(r == (ssize_t)buf_len(&b), "payload at the caller's limit decodes");
	r = wire_decode(buf_data(&b), buf_len(&b), test_key, 9, &m, &err);
	ok(r == WIRE_BAD && err == WIRE_ERR_OVERSIZE,
	    "payload one above the caller's limit is oversize");

	/* plen 0xffffffff with any caller limit. */
	hdr[38] = hdr[39] = hdr[40] = hdr[41] = 0xff;
	in = test_dup(hdr, WIRE_HDR_LEN);
	err = WIRE_OK;
	r = wire_decode(in, WIRE_HDR_LEN, test_key, SIZE_MAX, &m, &err);
	ok(r == WIRE_BAD && err == WIRE_ERR_OVERSIZE,
	    "plen 0xffffffff is oversize even with no caller limit");
	free(in);

	/* WIRE_MAX_PAYLOAD caps a larger caller limit. */
	hdr[38] = (uint8_t)((WIRE_MAX_PAYLOAD + 1) >> 24);
	hdr[39] = (uint8_t)((WIRE_MAX_PAYLOAD + 1) >> 16);
	hdr[40] = (uint8_t)((WIRE_MAX_PAYLOAD + 1) >> 8);
	hdr[41] = (uint8_t)(WIRE_MAX_PAYLOAD + 1);
	in = test_dup(hdr, WIRE_HDR_LEN);
	err = WIRE_OK;
	r = wire_decode(in, WIRE_HDR_LEN, test_key, SIZE_MAX, &m, &err);
	ok(r == WIRE_BAD && err == WIRE_ERR_OVERSIZE,
	    "plen WIRE_MAX_PAYLOAD + 1 is oversize");
	hdr[41]--;
	memcpy(in, hdr, WIRE_HDR_LEN);
	r = wire_decode(in, WIRE_HDR_LEN, test_key, SIZE_MAX, &m, &err);
	ok(r == WIRE_PARTIAL, "plen WIRE_MAX_PAYLOAD waits for the payload");
	free(in);
	buf_free(&b);
}

/* Garbage is refused on its first wrong byte. */
static void
test_early_reject(void)
{
	static const struct {
		const char *in;
		size_t len;
		ssize_t r;
		enum wire_err err;
	} t[] = {
	    {"G", 1, WIRE_BAD, WIRE_ERR_MAGIC},
	    {"GET / HTTP/1.1\r\n", 16, WIRE_BAD, WIRE_ERR_MAGIC},
	    {"J", 1, WIRE_PARTIAL, WIRE_ERR_SHORT},
	    {"JX", 2, WIRE_BAD, WIRE_ERR_MAGIC},
	    {"JD", 2, WIRE_PARTIAL, WIRE_ERR_SHORT},
	    {"JD\x01", 3, WIRE_PARTIAL, WIRE_ERR_SHORT},
	    {"JD\x00", 3, WIRE_BAD, WIRE_ERR_VERSION},
	    {"JD\x02", 3, WIRE_BAD, WIRE_ERR_VERSION},
	    {"JD\xff\x01", 4, WIRE_BAD, WIRE_ERR_VERSION},
	};
	struct wire_msg m;
	enum wire_err err;
	uint8_t *in;
	size_t i;
	ssize_t r;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		in = test_dup(t[i].in, t[i].len);
		err = WIRE_OK;
		r = wire_decode(in, t[i].len, test_key, 1024, &m, &err);
		ok(r == t[i].r && err == t[i].err,
		    "early: %zu-byte input %zu gives %s", t[i].len, i,
		    wire_err_name(t[i].err));
		free(in);
	}

	/* A frame encoded with another version is refused for it. */
	{
		struct wire_hdr h = test_hdr(1, 1, 1, 1, 1, 1);
		struct buf b;

		h.version = WIRE_VERSION + 1;
		buf_init(&b);
		wire_encode(&b, &h, "x", 1, test_key);
		r = wire_decode(
		    buf_data(&b), buf_len(&b), test_key, 1024, &m, &err);
		ok(r == WIRE_BAD && err == WIRE_ERR_VERSION,
		    "validly tagged frame of another version is refused");
		buf_free(&b);
	}
}

static void
test_stream(void)
{
	struct wire_hdr h1, h2;
	struct buf b;
	struct wire_msg m;
	enum wire_err err;
	uint8_t *in;
	size_t len, off = 0, n1, n2;
	ssize_t r;

	h1 = test_hdr(1, 10, 100, 1000, 1, 0);
	h2 = test_hdr(2, 20, 200, 2000, 2, 77);
	buf_init(&b);
	wire_encode(&b, &h1, "first", 5, test_key);
	n1 = buf_len(&b);
	wire_encode(&b, &h2, "second!", 7, test_key);
	n2 = buf_len(&b) - n1;
	wire_encode(&b, &h1, "third", 5, test_key);
	len = buf_len(&b) - 10; /* the third frame is cut short */
	in = test_dup(buf_data(&b), len);

	r = wire_decode(in + off, len - off, test_key, 1024, &m, &err);
	ok(r == (ssize_t)n1 && m.h.sender == 10 && m.plen == 5 &&
		memcmp(m.payload, "first", 5) == 0,
	    "stream: first frame");
	off += r > 0 ? (size_t)r : 0;
	r = wire_decode(in + off, len - off, test_key, 1024, &m, &err);
	ok(r == (ssize_t)n2 && m.h.sender == 20 && m.h.reqid == 77 &&
		m.plen == 7 && memcmp(m.payload, "second!", 7) == 0,
	    "stream: second frame right after it");
	off += r > 0 ? (size_t)r : 0;
	r = wire_decode(in + off, len - off, test_key, 1024, &m, &err);
	ok(r == WIRE_PARTIAL && err == WIRE_ERR_SHORT,
	    "stream: the cut third frame is partial");
	free(in);
	buf_free(&b);
}

/* One sender stamps every header the same way and counts its frames. */
static void
test_sender(void)
{
	struct wire_sender s;
	struct wire_hdr h, want;

	wire_sender_init(&s, 513, 0x0102030405060708ULL);
	wire_sender_hdr(&s, &h, 7, 42, 0xabcdefULL);
	want = test_hdr(7, 513, 0x0102030405060708ULL, 42, 1, 0xabcdefULL);
	ok(memcmp(&h, &want, sizeof h) == 0, "sender: first header");
	wire_sender_hdr(&s, &h, 3, 43, 0);
	want = test_hdr(3, 513, 0x0102030405060708ULL, 43, 2, 0);
	ok(memcmp(&h, &want, sizeof h) == 0, "sender: the next seq");
	is_int((int)s.seq, 2, "sender: two frames counted");
}

static void
test_err_name(void)
{
	is_str(wire_err_name(WIRE_OK), "ok", "err name ok");
	is_str(wire_err_name(WIRE_ERR_SHORT), "short", "err name short");
	is_str(wire_err_name(WIRE_ERR_MAGIC), "magic", "err name magic");
	is_str(wire_err_name(WIRE_ERR_VERSION), "version", "err name version");
	is_str(
	    wire_err_name(WIRE_ERR_OVERSIZE), "oversize", "err name oversize");
	is_str(wire_err_name(WIRE_ERR_TAG), "tag", "err name tag");
	is_str(wire_err_name(WIRE_ERR_COUNT), "unknown", "err name unknown");
}

static char test_dir[] = "/tmp/test_wire.XXXXXX";

/* Write contents (len bytes) to a file in test_dir; returns its path. */
static char *
test_keyfile(const char *name, const char *contents, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", test_dir, name);
	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(contents, 1, len, f) != len || fclose(f) != 0)
		abort();
	return path;
}

static void
test_key_load_ok(const char *what, const char *contents, size_t len)
{
	uint8_t k[WIRE_KEY_LEN], want[WIRE_KEY_LEN];
	char *cause = NULL, *path;
	size_t i;

	for (i = 0; i < WIRE_KEY_LEN; i++)
		want[i] = (uint8_t)(0xa0 + i);
	memset(k, 0, sizeof k);
	path = test_keyfile("key", contents, len);
	ok(wire_key_load(path, k, &cause) == 0 && cause == NULL &&
		memcmp(k, want, sizeof k) == 0,
	    "key file: %s", what);
	if (cause != NULL)
		diag("%s", cause);
	free(cause);
}

static void
test_key_load_bad(const char *what, const char *path, const char *suffix)
{
	uint8_t k[WIRE_KEY_LEN];
	char *cause = NULL, want[512];

	snprintf(want, sizeof want, "%s: %s", path, suffix);
	ok(wire_key_load(path, k, &cause) == -1, "key file: %s fails", what);
	is_str(cause, want, "key file: %s message", what);
	free(cause);
}

static void
test_key_load(void)
{
	static const char hex[] = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
				  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
	static const char badlen[] =
	    "cluster key must be 64 hex digits (32 bytes)";
	char buf[256], *path;

	if (mkdtemp(test_dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	test_key_load_ok("64 digits", hex, 64);
	snprintf(buf, sizeof buf, "%s\n", hex);
	test_key_load_ok("trailing newline", buf, strlen(buf));
	snprintf(buf, sizeof buf, " \t\n%s\r\n\n ", hex);
	test_key_load_ok("surrounding white space", buf, strlen(buf));
	snprintf(buf, sizeof buf,
	    "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"
	    "B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF\n");
	test_key_load_ok("upper case", buf, strlen(buf));

	snprintf(buf, sizeof buf, "%s/missing", test_dir);
	test_key_load_bad("missing file", buf, "No such file or directory");
	test_key_load_bad("directory", test_dir, "Is a directory");

	path = test_keyfile("short", hex, 62);
	test_key_load_bad("62 digits", path, badlen);
	snprintf(buf, sizeof buf, "%s00\n", hex);
	path = test_keyfile("long", buf, strlen(buf));
	test_key_load_bad("66 digits", path, badlen);
	path = test_keyfile("empty", "", 0);
	test_key_load_bad("empty file", path, badlen);
	snprintf(buf, sizeof buf, "%.63sg\n", hex);
	path = test_keyfile("nonhex", buf, strlen(buf));
	test_key_load_bad("non-hex digit", path, badlen);
	snprintf(buf, sizeof buf, "%.32s %s", hex, hex + 32);
	path = test_keyfile("inner", buf, strlen(buf));
	test_key_load_bad("space inside the key", path, badlen);
	memcpy(buf, hex, 64);
	buf[64] = '\0';
	buf[65] = '\n';
	path = test_keyfile("nul", buf, 66);
	test_key_load_bad("NUL after the key", path, badlen);
	{
		char *large = malloc(10000);

		memset(large, '\n', 10000);
		memcpy(large + 5000, hex, 64);
		path = test_keyfile("large", large, 10000);
		test_key_load_bad("key in a 10000-byte file", path, badlen);
		free(large);
	}

	snprintf(buf, sizeof buf, "rm -rf '%s'", test_dir);
	if (system(buf) != 0)
		diag("could not remove %s", test_dir);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < WIRE_KEY_LEN; i++) {
		test_key[i] = (uint8_t)(i * 7 + 1);
		test_key2[i] = (uint8_t)(i * 7 + 2);
	}
	test_put();
	test_reader_bounds();
	test_layout();
	test_roundtrip();
	test_truncation();
	test_bitflip();
	test_wrong_key();
	test_oversize();
	test_early_reject();
	test_stream();
	test_err_name();
	test_sender();
	test_key_load();
	return tap_done();
}
