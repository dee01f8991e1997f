/* Pipes with both ends in the task come back as one pipe: the bytes that
 * sat in the buffer (in order), the size set with F_SETPIPE_SZ, O_NONBLOCK
 * on the read end, and a second pipe left empty; then more goes through. */
#include <sys/stat.h>
#include "crtest.h"

#define LEN 5000

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

int main(int argc, char **argv)
{
	unsigned char buf[LEN + 10];
	int p[2], q[2], fl;
	ssize_t n;

	crtest_init(argc, argv);
	if (pipe(p) || pipe(q))
		crtest_fail("pipe: %m");
	if (fcntl(p[0], F_SETPIPE_SZ, 256 * 1024) < 0)
		crtest_fail("F_SETPIPE_SZ: %m");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (size_t i = 0; i < LEN; i++)
		buf[i] = pat(i);
	if (write(p[1], buf, LEN) != LEN)
		crtest_fail("write: %m");

	crtest_ready();
	crtest_wait();

	if (fcntl(p[0], F_GETPIPE_SZ) != 256 * 1024)
		crtest_fail("pipe size is %d, not %d", fcntl(p[0], F_GETPIPE_SZ), 256 * 1024);
	fl = fcntl(p[0], F_GETFL);
	if (!(fl & O_NONBLOCK) || (fl & O_ACCMODE) != O_RDONLY)
		crtest_fail("read end flags %#x", fl);
	fl = fcntl(p[1], F_GETFL);
	if ((fl & O_NONBLOCK) || (fl & O_ACCMODE) != O_WRONLY)
		crtest_fail("write end flags %#x", fl);
	memset(buf, 0, sizeof(buf));
	n = read(p[0], buf, sizeof(buf));
	if (n != LEN)
		crtest_fail("read %zd bytes of %d", n, LEN);
	for (size_t i = 0; i < LEN; i++)
		if (buf[i] != pat(i))
			crtest_fail("byte %zu is %u, not %u", i, buf[i], pat(i));
	if (read(p[0], buf, 1) != -1 || errno != EAGAIN)
		crtest_fail("the pipe holds more than was written");
	/* Still one pipe: what goes in one end comes out of the other. */
	if (write(p[1], "after", 5) != 5 || read(p[0], buf, 10) != 5 || memcmp(buf, "after", 5))
		crtest_fail("no round trip after restore");
	fcntl(q[0], F_SETFL, O_NONBLOCK);
	if (read(q[0], buf, 1) != -1 || errno != EAGAIN)
		crtest_fail("the empty pipe is not empty");
	if (write(q[1], "x", 1) != 1 || read(q[0], buf, 1) != 1 || buf[0] != 'x')
		crtest_fail("no round trip in the second pipe");
	/* Closing the write ends gives end of file: no stray writer is left. */
	close(p[1]);
	if (read(p[0], buf, 1) != 0)
		crtest_fail("no end of file once the writer is closed: %m");
	crtest_pass();
}
