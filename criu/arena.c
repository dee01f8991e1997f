/*
 * Bump allocator (see arena.h): chunks of at least 64 KiB, each a list
 * node; big requests get a chunk of their own.
 */
#include "arena.h"
#include "log.h"

#define ARENA_CHUNK (64u << 10)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	char data[] __attribute__((aligned(16)));
};

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (!c || c->size - c->used < size) {
		size_t csize = max(size, (size_t)ARENA_CHUNK);

		c = xzalloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += size;
	return p;
}

void *arena_array(struct arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		pr_err("arena: %zu elements of %zu bytes do not fit\n", n, size);
		return NULL;
	}
	return arena_alloc(a, n * size ?: 1);
}

char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(a, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

void arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}
