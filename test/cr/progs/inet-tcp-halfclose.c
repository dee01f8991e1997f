/* A TCP connection half closed, both ends in the task: one end wrote a
 * few bytes and shut its sending side down (FIN_WAIT2), the other has
 * them and the end of stream to read (CLOSE_WAIT) and still writes back.
 * After the restore: the bytes, then the end of the stream; the reply
 * goes the other way; the shut side can't send (EPIPE); and when the
 * other end closes, the first sees the end of its stream too. */
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include "crtest.h"

static ssize_t recv_wait(int sk, char *buf, size_t len)
{
	struct pollfd pf = { .fd = sk, .events = POLLIN };

	if (poll(&pf, 1, 5000) != 1)
		return -2;
	return recv(sk, buf, len, MSG_DONTWAIT);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char buf[64];
	int l, c, a;
	ssize_t n;

	crtest_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
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
	if (write(c, "question", 8) != 8 || shutdown(c, SHUT_WR))
		crtest_fail("write/shutdown: %m");
	usleep(100000); /* c: FIN_WAIT2, a: CLOSE_WAIT with 8 bytes and the FIN */

	crtest_ready();
	crtest_wait();

	n = recv_wait(a, buf, sizeof(buf));
	if (n != 8 || memcmp(buf, "question", 8))
		crtest_fail("the open end read %zd bytes, not the 8 sent before the shutdown", n);
	n = recv_wait(a, buf, sizeof(buf));
	if (n != 0)
		crtest_fail("the open end sees no end of stream: %zd (%m)", n);
	if (write(a, "answer", 6) != 6)
		crtest_fail("the open end can't write: %m");
	n = recv_wait(c, buf, sizeof(buf));
	if (n != 6 || memcmp(buf, "answer", 6))
		crtest_fail("the shut end read %zd bytes, not the answer", n);
	if (write(c, "more", 4) != -1 || errno != EPIPE)
		crtest_fail("the shut end could still write: %m");
	close(a);
	n = recv_wait(c, buf, sizeof(buf));
	if (n != 0)
		crtest_fail("the shut end sees no end of stream once the other closed: %zd (%m)", n);
	crtest_pass();
}
