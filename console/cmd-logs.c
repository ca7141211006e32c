/*
 * cmd-logs.c: `jdpctl logs ID [--verbose] [-f] [-n LINES] [-g URL | -d DIR]`:
 * a node's summary (or verbose) log from its node HTTP port. The node's
 * address comes from DIR/jdp.conf with -d, else from the gateway's
 * /cluster-info, else from the default local cluster directory. -f
 * follows the file with ?since=OFFSET.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "client.h"
#include "jdpctl.h"
#include "view.h"
#include "xmalloc.h"

#define CMD_LOGS_CHUNK (1024 * 1024) /* what the node sends at most per GET */
#define CMD_LOGS_FOLLOW_MS 500

/* The node HTTP base URL of node id; JDPCTL_OK or an exit code. */
static int
cmd_logs_find(int id, const char *gw, const char *dir, char *url, size_t len)
{
	const struct view_node *n;
	struct view *v = xmalloc(sizeof *v);
	struct buf body;
	int rc = JDPCTL_UNREACHABLE;

	if (dir != NULL) {
		if (view_from_dir(v, dir) == -1) {
			jdpctl_warnx("no valid %s/jdp.conf", dir);
			free(v);
			return JDPCTL_USAGE;
		}
		rc = JDPCTL_OK;
	} else {
		buf_init(&body);
		rc = cmd_status_fetch(jdpctl_gateway(gw), &body, v, 1);
		buf_free(&body);
		if (rc != JDPCTL_OK && gw == NULL &&
		    view_from_dir(v, jdpctl_dir(NULL)) == 0)
			rc = JDPCTL_OK;
		if (rc != JDPCTL_OK) {
			buf_init(&body);
			rc = cmd_status_fetch(jdpctl_gateway(gw), &body, v, 0);
			buf_free(&body);
			if (rc != JDPCTL_OK) {
				free(v);
				return rc;
			}
		}
	}
	if ((n = view_find(v, id)) == NULL) {
		jdpctl_warnx("no node %d in the cluster", id);
		free(v);
		return JDPCTL_USAGE;
	}
	if (client_node_url(n->address, url, len) == -1) {
		jdpctl_warnx("node %d: bad address %s", id, n->address);
		free(v);
		return JDPCTL_UNREACHABLE;
	}
	free(v);
	return JDPCTL_OK;
}

/* GET one slice from *off, print it; the HTTP status or -1. */
static long
cmd_logs_get(const char *base, const char *which, uint64_t *off, size_t *got,
    const char **err)
{
	struct buf body;
	char url[700];
	uint64_t next = *off;
	long st;

	snprintf(url, sizeof url, "%s/logs/%s?since=%llu", base, which,
	    (unsigned long long)*off);
	buf_init(&body);
	st = client_get(url, &body, &next, err);
	*got = 0;
	if (st == 200) {
		*got = buf_len(&body);
		fwrite(buf_data(&body), 1, buf_len(&body), stdout);
		fflush(stdout);
		*off = next >= *off || *got > 0 ? next : *off;
	}
	buf_free(&body);
	return st;
}

static int
cmd_logs_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {"follow", no_argument, NULL, 'f'},
	    {"gateway", required_argument, NULL, 'g'}, {NULL, 0, NULL, 0}};
	struct timespec ts = {0, CMD_LOGS_FOLLOW_MS * 1000000L};
	const char *gw = NULL, *dir = NULL, *which = "summary", *err = NULL;
	char base[512], *end;
	uint64_t off = 0;
	size_t got;
	int ch, id, follow = 0, rc, down = 0;
	long st;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "vfg:d:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			which = "verbose";
			break;
		case 'f':
			follow = 1;
			break;
		case 'g':
			gw = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	id = (int)strtol(argv[optind], &end, 10);
	if (*argv[optind] == '\0' || *end != '\0' || id < 0)
		goto usage;
	if ((rc = cmd_logs_find(id, gw, dir, base, sizeof base)) != JDPCTL_OK)
		return rc;
	/* The whole file, a slice at a time. */
	do {
		st = cmd_logs_get(base, which, &off, &got, &err);
	} while (st == 200 && got == CMD_LOGS_CHUNK);
	if (st != 200) {
		if (st == -1)
			jdpctl_warnx("node %d (%s): %s", id, base, err);
		else
			jdpctl_warnx(
			    "%s/logs/%s answered HTTP %ld", base, which, st);
		return JDPCTL_UNREACHABLE;
	}
	while (follow) {
		nanosleep(&ts, NULL);
		st = cmd_logs_get(base, which, &off, &got, &err);
		if (st != 200 && !down)
			jdpctl_warnx(
			    "node %d is not answering; still trying", id);
		else if (st == 200 && down)
			jdpctl_warnx("node %d answers again", id);
		down = st != 200;
	}
	return JDPCTL_OK;
usage:
	jdpctl_warnx("usage: jdpctl %s %s", cmd_logs.name, cmd_logs.usage);
	return JDPCTL_USAGE;
}

const struct jdpctl_cmd cmd_logs = {"logs",
    "ID [--verbose] [-f] [-g URL | -d DIR]", "print (or follow) a node's log",
    cmd_logs_exec};
