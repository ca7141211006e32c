/*
 * jdpctl.c: the jdp console's entry point: global options and the
 * subcommand table. One file per subcommand (cmd-*.c).
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "jdpctl.h"
#include "xmalloc.h"

static const struct jdpctl_cmd *jdpctl_cmds[] = {
    &cmd_cluster,
    &cmd_kill,
    &cmd_restart,
    &cmd_submit,
    &cmd_status,
    &cmd_logs,
    &cmd_top,
};
#define JDPCTL_NCMDS (sizeof jdpctl_cmds / sizeof jdpctl_cmds[0])

void
jdpctl_warnx(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "jdpctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

const char *
jdpctl_gateway(const char *opt)
{
	const char *s;

	if (opt != NULL)
		return opt;
	if ((s = getenv("JDP_GATEWAY")) != NULL && *s != '\0')
		return s;
	return "http://127.0.0.1:8888";
}

const char *
jdpctl_dir(const char *opt)
{
	static char *dir;
	const char *s;

	if (opt != NULL)
		return opt;
	if ((s = getenv("JDP_DIR")) != NULL && *s != '\0')
		return s;
	if (dir == NULL) {
		if ((s = getenv("XDG_STATE_HOME")) != NULL && *s != '\0')
			xasprintf(&dir, "%s/jdp", s);
		else if ((s = getenv("HOME")) != NULL && *s != '\0')
			xasprintf(&dir, "%s/.local/state/jdp", s);
		else
			dir = xstrdup("/tmp/jdp");
	}
	return dir;
}

const char *
jdpctl_bindir(void)
{
	static char dir[PATH_MAX];
	char *d;
	ssize_t n;

	if (dir[0] == '\0') {
		n = readlink("/proc/self/exe", dir, sizeof dir - 1);
		if (n <= 0)
			return ".";
		dir[n] = '\0';
		d = dirname(dir); /* may modify dir and point into it */
		memmove(dir, d, strlen(d) + 1);
	}
	return dir;
}

size_t
jdpctl_http_write(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

size_t
jdpctl_http_logsize(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "x-log-size:";
	size_t len = size * n;
	char num[32];

	if (len > sizeof name && len - (sizeof name - 1) < sizeof num &&
	    strncasecmp(p, name, sizeof name - 1) == 0) {
		memcpy(num, p + sizeof name - 1, len - (sizeof name - 1));
		num[len - (sizeof name - 1)] = '\0';
		*(uint64_t *)arg = strtoull(num, NULL, 10);
	}
	return len;
}

struct curl_slist *
jdpctl_http_headers(const char *ctype)
{
	struct curl_slist *hdrs = NULL;
	const char *token = getenv("JDP_TOKEN");
	char *h;

	xasprintf(&h, "Content-Type: %s", ctype);
	hdrs = curl_slist_append(hdrs, h);
	free(h);
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (token != NULL && *token != '\0') {
		xasprintf(&h, "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, h);
		free(h);
	}
	return hdrs;
}

long
jdpctl_http_post(const char *url, const char *ctype, const void *body,
    size_t len, long timeout_ms, struct buf *out, const char **err)
{
	static char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs;
	CURL *c;
	CURLcode rc;
	long status = -1;

	if ((c = curl_easy_init()) == NULL) {
		*err = "cannot initialise libcurl";
		return -1;
	}
	hdrs = jdpctl_http_headers(ctype);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, jdpctl_http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
	if ((rc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		*err = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return status;
}

int
jdpctl_node_url(const char *addr, char *url, size_t len)
{
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;

	if (colon == NULL || colon == addr)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535 - 3)
		return -1;
	snprintf(
	    url, len, "http://%.*s:%ld", (int)(colon - addr), addr, port + 3);
	return 0;
}

int
jdpctl_read_file(const char *path, struct buf *b)
{
	char chunk[65536];
	size_t n;
	FILE *f;
	int e;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(b, chunk, n);
	if (ferror(f)) {
		e = errno;
		if (f != stdin)
			fclose(f);
		errno = e;
		return -1;
	}
	if (f != stdin)
		fclose(f);
	buf_cstr(b);
	return 0;
}

long
jdpctl_http_get(const char *url, struct buf *body, const char **err)
{
	return jdpctl_http_get_log(url, body, NULL, err);
}

long
jdpctl_http_get_log(
    const char *url, struct buf *body, uint64_t *logsize, const char **err)
{
	static char errbuf[CURL_ERROR_SIZE];
	CURL *c;
	CURLcode rc;
	long status = -1;

	if ((c = curl_easy_init()) == NULL) {
		*err = "cannot initialise libcurl";
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, jdpctl_http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	if (logsize != NULL) {
		curl_easy_setopt(
		    c, CURLOPT_HEADERFUNCTION, jdpctl_http_logsize);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, logsize);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
	if ((rc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		*err = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	curl_easy_cleanup(c);
	return status;
}

static void
jdpctl_usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: jdpctl [-h | --help] [-V | --version] [COMMAND [ARGS]]\n"
	    "       jdpctl [top options]   (the TUI, same as jdpctl top)\n"
	    "\ncommands:\n");
	for (i = 0; i < JDPCTL_NCMDS; i++)
		fprintf(f, "  %-8s %-36s %s\n", jdpctl_cmds[i]->name,
		    jdpctl_cmds[i]->usage, jdpctl_cmds[i]->help);
	fprintf(f,
	    "\nenvironment: JDP_GATEWAY (default http://127.0.0.1:8888),"
	    " JDP_DIR (local cluster directory),\n"
	    "             JDP_TOKEN (bearer token for jobs)\n"
	    "exit status: 0 ok, 1 job error, 2 usage or local error,"
	    " 3 cluster unreachable\n");
}

int
main(int argc, char **argv)
{
	size_t i;
	int rc;

	static char top[] = "top";
	char **targv;

	if (argc < 2 ||
	    (argv[1][0] == '-' && strcmp(argv[1], "-h") != 0 &&
		strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-V") != 0 &&
		strcmp(argv[1], "--version") != 0)) {
		/* No command, or only options: the TUI (jdpctl top). */
		targv = xcalloc((size_t)argc + 1, sizeof *targv);
		targv[0] = top;
		for (i = 1; i < (size_t)argc; i++)
			targv[i] = argv[i];
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = cmd_top.exec(argc, targv);
		curl_global_cleanup();
		free(targv);
		return rc;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		jdpctl_usage(stdout);
		return JDPCTL_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("jdpctl %s\n", VERSION);
		return JDPCTL_OK;
	}
	for (i = 0; i < JDPCTL_NCMDS; i++) {
		if (strcmp(argv[1], jdpctl_cmds[i]->name) != 0)
			continue;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = jdpctl_cmds[i]->exec(argc - 1, argv + 1);
		curl_global_cleanup();
		return rc;
	}
	jdpctl_warnx("unknown command: %s (try jdpctl --help)", argv[1]);
	return JDPCTL_USAGE;
}
