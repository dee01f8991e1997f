/* An established TCP connection with both ends in the task (IPv4 and
 * IPv6), data queued both ways: some received and not read yet, some still
 * in the sender's queue because the receiver's window is full.  After the
 * restore every byte arrives, in order, exactly once, and the connection
 * goes on working; the options of each end are kept.  Also IPv4 carried
 * by IPv6 sockets (v4-mapped addresses). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "crtest.h"

#define BIG (2048 * 1024) /* more than the receive window takes */

static int get(int sk, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(sk, level, opt, &v, &len))
		crtest_fail("getsockopt(%d, %d): %m", level, opt);
	return v;
}

static void set(int sk, int level, int opt, int v)
{
	if (setsockopt(sk, level, opt, &v, sizeof(v)))
		crtest_fail("setsockopt(%d, %d, %d): %m", level, opt, v);
}

static unsigned char pattern(size_t i, int salt)
{
	return (unsigned char)((i * 131 + salt) ^ (i >> 9));
}

/*
 * A connected pair over the loopback of @family: *c the client, *a the
 * accepted end.  @mapped: IPv6 sockets talking IPv4 (::ffff:127.0.0.1).
 */
static void make_pair(int family, int mapped, int *c, int *a)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int l;

	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		if (mapped)
			inet_pton(AF_INET6, "::ffff:127.0.0.1", &s->sin6_addr);
		len = sizeof(*s);
	}
	l = socket(family, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&ss, &len))
		crtest_fail("listener: %m");
	*c = socket(family, SOCK_STREAM, 0);
	if (*c < 0 || connect(*c, (struct sockaddr *)&ss, len))
		crtest_fail("connect: %m");
	*a = accept(l, NULL, NULL);
	if (*a < 0)
		crtest_fail("accept: %m");
	close(l);
}

/* Send @n bytes of pattern @salt from @off without blocking; returns what went. */
static size_t push(int sk, size_t off, size_t n, int salt)
{
	static unsigned char buf[65536];
	size_t sent = 0;

	while (sent < n) {
		size_t k = n - sent < sizeof(buf) ? n - sent : sizeof(buf);
		ssize_t w;

		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(off + sent + i, salt);
		w = send(sk, buf, k, MSG_DONTWAIT);
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0)
			crtest_fail("send: %m");
		sent += w;
	}
	return sent;
}

/* Read exactly @n bytes of pattern @salt at @off from @sk. */
static void pull(int sk, size_t off, size_t n, int salt, const char *what)
{
	static unsigned char buf[65536];
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = sk, .events = POLLIN };
		size_t k = n - got < sizeof(buf) ? n - got : sizeof(buf);
		ssize_t r;

		if (poll(&p, 1, 10000) != 1)
			crtest_fail("%s: only %zu of %zu bytes arrived within 10 s", what, got, n);
		r = recv(sk, buf, k, MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0)
			crtest_fail("%s: recv after %zu of %zu bytes: %s", what, got, n,
				    r ? strerror(errno) : "end of stream");
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern(off + got + i, salt))
				crtest_fail("%s: byte %zu differs", what, off + got + i);
		got += r;
	}
}

struct conn {
	const char *name;
	int family, mapped, c, a;
	size_t c2a, a2c; /* bytes queued each way before the dump */
	int c_nodelay, a_keepalive, c_rcvbuf;
};

static void setup(struct conn *k)
{
	make_pair(k->family, k->mapped, &k->c, &k->a);
	set(k->c, SOL_TCP, TCP_NODELAY, 1);
	set(k->a, SOL_SOCKET, SO_KEEPALIVE, 1);
	set(k->a, SOL_TCP, TCP_KEEPIDLE, 33);
	/* A small receive buffer on the client: its window fills, the rest waits at the server. */
	set(k->c, SOL_SOCKET, SO_RCVBUF, 65536);
	k->c2a = push(k->c, 0, 5000, 1);
	k->a2c = push(k->a, 0, BIG, 2);
	if (k->c2a != 5000 || k->a2c < 20000)
		crtest_fail("%s: queued only %zu and %zu bytes", k->name, k->c2a, k->a2c);
	usleep(100000); /* let the loopback settle: acks, window */
	k->c_nodelay = get(k->c, SOL_TCP, TCP_NODELAY);
	k->a_keepalive = get(k->a, SOL_SOCKET, SO_KEEPALIVE);
	k->c_rcvbuf = get(k->c, SOL_SOCKET, SO_RCVBUF);
}

static void verify(struct conn *k)
{
	char name[64];
	int out = 0;

	if (get(k->c, SOL_TCP, TCP_NODELAY) != k->c_nodelay || get(k->a, SOL_SOCKET, SO_KEEPALIVE) != k->a_keepalive ||
	    get(k->a, SOL_TCP, TCP_KEEPIDLE) != 33 || get(k->c, SOL_SOCKET, SO_RCVBUF) != k->c_rcvbuf)
		crtest_fail("%s: an option changed", k->name);
	if (ioctl(k->a, TIOCOUTQ, &out) == 0 && out < 0)
		crtest_fail("%s: bad send queue", k->name);
	snprintf(name, sizeof(name), "%s client->server", k->name);
	pull(k->a, 0, k->c2a, 1, name);
	snprintf(name, sizeof(name), "%s server->client", k->name);
	pull(k->c, 0, k->a2c, 2, name);
	/* Nothing more than was sent. */
	{
		char x;

		if (recv(k->c, &x, 1, MSG_DONTWAIT) != -1 || recv(k->a, &x, 1, MSG_DONTWAIT) != -1)
			crtest_fail("%s: extra bytes after the queued ones", k->name);
	}
	/* And it goes on: a round trip each way. */
	if (push(k->c, k->c2a, 1000, 1) != 1000 || push(k->a, k->a2c, 1000, 2) != 1000)
		crtest_fail("%s: can't send after restore", k->name);
	snprintf(name, sizeof(name), "%s new data client->server", k->name);
	pull(k->a, k->c2a, 1000, 1, name);
	snprintf(name, sizeof(name), "%s new data server->client", k->name);
	pull(k->c, k->a2c, 1000, 2, name);
}

int main(int argc, char **argv)
{
	struct conn v4 = { .name = "IPv4", .family = AF_INET }, v6 = { .name = "IPv6", .family = AF_INET6 };
	struct conn m = { .name = "IPv4 over IPv6 sockets", .family = AF_INET6, .mapped = 1 };

	crtest_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	setup(&v4);
	setup(&v6);
	setup(&m);
	crtest_ready();
	crtest_wait();
	verify(&v4);
	verify(&v6);
	verify(&m);
	crtest_pass();
}
