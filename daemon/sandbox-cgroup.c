/*
 * sandbox-cgroup.c: one cgroup (memory, pids) per runner process, with
 * cgroup v2 where our cgroup may delegate, else v1, else none: finding
 * and making our own directory, a process's cgroups and their limits,
 * killing everything in one, its out-of-memory count, and removing them.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox-int.h"
#include "xmalloc.h"

/* Write a string to a file (cgroup control files). */
static int
sandbox_cg_write(const char *dir, const char *file, const char *value)
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
sandbox_cg_read(const char *path, char *buf, size_t size)
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
void
sandbox_cg_detect(struct sandbox *sb)
{
	char *dir, *mine, path[PATH_MAX], ctl[512];
	const char *force;

	/* Tests only: JDP_CGROUP=none takes the path of a machine without. */
	if ((force = getenv("JDP_CGROUP")) != NULL &&
	    strcmp(force, "none") == 0)
		return;
	if ((dir = sandbox_cg_dir(NULL)) != NULL) {
		snprintf(path, sizeof path, "%s/cgroup.controllers", dir);
		if (sandbox_cg_read(path, ctl, sizeof ctl) == 0 &&
		    strstr(ctl, "memory") != NULL &&
		    strstr(ctl, "pids") != NULL) {
			/* Fails unless our cgroup may delegate (root, or
			 * no processes of its own). */
			sandbox_cg_write(
			    dir, "cgroup.subtree_control", "+memory +pids");
			if ((mine = sandbox_cg_mkdir(dir, "memory.max")) !=
			    NULL) {
				if (sandbox_cg_write(mine,
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

/* What detect chose, for sandbox_describe ("cgroup v2 memory+pids"). */
const char *
sandbox_cg_describe(const struct sandbox *sb)
{
	return sb->cg == SANDBOX_CG_V2 ? "cgroup v2 memory+pids"
	    : sb->cg == SANDBOX_CG_V1
	    ? (sb->cgbase[1] != NULL ? "cgroup v1 memory+pids"
				     : "cgroup v1 memory")
	    : "no cgroup";
}

/* Try to remove the cgroups that were still busy. */
static void
sandbox_cg_sweep(struct sandbox *sb)
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

/* Make the process's cgroups and set their limits. */
void
sandbox_cg_make(struct sandbox *sb, const struct sandbox_limits *lim,
    struct sandbox_proc *p)
{
	char v[32];
	int i;

	sandbox_cg_sweep(sb);
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
			sandbox_cg_write(p->cg[0], "memory.max", v);
			sandbox_cg_write(p->cg[0], "memory.swap.max", "0");
		} else {
			sandbox_cg_write(p->cg[0], "memory.limit_in_bytes", v);
			sandbox_cg_write(
			    p->cg[0], "memory.memsw.limit_in_bytes", v);
		}
	}
	if (lim->pids != 0) {
		snprintf(v, sizeof v, "%d", lim->pids);
		if (sb->cg == SANDBOX_CG_V2 && p->cg[0] != NULL)
			sandbox_cg_write(p->cg[0], "pids.max", v);
		else if (p->cg[1] != NULL)
			sandbox_cg_write(p->cg[1], "pids.max", v);
	}
}

/* In the child: move into the process's cgroups. */
void
sandbox_cg_enter(const struct sandbox_proc *p)
{
	int i;

	for (i = 0; i < 2; i++)
		if (p->cg[i] != NULL)
			sandbox_cg_write(p->cg[i], "cgroup.procs", "0");
}

/* SIGKILL every process listed in a cgroup. */
void
sandbox_cg_kill(const char *dir)
{
	char path[PATH_MAX], buf[4096], *p, *end;
	long pid;

	if (sandbox_cg_write(dir, "cgroup.kill", "1") == 0)
		return;
	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	if (sandbox_cg_read(path, buf, sizeof buf) == -1)
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

int
sandbox_oom(const struct sandbox_proc *p)
{
	char path[PATH_MAX], buf[2048], *s;

	if (p->cg[0] == NULL)
		return 0;
	snprintf(path, sizeof path, "%s/memory.events", p->cg[0]);
	if (sandbox_cg_read(path, buf, sizeof buf) == -1) {
		snprintf(path, sizeof path, "%s/memory.oom_control", p->cg[0]);
		if (sandbox_cg_read(path, buf, sizeof buf) == -1)
			return 0;
	}
	if ((s = strstr(buf, "oom_kill ")) != NULL)
		return strtol(s + 9, NULL, 10) > 0;
	return 0;
}

/* Remove a released process's cgroups (later, if still busy). */
void
sandbox_cg_release(struct sandbox *sb, struct sandbox_proc *p)
{
	int i;

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

/* Remove our cgroups, waiting a little for the busy ones. */
void
sandbox_cg_free(struct sandbox *sb)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	int i;

	/* Killed sandboxes leave their cgroups within milliseconds. */
	for (i = 0; i < 400 && sb->nstale > 0; i++) {
		sandbox_cg_sweep(sb);
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
}
