/*
 * A counter for checkpoint/restore tests: fills a heap buffer and an
 * mmap'ed area with a known pattern, keeps values in callee-saved and
 * vector registers, and counts on, printing one line per tick:
 *
 *	counter [-n MIB] [-i MS] [-s SECONDS] [-T] [-V]
 *
 * Each tick it checks the checksum of its memory and that its registers
 * still hold what it put there; any difference prints "FAIL: ..." and
 * exits 1.  Touch the file named by $COUNTER_READY when set up.  On
 * SIGTERM it checks once more, prints "PASS: N" (N the count) and exits 0.
 * -T starts a second thread that only sleeps (dump must refuse it).
 * -V reads all of its vDSO first, so that every page of it is present
 * (and so in the image).
 */
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* Touch every page of the vDSO. */
static void read_vdso(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/maps", "r");
	volatile uint64_t s = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &a, &b) == 2)
			for (unsigned long p = a; p < b; p += 8)
				s += *(volatile uint64_t *)p;
	}
	if (f)
		fclose(f);
}

static uint64_t sum(const uint64_t *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (s ^ p[i]) * 0x100000001b3ull;
	return s;
}

static void fill(uint64_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = seed;
	}
}

/* Load xmm/ymm registers with known values and check them after a sleep. */
static int regs_survive_sleep(long ms, uint64_t tag)
{
	uint64_t out[4] = { 0 };
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	register uint64_t r12 asm("r12") = tag;
	register uint64_t r13 asm("r13") = ~tag;

	asm volatile("vpbroadcastq %0, %%ymm7" : : "m"(tag) : "xmm7");
	nanosleep(&ts, NULL);
	asm volatile("vmovdqu %%ymm7, %0" : "=m"(out) : : "memory");
	asm volatile("" : "+r"(r12), "+r"(r13));
	for (int i = 0; i < 4; i++)
		if (out[i] != tag)
			return -1;
	return r12 == tag && r13 == ~tag ? 0 : -2;
}

int main(int argc, char **argv)
{
	size_t mib = 4;
	long ms = 100, secs = 0;
	uint64_t count = 0;
	int opt;
	pthread_t th;

	while ((opt = getopt(argc, argv, "n:i:s:TV")) != -1) {
		switch (opt) {
		case 'n':
			mib = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			ms = strtol(optarg, NULL, 0);
			break;
		case 's':
			secs = strtol(optarg, NULL, 0);
			break;
		case 'V':
			read_vdso();
			break;
		case 'T':
			if (pthread_create(&th, NULL, sleeper, NULL)) {
				printf("FAIL: no thread\n");
				return 1;
			}
			break;
		default:
			fprintf(stderr, "usage: counter [-n MIB] [-i MS] [-s SECONDS] [-T] [-V]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_term);

	size_t n = mib * (1 << 20) / 8;
	uint64_t *heap = malloc(64 << 10);
	uint64_t *area = mmap(NULL, n * 8 ?: 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!heap || area == MAP_FAILED) {
		printf("FAIL: no memory\n");
		return 1;
	}
	fill(heap, (64 << 10) / 8, 42);
	fill(area, n, 4242);
	uint64_t hs = sum(heap, (64 << 10) / 8), as = sum(area, n);

	const char *ready = getenv("COUNTER_READY");
	if (ready)
		close(open(ready, O_CREAT | O_WRONLY, 0600));

	time_t end = secs ? time(NULL) + secs : 0;
	while (!stop && (!end || time(NULL) < end)) {
		int r = regs_survive_sleep(ms, 0x1234567800000000ull + count);

		if (r) {
			printf("FAIL: registers changed (%d) at %llu\n", r, (unsigned long long)count);
			return 1;
		}
		if (sum(heap, (64 << 10) / 8) != hs || sum(area, n) != as) {
			printf("FAIL: memory changed at %llu\n", (unsigned long long)count);
			return 1;
		}
		printf("%llu\n", (unsigned long long)++count);
	}
	if (sum(heap, (64 << 10) / 8) != hs || sum(area, n) != as) {
		printf("FAIL: memory changed at the end\n");
		return 1;
	}
	printf("PASS: %llu\n", (unsigned long long)count);
	return 0;
}
