/*
 * runner-proc.c: the runner's children (the compile server and run JVMs):
 * starting one with a pipe on each of its four fds, writing its stdin and
 * reading the rest, its exit (pidfd, or polling without one) and freeing
 * it. A leaf: what a child says and what its exit means is its owner's,
 * told through the struct runner_proc_ops it was started with (runner-cs.c
 * for the compile server, runner-pool.c for run JVMs).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "log.h"
#include "runner-int.h"
#include "sandbox.h"
#include "xmalloc.h"

#define RUNNER_CHUNK 65536

static void runner_proc_fd(struct ev *, int, int, void *);
static void runner_proc_exit_cb(struct ev *, int, int, void *);

/* Stop watching and close one pipe. */
static void
runner_proc_close(struct runner_proc *p, int i)
{
	if (p->fd[i] == -1)
		return;
	ev_del_fd(p->ev, p->fd[i]);
	close(p->fd[i]);
	p->fd[i] = -1;
	if (i == RUNNER_IN)
		p->in_watched = 0;
}

/* Write what we can of the stdin buffer. */
void
runner_proc_flush(struct runner_proc *p)
{
	struct buf *b = &p->buf[RUNNER_IN];
	ssize_t n;

	while (p->fd[RUNNER_IN] != -1 && buf_len(b) > 0) {
		n = write(p->fd[RUNNER_IN], buf_data(b), buf_len(b));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) { /* EPIPE: it died; the exit says why */
			buf_reset(b);
			runner_proc_close(p, RUNNER_IN);
			return;
		}
		buf_consume(b, (size_t)n);
	}
	if (p->fd[RUNNER_IN] == -1)
		return;
	if (buf_len(b) == 0) {
		if (p->in_close)
			runner_proc_close(p, RUNNER_IN);
		else if (p->in_watched) {
			ev_del_fd(p->ev, p->fd[RUNNER_IN]);
			p->in_watched = 0;
		}
	} else if (!p->in_watched) {
		ev_add_fd(p->ev, p->fd[RUNNER_IN], EV_WRITE, runner_proc_fd, p);
		p->in_watched = 1;
	}
}

static int64_t
runner_proc_poll(struct ev *ev, void *arg)
{
	struct runner_proc *p = arg;

	if (!sandbox_reap(&p->sp))
		return RUNNER_POLL_MS;
	p->poll_timer = 0;
	p->ops->on_exit(p, p->arg);
	return EV_TIMER_STOP;
}

/* Close both ends of the first n pipes (a start that failed). */
static void
runner_proc_unpipe(int pipes[][2], int n)
{
	while (n-- > 0) {
		close(pipes[n][0]);
		close(pipes[n][1]);
	}
}

/*
 * Start java with args (NULL-terminated) and limits, with pipes on all four
 * fds; ops and arg are told what it writes and when it exits. compiler
 * names it in log lines. NULL on failure (logged).
 */
struct runner_proc *
runner_proc_start(struct ev *ev, struct sandbox *sb, int compiler,
    const char *const *args, const struct sandbox_limits *lim,
    const struct runner_proc_ops *ops, void *arg)
{
	struct runner_proc *p;
	char *cause;
	int child[4], pipes[4][2], i;

	p = xcalloc(1, sizeof *p);
	p->ev = ev;
	p->sb = sb;
	p->ops = ops;
	p->arg = arg;
	p->compiler = compiler;
	p->started = ev_now(ev);
	for (i = 0; i < 4; i++) {
		buf_init(&p->buf[i]);
		if (pipe2(pipes[i], O_CLOEXEC) == -1) {
			log_error("runner: pipe: %s", strerror(errno));
			runner_proc_unpipe(pipes, i);
			free(p);
			return NULL;
		}
		/* Our end is non-blocking; the JVM's stays blocking. */
		p->fd[i] = pipes[i][i == RUNNER_IN ? 1 : 0];
		child[i] = pipes[i][i == RUNNER_IN ? 0 : 1];
		fcntl(p->fd[i], F_SETFL, O_NONBLOCK);
	}
	if (sandbox_spawn(sb, args, child, lim, &p->sp, &cause) == -1) {
		log_error("runner: cannot start %s: %s",
		    compiler ? "the compile server" : "a run JVM", cause);
		free(cause);
		runner_proc_unpipe(pipes, 4);
		free(p);
		return NULL;
	}
	for (i = 0; i < 4; i++) {
		close(child[i]);
		if (i != RUNNER_IN)
			ev_add_fd(ev, p->fd[i], EV_READ, runner_proc_fd, p);
	}
	if (p->sp.pidfd != -1)
		ev_add_fd(ev, p->sp.pidfd, EV_READ, runner_proc_exit_cb, p);
	else
		p->poll_timer =
		    ev_add_timer(ev, RUNNER_POLL_MS, runner_proc_poll, p);
	log_debug("runner: started %s, pid %ld",
	    compiler ? "compile server" : "run JVM", (long)p->sp.pid);
	return p;
}

/* Free a reaped process. */
void
runner_proc_free(struct runner_proc *p)
{
	int i;

	for (i = 0; i < 4; i++) {
		runner_proc_close(p, i);
		buf_free(&p->buf[i]);
	}
	if (p->sp.pidfd != -1)
		ev_del_fd(p->ev, p->sp.pidfd);
	if (p->poll_timer != 0)
		ev_del_timer(p->ev, p->poll_timer);
	sandbox_release(p->sb, &p->sp);
	free(p);
}

/* Kill, reap (blocking) and free a process. */
void
runner_proc_kill_wait(struct runner_proc *p)
{
	sandbox_kill(p->sb, &p->sp);
	if (!p->sp.reaped) {
		while (waitpid(p->sp.pid, &p->sp.status, 0) == -1 &&
		    errno == EINTR)
			;
		p->sp.reaped = 1;
	}
	runner_proc_free(p);
}

/* Read what is available on one pipe; -1 at EOF (the pipe is closed). */
int
runner_proc_read(struct runner_proc *p, int i, size_t limit)
{
	struct buf *b = &p->buf[i];
	ssize_t n;
	size_t want;

	while (p->fd[i] != -1) {
		want = RUNNER_CHUNK;
		if (limit != 0 && buf_len(b) + want > limit + 1)
			want = limit + 1 - buf_len(b);
		if (want == 0)
			return 0; /* over the limit: caller decides */
		n = read(p->fd[i], buf_reserve(b, want), want);
		if (n > 0) {
			buf_commit(b, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		runner_proc_close(p, i);
		return -1;
	}
	return -1;
}

/* Keep only the last n bytes read from pipe i. */
void
runner_proc_tail(struct runner_proc *p, int i, size_t n)
{
	struct buf *b = &p->buf[i];

	if (buf_len(b) > n)
		buf_consume(b, buf_len(b) - n);
}

/*
 * After the exit: read what is left in the pipes, the control pipe whole,
 * stdout and stderr up to limit each (0: no limit).
 */
void
runner_proc_drain(struct runner_proc *p, size_t limit)
{
	int i;

	for (i = 1; i < 4; i++)
		if (p->fd[i] != -1)
			runner_proc_read(p, i, i == RUNNER_CTL ? 0 : limit);
}

/* Last line(s) of a process's stderr, for messages. Caller frees. */
char *
runner_proc_errtail(struct runner_proc *p)
{
	struct buf *b = &p->buf[RUNNER_ERR];
	const char *s;
	size_t len = buf_len(b);

	runner_proc_tail(p, RUNNER_ERR, 2048);
	s = buf_cstr(b);
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return xstrndup(s, len);
}

/* Kill it (and its sandbox) and close its pipes; the exit still comes. */
void
runner_proc_stop(struct runner_proc *p)
{
	int i;

	sandbox_kill(p->sb, &p->sp);
	for (i = 0; i < 4; i++)
		runner_proc_close(p, i);
}

/* --- events --------------------------------------------------------------- */

static void
runner_proc_fd(struct ev *ev, int fd, int events, void *arg)
{
	struct runner_proc *p = arg;
	int i;

	if (fd == p->fd[RUNNER_IN]) {
		runner_proc_flush(p);
		return;
	}
	for (i = 1; i < 4; i++)
		if (fd == p->fd[i])
			break;
	if (i == 4)
		return;
	p->ops->on_output(p, i, p->arg);
}

/* A child exited: pidfd readable. */
static void
runner_proc_exit_cb(struct ev *ev, int fd, int events, void *arg)
{
	struct runner_proc *p = arg;

	if (!sandbox_reap(&p->sp))
		return;
	ev_del_fd(ev, fd);
	p->ops->on_exit(p, p->arg);
}
