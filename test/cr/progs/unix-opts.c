/* Socket options of unix sockets: SO_PASSCRED (a message sent after
 * restore carries the sender's credentials), a locked send buffer size,
 * a receive timeout, O_NONBLOCK. */
#include <sys/socket.h>
#include <sys/time.h>
#include "crtest.h"

static int get(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	getsockopt(fd, SOL_SOCKET, opt, &v, &len);
	return v;
}

int main(int argc, char **argv)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct timeval tv = { 3, 500000 };
	int sv[2], one = 1, sndbuf = 50000, want_sndbuf;
	socklen_t len = sizeof(tv);
	char c;

	crtest_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		crtest_fail("socketpair: %m");
	if (setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) ||
	    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		crtest_fail("setsockopt: %m");
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	want_sndbuf = get(sv[0], SO_SNDBUF);

	crtest_ready();
	crtest_wait();

	if (get(sv[1], SO_PASSCRED) != 1 || get(sv[0], SO_PASSCRED) != 0)
		crtest_fail("SO_PASSCRED is %d/%d", get(sv[0], SO_PASSCRED), get(sv[1], SO_PASSCRED));
	if (get(sv[0], SO_SNDBUF) != want_sndbuf)
		crtest_fail("SO_SNDBUF is %d, not %d", get(sv[0], SO_SNDBUF), want_sndbuf);
	memset(&tv, 0, sizeof(tv));
	if (getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, &len) || tv.tv_sec != 3 || tv.tv_usec != 500000)
		crtest_fail("SO_RCVTIMEO is %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
	if (!(fcntl(sv[0], F_GETFL) & O_NONBLOCK) || (fcntl(sv[1], F_GETFL) & O_NONBLOCK))
		crtest_fail("O_NONBLOCK lost or added");
	if (send(sv[0], "x", 1, 0) != 1)
		crtest_fail("send: %m");
	struct iovec iov = { &c, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)
	};
	if (recvmsg(sv[1], &mh, 0) != 1)
		crtest_fail("recvmsg: %m");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_CREDENTIALS)
		crtest_fail("no credentials with the message");
	struct ucred uc;
	memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
	if (uc.pid != getpid())
		crtest_fail("credentials of pid %d, not %d", uc.pid, getpid());
	crtest_pass();
}
