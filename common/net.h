/* net.h: socket helpers (IPv4; everything non-blocking, close-on-exec). */
#ifndef JDP_NET_H
#define JDP_NET_H

#include <stdint.h>
#include <netinet/in.h>

/* Resolve "host" (numeric or name) with port into addr; 0 or -1. */
int net_resolve(const char *, uint16_t, struct sockaddr_in *);
/* Bound UDP socket; -1 with *cause set ("127.0.0.1:8010: ...", caller frees). */
int net_udp_bind(const struct sockaddr_in *, char **);
/*
 * Bound TCP socket (SO_REUSEADDR), not listening yet: connections are
 * refused until listen(2). -1 with *cause set.
 */
int net_tcp_bind(const struct sockaddr_in *, char **);
/* Listening TCP socket (SO_REUSEADDR); -1 with *cause set. */
int net_tcp_listen(const struct sockaddr_in *, int, char **);
/* Start a non-blocking connect; the fd, or -1 with errno set. */
int net_tcp_connect(const struct sockaddr_in *);
/* Make an fd non-blocking and close-on-exec; 0 or -1. */
int net_set_nonblock(int);
/* "a.b.c.d:port" into a static buffer. */
const char *net_addr_str(const struct sockaddr_in *);
/* addr with its port moved by delta. */
struct sockaddr_in net_addr_offset(const struct sockaddr_in *, int);

#endif
