/*
 * `criu check` probes of file descriptors: what /proc/PID/fdinfo tells
 * about each kind of file (dump reads it instead of asking the task), file
 * owners, locks, pseudo-terminal locking, timerfd ticks, openat2 and
 * io_uring.  Everything runs in criu itself and is closed before return.
 */
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <termios.h>

#define LOG_PREFIX "check: "
#include "check-probes.h"
#include "compat-uapi.h"
#include "log.h"

static int read_fdinfo(struct probe *p, int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	n = probe_read_file(path, buf, len);
	if (n < 0)
		return probe_fail(p, (int)n, "reading %s: %s", path, strerror((int)-n));
	return 0;
}

/* The text after "@key" in an fdinfo buffer, or NULL. */
static const char *fdinfo_field(const char *buf, const char *key)
{
	const char *s = strstr(buf, key);

	return s ? s + strlen(key) : NULL;
}

static int fdinfo_eventfd(struct probe *p)
{
	char buf[1024];
	const char *v;
	int fd, r;

	fd = eventfd(13, EFD_CLOEXEC);
	if (fd < 0)
		return probe_perror(p, "eventfd");
	r = read_fdinfo(p, fd, buf, sizeof(buf));
	close(fd);
	if (r)
		return r;
	v = fdinfo_field(buf, "eventfd-count:");
	if (!v || strtoull(v, NULL, 16) != 13)
		return probe_fail(p, -EPROTO, "eventfd fdinfo lacks the counter (eventfd-count: 13 expected)");
	return 0;
}

static int fdinfo_epoll(struct probe *p)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x5eed };
	int pfd[2], efd, r;
	char buf[1024];
	const char *v;

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
	r = read_fdinfo(p, efd, buf, sizeof(buf));
	if (r)
		goto out;
	v = fdinfo_field(buf, "tfd:");
	if (!v || atoi(v) != pfd[0] || !strstr(v, "data:") || !strstr(v, "5eed"))
		r = probe_fail(p, -EPROTO, "epoll fdinfo does not describe the watched fd %d", pfd[0]);
out:
	close(efd);
out_pipe:
	close(pfd[0]);
	close(pfd[1]);
	return r;
}

static int fdinfo_signalfd(struct probe *p)
{
	char buf[1024];
	const char *v;
	sigset_t set;
	int fd, r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0)
		return probe_perror(p, "signalfd");
	r = read_fdinfo(p, fd, buf, sizeof(buf));
	close(fd);
	if (r)
		return r;
	v = fdinfo_field(buf, "sigmask:");
	if (!v || strtoull(v, NULL, 16) != 1ULL << (SIGUSR1 - 1))
		return probe_fail(p, -EPROTO, "signalfd fdinfo lacks the mask (sigmask: SIGUSR1 expected)");
	return 0;
}

static int fdinfo_inotify(struct probe *p)
{
	char buf[2048];
	const char *v;
	int fd, wd, r;

	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0)
		return probe_perror(p, "inotify_init1");
	wd = inotify_add_watch(fd, "/", IN_CREATE | IN_DELETE);
	if (wd < 0) {
		r = probe_perror(p, "inotify_add_watch(/)");
		goto out;
	}
	r = read_fdinfo(p, fd, buf, sizeof(buf));
	if (r)
		goto out;
	v = fdinfo_field(buf, "inotify wd:");
	if (!v || atoi(v) != wd || !strstr(v, "ino:") || !strstr(v, "mask:"))
		r = probe_fail(p, -EPROTO, "inotify fdinfo does not describe watch %d", wd);
	else if (!strstr(v, "f_handle:"))
		pr_info("fdinfo: inotify watches on / show no file handle (its fs cannot export them)\n");
out:
	close(fd);
	return r;
}

int check_fdinfo_ext(struct probe *p)
{
	int r;

	r = fdinfo_eventfd(p);
	if (!r)
		r = fdinfo_epoll(p);
	if (!r)
		r = fdinfo_signalfd(p);
	if (!r)
		r = fdinfo_inotify(p);
	return r;
}

int check_fdinfo_lock(struct probe *p)
{
	char buf[1024];
	int fd, r;

	fd = memfd_create("criu-check-lock", MFD_CLOEXEC);
	if (fd < 0)
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return probe_perror(p, "opening a file to lock");
	if (flock(fd, LOCK_SH)) {
		r = probe_perror(p, "flock");
		goto out;
	}
	r = read_fdinfo(p, fd, buf, sizeof(buf));
	if (!r && !(strstr(buf, "lock:") && strstr(buf, "FLOCK")))
		r = probe_fail(p, -EPROTO, "fdinfo of a locked file has no \"lock:\" line");
out:
	close(fd); /* drops the lock */
	return r;
}

int check_mnt_id(struct probe *p)
{
	char buf[512], want[32], *mi;
	const char *v;
	int fd, r, id;

	fd = open("/", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return probe_perror(p, "opening /");
	r = read_fdinfo(p, fd, buf, sizeof(buf));
	close(fd);
	if (r)
		return r;
	v = fdinfo_field(buf, "mnt_id:");
	if (!v)
		return probe_fail(p, -EPROTO, "fdinfo has no mnt_id field");
	id = atoi(v);
	mi = malloc(1 << 20);
	if (!mi)
		return probe_fail(p, -ENOMEM, "out of memory");
	r = (int)probe_read_file("/proc/self/mountinfo", mi + 1, (1 << 20) - 1);
	mi[0] = '\n'; /* every mount line now follows a newline */
	snprintf(want, sizeof(want), "\n%d ", id);
	if (r < 0)
		r = probe_fail(p, r, "reading /proc/self/mountinfo: %s", strerror(-r));
	else if (!strstr(mi, want))
		r = probe_fail(p, -EPROTO, "fdinfo mnt_id %d is not in /proc/self/mountinfo", id);
	else
		r = 0;
	free(mi);
	return r;
}

int check_fown_uids(struct probe *p)
{
	struct f_owner_ex owner;
	uint32_t uids[2] = { 0, 0 };
	int pfd[2], r = 0;

	if (pipe2(pfd, O_CLOEXEC))
		return probe_perror(p, "pipe");
	if (fcntl(pfd[0], F_SETOWN, getpid())) {
		r = probe_perror(p, "F_SETOWN");
		goto out;
	}
	if (fcntl(pfd[0], F_GETOWN_EX, &owner)) {
		r = probe_perror(p, "F_GETOWN_EX");
		goto out;
	}
	if (owner.type != F_OWNER_PID || owner.pid != getpid()) {
		r = probe_fail(p, -EPROTO, "F_GETOWN_EX gives type %d pid %d", owner.type, owner.pid);
		goto out;
	}
	if (fcntl(pfd[0], F_GETOWNER_UIDS, uids)) {
		r = probe_perror(p, "F_GETOWNER_UIDS");
		goto out;
	}
	if (uids[0] != getuid() || uids[1] != geteuid())
		r = probe_fail(p, -EPROTO, "F_GETOWNER_UIDS gives %u/%u, we are %u/%u", uids[0], uids[1], getuid(),
			       geteuid());
out:
	close(pfd[0]);
	close(pfd[1]);
	return r;
}

static int open_pts(int master, int *fd)
{
	char path[64];
	int n;

	if (ioctl(master, TIOCGPTN, &n))
		return -errno;
	snprintf(path, sizeof(path), "/dev/pts/%d", n);
	*fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

int check_tty(struct probe *p)
{
	int master, slave = -1, lock, r;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return probe_perror(p, "opening /dev/ptmx");
	lock = 1;
	if (ioctl(master, TIOCSPTLCK, &lock)) {
		r = probe_perror(p, "TIOCSPTLCK");
		goto out;
	}
	lock = 0;
	if (ioctl(master, TIOCGPTLCK, &lock) || lock != 1) {
		r = probe_fail(p, -EPROTO, "TIOCGPTLCK does not report the lock just taken");
		goto out;
	}
	r = open_pts(master, &slave);
	if (r != -EIO) {
		r = probe_fail(p, -EPROTO, "opening a locked pty gave %s, not EIO", r ? strerror(-r) : "success");
		goto out;
	}
	lock = 0;
	if (ioctl(master, TIOCSPTLCK, &lock)) {
		r = probe_perror(p, "TIOCSPTLCK(0)");
		goto out;
	}
	r = open_pts(master, &slave);
	if (r) {
		r = probe_fail(p, r, "opening an unlocked pty: %s", strerror(-r));
		goto out;
	}
	int pkt = -1, excl = -1;
	if (ioctl(master, TIOCGPKT, &pkt) || ioctl(slave, TIOCGEXCL, &excl))
		r = probe_perror(p, "TIOCGPKT/TIOCGEXCL");
out:
	if (slave >= 0)
		close(slave);
	close(master);
	return r;
}

int check_timerfd(struct probe *p)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1000, 0 } };
	uint64_t ticks = 3, got = 0;
	char buf[1024];
	int fd, r;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return probe_perror(p, "timerfd_create");
	if (timerfd_settime(fd, 0, &its, NULL)) {
		r = probe_perror(p, "timerfd_settime");
		goto out;
	}
	r = read_fdinfo(p, fd, buf, sizeof(buf));
	if (r)
		goto out;
	if (!strstr(buf, "clockid:") || !strstr(buf, "it_value:") || !strstr(buf, "it_interval:")) {
		r = probe_fail(p, -EPROTO, "timerfd fdinfo lacks clockid/it_value/it_interval");
		goto out;
	}
	/* Restore puts back the expirations not yet read. */
	if (ioctl(fd, TFD_IOC_SET_TICKS, &ticks)) {
		r = probe_perror(p, "TFD_IOC_SET_TICKS");
		goto out;
	}
	if (read(fd, &got, sizeof(got)) != sizeof(got) || got != ticks)
		r = probe_fail(p, -EPROTO, "timerfd reads %llu expirations after setting %llu", (unsigned long long)got,
			       (unsigned long long)ticks);
out:
	close(fd);
	return r;
}

static long openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .resolve = resolve };

	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int check_openat2(struct probe *p)
{
	long fd;

	fd = openat2(AT_FDCWD, "/", O_PATH | O_CLOEXEC, RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return errno == ENOSYS ? probe_fail(p, -ENOSYS, "no openat2() syscall") : probe_perror(p, "openat2(/)");
	close((int)fd);
	/* /proc/self/exe is a magic link: RESOLVE_NO_MAGICLINKS must refuse it. */
	fd = openat2(AT_FDCWD, "/proc/self/exe", O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);
	if (fd >= 0) {
		close((int)fd);
		return probe_fail(p, -EPROTO, "openat2(RESOLVE_NO_MAGICLINKS) followed /proc/self/exe");
	}
	if (errno != ELOOP)
		return probe_perror(p, "openat2(/proc/self/exe, RESOLVE_NO_MAGICLINKS)");
	return 0;
}

int check_io_uring(struct probe *p)
{
	struct io_uring_params params;
	char buf[4096];
	int fd, r;

	memset(&params, 0, sizeof(params));
	fd = (int)syscall(__NR_io_uring_setup, 4, &params);
	if (fd < 0) {
		if (errno == ENOSYS)
			return probe_fail(p, -ENOSYS, "no io_uring_setup() (CONFIG_IO_URING off)");
		if (errno == EPERM)
			return probe_fail(p, -EPERM, "io_uring_setup() refused (kernel.io_uring_disabled)");
		return probe_perror(p, "io_uring_setup");
	}
	r = read_fdinfo(p, fd, buf, sizeof(buf));
	if (!r && !strstr(buf, "SqMask:"))
		r = probe_fail(p, -EPROTO, "io_uring fdinfo shows no ring state");
	if (!r)
		pr_info("io_uring: rings of %u/%u entries, features %#x\n", params.sq_entries, params.cq_entries,
			params.features);
	close(fd);
	return r;
}
