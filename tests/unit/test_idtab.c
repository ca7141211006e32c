/*
 * test_idtab.c: the uint64-id table: find what was added, nothing else,
 * ids that share a bucket, removal from the head, middle and end of a
 * chain, and many ids.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "idtab.h"
#include "tap.h"

#define N 5000

struct item {
	struct idtab_entry e;
	int value;
};

static struct item items[N];

static void
t_add(struct idtab *t, int i, uint64_t id)
{
	items[i].e.id = id;
	items[i].e.data = &items[i];
	items[i].value = i;
	idtab_add(t, &items[i].e);
}

int
main(void)
{
	static struct idtab t;
	struct item *it;
	int i, found, gone;

	idtab_init(&t);
	ok(idtab_find(&t, 0) == NULL && idtab_find(&t, UINT64_MAX) == NULL,
	    "an empty table finds nothing");
	t_add(&t, 0, 42);
	it = idtab_find(&t, 42);
	ok(it == &items[0] && it->value == 0, "an added id is found");
	ok(idtab_find(&t, 43) == NULL, "another id is not");

	/* Ids IDTAB_BUCKETS apart, and many more: chains of several. */
	for (i = 1; i < N; i++)
		t_add(&t, i, 42 + (uint64_t)i * IDTAB_BUCKETS);
	for (i = found = 0; i < N; i++) {
		it = idtab_find(&t, 42 + (uint64_t)i * IDTAB_BUCKETS);
		found += it == &items[i];
	}
	is_int(found, N, "every one of 5000 ids is found, itself");

	/* Remove every third: the rest stay, the removed are gone. */
	for (i = 0; i < N; i += 3)
		idtab_remove(&t, &items[i].e);
	for (i = found = gone = 0; i < N; i++) {
		it = idtab_find(&t, items[i].e.id);
		if (i % 3 == 0)
			gone += it == NULL;
		else
			found += it == &items[i];
	}
	is_int(gone, (N + 2) / 3, "removed ids are gone");
	is_int(found, N - (N + 2) / 3, "the others are still found");
	for (i = 0; i < N; i++)
		if (i % 3 != 0)
			idtab_remove(&t, &items[i].e);
	for (i = found = 0; i < N; i++)
		found += idtab_find(&t, items[i].e.id) != NULL;
	is_int(found, 0, "after removing all, nothing is found");
	return tap_done();
}
