/*
 * idtab.h: a hash table of objects keyed by a uint64 id (request and job
 * ids). Entries are embedded in the objects they stand for, so the table
 * allocates nothing and frees nothing; the owner keeps its own list when
 * it needs an order.
 */
#ifndef JDP_IDTAB_H
#define JDP_IDTAB_H

#include <stdint.h>

#define IDTAB_BUCKETS 1024

/* One object's place in a table: set id and data before idtab_add. */
struct idtab_entry {
	uint64_t id;
	void *data; /* the object, what idtab_find returns */
	struct idtab_entry *next;
};

struct idtab {
	struct idtab_entry *b[IDTAB_BUCKETS];
};

/* Start an empty table. */
void idtab_init(struct idtab *);
/* The data of the entry with id, or NULL. */
void *idtab_find(const struct idtab *, uint64_t);
/* Add an entry (its id not in the table yet); the table does not copy it. */
void idtab_add(struct idtab *, struct idtab_entry *);
/* Remove an entry that is in the table. */
void idtab_remove(struct idtab *, struct idtab_entry *);

#endif
