/*
 * node.h: one jdp node process: its sockets, its HTTP ports, the cluster
 * protocol and, on peers, the job runner, all on one event loop.
 */
#ifndef JDP_NODE_H
#define JDP_NODE_H

struct conf;
struct node;

/*
 * Set up node id of conf: open its logs, bind its UDP, TCP and HTTP ports.
 * Returns NULL with *cause set (caller frees) on any failure.
 */
struct node *node_new(const struct conf *, int, char **);
/* Run until SIGTERM or SIGINT; returns the exit status. */
int node_run(struct node *);
/* Close everything. */
void node_free(struct node *);

#endif
