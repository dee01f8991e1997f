/*
 * `criu check` probes of what dump and restore do to tasks: ptrace
 * (seize, interrupt, signal queues and masks, registers, seccomp, rseq),
 * queuing signals, creating a task with a chosen pid, setting up an mm,
 * and the /proc files dump reads.
 *
 * Each probe works on a child of its own (a sleeper, see check-util.c, or
 * a probe_run_in_child() function) so that criu itself keeps its state;
 * the child is killed and reaped before the probe returns.
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <elf.h>
#include <time.h>

#define LOG_PREFIX "check: "
#include "check-probes.h"
#include "compat-uapi.h"
#include "log.h"

/* The kernel's sigset for ptrace and rt_sig*: 64 bits on x86_64. */
typedef uint64_t ksigset_t;
#define KSIG(sig) (1ULL << ((sig)-1))

/* ------------------------------------------------------------ ptrace */

int check_ptrace_seize(struct probe *p)
{
	struct sleeper s;
	int r;

	r = sleeper_start(p, &s, NULL, NULL);
	if (r)
		return r;
	r = probe_seize_stop(p, s.pid, 0);
	if (r)
		goto out;
	if (ptrace(PTRACE_DETACH, s.pid, NULL, NULL)) {
		r = probe_perror(p, "PTRACE_DETACH of %d", (int)s.pid);
		goto out;
	}
	/* Detached, the child must carry on with its interrupted read(). */
	r = sleeper_ping(p, &s);
	if (!r)
		pr_info("ptrace: seized, interrupted and released child %d\n", (int)s.pid);
out:
	sleeper_stop(&s);
	return r;
}

#define SIGINFO_PRIVATE_VAL 0x5eed
#define SIGINFO_SHARED_VAL  0x5ead

/* Leave one signal on the thread's queue and one on the process's. */
static int queue_two_signals(void *arg)
{
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_value.sival_int = SIGINFO_PRIVATE_VAL;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR1, &si))
		return -errno;

	si.si_signo = SIGUSR2;
	si.si_value.sival_int = SIGINFO_SHARED_VAL;
	if (syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, &si))
		return -errno;
	return 0;
}

static int peek_one(struct probe *p, pid_t pid, unsigned int flags, int signo, int val)
{
	struct __ptrace_peeksiginfo_args args = { .off = 0, .flags = flags, .nr = 4 };
	siginfo_t si[4];
	const char *queue = flags ? "shared" : "private";
	long n;

	memset(si, 0, sizeof(si));
	n = ptrace(PTRACE_PEEKSIGINFO, pid, &args, si);
	if (n < 0)
		return probe_perror(p, "PTRACE_PEEKSIGINFO (%s queue)", queue);
	if (n != 1)
		return probe_fail(p, -EPROTO, "PTRACE_PEEKSIGINFO: %ld signals on the %s queue, 1 expected", n, queue);
	if (si[0].si_signo != signo || si[0].si_value.sival_int != val)
		return probe_fail(p, -EPROTO, "PTRACE_PEEKSIGINFO: %s queue holds signal %d value %#x, %d %#x expected",
				  queue, si[0].si_signo, si[0].si_value.sival_int, signo, val);
	return 0;
}

int check_ptrace_peeksiginfo(struct probe *p)
{
	struct sleeper s;
	int r;

	r = sleeper_start(p, &s, queue_two_signals, NULL);
	if (r)
		return r;
	r = probe_seize_stop(p, s.pid, 0);
	if (!r)
		r = peek_one(p, s.pid, 0, SIGUSR1, SIGINFO_PRIVATE_VAL);
	if (!r)
		r = peek_one(p, s.pid, PTRACE_PEEKSIGINFO_SHARED, SIGUSR2, SIGINFO_SHARED_VAL);
	sleeper_stop(&s);
	return r;
}

static int block_sigusr1(void *arg)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	return sigprocmask(SIG_BLOCK, &set, NULL) ? -errno : 0;
}

int check_ptrace_sigmask(struct probe *p)
{
	ksigset_t mask = 0, want;
	struct sleeper s;
	int r;

	r = sleeper_start(p, &s, block_sigusr1, NULL);
	if (r)
		return r;
	r = probe_seize_stop(p, s.pid, 0);
	if (r)
		goto out;
	if (ptrace(PTRACE_GETSIGMASK, s.pid, sizeof(mask), &mask)) {
		r = probe_perror(p, "PTRACE_GETSIGMASK");
		goto out;
	}
	if (!(mask & KSIG(SIGUSR1))) {
		r = probe_fail(p, -EPROTO, "PTRACE_GETSIGMASK: mask %#llx lacks the blocked SIGUSR1",
			       (unsigned long long)mask);
		goto out;
	}
	want = mask | KSIG(SIGUSR2);
	if (ptrace(PTRACE_SETSIGMASK, s.pid, sizeof(want), &want)) {
		r = probe_perror(p, "PTRACE_SETSIGMASK");
		goto out;
	}
	mask = 0;
	if (ptrace(PTRACE_GETSIGMASK, s.pid, sizeof(mask), &mask)) {
		r = probe_perror(p, "PTRACE_GETSIGMASK");
		goto out;
	}
	if (mask != want)
		r = probe_fail(p, -EPROTO, "PTRACE_SETSIGMASK set %#llx, read back %#llx", (unsigned long long)want,
			       (unsigned long long)mask);
out:
	sleeper_stop(&s);
	return r;
}

#define XSTATE_BUF_SIZE (64 << 10)

int check_ptrace_regs(struct probe *p)
{
	struct user_regs_struct regs;
	struct user_fpregs_struct fpregs;
	_cleanup_free_ void *xsave = NULL;
	struct iovec iov;
	struct sleeper s;
	int r;

	xsave = xzalloc(XSTATE_BUF_SIZE);
	if (!xsave)
		return probe_fail(p, -ENOMEM, "out of memory");
	r = sleeper_start(p, &s, NULL, NULL);
	if (r)
		return r;
	r = probe_seize_stop(p, s.pid, 0);
	if (r)
		goto out;

	iov.iov_base = &regs;
	iov.iov_len = sizeof(regs);
	if (ptrace(PTRACE_GETREGSET, s.pid, NT_PRSTATUS, &iov)) {
		r = probe_perror(p, "PTRACE_GETREGSET(NT_PRSTATUS)");
		goto out;
	}
	iov.iov_base = &fpregs;
	iov.iov_len = sizeof(fpregs);
	if (ptrace(PTRACE_GETREGSET, s.pid, NT_PRFPREG, &iov)) {
		r = probe_perror(p, "PTRACE_GETREGSET(NT_PRFPREG)");
		goto out;
	}
	iov.iov_base = xsave;
	iov.iov_len = XSTATE_BUF_SIZE;
	if (ptrace(PTRACE_GETREGSET, s.pid, NT_X86_XSTATE, &iov)) {
		if (errno == ENODEV) {
			pr_info("ptrace: this CPU has no XSAVE; FPU state comes from NT_PRFPREG\n");
			goto out;
		}
		r = probe_perror(p, "PTRACE_GETREGSET(NT_X86_XSTATE)");
		goto out;
	}
	if (iov.iov_len < 576) {
		r = probe_fail(p, -EPROTO, "NT_X86_XSTATE returned %zu bytes, less than a legacy area and header",
			       iov.iov_len);
		goto out;
	}
	/* Put the same state back: what restore of a thread's FPU does. */
	if (ptrace(PTRACE_SETREGSET, s.pid, NT_X86_XSTATE, &iov)) {
		r = probe_perror(p, "PTRACE_SETREGSET(NT_X86_XSTATE)");
		goto out;
	}
	pr_info("ptrace: general, FPU and %zu bytes of XSAVE registers read and written\n", iov.iov_len);
out:
	sleeper_stop(&s);
	return r;
}

int check_seccomp_suspend(struct probe *p)
{
	struct sleeper s;
	int r;

	r = sleeper_start(p, &s, NULL, NULL);
	if (r)
		return r;
	r = probe_seize_stop(p, s.pid, PTRACE_O_SUSPEND_SECCOMP);
	if (r == -EINVAL)
		probe_fail(p, r, "PTRACE_O_SUSPEND_SECCOMP refused: kernel without CONFIG_CHECKPOINT_RESTORE");
	else if (r == -EPERM)
		probe_fail(p, r, "PTRACE_O_SUSPEND_SECCOMP needs CAP_SYS_ADMIN");
	sleeper_stop(&s);
	return r;
}

/* A filter that refuses kexec_load() and allows everything else. */
static struct sock_filter probe_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kexec_load, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

static int install_filter(void *arg)
{
	struct sock_fprog prog = { .len = ARRAY_SIZE(probe_filter), .filter = probe_filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return -errno;
	return 0;
}

int check_seccomp_filters(struct probe *p)
{
	struct sock_filter got[ARRAY_SIZE(probe_filter) + 1];
	struct sleeper s;
	long n;
	int r;

	r = sleeper_start(p, &s, install_filter, NULL);
	if (r)
		return r;
	r = probe_seize_stop(p, s.pid, 0);
	if (r)
		goto out;
	n = ptrace(PTRACE_SECCOMP_GET_FILTER, s.pid, 0, NULL);
	if (n < 0) {
		r = probe_perror(p, "PTRACE_SECCOMP_GET_FILTER");
		goto out;
	}
	if (n != (long)ARRAY_SIZE(probe_filter)) {
		r = probe_fail(p, -EPROTO, "PTRACE_SECCOMP_GET_FILTER: %ld instructions, %zu installed", n,
			       ARRAY_SIZE(probe_filter));
		goto out;
	}
	memset(got, 0, sizeof(got));
	n = ptrace(PTRACE_SECCOMP_GET_FILTER, s.pid, 0, got);
	if (n != (long)ARRAY_SIZE(probe_filter) || memcmp(got, probe_filter, sizeof(probe_filter)))
		r = probe_fail(p, -EPROTO, "PTRACE_SECCOMP_GET_FILTER did not return the installed program");
out:
	sleeper_stop(&s);
	return r;
}

int check_get_rseq_conf(struct probe *p)
{
	struct __ptrace_rseq_configuration conf;
	struct sleeper s;
	long n;
	int r;

	r = sleeper_start(p, &s, NULL, NULL);
	if (r)
		return r;
	r = probe_seize_stop(p, s.pid, 0);
	if (r)
		goto out;
	memset(&conf, 0, sizeof(conf));
	n = ptrace(PTRACE_GET_RSEQ_CONFIGURATION, s.pid, sizeof(conf), &conf);
	if (n < 0) {
		r = probe_perror(p, "PTRACE_GET_RSEQ_CONFIGURATION");
		goto out;
	}
	if (n < (long)offsetof(struct __ptrace_rseq_configuration, flags)) {
		r = probe_fail(p, -EPROTO, "PTRACE_GET_RSEQ_CONFIGURATION returned %ld bytes", n);
		goto out;
	}
	if (conf.rseq_abi_pointer)
		pr_info("rseq: child registered %u bytes at %#llx, signature %#x\n", conf.rseq_abi_size,
			(unsigned long long)conf.rseq_abi_pointer, conf.signature);
	else
		pr_info("rseq: the C library did not register rseq in this process\n");
out:
	sleeper_stop(&s);
	return r;
}

/* ------------------------------------------------------------ signals, tasks */

#define SIGQUEUE_CODE 1 /* a positive (kernel-like) code: only allowed to oneself */
#define SIGQUEUE_VAL  0xc0de

static int sigqueueinfo_child(struct probe *p, void *arg)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;
	siginfo_t si, got;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return probe_perror(p, "sigprocmask");
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SIGQUEUE_CODE;
	si.si_value.sival_int = SIGQUEUE_VAL;
	if (syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si))
		return probe_perror(p, "rt_sigqueueinfo(si_code=%d) to itself", SIGQUEUE_CODE);
	if (sigtimedwait(&set, &got, &zero) != SIGUSR1)
		return probe_perror(p, "the queued signal did not arrive");
	if (got.si_code != SIGQUEUE_CODE || got.si_value.sival_int != SIGQUEUE_VAL)
		return probe_fail(p, -EPROTO, "signal arrived with code %d value %#x, %d %#x queued", got.si_code,
				  got.si_value.sival_int, SIGQUEUE_CODE, SIGQUEUE_VAL);
	return 0;
}

int check_sigqueueinfo(struct probe *p)
{
	return probe_run_in_child(p, sigqueueinfo_child, NULL);
}

/* A pid that was just in use and is free now: the kernel will not hand it out again soon. */
static pid_t recently_freed_pid(struct probe *p)
{
	int status, r;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return probe_perror(p, "fork");
	if (pid == 0)
		_exit(0);
	r = probe_wait(pid, &status, PROBE_TIMEOUT_MS);
	if (r) {
		probe_reap(pid);
		return probe_fail(p, r, "waiting for child %d", (int)pid);
	}
	return pid;
}

int check_clone3_set_tid(struct probe *p)
{
	int attempt, status, r = 0;

	for (attempt = 0; attempt < 8; attempt++) {
		struct clone_args args;
		pid_t want, got;
		long ret;

		want = recently_freed_pid(p);
		if (want < 0)
			return want;
		memset(&args, 0, sizeof(args));
		args.exit_signal = SIGCHLD;
		args.set_tid = (uint64_t)(uintptr_t)&want;
		args.set_tid_size = 1;
		ret = syscall(__NR_clone3, &args, sizeof(args));
		if (ret == 0)
			syscall(SYS_exit_group, 0); /* the child: leave at once, touching nothing */
		if (ret < 0) {
			if (errno == EEXIST) /* someone took the pid meanwhile: try another */
				continue;
			if (errno == ENOSYS)
				return probe_fail(p, -ENOSYS, "no clone3() syscall");
			if (errno == EPERM)
				return probe_perror(p, "clone3(set_tid=%d) needs CAP_CHECKPOINT_RESTORE", (int)want);
			return probe_perror(p, "clone3(set_tid=%d)", (int)want);
		}
		got = (pid_t)ret;
		r = probe_wait(got, &status, PROBE_TIMEOUT_MS);
		if (r) {
			probe_reap(got);
			return probe_fail(p, r, "waiting for child %d", (int)got);
		}
		if (got != want)
			return probe_fail(p, -EPROTO, "clone3(set_tid=%d) created pid %d", (int)want, (int)got);
		pr_info("clone3: created a child with the chosen pid %d\n", (int)got);
		return 0;
	}
	return probe_fail(p, -EEXIST, "clone3(set_tid): every freed pid tried was taken again at once");
}

/* Fields of /proc/self/stat after "(comm)": field N is tok[N - 3]. */
#define STAT_FIELDS_MIN 50
static int read_stat_fields(struct probe *p, unsigned long long *tok, int max)
{
	char buf[2048], *s, *end;
	ssize_t n;
	int i;

	n = probe_read_file("/proc/self/stat", buf, sizeof(buf));
	if (n < 0)
		return probe_fail(p, (int)n, "reading /proc/self/stat: %s", strerror((int)-n));
	s = strrchr(buf, ')');
	if (!s)
		return probe_fail(p, -EPROTO, "/proc/self/stat has no \"(comm)\"");
	s += 2;
	/* The state letter (field 3) is not a number. */
	tok[0] = (unsigned char)*s;
	s++;
	for (i = 1; i < max; i++) {
		while (*s == ' ')
			s++;
		if (!*s || *s == '\n')
			break;
		tok[i] = strtoull(s, &end, 10);
		if (end == s)
			return probe_fail(p, -EPROTO, "/proc/self/stat: field %d is not a number", i + 3);
		s = end;
	}
	return i;
}

#define STAT(tok, field) ((tok)[(field)-3])

static int mm_map_child(struct probe *p, void *arg)
{
	unsigned long long tok[64];
	struct prctl_mm_map map;
	unsigned int size = 0;
	int n;

	if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, (unsigned long)&size, 0, 0))
		return probe_perror(p, "prctl(PR_SET_MM_MAP_SIZE)");
	if (size != sizeof(map))
		return probe_fail(p, -EPROTO, "the kernel's struct prctl_mm_map has %u bytes, ours %zu", size,
				  sizeof(map));
	n = read_stat_fields(p, tok, ARRAY_SIZE(tok));
	if (n < 0)
		return n;
	if (n < STAT_FIELDS_MIN)
		return probe_fail(p, -EPROTO, "/proc/self/stat has %d fields", n + 2);

	memset(&map, 0, sizeof(map));
	map.start_code = STAT(tok, 26);
	map.end_code = STAT(tok, 27);
	map.start_stack = STAT(tok, 28);
	map.start_data = STAT(tok, 45);
	map.end_data = STAT(tok, 46);
	map.start_brk = STAT(tok, 47);
	map.brk = (uint64_t)syscall(SYS_brk, 0);
	map.arg_start = STAT(tok, 48);
	map.arg_end = STAT(tok, 49);
	map.env_start = STAT(tok, 50);
	map.env_end = STAT(tok, 51);
	map.exe_fd = (uint32_t)-1;
	/* Set the mm's layout to what it is: restore does the same with dumped values. */
	if (prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&map, sizeof(map), 0)) {
		if (errno == EPERM)
			return probe_perror(p, "prctl(PR_SET_MM_MAP) needs CAP_SYS_RESOURCE or a user namespace");
		return probe_perror(p, "prctl(PR_SET_MM_MAP)");
	}
	return 0;
}

int check_prctl_mm_map(struct probe *p)
{
	return probe_run_in_child(p, mm_map_child, NULL);
}

int check_proc_stat(struct probe *p)
{
	unsigned long long tok[64];
	char buf[4096];
	ssize_t len;
	int n;

	n = read_stat_fields(p, tok, ARRAY_SIZE(tok));
	if (n < 0)
		return n;
	if (n < STAT_FIELDS_MIN)
		return probe_fail(p, -EPROTO, "/proc/self/stat has %d fields, at least %d expected", n + 2,
				  STAT_FIELDS_MIN + 2);
	len = probe_read_file("/proc/self/status", buf, sizeof(buf));
	if (len < 0)
		return probe_fail(p, (int)len, "reading /proc/self/status: %s", strerror((int)-len));
	static const char *const fields[] = {
		"\nSigQ:", "\nSigBlk:", "\nSigIgn:", "\nCapBnd:", "\nNSpid:", "\nSeccomp:"
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (!strstr(buf, fields[i]))
			return probe_fail(p, -EPROTO, "/proc/self/status has no %s line", fields[i] + 1);
	return 0;
}

int check_map_files(struct probe *p)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	char line[1024], path[128];
	unsigned long start, end, ino;
	unsigned int maj, min;
	struct stat st;
	int fd, n;

	if (!f)
		return probe_perror(p, "opening /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		int tail = 0;

		n = sscanf(line, "%lx-%lx %*s %*s %x:%x %lu %n", &start, &end, &maj, &min, &ino, &tail);
		if (n == 5 && tail && line[tail] == '/' && ino)
			goto found;
	}
	return probe_fail(p, -ENOENT, "no file mapping of our own in /proc/self/maps");
found:
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", start, end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return probe_perror(p, "opening %s", path);
	n = fstat(fd, &st);
	close(fd);
	if (n)
		return probe_perror(p, "fstat of %s", path);
	if (st.st_ino != ino || major(st.st_dev) != maj || minor(st.st_dev) != min)
		return probe_fail(p, -EPROTO, "%s opens inode %lu on %u:%u, maps says %lu on %u:%u", path,
				  (unsigned long)st.st_ino, major(st.st_dev), minor(st.st_dev), ino, maj, min);
	return 0;
}

static long kcmp(pid_t pid1, pid_t pid2, int type, unsigned long idx1, unsigned long idx2)
{
	return syscall(SYS_kcmp, pid1, pid2, type, idx1, idx2);
}

int check_kcmp(struct probe *p)
{
	pid_t me = getpid();
	int pfd[2], dup_fd, r = 0;
	long same, other, vm;

	if (pipe2(pfd, O_CLOEXEC))
		return probe_perror(p, "pipe");
	dup_fd = fcntl(pfd[0], F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0) {
		r = probe_perror(p, "dup");
		goto out;
	}
	same = kcmp(me, me, KCMP_FILE, pfd[0], dup_fd);
	if (same < 0) {
		r = errno == ENOSYS ? probe_fail(p, -ENOSYS, "no kcmp() syscall (CONFIG_KCMP)")
				    : probe_perror(p, "kcmp(KCMP_FILE)");
		goto out;
	}
	other = kcmp(me, me, KCMP_FILE, pfd[0], pfd[1]);
	vm = kcmp(me, me, KCMP_VM, 0, 0);
	if (same != 0 || other <= 0 || vm != 0)
		r = probe_fail(p, -EPROTO, "kcmp: dup'ed fds compare %ld, the two pipe ends %ld, own mm %ld", same,
			       other, vm);
	close(dup_fd);
out:
	close(pfd[0]);
	close(pfd[1]);
	return r;
}

int check_kcmp_epoll(struct probe *p)
{
	struct kcmp_epoll_slot slot = { 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	pid_t me = getpid();
	int pfd[2], efd, r = 0;
	long ret;

	if (pipe2(pfd, O_CLOEXEC))
		return probe_perror(p, "pipe");
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (efd < 0) {
		r = probe_perror(p, "epoll_create1");
		goto out_pipe;
	}
	if (epoll_ctl(efd, EPOLL_CTL_ADD, pfd[0], &ev)) {
		r = probe_perror(p, "epoll_ctl");
		goto out;
	}
	slot.efd = (uint32_t)efd;
	slot.tfd = (uint32_t)pfd[0];
	slot.toff = 0;
	ret = kcmp(me, me, KCMP_EPOLL_TFD, pfd[0], (unsigned long)&slot);
	if (ret < 0)
		r = probe_perror(p, "kcmp(KCMP_EPOLL_TFD)");
	else if (ret != 0)
		r = probe_fail(p, -EPROTO, "kcmp(KCMP_EPOLL_TFD) says the watched file differs (%ld)", ret);
out:
	close(efd);
out_pipe:
	close(pfd[0]);
	close(pfd[1]);
	return r;
}

int check_pidfd_store(struct probe *p)
{
	struct stat ours, theirs;
	struct sleeper s;
	int pidfd, fd, r;

	r = sleeper_start(p, &s, NULL, NULL);
	if (r)
		return r;
	pidfd = pidfd_open(s.pid, 0);
	if (pidfd < 0) {
		r = probe_perror(p, "pidfd_open(%d)", (int)s.pid);
		goto out;
	}
	fd = pidfd_getfd(pidfd, s.child_ctl, 0);
	if (fd < 0) {
		r = probe_perror(p, "pidfd_getfd(%d, fd %d)", (int)s.pid, s.child_ctl);
		goto out_pidfd;
	}
	if (fstat(fd, &theirs) || fstat(s.ctl, &ours))
		r = probe_perror(p, "fstat");
	else if (theirs.st_ino != ours.st_ino)
		r = probe_fail(p, -EPROTO, "pidfd_getfd returned another file (inode %lu, not %lu)",
			       (unsigned long)theirs.st_ino, (unsigned long)ours.st_ino);
	close(fd);
out_pidfd:
	close(pidfd);
out:
	sleeper_stop(&s);
	return r;
}

/* Set in the child after fork(): only its copy holds the pattern. */
static char pvm_buf[64];

static int fill_pvm_buf(void *arg)
{
	snprintf(pvm_buf, sizeof(pvm_buf), "process_vm_readv probe of %d", (int)getpid());
	return 0;
}

int check_process_vm_readv(struct probe *p)
{
	char got[sizeof(pvm_buf)], want[sizeof(pvm_buf)];
	struct iovec local = { got, sizeof(got) };
	struct iovec remote = { pvm_buf, sizeof(pvm_buf) };
	struct sleeper s;
	ssize_t n;
	int r;

	r = sleeper_start(p, &s, fill_pvm_buf, NULL);
	if (r)
		return r;
	memset(got, 0, sizeof(got));
	memset(want, 0, sizeof(want));
	snprintf(want, sizeof(want), "process_vm_readv probe of %d", (int)s.pid);
	n = process_vm_readv(s.pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		r = probe_perror(p, "process_vm_readv(%d)", (int)s.pid);
	else if (n != (ssize_t)sizeof(got) || memcmp(got, want, sizeof(want)))
		r = probe_fail(p, -EPROTO, "process_vm_readv read %zd bytes that differ from the child's", n);
	sleeper_stop(&s);
	return r;
}

#define LOGINUID_PATH  "/proc/self/loginuid"
#define LOGINUID_UNSET 4294967295UL

static int set_loginuid(struct probe *p, unsigned long v)
{
	char buf[32];
	int r;

	snprintf(buf, sizeof(buf), "%lu", v);
	r = probe_write_file(LOGINUID_PATH, buf);
	if (r == -EPERM)
		return probe_fail(p, r, "writing %lu to %s needs CAP_AUDIT_CONTROL", v, LOGINUID_PATH);
	if (r)
		return probe_fail(p, r, "writing %lu to %s: %s", v, LOGINUID_PATH, strerror(-r));
	r = (int)probe_read_file(LOGINUID_PATH, buf, sizeof(buf));
	if (r < 0)
		return probe_fail(p, r, "reading %s: %s", LOGINUID_PATH, strerror(-r));
	if (strtoul(buf, NULL, 10) != v)
		return probe_fail(p, -EPROTO, "%s reads %s after writing %lu", LOGINUID_PATH, buf, v);
	return 0;
}

/* In a child: its loginuid is its own and dies with it. */
static int loginuid_child(struct probe *p, void *arg)
{
	unsigned long orig, other;
	char buf[32];
	ssize_t n;
	int r;

	n = probe_read_file(LOGINUID_PATH, buf, sizeof(buf));
	if (n == -ENOENT)
		return probe_fail(p, -ENOENT, "no %s: kernel without CONFIG_AUDITSYSCALL", LOGINUID_PATH);
	if (n < 0)
		return probe_fail(p, (int)n, "reading %s: %s", LOGINUID_PATH, strerror((int)-n));
	orig = strtoul(buf, NULL, 10);
	other = orig == LOGINUID_UNSET ? 0 : orig;
	/* What restore does: unset it, set the dumped value; then back. */
	r = set_loginuid(p, LOGINUID_UNSET);
	if (!r)
		r = set_loginuid(p, other);
	if (!r)
		r = set_loginuid(p, LOGINUID_UNSET);
	if (!r)
		r = set_loginuid(p, orig);
	return r;
}

int check_loginuid(struct probe *p)
{
	return probe_run_in_child(p, loginuid_child, NULL);
}

int check_posix_timers(struct probe *p)
{
	struct sigevent sev;
	char buf[8192], want[32];
	int id = -1, r = 0;
	ssize_t n;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_NONE;
	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id))
		return probe_perror(p, "timer_create");
	n = probe_read_file("/proc/self/timers", buf, sizeof(buf));
	if (n == -ENOENT)
		r = probe_fail(p, -ENOENT, "no /proc/self/timers (CONFIG_CHECKPOINT_RESTORE off)");
	else if (n < 0)
		r = probe_fail(p, (int)n, "reading /proc/self/timers: %s", strerror((int)-n));
	else {
		snprintf(want, sizeof(want), "ID: %d\n", id);
		if (!strstr(buf, want) || !strstr(buf, "ClockID: 1"))
			r = probe_fail(p, -EPROTO, "/proc/self/timers does not show the timer just created (id %d)",
				       id);
	}
	syscall(SYS_timer_delete, id);
	return r;
}
