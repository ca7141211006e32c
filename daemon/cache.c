/*
 * cache.c: the gateway's result cache (see cache.h): a chained hash table
 * over the digests for lookups and a doubly linked list in use order for
 * eviction. The digest is already uniformly distributed, so its first
 * eight bytes are the bucket hash.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "buf.h"
#include "cache.h"
#include "xmalloc.h"

#define CACHE_MIN_BUCKETS 64

struct cache_entry {
	uint8_t key[HASH_LEN];
	uint8_t *val;
	size_t len;
	struct cache_entry *next; /* bucket chain */
	TAILQ_ENTRY(cache_entry) lru; /* head = most recent */
};

struct cache {
	uint64_t max;
	uint64_t bytes;
	size_t count;
	struct cache_entry **buckets;
	size_t nbuckets; /* a power of two */
	TAILQ_HEAD(cache_lru, cache_entry) lru;

	uint64_t hits;
	uint64_t misses;
	uint64_t stores;
	uint64_t evictions;
	uint64_t clears;
};

static size_t
cache_bucket(const struct cache *c, const uint8_t key[HASH_LEN])
{
	uint64_t h = 0;
	int i;

	for (i = 0; i < 8; i++)
		h = h << 8 | key[i];
	return (size_t)(h & (c->nbuckets - 1));
}

static uint64_t
cache_charge(size_t len)
{
	return (uint64_t)len + HASH_LEN + CACHE_ENTRY_OVERHEAD;
}

struct cache *
cache_new(uint64_t max)
{
	struct cache *c;

	c = xcalloc(1, sizeof *c);
	c->max = max;
	c->nbuckets = CACHE_MIN_BUCKETS;
	c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
	TAILQ_INIT(&c->lru);
	return c;
}

/* Double the table when it holds more entries than buckets. */
static void
cache_grow(struct cache *c)
{
	struct cache_entry **old = c->buckets, *e, *next;
	size_t oldn = c->nbuckets, i, b;

	c->nbuckets *= 2;
	c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
	for (i = 0; i < oldn; i++) {
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			b = cache_bucket(c, e->key);
			e->next = c->buckets[b];
			c->buckets[b] = e;
		}
	}
	free(old);
}

static struct cache_entry **
cache_find(struct cache *c, const uint8_t key[HASH_LEN])
{
	struct cache_entry **ep;

	ep = &c->buckets[cache_bucket(c, key)];
	while (*ep != NULL && memcmp((*ep)->key, key, HASH_LEN) != 0)
		ep = &(*ep)->next;
	return ep;
}

/* Unlink the entry at *ep from its chain and the list, and free it. */
static void
cache_remove(struct cache *c, struct cache_entry **ep)
{
	struct cache_entry *e = *ep;

	*ep = e->next;
	TAILQ_REMOVE(&c->lru, e, lru);
	c->bytes -= cache_charge(e->len);
	c->count--;
	free(e->val);
	free(e);
}

const uint8_t *
cache_get(struct cache *c, const uint8_t key[HASH_LEN], size_t *len)
{
	struct cache_entry *e;

	e = *cache_find(c, key);
	if (e == NULL) {
		c->misses++;
		return NULL;
	}
	c->hits++;
	TAILQ_REMOVE(&c->lru, e, lru);
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	*len = e->len;
	return e->val;
}

int
cache_put(
    struct cache *c, const uint8_t key[HASH_LEN], const void *val, size_t len)
{
	struct cache_entry **ep, *e;

	ep = cache_find(c, key);
	if (*ep != NULL)
		cache_remove(c, ep);
	if (cache_charge(len) > c->max)
		return 0;
	while (c->bytes + cache_charge(len) > c->max) {
		e = TAILQ_LAST(&c->lru, cache_lru);
		cache_remove(c, cache_find(c, e->key));
		c->evictions++;
	}
	if (c->count >= c->nbuckets)
		cache_grow(c);
	e = xcalloc(1, sizeof *e);
	memcpy(e->key, key, HASH_LEN);
	e->val = xmalloc(len == 0 ? 1 : len);
	if (len > 0)
		memcpy(e->val, val, len);
	e->len = len;
	ep = &c->buckets[cache_bucket(c, key)];
	e->next = *ep;
	*ep = e;
	TAILQ_INSERT_HEAD(&c->lru, e, lru);
	c->bytes += cache_charge(len);
	c->count++;
	c->stores++;
	return 1;
}

void
cache_clear(struct cache *c)
{
	struct cache_entry *e;

	while ((e = TAILQ_FIRST(&c->lru)) != NULL)
		cache_remove(c, cache_find(c, e->key));
	c->clears++;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	cache_clear(c);
	free(c->buckets);
	free(c);
}

size_t
cache_count(const struct cache *c)
{
	return c->count;
}

uint64_t
cache_bytes(const struct cache *c)
{
	return c->bytes;
}

void
cache_write_metrics(const struct cache *c, struct buf *b, const char *prefix)
{
	const struct {
		const char *type, *name;
		long long value;
	} m[] = {
	    {"counter", "hits_total", (long long)c->hits},
	    {"counter", "misses_total", (long long)c->misses},
	    {"counter", "stores_total", (long long)c->stores},
	    {"counter", "evictions_total", (long long)c->evictions},
	    {"counter", "clears_total", (long long)c->clears},
	    {"gauge", "entries", (long long)c->count},
	    {"gauge", "bytes", (long long)c->bytes},
	    {"gauge", "max_bytes", (long long)c->max},
	};
	char name[128];
	size_t i;

	for (i = 0; i < sizeof m / sizeof m[0]; i++) {
		snprintf(name, sizeof name, "%s_%s", prefix, m[i].name);
		buf_metric(b, m[i].type, name, m[i].value);
	}
}
