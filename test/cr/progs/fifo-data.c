/* A FIFO opened by path at both ends, with bytes in its buffer, comes back
 * reopened by the same path with the bytes in order; a second FIFO is
 * held by its read end only (its writer gone), with data. */
#include <libgen.h>
#include <sys/stat.h>
#include "crtest.h"

static void make_fifo(char *path, size_t size, const char *name)
{
	const char *ready = getenv("CRTEST_READY");
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", ready ? ready : "/tmp/x");
	snprintf(path, size, "%s/%s.%d", dirname(dir), name, getpid());
	unlink(path);
	if (mkfifo(path, 0640))
		crtest_fail("mkfifo %s: %m", path);
}

int main(int argc, char **argv)
{
	char a[600], b[600], buf[64];
	int r, w, r2, w2;
	struct stat st1, st2;

	crtest_init(argc, argv);
	make_fifo(a, sizeof(a), "fifo-a");
	make_fifo(b, sizeof(b), "fifo-b");
	r = open(a, O_RDONLY | O_NONBLOCK);
	w = open(a, O_WRONLY);
	r2 = open(b, O_RDONLY | O_NONBLOCK);
	w2 = open(b, O_WRONLY);
	if (r < 0 || w < 0 || r2 < 0 || w2 < 0)
		crtest_fail("open: %m");
	if (write(w, "first ", 6) != 6 || write(w, "second", 6) != 6 || write(w2, "lonely", 6) != 6)
		crtest_fail("write: %m");
	close(w2);
	if (fstat(r, &st1))
		crtest_fail("fstat: %m");

	crtest_ready();
	crtest_wait();

	if (fstat(r, &st2) || !S_ISFIFO(st2.st_mode) || stat(a, &st1) || st1.st_ino != st2.st_ino)
		crtest_fail("fd %d is not the FIFO %s", r, a);
	if ((fcntl(r, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != (O_RDONLY | O_NONBLOCK) ||
	    (fcntl(w, F_GETFL) & O_ACCMODE) != O_WRONLY)
		crtest_fail("flags %#x %#x", fcntl(r, F_GETFL), fcntl(w, F_GETFL));
	memset(buf, 0, sizeof(buf));
	if (read(r, buf, sizeof(buf)) != 12 || strcmp(buf, "first second"))
		crtest_fail("FIFO holds \"%s\"", buf);
	if (write(w, "more", 4) != 4 || read(r, buf, sizeof(buf)) != 4 || memcmp(buf, "more", 4))
		crtest_fail("no round trip after restore");
	memset(buf, 0, sizeof(buf));
	if (read(r2, buf, sizeof(buf)) != 6 || strcmp(buf, "lonely"))
		crtest_fail("second FIFO holds \"%s\"", buf);
	if (read(r2, buf, sizeof(buf)) != 0)
		crtest_fail("second FIFO: a writer is left: %m");
	unlink(a);
	unlink(b);
	crtest_pass();
}
