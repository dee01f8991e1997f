/*
 * Unix sockets: the UNIXSK kind of files.img (unix_sk_entry) and the
 * messages queued on them (sk-queues.img).
 *
 * Dump.  The kernel's view of every unix socket (type, state, name, peer,
 * pending connections of listeners, shutdown state) comes from one
 * NETLINK_SOCK_DIAG dump (libnl has no unix diag: raw netlink).  For each
 * socket description of a task, dump() reads the socket options and the
 * receive queue through criu's fd on the very description: MSG_PEEK with
 * SO_PEEK_OFF walks the queue without consuming it (the task's peek offset
 * is put back), message by message for datagram and seqpacket sockets.  A
 * queued message carrying descriptors (SCM_RIGHTS) is refused.  The
 * entries are written once every task is dumped (dump_finish): only then
 * is it known whether a peer is inside the dump.  A socket connected to a
 * peer outside fails the dump, naming --ext-unix-sk; with it the peer is
 * written as an entry of its own flagged USK_EXTERN.  A client whose
 * connection waits in a listener's accept queue gets the listener as its
 * peer (as CRIU writes it); these clients come last in files.img, in the
 * order of the accept queue.
 *
 * Restore is in sk-unix-restore.c.
 */
#define LOG_PREFIX "unix: "

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cr_options.h"
#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "sk-unix.h"
#include "images/sk-packet.pb-c.h"

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif
#ifndef SO_PEEK_OFF
#define SO_PEEK_OFF 42
#endif

/* ================================================================ socket diag */

struct usk_diag {
	uint32_t ino, peer, vfs_ino;
	uint8_t type, state, shutdown;
	bool has_vfs;
	uint32_t rqlen, wqlen; /* wqlen: the backlog of a listener */
	uint8_t name[SUN_PATH_MAX];
	uint32_t namelen; /* 0: unnamed; name[0] == 0: abstract */
	uint32_t *icons;  /* pending connections (inodes), in queue order */
	uint32_t nicons;
};

static struct {
	struct usk_diag *v;
	size_t nr, max;
	bool loaded;
} diag;

static void diag_free(void)
{
	for (size_t i = 0; i < diag.nr; i++)
		free(diag.v[i].icons);
	free(diag.v);
	memset(&diag, 0, sizeof(diag));
}

static int diag_parse(const struct nlmsghdr *h)
{
	const struct unix_diag_msg *m = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	const struct rtattr *a = (const struct rtattr *)(m + 1);
	struct usk_diag *d;

	if (len < 0)
		return -EINVAL;
	if (files_grow((void **)&diag.v, &diag.max, diag.nr + 1, sizeof(*diag.v)))
		return -ENOMEM;
	d = &diag.v[diag.nr++];
	*d = (struct usk_diag){ .ino = m->udiag_ino, .type = m->udiag_type, .state = m->udiag_state };
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		const void *data = RTA_DATA(a);
		size_t n = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case UNIX_DIAG_NAME:
			if (n > sizeof(d->name))
				n = sizeof(d->name);
			/* As the kernel gives it (and CRIU writes it): a path with its NUL. */
			memcpy(d->name, data, n);
			d->namelen = (uint32_t)n;
			break;
		case UNIX_DIAG_VFS:
			if (n >= sizeof(struct unix_diag_vfs)) {
				d->vfs_ino = ((const struct unix_diag_vfs *)data)->udiag_vfs_ino;
				d->has_vfs = true;
			}
			break;
		case UNIX_DIAG_PEER:
			if (n >= 4)
				memcpy(&d->peer, data, 4);
			break;
		case UNIX_DIAG_ICONS:
			d->nicons = (uint32_t)(n / 4);
			if (d->nicons) {
				d->icons = xmalloc(n);
				if (!d->icons)
					return -ENOMEM;
				memcpy(d->icons, data, d->nicons * 4);
			}
			break;
		case UNIX_DIAG_RQLEN:
			if (n >= sizeof(struct unix_diag_rqlen)) {
				d->rqlen = ((const struct unix_diag_rqlen *)data)->udiag_rqueue;
				d->wqlen = ((const struct unix_diag_rqlen *)data)->udiag_wqueue;
			}
			break;
		case UNIX_DIAG_SHUTDOWN:
			if (n >= 1)
				d->shutdown = *(const uint8_t *)data;
			break;
		}
	}
	return 0;
}

/* Read every unix socket of criu's network namespace. */
static int diag_load(void)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1 },
		.r = { .sdiag_family = AF_UNIX,
		       .udiag_states = ~0u,
		       .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS |
				     UDIAG_SHOW_RQLEN },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	_cleanup_close_ int s = -1;
	_cleanup_free_ char *buf = NULL;
	const size_t size = 64 * 1024;
	int r = 0;

	diag_free();
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (s < 0)
		return pr_err_ret(-errno, "can't open a NETLINK_SOCK_DIAG socket");
	if (sendto(s, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return pr_err_ret(-errno, "can't ask the kernel for its unix sockets");
	buf = xmalloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = recv(s, buf, size, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pr_err_ret(-errno, "can't read the unix socket list");
		}
		if (n == 0)
			break;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				goto done;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return pr_err_ret(e->error ? e->error : -EIO, "unix socket diag failed");
			}
			r = diag_parse(h);
			if (r)
				return r;
		}
	}
done:
	diag.loaded = true;
	pr_debug("%zu unix sockets in the system\n", diag.nr);
	return 0;
}

static struct usk_diag *diag_find(uint32_t ino)
{
	for (size_t i = 0; i < diag.nr; i++)
		if (diag.v[i].ino == ino)
			return &diag.v[i];
	return NULL;
}

/* "@name", "/path" or "(unnamed)", for messages. */
const char *usk_name_str(const uint8_t *name, size_t len, char *buf, size_t size)
{
	if (!len)
		return "(unnamed)";
	if (!name[0])
		snprintf(buf, size, "@%.*s", (int)len - 1, (const char *)name + 1);
	else
		snprintf(buf, size, "%.*s", (int)len, (const char *)name);
	return buf;
}

/* ================================================================ dump */

struct usk_packet {
	uint8_t *data;
	size_t len;
};

struct usk_dump {
	uint32_t id, ino;
	char what[64];
	uint32_t flags;
	FownEntry fown;
	SkOptsEntry opts;
	FilePermsEntry perms;
	bool has_perms, deleted;
	char *name_dir; /* the task's cwd, for a relative name */
	struct usk_packet *q;
	size_t nq, maxq;
	/* Filled by dump_finish: */
	uint32_t peer;
	bool pending;		      /* waits in a listener's accept queue */
	size_t listener, pending_pos; /* which listener, where in its queue */
	bool written;
};

static struct {
	struct usk_dump *v;
	size_t nr, max;
	uint32_t *ext; /* external peers already written */
	size_t next, maxext;
} ud;

static bool usk_match(const struct fd_parms *p)
{
	int dom;
	socklen_t len = sizeof(dom);

	if (!S_ISSOCK(p->st.st_mode))
		return false;
	if (p->lfd >= 0)
		return !getsockopt(p->lfd, SOL_SOCKET, SO_DOMAIN, &dom, &len) && dom == AF_UNIX;
	if (!diag.loaded && diag_load())
		return false;
	return diag_find((uint32_t)p->st.st_ino) != NULL;
}

static int get_int(int fd, int opt, int *v)
{
	socklen_t len = sizeof(*v);

	return getsockopt(fd, SOL_SOCKET, opt, v, &len) ? -errno : 0;
}

static int read_opts(int fd, SkOptsEntry *o, const char *what)
{
	struct timeval tv;
	socklen_t len;
	int v, r;

	sk_opts_entry__init(o);
	r = get_int(fd, SO_SNDBUF, &v);
	if (!r)
		o->so_sndbuf = (uint32_t)v;
	if (!r)
		r = get_int(fd, SO_RCVBUF, &v);
	if (!r)
		o->so_rcvbuf = (uint32_t)v;
	if (r)
		return pr_err_ret(r, "%s: can't read the socket buffer sizes", what);
	len = sizeof(tv);
	if (!getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len)) {
		o->so_snd_tmo_sec = (uint64_t)tv.tv_sec;
		o->so_snd_tmo_usec = (uint64_t)tv.tv_usec;
	}
	len = sizeof(tv);
	if (!getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len)) {
		o->so_rcv_tmo_sec = (uint64_t)tv.tv_sec;
		o->so_rcv_tmo_usec = (uint64_t)tv.tv_usec;
	}
#define OPT(name, field)                            \
	if (!get_int(fd, name, &v)) {               \
		o->has_##field = true;              \
		o->field = (__typeof__(o->field))v; \
	}
	OPT(SO_PRIORITY, so_priority);
	OPT(SO_RCVLOWAT, so_rcvlowat);
	OPT(SO_MARK, so_mark);
	OPT(SO_PASSCRED, so_passcred);
	OPT(SO_PASSSEC, so_passsec);
	OPT(SO_BUF_LOCK, so_buf_lock);
#undef OPT
	return 0;
}

static int queue_add(struct usk_dump *u, const void *data, size_t len)
{
	struct usk_packet *pk;

	if (files_grow((void **)&u->q, &u->maxq, u->nq + 1, sizeof(*u->q)))
		return -ENOMEM;
	pk = &u->q[u->nq];
	pk->data = xmalloc(len ? len : 1);
	if (!pk->data)
		return -ENOMEM;
	memcpy(pk->data, data, len);
	pk->len = len;
	u->nq++;
	return 0;
}

/* 1 if the control data of @mh holds descriptors (they are closed), else 0. */
static int drop_rights(struct msghdr *mh)
{
	int found = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		found = 1;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
			close(((int *)CMSG_DATA(c))[i]);
	}
	return found;
}

static int rights_refused(const struct usk_dump *u)
{
	pr_err("%s: a message queued on the socket carries file descriptors (SCM_RIGHTS): not supported yet\n",
	       u->what);
	return -EOPNOTSUPP;
}

/*
 * Copy the receive queue of the socket behind @fd into @u without taking
 * anything off it: MSG_PEEK from the peek offset, which each peek moves on.
 */
static int peek_queue(int fd, const struct usk_diag *dg, struct usk_dump *u)
{
	const size_t stream_chunk = 64 * 1024;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 253) + CMSG_SPACE(64)];
		struct cmsghdr align;
	} ctl;
	bool stream = dg->type == SOCK_STREAM;
	_cleanup_free_ uint8_t *buf = NULL;
	size_t bufsize = 0, total = 0;
	int old = -1, zero = 0, r = 0;

	if (get_int(fd, SO_PEEK_OFF, &old))
		return pr_err_ret(-errno, "%s: can't read the peek offset", u->what);
	if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)))
		return pr_err_ret(-errno, "%s: can't set the peek offset", u->what);
	for (;;) {
		struct iovec iov = { 0 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n, want = (ssize_t)stream_chunk;

		if (!stream) {
			/*
			 * The length of the next message, without moving the
			 * offset.  A zero-length message is marked as peeked
			 * here and skipped by the next peek: keep it now.
			 */
			mh.msg_control = ctl.buf;
			mh.msg_controllen = sizeof(ctl.buf);
			want = recvmsg(fd, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
			if (want < 0) {
				if (errno != EAGAIN)
					r = pr_err_ret(-errno, "%s: can't peek at the queue", u->what);
				break;
			}
			if (drop_rights(&mh)) {
				r = rights_refused(u);
				break;
			}
			if (want == 0 && (dg->shutdown & 1))
				break; /* the end of a shut down queue */
			if (want == 0) {
				r = queue_add(u, "", 0);
				if (r)
					break;
				continue;
			}
		}
		if ((size_t)want > bufsize) {
			uint8_t *nb = xrealloc(buf, (size_t)want);

			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			bufsize = (size_t)want;
		}
		iov.iov_base = buf;
		iov.iov_len = (size_t)want;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(fd, &mh, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno != EAGAIN)
				r = pr_err_ret(-errno, "%s: can't peek at the queue", u->what);
			break;
		}
		if (drop_rights(&mh)) {
			r = rights_refused(u);
			break;
		}
		if (stream && n == 0)
			break; /* end of file: the queue is empty and the peer shut down */
		r = queue_add(u, buf, (size_t)n);
		if (r)
			break;
		total += (size_t)n;
		if (u->nq > (1u << 20)) {
			pr_err("%s: more than a million queued messages\n", u->what);
			r = -E2BIG;
			break;
		}
	}
	if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old)))
		pr_warn("%s: can't put the peek offset back to %d: %s\n", u->what, old, strerror(errno));
	if (!r && u->nq)
		pr_info("%s: %zu queued messages, %zu bytes\n", u->what, u->nq, total);
	return r;
}

/*
 * Mode and owner of the socket file of a path name, or that it was
 * deleted.  A relative name is looked for from the task's cwd, which is
 * kept as name_dir (as CRIU does).
 */
static int read_path(const struct usk_diag *dg, struct usk_dump *u, pid_t pid)
{
	char path[PATH_MAX + SUN_PATH_MAX + 2], cwd[PATH_MAX], link[64];
	struct stat st;
	ssize_t n;

	if (dg->name[0] == '/') {
		memcpy(path, dg->name, dg->namelen);
		path[dg->namelen] = '\0';
	} else {
		snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n <= 0 || cwd[0] != '/')
			return pr_err_ret(n < 0 ? -errno : -EINVAL,
					  "%s: can't read the cwd of %d for the relative name %.*s", u->what, (int)pid,
					  (int)dg->namelen, (const char *)dg->name);
		cwd[n] = '\0';
		u->name_dir = xstrdup(cwd);
		if (!u->name_dir)
			return -ENOMEM;
		snprintf(path, sizeof(path), "%s/%.*s", cwd, (int)dg->namelen, (const char *)dg->name);
		pr_info("%s: relative name %s, taken from %s\n", u->what, path + n + 1, cwd);
	}
	if (stat(path, &st) || !S_ISSOCK(st.st_mode) || (dg->has_vfs && st.st_ino != dg->vfs_ino)) {
		u->deleted = true;
		pr_info("%s: the socket file %s is gone\n", u->what, path);
		return 0;
	}
	file_perms_entry__init(&u->perms);
	u->perms.mode = st.st_mode;
	u->perms.uid = st.st_uid;
	u->perms.gid = st.st_gid;
	u->has_perms = true;
	return 0;
}

static int usk_dump(const struct fd_parms *p, uint32_t id)
{
	struct usk_diag *dg;
	struct usk_dump *u;
	int r;

	if (!diag.loaded || !diag_find((uint32_t)p->st.st_ino)) {
		r = diag_load();
		if (r)
			return r;
	}
	dg = diag_find((uint32_t)p->st.st_ino);
	if (!dg) {
		pr_err("%s: unix socket %s is not in the kernel's list (another network namespace?)\n", p->what,
		       p->link);
		return -ENOENT;
	}
	if (dg->type != SOCK_STREAM && dg->type != SOCK_DGRAM && dg->type != SOCK_SEQPACKET) {
		pr_err("%s: unix socket of type %u: not supported\n", p->what, dg->type);
		return -EOPNOTSUPP;
	}
	if (p->lfd < 0) {
		pr_err("%s: criu has no fd on unix socket %s: can't read it\n", p->what, p->link);
		return -EBADF;
	}
	if (files_grow((void **)&ud.v, &ud.max, ud.nr + 1, sizeof(*ud.v)))
		return -ENOMEM;
	u = &ud.v[ud.nr];
	*u = (struct usk_dump){ .id = id, .ino = dg->ino, .flags = p->flags };
	snprintf(u->what, sizeof(u->what), "%s", p->what);
	fown_entry__init(&u->fown);
	if (p->fown)
		u->fown = *p->fown;
	ud.nr++;
	r = read_opts(p->lfd, &u->opts, u->what);
	if (!r && dg->namelen && dg->name[0])
		r = read_path(dg, u, p->pid);
	if (!r && dg->state != USK_LISTEN)
		r = peek_queue(p->lfd, dg, u);
	return r;
}

static struct usk_dump *dumped(uint32_t ino)
{
	for (size_t i = 0; i < ud.nr; i++)
		if (ud.v[i].ino == ino)
			return &ud.v[i];
	return NULL;
}

/* Did the user allow socket @ino (of the dump) to have a peer outside? */
static bool ext_allowed(uint32_t ino)
{
	char tok[32];
	bool listed = false;

	if (!opts.ext_unix_sk && !opts.external.n)
		return false;
	snprintf(tok, sizeof(tok), "unix[%u]", ino);
	for (unsigned int i = 0; i < opts.external.n; i++)
		if (!strcmp(opts.external.v[i], tok))
			return true;
	if (!opts.ext_unix_sk)
		return false;
	for (unsigned int i = 0; i < opts.ext_unix_sk_ids.n; i++) {
		char *s = opts.ext_unix_sk_ids.v[i];

		listed = true;
		while (*s) {
			char *end;
			unsigned long v = strtoul(s, &end, 10);

			if (v == ino)
				return true;
			s = *end ? end + 1 : end;
		}
	}
	return !listed;
}

static void fill_entry(UnixSkEntry *ue, const struct usk_diag *dg)
{
	unix_sk_entry__init(ue);
	ue->ino = dg->ino;
	ue->type = dg->type;
	ue->state = dg->state;
	ue->name.len = dg->namelen;
	ue->name.data = (uint8_t *)dg->name;
	if (dg->state == USK_LISTEN)
		ue->backlog = dg->wqlen;
	if (dg->shutdown) {
		ue->has_shutdown = true;
		ue->shutdown = (SkShutdown)(dg->shutdown & 3);
	}
}

/* The entry of a peer outside the dump (written once per peer). */
static int dump_external(uint32_t ino, uint32_t our_ino)
{
	static const FownEntry no_fown = FOWN_ENTRY__INIT;
	SkOptsEntry so = SK_OPTS_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	struct usk_diag none = { .ino = ino, .state = USK_ESTABLISHED };
	const struct usk_diag *dg = diag_find(ino);
	UnixSkEntry ue;

	for (size_t i = 0; i < ud.next; i++)
		if (ud.ext[i] == ino)
			return 0;
	if (files_grow((void **)&ud.ext, &ud.maxext, ud.next + 1, sizeof(*ud.ext)))
		return -ENOMEM;
	ud.ext[ud.next++] = ino;
	fill_entry(&ue, dg ? dg : &none);
	ue.id = files_new_id();
	ue.uflags = USK_EXTERN;
	ue.peer = our_ino;
	ue.fown = (FownEntry *)&no_fown;
	ue.opts = &so;
	fe.type = FD_TYPES__UNIXSK;
	fe.id = ue.id;
	fe.usk = &ue;
	return files_add_entry(&fe);
}

/* Check the peer of @u and decide what its entry says. */
static int resolve_peer(struct usk_dump *u, const struct usk_diag *dg)
{
	const struct usk_diag *pd;
	char nb[SUN_PATH_MAX + 2];

	if (u->pending || !dg->peer)
		return 0;
	u->peer = dg->peer;
	if (dumped(dg->peer))
		return 0;
	pd = diag_find(dg->peer);
	if (!ext_allowed(u->ino)) {
		pr_err("%s: unix socket %u is connected to socket %u (%s) outside the dumped tree; "
		       "--ext-unix-sk allows it\n",
		       u->what, u->ino, dg->peer,
		       pd ? usk_name_str(pd->name, pd->namelen, nb, sizeof(nb)) : "(unknown)");
		return -EOPNOTSUPP;
	}
	if (dg->type == SOCK_DGRAM && (!pd || !pd->namelen)) {
		pr_err("%s: datagram socket %u is connected to an unnamed socket %u outside the dump: it can't "
		       "be connected again\n",
		       u->what, u->ino, dg->peer);
		return -EOPNOTSUPP;
	}
	pr_info("%s: unix socket %u: its peer %u (%s) is outside the dump (--ext-unix-sk)\n", u->what, u->ino, dg->peer,
		pd ? usk_name_str(pd->name, pd->namelen, nb, sizeof(nb)) : "(unknown)");
	return dump_external(dg->peer, u->ino);
}

/*
 * The clients waiting in the accept queue of listener @li: the kernel lists
 * them (UNIX_DIAG_ICONS gives the peer of each embryo, i.e. the client).
 */
static int resolve_pending(size_t li, const struct usk_diag *dg)
{
	struct usk_dump *l = &ud.v[li];

	for (uint32_t k = 0; k < dg->nicons; k++) {
		struct usk_dump *c = dumped(dg->icons[k]);
		const struct usk_diag *cd = c ? diag_find(c->ino) : NULL;

		if (!c || !cd) {
			pr_err("%s: listening socket %u has a pending connection from socket %u, outside the dumped "
			       "tree: not supported\n",
			       l->what, l->ino, dg->icons[k]);
			return -EOPNOTSUPP;
		}
		if (cd->wqlen) {
			pr_err("%s: %s sent %u bytes on its connection to listening socket %u that is not "
			       "accepted yet: not supported yet\n",
			       l->what, c->what, cd->wqlen, l->ino);
			return -EOPNOTSUPP;
		}
		c->pending = true;
		c->peer = l->ino;
		c->listener = li;
		c->pending_pos = k;
	}
	return 0;
}

static int write_entry(struct usk_dump *u)
{
	const struct usk_diag *dg = diag_find(u->ino);
	FileEntry fe = FILE_ENTRY__INIT;
	UnixSkEntry ue;

	fill_entry(&ue, dg);
	ue.id = u->id;
	ue.flags = u->flags;
	ue.peer = u->peer;
	ue.fown = &u->fown;
	ue.opts = &u->opts;
	if (u->has_perms)
		ue.file_perms = &u->perms;
	if (u->deleted) {
		ue.has_deleted = true;
		ue.deleted = true;
	}
	ue.name_dir = u->name_dir;
	fe.type = FD_TYPES__UNIXSK;
	fe.id = u->id;
	fe.usk = &ue;
	u->written = true;
	return files_add_entry(&fe);
}

static int write_queues(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < ud.nr; i++)
		n += ud.v[i].nq;
	if (!n)
		return 0;
	r = img_open(dir, CR_IMG_SK_QUEUES, IMG_WRITE, 0, &img);
	if (r)
		return r;
	for (size_t i = 0; !r && i < ud.nr; i++) {
		const struct usk_dump *u = &ud.v[i];

		for (size_t k = 0; !r && k < u->nq; k++) {
			SkPacketEntry pe = SK_PACKET_ENTRY__INIT;

			pe.id_for = u->id;
			pe.length = (uint32_t)u->q[k].len;
			r = img_write_entry(img, &pe);
			if (!r && u->q[k].len)
				r = img_write_raw(img, u->q[k].data, u->q[k].len);
		}
	}
	if (r) {
		img_closep(&img);
		return r;
	}
	return img_close(img);
}

static int usk_dump_finish(struct img_dir *dir)
{
	int r = 0;

	if (!ud.nr)
		return 0;
	for (size_t i = 0; i < ud.nr; i++)
		if (!diag_find(ud.v[i].ino)) {
			pr_err("%s: unix socket %u left the kernel's list during the dump\n", ud.v[i].what,
			       ud.v[i].ino);
			return -ENOENT;
		}
	for (size_t i = 0; !r && i < ud.nr; i++) {
		const struct usk_diag *dg = diag_find(ud.v[i].ino);

		if (dg->state == USK_LISTEN && dg->nicons)
			r = resolve_pending(i, dg);
	}
	for (size_t i = 0; !r && i < ud.nr; i++)
		r = resolve_peer(&ud.v[i], diag_find(ud.v[i].ino));
	/* Everything but pending clients, then those in accept-queue order. */
	for (size_t i = 0; !r && i < ud.nr; i++)
		if (!ud.v[i].pending)
			r = write_entry(&ud.v[i]);
	for (size_t li = 0; !r && li < ud.nr; li++) {
		const struct usk_diag *dg = diag_find(ud.v[li].ino);

		for (uint32_t k = 0; !r && dg->state == USK_LISTEN && k < dg->nicons; k++)
			for (size_t i = 0; !r && i < ud.nr; i++)
				if (ud.v[i].pending && ud.v[i].listener == li && ud.v[i].pending_pos == k)
					r = write_entry(&ud.v[i]);
	}
	if (!r)
		r = write_queues(dir);
	return r;
}

static void usk_dump_fini(void)
{
	for (size_t i = 0; i < ud.nr; i++) {
		for (size_t k = 0; k < ud.v[i].nq; k++)
			free(ud.v[i].q[k].data);
		free(ud.v[i].q);
		free(ud.v[i].name_dir);
	}
	free(ud.v);
	free(ud.ext);
	memset(&ud, 0, sizeof(ud));
	diag_free();
}

const struct fd_kind unix_sk_kind = {
	.name = "unix socket",
	.type = FD_TYPES__UNIXSK,
	.match = usk_match,
	.dump = usk_dump,
	.collect = usk_collect,
	.open = usk_open,
	.dump_finish = usk_dump_finish,
	.dump_fini = usk_dump_fini,
	.collect_images = usk_collect_images,
	.restore_fini = usk_restore_fini,
};
