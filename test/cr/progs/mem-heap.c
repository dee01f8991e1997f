/* Heap memory: a large malloc'ed buffer and many small allocations keep
 * their contents, and the heap (brk) still grows after restore. */
#include "crtest.h"

#define BIG    (64 << 20)
#define NSMALL 4096

int main(int argc, char **argv)
{
	unsigned char *big;
	unsigned long *small[NSMALL];
	unsigned long long sum;

	crtest_init(argc, argv);
	big = malloc(BIG);
	if (!big)
		crtest_fail("malloc");
	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i * 2654435761u >> 13);
	for (int i = 0; i < NSMALL; i++) {
		small[i] = malloc(sizeof(long) * (1 + i % 7));
		small[i][0] = (unsigned long)i * 7919;
	}
	sum = crtest_csum(big, BIG);
	void *brk0 = sbrk(0);

	crtest_ready();
	crtest_wait();

	if (crtest_csum(big, BIG) != sum)
		crtest_fail("big buffer changed");
	for (int i = 0; i < NSMALL; i++)
		if (small[i][0] != (unsigned long)i * 7919)
			crtest_fail("small block %d changed", i);
	if (sbrk(0) != brk0)
		crtest_fail("program break moved: %p -> %p", brk0, sbrk(0));
	if (sbrk(1 << 20) == (void *)-1)
		crtest_fail("the heap cannot grow after restore");
	memset((char *)brk0, 0x5a, 1 << 20);
	for (int i = 0; i < 1000; i++)
		free(malloc(1000 + i));
	crtest_pass();
}
