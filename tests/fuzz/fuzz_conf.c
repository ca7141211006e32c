/*
 * fuzz_conf.c: the jdp.conf parser on arbitrary text; whatever it accepts
 * must print as a config that parses back.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_resolve(const char *host, struct in_addr *in, const char **problem)
{
	(void)host;
	(void)in;
	*problem = "names are not resolved while fuzzing";
	return -1; /* numeric addresses only: stay off DNS */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf *conf, *again;
	char *text, *cause = NULL, *printed = NULL;
	size_t plen = 0;
	FILE *f;

	conf_set_resolver(fuzz_resolve);
	text = malloc(len + 1);
	memcpy(text, data, len);
	text[len] = '\0';
	if (conf_parse("fuzz.conf", text, &conf, &cause) == 0) {
		f = open_memstream(&printed, &plen);
		conf_print(conf, f);
		fclose(f);
		if (conf_parse("printed.conf", printed, &again, &cause) != 0)
			abort();
		conf_free(again);
		conf_free(conf);
		free(printed);
	} else
		free(cause);
	free(text);
	return 0;
}
