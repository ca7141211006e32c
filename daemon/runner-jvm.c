/*
 * runner-jvm.c: what the runner's JVMs are started with: the arguments
 * and sandbox limits of the compile server and of run JVMs (started here
 * through runner-proc.c), and the harness's class-data archive, written
 * once before the pool starts.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "runner-int.h"
#include "sandbox.h"

#define RUNNER_PIDS_MAX 128 /* tasks (threads) per job */
#define RUNNER_NOFILE 256
#define RUNNER_FSIZE (16ULL << 20)
#define RUNNER_CDS_FILE "harness.jsa"
#define RUNNER_CDS_WAIT_MS 30000 /* writing the class-data archive */
#define RUNNER_CS_HEAP_MIB 768ULL /* the compile server's heap */
/* A run JVM's address space beyond heap and direct memory (RLIMIT_AS). */
#define RUNNER_AS_EXTRA (640ULL << 20)

/* Strings the arguments of a JVM point into. */
struct runner_argbuf {
	char xmx[64], direct[64], cap[32], warm[32], srcmax[32], cds[64];
};

/*
 * The arguments and limits of the compile server, a run JVM or (dump) the
 * run JVM that writes the harness's class-data archive; returns the count.
 */
static int
runner_jvm_args(struct runner *r, int compiler, int dump, const char **args,
    struct runner_argbuf *ab, struct sandbox_limits *lim)
{
	int n = 0;

	memset(lim, 0, sizeof *lim);
	args[n++] = "-XX:+UseSerialGC";
	args[n++] = "-XX:-UsePerfData";
	args[n++] = "-XX:+DisplayVMOutputToStderr";
	/* Unified logging defaults to stdout, which is the job's. */
	args[n++] = "-Xlog:disable";
	args[n++] = "-Xlog:all=warning:stderr";
	args[n++] = "-Xshare:auto";
	args[n++] = "-Dfile.encoding=UTF-8";
	args[n++] = "-Djava.io.tmpdir=/tmp";
	if (compiler) {
		snprintf(ab->warm, sizeof ab->warm, "%d", r->warm);
		snprintf(ab->srcmax, sizeof ab->srcmax, "%llu",
		    (unsigned long long)r->source_max);
		/* Trusted: javac's heap plus job-memory, shared by jobs. */
		snprintf(ab->xmx, sizeof ab->xmx, "-Xmx%lluk",
		    (RUNNER_CS_HEAP_MIB << 10) +
			(r->trusted ? (unsigned long long)r->memory / 1024
				    : 0));
		args[n++] = ab->xmx;
		args[n++] = "-Xss8m";
		args[n++] = "--add-exports=jdk.compiler/"
			    "com.sun.tools.javac.api=ALL-UNNAMED";
		if (r->trusted)
			args[n++] = "-Djava.security.manager=allow";
		args[n++] = "-cp";
		args[n++] = sandbox_jar(r->sb);
		args[n++] = "jdp.CompileServer";
		args[n++] = ab->srcmax;
		args[n++] = ab->warm;
		if (r->trusted) {
			snprintf(ab->cap, sizeof ab->cap, "%llu",
			    (unsigned long long)r->output_max);
			args[n++] = "trusted";
			args[n++] = ab->cap;
		}
		lim->nofile = 1024;
		return n;
	}
	snprintf(ab->warm, sizeof ab->warm, "%d", r->run_warm);
	snprintf(ab->xmx, sizeof ab->xmx, "-Xmx%lluk",
	    (unsigned long long)(r->memory / 1024));
	snprintf(ab->direct, sizeof ab->direct, "-XX:MaxDirectMemorySize=%lluk",
	    (unsigned long long)(r->memory / 4096));
	snprintf(
	    ab->cap, sizeof ab->cap, "%llu", (unsigned long long)r->output_max);
	args[n++] = ab->xmx;
	args[n++] = "-Xms8m";
	args[n++] = ab->direct;
	args[n++] = "-XX:MaxMetaspaceSize=128m";
	/* Reserved, 1 GiB by default: it would count against RLIMIT_AS. */
	args[n++] = "-XX:CompressedClassSpaceSize=64m";
	args[n++] = "-XX:ReservedCodeCacheSize=64m";
	if (dump || r->cds) {
		snprintf(ab->cds, sizeof ab->cds, "%s=%s/%s",
		    dump ? "-XX:ArchiveClassesAtExit" : "-XX:SharedArchiveFile",
		    sandbox_cds(r->sb, NULL), RUNNER_CDS_FILE);
		args[n++] = ab->cds;
		lim->cds = dump ? SANDBOX_CDS_WRITE : SANDBOX_CDS_READ;
	}
	args[n++] = "--add-opens=java.base/java.io=ALL-UNNAMED";
	args[n++] = "-cp";
	args[n++] = sandbox_jar(r->sb);
	args[n++] = "jdp.RunHarness";
	args[n++] = ab->cap;
	args[n++] = ab->warm;
	if (dump)
		args[n++] = "dump";
	lim->memory = r->memory + r->memory / 2 + (128ULL << 20);
	lim->pids = RUNNER_PIDS_MAX;
	lim->as = r->memory + r->memory / 4 + RUNNER_AS_EXTRA;
	lim->cpu_s = (int)(r->timeout_ms / 1000) * 2 + 30;
	lim->fsize = RUNNER_FSIZE;
	lim->nofile = RUNNER_NOFILE;
	lim->cgroup = 1;
	return n;
}

/* Start the compile server or a run JVM, owned by ops; NULL if it fails. */
struct runner_proc *
runner_jvm_start(
    struct runner *r, int compiler, const struct runner_proc_ops *ops)
{
	struct runner_proc *p;
	struct sandbox_limits lim;
	struct runner_argbuf ab;
	const char *args[40];
	int n;

	n = runner_jvm_args(r, compiler, 0, args, &ab, &lim);
	args[n] = NULL;
	p = runner_proc_start(r->ev, r->sb, compiler, args, &lim, ops, r);
	if (p != NULL) {
		p->r = r;
		p->state = RUNNER_PROC_STARTING;
	}
	return p;
}

/*
 * Write the harness's class-data-sharing archive (AppCDS, a dynamic
 * archive over the JDK's own) once, before the pool starts: one run JVM
 * in the sandbox, with the private directory bound writable, warms up as
 * usual and halts, which dumps every class it loaded. Run JVMs then map it
 * read-only. Blocks (at most RUNNER_CDS_WAIT_MS); without an archive, run
 * JVMs start without one.
 */
void
runner_cds_dump(struct runner *r)
{
	struct runner_argbuf ab;
	struct sandbox_limits lim;
	struct sandbox_proc sp;
	struct pollfd pfd;
	struct stat st;
	const char *args[40], *host;
	const int fds[4] = {-1, -1, -1, -1};
	char *cause, path[PATH_MAX];
	int n, waited = 0;

	if (sandbox_cds(r->sb, &host) == NULL)
		return;
	n = runner_jvm_args(r, 0, 1, args, &ab, &lim);
	args[n] = NULL;
	if (sandbox_spawn(r->sb, args, fds, &lim, &sp, &cause) == -1) {
		log_warn("runner: class-data archive: %s", cause);
		free(cause);
		return;
	}
	for (;;) {
		if (sandbox_reap(&sp))
			break;
		if (waited >= RUNNER_CDS_WAIT_MS) {
			log_warn("runner: class-data archive: no answer in "
				 "%d ms",
			    RUNNER_CDS_WAIT_MS);
			sandbox_kill(r->sb, &sp);
			while (waitpid(sp.pid, &sp.status, 0) == -1 &&
			    errno == EINTR)
				;
			sp.reaped = 1;
			break;
		}
		pfd.fd = sp.pidfd;
		pfd.events = POLLIN;
		if (sp.pidfd == -1 || poll(&pfd, 1, RUNNER_POLL_MS) == -1)
			usleep(RUNNER_POLL_MS * 1000);
		waited += RUNNER_POLL_MS;
	}
	sandbox_release(r->sb, &sp);
	snprintf(path, sizeof path, "%s/%s", host, RUNNER_CDS_FILE);
	if (WIFEXITED(sp.status) && WEXITSTATUS(sp.status) == 0 &&
	    stat(path, &st) == 0 && st.st_size > 0) {
		r->cds = 1;
		log_info("runner: class-data archive of the harness: %lld "
			 "bytes",
		    (long long)st.st_size);
	} else
		log_warn("runner: no class-data archive (exit status %d); "
			 "run JVMs start without one",
		    sp.status);
}
