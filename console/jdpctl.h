/* jdpctl.h: the console's command table and what the commands share. */
#ifndef JDP_JDPCTL_H
#define JDP_JDPCTL_H

#include <stdint.h>

#include "buf.h"

struct view;

/* Exit codes, documented in jdpctl(1). */
#define JDPCTL_OK 0
#define JDPCTL_JOB_ERROR 1 /* the job failed (submit) */
#define JDPCTL_USAGE 2 /* bad command line or local problem */
#define JDPCTL_UNREACHABLE 3 /* no answer from the cluster */

struct jdpctl_cmd {
	const char *name;
	const char *usage; /* arguments after the name */
	const char *help; /* one line */
	int (*exec)(int, char **); /* argv[0] is the name */
};

extern const struct jdpctl_cmd cmd_cluster;
extern const struct jdpctl_cmd cmd_kill;
extern const struct jdpctl_cmd cmd_restart;
extern const struct jdpctl_cmd cmd_submit;
extern const struct jdpctl_cmd cmd_status;
extern const struct jdpctl_cmd cmd_logs;
extern const struct jdpctl_cmd cmd_top;

/* Print "jdpctl: message" on stderr. */
void jdpctl_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Gateway URL: -g, else $JDP_GATEWAY, else http://127.0.0.1:8888. */
const char *jdpctl_gateway(const char *);
/* Cluster directory: -d, else $JDP_DIR, else the user's state dir. */
const char *jdpctl_dir(const char *);
/* Directory holding the running jdpctl binary (for jdpd and the jar). */
const char *jdpctl_bindir(void);
/* Milliseconds on the monotonic clock. */
int64_t jdpctl_now_ms(void);
/*
 * Fetch and parse gateway/cluster-info?format=json into v (body gets the
 * JSON). Returns JDPCTL_OK, or an exit code after printing why (unless
 * quiet).
 */
int cmd_status_fetch(const char *, struct buf *, struct view *, int);

#endif
