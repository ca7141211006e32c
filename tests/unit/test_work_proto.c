/*
 * test_work_proto.c: the work payloads (WORK, RESULT, LAST_WORK_REPLY):
 * round trips, every truncation, trailing bytes, bad flags and statuses.
 * Inputs are copied into heap blocks of exactly their size so that
 * AddressSanitizer catches any read past the end.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "proto.h"
#include "tap.h"
#include "wire.h"

static uint8_t *
dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n == 0 ? 1 : n);

	if (q == NULL)
		abort();
	if (n > 0)
		memcpy(q, p, n);
	return q;
}

static int
span_is(const uint8_t *p, size_t len, const char *s)
{
	return len == strlen(s) && (len == 0 || memcmp(p, s, len) == 0);
}

static void
test_work(void)
{
	struct proto_work w, d;
	struct buf b;
	uint8_t *p;
	size_t n, cut;
	int bad;

	memset(&w, 0, sizeof w);
	w.flags = PROTO_WORK_STDIN;
	w.timeout_ms = 2500;
	w.stdin_data = (const uint8_t *)"input\n";
	w.stdin_len = 6;
	w.source = (const uint8_t *)"public class A {}";
	w.source_len = 17;
	buf_init(&b);
	proto_work_encode(&b, &w);
	n = buf_len(&b);
	is_int(n, PROTO_WORK_MIN_LEN + 6 + 17, "WORK length");
	p = dup_exact(buf_data(&b), n);
	ok(proto_work_decode(p, n, &d) == 0, "WORK decodes");
	ok(d.flags == PROTO_WORK_STDIN && d.timeout_ms == 2500,
	    "WORK flags and timeout");
	ok(span_is(d.stdin_data, d.stdin_len, "input\n"), "WORK stdin");
	ok(span_is(d.source, d.source_len, "public class A {}"), "WORK source");
	free(p);
	bad = 0;
	for (cut = 0; cut < n; cut++) {
		p = dup_exact(buf_data(&b), cut);
		bad += proto_work_decode(p, cut, &d) == -1;
		free(p);
	}
	is_int(bad, n, "every truncated WORK is refused");
	buf_add(&b, "x", 1);
	p = dup_exact(buf_data(&b), n + 1);
	ok(proto_work_decode(p, n + 1, &d) == -1, "trailing byte refused");
	free(p);

	/* Unknown flag; stdin bytes without the flag. */
	buf_reset(&b);
	w.flags = 0x80;
	proto_work_encode(&b, &w);
	ok(proto_work_decode(buf_data(&b), buf_len(&b), &d) == -1,
	    "unknown WORK flag refused");
	buf_reset(&b);
	w.flags = 0;
	proto_work_encode(&b, &w);
	ok(proto_work_decode(buf_data(&b), buf_len(&b), &d) == -1,
	    "stdin without its flag refused");
	buf_reset(&b);
	w.stdin_data = NULL;
	w.stdin_len = 0;
	proto_work_encode(&b, &w);
	ok(proto_work_decode(buf_data(&b), buf_len(&b), &d) == 0 &&
		d.stdin_len == 0,
	    "no stdin, no flag");
	buf_free(&b);
}

/* Encode a WORK with files the way the gateway does. */
static void
work_files(struct buf *b, const struct proto_work *w, const char *source,
    uint32_t nargs, const char *const *args, uint32_t nfiles,
    const char *const *files)
{
	const uint8_t *ap[4], *fp[8];
	size_t al[4], fl[8];
	uint32_t i;

	for (i = 0; i < nargs; i++) {
		ap[i] = (const uint8_t *)args[i];
		al[i] = strlen(args[i]);
	}
	for (i = 0; i < 2 * nfiles; i++) {
		fp[i] = (const uint8_t *)files[i];
		fl[i] = strlen(files[i]);
	}
	wire_put_u8(b, w->flags);
	wire_put_u32(b, w->timeout_ms);
	wire_put_bytes(b, w->stdin_data, w->stdin_len);
	wire_put_bytes(b, source, strlen(source));
	proto_work_encode_files(
	    b, w->main, w->main_len, w->release, nargs, ap, al, nfiles, fp, fl);
}

static void
test_work_files(void)
{
	static const char *const args[] = {"a", "", "c d"};
	static const char *const files[] = {"app/Main.java",
	    "package app; public class Main {}", "util/H.java", ""};
	struct proto_work w, d;
	const uint8_t *p, *s;
	struct buf b, again;
	uint8_t *q;
	size_t n, cut, left, len;
	int bad, i;

	memset(&w, 0, sizeof w);
	w.flags = PROTO_WORK_FILES;
	w.timeout_ms = 100;
	w.main = (const uint8_t *)"app.Main";
	w.main_len = 8;
	w.release = 11;
	buf_init(&b);
	work_files(&b, &w, "", 3, args, 2, files);
	n = buf_len(&b);
	q = dup_exact(buf_data(&b), n);
	ok(proto_work_decode(q, n, &d) == 0, "WORK with files decodes");
	ok(d.flags == PROTO_WORK_FILES && d.release == 11 && d.nargs == 3 &&
		d.nfiles == 2 && span_is(d.main, d.main_len, "app.Main"),
	    "WORK files: main, release, counts");
	p = d.args;
	left = d.args_len;
	for (i = 0; proto_work_next(&p, &left, &s, &len) == 0; i++)
		ok(span_is(s, len, args[i]), "WORK arg %d", i);
	is_int(i, 3, "WORK: three args");
	p = d.files;
	left = d.files_len;
	for (i = 0; proto_work_next(&p, &left, &s, &len) == 0; i++)
		ok(span_is(s, len, files[i]), "WORK file string %d", i);
	is_int(i, 4, "WORK: two names, two contents");
	/* A decoded WORK encodes to the same bytes (the cache key). */
	buf_init(&again);
	proto_work_encode(&again, &d);
	ok(buf_len(&again) == n && memcmp(buf_data(&again), q, n) == 0,
	    "decoded WORK with files re-encodes identically");
	buf_free(&again);
	free(q);
	bad = 0;
	for (cut = 0; cut < n; cut++) {
		q = dup_exact(buf_data(&b), cut);
		bad += proto_work_decode(q, cut, &d) == -1;
		free(q);
	}
	is_int(bad, n, "every truncated WORK with files is refused");

	buf_reset(&b);
	work_files(&b, &w, "class A {}", 0, args, 1, files);
	ok(proto_work_decode(buf_data(&b), buf_len(&b), &d) == -1,
	    "source and files together refused");
	buf_reset(&b);
	work_files(&b, &w, "", 0, args, 0, files);
	ok(proto_work_decode(buf_data(&b), buf_len(&b), &d) == -1,
	    "files flag with no files refused");
	buf_reset(&b);
	wire_put_u8(&b, PROTO_WORK_FILES);
	wire_put_u32(&b, 0);
	wire_put_bytes(&b, NULL, 0);
	wire_put_bytes(&b, NULL, 0);
	wire_put_bytes(&b, NULL, 0);
	wire_put_u32(&b, 0);
	wire_put_u32(&b, PROTO_WORK_ARGS_MAX + 1);
	ok(proto_work_decode(buf_data(&b), buf_len(&b), &d) == -1,
	    "too many args refused before reading them");
	buf_free(&b);
}

static void
test_result(void)
{
	struct proto_result r, d;
	struct buf b;
	uint8_t *p;
	size_t n, cut;
	int bad, s;

	memset(&r, 0, sizeof r);
	r.status = PROTO_RESULT_COMPILE_ERROR;
	r.node = 7;
	r.compile_ms = 3;
	r.run_ms = 40;
	r.body = (const uint8_t *)"Code did not compile:\n";
	r.body_len = strlen((const char *)r.body);
	r.out = (const uint8_t *)"o";
	r.out_len = 1;
	r.err = (const uint8_t *)"ee";
	r.err_len = 2;
	buf_init(&b);
	proto_result_encode(&b, &r);
	n = buf_len(&b);
	is_int(n, PROTO_RESULT_MIN_LEN + r.body_len + 3, "RESULT length");
	p = dup_exact(buf_data(&b), n);
	ok(proto_result_decode(p, n, &d) == 0, "RESULT decodes");
	ok(d.status == PROTO_RESULT_COMPILE_ERROR && d.node == 7 &&
		d.compile_ms == 3 && d.run_ms == 40,
	    "RESULT fixed fields");
	ok(span_is(d.body, d.body_len, "Code did not compile:\n") &&
		span_is(d.out, d.out_len, "o") &&
		span_is(d.err, d.err_len, "ee"),
	    "RESULT texts");
	free(p);
	bad = 0;
	for (cut = 0; cut < n; cut++) {
		p = dup_exact(buf_data(&b), cut);
		bad += proto_result_decode(p, cut, &d) == -1;
		free(p);
	}
	is_int(bad, n, "every truncated RESULT is refused");
	buf_reset(&b);
	r.status = PROTO_RESULT_NSTATUS;
	proto_result_encode(&b, &r);
	ok(proto_result_decode(buf_data(&b), buf_len(&b), &d) == -1,
	    "unknown status refused");
	buf_free(&b);
	for (s = 0; s < PROTO_RESULT_NSTATUS; s++)
		ok(strcmp(proto_result_status_name(s), "unknown") != 0,
		    "status %d has a name (%s)", s,
		    proto_result_status_name(s));
	is_str(proto_result_status_name(PROTO_RESULT_OK), "ok", "ok name");
	is_str(proto_result_status_name(PROTO_RESULT_MEMORY_LIMIT),
	    "memory_limit", "memory_limit name");
	is_str(proto_result_status_name(99), "unknown", "unknown name");
}

static void
test_last_work(void)
{
	uint64_t running[2] = {1ULL << 48 | 5, 0xfedcba9876543210ULL};
	uint64_t done[3] = {1, 2, 3};
	struct proto_last_work lw;
	struct buf b;
	uint8_t *p;
	size_t n, cut;
	int bad;

	buf_init(&b);
	proto_last_work_encode(&b, running, 2, done, 3);
	n = buf_len(&b);
	is_int(n, 8 + 5 * 8, "LAST_WORK_REPLY length");
	p = dup_exact(buf_data(&b), n);
	ok(proto_last_work_decode(p, n, &lw) == 0, "LAST_WORK_REPLY decodes");
	ok(lw.nrunning == 2 && lw.ndone == 3, "counts");
	ok(proto_last_work_id(lw.running, 0) == running[0] &&
		proto_last_work_id(lw.running, 1) == running[1],
	    "running ids");
	ok(proto_last_work_id(lw.done, 2) == 3, "done ids");
	free(p);
	bad = 0;
	for (cut = 0; cut < n; cut++) {
		p = dup_exact(buf_data(&b), cut);
		bad += proto_last_work_decode(p, cut, &lw) == -1;
		free(p);
	}
	is_int(bad, n, "every truncated LAST_WORK_REPLY is refused");
	buf_add(&b, "\0", 1);
	ok(proto_last_work_decode(buf_data(&b), buf_len(&b), &lw) == -1,
	    "trailing byte refused");
	buf_reset(&b);
	proto_last_work_encode(&b, NULL, 0, NULL, 0);
	ok(proto_last_work_decode(buf_data(&b), buf_len(&b), &lw) == 0 &&
		lw.nrunning == 0 && lw.ndone == 0,
	    "empty reply");
	/* A count that promises more than the payload holds. */
	buf_reset(&b);
	buf_add(&b, "\xff\xff\xff\xff", 4);
	ok(proto_last_work_decode(buf_data(&b), buf_len(&b), &lw) == -1,
	    "huge count refused");
	buf_free(&b);
	is_int(PROTO_REQID_GATEWAY(running[0]), 1, "gateway id of a reqid");
}

int
main(void)
{
	test_work();
	test_work_files();
	test_result();
	test_last_work();
	is_str(proto_type_name(PROTO_LAST_WORK_REPLY), "LAST_WORK_REPLY",
	    "type name");
	return tap_done();
}
