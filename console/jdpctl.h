/* jdpctl.h: the console's command table and shared helpers. */
#ifndef JDP_JDPCTL_H
#define JDP_JDPCTL_H

#include <stddef.h>
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
/*
 * GET url into body (appended). Returns the HTTP status, or -1 when the
 * server cannot be reached (*err names why, static).
 */
long jdpctl_http_get(const char *, struct buf *, const char **);
/* The same, storing the X-Log-Size header in *logsize (if not NULL). */
long jdpctl_http_get_log(const char *, struct buf *, uint64_t *, const char **);
/*
 * Fetch and parse gateway/cluster-info?format=json into v (body gets the
 * JSON). Returns JDPCTL_OK, or an exit code after printing why (unless
 * quiet).
 */
int status_fetch(const char *, struct buf *, struct view *, int);
/*
 * Request headers for a POST of ctype: Content-Type, no Expect, and the
 * bearer token from JDP_TOKEN if set. Caller frees (curl_slist_free_all).
 */
struct curl_slist *jdpctl_http_headers(const char *);
/*
 * POST len bytes of body with Content-Type ctype to url, waiting at most
 * timeout_ms; the answer is appended to out. Returns the HTTP status, or -1
 * (*err names why, static).
 */
long jdpctl_http_post(const char *, const char *, const void *, size_t, long,
    struct buf *, const char **);
/* libcurl header callback: stores an X-Log-Size header in *(uint64_t *)arg. */
size_t jdpctl_http_logsize(char *, size_t, size_t, void *);
/* libcurl write callback: appends to the struct buf arg. */
size_t jdpctl_http_write(char *, size_t, size_t, void *);
/* Base URL of a node's HTTP API from its "HOST:PORT" address. */
int jdpctl_node_url(const char *, char *, size_t);
/*
 * Read a whole file ("-": standard input) into b (NUL-terminated). 0, or -1
 * with errno set.
 */
int jdpctl_read_file(const char *, struct buf *);

#endif
