/*
 * Shared anonymous memory for C/R tests: an area split in three VMAs by
 * mprotect, with holes never written, and a second area.  Touches
 * $SHMEM_READY when set up; on SIGTERM checks every byte, that the areas
 * are still shared mappings (/proc/self/maps "s") and writable where they
 * were, then prints PASS or FAIL.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

static volatile sig_atomic_t done;

static void on_term(int sig)
{
	(void)sig;
	done = 1;
}

static char want_a(long i)
{
	if (i < 20 * PG)
		return 'A';
	if (i >= 40 * PG && i < 41 * PG)
		return 'B';
	return 0;
}

static int shared_at(void *p)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int ok = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &s, &e, perms) == 3 && (unsigned long)p >= s && (unsigned long)p < e)
			ok = perms[3] == 's';
	}
	if (f)
		fclose(f);
	return ok;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_term);
	char *a = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		printf("FAIL: mmap\n");
		return 1;
	}
	memset(a, 'A', 20 * PG);
	memset(a + 40 * PG, 'B', PG);
	mprotect(a + 32 * PG, PG, PROT_READ);
	memset(b, 'C', 8 * PG);
	if (getenv("SHMEM_READY"))
		close(open(getenv("SHMEM_READY"), O_CREAT | O_WRONLY, 0600));
	while (!done)
		pause();
	for (long i = 0; i < 64 * PG; i++)
		if (a[i] != want_a(i)) {
			printf("FAIL: byte %ld of the first area is %d\n", i, a[i]);
			return 1;
		}
	for (long i = 0; i < 8 * PG; i++)
		if (b[i] != 'C') {
			printf("FAIL: byte %ld of the second area is %d\n", i, b[i]);
			return 1;
		}
	if (!shared_at(a) || !shared_at(a + 33 * PG) || !shared_at(b)) {
		printf("FAIL: not shared mappings any more\n");
		return 1;
	}
	a[0] = 'x';
	a[33 * PG] = 'y';
	printf("PASS\n");
	return 0;
}
