/* proto.c: message names and payload codecs (see proto.h). */
#include "config.h"

#include <assert.h>

#include "proto.h"
#include "wire.h"

const char *
proto_type_name(int type)
{
	switch (type) {
	case PROTO_VOTE:
		return "VOTE";
	case PROTO_GOSSIP:
		return "GOSSIP";
	case PROTO_PROBE:
		return "PROBE";
	case PROTO_PROBE_ACK:
		return "PROBE_ACK";
	case PROTO_WORK:
		return "WORK";
	case PROTO_RESULT:
		return "RESULT";
	case PROTO_RESULT_ACK:
		return "RESULT_ACK";
	case PROTO_LAST_WORK_QUERY:
		return "LAST_WORK_QUERY";
	case PROTO_LAST_WORK_REPLY:
		return "LAST_WORK_REPLY";
	}
	return "UNKNOWN";
}

void
proto_vote_encode(struct buf *b, const struct proto_vote *v)
{
	wire_put_u8(b, v->state);
	wire_put_u8(b, v->flags);
	wire_put_u16(b, v->sender);
	wire_put_u16(b, v->leader);
	wire_put_u64(b, v->epoch);
	wire_put_u16(b, v->acc_leader);
	wire_put_u64(b, v->acc_epoch);
}

int
proto_vote_decode(const uint8_t *p, size_t len, struct proto_vote *v)
{
	struct wire_rd rd;

	wire_rd_init(&rd, p, len);
	wire_get_u8(&rd, &v->state);
	wire_get_u8(&rd, &v->flags);
	wire_get_u16(&rd, &v->sender);
	wire_get_u16(&rd, &v->leader);
	wire_get_u64(&rd, &v->epoch);
	wire_get_u16(&rd, &v->acc_leader);
	if (wire_get_u64(&rd, &v->acc_epoch) == -1 || wire_rd_left(&rd) != 0)
		return -1;
	if (v->state > PROTO_OBSERVING)
		return -1;
	if (v->flags & ~(PROTO_VOTE_LEADER | PROTO_VOTE_ACCEPTED))
		return -1;
	return 0;
}

void
proto_gossip_encode(struct buf *b, const struct proto_gossip *g)
{
	int i;

	assert(g->n >= 0 && g->n <= PROTO_GOSSIP_MAX);
	wire_put_u16(b, (uint16_t)g->n);
	for (i = 0; i < g->n; i++) {
		wire_put_u16(b, g->e[i].id);
		wire_put_u8(b, g->e[i].status);
		wire_put_u64(b, g->e[i].incarnation);
		wire_put_u64(b, g->e[i].heartbeat);
	}
}

int
proto_gossip_decode(const uint8_t *p, size_t len, struct proto_gossip *g)
{
	struct wire_rd rd;
	struct proto_gossip_entry *e;
	uint16_t n;
	int i;

	wire_rd_init(&rd, p, len);
	if (wire_get_u16(&rd, &n) == -1 || n > PROTO_GOSSIP_MAX)
		return -1;
	if (wire_rd_left(&rd) != (size_t)n * PROTO_GOSSIP_ENTRY_LEN)
		return -1;
	for (i = 0; i < n; i++) {
		e = &g->e[i];
		wire_get_u16(&rd, &e->id);
		wire_get_u8(&rd, &e->status);
		wire_get_u64(&rd, &e->incarnation);
		if (wire_get_u64(&rd, &e->heartbeat) == -1)
			return -1;
		if (e->status > PROTO_GOSSIP_FAILED)
			return -1;
	}
	g->n = n;
	return 0;
}

void
proto_probe_encode(struct buf *b, uint64_t tag)
{
	wire_put_u64(b, tag);
}

int
proto_probe_decode(const uint8_t *p, size_t len, uint64_t *tag)
{
	struct wire_rd rd;

	wire_rd_init(&rd, p, len);
	if (wire_get_u64(&rd, tag) == -1 || wire_rd_left(&rd) != 0 || *tag == 0)
		return -1;
	return 0;
}

/* ---- Work messages (see the work section of proto.h) ---- */

void
proto_work_encode(struct buf *b, const struct proto_work *w)
{
	wire_put_u8(b, w->flags);
	wire_put_u32(b, w->timeout_ms);
	wire_put_bytes(b, w->stdin_data, w->stdin_len);
	wire_put_bytes(b, w->source, w->source_len);
	if (!(w->flags & PROTO_WORK_FILES))
		return;
	wire_put_bytes(b, w->main, w->main_len);
	wire_put_u32(b, w->release);
	wire_put_u32(b, w->nargs);
	buf_add(b, w->args, w->args_len);
	wire_put_u32(b, w->nfiles);
	buf_add(b, w->files, w->files_len);
}

void
proto_work_encode_files(struct buf *b, const uint8_t *main, size_t main_len,
    uint32_t release, uint32_t nargs, const uint8_t *const *args,
    const size_t *args_len, uint32_t nfiles, const uint8_t *const *files,
    const size_t *files_len)
{
	uint32_t i;

	wire_put_bytes(b, main, main_len);
	wire_put_u32(b, release);
	wire_put_u32(b, nargs);
	for (i = 0; i < nargs; i++)
		wire_put_bytes(b, args[i], args_len[i]);
	wire_put_u32(b, nfiles);
	for (i = 0; i < 2 * nfiles; i++)
		wire_put_bytes(b, files[i], files_len[i]);
}

int
proto_work_next(const uint8_t **p, size_t *left, const uint8_t **s, size_t *n)
{
	struct wire_rd rd;

	wire_rd_init(&rd, *p, *left);
	if (*left == 0 || wire_get_bytes(&rd, s, n) == -1)
		return -1;
	*p += *left - wire_rd_left(&rd);
	*left = wire_rd_left(&rd);
	return 0;
}

/* A list of n strings at the reader: its span, or -1. */
static int
proto_work_list(
    struct wire_rd *rd, uint32_t n, const uint8_t **list, size_t *list_len)
{
	const uint8_t *s;
	size_t before, len;
	uint32_t i;

	before = wire_rd_left(rd);
	*list = rd->p + rd->off;
	for (i = 0; i < n; i++) {
		if (wire_get_bytes(rd, &s, &len) == -1)
			return -1;
	}
	*list_len = before - wire_rd_left(rd);
	return 0;
}

int
proto_work_decode(const uint8_t *p, size_t len, struct proto_work *w)
{
	struct wire_rd rd;

	wire_rd_init(&rd, p, len);
	wire_get_u8(&rd, &w->flags);
	wire_get_u32(&rd, &w->timeout_ms);
	wire_get_bytes(&rd, &w->stdin_data, &w->stdin_len);
	if (wire_get_bytes(&rd, &w->source, &w->source_len) == -1)
		return -1;
	w->main = NULL;
	w->main_len = 0;
	w->release = w->nargs = w->nfiles = 0;
	w->args = w->files = NULL;
	w->args_len = w->files_len = 0;
	if (w->flags & PROTO_WORK_FILES) {
		wire_get_bytes(&rd, &w->main, &w->main_len);
		wire_get_u32(&rd, &w->release);
		if (wire_get_u32(&rd, &w->nargs) == -1 ||
		    w->nargs > PROTO_WORK_ARGS_MAX ||
		    proto_work_list(&rd, w->nargs, &w->args, &w->args_len) ==
			-1)
			return -1;
		if (wire_get_u32(&rd, &w->nfiles) == -1 || w->nfiles == 0 ||
		    w->nfiles > PROTO_WORK_FILES_MAX ||
		    proto_work_list(
			&rd, 2 * w->nfiles, &w->files, &w->files_len) == -1)
			return -1;
		if (w->source_len != 0)
			return -1;
	}
	if (wire_rd_left(&rd) != 0)
		return -1;
	if (w->flags & ~(PROTO_WORK_STDIN | PROTO_WORK_FILES))
		return -1;
	if (!(w->flags & PROTO_WORK_STDIN) && w->stdin_len != 0)
		return -1;
	return 0;
}

void
proto_result_encode(struct buf *b, const struct proto_result *r)
{
	wire_put_u8(b, r->status | (r->flags & PROTO_RESULT_F_TRANSIENT));
	wire_put_u16(b, r->node);
	wire_put_u32(b, r->compile_ms);
	wire_put_u32(b, r->run_ms);
	wire_put_bytes(b, r->body, r->body_len);
	wire_put_bytes(b, r->out, r->out_len);
	wire_put_bytes(b, r->err, r->err_len);
}

int
proto_result_decode(const uint8_t *p, size_t len, struct proto_result *r)
{
	struct wire_rd rd;

	wire_rd_init(&rd, p, len);
	wire_get_u8(&rd, &r->status);
	wire_get_u16(&rd, &r->node);
	wire_get_u32(&rd, &r->compile_ms);
	wire_get_u32(&rd, &r->run_ms);
	wire_get_bytes(&rd, &r->body, &r->body_len);
	wire_get_bytes(&rd, &r->out, &r->out_len);
	if (wire_get_bytes(&rd, &r->err, &r->err_len) == -1 ||
	    wire_rd_left(&rd) != 0)
		return -1;
	r->flags = r->status & PROTO_RESULT_F_TRANSIENT;
	r->status &= ~PROTO_RESULT_F_TRANSIENT;
	if (r->status >= PROTO_RESULT_NSTATUS)
		return -1;
	return 0;
}

const char *
proto_result_status_name(int status)
{
	static const char *names[PROTO_RESULT_NSTATUS] = {"ok", "compile_error",
	    "runtime_error", "timeout", "memory_limit", "output_limit",
	    "rejected", "not_ready"};

	if (status < 0 || status >= PROTO_RESULT_NSTATUS)
		return "unknown";
	return names[status];
}

void
proto_last_work_encode(struct buf *b, const uint64_t *running,
    uint32_t nrunning, const uint64_t *done, uint32_t ndone)
{
	uint32_t i;

	wire_put_u32(b, nrunning);
	for (i = 0; i < nrunning; i++)
		wire_put_u64(b, running[i]);
	wire_put_u32(b, ndone);
	for (i = 0; i < ndone; i++)
		wire_put_u64(b, done[i]);
}

int
proto_last_work_decode(const uint8_t *p, size_t len, struct proto_last_work *lw)
{
	struct wire_rd rd;
	uint32_t n;

	wire_rd_init(&rd, p, len);
	if (wire_get_u32(&rd, &n) == -1 || n > PROTO_LAST_WORK_MAX ||
	    wire_rd_left(&rd) / 8 < n)
		return -1;
	lw->nrunning = n;
	lw->running = p + rd.off;
	rd.off += (size_t)n * 8;
	if (wire_get_u32(&rd, &n) == -1 || n > PROTO_LAST_WORK_MAX ||
	    wire_rd_left(&rd) != (size_t)n * 8)
		return -1;
	lw->ndone = n;
	lw->done = p + rd.off;
	return 0;
}

uint64_t
proto_last_work_id(const uint8_t *ids, uint32_t i)
{
	const uint8_t *q = ids + (size_t)i * 8;
	uint64_t v = 0;
	int k;

	for (k = 0; k < 8; k++)
		v = v << 8 | q[k];
	return v;
}
