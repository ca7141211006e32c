/*
 * node-glue.h: how a node wires its work and gateway sides to the cluster
 * (a listener each: they keep what the cluster tells them) and the work
 * side to the job runner (its hooks). Private to node.c.
 */
#ifndef JDP_NODE_GLUE_H
#define JDP_NODE_GLUE_H

#include <stdint.h>

#include "httpd.h"

struct cluster;
struct conf;
struct ev;
struct gateway;
struct runner;
struct work;

/*
 * The work side of node self, told by cluster and running jobs on runner
 * (NULL: none, jobs are refused). Caller frees with work_free before the
 * cluster and the runner.
 */
struct work *node_glue_work(struct ev *, const struct conf *, int,
    const uint8_t *, struct cluster *, struct runner *);
/*
 * The gateway of node self, told by cluster; see gateway_new. Returns NULL
 * with *cause set (caller frees). Caller frees with gateway_free before the
 * cluster.
 */
struct gateway *node_glue_gateway(struct ev *, const struct conf *, int,
    const uint8_t *, struct cluster *, httpd_handler, void *, char **);

#endif
