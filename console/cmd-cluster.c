/*
 * cmd-cluster.c: a local cluster in a directory: `jdpctl cluster start`
 * writes DIR/jdp.conf and a fresh DIR/cluster.key and starts the gateway
 * and the peers in the background (pids in DIR/node-ID.pid, output in
 * DIR/node-ID.out, logs in DIR/log); `cluster stop`, `kill ID` (SIGKILL, a
 * crash) and `restart ID` act on those pids.
 *
 * The directory gets a cluster key, so `cluster start` writes only into a
 * directory (not a symbolic link) that this user owns and that group and
 * others cannot write, created 0700 when missing; the key and jdp.conf are
 * created afresh with O_EXCL|O_NOFOLLOW, replacing only regular files of
 * this user (CONSOLE.md).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "conf.h"
#include "hash.h"
#include "jdpctl.h"
#include "xmalloc.h"

#define CMD_CLUSTER_START_WAIT_MS 20000
#define CMD_CLUSTER_STOP_WAIT_MS 5000

static void
cmd_cluster_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int
cmd_cluster_mkdirs(const char *dir)
{
	char *p, *copy = xstrdup(dir);
	int rc = 0;

	for (p = copy + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(copy, 0700) == -1 && errno != EEXIST)
				rc = -1;
			*p = '/';
		}
	}
	if (mkdir(copy, 0700) == -1 && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

/*
 * Open DIR for writing a cluster into it: a directory, not a symbolic link,
 * owned by this user, not writable by group or others. Its descriptor, or
 * -1 after saying why.
 */
static int
cmd_cluster_dir_open(const char *dir)
{
	struct stat st;
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			jdpctl_warnx("%s is a symbolic link: refusing to write "
				     "a cluster key through it; give the "
				     "directory itself (-d DIR)",
			    dir);
		else
			jdpctl_warnx("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		jdpctl_warnx("%s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		jdpctl_warnx("%s is owned by uid %ld, not by you (uid %ld): "
			     "refusing to write a cluster key there; use a "
			     "directory of your own (-d DIR)",
		    dir, (long)st.st_uid, (long)geteuid());
		close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		jdpctl_warnx("%s is writable by group or others (mode %04o): "
			     "refusing to write a cluster key there; chmod "
			     "go-w it or use another directory (-d DIR)",
		    dir, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Create DIR/name afresh for writing, never through a symbolic link: an old
 * regular file of this user is removed first, anything else is refused.
 * The descriptor, or -1 after saying why.
 */
static int
cmd_cluster_create(int dfd, const char *dir, const char *name, mode_t mode)
{
	struct stat st;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
			jdpctl_warnx("%s/%s is not a regular file of yours: "
				     "refusing to replace it",
			    dir, name);
			return -1;
		}
		if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT) {
			jdpctl_warnx("%s/%s: %s", dir, name, strerror(errno));
			return -1;
		}
	} else if (errno != ENOENT) {
		jdpctl_warnx("%s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	fd = openat(dfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1)
		jdpctl_warnx("%s/%s: %s", dir, name, strerror(errno));
	return fd;
}

/* The pid recorded for node id, if that process is a live jdpd. */
static pid_t
cmd_cluster_node_pid(const char *dir, int id)
{
	char path[4096], buf[512];
	FILE *f;
	long pid = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof path, "%s/node-%d.pid", dir, id);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return 0;
	/* A zombie is dead; a recycled pid that is not jdpd is not ours. */
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strstr(buf, "(jdpd)") == NULL && strstr(buf, "(lt-jdpd)") == NULL)
		return 0;
	if (strstr(buf, ") Z") != NULL || strstr(buf, ") X") != NULL)
		return 0;
	return (pid_t)pid;
}

static void
cmd_cluster_forget(const char *dir, int id)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/node-%d.pid", dir, id);
	unlink(path);
}

/* Wait until node id is gone; returns 0, or -1 at the deadline. */
static int
cmd_cluster_wait_gone(const char *dir, int id, int64_t ms)
{
	int64_t deadline = jdpctl_now_ms() + ms;

	while (cmd_cluster_node_pid(dir, id) != 0) {
		if (jdpctl_now_ms() > deadline)
			return -1;
		cmd_cluster_sleep_ms(20);
	}
	return 0;
}

static const char *
cmd_cluster_jdpd_path(void)
{
	static char path[4200];

	snprintf(path, sizeof path, "%s/jdpd", jdpctl_bindir());
	if (access(path, X_OK) == 0)
		return path;
	snprintf(path, sizeof path, "%s/../sbin/jdpd", jdpctl_bindir());
	if (access(path, X_OK) == 0)
		return path;
	return "jdpd";
}

/* Start node id of DIR/jdp.conf in the background; its pid, or -1. */
static pid_t
cmd_cluster_spawn(const char *dir, int id)
{
	char conf[4096], out[4096], pidf[4096], ids[16];
	pid_t pid;
	int fd;

	snprintf(conf, sizeof conf, "%s/jdp.conf", dir);
	snprintf(out, sizeof out, "%s/node-%d.out", dir, id);
	snprintf(pidf, sizeof pidf, "%s/node-%d.pid", dir, id);
	snprintf(ids, sizeof ids, "%d", id);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		setsid();
		fd =
		    open(out, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0644);
		if (fd != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd != -1) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		close_range(3, ~0U, 0); /* the node inherits nothing else */
		execlp(cmd_cluster_jdpd_path(), "jdpd", "-c", conf, "-i", ids,
		    "-f", (char *)NULL);
		fprintf(stderr, "jdpctl: %s: %s\n", cmd_cluster_jdpd_path(),
		    strerror(errno));
		_exit(127);
	}
	fd = open(
	    pidf, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd != -1) {
		dprintf(fd, "%ld\n", (long)pid);
		close(fd);
	}
	return pid;
}

static struct conf *
cmd_cluster_load(const char *dir)
{
	struct conf *conf;
	char path[4096], *cause;

	snprintf(path, sizeof path, "%s/jdp.conf", dir);
	if (access(path, R_OK) == -1) {
		jdpctl_warnx(
		    "no cluster in %s (%s: %s); try jdpctl cluster start", dir,
		    path, strerror(errno));
		return NULL;
	}
	if (conf_load(path, &conf, &cause) == -1) {
		jdpctl_warnx("%s", cause);
		free(cause);
		return NULL;
	}
	return conf;
}

/* DIR/jdp.conf if there is a readable, valid one; NULL otherwise. */
static struct conf *
cmd_cluster_load_quiet(const char *dir)
{
	struct conf *conf;
	char path[4096], *cause;

	snprintf(path, sizeof path, "%s/jdp.conf", dir);
	if (conf_load(path, &conf, &cause) == -1) {
		free(cause);
		return NULL;
	}
	return conf;
}

/* GET url answers 200 within the deadline. */
static int
cmd_cluster_wait_http(const char *url, int64_t ms)
{
	struct buf b;
	const char *err;
	int64_t deadline = jdpctl_now_ms() + ms;
	long st;

	buf_init(&b);
	for (;;) {
		buf_reset(&b);
		st = client_get(url, &b, NULL, &err);
		if (st == 200 || jdpctl_now_ms() > deadline)
			break;
		cmd_cluster_sleep_ms(50);
	}
	buf_free(&b);
	return st == 200 ? 0 : -1;
}

static int
cmd_cluster_node_url(
    const struct conf *conf, int id, const char *path, char *url, size_t len)
{
	const struct conf_node *n = conf_find_node(conf, id);

	if (n == NULL)
		return -1;
	snprintf(url, len, "http://%s:%u%s", n->host,
	    (unsigned)(n->port + CONF_HTTP_OFFSET), path);
	return 0;
}

static int
cmd_cluster_write_files(
    int dfd, const char *dir, int peers, int base, int http, const char *timing)
{
	char jar[4200];
	uint8_t key[32];
	char hex[65];
	FILE *f;
	int i, fd;

	hash_sodium_init();
	randombytes_buf(key, sizeof key);
	hash_hex(key, sizeof key, hex);
	sodium_memzero(key, sizeof key);
	if ((fd = cmd_cluster_create(dfd, dir, "cluster.key", 0600)) == -1)
		return -1;
	if (write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1) {
		jdpctl_warnx("%s/cluster.key: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	sodium_memzero(hex, sizeof hex);

	if ((fd = cmd_cluster_create(dfd, dir, "jdp.conf", 0644)) == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		jdpctl_warnx("%s/jdp.conf: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	fprintf(f, "# Written by jdpctl cluster start.\n");
	fprintf(f, "node 0 gateway 127.0.0.1:%d http %d\n", base, http);
	for (i = 1; i <= peers; i++)
		fprintf(f, "node %d peer 127.0.0.1:%d\n", i, base + 10 * i);
	fprintf(f, "cluster-key-file %s/cluster.key\n", dir);
	fprintf(f, "timing %s\n", timing);
	fprintf(f, "state-dir %s/state\n", dir);
	fprintf(f, "log-dir %s/log\n", dir);
	/* Running from a build tree: use the jar built next to jdpctl. */
	snprintf(jar, sizeof jar, "%s/jdp-runner.jar", jdpctl_bindir());
	if (access(jar, R_OK) == 0)
		fprintf(f, "runner-jar %s\n", jar);
	i = ferror(f);
	if (fclose(f) != 0 || i) {
		jdpctl_warnx("%s/jdp.conf: write failed", dir);
		return -1;
	}
	return 0;
}

static int
cmd_cluster_start(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"base-port", required_argument, NULL, 'b'},
	    {"http-port", required_argument, NULL, 'p'},
	    {"timing", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	const char *dir = NULL, *timing = "fast";
	struct conf *conf;
	char url[512], *end;
	long peers = 7, base = 8000, http = 8888;
	int ch, i, dfd, rc = JDPCTL_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "n:d:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			peers = strtol(optarg, &end, 10);
			if (*end != '\0' || peers < 1 ||
			    peers >= CONF_MAX_NODES) {
				jdpctl_warnx("-n: peers must be 1 to %d",
				    CONF_MAX_NODES - 1);
				return JDPCTL_USAGE;
			}
			break;
		case 'd':
			dir = optarg;
			break;
		case 'b':
		case 'p':
			i = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || i < 1 || i > 65535) {
				jdpctl_warnx("bad port: %s", optarg);
				return JDPCTL_USAGE;
			}
			if (ch == 'b')
				base = i;
			else
				http = i;
			break;
		case 't':
			if (strcmp(optarg, "fast") != 0 &&
			    strcmp(optarg, "course") != 0) {
				jdpctl_warnx("--timing: fast or course");
				return JDPCTL_USAGE;
			}
			timing = optarg;
			break;
		default:
			return JDPCTL_USAGE;
		}
	}
	if (base + 10 * peers + 3 > 65535) {
		jdpctl_warnx("--base-port %ld leaves no room for %ld peers",
		    base, peers);
		return JDPCTL_USAGE;
	}
	dir = jdpctl_dir(dir);
	if (cmd_cluster_mkdirs(dir) == -1) {
		jdpctl_warnx("%s: %s", dir, strerror(errno));
		return JDPCTL_USAGE;
	}
	if ((dfd = cmd_cluster_dir_open(dir)) == -1)
		return JDPCTL_USAGE;
	if ((conf = cmd_cluster_load_quiet(dir)) != NULL) {
		for (i = 0; i < conf->nnodes; i++) {
			if (cmd_cluster_node_pid(dir, conf->nodes[i].id) != 0) {
				jdpctl_warnx("a cluster is already running in "
					     "%s (jdpctl cluster stop -d %s)",
				    dir, dir);
				conf_free(conf);
				close(dfd);
				return JDPCTL_USAGE;
			}
		}
		conf_free(conf);
	}
	rc = cmd_cluster_write_files(
	    dfd, dir, (int)peers, (int)base, (int)http, timing);
	close(dfd);
	if (rc == -1 || (conf = cmd_cluster_load(dir)) == NULL)
		return JDPCTL_USAGE;
	rc = JDPCTL_OK;
	for (i = 0; i < conf->nnodes; i++) {
		if (cmd_cluster_spawn(dir, conf->nodes[i].id) == -1) {
			jdpctl_warnx("fork: %s", strerror(errno));
			rc = JDPCTL_USAGE;
		}
	}
	for (i = 0; i < conf->nnodes && rc == JDPCTL_OK; i++) {
		cmd_cluster_node_url(
		    conf, conf->nodes[i].id, "/health", url, sizeof url);
		if (cmd_cluster_wait_http(url, CMD_CLUSTER_START_WAIT_MS) ==
		    -1) {
			jdpctl_warnx(
			    "node %d did not come up; see %s/node-%d.out",
			    conf->nodes[i].id, dir, conf->nodes[i].id);
			rc = JDPCTL_UNREACHABLE;
		}
	}
	if (rc == JDPCTL_OK)
		printf("http://127.0.0.1:%ld\n", http);
	conf_free(conf);
	return rc;
}

static int
cmd_cluster_stop(int argc, char **argv)
{
	const char *dir = NULL;
	struct conf *conf;
	pid_t pid;
	int ch, i, stopped = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "d:")) != -1) {
		if (ch != 'd')
			return JDPCTL_USAGE;
		dir = optarg;
	}
	dir = jdpctl_dir(dir);
	if ((conf = cmd_cluster_load(dir)) == NULL)
		return JDPCTL_USAGE;
	for (i = 0; i < conf->nnodes; i++) {
		if ((pid = cmd_cluster_node_pid(dir, conf->nodes[i].id)) != 0) {
			kill(pid, SIGTERM);
			stopped++;
		}
	}
	for (i = 0; i < conf->nnodes; i++) {
		if (cmd_cluster_wait_gone(dir, conf->nodes[i].id,
			CMD_CLUSTER_STOP_WAIT_MS) == -1) {
			pid = cmd_cluster_node_pid(dir, conf->nodes[i].id);
			if (pid != 0)
				kill(pid, SIGKILL);
		}
		cmd_cluster_forget(dir, conf->nodes[i].id);
	}
	printf("stopped %d node%s\n", stopped, stopped == 1 ? "" : "s");
	conf_free(conf);
	return JDPCTL_OK;
}

static int
cmd_cluster_exec(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "start") == 0)
		return cmd_cluster_start(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "stop") == 0)
		return cmd_cluster_stop(argc - 1, argv + 1);
	jdpctl_warnx("usage: jdpctl cluster start|stop [options]");
	return JDPCTL_USAGE;
}

/* Parse "ID [-d DIR]" for kill and restart. */
static int
cmd_cluster_parse_id(int argc, char **argv, int *id, const char **dir)
{
	char *end;
	int ch;

	*dir = NULL;
	optind = 1;
	while ((ch = getopt(argc, argv, "d:")) != -1) {
		if (ch != 'd')
			return -1;
		*dir = optarg;
	}
	if (optind != argc - 1)
		return -1;
	*id = (int)strtol(argv[optind], &end, 10);
	if (*argv[optind] == '\0' || *end != '\0' || *id < 0)
		return -1;
	*dir = jdpctl_dir(*dir);
	return 0;
}

static int
cmd_cluster_kill(int argc, char **argv)
{
	const char *dir;
	pid_t pid;
	int id;

	if (cmd_cluster_parse_id(argc, argv, &id, &dir) == -1) {
		jdpctl_warnx("usage: jdpctl kill ID [-d DIR]");
		return JDPCTL_USAGE;
	}
	if ((pid = cmd_cluster_node_pid(dir, id)) == 0) {
		jdpctl_warnx("node %d is not running (in %s)", id, dir);
		return JDPCTL_USAGE;
	}
	kill(pid, SIGKILL);
	cmd_cluster_wait_gone(dir, id, CMD_CLUSTER_STOP_WAIT_MS);
	cmd_cluster_forget(dir, id);
	printf("killed node %d (pid %ld)\n", id, (long)pid);
	return JDPCTL_OK;
}

static int
cmd_cluster_restart(int argc, char **argv)
{
	const char *dir;
	struct conf *conf;
	char url[512];
	pid_t pid;
	int id, rc = JDPCTL_OK;

	if (cmd_cluster_parse_id(argc, argv, &id, &dir) == -1) {
		jdpctl_warnx("usage: jdpctl restart ID [-d DIR]");
		return JDPCTL_USAGE;
	}
	if ((conf = cmd_cluster_load(dir)) == NULL)
		return JDPCTL_USAGE;
	if (cmd_cluster_node_url(conf, id, "/health", url, sizeof url) == -1) {
		jdpctl_warnx("no node %d in %s/jdp.conf", id, dir);
		conf_free(conf);
		return JDPCTL_USAGE;
	}
	if ((pid = cmd_cluster_node_pid(dir, id)) != 0) {
		kill(pid, SIGTERM);
		if (cmd_cluster_wait_gone(dir, id, CMD_CLUSTER_STOP_WAIT_MS) ==
		    -1)
			kill(pid, SIGKILL);
		cmd_cluster_wait_gone(dir, id, CMD_CLUSTER_STOP_WAIT_MS);
	}
	if ((pid = cmd_cluster_spawn(dir, id)) == -1 ||
	    cmd_cluster_wait_http(url, CMD_CLUSTER_START_WAIT_MS) == -1) {
		jdpctl_warnx(
		    "node %d did not come up; see %s/node-%d.out", id, dir, id);
		rc = JDPCTL_UNREACHABLE;
	} else
		printf("restarted node %d (pid %ld)\n", id, (long)pid);
	conf_free(conf);
	return rc;
}

const struct jdpctl_cmd cmd_cluster = {"cluster",
    "start|stop [-n PEERS] [-d DIR] ...", "start or stop a local cluster",
    cmd_cluster_exec};
const struct jdpctl_cmd cmd_kill = {"kill", "ID [-d DIR]",
    "SIGKILL a node of the local cluster", cmd_cluster_kill};
const struct jdpctl_cmd cmd_restart = {"restart", "ID [-d DIR]",
    "start a node of the local cluster again", cmd_cluster_restart};
