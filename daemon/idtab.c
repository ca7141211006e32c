/* idtab.c: chained hashing of uint64 ids (idtab.h). */
#include "config.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "idtab.h"

/* The ids are counters or times: mix them so the low bits spread. */
static size_t
idtab_bucket(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)(id % IDTAB_BUCKETS);
}

void
idtab_init(struct idtab *t)
{
	memset(t->b, 0, sizeof t->b);
}

void *
idtab_find(const struct idtab *t, uint64_t id)
{
	const struct idtab_entry *e;

	for (e = t->b[idtab_bucket(id)]; e != NULL; e = e->next) {
		if (e->id == id)
			return e->data;
	}
	return NULL;
}

void
idtab_add(struct idtab *t, struct idtab_entry *e)
{
	size_t b = idtab_bucket(e->id);

	e->next = t->b[b];
	t->b[b] = e;
}

void
idtab_remove(struct idtab *t, struct idtab_entry *e)
{
	struct idtab_entry **ep;

	for (ep = &t->b[idtab_bucket(e->id)]; *ep != e; ep = &(*ep)->next)
		assert(*ep != NULL);
	*ep = e->next;
}
