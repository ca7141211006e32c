/*
 * fuzz_wire.c: the frame decoder on arbitrary bytes, twice: as they come
 * (almost always refused at the magic, version or tag) and re-signed with
 * the key, so that the fuzzer also reaches what lies behind the HMAC check
 * (lengths, streams of frames, payload bounds).
 */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t key[WIRE_KEY_LEN] = "fuzzing key, 32 bytes long.....";

static void
fuzz_wire_stream(const uint8_t *p, size_t len)
{
	struct wire_msg m;
	enum wire_err err;
	ssize_t n;

	while (len > 0) {
		n = wire_decode(p, len, key, 1 << 20, &m, &err);
		if (n <= 0)
			return;
		if ((size_t)n > len || m.plen != m.h.plen ||
		    m.payload + m.plen > p + n)
			abort();
		p += n;
		len -= (size_t)n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *copy;
	uint32_t plen;

	if (sodium_init() < 0)
		abort();
	copy = malloc(len + 1);
	memcpy(copy, data, len);
	fuzz_wire_stream(copy, len);

	/* Fix the magic and version and sign the first frame. */
	if (len >= WIRE_HDR_LEN + WIRE_TAG_LEN) {
		copy[0] = WIRE_MAGIC >> 8;
		copy[1] = WIRE_MAGIC & 0xff;
		copy[2] = WIRE_VERSION;
		plen = (uint32_t)copy[38] << 24 | (uint32_t)copy[39] << 16 |
		    (uint32_t)copy[40] << 8 | copy[41];
		if (plen <= len - WIRE_HDR_LEN - WIRE_TAG_LEN)
			crypto_auth_hmacsha256(copy + WIRE_HDR_LEN + plen, copy,
			    WIRE_HDR_LEN + plen, key);
		fuzz_wire_stream(copy, len);
	}
	free(copy);
	return 0;
}
