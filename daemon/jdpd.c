/*
 * jdpd.c: the jdp node daemon's command line.
 *
 *	jdpd -c FILE -i ID [-f]		run node ID of FILE
 *	jdpd -c FILE -n			check FILE, print the effective config
 *	jdpd -c FILE --exec JOB.java	run one job through the runner
 *
 * Exit status: 0 success, 1 a runtime or configuration failure, 2 a usage
 * error (and, for --exec, 1 when the job failed).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "node.h"
#include "runner.h"
#include "sandbox.h"
#include "wire.h"

static void __attribute__((noreturn)) jdpd_usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: jdpd -c FILE -i ID [-f]\n"
	    "       jdpd -c FILE -n\n"
	    "       jdpd -c FILE --exec FILE.java [--json]\n"
	    "\n"
	    "  -c, --config FILE  the cluster configuration (jdp.conf)\n"
	    "  -i, --id ID        the node of FILE to run\n"
	    "  -f, --foreground   stay in the foreground\n"
	    "  -n, --check        check FILE and print the effective "
	    "configuration\n"
	    "      --exec FILE    compile and run one Java file, print the "
	    "result\n"
	    "      --json         with --exec, print the result as JSON\n"
	    "  -V, --version      print the version\n"
	    "  -h, --help         this help\n");
	exit(status);
}

/*
 * Detach: the parent waits until the child has bound its ports (or failed,
 * having printed why), so that `jdpd -c F -i N && next` is race-free.
 */
static int
jdpd_daemonize(int *ready_fd)
{
	int p[2], status;
	char c;
	pid_t pid;

	if (pipe(p) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			_exit(0);
		waitpid(pid, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"id", required_argument, NULL, 'i'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"check", no_argument, NULL, 'n'},
	    {"exec", required_argument, NULL, 'x'},
	    {"json", no_argument, NULL, 'j'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *path = NULL, *exec = NULL;
	struct conf *conf;
	struct node *node;
	const struct conf_node *self;
	uint8_t key[WIRE_KEY_LEN];
	char *cause, *end;
	long id = -1;
	int ch, fg = 0, check = 0, json = 0, ready = -1, status;

	while (
	    (ch = getopt_long(argc, argv, "c:i:fnVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'i':
			id = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || id < 0 ||
			    id > CONF_MAX_ID) {
				fprintf(
				    stderr, "jdpd: bad node id: %s\n", optarg);
				return 2;
			}
			break;
		case 'f':
			fg = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'x':
			exec = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			printf("jdpd %s\n", VERSION);
			return 0;
		case 'h':
			jdpd_usage(0);
		default:
			jdpd_usage(2);
		}
	}
	if (optind != argc || path == NULL ||
	    (!check && exec == NULL && id == -1))
		jdpd_usage(2);

	if (conf_load(path, &conf, &cause) == -1) {
		fprintf(stderr, "jdpd: %s\n", cause);
		free(cause);
		return 1;
	}
	/* A node that runs jobs must not show them its secrets. */
	if ((self = conf_find_node(conf, (int)id)) == NULL ||
	    self->role == CONF_PEER) {
		if (sandbox_check_secrets(conf, &cause) == -1) {
			fprintf(stderr, "jdpd: %s\n", cause);
			free(cause);
			conf_free(conf);
			return exec != NULL ? 2 : 1;
		}
	}
	if (check) {
		if (wire_key_load(conf->key_file, key, &cause) == -1) {
			fprintf(stderr, "jdpd: %s\n", cause);
			free(cause);
			conf_free(conf);
			return 1;
		}
		conf_print(conf, stdout);
		conf_free(conf);
		return 0;
	}
	if (exec != NULL) {
		status = runner_exec_main(conf, exec, json);
		conf_free(conf);
		return status;
	}

	if (!fg && jdpd_daemonize(&ready) == -1) {
		perror("jdpd: fork");
		return 1;
	}
	if ((node = node_new(conf, (int)id, &cause)) == NULL) {
		fprintf(stderr, "jdpd: %s\n", cause);
		free(cause);
		conf_free(conf);
		return 1;
	}
	if (ready != -1) {
		if (freopen("/dev/null", "r", stdin) == NULL ||
		    freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			return 1;
		if (write(ready, "", 1) != 1)
			return 1;
		close(ready);
	}
	status = node_run(node);
	node_free(node);
	conf_free(conf);
	return status;
}
