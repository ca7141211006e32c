/*
 * sandbox-int.h: what sandbox.c, sandbox-cgroup.c and sandbox-seccomp.c
 * share; callers use sandbox.h.
 */
#ifndef JDP_SANDBOX_INT_H
#define JDP_SANDBOX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

#define SANDBOX_STALE_MAX 256

enum sandbox_cg { SANDBOX_CG_NONE, SANDBOX_CG_V1, SANDBOX_CG_V2 };

struct sandbox {
	enum sandbox_mode mode;
	int tmp_size; /* bwrap knows --size */
	int nobody; /* unsandboxed as root: drop to 65534 */
	char *bwrap;
	char *java; /* real path */
	char *java_home;
	char *jar; /* real path on the host */
	char *binds[32]; /* read-only dirs (the same path inside) */
	int nbinds;
	char *links[8][2]; /* top-level symlinks */
	int nlinks;
	char *dirs[8]; /* top-level dirs to bind */
	int ndirs;

	uint8_t *bpf;
	size_t bpflen;

	enum sandbox_cg cg;
	char *cgbase[2]; /* our dirs: memory, pids */
	uint64_t cgseq;
	char *stale[SANDBOX_STALE_MAX];
	int nstale;

	char *cds; /* private class-data directory on the host */

	char *desc;
};

/* sandbox-seccomp.c */

/* Build the BPF program into sb; -1 with *cause set (caller frees). */
int sandbox_seccomp_build(struct sandbox *, char **);
/* A pipe whose read end holds the BPF program (for bwrap); -1 on failure. */
int sandbox_seccomp_fd(struct sandbox *);
/* In the child, unsandboxed: load the filter; -1 with errno set. */
int sandbox_seccomp_install(const struct sandbox *);

/* sandbox-cgroup.c */

/* Choose cgroup v2, else v1, else none, and make our own cgroup(s). */
void sandbox_cg_detect(struct sandbox *);
/* What detect chose, for sandbox_describe ("cgroup v2 memory+pids"). */
const char *sandbox_cg_describe(const struct sandbox *);
/* Make a process's cgroups and set their limits. */
void sandbox_cg_make(
    struct sandbox *, const struct sandbox_limits *, struct sandbox_proc *);
/* In the child: move into the process's cgroups. */
void sandbox_cg_enter(const struct sandbox_proc *);
/* SIGKILL every process listed in a cgroup directory. */
void sandbox_cg_kill(const char *);
/* Remove a released process's cgroups (later, if still busy). */
void sandbox_cg_release(struct sandbox *, struct sandbox_proc *);
/* Remove our cgroups, waiting a little for the busy ones. */
void sandbox_cg_free(struct sandbox *);

#endif
