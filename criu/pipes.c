/*
 * Pipes (the PIPE kind of files.img) and the bytes buffered in pipes and
 * FIFOs (pipes-data.img, fifo-data.img; see pipes.h).
 *
 * Dump writes one PIPE entry per open description: the pipe's inode
 * (pipe_id, equal for every end of one pipe) and the end's flags.  Both
 * ends may be in the dump (one task or several), or only one: the other
 * end then belongs to something outside (a supervisor's log pipe, the
 * pipe at fd 251 every process of this environment inherits).  The buffer
 * is copied with tee(2) from an fd of criu's on the pipe once every task
 * is dumped, so the pipe keeps its bytes (a dump with --leave-running
 * changes nothing).
 *
 * Restore groups the descriptions by pipe_id: the first one opened makes
 * the pipe (its size, then its bytes), every one takes the end of its
 * access mode (a second description of one end is the pipe reopened
 * through /proc/self/fd), and criu drops its own ends once the last
 * description of the pipe is out.  A pipe whose other end was outside the
 * dump thus comes back with that end closed: writes fail with EPIPE,
 * reads see the buffered bytes, then end of file.
 *
 * open() works in whichever process runs it: the ends criu keeps meanwhile
 * sit at or above the service-fd base, out of the way of the task's fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "pipes.h"
#include "images/pipe-data.pb-c.h"

#undef LOG_PREFIX
#define LOG_PREFIX "pipes: "

/* ================================================================ data, dump */

struct pdata_dump {
	uint32_t pipe_id;
	int rfd;       /* criu's fd that can read the buffer */
	bool reopened; /* rfd is a read end criu opened (the task had a write end) */
	bool r, w;     /* ends seen in the dump */
	bool packet;   /* an end is in packet mode (O_DIRECT) */
};

static struct pdata_dump_set {
	struct pdata_dump *v;
	size_t nr, max;
} pdd[2];

static struct pdata_dump *pdd_find(struct pdata_dump_set *s, uint32_t pipe_id)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->v[i].pipe_id == pipe_id)
			return &s->v[i];
	return NULL;
}

/* An fd of criu's that reads the pipe of @p (a dup of the task's read end if it is one). */
static int reader_of(const struct fd_parms *p, bool *reopened)
{
	int acc = p->flags & O_ACCMODE;

	*reopened = false;
	if (acc != O_WRONLY && p->lfd >= 0) {
		int fd = fcntl(p->lfd, F_DUPFD_CLOEXEC, 0);

		if (fd < 0)
			return pr_err_ret(-errno, "%s: can't dup criu's fd on %s", p->what, p->link);
		return fd;
	}
	*reopened = true;
	return fd_parms_reopen(p, O_RDONLY | O_NONBLOCK);
}

int pipe_data_note(bool fifo, const struct fd_parms *p)
{
	struct pdata_dump_set *s = &pdd[fifo];
	uint32_t pipe_id = (uint32_t)p->st.st_ino;
	struct pdata_dump *e = pdd_find(s, pipe_id);
	int acc = p->flags & O_ACCMODE;
	bool reopened;

	if (!e) {
		int fd = reader_of(p, &reopened);

		if (fd < 0)
			return fd;
		if (files_grow((void **)&s->v, &s->max, s->nr + 1, sizeof(*s->v))) {
			close(fd);
			return -ENOMEM;
		}
		e = &s->v[s->nr++];
		*e = (struct pdata_dump){ .pipe_id = pipe_id, .rfd = fd, .reopened = reopened };
	} else if (e->reopened && acc != O_WRONLY && p->lfd >= 0) {
		/* Prefer the task's own read end to a reader criu added. */
		int fd = reader_of(p, &reopened);

		if (fd >= 0) {
			close(e->rfd);
			e->rfd = fd;
			e->reopened = false;
		}
	}
	e->r |= acc != O_WRONLY;
	e->w |= acc != O_RDONLY;
	e->packet |= !!(p->flags & O_DIRECT);
	return 0;
}

static int write_chunk(struct cr_img *img, uint32_t pipe_id, uint32_t size, const void *buf, size_t len)
{
	PipeDataEntry pde = PIPE_DATA_ENTRY__INIT;
	int r;

	pde.pipe_id = pipe_id;
	pde.bytes = (uint32_t)len;
	pde.has_size = true;
	pde.size = size;
	r = img_write_entry(img, &pde);
	if (!r && len)
		r = img_write_raw(img, buf, len);
	return r;
}

/* Copy the buffer of @e without consuming it and write it to @img. */
static int dump_one_buffer(struct pdata_dump *e, struct cr_img *img, const char *what)
{
	_cleanup_close_ int in = -1, out = -1;
	_cleanup_free_ char *buf = NULL;
	int fds[2], size, n = 0, r = 0;
	ssize_t t;
	size_t got = 0;

	size = fcntl(e->rfd, F_GETPIPE_SZ);
	if (size < 0)
		return pr_err_ret(-errno, "%s:[%u]: can't read the pipe size", what, e->pipe_id);
	if (ioctl(e->rfd, FIONREAD, &n) < 0)
		return pr_err_ret(-errno, "%s:[%u]: can't count the buffered bytes", what, e->pipe_id);
	if (n <= 0)
		return write_chunk(img, e->pipe_id, size, NULL, 0);

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
		return pr_err_ret(-errno, "%s:[%u]: can't make a pipe to copy the buffer", what, e->pipe_id);
	in = fds[0];
	out = fds[1];
	if (fcntl(out, F_SETPIPE_SZ, size) < size)
		return pr_err_ret(-errno, "%s:[%u]: can't make a %d-byte pipe to copy the buffer", what, e->pipe_id,
				  size);
	t = tee(e->rfd, out, (size_t)n, SPLICE_F_NONBLOCK);
	if (t < 0)
		return pr_err_ret(-errno, "%s:[%u]: tee of %d buffered bytes failed", what, e->pipe_id, n);
	if (t != n) {
		pr_err("%s:[%u]: tee copied %zd of %d buffered bytes\n", what, e->pipe_id, t, n);
		return -EIO;
	}
	buf = xmalloc((size_t)n);
	if (!buf)
		return -ENOMEM;
	if (e->packet && fcntl(in, F_SETFL, O_NONBLOCK | O_DIRECT))
		return pr_err_ret(-errno, "%s:[%u]: can't read the copy packet by packet", what, e->pipe_id);
	while (got < (size_t)n) {
		/* In packet mode one read returns one packet (never more than a page). */
		t = read(in, buf + got, (size_t)n - got);
		if (t <= 0)
			return pr_err_ret(t < 0 ? -errno : -EIO, "%s:[%u]: can't read the copied buffer", what,
					  e->pipe_id);
		if (e->packet)
			r = write_chunk(img, e->pipe_id, size, buf + got, (size_t)t);
		if (r)
			return r;
		got += (size_t)t;
	}
	if (!e->packet)
		r = write_chunk(img, e->pipe_id, size, buf, got);
	if (!r)
		pr_info("%s:[%u]: %zu buffered bytes, size %d%s\n", what, e->pipe_id, got, size,
			e->packet ? ", packet mode" : "");
	return r;
}

int pipe_data_dump_finish(bool fifo, struct img_dir *dir)
{
	struct pdata_dump_set *s = &pdd[fifo];
	const char *what = fifo ? "fifo" : "pipe";
	struct cr_img *img = NULL;
	int r;

	if (!s->nr)
		return 0;
	r = img_open(dir, fifo ? CR_IMG_FIFO_DATA : CR_IMG_PIPES_DATA, IMG_WRITE, 0, &img);
	if (r)
		return r;
	for (size_t i = 0; !r && i < s->nr; i++) {
		struct pdata_dump *e = &s->v[i];

		if (!fifo && !e->r) {
			pr_info("pipe:[%u]: only its write end is in the dump; its reader is outside\n", e->pipe_id);
			continue;
		}
		if (!fifo && !e->w)
			pr_info("pipe:[%u]: only its read end is in the dump; its writer is outside\n", e->pipe_id);
		r = dump_one_buffer(e, img, what);
	}
	if (r) {
		img_closep(&img);
		return r;
	}
	return img_close(img);
}

void pipe_data_dump_fini(bool fifo)
{
	struct pdata_dump_set *s = &pdd[fifo];

	for (size_t i = 0; i < s->nr; i++)
		close(s->v[i].rfd);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ================================================================ data, restore */

struct pdata_rst {
	uint32_t pipe_id;
	bool has_size;
	uint32_t size;
	uint8_t *data;
	size_t len;
	bool done;
};

static struct pdata_rst_set {
	struct pdata_rst *v;
	size_t nr, max;
} pdr[2];

int pipe_data_collect(bool fifo, struct img_dir *dir)
{
	struct pdata_rst_set *s = &pdr[fifo];
	struct cr_img *img = NULL;
	int r;

	r = img_open(dir, fifo ? CR_IMG_FIFO_DATA : CR_IMG_PIPES_DATA, IMG_READ | IMG_OPTIONAL, 0, &img);
	if (r < 0)
		return r;
	for (;;) {
		PipeDataEntry *pde = NULL;
		struct pdata_rst *e;

		r = img_read_entry(img, NULL, (void **)&pde);
		if (r <= 0)
			break;
		r = files_grow((void **)&s->v, &s->max, s->nr + 1, sizeof(*s->v));
		if (r) {
			img_msg_free(pde);
			break;
		}
		e = &s->v[s->nr++];
		*e = (struct pdata_rst){
			.pipe_id = pde->pipe_id, .has_size = pde->has_size, .size = pde->size, .len = pde->bytes
		};
		img_msg_free(pde);
		e->data = xmalloc(e->len ? e->len : 1);
		if (!e->data) {
			r = -ENOMEM;
			break;
		}
		r = img_read_raw(img, e->data, e->len);
		if (r)
			break;
	}
	img_closep(&img);
	return r < 0 ? r : 0;
}

/* Write all of @len bytes to non-blocking @fd. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int pipe_data_fill(bool fifo, uint32_t pipe_id, int wfd, bool packet)
{
	struct pdata_rst_set *s = &pdr[fifo];
	const char *what = fifo ? "fifo" : "pipe";
	size_t chunks = 0, bytes = 0;
	int fl, r = 0;

	for (size_t i = 0; i < s->nr; i++) {
		struct pdata_rst *e = &s->v[i];

		if (e->pipe_id != pipe_id || e->done)
			continue;
		if (!chunks && e->has_size && fcntl(wfd, F_GETPIPE_SZ) != (int)e->size &&
		    fcntl(wfd, F_SETPIPE_SZ, e->size) < 0)
			pr_warn("%s:[%u]: can't set the pipe size to %u (%s); it stays %d\n", what, pipe_id, e->size,
				strerror(errno), fcntl(wfd, F_GETPIPE_SZ));
		chunks++;
	}
	if (!chunks)
		return 0;
	packet |= chunks > 1;
	fl = fcntl(wfd, F_GETFL);
	if (fl < 0 || fcntl(wfd, F_SETFL, (fl & ~O_DIRECT) | O_NONBLOCK | (packet ? O_DIRECT : 0)))
		return pr_err_ret(-errno, "%s:[%u]: can't prepare the write end for the buffered bytes", what, pipe_id);
	for (size_t i = 0; !r && i < s->nr; i++) {
		struct pdata_rst *e = &s->v[i];

		if (e->pipe_id != pipe_id || e->done)
			continue;
		e->done = true;
		r = write_all(wfd, e->data, e->len);
		if (r)
			pr_err("%s:[%u]: can't put %zu buffered bytes back: %s\n", what, pipe_id, e->len, strerror(-r));
		bytes += e->len;
	}
	if (fcntl(wfd, F_SETFL, fl) && !r)
		r = pr_err_ret(-errno, "%s:[%u]: can't reset the flags of the write end", what, pipe_id);
	if (!r)
		pr_info("%s:[%u]: %zu bytes back in the buffer%s\n", what, pipe_id, bytes,
			packet ? " (packet mode)" : "");
	return r;
}

void pipe_data_restore_fini(bool fifo)
{
	struct pdata_rst_set *s = &pdr[fifo];

	for (size_t i = 0; i < s->nr; i++)
		free(s->v[i].data);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ================================================================ PIPE entries, dump */

static bool pipe_match(const struct fd_parms *p)
{
	return S_ISFIFO(p->st.st_mode) && !strncmp(p->link, "pipe:[", 6);
}

static int pipe_dump(const struct fd_parms *p, uint32_t id)
{
	static const FownEntry no_fown = FOWN_ENTRY__INIT;
	PipeEntry pe = PIPE_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	int r;

	r = pipe_data_note(false, p);
	if (r)
		return r;
	pe.id = id;
	pe.pipe_id = (uint32_t)p->st.st_ino;
	pe.flags = p->flags;
	pe.fown = (FownEntry *)(p->fown ? p->fown : &no_fown);
	fe.type = FD_TYPES__PIPE;
	fe.id = id;
	fe.pipe = &pe;
	pr_info("%s: %s, %s end\n", p->what, p->link,
		(p->flags & O_ACCMODE) == O_WRONLY   ? "write"
		: (p->flags & O_ACCMODE) == O_RDONLY ? "read"
						     : "read-write");
	return files_add_entry(&fe);
}

static int pipe_dump_finish(struct img_dir *dir)
{
	return pipe_data_dump_finish(false, dir);
}

static void pipe_dump_fini(void)
{
	pipe_data_dump_fini(false);
}

/* ================================================================ PIPE entries, restore */

struct pipe_rst {
	uint32_t pipe_id;
	unsigned int nr_descs, nr_opened;
	bool has_r, has_w, packet;
	bool created, given[2];
	int fds[2];
};

static struct {
	struct pipe_rst *v;
	size_t nr, max;
} prs;

static struct pipe_rst *prs_find(uint32_t pipe_id)
{
	for (size_t i = 0; i < prs.nr; i++)
		if (prs.v[i].pipe_id == pipe_id)
			return &prs.v[i];
	return NULL;
}

static int pipe_collect_images(struct img_dir *dir)
{
	return pipe_data_collect(false, dir);
}

static int pipe_collect(struct file_desc *d)
{
	const PipeEntry *pe = d->fe->pipe;
	struct pipe_rst *g;
	int acc;

	if (!pe) {
		pr_err("files.img entry %u is a pipe without its pipe fields\n", d->id);
		return -EINVAL;
	}
	g = prs_find(pe->pipe_id);
	if (!g) {
		if (files_grow((void **)&prs.v, &prs.max, prs.nr + 1, sizeof(*prs.v)))
			return -ENOMEM;
		g = &prs.v[prs.nr++];
		*g = (struct pipe_rst){ .pipe_id = pe->pipe_id, .fds = { -1, -1 } };
	}
	acc = pe->flags & O_ACCMODE;
	g->nr_descs++;
	g->has_r |= acc != O_WRONLY;
	g->has_w |= acc != O_RDONLY;
	g->packet |= !!(pe->flags & O_DIRECT);
	return 0;
}

/* Move criu's @fd at or above the service-fd base (out of the task's way). */
static int keep_high(int fd)
{
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, files_service_fd_base());
	int r = nfd < 0 ? -errno : nfd;

	close(fd);
	return r;
}

static int pipe_create(struct pipe_rst *g)
{
	int fds[2], r;

	if (pipe2(fds, O_CLOEXEC))
		return pr_err_ret(-errno, "can't make a pipe for pipe:[%u]", g->pipe_id);
	g->fds[0] = keep_high(fds[0]);
	g->fds[1] = keep_high(fds[1]);
	if (g->fds[0] < 0 || g->fds[1] < 0)
		return pr_err_ret(g->fds[0] < 0 ? g->fds[0] : g->fds[1], "pipe:[%u]: can't move its ends", g->pipe_id);
	g->created = true;
	r = pipe_data_fill(false, g->pipe_id, g->fds[1], g->packet);
	if (r)
		return r;
	pr_info("pipe:[%u]: made for %u descriptions%s\n", g->pipe_id, g->nr_descs,
		g->has_r && g->has_w ? ""
		: g->has_r	     ? ", its writer closed (outside the dump)"
				     : ", its reader closed (outside the dump)");
	return 0;
}

static void pipe_drop(struct pipe_rst *g)
{
	for (int i = 0; i < 2; i++) {
		if (g->fds[i] >= 0)
			close(g->fds[i]);
		g->fds[i] = -1;
	}
}

static int pipe_open(struct file_desc *d, int *fd)
{
	const PipeEntry *pe = d->fe->pipe;
	struct pipe_rst *g = prs_find(pe->pipe_id);
	int acc = pe->flags & O_ACCMODE, end = acc == O_WRONLY, nfd, r;

	if (!g)
		return -EINVAL;
	if (!g->created) {
		r = pipe_create(g);
		if (r)
			return r;
	}
	if (g->fds[0] < 0) {
		pr_err("pipe:[%u]: opened more often than it has descriptions\n", g->pipe_id);
		return -EINVAL;
	}
	if (acc != O_RDWR && !g->given[end]) {
		nfd = fcntl(g->fds[end], F_DUPFD_CLOEXEC, 0);
		g->given[end] = true;
	} else {
		/* Another description of this end: the pipe opened anew. */
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", g->fds[0]);
		nfd = open(path, acc | O_NONBLOCK | O_CLOEXEC);
	}
	if (nfd < 0)
		return pr_err_ret(-errno, "pipe:[%u]: can't hand out an end", g->pipe_id);
	if (fcntl(nfd, F_SETFL, pe->flags & ~O_ACCMODE) < 0) {
		r = -errno;
		close(nfd);
		return pr_err_ret(r, "can't set the flags %#x of pipe:[%u]", pe->flags, pe->pipe_id);
	}
	if (++g->nr_opened == g->nr_descs)
		pipe_drop(g);
	*fd = nfd;
	return 0;
}

static void pipe_restore_fini(void)
{
	for (size_t i = 0; i < prs.nr; i++)
		pipe_drop(&prs.v[i]);
	free(prs.v);
	memset(&prs, 0, sizeof(prs));
	pipe_data_restore_fini(false);
}

const struct fd_kind pipe_kind = {
	.name = "pipe",
	.type = FD_TYPES__PIPE,
	.match = pipe_match,
	.dump = pipe_dump,
	.collect = pipe_collect,
	.open = pipe_open,
	.dump_finish = pipe_dump_finish,
	.dump_fini = pipe_dump_fini,
	.collect_images = pipe_collect_images,
	.restore_fini = pipe_restore_fini,
};
