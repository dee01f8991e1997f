/*
 * Memory shared between processes: a MAP_SHARED anonymous area and a
 * memfd mapped shared, both made before fork, stay one object: after
 * restore a write in the child is seen by the parent and the other way.
 * Private memory inherited at fork comes back with each process's own
 * contents (parent and child changed it differently before the dump).
 */
#include <sys/mman.h>

#include "tree-lib.h"

#define AREA (1 << 20)

static unsigned char *shm, *mfd, *priv;

static void fill(unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31 + seed);
}

static int same(const unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 31 + seed))
			return 0;
	return 1;
}

/* Words at the end of each area: the handshake. */
#define WORD(a, i) (((volatile unsigned int *)((a) + AREA - 64))[i])

static void child_setup(void *arg)
{
	(void)arg;
	fill(priv, AREA, 2); /* the parent's copy keeps seed 1 */
}

static void child_check(void *arg)
{
	(void)arg;
	if (!same(priv, AREA, 2))
		tree_bad("private memory of the child changed");
	if (!same(shm, AREA - 64, 5) || !same(mfd, AREA - 64, 6))
		tree_bad("shared memory contents changed");
	/* The parent wrote 1 before passing SIGTERM on: see it, answer. */
	if (tree_wait_word(&WORD(shm, 0), 1) || tree_wait_word(&WORD(mfd, 0), 1))
		tree_bad("the parent's writes are not seen: the memory is not shared");
	WORD(shm, 1) = 2;
	WORD(mfd, 1) = 2;
}

int main(int argc, char **argv)
{
	int fd;

	tree_init(argc, argv);
	tree_remember();
	shm = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fd = memfd_create("tree-shmem", 0);
	if (shm == MAP_FAILED || fd < 0 || ftruncate(fd, AREA))
		crtest_fail("setup: %s", strerror(errno));
	mfd = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	priv = mmap(NULL, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mfd == MAP_FAILED || priv == MAP_FAILED)
		crtest_fail("mmap: %s", strerror(errno));
	fill(shm, AREA - 64, 5);
	fill(mfd, AREA - 64, 6);
	fill(priv, AREA, 9);
	tree_fork(child_setup, child_check, NULL);
	fill(priv, AREA, 1);
	tree_ready(1);
	crtest_wait();
	tree_check_ids();
	if (!same(priv, AREA, 1))
		tree_bad("private memory of the parent changed");
	WORD(shm, 0) = 1;
	WORD(mfd, 0) = 1;
	for (int i = 0; i < tree_me.nr_kids; i++)
		kill(tree_me.kids[i], SIGTERM);
	if (tree_wait_word(&WORD(shm, 1), 2) || tree_wait_word(&WORD(mfd, 1), 2))
		tree_bad("the child's writes are not seen: the memory is not shared");
	tree_root_verdict();
}
