/*
 * submit.c: read a job's files, build the /v1/run request and read its
 * answer (json-c).
 * Statuses: ok, compile_error, runtime_error, timeout, memory_limit,
 * output_limit (job errors), rejected (the cluster did not run it).
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "submit.h"

char *
submit_request_json(
    const char *src, size_t len, const char *in, size_t in_len, double timeout)
{
	struct json_object *o;
	char *s;

	o = json_object_new_object();
	json_object_object_add(
	    o, "source", json_object_new_string_len(src, (int)len));
	if (in != NULL)
		json_object_object_add(
		    o, "stdin", json_object_new_string_len(in, (int)in_len));
	if (timeout > 0)
		json_object_object_add(
		    o, "timeout", json_object_new_double(timeout));
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static const char *
submit_str(struct json_object *o, const char *key, size_t *len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

int
submit_parse(long http, const char *text, size_t len, struct submit_answer *a)
{
	struct json_tokener *tok;
	struct json_object *root, *v, *t;
	const char *s;
	size_t n = 0;

	memset(a, 0, sizeof *a);
	a->node = -1;
	a->total_ms = -1;
	tok = json_tokener_new();
	root = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -1;
	}
	if ((s = submit_str(root, "status", NULL)) != NULL) {
		snprintf(a->status, sizeof a->status, "%s", s);
		if ((s = submit_str(root, "result", &n)) == NULL)
			s = "", n = 0;
		if (strcmp(a->status, "ok") == 0)
			a->outcome = SUBMIT_OK;
		else if (strcmp(a->status, "rejected") == 0)
			a->outcome = SUBMIT_UNAVAILABLE;
		else
			a->outcome = SUBMIT_JOB_ERROR;
	} else if ((s = submit_str(root, "error", &n)) != NULL) {
		/* {"error": why}: a bad request, or no leader in time. */
		snprintf(a->status, sizeof a->status, "http %ld", http);
		a->outcome = http == 503 || http == 504 ? SUBMIT_UNAVAILABLE
							: SUBMIT_JOB_ERROR;
	} else {
		json_object_put(root);
		return -1;
	}
	a->result = xmalloc(n + 1);
	memcpy(a->result, s, n);
	a->result[n] = '\0';
	a->result_len = n;
	if (json_object_object_get_ex(root, "node", &v) &&
	    json_object_is_type(v, json_type_int))
		a->node = json_object_get_int(v);
	if (json_object_object_get_ex(root, "timings", &t) &&
	    json_object_object_get_ex(t, "total_ms", &v) &&
	    json_object_is_type(v, json_type_int))
		a->total_ms = (long)json_object_get_int64(v);
	a->cached = json_object_object_get_ex(root, "cached", &v) &&
	    json_object_get_boolean(v);
	json_object_put(root);
	return 0;
}

int
submit_read_file(const char *path, struct buf *b)
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

void
submit_answer_free(struct submit_answer *a)
{
	free(a->result);
	a->result = NULL;
}
