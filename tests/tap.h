/*
 * tap.h: a tiny Test Anything Protocol producer for the unit tests.
 *
 *	ok(cond, "what is checked %d", n);
 *	is_int(got, want, "name");  is_str(got, want, "name");
 *	return tap_done();		(prints the plan; exit code 1 on failure)
 */
#ifndef JDP_TAP_H
#define JDP_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...)                                                 \
	do {                                                                   \
		long long tap_g = (long long)(got), tap_w = (long long)(want); \
		if (!ok(tap_g == tap_w, __VA_ARGS__))                          \
			printf("#   got %lld, want %lld (%s:%d)\n", tap_g,     \
			    tap_w, __FILE__, __LINE__);                        \
	} while (0)

#define is_str(got, want, ...)                                                 \
	do {                                                                   \
		const char *tap_g = (got), *tap_w = (want);                    \
		if (!ok(tap_g != NULL && tap_w != NULL &&                      \
			    strcmp(tap_g, tap_w) == 0,                         \
			__VA_ARGS__))                                          \
			printf("#   got \"%s\"\n#  want \"%s\" (%s:%d)\n",     \
			    tap_g ? tap_g : "(null)",                          \
			    tap_w ? tap_w : "(null)", __FILE__, __LINE__);     \
	} while (0)

static void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int __attribute__((unused)) tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
