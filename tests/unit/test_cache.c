/*
 * test_cache.c: the gateway's result cache: hits and misses, replacement,
 * LRU eviction by bytes, values that never fit, clearing, a disabled cache,
 * and many entries (table growth).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cache.h"
#include "hash.h"
#include "tap.h"

static void
key_of(const char *s, uint8_t key[HASH_LEN])
{
	hash_sha256(s, strlen(s), key);
}

/* 1 if key s is cached with exactly value v. */
static int
has(struct cache *c, const char *s, const char *v)
{
	uint8_t key[HASH_LEN];
	const uint8_t *p;
	size_t len;

	key_of(s, key);
	if ((p = cache_get(c, key, &len)) == NULL)
		return 0;
	return len == strlen(v) && memcmp(p, v, len) == 0;
}

static int
put(struct cache *c, const char *s, const char *v)
{
	uint8_t key[HASH_LEN];

	key_of(s, key);
	return cache_put(c, key, v, strlen(v));
}

int
main(void)
{
	struct cache *c;
	struct buf b;
	uint8_t key[HASH_LEN];
	size_t len;
	char k[32], v[32];
	uint64_t one;
	int i, n;

	/* Hits, misses, replacement. */
	c = cache_new(1024 * 1024);
	key_of("a", key);
	ok(cache_get(c, key, &len) == NULL, "empty cache misses");
	ok(put(c, "a", "alpha") == 1, "put stores");
	ok(has(c, "a", "alpha"), "get returns the value");
	ok(!has(c, "b", "alpha"), "another key misses");
	ok(put(c, "a", "ALPHA!") == 1, "put replaces");
	ok(has(c, "a", "ALPHA!"), "replaced value returned");
	is_int(cache_count(c), 1, "replacement keeps one entry");
	is_int(cache_bytes(c), 6 + HASH_LEN + CACHE_ENTRY_OVERHEAD,
	    "bytes charged for value, key and overhead");
	ok(put(c, "empty", "") == 1, "an empty value is stored");
	ok(has(c, "empty", ""), "and found");
	buf_init(&b);
	cache_write_metrics(c, &b, "jdp_cache");
	ok(strstr(buf_cstr(&b), "jdp_cache_hits_total 3\n") != NULL,
	    "metrics count hits");
	ok(strstr(buf_cstr(&b), "jdp_cache_misses_total 2\n") != NULL,
	    "metrics count misses");
	ok(strstr(buf_cstr(&b), "jdp_cache_entries 2\n") != NULL,
	    "metrics show entries");
	buf_free(&b);
	cache_clear(c);
	is_int(cache_count(c), 0, "clear empties");
	is_int(cache_bytes(c), 0, "clear frees the bytes");
	ok(!has(c, "a", "ALPHA!"), "cleared entry misses");
	cache_free(c);

	/* LRU by bytes: room for exactly three 8-byte values. */
	one = 8 + HASH_LEN + CACHE_ENTRY_OVERHEAD;
	c = cache_new(3 * one);
	put(c, "k1", "value-01");
	put(c, "k2", "value-02");
	put(c, "k3", "value-03");
	is_int(cache_count(c), 3, "three entries fit");
	ok(has(c, "k1", "value-01"), "k1 used again (now most recent)");
	put(c, "k4", "value-04");
	is_int(cache_count(c), 3, "a fourth evicts one");
	ok(!has(c, "k2", "value-02"), "the least recently used went");
	ok(has(c, "k1", "value-01") && has(c, "k3", "value-03") &&
		has(c, "k4", "value-04"),
	    "the others stay");
	ok(cache_bytes(c) <= 3 * one, "never over the bound");
	/* A value that needs two slots evicts two. */
	ok(put(c, "big",
	       "0123456789012345678901234567890123456789"
	       "0123456789012345678901234567890123456789"
	       "0123456789012345678901234567890123456789"),
	    "a bigger value");
	ok(cache_bytes(c) <= 3 * one, "still within the bound");
	ok(!has(c, "k1", "value-01") || !has(c, "k3", "value-03"),
	    "it evicted older entries");
	/* A value larger than the whole cache is refused. */
	memset(v, 'x', sizeof v);
	key_of("huge", key);
	{
		static char huge[4096];

		memset(huge, 'h', sizeof huge);
		ok(cache_put(c, key, huge, sizeof huge) == 0,
		    "a value over the bound is not stored");
		ok(cache_get(c, key, &len) == NULL, "and misses");
	}
	cache_free(c);

	/* Disabled cache. */
	c = cache_new(0);
	ok(put(c, "a", "alpha") == 0, "cache-size 0 stores nothing");
	ok(!has(c, "a", "alpha"), "and always misses");
	cache_free(c);

	/* Many entries: the table grows and every entry stays findable. */
	c = cache_new(64 * 1024 * 1024);
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "key-%d", i);
		snprintf(v, sizeof v, "val-%d", i);
		put(c, k, v);
	}
	n = 0;
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "key-%d", i);
		snprintf(v, sizeof v, "val-%d", i);
		n += has(c, k, v);
	}
	is_int(n, 5000, "5000 entries all found after growth");
	cache_free(c);
	return tap_done();
}
