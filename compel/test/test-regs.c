/*
 * Reading and writing a seized thread's state: general registers, the
 * XSAVE area (an SSE and an AVX-512 register), the blocked mask, and the
 * signals pending for the thread and for the whole task (read, not taken).
 * The victim spins until the value it waits for appears in a register and
 * prints what it got.  Also the restart rule of compel_regs_restartable().
 */
#include <cpuid.h>
#include <sys/syscall.h>

#include "driver.h"

#define MAGIC 0x5ca1ab1e0ddba11ull

static struct victim v;

/* Seize the victim once its leader spins inside [start, end). */
static struct parasite_ctl *seize_in(const char *what, unsigned long start, unsigned long end)
{
	for (int i = 0; i < 500; i++) {
		struct parasite_ctl *ctl;
		int r = compel_seize(v.pid, 0, &ctl);

		if (r) {
			fail("regs: seize: %s", strerror(-r));
			return NULL;
		}
		unsigned long ip = compel_thread(ctl, 0)->regs.rip;
		if (ip >= start && ip < end)
			return ctl;
		if (compel_release(ctl)) {
			fail("regs: release");
			return NULL;
		}
		usleep(2000);
	}
	fail("regs: the victim never spun in %s", what);
	return NULL;
}

static bool expect_spin(const char *what, unsigned long *start, unsigned long *end)
{
	char name[32];
	char *line = victim_line(&v, 10000);

	if (!line || sscanf(line, "SPIN %31s %lx %lx", name, start, end) != 3 || strcmp(name, what)) {
		fail("regs: expected the victim to spin in %s, got '%s'", what, line ? line : "nothing");
		return false;
	}
	return true;
}

static void expect_got(const char *what, unsigned long long want)
{
	char name[32];
	unsigned long long got;
	char *line = victim_line(&v, 10000);

	if (line && sscanf(line, "GOT %31s %llx", name, &got) == 2 && !strcmp(name, what) && got == want)
		pass("regs: %s written while seized reached the task", what);
	else
		fail("regs: %s: the victim said '%s'", what, line ? line : "nothing");
}

static void test_gpr(void)
{
	unsigned long s, e;
	struct parasite_ctl *ctl;

	if (!expect_spin("r15", &s, &e) || !(ctl = seize_in("r15", s, e)))
		return;
	compel_regs_t regs = compel_thread(ctl, 0)->regs;
	if (regs.r15 != 0)
		fail("regs: r15 read as %llx, expected 0", regs.r15);
	regs.r15 = MAGIC;
	if (compel_set_regs(ctl, 0, &regs) || compel_thread(ctl, 0)->regs.r15 != MAGIC)
		fail("regs: compel_set_regs");
	if (compel_release(ctl))
		fail("regs: release");
	expect_got("r15", MAGIC);
}

/* Write MAGIC into 64-bit lanes @lanes of the register at @off (component @bit). */
static void write_xstate(struct parasite_ctl *ctl, const char *what, unsigned int off, int bit, const int *lanes,
			 int nr_lanes)
{
	const struct compel_thread_info *th = compel_thread(ctl, 0);
	size_t size = th->xstate_size;
	unsigned char *buf = malloc(size);
	uint64_t val = MAGIC, bv;

	memcpy(buf, th->xstate, size);
	for (int i = 0; i < nr_lanes; i++)
		memcpy(buf + off + 8 * lanes[i], &val, 8);
	memcpy(&bv, buf + 512, 8); /* XSTATE_BV in the XSAVE header */
	bv |= 1ull << bit;
	memcpy(buf + 512, &bv, 8);
	int r = compel_set_xstate(ctl, 0, buf, size);
	if (r || memcmp((const char *)compel_thread(ctl, 0)->xstate + off, buf + off, 64))
		fail("regs: compel_set_xstate (%s): %s", what, strerror(-r));
	free(buf);
}

static void test_xmm(void)
{
	const int lanes[] = { 0 };
	unsigned long s, e;
	struct parasite_ctl *ctl;

	if (!expect_spin("xmm15", &s, &e) || !(ctl = seize_in("xmm15", s, e)))
		return;
	/* The legacy area: XMM registers from byte 160, 16 bytes each. */
	write_xstate(ctl, "xmm15", 160 + 15 * 16, 1, lanes, 1);
	if (compel_release(ctl))
		fail("regs: release");
	expect_got("xmm15", MAGIC);
}

static const siginfo_t *find_sig(const siginfo_t *si, unsigned int n, int sig)
{
	for (unsigned int i = 0; i < n; i++)
		if (si[i].si_signo == sig)
			return &si[i];
	return NULL;
}

static void check_pending(struct parasite_ctl *ctl)
{
	const struct compel_task_info *ti = compel_task(ctl);
	const struct compel_thread_info *th = compel_thread(ctl, 0);
	const siginfo_t *sh = find_sig(ti->shared_pending, ti->nr_shared_pending, SIGUSR2);
	const siginfo_t *own = find_sig(th->pending, th->nr_pending, SIGRTMIN + 1);

	if (sh && sh->si_value.sival_int == 42 && sh->si_pid == getpid() && sh->si_code == SI_QUEUE &&
	    !find_sig(ti->shared_pending, ti->nr_shared_pending, SIGRTMIN + 1))
		pass("regs: a signal pending for the task is read with its siginfo");
	else
		fail("regs: shared pending signals: %u, SIGUSR2 %s", ti->nr_shared_pending, sh ? "wrong" : "missing");
	if (own && own->si_value.sival_int == 43 && !find_sig(th->pending, th->nr_pending, SIGUSR2))
		pass("regs: a signal pending for the thread is read with its siginfo");
	else
		fail("regs: thread pending signals: %u, SIGRTMIN+1 %s", th->nr_pending, own ? "wrong" : "missing");
}

/* zmm31, and in the same session the signals and the blocked mask. */
static void test_zmm_and_signals(void)
{
	const int lanes[] = { 0, 7 };
	unsigned int a, b, c, d;
	unsigned long s, e, bits;
	struct parasite_ctl *ctl;
	union sigval val = { .sival_int = 42 };
	siginfo_t info = { .si_signo = SIGRTMIN + 1, .si_code = SI_QUEUE };
	char *line;

	__cpuid_count(0xd, 7, a, b, c, d); /* Hi16_ZMM: zmm16-31, 64 bytes each */
	(void)a, (void)c, (void)d;
	if (!expect_spin("zmm31", &s, &e))
		return;
	/* Both blocked in the victim: one for the task, one for its leader. */
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value.sival_int = 43;
	if (sigqueue(v.pid, SIGUSR2, val) || syscall(SYS_rt_tgsigqueueinfo, v.pid, v.pid, SIGRTMIN + 1, &info)) {
		fail("regs: can't queue signals: %m");
		return;
	}
	if (!(ctl = seize_in("zmm31", s, e)))
		return;
	check_pending(ctl);
	const struct compel_thread_info *th = compel_thread(ctl, 0);
	uint64_t want = 1ull << (SIGUSR2 - 1) | 1ull << (SIGRTMIN + 1 - 1);
	if ((th->sigmask & want) != want)
		fail("regs: blocked mask %#llx lacks %#llx", (unsigned long long)th->sigmask, (unsigned long long)want);
	uint64_t mask = th->sigmask | 1ull << (SIGHUP - 1);
	if (compel_set_sigmask(ctl, 0, mask) || compel_thread(ctl, 0)->sigmask != mask)
		fail("regs: compel_set_sigmask");
	write_xstate(ctl, "zmm31", b + 15 * 64, 7, lanes, 2);
	if (compel_release(ctl))
		fail("regs: release");
	expect_got("zmm31", MAGIC);

	line = victim_line(&v, 5000);
	if (line && sscanf(line, "MASK %lx", &bits) == 1 && bits == mask)
		pass("regs: the blocked mask written while seized is the task's");
	else
		fail("regs: mask: the victim said '%s', want %#llx", line ? line : "nothing", (unsigned long long)mask);
	line = victim_line(&v, 5000);
	if (line && sscanf(line, "PENDING %lx", &bits) == 1 && (bits & want) == want)
		pass("regs: pending signals are still pending after release");
	else
		fail("regs: pending: the victim said '%s'", line ? line : "nothing");
}

static void test_restartable(void)
{
	static const struct {
		long orig, ax, want_ax;
		int changed;
	} cases[] = {
		{ SYS_read, -512, SYS_read, 1 },		 /* ERESTARTSYS */
		{ SYS_pause, -513, SYS_pause, 1 },		 /* ERESTARTNOINTR */
		{ SYS_ppoll, -514, SYS_ppoll, 1 },		 /* ERESTARTNOHAND */
		{ SYS_nanosleep, -516, SYS_restart_syscall, 1 }, /* ERESTART_RESTARTBLOCK */
		{ SYS_read, -EINTR, -EINTR, 0 },		 /* finished: nothing to redo */
		{ -1, -512, -512, 0 },				 /* not in a syscall */
	};
	int bad = 0;

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		compel_regs_t r = { .orig_rax = cases[i].orig, .rax = cases[i].ax, .rip = 0x1000 };
		int changed = compel_regs_restartable(&r);

		if (changed != cases[i].changed || (long)r.rax != cases[i].want_ax ||
		    r.rip != (changed ? 0x1000 - 2 : 0x1000) || (changed && (long)r.orig_rax != -1))
			bad++;
	}
	if (bad)
		fail("regs: compel_regs_restartable: %d cases wrong", bad);
	else
		pass("regs: compel_regs_restartable applies the kernel's restart rule");
}

int main(void)
{
	driver_init();
	alarm(60);
	test_restartable();
	if (victim_start(&v, "poke"))
		return 1;
	test_gpr();
	test_xmm();
	if (v.avx512)
		test_zmm_and_signals();
	else
		printf("SKIP: regs: zmm31 and signals: no AVX-512 here\n");
	victim_finish(&v, "q", NULL, 0);
	return nr_fail ? 1 : 0;
}
