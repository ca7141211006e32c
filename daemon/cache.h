/*
 * cache.h: the gateway's result cache. Keys are SHA-256 digests (of a
 * job's source and options), values opaque byte strings (an encoded
 * RESULT payload). Bounded by bytes, least recently used entries evicted
 * first; an entry is charged its value, its key and CACHE_ENTRY_OVERHEAD.
 */
#ifndef JDP_CACHE_H
#define JDP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hash.h"

/* Bytes charged per entry besides the value (key, links, bookkeeping). */
#define CACHE_ENTRY_OVERHEAD 96

struct cache;

/* A cache of at most max bytes (0: disabled, nothing is kept). */
struct cache *cache_new(uint64_t);
/* Free the cache and every entry. */
void cache_free(struct cache *);
/*
 * Look key up; on a hit the entry becomes the most recently used and
 * *len is set. The value stays valid until the next cache_put,
 * cache_clear or cache_free. Counts a hit or a miss. Returns NULL on a
 * miss.
 */
const uint8_t *cache_get(struct cache *, const uint8_t[HASH_LEN], size_t *);
/*
 * Store a copy of (val, len) under key, replacing an entry with the same
 * key and evicting the least recently used until it fits. A value that
 * could never fit is not stored. Returns 1 if stored, 0 if not.
 */
int cache_put(struct cache *, const uint8_t[HASH_LEN], const void *, size_t);
/* Drop every entry (counters are kept; counts a clear). */
void cache_clear(struct cache *);
/* Entries and bytes charged now. */
size_t cache_count(const struct cache *);
uint64_t cache_bytes(const struct cache *);
/* Prometheus lines: prefix_hits_total, _misses_total, _bytes, ... */
void cache_write_metrics(const struct cache *, struct buf *, const char *);

#endif
