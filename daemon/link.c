/* link.c: framed, authenticated TCP connections (see link.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "link.h"
#include "net.h"
#include "xmalloc.h"

#define LINK_READ_SIZE 65536

struct link {
	struct ev *ev;
	int fd;
	const uint8_t *key;
	struct buf in;
	struct buf out;
	link_msg_cb msg;
	link_close_cb closed;
	void *arg;
	size_t max; /* largest payload accepted */
	int dispatching;
	int dead;
};

static void link_io(struct ev *, int, int, void *);

static struct link *
link_new(struct ev *ev, int fd, const uint8_t *key, link_msg_cb msg,
    link_close_cb closed, void *arg)
{
	struct link *l;

	l = xcalloc(1, sizeof *l);
	l->ev = ev;
	l->fd = fd;
	l->key = key;
	l->msg = msg;
	l->closed = closed;
	l->arg = arg;
	l->max = WIRE_MAX_PAYLOAD;
	buf_init(&l->in);
	buf_init(&l->out);
	if (ev_add_fd(ev, fd, EV_READ | EV_WRITE, link_io, l) == -1) {
		close(fd);
		free(l);
		return NULL;
	}
	return l;
}

struct link *
link_connect(struct ev *ev, const struct sockaddr_in *addr, const uint8_t *key,
    link_msg_cb msg, link_close_cb closed, void *arg)
{
	int fd;

	if ((fd = net_tcp_connect(addr)) == -1)
		return NULL;
	return link_new(ev, fd, key, msg, closed, arg);
}

struct link *
link_accept(struct ev *ev, int fd, const uint8_t *key, link_msg_cb msg,
    link_close_cb closed, void *arg)
{
	if (net_set_nonblock(fd) == -1) {
		close(fd);
		return NULL;
	}
	return link_new(ev, fd, key, msg, closed, arg);
}

static void
link_release(struct link *l)
{
	ev_del_fd(l->ev, l->fd);
	close(l->fd);
	buf_free(&l->in);
	buf_free(&l->out);
	free(l);
}

void
link_free(struct link *l)
{
	if (l == NULL)
		return;
	if (l->dispatching) {
		l->dead = 1; /* freed when the dispatch loop unwinds */
		l->closed = NULL;
		return;
	}
	link_release(l);
}

static void
link_fail(struct link *l, enum wire_err err)
{
	if (l->dead)
		return;
	l->dead = 1;
	if (l->closed != NULL)
		l->closed(l, err, l->arg);
	if (!l->dispatching)
		link_release(l);
}

static void
link_update(struct link *l)
{
	ev_mod_fd(
	    l->ev, l->fd, EV_READ | (buf_len(&l->out) > 0 ? EV_WRITE : 0));
}

static void
link_flush(struct link *l)
{
	ssize_t n;

	while (buf_len(&l->out) > 0) {
		n = send(
		    l->fd, buf_data(&l->out), buf_len(&l->out), MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK ||
			errno == ENOTCONN))
			break;
		if (n <= 0) {
			link_fail(l, WIRE_OK);
			return;
		}
		buf_consume(&l->out, (size_t)n);
	}
	link_update(l);
}

void
link_send(struct link *l, const struct wire_hdr *h, const void *p, size_t len)
{
	if (l->dead)
		return;
	wire_encode(&l->out, h, p, len, l->key);
	if (!l->dispatching)
		link_flush(l);
}

size_t
link_pending(const struct link *l)
{
	return buf_len(&l->out);
}

void
link_set_arg(struct link *l, void *arg)
{
	l->arg = arg;
}

void
link_set_max(struct link *l, size_t max)
{
	l->max = max;
}

static void
link_io(struct ev *ev, int fd, int what, void *arg)
{
	struct link *l = arg;
	struct wire_msg m;
	enum wire_err err;
	ssize_t n;

	(void)ev;
	if (what & EV_WRITE) {
		link_flush(l);
		if (l->dead)
			return;
	}
	if (!(what & EV_READ))
		return;
	n = read(fd, buf_reserve(&l->in, LINK_READ_SIZE), LINK_READ_SIZE);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		link_fail(l, WIRE_OK);
		return;
	}
	buf_commit(&l->in, (size_t)n);

	l->dispatching = 1;
	while (!l->dead && buf_len(&l->in) > 0) {
		n = wire_decode(buf_data(&l->in), buf_len(&l->in), l->key,
		    l->max, &m, &err);
		if (n == WIRE_PARTIAL)
			break;
		if (n < 0) {
			link_fail(l, err);
			break;
		}
		l->msg(l, &m, l->arg);
		if (!l->dead)
			buf_consume(&l->in, (size_t)n);
	}
	l->dispatching = 0;
	if (l->dead)
		link_release(l);
	else if (buf_len(&l->out) > 0)
		link_flush(l);
}
