/*
 * tui.c: the interactive console (`jdpctl top`, whose options cmd-top.c
 * reads): the terminal and the loop, the one reader of the clock, which
 * passes the time down. One thread: one poll (tui_poll_wait) waits for
 * transfers, the keyboard and kill/restart children at once; a tick every
 * refresh interval starts the next round of polling; the screen is redrawn
 * when something changed (at most every TUI_DRAW_MS, at once after a key).
 */
#include "config.h"

#include <curses.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "jdpctl.h"
#include "tui.h"
#include "xmalloc.h"

#define TUI_DRAW_MS 100

static volatile sig_atomic_t tui_signalled;
static volatile sig_atomic_t tui_winched;
static int tui_curses;

static void
tui_on_signal(int sig)
{
	tui_signalled = sig;
}

static void
tui_on_winch(int sig)
{
	(void)sig;
	tui_winched = 1;
}

/*
 * Our own SIGWINCH handling: ncurses' handler does not survive the
 * readline prompt, so take the size from the terminal and resize.
 */
static int
tui_resize(void)
{
	struct winsize ws;

	if (!tui_winched)
		return 0;
	tui_winched = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE); /* repaint it all */
	return 1;
}

/* Whatever happens, the terminal is given back. */
static void
tui_restore(void)
{
	if (tui_curses && !isendwin())
		endwin();
	tui_curses = 0;
}

static void
tui_loop(struct tui *t)
{
	int64_t now, next = 0, last_draw = 0;
	int fds[1 + TUI_MAX_CHILDREN], nfds, i, ch, pending = 1, key;

	while (!t->quit && !tui_signalled) {
		now = jdpctl_now_ms();
		if (now >= next) {
			tui_poll_tick(t->poll, now);
			next = now + t->refresh_ms;
			pending = 1; /* ages and the clock move */
		}
		nfds = 0;
		fds[nfds++] = STDIN_FILENO;
		for (i = 0; i < TUI_MAX_CHILDREN; i++) {
			if (t->child[i].pid != 0)
				fds[nfds++] = t->child[i].fd;
		}
		if (pending)
			i = (int)(last_draw + TUI_DRAW_MS - now);
		else
			i = (int)(next - now);
		if (i > (int)(next - now))
			i = (int)(next - now);
		if (i < 0)
			i = 0;
		tui_poll_wait(t->poll, fds, nfds, i);
		now = jdpctl_now_ms();
		if (tui_poll_collect(t->poll, now))
			pending = 1;
		if (tui_run_reap(t, now))
			pending = 1;
		key = tui_resize();
		while ((ch = getch()) != ERR) {
			key = 1;
			if (ch == KEY_RESIZE)
				clearok(curscr, TRUE); /* repaint it all */
			else
				tui_keys_handle(t, ch, now);
			if (t->submit != NULL) /* after a prompt: time moved */
				tui_keys_send(t, jdpctl_now_ms());
			if (t->quit)
				break;
		}
		if (t->quit)
			break;
		if (key || (pending && now - last_draw >= TUI_DRAW_MS)) {
			tui_draw(t, now);
			last_draw = now;
			pending = 0;
		}
	}
}

int
tui_main(
    const char *gw, const char *dir, int readonly, int refresh_ms, int colour)
{
	struct sigaction sa;
	struct tui *t;
	int i;

	t = xcalloc(1, sizeof *t);
	tui_model_init(&t->m, gw, dir);
	t->m.readonly = readonly;
	t->refresh_ms = refresh_ms;
	t->colour = colour;
	t->poll = tui_poll_new(&t->m);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tui_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = tui_on_winch;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL); /* before initscr: ncurses keeps off */
	setlocale(LC_ALL, "");
	atexit(tui_restore);
	initscr();
	tui_curses = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	tui_draw_init(t);

	tui_loop(t);

	tui_restore();
	for (i = 0; i < TUI_MAX_CHILDREN; i++) {
		if (t->child[i].pid != 0) {
			close(t->child[i].fd);
			buf_free(&t->child[i].out);
		}
	}
	tui_poll_free(t->poll);
	tui_model_done(&t->m);
	free(t->submit);
	free(t);
	return tui_signalled && tui_signalled != SIGINT ? 128 + tui_signalled
							: JDPCTL_OK;
}
