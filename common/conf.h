/*
 * conf.h: jdp.conf(5), the cluster configuration every node reads.
 *
 * One directive per line, '#' starts a comment. Membership is static:
 *
 *	node ID ROLE HOST:PORT [http PORT]
 *
 * ROLE is "gateway" (an observer that serves the public HTTP port) or
 * "peer" (a voter that can lead or follow). A node's UDP port is PORT, its
 * TCP (work) port PORT+2 and its node HTTP port PORT+3. Durations take ms
 * or s suffixes, sizes K, M or G. `timing fast|course` sets the four
 * protocol timers; explicit timer directives win wherever they appear.
 */
#ifndef JDP_CONF_H
#define JDP_CONF_H

#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#define CONF_MAX_NODES 64
#define CONF_MAX_ID 65535

#define CONF_TCP_OFFSET 2
#define CONF_HTTP_OFFSET 3
#define CONF_MAX_PORT (65535 - CONF_HTTP_OFFSET)
#define CONF_DEFAULT_HTTP_PORT 8888 /* a gateway's public HTTP port */

#define CONF_MAX_LINE 8192 /* bytes; a longer line is an error */
#define CONF_MAX_FILE (1024 * 1024) /* bytes, for conf_load */

enum conf_role { CONF_GATEWAY, CONF_PEER };

enum conf_timing { CONF_TIMING_FAST, CONF_TIMING_COURSE };

/* Where jobs run (docs/RUNNER.md): a fresh sandboxed JVM each, or trusted
 * in the warm compile server. */
enum conf_job_mode { CONF_JOB_SANDBOX, CONF_JOB_TRUSTED };

struct conf_node {
	int id;
	enum conf_role role;
	char host[256]; /* as written */
	struct sockaddr_in addr; /* resolved, port = UDP port */
	uint16_t port; /* UDP; TCP = +2, node HTTP = +3 */
	uint16_t http_port; /* public HTTP port, 0 if none */
	int line; /* where it was declared */
};

struct conf {
	char *path; /* file name used in messages */

	struct conf_node *nodes; /* sorted by id */
	int nnodes;

	char *key_file;
	enum conf_timing timing;

	/* Protocol timers, milliseconds. */
	int64_t gossip_interval;
	int64_t failure_timeout;
	int64_t cleanup_timeout;
	int64_t election_finalize;

	/* Jobs. */
	int64_t job_timeout; /* ms */
	uint64_t job_memory; /* bytes */
	uint64_t job_output_max; /* bytes */
	char *java; /* java binary */
	char *runner_jar; /* jdp-runner.jar */
	int run_pool; /* pre-started run JVMs */
	int allow_unsandboxed; /* run without bwrap */
	enum conf_job_mode job_mode;

	/* Gateway. */
	uint64_t cache_size; /* bytes */
	uint64_t max_body; /* bytes */
	int max_files; /* files one /v1/run job may have */
	int64_t request_wait; /* ms to hold without a leader */
	int queue_max; /* requests waiting or running */
	uint64_t inflight_max; /* bytes of requests and results held */
	int64_t client_timeout; /* ms idle before close */
	char *api_token_file; /* bearer token for jobs; NULL: none needed */

	/* State kept across restarts (the election's accepted pair). */
	char *state_dir;

	/* Logs. */
	char *log_dir;
	int log_level; /* enum log_level (log.h) */
	uint64_t log_max_size; /* rotate a log file past this; 0: never */
};

/*
 * Parse the file at path. Returns 0 and a new config in *out (caller frees
 * with conf_free), or -1 with *cause set to "path:LINE: directive: problem"
 * (caller frees).
 */
int conf_load(const char *, struct conf **, char **);
/* The same for text already in memory; name is used in messages. */
int conf_parse(const char *, const char *, struct conf **, char **);
/* Free a config. */
void conf_free(struct conf *);
/* Print the effective configuration, every directive, as jdp.conf text. */
void conf_print(const struct conf *, FILE *);
/* The node with this id, or NULL. */
const struct conf_node *conf_find_node(const struct conf *, int);
/* Number of voting nodes (peers). */
int conf_nvoters(const struct conf *);
/* Name of a role as written in jdp.conf ("gateway", "peer"). */
const char *conf_role_name(enum conf_role);
/* Name of a job mode as written in jdp.conf ("sandbox", "trusted"). */
const char *conf_job_mode_name(enum conf_job_mode);

/*
 * Parse a duration ("200ms", "2s") into milliseconds or a size ("64M")
 * into bytes. Return 0, or -1 with *problem set to a static string.
 */
int conf_parse_duration(const char *, int64_t *, const char **);
int conf_parse_size(const char *, uint64_t *, const char **);

/*
 * Resolve a node's HOST (not numeric IPv4) to an address. Return 0, or -1
 * with *problem set to a static string.
 */
typedef int (*conf_resolve_cb)(const char *, struct in_addr *, const char **);
/* Replace name resolution (tests, simulator); NULL restores getaddrinfo. */
void conf_set_resolver(conf_resolve_cb);

#endif
