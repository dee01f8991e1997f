/* pidfd: one of the task itself (non-blocking, also at a second fd that
 * shares it) that sends it a signal and polls as alive, one of its thread
 * (PIDFD_THREAD), and one of a child
 * that exited and was reaped, which polls readable and whose signals
 * fail with ESRCH. */
#include <linux/kcmp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "crtest.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static volatile int got;

static void on_usr1(int s)
{
	(void)s;
	got++;
}

static int pid_shown(int fd)
{
	char path[64], buf[512], *p;
	int f, n, v = -2;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
	if (f >= 0)
		close(f);
	if (n <= 0)
		return -2;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:");
	if (p)
		sscanf(p, "\nPid: %d", &v);
	return v;
}

int main(int argc, char **argv)
{
	struct pollfd p;
	pid_t child;
	int self, twin, dead, thread;

	crtest_init(argc, argv);
	signal(SIGUSR1, on_usr1);
	self = syscall(SYS_pidfd_open, getpid(), PIDFD_NONBLOCK);
	if (self < 0)
		crtest_fail("pidfd_open: %m");
	twin = dup2(self, 17);
	thread = syscall(SYS_pidfd_open, getpid(), PIDFD_THREAD);
	if (thread < 0)
		crtest_fail("pidfd_open(PIDFD_THREAD): %m");
	child = fork();
	if (child == 0)
		_exit(3);
	dead = syscall(SYS_pidfd_open, child, 0);
	if (dead < 0)
		crtest_fail("pidfd_open(child): %m");
	waitpid(child, NULL, 0);

	crtest_ready();
	crtest_wait();

	if (pid_shown(self) != getpid() || pid_shown(dead) != -1)
		crtest_fail("fdinfo shows pid %d and %d, want %d and -1", pid_shown(self), pid_shown(dead), getpid());
	if (syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, self, twin) != 0)
		crtest_fail("fd %d and fd %d no longer share one pidfd", self, twin);
	if (!(fcntl(self, F_GETFL) & O_NONBLOCK))
		crtest_fail("the pidfd lost PIDFD_NONBLOCK");
	if (!(fcntl(thread, F_GETFL) & PIDFD_THREAD) || pid_shown(thread) != getpid())
		crtest_fail("the thread pidfd: flags %#o, pid %d", fcntl(thread, F_GETFL), pid_shown(thread));
	if (syscall(SYS_pidfd_send_signal, twin, SIGUSR1, NULL, 0) || got != 1)
		crtest_fail("pidfd_send_signal to itself: %m (handler ran %d times)", got);
	p = (struct pollfd){ .fd = self, .events = POLLIN };
	if (poll(&p, 1, 0) != 0)
		crtest_fail("the pidfd of a live process polls ready (%#x)", p.revents);
	p = (struct pollfd){ .fd = dead, .events = POLLIN };
	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
		crtest_fail("the pidfd of a gone process does not poll readable");
	if (syscall(SYS_pidfd_send_signal, dead, 0, NULL, 0) == 0 || errno != ESRCH)
		crtest_fail("signal to a gone process: %m, want ESRCH");
	crtest_pass();
}
