/*
 * gateway.h: the gateway's public HTTP API (docs/WORK.md): POST
 * /compileandrun (the classic contract) and POST /v1/run (JSON), with the
 * node API (/cluster-info, /logs/..., /metrics, /health) passed to a
 * fallback handler. Requests get a gateway-assigned id, are held while no
 * leader is known, sent to the leader on a work link, resent with the same
 * id to a new leader, and answered from a result cache when they can be.
 */
#ifndef JDP_GATEWAY_H
#define JDP_GATEWAY_H

#include <stdint.h>

#include "buf.h"
#include "httpd.h"
#include "work.h"

struct cluster;
struct cluster_event;
struct conf;
struct ev;
struct gateway;

/*
 * Listen on the public HTTP port of gateway node self (its `http PORT`).
 * Paths other than the job endpoints go to fallback(…, fallback_arg).
 * Only hooks->epoch and hooks->arg are used. Returns NULL with *cause set
 * (caller frees). Caller frees with gateway_free.
 */
struct gateway *gateway_new(struct ev *, const struct conf *, int, uint64_t,
    const uint8_t *, const struct work_hooks *, httpd_handler, void *, char **);
/* The same for a real node, with the cluster's view and incarnation. */
struct gateway *gateway_new_node(struct ev *, const struct conf *, int,
    const uint8_t *, struct cluster *, httpd_handler, void *, char **);
/* A cluster_listener that tells the gateway about leader changes. */
void gateway_cluster_event(const struct cluster_event *, void *);
/* Answer every open request with 503, close the port and the link. */
void gateway_free(struct gateway *);
/*
 * The cluster's leader is now leader (-1: none) in epoch: replies from the
 * old one are ignored from now on, the cache is cleared, and requests in
 * flight are resent to the new leader with the same ids.
 */
void gateway_leader_changed(struct gateway *, int, uint64_t);
/* Requests waiting or in flight. */
int gateway_pending(const struct gateway *);
/* Prometheus lines (jdp_gateway_*, jdp_cache_*, jdp_public_http_*). */
void gateway_write_metrics(const struct gateway *, struct buf *);

#endif
