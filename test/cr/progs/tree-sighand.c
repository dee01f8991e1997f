/*
 * A child made with clone(CLONE_VM|CLONE_SIGHAND|CLONE_FILES|CLONE_FS),
 * LinuxThreads style: a process of its own sharing the root's memory and
 * signal handlers.  After restore: kcmp still says so; a handler the child
 * installs is the root's and the other way round (and runs in the child
 * when raised there); what one writes the other reads, the pages written
 * before the dump included; the child keeps its pid, parent, group and
 * session; the root reaps its exit status.
 *
 * A second child, clone(CLONE_VM|CLONE_SIGHAND): its own copies of the fd
 * table and fs info.  After restore it shares memory and handlers, not the
 * fd table, holds no fd of criu's, keeps its ids, and is reaped.
 *
 * The children share the root's TLS too (no CLONE_SETTLS): they keep to
 * raw syscalls and report through shared words, never stdio.
 */
#include <linux/kcmp.h>
#include <sched.h>
#include <sys/syscall.h>

#include "tree-lib.h"

#define CHILD_EXIT 42
#define BUF_LEN	   (64 << 10)

static unsigned char buf[BUF_LEN]; /* filled by the child before the dump */
static volatile int child_pid, child_ppid, child_pgid, child_sid;
static volatile int child_installed, root_installed, root_wrote, child_wrote;
static volatile int usr2_in; /* pid the SIGUSR2 handler ran in */
static volatile const char *child_bad;
static volatile int copy_pid, copy_ok;
static volatile const char *copy_bad;

static void on_usr1(int sig)
{
	(void)sig;
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2_in = (int)syscall(SYS_getpid);
}

static void sleep_a_bit(void)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	syscall(SYS_nanosleep, &ts, NULL);
}

static int child(void *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	pid_t parent = (pid_t)(long)arg;
	sigset_t usr2;

	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (syscall(SYS_getppid) != parent)
		return 1;
	child_pid = (int)syscall(SYS_getpid);
	child_ppid = parent;
	child_pgid = (int)syscall(SYS_getpgid, 0);
	child_sid = (int)syscall(SYS_getsid, 0);
	for (int i = 0; i < BUF_LEN; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	tree_set_up();
	while (!crtest_stop) /* the root's SIGTERM handler sets it: one memory */
		sleep_a_bit();

	if (syscall(SYS_getpid) != child_pid)
		child_bad = "the child's pid changed";
	else if (syscall(SYS_getppid) != child_ppid)
		child_bad = "the child's parent changed";
	else if (syscall(SYS_getpgid, 0) != child_pgid || syscall(SYS_getsid, 0) != child_sid)
		child_bad = "the child's group or session changed";
	if (child_bad)
		return 1;
	/* A handler of ours is the root's. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return child_bad = "the child's sigaction failed", 1;
	child_installed = 1;
	for (int i = 0; i < 2000 && !root_installed; i++)
		sleep_a_bit();
	if (!root_installed)
		return child_bad = "the root did not install its handler", 1;
	/* The root's handler is ours, and runs here. */
	if (sigaction(SIGUSR2, NULL, &old) || old.sa_handler != on_usr2)
		return child_bad = "the child does not see the root's SIGUSR2 handler", 1;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &usr2, NULL, 8);
	syscall(SYS_kill, child_pid, SIGUSR2);
	if (usr2_in != child_pid)
		return child_bad = "the root's SIGUSR2 handler did not run in the child", 1;
	if (root_wrote != 0x5eed)
		return child_bad = "the child does not see what the root wrote", 1;
	child_wrote = 0xc0de;
	return CHILD_EXIT;
}

/* The child with copies of the fd table and fs info. */
static int copy_child(void *arg)
{
	pid_t parent = (pid_t)(long)arg;
	long pgid, sid;

	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (syscall(SYS_getppid) != parent)
		return 1;
	copy_pid = (int)syscall(SYS_getpid);
	pgid = syscall(SYS_getpgid, 0);
	sid = syscall(SYS_getsid, 0);
	tree_set_up();
	while (!crtest_stop)
		sleep_a_bit();
	if (syscall(SYS_getpid) != copy_pid || syscall(SYS_getppid) != parent)
		return copy_bad = "the second child's pid or parent changed", 1;
	if (syscall(SYS_getpgid, 0) != pgid || syscall(SYS_getsid, 0) != sid)
		return copy_bad = "the second child's group or session changed", 1;
	if (syscall(SYS_kcmp, copy_pid, parent, KCMP_VM, 0, 0) != 0 ||
	    syscall(SYS_kcmp, copy_pid, parent, KCMP_SIGHAND, 0, 0) != 0)
		return copy_bad = "the second child does not share the root's memory and handlers", 1;
	if (syscall(SYS_kcmp, copy_pid, parent, KCMP_FILES, 0, 0) == 0)
		return copy_bad = "the second child shares the root's fd table", 1;
	if (syscall(SYS_fcntl, 1, F_GETFD) < 0)
		return copy_bad = "the second child has no stdout", 1;
	for (int fd = 3; fd < 64; fd++)
		if (syscall(SYS_fcntl, fd, F_GETFD) >= 0)
			return copy_bad = "the second child holds an fd above 2", 1;
	copy_ok = 1;
	return CHILD_EXIT + 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr2 }, old;
	size_t len = 256 << 10;
	char *stack, *stack2;
	pid_t pid, pid2;
	int st;

	tree_init(argc, argv);
	tree_remember();
	stack = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack2 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED || stack2 == MAP_FAILED)
		crtest_fail("mmap: %s", strerror(errno));
	pid = clone(child, stack + len, CLONE_VM | CLONE_SIGHAND | CLONE_FILES | CLONE_FS | SIGCHLD,
		    (void *)(long)getpid());
	if (pid < 0)
		crtest_fail("clone: %s", strerror(errno));
	pid2 = clone(copy_child, stack2 + len, CLONE_VM | CLONE_SIGHAND | SIGCHLD, (void *)(long)getpid());
	if (pid2 < 0)
		crtest_fail("clone: %s", strerror(errno));
	tree_ready(2);
	crtest_wait();

	tree_check_ids();
	if (child_pid != pid)
		tree_bad("the child says it is %d, clone() said %d", child_pid, (int)pid);
	if (syscall(SYS_kcmp, getpid(), pid, KCMP_VM, 0, 0) != 0)
		tree_bad("kcmp: the child's memory is not ours");
	if (syscall(SYS_kcmp, getpid(), pid, KCMP_SIGHAND, 0, 0) != 0)
		tree_bad("kcmp: the child's signal handlers are not ours");
	if (syscall(SYS_kcmp, getpid(), pid, KCMP_FILES, 0, 0) != 0)
		tree_bad("kcmp: the child's fd table is not ours");
	for (int i = 0; i < BUF_LEN; i++)
		if (buf[i] != (unsigned char)(i * 7 + 3)) {
			tree_bad("byte %d the child wrote before the dump is %#x", i, buf[i]);
			break;
		}
	for (int i = 0; i < 2000 && !child_installed && !child_bad; i++)
		usleep(5000);
	if (!child_installed) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		crtest_fail("the child did not install its handler: %s", child_bad ? child_bad : "(silent)");
	}
	if (sigaction(SIGUSR1, NULL, &old) || old.sa_handler != on_usr1)
		tree_bad("the root does not see the child's SIGUSR1 handler");
	root_wrote = 0x5eed;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR2, &sa, NULL))
		tree_bad("sigaction: %s", strerror(errno));
	root_installed = 1;
	if (waitpid(pid, &st, 0) != pid)
		crtest_fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != CHILD_EXIT)
		tree_bad("the child ended with status %#x: %s", st, child_bad ? child_bad : "(no reason)");
	else if (child_wrote != 0xc0de)
		tree_bad("the root does not see what the child wrote");
	if (waitpid(pid2, &st, 0) != pid2)
		crtest_fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != CHILD_EXIT + 1 || !copy_ok)
		tree_bad("the second child ended with status %#x: %s", st, copy_bad ? copy_bad : "(no reason)");
	if (copy_pid != pid2)
		tree_bad("the second child says it is %d, clone() said %d", copy_pid, (int)pid2);
	if (tree_me.bad)
		crtest_fail("%d problems", tree_me.bad);
	crtest_pass();
}
