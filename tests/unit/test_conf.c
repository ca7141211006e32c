/*
 * test_conf.c: the jdp.conf parser.
 *
 * Error messages are table-driven from tests/data/conf/errors.txt; this
 * file checks values, defaults, timing presets, conf_load, the print/parse
 * round trip, the inputs a text file cannot hold (control characters, NUL
 * bytes, overlong lines) and robustness against truncated and mutated
 * configs.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "tap.h"
#include "xmalloc.h"

/* Minimal valid config: one gateway, one peer, a key. */
#define BASE                                                                   \
	"node 0 gateway 127.0.0.1:8000\n"                                      \
	"node 1 peer 127.0.0.1:8010\n"                                         \
	"cluster-key-file /k\n"

static char *srcdir;

/* Names the tests know; nothing goes to DNS. */
static int
test_resolve(const char *host, struct in_addr *addr, const char **problem)
{
	if (strcmp(host, "gw.example") == 0)
		return inet_pton(AF_INET, "10.0.0.1", addr) == 1 ? 0 : -1;
	if (strcmp(host, "localhost") == 0)
		return inet_pton(AF_INET, "127.0.0.1", addr) == 1 ? 0 : -1;
	if (strncmp(host, "ok-", 3) == 0)
		return inet_pton(AF_INET, "10.9.9.9", addr) == 1 ? 0 : -1;
	*problem = "unknown host (test resolver)";
	return -1;
}

/* Read a whole file into a NUL-terminated string; *len without the NUL. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f;
	char *data;
	size_t n = 0, cap = 4096, r;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	data = xmalloc(cap);
	while ((r = fread(data + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			cap *= 2;
			data = xreallocarray(data, cap, 1);
		}
	}
	fclose(f);
	data[n] = '\0';
	if (len != NULL)
		*len = n;
	return data;
}

/* Path of a file under tests/data/conf. Caller frees. */
static char *
data_path(const char *name)
{
	char *path;

	xasprintf(&path, "%s/tests/data/conf/%s", srcdir, name);
	return path;
}

/* Write len bytes to a new temporary file. Caller unlinks and frees. */
static char *
write_temp(const char *data, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	char *path;
	int fd;

	xasprintf(&path, "%s/test_conf.XXXXXX", tmp != NULL ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		perror(path);
		exit(99);
	}
	if (write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(99);
	}
	close(fd);
	return path;
}

/* Parse text as "jdp.conf"; NULL (and a diagnostic) on failure. */
static struct conf *
parse(const char *text)
{
	struct conf *conf = NULL;
	char *cause = NULL;

	if (conf_parse("jdp.conf", text, &conf, &cause) != 0) {
		diag("unexpected error: %s", cause);
		free(cause);
		return NULL;
	}
	return conf;
}

/* Parse text that must fail; returns the message (caller frees). */
static char *
parse_error(const char *text)
{
	struct conf *conf = NULL;
	char *cause = NULL;

	if (conf_parse("jdp.conf", text, &conf, &cause) == 0) {
		conf_free(conf);
		return xstrdup("(parsed without error)");
	}
	if (conf != NULL)
		return xstrdup("(error but config not NULL)");
	return cause != NULL ? cause : xstrdup("(error without message)");
}

/* Check one error message against its wanted text. */
static void
check_error(const char *text, const char *want, const char *name)
{
	char *got = parse_error(text);

	is_str(got, want, "%s", name);
	free(got);
}

/* Print a config into a new string. Caller frees. */
static char *
print_conf(const struct conf *conf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL) {
		perror("open_memstream");
		exit(99);
	}
	conf_print(conf, f);
	fclose(f);
	return text;
}

/* First difference between two configs (path and lines aside), or NULL. */
static const char *
conf_diff(const struct conf *a, const struct conf *b)
{
	const struct conf_node *na, *nb;
	int i;

	if (a->nnodes != b->nnodes)
		return "nnodes";
	for (i = 0; i < a->nnodes; i++) {
		na = &a->nodes[i];
		nb = &b->nodes[i];
		if (na->id != nb->id || na->role != nb->role ||
		    strcmp(na->host, nb->host) != 0 || na->port != nb->port ||
		    na->http_port != nb->http_port ||
		    na->addr.sin_family != nb->addr.sin_family ||
		    na->addr.sin_port != nb->addr.sin_port ||
		    na->addr.sin_addr.s_addr != nb->addr.sin_addr.s_addr)
			return "node";
	}
#define DIFF(f)                                                                \
	do {                                                                   \
		if (a->f != b->f)                                              \
			return #f;                                             \
	} while (0)
#define DIFFS(f)                                                               \
	do {                                                                   \
		if ((a->f == NULL) != (b->f == NULL) ||                        \
		    (a->f != NULL && strcmp(a->f, b->f) != 0))                 \
			return #f;                                             \
	} while (0)
	DIFFS(key_file);
	DIFF(timing);
	DIFF(gossip_interval);
	DIFF(failure_timeout);
	DIFF(cleanup_timeout);
	DIFF(election_finalize);
	DIFF(job_timeout);
	DIFF(job_memory);
	DIFF(job_output_max);
	DIFFS(java);
	DIFFS(runner_jar);
	DIFF(run_pool);
	DIFF(allow_unsandboxed);
	DIFF(job_mode);
	DIFF(cache_size);
	DIFF(max_body);
	DIFF(max_files);
	DIFF(request_wait);
	DIFF(queue_max);
	DIFF(inflight_max);
	DIFF(client_timeout);
	DIFFS(state_dir);
	DIFFS(log_dir);
	DIFF(log_level);
#undef DIFF
#undef DIFFS
	return NULL;
}

/*
 * Print conf, parse the text again and print that: the configs must be
 * equal and the two texts identical. Returns NULL or what went wrong.
 */
static const char *
round_trip(const struct conf *conf, char **why)
{
	struct conf *again = NULL;
	char *text, *text2, *cause = NULL;
	const char *diff;

	*why = NULL;
	text = print_conf(conf);
	if (conf_parse(conf->path, text, &again, &cause) != 0) {
		*why = cause;
		free(text);
		return "printed config does not parse";
	}
	diff = conf_diff(conf, again);
	text2 = print_conf(again);
	if (diff == NULL && strcmp(text, text2) != 0)
		diff = "second print differs";
	free(text);
	free(text2);
	conf_free(again);
	return diff;
}

/* The cases in tests/data/conf/errors.txt. */
static void
test_error_table(void)
{
	char *path, *data, *line, *next, *title = NULL;
	struct buf_s {
		char *p;
		size_t len, cap;
	} in = {NULL, 0, 0};
	size_t n;
	int cases = 0;
	struct conf *conf;

	path = data_path("errors.txt");
	if ((data = read_file(path, NULL)) == NULL) {
		ok(0, "read %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	in.cap = 4096;
	in.p = xmalloc(in.cap);
	for (line = data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "--- ", 4) == 0) {
			title = line + 4;
			in.len = 0;
			in.p[0] = '\0';
			continue;
		}
		if (title == NULL)
			continue; /* the header */
		if (strncmp(line, "=> ", 3) == 0) {
			cases++;
			if (strcmp(line + 3, "ok") == 0) {
				conf = parse(in.p);
				ok(conf != NULL, "errors.txt: %s", title);
				conf_free(conf);
			} else
				check_error(in.p, line + 3, title);
			title = NULL;
			continue;
		}
		n = strlen(line);
		while (in.len + n + 2 > in.cap) {
			in.cap *= 2;
			in.p = xreallocarray(in.p, in.cap, 1);
		}
		memcpy(in.p + in.len, line, n);
		in.len += n;
		in.p[in.len++] = '\n';
		in.p[in.len] = '\0';
	}
	ok(cases >= 100, "errors.txt has %d cases", cases);
	ok(title == NULL, "errors.txt: every case ends with =>");
	free(in.p);
	free(data);
	free(path);
}

/* Errors that a text file cannot show well. */
static void
test_error_bytes(void)
{
	char *text, *want, *host;
	size_t i;

	check_error("log-level info\nlog-dir /a\001b\n",
	    "jdp.conf:2: unexpected control character 0x01", "control char");
	check_error("log-dir /a\x7f\n",
	    "jdp.conf:1: unexpected control character 0x7f", "DEL");
	check_error("# comment \033[1m\n",
	    "jdp.conf:1: unexpected control character 0x1b",
	    "control char in a comment");
	check_error("log-dir /a\rb\n",
	    "jdp.conf:1: unexpected control character 0x0d",
	    "carriage return inside a line");
	check_error("log-dir /a\v\n",
	    "jdp.conf:1: unexpected control character 0x0b", "vertical tab");

	/* CRLF line ends are fine. */
	text = parse_error(BASE "frobnicate\r\n");
	is_str(text, "jdp.conf:4: frobnicate: unknown directive",
	    "CRLF: directive name without the CR");
	free(text);
	{
		struct conf *conf = parse("node 1 peer 127.0.0.1:8010\r\n"
					  "cluster-key-file /k\r\n"
					  "log-dir /crlf\r\n");

		ok(conf != NULL && strcmp(conf->log_dir, "/crlf") == 0,
		    "CRLF: values without the CR");
		conf_free(conf);
	}

	/* A line of exactly CONF_MAX_LINE bytes parses; one more does not. */
	text = xmalloc(strlen(BASE) + CONF_MAX_LINE + 64);
	snprintf(text, strlen(BASE) + CONF_MAX_LINE + 64, BASE "log-dir /");
	for (i = strlen(text); i < strlen(BASE) + CONF_MAX_LINE; i++)
		text[i] = 'd';
	text[i++] = '\n';
	text[i] = '\0';
	{
		struct conf *conf = parse(text);

		ok(conf != NULL && strlen(conf->log_dir) == CONF_MAX_LINE - 8,
		    "line of %d bytes is read whole", CONF_MAX_LINE);
		conf_free(conf);
	}
	memmove(text + i - 1, "d\n", 3);
	xasprintf(&want, "jdp.conf:4: line too long (more than %d bytes)",
	    CONF_MAX_LINE);
	check_error(text, want, "line of CONF_MAX_LINE + 1 bytes");
	free(want);
	/* With the CR of a CRLF not counted. */
	memmove(text + i - 1, "\r\n", 3);
	{
		struct conf *conf = parse(text);

		ok(conf != NULL, "line of %d bytes plus CRLF", CONF_MAX_LINE);
		conf_free(conf);
	}
	free(text);

	/* A very long line: an error, not a crash or a truncation. */
	text = xmalloc(1 << 20);
	memset(text, 'x', (1 << 20) - 1);
	text[(1 << 20) - 1] = '\0';
	xasprintf(&want, "jdp.conf:1: line too long (more than %d bytes)",
	    CONF_MAX_LINE);
	check_error(text, want, "one-megabyte line");
	free(want);
	free(text);

	/* Host names up to 255 bytes. */
	host = xmalloc(300);
	memset(host, 'a', 300);
	memcpy(host, "ok-", 3);
	host[255] = '\0';
	xasprintf(&text, "node 1 peer %s:8010\ncluster-key-file /k\n", host);
	{
		struct conf *conf = parse(text);

		ok(conf != NULL && strcmp(conf->nodes[0].host, host) == 0 &&
			conf->nodes[0].addr.sin_addr.s_addr ==
			    htonl(0x0a090909),
		    "host name of 255 bytes");
		conf_free(conf);
	}
	free(text);
	host[255] = 'a';
	host[256] = '\0';
	xasprintf(&text, "node 1 peer %s:8010\n", host);
	check_error(text,
	    "jdp.conf:1: node: host name too long (more than 255 bytes)",
	    "host name of 256 bytes");
	free(text);
	free(host);
}

/* CONF_MAX_NODES nodes parse; one more is an error on its line. */
static void
test_max_nodes(void)
{
	char *text, *line, *want;
	struct conf *conf;
	size_t len = 0;
	int i;

	text = xstrdup("cluster-key-file /k\n");
	len = strlen(text);
	for (i = 0; i < CONF_MAX_NODES + 1; i++) {
		xasprintf(
		    &line, "node %d peer 127.0.0.1:%d\n", i, 10000 + 4 * i);
		text = xreallocarray(text, len + strlen(line) + 1, 1);
		memcpy(text + len, line, strlen(line) + 1);
		if (i == CONF_MAX_NODES - 1) {
			conf = parse(text);
			ok(conf != NULL && conf->nnodes == CONF_MAX_NODES &&
				conf_nvoters(conf) == CONF_MAX_NODES,
			    "%d nodes", CONF_MAX_NODES);
			conf_free(conf);
		}
		len += strlen(line);
		free(line);
	}
	xasprintf(&want, "jdp.conf:%d: node: too many nodes (at most %d)",
	    CONF_MAX_NODES + 2, CONF_MAX_NODES);
	check_error(text, want, "one node too many");
	free(want);
	free(text);
}

/* Every default, from a config with only nodes and a key. */
static void
test_defaults(void)
{
	struct conf *conf = parse(BASE);

	if (!ok(conf != NULL, "minimal config parses"))
		return;
	is_str(conf->path, "jdp.conf", "path is the name");
	is_int(conf->nodes[0].http_port, 8888, "gateway http defaults to 8888");
	is_int(conf->nodes[1].http_port, 0, "peer has no http port");
	is_str(conf->key_file, "/k", "cluster-key-file");
	is_int(conf->timing, CONF_TIMING_FAST, "timing defaults to fast");
	is_int(conf->gossip_interval, 200, "default gossip-interval 200ms");
	is_int(conf->failure_timeout, 2000, "default failure-timeout 2s");
	is_int(conf->cleanup_timeout, 4000, "default cleanup-timeout 4s");
	is_int(conf->election_finalize, 200, "default election-finalize 200ms");
	is_int(conf->job_timeout, 10000, "default job-timeout 10s");
	is_int(conf->job_memory, 256 << 20, "default job-memory 256M");
	is_int(conf->job_output_max, 1 << 20, "default job-output-max 1M");
	is_str(conf->java, JDP_JAVA, "default java is configure's");
	is_str(conf->runner_jar, JDP_PKGDATADIR "/jdp-runner.jar",
	    "default runner-jar under pkgdatadir");
	is_int(conf->run_pool, 2, "default run-pool 2");
	is_int(conf->allow_unsandboxed, 0, "default allow-unsandboxed no");
	is_int(conf->job_mode, CONF_JOB_SANDBOX, "default job-mode sandbox");
	is_int(conf->cache_size, 64 << 20, "default cache-size 64M");
	is_int(conf->max_body, 16 << 20, "default max-body 16M");
	is_int(conf->request_wait, 30000, "default request-wait 30s");
	is_int(conf->queue_max, 1024, "default queue-max 1024");
	is_int(conf->max_files, 64, "default max-files 64");
	is_int(conf->inflight_max, 256 << 20, "default inflight-max 256M");
	is_int(conf->client_timeout, 30000, "default client-timeout 30s");
	is_str(conf->state_dir, JDP_LOCALSTATEDIR "/lib/jdp",
	    "default state-dir under localstatedir");
	is_str(conf->log_dir, JDP_LOCALSTATEDIR "/log/jdp",
	    "default log-dir under localstatedir");
	is_int(conf->log_level, LOGLVL_INFO, "default log-level info");
	is_int(conf->log_max_size, 16 << 20, "default log-max-size 16M");
	conf_free(conf);
}

/* Every directive, from tests/data/conf/full.conf, read back. */
static void
test_load_full(void)
{
	struct conf *conf = NULL;
	const struct conf_node *n;
	char *path, *cause = NULL, *why;
	const char *diff;
	int i;

	path = data_path("full.conf");
	if (!ok(conf_load(path, &conf, &cause) == 0 && conf != NULL,
		"conf_load full.conf")) {
		diag("%s", cause);
		free(cause);
		free(path);
		return;
	}
	ok(cause == NULL, "no cause on success");
	is_str(conf->path, path, "path is the file name");

	is_int(conf->nnodes, 5, "five nodes");
	for (i = 0; i < conf->nnodes - 1; i++) {
		if (conf->nodes[i].id >= conf->nodes[i + 1].id)
			break;
	}
	ok(i == conf->nnodes - 1, "nodes sorted by id");
	is_int(conf_nvoters(conf), 3, "three voters");

	n = conf_find_node(conf, 0);
	ok(n != NULL && n->id == 0 && n->role == CONF_GATEWAY &&
		strcmp(n->host, "127.0.0.1") == 0 && n->port == 9000 &&
		n->http_port == 9080 && n->line == 5,
	    "node 0: gateway 127.0.0.1:9000 http 9080, line 5");
	ok(n != NULL && n->addr.sin_family == AF_INET &&
		n->addr.sin_port == htons(9000) &&
		n->addr.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	    "node 0: sockaddr_in with the UDP port");
	n = conf_find_node(conf, 2);
	ok(n != NULL && n->role == CONF_PEER &&
		strcmp(n->host, "localhost") == 0 && n->port == 9020 &&
		n->http_port == 0 &&
		n->addr.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	    "node 2: peer localhost:9020 resolved, host as written");
	n = conf_find_node(conf, 3);
	ok(n != NULL && n->role == CONF_PEER && n->port == 9030 && n->line == 4,
	    "node 3: declared first, line 4");
	n = conf_find_node(conf, 7);
	ok(n != NULL && n->role == CONF_GATEWAY &&
		n->http_port == CONF_DEFAULT_HTTP_PORT &&
		n->addr.sin_addr.s_addr == htonl(0x7f000002),
	    "node 7: second gateway, default http port");
	ok(conf_find_node(conf, 4) == NULL, "no node 4");
	ok(conf_find_node(conf, -1) == NULL, "no node -1");
	ok(conf_find_node(conf, 65536) == NULL, "no node 65536");

	is_str(conf->key_file, "/etc/jdp/test.key", "cluster-key-file");
	is_int(conf->timing, CONF_TIMING_COURSE, "timing course");
	is_int(conf->gossip_interval, 1500, "gossip-interval 1500ms");
	is_int(conf->failure_timeout, 20000, "failure-timeout 20s");
	is_int(conf->cleanup_timeout, 40000, "cleanup-timeout 40s");
	is_int(conf->election_finalize, 1000, "election-finalize 1s");
	is_int(conf->job_timeout, 5000, "job-timeout 5s");
	is_int(conf->request_wait, 45000, "request-wait 45s");
	is_int(conf->client_timeout, 2000, "client-timeout 2s");
	is_int(conf->job_memory, 512 << 20, "job-memory 512M");
	is_int(conf->job_output_max, 64 << 10, "job-output-max 64K");
	is_int(conf->cache_size, 0, "cache-size 0");
	is_int(conf->max_body, 63 << 20, "max-body 63M");
	is_int(conf->inflight_max, 32 << 20, "inflight-max 32M");
	is_int(conf->queue_max, 100, "queue-max 100");
	is_int(conf->run_pool, 0, "run-pool 0");
	is_str(conf->state_dir, "/tmp/jdp-test/state", "state-dir");
	is_str(conf->log_dir, "/tmp/jdp-test/log", "log-dir");
	is_int(conf->log_level, LOGLVL_DEBUG, "log-level debug");
	is_int(conf->log_max_size, 4 << 20, "log-max-size 4M");
	is_str(conf->java, "/opt/jdk/bin/java", "java");
	is_str(conf->runner_jar, "/opt/jdp/jdp-runner.jar", "runner-jar");
	is_int(conf->allow_unsandboxed, 1, "allow-unsandboxed yes");
	is_int(conf->job_mode, CONF_JOB_TRUSTED, "job-mode trusted");

	diff = round_trip(conf, &why);
	ok(diff == NULL, "full.conf: print/parse round trip");
	if (diff != NULL)
		diag("%s %s", diff, why != NULL ? why : "");
	free(why);
	conf_free(conf);
	free(path);
}

/* conf_load's own errors. */
static void
test_load_errors(void)
{
	struct conf *conf = (struct conf *)1;
	char *path, *cause = NULL, *want, *big;
	size_t len;

	path = data_path("no-such-file.conf");
	ok(conf_load(path, &conf, &cause) == -1 && conf == NULL,
	    "missing file fails");
	xasprintf(&want, "%s: No such file or directory", path);
	is_str(cause, want, "missing file: path: strerror");
	free(want);
	free(cause);
	free(path);

	path = data_path("");
	path[strlen(path) - 1] = '\0';
	cause = NULL;
	ok(conf_load(path, &conf, &cause) == -1, "directory fails");
	xasprintf(&want, "%s: Is a directory", path);
	is_str(cause, want, "directory: path: strerror");
	free(want);
	free(cause);
	free(path);

	path = data_path("bad.conf");
	cause = NULL;
	ok(conf_load(path, &conf, &cause) == -1, "bad.conf fails");
	xasprintf(&want, "%s:5: gossip-interval: missing unit (ms or s)", path);
	is_str(cause, want, "bad.conf: error names the file and line 5");
	free(want);
	free(cause);
	free(path);

	/* NUL bytes in a file are errors, not the end of the text. */
	path = write_temp(BASE "log-dir /a\0b\n", strlen(BASE) + 13);
	cause = NULL;
	ok(conf_load(path, &conf, &cause) == -1, "NUL byte fails");
	xasprintf(&want, "%s:4: unexpected control character 0x00", path);
	is_str(cause, want, "NUL byte: named with its line");
	free(want);
	free(cause);
	unlink(path);
	free(path);

	/* No newline at the end of the file. */
	path = write_temp(BASE "log-dir /last", strlen(BASE) + 13);
	cause = NULL;
	conf = NULL;
	ok(conf_load(path, &conf, &cause) == 0 && conf != NULL &&
		strcmp(conf->log_dir, "/last") == 0,
	    "last line without a newline");
	conf_free(conf);
	unlink(path);
	free(path);

	/* A file larger than CONF_MAX_FILE. */
	len = CONF_MAX_FILE + 1;
	big = xmalloc(len);
	memset(big, '\n', len);
	path = write_temp(big, len);
	cause = NULL;
	ok(conf_load(path, &conf, &cause) == -1 && conf == NULL,
	    "oversized file fails");
	xasprintf(&want, "%s: file too large (more than %d bytes)", path,
	    CONF_MAX_FILE);
	is_str(cause, want, "oversized file message");
	free(want);
	free(cause);
	unlink(path);
	free(path);
	/* And exactly CONF_MAX_FILE bytes is fine. */
	memcpy(big, BASE, strlen(BASE));
	path = write_temp(big, CONF_MAX_FILE);
	cause = NULL;
	conf = NULL;
	ok(conf_load(path, &conf, &cause) == 0 && conf != NULL,
	    "file of CONF_MAX_FILE bytes loads");
	if (cause != NULL)
		diag("%s", cause);
	conf_free(conf);
	unlink(path);
	free(path);
	free(big);
}

/* timing presets and explicit timers before and after `timing`. */
static void
test_timing(void)
{
	static const struct {
		const char *text;
		enum conf_timing timing;
		int64_t gossip, failure, cleanup, finalize;
		const char *name;
	} cases[] = {
	    {"timing fast\n", CONF_TIMING_FAST, 200, 2000, 4000, 200,
		"timing fast"},
	    {"timing course\n", CONF_TIMING_COURSE, 3000, 30000, 60000, 3200,
		"timing course"},
	    {"gossip-interval 1s\ntiming course\n", CONF_TIMING_COURSE, 1000,
		30000, 60000, 3200, "override before timing"},
	    {"timing course\ngossip-interval 1s\n", CONF_TIMING_COURSE, 1000,
		30000, 60000, 3200, "override after timing"},
	    {"election-finalize 50ms\ntiming fast\n", CONF_TIMING_FAST, 200,
		2000, 4000, 50, "finalize before fast"},
	    {"failure-timeout 10s\ntiming course\ncleanup-timeout 20s\n",
		CONF_TIMING_COURSE, 3000, 10000, 20000, 3200,
		"overrides on both sides"},
	    {"gossip-interval 100ms\nfailure-timeout 1s\n"
	     "cleanup-timeout 1s\nelection-finalize 1s\ntiming course\n",
		CONF_TIMING_COURSE, 100, 1000, 1000, 1000,
		"all four before course"},
	    {"timing course\ngossip-interval 100ms\nfailure-timeout 1s\n"
	     "cleanup-timeout 1s\nelection-finalize 1s\n",
		CONF_TIMING_COURSE, 100, 1000, 1000, 1000,
		"all four after course"},
	    {"cleanup-timeout 2s\n", CONF_TIMING_FAST, 200, 2000, 2000, 200,
		"no timing, one override"},
	};
	struct conf *conf;
	char *text, *why;
	const char *diff;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		xasprintf(&text, BASE "%s", cases[i].text);
		conf = parse(text);
		free(text);
		if (!ok(conf != NULL, "%s: parses", cases[i].name))
			continue;
		ok(conf->timing == cases[i].timing &&
			conf->gossip_interval == cases[i].gossip &&
			conf->failure_timeout == cases[i].failure &&
			conf->cleanup_timeout == cases[i].cleanup &&
			conf->election_finalize == cases[i].finalize,
		    "%s: %" PRId64 "/%" PRId64 "/%" PRId64 "/%" PRId64,
		    cases[i].name, conf->gossip_interval, conf->failure_timeout,
		    conf->cleanup_timeout, conf->election_finalize);
		diff = round_trip(conf, &why);
		ok(diff == NULL, "%s: round trip", cases[i].name);
		if (diff != NULL)
			diag("%s %s", diff, why != NULL ? why : "");
		free(why);
		conf_free(conf);
	}
}

/* Each directive alone, its value read back (full.conf does them all). */
static void
test_values(void)
{
	struct conf *conf;

	conf = parse(BASE "log-level error\nallow-unsandboxed no\n"
			  "job-mode sandbox\n"
			  "job-memory 16M\ncache-size 1023\nrun-pool 64\n"
			  "queue-max 1048576\nrequest-wait 0ms\n"
			  "max-files 4096\n");
	if (ok(conf != NULL, "boundary values parse")) {
		is_int(conf->log_level, LOGLVL_ERROR, "log-level error");
		is_int(conf->allow_unsandboxed, 0, "allow-unsandboxed no");
		is_int(conf->job_mode, CONF_JOB_SANDBOX, "job-mode sandbox");
		is_int(conf->job_memory, 16 << 20, "job-memory 16M (minimum)");
		is_int(conf->cache_size, 1023, "cache-size in bytes");
		is_int(conf->run_pool, 64, "run-pool 64 (maximum)");
		is_int(conf->queue_max, 1048576, "queue-max maximum");
		is_int(conf->max_files, 4096, "max-files maximum");
		is_int(conf->request_wait, 0, "request-wait 0ms");
	}
	conf_free(conf);
	conf = parse(BASE "log-level warn\njob-memory 1g\nmax-body 2k\n"
			  "job-output-max 3m\n");
	if (ok(conf != NULL, "lower-case size units parse")) {
		is_int(conf->log_level, LOGLVL_WARN, "log-level warn");
		is_int(conf->job_memory, 1 << 30, "job-memory 1g");
		is_int(conf->max_body, 2048, "max-body 2k");
		is_int(conf->job_output_max, 3 << 20, "job-output-max 3m");
	}
	conf_free(conf);
	conf = parse("node 0 peer 127.0.0.1:1\ncluster-key-file k\n");
	if (ok(conf != NULL, "peer-only cluster, port 1, relative key")) {
		is_int(conf_nvoters(conf), 1, "one voter");
		is_str(conf->key_file, "k", "relative key path kept");
	}
	conf_free(conf);
}

/* Name resolution with the real resolver, as far as the host allows. */
static void
test_resolver(void)
{
	struct addrinfo hints, *res;
	struct conf *conf;
	int rc;

	conf_set_resolver(NULL);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo("localhost", NULL, &hints, &res);
	conf = parse("node 1 peer localhost:8010\ncluster-key-file /k\n");
	if (rc != 0) {
		ok(conf == NULL, "localhost does not resolve here; no config");
	} else {
		ok(conf != NULL &&
			conf->nodes[0].addr.sin_addr.s_addr ==
			    ((struct sockaddr_in *)res->ai_addr)
				->sin_addr.s_addr &&
			conf->nodes[0].addr.sin_port == htons(8010),
		    "getaddrinfo resolves localhost");
		freeaddrinfo(res);
	}
	conf_free(conf);
	conf_set_resolver(test_resolve);
}

static void
test_helpers(void)
{
	static const struct {
		const char *in;
		int64_t want;
		const char *problem;
	} durs[] = {
	    {"0ms", 0, NULL},
	    {"200ms", 200, NULL},
	    {"2s", 2000, NULL},
	    {"007s", 7000, NULL},
	    {"9223372036854775ms", 9223372036854775LL, NULL},
	    {"9223372036854775s", 9223372036854775000LL, NULL},
	    {"9223372036854776s", 0, "out of range"},
	    {"9223372036854775808ms", 0, "out of range"},
	    {"200", 0, "missing unit (ms or s)"},
	    {"", 0, "not a duration"},
	    {"ms", 0, "not a duration"},
	    {"2 s", 0, "not a duration"},
	    {"2h", 0, "not a duration"},
	    {"2sec", 0, "not a duration"},
	    {"+2s", 0, "not a duration"},
	};
	static const struct {
		const char *in;
		uint64_t want;
		const char *problem;
	} sizes[] = {
	    {"0", 0, NULL},
	    {"1000", 1000, NULL},
	    {"1K", 1024, NULL},
	    {"64M", 64ULL << 20, NULL},
	    {"3G", 3ULL << 30, NULL},
	    {"18446744073709551615", UINT64_MAX, NULL},
	    {"18446744073709551616", 0, "out of range"},
	    {"17179869184G", 0, "out of range"},
	    {"17179869183G", 17179869183ULL << 30, NULL},
	    {"", 0, "not a size"},
	    {"M", 0, "not a size"},
	    {"1KB", 0, "not a size"},
	    {"1T", 0, "not a size"},
	    {"-1", 0, "not a size"},
	};
	const char *problem;
	int64_t d;
	uint64_t s;
	size_t i;
	int rc;

	for (i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		d = -1;
		problem = NULL;
		rc = conf_parse_duration(durs[i].in, &d, &problem);
		if (durs[i].problem == NULL)
			ok(rc == 0 && d == durs[i].want,
			    "duration \"%s\" = %" PRId64, durs[i].in,
			    durs[i].want);
		else
			ok(rc == -1 && problem != NULL &&
				strcmp(problem, durs[i].problem) == 0,
			    "duration \"%s\": %s", durs[i].in, durs[i].problem);
	}
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		s = 1;
		problem = NULL;
		rc = conf_parse_size(sizes[i].in, &s, &problem);
		if (sizes[i].problem == NULL)
			ok(rc == 0 && s == sizes[i].want,
			    "size \"%s\" = %" PRIu64, sizes[i].in,
			    sizes[i].want);
		else
			ok(rc == -1 && problem != NULL &&
				strcmp(problem, sizes[i].problem) == 0,
			    "size \"%s\": %s", sizes[i].in, sizes[i].problem);
	}
	is_str(conf_role_name(CONF_GATEWAY), "gateway", "role name gateway");
	is_str(conf_role_name(CONF_PEER), "peer", "role name peer");
	is_str(conf_job_mode_name(CONF_JOB_SANDBOX), "sandbox",
	    "job mode name sandbox");
	is_str(conf_job_mode_name(CONF_JOB_TRUSTED), "trusted",
	    "job mode name trusted");
}

/* conf_print writes every directive, each once. */
static void
test_print(void)
{
	static const char *names[] = {"cluster-key-file", "timing",
	    "gossip-interval", "failure-timeout", "cleanup-timeout",
	    "election-finalize", "job-timeout", "job-memory", "job-output-max",
	    "java", "runner-jar", "run-pool", "allow-unsandboxed", "job-mode",
	    "cache-size", "max-body", "max-files", "request-wait", "queue-max",
	    "inflight-max", "client-timeout", "api-token-file", "state-dir",
	    "log-dir", "log-level", "log-max-size"};
	struct conf *conf;
	char *text, *line, *next, *why, first[64];
	const char *diff;
	size_t i, n;
	int count[sizeof names / sizeof names[0]], nodes = 0, other = 0;

	conf = parse(BASE "node 5 peer gw.example:9000\n"
			  "api-token-file /etc/jdp/api.token\n");
	if (!ok(conf != NULL, "print: config parses"))
		return;
	text = print_conf(conf);
	memset(count, 0, sizeof count);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#')
			continue;
		n = strcspn(line, " ");
		snprintf(first, sizeof first, "%.*s", (int)n, line);
		if (strcmp(first, "node") == 0) {
			nodes++;
			continue;
		}
		for (i = 0; i < sizeof names / sizeof names[0]; i++) {
			if (strcmp(first, names[i]) == 0) {
				count[i]++;
				break;
			}
		}
		if (i == sizeof names / sizeof names[0])
			other++;
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (count[i] != 1)
			break;
	}
	ok(i == sizeof names / sizeof names[0],
	    "print: every directive once (first missing: %s)",
	    i < sizeof names / sizeof names[0] ? names[i] : "none");
	is_int(nodes, 3, "print: every node");
	is_int(other, 0, "print: nothing else");
	free(text);

	text = print_conf(conf);
	ok(strstr(text, "\nnode 0 gateway 127.0.0.1:8000 http 8888\n") != NULL,
	    "print: gateway line with its http port");
	ok(strstr(text, "\nnode 5 peer    gw.example:9000\n") != NULL,
	    "print: host as written");
	ok(strstr(text, "\ngossip-interval   200ms\n") != NULL &&
		strstr(text, "\nfailure-timeout   2s\n") != NULL &&
		strstr(text, "\njob-memory        256M\n") != NULL,
	    "print: units");
	free(text);

	diff = round_trip(conf, &why);
	ok(diff == NULL, "defaults: print/parse round trip");
	if (diff != NULL)
		diag("%s %s", diff, why != NULL ? why : "");
	free(why);
	conf_free(conf);

	/* Values that need bytes or milliseconds to print exactly. */
	conf = parse(BASE "job-memory 16777217\njob-output-max 1025K\n"
			  "cache-size 1536M\njob-timeout 1001ms\n");
	if (ok(conf != NULL, "odd values parse")) {
		text = print_conf(conf);
		ok(strstr(text, "\njob-memory        16777217\n") != NULL &&
			strstr(text, "\njob-output-max    1025K\n") != NULL &&
			strstr(text, "\ncache-size        1536M\n") != NULL &&
			strstr(text, "\njob-timeout       1001ms\n") != NULL,
		    "print: odd values exactly");
		free(text);
		diff = round_trip(conf, &why);
		ok(diff == NULL, "odd values: round trip");
		free(why);
	}
	conf_free(conf);
}

/* A small deterministic PRNG (xorshift64). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Parse len bytes (through a file when they hold a NUL). Whatever the
 * input, the result must be consistent: an error names the input and is
 * one line; a config survives the round trip.
 */
static int
fuzz_one(const char *data, size_t len, int *accepted)
{
	struct conf *conf = NULL;
	char *cause = NULL, *text, *path = NULL, *why;
	const char *name = "jdp.conf";
	int rc, good = 1;

	if (memchr(data, '\0', len) != NULL) {
		path = write_temp(data, len);
		name = path;
		rc = conf_load(path, &conf, &cause);
	} else {
		text = xstrndup(data, len);
		rc = conf_parse(name, text, &conf, &cause);
		free(text);
	}
	if (rc == 0) {
		(*accepted)++;
		if (conf == NULL || cause != NULL)
			good = 0;
		else if (round_trip(conf, &why) != NULL) {
			diag("round trip: %s", why != NULL ? why : "");
			good = 0;
		} else
			free(why);
	} else if (rc != -1 || conf != NULL || cause == NULL ||
	    strncmp(cause, name, strlen(name)) != 0 ||
	    cause[strlen(name)] != ':' || strchr(cause, '\n') != NULL)
		good = 0;
	if (!good)
		diag("bad result %d for input of %zu bytes: %s", rc, len,
		    cause != NULL ? cause : "(no cause)");
	conf_free(conf);
	free(cause);
	if (path != NULL) {
		unlink(path);
		free(path);
	}
	return good;
}

/* Mutate buf in place (it has room for cap bytes); returns the new length. */
static size_t
fuzz_mutate(char *buf, size_t len, size_t cap)
{
	static const char *tokens[] = {"99999999999999999999999", "#", " ",
	    "\t", "\n", ":", "0", "-1", "ms", "s", "G", "node", "http",
	    "gateway", "peer", "timing course", "\r", "65535", "\0"};
	size_t pos, n, i, ops;
	const char *t;

	ops = 1 + rng() % 4;
	for (i = 0; i < ops; i++) {
		pos = len == 0 ? 0 : rng() % (len + 1);
		switch (rng() % 6) {
		case 0: /* replace a byte */
			if (pos < len)
				buf[pos] = (char)(rng() % 256);
			break;
		case 1: /* delete a run */
			n = rng() % 8;
			if (pos + n > len)
				n = len - pos;
			memmove(buf + pos, buf + pos + n, len - pos - n);
			len -= n;
			break;
		case 2: /* insert a token */
			t = tokens[rng() % (sizeof tokens / sizeof tokens[0])];
			n = *t == '\0' ? 1 : strlen(t);
			if (len + n > cap)
				break;
			memmove(buf + pos + n, buf + pos, len - pos);
			memcpy(buf + pos, t, n);
			len += n;
			break;
		case 3: /* duplicate a chunk (a line, often) */
			n = rng() % 40;
			if (pos + n > len)
				n = len - pos;
			if (len + n > cap)
				break;
			memmove(buf + pos + n, buf + pos, len - pos);
			len += n;
			break;
		case 4: /* a long run of one byte */
			n = rng() % 2 ? 300 : CONF_MAX_LINE;
			if (len + n > cap)
				break;
			memmove(buf + pos + n, buf + pos, len - pos);
			memset(buf + pos, rng() % 2 ? 'a' : '9', n);
			len += n;
			break;
		case 5: /* swap a digit */
			if (pos < len && buf[pos] >= '0' && buf[pos] <= '9')
				buf[pos] = (char)('0' + rng() % 10);
			break;
		}
	}
	return len;
}

static void
test_fuzz(void)
{
	char *path, *data, *buf;
	size_t len, cap, n, i;
	int good = 1, accepted = 0, files = 0;

	path = data_path("full.conf");
	if ((data = read_file(path, &len)) == NULL) {
		ok(0, "read %s", path);
		free(path);
		return;
	}
	free(path);

	/* Every prefix. */
	for (n = 0; n <= len; n++)
		good &= fuzz_one(data, n, &accepted);
	ok(good, "every prefix of full.conf (%zu): no crash, sane results",
	    len + 1);
	ok(accepted > 0 && accepted < (int)len,
	    "some prefixes parse (%d), most do not", accepted);

	/* Random mutations. */
	good = 1;
	accepted = 0;
	cap = len + 4 * CONF_MAX_LINE + 64;
	buf = xmalloc(cap);
	for (i = 0; i < 4000; i++) {
		memcpy(buf, data, len);
		n = fuzz_mutate(buf, len, cap);
		if (memchr(buf, '\0', n) != NULL)
			files++;
		good &= fuzz_one(buf, n, &accepted);
	}
	ok(good, "4000 mutations of full.conf: no crash, sane results");
	diag("%d mutations parsed, %d went through files (NUL bytes)", accepted,
	    files);
	ok(accepted > 0 && files > 0, "mutations both parse and hold NULs");

	/* Random bytes. */
	good = 1;
	for (i = 0; i < 1000; i++) {
		n = rng() % 200;
		for (len = 0; len < n; len++)
			buf[len] = (char)(1 + rng() % 255);
		good &= fuzz_one(buf, n, &accepted);
	}
	ok(good, "1000 random byte strings: no crash, sane results");
	free(buf);
	free(data);
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	const char *me = __FILE__, *tail = "tests/unit/test_conf.c";
	size_t n;

	/* make check sets top_srcdir; else go by where this file was. */
	if (top != NULL && *top != '\0')
		srcdir = xstrdup(top);
	else if ((n = strlen(me)) > strlen(tail) + 1 &&
	    strcmp(me + n - strlen(tail), tail) == 0)
		srcdir = xstrndup(me, n - strlen(tail) - 1);
	else
		srcdir = xstrdup(".");
	conf_set_resolver(test_resolve);

	test_helpers();
	test_error_table();
	test_error_bytes();
	test_max_nodes();
	test_defaults();
	test_values();
	test_timing();
	test_load_full();
	test_load_errors();
	test_print();
	test_resolver();
	test_fuzz();

	free(srcdir);
	return tap_done();
}
