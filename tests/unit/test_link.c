/* test_link.c: framed TCP links over a socketpair. */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "link.h"
#include "tap.h"
#include "wire.h"

static uint8_t key[WIRE_KEY_LEN] = {1, 2, 3};

struct side {
	int msgs;
	uint64_t last_reqid;
	size_t last_len;
	int closed;
	enum wire_err err;
	struct link *reply_on; /* answer every frame on this link */
};

static void
side_msg(struct link *l, const struct wire_msg *m, void *arg)
{
	struct side *s = arg;
	struct wire_hdr h;

	s->msgs++;
	s->last_reqid = m->h.reqid;
	s->last_len = m->plen;
	if (s->reply_on != NULL) {
		h = m->h;
		h.reqid = m->h.reqid + 1000;
		link_send(l, &h, m->payload, m->plen);
	}
}

static void
side_closed(struct link *l, enum wire_err err, void *arg)
{
	struct side *s = arg;

	(void)l;
	s->closed++;
	s->err = err;
}

static void
spin(struct ev *ev, int n)
{
	while (n-- > 0)
		ev_run_once(ev, 10);
}

int
main(void)
{
	struct ev *ev = ev_new();
	struct side a, b;
	struct link *la, *lb;
	struct wire_hdr h;
	struct buf raw;
	static char big[300000];
	int sv[2];

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return 1;
	la = link_accept(ev, sv[0], key, side_msg, side_closed, &a);
	lb = link_accept(ev, sv[1], key, side_msg, side_closed, &b);
	ok(la != NULL && lb != NULL, "links wrap both ends");
	b.reply_on = lb;

	memset(&h, 0, sizeof h);
	h.version = WIRE_VERSION;
	h.type = 32;
	h.sender = 7;
	h.reqid = 1;
	link_send(la, &h, "hello", 5);
	h.reqid = 2;
	link_send(la, &h, big, sizeof big); /* needs several writes */
	spin(ev, 50);
	is_int(b.msgs, 2, "both frames arrive, in order");
	is_int(b.last_len, sizeof big, "the large frame arrives whole");
	is_int(a.msgs, 2, "and both answers come back");
	is_int(a.last_reqid, 1002, "answers carry the right request id");

	/* A forged frame closes the link with the reason. */
	buf_init(&raw);
	wire_encode(&raw, &h, "x", 1,
	    (const uint8_t *)"wrong key wrong key wrong key 12");
	if (write(sv[0], buf_data(&raw), buf_len(&raw)) < 0)
		return 1;
	spin(ev, 5);
	is_int(b.closed, 1, "a frame with a bad tag closes the link");
	is_int(b.err, WIRE_ERR_TAG, "and says why");
	spin(ev, 5);
	is_int(a.closed, 1, "the other end sees the close");
	is_int(a.err, WIRE_OK, "as an orderly close");
	buf_free(&raw);

	/*
	 * A lowered limit: a frame announcing more is refused as soon as
	 * its header is in, before any payload byte; raising it lets a
	 * large frame through again.
	 */
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return 1;
	la = link_accept(ev, sv[0], key, side_msg, side_closed, &a);
	lb = link_accept(ev, sv[1], key, side_msg, side_closed, &b);
	link_set_max(lb, 16);
	link_send(la, &h, big, 16);
	spin(ev, 5);
	is_int(b.msgs, 1, "a frame at the lowered limit arrives");
	link_set_max(lb, WIRE_MAX_PAYLOAD);
	link_send(la, &h, big, sizeof big);
	spin(ev, 50);
	is_int(b.msgs, 2, "one above it after the limit is raised again");
	link_set_max(lb, 16);
	buf_init(&raw);
	wire_encode(&raw, &h, big, 17, key);
	/* The header only: the refusal must not wait for the payload. */
	if (write(sv[0], buf_data(&raw), WIRE_HDR_LEN) < 0)
		return 1;
	spin(ev, 5);
	is_int(b.closed, 1, "a header announcing 17 bytes closes the link");
	is_int(b.err, WIRE_ERR_OVERSIZE, "as oversize");
	buf_free(&raw);
	spin(ev, 5);
	is_int(a.closed, 1, "and the sender sees the close");

	ev_free(ev);
	return tap_done();
}
