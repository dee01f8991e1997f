/* A parent and its child talk over a stream socketpair, a seqpacket
 * socketpair and a pipe, each with messages queued both ways at dump time.
 * After restore the parent reads what the child had sent, wakes the child
 * through the pipe; the child reads what the parent had sent (in order,
 * boundaries kept) and answers; the parent reports. */
#include <sys/socket.h>
#include <sys/wait.h>
#include "crtest.h"

static int expect(int fd, const char *want, const char *what)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = 0;
	if (n != (ssize_t)strlen(want) || strcmp(buf, want)) {
		crtest_say("FAIL: %s: got \"%s\" (%zd), not \"%s\"\n", what, buf, n, want);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int st[2], sp[2], p[2], ready[2], status;
	char c;
	pid_t kid;

	crtest_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, st) || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) || pipe(p) ||
	    pipe(ready))
		crtest_fail("socketpair/pipe: %m");
	kid = fork();
	if (kid < 0)
		crtest_fail("fork: %m");
	if (kid == 0) {
		int bad = 0;

		close(st[0]);
		close(sp[0]);
		close(p[1]);
		close(ready[0]);
		if (send(st[1], "c1", 2, 0) != 2 || send(st[1], "c2", 2, 0) != 2 || send(sp[1], "k1", 2, 0) != 2 ||
		    send(sp[1], "k22", 3, 0) != 3 || write(ready[1], "r", 1) != 1)
			_exit(2);
		close(ready[1]);
		if (read(p[0], &c, 1) != 1) /* blocks across the dump */
			_exit(3);
		bad |= expect(st[1], "p1p2", "child stream");
		bad |= expect(sp[1], "q1", "child seqpacket 1");
		bad |= expect(sp[1], "q22", "child seqpacket 2");
		if (read(p[0], &c, 1) != 1 || c != 'y')
			bad |= 1;
		if (send(st[1], bad ? "no" : "ok", 2, 0) != 2)
			_exit(4);
		_exit(bad);
	}
	close(st[1]);
	close(sp[1]);
	close(p[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		crtest_fail("the child did not get ready");
	close(ready[0]);
	if (send(st[0], "p1", 2, 0) != 2 || send(st[0], "p2", 2, 0) != 2 || send(sp[0], "q1", 2, 0) != 2 ||
	    send(sp[0], "q22", 3, 0) != 3)
		crtest_fail("send: %m");

	crtest_ready();
	crtest_wait();

	if (expect(st[0], "c1c2", "parent stream") | expect(sp[0], "k1", "parent seqpacket 1") |
	    expect(sp[0], "k22", "parent seqpacket 2")) {
		kill(kid, SIGKILL);
		crtest_fail("parent side");
	}
	/* Two bytes: the child reads the second after the first, the pipe must hold both. */
	if (write(p[1], "xy", 2) != 2)
		crtest_fail("write: %m");
	if (waitpid(kid, &status, 0) != kid)
		crtest_fail("waitpid: %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		crtest_fail("the child failed (status %#x)", status);
	if (expect(st[0], "ok", "child's answer"))
		crtest_fail("no answer from the child");
	crtest_pass();
}
