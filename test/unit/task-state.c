/*
 * Task state, dump and restore without the rest of criu: a forked victim
 * sets up signals, timers, limits, credentials, seccomp...; it is seized
 * with compel and asked by criu's parasite (as cr-dump does), and
 * dump_task_state() fills a core, packed and unpacked like an image.  A
 * second forked child then applies that core to itself:
 * restore_task_state_early(), the restorer's block, and the restorer's
 * code (criu/pie/restorer-state.c, built here as plain code), and checks
 * that it now has the victim's state.  Both children are forks of this
 * program, so the victim's addresses (handlers, rseq area, robust list)
 * are valid in the second child too.
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/capability.h>

#include "unit.h"

#include "arena.h"
#include "image.h"
#include "log.h"
#include "parasite-cmds.h"
#include "task-state-int.h"
#include "compel/blobs/criu-parasite-blob.h"

#include "../../criu/pie/restorer-state.c"

#define VICTIM_COMM "ts-victim"
#define SIVAL	    0x1234567890abULL

static char altstack[65536];
static volatile int got_usr1;

static void on_usr1(int s)
{
	(void)s;
	got_usr1++;
}

static void on_chld(int s)
{
	(void)s;
}

static void die(const char *what)
{
	fprintf(stderr, "victim: %s: %s\n", what, strerror(errno));
	_exit(2);
}

static int install_filter(int nr, int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { ARRAY_SIZE(f), f };

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Everything the victim changes; what the restored child must show again. */
static void victim_setup(int ready)
{
	struct sigaction sa = { 0 };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct rlimit rl = { 512, 1024 };
	struct itimerval it = { { 7, 0 }, { 500, 0 } };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2 };
	struct itimerspec its = { { 7, 0 }, { 100, 0 } };
	struct __user_cap_header_struct ch = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct cd[2];
	gid_t groups[] = { 1, 2, 3 };
	timer_t t0, t1, t2;
	sigset_t set;
	int fd;

	prctl(PR_SET_NAME, VICTIM_COMM);
	personality(PER_LINUX | ADDR_COMPAT_LAYOUT);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_TIMERSLACK, 123456);
	if (setpriority(PRIO_PROCESS, 0, 5))
		die("setpriority");
	fd = open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd < 0 || write(fd, "500", 3) != 3)
		die("oom_score_adj");
	close(fd);

	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART | SA_ONSTACK;
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	if (sigaltstack(&ss, NULL))
		die("sigaltstack");

	setrlimit(RLIMIT_NOFILE, &rl);
	rl = (struct rlimit){ 0, 1 << 20 };
	setrlimit(RLIMIT_CORE, &rl);
	setitimer(ITIMER_REAL, &it, NULL);
	sev.sigev_value.sival_ptr = (void *)SIVAL;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t0) || timer_create(CLOCK_MONOTONIC, &sev, &t1) ||
	    timer_create(CLOCK_BOOTTIME, &sev, &t2))
		die("timer_create");
	timer_delete(t0); /* ids 1 and 2 remain */
	timer_settime(t1, 0, &its, NULL);
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0))
		die("membarrier");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 77 });

	/* credentials: groups, gids, euid 1000, caps trimmed, ambient NET_RAW */
	if (setgroups(3, groups))
		die("setgroups");
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0))
		die("capbset");
	if (syscall(SYS_capget, &ch, cd))
		die("capget");
	cd[0].permitted &= ~(1u << CAP_MKNOD);
	cd[0].effective &= ~(1u << CAP_MKNOD);
	cd[0].inheritable = 1u << CAP_NET_RAW;
	if (syscall(SYS_capset, &ch, cd))
		die("capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0))
		die("ambient");
	if (prctl(PR_SET_SECUREBITS, 1 << 4 /* KEEP_CAPS */, 0, 0, 0))
		die("securebits");
	if (setresgid(1000, 1001, 1002) || setresuid(0, 1000, 0))
		die("setres*id");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("no_new_privs");
	prctl(PR_SET_PDEATHSIG, SIGHUP); /* after the uid change, which resets it */
	if (install_filter(__NR_uname, EACCES) || install_filter(__NR_uname, EAGAIN) ||
	    install_filter(__NR_getpgid, ENOTTY))
		die("seccomp");

	if (write(ready, "R", 1) != 1)
		die("ready");
	for (;;)
		pause();
}

/* ------------------------------------------------------------ dump */

static CoreEntry core = CORE_ENTRY__INIT;
static TaskCoreEntry tc = TASK_CORE_ENTRY__INIT;
static ThreadCoreEntry th = THREAD_CORE_ENTRY__INIT;
static ThreadInfoX86 ti = THREAD_INFO_X86__INIT;
static UserX86RegsEntry gp = USER_X86_REGS_ENTRY__INIT;
static UserX86FpregsEntry fp = USER_X86_FPREGS_ENTRY__INIT;
static struct parasite_task_state pts;
static CoreEntry *rcore; /* packed and unpacked again */
static MmEntry mm = MM_ENTRY__INIT;
static pid_t victim_pid;

static const SaEntry *sa_of(const TaskCoreEntry *t, int sig)
{
	int n = 0;

	for (int s = 1; s < sig; s++)
		if (ts_sig_has_action(s))
			n++;
	return n < (int)t->n_sigactions ? t->sigactions[n] : NULL;
}

static int dump_victim(struct arena *a, struct img_dir *dir)
{
	struct parasite_ctl *ctl = NULL;
	int p[2], ret = 0, r;
	char c;

	if (pipe(p))
		return -errno;
	victim_pid = fork();
	if (victim_pid == 0) {
		close(p[0]);
		victim_setup(p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -ECHILD;
	}
	close(p[0]);

	r = compel_seize(victim_pid, 0, &ctl);
	if (r)
		return r;
	r = compel_infect(ctl, &criu_parasite_blob, 64 << 10);
	if (!r) {
		r = compel_rpc(ctl, 0, PARASITE_CMD_TASK_STATE, &ret);
		if (!r)
			r = ret;
		if (!r)
			memcpy(&pts, compel_args(ctl), sizeof(pts));
		if (compel_cure(ctl) && !r)
			r = -EIO;
	}
	if (!r) {
		core.mtype = CORE_ENTRY__MARCH__X86_64;
		core.tc = &tc;
		core.thread_core = &th;
		core.thread_info = &ti;
		ti.gpregs = &gp;
		ti.fpregs = &fp;
		r = dump_task_state(ctl, &pts, a, &core);
	}
	mm.has_dumpable = true;
	mm.dumpable = pts.dumpable;
	if (compel_release(ctl) && !r)
		r = -EIO;
	if (!r)
		r = task_state_dump_finish(dir);
	return r;
}

static void check_dumped(void)
{
	const SaEntry *sa;

	CHECK_STR(tc.comm, VICTIM_COMM);
	CHECK_STR(th.comm, VICTIM_COMM);
	CHECK(tc.personality == (PER_LINUX | ADDR_COMPAT_LAYOUT));
	CHECK(tc.has_child_subreaper && tc.child_subreaper);
	CHECK(tc.has_oom_score_adj && tc.oom_score_adj == 500);
	CHECK(tc.n_sigactions == 62);
	sa = sa_of(&tc, SIGUSR1);
	CHECK(sa && sa->sigaction == (uintptr_t)on_usr1 && (sa->flags & SA_ONSTACK) &&
	      sa->mask == 1ULL << (SIGUSR2 - 1));
	sa = sa_of(&tc, SIGHUP);
	CHECK(sa && sa->sigaction == (uintptr_t)SIG_IGN);
	CHECK(tc.blk_sigset & (1ULL << (SIGUSR1 - 1)));
	CHECK(tc.rlimits && tc.rlimits->n_rlimits == 16 && tc.rlimits->rlimits[RLIMIT_NOFILE]->cur == 512 &&
	      tc.rlimits->rlimits[RLIMIT_NOFILE]->max == 1024);
	CHECK(tc.timers && tc.timers->real->vsec >= 498 && tc.timers->real->isec == 7);
	CHECK(tc.timers && tc.timers->n_posix == 2);
	if (tc.timers && tc.timers->n_posix == 2) {
		const PosixTimerEntry *a = tc.timers->posix[0], *b = tc.timers->posix[1];

		if (a->it_id > b->it_id) {
			const PosixTimerEntry *x = a;

			a = b;
			b = x;
		}
		CHECK(a->it_id == 1 && a->clock_id == CLOCK_MONOTONIC && a->vsec >= 98 && a->isec == 7);
		CHECK(a->si_signo == SIGUSR2 && a->sival_ptr == SIVAL && a->it_sigev_notify == SIGEV_SIGNAL);
		CHECK(b->it_id == 2 && b->clock_id == CLOCK_BOOTTIME && !b->vsec && !b->vnsec);
	}
	CHECK(tc.has_membarrier_registration_mask &&
	      (tc.membarrier_registration_mask & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED));
	CHECK(tc.signals_s && tc.signals_s->n_signals == 1);
	CHECK(th.signals_p && th.signals_p->n_signals == 1);
	CHECK(th.has_pdeath_sig && th.pdeath_sig == SIGHUP);
	CHECK(th.has_sched_nice && th.sched_nice == 5);
	CHECK(th.sas && th.sas->ss_sp == (uintptr_t)altstack && th.sas->ss_size == sizeof(altstack));
	CHECK(th.rseq_entry &&
	      th.rseq_entry->rseq_abi_pointer == (uintptr_t)__builtin_thread_pointer() + (uintptr_t)__rseq_offset);
	CHECK(th.futex_rla && th.futex_rla_len == 24);
	CHECK(ti.clear_tid_addr != 0);
	CHECK(th.creds && th.creds->euid == 1000 && th.creds->uid == 0 && th.creds->egid == 1001);
	CHECK(th.creds && th.creds->n_groups == 3 && th.creds->groups[2] == 3);
	CHECK(th.creds && !(th.creds->cap_bnd[0] & (1u << CAP_SYS_BOOT)) &&
	      !(th.creds->cap_prm[0] & (1u << CAP_MKNOD)) && th.creds->cap_amb[0] == 1u << CAP_NET_RAW);
	CHECK(th.creds && th.creds->secbits == 1 << 4 && th.creds->has_no_new_privs);
	CHECK(th.has_seccomp_mode && th.seccomp_mode == SECCOMP_MODE__filter && th.has_seccomp_filter &&
	      th.seccomp_filter == 2);
}

static CoreEntry *pack_unpack(const CoreEntry *c)
{
	size_t len = core_entry__get_packed_size(c);
	uint8_t *buf = malloc(len);
	CoreEntry *u;

	if (!buf)
		return NULL;
	core_entry__pack(c, buf);
	u = core_entry__unpack(NULL, len, buf);
	free(buf);
	return u;
}

/* ------------------------------------------------------------ restore */

static uint64_t status_hex(const char *key)
{
	char line[256];
	uint64_t v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoull(line + strlen(key), NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static int status_dec(const char *key)
{
	char line[256];
	int v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atoi(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

/* In the second child: its state must be the victim's. */
static void check_restored(void)
{
	struct sigaction sa;
	struct rlimit rl;
	struct itimerval it;
	struct itimerspec its;
	sigset_t pend;
	stack_t ss;
	uid_t r, e, s;
	gid_t g[8];
	char comm[17] = "";
	struct utsname u;
	int v = 0;

	prctl(PR_GET_NAME, comm);
	CHECK_STR(comm, VICTIM_COMM);
	CHECK(personality(0xffffffff) == (PER_LINUX | ADDR_COMPAT_LAYOUT));
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	CHECK(v == 1);
	prctl(PR_GET_PDEATHSIG, &v);
	CHECK(v == SIGHUP);
	CHECK(getpriority(PRIO_PROCESS, 0) == 5);
	sigaction(SIGUSR1, NULL, &sa);
	CHECK(sa.sa_handler == on_usr1 && (sa.sa_flags & SA_ONSTACK) && sigismember(&sa.sa_mask, SIGUSR2));
	sigaction(SIGCHLD, NULL, &sa);
	CHECK(sa.sa_handler == on_chld && (sa.sa_flags & SA_NOCLDSTOP));
	sigaction(SIGHUP, NULL, &sa);
	CHECK(sa.sa_handler == SIG_IGN);
	sigaltstack(NULL, &ss);
	CHECK(ss.ss_sp == altstack && ss.ss_size == sizeof(altstack));
	getrlimit(RLIMIT_NOFILE, &rl);
	CHECK(rl.rlim_cur == 512 && rl.rlim_max == 1024);
	getrlimit(RLIMIT_CORE, &rl);
	CHECK(rl.rlim_cur == 0 && rl.rlim_max == 1 << 20);
	getitimer(ITIMER_REAL, &it);
	CHECK(it.it_interval.tv_sec == 7 && it.it_value.tv_sec >= 490);
	CHECK(!timer_gettime((timer_t)1, &its) && its.it_interval.tv_sec == 7 && its.it_value.tv_sec >= 90);
	CHECK(!timer_gettime((timer_t)2, &its) && !its.it_value.tv_sec && !its.it_value.tv_nsec);
	CHECK(timer_gettime((timer_t)0, &its) && errno == EINVAL);
	CHECK(syscall(SYS_membarrier, 1 << 9 /* GET_REGISTRATIONS */, 0, 0) &
	      MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR1) && sigismember(&pend, SIGRTMIN + 1));
	CHECK(!sigismember(&pend, SIGPIPE));
	{
		void *area = (char *)__builtin_thread_pointer() + __rseq_offset;

		CHECK(syscall(SYS_rseq, area, 32, 0, RSEQ_SIG) && errno == EBUSY); /* registered there */
	}
	{
		void *head;
		size_t len;

		CHECK(!syscall(SYS_get_robust_list, 0, &head, &len) && (uintptr_t)head == th.futex_rla && len == 24);
	}
	{
		int *tidp = NULL;

		CHECK(!prctl(PR_GET_TID_ADDRESS, &tidp) && (uintptr_t)tidp == ti.clear_tid_addr);
	}
	getresuid(&r, &e, &s);
	CHECK(r == 0 && e == 1000 && s == 0);
	getresgid(&r, &e, &s);
	CHECK(r == 1000 && e == 1001 && s == 1002);
	CHECK(getgroups(8, g) == 3 && g[0] == 1 && g[2] == 3);
	CHECK(status_hex("CapAmb:") == 1ULL << CAP_NET_RAW);
	CHECK(status_hex("CapInh:") == 1ULL << CAP_NET_RAW);
	CHECK(!(status_hex("CapBnd:") & (1ULL << CAP_SYS_BOOT)));
	CHECK(!(status_hex("CapPrm:") & (1ULL << CAP_MKNOD)) && (status_hex("CapPrm:") & (1ULL << CAP_SYS_ADMIN)));
	CHECK(status_hex("CapEff:") == (th.creds->cap_eff[0] | (uint64_t)th.creds->cap_eff[1] << 32));
	CHECK(prctl(PR_GET_SECUREBITS) == 1 << 4);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	CHECK(prctl(PR_GET_DUMPABLE) == mm.dumpable);
	CHECK(status_dec("Seccomp:") == 2);
	/* the newest filter's errno wins among equals: EAGAIN, loaded after EACCES */
	CHECK(uname(&u) && errno == EAGAIN);
	CHECK(getpgid(0) < 0 && errno == ENOTTY);
}

static int restore_child(void)
{
	sigset_t all;
	size_t size;
	void *area;
	char msg[256];
	int r;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	raise(SIGPIPE); /* as a file being restored might: not the task's */
	r = restore_task_state_early(rcore);
	if (r) {
		printf("FAIL: restore_task_state_early: %d\n", r);
		return 1;
	}
	size = restorer_state_size(&rcore, 1);
	area = calloc(1, size);
	if (!size || !area || restorer_state_prepare(&rcore, 1, &mm, area, size)) {
		printf("FAIL: restorer_state_prepare\n");
		return 1;
	}
	r = rst_apply_task_state(area);
	if (!r)
		r = rst_apply_seccomp(area, 0);
	if (r) {
		printf("FAIL: restorer: %s\n", restorer_state_error(area, msg, sizeof(msg)));
		return 1;
	}
	check_restored();
	return unit_failures;
}

/* Restores the core in strict mode: getppid() must kill it. */
static int strict_child(void)
{
	sigset_t all;
	size_t size;
	void *area;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	size = restorer_state_size(&rcore, 1);
	area = calloc(1, size);
	if (restore_task_state_early(rcore) || !area || restorer_state_prepare(&rcore, 1, &mm, area, size) ||
	    rst_apply_task_state(area) || rst_apply_seccomp(area, 0))
		return 3;
	syscall(SYS_getppid);
	syscall(SYS_exit, 4); /* allowed in strict mode, unlike exit_group() */
	return 4;
}

static void check_restore_limits(void);

static void test_dump_and_restore(void)
{
	char tmpl[] = "/tmp/task-state-unit.XXXXXX";
	struct img_dir *dir = NULL;
	struct arena a = { 0 };
	int status, r;
	pid_t pid;

	if (getuid() != 0) {
		printf("SKIP: test_dump_and_restore: needs root\n");
		return;
	}
	CHECK(mkdtemp(tmpl) != NULL);
	CHECK(img_dir_open(tmpl, IMG_DIR_CREATE, &dir) == 0);
	if (!dir)
		return;
	r = dump_victim(&a, dir);
	CHECK(r == 0);
	if (victim_pid > 0) {
		kill(victim_pid, SIGKILL);
		waitpid(victim_pid, NULL, 0);
	}
	if (r)
		goto out;
	check_dumped();
	rcore = pack_unpack(&core);
	CHECK(rcore != NULL);
	CHECK(task_state_collect(dir) == 0);
	if (!rcore)
		goto out;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		r = restore_child();
		fflush(stdout);
		_exit(r);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* strict mode: once restored, any syscall but read/write/exit/sigreturn kills */
	rcore->thread_core->seccomp_mode = SECCOMP_MODE__strict;
	rcore->thread_core->has_seccomp_filter = false;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(strict_child());
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	check_restore_limits();
	img_msg_free(rcore);
out:
	arena_free(&a);
	img_dir_close(dir);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
		if (system(cmd))
			printf("warning: could not remove %s\n", tmpl);
	}
}

static void test_parse_timers(void)
{
	struct proc_timer *t = NULL;
	unsigned int n = 99;

	CHECK(ts_parse_proc_timers("", &t, &n) == 0 && n == 0);
	free(t);
	t = NULL;
	CHECK(ts_parse_proc_timers("ID: 100\nsignal: 10/00001234567890ab\nnotify: signal/pid.7495\nClockID: 7\n"
				   "ID: 3\nsignal: 34/0000000000000000\nnotify: signal/tid.7496\nClockID: -6\n"
				   "ID: 4\nsignal: 0/0000000000000000\nnotify: none/pid.7495\nClockID: 1\n",
				   &t, &n) == 0);
	CHECK(n == 3);
	if (n == 3 && t) {
		CHECK(t[0].id == 100 && t[0].signo == 10 && t[0].sival == 0x1234567890abULL && t[0].clock == 7 &&
		      t[0].notify == SIGEV_SIGNAL && t[0].tid == 7495);
		CHECK(t[1].notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID) && t[1].tid == 7496 && t[1].clock == -6);
		CHECK(t[2].notify == SIGEV_NONE);
	}
	free(t);
	t = NULL;
	CHECK(ts_parse_proc_timers("ID: 1\nsignal: 10/0\nnotify: bogus/pid.1\nClockID: 1\n", &t, &n) == -EINVAL);
	CHECK(ts_parse_proc_timers("ID: 1\nsignal: 10/0\n", &t, &n) == -EINVAL);
	CHECK(ts_parse_proc_timers("garbage", &t, &n) == -EINVAL);
}

static void test_sigframe(void)
{
	ThreadSasEntry sas = THREAD_SAS_ENTRY__INIT;
	TaskCoreEntry t = TASK_CORE_ENTRY__INIT;
	ThreadCoreEntry h = THREAD_CORE_ENTRY__INIT;
	CoreEntry c = CORE_ENTRY__INIT;
	uint64_t mask;
	stack_t ss;

	c.tc = &t;
	c.thread_core = &h;
	t.blk_sigset = ~0ULL;
	task_state_sigframe(&c, true, &mask, &ss);
	CHECK(mask == ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1))));
	CHECK(ss.ss_flags == SS_DISABLE);
	h.sas = &sas;
	sas.ss_sp = 0x1000;
	sas.ss_size = 8192;
	sas.ss_flags = SS_ONSTACK;
	h.has_blk_sigset = true;
	h.blk_sigset = 2;
	task_state_sigframe(&c, false, &mask, &ss);
	CHECK(mask == 2 && ss.ss_sp == (void *)0x1000 && ss.ss_size == 8192 && ss.ss_flags == 0);
}

/* A damaged block is refused by the restorer code, with the step noted. */
static void test_bad_area(void)
{
	struct rst_task_state ts = { 0 };
	char msg[128];

	CHECK(rst_apply_task_state(&ts) == -22 && ts.err_step == RST_STEP_BAD_AREA);
	CHECK(strstr(restorer_state_error(&ts, msg, sizeof(msg)), "damaged") != NULL);
	ts.magic = RST_STATE_MAGIC;
	ts.version = RST_STATE_VERSION;
	ts.nr_threads = 1;
	CHECK(rst_apply_seccomp(&ts, 1) == -22);
}

/* ------------------------------------------------------------ refusals */

struct k_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

/* A victim with state the dump must refuse: @kind 0 seccomp filters it
 * could not load again, 1 SCHED_DEADLINE. */
static void refused_victim(int kind, int ready)
{
	char c = 'R';

	if (kind == 0) {
		struct __user_cap_header_struct ch = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct cd[2];

		/* loaded with CAP_SYS_ADMIN and no no_new_privs, which then goes */
		if (install_filter(__NR_uname, EACCES) || syscall(SYS_capget, &ch, cd))
			c = 'E';
		cd[0].effective &= ~(1u << CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &ch, cd))
			c = 'E';
	} else {
		struct k_sched_attr a = { .size = sizeof(a),
					  .policy = 6 /* SCHED_DEADLINE */,
					  .runtime = 1000000,
					  .deadline = 10000000,
					  .period = 10000000 };

		if (syscall(SYS_sched_setattr, 0, &a, 0))
			c = 'S';
	}
	if (write(ready, &c, 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

/* Dump refuses, and the victim goes on as it was. */
static void check_refused(int kind)
{
	struct parasite_ctl *ctl = NULL;
	struct parasite_task_state ps = { 0 };
	CoreEntry c = CORE_ENTRY__INIT;
	TaskCoreEntry t = TASK_CORE_ENTRY__INIT;
	ThreadCoreEntry h = THREAD_CORE_ENTRY__INIT;
	struct arena a = { 0 };
	int p[2];
	char r = 0;
	pid_t pid;

	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		refused_victim(kind, p[1]);
	}
	close(p[1]);
	if (read(p[0], &r, 1) != 1)
		r = 0;
	close(p[0]);
	if (r == 'S') {
		printf("SKIP: check_refused: SCHED_DEADLINE is not allowed here\n");
	} else if (r != 'R') {
		CHECK(!"the refused victim could not set itself up");
	} else if (compel_seize(pid, 0, &ctl) == 0) {
		c.tc = &t;
		c.thread_core = &h;
		ps.securebits = 0;
		CHECK(dump_task_state(ctl, &ps, &a, &c) == -EOPNOTSUPP);
		CHECK(compel_release(ctl) == 0);
		CHECK(kill(pid, 0) == 0);
	} else {
		CHECK(!"can't seize the refused victim");
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	arena_free(&a);
}

static void test_dump_refusals(void)
{
	if (getuid() != 0) {
		printf("SKIP: test_dump_refusals: needs root\n");
		return;
	}
	check_refused(0);
	check_refused(1);
}

/* Restore: capabilities criu lacks are refused; hard limits above criu's are clamped. */
static void check_restore_limits(void)
{
	TaskRlimitsEntry *rl = rcore->tc->rlimits;
	CredsEntry *cr = rcore->thread_core->creds;
	uint32_t prm0 = cr->cap_prm[0];
	uint64_t max = rl->rlimits[RLIMIT_NOFILE]->max, cur = rl->rlimits[RLIMIT_NOFILE]->cur;
	size_t size = restorer_state_size(&rcore, 1);
	struct rst_task_state *ts = calloc(1, size);
	struct rlimit own;

	if (!ts)
		return;
	cr->cap_prm[0] |= 1u << CAP_SYS_RESOURCE; /* not in this machine's bounding set */
	if (!(status_hex("CapBnd:") & (1ULL << CAP_SYS_RESOURCE)))
		CHECK(restorer_state_prepare(&rcore, 1, &mm, ts, size) == -EPERM);
	cr->cap_prm[0] = prm0;

	getrlimit(RLIMIT_NOFILE, &own);
	rl->rlimits[RLIMIT_NOFILE]->max = RLIM_INFINITY;
	rl->rlimits[RLIMIT_NOFILE]->cur = RLIM_INFINITY;
	CHECK(restorer_state_prepare(&rcore, 1, &mm, ts, size) == 0);
	if (own.rlim_max != RLIM_INFINITY)
		CHECK(ts->rlimits[RLIMIT_NOFILE].max == own.rlim_max && ts->rlimits[RLIMIT_NOFILE].cur == own.rlim_max);
	CHECK(restorer_state_prepare(&rcore, 1, &mm, ts, size - 8) == -ENOSPC);
	rl->rlimits[RLIMIT_NOFILE]->max = max;
	rl->rlimits[RLIMIT_NOFILE]->cur = cur;
	free(ts);
}

/* The by-name access used for fields a newer schema may have. */
static void test_pb_fields(void)
{
	RseqEntry e = RSEQ_ENTRY__INIT;
	uint64_t v = 0;

	CHECK(!ts_pb_get_u64(&e, "rseq_cs_pointer", &v)); /* not set */
	CHECK(ts_pb_set_u64(&e, "rseq_cs_pointer", 42) && e.has_rseq_cs_pointer && e.rseq_cs_pointer == 42);
	CHECK(ts_pb_get_u64(&e, "rseq_cs_pointer", &v) && v == 42);
	CHECK(!ts_pb_set_u64(&e, "no_such_field", 1));
	CHECK(!ts_pb_set_u64(&e, "rseq_abi_pointer", 1)); /* required, not optional */
	CHECK(!ts_pb_set_u64(&e, "signature", 1));	  /* uint32 */
}

int main(void)
{
	if (log_init(NULL))
		return 1;
	log_set_loglevel(LOG_WARN);
	compel_log_init(NULL, COMPEL_LOG_WARN);
	RUN(test_parse_timers);
	RUN(test_sigframe);
	RUN(test_bad_area);
	RUN(test_pb_fields);
	RUN(test_dump_and_restore);
	RUN(test_dump_refusals);
	return unit_done();
}
