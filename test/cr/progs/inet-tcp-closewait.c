/* A TCP connection whose peer has sent its last bytes and closed
 * (CLOSE_WAIT): after the restore the task reads those bytes, then the
 * end of the stream, as it would have without the checkpoint. */
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include "crtest.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct pollfd pf;
	char buf[64];
	int l, c, a;
	ssize_t n;

	crtest_init(argc, argv);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		crtest_fail("listener: %m");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, len))
		crtest_fail("connect: %m");
	a = accept(l, NULL, NULL);
	if (a < 0)
		crtest_fail("accept: %m");
	close(l);
	if (write(a, "last words", 10) != 10)
		crtest_fail("write: %m");
	close(a); /* the peer is gone: c is in CLOSE_WAIT with 10 bytes to read */
	usleep(100000);

	crtest_ready();
	crtest_wait();

	pf = (struct pollfd){ .fd = c, .events = POLLIN | POLLRDHUP };
	if (poll(&pf, 1, 5000) != 1 || !(pf.revents & POLLIN) || !(pf.revents & POLLRDHUP))
		crtest_fail("poll says %#x, not readable and closed by the peer", pf.revents);
	n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
	if (n != 10 || memcmp(buf, "last words", 10))
		crtest_fail("read %zd bytes, not the peer's last 10", n);
	n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
	if (n != 0)
		crtest_fail("no end of stream after the last bytes: %zd (%m)", n);
	crtest_pass();
}
