/*
 * Infect a victim, run the test parasite's commands in its leader and in
 * every other thread, take fds over SCM_RIGHTS and pages through the
 * vmsplice/splice path, cure and release it; many rounds in a row.  The
 * victim then says whether it noticed anything.
 *
 *   test-infect MODE [ROUNDS]     MODE: a victim mode (see victim.c)
 *   test-infect errors            parasite faults, a task dying while infected
 */
#include <pthread.h>
#include <linux/kcmp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "compel/blobs/test-parasite-blob.h"
#include "driver.h"
#include "parasite.h"
#include "pattern.h"

#define ARGS_SIZE 8192

static const char *mode;
static struct victim v;
static uint64_t *expect_mem; /* what the victim's memory holds */
static uint64_t expect_sum;

static bool same_file(pid_t pid, int ours, int theirs)
{
	return syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, ours, theirs) == 0;
}

static int check_ids(struct parasite_ctl *ctl, int round)
{
	const struct compel_task_info *ti = compel_task(ctl);
	struct pt_args *a = compel_args(ctl);

	for (unsigned int i = 0; i < ti->nr_threads; i++) {
		int ret, r;

		memset(a, 0, sizeof(*a));
		r = compel_rpc(ctl, i, PT_CMD_IDS, &ret);
		if (r || ret || a->pid != v.pid || a->tid != compel_thread(ctl, i)->tid) {
			fail("%s round %d: ids in thread %u: r %d ret %d pid %d tid %d", mode, round, i, r, ret, a->pid,
			     a->tid);
			return -1;
		}
	}
	return 0;
}

static int check_commands(struct parasite_ctl *ctl, int round)
{
	static const char *const words[] = { "seize", "infect", "cure", "release" };
	struct pt_args *a = compel_args(ctl);
	unsigned int last = compel_task(ctl)->nr_threads - 1;
	int ret, r;

	a->index = round % 4;
	r = compel_rpc(ctl, 0, PT_CMD_TABLE, &ret);
	if (r || ret != (int)strlen(words[round % 4]) || strcmp(a->buf, words[round % 4])) {
		fail("%s round %d: table lookup (relocated pointers): r %d ret %d '%s'", mode, round, r, ret, a->buf);
		return -1;
	}
	a->addr = v.mem;
	a->len = v.mem_size;
	r = compel_rpc(ctl, last, PT_CMD_SUM, &ret);
	if (r || ret || a->sum != expect_sum) {
		fail("%s round %d: checksum of the victim's memory in thread %u: r %d", mode, round, last, r);
		return -1;
	}
	r = compel_rpc(ctl, last, PT_CMD_MASK, &ret);
	uint64_t all = ~(1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1));
	if (r || ret || a->mask != all) {
		fail("%s round %d: the runtime's mask is %#llx", mode, round, (unsigned long long)a->mask);
		return -1;
	}
	return 0;
}

static int check_fds(struct parasite_ctl *ctl, int round, unsigned int nr)
{
	int want[nr], got[nr];
	int r;

	for (unsigned int i = 0; i < nr; i++)
		want[i] = 3 + i % 2;
	r = compel_get_fds(ctl, want, nr, got);
	if (r) {
		fail("%s round %d: compel_get_fds(%u): %s", mode, round, nr, strerror(-r));
		return -1;
	}
	for (unsigned int i = 0; i < nr; i++) {
		if (!r && !same_file(v.pid, got[i], want[i])) {
			fail("%s round %d: fd %u from the task is not its fd %d", mode, round, i, want[i]);
			r = -1;
		}
		close(got[i]);
	}
	return r;
}

static int check_pages(struct parasite_ctl *ctl, int round)
{
	size_t size = v.mem_size;
	int fd = memfd_create("pages", MFD_CLOEXEC);
	/* Two ranges, out of order, to see each lands where it should. */
	struct iovec iov[2] = {
		{ (void *)(v.mem + size / 2), size / 2 },
		{ (void *)v.mem, size / 2 },
	};
	int r;

	if (fd < 0)
		return -1;
	r = compel_dump_pages(ctl, iov, 2, fd);
	if (r) {
		fail("%s round %d: compel_dump_pages: %s", mode, round, strerror(-r));
		close(fd);
		return -1;
	}
	unsigned char *got = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (got == MAP_FAILED || memcmp(got, (char *)expect_mem + size / 2, size / 2) ||
	    memcmp(got + size / 2, expect_mem, size / 2))
		r = -1;
	if (r)
		fail("%s round %d: the pages read through the pipe differ from the victim's", mode, round);
	if (got != MAP_FAILED)
		munmap(got, size);
	close(fd);
	return r;
}

static int one_round(int round)
{
	struct parasite_ctl *ctl;
	pid_t tracer = -1;
	int r;

	r = compel_seize(v.pid, 0, &ctl);
	if (r) {
		fail("%s round %d: seize: %s", mode, round, strerror(-r));
		return -1;
	}
	r = compel_infect(ctl, &test_parasite_blob, ARGS_SIZE);
	if (r) {
		fail("%s round %d: infect: %s", mode, round, strerror(-r));
		goto out;
	}
	int tfd;
	unsigned long taddr;
	size_t tsize;
	char link[64], target[64] = "";

	if (compel_parasite_traces(ctl, &tfd, &taddr, &tsize) ||
	    (snprintf(link, sizeof(link), "/proc/%d/fd/%d", v.pid, tfd),
	     readlink(link, target, sizeof(target) - 1) <= 0) ||
	    strncmp(target, "socket:", 7)) {
		fail("%s round %d: compel_parasite_traces: fd %d is '%s'", mode, round, tfd, target);
		r = -1;
		goto out;
	}
	/* A signal with a handler, arriving while the parasite runs. */
	if (!strcmp(mode, "sigread"))
		kill(v.pid, SIGRTMIN + 2);
	r = check_ids(ctl, round) ?: check_commands(ctl, round);
	if (!r && round % 10 == 1)
		r = check_fds(ctl, round, round == 1 ? 600 : 2) ?: check_pages(ctl, round);
	if (!r && (r = compel_cure(ctl)))
		fail("%s round %d: cure: %s", mode, round, strerror(-r));
out:
	if (compel_release(ctl)) {
		fail("%s round %d: release", mode, round);
		r = -1;
	}
	if (!strcmp(mode, "stopped"))
		wait_state(v.pid, 'T');
	char st = proc_state(v.pid, &tracer);
	if (!r && (tracer != 0 || (st == 'T') != !strcmp(mode, "stopped"))) {
		fail("%s round %d: after release: state %c, tracer %d", mode, round, st, tracer);
		r = -1;
	}
	return r;
}

/* The parasite faults; the task must not notice. */
static void test_crash(unsigned int thread)
{
	struct parasite_ctl *ctl;
	int ret, r;

	if (compel_seize(v.pid, 0, &ctl)) {
		fail("crash: seize");
		return;
	}
	if (compel_infect(ctl, &test_parasite_blob, ARGS_SIZE)) {
		fail("crash: infect");
		(void)compel_release(ctl);
		return;
	}
	if (thread >= compel_task(ctl)->nr_threads)
		thread = 0;
	((struct pt_args *)compel_args(ctl))->addr = 16;
	r = compel_rpc(ctl, thread, PT_CMD_CRASH, &ret);
	if (r == -EFAULT)
		pass("crash: a fault of the parasite in thread %u is reported (EFAULT)", thread);
	else
		fail("crash: the fault in thread %u gave %d", thread, r);
	if (thread) {
		/* The daemon still serves. */
		memset(compel_args(ctl), 0, sizeof(struct pt_args));
		r = compel_rpc(ctl, 0, PT_CMD_IDS, &ret);
		if (r || ((struct pt_args *)compel_args(ctl))->pid != v.pid)
			fail("crash: the leader's parasite does not answer after a fault in thread %u", thread);
	}
	r = compel_cure(ctl);
	if (thread ? r != 0 : r != 0 && r != -EFAULT && r != -EPIPE)
		fail("crash: cure after the fault: %s", strerror(-r));
	if (compel_release(ctl))
		fail("crash: release");
}

/* Count what comes out of the read end @arg (an int), in a thread. */
static void *count_bytes(void *arg)
{
	static char buf[1 << 20];
	uint64_t *n = malloc(sizeof(*n));
	int fd = *(int *)arg;
	ssize_t r;

	*n = 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		*n += (uint64_t)r;
	return n;
}

/*
 * An area of more than 4 GiB goes through the page path whole: every byte,
 * no more.  The area is mapped in the victim untouched (its pages are the
 * zero page), so this costs time, not memory.
 */
static void test_huge_pages(void)
{
	const size_t len = (4UL << 30) + (64UL << 10);
	unsigned long args[6] = {
		0, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, (unsigned long)-1, 0
	};
	struct parasite_ctl *ctl;
	uint64_t *got = NULL;
	pthread_t th;
	long addr = 0;
	int p[2], r;

	if (victim_start(&v, "busy"))
		return;
	if (compel_seize(v.pid, 0, &ctl)) {
		fail("huge pages: seize");
		goto out_victim;
	}
	r = compel_syscall(ctl, 0, SYS_mmap, &addr, args);
	if (r || addr < 0 || compel_infect(ctl, &test_parasite_blob, ARGS_SIZE)) {
		fail("huge pages: mmap %ld or infect %d", addr, r);
		goto out_release;
	}
	if (pipe(p) || pthread_create(&th, NULL, count_bytes, &p[0])) {
		fail("huge pages: pipe or thread");
		goto out_cure;
	}
	struct iovec iov = { (void *)addr, len };
	r = compel_dump_pages(ctl, &iov, 1, p[1]);
	close(p[1]);
	pthread_join(th, (void **)&got);
	close(p[0]);
	if (r || !got || *got != len)
		fail("huge pages: compel_dump_pages of %zu bytes gave %d, %llu bytes came out", len, r,
		     got ? (unsigned long long)*got : 0ULL);
	else
		pass("huge pages: an area of 4 GiB + 64 KiB comes out whole");
	free(got);
out_cure:
	if (compel_cure(ctl))
		fail("huge pages: cure");
	else {
		unsigned long un[6] = { (unsigned long)addr, len };
		long ret = -1;

		if (compel_syscall(ctl, 0, SYS_munmap, &ret, un) || ret)
			fail("huge pages: munmap in the victim gave %ld", ret);
	}
out_release:
	if (compel_release(ctl))
		fail("huge pages: release");
out_victim:
	usleep(200000); /* let it make progress of its own before it checks */
	victim_finish(&v, "q", NULL, 0);
}

static void test_errors(void)
{
	struct parasite_ctl *ctl;
	int ret, r, status;

	if (victim_start(&v, "threads"))
		return;
	test_crash(0);
	test_crash(1);
	victim_finish(&v, "q", NULL, 0);

	/* Killed while infected: calls fail with ESRCH, its parent reaps it. */
	if (victim_start_ex(&v, "threads", true))
		return;
	if (compel_seize(v.pid, 0, &ctl) || compel_infect(ctl, &test_parasite_blob, ARGS_SIZE)) {
		fail("dies while infected: seize or infect");
		victim_close(&v);
		return;
	}
	kill(v.pid, SIGKILL);
	r = compel_rpc(ctl, 0, PT_CMD_IDS, &ret);
	int r1 = compel_rpc(ctl, 1, PT_CMD_IDS, &ret);
	int r2 = compel_cure(ctl);
	int r3 = compel_release(ctl);
	status = victim_nanny_status(&v, 5000);
	if (r != -ESRCH || r1 != -ESRCH || r2 != -ESRCH || r3 || status == -1 || !WIFSIGNALED(status))
		fail("dies while infected: rpc %d/%d cure %d release %d status %#x", r, r1, r2, r3, status);
	else
		pass("dies while infected: ESRCH from every call, released, reaped by its parent");
	victim_close(&v);
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 100;
	int done = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MODE [ROUNDS] | errors\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	driver_init();
	alarm(150);
	if (!strcmp(mode, "errors")) {
		test_errors();
		return nr_fail ? 1 : 0;
	}
	if (!strcmp(mode, "huge")) {
		test_huge_pages();
		return nr_fail ? 1 : 0;
	}
	if (victim_start(&v, mode))
		return 1;
	expect_mem = malloc(v.mem_size);
	mem_pattern(expect_mem, v.mem_size, v.pid);
	expect_sum = mem_checksum_of(expect_mem, v.mem_size);
	if (!strcmp(mode, "stopped")) {
		usleep(50000);
		kill(v.pid, SIGSTOP);
		wait_state(v.pid, 'T');
	}
	srand(v.pid);
	for (int i = 1; i <= rounds; i++) {
		if (one_round(i))
			break;
		done++;
		if (i % 5 == 0) {
			uint32_t rec[2] = { i / 5, ~(uint32_t)(i / 5) };

			if (write(v.data, rec, sizeof(rec)) != sizeof(rec))
				fail("%s: can't write to the victim", mode);
		}
		usleep(rand() % 2000);
	}
	if (!strcmp(mode, "stopped")) {
		if (proc_state(v.pid, NULL) != 'T')
			fail("stopped: victim is no longer stopped");
		kill(v.pid, SIGCONT);
	}
	if (done == rounds)
		pass("infect %s: %d rounds: commands in every thread, relocations, memory checksum, fds (600 in "
		     "one call), pages through vmsplice",
		     mode, rounds);
	char report[512];

	if (victim_finish(&v, "q", report, sizeof(report)) && !strcmp(mode, "sigread")) {
		char *p = strstr(report, " signals handled");
		long handled = -1;

		while (p && p > report && p[-1] != ' ')
			p--;
		if (p)
			handled = atol(p);
		if (handled != done)
			fail("sigread: the victim handled %ld signals of %d sent while infected", handled, done);
		else
			pass("sigread: every signal sent while infected was handled once, after the cure");
	}
	free(expect_mem);
	return nr_fail ? 1 : 0;
}
