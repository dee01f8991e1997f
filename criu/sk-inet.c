/*
 * TCP and UDP sockets over IPv4 and IPv6: the INETSK kind of files.img
 * (file_entry.isk, an inet_sk_entry, as CRIU writes it).
 *
 * Dump reads the socket through criu's own fd on it (the task's
 * description, from files.c): family, type and protocol from getsockopt,
 * the state, addresses, accept backlog and pending connections from
 * NETLINK_SOCK_DIAG (inet_diag), the socket, IP and TCP options from
 * getsockopt.  A socket inet_diag does not list (never bound, or bound but
 * neither listening nor connected) is CLOSE with its getsockname()
 * address.  Established connections go to sk-tcp.c (--tcp-established);
 * without the option their dump is refused by name.
 *
 * Restore (sk-inet-restore.c) makes a new socket of the same family, type and protocol and
 * brings it to its state: bound (with SO_REUSEADDR on while binding, since
 * a connection and a listener may share the port), listening with its
 * backlog, UDP connected, TCP connection rebuilt in repair mode; then the
 * options.  open() runs in criu's main process and touches nothing of the
 * task.  A rebuilt connection stays in repair mode, criu keeping an fd on
 * it, until every task is ready to run: then the lock is lifted and
 * inet_resume_connections() writes its send queue and takes it out of
 * repair mode, just before the tasks resume (as CRIU does: a segment sent
 * while the lock is still there would be dropped, and TCP would wait
 * longer and longer before sending it again).
 *
 * Not supported, refused by name at dump: raw and packet sockets, SCTP
 * and other protocols, corked UDP data, TCP connections that are half
 * closed or still connecting.  UDP receive queues are dropped (a warning
 * says how many bytes), as CRIU does.
 */
#define LOG_PREFIX "inet: "

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cr_options.h"
#include "dump.h"
#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "inventory.h"
#include "log.h"
#include "net-lock.h"
#include "sk-inet.h"

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* Connections dumped through repair mode: open both ways, or closed by one side only. */
bool inet_state_repairable(unsigned int st)
{
	return st == TCP_ST_ESTABLISHED || st == TCP_ST_SYN_SENT || tcp_state_fin_sent(st) ||
	       tcp_state_fin_received(st);
}

const char *inet_state_name(unsigned int st)
{
	static const char *const names[] = { "?",	   "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
					     "FIN_WAIT1",  "FIN_WAIT2",	  "TIME_WAIT", "CLOSE",
					     "CLOSE_WAIT", "LAST_ACK",	  "LISTEN",    "CLOSING" };

	return st < ARRAY_SIZE(names) ? names[st] : "?";
}

int inet_set_int(int sk, int level, int opt, int val)
{
	return setsockopt(sk, level, opt, &val, sizeof(val)) ? -errno : 0;
}

int inet_get_int(int sk, int level, int opt, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(sk, level, opt, val, &len) ? -errno : 0;
}

socklen_t inet_make_addr(union inet_addr *a, int family, uint32_t port, const uint32_t *words, unsigned int ifindex)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->v4.sin_family = AF_INET;
		a->v4.sin_port = htons(port);
		memcpy(&a->v4.sin_addr, words, 4);
		return sizeof(a->v4);
	}
	a->v6.sin6_family = AF_INET6;
	a->v6.sin6_port = htons(port);
	memcpy(&a->v6.sin6_addr, words, 16);
	a->v6.sin6_scope_id = ifindex;
	return sizeof(a->v6);
}

/* ================================================================ dump */

/* What inet_diag says about one socket. */
struct diag_info {
	unsigned int state;
	uint32_t rqueue, wqueue; /* listening: pending connections, backlog */
	uint32_t src[4], dst[4];
	uint16_t sport, dport;
	unsigned int ifindex;
	int shutdown; /* -1: not reported */
};

/* One inet_diag listing: every socket of a family and protocol, by inode. */
struct diag_table {
	int family, proto;
	bool valid;
	struct diag_entry {
		uint32_t ino;
		struct diag_info di;
	} * v;
	size_t nr, max;
};

/*
 * The listings of this dump (TCP and UDP, IPv4 and IPv6), made once: the
 * tasks are frozen, and what a peer changes meanwhile (a connection that
 * starts closing) is seen again when the connection is read in repair
 * mode.
 */
static struct diag_table diag_cache[] = {
	{ .family = AF_INET, .proto = IPPROTO_TCP },	 { .family = AF_INET6, .proto = IPPROTO_TCP },
	{ .family = AF_INET, .proto = IPPROTO_UDP },	 { .family = AF_INET6, .proto = IPPROTO_UDP },
	{ .family = AF_INET, .proto = IPPROTO_UDPLITE }, { .family = AF_INET6, .proto = IPPROTO_UDPLITE },
};

static void diag_cache_drop(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(diag_cache); i++) {
		free(diag_cache[i].v);
		diag_cache[i].v = NULL;
		diag_cache[i].nr = diag_cache[i].max = 0;
		diag_cache[i].valid = false;
	}
}

static int diag_add(struct diag_table *t, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	struct diag_entry *e;
	struct rtattr *a;
	int alen;

	if (files_grow((void **)&t->v, &t->max, t->nr + 1, sizeof(*t->v)))
		return -ENOMEM;
	e = &t->v[t->nr++];
	e->ino = m->idiag_inode;
	e->di = (struct diag_info){ .state = m->idiag_state,
				    .rqueue = m->idiag_rqueue,
				    .wqueue = m->idiag_wqueue,
				    .sport = ntohs(m->id.idiag_sport),
				    .dport = ntohs(m->id.idiag_dport),
				    .ifindex = m->id.idiag_if,
				    .shutdown = -1 };
	memcpy(e->di.src, m->id.idiag_src, sizeof(e->di.src));
	memcpy(e->di.dst, m->id.idiag_dst, sizeof(e->di.dst));
	alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == INET_DIAG_SHUTDOWN)
			e->di.shutdown = *(uint8_t *)RTA_DATA(a);
	return 0;
}

static int cmp_diag(const void *a, const void *b)
{
	uint32_t x = ((const struct diag_entry *)a)->ino, y = ((const struct diag_entry *)b)->ino;

	return (x > y) - (x < y);
}

/* Fill @t from inet_diag (every state). */
static int diag_list(struct diag_table *t)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1 },
		.r = { .sdiag_family = t->family, .sdiag_protocol = t->proto, .idiag_states = ~0U },
	};
	struct sockaddr_nl nladdr = { .nl_family = AF_NETLINK };
	_cleanup_close_ int nl = -1;
	_cleanup_free_ char *buf = NULL;
	const size_t bufsz = 65536;
	int r;

	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return pr_err_ret(-errno, "can't open a NETLINK_SOCK_DIAG socket");
	if (sendto(nl, &req, sizeof(req), 0, (struct sockaddr *)&nladdr, sizeof(nladdr)) < 0)
		return pr_err_ret(-errno, "can't ask inet_diag for its sockets");
	buf = xmalloc(bufsz);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = recv(nl, buf, bufsz, 0);
		struct nlmsghdr *h;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pr_err_ret(-errno, "can't read inet_diag's answer");
		if (n == 0)
			goto done;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				goto done;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				/* No diag module for this protocol: nothing listed. */
				if (e->error == -ENOENT)
					goto done;
				return pr_err_ret(e->error, "inet_diag refused to list family %d protocol %d",
						  t->family, t->proto);
			}
			r = diag_add(t, h);
			if (r)
				return r;
		}
	}
done:
	if (t->nr)
		qsort(t->v, t->nr, sizeof(*t->v), cmp_diag);
	t->valid = true;
	return 0;
}

/*
 * Look socket @ino of (@family, @proto) up with inet_diag: 1 and *@di when
 * found, 0 when inet_diag does not list it, -errno.
 */
static int diag_lookup(int family, int proto, uint32_t ino, struct diag_info *di)
{
	struct diag_entry key = { .ino = ino }, *e;
	struct diag_table *t = NULL;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(diag_cache); i++)
		if (diag_cache[i].family == family && diag_cache[i].proto == proto)
			t = &diag_cache[i];
	if (!t)
		return 0;
	if (!t->valid) {
		r = diag_list(t);
		if (r)
			return r;
	}
	e = t->nr ? bsearch(&key, t->v, t->nr, sizeof(*t->v), cmp_diag) : NULL;
	if (!e)
		return 0;
	*di = e->di;
	return 1;
}

/*
 * Has this closed TCP socket ever carried segments?  Then it was a
 * connection, now over, not a socket bound and not used yet.  The fields
 * past glibc's struct tcp_info are the kernel's (ABI, in this order).
 */
static bool connection_over(int sk)
{
	struct {
		struct tcp_info base;
		uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
		uint32_t segs_out, segs_in;
	} ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) || len < sizeof(ti))
		return false;
	return ti.base.tcpi_state == TCP_ST_CLOSE && (ti.segs_out || ti.segs_in);
}

/* Addresses of a socket inet_diag does not list: what the socket itself says. */
static int diag_from_socket(int sk, int family, struct diag_info *di)
{
	union inet_addr a;
	socklen_t len = sizeof(a);

	*di = (struct diag_info){ .state = TCP_ST_CLOSE, .shutdown = -1 };
	if (getsockname(sk, &a.sa, &len))
		return -errno;
	if (family == AF_INET) {
		di->src[0] = a.v4.sin_addr.s_addr;
		di->sport = ntohs(a.v4.sin_port);
	} else {
		memcpy(di->src, &a.v6.sin6_addr, 16);
		di->sport = ntohs(a.v6.sin6_port);
		di->ifindex = a.v6.sin6_scope_id;
	}
	len = sizeof(a);
	if (getpeername(sk, &a.sa, &len))
		return errno == ENOTCONN ? 0 : -errno;
	if (family == AF_INET) {
		di->dst[0] = a.v4.sin_addr.s_addr;
		di->dport = ntohs(a.v4.sin_port);
	} else {
		memcpy(di->dst, &a.v6.sin6_addr, 16);
		di->dport = ntohs(a.v6.sin6_port);
	}
	return 0;
}

static bool inet_match(const struct fd_parms *p)
{
	int dom;

	if (!S_ISSOCK(p->st.st_mode) || p->lfd < 0 || inet_get_int(p->lfd, SOL_SOCKET, SO_DOMAIN, &dom))
		return false;
	/* Packet sockets too, to refuse them by name. */
	return dom == AF_INET || dom == AF_INET6 || dom == AF_PACKET;
}

/* The generic socket options of @sk into @o (@dev, @filter: storage). */
static int dump_sk_opts(int sk, SkOptsEntry *o, char *dev, size_t devlen, uint64_t **filter)
{
	struct timeval tv;
	struct linger ll;
	socklen_t len;
	int v, r = 0;

#define GET(opt, field)                                            \
	do {                                                       \
		if (!r)                                            \
			r = inet_get_int(sk, SOL_SOCKET, opt, &v); \
		if (!r)                                            \
			o->has_##field = true, o->field = v;       \
	} while (0)
	r = inet_get_int(sk, SOL_SOCKET, SO_SNDBUF, &v);
	if (!r) {
		o->so_sndbuf = v;
		r = inet_get_int(sk, SOL_SOCKET, SO_RCVBUF, &v);
	}
	if (!r)
		o->so_rcvbuf = v;
	len = sizeof(tv);
	if (!r && getsockopt(sk, SOL_SOCKET, SO_SNDTIMEO, &tv, &len))
		r = -errno;
	if (!r) {
		o->so_snd_tmo_sec = tv.tv_sec;
		o->so_snd_tmo_usec = tv.tv_usec;
	}
	len = sizeof(tv);
	if (!r && getsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, &len))
		r = -errno;
	if (!r) {
		o->so_rcv_tmo_sec = tv.tv_sec;
		o->so_rcv_tmo_usec = tv.tv_usec;
	}
	GET(SO_REUSEADDR, reuseaddr);
	GET(SO_PRIORITY, so_priority);
	GET(SO_RCVLOWAT, so_rcvlowat);
	GET(SO_DONTROUTE, so_dontroute);
	GET(SO_NO_CHECK, so_no_check);
	GET(SO_REUSEPORT, so_reuseport);
	GET(SO_BROADCAST, so_broadcast);
	GET(SO_KEEPALIVE, so_keepalive);
	GET(SO_OOBINLINE, so_oobinline);
	GET(SO_BUF_LOCK, so_buf_lock);
	if (r)
		return r;
#undef GET
	if (!inet_get_int(sk, SOL_SOCKET, SO_MARK, &v) && v) {
		o->has_so_mark = true;
		o->so_mark = v;
	}
	len = sizeof(ll);
	if (getsockopt(sk, SOL_SOCKET, SO_LINGER, &ll, &len))
		return -errno;
	if (ll.l_onoff) {
		o->has_so_linger = true;
		o->so_linger = ll.l_linger;
	}
	len = devlen;
	if (getsockopt(sk, SOL_SOCKET, SO_BINDTODEVICE, dev, &len))
		return -errno;
	if (len > 0 && dev[0]) {
		dev[min((size_t)len, devlen - 1)] = '\0';
		o->so_bound_dev = dev;
	}
	/* An attached classic BPF filter: its length in blocks first. */
	len = 0;
	if (getsockopt(sk, SOL_SOCKET, SO_GET_FILTER, NULL, &len))
		return -errno;
	if (len) {
		socklen_t blocks = len;

		*filter = xzalloc(blocks * sizeof(struct sock_filter));
		if (!*filter)
			return -ENOMEM;
		if (getsockopt(sk, SOL_SOCKET, SO_GET_FILTER, *filter, &blocks))
			return -errno;
		o->n_so_filter = blocks;
		o->so_filter = *filter;
	}
	return 0;
}

static int dump_ip_opts(int sk, int family, int proto, IpOptsEntry *io)
{
	int v;

	if (!inet_get_int(sk, SOL_IP, IP_FREEBIND, &v) && v) {
		io->has_freebind = true;
		io->freebind = true;
	}
	if (family != AF_INET)
		return 0;
	if (inet_get_int(sk, SOL_IP, IP_TOS, &v))
		return -errno;
	if (v) {
		io->has_tos = true;
		io->tos = v;
	}
	if (inet_get_int(sk, SOL_IP, IP_TTL, &v))
		return -errno;
	io->has_ttl = true;
	io->ttl = v;
	if (proto != IPPROTO_TCP && !inet_get_int(sk, SOL_IP, IP_PKTINFO, &v) && v) {
		io->has_pktinfo = true;
		io->pktinfo = true;
	}
	return 0;
}

/* Link-local and some multicast IPv6 addresses need their interface to bind. */
static bool needs_scope(const uint32_t *a)
{
	const uint8_t *b = (const uint8_t *)a;

	return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || (b[0] == 0xff && (b[1] & 0x0f) <= 2);
}

static int refuse(const struct fd_parms *p, const char *what)
{
	pr_err("%s: %s (%s): not supported yet\n", p->what, what, p->link);
	return -EOPNOTSUPP;
}

/*
 * May a socket in @st be dumped?  0 yes, 1 yes as a plain closed socket
 * (--tcp-close, --skip-in-flight), -errno no (said why).
 */
static int check_tcp_state(const struct fd_parms *p, const struct diag_info *di)
{
	switch (di->state) {
	case TCP_ST_LISTEN:
		if (di->rqueue && !opts.tcp_skip_in_flight) {
			pr_err("%s: listening socket (port %u) has %u connections not accepted yet (in flight); "
			       "consider using --skip-in-flight to drop them\n",
			       p->what, di->sport, di->rqueue);
			return -EOPNOTSUPP;
		}
		if (di->rqueue)
			pr_warn("%s: dropping %u connections not accepted yet (--skip-in-flight)\n", p->what,
				di->rqueue);
		return 0;
	case TCP_ST_CLOSE:
		return 0;
	case TCP_ST_SYN_RECV:
		if (opts.tcp_skip_in_flight) {
			pr_warn("%s: half-open connection %u -> %u dropped (--skip-in-flight)\n", p->what, di->sport,
				di->dport);
			return 1;
		}
		break;
	default:
		break;
	}
	if (opts.tcp_close)
		return 1;
	if (!opts.tcp_established_ok) {
		pr_err("Connected TCP socket, consider using --tcp-established option.\n");
		pr_err("%s: TCP connection %u -> %u (%s)\n", p->what, di->sport, di->dport, inet_state_name(di->state));
		return -EOPNOTSUPP;
	}
	if (di->state == TCP_ST_SYN_RECV) {
		pr_err("%s: half-open TCP connection %u -> %u; consider using --skip-in-flight\n", p->what, di->sport,
		       di->dport);
		return -EOPNOTSUPP;
	}
	if (!inet_state_repairable(di->state)) {
		pr_err("%s: TCP connection %u -> %u in state %s (closing or connecting): not supported yet; "
		       "--tcp-close restores it closed\n",
		       p->what, di->sport, di->dport, inet_state_name(di->state));
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Tasks whose connections are locked already (lock_task_connections()). */
static struct {
	pid_t *v;
	size_t nr, max;
} locked_tasks;

static int lock_task_connections(pid_t pid);

static int inet_dump(const struct fd_parms *p, uint32_t id)
{
	FileEntry fe = FILE_ENTRY__INIT;
	InetSkEntry ie = INET_SK_ENTRY__INIT;
	SkOptsEntry so = SK_OPTS_ENTRY__INIT;
	IpOptsEntry io = IP_OPTS_ENTRY__INIT;
	TcpOptsEntry to = TCP_OPTS_ENTRY__INIT;
	TaskKobjIdsEntry ids = TASK_KOBJ_IDS_ENTRY__INIT;
	_cleanup_free_ uint64_t *filter = NULL;
	char dev[IFNAMSIZ + 1] = "", ifname[IF_NAMESIZE] = "";
	struct diag_info di;
	int family, type, proto, v, r, plain = 0;
	unsigned int words;
	bool conn;

	if (inet_get_int(p->lfd, SOL_SOCKET, SO_DOMAIN, &family) || inet_get_int(p->lfd, SOL_SOCKET, SO_TYPE, &type) ||
	    inet_get_int(p->lfd, SOL_SOCKET, SO_PROTOCOL, &proto))
		return pr_err_ret(-errno, "%s: can't read the socket's family, type and protocol", p->what);
	if (family == AF_PACKET)
		return refuse(p, "packet socket");
	if (type == SOCK_RAW)
		return refuse(p, family == AF_INET ? "raw IPv4 socket" : "raw IPv6 socket");
	if (!(type == SOCK_STREAM && proto == IPPROTO_TCP) &&
	    !(type == SOCK_DGRAM && (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE))) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s socket of type %d, protocol %d%s", family == AF_INET ? "IPv4" : "IPv6",
			 type, proto,
			 proto == IPPROTO_SCTP	  ? " (SCTP)"
			 : proto == IPPROTO_MPTCP ? " (MPTCP)"
						  : "");
		return refuse(p, buf);
	}

	r = diag_lookup(family, proto, p->st.st_ino, &di);
	if (r == 0) {
		r = diag_from_socket(p->lfd, family, &di);
		if (!r && proto == IPPROTO_TCP && connection_over(p->lfd)) {
			/*
			 * A connection that is over (reset, or closed both ways):
			 * its port went back to the kernel, perhaps to a TIME_WAIT
			 * socket, though getsockname() still names it.  A new
			 * socket, bound nowhere.
			 */
			pr_info("%s: TCP connection %u -> %u is over: restored as a new socket\n", p->what, di.sport,
				di.dport);
			di = (struct diag_info){ .state = TCP_ST_CLOSE, .shutdown = -1 };
		}
	}
	if (r < 0)
		return pr_err_ret(r, "%s: can't read the state of socket %lu", p->what, (unsigned long)p->st.st_ino);

	if (proto == IPPROTO_TCP) {
		plain = check_tcp_state(p, &di);
		if (plain < 0)
			return plain;
	} else {
		if (di.wqueue) {
			pr_err("%s: UDP socket with %u bytes of corked data not sent yet: not supported\n", p->what,
			       di.wqueue);
			return -EOPNOTSUPP;
		}
		if (di.rqueue)
			pr_warn("%s: the %u bytes of datagrams queued on UDP socket %lu are dropped\n", p->what,
				di.rqueue, (unsigned long)p->st.st_ino);
	}

	words = family == AF_INET ? 1 : 4;
	ie.id = id;
	ie.ino = p->st.st_ino;
	ie.family = family;
	ie.type = type;
	ie.proto = proto;
	ie.state = di.state;
	ie.src_port = di.sport;
	ie.dst_port = di.dport;
	if (plain && di.state == TCP_ST_SYN_RECV) {
		/* A dropped half-open connection: a new socket, bound nowhere. */
		ie.state = TCP_ST_CLOSE;
		ie.src_port = ie.dst_port = 0;
		memset(di.src, 0, sizeof(di.src));
		memset(di.dst, 0, sizeof(di.dst));
	}
	ie.flags = p->flags;
	ie.backlog = di.state == TCP_ST_LISTEN ? di.wqueue : 0;
	ie.n_src_addr = ie.n_dst_addr = words;
	ie.src_addr = di.src;
	ie.dst_addr = di.dst;
	ie.fown = (FownEntry *)p->fown;
	ie.opts = &so;
	ie.ip_opts = &io;
	dump_fill_ns_ids(&ids);
	if (ids.has_net_ns_id) {
		ie.has_ns_id = true;
		ie.ns_id = ids.net_ns_id;
	}
	if (family == AF_INET6) {
		if (inet_get_int(p->lfd, SOL_IPV6, IPV6_V6ONLY, &v))
			return pr_err_ret(-errno, "%s: can't read IPV6_V6ONLY", p->what);
		ie.has_v6only = true;
		ie.v6only = v;
		if (di.sport && needs_scope(di.src)) {
			if (!di.ifindex || !if_indextoname(di.ifindex, ifname)) {
				pr_err("%s: socket bound to a link-local address on an unknown interface (%u)\n",
				       p->what, di.ifindex);
				return -EINVAL;
			}
			ie.ifname = ifname;
		}
	}
	r = dump_sk_opts(p->lfd, &so, dev, sizeof(dev), &filter);
	if (!r)
		r = dump_ip_opts(p->lfd, family, proto, &io);
	if (!r && proto == IPPROTO_TCP) {
		r = tcp_dump_opts(p->lfd, &to);
		ie.tcp_opts = &to;
	}
	if (r)
		return pr_err_ret(r, "%s: can't read the socket's options", p->what);
	if (proto != IPPROTO_TCP && di.shutdown > 0) {
		ie.has_shutdown = true;
		ie.shutdown = di.shutdown & 3;
	}

	conn = proto == IPPROTO_TCP && !plain && inet_state_repairable(di.state);
	if (conn && !opts.tcp_close) {
		struct net_conn c = { .family = family, .sport = di.sport, .dport = di.dport };

		memcpy(c.src, di.src, sizeof(c.src));
		memcpy(c.dst, di.dst, sizeof(c.dst));
		if (family == AF_INET) {
			memset(c.src + 1, 0, 12);
			memset(c.dst + 1, 0, 12);
		}
		r = lock_task_connections(p->pid);
		if (!r)
			r = tcp_dump_connection(p->lfd, ie.ino, &c, p->what, &ie.state);
		if (r)
			return r;
	}
	pr_info("%s: %s %s socket %u, %s, port %u -> %u\n", p->what, family == AF_INET ? "IPv4" : "IPv6",
		proto == IPPROTO_TCP ? "TCP" : "UDP", ie.ino, inet_state_name(ie.state), ie.src_port, ie.dst_port);
	fe.type = FD_TYPES__INETSK;
	fe.id = id;
	fe.isk = &ie;
	return files_add_entry(&fe);
}

/* Does inet_diag list a TCP socket of @inos in a connected state?  0 no, 1 yes (*@st, *@ino), -errno. */
static int diag_find_connected(int family, const uint32_t *inos, size_t n, unsigned int *st, uint32_t *ino)
{
	for (size_t i = 0; i < n; i++) {
		struct diag_info di;
		int r = diag_lookup(family, IPPROTO_TCP, inos[i], &di);

		if (r < 0)
			return r;
		if (r && di.state != TCP_ST_LISTEN && di.state != TCP_ST_CLOSE && di.state != TCP_ST_SYN_RECV) {
			*st = di.state;
			*ino = inos[i];
			return 1;
		}
	}
	return 0;
}

/* The inodes of the sockets task @pid holds (from /proc/PID/fd), into *@inos. */
static int task_socket_inos(pid_t pid, uint32_t **inos, size_t *n)
{
	char path[64], link[64];
	struct dirent *de;
	size_t max = 0;
	DIR *d;
	int r = 0;

	*inos = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char fdpath[64 + sizeof(de->d_name)];
		ssize_t len;
		unsigned long v;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%lu]", &v) != 1)
			continue;
		if (files_grow((void **)inos, &max, *n + 1, sizeof(**inos))) {
			r = -ENOMEM;
			break;
		}
		(*inos)[(*n)++] = v;
	}
	closedir(d);
	return r;
}

int inet_check_task(pid_t pid)
{
	_cleanup_free_ uint32_t *inos = NULL;
	unsigned int st;
	uint32_t ino;
	size_t n;
	int r;

	if (opts.tcp_established_ok || opts.tcp_close)
		return 0;
	if (task_socket_inos(pid, &inos, &n) || !n)
		return 0; /* the task's own checks say what is wrong */
	/* The task still runs: a listing of now, not kept for the dump. */
	diag_cache_drop();
	r = diag_find_connected(AF_INET, inos, n, &st, &ino);
	if (!r)
		r = diag_find_connected(AF_INET6, inos, n, &st, &ino);
	diag_cache_drop();
	if (r <= 0)
		return r;
	pr_err("Connected TCP socket, consider using --tcp-established option.\n");
	pr_err("process %d holds TCP socket %u in state %s\n", (int)pid, ino, inet_state_name(st));
	return -EOPNOTSUPP;
}

/*
 * Lock every established connection of task @pid at once, before the
 * first of them is read: one run of the lock's tool instead of one per
 * connection, so the task stays frozen less long.  Connections it misses
 * are locked one by one as they are dumped.
 */
static int lock_task_connections(pid_t pid)
{
	_cleanup_free_ uint32_t *inos = NULL;
	_cleanup_free_ struct net_conn *cs = NULL;
	size_t n, k = 0;
	int r;

	for (size_t i = 0; i < locked_tasks.nr; i++)
		if (locked_tasks.v[i] == pid)
			return 0;
	if (files_grow((void **)&locked_tasks.v, &locked_tasks.max, locked_tasks.nr + 1, sizeof(pid_t)))
		return -ENOMEM;
	locked_tasks.v[locked_tasks.nr++] = pid;
	if (task_socket_inos(pid, &inos, &n) || !n)
		return 0;
	cs = xzalloc(n * sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		static const int families[] = { AF_INET, AF_INET6 };

		for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
			struct diag_info di;

			r = diag_lookup(families[f], IPPROTO_TCP, inos[i], &di);
			if (r < 0)
				return r;
			if (!r || !inet_state_repairable(di.state))
				continue;
			cs[k] = (struct net_conn){ .family = families[f], .sport = di.sport, .dport = di.dport };
			memcpy(cs[k].src, di.src, sizeof(cs[k].src));
			memcpy(cs[k].dst, di.dst, sizeof(cs[k].dst));
			if (families[f] == AF_INET) {
				memset(cs[k].src + 1, 0, 12);
				memset(cs[k].dst + 1, 0, 12);
			}
			k++;
		}
	}
	return k ? net_lock_connections(cs, k) : 0;
}

static int inet_dump_finish(struct img_dir *dir)
{
	return tcp_dump_write(dir);
}

static void inet_dump_fini(void)
{
	diag_cache_drop();
	free(locked_tasks.v);
	memset(&locked_tasks, 0, sizeof(locked_tasks));
	tcp_dump_fini();
}

const struct fd_kind inet_sk_kind = {
	.name = "inet socket",
	.type = FD_TYPES__INETSK,
	.match = inet_match,
	.dump = inet_dump,
	.collect = inet_collect,
	.open = inet_open,
	.dump_finish = inet_dump_finish,
	.dump_fini = inet_dump_fini,
	.collect_images = inet_collect_images,
	.restore_fini = inet_restore_fini,
};
