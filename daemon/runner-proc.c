/*
 * runner-proc.c: the runner's children (the compile server and run JVMs):
 * starting one with a pipe on each of its four fds, writing its stdin and
 * reading the rest as the loop says they are ready, its exit (pidfd, or
 * polling without one) and freeing it. What the compile server and run
 * JVMs say is parsed in runner-cs.c and runner-pool.c.
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
#define RUNNER_ERR_KEEP 8192 /* stderr kept from a starting JVM */

static void runner_proc_fd(struct ev *, int, int, void *);
static void runner_proc_exit_cb(struct ev *, int, int, void *);
static void runner_proc_exited(struct runner_proc *);

/* A big-endian 32-bit number of the children's framing. */
uint32_t
runner_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Stop watching and close one pipe. */
static void
runner_proc_close(struct runner_proc *p, int i)
{
	if (p->fd[i] == -1)
		return;
	ev_del_fd(p->r->ev, p->fd[i]);
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
			ev_del_fd(p->r->ev, p->fd[RUNNER_IN]);
			p->in_watched = 0;
		}
	} else if (!p->in_watched) {
		ev_add_fd(
		    p->r->ev, p->fd[RUNNER_IN], EV_WRITE, runner_proc_fd, p);
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
	runner_proc_exited(p);
	return EV_TIMER_STOP;
}

/* Start a JVM with pipes on all four fds; NULL on failure (logged). */
struct runner_proc *
runner_proc_start(struct runner *r, int compiler)
{
	struct runner_proc *p;
	struct sandbox_limits lim;
	struct runner_argbuf ab;
	char *cause;
	const char *args[40];
	int child[4], pipes[4][2], i, n;

	n = runner_jvm_args(r, compiler, 0, args, &ab, &lim);
	args[n] = NULL;

	p = xcalloc(1, sizeof *p);
	p->r = r;
	p->compiler = compiler;
	p->state = RUNNER_PROC_STARTING;
	p->started = ev_now(r->ev);
	for (i = 0; i < 4; i++) {
		buf_init(&p->buf[i]);
		if (pipe2(pipes[i], O_CLOEXEC) == -1) {
			log_error("runner: pipe: %s", strerror(errno));
			while (i-- > 0) {
				close(pipes[i][0]);
				close(pipes[i][1]);
			}
			free(p);
			return NULL;
		}
		/* Our end is non-blocking; the JVM's stays blocking. */
		p->fd[i] = pipes[i][i == RUNNER_IN ? 1 : 0];
		child[i] = pipes[i][i == RUNNER_IN ? 0 : 1];
		fcntl(p->fd[i], F_SETFL, O_NONBLOCK);
	}
	if (sandbox_spawn(r->sb, args, child, &lim, &p->sp, &cause) == -1) {
		log_error("runner: cannot start %s: %s",
		    compiler ? "the compile server" : "a run JVM", cause);
		free(cause);
		for (i = 0; i < 4; i++) {
			close(pipes[i][0]);
			close(pipes[i][1]);
		}
		free(p);
		return NULL;
	}
	for (i = 0; i < 4; i++) {
		close(child[i]);
		if (i != RUNNER_IN)
			ev_add_fd(r->ev, p->fd[i], EV_READ, runner_proc_fd, p);
	}
	if (p->sp.pidfd != -1)
		ev_add_fd(r->ev, p->sp.pidfd, EV_READ, runner_proc_exit_cb, p);
	else
		p->poll_timer =
		    ev_add_timer(r->ev, RUNNER_POLL_MS, runner_proc_poll, p);
	log_debug("runner: started %s, pid %ld",
	    compiler ? "compile server" : "run JVM", (long)p->sp.pid);
	return p;
}

/* Free a reaped process. */
static void
runner_proc_free(struct runner_proc *p)
{
	int i;

	for (i = 0; i < 4; i++) {
		runner_proc_close(p, i);
		buf_free(&p->buf[i]);
	}
	if (p->sp.pidfd != -1)
		ev_del_fd(p->r->ev, p->sp.pidfd);
	if (p->poll_timer != 0)
		ev_del_timer(p->r->ev, p->poll_timer);
	sandbox_release(p->r->sb, &p->sp);
	free(p);
}

/* Kill, reap (blocking) and free a process. */
void
runner_proc_kill_wait(struct runner *r, struct runner_proc *p)
{
	sandbox_kill(r->sb, &p->sp);
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

/* Keep only the last n bytes of a buffer. */
static void
runner_buf_tail(struct buf *b, size_t n)
{
	if (buf_len(b) > n)
		buf_consume(b, buf_len(b) - n);
}

/* Last line(s) of a process's stderr, for messages. Caller frees. */
char *
runner_proc_errtail(struct runner_proc *p)
{
	struct buf *b = &p->buf[RUNNER_ERR];
	const char *s;
	size_t len = buf_len(b);

	runner_buf_tail(b, 2048);
	s = buf_cstr(b);
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return xstrndup(s, len);
}

/* The process is no longer counted as starting, ready or busy. */
static void
runner_proc_uncount(struct runner_proc *p)
{
	struct runner *r = p->r;

	if (p->compiler)
		return;
	switch (p->state) {
	case RUNNER_PROC_STARTING:
		r->nstarting--;
		break;
	case RUNNER_PROC_READY:
		r->nready--;
		break;
	case RUNNER_PROC_BUSY:
		r->nbusy--;
		break;
	case RUNNER_PROC_DONE:
		break;
	}
}

/* The job has its answer: stop the process, whatever it still does. */
void
runner_proc_done(struct runner_proc *p)
{
	int i;

	runner_proc_uncount(p);
	p->state = RUNNER_PROC_DONE;
	sandbox_kill(p->r->sb, &p->sp);
	for (i = 0; i < 4; i++)
		runner_proc_close(p, i);
	runner_dispatch(p->r);
}

/* --- events --------------------------------------------------------------- */

static void
runner_proc_fd(struct ev *ev, int fd, int events, void *arg)
{
	struct runner_proc *p = arg;
	struct runner *r = p->r;
	struct runner_job *job;
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

	if (p->compiler) {
		if (i == RUNNER_OUT) {
			runner_proc_read(p, i, 0);
			runner_cs_parse(r, p);
		} else {
			runner_proc_read(p, i, 0);
			runner_buf_tail(&p->buf[i], RUNNER_ERR_KEEP);
		}
		return;
	}

	if (i == RUNNER_CTL) {
		runner_proc_read(p, i, 0);
		runner_run_parse(p);
		return;
	}
	job = p->job;
	if (job == NULL) {
		/* Warming up: keep a little stderr for error messages. */
		runner_proc_read(p, i, 0);
		if (i == RUNNER_OUT)
			buf_reset(&p->buf[i]);
		else
			runner_buf_tail(&p->buf[i], RUNNER_ERR_KEEP);
		return;
	}
	runner_proc_read(p, i, r->output_max);
	if (buf_len(&p->buf[i]) > r->output_max)
		runner_run_finish(p, PROTO_RESULT_OUTPUT_LIMIT, r->output_text,
		    strlen(r->output_text));
}

/* A child exited: pidfd readable. */
static void
runner_proc_exit_cb(struct ev *ev, int fd, int events, void *arg)
{
	struct runner_proc *p = arg;

	if (!sandbox_reap(&p->sp))
		return;
	ev_del_fd(ev, fd);
	runner_proc_exited(p);
}

static void
runner_proc_exited(struct runner_proc *p)
{
	struct runner *r = p->r;
	int i;

	/* Whatever it wrote before dying is still in the pipes. */
	if (p->state != RUNNER_PROC_DONE)
		for (i = 1; i < 4; i++)
			if (p->fd[i] != -1)
				runner_proc_read(p, i,
				    i == RUNNER_CTL   ? 0
					: p->compiler ? RUNNER_ERR_KEEP
						      : r->output_max);
	if (p->compiler) {
		if (r->cs == p) {
			runner_cs_parse(r, p);
			if (r->cs == p)
				runner_cs_lost(r, "died");
		}
		if (p->listed)
			TAILQ_REMOVE(&r->procs, p, entry);
		runner_proc_free(p);
		return;
	}
	if (p->job != NULL)
		runner_run_parse(p);
	if (p->state != RUNNER_PROC_DONE) {
		runner_run_exited(p);
		if (p->state != RUNNER_PROC_DONE) {
			runner_proc_uncount(p);
			p->state = RUNNER_PROC_DONE;
		}
	}
	TAILQ_REMOVE(&r->procs, p, entry);
	runner_proc_free(p);
	runner_dispatch(r);
}
