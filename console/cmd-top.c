/*
 * cmd-top.c: `jdpctl top [-g URL] [-d DIR] [-r MS] [--readonly]
 * [--no-color]` (and `jdpctl` alone): the interactive console's options;
 * the console itself is tui.c and its modules.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "jdpctl.h"
#include "tui.h"

#define CMD_TOP_DEFAULT_REFRESH_MS 500

static int
cmd_top_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"readonly", no_argument, NULL, 'R'},
	    {"no-color", no_argument, NULL, 'C'},
	    {"gateway", required_argument, NULL, 'g'},
	    {"refresh", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
	const char *gw = NULL, *dir = NULL, *s;
	char path[4096], *end;
	long refresh = CMD_TOP_DEFAULT_REFRESH_MS;
	int ch, readonly = 0, colour = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "g:d:r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'g':
			gw = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'r':
			refresh = strtol(optarg, &end, 10);
			if (*end != '\0' || refresh < 50 || refresh > 60000) {
				jdpctl_warnx("-r: milliseconds, 50 to 60000");
				return JDPCTL_USAGE;
			}
			break;
		case 'R':
			readonly = 1;
			break;
		case 'C':
			colour = 0;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((s = getenv("NO_COLOR")) != NULL && *s != '\0')
		colour = 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		jdpctl_warnx(
		    "the console needs a terminal (try jdpctl status)");
		return JDPCTL_USAGE;
	}
	/* A cluster directory only if asked for or if one is there. */
	if (dir == NULL) {
		s = jdpctl_dir(NULL);
		snprintf(path, sizeof path, "%s/jdp.conf", s);
		if (access(path, R_OK) == 0)
			dir = s;
	}
	return tui_main(
	    jdpctl_gateway(gw), dir, readonly, (int)refresh, colour);
usage:
	jdpctl_warnx("usage: jdpctl %s %s", cmd_top.name, cmd_top.usage);
	return JDPCTL_USAGE;
}

const struct jdpctl_cmd cmd_top = {"top",
    "[-g URL] [-d DIR] [-r MS] [--readonly] [--no-color]",
    "the interactive console (also: jdpctl alone)", cmd_top_exec};
