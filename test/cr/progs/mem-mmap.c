/* Anonymous private mappings: protections (r, rw, rx, none), sparse
 * touched pages (untouched ones must stay zero and need not be dumped),
 * MAP_GROWSDOWN, mlock'ed memory, and madvise hints visible in smaps. */
#include <sys/mman.h>
#include "crtest.h"

#define PG 4096

static unsigned long long sum_of(const void *p, size_t len)
{
	return crtest_csum(p, len);
}

static int vmflag(void *addr, const char *flag)
{
	char line[512];
	unsigned long a = (unsigned long)addr, s, e;
	int in = 0, found = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = (a >= s && a < e);
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8))
			found = strstr(line, flag) != NULL;
	}
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	crtest_init(argc, argv);
	size_t n = 256 * PG;
	unsigned char *rw = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *ro = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *none = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *sparse = mmap(NULL, 1024 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *gd =
		mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
	unsigned char *locked = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *hinted = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (rw == MAP_FAILED || ro == MAP_FAILED || none == MAP_FAILED || sparse == MAP_FAILED || gd == MAP_FAILED ||
	    locked == MAP_FAILED || hinted == MAP_FAILED)
		crtest_fail("mmap: %m");
	for (size_t i = 0; i < n; i++)
		rw[i] = (unsigned char)(i ^ (i >> 9));
	memset(ro, 0x77, 4 * PG);
	mprotect(ro, 4 * PG, PROT_READ);
	for (int i = 0; i < 1024; i += 37)
		sparse[i * PG + 5] = (unsigned char)i;
	memset(gd + 4 * PG, 0x33, 4 * PG);
	memset(locked, 0x44, 4 * PG);
	if (mlock(locked, 4 * PG))
		crtest_fail("mlock: %m");
	memset(hinted, 0x55, 16 * PG);
	madvise(hinted, 16 * PG, MADV_DONTFORK);
	madvise(hinted, 16 * PG, MADV_RANDOM);
	unsigned long long s_rw = sum_of(rw, n);

	crtest_ready();
	crtest_wait();

	if (sum_of(rw, n) != s_rw)
		crtest_fail("rw area changed");
	for (int i = 0; i < 4 * PG; i++)
		if (ro[i] != 0x77)
			crtest_fail("read-only area changed at %d", i);
	for (int i = 0; i < 1024; i++)
		for (int j = 0; j < PG; j += 512)
			if (sparse[i * PG + j] != 0)
				crtest_fail("sparse page %d offset %d not zero", i, j);
	for (int i = 0; i < 1024; i += 37)
		if (sparse[i * PG + 5] != (unsigned char)i)
			crtest_fail("sparse page %d lost its byte", i);
	for (int i = 4 * PG; i < 8 * PG; i++)
		if (gd[i] != 0x33)
			crtest_fail("growsdown area changed");
	for (int i = 0; i < 4 * PG; i++)
		if (locked[i] != 0x44 || hinted[i] != 0x55)
			crtest_fail("locked/hinted area changed");
	if (vmflag(locked, " lo") != 1)
		crtest_fail("locked area is no longer mlock'ed");
	if (vmflag(hinted, " dc") != 1)
		crtest_fail("MADV_DONTFORK lost");
	if (vmflag(hinted, " rr") != 1)
		crtest_fail("MADV_RANDOM lost");
	if (vmflag(gd, " gd") != 1)
		crtest_fail("MAP_GROWSDOWN lost");
	/* PROT_NONE stays PROT_NONE: mprotect it and touch to prove it exists */
	if (mprotect(none, 4 * PG, PROT_READ) || none[0] != 0)
		crtest_fail("PROT_NONE area missing");
	crtest_pass();
}
