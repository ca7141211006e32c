/*
 * fuzz_http.c: the HTTP request parser on arbitrary bytes. Besides memory
 * safety it checks the prefix rule: every prefix of the input is either
 * PARTIAL or gets the same answer as the whole input.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct http_limits lim;
	struct http_request req;
	ssize_t whole, part;
	int st_whole = 0, st_part = 0;
	size_t i;
	char *copy;

	http_limits_default(&lim);
	lim.max_header_bytes = 2048;
	lim.max_request_line = 512;
	lim.max_headers = 16;
	copy = malloc(len + 1);
	memcpy(copy, data, len);
	whole = http_parse_request(copy, len, &lim, &req, &st_whole);
	if (whole > 0 && (size_t)whole > len)
		abort();
	for (i = 0; i < len && i < 600; i++) {
		part = http_parse_request(copy, i, &lim, &req, &st_part);
		if (part == HTTP_PARTIAL)
			continue;
		if (part != whole || (part == HTTP_BAD && st_part != st_whole))
			abort();
	}
	free(copy);
	return 0;
}
