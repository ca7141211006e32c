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
#include "conf-int.h"
#include "log.h"
#include "proto.h"
#include "wire.h"
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

/*
 * What one frame can carry (WIRE_MAX_PAYLOAD): a WORK payload is the body's
 * source and stdin plus PROTO_WORK_MIN_LEN bytes, a RESULT payload the
 * result, stdout and stderr (each at most job-output-max) plus
 * PROTO_RESULT_MIN_LEN; the maxima leave room for error texts.
 */
#define CONF_MAX_BODY_MAX (63 * CONF_MIB)
#define CONF_OUTPUT_MAX_MAX (16 * CONF_MIB)
_Static_assert(CONF_MAX_BODY_MAX + PROTO_WORK_MIN_LEN <= WIRE_MAX_PAYLOAD,
    "max-body must fit a WORK frame");
_Static_assert(
    3 * CONF_OUTPUT_MAX_MAX + PROTO_RESULT_MIN_LEN <= WIRE_MAX_PAYLOAD,
    "job-output-max must fit a RESULT frame");

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
	CONF_OUTPUT_MAX_MAX},
    {"java", CONF_T_PATH, CONF_OFF(java), 0, 0},
    {"runner-jar", CONF_T_PATH, CONF_OFF(runner_jar), 0, 0},
    {"run-pool", CONF_T_INT, CONF_OFF(run_pool), 0, 64},
    {"allow-unsandboxed", CONF_T_BOOL, CONF_OFF(allow_unsandboxed), 0, 1},
    {"job-mode", CONF_T_JOBMODE, CONF_OFF(job_mode), 0, 0},
    {"cache-size", CONF_T_SIZE, CONF_OFF(cache_size), 0, 1024 * CONF_GIB},
    {"max-body", CONF_T_SIZE, CONF_OFF(max_body), CONF_KIB, CONF_MAX_BODY_MAX},
    {"max-files", CONF_T_INT, CONF_OFF(max_files), 1, PROTO_WORK_FILES_MAX},
    {"request-wait", CONF_T_DURATION, CONF_OFF(request_wait), 0,
	3600 * CONF_SEC},
    {"queue-max", CONF_T_INT, CONF_OFF(queue_max), 1, 1048576},
    {"inflight-max", CONF_T_SIZE, CONF_OFF(inflight_max), CONF_KIB,
	1024 * CONF_GIB},
    {"client-timeout", CONF_T_DURATION, CONF_OFF(client_timeout), CONF_SEC,
	3600 * CONF_SEC},
    {"api-token-file", CONF_T_PATH, CONF_OFF(api_token_file), 0, 0},
    {"state-dir", CONF_T_PATH, CONF_OFF(state_dir), 0, 0},
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

_Static_assert(CONF_NDIRECTIVES <= CONF_MAX_DIRECTIVES,
    "struct conf_parser.seen is too small");

/* Set p->cause to "name:line: directive: message" (first error wins). */
void
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

/* Format the range of a numeric directive for messages. */
static void
conf_format_value(
    char *buf, size_t len, const struct conf_directive *d, int64_t v)
{
	if (d->type == CONF_T_DURATION)
		conf_value_format_duration(buf, len, v);
	else if (d->type == CONF_T_SIZE)
		conf_value_format_size(buf, len, (uint64_t)v);
	else
		snprintf(buf, len, "%" PRId64, v);
}

/* Why a directive's maximum is what it is, when it is not arbitrary. */
static const char *
conf_range_why(const struct conf_directive *d)
{
	if (strcmp(d->name, "max-body") == 0)
		return "a WORK frame carries at most 64M";
	if (strcmp(d->name, "job-output-max") == 0)
		return "a RESULT frame carries its result, stdout and stderr "
		       "in 64M";
	return NULL;
}

static void
conf_error_range(struct conf_parser *p, const struct conf_directive *d)
{
	const char *why = conf_range_why(d);
	char lo[32], hi[32];

	conf_format_value(lo, sizeof lo, d, d->min);
	conf_format_value(hi, sizeof hi, d, d->max);
	if (why != NULL)
		conf_error(p, "out of range (%s..%s; %s)", lo, hi, why);
	else
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
		if (conf_value_uint(arg, (uint64_t)d->max, &v, &problem) != 0) {
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
		return conf_node_parse(p, argc - 1, argv + 1);
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

	conf_value_format_duration(as, sizeof as, av);
	conf_value_format_duration(bs, sizeof bs, bv);
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
	conf->max_files = 64;
	conf->inflight_max = 256 * CONF_MIB;
	conf->client_timeout = 30 * CONF_SEC;

	conf->state_dir = xstrdup(JDP_LOCALSTATEDIR "/lib/jdp");
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
	free(conf->state_dir);
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
			conf_value_format_duration(
			    buf, sizeof buf, *(const int64_t *)field);
			break;
		case CONF_T_SIZE:
			conf_value_format_size(
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
