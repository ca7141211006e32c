/* test_log.c: the node's log files (log.c): lines, rotation, reopening. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"
#include "xmalloc.h"

static char test_dir[] = "/tmp/jdp-test-log.XXXXXX";

/* The whole file (NUL-terminated; caller frees), or NULL if it is missing. */
static char *
test_read(const char *name)
{
	char *path, *text = NULL;
	size_t len = 0;
	FILE *f;

	xasprintf(&path, "%s/%s", test_dir, name);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return NULL;
	text = xmalloc(1 << 20);
	len = fread(text, 1, (1 << 20) - 1, f);
	text[len] = '\0';
	fclose(f);
	return text;
}

static size_t
test_count(const char *text, const char *what)
{
	size_t n = 0;

	while (text != NULL && (text = strstr(text, what)) != NULL) {
		n++;
		text += strlen(what);
	}
	return n;
}

/* Every line of text is whole: ends in "]\n" as the test's lines do. */
static int
test_whole_lines(const char *text)
{
	const char *nl;

	if (text == NULL || *text == '\0')
		return 0;
	for (; *text != '\0'; text = nl + 1) {
		if ((nl = strchr(text, '\n')) == NULL || nl == text ||
		    nl[-1] != ']')
			return 0;
	}
	return 1;
}

static void
test_lines(void)
{
	char *s, *v;

	log_info("info [%d]", 1);
	log_debug("debug [%d]", 2);
	s = test_read("node-4.summary.log");
	v = test_read("node-4.verbose.log");
	ok(s != NULL && strstr(s, "[4]: info [1]") != NULL,
	    "summary gets info lines, prefixed with the node id");
	ok(s != NULL && strstr(s, "debug") == NULL, "summary gets no debug");
	ok(v != NULL && strstr(v, "[4]: info [1]") != NULL &&
		strstr(v, "[4]: debug [2]") != NULL,
	    "verbose gets both");
	free(s);
	free(v);
}

static void
test_rotation(void)
{
	char *s, *old, *v;
	int i;

	log_set_max_size(1000);
	for (i = 0; i < 100; i++)
		log_info("line %03d [x]", i);
	s = test_read("node-4.summary.log");
	old = test_read("node-4.summary.log.1");
	ok(old != NULL, "a full summary file is renamed to .1");
	ok(s != NULL && strlen(s) <= 1000 && old != NULL && strlen(old) <= 1000,
	    "neither file is past log-max-size");
	ok(test_whole_lines(s) && test_whole_lines(old),
	    "rotation never cuts a line");
	ok(s != NULL && strstr(s, "line 099 [x]") != NULL,
	    "the newest line is in the current file");
	ok(old != NULL && s != NULL &&
		test_count(old, "[x]") + test_count(s, "[x]") >= 10,
	    "the two files hold the latest lines");
	/* 100 lines of over 40 bytes: at least 4 rotations per file. */
	ok(log_rotations() >= 8, "log_rotations counts them (%llu)",
	    (unsigned long long)log_rotations());
	v = test_read("node-4.verbose.log");
	ok(v != NULL && strlen(v) <= 1000, "the verbose file rotates too");
	free(s);
	free(old);
	free(v);

	/* A line longer than the limit still gets written. */
	log_set_max_size(10);
	log_info("a line longer than ten bytes [y]");
	s = test_read("node-4.summary.log");
	ok(s != NULL && strstr(s, "longer than ten bytes [y]") != NULL,
	    "a line longer than the limit is written whole");
	free(s);
	log_set_max_size(0);
	for (i = 0; i < 50; i++)
		log_info("unlimited %03d [z]", i);
	s = test_read("node-4.summary.log");
	is_int(test_count(s, "[z]"), 50, "log-max-size 0 never rotates");
	free(s);
}

static void
test_reopen(void)
{
	char *from, *to, *s, *moved;

	/* An external logrotate moves the file away, then sends SIGHUP. */
	xasprintf(&from, "%s/node-4.summary.log", test_dir);
	xasprintf(&to, "%s/moved.log", test_dir);
	ok(rename(from, to) == 0, "logrotate moves the file");
	log_info("before reopen [a]");
	is_int(log_reopen(), 0, "log_reopen");
	log_info("after reopen [b]");
	s = test_read("node-4.summary.log");
	moved = test_read("moved.log");
	ok(moved != NULL && strstr(moved, "before reopen") != NULL &&
		strstr(moved, "after reopen") == NULL,
	    "lines before the reopen went to the moved file");
	ok(s != NULL && strstr(s, "after reopen [b]") != NULL &&
		strstr(s, "before reopen") == NULL,
	    "lines after it go to a new file at the path");
	free(s);
	free(moved);
	unlink(to);
	free(from);
	free(to);
}

int
main(void)
{
	char *why = NULL, *cmd;

	if (!ok(mkdtemp(test_dir) != NULL, "mkdtemp") ||
	    !ok(log_open(4, test_dir, LOGLVL_ERROR, &why) == 0, "log_open %s",
		why != NULL ? why : ""))
		return tap_done();
	test_lines();
	test_rotation();
	test_reopen();
	log_close();
	xasprintf(&cmd, "rm -rf '%s'", test_dir);
	if (system(cmd) != 0)
		diag("could not remove %s", test_dir);
	free(cmd);
	return tap_done();
}
