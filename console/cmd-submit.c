/*
 * cmd-submit.c: `jdpctl submit FILE.java [--stdin FILE] [--timeout SECS]
 * [-g URL] [--json]`: POST the source (and the job's stdin and time limit)
 * to the gateway's /v1/run (falling back to the classic /compileandrun on
 * a gateway without it, unless --stdin or --timeout need /v1/run), print
 * the result on stdout and exit 0, or the job's error text on stderr and
 * exit 1.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "jdpctl.h"
#include "submit.h"

/* How long one job may take end to end, queueing included. */
#define CMD_SUBMIT_TIMEOUT_MS 120000L

static void
cmd_submit_print(FILE *f, const char *s, size_t len)
{
	fwrite(s, 1, len, f);
	if (len == 0 || s[len - 1] != '\n')
		fputc('\n', f);
}

/* The classic endpoint: 200 + result, 400 + error text. */
static int
cmd_submit_classic(const char *gw, const char *src, size_t len)
{
	struct buf out;
	char *url;
	const char *err = NULL;
	long st;
	int rc;

	buf_init(&out);
	xasprintf(&url, "%s/compileandrun", gw);
	st = client_post(url, "text/x-java-source", src, len,
	    CMD_SUBMIT_TIMEOUT_MS, &out, &err);
	if (st == 200) {
		cmd_submit_print(stdout, (char *)buf_data(&out), buf_len(&out));
		rc = JDPCTL_OK;
	} else if (st == 400 || st == 413) {
		cmd_submit_print(stderr, (char *)buf_data(&out), buf_len(&out));
		rc = JDPCTL_JOB_ERROR;
	} else {
		jdpctl_warnx("%s", client_error(gw, url, st, err));
		rc = JDPCTL_UNREACHABLE;
	}
	free(url);
	buf_free(&out);
	return rc;
}

static int
cmd_submit_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"gateway", required_argument, NULL, 'g'},
	    {"stdin", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	struct submit_answer a;
	struct buf src, in, out;
	const char *gw = NULL, *err = NULL, *file, *in_file = NULL;
	char *url, *body, *end;
	int ch, json = 0, rc;
	double timeout = 0;
	long st;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "g:j", longopts, NULL)) != -1) {
		switch (ch) {
		case 'g':
			gw = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'i':
			in_file = optarg;
			break;
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || errno != 0 ||
			    !isfinite(timeout) || timeout <= 0) {
				jdpctl_warnx(
				    "bad --timeout %s: want a positive "
				    "number of seconds",
				    optarg);
				return JDPCTL_USAGE;
			}
			break;
		default:
			jdpctl_warnx("usage: jdpctl %s %s", cmd_submit.name,
			    cmd_submit.usage);
			return JDPCTL_USAGE;
		}
	}
	if (optind != argc - 1) {
		jdpctl_warnx(
		    "usage: jdpctl %s %s", cmd_submit.name, cmd_submit.usage);
		return JDPCTL_USAGE;
	}
	file = argv[optind];
	gw = jdpctl_gateway(gw);
	buf_init(&src);
	buf_init(&in);
	buf_init(&out);
	url = NULL;
	if (submit_read_file(file, &src) == -1) {
		jdpctl_warnx("cannot read %s: %s", file, strerror(errno));
		rc = JDPCTL_USAGE;
		goto done;
	}
	if (in_file != NULL && submit_read_file(in_file, &in) == -1) {
		jdpctl_warnx("cannot read %s: %s",
		    strcmp(in_file, "-") == 0 ? "standard input" : in_file,
		    strerror(errno));
		rc = JDPCTL_USAGE;
		goto done;
	}
	body = submit_request_json((char *)buf_data(&src), buf_len(&src),
	    in_file != NULL ? buf_cstr(&in) : NULL, buf_len(&in), timeout);
	xasprintf(&url, "%s/v1/run", gw);
	st = client_post(url, "application/json", body, strlen(body),
	    CMD_SUBMIT_TIMEOUT_MS, &out, &err);
	free(body);
	if ((st == 404 || st == 405) && (in_file != NULL || timeout > 0)) {
		jdpctl_warnx("%s answered HTTP %ld: --stdin and --timeout need "
			     "a gateway with /v1/run",
		    url, st);
		rc = JDPCTL_UNREACHABLE;
		goto done;
	}
	if (st == 404 || st == 405) {
		rc = cmd_submit_classic(
		    gw, (char *)buf_data(&src), buf_len(&src));
		goto done;
	}
	if (st == -1) {
		jdpctl_warnx("%s", client_error(gw, url, st, err));
		rc = JDPCTL_UNREACHABLE;
		goto done;
	}
	if (st == 401) {
		jdpctl_warnx("%s wants a bearer token: set JDP_TOKEN to the "
			     "gateway's api token%s",
		    gw,
		    getenv("JDP_TOKEN") != NULL ? " (this one is wrong)" : "");
		rc = JDPCTL_USAGE;
		goto done;
	}
	if (submit_parse(st, buf_cstr(&out), buf_len(&out), &a) == -1) {
		jdpctl_warnx(
		    "%s answered HTTP %ld: %.200s", url, st, buf_cstr(&out));
		rc = JDPCTL_UNREACHABLE;
		goto done;
	}
	if (json)
		cmd_submit_print(stdout, buf_cstr(&out), buf_len(&out));
	if (a.outcome == SUBMIT_OK) {
		if (!json)
			cmd_submit_print(stdout, a.result, a.result_len);
		rc = JDPCTL_OK;
	} else if (a.outcome == SUBMIT_JOB_ERROR) {
		if (!json)
			cmd_submit_print(stderr, a.result, a.result_len);
		rc = JDPCTL_JOB_ERROR;
	} else {
		jdpctl_warnx("the cluster did not run the job (%s): %.*s",
		    a.status, (int)a.result_len, a.result);
		rc = JDPCTL_UNREACHABLE;
	}
	submit_answer_free(&a);
done:
	free(url);
	buf_free(&out);
	buf_free(&in);
	buf_free(&src);
	return rc;
}

const struct jdpctl_cmd cmd_submit = {"submit",
    "FILE.java [--stdin FILE|-] [--timeout SECS] [-g URL] [--json]",
    "run a Java job, print its result", cmd_submit_exec};
