/*
 * cmd-status.c: `jdpctl status [-g URL] [--json]`: the gateway's view of
 * the cluster (GET /cluster-info?format=json): leader, epoch and a table
 * of nodes, or the JSON itself.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "jdpctl.h"
#include "view.h"
#include "xmalloc.h"

int
cmd_status_fetch(const char *gw, struct buf *body, struct view *v, int quiet)
{
	const char *err = NULL;
	char *url;
	long st;

	xasprintf(&url, "%s/cluster-info?format=json", gw);
	st = client_get(url, body, NULL, &err);
	if (st != 200) {
		if (!quiet)
			jdpctl_warnx("%s", client_error(gw, url, st, err));
		free(url);
		return JDPCTL_UNREACHABLE;
	}
	if (view_parse(buf_cstr(body), buf_len(body), v, &err) == -1) {
		if (!quiet)
			jdpctl_warnx("%s: bad answer: %s", url, err);
		free(url);
		return JDPCTL_UNREACHABLE;
	}
	free(url);
	return JDPCTL_OK;
}

static void
cmd_status_print(const char *gw, const struct view *v)
{
	const struct view_node *n;
	char hb[24], heard[24], inc[24];
	int i, live, failed;

	view_counts(v, &live, &failed);
	printf("gateway  %s\n", gw);
	if (v->leader >= 0)
		printf("leader   %d\n", v->leader);
	else
		printf("leader   none\n");
	printf("epoch    %llu\n", (unsigned long long)v->epoch);
	printf("nodes    %d live, %d failed\n\n", live, failed);
	printf("%4s  %-10s %-22s %10s %10s  %s\n", "ID", "ROLE", "ADDRESS",
	    "HEARTBEAT", "HEARD", "INCARNATION");
	for (i = 0; i < v->nnodes; i++) {
		n = &v->nodes[i];
		if (n->known) {
			snprintf(hb, sizeof hb, "%llu",
			    (unsigned long long)n->heartbeat);
			snprintf(heard, sizeof heard, "%.1fs ago",
			    (double)n->last_heard_ms / 1000.0);
			snprintf(inc, sizeof inc, "%llu",
			    (unsigned long long)n->incarnation);
		} else {
			snprintf(hb, sizeof hb, "-");
			snprintf(heard, sizeof heard, "never");
			snprintf(inc, sizeof inc, "-");
		}
		printf("%4d  %-10s %-22s %10s %10s  %s\n", n->id, n->role,
		    n->address, hb, heard, inc);
	}
}

static int
cmd_status_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"gateway", required_argument, NULL, 'g'}, {NULL, 0, NULL, 0}};
	struct view *v;
	struct buf body;
	const char *gw = NULL;
	int ch, json = 0, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "g:j", longopts, NULL)) != -1) {
		switch (ch) {
		case 'g':
			gw = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	gw = jdpctl_gateway(gw);
	v = xmalloc(sizeof *v);
	buf_init(&body);
	if ((rc = cmd_status_fetch(gw, &body, v, 0)) == JDPCTL_OK) {
		if (json)
			fputs(buf_cstr(&body), stdout);
		else
			cmd_status_print(gw, v);
	}
	buf_free(&body);
	free(v);
	return rc;
usage:
	jdpctl_warnx("usage: jdpctl %s %s", cmd_status.name, cmd_status.usage);
	return JDPCTL_USAGE;
}

const struct jdpctl_cmd cmd_status = {"status", "[-g URL] [--json]",
    "leader, epoch and nodes of the cluster", cmd_status_exec};
