/*
 * sandbox.c: bubblewrap and rlimits for the runner's Java processes, and
 * what it detects and chooses (see sandbox.h and docs/RUNNER.md). The
 * cgroups are in sandbox-cgroup.c, the seccomp filter in
 * sandbox-seccomp.c; sandbox-int.h is what they share.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "sandbox.h"
#include "sandbox-int.h"
#include "xmalloc.h"

#define SANDBOX_JAR "/jdp/jdp-runner.jar"
#define SANDBOX_CDS "/jdp/cds"
#define SANDBOX_NOBODY "65534"
#define SANDBOX_TEST "/jdp/test" /* the probe's test(1) */
#define SANDBOX_TMP_SIZE "67108864" /* bytes of the private /tmp */
#define SANDBOX_SHM_SIZE "16777216" /* bytes of the private /dev/shm */
#define SANDBOX_ARENAS "2" /* MALLOC_ARENA_MAX under RLIMIT_AS */
#define SANDBOX_NBINDS                                                         \
	((int)(sizeof((struct sandbox *)0)->binds /                            \
	    sizeof((struct sandbox *)0)->binds[0]))
#define SANDBOX_MAX_ARGS 128

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

/*
 * Append the bwrap arguments (everything before the command); probe, if
 * not NULL, is a host binary bound at SANDBOX_TEST.
 */
static int
sandbox_bwrap_args(struct sandbox *sb, const char **argv, int n,
    enum sandbox_mode mode, int tmp_size, int cds, int as, const char *probe)
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
	if (as) {
		/* Else glibc's arenas take the address space threads need. */
		argv[n++] = "--setenv";
		argv[n++] = "MALLOC_ARENA_MAX";
		argv[n++] = SANDBOX_ARENAS;
	}
	/* No /usr, /etc or /home: the JDK, libraries, and what they read. */
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
	if (probe != NULL) {
		argv[n++] = "--ro-bind";
		argv[n++] = probe;
		argv[n++] = SANDBOX_TEST;
	}
	argv[n++] = "--proc";
	argv[n++] = "/proc";
	argv[n++] = "--dev";
	argv[n++] = "/dev";
	/* /dev is an unbounded tmpfs: a small /dev/shm, the rest read-only. */
	if (tmp_size) {
		argv[n++] = "--size";
		argv[n++] = SANDBOX_SHM_SIZE;
		argv[n++] = "--tmpfs";
		argv[n++] = "/dev/shm";
	}
	argv[n++] = "--remount-ro";
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
	char test[PATH_MAX];
	int n, fd, rc;

	if ((fd = sandbox_seccomp_fd(sb)) == -1) {
		*err = xstrdup(strerror(errno));
		return -1;
	}
	/* java -version is slow; what it needs being there is enough. */
	if (realpath("/usr/bin/test", test) != NULL ||
	    realpath("/bin/test", test) != NULL) {
		n = sandbox_bwrap_args(
		    sb, argv, 0, mode, tmp_size, SANDBOX_CDS_NONE, 0, test);
		argv[n++] = SANDBOX_TEST;
		argv[n++] = "-r";
		argv[n++] = SANDBOX_JAR;
		argv[n++] = "-a";
		argv[n++] = "-x";
		argv[n++] = sb->java;
	} else {
		n = sandbox_bwrap_args(
		    sb, argv, 0, mode, tmp_size, SANDBOX_CDS_NONE, 0, NULL);
		argv[n++] = sb->java;
		argv[n++] = "-version";
	}
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

/* Bind a host directory read-only at the same path, if it is one. */
static void
sandbox_add_bind(struct sandbox *sb, const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int i;

	if (realpath(dir, path) == NULL || stat(path, &st) == -1 ||
	    !S_ISDIR(st.st_mode) || sb->nbinds >= SANDBOX_NBINDS)
		return;
	for (i = 0; i < sb->nbinds; i++)
		if (strcmp(sb->binds[i], path) == 0)
			return;
	sb->binds[sb->nbinds++] = xstrdup(path);
}

/*
 * What a JVM needs of the host, and nothing more (no /usr as a whole, no
 * /usr/local, no /etc, no /home): the top-level library links or dirs
 * (/lib -> usr/lib), the system library dirs, the locales, the JDK
 * (java.home, real path) and its configuration in /etc/java*.
 */
static void
sandbox_find_layout(struct sandbox *sb)
{
	static const char *const tops[] = {
	    "/lib", "/lib32", "/lib64", "/libx32", NULL};
	static const char *const libs[] = {
	    "/usr/lib32", "/usr/lib64", "/usr/libx32", NULL};
	const char *const *t;
	char target[PATH_MAX], path[PATH_MAX];
	struct stat st;
	ssize_t n;
	DIR *d;
	struct dirent *de;
	int found = 0;

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
	/* Debian's multiarch dirs (x86_64-linux-gnu), else lib64, else lib. */
	if ((d = opendir("/usr/lib")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, "-linux-") == NULL)
				continue;
			snprintf(path, sizeof path, "/usr/lib/%s", de->d_name);
			sandbox_add_bind(sb, path);
			found = 1;
		}
		closedir(d);
	}
	for (t = libs; *t != NULL; t++)
		if (lstat(*t, &st) == 0 && S_ISDIR(st.st_mode)) {
			sandbox_add_bind(sb, *t);
			found |= strcmp(*t, "/usr/lib64") == 0;
		}
	sandbox_add_bind(sb, found ? "/usr/lib/locale" : "/usr/lib");
	/* Debian's JDK keeps its configuration in /etc/java-NN-openjdk. */
	if ((d = opendir("/etc")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "java", 4) != 0)
				continue;
			snprintf(path, sizeof path, "/etc/%s", de->d_name);
			sandbox_add_bind(sb, path);
		}
		closedir(d);
	}
	if (sb->java_home != NULL)
		sandbox_add_bind(sb, sb->java_home);
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
	    sandbox_seccomp_build(sb, cause) == -1) {
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
	cg = sandbox_cg_describe(sb);
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

/* May a process with these ids read (mode 4) or search (1) st's file? */
static int
sandbox_may(const struct stat *st, int mode, uid_t uid, gid_t gid,
    const gid_t *groups, int ngroups)
{
	int i, in = st->st_gid == gid;

	if (st->st_uid == uid)
		return (st->st_mode & (mode << 6)) != 0;
	for (i = 0; i < ngroups && !in; i++)
		in = st->st_gid == groups[i];
	if (in)
		return (st->st_mode & (mode << 3)) != 0;
	return (st->st_mode & mode) != 0;
}

int
sandbox_readable(const char *root, const char *path, uid_t uid, gid_t gid,
    const gid_t *groups, int ngroups)
{
	char dir[PATH_MAX];
	struct stat st;
	size_t len = strlen(root), i;

	if (strlen(path) >= sizeof dir || strncmp(path, root, len) != 0 ||
	    (path[len] != '/' && path[len] != '\0'))
		return 0;
	/* Every directory from root down to path's own. */
	for (i = len; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		memcpy(dir, path, i);
		dir[i] = '\0';
		if (stat(dir, &st) == -1 ||
		    !sandbox_may(&st, 1, uid, gid, groups, ngroups))
			return 0;
	}
	return stat(path, &st) == 0 &&
	    sandbox_may(&st, 4, uid, gid, groups, ngroups);
}

/*
 * Is file (a configured secret) readable inside the sandbox? Jobs run with
 * jdpd's own ids (uid 65534 inside is jdpd's uid outside), without
 * capabilities; a file is there if it is under something bound. Returns
 * 0, or -1 with *cause set.
 */
static int
sandbox_check_secret(
    struct sandbox *sb, const char *directive, const char *file, char **cause)
{
	gid_t groups[NGROUPS_MAX];
	char path[PATH_MAX];
	const char *roots[SANDBOX_NBINDS + 8 + 1];
	int i, n = 0, ngroups;

	if (file == NULL || realpath(file, path) == NULL)
		return 0; /* loading it says what is wrong */
	for (i = 0; i < sb->nbinds; i++)
		roots[n++] = sb->binds[i];
	for (i = 0; i < sb->ndirs; i++)
		roots[n++] = sb->dirs[i];
	if (sb->jar != NULL)
		roots[n++] = sb->jar;
	if ((ngroups = getgroups(NGROUPS_MAX, groups)) == -1)
		ngroups = 0;
	for (i = 0; i < n; i++) {
		if (!sandbox_readable(
			roots[i], path, geteuid(), getegid(), groups, ngroups))
			continue;
		xasprintf(cause,
		    "%s %s: jobs could read it: %s is bound into the job "
		    "sandbox; keep the file outside it (such as in /etc/jdp)",
		    directive, file, roots[i]);
		return -1;
	}
	return 0;
}

int
sandbox_check_secrets(const struct conf *conf, char **cause)
{
	struct sandbox *sb;
	char *err = NULL;
	int rc;

	sb = xcalloc(1, sizeof *sb);
	/* Without java or the jar, the runner says so; check the rest. */
	if (sandbox_find_java(sb, conf, &err) == -1)
		free(err);
	sandbox_find_layout(sb);
	rc = sandbox_check_secret(
		 sb, "cluster-key-file", conf->key_file, cause) == -1 ||
	    sandbox_check_secret(
		sb, "api-token-file", conf->api_token_file, cause) == -1;
	sandbox_free(sb);
	return rc ? -1 : 0;
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
	int i;

	if (sb == NULL)
		return;
	sandbox_cg_free(sb);
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

/*
 * Does the process get RLIMIT_AS? Only without its memory or pids cgroup:
 * then the address space bounds both memory and threads (each needs its
 * stack in it); see RUNNER.md.
 */
static int
sandbox_as(const struct sandbox *sb, const struct sandbox_limits *lim,
    const struct sandbox_proc *p)
{
	return lim->as != 0 &&
	    (p->cg[0] == NULL || (sb->cg == SANDBOX_CG_V1 && p->cg[1] == NULL));
}

/* In the child: limits, then exec. Never returns. */
static void __attribute__((noreturn))
sandbox_child(struct sandbox *sb, const char *const *argv, const int fds[4],
    int filter, const struct sandbox_limits *lim, struct sandbox_proc *p)
{
	struct rlimit rl;
	int i, null, fd, tmp[5];

	setpgid(0, 0);
	sandbox_cg_enter(p);
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
	if (sandbox_as(sb, lim, p)) {
		rl.rlim_cur = rl.rlim_max = lim->as;
		setrlimit(RLIMIT_AS, &rl);
		if (sb->mode == SANDBOX_NONE)
			setenv("MALLOC_ARENA_MAX", SANDBOX_ARENAS, 1);
	}
	if (sb->mode == SANDBOX_NONE && sb->nobody) {
		if (chdir("/tmp") == -1 || setgroups(0, NULL) == -1 ||
		    setgid(65534) == -1 || setuid(65534) == -1) {
			dprintf(2, "jdp: cannot become nobody: %s\n",
			    strerror(errno));
			_exit(126);
		}
	}
	if (sb->mode == SANDBOX_NONE && sandbox_seccomp_install(sb) == -1) {
		dprintf(2, "jdp: seccomp: %s\n", strerror(errno));
		_exit(126);
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
	if (lim->cgroup && sb->cg != SANDBOX_CG_NONE)
		sandbox_cg_make(sb, lim, p);
	if (sb->mode != SANDBOX_NONE) {
		if ((filter = sandbox_seccomp_fd(sb)) == -1) {
			xasprintf(cause, "seccomp pipe: %s", strerror(errno));
			sandbox_release(sb, p);
			return -1;
		}
		n = sandbox_bwrap_args(sb, argv, 0, sb->mode, sb->tmp_size,
		    lim->cds, sandbox_as(sb, lim, p), NULL);
	}
	argv[n++] = sb->java;
	for (i = 0; args[i] != NULL && n < SANDBOX_MAX_ARGS - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

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

void
sandbox_release(struct sandbox *sb, struct sandbox_proc *p)
{
	if (p->pidfd != -1)
		close(p->pidfd);
	p->pidfd = -1;
	sandbox_cg_release(sb, p);
}
