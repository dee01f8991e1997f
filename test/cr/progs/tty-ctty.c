/* A session leader whose controlling terminal is the slave of a pty it
 * holds: after restore the slave is its controlling terminal again, with
 * the session and foreground group it had, and job-control characters
 * typed at the master signal the foreground group.  Canonical mode with
 * echo: a line and a partial one typed before the dump are read after it
 * as two lines once the second is finished, and their echo is there once. */
#include <poll.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <termios.h>
#include "crtest.h"

static volatile sig_atomic_t got_int;

static void on_int(int sig)
{
	(void)sig;
	got_int = 1;
}

static int stat_tty_nr(void)
{
	char buf[1024], *s;
	int fd = open("/proc/self/stat", O_RDONLY), n, tty = -1;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	s = strrchr(buf, ')');
	if (!s || sscanf(s + 1, " %*c %*d %*d %*d %d", &tty) != 1)
		return -1;
	return tty;
}

/* Read @want bytes from @fd within 5 s, then nothing more for 100 ms. */
static int read_exactly(int fd, char *buf, size_t want)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got < want) {
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return -1;
		n = read(fd, buf + got, want - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return poll(&p, 1, 100) == 0 ? 0 : -1;
}

/* One canonical read of @fd within 5 s, NUL-terminated. */
static ssize_t read_line(int fd, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 5000) <= 0)
		return -1;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

int main(int argc, char **argv)
{
	struct stat st;
	int master, slave, tty;
	char buf[64];

	crtest_init(argc, argv);
	signal(SIGINT, on_int);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master))
		crtest_fail("posix_openpt: %m");
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0))
		crtest_fail("making %s the controlling terminal: %m", ptsname(master));
	if (dup2(master, 20) < 0 || dup2(slave, 21) < 0)
		crtest_fail("dup2: %m");
	close(master);
	close(slave);
	master = 20, slave = 21;
	tty = stat_tty_nr();
	if (fstat(slave, &st) || tty != (int)(major(st.st_rdev) << 8 | minor(st.st_rdev)))
		crtest_fail("tty_nr %d before the dump", tty);
	if (write(master, "line1\npar", 9) != 9)
		crtest_fail("write: %m");
	usleep(50000); /* let the line discipline take it in */

	crtest_ready();
	crtest_wait();

	if (fstat(slave, &st))
		crtest_fail("fstat: %m");
	tty = stat_tty_nr();
	if (tty != (int)(major(st.st_rdev) << 8 | minor(st.st_rdev)))
		crtest_fail("controlling terminal %#x, not the pty slave %u:%u", tty, major(st.st_rdev),
			    minor(st.st_rdev));
	if (tcgetsid(slave) != getpid())
		crtest_fail("the terminal's session is %d", tcgetsid(slave));
	if (tcgetpgrp(slave) != getpgrp())
		crtest_fail("foreground group %d, not %d", tcgetpgrp(slave), getpgrp());
	if (read_exactly(master, buf, 10) || memcmp(buf, "line1\r\npar", 10))
		crtest_fail("the echo waiting at the master is not there once");
	if (write(master, "tial\n", 5) != 5)
		crtest_fail("write: %m");
	if (read_line(slave, buf, sizeof(buf)) != 6 || strcmp(buf, "line1\n"))
		crtest_fail("first line after restore: '%s'", buf);
	if (read_line(slave, buf, sizeof(buf)) != 8 || strcmp(buf, "partial\n"))
		crtest_fail("second line after restore: '%s'", buf);
	/* ^C at the master: SIGINT to the foreground group, that is us. */
	if (write(master, "\003", 1) != 1)
		crtest_fail("write to master: %m");
	for (int i = 0; i < 500 && !got_int; i++)
		usleep(10000);
	if (!got_int)
		crtest_fail("^C typed at the master did not signal the foreground group");
	crtest_pass();
}
