/*
 * memcpy of N MiB, for benchmarks to print next to what they measure:
 *
 *	memcpy-bench MIB
 *
 * prints "fresh SECONDS" (into memory never touched before, as a restore
 * fills a new task) and "touched SECONDS" (the same copy again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 1024) << 20;
	char *src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t;

	if (src == MAP_FAILED || dst == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(src, 0x5a, len);
	t = now();
	memcpy(dst, src, len);
	printf("fresh %.3f\n", now() - t);
	t = now();
	memcpy(dst, src, len);
	printf("touched %.3f\n", now() - t);
	return dst[len / 2] != 0x5a;
}
