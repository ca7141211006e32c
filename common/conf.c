/*
 * conf.c: the jdp.conf(5) parser.
 *
 * The text is read line by line from memory (conf_load reads the whole file
 * first, so NUL bytes and overlong lines are found, never truncated). Each
 * line is split into fields at spaces and tabs after cutting off a '#'
 * comment, and the first field is looked up in conf_directives[], which
 * drives parsing, duplicate detection, range checks and conf_print alike.
 * Whole-file checks (a key file, at least one peer, the timer relations)
 * run at the end, after the `timing` preset has filled the timers that were
 * not given explicitly.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "xmalloc.h"

#define CONF_MAX_FIELDS 8

enum conf_type {
	CONF_T_NODE,
	CONF_T_PATH,
	CONF_T_TIMING,
	CONF_T_DURATION,
	CONF_T_SIZE,
	CONF_T_INT,
	CONF_T_BOOL,
	CONF_T_LOGLEVEL,
	CONF_T_JOBMODE
};

/* One directive: how to parse, check and print it. */
struct conf_directive {
	const char *name;
	enum conf_type type;
	size_t off; /* field in struct conf */
	int64_t min;
	int64_t max;
};

#define CONF_OFF(f) offsetof(struct conf, f)
#define CONF_SEC 1000
#define CONF_KIB ((int64_t)1024)
#define CONF_MIB (CONF_KIB * 1024)
#define CONF_GIB (CONF_MIB * 1024)

/* In the order conf_print writes them. */
static const struct conf_directive conf_directives[] = {
    {"node", CONF_T_NODE, 0, 0, 0},
    {"cluster-key-file", CONF_T_PATH, CONF_OFF(key_file), 0, 0},
    {"timing", CONF_T_TIMING, CONF_OFF(timing), 0, 0},
    {"gossip-interval", CONF_T_DURATION, CONF_OFF(gossip_interval), 10,
	60 * CONF_SEC},
    {"failure-timeout", CONF_T_DURATION, CONF_OFF(failure_timeout), 30,
	3600 * CONF_SEC},
    {"cleanup-timeout", CONF_T_DURATION, CONF_OFF(cleanup_timeout), 30,
	86400 * CONF_SEC},
    {"election-finalize", CONF_T_DURATION, CONF_OFF(election_finalize), 10,
	60 * CONF_SEC},
    {"job-timeout", CONF_T_DURATION, CONF_OFF(job_timeout), 100,
	86400 * CONF_SEC},
    {"job-memory", CONF_T_SIZE, CONF_OFF(job_memory), 16 * CONF_MIB,
	1024 * CONF_GIB},
    {"job-output-max", CONF_T_SIZE, CONF_OFF(job_output_max), CONF_KIB,
	CONF_GIB},
    {"java", CONF_T_PATH, CONF_OFF(java), 0, 0},
    {"runner-jar", CONF_T_PATH, CONF_OFF(runner_jar), 0, 0},
    {"run-pool", CONF_T_INT, CONF_OFF(run_pool), 0, 64},
    {"allow-unsandboxed", CONF_T_BOOL, CONF_OFF(allow_unsandboxed), 0, 1},
    {"job-mode", CONF_T_JOBMODE, CONF_OFF(job_mode), 0, 0},
    {"cache-size", CONF_T_SIZE, CONF_OFF(cache_size), 0, 1024 * CONF_GIB},
    {"max-body", CONF_T_SIZE, CONF_OFF(max_body), CONF_KIB, CONF_GIB},
    {"request-wait", CONF_T_DURATION, CONF_OFF(request_wait), 0,
	3600 * CONF_SEC},
    {"queue-max", CONF_T_INT, CONF_OFF(queue_max), 1, 1048576},
    {"client-timeout", CONF_T_DURATION, CONF_OFF(client_timeout), CONF_SEC,
	3600 * CONF_SEC},
    {"api-token-file", CONF_T_PATH, CONF_OFF(api_token_file), 0, 0},
    {"log-dir", CONF_T_PATH, CONF_OFF(log_dir), 0, 0},
    {"log-level", CONF_T_LOGLEVEL, CONF_OFF(log_level), 0, 0},
    {"log-max-size", CONF_T_SIZE, CONF_OFF(log_max_size), 0, 1024 * CONF_GIB},
};
#define CONF_NDIRECTIVES (sizeof conf_directives / sizeof conf_directives[0])

/* The four protocol timers of each `timing` preset, milliseconds. */
static const struct conf_timing_preset {
	const char *name;
	int64_t gossip_interval;
	int64_t failure_timeout;
	int64_t cleanup_timeout;
	int64_t election_finalize;
} conf_timing_presets[] = {
    [CONF_TIMING_FAST] = {"fast", 200, 2000, 4000, 200},
    [CONF_TIMING_COURSE] = {"course", 3000, 30000, 60000, 3200},
};

static const char *const conf_job_modes[] = {
    [CONF_JOB_SANDBOX] = "sandbox",
    [CONF_JOB_TRUSTED] = "trusted",
};

static const char *conf_log_levels[] = {
    [LOGLVL_ERROR] = "error",
    [LOGLVL_WARN] = "warn",
    [LOGLVL_INFO] = "info",
    [LOGLVL_DEBUG] = "debug",
};

/* Parser state for one text. */
struct conf_parser {
	const char *name;
	struct conf *conf;
	int line;
	const char *directive; /* current one, for messages */
	int seen[CONF_NDIRECTIVES]; /* line of first use, 0 if unused */
	char *cause;
};

static int conf_resolve_default(const char *, struct in_addr *, const char **);

static conf_resolve_cb conf_resolver = conf_resolve_default;

/* Set p->cause to "name:line: directive: message" (first error wins). */
static void __attribute__((format(printf, 2, 3)))
conf_error(struct conf_parser *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->cause != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL) {
		fprintf(stderr, "jdp: out of memory\n");
		abort();
	}
	if (p->line == 0)
		xasprintf(&p->cause, "%s: %s", p->name, msg);
	else if (p->directive == NULL)
		xasprintf(&p->cause, "%s:%d: %s", p->name, p->line, msg);
	else {
		xasprintf(&p->cause, "%s:%d: %s: %s", p->name, p->line,
		    p->directive, msg);
	}
	free(msg);
}

/*
 * Parse a decimal number of at most max into *out. Returns the first byte
 * after the digits, or NULL if there are none; *range is set when the
 * number is larger than max.
 */
static const char *
conf_parse_digits(const char *s, uint64_t max, uint64_t *out, int *range)
{
	uint64_t v = 0;
	const char *p;

	*range = 0;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if ((uint64_t)(*p - '0') > max ||
		    v > (max - (uint64_t)(*p - '0')) / 10)
			*range = 1;
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return NULL;
	*out = v;
	return p;
}

/* A whole field that is a number 0..max. Returns 0, or -1 and *problem. */
static int
conf_parse_uint(
    const char *s, uint64_t max, uint64_t *out, const char **problem)
{
	const char *end;
	int range;

	end = conf_parse_digits(s, max, out, &range);
	if (end == NULL || *end != '\0') {
		*problem = "not a number";
		return -1;
	}
	if (range) {
		*problem = "out of range";
		return -1;
	}
	return 0;
}

int
conf_parse_duration(const char *s, int64_t *out, const char **problem)
{
	const char *end;
	uint64_t v;
	int range;

	end = conf_parse_digits(s, INT64_MAX, &v, &range);
	if (end == NULL) {
		*problem = "not a duration";
		return -1;
	}
	if (*end == '\0') {
		*problem = "missing unit (ms or s)";
		return -1;
	}
	if (strcmp(end, "s") == 0) {
		if (v > INT64_MAX / 1000)
			range = 1;
		v *= 1000;
	} else if (strcmp(end, "ms") != 0) {
		*problem = "not a duration";
		return -1;
	}
	if (range) {
		*problem = "out of range";
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

int
conf_parse_size(const char *s, uint64_t *out, const char **problem)
{
	const char *end;
	uint64_t v, mult;
	int range;

	end = conf_parse_digits(s, UINT64_MAX, &v, &range);
	if (end == NULL) {
		*problem = "not a size";
		return -1;
	}
	switch (*end) {
	case '\0':
		mult = 1;
		break;
	case 'K':
	case 'k':
		mult = 1024;
		break;
	case 'M':
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'G':
	case 'g':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		*problem = "not a size";
		return -1;
	}
	if (*end != '\0' && end[1] != '\0') {
		*problem = "not a size";
		return -1;
	}
	if (v > UINT64_MAX / mult)
		range = 1;
	if (range) {
		*problem = "out of range";
		return -1;
	}
	*out = v * mult;
	return 0;
}

/* Write a duration the way jdp.conf spells it: "2s", else "200ms". */
static void
conf_format_duration(char *buf, size_t len, int64_t ms)
{
	if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRId64 "ms", ms);
}

/* Write a size with the largest unit that is exact: "64M", "1000". */
static void
conf_format_size(char *buf, size_t len, uint64_t v)
{
	static const char units[] = "GMK";
	uint64_t mult;
	int i;

	for (i = 0; i < 3; i++) {
		mult = (uint64_t)1 << (10 * (3 - i));
		if (v != 0 && v % mult == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", v / mult, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
}

const char *
conf_role_name(enum conf_role role)
{
	switch (role) {
	case CONF_GATEWAY:
		return "gateway";
	case CONF_PEER:
		return "peer";
	}
	return "unknown";
}

const char *
conf_job_mode_name(enum conf_job_mode mode)
{
	if ((unsigned)mode >= 2)
		return "unknown";
	return conf_job_modes[mode];
}

void
conf_set_resolver(conf_resolve_cb cb)
{
	conf_resolver = cb != NULL ? cb : conf_resolve_default;
}

/* Resolve a host name with getaddrinfo, IPv4 only. */
static int
conf_resolve_default(
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
struct conf_claim {
	unsigned lo, hi;
};

static int
conf_claims(const struct conf_node *n, struct conf_claim c[2])
{
	c[0].lo = n->port;
	c[0].hi = (unsigned)n->port + CONF_HTTP_OFFSET;
	if (n->http_port == 0)
		return 1;
	c[1].lo = c[1].hi = n->http_port;
	return 2;
}

static void
conf_claim_str(char *buf, size_t len, const struct conf_claim *c, int i)
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
	struct conf_claim nc[2], oc[2];
	char addr[INET_ADDRSTRLEN], a[64], b[64];
	int i, j, k, nn, on;

	nn = conf_claims(n, nc);
	if (nn == 2 && nc[1].lo >= nc[0].lo && nc[1].lo <= nc[0].hi) {
		conf_claim_str(a, sizeof a, &nc[0], 0);
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
		on = conf_claims(o, oc);
		for (i = 0; i < nn; i++) {
			for (j = 0; j < on; j++) {
				if (nc[i].hi < oc[j].lo || nc[i].lo > oc[j].hi)
					continue;
				conf_claim_str(a, sizeof a, &nc[i], i);
				conf_claim_str(b, sizeof b, &oc[j], j);
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
conf_parse_port(struct conf_parser *p, const char *what, const char *s,
    unsigned max, uint16_t *out)
{
	const char *problem;
	uint64_t v;

	if (conf_parse_uint(s, max, &v, &problem) != 0) {
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
static int
conf_parse_node(struct conf_parser *p, int argc, char **argv)
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
	if (conf_parse_uint(argv[0], CONF_MAX_ID, &id, &problem) != 0) {
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
	if (conf_parse_port(p, "port", colon + 1, CONF_MAX_PORT, &n.port) != 0)
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
		if (conf_parse_port(
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

/* Format the range of a numeric directive for messages. */
static void
conf_format_value(
    char *buf, size_t len, const struct conf_directive *d, int64_t v)
{
	if (d->type == CONF_T_DURATION)
		conf_format_duration(buf, len, v);
	else if (d->type == CONF_T_SIZE)
		conf_format_size(buf, len, (uint64_t)v);
	else
		snprintf(buf, len, "%" PRId64, v);
}

static void
conf_error_range(struct conf_parser *p, const struct conf_directive *d)
{
	char lo[32], hi[32];

	conf_format_value(lo, sizeof lo, d, d->min);
	conf_format_value(hi, sizeof hi, d, d->max);
	conf_error(p, "out of range (%s..%s)", lo, hi);
}

/* Parse a one-argument directive into its field. */
static int
conf_parse_value(
    struct conf_parser *p, const struct conf_directive *d, const char *arg)
{
	char *field = (char *)p->conf + d->off;
	const char *problem;
	int64_t dur;
	uint64_t v;
	size_t i;

	switch (d->type) {
	case CONF_T_NODE:
		break;
	case CONF_T_PATH:
		free(*(char **)field);
		*(char **)field = xstrdup(arg);
		return 0;
	case CONF_T_TIMING:
		for (i = 0; i < 2; i++) {
			if (strcmp(arg, conf_timing_presets[i].name) == 0) {
				*(enum conf_timing *)field =
				    (enum conf_timing)i;
				return 0;
			}
		}
		conf_error(p, "unknown timing \"%s\" (fast or course)", arg);
		return -1;
	case CONF_T_DURATION:
		if (conf_parse_duration(arg, &dur, &problem) != 0) {
			if (strcmp(problem, "out of range") == 0)
				conf_error_range(p, d);
			else
				conf_error(p, "%s", problem);
			return -1;
		}
		if (dur < d->min || dur > d->max) {
			conf_error_range(p, d);
			return -1;
		}
		*(int64_t *)field = dur;
		return 0;
	case CONF_T_SIZE:
		if (conf_parse_size(arg, &v, &problem) != 0) {
			if (strcmp(problem, "out of range") == 0)
				conf_error_range(p, d);
			else
				conf_error(p, "%s (bytes or K, M, G)", problem);
			return -1;
		}
		if (v < (uint64_t)d->min || v > (uint64_t)d->max) {
			conf_error_range(p, d);
			return -1;
		}
		*(uint64_t *)field = v;
		return 0;
	case CONF_T_INT:
		if (conf_parse_uint(arg, (uint64_t)d->max, &v, &problem) != 0) {
			if (strcmp(problem, "out of range") == 0)
				conf_error_range(p, d);
			else
				conf_error(p, "%s", problem);
			return -1;
		}
		if (v < (uint64_t)d->min) {
			conf_error_range(p, d);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	case CONF_T_BOOL:
		if (strcmp(arg, "yes") == 0)
			*(int *)field = 1;
		else if (strcmp(arg, "no") == 0)
			*(int *)field = 0;
		else {
			conf_error(p, "expected yes or no, not \"%s\"", arg);
			return -1;
		}
		return 0;
	case CONF_T_LOGLEVEL:
		for (i = 0; i < 4; i++) {
			if (strcmp(arg, conf_log_levels[i]) == 0) {
				*(int *)field = (int)i;
				return 0;
			}
		}
		conf_error(p,
		    "unknown level \"%s\" (error, warn, info or debug)", arg);
		return -1;
	case CONF_T_JOBMODE:
		for (i = 0; i < 2; i++) {
			if (strcmp(arg, conf_job_modes[i]) == 0) {
				*(enum conf_job_mode *)field =
				    (enum conf_job_mode)i;
				return 0;
			}
		}
		conf_error(p, "unknown mode \"%s\" (sandbox or trusted)", arg);
		return -1;
	}
	abort();
}

/* Parse the fields of one line; argv[0] is the directive. */
static int
conf_parse_directive(struct conf_parser *p, int argc, char **argv)
{
	const struct conf_directive *d = NULL;
	size_t i;

	for (i = 0; i < CONF_NDIRECTIVES; i++) {
		if (strcmp(argv[0], conf_directives[i].name) == 0) {
			d = &conf_directives[i];
			break;
		}
	}
	p->directive = argv[0];
	if (d == NULL) {
		conf_error(p, "unknown directive");
		return -1;
	}
	if (d->type == CONF_T_NODE)
		return conf_parse_node(p, argc - 1, argv + 1);
	if (p->seen[i] != 0) {
		conf_error(
		    p, "duplicate directive (first on line %d)", p->seen[i]);
		return -1;
	}
	if (argc < 2) {
		conf_error(p, "missing value");
		return -1;
	}
	if (argc > 2) {
		conf_error(p, "too many values");
		return -1;
	}
	p->seen[i] = p->line;
	return conf_parse_value(p, d, argv[1]);
}

/* Parse one line of len bytes (no newline). */
static int
conf_parse_line(struct conf_parser *p, const char *s, size_t len)
{
	char line[CONF_MAX_LINE + 1], *argv[CONF_MAX_FIELDS], *cp;
	unsigned char c;
	size_t i;
	int argc;

	p->directive = NULL;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > CONF_MAX_LINE) {
		conf_error(
		    p, "line too long (more than %d bytes)", CONF_MAX_LINE);
		return -1;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			conf_error(p, "unexpected control character 0x%02x", c);
			return -1;
		}
	}
	memcpy(line, s, len);
	line[len] = '\0';
	if ((cp = strchr(line, '#')) != NULL)
		*cp = '\0';

	argc = 0;
	cp = line;
	for (;;) {
		while (*cp == ' ' || *cp == '\t')
			cp++;
		if (*cp == '\0')
			break;
		if (argc < CONF_MAX_FIELDS)
			argv[argc] = cp;
		argc++;
		while (*cp != '\0' && *cp != ' ' && *cp != '\t')
			cp++;
		if (*cp != '\0')
			*cp++ = '\0';
	}
	if (argc == 0)
		return 0;
	if (argc > CONF_MAX_FIELDS)
		argc = CONF_MAX_FIELDS; /* still "too many" for any directive */
	return conf_parse_directive(p, argc, argv);
}

/* The line a directive was first given on, or 0. */
static int
conf_seen(const struct conf_parser *p, const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NDIRECTIVES; i++) {
		if (strcmp(conf_directives[i].name, name) == 0)
			return p->seen[i];
	}
	abort();
}

/*
 * Report a broken relation between two timers, "a must be arel b", on the
 * line of a if it was given explicitly, else on the line of b ("b must be
 * brel a"); a preset alone never breaks one.
 */
static void
conf_error_timers(struct conf_parser *p, const char *a, int64_t av,
    const char *arel, const char *b, int64_t bv, const char *brel)
{
	char as[32], bs[32];

	conf_format_duration(as, sizeof as, av);
	conf_format_duration(bs, sizeof bs, bv);
	if ((p->line = conf_seen(p, a)) != 0) {
		p->directive = a;
		conf_error(p, "%s must be %s %s (%s)", as, arel, b, bs);
	} else if ((p->line = conf_seen(p, b)) != 0) {
		p->directive = b;
		conf_error(p, "%s must be %s %s (%s)", bs, brel, a, as);
	} else {
		p->directive = NULL;
		conf_error(p, "%s %s must be %s %s (%s)", a, as, arel, b, bs);
	}
}

/* The checks that need the whole file. */
static int
conf_parse_finish(struct conf_parser *p)
{
	const struct conf_timing_preset *t;
	struct conf *conf = p->conf;

	p->line = 0;
	p->directive = NULL;
	t = &conf_timing_presets[conf->timing];
	if (!conf_seen(p, "gossip-interval"))
		conf->gossip_interval = t->gossip_interval;
	if (!conf_seen(p, "failure-timeout"))
		conf->failure_timeout = t->failure_timeout;
	if (!conf_seen(p, "cleanup-timeout"))
		conf->cleanup_timeout = t->cleanup_timeout;
	if (!conf_seen(p, "election-finalize"))
		conf->election_finalize = t->election_finalize;

	if (conf_nvoters(conf) == 0) {
		conf_error(p, "no peer nodes");
		return -1;
	}
	if (conf->key_file == NULL) {
		conf_error(p, "cluster-key-file is missing");
		return -1;
	}
	if (conf->failure_timeout <= 2 * conf->gossip_interval) {
		conf_error_timers(p, "failure-timeout", conf->failure_timeout,
		    "more than twice", "gossip-interval", conf->gossip_interval,
		    "less than half of");
		return -1;
	}
	if (conf->cleanup_timeout < conf->failure_timeout) {
		conf_error_timers(p, "cleanup-timeout", conf->cleanup_timeout,
		    "at least", "failure-timeout", conf->failure_timeout,
		    "at most");
		return -1;
	}
	return 0;
}

static int
conf_cmp_node(const void *a, const void *b)
{
	const struct conf_node *na = a, *nb = b;

	return (na->id > nb->id) - (na->id < nb->id);
}

/* Fill in every default. */
static void
conf_set_defaults(struct conf *conf)
{
	const struct conf_timing_preset *t;

	conf->timing = CONF_TIMING_FAST;
	t = &conf_timing_presets[conf->timing];
	conf->gossip_interval = t->gossip_interval;
	conf->failure_timeout = t->failure_timeout;
	conf->cleanup_timeout = t->cleanup_timeout;
	conf->election_finalize = t->election_finalize;

	conf->job_timeout = 10 * CONF_SEC;
	conf->job_memory = 256 * CONF_MIB;
	conf->job_output_max = CONF_MIB;
	conf->java = xstrdup(JDP_JAVA);
	conf->runner_jar = xstrdup(JDP_PKGDATADIR "/jdp-runner.jar");
	conf->run_pool = 2;
	conf->allow_unsandboxed = 0;
	conf->job_mode = CONF_JOB_SANDBOX;

	conf->cache_size = 64 * CONF_MIB;
	conf->max_body = 16 * CONF_MIB;
	conf->request_wait = 30 * CONF_SEC;
	conf->queue_max = 1024;
	conf->client_timeout = 30 * CONF_SEC;

	conf->log_dir = xstrdup(JDP_LOCALSTATEDIR "/log/jdp");
	conf->log_level = LOGLVL_INFO;
	conf->log_max_size = 16 * CONF_MIB;
}

/* Parse len bytes of text (NUL bytes included, which are errors). */
static int
conf_parse_text(const char *name, const char *text, size_t len,
    struct conf **out, char **cause)
{
	struct conf_parser p;
	const char *s, *end, *nl;

	memset(&p, 0, sizeof p);
	p.name = name;
	p.conf = xcalloc(1, sizeof *p.conf);
	p.conf->path = xstrdup(name);
	conf_set_defaults(p.conf);

	s = text;
	end = text + len;
	while (s < end) {
		p.line++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if (conf_parse_line(&p, s, (size_t)(nl - s)) != 0)
			goto fail;
		s = nl + 1;
	}
	if (conf_parse_finish(&p) != 0)
		goto fail;
	qsort(p.conf->nodes, (size_t)p.conf->nnodes, sizeof *p.conf->nodes,
	    conf_cmp_node);
	*out = p.conf;
	return 0;

fail:
	conf_free(p.conf);
	*cause = p.cause;
	*out = NULL;
	return -1;
}

int
conf_parse(const char *name, const char *text, struct conf **out, char **cause)
{
	return conf_parse_text(name, text, strlen(text), out, cause);
}

int
conf_load(const char *path, struct conf **out, char **cause)
{
	char *text;
	size_t len = 0, cap = 4096;
	ssize_t n;
	int fd, rc;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap > CONF_MAX_FILE) {
				xasprintf(cause,
				    "%s: file too large (more than %d bytes)",
				    path, CONF_MAX_FILE);
				goto fail;
			}
			cap *= 2;
			text = xreallocarray(text, cap, 1);
		}
		n = read(fd, text + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > CONF_MAX_FILE) {
		free(text);
		xasprintf(cause, "%s: file too large (more than %d bytes)",
		    path, CONF_MAX_FILE);
		return -1;
	}
	rc = conf_parse_text(path, text, len, out, cause);
	free(text);
	return rc;

fail:
	close(fd);
	free(text);
	return -1;
}

void
conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->nodes);
	free(conf->key_file);
	free(conf->java);
	free(conf->runner_jar);
	free(conf->log_dir);
	free(conf->api_token_file);
	free(conf);
}

void
conf_print(const struct conf *conf, FILE *f)
{
	const struct conf_directive *d;
	const struct conf_node *n;
	const char *field;
	char buf[64];
	size_t i;
	int k, v;

	fprintf(f, "# effective configuration\n");
	for (i = 0; i < CONF_NDIRECTIVES; i++) {
		d = &conf_directives[i];
		field = (const char *)conf + d->off;
		switch (d->type) {
		case CONF_T_NODE:
			for (k = 0; k < conf->nnodes; k++) {
				n = &conf->nodes[k];
				fprintf(f, "node %d %-7s %s:%u", n->id,
				    conf_role_name(n->role), n->host, n->port);
				if (n->http_port != 0)
					fprintf(f, " http %u", n->http_port);
				fputc('\n', f);
			}
			continue;
		case CONF_T_PATH:
			/* Only an optional path can be unset. */
			if (*(char *const *)field == NULL)
				fprintf(f, "# %s (none)\n", d->name);
			else
				fprintf(f, "%-17s %s\n", d->name,
				    *(char *const *)field);
			continue;
		case CONF_T_TIMING:
			v = *(const enum conf_timing *)field ==
			    CONF_TIMING_COURSE;
			snprintf(buf, sizeof buf, "%s", v ? "course" : "fast");
			break;
		case CONF_T_DURATION:
			conf_format_duration(
			    buf, sizeof buf, *(const int64_t *)field);
			break;
		case CONF_T_SIZE:
			conf_format_size(
			    buf, sizeof buf, *(const uint64_t *)field);
			break;
		case CONF_T_INT:
			snprintf(buf, sizeof buf, "%d", *(const int *)field);
			break;
		case CONF_T_BOOL:
			snprintf(buf, sizeof buf, "%s",
			    *(const int *)field ? "yes" : "no");
			break;
		case CONF_T_LOGLEVEL:
			v = *(const int *)field;
			snprintf(buf, sizeof buf, "%s",
			    v >= 0 && v < 4 ? conf_log_levels[v] : "info");
			break;
		case CONF_T_JOBMODE:
			snprintf(buf, sizeof buf, "%s",
			    conf_job_mode_name(
				*(const enum conf_job_mode *)field));
			break;
		}
		fprintf(f, "%-17s %s\n", d->name, buf);
	}
}

const struct conf_node *
conf_find_node(const struct conf *conf, int id)
{
	struct conf_node key;

	if (conf->nnodes == 0)
		return NULL;
	key.id = id;
	return bsearch(&key, conf->nodes, (size_t)conf->nnodes,
	    sizeof *conf->nodes, conf_cmp_node);
}

int
conf_nvoters(const struct conf *conf)
{
	int i, n = 0;

	for (i = 0; i < conf->nnodes; i++) {
		if (conf->nodes[i].role == CONF_PEER)
			n++;
	}
	return n;
}
