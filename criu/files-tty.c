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
 * Restore order: collect_images (criu's main process) reads tty-info.img
 * and pstree.img and decides which terminals are outside; open() makes the
 * description without touching anything of the task's: a pty pair is
 * created on first use (the master is kept at a service fd, the task gets
 * dups of it and opens of its slave path, always O_NOCTTY), an outside
 * terminal is opened through /proc/<criu>/fd/N, /dev/tty is held as an
 * O_PATH placeholder.  post_open() runs in the task once its fds are in
 * place: it makes the task's controlling terminal (a session leader:
 * TIOCSCTTY) and foreground group (tcsetpgrp, signals are blocked there),
 * replaces the /dev/tty placeholders by a real open of /dev/tty, and locks
 * a pty that was locked.
 *
 * Bytes left unread in a pty are not carried (no tty-data.img): the dump
 * says how many are lost.
 */
#define LOG_PREFIX "tty: "

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <asm/termbits.h>

#include "cr_options.h"
#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "images/pstree.pb-c.h"
#include "images/tty.pb-c.h"

/* Device numbers (Documentation/admin-guide/devices.txt). */
#define TTY_MAJOR	   4   /* tty0-63: virtual terminals, 64-: serial */
#define TTYAUX_MAJOR	   5   /* 0 /dev/tty, 1 /dev/console, 2 /dev/ptmx */
#define PTM_MAJOR	   128 /* 128-135: pty masters */
#define PTS_MAJOR	   136 /* 136-143: pty slaves */
#define PTY_MAJORS	   8
#define USB_SERIAL_MAJOR   188
#define LOW_DENSITY_SERIAL 204

/* tty_info ids (index * 2 + master) as CRIU numbers them. */
#define MAX_PTY_INDEX 1000
#define CONSOLE_INDEX 1002
#define VT_INDEX      1004
#define CTTY_INDEX    1006
#define SERIAL_INDEX  1008 /* ours: CRIU gives serial lines index 0, a pty's */
#define TERMIOS_NCC   19   /* c_cc entries in the image (the kernel's NCCS) */

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

static bool is_outside_type(TtyType t)
{
	return t == TTY_TYPE__VT || t == TTY_TYPE__SERIAL || t == TTY_TYPE__CONSOLE;
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

static void entry_to_termios(const TermiosEntry *e, struct termios *t)
{
	memset(t, 0, sizeof(*t));
	t->c_iflag = e->c_iflag;
	t->c_oflag = e->c_oflag;
	t->c_cflag = e->c_cflag;
	t->c_lflag = e->c_lflag;
	t->c_line = e->c_line;
	for (size_t i = 0; i < e->n_c_cc && i < NCCS; i++)
		t->c_cc[i] = e->c_cc[i];
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
	int unread; /* bytes waiting to be read at this side, -1 unknown */
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
	if (ioctl(fd, FIONREAD, &v) == 0)
		t->unread = v;
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
	*t = (struct dumped_tty){
		.info_id = info_id, .cls = cls, .index = index, .rdev = p->st.st_rdev, .dev = p->st.st_dev, .unread = -1
	};
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
				if (t->unread > 0 || m->unread > 0)
					pr_warn("pty %d: %d bytes unread at the slave and %d at the master are not "
						"carried\n",
						t->index, t->unread > 0 ? t->unread : 0, m->unread > 0 ? m->unread : 0);
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
	return img_close(img);
}

static void tty_dump_fini(void)
{
	free(dmp.ttys);
	memset(&dmp, 0, sizeof(dmp));
}

/* ================================================================ restore */

/* One terminal of tty-info.img. */
struct rst_tty {
	TtyInfoEntry *tie;
	bool outside;	 /* a shell job's terminal: criu's terminal stands in */
	bool has_master; /* pty: its master is in the images */
	int master_fd;	 /* pty: criu's fd on the new master (a service fd), or -1 */
	int index;	 /* pty: the index it got */
};

struct rst_task {
	uint32_t pid, pgid, sid;
};

static struct {
	struct rst_tty *ttys;
	size_t nr;
	struct rst_task *tasks;
	size_t nr_tasks;
	char term_path[64]; /* how to open criu's terminal, "" until needed */
	int term_fd;	    /* criu's fd on /dev/tty when that is the terminal */
	bool term_params;   /* the job's termios were set on it */
	pid_t setup_pid;    /* the task whose controlling terminal is done */
} rst = { .term_fd = -1 };

static struct rst_tty *rst_tty(uint32_t info_id)
{
	for (size_t i = 0; i < rst.nr; i++)
		if (rst.ttys[i].tie->id == info_id)
			return &rst.ttys[i];
	return NULL;
}

static const struct rst_task *rst_task(pid_t pid)
{
	for (size_t i = 0; i < rst.nr_tasks; i++)
		if (rst.tasks[i].pid == (uint32_t)pid)
			return &rst.tasks[i];
	return NULL;
}

static int check_termios(const TtyInfoEntry *e, const TermiosEntry *t)
{
	if (t && t->n_c_cc < TERMIOS_NCC) {
		pr_err("tty-info.img: terminal %#x has %zu control characters, not %d\n", e->id, t->n_c_cc,
		       TERMIOS_NCC);
		return -EINVAL;
	}
	return 0;
}

static int check_info(const TtyInfoEntry *e)
{
	switch (e->type) {
	case TTY_TYPE__PTY:
		if (!e->pty) {
			pr_err("tty-info.img: pty %#x has no index\n", e->id);
			return -EINVAL;
		}
		if ((e->pty->index << 1 | (e->id & 1)) != e->id || e->pty->index > MAX_PTY_INDEX) {
			pr_err("tty-info.img: pty %#x has index %u\n", e->id, e->pty->index);
			return -EINVAL;
		}
		if ((e->id & 1) && !e->termios) {
			pr_err("tty-info.img: pty master %#x has no termios\n", e->id);
			return -EINVAL;
		}
		break;
	case TTY_TYPE__CTTY:
	case TTY_TYPE__CONSOLE:
	case TTY_TYPE__VT:
	case TTY_TYPE__SERIAL:
		break;
	case TTY_TYPE__EXT_TTY:
		pr_err("tty-info.img: terminal %#x was declared external (--external tty[...]): not supported yet\n",
		       e->id);
		return -EOPNOTSUPP;
	default:
		pr_err("tty-info.img: terminal %#x has unknown type %d\n", e->id, e->type);
		return -EINVAL;
	}
	return check_termios(e, e->termios) ?: check_termios(e, e->termios_locked);
}

static int read_tty_infos(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	size_t max = 0;
	int r;

	r = img_open(dir, CR_IMG_TTY_INFO, IMG_READ | IMG_OPTIONAL, 0, &img);
	if (r < 0)
		return r;
	for (;;) {
		TtyInfoEntry *e;

		r = img_read_entry(img, NULL, (void **)&e);
		if (r <= 0)
			break;
		r = check_info(e);
		if (!r && rst_tty(e->id)) {
			pr_err("tty-info.img: terminal %#x is listed twice\n", e->id);
			r = -EINVAL;
		}
		if (!r)
			r = files_grow((void **)&rst.ttys, &max, rst.nr + 1, sizeof(*rst.ttys));
		if (r) {
			img_msg_free(e);
			break;
		}
		rst.ttys[rst.nr++] = (struct rst_tty){ .tie = e, .master_fd = -1, .index = -1 };
	}
	img_closep(&img);
	return r;
}

/* Session and group of every task: who leads, who had the foreground. */
static int read_tasks(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	size_t max = 0;
	int r;

	r = img_open(dir, CR_IMG_PSTREE, IMG_READ, 0, &img);
	if (r)
		return r;
	for (;;) {
		PstreeEntry *e;

		r = img_read_entry(img, NULL, (void **)&e);
		if (r <= 0)
			break;
		r = files_grow((void **)&rst.tasks, &max, rst.nr_tasks + 1, sizeof(*rst.tasks));
		if (!r)
			rst.tasks[rst.nr_tasks++] = (struct rst_task){ .pid = e->pid, .pgid = e->pgid, .sid = e->sid };
		img_msg_free(e);
		if (r)
			break;
	}
	img_closep(&img);
	return r;
}

/* criu's terminal, which a shell job's fds get: its stdin, else /dev/tty. */
static int find_criu_terminal(void)
{
	int fd;

	if (rst.term_path[0])
		return 0;
	if (isatty(STDIN_FILENO)) {
		snprintf(rst.term_path, sizeof(rst.term_path), "/proc/%d/fd/%d", (int)getpid(), STDIN_FILENO);
		pr_info("the shell job gets criu's standard input as its terminal\n");
		return 0;
	}
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("--shell-job: criu has no terminal to give the job (its standard input is not a terminal "
		       "and it has no controlling terminal): run criu restore from the terminal the job is to "
		       "use\n");
		return -ENOTTY;
	}
	rst.term_fd = fd;
	snprintf(rst.term_path, sizeof(rst.term_path), "/proc/%d/fd/%d", (int)getpid(), fd);
	pr_info("the shell job gets criu's controlling terminal\n");
	return 0;
}

static int tty_collect_images(struct img_dir *dir)
{
	int r = read_tty_infos(dir);

	if (r || !rst.nr)
		return r;
	r = read_tasks(dir);
	if (r)
		return r;
	for (size_t i = 0; i < rst.nr; i++) {
		struct rst_tty *t = &rst.ttys[i];
		const TtyInfoEntry *e = t->tie;

		if (e->type == TTY_TYPE__PTY && !(e->id & 1)) {
			t->has_master = rst_tty(e->id | 1) != NULL;
			t->outside = !t->has_master;
		} else if (e->type == TTY_TYPE__PTY) {
			t->has_master = true;
		} else {
			t->outside = is_outside_type(e->type);
		}
	}
	return 0;
}

static int tty_collect(struct file_desc *d)
{
	const TtyFileEntry *tfe = d->fe->tty;
	struct rst_tty *t;

	if (!tfe || tfe->id != d->id) {
		pr_err("files.img: entry %u is a TTY without its tty_file_entry\n", d->id);
		return -EINVAL;
	}
	t = rst_tty(tfe->tty_info_id);
	if (!t) {
		pr_err("files.img: terminal file %u refers to tty-info %#x, which tty-info.img lacks\n", d->id,
		       tfe->tty_info_id);
		return -EINVAL;
	}
	if (t->outside) {
		if (!opts.shell_job) {
			pr_err("file %u: the terminal (%s %u:%u) was outside the dumped tree, the job's shell's; "
			       "restore it with --shell-job\n",
			       d->id, t->tie->pty ? "pty" : "tty", major(t->tie->rdev), minor(t->tie->rdev));
			return -EOPNOTSUPP;
		}
		return find_criu_terminal();
	}
	return 0;
}

/* Settable status flags of a description (F_SETFL). */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_NOATIME)

static int open_flags(const TtyFileEntry *tfe)
{
	return (tfe->flags & (O_ACCMODE | O_NONBLOCK | O_APPEND | O_DSYNC | O_SYNC)) | O_NOCTTY | O_CLOEXEC;
}

/* termios, then its lock, then the window size, on @fd. */
static int set_params(int fd, const TtyInfoEntry *e, bool winsize, const char *what)
{
	struct termios t;

	if (e->termios) {
		entry_to_termios(e->termios, &t);
		if (ioctl(fd, TCSETS, &t) < 0)
			return pr_err_ret(-errno, "%s: can't set termios", what);
	}
	if (e->termios_locked) {
		entry_to_termios(e->termios_locked, &t);
		if (ioctl(fd, TIOCSLCKTRMIOS, &t) < 0)
			return pr_err_ret(-errno, "%s: can't set the locked termios", what);
	}
	if (winsize && e->winsize) {
		struct winsize w = { .ws_row = e->winsize->ws_row,
				     .ws_col = e->winsize->ws_col,
				     .ws_xpixel = e->winsize->ws_xpixel,
				     .ws_ypixel = e->winsize->ws_ypixel };

		if (ioctl(fd, TIOCSWINSZ, &w) < 0)
			return pr_err_ret(-errno, "%s: can't set the window size", what);
	}
	return 0;
}

/*
 * A new pty master with index @want if it is free: ptmx hands out the
 * lowest free index, so open until it comes or a higher one shows it is
 * taken.  Taken: any other index will do (the slave's path changes; CRIU
 * fails the restore instead).  Returns the fd, *@got the index.
 */
static int open_ptmx(int want, int *got)
{
	enum { MAX_HELD = 1024 };
	_cleanup_free_ int *held = xmalloc(MAX_HELD * sizeof(int));
	int n = 0, fd = -1, idx = -1;

	if (!held)
		return -ENOMEM;
	for (;;) {
		fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			pr_perror("can't open /dev/ptmx");
			break;
		}
		if (ioctl(fd, TIOCGPTN, &idx) < 0) {
			int r = -errno;

			pr_perror("can't read the index of a new pty");
			close(fd);
			fd = r;
			break;
		}
		if (idx >= want || n == MAX_HELD)
			break;
		held[n++] = fd;
	}
	while (n)
		close(held[--n]);
	if (fd >= 0 && idx != want)
		pr_warn("pty %d is taken: restored as pty %d (/dev/pts/%d)\n", want, idx, idx);
	*got = idx;
	return fd;
}

/* The pty pair of master info @m, made on first use. */
static int make_pty(struct rst_tty *m)
{
	const TtyInfoEntry *e = m->tie;
	char what[32];
	int fd, idx, unlock = 0, r;

	if (m->master_fd >= 0)
		return 0;
	fd = open_ptmx(e->pty->index, &idx);
	if (fd < 0)
		return fd;
	snprintf(what, sizeof(what), "pty %d", idx);
	if (ioctl(fd, TIOCSPTLCK, &unlock) < 0) {
		r = pr_err_ret(-errno, "%s: can't unlock it", what);
		goto out_close;
	}
	r = set_params(fd, e, true, what);
	if (r)
		goto out_close;
	if (e->packet_mode) {
		int on = 1;

		if (ioctl(fd, TIOCPKT, &on) < 0) {
			r = pr_err_ret(-errno, "%s: can't set packet mode", what);
			goto out_close;
		}
	}
	/* Out of the way of the task's fd numbers; the restorer closes it. */
	m->master_fd = fcntl(fd, F_DUPFD_CLOEXEC, files_service_fd_base());
	if (m->master_fd < 0) {
		r = pr_err_ret(-errno, "%s: can't keep the master", what);
		goto out_close;
	}
	m->index = idx;
	pr_info("pty %u restored as pty %d\n", e->pty->index, idx);
	r = 0;
out_close:
	close(fd);
	return r;
}

static int open_slave(const struct rst_tty *m, int flags)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/pts/%d", m->index);
	fd = open(path, flags);
	if (fd < 0)
		return pr_err_ret(-errno, "can't open %s", path);
	return fd;
}

static int open_outside(const struct rst_tty *t, int flags)
{
	int fd = open(rst.term_path, flags);

	if (fd < 0)
		return pr_err_ret(-errno, "can't open criu's terminal (%s)", rst.term_path);
	if (!rst.term_params) {
		/* The job's modes (raw, no echo...), not its old window size. */
		int r = set_params(fd, t->tie, false, "criu's terminal");

		if (r) {
			close(fd);
			return r;
		}
		rst.term_params = true;
	}
	return fd;
}

static int tty_open(struct file_desc *d, int *out)
{
	const TtyFileEntry *tfe = d->fe->tty;
	struct rst_tty *t = rst_tty(tfe->tty_info_id), *m;
	int fd, r;

	if (t->outside) {
		fd = open_outside(t, open_flags(tfe));
	} else if (t->tie->type == TTY_TYPE__CTTY) {
		/* A stand-in on the same inode; post_open opens /dev/tty in the task. */
		fd = open("/dev/tty", O_PATH | O_CLOEXEC);
		if (fd < 0)
			fd = pr_err_ret(-errno, "can't open /dev/tty (O_PATH)");
		*out = fd;
		return fd < 0 ? fd : 0;
	} else if (t->tie->type == TTY_TYPE__PTY) {
		m = rst_tty(t->tie->id | 1);
		r = make_pty(m);
		if (r)
			return r;
		if (t == m) {
			fd = fcntl(m->master_fd, F_DUPFD_CLOEXEC, 0);
			if (fd < 0)
				fd = pr_err_ret(-errno, "pty %d: can't dup the master", m->index);
			else if (fcntl(fd, F_SETFL, tfe->flags & SETFL_MASK & ~O_ASYNC) < 0)
				pr_warn("pty %d: can't set flags %#x on the master: %s\n", m->index, tfe->flags,
					strerror(errno));
		} else {
			fd = open_slave(m, open_flags(tfe));
		}
	} else {
		pr_err("file %u: terminal type %d can't be opened\n", d->id, t->tie->type);
		return -EOPNOTSUPP;
	}
	if (fd < 0)
		return fd;
	r = restore_fown(fd, tfe->fown, "terminal");
	if (!r && (tfe->flags & O_ASYNC) && fcntl(fd, F_SETFL, tfe->flags & SETFL_MASK) < 0)
		r = pr_err_ret(-errno, "file %u: can't set O_ASYNC", d->id);
	if (r) {
		close(fd);
		return r;
	}
	*out = fd;
	return 0;
}

/* An fd on terminal @t as this task sees it now (O_NOCTTY), or -errno. */
static int open_for_task(const struct rst_tty *t)
{
	const struct rst_tty *m;
	int fd;

	if (t->outside) {
		fd = open(rst.term_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	m = rst_tty(t->tie->id | 1);
	if (!m || m->index < 0)
		return -ENOENT; /* the pair was not made in this process */
	return open_slave(m, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/*
 * Once per task, before its terminal fds are used: a session leader gets
 * its controlling terminal back, and the task's group gets the foreground
 * of its terminal when it had it at dump.  Signals are blocked here, so
 * tcsetpgrp() from a background group raises no SIGTTOU.
 */
static int setup_task_terminal(void)
{
	pid_t pid = getpid();
	const struct rst_task *me;
	int r = 0;

	if (rst.setup_pid == pid)
		return 0;
	rst.setup_pid = pid;
	me = rst_task(pid);
	if (!me)
		return 0;

	for (size_t i = 0; i < rst.nr; i++) {
		struct rst_tty *t = &rst.ttys[i];
		const TtyInfoEntry *e = t->tie;
		int fd;

		if (e->type != TTY_TYPE__PTY && !t->outside)
			continue;
		if (e->type == TTY_TYPE__PTY && !t->outside && !(e->id & 1) && rst_tty(e->id | 1))
			continue; /* the master's entry speaks for the pair */
		if (!e->sid || e->sid != me->sid)
			continue;
		if (t->outside && me->sid == me->pid) {
			pr_warn("process %d led the session of its outside terminal: it comes back as a session "
				"leader without a controlling terminal, its fds on criu's terminal\n",
				(int)pid);
			continue;
		}
		if (me->sid != me->pid && e->pgrp != me->pgid)
			continue; /* the leader does the terminal; only the foreground group has more to do */
		fd = open_for_task(t);
		if (fd < 0)
			return pr_err_ret(fd, "process %d: can't open its terminal", (int)pid);
		if (!t->outside && me->sid == me->pid && ioctl(fd, TIOCSCTTY, 0) < 0) {
			r = pr_err_ret(-errno, "process %d: can't make pty %d its controlling terminal", (int)pid,
				       t->index);
			close(fd);
			return r;
		}
		if (e->pgrp && e->pgrp == me->pgid) {
			pid_t pg = getpgrp();

			if (ioctl(fd, TIOCSPGRP, &pg) < 0)
				pr_warn("process %d: can't give its group %d the foreground of its terminal: %s\n",
					(int)pid, (int)pg, strerror(errno));
			else
				pr_info("process %d: group %d has the foreground of its terminal\n", (int)pid, (int)pg);
		} else if (e->pgrp && me->sid == me->pid) {
			pid_t pg = e->pgrp;

			/* Another group of the session: there once it is created. */
			if (ioctl(fd, TIOCSPGRP, &pg) < 0)
				pr_info("process %d: foreground group %d is not there yet (%s): it sets it itself\n",
					(int)pid, (int)pg, strerror(errno));
		}
		close(fd);
	}
	return r;
}

/* Put a real open of /dev/tty at every fd of this task that holds stand-in @fd. */
static int reopen_dev_tty(const TtyFileEntry *tfe, int fd)
{
	pid_t self = getpid();
	int tty, dir, r = 0;
	DIR *d;
	struct dirent *de;

	tty = open("/dev/tty", open_flags(tfe));
	if (tty < 0)
		return pr_err_ret(-errno,
				  "fd %d: can't open /dev/tty: the process has no controlling terminal "
				  "after restore",
				  fd);
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = dir < 0 ? NULL : fdopendir(dir);
	if (!d) {
		r = pr_err_ret(-errno, "can't list /proc/self/fd");
		if (dir >= 0)
			close(dir);
		close(tty);
		return r;
	}
	while (!r && (de = readdir(d))) {
		int n = atoi(de->d_name), cloexec;

		if (de->d_name[0] == '.' || n == dir || n == tty || n == fd)
			continue;
		if (syscall(SYS_kcmp, self, self, KCMP_FILE, n, fd) != 0)
			continue;
		cloexec = fcntl(n, F_GETFD);
		if (dup2(tty, n) < 0 || fcntl(n, F_SETFD, cloexec > 0 ? cloexec : 0) < 0)
			r = pr_err_ret(-errno, "can't put /dev/tty at fd %d", n);
	}
	closedir(d);
	if (!r) {
		int cloexec = fcntl(fd, F_GETFD);

		if (dup2(tty, fd) < 0 || fcntl(fd, F_SETFD, cloexec > 0 ? cloexec : 0) < 0)
			r = pr_err_ret(-errno, "can't put /dev/tty at fd %d", fd);
	}
	if (!r)
		r = restore_fown(fd, tfe->fown, "/dev/tty");
	close(tty);
	return r;
}

static int tty_post_open(struct file_desc *d, int fd)
{
	const TtyFileEntry *tfe = d->fe->tty;
	const struct rst_tty *t = rst_tty(tfe->tty_info_id);
	int r, on = 1;

	r = setup_task_terminal();
	if (r)
		return r;
	if (!t->outside && t->tie->type == TTY_TYPE__CTTY)
		return reopen_dev_tty(tfe, fd);
	if (t->tie->type != TTY_TYPE__PTY || t->outside)
		return 0;
	if (t->tie->exclusive && ioctl(fd, TIOCEXCL) < 0)
		return pr_err_ret(-errno, "fd %d: can't set exclusive mode", fd);
	/* Locked last: no slave can be opened once it is. */
	if ((t->tie->id & 1) && t->tie->locked && ioctl(fd, TIOCSPTLCK, &on) < 0)
		return pr_err_ret(-errno, "fd %d: can't lock pty %d", fd, t->index);
	return 0;
}

static void tty_restore_fini(void)
{
	for (size_t i = 0; i < rst.nr; i++) {
		if (rst.ttys[i].master_fd >= 0)
			close(rst.ttys[i].master_fd);
		img_msg_free(rst.ttys[i].tie);
	}
	free(rst.ttys);
	free(rst.tasks);
	if (rst.term_fd >= 0)
		close(rst.term_fd);
	memset(&rst, 0, sizeof(rst));
	rst.term_fd = -1;
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
