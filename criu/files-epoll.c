/*
 * epoll ("anon_inode:[eventpoll]"): the EVENTPOLL kind of files.img.
 *
 * Dump reads the registered targets from fdinfo ("tfd: N events: E data:
 * D pos: P ino: I sdev: S", one line each) and writes a file_entry with its
 * epfd part, the targets inline, as CRIU does.  The kernel keys a target by
 * (file, fd number) and keeps it while the file lives, also after the task
 * closed that fd number; kcmp(KCMP_EPOLL_TFD) tells whether fd N of the
 * task still is the target's file.  When it is not (the fd was closed or
 * reused, the file still open at another fd), the target is written at
 * the fd that holds the file now, as CRIU does, with a warning; a target
 * whose file the task no longer holds at any fd is refused by name.
 *
 * Restore: open() makes an empty epoll (in whichever process runs it).
 * Registration needs the task: epoll_ctl() takes fd numbers of the calling
 * task.  post_open() only notes the epoll; events_restore_task() registers
 * every noted epoll's targets once every kind's post_open() has run, since
 * some kinds replace their file there (a pidfd is reopened in the task),
 * and epoll must see the final one.  An epoll several processes share is
 * registered by the one it was dumped from (owner_pid, a field of ours:
 * the target numbers are its fds; another holder may have other files at
 * those numbers).  Without it (CRIU's images) each holder registers the
 * targets it has fds for, and one already registered is left as it is.
 */
#define LOG_PREFIX "epoll: "

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "events.h"
#include "log.h"

static bool epoll_match(const struct fd_parms *p)
{
	return ev_anon_is(p, "[eventpoll]");
}

/* 0 if fd @fd of @pid is target (@tfd, @toff) of epoll fd @efd, > 0 if not, -errno. */
static long kcmp_tfd(pid_t pid, int fd, int efd, uint32_t tfd, uint32_t toff)
{
	struct kcmp_epoll_slot slot = { .efd = efd, .tfd = tfd, .toff = toff };
	long r = syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, fd, &slot);

	return r < 0 ? -errno : r;
}

/* The fd of @pid that holds target (@tfd, @toff) of @efd, or -errno. */
static int find_target(pid_t pid, int efd, uint32_t tfd, uint32_t toff)
{
	char path[64];
	struct dirent *de;
	int found = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd != efd && !kcmp_tfd(pid, fd, efd, tfd, toff)) {
			found = fd;
			break;
		}
	}
	closedir(d);
	return found;
}

/* One "tfd:" line of fdinfo into @e. */
static int parse_tfd(const char *l, EventpollTfdEntry *e)
{
	unsigned long long data, ino;
	long long pos;
	unsigned int tfd, events, sdev;

	if (sscanf(l, "tfd: %u events: %x data: %llx pos:%lld ino:%llx sdev:%x", &tfd, &events, &data, &pos, &ino,
		   &sdev) != 6)
		return -EINVAL;
	e->tfd = tfd;
	e->events = events;
	e->data = data;
	e->has_dev = e->has_inode = e->has_pos = true;
	e->dev = sdev;
	e->inode = ino;
	e->pos = pos;
	return 0;
}

/*
 * Check that every target is at its fd number; move the ones that are not
 * to the fd that holds their file now; drop what becomes a duplicate.
 */
static int resolve_targets(const struct fd_parms *p, EventpollTfdEntry *t, size_t *nr)
{
	bool *moved = xzalloc((*nr ?: 1) * sizeof(bool));
	static bool warned;
	size_t n = 0;

	if (!moved)
		return -ENOMEM;
	for (size_t i = 0; i < *nr; i++) {
		uint32_t toff = 0;
		long r;
		int fd;

		/* Targets of one fd number come in the order kcmp counts them. */
		for (size_t j = 0; j < i; j++)
			toff += t[j].tfd == t[i].tfd;
		r = kcmp_tfd(p->pid, t[i].tfd, p->fd, t[i].tfd, toff);
		if (r == 0)
			continue;
		if (r == -ENOSYS || r == -EPERM || r == -EOPNOTSUPP) {
			if (!warned)
				pr_warn("kcmp(KCMP_EPOLL_TFD): %s: epoll targets are taken at their fd numbers "
					"unchecked\n",
					strerror((int)-r));
			warned = true;
			continue;
		}
		fd = find_target(p->pid, p->fd, t[i].tfd, toff);
		if (fd < 0) {
			pr_err("%s: epoll watches fd %u, which the task closed, and its file is at no other fd "
			       "of the task: not supported\n",
			       p->what, t[i].tfd);
			free(moved);
			return -EOPNOTSUPP;
		}
		pr_warn("%s: epoll target fd %u was closed; its file is at fd %d now: registered there on restore\n",
			p->what, t[i].tfd, fd);
		t[i].tfd = fd;
		moved[i] = true;
	}
	/* Two targets on one (file, fd) can't be: keep the one never moved. */
	for (size_t i = 0; i < *nr; i++) {
		bool dup = false;

		for (size_t j = 0; j < *nr && !dup; j++)
			dup = j != i && t[j].tfd == t[i].tfd && (moved[i] && (!moved[j] || j < i));
		if (dup) {
			pr_warn("%s: epoll target fd %u is listed twice once moved: the moved one (data %#" PRIx64
				") is dropped\n",
				p->what, t[i].tfd, t[i].data);
			continue;
		}
		t[n] = t[i];
		moved[n++] = moved[i];
	}
	*nr = n;
	free(moved);
	return 0;
}

static int epoll_dump(const struct fd_parms *p, uint32_t id)
{
	EventpollFileEntry efe = EVENTPOLL_FILE_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ EventpollTfdEntry *t = NULL;
	_cleanup_free_ EventpollTfdEntry **tp = NULL;
	size_t nr = 0, max = 0;
	int r;

	if (p->fd < 0) {
		pr_err("%s: an epoll that is not an fd of the task: not supported\n", p->what);
		return -EOPNOTSUPP;
	}
	r = ev_read_fdinfo(p, &text);
	if (r)
		return r;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, "tfd:", 4))
			continue;
		r = files_grow((void **)&t, &max, nr + 1, sizeof(*t));
		if (r)
			return r;
		eventpoll_tfd_entry__init(&t[nr]);
		t[nr].id = id;
		if (parse_tfd(l, &t[nr])) {
			pr_err("%s: can't read epoll fdinfo line \"%.80s\"\n", p->what, l);
			return -EINVAL;
		}
		nr++;
	}
	r = resolve_targets(p, t, &nr);
	if (r)
		return r;
	tp = xmalloc((nr ?: 1) * sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		tp[i] = &t[i];
		pr_debug("%s: target fd %u events %#x data %#" PRIx64 "\n", p->what, t[i].tfd, t[i].events, t[i].data);
	}
	efe.id = id;
	efe.flags = p->flags;
	efe.fown = ev_fown(p);
	efe.n_tfd = nr;
	efe.tfd = tp;
	efe.has_owner_pid = true;
	efe.owner_pid = p->pid;
	fe.type = FD_TYPES__EVENTPOLL;
	fe.id = id;
	fe.epfd = &efe;
	pr_info("%s: epoll with %zu targets\n", p->what, nr);
	return files_add_entry(&fe);
}

static int epoll_collect(struct file_desc *d)
{
	if (!d->fe->epfd)
		return pr_err_ret(-EINVAL, "files.img: epoll entry %u has no epfd part", d->id);
	return 0;
}

static int epoll_open(struct file_desc *d, int *fd)
{
	const EventpollFileEntry *efe = d->fe->epfd;
	_cleanup_close_ int efd = -1;
	char what[48];
	int r;

	snprintf(what, sizeof(what), "epoll %u", d->id);
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (efd < 0)
		return pr_err_ret(-errno, "can't create %s", what);
	r = ev_set_file_params(efd, efe->flags, efe->fown, what);
	if (r)
		return r;
	*fd = TAKE_FD(efd);
	return 0;
}

/* Epolls of this task waiting for their targets (in the restored task). */
static struct noted {
	struct file_desc *d;
	int fd;
} * noted;
static size_t nr_noted, max_noted;

static int epoll_post_open(struct file_desc *d, int fd)
{
	if (files_grow((void **)&noted, &max_noted, nr_noted + 1, sizeof(*noted)))
		return -ENOMEM;
	noted[nr_noted++] = (struct noted){ .d = d, .fd = fd };
	return 0;
}

static int register_targets(const struct noted *n)
{
	const EventpollFileEntry *efe = n->d->fe->epfd;
	size_t done = 0;

	if (efe->has_owner_pid && efe->owner_pid != getpid()) {
		pr_info("epoll %u at fd %d: registered by process %d, whose fd numbers its targets are\n", n->d->id,
			n->fd, efe->owner_pid);
		return 0;
	}

	for (size_t i = 0; i < efe->n_tfd; i++) {
		const EventpollTfdEntry *t = efe->tfd[i];
		struct epoll_event ev = { .events = t->events, .data.u64 = t->data };

		if (!epoll_ctl(n->fd, EPOLL_CTL_ADD, t->tfd, &ev)) {
			done++;
			continue;
		}
		if (errno == EEXIST) {
			pr_debug("epoll %u: target fd %u is registered already (shared epoll)\n", n->d->id, t->tfd);
			continue;
		}
		if (errno == EBADF) {
			/* Not this task's: the task the epoll was dumped from registers it. */
			pr_info("epoll %u at fd %d: this task has no fd %u: left to the task that has\n", n->d->id,
				n->fd, t->tfd);
			continue;
		}
		return pr_err_ret(-errno, "epoll %u at fd %d: can't register target fd %u (events %#x)", n->d->id,
				  n->fd, t->tfd, t->events);
	}
	pr_info("epoll %u at fd %d: %zu of %zu targets registered\n", n->d->id, n->fd, done, efe->n_tfd);
	return 0;
}

int epoll_register_noted(void)
{
	int r = 0;

	for (size_t i = 0; !r && i < nr_noted; i++)
		r = register_targets(&noted[i]);
	free(noted);
	noted = NULL;
	nr_noted = max_noted = 0;
	return r;
}

const struct fd_kind epoll_kind = {
	.name = "epoll",
	.type = FD_TYPES__EVENTPOLL,
	.match = epoll_match,
	.dump = epoll_dump,
	.collect = epoll_collect,
	.open = epoll_open,
	.post_open = epoll_post_open,
};
