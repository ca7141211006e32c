/*
 * conf-node.c: the `node ID ROLE HOST:PORT [http PORT]` lines of
 * jdp.conf(5): the address is resolved (IPv4 only; tests replace the
 * resolver), and no two nodes may claim the same UDP port, TCP ports or
 * public HTTP port on one address.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf-int.h"
#include "xmalloc.h"

static int conf_node_resolve_default(
    const char *, struct in_addr *, const char **);

static conf_resolve_cb conf_resolver = conf_node_resolve_default;

void
conf_set_resolver(conf_resolve_cb cb)
{
	conf_resolver = cb != NULL ? cb : conf_node_resolve_default;
}

/* Resolve a host name with getaddrinfo, IPv4 only. */
static int
conf_node_resolve_default(
    const char *host, struct in_addr *addr, const char **problem)
{
	struct addrinfo hints, *res;
	int error;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	if ((error = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		*problem = gai_strerror(error);
		return -1;
	}
	if (res == NULL || res->ai_family != AF_INET ||
	    res->ai_addrlen < sizeof(struct sockaddr_in)) {
		if (res != NULL)
			freeaddrinfo(res);
		*problem = "no IPv4 address";
		return -1;
	}
	memcpy(addr, &((struct sockaddr_in *)res->ai_addr)->sin_addr,
	    sizeof *addr);
	freeaddrinfo(res);
	return 0;
}

/* Fill in a node's address from HOST: numeric IPv4 or a name. */
static int
conf_node_resolve(struct conf_parser *p, struct conf_node *n)
{
	const char *problem, *s;
	struct in_addr in;

	memset(&n->addr, 0, sizeof n->addr);
	n->addr.sin_family = AF_INET;
	n->addr.sin_port = htons(n->port);
	if (inet_pton(AF_INET, n->host, &in) != 1) {
		/* All digits and dots but not an address: say so. */
		for (s = n->host; *s != '\0'; s++) {
			if ((*s < '0' || *s > '9') && *s != '.')
				break;
		}
		if (*s == '\0') {
			conf_error(p, "bad IPv4 address \"%s\"", n->host);
			return -1;
		}
		if (conf_resolver(n->host, &in, &problem) != 0) {
			conf_error(
			    p, "cannot resolve \"%s\": %s", n->host, problem);
			return -1;
		}
	}
	if (in.s_addr == htonl(INADDR_ANY)) {
		conf_error(p, "%s is not a node address", n->host);
		return -1;
	}
	n->addr.sin_addr = in;
	return 0;
}

/* A port range a node claims on its address, for overlap messages. */
struct conf_node_claim {
	unsigned lo, hi;
};

static int
conf_node_claims(const struct conf_node *n, struct conf_node_claim c[2])
{
	c[0].lo = n->port;
	c[0].hi = (unsigned)n->port + CONF_HTTP_OFFSET;
	if (n->http_port == 0)
		return 1;
	c[1].lo = c[1].hi = n->http_port;
	return 2;
}

static void
conf_node_claim_str(
    char *buf, size_t len, const struct conf_node_claim *c, int i)
{
	if (i == 0)
		snprintf(buf, len, "ports %u..%u", c->lo, c->hi);
	else
		snprintf(buf, len, "http port %u", c->lo);
}

/* Check a new node against the ones before it and against itself. */
static int
conf_node_check(struct conf_parser *p, const struct conf_node *n)
{
	const struct conf *conf = p->conf;
	const struct conf_node *o;
	struct conf_node_claim nc[2], oc[2];
	char addr[INET_ADDRSTRLEN], a[64], b[64];
	int i, j, k, nn, on;

	nn = conf_node_claims(n, nc);
	if (nn == 2 && nc[1].lo >= nc[0].lo && nc[1].lo <= nc[0].hi) {
		conf_node_claim_str(a, sizeof a, &nc[0], 0);
		conf_error(p, "http port %u overlaps the node's own %s",
		    n->http_port, a);
		return -1;
	}
	for (k = 0; k < conf->nnodes; k++) {
		o = &conf->nodes[k];
		if (o->id == n->id) {
			conf_error(p, "duplicate id %d (first on line %d)",
			    n->id, o->line);
			return -1;
		}
		if (o->addr.sin_addr.s_addr != n->addr.sin_addr.s_addr)
			continue;
		if (o->port == n->port) {
			inet_ntop(
			    AF_INET, &n->addr.sin_addr, addr, sizeof addr);
			conf_error(p,
			    "address %s:%u is already used by node %d", addr,
			    n->port, o->id);
			return -1;
		}
		on = conf_node_claims(o, oc);
		for (i = 0; i < nn; i++) {
			for (j = 0; j < on; j++) {
				if (nc[i].hi < oc[j].lo || nc[i].lo > oc[j].hi)
					continue;
				conf_node_claim_str(a, sizeof a, &nc[i], i);
				conf_node_claim_str(b, sizeof b, &oc[j], j);
				conf_error(p, "%s overlap%s %s of node %d", a,
				    i == 0 ? "" : "s", b, o->id);
				return -1;
			}
		}
	}
	return 0;
}

/* Parse a port number 1..max. */
static int
conf_node_port(struct conf_parser *p, const char *what, const char *s,
    unsigned max, uint16_t *out)
{
	const char *problem;
	uint64_t v;

	if (conf_value_uint(s, max, &v, &problem) != 0) {
		if (strcmp(problem, "not a number") == 0)
			conf_error(p, "bad %s \"%s\"", what, s);
		else
			conf_error(p, "%s out of range (1..%u)", what, max);
		return -1;
	}
	if (v == 0) {
		conf_error(p, "%s out of range (1..%u)", what, max);
		return -1;
	}
	*out = (uint16_t)v;
	return 0;
}

/* node ID ROLE HOST:PORT [http PORT] */
int
conf_node_parse(struct conf_parser *p, int argc, char **argv)
{
	struct conf *conf = p->conf;
	struct conf_node n;
	const char *problem;
	char *colon;
	uint64_t id;

	memset(&n, 0, sizeof n);
	n.line = p->line;
	if (argc < 3) {
		conf_error(p,
		    "missing arguments (node ID ROLE HOST:PORT "
		    "[http PORT])");
		return -1;
	}
	if (argc > 5) {
		conf_error(p, "too many arguments");
		return -1;
	}
	if (conf_value_uint(argv[0], CONF_MAX_ID, &id, &problem) != 0) {
		if (strcmp(problem, "not a number") == 0)
			conf_error(p, "bad id \"%s\"", argv[0]);
		else
			conf_error(p, "id out of range (0..%d)", CONF_MAX_ID);
		return -1;
	}
	n.id = (int)id;

	if (strcmp(argv[1], "gateway") == 0)
		n.role = CONF_GATEWAY;
	else if (strcmp(argv[1], "peer") == 0)
		n.role = CONF_PEER;
	else {
		conf_error(p, "unknown role \"%s\" (gateway or peer)", argv[1]);
		return -1;
	}

	if ((colon = strrchr(argv[2], ':')) == NULL) {
		conf_error(p, "missing port in \"%s\" (HOST:PORT)", argv[2]);
		return -1;
	}
	*colon = '\0';
	if (*argv[2] == '\0') {
		conf_error(p, "missing host before \":%s\"", colon + 1);
		return -1;
	}
	if (strlen(argv[2]) >= sizeof n.host) {
		conf_error(p, "host name too long (more than %zu bytes)",
		    sizeof n.host - 1);
		return -1;
	}
	memcpy(n.host, argv[2], strlen(argv[2]) + 1);
	if (conf_node_port(p, "port", colon + 1, CONF_MAX_PORT, &n.port) != 0)
		return -1;

	if (argc > 3) {
		if (strcmp(argv[3], "http") != 0) {
			conf_error(p, "unexpected \"%s\" (expected http PORT)",
			    argv[3]);
			return -1;
		}
		if (argc == 4) {
			conf_error(p, "missing http port");
			return -1;
		}
		if (n.role != CONF_GATEWAY) {
			conf_error(p, "http port is only for a gateway");
			return -1;
		}
		if (conf_node_port(
			p, "http port", argv[4], 65535, &n.http_port) != 0)
			return -1;
	} else if (n.role == CONF_GATEWAY)
		n.http_port = CONF_DEFAULT_HTTP_PORT;

	if (conf->nnodes >= CONF_MAX_NODES) {
		conf_error(p, "too many nodes (at most %d)", CONF_MAX_NODES);
		return -1;
	}
	if (conf_node_resolve(p, &n) != 0 || conf_node_check(p, &n) != 0)
		return -1;

	conf->nodes = xreallocarray(
	    conf->nodes, (size_t)conf->nnodes + 1, sizeof *conf->nodes);
	conf->nodes[conf->nnodes++] = n;
	return 0;
}
