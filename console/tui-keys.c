/*
 * tui-keys.c: the TUI's one key→action table (which also makes the
 * function-key bar and the help screen), the confirmation dialog for kill
 * and restart (default Cancel), the filter prompt, the readline prompt
 * for submit. Kill and restart themselves are in tui-run.c.
 */
#include "config.h"

#include <ctype.h>
#include <curses.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <readline/tilde.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tui.h"
#include "xmalloc.h"

#define TUI_K_DESTRUCTIVE 0x1 /* hidden with --readonly */
#define TUI_K_BAR 0x2 /* shown in the bottom bar */

struct tui_key {
	int key;
	int fkey; /* 0: none */
	const char *bar; /* bar key name */
	const char *label;
	const char *help;
	int flags;
	void (*fn)(struct tui *, int64_t);
};

static void
tui_keys_help_open(struct tui *t, int64_t now)
{
	(void)now;
	t->help = 1;
}

static void
tui_keys_quit(struct tui *t, int64_t now)
{
	(void)now;
	t->quit = 1;
}

static void
tui_keys_up(struct tui *t, int64_t now)
{
	(void)now;
	if (t->selected > 0)
		t->selected--;
	if (t->m.log_node >= 0 && t->selected < t->m.nnodes) {
		tui_model_log_open(
		    &t->m, t->m.nodes[t->selected].v.id, t->m.log_verbose);
		tui_poll_log_now(t->poll);
	}
}

static void
tui_keys_down(struct tui *t, int64_t now)
{
	(void)now;
	if (t->selected < t->m.nnodes - 1)
		t->selected++;
	if (t->m.log_node >= 0 && t->selected < t->m.nnodes) {
		tui_model_log_open(
		    &t->m, t->m.nodes[t->selected].v.id, t->m.log_verbose);
		tui_poll_log_now(t->poll);
	}
}

static int *
tui_keys_scroll(struct tui *t)
{
	return t->m.log_node >= 0 ? &t->m.log_scroll : &t->timeline_scroll;
}

static void
tui_keys_pgup(struct tui *t, int64_t now)
{
	int *s = tui_keys_scroll(t);

	(void)now;
	*s += LINES / 3 > 1 ? LINES / 3 : 1;
	if (t->m.log_node >= 0 && *s > t->m.log_n)
		*s = t->m.log_n;
	else if (t->m.log_node < 0 && *s > t->m.nevents)
		*s = t->m.nevents;
}

static void
tui_keys_pgdn(struct tui *t, int64_t now)
{
	int *s = tui_keys_scroll(t);

	(void)now;
	*s -= LINES / 3 > 1 ? LINES / 3 : 1;
	if (*s < 0)
		*s = 0;
}

static void
tui_keys_end(struct tui *t, int64_t now)
{
	(void)now;
	*tui_keys_scroll(t) = 0;
}

static void
tui_keys_logs(struct tui *t, int64_t now)
{
	(void)now;
	if (t->m.log_node >= 0) {
		t->m.log_node = -1;
		return;
	}
	if (t->selected >= t->m.nnodes) {
		tui_run_msg(t, now, "no node selected");
		return;
	}
	tui_model_log_open(&t->m, t->m.nodes[t->selected].v.id, 0);
	t->m.log_follow = 1;
	tui_poll_log_now(t->poll);
}

static void
tui_keys_verbose(struct tui *t, int64_t now)
{
	if (t->m.log_node < 0) {
		tui_run_msg(t, now, "v switches the log viewer (l) to verbose");
		return;
	}
	tui_model_log_open(&t->m, t->m.log_node, !t->m.log_verbose);
	tui_poll_log_now(t->poll);
}

static void
tui_keys_follow(struct tui *t, int64_t now)
{
	if (t->m.log_node < 0) {
		tui_run_msg(t, now, "f pauses or follows the log viewer (l)");
		return;
	}
	t->m.log_follow = !t->m.log_follow;
	if (t->m.log_follow)
		t->m.log_scroll = 0;
}

static void
tui_keys_escape(struct tui *t, int64_t now)
{
	(void)now;
	if (t->m.log_node >= 0)
		t->m.log_node = -1;
	else
		t->m.filter[0] = '\0';
}

static void
tui_keys_filter(struct tui *t, int64_t now)
{
	(void)now;
	t->prompting = 1;
	snprintf(t->prompt, sizeof t->prompt, "%s", t->m.filter);
	t->prompt_len = strlen(t->prompt);
}

static void
tui_keys_submit(struct tui *t, int64_t now)
{
	char *line, *p;
	struct winsize ws;
	size_t n;

	def_prog_mode();
	endwin();
	printf("\nSubmit a Java job to %s (Tab completes file names, "
	       "empty line cancels)\n",
	    t->m.gateway);
	/* Keep our signal handlers (SIGWINCH: tui.c) during the prompt. */
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	line = readline("java file> ");
	reset_prog_mode();
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0 && (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col); /* resized meanwhile */
	clearok(curscr, TRUE);
	/* Completion leaves a space after the name; ~ is the home. */
	for (p = line; p != NULL && isspace((unsigned char)*p); p++)
		;
	n = p != NULL ? strlen(p) : 0;
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		p[--n] = '\0';
	if (n == 0) {
		free(line);
		tui_run_msg(t, now, "submit cancelled");
		return;
	}
	add_history(p);
	/* The prompt took time: the loop sends it (tui_keys_send). */
	free(t->submit);
	t->submit = tilde_expand(p);
	t->submit_at = now;
	free(line);
}

void
tui_keys_send(struct tui *t, int64_t now)
{
	char why[300];

	if (t->submit == NULL)
		return;
	if (tui_poll_submit(t->poll, t->submit, now, why, sizeof why) == -1)
		tui_run_msg(t, t->submit_at, "cannot submit: %s", why);
	else
		tui_run_msg(t, t->submit_at, "submitted %s", t->submit);
	free(t->submit);
	t->submit = NULL;
}

/* k and r: ask first; the default answer is Cancel. */
static void
tui_keys_ask(struct tui *t, int64_t now, int key)
{
	if (t->m.dir == NULL) {
		tui_run_msg(t, now,
		    "%s needs the local cluster directory: jdpctl -d DIR "
		    "or JDP_DIR",
		    key == 'k' ? "kill" : "restart");
		return;
	}
	if (t->selected >= t->m.nnodes) {
		tui_run_msg(t, now, "no node selected");
		return;
	}
	t->confirm = key;
	t->confirm_id = t->m.nodes[t->selected].v.id;
	t->confirm_ok = 0;
}

static void
tui_keys_kill(struct tui *t, int64_t now)
{
	tui_keys_ask(t, now, 'k');
}

static void
tui_keys_restart(struct tui *t, int64_t now)
{
	tui_keys_ask(t, now, 'r');
}

static const struct tui_key tui_keys[] = {
    {'?', KEY_F(1), "F1", "Help", "this help", TUI_K_BAR, tui_keys_help_open},
    {'h', 0, NULL, NULL, NULL, 0, tui_keys_help_open},
    {'s', KEY_F(2), "F2", "Submit",
	"submit a Java file (readline: history, Tab completes)", TUI_K_BAR,
	tui_keys_submit},
    {'l', KEY_F(3), "F3", "Logs",
	"open/close the log viewer on the selected node", TUI_K_BAR,
	tui_keys_logs},
    {'/', KEY_F(4), "F4", "Filter",
	"show only events and log lines containing a text", TUI_K_BAR,
	tui_keys_filter},
    {'v', KEY_F(5), "F5", "Verbose", "log viewer: summary or verbose log",
	TUI_K_BAR, tui_keys_verbose},
    {'f', KEY_F(6), "F6", "Follow", "log viewer: follow or pause", TUI_K_BAR,
	tui_keys_follow},
    {'r', KEY_F(8), "F8", "Restart", "restart the selected node (asks first)",
	TUI_K_BAR | TUI_K_DESTRUCTIVE, tui_keys_restart},
    {'k', KEY_F(9), "F9", "Kill",
	"kill the selected node with SIGKILL (asks first)",
	TUI_K_BAR | TUI_K_DESTRUCTIVE, tui_keys_kill},
    {'q', KEY_F(10), "F10", "Quit", "quit", TUI_K_BAR, tui_keys_quit},
    {KEY_UP, 0, NULL, NULL, "Up/Down: select a node", 0, tui_keys_up},
    {KEY_DOWN, 0, NULL, NULL, NULL, 0, tui_keys_down},
    {KEY_PPAGE, 0, NULL, NULL, "PgUp/PgDn: scroll events or log", 0,
	tui_keys_pgup},
    {KEY_NPAGE, 0, NULL, NULL, NULL, 0, tui_keys_pgdn},
    {KEY_END, 0, NULL, NULL, "End: back to the newest lines", 0, tui_keys_end},
    {27, 0, NULL, NULL, "Esc: close the log viewer, else clear the filter", 0,
	tui_keys_escape},
};
#define TUI_NKEYS (sizeof tui_keys / sizeof tui_keys[0])

int
tui_keys_bar(const struct tui *t, int i, const char **key, const char **label)
{
	size_t k;

	for (k = 0; k < TUI_NKEYS; k++) {
		if (!(tui_keys[k].flags & TUI_K_BAR) ||
		    (t->m.readonly && (tui_keys[k].flags & TUI_K_DESTRUCTIVE)))
			continue;
		if (i-- == 0) {
			*key = tui_keys[k].bar;
			*label = tui_keys[k].label;
			return 1;
		}
	}
	return 0;
}

const char *
tui_keys_help(const struct tui *t, int i, char *line, size_t len)
{
	static const char *legend[] = {"",
	    "Roles: LEADING, FOLLOWING, OBSERVING (gateway), LOOKING (in an",
	    "election), FAILED (no heartbeat). Events: failures, elections,",
	    "leaders, rejoins, from every node's summary log."};
	size_t k;
	char key[8];

	for (k = 0; k < TUI_NKEYS; k++) {
		if (tui_keys[k].help == NULL ||
		    (t->m.readonly && (tui_keys[k].flags & TUI_K_DESTRUCTIVE)))
			continue;
		if (i-- > 0)
			continue;
		if (tui_keys[k].bar == NULL) {
			snprintf(line, len, "  %s", tui_keys[k].help);
			return line;
		}
		snprintf(key, sizeof key, "%c", tui_keys[k].key);
		snprintf(line, len, "  %-2s %-4s %-8s %s", key, tui_keys[k].bar,
		    tui_keys[k].label, tui_keys[k].help);
		return line;
	}
	if (i < (int)(sizeof legend / sizeof legend[0]))
		return legend[i];
	return NULL;
}

static void
tui_keys_confirm(struct tui *t, int key, int64_t now)
{
	switch (key) {
	case '\t':
	case KEY_LEFT:
	case KEY_RIGHT:
	case KEY_BTAB:
		t->confirm_ok = !t->confirm_ok;
		return;
	case 'y':
	case 'Y':
		t->confirm_ok = 1;
		/* FALLTHROUGH */
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (t->confirm_ok)
			tui_run_start(t, now, t->confirm, t->confirm_id);
		else
			tui_run_msg(t, now, "cancelled");
		t->confirm = 0;
		return;
	case 'n':
	case 'N':
	case 'q':
	case 27:
		t->confirm = 0;
		tui_run_msg(t, now, "cancelled");
		return;
	}
}

static void
tui_keys_prompt(struct tui *t, int key)
{
	switch (key) {
	case '\n':
	case '\r':
	case KEY_ENTER:
		snprintf(t->m.filter, sizeof t->m.filter, "%s", t->prompt);
		t->prompting = 0;
		t->timeline_scroll = t->m.log_scroll = 0;
		return;
	case 27:
		t->prompting = 0;
		return;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (t->prompt_len > 0)
			t->prompt[--t->prompt_len] = '\0';
		return;
	}
	if (key >= 32 && key < 127 && t->prompt_len < sizeof t->prompt - 1) {
		t->prompt[t->prompt_len++] = (char)key;
		t->prompt[t->prompt_len] = '\0';
	}
}

void
tui_keys_handle(struct tui *t, int key, int64_t now)
{
	size_t k;

	t->dirty = 1;
	if (t->confirm) {
		tui_keys_confirm(t, key, now);
		return;
	}
	if (t->prompting) {
		tui_keys_prompt(t, key);
		return;
	}
	if (t->help) {
		t->help = 0;
		return;
	}
	for (k = 0; k < TUI_NKEYS; k++) {
		if (key != tui_keys[k].key &&
		    (tui_keys[k].fkey == 0 || key != tui_keys[k].fkey))
			continue;
		if (t->m.readonly && (tui_keys[k].flags & TUI_K_DESTRUCTIVE)) {
			tui_run_msg(t, now, "read-only console (--readonly)");
			return;
		}
		tui_keys[k].fn(t, now);
		return;
	}
}
