/*
 * Open files of a task: the fd-kind registry and the dump of the fd table
 * (files.img entries, fdinfo-<files_id>.img); files-restore.c brings it
 * back.
 *
 * Dump reads /proc/PID/fd, /proc/PID/fdinfo/N and stats each target through
 * the magic link; the task's own descriptions come too (its parasite's
 * compel_get_fds(), else pidfd_getfd()): the SIGIO owner is read there.
 * Every open file description gets one id; descriptors that share one
 * (dup, fork) share the id: kcmp(KCMP_FILE) says so, or, if kcmp is not
 * allowed, equal (device, inode, position, flags).
 */
#define LOG_PREFIX "files: "

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "compel.h"
#include "events.h"
#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "memfd.h"

#ifndef F_GETOWNER_UIDS
#define F_GETOWNER_UIDS 17
#endif

/*
 * The registry: dump asks these in order, the first match wins (devices
 * before the generic path-opened kind).  Restore looks kinds up by type.
 */
static const struct fd_kind *const fd_kinds[] = {
	&tty_kind,     &char_dev_kind, &memfd_kind,    &fifo_kind,     &pipe_kind,
	&unix_sk_kind, &inet_sk_kind,  &eventfd_kind,  &signalfd_kind, &timerfd_kind,
	&epoll_kind,   &inotify_kind,  &fanotify_kind, &pidfd_kind,    &reg_file_kind,
};

/* The @i-th kind of the registry, NULL for a weak kind not built in. */
const struct fd_kind *fd_kind_at(size_t i)
{
	return i < ARRAY_SIZE(fd_kinds) ? fd_kinds[i] : NULL;
}

size_t fd_kinds_nr(void)
{
	return ARRAY_SIZE(fd_kinds);
}

/* ================================================================ dump */

/* A description (or mapped file) that already has an id. */
struct seen_file {
	uint32_t id;
	pid_t pid; /* 0: a file of dump_file_fd() */
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t pos;
	uint32_t flags;
};

/* A files.img entry, packed until files_dump_finish(). */
struct packed_entry {
	uint8_t *buf;
	size_t len;
};

static struct {
	struct seen_file *seen;
	size_t nr_seen, max_seen;
	struct packed_entry *ents;
	size_t nr_ents, max_ents;
	uint32_t next_id;
	bool kcmp_warned;
	uint32_t *tables; /* files_ids whose fdinfo image is written */
	size_t nr_tables, max_tables;
} dump;

int files_grow(void **v, size_t *max, size_t need, size_t size)
{
	size_t n = *max ? *max : 16;
	void *p;

	if (need <= *max)
		return 0;
	while (n < need)
		n *= 2;
	p = xrealloc(*v, n * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*max = n;
	return 0;
}

uint32_t files_new_id(void)
{
	if (!dump.next_id)
		dump.next_id = 1;
	return dump.next_id++;
}

int files_add_entry(const FileEntry *fe)
{
	size_t len = file_entry__get_packed_size(fe);
	struct packed_entry *e;

	if (files_grow((void **)&dump.ents, &dump.max_ents, dump.nr_ents + 1, sizeof(*e)))
		return -ENOMEM;
	e = &dump.ents[dump.nr_ents];
	e->buf = xmalloc(len ? len : 1);
	if (!e->buf)
		return -ENOMEM;
	e->len = file_entry__pack(fe, e->buf);
	dump.nr_ents++;
	return 0;
}

int fd_parms_reopen(const struct fd_parms *p, int flags)
{
	char path[64];
	int fd;

	if (p->lfd >= 0)
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p->lfd);
	else if (p->fd >= 0)
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, p->fd);
	else
		snprintf(path, sizeof(path), "%s", p->proc_path);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		pr_perror("%s: can't reopen %s through %s", p->what, p->link, path);
		return r;
	}
	return fd;
}

const char *fd_parms_what(const struct fd_parms *p)
{
	return p->what;
}

static long kcmp_file(pid_t p1, int fd1, pid_t p2, int fd2)
{
	long r = syscall(SYS_kcmp, p1, p2, KCMP_FILE, fd1, fd2);

	return r < 0 ? -errno : r;
}

/*
 * The id of @p's description if it was seen already, else 0.  Only files
 * of the same origin are compared: task fds with task fds (by kcmp), files
 * of dump_file_fd() with each other (by inode and flags).
 */
static uint32_t find_seen(const struct fd_parms *p)
{
	for (size_t i = 0; i < dump.nr_seen; i++) {
		const struct seen_file *s = &dump.seen[i];
		long r;

		if (s->dev != p->st.st_dev || s->ino != p->st.st_ino)
			continue;
		if (p->fd < 0) {
			if (s->fd < 0 && s->flags == p->flags)
				return s->id;
			continue;
		}
		if (s->fd < 0)
			continue;
		r = kcmp_file(p->pid, p->fd, s->pid, s->fd);
		if (r == 0)
			return s->id;
		if (r > 0)
			continue;
		if (!dump.kcmp_warned) {
			pr_warn("kcmp: %s: telling shared descriptions by inode, position and flags\n",
				strerror((int)-r));
			dump.kcmp_warned = true;
		}
		if (s->pos == p->pos && s->flags == p->flags)
			return s->id;
	}
	return 0;
}

static int remember(const struct fd_parms *p, uint32_t id)
{
	struct seen_file *s;

	if (files_grow((void **)&dump.seen, &dump.max_seen, dump.nr_seen + 1, sizeof(*s)))
		return -ENOMEM;
	s = &dump.seen[dump.nr_seen++];
	*s = (struct seen_file){ .id = id,
				 .pid = p->pid,
				 .fd = p->fd,
				 .dev = p->st.st_dev,
				 .ino = p->st.st_ino,
				 .pos = p->pos,
				 .flags = p->flags };
	return 0;
}

/* ------------------------------------------------ naming what we refuse */

/* Look inode @ino up in /proc/PID/net/@file (one socket per line). */
static bool net_file_has(pid_t pid, const char *file, unsigned long ino)
{
	char path[64], line[512], tok[32];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return false;
	snprintf(tok, sizeof(tok), " %lu ", ino);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (n && line[n - 1] == '\n')
			line[n - 1] = ' ';
		if (strstr(line, tok))
			return true;
	}
	return false;
}

static const char *socket_kind(const struct fd_parms *p)
{
	static const struct {
		const char *file, *name;
	} nets[] = {
		{ "unix", "unix socket" },   { "tcp", "TCP socket" },	      { "tcp6", "TCP socket" },
		{ "udp", "UDP socket" },     { "udp6", "UDP socket" },	      { "raw", "raw IP socket" },
		{ "raw6", "raw IP socket" }, { "netlink", "netlink socket" }, { "packet", "packet socket" },
	};
	int dom;
	socklen_t len = sizeof(dom);

	if (p->lfd >= 0 && !getsockopt(p->lfd, SOL_SOCKET, SO_DOMAIN, &dom, &len)) {
		switch (dom) {
		case AF_UNIX:
			return "unix socket";
		case AF_INET:
		case AF_INET6:
			return "inet socket";
		case AF_NETLINK:
			return "netlink socket";
		case AF_PACKET:
			return "packet socket";
		}
		return "socket";
	}
	for (size_t i = 0; i < ARRAY_SIZE(nets); i++)
		if (net_file_has(p->pid, nets[i].file, p->st.st_ino))
			return nets[i].name;
	return "socket";
}

/* A name for a descriptor no kind handles, into @buf. */
static const char *describe_unsupported(const struct fd_parms *p, char *buf, size_t size)
{
	const char *l = p->link;
	mode_t m = p->st.st_mode;

	if (S_ISFIFO(m))
		return !strncmp(l, "pipe:", 5) ? "pipe" : "FIFO";
	if (S_ISSOCK(m))
		return socket_kind(p);
	if (S_ISBLK(m))
		return "block device";
	if (S_ISCHR(m)) {
		unsigned int ma = major(p->st.st_rdev), mi = minor(p->st.st_rdev);

		if (ma == 4 || ma == 5 || (ma >= 136 && ma <= 143))
			return "terminal";
		snprintf(buf, size, "character device %u:%u", ma, mi);
		return buf;
	}
	if (!strncmp(l, "anon_inode:", 11)) {
		const char *n = l + 11;
		size_t len = strlen(n);

		if (*n == '[' && len > 2)
			snprintf(buf, size, "%.*s", (int)(len - 2), n + 1);
		else
			snprintf(buf, size, "%s", n);
		return buf;
	}
	if (!strncmp(l, "/memfd:", 7))
		return "memfd";
	if (l[0] != '/' && strchr(l, ':'))
		return "namespace file";
	if (l[0] != '/')
		return "file outside criu's root";
	return "file of an unknown kind";
}

static int refuse(const struct fd_parms *p)
{
	char buf[64];
	const char *what = describe_unsupported(p, buf, sizeof(buf));

	pr_err("%s: %s (%s): not supported yet\n", p->what, what, p->link);
	return -EOPNOTSUPP;
}

static const struct fd_kind *kind_of(const struct fd_parms *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(fd_kinds); i++)
		if (fd_kinds[i] && fd_kinds[i]->match && fd_kinds[i]->match(p))
			return fd_kinds[i];
	return NULL;
}

/* Give @p an id (a known one, or a new one with its entry written). */
static int dump_one_file(const struct fd_parms *p, const struct fd_kind **kind, uint32_t *id)
{
	int r;

	*kind = kind_of(p);
	if (!*kind)
		return refuse(p);
	*id = find_seen(p);
	if (*id)
		return 0;
	*id = files_new_id();
	pr_debug("%s: %s %s as file %u\n", p->what, (*kind)->name, p->link, *id);
	r = (*kind)->dump(p, *id);
	if (r)
		return r;
	return remember(p, *id);
}

/* ------------------------------------------------ the task's fd table */

static int read_link(const char *path, char *buf, size_t size)
{
	ssize_t n = readlink(path, buf, size - 1);

	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/* pos, flags and mnt_id from /proc/PID/fdinfo/FD. */
static int read_fdinfo(pid_t pid, int fd, uint64_t *pos, unsigned int *flags, int *mnt_id)
{
	char path[64], line[256];
	_cleanup_fclose_ FILE *f = NULL;
	int have = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*mnt_id = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		unsigned int o;
		int m;

		if (sscanf(line, "pos: %llu", &v) == 1) {
			*pos = v;
			have |= 1;
		} else if (sscanf(line, "flags: %o", &o) == 1) {
			*flags = o;
			have |= 2;
		} else if (sscanf(line, "mnt_id: %d", &m) == 1) {
			*mnt_id = m;
		}
	}
	return have == 3 ? 0 : -EINVAL;
}

/* SIGIO owner of the description @lfd (an fd of ours on it). */
static void read_fown(int lfd, FownEntry *fown)
{
	struct f_owner_ex owner;
	unsigned int uids[2];
	int sig;

	sig = fcntl(lfd, F_GETSIG);
	if (sig > 0)
		fown->signum = sig;
	if (fcntl(lfd, F_GETOWN_EX, &owner) || !owner.pid)
		return;
	fown->pid_type = owner.type;
	fown->pid = owner.pid;
	if (!fcntl(lfd, F_GETOWNER_UIDS, uids)) {
		fown->uid = uids[0];
		fown->euid = uids[1];
	}
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The fd numbers of @pid, sorted; *@fds is allocated. */
static int list_fds(pid_t pid, int **fds, unsigned int *nr)
{
	char path[64];
	struct dirent *de;
	size_t max = 0;
	unsigned int n = 0;
	DIR *d;
	int r = 0;

	*fds = NULL;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return pr_err_ret(-errno, "can't list the fds of %d (%s)", pid, path);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		r = files_grow((void **)fds, &max, n + 1, sizeof(int));
		if (r)
			break;
		(*fds)[n++] = atoi(de->d_name);
	}
	closedir(d);
	if (r) {
		free(*fds);
		*fds = NULL;
		return r;
	}
	if (n)
		qsort(*fds, n, sizeof(int), cmp_int);
	*nr = n;
	return 0;
}

/* Paths are read through criu's mount namespace: the task must share it. */
static int check_mntns(pid_t pid)
{
	char a[64], b[64], path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	r = read_link(path, a, sizeof(a));
	if (!r)
		r = read_link("/proc/self/ns/mnt", b, sizeof(b));
	if (r)
		return pr_err_ret(r, "can't read the mount namespace of %d", pid);
	if (strcmp(a, b)) {
		pr_err("task %d is in another mount namespace (%s, criu's is %s): not supported yet\n", pid, a, b);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int dump_one_fd(pid_t pid, int fd, int lfd, struct cr_img *img)
{
	FownEntry fown = FOWN_ENTRY__INIT;
	FdinfoEntry fdi = FDINFO_ENTRY__INIT;
	struct fd_parms p = { .pid = pid, .fd = fd, .lfd = lfd, .fown = &fown };
	const struct fd_kind *kind;
	char path[64], link[PATH_MAX];
	unsigned int flags = 0;
	uint32_t id;
	int r;

	snprintf(p.what, sizeof(p.what), "fd %d of task %d", fd, pid);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	r = read_link(path, link, sizeof(link));
	if (r)
		return pr_err_ret(r, "%s: can't read %s", p.what, path);
	p.link = link;
	if (stat(path, &p.st))
		return pr_err_ret(-errno, "%s: can't stat %s (%s)", p.what, path, link);
	r = read_fdinfo(pid, fd, &p.pos, &flags, &p.mnt_id);
	if (r)
		return pr_err_ret(r, "%s: can't read /proc/%d/fdinfo/%d", p.what, pid, fd);
	p.flags = flags & ~O_CLOEXEC;
	if (lfd >= 0)
		read_fown(lfd, &fown);

	r = dump_one_file(&p, &kind, &id);
	if (r)
		return r;
	fdi.id = id;
	fdi.flags = (flags & O_CLOEXEC) ? FD_CLOEXEC : 0;
	fdi.type = kind->type;
	fdi.fd = fd;
	return img_write_entry(img, &fdi);
}

/*
 * Without a parasite, pidfd_getfd() hands over the task's descriptions as
 * well (criu may ptrace the task).  Best effort: an fd that does not come
 * stays -1 and is read through /proc alone (its SIGIO owner reads as none).
 */
static void grab_fds(pid_t pid, const int *fds, unsigned int nr, int *lfds)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);

	if (pidfd < 0) {
		pr_warn("pidfd_open(%d): %s: SIGIO owners are not read\n", pid, strerror(errno));
		return;
	}
	for (unsigned int i = 0; i < nr; i++) {
		lfds[i] = syscall(SYS_pidfd_getfd, pidfd, fds[i], 0);
		if (lfds[i] < 0) {
			pr_warn("pidfd_getfd(%d, %d): %s: its SIGIO owner is not read\n", pid, fds[i], strerror(errno));
			lfds[i] = -1;
		}
	}
	close(pidfd);
}

int dump_task_files(struct parasite_ctl *ctl, pid_t pid, uint32_t files_id, struct img_dir *dir)
{
	_cleanup_free_ int *fds = NULL;
	_cleanup_free_ int *lfds = NULL;
	struct cr_img *img = NULL;
	unsigned int nr = 0, i;
	int r;

	r = check_mntns(pid);
	if (r)
		return r;
	/* A task sharing the fd table of one dumped before (CLONE_FILES): its fs only. */
	for (i = 0; i < dump.nr_tables; i++)
		if (dump.tables[i] == files_id) {
			pr_info("Task %d shares fd table %u: fdinfo-%u.img is written already\n", pid, files_id,
				files_id);
			return dump_task_fs(pid, dir);
		}
	r = files_grow((void **)&dump.tables, &dump.max_tables, dump.nr_tables + 1, sizeof(*dump.tables));
	if (r)
		return r;
	dump.tables[dump.nr_tables++] = files_id;
	r = list_fds(pid, &fds, &nr);
	if (r)
		return r;
	if (ctl && compel_args(ctl)) {
		unsigned long addr;
		size_t size;
		int psock, k = 0;

		/* The parasite's socket is infection, not the task's: leave it out. */
		r = compel_parasite_traces(ctl, &psock, &addr, &size);
		if (r)
			return pr_err_ret(r, "can't tell the parasite's fd in %d", pid);
		for (i = 0; i < nr; i++)
			if (fds[i] != psock)
				fds[k++] = fds[i];
		nr = k;
	}
	lfds = xmalloc((nr ? nr : 1) * sizeof(int));
	if (!lfds)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		lfds[i] = -1;
	if (nr && ctl && compel_args(ctl)) {
		r = compel_get_fds(ctl, fds, nr, lfds);
		if (r) {
			pr_err("can't get the fds of %d from its parasite: %s\n", pid, strerror(-r));
			return r;
		}
	} else if (nr) {
		grab_fds(pid, fds, nr, lfds);
	}

	pr_info("Dumping %u fds of %d (fdinfo-%u.img)\n", nr, pid, files_id);
	r = img_open(dir, CR_IMG_FDINFO, IMG_WRITE, files_id, &img);
	for (i = 0; !r && i < nr; i++)
		r = dump_one_fd(pid, fds[i], lfds[i], img);
	if (img) {
		int c = img_close(img);

		if (!r)
			r = c;
	}
	for (i = 0; i < nr; i++)
		if (lfds[i] >= 0)
			close(lfds[i]);
	if (r)
		return r;
	return dump_task_file_locks(pid) ?: dump_task_fs(pid, dir);
}

int dump_file_fd(int fd, int open_flags, uint32_t *id)
{
	FownEntry fown = FOWN_ENTRY__INIT;
	struct fd_parms p = { .fd = -1, .lfd = fd, .fown = &fown, .flags = open_flags, .special = true };
	const struct fd_kind *kind;
	char path[64], link[PATH_MAX];
	int r;

	snprintf(p.what, sizeof(p.what), "mapped file (criu fd %d)", fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = read_link(path, link, sizeof(link));
	if (r)
		return pr_err_ret(r, "%s: can't read %s", p.what, path);
	p.link = link;
	if (fstat(fd, &p.st))
		return pr_err_ret(-errno, "%s: can't stat %s", p.what, link);
	p.mnt_id = -1;
	return dump_one_file(&p, &kind, id);
}

int files_dump_finish(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	int r;

	r = reg_dump_finish(dir);
	if (!r)
		r = memfd_dump_finish(dir);
	for (size_t i = 0; !r && i < ARRAY_SIZE(fd_kinds); i++)
		if (fd_kinds[i] && fd_kinds[i]->dump_finish)
			r = fd_kinds[i]->dump_finish(dir);
	if (r)
		return r;
	r = img_open(dir, CR_IMG_FILES, IMG_WRITE, 0, &img);
	if (r)
		return r;
	for (size_t i = 0; !r && i < dump.nr_ents; i++) {
		FileEntry *fe = file_entry__unpack(NULL, dump.ents[i].len, dump.ents[i].buf);

		if (!fe) {
			pr_err("can't unpack queued file entry %zu\n", i);
			r = -ENOMEM;
			break;
		}
		r = img_write_entry(img, fe);
		file_entry__free_unpacked(fe, NULL);
	}
	if (r) {
		img_closep(&img);
		return r;
	}
	pr_info("Wrote %zu file entries to files.img\n", dump.nr_ents);
	return img_close(img);
}

void files_dump_fini(void)
{
	for (size_t i = 0; i < dump.nr_ents; i++)
		free(dump.ents[i].buf);
	free(dump.ents);
	free(dump.seen);
	free(dump.tables);
	memset(&dump, 0, sizeof(dump));
	reg_dump_fini();
	memfd_dump_fini();
	for (size_t i = 0; i < ARRAY_SIZE(fd_kinds); i++)
		if (fd_kinds[i] && fd_kinds[i]->dump_fini)
			fd_kinds[i]->dump_fini();
}

const struct fd_kind *fd_kind_by_type(FdTypes type)
{
	for (size_t i = 0; i < ARRAY_SIZE(fd_kinds); i++)
		if (fd_kinds[i] && fd_kinds[i]->type == type && fd_kinds[i]->open)
			return fd_kinds[i];
	return NULL;
}
