/*
 * runner-exec.c: `jdpd --exec FILE`: one job through a fresh runner on a
 * loop of its own, its result printed (or as JSON) and turned into the
 * exit status.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "log.h"
#include "runner.h"
#include "runner-int.h"
#include "xmalloc.h"

struct runner_exec {
	struct ev *ev;
	int json;
	int status; /* exit status */
	const char *sandbox;
};

static void
runner_exec_done(const struct runner_result *res, void *arg)
{
	struct runner_exec *x = arg;
	struct buf b;

	x->status = res->status == PROTO_RESULT_OK ? 0
	    : res->status == PROTO_RESULT_REJECTED ? 2
						   : 1;
	if (x->json) {
		buf_init(&b);
		buf_puts(&b, "{\"status\":");
		buf_json_str(&b, proto_result_status_name(res->status),
		    strlen(proto_result_status_name(res->status)));
		buf_puts(&b, ",\"result\":");
		buf_json_str(&b, res->body, res->body_len);
		buf_puts(&b, ",\"stdout\":");
		buf_json_str(&b, res->out, res->out_len);
		buf_puts(&b, ",\"stderr\":");
		buf_json_str(&b, res->err, res->err_len);
		buf_printf(&b,
		    ",\"timings\":{\"queue_ms\":%lld,"
		    "\"compile_ms\":%lld,\"wait_ms\":%lld,\"run_ms\":%lld}",
		    (long long)res->queue_ms, (long long)res->compile_ms,
		    (long long)res->wait_ms, (long long)res->run_ms);
		buf_puts(&b, ",\"sandbox\":");
		buf_json_str(&b, x->sandbox, strlen(x->sandbox));
		buf_puts(&b, "}\n");
		fwrite(buf_data(&b), 1, buf_len(&b), stdout);
		buf_free(&b);
	} else if (res->status == PROTO_RESULT_OK)
		fwrite(res->body, 1, res->body_len, stdout);
	else {
		fwrite(res->body, 1, res->body_len, stderr);
		if (res->body_len == 0 || res->body[res->body_len - 1] != '\n')
			fputc('\n', stderr);
	}
	fflush(stdout);
	ev_stop(x->ev);
}

/* Read a whole file. Caller frees. */
static char *
runner_read_file(const char *path, size_t *len, char **cause)
{
	FILE *f;
	char *data = NULL;
	size_t n = 0, cap = 0, got;

	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			data = xreallocarray(data, cap, 1);
		}
		if ((got = fread(data + n, 1, cap - n, f)) == 0)
			break;
		n += got;
		if (n > (256U << 20)) {
			xasprintf(cause, "%s: file too large", path);
			fclose(f);
			free(data);
			return NULL;
		}
	}
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	*len = n;
	return data;
}

int
runner_exec_main(const struct conf *conf, const char *path, int json)
{
	struct runner_exec x;
	struct runner *r;
	struct conf c = *conf;
	char *src, *cause;
	size_t len;

	/* The result is the output: keep informational lines off it. */
	if (getenv("JDP_EXEC_VERBOSE") == NULL)
		log_set_level(LOGLVL_ERROR);
	if ((src = runner_read_file(path, &len, &cause)) == NULL) {
		fprintf(stderr, "jdpd: %s\n", cause);
		free(cause);
		return 2;
	}
	memset(&x, 0, sizeof x);
	x.ev = ev_new();
	x.json = json;
	x.status = 2;
	/* One job: one run JVM, started while the compiler starts. */
	c.run_pool = 1;
	if ((r = runner_create(x.ev, &c, 0, &cause)) == NULL) {
		fprintf(stderr, "jdpd: %s\n", cause);
		free(cause);
		free(src);
		ev_free(x.ev);
		return 2;
	}
	r->pool_size = 0; /* no refill after our one job */
	x.sandbox = runner_sandbox(r);
	runner_submit(r, src, len, NULL, 0, 0, runner_exec_done, &x);
	free(src);
	if (ev_run(x.ev) == -1) {
		fprintf(stderr, "jdpd: event loop: %s\n", strerror(errno));
		x.status = 2;
	}
	runner_free(r);
	ev_free(x.ev);
	return x.status;
}
