/*
 * view.h: a cluster view as the console sees it, parsed from a node's
 * GET /cluster-info?format=json answer (or only the membership, from a
 * jdp.conf). Used by jdpctl status, jdpctl logs and the TUI.
 */
#ifndef JDP_VIEW_H
#define JDP_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct view_node {
	int id;
	char role[12]; /* LEADING FOLLOWING OBSERVING LOOKING FAILED or ? */
	char address[64]; /* HOST:PORT (UDP port; node HTTP is +3) */
	int alive;
	int known; /* heartbeat, last_heard_ms and incarnation are valid */
	uint64_t heartbeat;
	int64_t last_heard_ms;
	uint64_t incarnation;
};

struct view {
	int self; /* the node that answered, -1 if unknown */
	int leader; /* -1: none known */
	uint64_t epoch;
	int nnodes;
	struct view_node nodes[CONF_MAX_NODES];
};

/*
 * Parse a /cluster-info JSON answer into v. Returns 0, or -1 with *err
 * set (static) when the text is not such an answer.
 */
int view_parse(const char *, size_t, struct view *, const char **);
/* Fill v with the membership of conf: ids and addresses, role "?". */
void view_from_conf(struct view *, const struct conf *);
/* Load DIR/jdp.conf into v; 0, or -1 if there is no valid one. */
int view_from_dir(struct view *, const char *);
/* The node with id, or NULL. */
const struct view_node *view_find(const struct view *, int);
/* Counts of nodes alive and failed (never-heard nodes count as failed). */
void view_counts(const struct view *, int *, int *);
/* "LEADING" for "LEADER" and so on; "FAILED" when not alive. */
const char *view_role_name(const char *, int);

#endif
