/*
 * TCP and UDP sockets over IPv4 and IPv6, restore side of the INETSK kind
 * (the dump side, the kind's table and the shared helpers are in
 * sk-inet.c; the overview is at the top of that file).
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

static struct {
	struct img_dir *dir;
	bool tcp_close;			 /* the dump said --tcp-close */
	struct tcp_stream_rst **streams; /* read by collect, freed by restore_fini */
	size_t nr_streams, max_streams;
	struct held_conn *held; /* rebuilt connections, in repair mode until resumed */
	size_t nr_held, max_held;
} rst;

/* criu's own fd on a rebuilt connection, kept to finish it once the lock is lifted. */
struct held_conn {
	int fd;
	const InetSkEntry *ie;
	const struct tcp_stream_rst *stream;
};

struct inet_priv {
	bool conn;		       /* a connection rebuilt in repair mode */
	bool closed;		       /* a connection restored closed (--tcp-close) */
	struct tcp_stream_rst *stream; /* its state */
};

int inet_collect_images(struct img_dir *dir)
{
	InventoryEntry *ie _cleanup_msg_ = NULL;
	int r;

	rst.dir = dir;
	/*
	 * A restore has read the inventory already (cr-restore.c); files
	 * collected without one (unit tests) have nothing to unlock.
	 */
	if (faccessat(img_dir_fd(dir), "inventory.img", F_OK, 0) && errno == ENOENT)
		return 0;
	r = read_inventory(dir, &ie);
	if (r)
		return r;
	rst.tcp_close = ie->has_tcp_close && ie->tcp_close;
	net_unlock_setup(ie->has_network_lock_method ? ie->network_lock_method : INVENTORY_NETLOCK_IPTABLES,
			 ie->dump_criu_run_id);
	return 0;
}

static bool is_connection(const InetSkEntry *ie)
{
	return ie->proto == IPPROTO_TCP && ie->dst_port && ie->state != TCP_ST_CLOSE && ie->state != TCP_ST_LISTEN;
}

int inet_collect(struct file_desc *d)
{
	const InetSkEntry *ie = d->fe->isk;
	unsigned int words;
	struct inet_priv *pv;
	int r;

	if (!ie || !ie->opts)
		return pr_err_ret(-EINVAL, "files.img: inet socket entry %u has no socket part", d->id);
	words = ie->family == AF_INET ? 1 : ie->family == AF_INET6 ? 4 : 0;
	if (!words || ie->n_src_addr < words || ie->n_dst_addr < words) {
		pr_err("files.img: inet socket %u: family %u with %zu/%zu address words\n", d->id, ie->family,
		       ie->n_src_addr, ie->n_dst_addr);
		return -EINVAL;
	}
	if (!(ie->type == SOCK_STREAM && ie->proto == IPPROTO_TCP) &&
	    !(ie->type == SOCK_DGRAM && (ie->proto == IPPROTO_UDP || ie->proto == IPPROTO_UDPLITE))) {
		pr_err("inet socket %u: type %u protocol %u: not supported\n", d->id, ie->type, ie->proto);
		return -EOPNOTSUPP;
	}
	pv = xzalloc(sizeof(*pv));
	if (!pv)
		return -ENOMEM;
	d->priv = pv;
	if (!is_connection(ie))
		return 0;
	if (opts.tcp_close || rst.tcp_close) {
		pv->closed = true;
	} else if (!opts.tcp_established_ok) {
		pr_err("Connected TCP socket in the images (socket %u, port %u -> %u): restore with "
		       "--tcp-established, or --tcp-close to restore it closed\n",
		       ie->ino, ie->src_port, ie->dst_port);
		return -EOPNOTSUPP;
	} else if (!inet_state_repairable(ie->state)) {
		pr_err("inet socket %u: TCP connection in state %s: not supported\n", ie->ino,
		       inet_state_name(ie->state));
		return -EOPNOTSUPP;
	} else {
		pv->conn = true;
		if (files_grow((void **)&rst.streams, &rst.max_streams, rst.nr_streams + 1, sizeof(*rst.streams)))
			return -ENOMEM;
		r = tcp_restore_read(rst.dir, ie->ino, &pv->stream);
		if (r)
			return r;
		rst.streams[rst.nr_streams++] = pv->stream;
	}
	if (!rst.tcp_close) {
		/* The dump locked it: lift the lock once the tree runs. */
		struct net_conn c = { .family = ie->family, .sport = ie->src_port, .dport = ie->dst_port };

		memcpy(c.src, ie->src_addr, words * 4);
		memcpy(c.dst, ie->dst_addr, words * 4);
		r = net_unlock_add(&c);
		if (r)
			return r;
	}
	return 0;
}

static void restore_sk_opts(int sk, const SkOptsEntry *o, const char *name)
{
	struct timeval tv;

#define SET(opt, val)                                                                                     \
	do {                                                                                              \
		if (inet_set_int(sk, SOL_SOCKET, opt, (int)(val)))                                        \
			pr_warn("%s: can't set " #opt " to %d: %s\n", name, (int)(val), strerror(errno)); \
	} while (0)
	/* The kernel doubles what it is given, and getsockopt() read the doubled value. */
	SET(SO_SNDBUFFORCE, o->so_sndbuf / 2);
	SET(SO_RCVBUFFORCE, o->so_rcvbuf / 2);
	/* Setting a size locks it; the dumped locks say whether it was the task's choice. */
	if (o->has_so_buf_lock)
		SET(SO_BUF_LOCK, o->so_buf_lock);
	if (o->so_snd_tmo_sec || o->so_snd_tmo_usec) {
		tv = (struct timeval){ .tv_sec = o->so_snd_tmo_sec, .tv_usec = o->so_snd_tmo_usec };
		if (setsockopt(sk, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
			pr_warn("%s: can't set SO_SNDTIMEO: %s\n", name, strerror(errno));
	}
	if (o->so_rcv_tmo_sec || o->so_rcv_tmo_usec) {
		tv = (struct timeval){ .tv_sec = o->so_rcv_tmo_sec, .tv_usec = o->so_rcv_tmo_usec };
		if (setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
			pr_warn("%s: can't set SO_RCVTIMEO: %s\n", name, strerror(errno));
	}
	if (o->has_so_priority && o->so_priority)
		SET(SO_PRIORITY, o->so_priority);
	if (o->has_so_rcvlowat && o->so_rcvlowat != 1)
		SET(SO_RCVLOWAT, o->so_rcvlowat);
	if (o->has_so_mark && o->so_mark)
		SET(SO_MARK, o->so_mark);
	if (o->has_so_dontroute && o->so_dontroute)
		SET(SO_DONTROUTE, 1);
	if (o->has_so_no_check && o->so_no_check)
		SET(SO_NO_CHECK, 1);
	if (o->has_so_broadcast && o->so_broadcast)
		SET(SO_BROADCAST, 1);
	if (o->has_so_keepalive && o->so_keepalive)
		SET(SO_KEEPALIVE, 1);
	if (o->has_so_oobinline && o->so_oobinline)
		SET(SO_OOBINLINE, 1);
#undef SET
	if (o->has_so_linger) {
		struct linger ll = { .l_onoff = 1, .l_linger = o->so_linger };

		if (setsockopt(sk, SOL_SOCKET, SO_LINGER, &ll, sizeof(ll)))
			pr_warn("%s: can't set SO_LINGER: %s\n", name, strerror(errno));
	}
	if (o->n_so_filter) {
		struct sock_fprog prog = { .len = o->n_so_filter, .filter = (struct sock_filter *)o->so_filter };

		if (setsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
			pr_warn("%s: can't attach its socket filter (%zu blocks): %s\n", name, o->n_so_filter,
				strerror(errno));
	}
}

static void restore_ip_opts(int sk, const InetSkEntry *ie, const char *name)
{
	const IpOptsEntry *io = ie->ip_opts;
	int v;

	if (!io)
		return;
	if (io->has_freebind && io->freebind && inet_set_int(sk, SOL_IP, IP_FREEBIND, 1))
		pr_warn("%s: can't set IP_FREEBIND: %s\n", name, strerror(errno));
	if (ie->family != AF_INET)
		return;
	if (io->has_tos && io->tos && inet_set_int(sk, SOL_IP, IP_TOS, io->tos))
		pr_warn("%s: can't set IP_TOS %#x: %s\n", name, io->tos, strerror(errno));
	/* Only a TTL the task chose: the default one follows the host. */
	if (io->has_ttl && !inet_get_int(sk, SOL_IP, IP_TTL, &v) && (uint32_t)v != io->ttl &&
	    inet_set_int(sk, SOL_IP, IP_TTL, io->ttl))
		pr_warn("%s: can't set IP_TTL %u: %s\n", name, io->ttl, strerror(errno));
	if (io->has_pktinfo && io->pktinfo && inet_set_int(sk, SOL_IP, IP_PKTINFO, 1))
		pr_warn("%s: can't set IP_PKTINFO: %s\n", name, strerror(errno));
}

/* Bind @sk where the dump found it (SO_REUSEADDR on meanwhile). */
static int bind_sk(int sk, const InetSkEntry *ie, unsigned int ifindex)
{
	union inet_addr a;
	socklen_t len = inet_make_addr(&a, ie->family, ie->src_port, ie->src_addr, ifindex);
	bool freebind = ie->family == AF_INET6 && !(ie->ip_opts && ie->ip_opts->freebind);

	/* A new IPv6 address may still be tentative: bind anyway. */
	if (freebind && inet_set_int(sk, SOL_IP, IP_FREEBIND, 1))
		pr_warn("can't set IP_FREEBIND for the bind: %s\n", strerror(errno));
	if (bind(sk, &a.sa, len))
		return pr_err_ret(-errno, "can't bind inet socket %u to port %u", ie->ino, ie->src_port);
	if (freebind)
		inet_set_int(sk, SOL_IP, IP_FREEBIND, 0);
	return 0;
}

static int open_sk(struct file_desc *d, int sk)
{
	const InetSkEntry *ie = d->fe->isk;
	struct inet_priv *pv = d->priv;
	unsigned int ifindex = 0;
	const char *name;
	char buf[64];
	int r;

	snprintf(buf, sizeof(buf), "inet socket %u", ie->ino);
	name = buf;
	if (ie->ifname) {
		ifindex = if_nametoindex(ie->ifname);
		if (!ifindex)
			return pr_err_ret(-ENODEV, "%s: no interface %s to bind to", name, ie->ifname);
	}
	if (ie->family == AF_INET6 && ie->has_v6only && ie->v6only && inet_set_int(sk, SOL_IPV6, IPV6_V6ONLY, 1))
		return pr_err_ret(-errno, "%s: can't set IPV6_V6ONLY", name);
	if (ie->opts->so_bound_dev &&
	    setsockopt(sk, SOL_SOCKET, SO_BINDTODEVICE, ie->opts->so_bound_dev, strlen(ie->opts->so_bound_dev)))
		return pr_err_ret(-errno, "%s: can't bind to device %s", name, ie->opts->so_bound_dev);

	if (pv->conn) {
		r = tcp_restore_connection(sk, ie, pv->stream, ifindex);
		if (r) {
			pr_err("%s: can't rebuild connection %u -> %u\n", name, ie->src_port, ie->dst_port);
			return r;
		}
		/*
		 * The peer had closed its end: its FIN is acknowledged (the
		 * receive sequence counts it) and reads end once the queued
		 * bytes are read.  The socket says ESTABLISHED, not
		 * CLOSE_WAIT; its own close() then sends its FIN as usual.
		 */
		if (tcp_state_fin_received(ie->state) && shutdown(sk, SHUT_RD))
			return pr_err_ret(-errno, "%s: can't mark the end of the peer's data", name);
	} else if (pv->closed) {
		pr_info("%s: connection %u -> %u restored closed (--tcp-close)\n", name, ie->src_port, ie->dst_port);
	} else {
		r = inet_set_int(sk, SOL_SOCKET, SO_REUSEADDR, 1);
		if (!r && ie->opts->has_so_reuseport && ie->opts->so_reuseport)
			r = inet_set_int(sk, SOL_SOCKET, SO_REUSEPORT, 1);
		if (r)
			return pr_err_ret(r, "%s: can't set SO_REUSEADDR", name);
		if (ie->src_port) {
			r = bind_sk(sk, ie, ifindex);
			if (r)
				return r;
		}
		if (ie->state == TCP_ST_LISTEN && listen(sk, ie->backlog))
			return pr_err_ret(-errno, "%s: can't listen (backlog %u)", name, ie->backlog);
		if (ie->proto != IPPROTO_TCP && ie->dst_port) {
			union inet_addr a;
			socklen_t len = inet_make_addr(&a, ie->family, ie->dst_port, ie->dst_addr, 0);

			if (connect(sk, &a.sa, len))
				return pr_err_ret(-errno, "%s: can't connect to port %u", name, ie->dst_port);
		}
		if (ie->has_shutdown && ie->shutdown) {
			int how = ie->shutdown == SK_SHUTDOWN__BOTH   ? SHUT_RDWR
				  : ie->shutdown == SK_SHUTDOWN__READ ? SHUT_RD
								      : SHUT_WR;

			if (shutdown(sk, how) && errno != ENOTCONN)
				return pr_err_ret(-errno, "%s: can't shut it down", name);
		}
		r = inet_set_int(sk, SOL_SOCKET, SO_REUSEADDR, ie->opts->has_reuseaddr && ie->opts->reuseaddr);
		if (r)
			return pr_err_ret(r, "%s: can't set SO_REUSEADDR back", name);
	}
	/* IP_TOS sets the priority too: the dumped priority comes after it. */
	restore_ip_opts(sk, ie, name);
	restore_sk_opts(sk, ie->opts, name);
	if (ie->tcp_opts)
		tcp_restore_opts(sk, ie->tcp_opts);
	if (fcntl(sk, F_SETFL, ie->flags & ~O_ACCMODE))
		return pr_err_ret(-errno, "%s: can't set its flags %#x", name, ie->flags);
	return restore_fown(sk, ie->fown, name);
}

/* Keep an fd of criu's on connection @sk (above the tasks' fds) until inet_resume_connections(). */
static int hold_connection(int sk, const InetSkEntry *ie, const struct inet_priv *pv)
{
	struct held_conn *h;

	if (files_grow((void **)&rst.held, &rst.max_held, rst.nr_held + 1, sizeof(*rst.held)))
		return -ENOMEM;
	h = &rst.held[rst.nr_held];
	h->fd = fcntl(sk, F_DUPFD_CLOEXEC, files_service_fd_base());
	if (h->fd < 0)
		return pr_err_ret(-errno, "inet socket %u: can't keep an fd on the connection", ie->ino);
	h->ie = ie;
	h->stream = pv->stream;
	rst.nr_held++;
	return 0;
}

int inet_open(struct file_desc *d, int *fd)
{
	const InetSkEntry *ie = d->fe->isk;
	struct inet_priv *pv = d->priv;
	int sk, r;

	sk = socket(ie->family, ie->type | SOCK_CLOEXEC, ie->proto);
	if (sk < 0)
		return pr_err_ret(-errno, "can't make a socket for inet socket %u", ie->ino);
	r = open_sk(d, sk);
	if (!r && pv->conn)
		r = hold_connection(sk, ie, pv);
	if (r) {
		/* A socket still in repair mode closes without a word to the peer. */
		close(sk);
		return r;
	}
	*fd = sk;
	return 0;
}

int inet_resume_connections(void)
{
	int r = 0;

	for (size_t i = 0; i < rst.nr_held; i++) {
		struct held_conn *h = &rst.held[i];
		const SkOptsEntry *so = h->ie->opts;

		if (!r)
			r = tcp_restore_finish(h->fd, h->stream, h->ie);
		/* Leaving repair mode cleared SO_REUSEADDR. */
		if (!r && so->has_reuseaddr && so->reuseaddr && inet_set_int(h->fd, SOL_SOCKET, SO_REUSEADDR, 1))
			pr_warn("inet socket %u: can't set SO_REUSEADDR: %s\n", h->ie->ino, strerror(errno));
		if (!r)
			pr_info("inet socket %u: connection %u -> %u resumed\n", h->ie->ino, h->ie->src_port,
				h->ie->dst_port);
		close(h->fd);
		h->fd = -1;
	}
	rst.nr_held = 0;
	return r;
}

void inet_restore_fini(void)
{
	/* Connections never resumed (a failed restore): closed in repair mode, silently. */
	for (size_t i = 0; i < rst.nr_held; i++)
		if (rst.held[i].fd >= 0)
			close(rst.held[i].fd);
	free(rst.held);
	/* d->priv itself is freed by files.c. */
	for (size_t i = 0; i < rst.nr_streams; i++)
		free(rst.streams[i]);
	free(rst.streams);
	memset(&rst, 0, sizeof(rst));
}
