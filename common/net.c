/* net.c: IPv4 socket helpers. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "xmalloc.h"

int
net_resolve(const char *host, uint16_t port, struct sockaddr_in *sin)
{
	struct addrinfo hints, *res;

	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
		return 0;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	sin->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

int
net_set_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

static int
net_bind(int type, const struct sockaddr_in *sin, char **cause)
{
	int fd, on = 1;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (bind(fd, (const struct sockaddr *)sin, sizeof *sin) == -1) {
		xasprintf(cause, "%s %s: %s%s",
		    type == SOCK_STREAM ? "TCP" : "UDP", net_addr_str(sin),
		    strerror(errno),
		    errno == EADDRINUSE ? " (is another jdpd running?)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

int
net_udp_bind(const struct sockaddr_in *sin, char **cause)
{
	return net_bind(SOCK_DGRAM, sin, cause);
}

int
net_tcp_bind(const struct sockaddr_in *sin, char **cause)
{
	return net_bind(SOCK_STREAM, sin, cause);
}

int
net_tcp_listen(const struct sockaddr_in *sin, int backlog, char **cause)
{
	int fd;

	if ((fd = net_tcp_bind(sin, cause)) == -1)
		return -1;
	if (listen(fd, backlog) == -1) {
		xasprintf(
		    cause, "listen %s: %s", net_addr_str(sin), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
net_tcp_connect(const struct sockaddr_in *sin)
{
	int fd, on = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if (connect(fd, (const struct sockaddr *)sin, sizeof *sin) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

const char *
net_addr_str(const struct sockaddr_in *sin)
{
	static char s[INET_ADDRSTRLEN + 8];
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
	snprintf(s, sizeof s, "%s:%u", a, ntohs(sin->sin_port));
	return s;
}

struct sockaddr_in
net_addr_offset(const struct sockaddr_in *sin, int delta)
{
	struct sockaddr_in r = *sin;

	r.sin_port = htons((uint16_t)(ntohs(sin->sin_port) + delta));
	return r;
}
