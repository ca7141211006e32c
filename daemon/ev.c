/*
 * ev.c: the event loop. File descriptors are watched with epoll; timers sit
 * in a binary min-heap ordered by due time (ties by id, so timers due at
 * the same moment run in the order they were added).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "xmalloc.h"

#define EV_MAX_EVENTS 64

struct ev_fd {
	ev_fd_cb cb;
	void *arg;
	uint32_t gen; /* tells a reused fd from a stale event */
	int active;
};

struct ev_timer {
	uint64_t id;
	int64_t when;
	ev_timer_cb cb;
	void *arg;
};

struct ev {
	int epfd;
	struct ev_fd *fds;
	size_t nfds;
	uint32_t gen;

	struct ev_timer *heap;
	size_t ntimers;
	size_t heapcap;
	uint64_t next_id;
	uint64_t running; /* id of the timer being run */
	int running_deleted;

	int64_t now;
	ev_clock_cb clock;
	void *clock_arg;
	int stop;
};

static int64_t
ev_clock_monotonic(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ev *
ev_new(void)
{
	struct ev *ev;

	ev = xcalloc(1, sizeof *ev);
	if ((ev->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	ev->clock = ev_clock_monotonic;
	ev->next_id = 1;
	ev->now = ev->clock(NULL);
	return ev;
}

void
ev_free(struct ev *ev)
{
	if (ev == NULL)
		return;
	close(ev->epfd);
	free(ev->fds);
	free(ev->heap);
	free(ev);
}

static uint32_t
ev_epoll_events(int events)
{
	uint32_t e = 0;

	if (events & EV_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

static int
ev_ctl(struct ev *ev, int op, int fd, int events)
{
	struct epoll_event ee;

	memset(&ee, 0, sizeof ee);
	ee.events = ev_epoll_events(events);
	ee.data.u64 = (uint64_t)ev->fds[fd].gen << 32 | (uint32_t)fd;
	return epoll_ctl(ev->epfd, op, fd, &ee);
}

int
ev_add_fd(struct ev *ev, int fd, int events, ev_fd_cb cb, void *arg)
{
	size_t n;

	if (fd < 0)
		return -1;
	if ((size_t)fd >= ev->nfds) {
		n = ev->nfds == 0 ? 64 : ev->nfds;
		while (n <= (size_t)fd)
			n *= 2;
		ev->fds = xreallocarray(ev->fds, n, sizeof *ev->fds);
		memset(ev->fds + ev->nfds, 0, (n - ev->nfds) * sizeof *ev->fds);
		ev->nfds = n;
	}
	if (ev->fds[fd].active) {
		errno = EEXIST;
		return -1;
	}
	ev->fds[fd].cb = cb;
	ev->fds[fd].arg = arg;
	ev->fds[fd].gen = ++ev->gen;
	if (ev_ctl(ev, EPOLL_CTL_ADD, fd, events) == -1)
		return -1;
	ev->fds[fd].active = 1;
	return 0;
}

int
ev_mod_fd(struct ev *ev, int fd, int events)
{
	if (fd < 0 || (size_t)fd >= ev->nfds || !ev->fds[fd].active) {
		errno = ENOENT;
		return -1;
	}
	return ev_ctl(ev, EPOLL_CTL_MOD, fd, events);
}

void
ev_del_fd(struct ev *ev, int fd)
{
	if (fd < 0 || (size_t)fd >= ev->nfds || !ev->fds[fd].active)
		return;
	epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	ev->fds[fd].active = 0;
	ev->fds[fd].gen = 0;
}

static int
ev_timer_before(const struct ev_timer *a, const struct ev_timer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return a->id < b->id;
}

static void
ev_heap_swap(struct ev *ev, size_t i, size_t j)
{
	struct ev_timer t = ev->heap[i];

	ev->heap[i] = ev->heap[j];
	ev->heap[j] = t;
}

static void
ev_heap_up(struct ev *ev, size_t i)
{
	while (i > 0 && ev_timer_before(&ev->heap[i], &ev->heap[(i - 1) / 2])) {
		ev_heap_swap(ev, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
ev_heap_down(struct ev *ev, size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < ev->ntimers &&
		    ev_timer_before(&ev->heap[l], &ev->heap[m]))
			m = l;
		if (r < ev->ntimers &&
		    ev_timer_before(&ev->heap[r], &ev->heap[m]))
			m = r;
		if (m == i)
			return;
		ev_heap_swap(ev, i, m);
		i = m;
	}
}

static void
ev_heap_push(struct ev *ev, const struct ev_timer *t)
{
	if (ev->ntimers == ev->heapcap) {
		ev->heapcap = ev->heapcap == 0 ? 16 : ev->heapcap * 2;
		ev->heap =
		    xreallocarray(ev->heap, ev->heapcap, sizeof *ev->heap);
	}
	ev->heap[ev->ntimers] = *t;
	ev_heap_up(ev, ev->ntimers++);
}

static void
ev_heap_remove(struct ev *ev, size_t i)
{
	ev->ntimers--;
	if (i == ev->ntimers)
		return;
	ev->heap[i] = ev->heap[ev->ntimers];
	ev_heap_up(ev, i);
	ev_heap_down(ev, i);
}

uint64_t
ev_add_timer(struct ev *ev, int64_t delay, ev_timer_cb cb, void *arg)
{
	struct ev_timer t;

	t.id = ev->next_id++;
	t.when = ev->now + (delay > 0 ? delay : 0);
	t.cb = cb;
	t.arg = arg;
	ev_heap_push(ev, &t);
	return t.id;
}

void
ev_del_timer(struct ev *ev, uint64_t id)
{
	size_t i;

	if (id == 0)
		return;
	if (id == ev->running) {
		ev->running_deleted = 1;
		return;
	}
	for (i = 0; i < ev->ntimers; i++) {
		if (ev->heap[i].id == id) {
			ev_heap_remove(ev, i);
			return;
		}
	}
}

int64_t
ev_now(struct ev *ev)
{
	return ev->now;
}

int64_t
ev_update_time(struct ev *ev)
{
	int64_t t = ev->clock(ev->clock_arg);

	if (t > ev->now) /* never let time run backwards */
		ev->now = t;
	return ev->now;
}

void
ev_set_clock(struct ev *ev, ev_clock_cb cb, void *arg)
{
	ev->clock = cb;
	ev->clock_arg = arg;
	ev->now = cb(arg);
}

/* Run every timer that is due; a timer re-armed for "now" waits a turn. */
static void
ev_run_timers(struct ev *ev)
{
	struct ev_timer t;
	int64_t next, now = ev->now;
	uint64_t last = ev->next_id;

	while (ev->ntimers > 0 && ev->heap[0].when <= now &&
	    ev->heap[0].id < last && !ev->stop) {
		t = ev->heap[0];
		ev_heap_remove(ev, 0);
		ev->running = t.id;
		ev->running_deleted = 0;
		next = t.cb(ev, t.arg);
		ev->running = 0;
		if (next >= 0 && !ev->running_deleted) {
			/* Re-armed timers keep their id but go behind new ones. */
			t.when = ev->now + next;
			if (next == 0)
				t.when = now + 1;
			ev_heap_push(ev, &t);
		}
	}
}

int
ev_run_once(struct ev *ev, int64_t max_wait)
{
	struct epoll_event events[EV_MAX_EVENTS];
	struct ev_fd *f;
	int64_t wait = max_wait;
	int n, i, fd, what;
	uint32_t gen;

	if (ev->ntimers > 0) {
		int64_t due = ev->heap[0].when - ev->now;

		if (due < 0)
			due = 0;
		if (wait < 0 || due < wait)
			wait = due;
	}
	if (wait > 60000 || wait < 0)
		wait = wait < 0 ? -1 : 60000;
	n = epoll_wait(ev->epfd, events, EV_MAX_EVENTS, (int)wait);
	if (n == -1 && errno != EINTR)
		return -1;
	ev_update_time(ev);
	for (i = 0; i < n && !ev->stop; i++) {
		fd = (int)(uint32_t)events[i].data.u64;
		gen = (uint32_t)(events[i].data.u64 >> 32);
		if ((size_t)fd >= ev->nfds)
			continue;
		f = &ev->fds[fd];
		if (!f->active || f->gen != gen)
			continue; /* removed by an earlier callback */
		what = 0;
		if (events[i].events & (EPOLLIN | EPOLLRDHUP))
			what |= EV_READ;
		if (events[i].events & EPOLLOUT)
			what |= EV_WRITE;
		if (events[i].events & (EPOLLERR | EPOLLHUP))
			what |= EV_ERROR | EV_READ;
		f->cb(ev, fd, what, f->arg);
	}
	ev_run_timers(ev);
	return 0;
}

int
ev_run(struct ev *ev)
{
	ev->stop = 0;
	while (!ev->stop) {
		if (ev_run_once(ev, -1) == -1)
			return -1;
	}
	return 0;
}

void
ev_stop(struct ev *ev)
{
	ev->stop = 1;
}
