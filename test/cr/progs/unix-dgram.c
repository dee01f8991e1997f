/* Datagram sockets with names: a server on a path and one on an abstract
 * name, a client connected to the path server (and bound to a name of its
 * own), messages from it and from an unconnected sender waiting in the
 * servers' queues.  After restore the messages come in order and the
 * client is still connected to its server. */
#include <libgen.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "crtest.h"

static socklen_t addr_of(struct sockaddr_un *sa, const char *name, int abstract)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (abstract) {
		snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "%s", name);
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
	}
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", name);
	return sizeof(*sa);
}

static int bound(const char *name, int abstract)
{
	struct sockaddr_un sa;
	socklen_t len = addr_of(&sa, name, abstract);
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&sa, len))
		crtest_fail("bind %s: %m", name);
	return s;
}

static void expect(int fd, const char *want)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = 0;
	if (n != (ssize_t)strlen(want) || strcmp(buf, want))
		crtest_fail("got \"%s\" (%zd), not \"%s\"", buf, n, want);
}

int main(int argc, char **argv)
{
	const char *ready = getenv("CRTEST_READY");
	char dir[512], spath[600], cpath[600], abs_name[64];
	struct sockaddr_un sa;
	socklen_t len;
	char rel[64], relpath[700];
	int srv, asrv, cli, snd, rsk;

	crtest_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s", ready ? ready : "/tmp/x");
	snprintf(spath, sizeof(spath), "%s/unix-dgram-srv.%d", dirname(dir), getpid());
	snprintf(cpath, sizeof(cpath), "%s/unix-dgram-cli.%d", dir, getpid());
	snprintf(abs_name, sizeof(abs_name), "crtest-dgram-%d", getpid());
	unlink(spath);
	unlink(cpath);
	/* A name relative to the cwd, as bind() got it. */
	if (chdir(dir))
		crtest_fail("chdir %s: %m", dir);
	snprintf(rel, sizeof(rel), "rel-%d", getpid());
	snprintf(relpath, sizeof(relpath), "%s/%s", dir, rel);
	unlink(rel);
	rsk = bound(rel, 0);
	srv = bound(spath, 0);
	asrv = bound(abs_name, 1);
	cli = bound(cpath, 0);
	snd = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = addr_of(&sa, spath, 0);
	if (connect(cli, (struct sockaddr *)&sa, len))
		crtest_fail("connect: %m");
	if (send(cli, "c1", 2, 0) != 2 || sendto(snd, "s1", 2, 0, (struct sockaddr *)&sa, len) != 2 ||
	    send(cli, "c2", 2, 0) != 2)
		crtest_fail("send: %m");
	len = addr_of(&sa, rel, 0);
	if (sendto(snd, "rel", 3, 0, (struct sockaddr *)&sa, len) != 3)
		crtest_fail("sendto %s: %m", rel);
	len = addr_of(&sa, abs_name, 1);
	if (sendto(snd, "abs1", 4, 0, (struct sockaddr *)&sa, len) != 4 ||
	    sendto(cli, "abs2", 4, 0, (struct sockaddr *)&sa, len) != 4)
		crtest_fail("sendto abstract: %m");

	crtest_ready();
	crtest_wait();

	expect(srv, "c1");
	expect(srv, "s1");
	expect(srv, "c2");
	expect(asrv, "abs1");
	expect(asrv, "abs2");
	expect(rsk, "rel");
	len = sizeof(sa);
	if (getsockname(rsk, (struct sockaddr *)&sa, &len) || strcmp(sa.sun_path, rel))
		crtest_fail("relative name is \"%s\", not \"%s\"", sa.sun_path, rel);
	len = addr_of(&sa, relpath, 0);
	if (sendto(snd, "again", 5, 0, (struct sockaddr *)&sa, len) != 5)
		crtest_fail("sendto %s after restore: %m", relpath);
	expect(rsk, "again");
	if (send(cli, "after", 5, 0) != 5)
		crtest_fail("the client is no longer connected: %m");
	len = sizeof(sa);
	if (recvfrom(srv, dir, sizeof(dir), MSG_DONTWAIT, (struct sockaddr *)&sa, &len) != 5 ||
	    strcmp(sa.sun_path, cpath))
		crtest_fail("after restore: not from %s (from \"%s\"): %m", cpath, sa.sun_path);
	len = sizeof(sa);
	if (getsockname(srv, (struct sockaddr *)&sa, &len) || strcmp(sa.sun_path, spath))
		crtest_fail("server name is \"%s\"", sa.sun_path);
	unlink(spath);
	unlink(cpath);
	unlink(relpath);
	crtest_pass();
}
