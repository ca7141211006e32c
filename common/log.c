/*
 * log.c: the node's summary and verbose logs (see log.h for the format).
 * Files are opened with O_APPEND and written one line per write(2), so
 * lines from a node never interleave and readers (GET /logs/...) see whole
 * lines. A file that would grow past log-max-size is renamed to FILE.1
 * (replacing the previous one) and started afresh; log_reopen serves
 * SIGHUP for an external logrotate.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

#define LOG_LINE_MAX 8192

/* Where a line goes. */
#define LOG_TO_SUMMARY 0x1
#define LOG_TO_VERBOSE 0x2
#define LOG_TO_STDOUT 0x4
#define LOG_TO_STDERR 0x8

static struct {
	int id;
	int fd[2]; /* LOG_SUMMARY, LOG_VERBOSE */
	char *path[2];
	uint64_t size[2]; /* bytes in each file */
	uint64_t max_size; /* 0: never rotate */
	uint64_t rotations; /* both files together */
	enum log_level level;
	log_role_cb role;
	void *role_arg;
} log_state = {.id = -1, .fd = {-1, -1}, .level = LOGLVL_INFO};

/* mkdir -p. */
static int
log_mkdirs(const char *dir)
{
	char *p, *copy;
	int rc = 0;

	copy = xstrdup(dir);
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (mkdir(copy, 0755) == -1 && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

/* (Re)open file i at its path, appending; -1 with errno on failure. */
static int
log_open_file(int i)
{
	struct stat st;
	int fd;

	fd = open(
	    log_state.path[i], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (log_state.fd[i] != -1)
		close(log_state.fd[i]);
	log_state.fd[i] = fd;
	log_state.size[i] = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

int
log_open(int id, const char *dir, enum log_level level, char **cause)
{
	static const char *names[] = {"summary", "verbose"};
	int i;

	log_close();
	if (log_mkdirs(dir) == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++) {
		xasprintf(
		    &log_state.path[i], "%s/node-%d.%s.log", dir, id, names[i]);
		if (log_open_file(i) == -1) {
			xasprintf(cause, "%s: %s", log_state.path[i],
			    strerror(errno));
			log_close();
			return -1;
		}
	}
	log_state.id = id;
	log_state.level = level;
	return 0;
}

int
log_reopen(void)
{
	int i, rc = 0;

	for (i = 0; i < 2; i++) {
		if (log_state.path[i] != NULL && log_open_file(i) == -1)
			rc = -1; /* keep writing to the old file */
	}
	return rc;
}

void
log_set_max_size(uint64_t max)
{
	log_state.max_size = max;
}

uint64_t
log_rotations(void)
{
	return log_state.rotations;
}

/*
 * File i is about to get len more bytes: if that takes it past the limit,
 * rename it to FILE.1 and start a new one. A file still empty takes any
 * line, so a line longer than the limit is written, not lost.
 */
static void
log_rotate_if_full(int i, size_t len)
{
	char *old;

	if (log_state.max_size == 0 || log_state.size[i] == 0 ||
	    log_state.size[i] + len <= log_state.max_size)
		return;
	xasprintf(&old, "%s.1", log_state.path[i]);
	if (rename(log_state.path[i], old) == 0 && log_open_file(i) == 0)
		log_state.rotations++;
	free(old);
}

void
log_close(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (log_state.fd[i] != -1)
			close(log_state.fd[i]);
		log_state.fd[i] = -1;
		free(log_state.path[i]);
		log_state.path[i] = NULL;
	}
}

void
log_set_role(log_role_cb cb, void *arg)
{
	log_state.role = cb;
	log_state.role_arg = arg;
}

void
log_set_level(enum log_level level)
{
	log_state.level = level;
}

const char *
log_path(enum log_file which)
{
	return log_state.path[which];
}

static void
log_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere left to report it */
		p += n;
		len -= (size_t)n;
	}
}

static void __attribute__((format(printf, 2, 0)))
log_vwrite(int where, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	struct timeval tv;
	struct tm tm;
	const char *role = "-";
	size_t len, pre;
	int i, n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	if (log_state.role != NULL)
		role = log_state.role(log_state.role_arg);
	len = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S", &tm);
	len += (size_t)snprintf(
	    line + len, sizeof line - len, ".%03ld ", (long)tv.tv_usec / 1000);
	if (log_state.id >= 0)
		len += (size_t)snprintf(
		    line + len, sizeof line - len, "%s ", role);
	pre = len; /* the terminal copy starts here: "[ID]: message" */
	if (log_state.id >= 0)
		len += (size_t)snprintf(
		    line + len, sizeof line - len, "[%d]: ", log_state.id);
	else
		len += (size_t)snprintf(line + len, sizeof line - len, "jdp: ");
	n = vsnprintf(line + len, sizeof line - len - 1, fmt, ap);
	if (n < 0)
		n = 0;
	len += (size_t)n;
	if (len > sizeof line - 2)
		len = sizeof line - 2; /* long lines are cut, not lost */
	line[len++] = '\n';

	for (i = 0; i < 2; i++) {
		if (!(where &
			(i == LOG_SUMMARY ? LOG_TO_SUMMARY : LOG_TO_VERBOSE)) ||
		    log_state.fd[i] == -1)
			continue;
		log_rotate_if_full(i, len);
		log_write_all(log_state.fd[i], line, len);
		log_state.size[i] += len;
	}
	if (where & LOG_TO_STDOUT)
		log_write_all(STDOUT_FILENO, line + pre, len - pre);
	if (where & LOG_TO_STDERR)
		log_write_all(STDERR_FILENO, line + pre, len - pre);
}

/*
 * The files always get every line of their kind (the verbose file is the
 * full record); log-level only decides what reaches the terminal.
 */
#define LOG_FUNCTION(name, lv, where)                                          \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		int w = (where);                                               \
                                                                               \
		if ((lv) > log_state.level)                                    \
			w &= ~(LOG_TO_STDOUT | LOG_TO_STDERR);                 \
		else if ((lv) == LOGLVL_DEBUG)                                 \
			w |= LOG_TO_STDERR;                                    \
		if (log_state.fd[LOG_VERBOSE] == -1)                           \
			w &= ~(LOG_TO_SUMMARY | LOG_TO_VERBOSE);               \
		if (w == 0)                                                    \
			return;                                                \
		va_start(ap, fmt);                                             \
		log_vwrite(w, fmt, ap);                                        \
		va_end(ap);                                                    \
	}

LOG_FUNCTION(
    log_event, LOGLVL_INFO, LOG_TO_SUMMARY | LOG_TO_VERBOSE | LOG_TO_STDOUT)
LOG_FUNCTION(log_info, LOGLVL_INFO, LOG_TO_SUMMARY | LOG_TO_VERBOSE)
LOG_FUNCTION(
    log_warn, LOGLVL_WARN, LOG_TO_SUMMARY | LOG_TO_VERBOSE | LOG_TO_STDERR)
LOG_FUNCTION(
    log_error, LOGLVL_ERROR, LOG_TO_SUMMARY | LOG_TO_VERBOSE | LOG_TO_STDERR)
LOG_FUNCTION(log_debug, LOGLVL_DEBUG, LOG_TO_VERBOSE)

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_TO_SUMMARY | LOG_TO_VERBOSE | LOG_TO_STDERR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fatalx("%s: %s", msg, strerror(saved));
}
