/*
 * `criu check` probes that talk netlink: sock_diag (how dump lists the
 * sockets of a task), rtnetlink namespace ids and veth moves (restore of
 * network namespaces), and nf_tables (the network lock).
 *
 * The diag probes create a socket of the kind asked about and look for its
 * inode in the kernel's dump.  The rtnetlink probes run in a child that
 * makes network namespaces of its own: every device and id they create
 * dies with those namespaces when the child exits.
 */
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <arpa/inet.h>

#define LOG_PREFIX "check: "
#include "check-probes.h"
#include "log.h"

#define NL_BUF_SIZE (32 << 10)

/* ------------------------------------------------------------ netlink plumbing */

struct nl_msg {
	struct nlmsghdr h;
	char body[2048];
};

static void *nl_init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(hdrlen);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = flags;
	return NLMSG_DATA(&m->h);
}

static struct rtattr *nl_attr(struct nl_msg *m, int type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
	struct rtattr *a = (struct rtattr *)((char *)&m->h + off);

	if (off + RTA_SPACE(len) > sizeof(*m))
		return NULL; /* the messages built here are far smaller */
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return a;
}

static void nl_nest_end(struct nl_msg *m, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)&m->h + m->h.nlmsg_len - (char *)nest);
}

/* The attribute @type of a reply whose fixed header is @hdrlen bytes, or NULL. */
static struct rtattr *nl_find(struct nlmsghdr *h, size_t hdrlen, int type)
{
	struct rtattr *a = (struct rtattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdrlen));
	int rem = (int)h->nlmsg_len - (int)NLMSG_LENGTH(NLMSG_ALIGN(hdrlen));

	for (; RTA_OK(a, rem); a = RTA_NEXT(a, rem))
		if ((a->rta_type & NLA_TYPE_MASK) == type)
			return a;
	return NULL;
}

static int nl_open(struct probe *p, int proto)
{
	struct timeval tv = { .tv_sec = PROBE_TIMEOUT_MS / 1000 };
	int sk;

	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (sk < 0)
		return probe_perror(p, "creating a netlink socket (protocol %d)", proto);
	setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return sk;
}

/*
 * Send @m and read the answer until the kernel says it is done (NLMSG_DONE
 * of a dump, or the ack or error of a request: ask for NLM_F_ACK).  Every
 * other message goes to @cb.  Returns 0 or the kernel's -errno.
 */
static int nl_talk(int sk, struct nl_msg *m, void (*cb)(struct nlmsghdr *h, void *arg), void *arg)
{
	static uint32_t seq;
	_cleanup_free_ char *buf = NULL;

	m->h.nlmsg_seq = ++seq;
	if (send(sk, &m->h, m->h.nlmsg_len, 0) != (ssize_t)m->h.nlmsg_len)
		return -errno;
	buf = malloc(NL_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = recv(sk, buf, NL_BUF_SIZE, 0);
		struct nlmsghdr *h;
		int len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -EPIPE;
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
				return err < 0 ? err : 0;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
			if (cb)
				cb(h, arg);
		}
	}
}

/* ------------------------------------------------------------ sock_diag */

struct diag_find {
	size_t ino_off; /* where the inode sits in the reply's fixed header */
	uint32_t ino;
	bool found;
};

static void diag_find_cb(struct nlmsghdr *h, void *arg)
{
	struct diag_find *f = arg;
	uint32_t ino;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(f->ino_off + sizeof(ino)))
		return;
	memcpy(&ino, (char *)NLMSG_DATA(h) + f->ino_off, sizeof(ino));
	if (ino == f->ino)
		f->found = true;
}

/* Dump sockets with @req and look for socket @sk among them. */
static int diag_find(struct probe *p, int sk, const void *req, size_t req_len, size_t ino_off, const char *what)
{
	struct diag_find f = { .ino_off = ino_off };
	struct nl_msg m;
	struct stat st;
	int nl, r;

	if (fstat(sk, &st))
		return probe_perror(p, "fstat of a %s socket", what);
	f.ino = (uint32_t)st.st_ino;
	nl = nl_open(p, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return nl;
	memcpy(nl_init(&m, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, req_len), req, req_len);
	r = nl_talk(nl, &m, diag_find_cb, &f);
	close(nl);
	if (r)
		return probe_fail(p, r, "sock_diag cannot list %s sockets: %s", what, strerror(-r));
	if (!f.found)
		return probe_fail(p, -ENOENT, "sock_diag did not list our %s socket (inode %u)", what, f.ino);
	return 0;
}

static int diag_unix(struct probe *p)
{
	struct unix_diag_req req = {
		.sdiag_family = AF_UNIX,
		.udiag_states = ~0U,
		.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER,
	};
	int sk[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk))
		return probe_perror(p, "socketpair");
	r = diag_find(p, sk[0], &req, sizeof(req), offsetof(struct unix_diag_msg, udiag_ino), "unix");
	close(sk[0]);
	close(sk[1]);
	return r;
}

/* Bind (and for TCP listen) an inet socket on the loopback, else on the any address. */
static int inet_socket(int family, int type)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr *sa = family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6;
	socklen_t len = family == AF_INET ? sizeof(a4) : sizeof(a6);
	int sk, e;

	sk = socket(family, type | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return -errno;
	if (bind(sk, sa, len)) {
		a4.sin_addr.s_addr = htonl(INADDR_ANY);
		a6.sin6_addr = in6addr_any;
		if (bind(sk, sa, len))
			goto err;
	}
	if (type == SOCK_STREAM && listen(sk, 1))
		goto err;
	return sk;
err:
	e = errno;
	close(sk);
	return -e;
}

static int diag_inet(struct probe *p, int family, int proto, const char *what)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = (uint8_t)family,
		.sdiag_protocol = (uint8_t)proto,
		.idiag_states = ~0U,
	};
	int sk, r;

	sk = inet_socket(family, proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM);
	if (sk < 0)
		return probe_fail(p, sk, "a %s socket to look for: %s", what, strerror(-sk));
	r = diag_find(p, sk, &req, sizeof(req), offsetof(struct inet_diag_msg, idiag_inode), what);
	close(sk);
	return r;
}

int check_sock_diag(struct probe *p)
{
	int r;

	r = diag_unix(p);
	if (!r)
		r = diag_inet(p, AF_INET, IPPROTO_TCP, "TCP");
	if (!r)
		r = diag_inet(p, AF_INET, IPPROTO_UDP, "UDP");
	if (r || access("/proc/sys/net/ipv6", F_OK))
		return r; /* no IPv6 here: nothing to list */
	r = diag_inet(p, AF_INET6, IPPROTO_TCP, "TCP6");
	if (!r)
		r = diag_inet(p, AF_INET6, IPPROTO_UDP, "UDP6");
	return r;
}

int check_net_diag_raw(struct probe *p)
{
	struct inet_diag_req_v2 req = {
		.sdiag_family = AF_INET,
		.sdiag_protocol = IPPROTO_RAW,
		.idiag_states = ~0U,
	};
	int sk, r;

	/* raw_diag matches on the raw protocol given in the request's pad byte. */
	req.pad = IPPROTO_ICMP;
	sk = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (sk < 0)
		return probe_perror(p, "creating a raw socket");
	r = diag_find(p, sk, &req, sizeof(req), offsetof(struct inet_diag_msg, idiag_inode), "raw");
	close(sk);
	if (r == -ENOENT && !strstr(p->why, "did not list"))
		probe_fail(p, r, "sock_diag cannot list raw sockets (kernel without CONFIG_INET_RAW_DIAG)");
	return r;
}

int check_packet_diag(struct probe *p)
{
	struct packet_diag_req req = { .sdiag_family = AF_PACKET, .pdiag_show = PACKET_SHOW_INFO };
	int sk, r;

	/* Protocol 0: the socket receives nothing while it exists. */
	sk = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (sk < 0)
		return probe_perror(p, "creating a packet socket");
	r = diag_find(p, sk, &req, sizeof(req), offsetof(struct packet_diag_msg, pdiag_ino), "packet");
	close(sk);
	return r;
}

int check_netlink_diag(struct probe *p)
{
	struct netlink_diag_req req = {
		.sdiag_family = AF_NETLINK,
		.sdiag_protocol = NDIAG_PROTO_ALL,
		.ndiag_show = NDIAG_SHOW_GROUPS,
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int sk, r;

	sk = nl_open(p, NETLINK_ROUTE);
	if (sk < 0)
		return sk;
	/* Only bound netlink sockets are listed: let the kernel pick an address. */
	if (bind(sk, (struct sockaddr *)&sa, sizeof(sa))) {
		r = probe_perror(p, "binding a netlink socket");
		close(sk);
		return r;
	}
	r = diag_find(p, sk, &req, sizeof(req), offsetof(struct netlink_diag_msg, ndiag_ino), "netlink");
	close(sk);
	return r;
}

/* ------------------------------------------------------------ rtnetlink */

static void find_nsid_cb(struct nlmsghdr *h, void *arg)
{
	struct rtattr *a;

	if (h->nlmsg_type != RTM_NEWNSID)
		return;
	a = nl_find(h, sizeof(struct rtgenmsg), NETNSA_NSID);
	if (a && RTA_PAYLOAD(a) >= sizeof(int32_t))
		memcpy(arg, RTA_DATA(a), sizeof(int32_t));
}

#define PROBE_NSID 7

/* In a new netns, give criu's netns an id and read it back. */
static int nsid_child(struct probe *p, void *arg)
{
	int32_t id = PROBE_NSID, got = -1;
	uint32_t fd;
	struct rtgenmsg *g;
	struct nl_msg m;
	int nsfd, sk, r;

	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return probe_perror(p, "opening /proc/self/ns/net");
	if (unshare(CLONE_NEWNET))
		return probe_perror(p, "unshare(CLONE_NEWNET)");
	sk = nl_open(p, NETLINK_ROUTE);
	if (sk < 0)
		return sk;
	fd = (uint32_t)nsfd;

	g = nl_init(&m, RTM_NEWNSID, NLM_F_REQUEST | NLM_F_ACK, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	nl_attr(&m, NETNSA_FD, &fd, sizeof(fd));
	nl_attr(&m, NETNSA_NSID, &id, sizeof(id));
	r = nl_talk(sk, &m, NULL, NULL);
	if (r)
		return probe_fail(p, r, "RTM_NEWNSID: %s", strerror(-r));

	g = nl_init(&m, RTM_GETNSID, NLM_F_REQUEST | NLM_F_ACK, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	nl_attr(&m, NETNSA_FD, &fd, sizeof(fd));
	r = nl_talk(sk, &m, find_nsid_cb, &got);
	if (r)
		return probe_fail(p, r, "RTM_GETNSID: %s", strerror(-r));
	if (got != id)
		return probe_fail(p, -EPROTO, "RTM_GETNSID answers id %d, %d was set", got, id);
	return 0;
}

int check_nsid(struct probe *p)
{
	return probe_run_in_child(p, nsid_child, NULL);
}

/* Create veth @name with peer @peer, the peer in netns @peer_ns (-1: here). */
static int veth_create(struct probe *p, int sk, const char *name, const char *peer, int peer_ns)
{
	struct rtattr *linkinfo, *data, *peer_attr;
	struct ifinfomsg *ifi, pifi;
	struct nl_msg m;
	uint32_t fd = (uint32_t)peer_ns;
	int r;

	ifi = nl_init(&m, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	nl_attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
	linkinfo = nl_attr(&m, IFLA_LINKINFO, NULL, 0);
	nl_attr(&m, IFLA_INFO_KIND, "veth", 5);
	data = nl_attr(&m, IFLA_INFO_DATA, NULL, 0);
	memset(&pifi, 0, sizeof(pifi));
	peer_attr = nl_attr(&m, VETH_INFO_PEER, &pifi, sizeof(pifi));
	nl_attr(&m, IFLA_IFNAME, peer, strlen(peer) + 1);
	if (peer_ns >= 0)
		nl_attr(&m, IFLA_NET_NS_FD, &fd, sizeof(fd));
	nl_nest_end(&m, peer_attr);
	nl_nest_end(&m, data);
	nl_nest_end(&m, linkinfo);
	r = nl_talk(sk, &m, NULL, NULL);
	if (r == -EOPNOTSUPP)
		return probe_fail(p, r, "cannot create a veth device (kernel without CONFIG_VETH)");
	if (r)
		return probe_fail(p, r, "creating veth %s/%s: %s", name, peer, strerror(-r));
	return 0;
}

struct link_seen {
	bool found;
	bool has_link_nsid;
	char name[IFNAMSIZ];
};

static void link_cb(struct nlmsghdr *h, void *arg)
{
	struct link_seen *ls = arg;
	struct rtattr *a;

	if (h->nlmsg_type != RTM_NEWLINK)
		return;
	ls->found = true;
	ls->has_link_nsid = nl_find(h, sizeof(struct ifinfomsg), IFLA_LINK_NETNSID) != NULL;
	a = nl_find(h, sizeof(struct ifinfomsg), IFLA_IFNAME);
	if (a)
		snprintf(ls->name, sizeof(ls->name), "%.*s", (int)RTA_PAYLOAD(a), (char *)RTA_DATA(a));
}

/* RTM_GETLINK by @index (when > 0) or by @name. */
static int get_link(int sk, int index, const char *name, struct link_seen *ls)
{
	struct ifinfomsg *ifi;
	struct nl_msg m;

	memset(ls, 0, sizeof(*ls));
	ifi = nl_init(&m, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	if (name)
		nl_attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(sk, &m, link_cb, ls);
}

/* Make two fresh netns: returns a fd of the first, leaves the child in the second. */
static int two_netns(struct probe *p, int *first_sk)
{
	int nsfd;

	if (unshare(CLONE_NEWNET))
		return probe_perror(p, "unshare(CLONE_NEWNET)");
	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return probe_perror(p, "opening /proc/self/ns/net");
	if (first_sk) {
		*first_sk = nl_open(p, NETLINK_ROUTE);
		if (*first_sk < 0)
			return *first_sk;
	}
	if (unshare(CLONE_NEWNET))
		return probe_perror(p, "unshare(CLONE_NEWNET)");
	return nsfd;
}

static int link_nsid_child(struct probe *p, void *arg)
{
	struct link_seen ls;
	int ns_a, sk, r;

	ns_a = two_netns(p, NULL);
	if (ns_a < 0)
		return ns_a;
	sk = nl_open(p, NETLINK_ROUTE);
	if (sk < 0)
		return sk;
	r = veth_create(p, sk, "criuchk0", "criuchk1", ns_a);
	if (r)
		return r;
	r = get_link(sk, 0, "criuchk0", &ls);
	if (r || !ls.found)
		return probe_fail(p, r ? r : -ENOENT, "RTM_GETLINK of the veth just made: %s",
				  r ? strerror(-r) : "not found");
	if (!ls.has_link_nsid)
		return probe_fail(p, -EOPNOTSUPP, "a veth with its peer in another netns shows no IFLA_LINK_NETNSID");
	return 0;
}

int check_link_nsid(struct probe *p)
{
	return probe_run_in_child(p, link_nsid_child, NULL);
}

#define PROBE_IFINDEX 4242

static int newifindex_child(struct probe *p, void *arg)
{
	struct ifinfomsg *ifi;
	struct link_seen ls;
	struct nl_msg m;
	int ns_a, sk_a = -1, sk, r;
	uint32_t fd;
	int32_t idx = PROBE_IFINDEX;

	ns_a = two_netns(p, &sk_a);
	if (ns_a < 0)
		return ns_a;
	sk = nl_open(p, NETLINK_ROUTE);
	if (sk < 0)
		return sk;
	r = veth_create(p, sk, "criuchk0", "criuchk1", -1);
	if (r)
		return r;
	/* Move one end to the first netns, asking for the index it will have there. */
	fd = (uint32_t)ns_a;
	ifi = nl_init(&m, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	nl_attr(&m, IFLA_IFNAME, "criuchk1", sizeof("criuchk1"));
	nl_attr(&m, IFLA_NET_NS_FD, &fd, sizeof(fd));
	nl_attr(&m, IFLA_NEW_IFINDEX, &idx, sizeof(idx));
	r = nl_talk(sk, &m, NULL, NULL);
	if (r)
		return probe_fail(p, r, "moving a veth with IFLA_NEW_IFINDEX: %s", strerror(-r));
	r = get_link(sk_a, PROBE_IFINDEX, NULL, &ls);
	if (r || !ls.found || strcmp(ls.name, "criuchk1"))
		return probe_fail(p, r ? r : -EPROTO, "the moved veth is not at index %d in its new netns",
				  PROBE_IFINDEX);
	return 0;
}

int check_newifindex(struct probe *p)
{
	return probe_run_in_child(p, newifindex_child, NULL);
}

/* ------------------------------------------------------------ nf_tables */

static void gen_cb(struct nlmsghdr *h, void *arg)
{
	struct rtattr *a;

	if (h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
		return;
	a = nl_find(h, sizeof(struct nfgenmsg), NFTA_GEN_ID);
	if (a && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
		memcpy(arg, RTA_DATA(a), sizeof(uint32_t));
		*(uint32_t *)arg = ntohl(*(uint32_t *)arg);
		((uint32_t *)arg)[1] = 1;
	}
}

int check_network_lock_nftables(struct probe *p)
{
	uint32_t gen[2] = { 0, 0 }; /* the id, and whether it came */
	struct nfgenmsg *g;
	struct nl_msg m;
	char path[512];
	int sk, r;

	/* The kernel side: nf_tables answers with its ruleset generation. */
	sk = nl_open(p, NETLINK_NETFILTER);
	if (sk < 0)
		return sk;
	g = nl_init(&m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, NLM_F_REQUEST | NLM_F_ACK, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	r = nl_talk(sk, &m, gen_cb, gen);
	close(sk);
	if (r)
		return probe_fail(p, r, "nf_tables does not answer NFT_MSG_GETGEN: %s", strerror(-r));
	if (!gen[1])
		return probe_fail(p, -EPROTO, "nf_tables answered NFT_MSG_GETGEN without a generation");
	/* The user side: the lock runs nft (a lookup of the tool, not a kernel probe). */
	if (!probe_find_tool("nft", path, sizeof(path)))
		return probe_fail(p, -ENOENT, "nf_tables works but there is no nft tool in $PATH");
	pr_info("network lock: nf_tables generation %u, tool %s\n", gen[0], path);
	return 0;
}
