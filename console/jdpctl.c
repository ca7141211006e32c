/*
 * jdpctl.c: the jdp console's entry point: main, the subcommand table and
 * what every subcommand shares from the environment (-g and -d defaults,
 * where the binary is, warnings, the monotonic clock). One file per
 * subcommand (cmd-*.c); HTTP is client.c's.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
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
	const struct passwd *pw;
	const char *s;

	if (opt != NULL)
		return opt;
	if ((s = getenv("JDP_DIR")) != NULL && *s != '\0')
		return s;
	/*
	 * A per-user state directory, never a shared one such as /tmp: it
	 * holds the cluster key, and it outlives the login session (the
	 * nodes do), which $XDG_RUNTIME_DIR does not.
	 */
	if (dir == NULL) {
		if ((s = getenv("XDG_STATE_HOME")) != NULL && *s == '/')
			xasprintf(&dir, "%s/jdp", s);
		else if ((s = getenv("HOME")) != NULL && *s == '/')
			xasprintf(&dir, "%s/.local/state/jdp", s);
		else if ((pw = getpwuid(getuid())) != NULL &&
		    pw->pw_dir != NULL && *pw->pw_dir == '/')
			xasprintf(&dir, "%s/.local/state/jdp", pw->pw_dir);
		else {
			jdpctl_warnx("no home directory to keep a cluster in: "
				     "give -d DIR or set JDP_DIR");
			exit(JDPCTL_USAGE);
		}
	}
	return dir;
}

int64_t
jdpctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
		client_init();
		rc = cmd_top.exec(argc, targv);
		client_done();
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
		client_init();
		rc = jdpctl_cmds[i]->exec(argc - 1, argv + 1);
		client_done();
		return rc;
	}
	jdpctl_warnx("unknown command: %s (try jdpctl --help)", argv[1]);
	return JDPCTL_USAGE;
}
