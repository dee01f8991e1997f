/*
 * Terminals, restore side (see files-tty.c for the whole picture).
 *
 * tty_collect_images() in criu's main process reads tty-info.img,
 * tty-data.img and pstree.img and decides which terminals were outside
 * the dump; tty_open() makes a description without touching anything of
 * the task's (a pty pair on first use, its master kept at a service fd;
 * criu's terminal through /proc/<criu>/fd/N; an O_PATH stand-in for
 * /dev/tty); tty_post_open() runs in the task with its fds in place:
 * controlling terminal, foreground group, the real /dev/tty, the lock.
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
#include "tty.h"

static bool is_outside_type(TtyType t)
{
	return t == TTY_TYPE__VT || t == TTY_TYPE__SERIAL || t == TTY_TYPE__CONSOLE;
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

/* One terminal of tty-info.img. */
struct rst_tty {
	TtyInfoEntry *tie;
	bool outside;	    /* a shell job's terminal: criu's terminal stands in */
	bool has_master;    /* pty: its master is in the images */
	int master_fd;	    /* pty: criu's fd on the new master (a service fd), or -1 */
	int index;	    /* pty: the index it got */
	TtyDataEntry *data; /* pty: bytes that waited at this side */
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

/* tty-data.img: bytes that waited in the ptys, each with the side that reads them. */
static int read_tty_data(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	int r;

	r = img_open(dir, CR_IMG_TTY_DATA, IMG_READ | IMG_OPTIONAL, 0, &img);
	if (r < 0)
		return r;
	for (;;) {
		TtyDataEntry *e;
		struct rst_tty *t;

		r = img_read_entry(img, NULL, (void **)&e);
		if (r <= 0)
			break;
		t = rst_tty(e->tty_id);
		if (!t || t->tie->type != TTY_TYPE__PTY || t->outside || t->data) {
			pr_err("tty-data.img: bytes for terminal %#x, which is %s\n", e->tty_id,
			       !t	 ? "not in tty-info.img"
			       : t->data ? "listed twice"
					 : "not a pty of the dump");
			img_msg_free(e);
			r = -EINVAL;
			break;
		}
		t->data = e;
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

int tty_collect_images(struct img_dir *dir)
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
	return read_tty_data(dir);
}

int tty_collect(struct file_desc *d)
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
		pr_warn("pty %d is taken%s: restored as pty %d (/dev/pts/%d)\n", want,
			idx < want ? " or too far above the free ones" : "", idx, idx);
	*got = idx;
	return fd;
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

/*
 * The bytes that waited in the pty of master @m, into the new one (@fd):
 * under its final termios, so that they are processed as they were.
 */
static int push_data(struct rst_tty *m, int fd, const char *what)
{
	const struct rst_tty *s = rst_tty(m->tie->id & ~1u);
	struct tty_queue q = { 0 };
	struct termios t;
	int slave, r;

	if (m->data) {
		q.out = m->data->data.data;
		q.out_len = m->data->data.len;
	}
	if (s && s->data) {
		q.in = s->data->data.data;
		q.in_len = s->data->data.len;
	}
	if (!q.out_len && !q.in_len)
		return 0;
	entry_to_termios(m->tie->termios, &t);
	if (ioctl(fd, TCSETS, &t) < 0)
		return pr_err_ret(-errno, "%s: can't set termios", what);
	slave = open_slave(m, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (slave < 0)
		return slave;
	r = tty_queue_push(slave, &q, what);
	close(slave);
	if (!r)
		pr_info("%s: %zu bytes for the master and %zu for the slave are back\n", what, q.out_len, q.in_len);
	return 0; /* a loss is logged; terminals never promised delivery */
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
	m->index = idx;
	r = push_data(m, fd, what);
	if (!r)
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
	pr_info("pty %u restored as pty %d\n", e->pty->index, idx);
	r = 0;
out_close:
	if (r)
		m->index = -1;
	close(fd);
	return r;
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

int tty_open(struct file_desc *d, int *out)
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

/* Is @t (a pty of the dump, or the outside terminal) the terminal of session @sid? */
static bool session_terminal(const struct rst_tty *t, uint32_t sid)
{
	const TtyInfoEntry *e = t->tie;

	if (e->type != TTY_TYPE__PTY && !t->outside)
		return false;
	if (e->type == TTY_TYPE__PTY && !t->outside && !(e->id & 1) && rst_tty(e->id | 1))
		return false; /* the master's entry speaks for the pair */
	return e->sid && e->sid == sid;
}

int tty_restore_session(void)
{
	pid_t pid = getpid();
	const struct rst_task *me = rst_task(pid);

	if (!me || me->sid != me->pid || getsid(0) != pid)
		return 0;
	for (size_t i = 0; i < rst.nr; i++) {
		const struct rst_tty *t = &rst.ttys[i];
		int fd, r = 0;

		if (t->outside || !session_terminal(t, me->sid))
			continue;
		fd = open_for_task(t);
		if (fd == -ENOENT)
			return 0; /* the pty is made later, in this task: post_open does it */
		if (fd < 0)
			return pr_err_ret(fd, "process %d: can't open its terminal", (int)pid);
		if (ioctl(fd, TIOCSCTTY, 0) < 0)
			r = pr_err_ret(-errno, "process %d: can't make pty %d its controlling terminal", (int)pid,
				       t->index);
		else
			pr_info("process %d: pty %d is its session's terminal again\n", (int)pid, t->index);
		close(fd);
		return r;
	}
	return 0;
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

		if (!session_terminal(t, me->sid))
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
	if (tty < 0 && errno == ENXIO && rst.term_path[0]) {
		/* A shell job's session leader comes back without one: criu's terminal is the nearest. */
		pr_warn("process %d has no controlling terminal: its /dev/tty (fd %d) is criu's terminal\n", (int)self,
			fd);
		tty = open(rst.term_path, open_flags(tfe));
	}
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
	if (!r && (tfe->flags & O_ASYNC) && fcntl(fd, F_SETFL, tfe->flags & SETFL_MASK) < 0)
		r = pr_err_ret(-errno, "fd %d: can't set O_ASYNC on /dev/tty", fd);
	close(tty);
	return r;
}

int tty_post_open(struct file_desc *d, int fd)
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

void tty_restore_fini(void)
{
	for (size_t i = 0; i < rst.nr; i++) {
		if (rst.ttys[i].master_fd >= 0)
			close(rst.ttys[i].master_fd);
		img_msg_free(rst.ttys[i].tie);
		img_msg_free(rst.ttys[i].data);
	}
	free(rst.ttys);
	free(rst.tasks);
	if (rst.term_fd >= 0)
		close(rst.term_fd);
	memset(&rst, 0, sizeof(rst));
	rst.term_fd = -1;
}
