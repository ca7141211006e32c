/*
 * runner-record.c: the parsers of what the runner's children send, a run
 * JVM's control records (fd 3, RunHarness.java) and the compile server's
 * answers (its stdout, CompileServer.java). Every byte is a hostile
 * child's: a job can write on either channel (docs/RUNNER.md, "What a job
 * can send"). Pure functions: bytes in, one record, PARTIAL or BAD out;
 * nothing allocated, no state. What may come when is the caller's
 * (runner-pool.c, runner-cs.c).
 */
#include "config.h"

#include <string.h>

#include "runner-int.h"
#include "wire.h"

/* The big-endian u32 at p (4 bytes there, checked by the caller). */
static uint32_t
runner_record_u32(const uint8_t *p)
{
	struct wire_rd rd;
	uint32_t v = 0;

	wire_rd_init(&rd, p, 4);
	wire_get_u32(&rd, &v);
	return v;
}

/* BAD, with why and the claimed length in rec. */
static ssize_t
runner_record_bad(struct runner_record *rec, enum runner_record_why why)
{
	rec->why = why;
	return RUNNER_RECORD_BAD;
}

/*
 * One control record of a run JVM: byte kind, u32 length, payload. Kinds
 * and their payloads: 'R' (ready), 'M', 'L', 'P' empty; 'X' one byte, 'O'
 * or 'M'; 'O' and 'E' at most max bytes of text. A bad kind or length is
 * BAD as soon as its bytes are in, before the payload.
 */
ssize_t
runner_record_parse(
    const uint8_t *d, size_t len, uint64_t max, struct runner_record *rec)
{
	uint32_t plen;

	memset(rec, 0, sizeof *rec);
	if (len < 1)
		return RUNNER_RECORD_PARTIAL;
	rec->kind = d[0];
	if (strchr("RMLPXOE", rec->kind) == NULL || rec->kind == '\0')
		return runner_record_bad(rec, RUNNER_RECORD_KIND);
	if (len < RUNNER_RUN_HDR)
		return RUNNER_RECORD_PARTIAL;
	plen = runner_record_u32(d + 1);
	rec->len = plen;
	switch (rec->kind) {
	case 'O':
	case 'E':
		if (plen > max)
			return runner_record_bad(rec, RUNNER_RECORD_SIZE);
		break;
	case 'X':
		if (plen != 1)
			return runner_record_bad(rec, RUNNER_RECORD_SHAPE);
		break;
	default:
		if (plen != 0)
			return runner_record_bad(rec, RUNNER_RECORD_SHAPE);
		break;
	}
	if (len - RUNNER_RUN_HDR < plen)
		return RUNNER_RECORD_PARTIAL;
	rec->data = d + RUNNER_RUN_HDR;
	if (rec->kind == 'X' && rec->data[0] != 'O' && rec->data[0] != 'M')
		return runner_record_bad(rec, RUNNER_RECORD_SHAPE);
	return (ssize_t)(RUNNER_RUN_HDR + plen);
}

/*
 * One answer of the compile server: u32 id, byte kind, u32 length,
 * payload. READY (id 0) and GONE are empty; OK, ERROR, NO_CLASS and RESULT
 * carry at most max bytes.
 */
ssize_t
runner_record_parse_cs(
    const uint8_t *d, size_t len, uint64_t max, struct runner_record *rec)
{
	uint32_t plen;

	memset(rec, 0, sizeof *rec);
	if (len < 5)
		return RUNNER_RECORD_PARTIAL;
	rec->id = runner_record_u32(d);
	rec->kind = d[4];
	if (rec->kind > RUNNER_CS_GONE)
		return runner_record_bad(rec, RUNNER_RECORD_KIND);
	if (len < RUNNER_CS_HDR)
		return RUNNER_RECORD_PARTIAL;
	plen = runner_record_u32(d + 5);
	rec->len = plen;
	if (rec->kind == RUNNER_CS_READY || rec->kind == RUNNER_CS_GONE) {
		if (plen != 0 || (rec->kind == RUNNER_CS_READY && rec->id != 0))
			return runner_record_bad(rec, RUNNER_RECORD_SHAPE);
	} else if (plen > max)
		return runner_record_bad(rec, RUNNER_RECORD_SIZE);
	if (len - RUNNER_CS_HDR < plen)
		return RUNNER_RECORD_PARTIAL;
	rec->data = d + RUNNER_CS_HDR;
	return (ssize_t)(RUNNER_CS_HDR + plen);
}

/* What was wrong, for messages: "a record of N bytes (the limit is M)". */
void
runner_record_why(struct buf *b, const struct runner_record *rec, uint64_t max)
{
	switch (rec->why) {
	case RUNNER_RECORD_KIND:
		buf_printf(b, "a record of unknown kind 0x%02x", rec->kind);
		break;
	case RUNNER_RECORD_SIZE:
		buf_printf(b, "a record of %llu bytes (the limit is %llu)",
		    (unsigned long long)rec->len, (unsigned long long)max);
		break;
	case RUNNER_RECORD_SHAPE:
		buf_printf(b, "a malformed record of kind 0x%02x (%llu bytes)",
		    rec->kind, (unsigned long long)rec->len);
		break;
	case RUNNER_RECORD_UNEXPECTED:
		if (rec->kind >= 0x20 && rec->kind < 0x7f)
			buf_printf(b, "an unexpected record '%c'", rec->kind);
		else
			buf_printf(b, "an unexpected record of kind 0x%02x",
			    rec->kind);
		break;
	case RUNNER_RECORD_NONE:
		break;
	}
}
