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

struct conf;
struct ev;
struct gateway;

/*
 * Listen on the public HTTP port of gateway node self (its `http PORT`),
 * sending frames with the cluster key in incarnation. Paths other than
 * the job endpoints go to fallback(…, fallback_arg). No leader is known
 * until gateway_leader_changed. Returns NULL with *cause set (caller
 * frees). Caller frees with gateway_free.
 */
struct gateway *gateway_new(struct ev *, const struct conf *, int, uint64_t,
    const uint8_t *, httpd_handler, void *, char **);
/* Answer every open request with 503, close the port and the link. */
void gateway_free(struct gateway *);
/*
 * The cluster's leader is now leader (-1: none) in epoch, told on every
 * change of either; frames carry the epoch. A new leader or term: replies
 * from the old one are ignored from now on, the cache is cleared, and
 * requests in flight are resent to the new leader with the same ids.
 */
void gateway_leader_changed(struct gateway *, int, uint64_t);
/* Requests waiting or in flight. */
int gateway_pending(const struct gateway *);
/* Prometheus lines (jdp_gateway_*, jdp_cache_*, jdp_public_http_*). */
void gateway_write_metrics(const struct gateway *, struct buf *);

#endif
