/* runner.c: the job runner (being written; see issue 4). */
#include "config.h"

#include <stdio.h>

#include "runner.h"

int
runner_exec_main(const struct conf *conf, const char *path, int json)
{
	(void)conf;
	(void)json;
	fprintf(stderr, "jdpd: %s: the job runner is not built yet\n", path);
	return 2;
}
