/* hash.c: SHA-256 through libsodium, and hex conversion. */
#include "config.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

void
hash_sodium_init(void)
{
	static int done;

	if (done)
		return;
	if (sodium_init() < 0) {
		fprintf(stderr, "jdp: libsodium initialisation failed\n");
		abort();
	}
	done = 1;
}

void
hash_sha256(const void *p, size_t len, uint8_t out[HASH_LEN])
{
	hash_sodium_init();
	crypto_hash_sha256(out, p, len);
}

void
hash_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hash_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hash_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = hash_nibble(s[2 * i])) < 0 ||
		    (lo = hash_nibble(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
