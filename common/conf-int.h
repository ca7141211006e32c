/*
 * conf-int.h: shared inside the jdp.conf parser (conf.c, conf-value.c,
 * conf-node.c); nothing else includes it.
 */
#ifndef JDP_CONF_INT_H
#define JDP_CONF_INT_H

#include <stdint.h>
#include <stddef.h>

struct conf;

/* Room for every directive of conf.c's table (checked there). */
#define CONF_MAX_DIRECTIVES 32

/* Parser state for one text. */
struct conf_parser {
	const char *name;
	struct conf *conf;
	int line;
	const char *directive; /* current one, for messages */
	int seen[CONF_MAX_DIRECTIVES]; /* line of first use, 0 if unused */
	char *cause;
};

/* Set p->cause to "name:line: directive: message" (first error wins). */
void conf_error(struct conf_parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Parse a decimal number of at most max into *out. Returns the first byte
 * after the digits, or NULL if there are none; *range is set when the
 * number is larger than max.
 */
const char *conf_value_digits(const char *, uint64_t, uint64_t *, int *);
/* A whole field that is a number 0..max. Returns 0, or -1 and *problem. */
int conf_value_uint(const char *, uint64_t, uint64_t *, const char **);
/* Write a duration the way jdp.conf spells it: "2s", else "200ms". */
void conf_value_format_duration(char *, size_t, int64_t);
/* Write a size with the largest unit that is exact: "64M", "1000". */
void conf_value_format_size(char *, size_t, uint64_t);

/* Parse the fields after `node`; adds the node to p->conf. 0 or -1. */
int conf_node_parse(struct conf_parser *, int, char **);

#endif
