/* epoll: targets of several kinds (eventfd, timerfd, signalfd, inotify,
 * pidfd, a nested epoll, a pipe filled from a memfd), each with its events and data; a target whose
 * fd was closed after registering while its file lives on at another fd
 * (reported once, one-shot); registrations kept under the right fd numbers
 * (EPOLL_CTL_MOD works). */
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "crtest.h"

static void add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		crtest_fail("epoll_ctl(ADD, %d): %m", fd);
}

/* Bit i set for each data value 0x100 * (i + 1) epoll_wait returns. */
static unsigned int ready(int ep, int timeout)
{
	struct epoll_event ev[32];
	unsigned int seen = 0;
	int n = epoll_wait(ep, ev, 32, timeout);

	for (int i = 0; i < n; i++) {
		uint64_t d = ev[i].data.u64;

		if (d % 0x100 || d < 0x100 || d > 0x1000)
			crtest_fail("unknown data %#llx", (unsigned long long)d);
		seen |= 1u << (d / 0x100 - 1);
	}
	return seen;
}

static int count_tfd(int ep)
{
	char path[64], buf[4096], *p = buf;
	int f, n, c = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	f = open(path, O_RDONLY);
	n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
	if (f >= 0)
		close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	while ((p = strstr(p, "tfd:"))) {
		c++;
		p += 4;
	}
	return c;
}

int main(int argc, char **argv)
{
	struct itimerspec soon = { .it_value = { 0, 2000000 } };
	struct epoll_event ev;
	uint64_t one = 1;
	sigset_t set;
	int ep, inner, efd, efd2, tfd, sfd, ifd, pfd, moved, tmp, mfd, pp[2];
	char msg[] = "from a memfd", buf[32];
	loff_t off = 0;
	unsigned int want, got;

	crtest_init(argc, argv);
	ep = epoll_create1(EPOLL_CLOEXEC);
	inner = epoll_create1(0);
	efd = eventfd(1, EFD_NONBLOCK);
	efd2 = eventfd(0, EFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_NONBLOCK);
	ifd = inotify_init1(IN_NONBLOCK);
	pfd = syscall(SYS_pidfd_open, getpid(), 0);
	tmp = eventfd(1, EFD_NONBLOCK);
	if (ep < 0 || inner < 0 || efd < 0 || efd2 < 0 || tfd < 0 || sfd < 0 || ifd < 0 || pfd < 0 || tmp < 0)
		crtest_fail("setup: %m");
	raise(SIGUSR1);
	add(inner, efd, EPOLLIN, 42);
	add(ep, efd, EPOLLIN, 0x100);		     /* readable */
	add(ep, tfd, EPOLLIN, 0x200);		     /* not yet */
	add(ep, sfd, EPOLLIN, 0x300);		     /* SIGUSR1 pending */
	add(ep, inner, EPOLLIN, 0x400);		     /* readable */
	add(ep, pfd, EPOLLIN, 0x500);		     /* alive: not readable */
	add(ep, ifd, EPOLLIN, 0x600);		     /* no events */
	add(ep, efd2, EPOLLOUT | EPOLLET, 0x700);    /* writable */
	add(ep, tmp, EPOLLIN | EPOLLONESHOT, 0x800); /* readable, then moved */
	/* A pipe filled from a memfd by splice(), its read end watched. */
	mfd = memfd_create("ev-epoll", 0);
	if (mfd < 0 || write(mfd, msg, sizeof(msg)) != sizeof(msg) || pipe(pp) ||
	    splice(mfd, &off, pp[1], NULL, sizeof(msg), 0) != sizeof(msg))
		crtest_fail("memfd to pipe: %m");
	add(ep, pp[0], EPOLLIN, 0xa00);
	moved = dup2(tmp, 30);
	close(tmp);
	want = 1u << 0 | 1u << 2 | 1u << 3 | 1u << 6 | 1u << 7 | 1u << 9;

	crtest_ready();
	crtest_wait();

	if (count_tfd(ep) != 9)
		crtest_fail("%d targets, want 9", count_tfd(ep));
	got = ready(ep, 0);
	if (got != want)
		crtest_fail("ready targets %#x, want %#x", got, want);
	/* One-shot: disarmed now; edge-triggered: no new edge. */
	got = ready(ep, 0);
	if (got != (want & ~(1u << 7 | 1u << 6)))
		crtest_fail("second wait: %#x, want %#x", got, want & ~(1u << 7 | 1u << 6));
	if (timerfd_settime(tfd, 0, &soon, NULL))
		crtest_fail("timerfd_settime: %m");
	usleep(20000);
	if (!(ready(ep, 0) & 1u << 1))
		crtest_fail("timerfd expiry not reported");
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0x900 };
	if (epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) || !(ready(ep, 0) & 1u << 8))
		crtest_fail("EPOLL_CTL_MOD on fd %d: %m", efd);
	if (fcntl(moved, F_GETFD) < 0)
		crtest_fail("fd %d is gone", moved);
	if (read(pp[0], buf, sizeof(buf)) != sizeof(msg) || memcmp(buf, msg, sizeof(msg)))
		crtest_fail("the pipe lost what the memfd put in it");
	if (write(efd2, &one, sizeof(one)) != sizeof(one))
		crtest_fail("write: %m");
	crtest_pass();
}
