/*
 * File locks (--file-locks): flock, POSIX (fcntl F_SETLK) and OFD
 * (F_OFD_SETLK) locks held by the dumped tasks, in filelocks.img as CRIU
 * writes it: one file_lock_entry per lock with its kind (FL_POSIX 1,
 * FL_FLOCK 2, FL_OFD 4), type (F_RDLCK 0 / F_WRLCK 1), the task and fd it
 * is taken through again, start and length (0: to the end of the file).
 *
 * Dump: dump_task_file_locks() reads the "lock:" lines the kernel shows in
 * /proc/PID/fdinfo/FD for each fd of the task (the locks taken through
 * that open file description: POSIX ones of this process, flock and OFD
 * ones of the description).  A lock seen again through another fd of the
 * same description, or through a task sharing it, is written once.
 * Without --file-locks a lock fails the dump, naming the option (as CRIU
 * does).  Leases and delegations are refused by name.
 *
 * Restore: file_locks_restore_task(), from events_restore_task() once the
 * task's fds are in place, takes the task's locks again in the task: a
 * POSIX lock belongs to the process, so only the task itself can take it;
 * flock and OFD locks belong to the description, which the task holds
 * (and shares with whoever shares it).  Locks are taken without waiting:
 * if another process holds a conflicting lock by then, restore fails and
 * says so instead of hanging.
 *
 * Closing any fd of a file drops the process's POSIX locks on it.  So
 * before taking them, the task closes criu's own copies (at or above the
 * service-fd base) of the files it locks, which the restorer would close
 * later; and a POSIX lock on a file the task also maps is refused at dump,
 * since the restorer closes the fd it maps the file with.
 */
#define LOG_PREFIX "locks: "

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cr_options.h"
#include "events.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "proc-parse.h"
#include "images/file-lock.pb-c.h"

#define FL_POSIX 1
#define FL_FLOCK 2
#define FL_OFD	 4

#ifndef F_OFD_SETLK
#define F_OFD_SETLK 37
#endif

/* A lock as dumped, with what tells it apart from another. */
struct dumped_lock {
	FileLockEntry e;
	unsigned int maj, min;
	unsigned long long ino;
};

static struct {
	struct dumped_lock *v;
	size_t nr, max;
} dmp;

static struct {
	FileLockEntry **v;
	size_t nr;
} rst;

static const char *kind_name(uint32_t flag)
{
	return flag == FL_POSIX ? "POSIX" : flag == FL_FLOCK ? "flock" : "OFD";
}

static bool same_description(pid_t p1, int fd1, pid_t p2, int fd2)
{
	return syscall(SYS_kcmp, p1, p2, KCMP_FILE, fd1, fd2) == 0;
}

static bool seen(const struct dumped_lock *l)
{
	for (size_t i = 0; i < dmp.nr; i++) {
		const struct dumped_lock *o = &dmp.v[i];

		if (o->e.flag != l->e.flag || o->e.type != l->e.type || o->e.start != l->e.start ||
		    o->e.len != l->e.len || o->maj != l->maj || o->min != l->min || o->ino != l->ino)
			continue;
		if (l->e.flag == FL_POSIX ? o->e.pid == l->e.pid
					  : same_description(o->e.pid, o->e.fd, l->e.pid, l->e.fd))
			return true;
	}
	return false;
}

/* Does @pid map the file of device @maj:@min, inode @ino? */
static bool maps_file(pid_t pid, unsigned int maj, unsigned int min, unsigned long long ino)
{
	_cleanup_free_ char *text = NULL;

	if (proc_read_file(pid, "maps", &text, NULL))
		return false;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned int ma, mi;
		unsigned long long i;

		if (sscanf(l, "%*x-%*x %*s %*x %x:%x %llu", &ma, &mi, &i) == 3 && ma == maj && mi == min && i == ino)
			return true;
	}
	return false;
}

/* One "lock:" line (after the tag) of fd @fd of @pid. */
static int note_lock(pid_t pid, int fd, const char *l)
{
	struct dumped_lock dl = { .e = FILE_LOCK_ENTRY__INIT };
	char kind[16], mand[16], type[16], end[32];
	long long start;
	int lpid;

	if (sscanf(l, "%*d: %15s %15s %15s %d %x:%x:%llu %lld %31s", kind, mand, type, &lpid, &dl.maj, &dl.min, &dl.ino,
		   &start, end) != 9) {
		pr_err("fd %d of task %d: can't read lock line \"%.80s\"\n", fd, pid, l);
		return -EINVAL;
	}
	if (!strcmp(kind, "POSIX"))
		dl.e.flag = FL_POSIX;
	else if (!strcmp(kind, "FLOCK"))
		dl.e.flag = FL_FLOCK;
	else if (!strcmp(kind, "OFDLCK"))
		dl.e.flag = FL_OFD;
	else {
		pr_err("fd %d of task %d holds a %s (%s): not supported\n", fd, pid,
		       !strcmp(kind, "LEASE")	? "file lease"
		       : !strcmp(kind, "DELEG") ? "delegation"
						: "lock",
		       kind);
		return -EOPNOTSUPP;
	}
	if (!opts.handle_file_locks) {
		pr_err("process %d holds a %s lock through fd %d (inode %llu); consider using --file-locks\n", pid,
		       kind_name(dl.e.flag), fd, dl.ino);
		return -EOPNOTSUPP;
	}
	if (strcmp(mand, "ADVISORY")) {
		pr_err("fd %d of task %d: %s lock: not supported\n", fd, pid, mand);
		return -EOPNOTSUPP;
	}
	if (!strcmp(type, "READ"))
		dl.e.type = F_RDLCK;
	else if (!strcmp(type, "WRITE"))
		dl.e.type = F_WRLCK;
	else {
		pr_err("fd %d of task %d: %s lock of type %s: not supported\n", fd, pid, kind, type);
		return -EOPNOTSUPP;
	}
	if (dl.e.flag == FL_POSIX && maps_file(pid, dl.maj, dl.min, dl.ino)) {
		pr_err("process %d holds a POSIX lock on the file at fd %d, which it also maps: not supported "
		       "(the lock would be lost on restore)\n",
		       pid, fd);
		return -EOPNOTSUPP;
	}
	dl.e.pid = pid;
	dl.e.fd = fd;
	dl.e.start = start;
	if (!strcmp(end, "EOF"))
		dl.e.len = 0;
	else
		dl.e.len = strtoll(end, NULL, 10) - start + 1;
	if (seen(&dl))
		return 0;
	if (files_grow((void **)&dmp.v, &dmp.max, dmp.nr + 1, sizeof(*dmp.v)))
		return -ENOMEM;
	dmp.v[dmp.nr++] = dl;
	pr_info("task %d fd %d: %s %s lock on inode %llu, %lld+%" PRId64 "\n", pid, fd, kind_name(dl.e.flag), type,
		dl.ino, start, dl.e.len);
	return 0;
}

int dump_task_file_locks(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return pr_err_ret(-errno, "can't list the fds of %d (%s)", pid, path);
	while (!r && (de = readdir(d))) {
		_cleanup_free_ char *text = NULL;
		char name[32];
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		snprintf(name, sizeof(name), "fdinfo/%d", fd);
		r = proc_read_file(pid, name, &text, NULL);
		for (const char *l = text; !r && l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
			if (!strncmp(l, "lock:", 5))
				r = note_lock(pid, fd, l + 5);
	}
	closedir(d);
	return r;
}

int file_locks_dump_finish(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	int r;

	if (!dmp.nr)
		return 0;
	r = img_open(dir, CR_IMG_FILE_LOCKS, IMG_WRITE, 0, &img);
	if (r)
		return r;
	for (size_t i = 0; !r && i < dmp.nr; i++)
		r = img_write_entry(img, &dmp.v[i].e);
	if (r) {
		img_closep(&img);
		return r;
	}
	pr_info("Wrote %zu file locks\n", dmp.nr);
	return img_close(img);
}

void file_locks_dump_fini(void)
{
	free(dmp.v);
	memset(&dmp, 0, sizeof(dmp));
}

/* ================================================================ restore */

int file_locks_collect(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	size_t max = 0;
	int r;

	r = img_open(dir, CR_IMG_FILE_LOCKS, IMG_READ | IMG_OPTIONAL, 0, &img);
	if (r < 0)
		return r;
	for (;;) {
		FileLockEntry *e;

		r = img_read_entry(img, NULL, (void **)&e);
		if (r <= 0)
			break;
		r = files_grow((void **)&rst.v, &max, rst.nr + 1, sizeof(*rst.v));
		if (r) {
			img_msg_free(e);
			break;
		}
		rst.v[rst.nr++] = e;
		if (e->flag != FL_POSIX && e->flag != FL_FLOCK && e->flag != FL_OFD) {
			pr_err("filelocks.img: lock of unknown kind %#x\n", e->flag);
			r = -EINVAL;
			break;
		}
	}
	img_closep(&img);
	if (r < 0)
		return r;
	if (rst.nr && !opts.handle_file_locks)
		pr_warn("the images hold %zu file locks, not taken again without --file-locks\n", rst.nr);
	return 0;
}

void file_locks_restore_fini(void)
{
	for (size_t i = 0; i < rst.nr; i++)
		img_msg_free(rst.v[i]);
	free(rst.v);
	memset(&rst, 0, sizeof(rst));
}

static int take_lock(const FileLockEntry *e)
{
	struct flock fl = { .l_whence = SEEK_SET, .l_start = e->start, .l_len = e->len };
	int r;

	if (e->type != F_RDLCK && e->type != F_WRLCK) {
		pr_err("filelocks.img: %s lock of type %u\n", kind_name(e->flag), e->type);
		return -EINVAL;
	}
	fl.l_type = e->type;
	if (e->flag == FL_FLOCK)
		r = flock(e->fd, (e->type == F_RDLCK ? LOCK_SH : LOCK_EX) | LOCK_NB);
	else
		r = fcntl(e->fd, e->flag == FL_POSIX ? F_SETLK : F_OFD_SETLK, &fl);
	if (r) {
		r = -errno;
		if (r == -EAGAIN || r == -EWOULDBLOCK || r == -EACCES)
			pr_err("task %d fd %d: can't take its %s %s lock again: another process holds a "
			       "conflicting lock\n",
			       e->pid, e->fd, kind_name(e->flag), e->type == F_RDLCK ? "read" : "write");
		else
			pr_err("task %d fd %d: can't take its %s lock again: %s\n", e->pid, e->fd, kind_name(e->flag),
			       strerror(-r));
		return r;
	}
	pr_info("task %d fd %d: %s %s lock taken, %" PRId64 "+%" PRId64 "\n", e->pid, e->fd, kind_name(e->flag),
		e->type == F_RDLCK ? "read" : "write", e->start, e->len);
	return 0;
}

/*
 * Close the fds at or above the service-fd base on the file of @fd (criu's
 * copies of the task's descriptions): closed after the lock is taken, they
 * would drop it.
 */
static int close_copies(int fd)
{
	int base = files_service_fd_base();
	struct stat st, o;
	struct dirent *de;
	DIR *d;

	if (fstat(fd, &st))
		return pr_err_ret(-errno, "can't stat fd %d", fd);
	d = opendir("/proc/self/fd");
	if (!d)
		return pr_err_ret(-errno, "can't list /proc/self/fd");
	while ((de = readdir(d))) {
		int i = atoi(de->d_name);

		if (de->d_name[0] == '.' || i < base || i == dirfd(d) || fstat(i, &o))
			continue;
		if (o.st_dev == st.st_dev && o.st_ino == st.st_ino) {
			pr_debug("closing criu's fd %d on the file of fd %d before locking it\n", i, fd);
			close(i);
		}
	}
	closedir(d);
	return 0;
}

int file_locks_restore_task(pid_t pid)
{
	if (!opts.handle_file_locks)
		return 0;
	for (size_t i = 0; i < rst.nr; i++) {
		int r;

		if (rst.v[i]->pid != pid || rst.v[i]->flag != FL_POSIX)
			continue;
		r = close_copies(rst.v[i]->fd);
		if (r)
			return r;
	}
	for (size_t i = 0; i < rst.nr; i++) {
		int r;

		if (rst.v[i]->pid != pid)
			continue;
		r = take_lock(rst.v[i]);
		if (r)
			return r;
	}
	return 0;
}
