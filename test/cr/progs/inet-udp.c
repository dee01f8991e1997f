/* UDP sockets, IPv4 and IPv6: bound ones and connected ones come back at
 * the same addresses, connected to the same peers, with their options, and
 * datagrams go both ways.  A datagram queued on a socket at dump time is
 * dropped (as CRIU does): after the restore it may be missing, never
 * changed or doubled. */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/socket.h>
#include "crtest.h"

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

struct pair {
	const char *name;
	int family;
	int srv, cli; /* srv bound only, cli bound and connected to srv */
	struct sockaddr_storage sa, ca, cpeer;
	socklen_t slen;
	int bcast, rcvbuf, tos, v6only, flags;
};

static void addr_of(int sk, struct sockaddr_storage *ss, socklen_t *len, int peer)
{
	*len = sizeof(*ss);
	memset(ss, 0, sizeof(*ss));
	if ((peer ? getpeername : getsockname)(sk, (struct sockaddr *)ss, len))
		crtest_fail("get%sname: %m", peer ? "peer" : "sock");
}

static void setup(struct pair *p)
{
	struct sockaddr_storage lo = { 0 };
	socklen_t len;

	if (p->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&lo;

		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&lo;

		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		len = sizeof(*s);
	}
	p->srv = socket(p->family, SOCK_DGRAM, 0);
	p->cli = socket(p->family, SOCK_DGRAM, 0);
	if (p->srv < 0 || p->cli < 0)
		crtest_fail("socket: %m");
	set(p->srv, SOL_SOCKET, SO_BROADCAST, 1);
	set(p->srv, SOL_SOCKET, SO_RCVBUF, 32768);
	if (p->family == AF_INET)
		set(p->cli, SOL_IP, IP_TOS, 0x20);
	else
		set(p->srv, SOL_IPV6, IPV6_V6ONLY, 1);
	if (bind(p->srv, (struct sockaddr *)&lo, len) || bind(p->cli, (struct sockaddr *)&lo, len))
		crtest_fail("%s: bind: %m", p->name);
	addr_of(p->srv, &p->sa, &p->slen, 0);
	if (connect(p->cli, (struct sockaddr *)&p->sa, p->slen))
		crtest_fail("%s: connect: %m", p->name);
	fcntl(p->srv, F_SETFL, O_NONBLOCK);
	addr_of(p->cli, &p->ca, &len, 0);
	addr_of(p->cli, &p->cpeer, &len, 1);
	p->bcast = get(p->srv, SOL_SOCKET, SO_BROADCAST);
	p->rcvbuf = get(p->srv, SOL_SOCKET, SO_RCVBUF);
	p->tos = p->family == AF_INET ? get(p->cli, SOL_IP, IP_TOS) : 0;
	p->v6only = p->family == AF_INET6 ? get(p->srv, SOL_IPV6, IPV6_V6ONLY) : 0;
	p->flags = fcntl(p->srv, F_GETFL);
	/* Queued at dump time. */
	if (send(p->cli, "old", 3, 0) != 3)
		crtest_fail("%s: send: %m", p->name);
}

static ssize_t recv_wait(int sk, char *buf, size_t len, struct sockaddr_storage *from, socklen_t *flen)
{
	struct pollfd pf = { .fd = sk, .events = POLLIN };

	if (poll(&pf, 1, 5000) != 1)
		return -1;
	return recvfrom(sk, buf, len, MSG_DONTWAIT, (struct sockaddr *)from, flen);
}

static void verify(struct pair *p)
{
	struct sockaddr_storage ss, from;
	socklen_t len, flen = sizeof(from);
	char buf[64];
	ssize_t n;

	addr_of(p->srv, &ss, &len, 0);
	if (memcmp(&ss, &p->sa, sizeof(ss)))
		crtest_fail("%s: bound socket moved", p->name);
	addr_of(p->cli, &ss, &len, 0);
	if (memcmp(&ss, &p->ca, sizeof(ss)))
		crtest_fail("%s: connected socket moved", p->name);
	addr_of(p->cli, &ss, &len, 1);
	if (memcmp(&ss, &p->cpeer, sizeof(ss)))
		crtest_fail("%s: connected socket has another peer", p->name);
	if (get(p->srv, SOL_SOCKET, SO_BROADCAST) != p->bcast || get(p->srv, SOL_SOCKET, SO_RCVBUF) != p->rcvbuf ||
	    (p->family == AF_INET && get(p->cli, SOL_IP, IP_TOS) != p->tos) ||
	    (p->family == AF_INET6 && get(p->srv, SOL_IPV6, IPV6_V6ONLY) != p->v6only) ||
	    fcntl(p->srv, F_GETFL) != p->flags)
		crtest_fail("%s: an option changed", p->name);

	if (send(p->cli, "new", 3, 0) != 3)
		crtest_fail("%s: send after restore: %m", p->name);
	n = recv_wait(p->srv, buf, sizeof(buf), &from, &flen);
	if (n == 3 && !memcmp(buf, "old", 3)) {
		flen = sizeof(from);
		n = recv_wait(p->srv, buf, sizeof(buf), &from, &flen);
	}
	if (n != 3 || memcmp(buf, "new", 3))
		crtest_fail("%s: the bound socket did not get the new datagram (%zd)", p->name, n);
	if (memcmp(&from, &p->ca, flen))
		crtest_fail("%s: the datagram came from another address", p->name);
	if (sendto(p->srv, "back", 4, 0, (struct sockaddr *)&from, flen) != 4)
		crtest_fail("%s: sendto: %m", p->name);
	n = recv_wait(p->cli, buf, sizeof(buf), &from, &flen);
	if (n != 4 || memcmp(buf, "back", 4))
		crtest_fail("%s: the connected socket did not get the answer (%zd)", p->name, n);
	if (recv(p->srv, buf, sizeof(buf), MSG_DONTWAIT) != -1)
		crtest_fail("%s: an extra datagram arrived", p->name);
}

int main(int argc, char **argv)
{
	struct pair v4 = { .name = "IPv4", .family = AF_INET }, v6 = { .name = "IPv6", .family = AF_INET6 };

	crtest_init(argc, argv);
	setup(&v4);
	setup(&v6);
	crtest_ready();
	crtest_wait();
	verify(&v4);
	verify(&v6);
	crtest_pass();
}
