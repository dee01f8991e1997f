/*
 * Established TCP connections (--tcp-established), through the kernel's
 * TCP repair mode.
 *
 * Dump, for each connection (criu's main process, the task frozen):
 *   lock it (net-lock.c) -> TCP_REPAIR on -> read the sequence numbers of
 *   both queues (TCP_QUEUE_SEQ), their lengths (SIOCINQ, SIOCOUTQ,
 *   SIOCOUTQNSD), the negotiated options (TCP_INFO), the MSS clamp
 *   (TCP_MAXSEG reads it in repair mode), the timestamp clock
 *   (TCP_TIMESTAMP), the window (TCP_REPAIR_WINDOW) and the bytes of both
 *   queues (MSG_PEEK with TCP_REPAIR_QUEUE).  The socket stays in repair
 *   mode: when the task is killed its close then sends nothing, no FIN and
 *   no reset.  If the dump fails or the task runs on (-R),
 *   tcp_dump_repair_off() takes it out again before the task resumes.
 *   The images, tcp-stream-<ino>.img (one tcp_stream_entry, then inq_len
 *   bytes of receive queue and outq_len bytes of send queue), are written
 *   by tcp_dump_write() from the kind's dump_finish hook.
 *
 * Restore, on a new socket:
 *   TCP_REPAIR on -> queue sequence numbers (where each queue starts) ->
 *   bind -> connect (no SYN in repair mode: the socket is simply
 *   ESTABLISHED) -> TCP_REPAIR_OPTIONS (MSS, window scales, SACK,
 *   timestamps) -> TCP_TIMESTAMP -> receive queue -> TCP_REPAIR_WINDOW.
 *   The send queue comes last, once every task is ready and the lock is
 *   lifted, just before the tasks run (tcp_restore_finish()): writing it
 *   starts the retransmission timer, and a retransmission dropped by the
 *   lock would double the timeout.  First the part the peer may have seen,
 *   in repair mode (the kernel counts it sent and retransmits it if no ACK
 *   comes), then repair mode off, then the part never sent, as plain data.
 */
#define LOG_PREFIX "tcp: "

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common.h"
#include "file-kinds.h"
#include "image.h"
#include "log.h"
#include "net-lock.h"
#include "sk-inet.h"
#include "images/tcp-stream.pb-c.h"

/* A dumped connection: criu's fd on it and what goes to its image. */
struct tcp_dumped {
	int fd; /* criu's, the socket in repair mode; -1 once released */
	uint32_t ino;
	uint8_t *packed; /* tcp_stream_entry */
	size_t packed_len;
	uint8_t *data; /* inq_len + outq_len bytes */
	size_t data_len;
};

static struct {
	struct tcp_dumped *v;
	size_t nr, max;
} dmp;

bool tcp_state_fin_sent(unsigned int st)
{
	return st == TCP_FIN_WAIT1 || st == TCP_FIN_WAIT2 || st == TCP_LAST_ACK || st == TCP_CLOSING;
}

bool tcp_state_fin_received(unsigned int st)
{
	return st == TCP_CLOSE_WAIT || st == TCP_LAST_ACK || st == TCP_CLOSING;
}

int tcp_dump_opts(int sk, TcpOptsEntry *to)
{
	int v, r;

	r = inet_get_int(sk, SOL_TCP, TCP_NODELAY, &v);
	if (r)
		return r;
	if (v) {
		to->has_nodelay = true;
		to->nodelay = true;
	}
	r = inet_get_int(sk, SOL_TCP, TCP_CORK, &v);
	if (r)
		return r;
	if (v) {
		to->has_cork = true;
		to->cork = true;
	}
	r = inet_get_int(sk, SOL_TCP, TCP_KEEPCNT, &v);
	if (!r) {
		to->has_keepcnt = true;
		to->keepcnt = v;
		r = inet_get_int(sk, SOL_TCP, TCP_KEEPIDLE, &v);
	}
	if (!r) {
		to->has_keepidle = true;
		to->keepidle = v;
		r = inet_get_int(sk, SOL_TCP, TCP_KEEPINTVL, &v);
	}
	if (!r) {
		to->has_keepintvl = true;
		to->keepintvl = v;
	}
	return r;
}

void tcp_restore_opts(int sk, const TcpOptsEntry *to)
{
	/* Best effort, each said in the log: none of them decides correctness. */
	if (to->has_keepcnt && inet_set_int(sk, SOL_TCP, TCP_KEEPCNT, to->keepcnt))
		pr_warn("can't set TCP_KEEPCNT %u: %s\n", to->keepcnt, strerror(errno));
	if (to->has_keepidle && inet_set_int(sk, SOL_TCP, TCP_KEEPIDLE, to->keepidle))
		pr_warn("can't set TCP_KEEPIDLE %u: %s\n", to->keepidle, strerror(errno));
	if (to->has_keepintvl && inet_set_int(sk, SOL_TCP, TCP_KEEPINTVL, to->keepintvl))
		pr_warn("can't set TCP_KEEPINTVL %u: %s\n", to->keepintvl, strerror(errno));
	if (to->has_nodelay && to->nodelay && inet_set_int(sk, SOL_TCP, TCP_NODELAY, 1))
		pr_warn("can't set TCP_NODELAY: %s\n", strerror(errno));
	if (to->has_cork && to->cork && inet_set_int(sk, SOL_TCP, TCP_CORK, 1))
		pr_warn("can't set TCP_CORK: %s\n", strerror(errno));
}

/* ================================================================ dump */

/* Peek @len bytes of queue @q of @sk into @buf (repair mode). */
static int peek_queue(int sk, int q, uint8_t *buf, uint32_t len, const char *what)
{
	ssize_t n;
	int r;

	r = inet_set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, q);
	if (r)
		return pr_err_ret(r, "%s: can't select the %s queue", what, q == TCP_RECV_QUEUE ? "receive" : "send");
	if (!len)
		return 0;
	/* One byte more than expected: a longer queue would be a bug. */
	n = recv(sk, buf, len + 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return pr_err_ret(-errno, "%s: can't read the %s queue", what,
				  q == TCP_RECV_QUEUE ? "receive" : "send");
	if ((size_t)n != len) {
		pr_err("%s: the %s queue holds %zd bytes, %u expected\n", what,
		       q == TCP_RECV_QUEUE ? "receive" : "send", n, len);
		return -EPROTO;
	}
	return 0;
}

static int queue_seq(int sk, int q, uint32_t *seq)
{
	int v, r;

	r = inet_set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, q);
	if (!r)
		r = inet_get_int(sk, SOL_TCP, TCP_QUEUE_SEQ, &v);
	if (!r)
		*seq = (uint32_t)v;
	return r;
}

/* Read the repair state of @sk into @te and its queues into *@data. */
static int read_state(int sk, TcpStreamEntry *te, uint8_t **data, unsigned int *state, const char *what)
{
	struct tcp_repair_window win;
	struct tcp_info ti;
	socklen_t len;
	int v, inq, outq, unsq, r;

	len = sizeof(ti);
	if (getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len))
		return pr_err_ret(-errno, "%s: can't read TCP_INFO", what);
	/* The peer may have closed its end since the socket was listed. */
	switch (ti.tcpi_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_SENT:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		break;
	default:
		pr_err("%s: the connection left the ESTABLISHED state (now %u) while being dumped\n", what,
		       ti.tcpi_state);
		return -EAGAIN;
	}
	*state = ti.tcpi_state;
	if (ioctl(sk, SIOCINQ, &inq) || ioctl(sk, SIOCOUTQ, &outq) || ioctl(sk, SIOCOUTQNSD, &unsq))
		return pr_err_ret(-errno, "%s: can't read the queue lengths", what);
	r = queue_seq(sk, TCP_RECV_QUEUE, &te->inq_seq);
	if (!r)
		r = queue_seq(sk, TCP_SEND_QUEUE, &te->outq_seq);
	if (r)
		return pr_err_ret(r, "%s: can't read the queue sequence numbers", what);
	r = inet_get_int(sk, SOL_TCP, TCP_MAXSEG, &v);
	if (r)
		return pr_err_ret(r, "%s: can't read the MSS", what);
	te->mss_clamp = v;
	te->opt_mask = ti.tcpi_options;
	te->snd_wscale = ti.tcpi_snd_wscale;
	te->has_rcv_wscale = true;
	te->rcv_wscale = ti.tcpi_rcv_wscale;
	if (ti.tcpi_options & TCPI_OPT_TIMESTAMPS) {
		r = inet_get_int(sk, SOL_TCP, TCP_TIMESTAMP, &v);
		if (r)
			return pr_err_ret(r, "%s: can't read the timestamp", what);
		te->has_timestamp = true;
		te->timestamp = (uint32_t)v;
	}
	len = sizeof(win);
	if (getsockopt(sk, SOL_TCP, TCP_REPAIR_WINDOW, &win, &len))
		return pr_err_ret(-errno, "%s: can't read TCP_REPAIR_WINDOW", what);
	te->has_snd_wl1 = te->has_snd_wnd = te->has_max_window = te->has_rcv_wnd = te->has_rcv_wup = true;
	te->snd_wl1 = win.snd_wl1;
	te->snd_wnd = win.snd_wnd;
	te->max_window = win.max_window;
	te->rcv_wnd = win.rcv_wnd;
	te->rcv_wup = win.rcv_wup;

	te->inq_len = inq;
	/*
	 * The task's FIN (it shut its end down) takes a sequence number but
	 * holds no data: as CRIU, the lengths leave it out and outq_seq
	 * counts it.
	 */
	if (tcp_state_fin_sent(ti.tcpi_state)) {
		outq = outq ? outq - 1 : 0;
		unsq = unsq ? unsq - 1 : 0;
	}
	te->outq_len = outq;
	te->has_unsq_len = true;
	te->unsq_len = unsq;
	*data = xmalloc((size_t)inq + outq + 1);
	if (!*data)
		return -ENOMEM;
	r = peek_queue(sk, TCP_RECV_QUEUE, *data, inq, what);
	if (!r)
		r = peek_queue(sk, TCP_SEND_QUEUE, *data + inq, outq, what);
	inet_set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	return r;
}

int tcp_dump_connection(int lfd, uint32_t ino, const struct net_conn *c, const char *what, unsigned int *state)
{
	TcpStreamEntry te = TCP_STREAM_ENTRY__INIT;
	struct tcp_dumped *d;
	uint8_t *data = NULL;
	char conn[128];
	int r;

	if (files_grow((void **)&dmp.v, &dmp.max, dmp.nr + 1, sizeof(*dmp.v)))
		return -ENOMEM;
	/* Hold the peer off before the state is read: nothing may change it after. */
	r = net_lock_connection(c);
	if (r)
		return r;
	d = &dmp.v[dmp.nr];
	*d = (struct tcp_dumped){ .fd = fcntl(lfd, F_DUPFD_CLOEXEC, 3), .ino = ino };
	if (d->fd < 0)
		return pr_err_ret(-errno, "%s: can't keep an fd on the socket", what);
	dmp.nr++;
	r = inet_set_int(d->fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
	if (r) {
		close(d->fd);
		d->fd = -1;
		return pr_err_ret(r, "%s: can't put connection %s into repair mode (TCP_REPAIR needs CAP_NET_ADMIN)",
				  what, net_conn_str(c, conn, sizeof(conn)));
	}
	r = read_state(d->fd, &te, &data, state, what);
	if (r) {
		free(data);
		return r;
	}
	d->data = data;
	d->data_len = (size_t)te.inq_len + te.outq_len;
	d->packed_len = tcp_stream_entry__get_packed_size(&te);
	d->packed = xmalloc(d->packed_len ?: 1);
	if (!d->packed)
		return -ENOMEM;
	tcp_stream_entry__pack(&te, d->packed);
	pr_info("%s: %s: seq in %u out %u, queued in %u out %u (%u unsent), mss %u, options %#x\n", what,
		net_conn_str(c, conn, sizeof(conn)), te.inq_seq, te.outq_seq, te.inq_len, te.outq_len, te.unsq_len,
		te.mss_clamp, te.opt_mask);
	return 0;
}

int tcp_dump_write(struct img_dir *dir)
{
	for (size_t i = 0; i < dmp.nr; i++) {
		struct tcp_dumped *d = &dmp.v[i];
		struct cr_img *img = NULL;
		TcpStreamEntry *te;
		int r;

		if (!d->packed)
			continue;
		te = tcp_stream_entry__unpack(NULL, d->packed_len, d->packed);
		if (!te)
			return -ENOMEM;
		r = img_open(dir, CR_IMG_TCP_STREAM, IMG_WRITE, d->ino, &img);
		if (!r)
			r = img_write_entry(img, te);
		if (!r && d->data_len)
			r = img_write_raw(img, d->data, d->data_len);
		tcp_stream_entry__free_unpacked(te, NULL);
		if (r) {
			img_closep(&img);
			return r;
		}
		r = img_close(img);
		if (r)
			return r;
	}
	return 0;
}

void tcp_dump_repair_off(void)
{
	for (size_t i = 0; i < dmp.nr; i++) {
		struct tcp_dumped *d = &dmp.v[i];

		if (d->fd < 0)
			continue;
		if (inet_set_int(d->fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF))
			pr_err("socket %u: can't leave repair mode: %s\n", d->ino, strerror(errno));
		else
			pr_info("socket %u left repair mode\n", d->ino);
		close(d->fd);
		d->fd = -1;
	}
}

void tcp_dump_fini(void)
{
	for (size_t i = 0; i < dmp.nr; i++) {
		if (dmp.v[i].fd >= 0)
			close(dmp.v[i].fd);
		free(dmp.v[i].packed);
		free(dmp.v[i].data);
	}
	free(dmp.v);
	memset(&dmp, 0, sizeof(dmp));
}

/* ================================================================ restore */

struct tcp_stream_rst {
	uint32_t inq_seq, outq_seq, inq_len, outq_len, unsq_len;
	uint32_t opt_mask, snd_wscale, rcv_wscale, mss_clamp, timestamp;
	bool has_window;
	struct tcp_repair_window win;
	uint8_t data[]; /* inq_len bytes, then outq_len */
};

int tcp_restore_read(struct img_dir *dir, uint32_t ino, struct tcp_stream_rst **out)
{
	struct cr_img *img = NULL;
	TcpStreamEntry *te = NULL;
	struct tcp_stream_rst *s;
	int r;

	*out = NULL;
	r = img_open(dir, CR_IMG_TCP_STREAM, IMG_READ, ino, &img);
	if (r)
		return r;
	r = img_read_entry(img, NULL, (void **)&te);
	if (r == 0) {
		pr_err("%s: no entry\n", img_name(img));
		r = -EINVAL;
	}
	if (r < 0)
		goto out;
	if (te->has_unsq_len && te->unsq_len > te->outq_len) {
		pr_err("%s: %u unsent bytes in a send queue of %u\n", img_name(img), te->unsq_len, te->outq_len);
		r = -EINVAL;
		goto out;
	}
	if ((uint64_t)te->inq_len + te->outq_len > (1u << 30)) {
		pr_err("%s: queues of %u and %u bytes: corrupt image\n", img_name(img), te->inq_len, te->outq_len);
		r = -EINVAL;
		goto out;
	}
	s = xzalloc(sizeof(*s) + te->inq_len + te->outq_len + 1);
	r = -ENOMEM;
	if (!s)
		goto out;
	*s = (struct tcp_stream_rst){
		.inq_seq = te->inq_seq,
		.outq_seq = te->outq_seq,
		.inq_len = te->inq_len,
		.outq_len = te->outq_len,
		.unsq_len = te->has_unsq_len ? te->unsq_len : 0,
		.opt_mask = te->opt_mask,
		.snd_wscale = te->snd_wscale,
		.rcv_wscale = te->has_rcv_wscale ? te->rcv_wscale : 0,
		.mss_clamp = te->mss_clamp,
		.timestamp = te->has_timestamp ? te->timestamp : 0,
		.has_window =
			te->has_snd_wl1 && te->has_snd_wnd && te->has_max_window && te->has_rcv_wnd && te->has_rcv_wup,
		.win = { te->snd_wl1, te->snd_wnd, te->max_window, te->rcv_wnd, te->rcv_wup },
	};
	r = img_read_raw(img, s->data, (size_t)s->inq_len + s->outq_len);
	if (r) {
		free(s);
		goto out;
	}
	*out = s;
out:
	img_msg_free(te);
	img_closep(&img);
	return r;
}

/* 1 when the task had sent its FIN (outq_seq counts it), else 0. */
static uint32_t fin_sent(const InetSkEntry *ie)
{
	return tcp_state_fin_sent(ie->state);
}

static int set_queue_seq(int sk, int q, uint32_t seq)
{
	int r = inet_set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, q);

	return r ?: inet_set_int(sk, SOL_TCP, TCP_QUEUE_SEQ, (int)seq);
}

/* Write @len bytes into queue @q (repair mode) or, with @q < 0, as plain data. */
static int fill_queue(int sk, int q, const uint8_t *buf, uint32_t len)
{
	int r;

	if (q >= 0) {
		r = inet_set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, q);
		if (r)
			return r;
	}
	while (len) {
		ssize_t n = send(sk, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

static int repair_options(int sk, const struct tcp_stream_rst *s)
{
	struct tcp_repair_opt o[4];
	unsigned int n = 0;

	o[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, s->mss_clamp };
	if (s->opt_mask & TCPI_OPT_WSCALE)
		o[n++] = (struct tcp_repair_opt){ TCPOPT_WINDOW, s->snd_wscale | (s->rcv_wscale << 16) };
	if (s->opt_mask & TCPI_OPT_SACK)
		o[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (s->opt_mask & TCPI_OPT_TIMESTAMPS)
		o[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(sk, SOL_TCP, TCP_REPAIR_OPTIONS, o, n * sizeof(o[0])))
		return -errno;
	if ((s->opt_mask & TCPI_OPT_TIMESTAMPS) && inet_set_int(sk, SOL_TCP, TCP_TIMESTAMP, (int)s->timestamp))
		return -errno;
	return 0;
}

/*
 * Room for the queues while they are refilled: the kernel accounts them
 * differently from the original socket, and a full send buffer would
 * block.  The socket's own sizes are set afterwards (sk-inet.c).
 */
static void grow_buffer(int sk, int opt, int force, uint32_t queued)
{
	uint64_t want = min(4ULL * queued + 65536, (uint64_t)INT32_MAX / 2);
	int v;

	if (queued && !inet_get_int(sk, SOL_SOCKET, opt, &v) && (uint64_t)v < want)
		inet_set_int(sk, SOL_SOCKET, force, (int)want);
}

int tcp_restore_connection(int sk, const InetSkEntry *ie, const struct tcp_stream_rst *s, unsigned int ifindex)
{
	union inet_addr src, dst;
	socklen_t slen, dlen;
	int r;

	slen = inet_make_addr(&src, ie->family, ie->src_port, ie->src_addr, ifindex);
	dlen = inet_make_addr(&dst, ie->family, ie->dst_port, ie->dst_addr, 0);
	r = inet_set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
	if (r)
		return pr_err_ret(r, "can't put the new socket into repair mode (needs CAP_NET_ADMIN)");
	r = set_queue_seq(sk, TCP_RECV_QUEUE, s->inq_seq - s->inq_len);
	if (!r)
		r = set_queue_seq(sk, TCP_SEND_QUEUE,
				  s->outq_seq - fin_sent(ie) - s->outq_len - (ie->state == TCP_SYN_SENT));
	if (r)
		return pr_err_ret(r, "can't set the queue sequence numbers");
	/*
	 * The segment size is fixed at connect() from the MSS clamp, which
	 * TCP_REPAIR_OPTIONS sets only afterwards: give it now, or the
	 * connection sends 536-byte segments.  TCP_MAXSEG takes at most
	 * 32767 (loopback's 65495 is cut to that).  Cleared again below.
	 */
	if (s->mss_clamp && inet_set_int(sk, SOL_TCP, TCP_MAXSEG, (int)min(s->mss_clamp, 32767u)))
		pr_warn("can't preset the MSS to %u: %s\n", s->mss_clamp, strerror(errno));
	/* In repair mode the port is taken even if other sockets hold it. */
	if (bind(sk, &src.sa, slen))
		return pr_err_ret(-errno, "can't bind to port %u", ie->src_port);
	if (ie->state == TCP_SYN_SENT) {
		/* Connecting: the SYN goes again once the lock is lifted (tcp_restore_finish()). */
		inet_set_int(sk, SOL_TCP, TCP_MAXSEG, 0);
		pr_info("connection %u -> %u being made: its SYN goes again at resume\n", ie->src_port, ie->dst_port);
		return 0;
	}
	if (connect(sk, &dst.sa, dlen))
		return pr_err_ret(-errno, "can't connect (in repair mode) to port %u", ie->dst_port);
	inet_set_int(sk, SOL_TCP, TCP_MAXSEG, 0);
	r = repair_options(sk, s);
	if (r)
		return pr_err_ret(r, "can't set the TCP options (mss %u, mask %#x)", s->mss_clamp, s->opt_mask);
	grow_buffer(sk, SO_RCVBUF, SO_RCVBUFFORCE, s->inq_len);
	r = fill_queue(sk, TCP_RECV_QUEUE, s->data, s->inq_len);
	if (r)
		return pr_err_ret(r, "can't refill the receive queue (%u bytes)", s->inq_len);
	inet_set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	if (s->has_window && setsockopt(sk, SOL_TCP, TCP_REPAIR_WINDOW, &s->win, sizeof(s->win)))
		return pr_err_ret(-errno, "can't set the window");
	pr_info("connection %u -> %u restored in repair mode, %u bytes received; %u to send\n", ie->src_port,
		ie->dst_port, s->inq_len, s->outq_len);
	return 0;
}

/*
 * A connection being made (SYN_SENT): out of repair mode, connect() again
 * without waiting; the SYN has its old initial sequence number (set
 * before), so the peer takes it for a retransmission.
 */
static int resume_connect(int sk, const InetSkEntry *ie)
{
	union inet_addr dst;
	socklen_t dlen = inet_make_addr(&dst, ie->family, ie->dst_port, ie->dst_addr, 0);
	int fl = fcntl(sk, F_GETFL), r;

	r = inet_set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF);
	if (r)
		return pr_err_ret(r, "fd %d: can't take the socket out of repair mode", sk);
	if (fl < 0 || fcntl(sk, F_SETFL, fl | O_NONBLOCK))
		return pr_err_ret(-errno, "fd %d: can't make the socket non-blocking", sk);
	r = connect(sk, &dst.sa, dlen) && errno != EINPROGRESS ? -errno : 0;
	if (fcntl(sk, F_SETFL, fl))
		r = r ?: -errno;
	if (r)
		return pr_err_ret(r, "fd %d: can't connect again to port %u", sk, ie->dst_port);
	return 0;
}

int tcp_restore_finish(int sk, const struct tcp_stream_rst *s, const InetSkEntry *ie)
{
	const SkOptsEntry *so = ie->opts;
	uint32_t sent = s->outq_len - s->unsq_len;
	int r;

	if (ie->state == TCP_SYN_SENT)
		return resume_connect(sk, ie);
	grow_buffer(sk, SO_SNDBUF, SO_SNDBUFFORCE, s->outq_len);
	r = fill_queue(sk, TCP_SEND_QUEUE, s->data + s->inq_len, sent);
	if (r)
		return pr_err_ret(r, "fd %d: can't refill the send queue (%u bytes)", sk, sent);
	inet_set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	r = inet_set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF);
	if (r)
		return pr_err_ret(r, "fd %d: can't take the connection out of repair mode", sk);
	/* Never sent: plain data, it goes out once the lock lets it pass. */
	r = fill_queue(sk, -1, s->data + s->inq_len + sent, s->unsq_len);
	if (r)
		return pr_err_ret(r, "fd %d: can't queue the %u unsent bytes", sk, s->unsq_len);
	/*
	 * The task had shut its end down: its FIN goes out again, with the
	 * sequence number it had; a peer that got it already acknowledges
	 * the copy.
	 */
	if (fin_sent(ie) && shutdown(sk, SHUT_WR))
		return pr_err_ret(-errno, "fd %d: can't send the FIN again", sk);
	/* The task's own send buffer size (grow_buffer() changed it). */
	if (s->outq_len) {
		inet_set_int(sk, SOL_SOCKET, SO_SNDBUFFORCE, so->so_sndbuf / 2);
		if (so->has_so_buf_lock)
			inet_set_int(sk, SOL_SOCKET, SO_BUF_LOCK, so->so_buf_lock);
	}
	return 0;
}
