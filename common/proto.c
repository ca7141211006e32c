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
