/*
 * Unix sockets, restore side (the dump side and the kind are in sk-unix.c).
 *
 * open() creates the socket of its entry, and with it whatever must be
 * made at the same time: both ends of a connected pair (socketpair(),
 * names bound afterwards), a listener with its pending clients connected
 * in the order of files.img (the order of the accept queue), the server a
 * datagram socket connects to.  The queues (sk-queues.img) are refilled
 * from the peer, or through a socket of criu's (sendto() the name, or the
 * other end of a socketpair that is then closed); then options and the
 * shutdown state are set.  Sockets made ahead of their own open() wait at
 * or above the service-fd base.  A stream socket whose peer was outside
 * the dump (USK_EXTERN) comes back with its peer closed; a datagram one
 * is connected again to its peer's name.  Works in whichever process runs
 * open().
 */
#define LOG_PREFIX "unix: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "sk-unix.h"
#include "images/sk-packet.pb-c.h"

struct usk_rst {
	struct file_desc *d;
	const UnixSkEntry *ue;
	int fd; /* criu's, until open() hands it out */
	bool created, creating, given;
	size_t order; /* position in files.img */
};

struct usk_qpkt {
	uint32_t id_for;
	uint8_t *data;
	size_t len;
};

static struct {
	struct usk_rst *v;
	size_t nr, max;
	uint32_t *order; /* unix socket ids in files.img order */
	size_t nr_order, max_order;
	struct usk_qpkt *q;
	size_t nq, maxq;
} ur;

static int read_queues(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	int r;

	r = img_open(dir, CR_IMG_SK_QUEUES, IMG_READ | IMG_OPTIONAL, 0, &img);
	if (r < 0)
		return r;
	for (;;) {
		SkPacketEntry *pe = NULL;
		struct usk_qpkt *q;

		r = img_read_entry(img, NULL, (void **)&pe);
		if (r <= 0)
			break;
		if (pe->n_scm) {
			pr_err("%s: a message for socket %u carries descriptors: not supported yet\n", img_name(img),
			       pe->id_for);
			img_msg_free(pe);
			r = -EOPNOTSUPP;
			break;
		}
		r = files_grow((void **)&ur.q, &ur.maxq, ur.nq + 1, sizeof(*ur.q));
		if (r) {
			img_msg_free(pe);
			break;
		}
		q = &ur.q[ur.nq++];
		*q = (struct usk_qpkt){ .id_for = pe->id_for, .len = pe->length };
		img_msg_free(pe);
		q->data = xmalloc(q->len ? q->len : 1);
		if (!q->data) {
			r = -ENOMEM;
			break;
		}
		r = img_read_raw(img, q->data, q->len);
		if (r)
			break;
	}
	img_closep(&img);
	return r < 0 ? r : 0;
}

/* The order of the unix socket entries in files.img (pending clients connect in it). */
static int read_order(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	int r;

	r = img_open(dir, CR_IMG_FILES, IMG_READ, 0, &img);
	if (r)
		return r;
	for (;;) {
		FileEntry *fe = NULL;

		r = img_read_entry(img, NULL, (void **)&fe);
		if (r <= 0)
			break;
		if (fe->type == FD_TYPES__UNIXSK) {
			r = files_grow((void **)&ur.order, &ur.max_order, ur.nr_order + 1, sizeof(*ur.order));
			if (!r)
				ur.order[ur.nr_order++] = fe->id;
		}
		img_msg_free(fe);
		if (r)
			break;
	}
	img_closep(&img);
	return r < 0 ? r : 0;
}

int usk_collect_images(struct img_dir *dir)
{
	int r = read_queues(dir);

	return r ?: read_order(dir);
}

int usk_collect(struct file_desc *d)
{
	struct usk_rst *u;
	size_t order = 0;

	if (!d->fe->usk || !d->fe->usk->opts || d->fe->usk->name.len > SUN_PATH_MAX) {
		pr_err("files.img entry %u: a unix socket without its fields (or with too long a name)\n", d->id);
		return -EINVAL;
	}
	while (order < ur.nr_order && ur.order[order] != d->id)
		order++;
	if (files_grow((void **)&ur.v, &ur.max, ur.nr + 1, sizeof(*ur.v)))
		return -ENOMEM;
	u = &ur.v[ur.nr++];
	*u = (struct usk_rst){ .d = d, .ue = d->fe->usk, .fd = -1, .order = order };
	return 0;
}

static struct usk_rst *rst_by_ino(uint32_t ino)
{
	for (size_t i = 0; ino && i < ur.nr; i++)
		if (ur.v[i].ue->ino == ino)
			return &ur.v[i];
	return NULL;
}

static struct usk_rst *rst_by_id(uint32_t id)
{
	for (size_t i = 0; i < ur.nr; i++)
		if (ur.v[i].d->id == id)
			return &ur.v[i];
	return NULL;
}

static const char *rst_name(const struct usk_rst *u, char *buf, size_t size)
{
	return usk_name_str(u->ue->name.data, u->ue->name.len, buf, size);
}

/* The address of @u's name. */
static socklen_t rst_addr(const struct usk_rst *u, struct sockaddr_un *sa)
{
	const UnixSkEntry *ue = u->ue;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, ue->name.data, ue->name.len);
	if (ue->name.len && ue->name.data[0])
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + ue->name.len + 1 > sizeof(*sa)
					   ? sizeof(*sa)
					   : offsetof(struct sockaddr_un, sun_path) + ue->name.len + 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + ue->name.len);
}

/*
 * An accepted socket carries its listener's name without being bound to
 * it: a connected stream or seqpacket socket whose name another socket of
 * the dump has too (its listener, or a sibling accepted from it) is not
 * bound again.  (A lone accepted socket of a closed listener is bound: the
 * image cannot tell it from a client that bound a name of its own.)
 */
static bool name_inherited(const struct usk_rst *u)
{
	const UnixSkEntry *ue = u->ue;

	if (!ue->name.len || ue->state == USK_LISTEN || ue->type == SOCK_DGRAM)
		return false;
	for (size_t i = 0; i < ur.nr; i++) {
		const UnixSkEntry *o = ur.v[i].ue;

		if (o != ue && !(o->uflags & USK_EXTERN) && o->name.len == ue->name.len &&
		    !memcmp(o->name.data, ue->name.data, o->name.len))
			return true;
	}
	return false;
}

/*
 * A relative name is used from the directory it was bound in: criu's cwd
 * moves there for the call and comes back (*@saved).
 */
static int enter_name_dir(const UnixSkEntry *ue, int *saved)
{
	int r;

	*saved = -1;
	if (!ue->name.len || !ue->name.data[0] || ue->name.data[0] == '/')
		return 0;
	if (!ue->name_dir) {
		pr_err("unix socket %u: a relative name without its directory\n", ue->ino);
		return -EINVAL;
	}
	*saved = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*saved < 0)
		return pr_err_ret(-errno, "can't open criu's cwd");
	if (chdir(ue->name_dir)) {
		r = -errno;
		close(*saved);
		*saved = -1;
		return pr_err_ret(r, "unix socket %u: can't go to %s for its relative name", ue->ino, ue->name_dir);
	}
	return 0;
}

static void leave_name_dir(int saved)
{
	if (saved < 0)
		return;
	if (fchdir(saved))
		pr_warn("can't go back to criu's cwd: %s\n", strerror(errno));
	close(saved);
}

static int bind_name_here(const struct usk_rst *u, int fd);

static int bind_name(const struct usk_rst *u, int fd)
{
	int saved, r;

	if (!u->ue->name.len || name_inherited(u))
		return 0;
	r = enter_name_dir(u->ue, &saved);
	if (r)
		return r;
	r = bind_name_here(u, fd);
	leave_name_dir(saved);
	return r;
}

static int bind_name_here(const struct usk_rst *u, int fd)
{
	const UnixSkEntry *ue = u->ue;
	struct sockaddr_un sa;
	socklen_t len;
	char nb[SUN_PATH_MAX + 2];
	struct stat st;
	bool path;

	len = rst_addr(u, &sa);
	path = sa.sun_path[0] != '\0';
	if (path && !lstat(sa.sun_path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			pr_err("unix socket %u: %s exists and is not a socket: not replaced\n", ue->ino, sa.sun_path);
			return -EEXIST;
		}
		if (unlink(sa.sun_path))
			return pr_err_ret(-errno, "unix socket %u: can't remove the old socket file %s", ue->ino,
					  sa.sun_path);
	}
	if (bind(fd, (struct sockaddr *)&sa, len))
		return pr_err_ret(-errno, "unix socket %u: can't bind to %s", ue->ino, rst_name(u, nb, sizeof(nb)));
	if (!path)
		return 0;
	if (ue->file_perms) {
		if (chmod(sa.sun_path, ue->file_perms->mode & 07777))
			pr_warn("unix socket %u: can't chmod %s: %s\n", ue->ino, sa.sun_path, strerror(errno));
		if (chown(sa.sun_path, ue->file_perms->uid, ue->file_perms->gid))
			pr_warn("unix socket %u: can't chown %s: %s\n", ue->ino, sa.sun_path, strerror(errno));
	}
	if (ue->has_deleted && ue->deleted && unlink(sa.sun_path))
		return pr_err_ret(-errno, "unix socket %u: can't remove %s (deleted at dump)", ue->ino, sa.sun_path);
	return 0;
}

static int set_int(int fd, int opt, int v)
{
	return setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)) ? -errno : 0;
}

/* The buffer sizes (if the task had set them) and the usual options. */
static int apply_opts(const struct usk_rst *u, int fd)
{
	const SkOptsEntry *o = u->ue->opts;
	uint32_t lock = o->has_so_buf_lock ? o->so_buf_lock : 0;
	struct timeval tv;
	int r = 0;

	if ((lock & 1) && set_int(fd, SO_SNDBUFFORCE, (int)(o->so_sndbuf / 2)) &&
	    set_int(fd, SO_SNDBUF, (int)(o->so_sndbuf / 2)))
		pr_warn("unix socket %u: can't set the send buffer to %u\n", u->ue->ino, o->so_sndbuf);
	if ((lock & 2) && set_int(fd, SO_RCVBUFFORCE, (int)(o->so_rcvbuf / 2)) &&
	    set_int(fd, SO_RCVBUF, (int)(o->so_rcvbuf / 2)))
		pr_warn("unix socket %u: can't set the receive buffer to %u\n", u->ue->ino, o->so_rcvbuf);
	if (o->has_so_buf_lock)
		r = set_int(fd, SO_BUF_LOCK, (int)lock);
	if (!r && (o->so_snd_tmo_sec || o->so_snd_tmo_usec)) {
		tv = (struct timeval){ (time_t)o->so_snd_tmo_sec, (suseconds_t)o->so_snd_tmo_usec };
		r = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ? -errno : 0;
	}
	if (!r && (o->so_rcv_tmo_sec || o->so_rcv_tmo_usec)) {
		tv = (struct timeval){ (time_t)o->so_rcv_tmo_sec, (suseconds_t)o->so_rcv_tmo_usec };
		r = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ? -errno : 0;
	}
	if (!r && o->has_so_passcred && o->so_passcred)
		r = set_int(fd, SO_PASSCRED, 1);
	if (!r && o->has_so_passsec && o->so_passsec)
		r = set_int(fd, SO_PASSSEC, 1);
	if (!r && o->has_so_priority && o->so_priority)
		r = set_int(fd, SO_PRIORITY, (int)o->so_priority);
	if (!r && o->has_so_rcvlowat && o->so_rcvlowat > 1)
		r = set_int(fd, SO_RCVLOWAT, (int)o->so_rcvlowat);
	if (r)
		return pr_err_ret(r, "unix socket %u: can't set its options", u->ue->ino);
	if (o->has_so_mark && o->so_mark && set_int(fd, SO_MARK, (int)o->so_mark))
		pr_warn("unix socket %u: can't set its mark %u: %s\n", u->ue->ino, o->so_mark, strerror(errno));
	return 0;
}

static int send_all(int fd, const struct usk_qpkt *q, const struct sockaddr_un *to, socklen_t tolen)
{
	size_t off = 0;

	do {
		ssize_t n = sendto(fd, q->data + off, q->len - off, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (const struct sockaddr *)to, tolen);

		if (n < 0)
			return -errno;
		off += (size_t)n;
	} while (off < q->len);
	return 0;
}

/*
 * Put the queued messages of @u back, sent from @from (its peer or the
 * other end of a socketpair); @from < 0: from a socket of criu's, to @u's
 * name.
 */
static int fill_queue(const struct usk_rst *u, int from)
{
	_cleanup_close_ int tmp = -1;
	struct sockaddr_un sa;
	socklen_t salen = 0;
	size_t n = 0, bytes = 0;
	char nb[SUN_PATH_MAX + 2];

	for (size_t i = 0; i < ur.nq; i++) {
		const struct usk_qpkt *q = &ur.q[i];
		int r;

		if (q->id_for != u->d->id)
			continue;
		if (from < 0 && tmp < 0) {
			if (!u->ue->name.len || u->ue->type != SOCK_DGRAM) {
				pr_err("unix socket %u: queued messages but nothing to send them from\n", u->ue->ino);
				return -EINVAL;
			}
			tmp = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (tmp < 0)
				return pr_err_ret(-errno, "can't make a socket to refill a queue");
			salen = rst_addr(u, &sa);
		}
		if (from >= 0) {
			r = send_all(from, q, NULL, 0);
		} else {
			int saved;

			r = enter_name_dir(u->ue, &saved);
			if (!r)
				r = send_all(tmp, q, &sa, salen);
			leave_name_dir(saved);
		}
		if (r)
			return pr_err_ret(r, "unix socket %u (%s): can't queue message %zu (%zu bytes) again",
					  u->ue->ino, rst_name(u, nb, sizeof(nb)), n, q->len);
		n++;
		bytes += q->len;
	}
	if (n)
		pr_info("unix socket %u: %zu messages (%zu bytes) queued again\n", u->ue->ino, n, bytes);
	return 0;
}

static int apply_shutdown(const struct usk_rst *u, int fd)
{
	unsigned int how = u->ue->has_shutdown ? (unsigned int)u->ue->shutdown : 0;

	if (!how || u->ue->state == USK_LISTEN)
		return 0;
	if (shutdown(fd, (int)how - 1) && errno != ENOTCONN)
		return pr_err_ret(-errno, "unix socket %u: can't shut it down (%u)", u->ue->ino, how);
	return 0;
}

/* Keep @fd above the service-fd base as @u's socket. */
static int keep(struct usk_rst *u, int fd)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, files_service_fd_base());
	int r = nfd < 0 ? -errno : 0;

	close(fd);
	if (r)
		return pr_err_ret(r, "unix socket %u: can't move its fd", u->ue->ino);
	u->fd = nfd;
	u->created = true;
	return 0;
}

static int new_socket(const struct usk_rst *u)
{
	int fd = socket(AF_UNIX, (int)u->ue->type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return pr_err_ret(-errno, "unix socket %u: can't make a socket of type %u", u->ue->ino, u->ue->type);
	return fd;
}

static int connect_to(const struct usk_rst *u, int fd, const struct usk_rst *to)
{
	struct sockaddr_un sa;
	socklen_t len = rst_addr(to, &sa);
	char nb[SUN_PATH_MAX + 2];
	int saved, r;

	if (!to->ue->name.len) {
		pr_err("unix socket %u: its peer %u has no name to connect to\n", u->ue->ino, to->ue->ino);
		return -EINVAL;
	}
	r = enter_name_dir(to->ue, &saved);
	if (r)
		return r;
	r = connect(fd, (struct sockaddr *)&sa, len) ? -errno : 0;
	leave_name_dir(saved);
	if (r)
		return pr_err_ret(r, "unix socket %u: can't connect to %s", u->ue->ino, rst_name(to, nb, sizeof(nb)));
	return 0;
}

static int create_one(struct usk_rst *u);

/* A socket that connects to @to (a listener, a datagram server, an outside peer). */
static int create_connected(struct usk_rst *u, const struct usk_rst *to)
{
	_cleanup_close_ int fd = new_socket(u);
	int r;

	if (fd < 0)
		return fd;
	/* Never block on a full accept queue; the flags are set when handed out. */
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		return pr_err_ret(-errno, "unix socket %u: can't make it non-blocking", u->ue->ino);
	r = bind_name(u, fd);
	if (!r)
		r = apply_opts(u, fd);
	if (!r)
		r = connect_to(u, fd, to);
	if (!r)
		r = fill_queue(u, -1);
	if (!r)
		r = apply_shutdown(u, fd);
	return r ?: keep(u, TAKE_FD(fd));
}

static int cmp_order(const void *a, const void *b)
{
	const struct usk_rst *x = *(struct usk_rst *const *)a, *y = *(struct usk_rst *const *)b;

	return (x->order > y->order) - (x->order < y->order);
}

/*
 * The listener an accepted socket @u came from: a listening socket of the
 * dump of the same type and name (an accepted socket carries its
 * listener's name).  NULL for anything else.
 */
static struct usk_rst *listener_of(const struct usk_rst *u)
{
	const UnixSkEntry *ue = u->ue;

	if (!ue->name.len || ue->state != USK_ESTABLISHED || ue->type == SOCK_DGRAM || (ue->uflags & USK_EXTERN))
		return NULL;
	for (size_t i = 0; i < ur.nr; i++) {
		const UnixSkEntry *o = ur.v[i].ue;

		if (o->state == USK_LISTEN && o->type == ue->type && !(o->uflags & USK_EXTERN) &&
		    o->name.len == ue->name.len && !memcmp(o->name.data, ue->name.data, o->name.len))
			return &ur.v[i];
	}
	return NULL;
}

/*
 * An accepted connection, made again through its listener @l: the client
 * @c connects, @l accepts it as @a.  Unlike a socketpair, @a then has its
 * listener's name again (getsockname(), the client's getpeername()).
 */
static int create_accepted(struct usk_rst *l, struct usk_rst *a, struct usk_rst *c)
{
	_cleanup_close_ int cfd = new_socket(c), afd = -1;
	int r;

	if (cfd < 0)
		return cfd;
	if (fcntl(cfd, F_SETFL, O_NONBLOCK))
		return pr_err_ret(-errno, "unix socket %u: can't make it non-blocking", c->ue->ino);
	r = bind_name(c, cfd);
	if (!r)
		r = connect_to(c, cfd, l);
	if (r)
		return r;
	afd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (afd < 0)
		return pr_err_ret(-errno, "unix socket %u: can't accept its connection from %u again", l->ue->ino,
				  c->ue->ino);
	r = apply_opts(a, afd);
	if (!r)
		r = apply_opts(c, cfd);
	if (!r)
		r = fill_queue(a, cfd);
	if (!r)
		r = fill_queue(c, afd);
	if (!r)
		r = apply_shutdown(a, afd);
	if (!r)
		r = apply_shutdown(c, cfd);
	if (!r)
		r = keep(a, TAKE_FD(afd));
	if (!r)
		r = keep(c, TAKE_FD(cfd));
	return r;
}

/*
 * A listener, then the connections it had accepted whose both ends are in
 * the dump, then the clients waiting in its accept queue, in order.
 */
static int create_listener(struct usk_rst *l)
{
	_cleanup_free_ struct usk_rst **pend = NULL;
	_cleanup_close_ int fd = new_socket(l);
	size_t n = 0;
	int r;

	if (fd < 0)
		return fd;
	r = bind_name(l, fd);
	if (!r)
		r = apply_opts(l, fd);
	if (!r && listen(fd, (int)l->ue->backlog))
		r = pr_err_ret(-errno, "unix socket %u: can't listen", l->ue->ino);
	if (!r)
		r = keep(l, TAKE_FD(fd));
	if (r)
		return r;
	for (size_t i = 0; !r && i < ur.nr; i++) {
		struct usk_rst *a = &ur.v[i], *c;

		if (a->created || listener_of(a) != l)
			continue;
		c = rst_by_ino(a->ue->peer);
		if (!c || c->created || c->ue->peer != a->ue->ino || (c->ue->uflags & USK_EXTERN))
			continue;
		a->creating = c->creating = true;
		r = create_accepted(l, a, c);
		a->creating = c->creating = false;
	}
	if (r)
		return r;
	pend = xmalloc((ur.nr ? ur.nr : 1) * sizeof(*pend));
	if (!pend)
		return -ENOMEM;
	for (size_t i = 0; i < ur.nr; i++)
		if (ur.v[i].ue->peer == l->ue->ino && !(ur.v[i].ue->uflags & USK_EXTERN) &&
		    ur.v[i].ue->state != USK_LISTEN)
			pend[n++] = &ur.v[i];
	qsort(pend, n, sizeof(*pend), cmp_order);
	for (size_t i = 0; !r && i < n; i++) {
		pend[i]->creating = true;
		r = create_connected(pend[i], l);
		pend[i]->creating = false;
	}
	if (!r && n)
		pr_info("unix socket %u: listening, %zu pending connections made again\n", l->ue->ino, n);
	return r;
}

/* Both ends of a connected pair: a socketpair, each end named as dumped. */
static int create_pair(struct usk_rst *a, struct usk_rst *b)
{
	int sv[2], r;

	if (socketpair(AF_UNIX, (int)a->ue->type | SOCK_CLOEXEC, 0, sv))
		return pr_err_ret(-errno, "unix sockets %u and %u: can't make a pair", a->ue->ino, b->ue->ino);
	r = bind_name(a, sv[0]);
	if (!r)
		r = bind_name(b, sv[1]);
	if (!r)
		r = apply_opts(a, sv[0]);
	if (!r)
		r = apply_opts(b, sv[1]);
	if (!r)
		r = fill_queue(a, sv[1]);
	if (!r)
		r = fill_queue(b, sv[0]);
	if (!r)
		r = apply_shutdown(a, sv[0]);
	if (!r)
		r = apply_shutdown(b, sv[1]);
	if (r) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	r = keep(a, sv[0]);
	if (r) {
		close(sv[1]);
		return r;
	}
	return keep(b, sv[1]);
}

/* A connected socket whose peer is gone (or was outside): its pair's other end closed. */
static int create_orphan(struct usk_rst *u)
{
	_cleanup_close_ int other = -1;
	int sv[2], r;

	if (socketpair(AF_UNIX, (int)u->ue->type | SOCK_CLOEXEC, 0, sv))
		return pr_err_ret(-errno, "unix socket %u: can't make a pair", u->ue->ino);
	other = sv[1];
	r = bind_name(u, sv[0]);
	if (!r)
		r = apply_opts(u, sv[0]);
	if (!r)
		r = fill_queue(u, other);
	if (!r)
		r = apply_shutdown(u, sv[0]);
	if (r) {
		close(sv[0]);
		return r;
	}
	pr_info("unix socket %u: connected, its peer closed\n", u->ue->ino);
	return keep(u, sv[0]);
}

/* A socket of its own: unconnected, perhaps named. */
static int create_single(struct usk_rst *u)
{
	_cleanup_close_ int fd = new_socket(u);
	int r;

	if (fd < 0)
		return fd;
	r = bind_name(u, fd);
	if (!r)
		r = apply_opts(u, fd);
	if (!r)
		r = keep(u, TAKE_FD(fd));
	if (!r)
		r = fill_queue(u, -1);
	if (!r)
		r = apply_shutdown(u, u->fd);
	return r;
}

static bool has_queue(const struct usk_rst *u)
{
	for (size_t i = 0; i < ur.nq; i++)
		if (ur.q[i].id_for == u->d->id)
			return true;
	return false;
}

static int create_one(struct usk_rst *u)
{
	const UnixSkEntry *ue = u->ue;
	struct usk_rst *p;
	int r;

	if (u->created)
		return 0;
	if (u->creating) {
		pr_err("unix socket %u: its peers depend on each other in a loop\n", ue->ino);
		return -ELOOP;
	}
	if (ue->uflags & USK_EXTERN) {
		pr_err("unix socket %u is outside the dump: it is not made\n", ue->ino);
		return -EINVAL;
	}
	u->creating = true;
	p = rst_by_ino(ue->peer);
	if (ue->state == USK_LISTEN)
		r = create_listener(u);
	else if (p && (p->ue->uflags & USK_EXTERN))
		r = ue->type == SOCK_DGRAM ? create_connected(u, p) : create_orphan(u);
	else if (p && p->ue->state == USK_LISTEN)
		r = create_one(p); /* the listener makes its pending clients */
	else if (p && p->ue->peer == ue->ino && (listener_of(u) || listener_of(p)))
		r = create_one(listener_of(u) ?: listener_of(p)); /* accepted from it */
	else if (p && p->ue->peer == ue->ino)
		r = p->created ? -EINVAL : create_pair(u, p);
	else if (p)
		r = create_one(p) ?: create_connected(u, p);
	else if (ue->type != SOCK_DGRAM && (ue->peer || ue->state == USK_ESTABLISHED))
		r = create_orphan(u);
	else if (ue->type == SOCK_DGRAM && !ue->name.len && has_queue(u))
		r = create_orphan(u); /* its peer is gone, its messages stay */
	else
		r = create_single(u);
	u->creating = false;
	if (!r && !u->created) {
		pr_err("unix socket %u: not made with its peer %u\n", ue->ino, ue->peer);
		r = -EINVAL;
	}
	return r;
}

int usk_open(struct file_desc *d, int *fd)
{
	struct usk_rst *u = rst_by_id(d->id);
	int r;

	if (!u)
		return -EINVAL;
	r = create_one(u);
	if (r)
		return r;
	if (u->given || u->fd < 0) {
		pr_err("unix socket %u: opened twice\n", u->ue->ino);
		return -EINVAL;
	}
	if (fcntl(u->fd, F_SETFL, u->ue->flags & ~O_ACCMODE))
		return pr_err_ret(-errno, "unix socket %u: can't set its flags %#x", u->ue->ino, u->ue->flags);
	r = restore_fown(u->fd, u->ue->fown, "unix socket");
	if (r)
		return r;
	*fd = u->fd;
	u->fd = -1;
	u->given = true;
	return 0;
}

void usk_restore_fini(void)
{
	for (size_t i = 0; i < ur.nr; i++)
		if (ur.v[i].fd >= 0)
			close(ur.v[i].fd);
	for (size_t i = 0; i < ur.nq; i++)
		free(ur.q[i].data);
	free(ur.q);
	free(ur.v);
	free(ur.order);
	memset(&ur, 0, sizeof(ur));
}
