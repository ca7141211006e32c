/*
 * submit.h: the /v1/run request and answer, shared by `jdpctl submit` and
 * the TUI's job pane.
 */
#ifndef JDP_SUBMIT_H
#define JDP_SUBMIT_H

#include <stddef.h>

#include "buf.h"
#include "xmalloc.h"

enum submit_outcome {
	SUBMIT_OK, /* status ok: result is the job's result */
	SUBMIT_JOB_ERROR, /* compile/runtime error, a limit: result is why */
	SUBMIT_UNAVAILABLE /* rejected, no leader, overloaded */
};

struct submit_answer {
	enum submit_outcome outcome;
	char status[32]; /* "ok", "compile_error", ... or "http 503" */
	char *result; /* NUL-terminated */
	size_t result_len;
	int node; /* -1 if not given */
	long total_ms; /* -1 if not given */
	int cached;
};

/*
 * {"source": src, "stdin": in, "timeout": seconds} for POST /v1/run; stdin
 * only if in is not NULL, timeout only if above 0. Caller frees.
 */
char *submit_request_json(const char *, size_t, const char *, size_t, double);
/*
 * Interpret an HTTP status and /v1/run body. Returns 0 and fills a (free
 * with submit_answer_free), or -1 when the body is not a /v1/run answer.
 */
int submit_parse(long, const char *, size_t, struct submit_answer *);
/*
 * Read a whole file ("-": standard input) into b (NUL-terminated). 0, or -1
 * with errno set.
 */
int submit_read_file(const char *, struct buf *);
/* Free what submit_parse allocated. */
void submit_answer_free(struct submit_answer *);

#endif
