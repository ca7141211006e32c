/*
 * jdpctl.c: the jdp console's entry point: global options and the
 * subcommand table. One file per subcommand (cmd-*.c).
 */
#include "config.h"

#include <curl/curl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jdpctl.h"
#include "xmalloc.h"

static const struct jdpctl_cmd *jdpctl_cmds[] = {
    &cmd_cluster,
    &cmd_kill,
    &cmd_restart,
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

static size_t
jdpctl_http_write(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

long
jdpctl_http_get(const char *url, struct buf *body, const char **err)
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
	    "usage: jdpctl [-h | --help] [-V | --version] COMMAND [ARGS]\n"
	    "\ncommands:\n");
	for (i = 0; i < JDPCTL_NCMDS; i++)
		fprintf(f, "  %-8s %-36s %s\n", jdpctl_cmds[i]->name,
		    jdpctl_cmds[i]->usage, jdpctl_cmds[i]->help);
	fprintf(f,
	    "\nenvironment: JDP_GATEWAY (default http://127.0.0.1:8888),"
	    " JDP_DIR (local cluster directory)\n"
	    "exit status: 0 ok, 1 job error, 2 usage or local error,"
	    " 3 cluster unreachable\n");
}

int
main(int argc, char **argv)
{
	size_t i;
	int rc;

	if (argc < 2) {
		jdpctl_usage(stderr);
		return JDPCTL_USAGE;
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
