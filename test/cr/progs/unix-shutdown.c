/* A stream pair where one end wrote and then shut its writing side down:
 * after restore the other end reads the bytes, then end of file, and can
 * still write back.  A second pair whose peer is closed: its bytes, then
 * end of file, and writing fails with EPIPE. */
#include <sys/socket.h>
#include "crtest.h"

int main(int argc, char **argv)
{
	int sv[2], ov[2];
	char buf[32];

	crtest_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || socketpair(AF_UNIX, SOCK_STREAM, 0, ov))
		crtest_fail("socketpair: %m");
	if (send(sv[0], "bye", 3, 0) != 3 || shutdown(sv[0], SHUT_WR))
		crtest_fail("send/shutdown: %m");
	if (send(ov[1], "last", 4, 0) != 4)
		crtest_fail("send: %m");
	close(ov[1]);

	crtest_ready();
	crtest_wait();

	if (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) != 3 || memcmp(buf, "bye", 3))
		crtest_fail("the bytes before shutdown are lost");
	if (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) != 0)
		crtest_fail("no end of file after the peer's shutdown: %m");
	if (send(sv[0], "x", 1, MSG_DONTWAIT) != -1 || errno != EPIPE)
		crtest_fail("the shut down side can write again");
	if (send(sv[1], "reply", 5, 0) != 5 || recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT) != 5)
		crtest_fail("the other direction is closed: %m");
	if (recv(ov[0], buf, sizeof(buf), MSG_DONTWAIT) != 4 || memcmp(buf, "last", 4))
		crtest_fail("the bytes of the closed peer are lost");
	if (recv(ov[0], buf, sizeof(buf), MSG_DONTWAIT) != 0)
		crtest_fail("no end of file from the closed peer: %m");
	if (send(ov[0], "x", 1, MSG_DONTWAIT) != -1 || errno != EPIPE)
		crtest_fail("writing to a closed peer works: %m");
	crtest_pass();
}
