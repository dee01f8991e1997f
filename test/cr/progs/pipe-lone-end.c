/* Pipe ends whose peer is not in the task (closed here; outside the tree
 * in real life, like a supervisor's log pipe) come back as pipe ends of the
 * same direction and flags: writing gets EPIPE, reading end of file. */
#include <sys/stat.h>
#include "crtest.h"

static void check_end(int fd, int accmode, int nonblock, const char *what)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode))
		crtest_fail("%s: fd %d is not a pipe", what, fd);
	if (fl < 0 || (fl & O_ACCMODE) != accmode || !!(fl & O_NONBLOCK) != nonblock)
		crtest_fail("%s: flags %#x", what, fl);
}

int main(int argc, char **argv)
{
	int w[2], r[2];

	crtest_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(w) || pipe(r))
		crtest_fail("pipe: %m");
	close(w[0]); /* a write end without reader */
	close(r[1]); /* a read end without writer */
	fcntl(r[0], F_SETFL, O_NONBLOCK);
	if (dup2(w[1], 40) < 0 || dup2(r[0], 41) < 0)
		crtest_fail("dup2: %m");
	close(w[1]);
	close(r[0]);

	crtest_ready();
	crtest_wait();

	check_end(40, O_WRONLY, 0, "write end");
	check_end(41, O_RDONLY, 1, "read end");
	char c = 'x';
	if (write(40, &c, 1) != -1 || errno != EPIPE)
		crtest_fail("a write without reader did not fail with EPIPE: %m");
	if (read(41, &c, 1) != 0)
		crtest_fail("a read without writer is not at end of file: %m");
	crtest_pass();
}
