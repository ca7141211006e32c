/*
 * link.h: a framed, authenticated TCP connection on the event loop. Frames
 * are wire.h frames; a frame that fails to decode closes the link (a
 * stream cannot resynchronise), and is counted by the owner through the
 * close reason.
 */
#ifndef JDP_LINK_H
#define JDP_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "wire.h"

struct ev;
struct link;

/* A frame arrived; msg->payload is valid during the call only. */
typedef void (*link_msg_cb)(struct link *, const struct wire_msg *, void *);
/*
 * The link closed: err is WIRE_OK for an orderly close or an I/O error,
 * else why the input was refused. The link is freed after the call.
 */
typedef void (*link_close_cb)(struct link *, enum wire_err, void *);

/* Connect to addr (non-blocking); frames may be sent at once. */
struct link *link_connect(struct ev *, const struct sockaddr_in *,
    const uint8_t *, link_msg_cb, link_close_cb, void *);
/* Wrap an accepted connection. */
struct link *link_accept(
    struct ev *, int, const uint8_t *, link_msg_cb, link_close_cb, void *);
/* Queue one frame. */
void link_send(struct link *, const struct wire_hdr *, const void *, size_t);
/* Close now; the close callback is not called. */
void link_free(struct link *);
/* Bytes queued and not yet written. */
size_t link_pending(const struct link *);
/*
 * The largest payload a frame may announce from now on (WIRE_MAX_PAYLOAD
 * unless set); a frame above it closes the link with WIRE_ERR_OVERSIZE as
 * soon as its header is in.
 */
void link_set_max(struct link *, size_t);
/* Change the callback argument. */
void link_set_arg(struct link *, void *);

#endif
