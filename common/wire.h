/*
 * wire.h: bounded big-endian encoding and the authenticated message frame
 * that every cluster message (UDP and TCP) travels in.
 *
 * Frame layout, all integers big-endian, field by field:
 *
 *	offset	size	field
 *	0	2	magic		WIRE_MAGIC (0x4a44, "JD")
 *	2	1	version		WIRE_VERSION
 *	3	1	type		enum proto_type (proto.h)
 *	4	2	sender		node id of the sender
 *	6	8	incarnation	sender's incarnation (start time, rises on restart)
 *	14	8	epoch		sender's election epoch
 *	22	8	seq		per-sender sequence number (replay protection)
 *	30	8	reqid		request id (work messages), else 0
 *	38	4	plen		payload length
 *	42	plen	payload
 *	42+plen	32	tag		HMAC-SHA256(key, bytes 0 .. 42+plen-1)
 */
#ifndef JDP_WIRE_H
#define JDP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define WIRE_MAGIC 0x4a44
#define WIRE_VERSION 1
#define WIRE_HDR_LEN 42
#define WIRE_TAG_LEN 32
#define WIRE_KEY_LEN 32
/* Largest payload any frame may carry (a job's source or result). */
#define WIRE_MAX_PAYLOAD (64u * 1024 * 1024)

/* Decoder results besides "bytes used" (> 0). */
#define WIRE_PARTIAL (-2)
#define WIRE_BAD (-1)

/* Why a frame was rejected; indexes the drop counters. */
enum wire_err {
	WIRE_OK = 0,
	WIRE_ERR_SHORT, /* truncated (datagram shorter than its frame) */
	WIRE_ERR_MAGIC,
	WIRE_ERR_VERSION,
	WIRE_ERR_OVERSIZE, /* plen above the caller's maximum */
	WIRE_ERR_TAG, /* HMAC does not match */
	WIRE_ERR_COUNT
};

struct wire_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t sender;
	uint64_t incarnation;
	uint64_t epoch;
	uint64_t seq;
	uint64_t reqid;
	uint32_t plen;
};

struct wire_msg {
	struct wire_hdr h;
	const uint8_t *payload; /* points into the decoded buffer */
	size_t plen;
};

/*
 * One sender of frames: its node id, its incarnation and the sequence
 * number of its last frame (each frame gets the next one).
 */
struct wire_sender {
	uint16_t id;
	uint64_t incarnation;
	uint64_t seq;
};

/* A bounded reader over (p, len); once bad is set every get fails. */
struct wire_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	int bad;
};

/* Append big-endian integers, length-prefixed bytes and strings. */
void wire_put_u8(struct buf *, uint8_t);
void wire_put_u16(struct buf *, uint16_t);
void wire_put_u32(struct buf *, uint32_t);
void wire_put_u64(struct buf *, uint64_t);
/* u32 length then the bytes. */
void wire_put_bytes(struct buf *, const void *, size_t);
void wire_put_str(struct buf *, const char *);

/* Start reading (p, len). */
void wire_rd_init(struct wire_rd *, const void *, size_t);
/* Read one value; returns 0, or -1 (and sets bad) when len would be passed. */
int wire_get_u8(struct wire_rd *, uint8_t *);
int wire_get_u16(struct wire_rd *, uint16_t *);
int wire_get_u32(struct wire_rd *, uint32_t *);
int wire_get_u64(struct wire_rd *, uint64_t *);
/* u32 length then bytes: *out points into the input, no copy. */
int wire_get_bytes(struct wire_rd *, const uint8_t **, size_t *);
/* Bytes left unread. */
size_t wire_rd_left(const struct wire_rd *);

/*
 * Append one authenticated frame (header fields from h, h->plen ignored)
 * carrying payload to out.
 */
void wire_encode(struct buf *, const struct wire_hdr *, const void *, size_t,
    const uint8_t key[WIRE_KEY_LEN]);

/*
 * Decode the frame at the start of (p, len). Returns the bytes it used
 * (> 0), WIRE_PARTIAL if more bytes are needed (streams), or WIRE_BAD with
 * *err saying why. Never reads past len. m->payload points into p.
 */
ssize_t wire_decode(const uint8_t *, size_t, const uint8_t key[WIRE_KEY_LEN],
    size_t, struct wire_msg *, enum wire_err *);

/* Name of an error for logs and metrics labels ("tag", "short", ...). */
const char *wire_err_name(enum wire_err);

/*
 * Read a cluster key file: 64 hex digits (32 bytes), surrounding white
 * space ignored. Returns 0, or -1 with *cause set (caller frees).
 */
int wire_key_load(const char *, uint8_t key[WIRE_KEY_LEN], char **);

/* Start a sender for node id in incarnation, before its first frame. */
void wire_sender_init(struct wire_sender *, int, uint64_t);
/*
 * The header of the sender's next frame: WIRE_VERSION, type, the sender's
 * id and incarnation, epoch, the next sequence number (counted) and reqid
 * (0 outside the work protocol).
 */
void wire_sender_hdr(
    struct wire_sender *, struct wire_hdr *, int, uint64_t, uint64_t);

#endif
