/*
 * Pipes.
 *
 * For now one case only: a pipe end whose other end is not in the dumped
 * task — the write end of a supervisor's log pipe, or the pipe at fd 251
 * every process of this environment inherits.  Dump writes it as CRIU does
 * (a PIPE entry: the pipe's inode and the end's flags); restore gives the
 * task a new pipe end at the same fd whose peer is closed, so that writes
 * fail with EPIPE and reads see end of file, as they would once the outside
 * peer is gone.  (--inherit-fd, to plug in a descriptor of criu's instead,
 * and pipes with both ends in the tree, with their buffered bytes, come
 * with process trees.)
 *
 * A read end with unread bytes is refused: restoring it empty would lose
 * data silently.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "file-kinds.h"
#include "log.h"

#undef LOG_PREFIX
#define LOG_PREFIX "pipes: "

static bool pipe_match(const struct fd_parms *p)
{
	return S_ISFIFO(p->st.st_mode) && !strncmp(p->link, "pipe:[", 6);
}

/* 1 if task @pid holds pipe @link at an fd other than @fd, 0 if not, -errno. */
static int other_end_in_task(pid_t pid, int fd, const char *link)
{
	char dir[64], path[330], buf[64];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return pr_err_ret(-errno, "can't list %s", dir);
	while ((de = readdir(d))) {
		int n = atoi(de->d_name);
		ssize_t len;

		if (de->d_name[0] == '.' || n == fd)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		len = readlink(path, buf, sizeof(buf) - 1);
		if (len <= 0)
			continue;
		buf[len] = 0;
		if (!strcmp(buf, link)) {
			found = 1;
			break;
		}
	}
	closedir(d);
	return found;
}

/* Unread bytes in the pipe of @p (a read end), or -errno. */
static int unread_bytes(const struct fd_parms *p)
{
	int fd = fd_parms_reopen(p, O_RDONLY | O_NONBLOCK);
	int n = 0;

	if (fd < 0)
		return fd;
	if (ioctl(fd, FIONREAD, &n) < 0)
		n = -errno;
	close(fd);
	return n;
}

static int pipe_dump(const struct fd_parms *p, uint32_t id)
{
	static const FownEntry no_fown = FOWN_ENTRY__INIT;
	PipeEntry pe = PIPE_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	int r;

	if (p->pid) {
		r = other_end_in_task(p->pid, p->fd, p->link);
		if (r < 0)
			return r;
		if (r) {
			pr_err("%s: %s has both ends in the dumped task: not supported yet\n", p->what, p->link);
			return -EOPNOTSUPP;
		}
	}
	if ((p->flags & O_ACCMODE) == O_RDONLY) {
		r = unread_bytes(p);
		if (r < 0)
			return pr_err_ret(r, "%s: can't count the unread bytes of %s", p->what, p->link);
		if (r > 0) {
			pr_err("%s: %s holds %d unread bytes written from outside the dump: not supported yet\n",
			       p->what, p->link, r);
			return -EOPNOTSUPP;
		}
	}

	pe.id = id;
	pe.pipe_id = (uint32_t)p->st.st_ino;
	pe.flags = p->flags;
	pe.fown = (FownEntry *)(p->fown ? p->fown : &no_fown);
	fe.type = FD_TYPES__PIPE;
	fe.id = id;
	fe.pipe = &pe;
	pr_info("%s: %s, its peer outside the dump\n", p->what, p->link);
	return files_add_entry(&fe);
}

static int pipe_open(struct file_desc *d, int *fd)
{
	const PipeEntry *pe = d->fe->pipe;
	bool wr;
	int fds[2];

	if (!pe) {
		pr_err("files.img entry %u is a pipe without its pipe fields\n", d->id);
		return -EINVAL;
	}
	wr = (pe->flags & O_ACCMODE) == O_WRONLY;
	if (pipe2(fds, O_CLOEXEC))
		return pr_err_ret(-errno, "can't make a pipe for pipe:[%u]", pe->pipe_id);
	close(fds[wr ? 0 : 1]);
	*fd = fds[wr ? 1 : 0];
	if (fcntl(*fd, F_SETFL, pe->flags & ~O_ACCMODE) < 0) {
		int r = -errno;

		close(*fd);
		return pr_err_ret(r, "can't set the flags %#x of pipe:[%u]", pe->flags, pe->pipe_id);
	}
	pr_info("pipe:[%u]: a new %s end, its peer closed (it was outside the dump)\n", pe->pipe_id,
		wr ? "write" : "read");
	return 0;
}

const struct fd_kind pipe_kind = {
	.name = "pipe",
	.type = FD_TYPES__PIPE,
	.match = pipe_match,
	.dump = pipe_dump,
	.open = pipe_open,
};
