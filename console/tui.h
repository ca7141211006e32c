/*
 * tui.h: the interactive console (`jdpctl`, `jdpctl top`). The model
 * (tui-model.c: parsed cluster state, timeline, jobs, log viewer; no
 * curses, no curl) is kept apart from the poller (tui-poll.c: client.c's
 * multi requests), the drawing (tui-draw.c), the keys (tui-keys.c: one
 * key→action table) and the terminal and the loop (tui.c), which alone
 * reads the clock and passes it down; cmd-top.c reads the options.
 */
#ifndef JDP_TUI_H
#define JDP_TUI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "view.h"

#define TUI_MAX_EVENTS 500 /* timeline entries kept */
#define TUI_MAX_JOBS 32 /* job pane entries kept */
#define TUI_LOG_LINES 3000 /* log viewer lines kept */
#define TUI_MAX_CHILDREN 4 /* kill/restart commands running at once */

/* Timeline entry kinds (colours and the help legend). */
enum tui_ev_kind {
	TUI_EV_SWITCH, /* switching from [X] to [Y] */
	TUI_EV_ELECTION, /* to LOOKING: an election starts */
	TUI_EV_LEADER, /* leader is [N] in epoch [E] */
	TUI_EV_FAILED, /* SERVER FAILED */
	TUI_EV_REJOIN, /* joined, restarted, back */
	TUI_EV_NODE, /* started, stopped, removed */
	TUI_EV_WORK /* reassignments, last work */
};

struct tui_event {
	char when[24]; /* YYYY-mm-dd HH:MM:SS.mmm, sorts as text */
	int node;
	enum tui_ev_kind kind;
	char text[140];
};

struct tui_job {
	char file[48];
	char status[40]; /* "running", "ok", "compile_error", ... */
	int node; /* -1: not known */
	long latency_ms;
	int64_t started; /* ms, monotonic */
	char result[160]; /* first line of the result or error */
	unsigned seq; /* identifies the job while slots move */
	int done;
};

/* Per node: what the poller knows beyond the gateway's view. */
struct tui_node {
	struct view_node v;
	uint64_t sum_off; /* next ?since= for the summary log */
	struct buf carry; /* an unfinished last line */
	int jobs_known;
	uint64_t jobs_done;
	int in_flight;
	int unreachable; /* the last log poll failed */
};

struct tui_model {
	const char *gateway;
	const char *dir; /* local cluster directory, NULL if none */
	int readonly;

	int leader;
	uint64_t epoch;
	int have_view; /* a view arrived at least once */
	int gw_ok; /* the last gateway poll worked */
	char gw_err[160];
	int view_from; /* -1: gateway, else a node answered instead */
	int nnodes;
	struct tui_node nodes[CONF_MAX_NODES];

	double jobs_rate; /* jobs per second, all followers */
	uint64_t rate_done;
	int64_t rate_at;

	struct tui_event events[TUI_MAX_EVENTS];
	int nevents;

	struct tui_job jobs[TUI_MAX_JOBS]; /* jobs[0] is the newest */
	int njobs;
	unsigned job_seq;

	/* Log viewer. */
	int log_node; /* node id, -1: closed */
	int log_verbose;
	int log_follow;
	int log_scroll; /* lines up from the bottom */
	uint64_t log_off;
	struct buf log_carry;
	char *log_lines[TUI_LOG_LINES]; /* ring */
	int log_first, log_n;

	char filter[64];
};

/* The whole console state: model, UI state, poller. */
struct tui {
	struct tui_model m;
	struct tui_poll *poll;

	int selected; /* index into m.nodes */
	int timeline_scroll;
	int help;
	int refresh_ms;
	int colour;
	int quit;
	int dirty;

	/* Confirmation dialog: kill or restart the node confirm_id. */
	int confirm; /* 0 none, else the key ('k' or 'r') */
	int confirm_id;
	int confirm_ok; /* 1: the OK button has the focus */

	/* The filter prompt. */
	int prompting;
	char prompt[64];
	size_t prompt_len;

	char msg[200]; /* status line */
	int64_t msg_until;

	char *submit; /* the file the submit prompt asked for, not sent yet */
	int64_t submit_at; /* when s was pressed */

	struct {
		pid_t pid;
		int fd;
		struct buf out;
		char what[48];
	} child[TUI_MAX_CHILDREN];
};

/* tui-model.c */
/* Initialise the model (nodes from dir's jdp.conf when there is one). */
void tui_model_init(struct tui_model *, const char *, const char *);
/* Free what the model holds. */
void tui_model_done(struct tui_model *);
/* A view arrived (from the gateway if from == -1): merge it. */
void tui_model_view(struct tui_model *, const struct view *, int, int64_t);
/* The gateway did not answer (why, static or copied). */
void tui_model_gateway_down(struct tui_model *, const char *);
/* Summary log bytes from node index i arrived; next offset is off. */
void tui_model_summary(struct tui_model *, int, const char *, size_t, uint64_t);
/* Parse a timeline event from one log line; 0 if it is one, else -1. */
int tui_model_parse_event(const char *, size_t, struct tui_event *);
/* Metrics text from node index i: jobs done and in flight. */
void tui_model_metrics(struct tui_model *, int, const char *, int64_t);
/* Index of node id in m->nodes, or -1. */
int tui_model_find(const struct tui_model *, int);
/* Open the log viewer on node id (verbose or not), dropping old lines. */
void tui_model_log_open(struct tui_model *, int, int);
/* Log viewer bytes arrived; next offset is off. */
void tui_model_log_data(struct tui_model *, const char *, size_t, uint64_t);
/* Log viewer line i (0 = oldest kept). */
const char *tui_model_log_line(const struct tui_model *, int);
/* Add a running job to the top of the pane; returns its sequence number. */
unsigned tui_model_job_add(struct tui_model *, const char *, int64_t);
/* The running job with sequence number seq, or NULL. */
struct tui_job *tui_model_job_find(struct tui_model *, unsigned);
/* 1 if text matches the filter (case-insensitive substring). */
int tui_model_match(const struct tui_model *, const char *);

/* tui-poll.c */
/* A poller for model m. Caller frees (tui_poll_free). */
struct tui_poll *tui_poll_new(struct tui_model *);
/* Free p and the requests it has in flight. */
void tui_poll_free(struct tui_poll *);
/* Start this tick's requests (skipping those still in flight). */
void tui_poll_tick(struct tui_poll *, int64_t);
/* Restart the log viewer's polling now (new node or file). */
void tui_poll_log_now(struct tui_poll *);
/* Submit source (file name for the pane) as a job. -1 if not readable. */
int tui_poll_submit(struct tui_poll *, const char *, int64_t, char *, size_t);
/*
 * Run transfers; wait at most ms for them or for one of the extra fds
 * (fds, nfds) to become readable.
 */
void tui_poll_wait(struct tui_poll *, const int *, int, int);
/* Take in the answers that arrived by now. Returns 1 if the model changed. */
int tui_poll_collect(struct tui_poll *, int64_t);

/* tui-draw.c */
/* Set up colours (if the terminal has them and colour is wanted). */
void tui_draw_init(struct tui *);
/* Draw the whole screen. */
void tui_draw(struct tui *, int64_t);

/* tui-keys.c */
/* Handle one key pressed at now. */
void tui_keys_handle(struct tui *, int, int64_t);
/* Send the job the submit prompt asked for (if any); now is after it. */
void tui_keys_send(struct tui *, int64_t);
/* The bottom bar's entries, for tui_draw: label i or NULL past the end. */
int tui_keys_bar(const struct tui *, int, const char **, const char **);
/* The help lines: line i or NULL past the end. */
const char *tui_keys_help(const struct tui *, int, char *, size_t);

/* tui-run.c */
/* Run `jdpctl kill|restart ID -d DIR` ('k' or 'r') in the background. */
void tui_run_start(struct tui *, int64_t, int, int);
/* Collect finished kill/restart commands (status line); 1 if any. */
int tui_run_reap(struct tui *, int64_t);
/* Show a message on the status line for a few seconds. */
void tui_run_msg(struct tui *, int64_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* tui.c */
/*
 * Run the console on the terminal until q or a signal: gateway URL, local
 * cluster directory (NULL if none), read-only, refresh interval in ms,
 * colour. Returns the exit code.
 */
int tui_main(const char *, const char *, int, int, int);

#endif
