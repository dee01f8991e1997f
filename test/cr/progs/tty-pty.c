/* A pty pair held inside the task: termios, locked termios, window size,
 * packet mode and the pty index come back; a second pty left locked stays
 * locked; bytes waiting at either side come back unread, and bytes written
 * at either end after restore come out at the other. */
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include "crtest.h"

/* Read @want bytes from @fd within 5 s. */
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

static int index_of(int master)
{
	int n = -1;

	ioctl(master, TIOCGPTN, &n);
	return n;
}

/* Someone holds pty @n. */
static int taken(int n)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/pts/%d", n);
	return access(path, F_OK) == 0;
}

int main(int argc, char **argv)
{
	struct termios t, t2;
	struct winsize ws = { .ws_row = 33, .ws_col = 111, .ws_xpixel = 7, .ws_ypixel = 9 }, ws2;
	int master, slave, locked_master, on = 1, v, idx, lidx;
	char buf[64];

	crtest_init(argc, argv);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master))
		crtest_fail("posix_openpt: %m");
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (slave < 0)
		crtest_fail("open %s: %m", ptsname(master));
	/* Raw-ish with odd control characters, no echo. */
	if (tcgetattr(slave, &t))
		crtest_fail("tcgetattr: %m");
	cfmakeraw(&t);
	t.c_lflag |= ISIG;
	t.c_cc[VINTR] = 'K';
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 3;
	if (tcsetattr(slave, TCSANOW, &t) || ioctl(master, TIOCSWINSZ, &ws) || ioctl(master, TIOCPKT, &on))
		crtest_fail("setting the pty up: %m");
	locked_master = posix_openpt(O_RDWR | O_NOCTTY); /* never unlocked */
	if (locked_master < 0)
		crtest_fail("second posix_openpt: %m");
	if (dup2(master, 30) < 0 || dup2(slave, 31) < 0 || dup2(locked_master, 32) < 0)
		crtest_fail("dup2: %m");
	close(master);
	close(slave);
	close(locked_master);
	master = 30, slave = 31, locked_master = 32;
	idx = index_of(master);
	lidx = index_of(locked_master);
	if (tcgetattr(slave, &t))
		crtest_fail("tcgetattr: %m");
	/* left unread across the dump, one way and the other */
	if (write(slave, "queued-out", 10) != 10 || write(master, "queued-in", 9) != 9)
		crtest_fail("write: %m");

	crtest_ready();
	crtest_wait();

	/* the same index, unless another process took it meanwhile (criu then picks another) */
	if (index_of(master) != idx && !taken(idx))
		crtest_fail("pty index %d, was %d (free)", index_of(master), idx);
	if (index_of(locked_master) != lidx && !taken(lidx))
		crtest_fail("locked pty index %d, was %d (free)", index_of(locked_master), lidx);
	if (tcgetattr(slave, &t2))
		crtest_fail("tcgetattr after restore: %m");
	if (t2.c_iflag != t.c_iflag || t2.c_oflag != t.c_oflag || t2.c_cflag != t.c_cflag || t2.c_lflag != t.c_lflag ||
	    memcmp(t2.c_cc, t.c_cc, NCCS))
		crtest_fail("termios changed: lflag %#x was %#x, VINTR %d", t2.c_lflag, t.c_lflag, t2.c_cc[VINTR]);
	if (ioctl(slave, TIOCGWINSZ, &ws2) || ws2.ws_row != 33 || ws2.ws_col != 111 || ws2.ws_xpixel != 7 ||
	    ws2.ws_ypixel != 9)
		crtest_fail("window size %dx%d", ws2.ws_row, ws2.ws_col);
	if (ioctl(master, TIOCGPKT, &v) || v != 1)
		crtest_fail("packet mode is %d", v);
	if (ioctl(master, TIOCGPTLCK, &v) || v != 0)
		crtest_fail("the pty is locked");
	if (ioctl(locked_master, TIOCGPTLCK, &v) || v != 1)
		crtest_fail("the second pty is not locked (%d)", v);
	if ((fcntl(slave, F_GETFL) & O_NONBLOCK) == 0)
		crtest_fail("the slave lost O_NONBLOCK");
	if (read_all(slave, buf, 9) || memcmp(buf, "queued-in", 9))
		crtest_fail("the bytes waiting at the slave are lost: %m");
	if (read_all(master, buf, 11) || buf[0] != 0 || memcmp(buf + 1, "queued-out", 10))
		crtest_fail("the bytes waiting at the master are lost: %m");
	/* master -> slave (raw: as written) */
	if (write(master, "ping", 4) != 4 || read_all(slave, buf, 4) || memcmp(buf, "ping", 4))
		crtest_fail("master to slave: %m");
	/* slave -> master: packet mode puts a status byte first */
	if (write(slave, "pong", 4) != 4 || read_all(master, buf, 5) || buf[0] != 0 || memcmp(buf + 1, "pong", 4))
		crtest_fail("slave to master: %m");
	crtest_pass();
}
