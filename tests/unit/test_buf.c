/* test_buf.c: growable buffers (buf.c) and hashing/hex (hash.c). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "tap.h"

static int
test_buf_eq(const struct buf *b, const void *want, size_t len)
{
	return buf_len(b) == len &&
	    (len == 0 || memcmp(buf_data(b), want, len) == 0);
}

static void
test_buf_basic(void)
{
	struct buf b;

	buf_init(&b);
	is_int(buf_len(&b), 0, "new buffer is empty");
	ok(buf_data(&b) == NULL, "new buffer allocates nothing");

	buf_add(&b, "hello", 5);
	ok(test_buf_eq(&b, "hello", 5), "buf_add appends");
	buf_add(&b, NULL, 0);
	ok(test_buf_eq(&b, "hello", 5), "buf_add of nothing changes nothing");
	buf_puts(&b, ", world");
	ok(test_buf_eq(&b, "hello, world", 12), "buf_puts appends");

	buf_consume(&b, 7);
	ok(test_buf_eq(&b, "world", 5), "buf_consume drops from the front");
	is_str(buf_cstr(&b), "world", "buf_cstr of the unread part");
	is_int(buf_len(&b), 5, "buf_cstr does not count the NUL");
	buf_add(&b, "!", 1);
	is_str(buf_cstr(&b), "world!", "append after buf_cstr overwrites NUL");

	buf_consume(&b, 6);
	is_int(buf_len(&b), 0, "consume to empty");
	is_int(b.off, 0, "consume to empty resets the read offset");
	is_int(b.len, 0, "consume to empty resets the end");
	is_str(buf_cstr(&b), "", "buf_cstr of an empty buffer");

	buf_add(&b, "abc", 3);
	buf_reset(&b);
	is_int(buf_len(&b), 0, "buf_reset empties");
	ok(b.data != NULL && b.cap > 0, "buf_reset keeps the memory");

	buf_free(&b);
	ok(b.data == NULL && b.cap == 0 && buf_len(&b) == 0,
	    "buf_free leaves an empty reusable buffer");
	buf_add(&b, "x", 1);
	ok(test_buf_eq(&b, "x", 1), "buffer is reusable after buf_free");
	buf_free(&b);
}

static void
test_buf_reserve(void)
{
	struct buf b;
	uint8_t *w;
	size_t i;
	int good;

	buf_init(&b);
	w = buf_reserve(&b, 1000);
	ok(w != NULL && b.cap - b.len >= 1000, "buf_reserve makes room");
	is_int(buf_len(&b), 0, "buf_reserve adds no bytes");
	for (i = 0; i < 1000; i++)
		w[i] = (uint8_t)i;
	buf_commit(&b, 1000);
	is_int(buf_len(&b), 1000, "buf_commit accounts the bytes");
	good = 1;
	for (i = 0; i < 1000; i++)
		good &= buf_data(&b)[i] == (uint8_t)i;
	ok(good, "committed bytes are the ones written");

	/* Reserve after a partial consume keeps the unread bytes. */
	buf_consume(&b, 900);
	w = buf_reserve(&b, b.cap);
	ok(w == buf_data(&b) + 100, "write pointer follows the unread bytes");
	good = buf_len(&b) == 100;
	for (i = 0; i < 100; i++)
		good &= buf_data(&b)[i] == (uint8_t)(900 + i);
	ok(good, "unread bytes survive growth with a consumed prefix");

	/* Compaction: a drained prefix is reused instead of growing. */
	buf_free(&b);
	buf_add(&b, "x", 1);
	{
		size_t cap = b.cap;
		uint8_t *fill = buf_reserve(&b, cap - 1);

		memset(fill, 'y', cap - 1);
		buf_commit(&b, cap - 1);
		buf_consume(&b, cap - 2); /* keep "yy" */
		buf_reserve(&b, cap - 4);
		ok(b.cap == cap, "consumed prefix reclaimed without growth");
		ok(test_buf_eq(&b, "yy", 2), "compaction keeps unread bytes");
	}
	buf_free(&b);
}

static void
test_buf_growth(void)
{
	struct buf b;
	size_t i, n = 100000, total = 0;
	int good = 1;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		uint8_t v[3] = {
		    (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16)};

		buf_add(&b, v, (i % 3) + 1);
		total += (i % 3) + 1;
	}
	is_int(buf_len(&b), total, "length after %zu appends", n);
	for (i = 0; i < n; i++) {
		size_t k = (i % 3) + 1;
		uint8_t v[3] = {
		    (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16)};

		if (buf_len(&b) < k || memcmp(buf_data(&b), v, k) != 0) {
			good = 0;
			break;
		}
		buf_consume(&b, k);
	}
	ok(good, "every append reads back in order across growth");
	is_int(buf_len(&b), 0, "all consumed");

	/* Interleaved add and consume (socket-style) stays bounded. */
	buf_free(&b);
	good = 1;
	for (i = 0; i < n; i++) {
		char line[32];
		int len = snprintf(line, sizeof line, "%zu\n", i);

		buf_add(&b, line, (size_t)len);
		if (buf_len(&b) != (size_t)len ||
		    memcmp(buf_data(&b), line, (size_t)len) != 0)
			good = 0;
		buf_consume(&b, (size_t)len / 2 + 1);
		buf_consume(&b, buf_len(&b));
	}
	ok(good, "interleaved add/consume keeps contents");
	ok(b.cap <= 256, "interleaved add/consume does not grow (cap %zu)",
	    b.cap);
	buf_free(&b);
}

static void
test_buf_printf(void)
{
	struct buf b;
	char *big;
	size_t i, n = 70000;

	buf_init(&b);
	buf_printf(&b, "%d-%s-%c", 42, "x", 'z');
	is_str(buf_cstr(&b), "42-x-z", "buf_printf formats");
	buf_printf(&b, "%s", "");
	is_int(buf_len(&b), 6, "empty printf appends nothing");
	buf_printf(&b, "|%05u", 7u);
	is_str(buf_cstr(&b), "42-x-z|00007", "buf_printf appends");
	ok(memchr(buf_data(&b), '\0', buf_len(&b)) == NULL,
	    "no NUL kept inside the buffer");

	big = malloc(n + 1);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	buf_reset(&b);
	buf_printf(&b, "<%s>", big);
	is_int(buf_len(&b), n + 2, "long printf length");
	ok(buf_data(&b)[0] == '<' && buf_data(&b)[n + 1] == '>' &&
		memcmp(buf_data(&b) + 1, big, n) == 0,
	    "long printf contents");
	buf_consume(&b, 1);
	buf_printf(&b, "%s%s", big, big);
	is_int(buf_len(&b), 3 * n + 1, "long printf after consume");
	ok(memcmp(buf_data(&b) + n + 1, big, n) == 0 &&
		memcmp(buf_data(&b) + 2 * n + 1, big, n) == 0,
	    "long printf after consume contents");
	free(big);
	buf_free(&b);
}

static void
test_buf_json(void)
{
	struct buf b;

	buf_init(&b);
	buf_json_str(&b, "a\"b\\c\nd\re\tf\001g\177", 14);
	is_str(buf_cstr(&b), "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007f\"",
	    "buf_json_str escapes");
	buf_reset(&b);
	buf_json_str(&b, "x\0y", 3);
	is_str(buf_cstr(&b), "\"x\\u0000y\"", "buf_json_str embedded NUL");
	buf_reset(&b);
	buf_json_str(&b, "caf\xc3\xa9", 5);
	is_str(buf_cstr(&b), "\"caf\xc3\xa9\"", "buf_json_str passes UTF-8");
	buf_free(&b);
}

static void
test_hash(void)
{
	static const struct {
		const char *in;
		const char *sha;
	} vec[] = {
	    {"abc",
		"ba7816bf8f01cfea414140de5dae2223"
		"b00361a396177a9cb410ff61f20015ad"},
	    {"",
		"e3b0c44298fc1c149afbf4c8996fb924"
		"27ae41e4649b934ca495991b7852b855"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039"
		"a33ce45964ff2167f6ecedd419db06c1"},
	};
	uint8_t d[HASH_LEN], back[HASH_LEN], all[256];
	char hex[2 * HASH_LEN + 1], allhex[2 * 256 + 1];
	size_t i;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		hash_sha256(vec[i].in, strlen(vec[i].in), d);
		hash_hex(d, HASH_LEN, hex);
		is_str(hex, vec[i].sha, "sha256 vector %zu", i);
	}

	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	hash_hex(all, 256, allhex);
	ok(strncmp(allhex, "000102", 6) == 0 &&
		strcmp(allhex + 2 * 250, "fafbfcfdfeff") == 0,
	    "hash_hex is lower case, two digits per byte");
	is_int(strlen(allhex), 512, "hash_hex length");
	{
		uint8_t allback[256];

		is_int(hash_unhex(allhex, allback, 256), 0, "unhex all bytes");
		ok(memcmp(all, allback, 256) == 0, "hex round trip all bytes");
	}

	hash_hex(d, HASH_LEN, hex);
	is_int(hash_unhex(hex, back, HASH_LEN), 0, "unhex of a digest");
	ok(memcmp(d, back, HASH_LEN) == 0, "digest hex round trip");
	is_int(hash_unhex("ABCDEF0a", back, 4), 0, "upper case accepted");
	ok(back[0] == 0xab && back[1] == 0xcd && back[2] == 0xef &&
		back[3] == 0x0a,
	    "upper case value");
	is_int(hash_unhex("", back, 0), 0, "empty for zero bytes");

	is_int(hash_unhex("abc", back, 2), -1, "odd/short length rejected");
	is_int(hash_unhex("abcdef", back, 2), -1, "long rejected");
	is_int(hash_unhex("abcg", back, 2), -1, "non-hex 'g' rejected");
	is_int(hash_unhex("abcG", back, 2), -1, "non-hex 'G' rejected");
	is_int(hash_unhex("ab c", back, 2), -1, "space rejected");
	is_int(hash_unhex("0x12", back, 2), -1, "0x prefix rejected");
	is_int(hash_unhex("ab:d", back, 2), -1, "':' rejected");
	is_int(hash_unhex("ab@d", back, 2), -1, "'@' rejected");
	is_int(hash_unhex("ab`d", back, 2), -1, "'`' rejected");
	is_int(hash_unhex("ab\xc3\xa9", back, 2), -1, "non-ASCII rejected");
}

int
main(void)
{
	test_buf_basic();
	test_buf_reserve();
	test_buf_growth();
	test_buf_printf();
	test_buf_json();
	test_hash();
	{
		struct buf m;

		buf_init(&m);
		buf_metric(&m, "counter", "jdp_x_total", 42);
		buf_metric(&m, "gauge", "jdp_y", 0);
		is_str(buf_cstr(&m),
		    "# TYPE jdp_x_total counter\njdp_x_total 42\n"
		    "# TYPE jdp_y gauge\njdp_y 0\n",
		    "buf_metric writes a TYPE line and the sample");
		buf_reset(&m);
		buf_metric_type(&m, "counter", "jdp_z_total");
		buf_metric_label(&m, "jdp_z_total", "reason", "tag", 7);
		is_str(buf_cstr(&m),
		    "# TYPE jdp_z_total counter\njdp_z_total{reason=\"tag\"} "
		    "7\n",
		    "buf_metric_type and buf_metric_label write a family");
		buf_free(&m);
	}
	return tap_done();
}
