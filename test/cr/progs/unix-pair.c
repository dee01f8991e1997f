/* Socketpairs of every type with messages queued both ways: after restore
 * each end reads what was queued for it, in order, and datagram and
 * seqpacket messages keep their boundaries; then the pairs still work. */
#include <sys/socket.h>
#include "crtest.h"

static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
static const char *const tname[] = { "stream", "dgram", "seqpacket" };
static const char *const msgs[] = { "one", "", "three three", "4" };

static void check_queue(int fd, int t, const char *tag)
{
	char buf[256], want[256] = "";
	ssize_t n;

	if (types[t] == SOCK_STREAM) {
		for (int i = 0; i < 4; i++) {
			strcat(want, tag);
			strcat(want, msgs[i]);
		}
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		buf[n > 0 ? n : 0] = 0;
		if (n != (ssize_t)strlen(want) || strcmp(buf, want))
			crtest_fail("%s %s: read \"%s\" (%zd), not \"%s\"", tname[t], tag, buf, n, want);
	} else {
		for (int i = 0; i < 4; i++) {
			snprintf(want, sizeof(want), "%s%s", tag, msgs[i]);
			n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
			buf[n > 0 ? n : 0] = 0;
			if (n != (ssize_t)strlen(want) || strcmp(buf, want))
				crtest_fail("%s %s message %d: \"%s\" (%zd), not \"%s\"", tname[t], tag, i, buf, n,
					    want);
		}
	}
	if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) != -1 || errno != EAGAIN)
		crtest_fail("%s %s: more than was queued", tname[t], tag);
}

int main(int argc, char **argv)
{
	int sv[3][2];
	char buf[64];

	crtest_init(argc, argv);
	for (int t = 0; t < 3; t++) {
		if (socketpair(AF_UNIX, types[t], 0, sv[t]))
			crtest_fail("socketpair %s: %m", tname[t]);
		for (int i = 0; i < 4; i++) {
			snprintf(buf, sizeof(buf), "a>%s", msgs[i]);
			if (send(sv[t][0], buf, strlen(buf), 0) != (ssize_t)strlen(buf))
				crtest_fail("send: %m");
			snprintf(buf, sizeof(buf), "b>%s", msgs[i]);
			if (send(sv[t][1], buf, strlen(buf), 0) != (ssize_t)strlen(buf))
				crtest_fail("send: %m");
		}
	}
	/* A peek by the task itself must not disturb the dump. */
	if (recv(sv[0][1], buf, 2, MSG_PEEK) != 2)
		crtest_fail("peek: %m");

	crtest_ready();
	crtest_wait();

	for (int t = 0; t < 3; t++) {
		int type;
		socklen_t len = sizeof(type);

		if (getsockopt(sv[t][0], SOL_SOCKET, SO_TYPE, &type, &len) || type != types[t])
			crtest_fail("%s: type is %d", tname[t], type);
		check_queue(sv[t][1], t, "a>");
		check_queue(sv[t][0], t, "b>");
		if (send(sv[t][0], "ping", 4, 0) != 4 || recv(sv[t][1], buf, sizeof(buf), MSG_DONTWAIT) != 4 ||
		    send(sv[t][1], "pong", 4, 0) != 4 || recv(sv[t][0], buf, sizeof(buf), MSG_DONTWAIT) != 4)
			crtest_fail("%s: no round trip after restore: %m", tname[t]);
	}
	crtest_pass();
}
