/*
 * sandbox.c: bubblewrap, seccomp, rlimits and cgroups for the runner's
 * Java processes (see sandbox.h and docs/RUNNER.md).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "sandbox.h"
#include "xmalloc.h"

#define SANDBOX_JAR "/jdp/jdp-runner.jar"
#define SANDBOX_CDS "/jdp/cds"
#define SANDBOX_NOBODY "65534"
#define SANDBOX_TMP_SIZE "67108864" /* bytes of the private /tmp */
#define SANDBOX_MAX_ARGS 128
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
	char *binds[16]; /* extra read-only dirs */
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

/* Syscalls no job needs; fork and friends are handled separately. */
static const char *const sandbox_denied[] = {"ptrace", "process_vm_readv",
    "process_vm_writev", "unshare", "setns", "mount", "umount2", "pivot_root",
    "chroot", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct",
    "io_uring_setup", "fsopen", "fsmount", "open_tree", "move_mount", NULL};

/*
 * The filter: no new processes (fork, vfork, clone without CLONE_THREAD),
 * clone3 answers ENOSYS so that glibc falls back to clone (whose flags we
 * can inspect), a few dangerous calls fail with EPERM, the rest is allowed.
 */
static int
sandbox_build_filter(struct sandbox *sb, char **cause)
{
	scmp_filter_ctx ctx;
	const char *const *s;
	int fd, rc = -1, nr;
	off_t len;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		*cause = xstrdup("seccomp_init failed");
		return -1;
	}
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fork), 0) <
		0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(vfork), 0) <
		0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) <
		0) {
		*cause = xstrdup("seccomp: cannot add the process rules");
		goto out;
	}
	for (s = sandbox_denied; *s != NULL; s++) {
		nr = seccomp_syscall_resolve_name(*s);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) < 0) {
			xasprintf(cause, "seccomp: cannot deny %s", *s);
			goto out;
		}
	}
	if ((fd = memfd_create("jdp-seccomp", MFD_CLOEXEC)) == -1) {
		xasprintf(cause, "memfd_create: %s", strerror(errno));
		goto out;
	}
	if (seccomp_export_bpf(ctx, fd) < 0 ||
	    (len = lseek(fd, 0, SEEK_END)) <= 0 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		*cause = xstrdup("seccomp: cannot export the filter");
		goto out;
	}
	sb->bpflen = (size_t)len;
	sb->bpf = xmalloc(sb->bpflen);
	if (read(fd, sb->bpf, sb->bpflen) != (ssize_t)sb->bpflen) {
		close(fd);
		*cause = xstrdup("seccomp: cannot read the filter back");
		goto out;
	}
	close(fd);
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}

/* Write a string to a file (cgroup control files). */
static int
sandbox_write_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	int fd, rc;
	size_t len = strlen(value);

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = write(fd, value, len) == (ssize_t)len ? 0 : -1;
	close(fd);
	return rc;
}

/* Read a small file into buf (NUL-terminated); -1 on failure. */
static int
sandbox_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * Find the directory of our own cgroup for a v1 controller (or v2 when
 * controller is NULL): the mount point from /proc/self/mountinfo joined
 * with our path from /proc/self/cgroup.
 */
static char *
sandbox_cg_dir(const char *controller)
{
	FILE *f;
	char *line = NULL, *mnt = NULL, *root = NULL, *path = NULL, *dir;
	char *fields[10], *p, *opts, *fstype, *sep, *tok, *save;
	size_t size = 0;
	int n, found;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return NULL;
	while (mnt == NULL && getline(&line, &size, f) != -1) {
		line[strcspn(line, "\n")] = '\0';
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		*sep = '\0';
		for (n = 0, p = strtok_r(line, " ", &save); p != NULL && n < 10;
		     p = strtok_r(NULL, " ", &save))
			fields[n++] = p;
		if (n < 5)
			continue;
		fstype = strtok_r(sep + 3, " ", &save);
		(void)strtok_r(NULL, " ", &save); /* source */
		opts = strtok_r(NULL, " ", &save);
		if (fstype == NULL || opts == NULL)
			continue;
		if (controller == NULL) {
			if (strcmp(fstype, "cgroup2") != 0)
				continue;
		} else {
			if (strcmp(fstype, "cgroup") != 0)
				continue;
			found = 0;
			for (tok = strtok_r(opts, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save))
				if (strcmp(tok, controller) == 0)
					found = 1;
			if (!found)
				continue;
		}
		root = xstrdup(fields[3]);
		mnt = xstrdup(fields[4]);
	}
	fclose(f);
	if (mnt == NULL) {
		free(line);
		return NULL;
	}

	if ((f = fopen("/proc/self/cgroup", "re")) != NULL) {
		while (path == NULL && getline(&line, &size, f) != -1) {
			line[strcspn(line, "\n")] = '\0';
			if ((p = strchr(line, ':')) == NULL ||
			    (sep = strchr(p + 1, ':')) == NULL)
				continue;
			*sep = '\0';
			if (controller == NULL) {
				if (p[1] == '\0')
					path = xstrdup(sep + 1);
				continue;
			}
			for (tok = strtok_r(p + 1, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save))
				if (strcmp(tok, controller) == 0)
					path = xstrdup(sep + 1);
		}
		fclose(f);
	}
	free(line);
	p = path != NULL ? path : (char *)"/";
	if (strcmp(root, "/") != 0 && strncmp(p, root, strlen(root)) == 0)
		p += strlen(root);
	xasprintf(&dir, "%s%s", mnt, p);
	if (access(dir, W_OK) != 0) {
		free(dir);
		dir = xstrdup(mnt); /* our path is not visible here */
	}
	free(mnt);
	free(root);
	free(path);
	return dir;
}

/* Remove dir/jdp-PID left by a jdpd that died without cleaning up. */
static void
sandbox_cg_clean(const char *dir)
{
	DIR *d, *sub;
	struct dirent *de, *se;
	char path[PATH_MAX], job[PATH_MAX + 512];
	long pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "jdp-", 4) != 0)
			continue;
		pid = strtol(de->d_name + 4, NULL, 10);
		if (pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if ((sub = opendir(path)) != NULL) {
			while ((se = readdir(sub)) != NULL) {
				if (strncmp(se->d_name, "job-", 4) != 0)
					continue;
				snprintf(
				    job, sizeof job, "%s/%s", path, se->d_name);
				rmdir(job);
			}
			closedir(sub);
		}
		rmdir(path);
	}
	closedir(d);
}

/* Make dir/jdp-PID; returns it or NULL. */
static char *
sandbox_cg_mkdir(const char *dir, const char *probe)
{
	char *mine, path[PATH_MAX];

	if (dir == NULL)
		return NULL;
	sandbox_cg_clean(dir);
	xasprintf(&mine, "%s/jdp-%ld", dir, (long)getpid());
	if (mkdir(mine, 0755) == -1 && errno != EEXIST) {
		free(mine);
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%s", mine, probe);
	if (access(path, W_OK) != 0) {
		rmdir(mine);
		free(mine);
		return NULL;
	}
	return mine;
}

/* Choose cgroup v2, else v1, else none. */
static void
sandbox_cg_detect(struct sandbox *sb)
{
	char *dir, *mine, path[PATH_MAX], ctl[512];

	if ((dir = sandbox_cg_dir(NULL)) != NULL) {
		snprintf(path, sizeof path, "%s/cgroup.controllers", dir);
		if (sandbox_read_file(path, ctl, sizeof ctl) == 0 &&
		    strstr(ctl, "memory") != NULL &&
		    strstr(ctl, "pids") != NULL) {
			/* Fails unless our cgroup may delegate (root, or
			 * no processes of its own). */
			sandbox_write_file(
			    dir, "cgroup.subtree_control", "+memory +pids");
			if ((mine = sandbox_cg_mkdir(dir, "memory.max")) !=
			    NULL) {
				if (sandbox_write_file(mine,
					"cgroup.subtree_control",
					"+memory +pids") == 0) {
					sb->cg = SANDBOX_CG_V2;
					sb->cgbase[0] = mine;
					free(dir);
					return;
				}
				rmdir(mine);
				free(mine);
			}
		}
		free(dir);
	}
	dir = sandbox_cg_dir("memory");
	sb->cgbase[0] = sandbox_cg_mkdir(dir, "memory.limit_in_bytes");
	free(dir);
	if (sb->cgbase[0] == NULL)
		return;
	dir = sandbox_cg_dir("pids");
	sb->cgbase[1] = sandbox_cg_mkdir(dir, "pids.max");
	free(dir);
	sb->cg = SANDBOX_CG_V1;
}

/* Run a command, wait; 0 if it exited 0, else -1 with its stderr. */
static int
sandbox_run(char *const *argv, int seccomp_fd, char **err)
{
	int p[2], status;
	pid_t pid;
	char buf[512];
	ssize_t n;
	size_t len = 0;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(p[1], 2);
		dup2(p[1], 1);
		if (seccomp_fd == 4)
			fcntl(4, F_SETFD, 0);
		else if (seccomp_fd != -1)
			dup2(seccomp_fd, 4);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof buf - 1 &&
	    (n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	if (err != NULL)
		*err = xstrdup(buf[0] != '\0' ? buf : "failed");
	return -1;
}

/* A pipe whose read end holds the BPF program; -1 on failure. */
static int
sandbox_filter_fd(struct sandbox *sb)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if (write(p[1], sb->bpf, sb->bpflen) != (ssize_t)sb->bpflen) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

/* Append the bwrap arguments (everything before the command). */
static int
sandbox_bwrap_args(struct sandbox *sb, const char **argv, int n,
    enum sandbox_mode mode, int tmp_size, int cds)
{
	int i;

	argv[n++] = sb->bwrap;
	if (mode == SANDBOX_USERNS) {
		argv[n++] = "--unshare-all";
		argv[n++] = "--unshare-user";
		argv[n++] = "--uid";
		argv[n++] = SANDBOX_NOBODY;
		argv[n++] = "--gid";
		argv[n++] = SANDBOX_NOBODY;
		argv[n++] = "--disable-userns";
	} else {
		argv[n++] = "--unshare-ipc";
		argv[n++] = "--unshare-pid";
		argv[n++] = "--unshare-net";
		argv[n++] = "--unshare-uts";
		argv[n++] = "--unshare-cgroup-try";
	}
	argv[n++] = "--die-with-parent";
	argv[n++] = "--new-session";
	argv[n++] = "--cap-drop";
	argv[n++] = "ALL";
	argv[n++] = "--hostname";
	argv[n++] = "jdp";
	argv[n++] = "--clearenv";
	argv[n++] = "--setenv";
	argv[n++] = "PATH";
	argv[n++] = "/usr/bin:/bin";
	argv[n++] = "--setenv";
	argv[n++] = "HOME";
	argv[n++] = "/tmp";
	argv[n++] = "--setenv";
	argv[n++] = "LANG";
	argv[n++] = "C.UTF-8";
	argv[n++] = "--ro-bind";
	argv[n++] = "/usr";
	argv[n++] = "/usr";
	for (i = 0; i < sb->nlinks; i++) {
		argv[n++] = "--symlink";
		argv[n++] = sb->links[i][1];
		argv[n++] = sb->links[i][0];
	}
	for (i = 0; i < sb->ndirs; i++) {
		argv[n++] = "--ro-bind";
		argv[n++] = sb->dirs[i];
		argv[n++] = sb->dirs[i];
	}
	for (i = 0; i < sb->nbinds; i++) {
		argv[n++] = "--ro-bind";
		argv[n++] = sb->binds[i];
		argv[n++] = sb->binds[i];
	}
	argv[n++] = "--ro-bind";
	argv[n++] = sb->jar;
	argv[n++] = SANDBOX_JAR;
	if (cds != SANDBOX_CDS_NONE && sb->cds != NULL) {
		argv[n++] = cds == SANDBOX_CDS_WRITE ? "--bind" : "--ro-bind";
		argv[n++] = sb->cds;
		argv[n++] = SANDBOX_CDS;
	}
	argv[n++] = "--proc";
	argv[n++] = "/proc";
	argv[n++] = "--dev";
	argv[n++] = "/dev";
	if (tmp_size) {
		argv[n++] = "--size";
		argv[n++] = SANDBOX_TMP_SIZE;
	}
	argv[n++] = "--tmpfs";
	argv[n++] = "/tmp";
	argv[n++] = "--remount-ro";
	argv[n++] = "/";
	argv[n++] = "--chdir";
	argv[n++] = "/tmp";
	argv[n++] = "--seccomp";
	argv[n++] = "4";
	argv[n++] = "--";
	return n;
}

/* Try bwrap in one mode with a trivial command. */
static int
sandbox_probe(
    struct sandbox *sb, enum sandbox_mode mode, int tmp_size, char **err)
{
	const char *argv[SANDBOX_MAX_ARGS];
	int n, fd, rc;

	if ((fd = sandbox_filter_fd(sb)) == -1) {
		*err = xstrdup(strerror(errno));
		return -1;
	}
	n = sandbox_bwrap_args(sb, argv, 0, mode, tmp_size, SANDBOX_CDS_NONE);
	/* java -version is slow; what it needs being there is enough. */
	argv[n++] = "/usr/bin/test";
	argv[n++] = "-r";
	argv[n++] = SANDBOX_JAR;
	argv[n++] = "-a";
	argv[n++] = "-x";
	argv[n++] = sb->java;
	argv[n] = NULL;
	rc = sandbox_run((char *const *)argv, fd, err);
	close(fd);
	return rc;
}

/* Can uid 65534 read the jar? (Unsandboxed runs as root drop to it.) */
static int
sandbox_nobody_reads(const char *jar)
{
	pid_t pid;
	int status, fd;

	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 ||
		    setuid(65534) == -1)
			_exit(1);
		fd = open(jar, O_RDONLY);
		_exit(fd == -1 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Mirror the host's top-level symlinks (/lib -> usr/lib) and dirs. */
static void
sandbox_find_layout(struct sandbox *sb)
{
	static const char *const tops[] = {
	    "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL};
	const char *const *t;
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	DIR *d;
	struct dirent *de;

	for (t = tops; *t != NULL; t++) {
		if (lstat(*t, &st) == -1)
			continue;
		if (S_ISLNK(st.st_mode) && sb->nlinks < 8) {
			n = readlink(*t, target, sizeof target - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			sb->links[sb->nlinks][0] = xstrdup(*t);
			sb->links[sb->nlinks][1] = xstrdup(target);
			sb->nlinks++;
		} else if (S_ISDIR(st.st_mode) && sb->ndirs < 8)
			sb->dirs[sb->ndirs++] = xstrdup(*t);
	}
	/* Debian's JDK keeps its configuration in /etc/java-NN-openjdk. */
	if ((d = opendir("/etc")) != NULL) {
		while ((de = readdir(d)) != NULL && sb->nbinds < 14) {
			if (strncmp(de->d_name, "java", 4) != 0)
				continue;
			xasprintf(
			    &sb->binds[sb->nbinds], "/etc/%s", de->d_name);
			if (stat(sb->binds[sb->nbinds], &st) == 0 &&
			    S_ISDIR(st.st_mode))
				sb->nbinds++;
			else
				free(sb->binds[sb->nbinds]);
		}
		closedir(d);
	}
	if (strncmp(sb->java_home, "/usr/", 5) != 0)
		sb->binds[sb->nbinds++] = xstrdup(sb->java_home);
}

/* Find java and the jar; real paths, since symlinks may lead outside. */
static int
sandbox_find_java(struct sandbox *sb, const struct conf *conf, char **cause)
{
	char path[PATH_MAX], *p;

	if (realpath(conf->java, path) == NULL || access(path, X_OK) != 0) {
		xasprintf(cause, "java: %s: %s", conf->java,
		    errno != 0 ? strerror(errno) : "not executable");
		return -1;
	}
	sb->java = xstrdup(path);
	if ((p = strrchr(path, '/')) != NULL)
		*p = '\0';
	if ((p = strrchr(path, '/')) != NULL && p != path)
		*p = '\0';
	sb->java_home = xstrdup(path);

	if (realpath(conf->runner_jar, path) == NULL ||
	    access(path, R_OK) != 0) {
		xasprintf(cause,
		    "runner-jar: %s: %s (build it with make, "
		    "or set runner-jar in the configuration)",
		    conf->runner_jar, strerror(errno));
		return -1;
	}
	sb->jar = xstrdup(path);
	return 0;
}

struct sandbox *
sandbox_new(const struct conf *conf, char **cause)
{
	struct sandbox *sb;
	char *err = NULL, *err2 = NULL;
	const char *bwrap, *cg;

	sb = xcalloc(1, sizeof *sb);
	errno = 0;
	if (sandbox_find_java(sb, conf, cause) == -1 ||
	    sandbox_build_filter(sb, cause) == -1) {
		sandbox_free(sb);
		return NULL;
	}
	sandbox_find_layout(sb);

	bwrap = getenv("JDP_BWRAP"); /* tests point this elsewhere */
	sb->bwrap = xstrdup(bwrap != NULL ? bwrap : JDP_BWRAP);
	if (access(sb->bwrap, X_OK) != 0) {
		xasprintf(&err, "%s: %s", sb->bwrap, strerror(errno));
		sb->mode = SANDBOX_NONE;
	} else if (sandbox_probe(sb, SANDBOX_USERNS, 1, &err) == 0)
		sb->mode = SANDBOX_USERNS, sb->tmp_size = 1;
	else if (sandbox_probe(sb, SANDBOX_USERNS, 0, &err2) == 0)
		sb->mode = SANDBOX_USERNS;
	else if (free(err2), err2 = NULL,
	    sandbox_probe(sb, SANDBOX_BWRAP, 1, &err2) == 0)
		sb->mode = SANDBOX_BWRAP, sb->tmp_size = 1;
	else if (free(err2), err2 = NULL,
	    sandbox_probe(sb, SANDBOX_BWRAP, 0, &err2) == 0)
		sb->mode = SANDBOX_BWRAP;
	else
		sb->mode = SANDBOX_NONE;
	free(err2);

	if (sb->mode == SANDBOX_NONE && !conf->allow_unsandboxed) {
		xasprintf(cause,
		    "bubblewrap (bwrap) is not available: jobs "
		    "cannot be sandboxed; install bubblewrap or set "
		    "allow-unsandboxed yes (%s)",
		    err);
		free(err);
		sandbox_free(sb);
		return NULL;
	}
	if (sb->mode == SANDBOX_NONE && geteuid() == 0) {
		sb->nobody = sandbox_nobody_reads(sb->jar);
		if (!sb->nobody)
			log_warn("runner: uid 65534 cannot read %s: "
				 "unsandboxed jobs run as root",
			    sb->jar);
	}
	if (sb->mode == SANDBOX_NONE)
		log_warn(
		    "runner: bubblewrap is not usable (%s); "
		    "allow-unsandboxed is set, so jobs run WITHOUT a sandbox "
		    "(%srlimits and seccomp only)",
		    err, sb->nobody ? "as uid 65534, " : "");
	else if (sb->mode == SANDBOX_BWRAP)
		log_warn("runner: bubblewrap cannot create a user namespace "
			 "here (%s); jobs run in bwrap as uid %ld with no "
			 "capabilities",
		    err, (long)getuid());
	free(err);

	sandbox_cg_detect(sb);
	cg = sb->cg == SANDBOX_CG_V2 ? "cgroup v2 memory+pids"
	    : sb->cg == SANDBOX_CG_V1
	    ? (sb->cgbase[1] != NULL ? "cgroup v1 memory+pids"
				     : "cgroup v1 memory")
	    : "no cgroup";
	if (sb->cg == SANDBOX_CG_NONE)
		log_info("runner: no cgroup can be created here; jobs are "
			 "limited by -Xmx and rlimits only");
	xasprintf(&sb->desc, "%s, seccomp, rlimits, %s",
	    sb->mode == SANDBOX_USERNS ? "bwrap (user namespace, uid 65534)"
		: sb->mode == SANDBOX_BWRAP ? "bwrap (no user namespace)"
		: sb->nobody		    ? "UNSANDBOXED (uid 65534)"
					    : "UNSANDBOXED",
	    cg);
	log_info("runner: sandbox: %s", sb->desc);
	return sb;
}

/* Try to remove the cgroups that were still busy. */
static void
sandbox_sweep(struct sandbox *sb)
{
	int i, j;

	for (i = j = 0; i < sb->nstale; i++) {
		if (rmdir(sb->stale[i]) == 0 || errno == ENOENT)
			free(sb->stale[i]);
		else
			sb->stale[j++] = sb->stale[i];
	}
	sb->nstale = j;
}

/* Remove a directory and the files in it (the class-data directory). */
static void
sandbox_rmtree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

void
sandbox_free(struct sandbox *sb)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	int i;

	if (sb == NULL)
		return;
	/* Killed sandboxes leave their cgroups within milliseconds. */
	for (i = 0; i < 400 && sb->nstale > 0; i++) {
		sandbox_sweep(sb);
		if (sb->nstale > 0)
			nanosleep(&ts, NULL);
	}
	for (i = 0; i < sb->nstale; i++)
		free(sb->stale[i]);
	for (i = 0; i < 2; i++) {
		if (sb->cgbase[i] != NULL)
			rmdir(sb->cgbase[i]);
		free(sb->cgbase[i]);
	}
	for (i = 0; i < sb->nbinds; i++)
		free(sb->binds[i]);
	for (i = 0; i < sb->nlinks; i++) {
		free(sb->links[i][0]);
		free(sb->links[i][1]);
	}
	for (i = 0; i < sb->ndirs; i++)
		free(sb->dirs[i]);
	if (sb->cds != NULL) {
		sandbox_rmtree(sb->cds);
		free(sb->cds);
	}
	free(sb->bwrap);
	free(sb->java);
	free(sb->java_home);
	free(sb->jar);
	free(sb->bpf);
	free(sb->desc);
	free(sb);
}

enum sandbox_mode
sandbox_mode(const struct sandbox *sb)
{
	return sb->mode;
}

const char *
sandbox_describe(const struct sandbox *sb)
{
	return sb->desc;
}

const char *
sandbox_jar(const struct sandbox *sb)
{
	return sb->mode == SANDBOX_NONE ? sb->jar : SANDBOX_JAR;
}

/* Remove the class-data directories of jdpds that died (SIGKILL). */
static void
sandbox_cds_clean(const char *tmp)
{
	char path[PATH_MAX];
	struct dirent *de;
	long pid;
	DIR *d;

	if ((d = opendir(tmp)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "jdp-cds-", 8) != 0 ||
		    (pid = strtol(de->d_name + 8, NULL, 10)) <= 0 ||
		    pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(path, sizeof path, "%s/%s", tmp, de->d_name);
		sandbox_rmtree(path);
	}
	closedir(d);
}

const char *
sandbox_cds(struct sandbox *sb, const char **host)
{
	const char *tmp;
	char *dir;

	if (sb->mode == SANDBOX_NONE)
		return NULL;
	if (sb->cds == NULL) {
		if ((tmp = getenv("TMPDIR")) == NULL || *tmp != '/')
			tmp = "/tmp";
		sandbox_cds_clean(tmp);
		xasprintf(&dir, "%s/jdp-cds-%ld.XXXXXX", tmp, (long)getpid());
		if (mkdtemp(dir) == NULL) {
			log_warn(
			    "runner: cannot make %s: %s", dir, strerror(errno));
			free(dir);
			return NULL;
		}
		sb->cds = dir;
	}
	if (host != NULL)
		*host = sb->cds;
	return SANDBOX_CDS;
}

/* Make the process's cgroups and set their limits. */
static void
sandbox_cg_make(struct sandbox *sb, const struct sandbox_limits *lim,
    struct sandbox_proc *p)
{
	char v[32];
	int i;

	sandbox_sweep(sb);
	sb->cgseq++;
	for (i = 0; i < 2; i++) {
		if (sb->cgbase[i] == NULL)
			continue;
		xasprintf(&p->cg[i], "%s/job-%llu", sb->cgbase[i],
		    (unsigned long long)sb->cgseq);
		if (mkdir(p->cg[i], 0755) == -1) {
			free(p->cg[i]);
			p->cg[i] = NULL;
		}
	}
	if (p->cg[0] != NULL && lim->memory != 0) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)lim->memory);
		if (sb->cg == SANDBOX_CG_V2) {
			sandbox_write_file(p->cg[0], "memory.max", v);
			sandbox_write_file(p->cg[0], "memory.swap.max", "0");
		} else {
			sandbox_write_file(
			    p->cg[0], "memory.limit_in_bytes", v);
			sandbox_write_file(
			    p->cg[0], "memory.memsw.limit_in_bytes", v);
		}
	}
	if (lim->pids != 0) {
		snprintf(v, sizeof v, "%d", lim->pids);
		if (sb->cg == SANDBOX_CG_V2 && p->cg[0] != NULL)
			sandbox_write_file(p->cg[0], "pids.max", v);
		else if (p->cg[1] != NULL)
			sandbox_write_file(p->cg[1], "pids.max", v);
	}
}

/* In the child: limits, then exec. Never returns. */
static void __attribute__((noreturn))
sandbox_child(struct sandbox *sb, const char *const *argv, const int fds[4],
    int filter, const struct sandbox_limits *lim, struct sandbox_proc *p)
{
	struct rlimit rl;
	struct sock_fprog prog;
	int i, null, fd, tmp[5];

	setpgid(0, 0);
	for (i = 0; i < 2; i++)
		if (p->cg[i] != NULL)
			sandbox_write_file(p->cg[i], "cgroup.procs", "0");
	signal(SIGPIPE, SIG_DFL);

	/* Copy the fds out of the way first: they may be 0..4 themselves. */
	null = open("/dev/null", O_RDWR);
	for (i = 0; i < 4; i++) {
		fd = fds[i] != -1 ? fds[i] : i < 3 ? null : -1;
		tmp[i] = fd != -1 ? fcntl(fd, F_DUPFD, 10) : -1;
	}
	tmp[4] = filter != -1 ? fcntl(filter, F_DUPFD, 10) : -1;
	for (i = 0; i < 5; i++) {
		if (tmp[i] == -1)
			close(i);
		else if (dup2(tmp[i], i) == -1)
			_exit(126);
	}
	if (syscall(SYS_close_range, 5, ~0U, 0) == -1)
		for (i = 5; i < 1024; i++)
			close(i);

	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
	if (lim->cpu_s != 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)lim->cpu_s;
		setrlimit(RLIMIT_CPU, &rl);
	}
	if (lim->fsize != 0) {
		rl.rlim_cur = rl.rlim_max = lim->fsize;
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	if (lim->nofile != 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)lim->nofile;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (sb->mode == SANDBOX_NONE && sb->nobody) {
		if (chdir("/tmp") == -1 || setgroups(0, NULL) == -1 ||
		    setgid(65534) == -1 || setuid(65534) == -1) {
			dprintf(2, "jdp: cannot become nobody: %s\n",
			    strerror(errno));
			_exit(126);
		}
	}
	if (sb->mode == SANDBOX_NONE) {
		prog.len =
		    (unsigned short)(sb->bpflen / sizeof(struct sock_filter));
		prog.filter = (struct sock_filter *)sb->bpf;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1) {
			dprintf(2, "jdp: seccomp: %s\n", strerror(errno));
			_exit(126);
		}
	}
	execv(argv[0], (char *const *)argv);
	dprintf(2, "jdp: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
sandbox_spawn(struct sandbox *sb, const char *const *args, const int fds[4],
    const struct sandbox_limits *lim, struct sandbox_proc *p, char **cause)
{
	const char *argv[SANDBOX_MAX_ARGS];
	int n = 0, i, filter = -1;
	pid_t pid;

	memset(p, 0, sizeof *p);
	p->pidfd = -1;
	if (sb->mode != SANDBOX_NONE) {
		if ((filter = sandbox_filter_fd(sb)) == -1) {
			xasprintf(cause, "seccomp pipe: %s", strerror(errno));
			return -1;
		}
		n = sandbox_bwrap_args(
		    sb, argv, 0, sb->mode, sb->tmp_size, lim->cds);
	}
	argv[n++] = sb->java;
	for (i = 0; args[i] != NULL && n < SANDBOX_MAX_ARGS - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (lim->cgroup && sb->cg != SANDBOX_CG_NONE)
		sandbox_cg_make(sb, lim, p);

	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		if (filter != -1)
			close(filter);
		sandbox_release(sb, p);
		return -1;
	}
	if (pid == 0)
		sandbox_child(sb, argv, fds, filter, lim, p);
	if (filter != -1)
		close(filter);
	p->pid = pid;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd != -1)
		fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/* SIGKILL every process listed in a cgroup. */
static void
sandbox_cg_kill(const char *dir)
{
	char path[PATH_MAX], buf[4096], *p, *end;
	long pid;

	if (sandbox_write_file(dir, "cgroup.kill", "1") == 0)
		return;
	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	if (sandbox_read_file(path, buf, sizeof buf) == -1)
		return;
	for (p = buf; *p != '\0'; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
		while (*end == '\n')
			end++;
	}
}

void
sandbox_kill(struct sandbox *sb, struct sandbox_proc *p)
{
	int i;

	if (p->pid <= 0 || p->reaped)
		return;
	/* bwrap's --die-with-parent takes the sandbox down with it. */
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	for (i = 0; i < 2; i++)
		if (p->cg[i] != NULL)
			sandbox_cg_kill(p->cg[i]);
}

int
sandbox_reap(struct sandbox_proc *p)
{
	pid_t r;

	if (p->reaped)
		return 1;
	r = waitpid(p->pid, &p->status, WNOHANG);
	if (r == 0)
		return 0;
	if (r == -1) {
		if (errno == EINTR)
			return 0;
		p->status = 0; /* ECHILD: someone reaped it */
	}
	p->reaped = 1;
	return 1;
}

int
sandbox_oom(const struct sandbox_proc *p)
{
	char path[PATH_MAX], buf[2048], *s;

	if (p->cg[0] == NULL)
		return 0;
	snprintf(path, sizeof path, "%s/memory.events", p->cg[0]);
	if (sandbox_read_file(path, buf, sizeof buf) == -1) {
		snprintf(path, sizeof path, "%s/memory.oom_control", p->cg[0]);
		if (sandbox_read_file(path, buf, sizeof buf) == -1)
			return 0;
	}
	if ((s = strstr(buf, "oom_kill ")) != NULL)
		return strtol(s + 9, NULL, 10) > 0;
	return 0;
}

void
sandbox_release(struct sandbox *sb, struct sandbox_proc *p)
{
	int i;

	if (p->pidfd != -1)
		close(p->pidfd);
	p->pidfd = -1;
	for (i = 0; i < 2; i++) {
		if (p->cg[i] == NULL)
			continue;
		if (rmdir(p->cg[i]) == -1 && errno == EBUSY &&
		    sb->nstale < SANDBOX_STALE_MAX) {
			sandbox_cg_kill(p->cg[i]);
			sb->stale[sb->nstale++] = p->cg[i];
		} else
			free(p->cg[i]);
		p->cg[i] = NULL;
	}
}
