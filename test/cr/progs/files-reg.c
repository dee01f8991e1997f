/* Open files survive: regular files read-only, write-only, O_APPEND and
 * O_CLOEXEC, a directory, dup'ed fds sharing one offset, two separate opens
 * of one file, a deleted file still open (a ghost), /dev/null, /dev/zero and
 * /dev/urandom; each at its fd number with its path, flags and offset; a
 * SIGIO owner and signal set with F_SETOWN_EX and F_SETSIG. */
#include <sys/stat.h>
#include "crtest.h"

static char dir[] = "/tmp/crtest-files.XXXXXX";
static char path[8][256];

static const char *p(int i, const char *name)
{
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

static int open_at(int want, const char *file, int flags)
{
	int fd = open(file, flags, 0600);

	if (fd < 0)
		crtest_fail("open %s: %m", file);
	if (fd != want) {
		if (dup3(fd, want, flags & O_CLOEXEC) < 0)
			crtest_fail("dup3: %m");
		close(fd);
	}
	return want;
}

static void expect_link(int fd, const char *want)
{
	char l[64], buf[512];
	ssize_t n;

	snprintf(l, sizeof(l), "/proc/self/fd/%d", fd);
	n = readlink(l, buf, sizeof(buf) - 1);
	if (n < 0)
		crtest_fail("fd %d is not open: %m", fd);
	buf[n] = '\0';
	if (strcmp(buf, want))
		crtest_fail("fd %d is %s, not %s", fd, buf, want);
}

static void expect_pos(int fd, off_t want)
{
	off_t at = lseek(fd, 0, SEEK_CUR);

	if (at != want)
		crtest_fail("fd %d is at %lld, not %lld", fd, (long long)at, (long long)want);
}

static void expect_fl(int fd, int mask, int want, int cloexec)
{
	int fl = fcntl(fd, F_GETFL), fdf = fcntl(fd, F_GETFD);

	if ((fl & mask) != want)
		crtest_fail("fd %d has flags %o, want %o (of %o)", fd, fl & mask, want, mask);
	if (!!(fdf & FD_CLOEXEC) != cloexec)
		crtest_fail("fd %d: close-on-exec is %d", fd, !!(fdf & FD_CLOEXEC));
}

int main(int argc, char **argv)
{
	char buf[64], del[300];
	int fd;

	crtest_init(argc, argv);
	if (!mkdtemp(dir))
		crtest_fail("mkdtemp: %m");
	fd = open(p(0, "ro"), O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "0123456789abcdef", 16) != 16)
		crtest_fail("write ro: %m");
	close(fd);
	mkdir(p(1, "sub"), 0755);

	open_at(10, p(0, "ro"), O_RDONLY);
	if (read(10, buf, 4) != 4)
		crtest_fail("read: %m");
	open_at(11, p(2, "wr"), O_WRONLY | O_CREAT | O_TRUNC);
	if (write(11, "hello", 5) != 5)
		crtest_fail("write: %m");
	dup2(11, 12); /* shares the offset with 11 */
	open_at(13, p(3, "log"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC);
	if (write(13, "line\n", 5) != 5)
		crtest_fail("write log: %m");
	open_at(14, p(1, "sub"), O_RDONLY | O_DIRECTORY);
	open_at(15, p(0, "ro"), O_RDONLY); /* a second open of ro */
	lseek(15, 9, SEEK_SET);
	open_at(16, p(4, "gone"), O_RDWR | O_CREAT | O_TRUNC);
	if (write(16, "deleted but open", 16) != 16)
		crtest_fail("write gone: %m");
	unlink(p(4, "gone"));
	open_at(17, "/dev/null", O_RDWR);
	open_at(18, "/dev/zero", O_RDONLY);
	open_at(19, "/dev/urandom", O_RDONLY);
	dup3(10, 25, O_CLOEXEC); /* same description as 10, close-on-exec fd */
	{
		/* a SIGIO owner and signal on the description of 11 and 12 */
		struct f_owner_ex o = { F_OWNER_PID, getpid() };

		if (fcntl(11, F_SETOWN_EX, &o) || fcntl(11, F_SETSIG, SIGUSR2))
			crtest_fail("F_SETOWN_EX: %m");
	}

	crtest_ready();
	crtest_wait();

	expect_link(10, p(0, "ro"));
	expect_link(15, p(0, "ro"));
	expect_link(25, p(0, "ro"));
	expect_link(11, p(2, "wr"));
	expect_link(12, p(2, "wr"));
	expect_link(13, p(3, "log"));
	expect_link(14, p(1, "sub"));
	snprintf(del, sizeof(del), "%s (deleted)", p(4, "gone"));
	expect_link(16, del);
	expect_link(17, "/dev/null");
	expect_link(18, "/dev/zero");
	expect_link(19, "/dev/urandom");

	expect_fl(10, O_ACCMODE, O_RDONLY, 0);
	expect_fl(11, O_ACCMODE | O_APPEND, O_WRONLY, 0);
	expect_fl(13, O_ACCMODE | O_APPEND, O_WRONLY | O_APPEND, 1);
	expect_fl(16, O_ACCMODE, O_RDWR, 0);
	expect_fl(17, O_ACCMODE, O_RDWR, 0);
	expect_fl(25, O_ACCMODE, O_RDONLY, 1);

	{
		struct f_owner_ex o = { 0, 0 };

		if (fcntl(12, F_GETOWN_EX, &o) || o.type != F_OWNER_PID || o.pid != getpid())
			crtest_fail("fd 12 is owned by %d (type %d), not %d", o.pid, o.type, getpid());
		if (fcntl(12, F_GETSIG) != SIGUSR2)
			crtest_fail("fd 12 signals %d, not SIGUSR2", fcntl(12, F_GETSIG));
	}
	expect_pos(10, 4);
	expect_pos(15, 9);
	expect_pos(11, 5);
	expect_pos(16, 16);
	/* one description behind 10 and 25, and behind 11 and 12 */
	if (read(10, buf, 2) != 2 || memcmp(buf, "45", 2))
		crtest_fail("ro reads %.2s after restore", buf);
	expect_pos(25, 6);
	expect_pos(15, 9);
	if (write(12, "!", 1) != 1)
		crtest_fail("write 12: %m");
	expect_pos(11, 6);
	/* the log still appends, the ghost still holds its data */
	if (write(13, "more\n", 5) != 5 || lseek(13, 0, SEEK_CUR) != 10)
		crtest_fail("log does not append");
	if (pread(16, buf, 16, 0) != 16 || memcmp(buf, "deleted but open", 16))
		crtest_fail("the deleted file lost its data");
	if (access(p(4, "gone"), F_OK) == 0)
		crtest_fail("the deleted file is back in the directory");
	if (read(18, buf, 8) != 8 || buf[0] || buf[7])
		crtest_fail("/dev/zero reads no zeros");
	if (read(19, buf, 8) != 8)
		crtest_fail("/dev/urandom does not read");
	if (write(17, "x", 1) != 1)
		crtest_fail("/dev/null does not write");

	unlink(p(0, "ro"));
	unlink(p(2, "wr"));
	unlink(p(3, "log"));
	rmdir(p(1, "sub"));
	rmdir(dir);
	crtest_pass();
}
