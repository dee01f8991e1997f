/*
 * Seize a victim, run syscalls in each of its threads and release it, many
 * rounds in a row; then let the victim say whether it noticed anything.
 *
 *   test-seize MODE [ROUNDS]     MODE: a victim mode (see victim.c)
 *
 * Each round checks, from this side: the task state (a stopped victim stays
 * stopped, others run), remote getpid/gettid in every thread, a remote mmap
 * that shows in /proc/PID/maps and is gone after the remote munmap, a
 * remote prctl(PR_GET_NAME) into that memory, and that no tracer is left.
 * Over all rounds: threads seized inside a blocking syscall were seen with
 * a restart code, and the victim's vector pattern was found in the saved
 * XSAVE area of a busy thread.
 */
#include <cpuid.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "driver.h"
#include "pattern.h"

static const char *mode;
static struct victim v;
static struct pattern pat;
static unsigned int hi16_off; /* XSAVE offset of zmm16-31, 0 if none */
static int rounds_restart, rounds_vector, max_threads;

static bool maps_has(pid_t pid, unsigned long addr)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s <= addr && addr < e)
			found = true;
	}
	fclose(f);
	return found;
}

static bool comm_matches(pid_t pid, const char *name)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(comm, sizeof(comm), f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
	return !strcmp(comm, name);
}

static int look_at_threads(struct parasite_ctl *ctl, bool *restart, bool *vector)
{
	const struct compel_task_info *ti = compel_task(ctl);

	for (unsigned int i = 0; i < ti->nr_threads; i++) {
		const struct compel_thread_info *th = compel_thread(ctl, i);
		compel_regs_t r = th->regs;
		long ax = (long)r.rax;

		/* glibc gives every thread its TLS block through fs_base. */
		if (!r.fs_base) {
			fail("%s: thread %d has no fs_base", mode, th->tid);
			return -1;
		}

		if ((long)r.orig_rax >= 0 && ax <= -512 && ax >= -516) {
			unsigned long ip = r.rip;

			if (compel_regs_restartable(&r) == 1 && r.rip == ip - 2)
				*restart = true;
		}
		if (hi16_off && th->xstate_size >= hi16_off + 1024 &&
		    !memcmp((const char *)th->xstate + hi16_off, pat.b + PAT_ZHI, 1024))
			*vector = true;
	}
	return 0;
}

static int one_round(int round)
{
	const unsigned long len = 16 * 4096;
	struct parasite_ctl *ctl;
	bool restart = false, vector = false;
	char name[32] = "";
	pid_t pid = v.pid, tracer = -1;
	int err, r;
	long ret;

	r = compel_seize(pid, 0, &ctl);
	if (r) {
		fail("%s round %d: compel_seize: %s", mode, round, strerror(-r));
		return -1;
	}
	const struct compel_task_info *ti = compel_task(ctl);
	enum compel_task_state want = strcmp(mode, "stopped") ? COMPEL_TASK_ALIVE : COMPEL_TASK_STOPPED;

	if (ti->state != want) {
		fail("%s round %d: task state %d, expected %d", mode, round, ti->state, want);
		goto out_fail;
	}
	/* A signal with a handler, arriving while seized: delivered first. */
	if (!strcmp(mode, "sigread"))
		kill(pid, SIGRTMIN + 2);
	if ((int)ti->nr_threads > max_threads)
		max_threads = ti->nr_threads;
	if (look_at_threads(ctl, &restart, &vector))
		goto out_fail;

	for (unsigned int i = 0; i < ti->nr_threads; i++) {
		pid_t tid = compel_thread(ctl, i)->tid;

		ret = rsys(ctl, i, SYS_gettid, 0, 0, 0, 0, 0, 0, &err);
		if (err || ret != tid) {
			fail("%s round %d: remote gettid in %d gave %ld (%s)", mode, round, tid, ret, strerror(-err));
			goto out_fail;
		}
	}
	ret = rsys(ctl, 0, SYS_getpid, 0, 0, 0, 0, 0, 0, &err);
	if (err || ret != pid) {
		fail("%s round %d: remote getpid gave %ld (%s)", mode, round, ret, strerror(-err));
		goto out_fail;
	}
	ret = rsys(ctl, 0, SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &err);
	if (err || (unsigned long)ret > -4096UL) {
		fail("%s round %d: remote mmap gave %ld (%s)", mode, round, ret, strerror(-err));
		goto out_fail;
	}
	unsigned long addr = ret;
	if (!maps_has(pid, addr)) {
		fail("%s round %d: remote mmap at %#lx is not in maps", mode, round, addr);
		goto out_fail;
	}
	ret = rsys(ctl, 0, SYS_prctl, PR_GET_NAME, addr + 100, 0, 0, 0, 0, &err);
	struct iovec local = { name, 16 }, remote = { (void *)(addr + 100), 16 };
	if (err || ret != 0 || process_vm_readv(pid, &local, 1, &remote, 1, 0) != 16 || !comm_matches(pid, name)) {
		fail("%s round %d: remote prctl(PR_GET_NAME) gave %ld, name '%s'", mode, round, ret, name);
		goto out_fail;
	}
	ret = rsys(ctl, 0, SYS_munmap, addr, len, 0, 0, 0, 0, &err);
	if (err || ret != 0 || maps_has(pid, addr)) {
		fail("%s round %d: remote munmap gave %ld (%s)", mode, round, ret, strerror(-err));
		goto out_fail;
	}
	r = compel_release(ctl);
	if (r) {
		fail("%s round %d: compel_release: %s", mode, round, strerror(-r));
		return -1;
	}
	/* A stopped task goes back into its group stop a moment after detach. */
	if (want == COMPEL_TASK_STOPPED)
		wait_state(pid, 'T');
	char st = proc_state(pid, &tracer);
	if (tracer != 0 || (want == COMPEL_TASK_STOPPED) != (st == 'T')) {
		fail("%s round %d: after release: state %c, tracer %d", mode, round, st, tracer);
		return -1;
	}
	rounds_restart += restart;
	rounds_vector += vector;
	return 0;

out_fail:
	if (compel_release(ctl))
		fail("%s round %d: compel_release failed too", mode, round);
	return -1;
}

static void find_hi16_offset(void)
{
	unsigned int a, b, c, d;

	if (!v.avx512)
		return;
	__cpuid_count(0xd, 7, a, b, c, d); /* Hi16_ZMM */
	if (a == 1024)
		hi16_off = b;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 100;
	bool blocking, busy;
	int done = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MODE [ROUNDS]\n", argv[0]);
		return 2;
	}
	mode = argv[1];
	driver_init();
	alarm(120);
	if (victim_start(&v, mode))
		return 1;
	pattern_fill(&pat, v.pid);
	find_hi16_offset();
	if (!strcmp(mode, "stopped")) {
		usleep(50000); /* into its loop, registers loaded */
		kill(v.pid, SIGSTOP);
		if (!wait_state(v.pid, 'T')) {
			fail("stopped: victim did not stop");
			return 1;
		}
	}

	srand(v.pid);
	for (int i = 1; i <= rounds; i++) {
		if (one_round(i))
			break;
		done++;
		/* Records for the victims that read: some while seized, some not. */
		if (i % 5 == 0) {
			uint32_t rec[2] = { i / 5, ~(uint32_t)(i / 5) };

			if (write(v.data, rec, sizeof(rec)) != sizeof(rec))
				fail("%s: can't write to the victim", mode);
		}
		usleep(rand() % 2000);
	}

	if (!strcmp(mode, "stopped")) {
		if (proc_state(v.pid, NULL) != 'T')
			fail("stopped: victim is no longer stopped after %d rounds", done);
		kill(v.pid, SIGCONT);
	}
	blocking = !strcmp(mode, "sleep") || !strcmp(mode, "read") || !strcmp(mode, "sigread") ||
		   !strcmp(mode, "poll") || !strcmp(mode, "ppoll") || !strcmp(mode, "futex");
	busy = !strcmp(mode, "busy") || !strcmp(mode, "stopped") || !strcmp(mode, "threads");
	if (done == rounds && blocking && rounds_restart == 0)
		fail("%s: no round caught a thread inside an interrupted syscall", mode);
	if (done == rounds && busy && hi16_off && rounds_vector == 0)
		fail("%s: the victim's zmm16-31 were never found in the saved XSAVE area", mode);
	if (done == rounds)
		pass("seize %s: %d rounds, up to %d threads, %d in a restartable syscall, %d with zmm16-31 seen", mode,
		     rounds, max_threads, rounds_restart, rounds_vector);
	char report[512];
	long handled = -1;
	char *p;

	if (victim_finish(&v, "q", report, sizeof(report)) && !strcmp(mode, "sigread")) {
		p = strstr(report, " signals handled");
		while (p && p > report && p[-1] != ' ')
			p--;
		if (p)
			handled = atol(p);
		if (handled != done)
			fail("sigread: the victim handled %ld signals of %d sent", handled, done);
		else
			pass("sigread: every signal sent while seized was handled once, reads restarted");
	}
	return nr_fail ? 1 : 0;
}
