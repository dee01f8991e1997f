/*
 * A bump allocator for the protobuf messages dump builds: everything a
 * dump allocates for one image set is freed at once with arena_free().
 * Allocations are zeroed and 16-byte aligned.  NULL (logged) when out of
 * memory.
 */
#ifndef CRIU_ARENA_H
#define CRIU_ARENA_H

#include "common.h"

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

void *arena_alloc(struct arena *a, size_t size);
/* n elements of @size, overflow-checked */
void *arena_array(struct arena *a, size_t n, size_t size);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

#define arena_new(a, type) ((type *)arena_alloc((a), sizeof(type)))

#endif /* CRIU_ARENA_H */
