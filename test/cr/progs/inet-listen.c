/* Listening TCP sockets, IPv4 and IPv6 (v6-only), with their options,
 * come back at the same address and port, with the same backlog and
 * options, and accept new connections. */
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "crtest.h"

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif

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

/* Every option the test sets, as read back. */
struct opts {
	int reuseaddr, reuseport, keepalive, keepidle, keepintvl, keepcnt, nodelay;
	int rcvbuf, sndbuf, buflock, prio, tos, v6only, lowat;
	struct linger ll;
	char dev[IFNAMSIZ];
	int flags;
};

static void read_opts(int sk, int v6, struct opts *o)
{
	socklen_t len = sizeof(o->ll);

	memset(o, 0, sizeof(*o));
	o->reuseaddr = get(sk, SOL_SOCKET, SO_REUSEADDR);
	o->reuseport = get(sk, SOL_SOCKET, SO_REUSEPORT);
	o->keepalive = get(sk, SOL_SOCKET, SO_KEEPALIVE);
	o->keepidle = get(sk, SOL_TCP, TCP_KEEPIDLE);
	o->keepintvl = get(sk, SOL_TCP, TCP_KEEPINTVL);
	o->keepcnt = get(sk, SOL_TCP, TCP_KEEPCNT);
	o->nodelay = get(sk, SOL_TCP, TCP_NODELAY);
	o->rcvbuf = get(sk, SOL_SOCKET, SO_RCVBUF);
	o->sndbuf = get(sk, SOL_SOCKET, SO_SNDBUF);
	o->buflock = get(sk, SOL_SOCKET, SO_BUF_LOCK);
	o->prio = get(sk, SOL_SOCKET, SO_PRIORITY);
	o->lowat = get(sk, SOL_SOCKET, SO_RCVLOWAT);
	o->tos = v6 ? 0 : get(sk, SOL_IP, IP_TOS);
	o->v6only = v6 ? get(sk, SOL_IPV6, IPV6_V6ONLY) : 0;
	if (getsockopt(sk, SOL_SOCKET, SO_LINGER, &o->ll, &len))
		crtest_fail("SO_LINGER: %m");
	len = sizeof(o->dev);
	if (getsockopt(sk, SOL_SOCKET, SO_BINDTODEVICE, o->dev, &len))
		crtest_fail("SO_BINDTODEVICE: %m");
	o->flags = fcntl(sk, F_GETFL);
}

static void cmp_opts(const char *what, const struct opts *a, const struct opts *b)
{
#define CMP(f)            \
	if (a->f != b->f) \
	crtest_fail("%s: " #f " was %d, is %d", what, (int)a->f, (int)b->f)
	CMP(reuseaddr);
	CMP(reuseport);
	CMP(keepalive);
	CMP(keepidle);
	CMP(keepintvl);
	CMP(keepcnt);
	CMP(nodelay);
	CMP(rcvbuf);
	CMP(sndbuf);
	CMP(buflock);
	CMP(prio);
	CMP(tos);
	CMP(v6only);
	CMP(lowat);
	CMP(ll.l_onoff);
	CMP(ll.l_linger);
	CMP(flags);
#undef CMP
	if (strcmp(a->dev, b->dev))
		crtest_fail("%s: bound to device '%s', now '%s'", what, a->dev, b->dev);
}

/* Connect to @addr and accept it on @lsk; a byte goes through. */
static void try_accept(int lsk, const struct sockaddr *addr, socklen_t alen, int family, const char *what)
{
	int c = socket(family, SOCK_STREAM, 0), a;
	char x = 0;

	if (c < 0 || connect(c, addr, alen))
		crtest_fail("%s: connect: %m", what);
	for (int i = 0; i < 200; i++) {
		a = accept(lsk, NULL, NULL);
		if (a >= 0 || errno != EAGAIN)
			break;
		usleep(10000);
	}
	if (a < 0)
		crtest_fail("%s: accept: %m", what);
	if (write(c, "k", 1) != 1 || read(a, &x, 1) != 1 || x != 'k')
		crtest_fail("%s: no byte through the accepted connection: %m", what);
	close(a);
	close(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in b4;
	struct sockaddr_in6 b6;
	struct opts o4, o6, n4, n6;
	struct linger ll = { 1, 7 };
	socklen_t len;
	int l4, l6, l4b;

	crtest_init(argc, argv);
	l4 = socket(AF_INET, SOCK_STREAM, 0);
	l6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (l4 < 0 || l6 < 0)
		crtest_fail("socket: %m");
	set(l4, SOL_SOCKET, SO_REUSEADDR, 1);
	set(l4, SOL_SOCKET, SO_KEEPALIVE, 1);
	set(l4, SOL_TCP, TCP_KEEPIDLE, 77);
	set(l4, SOL_TCP, TCP_KEEPINTVL, 11);
	set(l4, SOL_TCP, TCP_KEEPCNT, 5);
	set(l4, SOL_TCP, TCP_NODELAY, 1);
	set(l4, SOL_SOCKET, SO_RCVBUF, 65536);
	set(l4, SOL_IP, IP_TOS, 0x10);
	set(l4, SOL_SOCKET, SO_PRIORITY, 3);
	set(l4, SOL_SOCKET, SO_RCVLOWAT, 3);
	if (setsockopt(l4, SOL_SOCKET, SO_LINGER, &ll, sizeof(ll)))
		crtest_fail("SO_LINGER: %m");
	if (setsockopt(l4, SOL_SOCKET, SO_BINDTODEVICE, "lo", 2))
		crtest_fail("SO_BINDTODEVICE: %m");
	set(l6, SOL_IPV6, IPV6_V6ONLY, 1);
	set(l6, SOL_SOCKET, SO_REUSEPORT, 1);
	set(l6, SOL_SOCKET, SO_SNDBUF, 32768);
	if (bind(l4, (struct sockaddr *)&a4, sizeof(a4)) || listen(l4, 7))
		crtest_fail("bind/listen v4: %m");
	if (bind(l6, (struct sockaddr *)&a6, sizeof(a6)) || listen(l6, 3))
		crtest_fail("bind/listen v6: %m");
	fcntl(l4, F_SETFL, O_NONBLOCK);
	fcntl(l6, F_SETFL, O_NONBLOCK);
	/* A second IPv4 listener, on every address, with SO_REUSEPORT. */
	len = sizeof(b4);
	getsockname(l4, (struct sockaddr *)&b4, &len);
	l4b = socket(AF_INET, SOCK_STREAM, 0);
	set(l4b, SOL_SOCKET, SO_REUSEPORT, 1);
	{
		struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };

		if (bind(l4b, (struct sockaddr *)&any, sizeof(any)) || listen(l4b, 1))
			crtest_fail("bind/listen v4 any: %m");
	}
	fcntl(l4b, F_SETFL, O_NONBLOCK);
	read_opts(l4, 0, &o4);
	read_opts(l6, 1, &o6);
	len = sizeof(b6);
	getsockname(l6, (struct sockaddr *)&b6, &len);

	crtest_ready();
	crtest_wait();

	read_opts(l4, 0, &n4);
	read_opts(l6, 1, &n6);
	cmp_opts("IPv4 listener", &o4, &n4);
	cmp_opts("IPv6 listener", &o6, &n6);
	{
		struct sockaddr_in c4;
		struct sockaddr_in6 c6;

		len = sizeof(c4);
		if (getsockname(l4, (struct sockaddr *)&c4, &len) || memcmp(&c4, &b4, sizeof(c4)))
			crtest_fail("IPv4 listener: address changed");
		len = sizeof(c6);
		if (getsockname(l6, (struct sockaddr *)&c6, &len) || memcmp(&c6, &b6, sizeof(c6)))
			crtest_fail("IPv6 listener: address changed");
	}
	if (!get(l4, SOL_SOCKET, SO_ACCEPTCONN) || !get(l6, SOL_SOCKET, SO_ACCEPTCONN) ||
	    !get(l4b, SOL_SOCKET, SO_ACCEPTCONN))
		crtest_fail("a socket is no longer listening");
	try_accept(l4, (struct sockaddr *)&b4, sizeof(b4), AF_INET, "IPv4 listener");
	try_accept(l6, (struct sockaddr *)&b6, sizeof(b6), AF_INET6, "IPv6 listener");
	crtest_pass();
}
