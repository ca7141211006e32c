/*
 * tui-draw.c: draw the TUI from the model: header, banner, node table,
 * event timeline, job pane or log viewer, the function-key bar, and the
 * help and confirmation overlays. Colours by role with a monochrome
 * fallback (bold, underline, reverse).
 */
#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui.h"

enum tui_pair {
	TUI_C_LEADING = 1,
	TUI_C_FOLLOWING,
	TUI_C_OBSERVING,
	TUI_C_LOOKING,
	TUI_C_FAILED,
	TUI_C_HEADER,
	TUI_C_BANNER,
	TUI_C_BARKEY,
	TUI_C_WORK
};

static int tui_draw_colour;

void
tui_draw_init(struct tui *t)
{
	tui_draw_colour = t->colour && has_colors();
	if (!tui_draw_colour)
		return;
	start_color();
	use_default_colors();
	init_pair(TUI_C_LEADING, COLOR_GREEN, -1);
	init_pair(TUI_C_FOLLOWING, COLOR_CYAN, -1);
	init_pair(TUI_C_OBSERVING, COLOR_BLUE, -1);
	init_pair(TUI_C_LOOKING, COLOR_YELLOW, -1);
	init_pair(TUI_C_FAILED, COLOR_RED, -1);
	init_pair(TUI_C_HEADER, COLOR_BLACK, COLOR_CYAN);
	init_pair(TUI_C_BANNER, COLOR_WHITE, COLOR_RED);
	init_pair(TUI_C_BARKEY, COLOR_BLACK, COLOR_CYAN);
	init_pair(TUI_C_WORK, COLOR_MAGENTA, -1);
}

/* An attribute: the colour pair, or the monochrome stand-in. */
static attr_t
tui_draw_attr(enum tui_pair pair, attr_t mono)
{
	if (tui_draw_colour)
		return COLOR_PAIR(pair) |
		    (pair == TUI_C_LEADING || pair == TUI_C_FAILED ? A_BOLD
								   : 0);
	return mono;
}

static attr_t
tui_draw_role_attr(const char *role)
{
	if (strcmp(role, "LEADING") == 0)
		return tui_draw_attr(TUI_C_LEADING, A_BOLD);
	if (strcmp(role, "FOLLOWING") == 0)
		return tui_draw_attr(TUI_C_FOLLOWING, A_NORMAL);
	if (strcmp(role, "OBSERVING") == 0)
		return tui_draw_attr(TUI_C_OBSERVING, A_DIM);
	if (strcmp(role, "LOOKING") == 0)
		return tui_draw_attr(TUI_C_LOOKING, A_UNDERLINE);
	if (strcmp(role, "FAILED") == 0)
		return tui_draw_attr(TUI_C_FAILED, A_BOLD | A_UNDERLINE);
	return A_NORMAL;
}

static attr_t
tui_draw_event_attr(enum tui_ev_kind kind)
{
	switch (kind) {
	case TUI_EV_FAILED:
		return tui_draw_attr(TUI_C_FAILED, A_BOLD);
	case TUI_EV_ELECTION:
		return tui_draw_attr(TUI_C_LOOKING, A_UNDERLINE);
	case TUI_EV_LEADER:
		return tui_draw_attr(TUI_C_LEADING, A_BOLD);
	case TUI_EV_REJOIN:
		return tui_draw_attr(TUI_C_FOLLOWING, A_NORMAL);
	case TUI_EV_WORK:
		return tui_draw_attr(TUI_C_WORK, A_NORMAL);
	default:
		return A_NORMAL;
	}
}

/* Text at (y, x), cut at the right edge, the rest of the width padded. */
static void
tui_draw_line(int y, int x, attr_t attr, int pad, const char *s)
{
	int w = COLS - x;

	if (y < 0 || y >= LINES || w <= 0)
		return;
	attrset(attr);
	mvaddnstr(y, x, s, w);
	if (pad) {
		int len = (int)strlen(s);
		for (; len < w; len++)
			addch(' ');
	}
	attrset(A_NORMAL);
}

static void
tui_draw_rule(int y, const char *title)
{
	if (y < 0 || y >= LINES)
		return;
	mvhline(y, 0, ACS_HLINE, COLS);
	attrset(A_BOLD);
	mvaddnstr(y, 2, title, COLS - 4);
	attrset(A_NORMAL);
}

static void
tui_draw_header(struct tui *t)
{
	struct tui_model *m = &t->m;
	char s[512], leader[32], clock[16];
	time_t now = time(NULL);
	struct tm tm;
	int i, live = 0, failed = 0;

	for (i = 0; i < m->nnodes; i++) {
		if (strcmp(m->nodes[i].v.role, "FAILED") == 0)
			failed++;
		else if (strcmp(m->nodes[i].v.role, "?") != 0)
			live++;
	}
	if (m->leader >= 0)
		snprintf(leader, sizeof leader, "%d", m->leader);
	else
		snprintf(leader, sizeof leader, "none");
	localtime_r(&now, &tm);
	strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	snprintf(s, sizeof s,
	    " jdpctl  %s  | leader %s | epoch %llu | %d live, %d failed |"
	    " %.1f jobs/s%s | %s",
	    m->gateway, leader, (unsigned long long)m->epoch, live, failed,
	    m->jobs_rate, t->m.readonly ? " | read-only" : "", clock);
	tui_draw_line(0, 0, tui_draw_attr(TUI_C_HEADER, A_REVERSE), 1, s);
}

static void
tui_draw_banner(struct tui *t, int64_t now)
{
	struct tui_model *m = &t->m;
	char s[512];

	if (!m->gw_ok && (m->gw_err[0] != '\0' || !m->have_view)) {
		if (m->have_view && m->view_from >= 0)
			snprintf(s, sizeof s,
			    " GATEWAY UNREACHABLE: showing node %d's view (%s)",
			    m->view_from, m->gw_err);
		else
			snprintf(s, sizeof s, " GATEWAY UNREACHABLE (%s)",
			    m->gw_err[0] != '\0' ? m->gw_err : "connecting");
		tui_draw_line(1, 0,
		    tui_draw_attr(TUI_C_BANNER, A_REVERSE | A_BOLD), 1, s);
	} else if (t->msg[0] != '\0' && now < t->msg_until)
		tui_draw_line(1, 1, A_BOLD, 0, t->msg);
}

static void
tui_draw_node(struct tui *t, int y, int i)
{
	const struct tui_node *n = &t->m.nodes[i];
	char s[256], hb[24], heard[24], inc[24], done[24], fl[16];
	attr_t sel = i == t->selected ? A_REVERSE : A_NORMAL;

	if (n->v.known) {
		snprintf(
		    hb, sizeof hb, "%llu", (unsigned long long)n->v.heartbeat);
		snprintf(heard, sizeof heard, "%.1fs",
		    (double)n->v.last_heard_ms / 1000.0);
		snprintf(inc, sizeof inc, "%llu",
		    (unsigned long long)n->v.incarnation);
	} else {
		snprintf(hb, sizeof hb, "-");
		snprintf(heard, sizeof heard, "never");
		snprintf(inc, sizeof inc, "-");
	}
	if (n->jobs_known) {
		snprintf(done, sizeof done, "%llu",
		    (unsigned long long)n->jobs_done);
		snprintf(fl, sizeof fl, "%d", n->in_flight);
	} else {
		snprintf(done, sizeof done, "-");
		snprintf(fl, sizeof fl, "-");
	}
	snprintf(s, sizeof s, "%c%3d ", i == t->selected ? '>' : ' ', n->v.id);
	tui_draw_line(y, 0, sel, 0, s);
	snprintf(s, sizeof s, "%-10s", n->v.role);
	tui_draw_line(y, 5, sel | tui_draw_role_attr(n->v.role), 0, s);
	snprintf(s, sizeof s, " %-21s %10s %7s %17s %7s %6s%s", n->v.address,
	    hb, heard, inc, done, fl,
	    n->v.id == t->m.leader ? "  <- leader" : "");
	tui_draw_line(y, 15, sel, 1, s);
}

/* The node table from row y; returns the next free row. */
static int
tui_draw_nodes(struct tui *t, int y, int rows)
{
	char s[256];
	int i, first = 0;

	snprintf(s, sizeof s, "%4s %-10s %-21s %10s %7s %17s %7s %6s", "ID",
	    "ROLE", "ADDRESS", "HEARTBEAT", "HEARD", "INCARNATION", "DONE",
	    "FLIGHT");
	tui_draw_line(y++, 0, A_BOLD | A_UNDERLINE, 1, s);
	if (t->m.nnodes == 0) {
		tui_draw_line(y, 1, A_DIM, 0,
		    "(no nodes known yet: waiting for the gateway)");
		return y + 1;
	}
	if (t->selected >= rows)
		first = t->selected - rows + 1;
	for (i = first; i < t->m.nnodes && i - first < rows; i++)
		tui_draw_node(t, y++, i);
	return y;
}

static void
tui_draw_timeline(struct tui *t, int y, int rows)
{
	struct tui_model *m = &t->m;
	const struct tui_event *ev;
	char s[300];
	int i, shown = 0, skip = t->timeline_scroll, idx[TUI_MAX_EVENTS];
	int n = 0;

	snprintf(s, sizeof s, " Events%s%s%s (%d) ",
	    m->filter[0] ? " matching \"" : "", m->filter,
	    m->filter[0] ? "\"" : "", m->nevents);
	tui_draw_rule(y++, s);
	/* The newest `rows` matching events, scrolled up by skip. */
	for (i = m->nevents - 1; i >= 0 && n < rows + skip; i--) {
		snprintf(s, sizeof s, "[%d] %s", m->events[i].node,
		    m->events[i].text);
		if (tui_model_match(m, s))
			idx[n++] = i;
	}
	for (i = n - 1; i >= skip && shown < rows; i--, shown++) {
		ev = &m->events[idx[i]];
		snprintf(s, sizeof s, "%s  [%d] %s", ev->when + 11, ev->node,
		    ev->text);
		tui_draw_line(
		    y + shown, 1, tui_draw_event_attr(ev->kind), 0, s);
	}
	if (m->nevents == 0)
		tui_draw_line(y, 1, A_DIM, 0, "(no events yet)");
}

static void
tui_draw_jobs(struct tui *t, int y, int rows)
{
	struct tui_model *m = &t->m;
	const struct tui_job *j;
	char s[400], node[16], lat[24];
	int i;

	tui_draw_rule(y++, " Jobs (s to submit) ");
	if (m->njobs == 0)
		tui_draw_line(y, 1, A_DIM, 0, "(no jobs submitted from here)");
	for (i = 0; i < m->njobs && i < rows; i++) {
		j = &m->jobs[i];
		if (j->node >= 0)
			snprintf(node, sizeof node, "node %d", j->node);
		else
			snprintf(node, sizeof node, "-");
		if (j->done)
			snprintf(lat, sizeof lat, "%ld ms", j->latency_ms);
		else
			snprintf(lat, sizeof lat, "...");
		snprintf(s, sizeof s, "%-20s %-14s %-8s %9s  %s", j->file,
		    j->status, node, lat, j->result);
		tui_draw_line(y + i, 1,
		    !j->done ? A_DIM
			: strcmp(j->status, "ok") == 0
			? tui_draw_attr(TUI_C_LEADING, A_BOLD)
			: tui_draw_attr(TUI_C_FAILED, A_UNDERLINE),
		    0, s);
	}
}

static void
tui_draw_log(struct tui *t, int y, int rows)
{
	struct tui_model *m = &t->m;
	const char *line;
	char s[200];
	int i, n = 0, shown = 0, idx[512];

	snprintf(s, sizeof s, " Log of node %d: %s%s%s%s (%d lines) ",
	    m->log_node, m->log_verbose ? "verbose" : "summary",
	    m->log_follow ? ", following" : ", paused",
	    m->filter[0] ? ", matching " : "", m->filter, m->log_n);
	tui_draw_rule(y++, s);
	if (rows > 512)
		rows = 512;
	for (i = m->log_n - 1; i >= 0 && n < rows + m->log_scroll; i--) {
		line = tui_model_log_line(m, i);
		if (!tui_model_match(m, line))
			continue;
		if (n >= m->log_scroll)
			idx[shown++] = i;
		n++;
	}
	for (i = shown - 1; i >= 0; i--)
		tui_draw_line(y + (shown - 1 - i), 1, A_NORMAL, 0,
		    tui_model_log_line(m, idx[i]));
	if (m->log_n == 0)
		tui_draw_line(y, 1, A_DIM, 0, "(waiting for the node)");
}

static void
tui_draw_bar(struct tui *t)
{
	const char *key, *label;
	int i, x = 0, y = LINES - 1;

	move(y, 0);
	clrtoeol();
	if (t->prompting) {
		mvprintw(y, 0, "Filter: %s", t->prompt);
		return;
	}
	for (i = 0; tui_keys_bar(t, i, &key, &label) && x < COLS; i++) {
		attrset(tui_draw_attr(TUI_C_BARKEY, A_REVERSE));
		mvaddnstr(y, x, key, COLS - x);
		x += (int)strlen(key);
		attrset(A_NORMAL);
		if (x < COLS)
			mvaddnstr(y, x, label, COLS - x);
		x += (int)strlen(label) + 1;
	}
	attrset(A_NORMAL);
}

/* A box of h rows and w columns in the middle; returns its top row. */
static int
tui_draw_box(int h, int w, int *x)
{
	int y = (LINES - h) / 2, i;

	*x = (COLS - w) / 2;
	if (y < 0)
		y = 0;
	if (*x < 0)
		*x = 0;
	for (i = 0; i < h; i++) {
		move(y + i, *x);
		hline(' ', w);
	}
	attrset(A_BOLD);
	mvhline(y, *x, ACS_HLINE, w);
	mvhline(y + h - 1, *x, ACS_HLINE, w);
	mvvline(y, *x, ACS_VLINE, h);
	mvvline(y, *x + w - 1, ACS_VLINE, h);
	mvaddch(y, *x, ACS_ULCORNER);
	mvaddch(y, *x + w - 1, ACS_URCORNER);
	mvaddch(y + h - 1, *x, ACS_LLCORNER);
	mvaddch(y + h - 1, *x + w - 1, ACS_LRCORNER);
	attrset(A_NORMAL);
	return y;
}

static void
tui_draw_help(struct tui *t)
{
	char line[160];
	const char *s;
	int i, n, x, y;

	for (n = 0; tui_keys_help(t, n, line, sizeof line) != NULL; n++)
		;
	y = tui_draw_box(n + 4, 76, &x);
	tui_draw_line(
	    y + 1, x + 2, A_BOLD, 0, "jdpctl: keys (any key closes this help)");
	for (i = 0; (s = tui_keys_help(t, i, line, sizeof line)) != NULL; i++)
		mvaddnstr(y + 2 + i, x + 2, s, 72);
}

static void
tui_draw_confirm(struct tui *t)
{
	char s[120];
	int x, y;

	y = tui_draw_box(6, 52, &x);
	snprintf(s, sizeof s, "%s node %d?",
	    t->confirm == 'k' ? "Kill (SIGKILL)" : "Restart", t->confirm_id);
	tui_draw_line(y + 1, x + 2, A_BOLD, 0, s);
	tui_draw_line(y + 2, x + 2, A_NORMAL, 0,
	    "Tab/arrows move, Enter chooses, y/n, Esc cancels");
	tui_draw_line(y + 4, x + 10, t->confirm_ok ? A_NORMAL : A_REVERSE, 0,
	    "[ Cancel ]");
	tui_draw_line(y + 4, x + 28, t->confirm_ok ? A_REVERSE : A_NORMAL, 0,
	    t->confirm == 'k' ? "[ Kill ]" : "[ Restart ]");
}

void
tui_draw(struct tui *t, int64_t now)
{
	int y, rest, node_rows, jobs_rows;

	erase();
	tui_draw_header(t);
	tui_draw_banner(t, now);
	/* Rows: header, banner, table head, nodes, rule, panes, bar. */
	rest = LINES - 4;
	node_rows = t->m.nnodes > 0 ? t->m.nnodes : 1;
	if (node_rows > rest / 2)
		node_rows = rest / 2 > 1 ? rest / 2 : 1;
	y = tui_draw_nodes(t, 2, node_rows);
	rest = LINES - 1 - y;
	if (t->m.log_node >= 0)
		tui_draw_log(t, y, rest - 1);
	else {
		jobs_rows = t->m.njobs < 3 ? 3 : t->m.njobs;
		if (jobs_rows > rest / 3)
			jobs_rows = rest / 3;
		tui_draw_timeline(t, y, rest - jobs_rows - 2);
		tui_draw_jobs(t, LINES - 2 - jobs_rows, jobs_rows);
	}
	tui_draw_bar(t);
	if (t->help)
		tui_draw_help(t);
	if (t->confirm)
		tui_draw_confirm(t);
	if (t->prompting) {
		move(LINES - 1, 8 + (int)t->prompt_len);
		curs_set(1);
	} else
		curs_set(0);
	refresh();
}
