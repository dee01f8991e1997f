/* /dev/tty held open by a session leader whose controlling terminal is a
 * pty slave it holds: after restore the fd (and its dup) is /dev/tty again,
 * reaches the same terminal, and the restored pty carries data both ways. */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include "crtest.h"

static int read_all(int fd, char *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return -1;
		n = read(fd, buf + got, want - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static void check_dev_tty(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 0)
		crtest_fail("fd %d is not /dev/tty (%u:%u)", fd, major(st.st_rdev), minor(st.st_rdev));
}

int main(int argc, char **argv)
{
	struct termios t;
	int master, slave, tty;
	char buf[16];

	crtest_init(argc, argv);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master))
		crtest_fail("posix_openpt: %m");
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0))
		crtest_fail("making %s the controlling terminal: %m", ptsname(master));
	if (tcgetattr(slave, &t))
		crtest_fail("tcgetattr: %m");
	cfmakeraw(&t);
	tcsetattr(slave, TCSANOW, &t);
	close(slave); /* the session keeps its terminal through /dev/tty */
	tty = open("/dev/tty", O_RDWR | O_NONBLOCK);
	if (tty < 0)
		crtest_fail("open /dev/tty: %m");
	if (dup2(tty, 41) < 0 || dup2(master, 40) < 0)
		crtest_fail("dup2: %m");
	check_dev_tty(tty);

	crtest_ready();
	crtest_wait();

	check_dev_tty(tty);
	check_dev_tty(41);
	if ((fcntl(tty, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_RDWR | O_NONBLOCK))
		crtest_fail("/dev/tty flags %#x", fcntl(tty, F_GETFL));
	if (tcgetsid(tty) != getpid())
		crtest_fail("/dev/tty's session is %d", tcgetsid(tty));
	if (write(tty, "out", 3) != 3 || read_all(master, buf, 3) || memcmp(buf, "out", 3))
		crtest_fail("/dev/tty to master: %m");
	if (write(master, "in", 2) != 2 || read_all(41, buf, 2) || memcmp(buf, "in", 2))
		crtest_fail("master to /dev/tty: %m");
	crtest_pass();
}
