/*
 * Event descriptors and locks in a tree of two (--file-locks): the root
 * holds a pidfd of its child and the child one of the root; an epoll both
 * hold (inherited) watches an eventfd, a pipe and a socketpair end, each
 * with its data (the child has another eventfd at the first one's number:
 * it must not be registered too); a flock taken by the root before the fork (so one lock on
 * a description both hold) and a POSIX lock of the child are held after
 * restore, as a helper process finds.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "tree-lib.h"

static char dir[64];
static int ep, efd, lfd, pfd_parent;
static volatile unsigned int *child_locked;

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0] && system(cmd))
		return;
}

static int open_in(const char *name)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return open(p, O_RDWR | O_CREAT, 0600);
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

static void child_setup(void *arg)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	int fd = open_in("posix");

	(void)arg;
	if (fd < 0 || fcntl(fd, F_SETLK, &fl))
		tree_bad("POSIX lock: %s", strerror(errno));
	/* Another file at the number of an epoll target, in this task only. */
	int other = eventfd(1, 0);

	if (other < 0 || dup2(other, efd) != efd)
		tree_bad("eventfd at fd %d: %s", efd, strerror(errno));
	close(other);
	pfd_parent = syscall(SYS_pidfd_open, getppid(), 0);
	if (pfd_parent < 0)
		tree_bad("pidfd_open(parent): %s", strerror(errno));
	*child_locked = 1;
}

static void child_check(void *arg)
{
	(void)arg;
	if (pid_shown(pfd_parent) != getppid())
		tree_bad("its pidfd of the parent shows pid %d, not %d", pid_shown(pfd_parent), (int)getppid());
}

/* In a helper process: 0 if the locks of root and child are held. */
static int helper(pid_t child)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
	int f = open_in("flock"), p = open_in("posix"), bad = 0;

	if (f < 0 || p < 0)
		return 8;
	if (!flock(f, LOCK_SH | LOCK_NB))
		bad |= 1;
	if (fcntl(p, F_GETLK, &fl) || fl.l_type != F_WRLCK || fl.l_pid != child)
		bad |= 2;
	return bad;
}

int main(int argc, char **argv)
{
	struct epoll_event ev[8];
	uint64_t one = 1;
	int pfd_child, pp[2], sp[2], n, seen = 0, st;
	pid_t child, h;

	tree_init(argc, argv);
	tree_remember();
	snprintf(dir, sizeof(dir), "/tmp/ev-tree.XXXXXX");
	if (!mkdtemp(dir))
		crtest_fail("mkdtemp: %m");
	child_locked = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ep = epoll_create1(0);
	efd = eventfd(0, EFD_NONBLOCK);
	lfd = open_in("flock");
	if (ep < 0 || efd < 0 || lfd < 0 || pipe(pp) || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || flock(lfd, LOCK_EX))
		crtest_fail("setup: %m");
	ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 1 };
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev[0]);
	ev[0].data.u64 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &ev[0]);
	ev[0].data.u64 = 4;
	epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev[0]);
	child = tree_fork(child_setup, child_check, NULL);
	pfd_child = syscall(SYS_pidfd_open, child, 0);
	if (pfd_child < 0)
		crtest_fail("pidfd_open(child): %m");
	if (write(efd, &one, sizeof(one)) != sizeof(one) || write(pp[1], "p", 1) != 1 || write(sp[1], "s", 1) != 1)
		crtest_fail("write: %m");
	tree_ready(1);
	if (tree_wait_word(child_locked, 1))
		crtest_fail("the child did not take its lock");

	crtest_wait();

	tree_check_ids();
	n = epoll_wait(ep, ev, 8, 0);
	for (int i = 0; i < n; i++)
		seen |= ev[i].data.u64;
	if (seen != 7 || n != 3)
		tree_bad("epoll reports %d events (%#x), want 3 (0x7: eventfd, pipe, socket)", n, seen);
	if (pid_shown(pfd_child) != child)
		tree_bad("its pidfd of the child shows pid %d, not %d", pid_shown(pfd_child), (int)child);
	if (syscall(SYS_pidfd_send_signal, pfd_child, 0, NULL, 0))
		tree_bad("pidfd_send_signal to the child: %m");
	h = fork();
	if (h == 0)
		_exit(helper(child));
	if (waitpid(h, &st, 0) != h || !WIFEXITED(st) || WEXITSTATUS(st))
		tree_bad("locks not held after restore (helper says %#x)", WEXITSTATUS(st));
	cleanup();
	tree_root_verdict();
}
