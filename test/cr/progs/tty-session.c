/*
 * A session with its own pty as controlling terminal, in a tree (-j): the
 * root leads the session; child F leads another process group of it, the
 * foreground one; child B stays in the root's group.  After restore both
 * children have the pty as controlling terminal (forked by the leader
 * after it set it again), F's group has the foreground, and ^C typed at
 * the master signals F and not the root.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "tree-lib.h"

static int master = -1, slave = -1;
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

static void check_ctty(void)
{
	struct stat st;
	int tty = stat_tty_nr();

	if (fstat(slave, &st))
		tree_bad("fstat: %s", strerror(errno));
	else if (tty != (int)(major(st.st_rdev) << 8 | minor(st.st_rdev)))
		tree_bad("controlling terminal %#x, not the pty slave %u:%u", tty, major(st.st_rdev),
			 minor(st.st_rdev));
}

static void fg_setup(void *arg)
{
	(void)arg;
	signal(SIGINT, on_int);
	if (setpgid(0, 0))
		tree_bad("setpgid: %s", strerror(errno));
	tree_remember();
}

static void fg_check(void *arg)
{
	(void)arg;
	check_ctty();
	if (tcgetpgrp(slave) != getpgrp())
		tree_bad("foreground group %d, not its own %d", (int)tcgetpgrp(slave), (int)getpgrp());
	for (int i = 0; i < 300 && !got_int; i++)
		usleep(10000);
	if (!got_int)
		tree_bad("^C at the master did not reach the foreground group");
}

static void bg_check(void *arg)
{
	(void)arg;
	check_ctty();
}

int main(int argc, char **argv)
{
	pid_t fg;

	tree_init(argc, argv);
	signal(SIGINT, on_int);
	signal(SIGTTOU, SIG_IGN);
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master))
		crtest_fail("posix_openpt: %m");
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0 || ioctl(slave, TIOCSCTTY, 0))
		crtest_fail("making %s the controlling terminal: %m", ptsname(master));
	tree_remember();
	fg = tree_fork(fg_setup, fg_check, NULL);
	tree_fork(NULL, bg_check, NULL);
	tree_wait_set_up(2);
	setpgid(fg, fg); /* both sides, as a shell does */
	if (tcsetpgrp(slave, fg))
		crtest_fail("tcsetpgrp: %m");
	crtest_ready();
	crtest_wait();
	tree_check_ids();
	check_ctty();
	if (tcgetpgrp(slave) != fg)
		tree_bad("foreground group %d, not %d", (int)tcgetpgrp(slave), (int)fg);
	if (write(master, "\003", 1) != 1)
		tree_bad("write to master: %s", strerror(errno));
	usleep(100000);
	if (got_int)
		tree_bad("^C reached the root, which is in the background");
	tree_root_verdict();
}
