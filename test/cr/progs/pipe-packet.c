/* A packet-mode pipe (O_DIRECT) keeps the boundaries of the packets it
 * holds: three writes come back as three reads of the same sizes. */
#include "crtest.h"

int main(int argc, char **argv)
{
	static const size_t sz[] = { 10, 300, 7 };
	char buf[4096];
	int p[2];

	crtest_init(argc, argv);
	if (pipe2(p, O_DIRECT | O_NONBLOCK))
		crtest_fail("pipe2(O_DIRECT): %m");
	for (int i = 0; i < 3; i++) {
		memset(buf, 'a' + i, sz[i]);
		if (write(p[1], buf, sz[i]) != (ssize_t)sz[i])
			crtest_fail("write: %m");
	}

	crtest_ready();
	crtest_wait();

	/* pipe2() puts O_DIRECT on the write end only. */
	if (!(fcntl(p[1], F_GETFL) & O_DIRECT))
		crtest_fail("O_DIRECT lost: %#x", fcntl(p[1], F_GETFL));
	for (int i = 0; i < 3; i++) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n != (ssize_t)sz[i])
			crtest_fail("packet %d: read %zd bytes, not %zu", i, n, sz[i]);
		for (ssize_t j = 0; j < n; j++)
			if (buf[j] != 'a' + i)
				crtest_fail("packet %d: byte %zd is %c", i, j, buf[j]);
	}
	if (read(p[0], buf, 1) != -1 || errno != EAGAIN)
		crtest_fail("more than three packets");
	if (write(p[1], "xy", 2) != 2 || write(p[1], "z", 1) != 1 || read(p[0], buf, 100) != 2)
		crtest_fail("not in packet mode after restore");
	crtest_pass();
}
