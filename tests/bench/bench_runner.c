/*
 * bench_runner.c: latency, throughput and memory of the job runner, driven
 * in-process on an event loop as jdpd drives it (tests/bench/runner.sh
 * builds and runs it; not part of make check).
 *
 *	bench_runner JAR JOB.java LIGHT_JOBS BURST_JOBS [sandbox|trusted]
 *
 * Prints "key value" lines: light-load latency (one job at a time, the
 * pool refilled in between), a burst of BURST_JOBS submitted at once
 * (latency and jobs per second), and the RSS of the compile server and
 * of each pooled run JVM. The last argument is the job-mode (default
 * sandbox); trusted has no pool to wait for.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ev.h"
#include "runner.h"
#include "xmalloc.h"

static struct ev *ev;
static struct runner *r;
static int done, failed;
static double *lat;

struct job {
	int i;
	double start;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
bench_cb(const struct runner_result *res, void *arg)
{
	struct job *j = arg;

	lat[j->i] = now_ms() - j->start;
	if (res->status != PROTO_RESULT_OK) {
		failed++;
		fprintf(stderr, "job %d: %s: %.200s\n", j->i,
		    proto_result_status_name(res->status), res->body);
	}
	done++;
}

/* The value of a metric line (name ends in a space), or -1. */
static double
metric(const char *name)
{
	struct buf b;
	char *s, *p;
	double v = -1;

	buf_init(&b);
	runner_write_metrics(r, &b);
	s = buf_cstr(&b);
	/* At a line's start: "# HELP name ..." is not the value. */
	for (p = strstr(s, name); p != NULL && p != s && p[-1] != '\n';
	     p = strstr(p + 1, name))
		;
	if (p != NULL)
		v = strtod(p + strlen(name), NULL);
	buf_free(&b);
	return v;
}

/* Run the loop until the pool is full and the compiler up. */
static void
wait_warm(int pool)
{
	double end = now_ms() + 60000;

	while (now_ms() < end &&
	    (metric("jdp_runner_compile_server_up ") != 1 ||
		metric("jdp_runner_jvms{state=\"ready\"} ") < pool))
		ev_run_once(ev, 20);
}

/* CPU time of the whole machine so far (all cores, user + system), in ms:
 * the jobs' JVMs run in other namespaces and are not all our waited-for
 * children, so the machine's own accounting is the reliable total (run
 * this on an otherwise idle machine). */
static double
machine_cpu_ms(void)
{
	unsigned long long v[8] = {0};
	FILE *f;
	int i;
	double t = 0;

	if ((f = fopen("/proc/stat", "r")) == NULL)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		&v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		fclose(f);
		return 0;
	}
	fclose(f);
	for (i = 0; i < 8; i++)
		if (i != 3 && i != 4) /* idle, iowait */
			t += (double)v[i];
	return t * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
	double *s = xcalloc((size_t)n, sizeof *s);
	int p99;

	memcpy(s, v, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	p99 = (int)(n * 0.99);
	if (p99 >= n)
		p99 = n - 1;
	printf("%s_median_ms %.1f\n%s_p99_ms %.1f\n%s_min_ms %.1f\n", what,
	    s[n / 2], what, s[p99], what, s[0]);
	free(s);
}

/* Is pid a descendant of this process? */
static int
ours(long pid)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;
	int depth;

	for (depth = 0; depth < 8 && pid > 1; depth++) {
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			return 0;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 2, "%*c %ld", &pid) != 1)
			return 0;
		if (pid == (long)getpid())
			return 1;
	}
	return 0;
}

/* RSS of our descendant java processes running cls. */
static void
rss(const char *cls, const char *key)
{
	DIR *d;
	struct dirent *de;
	char path[512], buf[8192], *p;
	FILE *f;
	size_t n, i;
	int count = 0;
	long kb;

	if ((d = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strtol(de->d_name, NULL, 10) <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* The java process itself, not bwrap (argv[0] is java). */
		if (strstr(buf, "/java") == NULL ||
		    strcmp(buf + strlen(buf) - 5, "/java") != 0)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		if (strstr(buf, cls) == NULL || !ours(atol(de->d_name)))
			continue;
		snprintf(path, sizeof path, "/proc/%s/status", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		if ((p = strstr(buf, "VmRSS:")) == NULL)
			continue;
		kb = strtol(p + 6, NULL, 10);
		printf("%s_rss_mib %.1f\n", key, kb / 1024.0);
		count++;
	}
	closedir(d);
	printf("%s_count %d\n", key, count);
}

int
main(int argc, char **argv)
{
	struct conf *conf;
	struct job *jobs;
	char *text, *cause, *src;
	FILE *f;
	long len;
	int light, burst, i, pool;
	double t0, c0;

	if (argc != 5 && argc != 6) {
		fprintf(stderr,
		    "usage: bench_runner JAR JOB LIGHT BURST "
		    "[sandbox|trusted]\n");
		return 2;
	}
	light = atoi(argv[3]);
	burst = atoi(argv[4]);
	if ((f = fopen(argv[2], "rb")) == NULL)
		return 2;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	src = xmalloc((size_t)len + 1);
	if (fread(src, 1, (size_t)len, f) != (size_t)len)
		return 2;
	fclose(f);

	xasprintf(&text,
	    "node 1 peer 127.0.0.1:7010\ncluster-key-file /dev/null\n"
	    "job-memory 256M\nrun-pool 2\nqueue-max 100000\n"
	    "runner-jar %s\njob-mode %s\n",
	    argv[1], argc == 6 ? argv[5] : "sandbox");
	if (conf_parse("bench.conf", text, &conf, &cause) == -1) {
		fprintf(stderr, "%s\n", cause);
		return 2;
	}
	free(text);
	pool = conf->job_mode == CONF_JOB_TRUSTED ? 0 : 2;
	ev = ev_new();
	if ((r = runner_new(ev, conf, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 2;
	}
	printf("job_mode %s\nsandbox %s\n", conf_job_mode_name(conf->job_mode),
	    runner_sandbox(r));
	jobs = xcalloc((size_t)(light > burst ? light : burst), sizeof *jobs);
	lat = xcalloc((size_t)(light > burst ? light : burst), sizeof *lat);

	wait_warm(pool);
	rss("jdp.CompileServer", "compile_server");
	rss("jdp.RunHarness", "pooled_jvm");

	/* Light load: one at a time, each finding a warm pool. */
	for (i = 0; i < light; i++) {
		wait_warm(pool);
		jobs[i].i = i;
		done = 0;
		jobs[i].start = now_ms();
		runner_submit(
		    r, src, (size_t)len, NULL, 0, 0, bench_cb, &jobs[i]);
		while (!done)
			ev_run_once(ev, 100);
	}
	report("light", lat, light);

	/* A burst: all at once; the pool refills as fast as it can. */
	wait_warm(pool);
	done = 0;
	t0 = now_ms();
	c0 = machine_cpu_ms();
	for (i = 0; i < burst; i++) {
		jobs[i].i = i;
		jobs[i].start = now_ms();
		runner_submit(
		    r, src, (size_t)len, NULL, 0, 0, bench_cb, &jobs[i]);
	}
	while (done < burst)
		ev_run_once(ev, 100);
	printf("burst_jobs %d\nburst_seconds %.2f\nburst_jobs_per_s %.1f\n",
	    burst, (now_ms() - t0) / 1000, burst / ((now_ms() - t0) / 1000));
	/* Until the pool is full again: the CPU of every JVM the burst used
	 * (start, warm-up, job, exit) and of the compile server. */
	wait_warm(pool);
	printf("burst_machine_cpu_ms_per_job %.0f\n",
	    (machine_cpu_ms() - c0) / burst);
	report("burst", lat, burst);
	printf("failed %d\n", failed);

	runner_free(r);
	ev_free(ev);
	conf_free(conf);
	free(jobs);
	free(lat);
	free(src);
	return failed != 0;
}
