/*
 * A victim for the compel tests: it runs one kind of work (busy loop,
 * nanosleep, blocking read, poll, ppoll, futex wait, several threads,
 * thread churn) while a driver seizes it, runs syscalls in it and releases
 * it over and over, and checks that it never notices: registers it keeps
 * live (vector, mask, general, MXCSR, x87), raw syscall results (no EINTR,
 * no short sleep, every record read in order, no lost futex wake-up), its
 * memory, its mappings, its signal mask and dispositions, and progress.
 *
 *   victim MODE    fd 3: control pipe ('q' = finish), fd 4: data pipe
 *
 * Prints "READY" once set up, then "PASS: ..." or "FAIL: ..." at the end.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"

long vec_spin(long iters, const void *pat, long *bad, int avx512);
long vec_syscall(long nr, long a1, long a2, long a3, long a4, long a5, const void *pat, long *bad, int avx512);
extern char wait_r15[], wait_r15_end[], wait_xmm15[], wait_xmm15_end[], wait_zmm31[], wait_zmm31_end[];

#define CTL_FD	 3
#define DATA_FD	 4
#define MEM_SIZE (2 << 20)
#define REC_END	 0xffffffffu

static struct pattern pat;
static int avx512;
static uint64_t *mem;
static uint64_t mem_sum;
static char *maps_before;
static sigset_t mask_before;
static bool multi;
static atomic_bool stop_all;
static atomic_int failures;
static char fail_msg[256];
static atomic_long progress;

/* The kernel's part of a sigset_t: the 64 bits glibc copies in and out. */
static bool mask_changed(void)
{
	sigset_t now;

	sigemptyset(&now);
	sigprocmask(SIG_SETMASK, NULL, &now);
	return memcmp(&now, &mask_before, 8) != 0;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&failures, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
	}
	atomic_store(&stop_all, true);
}

static bool have_avx512(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	if (!(b & (1u << 16)) || !(b & (1u << 30))) /* AVX512F, AVX512BW */
		return false;
	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 27))) /* OSXSAVE */
		return false;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 0xe6) == 0xe6; /* SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t mem_checksum(void)
{
	return mem_checksum_of(mem, MEM_SIZE);
}

static void check_mem(void)
{
	if (mem_checksum() != mem_sum)
		fail("memory checksum changed");
}

/* Into one of two buffers set up before anything is compared. */
#define MAPS_SIZE (256 << 10)
static char *maps_buf[2];

static char *read_maps(int which)
{
	char *buf = maps_buf[which];
	size_t size = 0;
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		abort();
	while ((n = read(fd, buf + size, MAPS_SIZE - size - 1)) > 0)
		size += n;
	close(fd);
	buf[size] = 0;
	return buf;
}

/* Single-threaded modes poll the control pipe; threads look at a flag. */
static bool should_stop(void)
{
	char c;

	if (atomic_load(&stop_all))
		return true;
	if (!multi && read(CTL_FD, &c, 1) == 1) {
		atomic_store(&stop_all, true);
		return true;
	}
	return false;
}

static long vsys(long nr, long a1, long a2, long a3, long a4, long a5)
{
	long bad = 0;
	long r = vec_syscall(nr, a1, a2, a3, a4, a5, &pat, &bad, avx512);

	if (bad)
		fail("%ld registers changed across syscall %ld (returned %ld)", bad, nr, r);
	return r;
}

static void *work_busy(void *arg)
{
	for (long n = 0; !should_stop(); n++) {
		long bad = 0;

		vec_spin(300000, &pat, &bad, avx512);
		if (bad)
			fail("%ld registers changed in a busy loop", bad);
		if (n % 64 == 0)
			check_mem();
		atomic_fetch_add(&progress, 1);
	}
	return NULL;
}

static void *work_sleep(void *arg)
{
	const long ns = 7 * 1000 * 1000;

	while (!should_stop()) {
		struct timespec ts = { 0, ns };
		uint64_t t0 = now_ns();
		long r = vsys(SYS_nanosleep, (long)&ts, 0, 0, 0, 0);
		uint64_t el = now_ns() - t0;

		if (r != 0)
			fail("nanosleep returned %ld", r);
		else if (el < (uint64_t)ns)
			fail("nanosleep slept %lu ns of %ld", (unsigned long)el, ns);
		atomic_fetch_add(&progress, 1);
	}
	return NULL;
}

/* Records on the data pipe: 8 bytes, sequence numbers from 1, REC_END last. */
static void check_record(uint32_t rec[2], uint32_t *expect)
{
	if (rec[0] == REC_END)
		return;
	if (rec[0] != *expect || rec[1] != ~*expect)
		fail("record %u read where %u was expected", rec[0], *expect);
	(*expect)++;
	atomic_fetch_add(&progress, 1);
}

static void work_read(void)
{
	uint32_t rec[2], expect = 1;

	do {
		long r = vsys(SYS_read, DATA_FD, (long)rec, sizeof(rec), 0, 0);

		if (r != sizeof(rec)) {
			fail("read returned %ld", r);
			return;
		}
		check_record(rec, &expect);
	} while (rec[0] != REC_END && !atomic_load(&failures));
}

static void work_poll(bool with_mask)
{
	uint32_t rec[2], expect = 1;
	sigset_t tmp;

	sigemptyset(&tmp);
	sigaddset(&tmp, SIGUSR1);
	sigaddset(&tmp, SIGWINCH);
	do {
		struct pollfd pfd = { .fd = DATA_FD, .events = POLLIN };
		long r;

		if (with_mask)
			r = vsys(SYS_ppoll, (long)&pfd, 1, 0, (long)&tmp, 8);
		else
			r = vsys(SYS_poll, (long)&pfd, 1, -1, 0, 0);
		if (r != 1 || !(pfd.revents & POLLIN)) {
			fail("poll returned %ld revents %#x", r, pfd.revents);
			return;
		}
		if (mask_changed()) {
			fail("signal mask changed after ppoll");
			return;
		}
		if (read(DATA_FD, rec, sizeof(rec)) != sizeof(rec)) {
			fail("read after poll failed");
			return;
		}
		check_record(rec, &expect);
	} while (rec[0] != REC_END && !atomic_load(&failures));
}

/*
 * sigread: SIGRTMIN+2 has an SA_RESTART handler; the driver sends one per
 * round.  A real-time signal is queued once per kill(), so the count is exact
 * even when a round starts before the last signal was handled.
 */
static atomic_long nr_sigusr1;

static void on_sigusr1(int sig)
{
	atomic_fetch_add(&nr_sigusr1, 1);
}

static void setup_sigread(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1, .sa_flags = SA_RESTART };

	sigaction(SIGRTMIN + 2, &sa, NULL);
}

/*
 * poke: spin until the driver writes r15, then xmm15, then zmm31; print
 * each value, then the signal mask, and which signals are pending.
 */
static void work_poke(void)
{
	static const struct {
		const char *name;
		long (*fn)(void);
		char *end;
	} steps[] = {
		{ "r15", (long (*)(void))wait_r15, wait_r15_end },
		{ "xmm15", (long (*)(void))wait_xmm15, wait_xmm15_end },
		{ "zmm31", (long (*)(void))wait_zmm31, wait_zmm31_end },
	};
	sigset_t set;
	uint64_t bits = 0;

	for (unsigned int i = 0; i < 3; i++) {
		if (i == 2 && !avx512)
			break;
		printf("SPIN %s %lx %lx\n", steps[i].name, (unsigned long)steps[i].fn, (unsigned long)steps[i].end);
		printf("GOT %s %lx\n", steps[i].name, steps[i].fn());
	}
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, NULL, &set);
	memcpy(&bits, &set, 8);
	printf("MASK %lx\n", (unsigned long)bits);
	sigprocmask(SIG_SETMASK, &mask_before, NULL);
	sigemptyset(&set);
	sigpending(&set);
	memcpy(&bits, &set, 8);
	printf("PENDING %lx\n", (unsigned long)bits);
	atomic_fetch_add(&progress, 1);
	/* Wait for the driver to finish with us. */
	struct pollfd pfd = { .fd = CTL_FD, .events = POLLIN };
	poll(&pfd, 1, -1);
}

static _Atomic uint32_t fword, fack;
#define FUTEX_DONE 0xffffffffu

static void *futex_waiter(void *arg)
{
	uint32_t seen = 0;

	for (;;) {
		uint32_t v = atomic_load(&fword);

		if (v == FUTEX_DONE)
			break;
		if (v != seen) {
			seen = v;
			atomic_store(&fack, v);
			continue;
		}
		long r = vsys(SYS_futex, (long)&fword, FUTEX_WAIT_PRIVATE, v, 0, 0);
		if (r != 0 && r != -EAGAIN) {
			fail("futex wait returned %ld", r);
			break;
		}
	}
	return NULL;
}

static void *futex_waker(void *arg)
{
	for (uint32_t v = 1;; v++) {
		bool end = should_stop();

		atomic_store(&fword, end ? FUTEX_DONE : v);
		syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		if (end)
			break;
		/* The waiter must see it: a lost wake-up leaves it asleep. */
		uint64_t t0 = now_ns();
		while (atomic_load(&fack) != v) {
			if (now_ns() - t0 > 10ull * 1000 * 1000 * 1000) {
				fail("futex waiter did not wake for value %u (lost wake-up)", v);
				atomic_store(&fword, FUTEX_DONE);
				syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
				return NULL;
			}
			usleep(50);
		}
		atomic_fetch_add(&progress, 1);
		usleep(1000);
	}
	return NULL;
}

static void *churn_one(void *arg)
{
	atomic_fetch_add(&progress, 1);
	return NULL;
}

static void *work_churn(void *arg)
{
	while (!should_stop()) {
		pthread_t t[4];

		for (int i = 0; i < 4; i++)
			if (pthread_create(&t[i], NULL, churn_one, NULL))
				fail("pthread_create failed");
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
	}
	return NULL;
}

static void start(pthread_t *t, void *(*fn)(void *))
{
	if (pthread_create(t, NULL, fn, NULL)) {
		printf("FAIL: pthread_create\n");
		exit(1);
	}
}

static void check_maps(void)
{
	char *maps = read_maps(1);

	if (strcmp(maps, maps_before)) {
		fail("mappings changed");
		fprintf(stderr, "--- mappings before\n%s--- after\n%s", maps_before, maps);
	}
}

/* The memory the driver may read: the checksummed 2 MiB, or "big"'s 1 GiB. */
static void *shown_mem;
static unsigned long shown_size = MEM_SIZE;

static void ready(void)
{
	maps_before = read_maps(0);
	printf("READY %d %lx %lu\n", avx512, (unsigned long)(shown_mem ? shown_mem : mem), shown_size);
}

/*
 * seccomp: a filter refuses (EPERM) the syscalls compel runs in the task
 * (mmap, munmap, memfd_create, socketpair, close, getpid, gettid, prctl),
 * so compel must suspend it while it works.
 */
static void setup_seccomp(void)
{
	static const int deny[] = { SYS_mmap,	SYS_munmap, SYS_memfd_create, SYS_socketpair,
				    SYS_getpid, SYS_gettid, SYS_prctl };
	struct sock_filter f[4 + 2 * 7 + 1];
	unsigned int n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (unsigned int i = 0; i < 7; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, deny[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = n, .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		printf("FAIL: victim seccomp: can't install the filter: %m\n");
		exit(1);
	}
	if (syscall(SYS_getpid) != -1 || errno != EPERM) {
		printf("FAIL: victim seccomp: the filter does not refuse getpid\n");
		exit(1);
	}
}

/* big: 1 GiB of memory with data in every page, for the page-path bench. */
static void setup_big(void)
{
	shown_size = 1UL << 30;
	shown_mem = mmap(NULL, shown_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shown_mem == MAP_FAILED) {
		printf("FAIL: victim big: can't map 1 GiB\n");
		exit(1);
	}
	madvise(shown_mem, shown_size, 23 /* MADV_POPULATE_WRITE */);
	for (unsigned long i = 0; i < shown_size; i += 4096)
		memset((char *)shown_mem + i, (int)(i >> 12), 4096);
}

/*
 * Multi-threaded modes: workers in threads, the leader blocks on fd 3.  The
 * mappings are taken once every thread has its stack and has made progress.
 */
static void run_threads(void *(*const *fns)(void *), int n, bool stable_maps)
{
	struct pollfd pfd = { .fd = CTL_FD, .events = POLLIN };
	pthread_t t[8];
	char c;

	multi = true;
	for (int i = 0; i < n; i++)
		start(&t[i], fns[i]);
	for (int i = 0; i < 100 && atomic_load(&progress) < 2 * n; i++)
		usleep(10000);
	ready();
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	if (read(CTL_FD, &c, 1) != 1)
		fail("control pipe closed");
	/* While every thread still has its stack. */
	if (stable_maps)
		check_maps();
	atomic_store(&stop_all, true);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void setup(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };

	avx512 = have_avx512();
	pattern_fill(&pat, getpid());
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		abort();
	mem_pattern(mem, MEM_SIZE, getpid());
	mem_sum = mem_checksum();
	for (int i = 0; i < 2; i++) {
		maps_buf[i] = mmap(NULL, MAPS_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps_buf[i] == MAP_FAILED)
			abort();
	}
	/* A disposition a breakpoint-based injector would reset. */
	sigaction(SIGTRAP, &sa, NULL);
	sigemptyset(&mask_before);
	sigaddset(&mask_before, SIGUSR2);
	sigaddset(&mask_before, SIGRTMIN + 1);
	sigprocmask(SIG_SETMASK, &mask_before, NULL);
	fcntl(CTL_FD, F_SETFL, O_NONBLOCK);
}

static void final_checks(const char *mode)
{
	struct sigaction sa;

	check_mem();
	sigaction(SIGTRAP, NULL, &sa);
	if (sa.sa_handler != SIG_IGN)
		fail("SIGTRAP disposition changed");
	if (mask_changed())
		fail("signal mask changed");
	if (!multi)
		check_maps();
	if (!atomic_load(&failures) && atomic_load(&progress) == 0)
		fail("no progress");
	if (atomic_load(&failures))
		printf("FAIL: victim %s: %s\n", mode, fail_msg);
	else
		printf("PASS: victim %s: %ld steps%s, %ld signals handled\n", mode, atomic_load(&progress),
		       avx512 ? ", AVX-512 registers checked" : ", AVX registers checked", atomic_load(&nr_sigusr1));
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "busy";
	static char outbuf[4096];

	setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf)); /* no heap: maps stay put */
	setup();
	if (!strcmp(mode, "sigread"))
		setup_sigread();
	if (!strcmp(mode, "big"))
		setup_big();
	if (!strcmp(mode, "seccomp"))
		setup_seccomp();
	if (strcmp(mode, "churn") && strcmp(mode, "threads") && strcmp(mode, "futex"))
		ready();

	if (!strcmp(mode, "big")) {
		struct pollfd pfd = { .fd = CTL_FD, .events = POLLIN };

		poll(&pfd, 1, -1);
		atomic_fetch_add(&progress, 1);
	} else if (!strcmp(mode, "busy") || !strcmp(mode, "stopped") || !strcmp(mode, "seccomp")) {
		work_busy(NULL);
	} else if (!strcmp(mode, "sleep")) {
		work_sleep(NULL);
	} else if (!strcmp(mode, "read")) {
		work_read();
	} else if (!strcmp(mode, "sigread")) {
		work_read();
	} else if (!strcmp(mode, "poke")) {
		work_poke();
	} else if (!strcmp(mode, "poll")) {
		work_poll(false);
	} else if (!strcmp(mode, "ppoll")) {
		work_poll(true);
	} else if (!strcmp(mode, "futex")) {
		static void *(*const fns[])(void *) = { futex_waiter, futex_waker };
		run_threads(fns, 2, true);
	} else if (!strcmp(mode, "threads")) {
		static void *(*const fns[])(void *) = { work_busy, work_sleep, futex_waiter, futex_waker };
		run_threads(fns, 4, true);
	} else if (!strcmp(mode, "churn")) {
		/* Thread stacks come and go here: no mappings check. */
		static void *(*const fns[])(void *) = { work_churn, work_sleep };
		run_threads(fns, 2, false);
	} else {
		printf("FAIL: victim: unknown mode %s\n", mode);
		return 1;
	}
	final_checks(mode);
	return atomic_load(&failures) ? 1 : 0;
}
