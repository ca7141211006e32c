/*
 * log.h: the node's logs. Every node keeps two files under log-dir:
 *
 *	node-ID.summary.log	events: elections, state switches, failures,
 *				heartbeat updates, jobs
 *	node-ID.verbose.log	everything in the summary plus every message
 *				received and debug detail
 *
 * Every line is "YYYY-mm-dd HH:MM:SS.mmm ROLE [ID]: message", so the
 * protocol's summary lines read e.g.
 *	2026-11-24 17:30:00.123 FOLLOWING [3]: no heartbeat from server [1] - SERVER FAILED
 * A file that would grow past the size set with log_set_max_size is renamed
 * to FILE.1 (replacing an older one) and started again, so a node keeps at
 * most twice that per file.
 * Before log_open (and in tools) lines go to the terminal only. The files
 * always get every line of their kind; log-level only filters what is
 * also printed on stdout (events) and stderr (warnings, errors, debug).
 */
#ifndef JDP_LOG_H
#define JDP_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level {
	LOGLVL_ERROR = 0,
	LOGLVL_WARN = 1,
	LOGLVL_INFO = 2,
	LOGLVL_DEBUG = 3
};

enum log_file { LOG_SUMMARY, LOG_VERBOSE };

/* Returns the role name to put in each line; arg is passed back. */
typedef const char *(*log_role_cb)(void *);

/*
 * Open (append) the node's two log files under dir, creating dir if
 * needed. Returns 0, or -1 with *cause set (caller frees).
 */
int log_open(int, const char *, enum log_level, char **);
/* Close the files. */
void log_close(void);
/*
 * Reopen both files at their paths (SIGHUP, after an external logrotate
 * moved them). Returns -1 if one could not be reopened; it keeps the old.
 */
int log_reopen(void);
/* Rotate a file that would grow past max bytes; 0 (the default): never. */
void log_set_max_size(uint64_t);
/* How many times a file was rotated since start. */
uint64_t log_rotations(void);
/* Set the function that names the current role (default "-"). */
void log_set_role(log_role_cb, void *);
/* Set the least important level written to the verbose file. */
void log_set_level(enum log_level);
/* Path of one of the files (valid after log_open), or NULL. */
const char *log_path(enum log_file);

/* Summary + verbose + stdout: failures and state switches. */
void log_event(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Summary + verbose. */
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Summary + verbose + stderr. */
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Verbose only (received messages, detail). */
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Log to stderr and the files, then exit(1): for impossible states. */
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The same with ": strerror(errno)" appended. */
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
