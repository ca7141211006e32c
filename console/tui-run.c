/*
 * tui-run.c: kill and restart from the TUI, run as `jdpctl kill|restart
 * ID -d DIR` children (the same code as the one-shot commands) so that
 * the screen keeps updating while a restarted node comes up; their first
 * line of output goes to the status line. And the status line itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tui.h"

#define TUI_RUN_MSG_MS 6000

void
tui_run_msg(struct tui *t, int64_t now, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof t->msg, fmt, ap);
	va_end(ap);
	t->msg_until = now + TUI_RUN_MSG_MS;
}

/* Run `jdpctl kill|restart ID -d DIR` in the background. */
void
tui_run_start(struct tui *t, int64_t now, int key, int id)
{
	const char *verb = key == 'k' ? "kill" : "restart";
	char ids[16], self[4096];
	int i, fds[2], null;
	ssize_t n;
	pid_t pid;

	for (i = 0; i < TUI_MAX_CHILDREN && t->child[i].pid != 0; i++)
		;
	if (i == TUI_MAX_CHILDREN) {
		tui_run_msg(t, now, "too many commands running; wait a moment");
		return;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0) {
		tui_run_msg(t, now, "cannot find the jdpctl binary");
		return;
	}
	self[n] = '\0';
	snprintf(ids, sizeof ids, "%d", id);
	if (pipe2(fds, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		tui_run_msg(t, now, "cannot run %s: %s", verb, strerror(errno));
		return;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		if ((null = open("/dev/null", O_RDONLY)) != -1)
			dup2(null, STDIN_FILENO);
		execl(self, "jdpctl", verb, ids, "-d", t->m.dir, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	t->child[i].pid = pid;
	t->child[i].fd = fds[0];
	buf_init(&t->child[i].out);
	snprintf(
	    t->child[i].what, sizeof t->child[i].what, "%s node %d", verb, id);
	tui_run_msg(
	    t, now, "%s node %d...", key == 'k' ? "killing" : "restarting", id);
}

int
tui_run_reap(struct tui *t, int64_t now)
{
	char chunk[1024], *s;
	ssize_t n;
	int i, status, changed = 0;

	for (i = 0; i < TUI_MAX_CHILDREN; i++) {
		if (t->child[i].pid == 0)
			continue;
		while ((n = read(t->child[i].fd, chunk, sizeof chunk)) > 0)
			buf_add(&t->child[i].out, chunk, (size_t)n);
		if (n != 0)
			continue; /* not finished yet */
		waitpid(t->child[i].pid, &status, 0);
		close(t->child[i].fd);
		s = buf_cstr(&t->child[i].out);
		s[strcspn(s, "\n")] = '\0';
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			tui_run_msg(t, now, "%s", *s ? s : t->child[i].what);
		else
			tui_run_msg(t, now, "%s failed: %s", t->child[i].what,
			    *s ? s : "no output");
		buf_free(&t->child[i].out);
		t->child[i].pid = 0;
		changed = 1;
	}
	return changed;
}
