/* hash.h: SHA-256 (libsodium) and hex helpers. */
#ifndef JDP_HASH_H
#define JDP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_LEN 32

/*
 * Initialise libsodium once before any use (idempotent; aborts if it
 * cannot). Every libsodium user in common/ and daemon/ calls this one.
 */
void hash_sodium_init(void);
/* SHA-256 of (p, len) into out. */
void hash_sha256(const void *, size_t, uint8_t out[HASH_LEN]);
/* Lower-case hex of n bytes into out, which holds 2n + 1 bytes. */
void hash_hex(const uint8_t *, size_t, char *);
/* Parse exactly 2n hex digits into n bytes; returns 0 or -1. */
int hash_unhex(const char *, uint8_t *, size_t);

#endif
