/*
 * `criu check` probes of sockets: TCP repair (established connections),
 * the socket options dump reads and restore sets, socket-to-namespace and
 * socket-to-file ioctls, tun devices, and the tools the network lock runs.
 *
 * TCP probes that need a connection make one over the loopback in criu's
 * network namespace and put both ends in repair mode before closing them,
 * so that no FIN, RST or TIME_WAIT socket outlives the probe.  Tun probes
 * run in a child inside a network namespace of its own when it may make
 * one, so no device ever shows in criu's namespace.
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/un.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#define LOG_PREFIX "check: "
#include "check-probes.h"
#include "compat-uapi.h"
#include "log.h"

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif
#ifndef SOCK_SNDBUF_LOCK
#define SOCK_SNDBUF_LOCK 1
#endif

static int set_int(int sk, int level, int opt, int val)
{
	return setsockopt(sk, level, opt, &val, sizeof(val)) ? -errno : 0;
}

static int get_int(int sk, int level, int opt, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(sk, level, opt, val, &len) ? -errno : 0;
}

static int tcp_repair_on(struct probe *p, int sk)
{
	int r = set_int(sk, SOL_TCP, TCP_REPAIR, 1);

	if (r == -EPERM)
		return probe_fail(p, r, "TCP_REPAIR needs CAP_NET_ADMIN");
	if (r)
		return probe_fail(p, r, "turning TCP_REPAIR on: %s", strerror(-r));
	return 0;
}

int check_tcp_repair(struct probe *p)
{
	const int seq = 0x12345678;
	int sk, r, got = 0;

	sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (sk < 0)
		return probe_perror(p, "creating a TCP socket");
	r = tcp_repair_on(p, sk);
	if (r)
		goto out;
	/* What restore of a connection does first: set the queues' sequence numbers. */
	r = set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
	if (!r)
		r = set_int(sk, SOL_TCP, TCP_QUEUE_SEQ, seq);
	if (!r)
		r = get_int(sk, SOL_TCP, TCP_QUEUE_SEQ, &got);
	if (r) {
		r = probe_fail(p, r, "TCP_REPAIR_QUEUE/TCP_QUEUE_SEQ: %s", strerror(-r));
		goto out;
	}
	if (got != seq) {
		r = probe_fail(p, -EPROTO, "TCP_QUEUE_SEQ reads %#x after setting %#x", got, seq);
		goto out;
	}
	r = get_int(sk, SOL_TCP, TCP_TIMESTAMP, &got);
	if (r)
		r = probe_fail(p, r, "TCP_TIMESTAMP: %s", strerror(-r));
out:
	close(sk);
	return r;
}

struct tcp_pair {
	int lsk, clnt, acc;
};

static void tcp_pair_close(struct tcp_pair *tp)
{
	/* In repair mode a close sends nothing and leaves no TIME_WAIT behind. */
	if (tp->clnt >= 0) {
		set_int(tp->clnt, SOL_TCP, TCP_REPAIR, 1);
		close(tp->clnt);
	}
	if (tp->acc >= 0) {
		set_int(tp->acc, SOL_TCP, TCP_REPAIR, 1);
		close(tp->acc);
	}
	if (tp->lsk >= 0)
		close(tp->lsk);
}

/* A connected pair over 127.0.0.1. */
static int tcp_pair_open(struct probe *p, struct tcp_pair *tp)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int r;

	tp->clnt = tp->acc = -1;
	tp->lsk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (tp->lsk < 0)
		return probe_perror(p, "creating a TCP socket");
	if (bind(tp->lsk, (struct sockaddr *)&addr, sizeof(addr)) || listen(tp->lsk, 1) ||
	    getsockname(tp->lsk, (struct sockaddr *)&addr, &len)) {
		r = probe_perror(p, "listening on 127.0.0.1");
		goto err;
	}
	tp->clnt = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (tp->clnt < 0) {
		r = probe_perror(p, "creating a TCP socket");
		goto err;
	}
	if (connect(tp->clnt, (struct sockaddr *)&addr, sizeof(addr))) {
		r = probe_perror(p, "connecting over the loopback");
		goto err;
	}
	tp->acc = accept4(tp->lsk, NULL, NULL, SOCK_CLOEXEC);
	if (tp->acc < 0) {
		r = probe_perror(p, "accept");
		goto err;
	}
	return 0;
err:
	tcp_pair_close(tp);
	return r;
}

int check_tcp_half_closed(struct probe *p)
{
	struct tcp_pair tp;
	int r;

	r = tcp_pair_open(p, &tp);
	if (r)
		return r;
	if (shutdown(tp.clnt, SHUT_WR)) {
		r = probe_perror(p, "shutdown(SHUT_WR)");
		goto out;
	}
	r = set_int(tp.clnt, SOL_TCP, TCP_REPAIR, 1);
	if (r)
		r = probe_fail(p, r, "TCP_REPAIR on a half-closed socket: %s", strerror(-r));
out:
	tcp_pair_close(&tp);
	return r;
}

int check_tcp_repair_window(struct probe *p)
{
	struct tcp_repair_window win;
	socklen_t len = sizeof(win);
	struct tcp_pair tp;
	int r;

	r = tcp_pair_open(p, &tp);
	if (r)
		return r;
	r = tcp_repair_on(p, tp.clnt);
	if (r)
		goto out;
	memset(&win, 0, sizeof(win));
	if (getsockopt(tp.clnt, SOL_TCP, TCP_REPAIR_WINDOW, &win, &len)) {
		r = probe_perror(p, "getsockopt(TCP_REPAIR_WINDOW)");
		goto out;
	}
	if (len != sizeof(win) || !win.rcv_wnd) {
		r = probe_fail(p, -EPROTO, "TCP_REPAIR_WINDOW returned %u bytes, receive window %u", len, win.rcv_wnd);
		goto out;
	}
	if (setsockopt(tp.clnt, SOL_TCP, TCP_REPAIR_WINDOW, &win, sizeof(win)))
		r = probe_perror(p, "setsockopt(TCP_REPAIR_WINDOW)");
out:
	tcp_pair_close(&tp);
	return r;
}

int check_sk_peek_off(struct probe *p)
{
	char buf[4];
	int sk[2], off = 0, r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk))
		return probe_perror(p, "socketpair");
	r = get_int(sk[0], SOL_SOCKET, SO_PEEK_OFF, &off);
	if (r || off != -1) {
		r = probe_fail(p, r ? r : -EPROTO, "SO_PEEK_OFF reads %d (%s), -1 expected", off,
			       r ? strerror(-r) : "no error");
		goto out;
	}
	r = set_int(sk[0], SOL_SOCKET, SO_PEEK_OFF, 0);
	if (r) {
		r = probe_fail(p, r, "setting SO_PEEK_OFF: %s", strerror(-r));
		goto out;
	}
	if (write(sk[1], "abcdef", 6) != 6) {
		r = probe_perror(p, "write");
		goto out;
	}
	/* Two peeks read on, as dump reads a queue without taking it. */
	if (recv(sk[0], buf, 3, MSG_PEEK | MSG_DONTWAIT) != 3 || memcmp(buf, "abc", 3) ||
	    recv(sk[0], buf, 3, MSG_PEEK | MSG_DONTWAIT) != 3 || memcmp(buf, "def", 3))
		r = probe_fail(p, -EPROTO, "MSG_PEEK does not move on with SO_PEEK_OFF set");
out:
	close(sk[0]);
	close(sk[1]);
	return r;
}

int check_so_gets(struct probe *p)
{
	struct sock_filter accept_all[] = { BPF_STMT(BPF_RET | BPF_K, 0xffff) };
	struct sock_fprog prog = { .len = 1, .filter = accept_all };
	char dev[IFNAMSIZ];
	socklen_t len;
	int sk, r = 0;

	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (sk < 0)
		return probe_perror(p, "creating a UDP socket");
	len = sizeof(dev);
	if (getsockopt(sk, SOL_SOCKET, SO_BINDTODEVICE, dev, &len)) {
		r = probe_perror(p, "getsockopt(SO_BINDTODEVICE)");
		goto out;
	}
	if (setsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog))) {
		r = probe_perror(p, "SO_ATTACH_FILTER");
		goto out;
	}
	/* SO_GET_FILTER (same number as SO_ATTACH_FILTER) counts instructions when given no room. */
	len = 0;
	if (getsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, NULL, &len)) {
		r = probe_perror(p, "getsockopt(SO_GET_FILTER)");
		goto out;
	}
	if (len != 1)
		r = probe_fail(p, -EPROTO, "SO_GET_FILTER counts %u instructions, 1 attached", len);
out:
	close(sk);
	return r;
}

static int same_inode(struct probe *p, int fd, const char *path, const char *what)
{
	struct stat a, b;

	if (fstat(fd, &a))
		return probe_perror(p, "fstat");
	if (stat(path, &b))
		return probe_perror(p, "stat %s", path);
	if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return probe_fail(p, -EPROTO, "%s gives inode %lu, %s is %lu", what, (unsigned long)a.st_ino, path,
				  (unsigned long)b.st_ino);
	return 0;
}

int check_sk_ns(struct probe *p)
{
	int sk, ns, r;

	sk = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return probe_perror(p, "creating a unix socket");
	ns = ioctl(sk, SIOCGSKNS);
	close(sk);
	if (ns < 0)
		return probe_perror(p, "SIOCGSKNS");
	r = same_inode(p, ns, "/proc/self/ns/net", "SIOCGSKNS");
	close(ns);
	return r;
}

int check_sk_unix_file(struct probe *p)
{
	char dir[] = "/tmp/.criu-check.XXXXXX";
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sk, fd, r;

	if (!mkdtemp(dir))
		return probe_perror(p, "mkdtemp in /tmp");
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sk", dir);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0) {
		r = probe_perror(p, "creating a unix socket");
		goto out_dir;
	}
	if (bind(sk, (struct sockaddr *)&addr, sizeof(addr))) {
		r = probe_perror(p, "binding to %s", addr.sun_path);
		goto out_sk;
	}
	fd = ioctl(sk, SIOCUNIXFILE);
	if (fd < 0) {
		r = probe_perror(p, "SIOCUNIXFILE");
		goto out_unlink;
	}
	r = same_inode(p, fd, addr.sun_path, "SIOCUNIXFILE");
	close(fd);
out_unlink:
	unlink(addr.sun_path);
out_sk:
	close(sk);
out_dir:
	rmdir(dir);
	return r;
}

int check_sockopt_buf_lock(struct probe *p)
{
	int sk, r, got = 0;

	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return probe_perror(p, "creating a UDP socket");
	r = set_int(sk, SOL_SOCKET, SO_BUF_LOCK, SOCK_SNDBUF_LOCK);
	if (!r)
		r = get_int(sk, SOL_SOCKET, SO_BUF_LOCK, &got);
	if (r)
		r = probe_fail(p, r, "SO_BUF_LOCK: %s", strerror(-r));
	else if (got != SOCK_SNDBUF_LOCK)
		r = probe_fail(p, -EPROTO, "SO_BUF_LOCK reads %d after setting %d", got, SOCK_SNDBUF_LOCK);
	close(sk);
	return r;
}

int check_ipv6_freebind(struct probe *p)
{
	int sk, r, got = 0;

	sk = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return errno == EAFNOSUPPORT ? probe_fail(p, -EAFNOSUPPORT, "IPv6 is disabled")
					     : probe_perror(p, "creating a UDP6 socket");
	r = set_int(sk, SOL_IPV6, IPV6_FREEBIND, 1);
	if (!r)
		r = get_int(sk, SOL_IPV6, IPV6_FREEBIND, &got);
	if (r)
		r = probe_fail(p, r, "IPV6_FREEBIND: %s", strerror(-r));
	else if (got != 1)
		r = probe_fail(p, -EPROTO, "IPV6_FREEBIND reads %d after setting 1", got);
	close(sk);
	return r;
}

/* ------------------------------------------------------------ tun */

/* A multi-queue tun device that lives as long as the returned fd, named in @ifr. */
static int tun_open(struct probe *p, struct ifreq *ifr)
{
	int fd;

	/*
	 * Best effort: in a namespace of its own the child shows its device to
	 * no one; without one the device still goes away with the child.
	 */
	if (unshare(CLONE_NEWNET))
		errno = 0;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return probe_perror(p, "opening /dev/net/tun");
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, IFNAMSIZ, "criuchk%%d");
	ifr->ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
	if (ioctl(fd, TUNSETIFF, ifr)) {
		int r = probe_perror(p, "TUNSETIFF");

		close(fd);
		return r;
	}
	return fd;
}

static int tun_child(struct probe *p, void *arg)
{
	struct ifreq ifr, got;
	int fd, hdr = 0;

	fd = tun_open(p, &ifr);
	if (fd < 0)
		return fd;
	memset(&got, 0, sizeof(got));
	if (ioctl(fd, TUNGETIFF, &got))
		return probe_perror(p, "TUNGETIFF");
	if (strcmp(got.ifr_name, ifr.ifr_name) || !(got.ifr_flags & IFF_TUN))
		return probe_fail(p, -EPROTO, "TUNGETIFF describes another device (%s)", got.ifr_name);
	if (ioctl(fd, TUNGETVNETHDRSZ, &hdr))
		return probe_perror(p, "TUNGETVNETHDRSZ");
	/* Dump sees detached queues; restore detaches them again. */
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	if (ioctl(fd, TUNSETQUEUE, &ifr))
		return probe_perror(p, "TUNSETQUEUE(IFF_DETACH_QUEUE)");
	ifr.ifr_flags = IFF_ATTACH_QUEUE;
	if (ioctl(fd, TUNSETQUEUE, &ifr))
		return probe_perror(p, "TUNSETQUEUE(IFF_ATTACH_QUEUE)");
	close(fd);
	return 0;
}

int check_tun(struct probe *p)
{
	return probe_run_in_child(p, tun_child, NULL);
}

static int tun_ns_child(struct probe *p, void *arg)
{
	struct ifreq ifr;
	int fd, ns, r;

	fd = tun_open(p, &ifr);
	if (fd < 0)
		return fd;
	ns = ioctl(fd, TUNGETDEVNETNS);
	if (ns < 0)
		return probe_perror(p, "TUNGETDEVNETNS");
	r = same_inode(p, ns, "/proc/self/ns/net", "TUNGETDEVNETNS");
	close(ns);
	close(fd);
	return r;
}

int check_tun_ns(struct probe *p)
{
	return probe_run_in_child(p, tun_ns_child, NULL);
}

/* ------------------------------------------------------------ network lock */

int check_network_lock_iptables(struct probe *p)
{
	static const char *const tools[] = { "iptables-restore", "ip6tables-restore" };
	char path[512];

	/* Not a kernel probe: the lock runs these tools, so they must be there. */
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
		if (!probe_find_tool(tools[i], path, sizeof(path)))
			return probe_fail(p, -ENOENT, "no %s in $PATH or the sbin directories", tools[i]);
		pr_info("network lock: %s is %s\n", tools[i], path);
	}
	return 0;
}
