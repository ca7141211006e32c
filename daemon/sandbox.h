/*
 * sandbox.h: starting Java processes for the runner inside bubblewrap,
 * with a seccomp filter against new processes, rlimits and, where the
 * machine lets us create them, one cgroup (memory, pids) per process.
 *
 * What works is detected once by sandbox_new, which degrades in this order
 * and says which mode it chose (sandbox_describe):
 *
 *	bwrap, user namespace	uid 65534, every namespace unshared
 *	bwrap, no user namespace	as jdpd's user with no capabilities
 *	none			only with allow-unsandboxed: rlimits, seccomp
 *				and cgroups, no namespaces
 */
#ifndef JDP_SANDBOX_H
#define JDP_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>

struct conf;
struct sandbox;

enum sandbox_mode {
	SANDBOX_USERNS, /* bwrap with a user namespace */
	SANDBOX_BWRAP, /* bwrap, no user namespace */
	SANDBOX_NONE /* no bwrap (allow-unsandboxed) */
};

/* Limits a process gets; 0 leaves one unset. */
struct sandbox_limits {
	uint64_t memory; /* cgroup memory limit, bytes */
	int pids; /* cgroup pids.max (RLIMIT_NPROC: see RUNNER.md) */
	int cpu_s; /* RLIMIT_CPU, seconds */
	uint64_t fsize; /* RLIMIT_FSIZE, bytes */
	int nofile; /* RLIMIT_NOFILE */
	int cgroup; /* put it in a cgroup of its own */
	int cds; /* SANDBOX_CDS_*: bind the class-data directory */
	uint64_t as; /* RLIMIT_AS, bytes, if no memory or pids cgroup */
};

/* How the private class-data-sharing directory is bound (sandbox_cds). */
#define SANDBOX_CDS_NONE 0
#define SANDBOX_CDS_READ 1 /* read-only: run JVMs */
#define SANDBOX_CDS_WRITE 2 /* writable: the one JVM that dumps it */

/* One started process. */
struct sandbox_proc {
	pid_t pid; /* bwrap (or java), our child */
	int pidfd; /* readable on exit; -1 if unsupported */
	char *cg[2]; /* its cgroup dirs (memory, pids) or NULL */
	int reaped;
	int status; /* wait status once reaped */
};

/*
 * Detect what the machine offers and prepare the seccomp filter. Returns
 * NULL with *cause set (caller frees) if java or the jar is missing, or if
 * bwrap is missing or unusable and allow-unsandboxed is off.
 */
struct sandbox *sandbox_new(const struct conf *, char **);
/*
 * 0 if neither the cluster key file nor the API token file of the
 * configuration lies in a directory bound into the job sandbox where a job
 * could read it; else -1 with *cause naming the file (caller frees).
 */
int sandbox_check_secrets(const struct conf *, char **);
/*
 * 1 if path (a real path at or below the directory root) can be read by a
 * process with these ids and no capabilities: search permission on root
 * and every directory below it on the way, read permission on path.
 */
int sandbox_readable(
    const char *, const char *, uid_t, gid_t, const gid_t *, int);
/* Remove our cgroups and free. Processes must have been reaped. */
void sandbox_free(struct sandbox *);
/* The chosen mode. */
enum sandbox_mode sandbox_mode(const struct sandbox *);
/* One line saying what isolation jobs get, for logs and --json. */
const char *sandbox_describe(const struct sandbox *);
/* The jar path as the sandboxed JVM sees it. */
const char *sandbox_jar(const struct sandbox *);
/*
 * A private directory (mode 0700, created on first use, removed by
 * sandbox_free) for the harness's class-data-sharing archive: its path as
 * the JVM sees it when bound (limits.cds), and on the host in *host.
 * NULL when unsandboxed or the directory cannot be made.
 */
const char *sandbox_cds(struct sandbox *, const char **);

/*
 * Start java with args (NULL-terminated, without argv[0]) in the sandbox.
 * fds are the child's standard input, output, error and fd 3; -1 gives
 * /dev/null (fd 3: nothing). Returns 0 and fills *p, or -1 with *cause
 * set (caller frees).
 */
int sandbox_spawn(struct sandbox *, const char *const *, const int[4],
    const struct sandbox_limits *, struct sandbox_proc *, char **);
/* SIGKILL the process and everything in its sandbox or cgroup. */
void sandbox_kill(struct sandbox *, struct sandbox_proc *);
/* Reap if it has exited: 1 (status in p->status), 0 if still running. */
int sandbox_reap(struct sandbox_proc *);
/* 1 if the kernel killed something in its cgroup for memory. */
int sandbox_oom(const struct sandbox_proc *);
/* Close the pidfd and remove the cgroup (later, if still busy). */
void sandbox_release(struct sandbox *, struct sandbox_proc *);

#endif
