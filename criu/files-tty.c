/*
 * Terminals: pty masters (/dev/ptmx) and slaves (/dev/pts/N), /dev/tty,
 * and, with --shell-job, the terminal of a shell job, whose other end is
 * outside the dumped tree.
 *
 * Images, as CRIU writes them: a TTY file entry (tty_file_entry: flags,
 * SIGIO owner, tty_info_id) per open file description, and one
 * tty_info_entry in tty-info.img per terminal: type, pty index, termios,
 * locked termios, window size, packet mode, lock, exclusive mode, and the
 * session and foreground group the terminal had.  Ids of terminals follow
 * CRIU: a pty's is its index times two, plus one for the master side;
 * /dev/tty, the console and virtual terminals take fixed indices above the
 * ptys (CRIU numbers ptys up to 1000).  Unlike CRIU, no REG entry with the
 * same id sits beside each TTY entry (our files.img has one entry per id);
 * CRIU rebuilds that entry itself for ptys.
 *
 * Which terminals are "outside": a pty slave whose master no dumped task
 * holds, a virtual terminal, a serial line or the console.  Such a
 * terminal belongs to whoever started the job (a shell, sshd, script...):
 * without --shell-job the dump is refused, naming the fd and the option;
 * with it, the restore gives every fd on it criu's own terminal instead
 * (criu's standard input when it is a terminal, else its controlling
 * terminal), sets the job's termios on it, and gives it the foreground
 * when the job had it.  Only one outside terminal per dump, as in CRIU.
 *
 * This file: the dump and the kind's table.  files-tty-restore.c: the
 * restore (criu's main process decides which terminals were outside and
 * makes the descriptions without touching anything of the task's: a pty
 * pair on first use, criu's terminal, an O_PATH stand-in for /dev/tty;
 * the task then takes its controlling terminal and foreground group and
 * opens /dev/tty).  files-tty-data.c: the bytes waiting in a pty.
 *
 * Bytes waiting in a pty with both ends in the dump are carried in
 * tty-data.img (files-tty-data.c reads and writes them).
 */
#define LOG_PREFIX "tty: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <asm/termbits.h>

#include "cr_options.h"
#include "file-kinds.h"
#include "image.h"
#include "log.h"
#include "images/tty.pb-c.h"
#include "tty.h"

/* Device numbers (Documentation/admin-guide/devices.txt). */
#define TTY_MAJOR	   4   /* tty0-63: virtual terminals, 64-: serial */
#define TTYAUX_MAJOR	   5   /* 0 /dev/tty, 1 /dev/console, 2 /dev/ptmx */
#define PTM_MAJOR	   128 /* 128-135: pty masters */
#define PTS_MAJOR	   136 /* 136-143: pty slaves */
#define PTY_MAJORS	   8
#define USB_SERIAL_MAJOR   188
#define LOW_DENSITY_SERIAL 204

enum tty_class {
	TC_NONE,
	TC_PTM,	    /* a pty master */
	TC_PTS,	    /* a pty slave */
	TC_CTTY,    /* /dev/tty */
	TC_CONSOLE, /* /dev/console */
	TC_VT,	    /* a virtual terminal */
	TC_SERIAL,  /* a serial line */
};

static enum tty_class tty_class(dev_t rdev)
{
	unsigned int ma = major(rdev), mi = minor(rdev);

	switch (ma) {
	case TTYAUX_MAJOR:
		return mi == 0 ? TC_CTTY : mi == 1 ? TC_CONSOLE : mi == 2 ? TC_PTM : TC_NONE;
	case TTY_MAJOR:
		return mi < 64 ? TC_VT : TC_SERIAL;
	case USB_SERIAL_MAJOR:
	case LOW_DENSITY_SERIAL:
		return TC_SERIAL;
	}
	if (ma >= PTM_MAJOR && ma < PTM_MAJOR + PTY_MAJORS)
		return TC_PTM;
	if (ma >= PTS_MAJOR && ma < PTS_MAJOR + PTY_MAJORS)
		return TC_PTS;
	return TC_NONE;
}

static TtyType image_type(enum tty_class c)
{
	switch (c) {
	case TC_PTM:
	case TC_PTS:
		return TTY_TYPE__PTY;
	case TC_CTTY:
		return TTY_TYPE__CTTY;
	case TC_CONSOLE:
		return TTY_TYPE__CONSOLE;
	case TC_VT:
		return TTY_TYPE__VT;
	case TC_SERIAL:
		return TTY_TYPE__SERIAL;
	case TC_NONE:
		break;
	}
	return TTY_TYPE__UNKNOWN;
}

static void termios_to_entry(const struct termios2 *t, TermiosEntry *e, uint32_t *cc)
{
	e->c_iflag = t->c_iflag;
	e->c_oflag = t->c_oflag;
	e->c_cflag = t->c_cflag;
	e->c_lflag = t->c_lflag;
	e->c_line = t->c_line;
	e->c_ispeed = t->c_ispeed;
	e->c_ospeed = t->c_ospeed;
	for (int i = 0; i < TERMIOS_NCC; i++)
		cc[i] = t->c_cc[i];
	e->n_c_cc = TERMIOS_NCC;
	e->c_cc = cc;
}

/* ================================================================ dump */

/* One terminal seen in the dumped tasks (one tty_info_entry). */
struct dumped_tty {
	uint32_t info_id;
	enum tty_class cls;
	int index; /* pty index, else -1 */
	dev_t rdev, dev;
	char what[64]; /* "fd 0 of task 42": the first fd seen on it */
	char path[64];
	bool have_params;
	struct termios2 termios;
	struct termios locked_termios;
	struct winsize ws;
	bool locked, exclusive, packet;
	pid_t sid, pgrp;
	pid_t pid;	    /* the task of what[] */
	int lfd;	    /* master: criu's fd on the task's description, else -1 */
	int peer;	    /* master: an fd on its slave, for the waiting bytes */
	struct tty_queue q; /* master: the bytes waiting at both sides */
};

static struct {
	struct dumped_tty *ttys;
	size_t nr, max;
} dmp;

static struct dumped_tty *dumped_tty(uint32_t info_id)
{
	for (size_t i = 0; i < dmp.nr; i++)
		if (dmp.ttys[i].info_id == info_id)
			return &dmp.ttys[i];
	return NULL;
}

static bool tty_match(const struct fd_parms *p)
{
	return p->fd >= 0 && S_ISCHR(p->st.st_mode) && tty_class(p->st.st_rdev) != TC_NONE;
}

/* The session, controlling terminal and its foreground group of @pid. */
static int task_ctty(pid_t pid, pid_t *sid, dev_t *tty, pid_t *tpgid)
{
	char path[64], buf[1024];
	const char *s;
	int fd, tty_nr, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_err_ret(-errno, "can't open %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return pr_err_ret(n < 0 ? -errno : -EIO, "can't read %s", path);
	buf[n] = '\0';
	s = strrchr(buf, ')');
	/* after the name: state ppid pgrp session tty_nr tpgid */
	if (!s || sscanf(s + 1, " %*c %*d %*d %d %d %d", sid, &tty_nr, tpgid) != 3) {
		pr_err("can't parse %s\n", path);
		return -EINVAL;
	}
	*tty = makedev(((unsigned int)tty_nr >> 8) & 0xfff,
		       ((unsigned int)tty_nr & 0xff) | (((unsigned int)tty_nr >> 12) & 0xfff00));
	return 0;
}

/* Termios, window size and the pty flags of terminal @t through @fd. */
static int read_params(struct dumped_tty *t, int fd)
{
	int v;

	if (ioctl(fd, TCGETS2, &t->termios) < 0) {
		if (errno == EIO) {
			pr_err("%s: terminal %s is hung up: not supported\n", t->what, t->path);
			return -EIO;
		}
		return pr_err_ret(-errno, "%s: can't read the termios of %s", t->what, t->path);
	}
	if (ioctl(fd, TIOCGLCKTRMIOS, &t->locked_termios) < 0)
		return pr_err_ret(-errno, "%s: can't read the locked termios of %s", t->what, t->path);
	if (ioctl(fd, TIOCGWINSZ, &t->ws) < 0)
		return pr_err_ret(-errno, "%s: can't read the window size of %s", t->what, t->path);
	if (ioctl(fd, TIOCGEXCL, &v) == 0)
		t->exclusive = v;
	if (t->cls == TC_PTM) {
		if (ioctl(fd, TIOCGPKT, &v) < 0)
			return pr_err_ret(-errno, "%s: can't read the packet mode of %s", t->what, t->path);
		t->packet = v;
		if (ioctl(fd, TIOCGPTLCK, &v) < 0)
			return pr_err_ret(-errno, "%s: can't read the lock of %s", t->what, t->path);
		t->locked = v;
		/* The master sees the slave's session and foreground group. */
		if (ioctl(fd, TIOCGSID, &v) == 0)
			t->sid = v;
		if (ioctl(fd, TIOCGPGRP, &v) == 0)
			t->pgrp = v;
	}
	t->have_params = true;
	return 0;
}

/* A new terminal for fd @p: its class, index and what can be read now. */
static int add_tty(const struct fd_parms *p, enum tty_class cls, int index, uint32_t info_id, struct dumped_tty **out)
{
	struct dumped_tty *t;
	dev_t ctty = 0;
	pid_t sid = 0, tpgid = 0;
	int fd = p->lfd, r;

	r = files_grow((void **)&dmp.ttys, &dmp.max, dmp.nr + 1, sizeof(*t));
	if (r)
		return r;
	t = &dmp.ttys[dmp.nr];
	*t = (struct dumped_tty){ .info_id = info_id,
				  .cls = cls,
				  .index = index,
				  .rdev = p->st.st_rdev,
				  .dev = p->st.st_dev,
				  .pid = p->pid,
				  .lfd = -1,
				  .peer = -1 };
	snprintf(t->what, sizeof(t->what), "%s", fd_parms_what(p));
	snprintf(t->path, sizeof(t->path), "%s", p->link);

	/* The terminal is the task's controlling one: /proc says its session and foreground. */
	r = task_ctty(p->pid, &sid, &ctty, &tpgid);
	if (r)
		return r;
	if (cls == TC_CTTY || (ctty && ctty == p->st.st_rdev)) {
		t->sid = sid;
		t->pgrp = tpgid > 0 ? tpgid : 0;
	}

	/*
	 * Read through the task's own description.  Reopening by path is
	 * right for a slave or a line, never for a master (a new pty) or
	 * /dev/tty (criu's own terminal).
	 */
	if (fd < 0 && (cls == TC_PTM || cls == TC_CTTY)) {
		if (cls == TC_PTM) {
			pr_err("%s: can't get the task's description of pty master %s\n", t->what, t->path);
			return -EBADF;
		}
	} else {
		int own = -1;

		if (fd < 0) {
			own = fd_parms_reopen(p, O_RDONLY | O_NOCTTY | O_NONBLOCK);
			if (own < 0)
				return own;
			fd = own;
		}
		r = read_params(t, fd);
		if (own >= 0)
			close(own);
		if (r)
			return r;
	}
	if (cls == TC_PTM) {
		t->lfd = fcntl(p->lfd, F_DUPFD_CLOEXEC, 3);
		if (t->lfd < 0)
			return pr_err_ret(-errno, "%s: can't keep the pty master", t->what);
	}
	dmp.nr++;
	*out = t;
	return 0;
}

static int tty_dump(const struct fd_parms *p, uint32_t id)
{
	FileEntry fe = FILE_ENTRY__INIT;
	TtyFileEntry tfe = TTY_FILE_ENTRY__INIT;
	FownEntry fown = FOWN_ENTRY__INIT;
	enum tty_class cls = tty_class(p->st.st_rdev);
	struct dumped_tty *t;
	int index = -1, r;
	uint32_t info_id = 0;

	switch (cls) {
	case TC_PTM:
		if (p->lfd < 0 || ioctl(p->lfd, TIOCGPTN, &index) < 0) {
			pr_err("%s: can't read the index of pty master %s: %s\n", fd_parms_what(p), p->link,
			       p->lfd < 0 ? "no description of the task's" : strerror(errno));
			return -EBADF;
		}
		break;
	case TC_PTS:
		index = (major(p->st.st_rdev) - PTS_MAJOR) * 256 + minor(p->st.st_rdev);
		break;
	case TC_CTTY:
		info_id = CTTY_INDEX << 1;
		break;
	case TC_CONSOLE:
		info_id = CONSOLE_INDEX << 1;
		break;
	case TC_VT:
		info_id = VT_INDEX << 1;
		break;
	case TC_SERIAL:
		info_id = SERIAL_INDEX << 1;
		break;
	case TC_NONE:
		return -EINVAL;
	}
	if (index >= 0) {
		if (index > MAX_PTY_INDEX) {
			pr_err("%s: pty %d: the image format numbers ptys up to %d\n", fd_parms_what(p), index,
			       MAX_PTY_INDEX);
			return -EOPNOTSUPP;
		}
		info_id = ((uint32_t)index << 1) | (cls == TC_PTM);
	}

	t = dumped_tty(info_id);
	if (!t) {
		r = add_tty(p, cls, index, info_id, &t);
		if (r)
			return r;
	}

	if (p->fown)
		fown = *p->fown;
	tfe.id = id;
	tfe.tty_info_id = info_id;
	tfe.flags = p->flags;
	tfe.fown = &fown;
	fe.type = FD_TYPES__TTY;
	fe.id = id;
	fe.tty = &tfe;
	pr_info("%s: terminal %s (tty-info %#x) as file %u\n", fd_parms_what(p), p->link, info_id, id);
	return files_add_entry(&fe);
}

static int write_info(struct cr_img *img, const struct dumped_tty *t)
{
	TtyInfoEntry ie = TTY_INFO_ENTRY__INIT;
	TermiosEntry te = TERMIOS_ENTRY__INIT, tl = TERMIOS_ENTRY__INIT;
	WinsizeEntry we = WINSIZE_ENTRY__INIT;
	TtyPtyEntry pe = TTY_PTY_ENTRY__INIT;
	uint32_t cc[TERMIOS_NCC], lcc[TERMIOS_NCC];
	struct termios2 lt2;

	ie.id = t->info_id;
	ie.type = image_type(t->cls);
	ie.locked = t->locked;
	ie.exclusive = t->exclusive;
	ie.packet_mode = t->packet;
	ie.sid = t->sid;
	ie.pgrp = t->pgrp;
	ie.rdev = t->rdev;
	ie.has_dev = true;
	ie.dev = t->dev;
	if (ie.type == TTY_TYPE__PTY) {
		pe.index = t->index;
		ie.pty = &pe;
	}
	if (t->have_params) {
		termios_to_entry(&t->termios, &te, cc);
		memset(&lt2, 0, sizeof(lt2));
		lt2.c_iflag = t->locked_termios.c_iflag;
		lt2.c_oflag = t->locked_termios.c_oflag;
		lt2.c_cflag = t->locked_termios.c_cflag;
		lt2.c_lflag = t->locked_termios.c_lflag;
		lt2.c_line = t->locked_termios.c_line;
		memcpy(lt2.c_cc, t->locked_termios.c_cc, sizeof(lt2.c_cc));
		termios_to_entry(&lt2, &tl, lcc);
		tl.c_ispeed = tl.c_ospeed = 0;
		we.ws_row = t->ws.ws_row;
		we.ws_col = t->ws.ws_col;
		we.ws_xpixel = t->ws.ws_xpixel;
		we.ws_ypixel = t->ws.ws_ypixel;
		ie.termios = &te;
		ie.termios_locked = &tl;
		ie.winsize = &we;
	}
	return img_write_entry(img, &ie);
}

static int write_data(struct cr_img **img, struct img_dir *dir, uint32_t id, uint8_t *data, size_t len)
{
	TtyDataEntry e = TTY_DATA_ENTRY__INIT;
	int r;

	if (!len)
		return 0;
	if (!*img) {
		r = img_open(dir, CR_IMG_TTY_DATA, IMG_WRITE, 0, img);
		if (r)
			return r;
	}
	e.tty_id = id;
	e.data.data = data;
	e.data.len = len;
	return img_write_entry(*img, &e);
}

/*
 * tty-data.img: the bytes waiting in each pty whose both ends are dumped,
 * an entry per side (tty_id: the side that can read them), as CRIU.
 * Reading them takes them out of the pty: tty_dump_fini() puts them back
 * when the task lives on.
 */
static int dump_queues(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	int r = 0;

	for (size_t i = 0; !r && i < dmp.nr; i++) {
		struct dumped_tty *m = &dmp.ttys[i];
		char what[32];

		if (m->cls != TC_PTM || m->lfd < 0 || !dumped_tty(m->info_id & ~1u))
			continue;
		snprintf(what, sizeof(what), "pty %d", m->index);
		r = tty_queue_drain(m->lfd, m->packet, &m->peer, &m->q, what);
		if (!r)
			r = write_data(&img, dir, m->info_id, m->q.out, m->q.out_len);
		if (!r)
			r = write_data(&img, dir, m->info_id & ~1u, m->q.in, m->q.in_len);
	}
	if (!img)
		return r;
	if (r) {
		img_closep(&img);
		return r;
	}
	return img_close(img);
}

static bool task_alive(pid_t pid)
{
	char path[64], buf[512];
	const char *s;
	int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	return s && s[1] == ' ' && s[2] != 'Z' && s[2] != 'X';
}

/*
 * After every task: pair the ptys, find the terminals whose other end is
 * outside (refused without --shell-job; one at most), write tty-info.img.
 */
static int tty_dump_finish(struct img_dir *dir)
{
	const struct dumped_tty *outside = NULL;
	struct cr_img *img = NULL;
	int r = 0;

	if (!dmp.nr)
		return 0;
	for (size_t i = 0; i < dmp.nr; i++) {
		struct dumped_tty *t = &dmp.ttys[i], *m;
		bool out = false;

		if (t->cls == TC_PTS) {
			m = dumped_tty(t->info_id | 1);
			if (m) {
				/* one terminal: what its master says about it holds */
				t->sid = m->sid;
				t->pgrp = m->pgrp;
			} else {
				out = true;
			}
		} else if (t->cls == TC_CONSOLE || t->cls == TC_VT || t->cls == TC_SERIAL) {
			out = true;
		}
		if (!out)
			continue;
		if (!opts.shell_job) {
			pr_err("%s: terminal %s: its other end is outside the dumped tree; consider using "
			       "--shell-job\n",
			       t->what, t->path);
			return -EOPNOTSUPP;
		}
		if (outside && outside->rdev != t->rdev) {
			pr_err("%s: terminal %s: a second terminal outside the tree (%s is the first); only one "
			       "can become criu's terminal on restore\n",
			       t->what, t->path, outside->path);
			return -EOPNOTSUPP;
		}
		outside = t;
		pr_info("%s: %s is the shell job's terminal (session %d, foreground %d)\n", t->what, t->path,
			(int)t->sid, (int)t->pgrp);
	}

	r = img_open(dir, CR_IMG_TTY_INFO, IMG_WRITE, 0, &img);
	if (r)
		return r;
	for (size_t i = 0; !r && i < dmp.nr; i++)
		r = write_info(img, &dmp.ttys[i]);
	if (r) {
		img_closep(&img);
		return r;
	}
	r = img_close(img);
	return r ?: dump_queues(dir);
}

static void tty_dump_fini(void)
{
	for (size_t i = 0; i < dmp.nr; i++) {
		struct dumped_tty *t = &dmp.ttys[i];
		const struct dumped_tty *s = dumped_tty(t->info_id & ~1u);
		char what[32];

		/* Left running (-R, -s, a failed dump): the bytes go back where they were. */
		if (t->peer >= 0 && (task_alive(t->pid) || (s && task_alive(s->pid)))) {
			snprintf(what, sizeof(what), "pty %d", t->index);
			if (!tty_queue_push(t->peer, &t->q, what) && (t->q.out_len || t->q.in_len))
				pr_info("%s: its waiting bytes are back in it\n", what);
		}
		tty_queue_free(&t->q);
		if (t->peer >= 0)
			close(t->peer);
		if (t->lfd >= 0)
			close(t->lfd);
	}
	free(dmp.ttys);
	memset(&dmp, 0, sizeof(dmp));
}

const struct fd_kind tty_kind = {
	.name = "terminal",
	.type = FD_TYPES__TTY,
	.match = tty_match,
	.dump = tty_dump,
	.collect = tty_collect,
	.open = tty_open,
	.post_open = tty_post_open,
	.dump_finish = tty_dump_finish,
	.dump_fini = tty_dump_fini,
	.collect_images = tty_collect_images,
	.restore_fini = tty_restore_fini,
};
