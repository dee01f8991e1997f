/*
 * What the event and notification kinds share (events.h): reading a
 * descriptor's fdinfo, setting flags and SIGIO owner on a new description,
 * finding the inode of an inotify watch or fanotify mark by its file
 * handle or path, and the per-task restore hook that runs once every fd
 * of a task is in place (epoll registrations, then file locks).
 */
#define LOG_PREFIX "events: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "proc-parse.h"

#define SETFL_MASK (O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK)

bool ev_anon_is(const struct fd_parms *p, const char *name)
{
	return p->link && !strncmp(p->link, "anon_inode:", 11) && !strcmp(p->link + 11, name);
}

int ev_read_fdinfo(const struct fd_parms *p, char **text)
{
	char name[32];

	if (p->fd >= 0) {
		snprintf(name, sizeof(name), "fdinfo/%d", p->fd);
		return proc_read_file(p->pid, name, text, NULL);
	}
	if (p->lfd < 0)
		return pr_err_ret(-EINVAL, "%s: no fd to read the fdinfo of", p->what);
	snprintf(name, sizeof(name), "fdinfo/%d", p->lfd);
	return proc_read_file(getpid(), name, text, NULL);
}

const char *ev_field(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, len))
			return l + len;
	return NULL;
}

FownEntry *ev_fown(const struct fd_parms *p)
{
	static FownEntry none = FOWN_ENTRY__INIT;

	return p->fown ? (FownEntry *)p->fown : &none;
}

int ev_set_file_params(int fd, uint32_t flags, const FownEntry *fown, const char *what)
{
	int r = restore_fown(fd, fown, what);

	if (r)
		return r;
	if (fcntl(fd, F_SETFL, flags & SETFL_MASK))
		return pr_err_ret(-errno, "%s: can't set the file flags %#o", what, flags);
	return 0;
}

int ev_parse_handle(const char *hex, unsigned int bytes, uint64_t words[16])
{
	unsigned char *b = (unsigned char *)words;

	memset(words, 0, 16 * sizeof(uint64_t));
	if (bytes > 16 * sizeof(uint64_t))
		return -EINVAL;
	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		b[i] = v;
	}
	return 0;
}

/* ------------------------------------------------------------ file handles */

/*
 * The mount point of a mount of kernel device @kdev (MAJOR << 20 | MINOR),
 * preferring one that shows the whole filesystem (its root is "/").
 */
static int mount_of_dev(uint32_t kdev, char *path, size_t size)
{
	_cleanup_free_ char *text = NULL;
	unsigned int want_ma = kdev >> 20, want_mi = kdev & 0xfffff;
	bool found = false;
	int r;

	r = proc_read_file(getpid(), "mountinfo", &text, NULL);
	if (r)
		return r;
	for (char *l = text; l && *l;) {
		char *nl = strchr(l, '\n');
		unsigned int ma, mi;
		char root[4096], mp[4096];

		if (nl)
			*nl = '\0';
		if (sscanf(l, "%*d %*d %u:%u %4095s %4095s", &ma, &mi, root, mp) == 4 && ma == want_ma &&
		    mi == want_mi && (!found || !strcmp(root, "/"))) {
			snprintf(path, size, "%s", mp);
			found = true;
			if (!strcmp(root, "/"))
				break;
		}
		l = nl ? nl + 1 : NULL;
	}
	return found ? 0 : -ENODEV;
}

static int open_handle(const struct fh_entry_like *fh, uint32_t kdev, int flags)
{
	_cleanup_free_ struct file_handle *h = NULL;
	_cleanup_close_ int mfd = -1;
	char mp[4096];
	int r, fd;

	if (!fh->bytes || fh->bytes > fh->n_handle * sizeof(uint64_t))
		return -EINVAL;
	r = mount_of_dev(kdev, mp, sizeof(mp));
	if (r)
		return r;
	mfd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* not O_PATH: open_by_handle_at refuses it */
	if (mfd < 0)
		return -errno;
	h = xmalloc(sizeof(*h) + fh->bytes);
	if (!h)
		return -ENOMEM;
	h->handle_bytes = fh->bytes;
	h->handle_type = fh->type;
	memcpy(h->f_handle, fh->handle, fh->bytes);
	fd = open_by_handle_at(mfd, h, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ev_open_watched(const struct fh_entry_like *fh, uint32_t kdev, const char *what)
{
	int fd = open_handle(fh, kdev, O_PATH);

	if (fd >= 0)
		return fd;
	pr_debug("%s: can't open the inode by its handle (%s), trying its path %s\n", what, strerror(-fd),
		 fh->path ?: "(none)");
	if (!fh->path) {
		pr_err("%s: can't open the watched inode by its handle (%s) and no path is known\n", what,
		       strerror(-fd));
		return fd;
	}
	fd = open(fh->path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return pr_err_ret(-errno, "%s: can't open the watched inode by handle or by its path %s", what,
				  fh->path);
	return fd;
}

int ev_handle_path(const struct fh_entry_like *fh, uint32_t kdev, char *buf, size_t size)
{
	_cleanup_close_ int fd = open_handle(fh, kdev, O_PATH);
	char link[64];
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st))
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	if (st.st_nlink == 0 || (n > 10 && !strcmp(buf + n - 10, " (deleted)")))
		return -ENOENT;
	return 0;
}

/* ------------------------------------------------------------ restore hook */

int events_restore_task(pid_t pid)
{
	int r = epoll_register_noted();

	if (r)
		return r;
	return file_locks_restore_task(pid);
}
