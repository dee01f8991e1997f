/* Listening stream sockets, one on a path (mode 0604) and one on an
 * abstract name, each with a connection from the task waiting in its
 * accept queue (two on the path one, kept in order): after restore accept()
 * gives the connections in order, and they carry data both ways. */
#include <libgen.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "crtest.h"

static socklen_t addr_of(struct sockaddr_un *sa, const char *path, int abstract)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (abstract) {
		snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "%s", path);
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
	}
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	return sizeof(*sa);
}

static int listener(const char *path, int abstract)
{
	struct sockaddr_un sa;
	socklen_t len = addr_of(&sa, path, abstract);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&sa, len) || listen(s, 5))
		crtest_fail("listen on %s: %m", path);
	return s;
}

static int client(const char *path, int abstract)
{
	struct sockaddr_un sa;
	socklen_t len = addr_of(&sa, path, abstract);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	if (c < 0 || connect(c, (struct sockaddr *)&sa, len))
		crtest_fail("connect to %s: %m", path);
	return c;
}

static void talk(int l, int c, const char *what)
{
	char buf[32];
	int a = accept(l, NULL, NULL);

	if (a < 0)
		crtest_fail("%s: accept: %m", what);
	if (send(c, what, strlen(what), 0) != (ssize_t)strlen(what) ||
	    recv(a, buf, sizeof(buf), MSG_DONTWAIT) != (ssize_t)strlen(what) || memcmp(buf, what, strlen(what)))
		crtest_fail("%s: client to server: %m", what);
	if (send(a, "back", 4, 0) != 4 || recv(c, buf, sizeof(buf), MSG_DONTWAIT) != 4)
		crtest_fail("%s: server to client: %m", what);
	close(a);
}

int main(int argc, char **argv)
{
	const char *ready = getenv("CRTEST_READY");
	char dir[512], path[600], abs_name[64];
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	struct stat st;
	int l1, l2, c1, c2, c3, c0, a0;
	char buf[32];

	crtest_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s", ready ? ready : "/tmp/x");
	snprintf(path, sizeof(path), "%s/unix-listen.%d", dirname(dir), getpid());
	snprintf(abs_name, sizeof(abs_name), "crtest-listen-%d", getpid());
	unlink(path);
	l1 = listener(path, 0);
	if (chmod(path, 0604))
		crtest_fail("chmod: %m");
	l2 = listener(abs_name, 1);
	/* An accepted connection with bytes queued both ways. */
	c0 = client(path, 0);
	a0 = accept(l1, NULL, NULL);
	if (a0 < 0 || send(c0, "to-server", 9, 0) != 9 || send(a0, "to-client", 9, 0) != 9)
		crtest_fail("accepted connection: %m");
	c1 = client(path, 0);
	c2 = client(path, 0);
	c3 = client(abs_name, 1);

	crtest_ready();
	crtest_wait();

	if (stat(path, &st) || !S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != 0604)
		crtest_fail("%s: mode %o", path, st.st_mode);
	if (getsockname(l1, (struct sockaddr *)&sa, &len) || strcmp(sa.sun_path, path))
		crtest_fail("listener name is \"%s\"", sa.sun_path);
	len = sizeof(sa);
	if (getsockname(l2, (struct sockaddr *)&sa, &len) || sa.sun_path[0] ||
	    strncmp(sa.sun_path + 1, abs_name, strlen(abs_name)))
		crtest_fail("abstract listener name lost");
	len = sizeof(sa);
	if (getsockname(a0, (struct sockaddr *)&sa, &len) || strcmp(sa.sun_path, path))
		crtest_fail("the accepted socket is named \"%s\", not its listener's name", sa.sun_path);
	len = sizeof(sa);
	if (getpeername(c0, (struct sockaddr *)&sa, &len) || strcmp(sa.sun_path, path))
		crtest_fail("the client's peer is named \"%s\"", sa.sun_path);
	if (recv(a0, buf, sizeof(buf), MSG_DONTWAIT) != 9 || memcmp(buf, "to-server", 9) ||
	    recv(c0, buf, sizeof(buf), MSG_DONTWAIT) != 9 || memcmp(buf, "to-client", 9))
		crtest_fail("the accepted connection lost its bytes");
	talk(l1, c1, "first");
	talk(l1, c2, "second");
	talk(l2, c3, "abstract");
	/* Still listening: a new connection works. */
	talk(l1, client(path, 0), "new");
	fcntl(l1, F_SETFL, O_NONBLOCK);
	if (accept(l1, NULL, NULL) != -1 || errno != EAGAIN)
		crtest_fail("more pending connections than made");
	unlink(path);
	crtest_pass();
}
