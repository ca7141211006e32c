/*
 * tui-model.c: the TUI's state, without curses or curl: the node table
 * (the gateway's view merged with what each node's own logs and metrics
 * say), the event timeline merged from every node's summary log, the job
 * pane and the log viewer's lines.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui.h"
#include "xmalloc.h"

void
tui_model_init(struct tui_model *m, const char *gateway, const char *dir)
{
	struct view *v = xmalloc(sizeof *v);
	int i;

	memset(m, 0, sizeof *m);
	m->gateway = gateway;
	m->dir = dir;
	m->leader = -1;
	m->view_from = -1;
	m->log_node = -1;
	m->log_follow = 1;
	buf_init(&m->log_carry);
	if (dir != NULL && view_from_dir(v, dir) == 0) {
		for (i = 0; i < v->nnodes; i++) {
			m->nodes[i].v = v->nodes[i];
			buf_init(&m->nodes[i].carry);
		}
		m->nnodes = v->nnodes;
	}
	free(v);
}

void
tui_model_done(struct tui_model *m)
{
	int i;

	for (i = 0; i < m->nnodes; i++)
		buf_free(&m->nodes[i].carry);
	for (i = 0; i < m->log_n; i++)
		free(m->log_lines[(m->log_first + i) % TUI_LOG_LINES]);
	buf_free(&m->log_carry);
}

int
tui_model_find(const struct tui_model *m, int id)
{
	int i;

	for (i = 0; i < m->nnodes; i++) {
		if (m->nodes[i].v.id == id)
			return i;
	}
	return -1;
}

void
tui_model_view(struct tui_model *m, const struct view *v, int from, int64_t now)
{
	struct tui_node *n;
	int i, j;

	(void)now;
	m->leader = v->leader;
	m->epoch = v->epoch;
	m->have_view = 1;
	m->view_from = from;
	if (from == -1) {
		m->gw_ok = 1;
		m->gw_err[0] = '\0';
	}
	for (i = 0; i < v->nnodes; i++) {
		if ((j = tui_model_find(m, v->nodes[i].id)) == -1) {
			if (m->nnodes == CONF_MAX_NODES)
				continue;
			j = m->nnodes++;
			memset(&m->nodes[j], 0, sizeof m->nodes[j]);
			buf_init(&m->nodes[j].carry);
		}
		n = &m->nodes[j];
		n->v = v->nodes[i];
		if (n->v.address[0] == '\0')
			snprintf(n->v.address, sizeof n->v.address, "?");
	}
}

void
tui_model_gateway_down(struct tui_model *m, const char *why)
{
	m->gw_ok = 0;
	snprintf(m->gw_err, sizeof m->gw_err, "%s", why);
}

/* The text between "[" and "]" after prefix in s, as a number. */
static int
tui_model_bracket(const char *s, const char *prefix, long *out)
{
	const char *p = strstr(s, prefix);
	char *end;

	if (p == NULL)
		return -1;
	p += strlen(prefix);
	*out = strtol(p, &end, 10);
	return end == p ? -1 : 0;
}

static int
tui_model_classify(const char *msg, enum tui_ev_kind *kind)
{
	long n;

	if (strncmp(msg, "switching from [", 16) == 0) {
		*kind = strstr(msg, "to [LOOKING]") != NULL ? TUI_EV_ELECTION
							    : TUI_EV_SWITCH;
		return 0;
	}
	if (strstr(msg, "- SERVER FAILED") != NULL) {
		*kind = TUI_EV_FAILED;
		return 0;
	}
	if (strncmp(msg, "leader is [", 11) == 0) {
		*kind = TUI_EV_LEADER;
		return 0;
	}
	if (strncmp(msg, "stepping down as leader", 23) == 0) {
		*kind = TUI_EV_ELECTION;
		return 0;
	}
	if (tui_model_bracket(msg, "server [", &n) == 0 &&
	    (strstr(msg, "] restarted") != NULL ||
		strstr(msg, "] is back") != NULL)) {
		*kind = TUI_EV_REJOIN;
		return 0;
	}
	if (strncmp(msg, "removed server [", 16) == 0 ||
	    (strncmp(msg, "jdpd ", 5) == 0 && strstr(msg, " started as ")) ||
	    strncmp(msg, "received signal", 15) == 0 ||
	    strcmp(msg, "stopped") == 0) {
		*kind = TUI_EV_NODE;
		return 0;
	}
	if (strstr(msg, "NEW_LEADER_GETTING_LAST_WORK") != NULL ||
	    strstr(msg, "reassigning") != NULL ||
	    strncmp(msg, "no longer leading", 17) == 0 ||
	    strncmp(msg, "last work collected", 19) == 0) {
		*kind = TUI_EV_WORK;
		return 0;
	}
	return -1;
}

int
tui_model_parse_event(const char *line, size_t len, struct tui_event *ev)
{
	char buf[512], *p, *end;
	long id;

	/* YYYY-mm-dd HH:MM:SS.mmm ROLE [ID]: message */
	if (len < 30 || len >= sizeof buf || line[4] != '-' ||
	    line[10] != ' ' || line[19] != '.' || line[23] != ' ')
		return -1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if ((p = strstr(buf + 24, " [")) == NULL)
		return -1;
	id = strtol(p + 2, &end, 10);
	if (end == p + 2 || strncmp(end, "]: ", 3) != 0)
		return -1;
	if (tui_model_classify(end + 3, &ev->kind) == -1)
		return -1;
	memcpy(ev->when, buf, 23);
	ev->when[23] = '\0';
	ev->node = (int)id;
	snprintf(ev->text, sizeof ev->text, "%s", end + 3);
	return 0;
}

/* Insert ev keeping the timeline sorted by time (stable). */
static void
tui_model_add_event(struct tui_model *m, const struct tui_event *ev)
{
	int i;

	if (m->nevents == TUI_MAX_EVENTS) {
		if (strcmp(ev->when, m->events[0].when) < 0)
			return; /* older than all we keep */
		memmove(&m->events[0], &m->events[1],
		    (TUI_MAX_EVENTS - 1) * sizeof m->events[0]);
		m->nevents--;
	}
	for (i = m->nevents; i > 0; i--) {
		if (strcmp(m->events[i - 1].when, ev->when) <= 0)
			break;
	}
	memmove(&m->events[i + 1], &m->events[i],
	    (size_t)(m->nevents - i) * sizeof m->events[0]);
	m->events[i] = *ev;
	m->nevents++;
}

/*
 * Split carry + data into lines; call fn for each whole line and keep an
 * unfinished last line in carry.
 */
static void
tui_model_lines(struct buf *carry, const char *data, size_t len,
    void (*fn)(void *, const char *, size_t), void *arg)
{
	const char *p, *nl;
	size_t n;

	buf_add(carry, data, len);
	p = (const char *)buf_data(carry);
	n = buf_len(carry);
	while ((nl = memchr(p, '\n', n)) != NULL) {
		fn(arg, p, (size_t)(nl - p));
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	buf_consume(carry, buf_len(carry) - n);
	if (buf_len(carry) > 8192)
		buf_reset(carry); /* no line is that long: drop it */
}

static void
tui_model_summary_line(void *arg, const char *line, size_t len)
{
	struct tui_event ev;

	if (tui_model_parse_event(line, len, &ev) == 0)
		tui_model_add_event(arg, &ev);
}

void
tui_model_summary(
    struct tui_model *m, int i, const char *data, size_t len, uint64_t off)
{
	struct tui_node *n = &m->nodes[i];

	if (off < n->sum_off) {
		/* The file was truncated or replaced: start over. */
		buf_reset(&n->carry);
	}
	tui_model_lines(&n->carry, data, len, tui_model_summary_line, m);
	n->sum_off = off;
	n->unreachable = 0;
}

/* The value of the first sample of metric (any labels), summed. */
static int
tui_model_metric(const char *text, const char *name, double *sum)
{
	const char *p = text, *q;
	size_t len = strlen(name);
	int found = 0;

	*sum = 0;
	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, len) == 0 &&
		    (p[len] == ' ' || p[len] == '{')) {
			q = p + len;
			if (*q == '{' && (q = strchr(q, '}')) != NULL)
				q++;
			if (q != NULL) {
				*sum += strtod(q, NULL);
				found = 1;
			}
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return found;
}

void
tui_model_metrics(struct tui_model *m, int i, const char *text, int64_t now)
{
	struct tui_node *n = &m->nodes[i];
	double done, run, lead, pend, v;
	uint64_t total = 0;
	int j, any;

	any = tui_model_metric(text, "jdp_work_jobs_done_total", &done);
	any |= tui_model_metric(text, "jdp_work_follower_running", &run);
	any |= tui_model_metric(text, "jdp_work_leader_jobs", &lead);
	any |= tui_model_metric(text, "jdp_gateway_pending", &pend);
	if (tui_model_metric(text, "jdp_gateway_answered_total", &v))
		done += v;
	n->jobs_known = any;
	n->jobs_done = (uint64_t)done;
	n->in_flight = (int)(run + lead + pend);
	/* Jobs per second: followers' completions, over at least 1 s. */
	for (j = 0; j < m->nnodes; j++) {
		if (m->nodes[j].jobs_known &&
		    strcmp(m->nodes[j].v.role, "OBSERVING") != 0)
			total += m->nodes[j].jobs_done;
	}
	if (m->rate_at == 0) {
		m->rate_at = now;
		m->rate_done = total;
	} else if (now - m->rate_at >= 1000) {
		m->jobs_rate = total >= m->rate_done
		    ? (double)(total - m->rate_done) * 1000.0 /
			(double)(now - m->rate_at)
		    : 0;
		m->rate_at = now;
		m->rate_done = total;
	}
}

void
tui_model_log_open(struct tui_model *m, int id, int verbose)
{
	int i;

	for (i = 0; i < m->log_n; i++)
		free(m->log_lines[(m->log_first + i) % TUI_LOG_LINES]);
	m->log_n = m->log_first = 0;
	m->log_node = id;
	m->log_verbose = verbose;
	m->log_off = 0;
	m->log_scroll = 0;
	buf_reset(&m->log_carry);
}

static void
tui_model_log_line_add(void *arg, const char *line, size_t len)
{
	struct tui_model *m = arg;
	int slot;

	if (m->log_n == TUI_LOG_LINES) {
		free(m->log_lines[m->log_first]);
		slot = m->log_first;
		m->log_first = (m->log_first + 1) % TUI_LOG_LINES;
	} else
		slot = (m->log_first + m->log_n++) % TUI_LOG_LINES;
	m->log_lines[slot] = xstrndup(line, len);
}

void
tui_model_log_data(
    struct tui_model *m, const char *data, size_t len, uint64_t off)
{
	tui_model_lines(&m->log_carry, data, len, tui_model_log_line_add, m);
	m->log_off = off;
}

const char *
tui_model_log_line(const struct tui_model *m, int i)
{
	if (i < 0 || i >= m->log_n)
		return NULL;
	return m->log_lines[(m->log_first + i) % TUI_LOG_LINES];
}

unsigned
tui_model_job_add(struct tui_model *m, const char *file, int64_t now)
{
	struct tui_job *j;
	const char *base = strrchr(file, '/');

	if (m->njobs < TUI_MAX_JOBS)
		m->njobs++;
	memmove(&m->jobs[1], &m->jobs[0],
	    (size_t)(m->njobs - 1) * sizeof m->jobs[0]);
	j = &m->jobs[0];
	memset(j, 0, sizeof *j);
	snprintf(j->file, sizeof j->file, "%s", base != NULL ? base + 1 : file);
	snprintf(j->status, sizeof j->status, "running");
	j->node = -1;
	j->latency_ms = -1;
	j->started = now;
	j->seq = ++m->job_seq;
	return j->seq;
}

struct tui_job *
tui_model_job_find(struct tui_model *m, unsigned seq)
{
	int i;

	for (i = 0; i < m->njobs; i++) {
		if (m->jobs[i].seq == seq && !m->jobs[i].done)
			return &m->jobs[i];
	}
	return NULL;
}

int
tui_model_match(const struct tui_model *m, const char *text)
{
	return m->filter[0] == '\0' || strcasestr(text, m->filter) != NULL;
}
