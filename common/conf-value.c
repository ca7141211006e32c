/*
 * conf-value.c: the values of jdp.conf(5): decimal numbers, durations
 * ("200ms", "2s") and sizes ("64M"), parsed with range checks and written
 * back the way the file spells them (conf_print, error messages).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf-int.h"
#include "xmalloc.h"

/*
 * Parse a decimal number of at most max into *out. Returns the first byte
 * after the digits, or NULL if there are none; *range is set when the
 * number is larger than max.
 */
const char *
conf_value_digits(const char *s, uint64_t max, uint64_t *out, int *range)
{
	uint64_t v = 0;
	const char *p;

	*range = 0;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if ((uint64_t)(*p - '0') > max ||
		    v > (max - (uint64_t)(*p - '0')) / 10)
			*range = 1;
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return NULL;
	*out = v;
	return p;
}

/* A whole field that is a number 0..max. Returns 0, or -1 and *problem. */
int
conf_value_uint(
    const char *s, uint64_t max, uint64_t *out, const char **problem)
{
	const char *end;
	int range;

	end = conf_value_digits(s, max, out, &range);
	if (end == NULL || *end != '\0') {
		*problem = "not a number";
		return -1;
	}
	if (range) {
		*problem = "out of range";
		return -1;
	}
	return 0;
}

int
conf_parse_duration(const char *s, int64_t *out, const char **problem)
{
	const char *end;
	uint64_t v;
	int range;

	end = conf_value_digits(s, INT64_MAX, &v, &range);
	if (end == NULL) {
		*problem = "not a duration";
		return -1;
	}
	if (*end == '\0') {
		*problem = "missing unit (ms or s)";
		return -1;
	}
	if (strcmp(end, "s") == 0) {
		if (v > INT64_MAX / 1000)
			range = 1;
		v *= 1000;
	} else if (strcmp(end, "ms") != 0) {
		*problem = "not a duration";
		return -1;
	}
	if (range) {
		*problem = "out of range";
		return -1;
	}
	*out = (int64_t)v;
	return 0;
}

int
conf_parse_size(const char *s, uint64_t *out, const char **problem)
{
	const char *end;
	uint64_t v, mult;
	int range;

	end = conf_value_digits(s, UINT64_MAX, &v, &range);
	if (end == NULL) {
		*problem = "not a size";
		return -1;
	}
	switch (*end) {
	case '\0':
		mult = 1;
		break;
	case 'K':
	case 'k':
		mult = 1024;
		break;
	case 'M':
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'G':
	case 'g':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		*problem = "not a size";
		return -1;
	}
	if (*end != '\0' && end[1] != '\0') {
		*problem = "not a size";
		return -1;
	}
	if (v > UINT64_MAX / mult)
		range = 1;
	if (range) {
		*problem = "out of range";
		return -1;
	}
	*out = v * mult;
	return 0;
}

/* Write a duration the way jdp.conf spells it: "2s", else "200ms". */
void
conf_value_format_duration(char *buf, size_t len, int64_t ms)
{
	if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRId64 "ms", ms);
}

/* Write a size with the largest unit that is exact: "64M", "1000". */
void
conf_value_format_size(char *buf, size_t len, uint64_t v)
{
	static const char units[] = "GMK";
	uint64_t mult;
	int i;

	for (i = 0; i < 3; i++) {
		mult = (uint64_t)1 << (10 * (3 - i));
		if (v != 0 && v % mult == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", v / mult, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
}
