/*
 * pidfd ("anon_inode:[pidfd]"): the PIDFD kind of files.img.
 *
 * Dump reads "Pid:" and "NSpid:" from fdinfo and writes a file_entry with
 * its pidfd part as CRIU does (nspid -1 for a process that is gone).  A
 * pidfd of a live process is dumped only if that process is in the dumped
 * tree (the root given by -t or one of its descendants, the task itself
 * included): its pid is the same after restore.  One of a process outside
 * the tree is refused by name: nothing would make it mean the same
 * process after restore.
 *
 * Restore: open() makes a pidfd that refers to a gone process: it starts
 * a child that exits at once (clone3 with CLONE_PIDFD) and reaps it.  For
 * a process that was gone at dump that is the pidfd: polling it says
 * readable, sending a signal says ESRCH, as before (the exit status it
 * held, PIDFD_GET_INFO, is not kept).  For a live process it is a
 * stand-in, since open() runs before the process may exist (children are
 * made later): post_open(), in the task, opens the real one with
 * pidfd_open() and puts it at every fd of the task that holds the
 * stand-in (close-on-exec kept).  A process of another branch of the tree
 * may not be forked yet: post_open() waits for it (up to 10 s).
 */
#define LOG_PREFIX "pidfd: "

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cr_options.h"
#include "events.h"
#include "files.h"
#include "log.h"
#include "proc-parse.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#define PIDFD_OPEN_FLAGS (O_NONBLOCK | PIDFD_THREAD)
/* How long post_open() waits for a process of the tree to exist. */
#define PIDFD_WAIT_MS 10000

static bool pidfd_match(const struct fd_parms *p)
{
	return ev_anon_is(p, "[pidfd]");
}

/* The parent of @pid from /proc/PID/stat, quietly; -errno if gone. */
static pid_t ppid_of(pid_t pid)
{
	char path[64], buf[512], *close;
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	close = strrchr(buf, ')');
	if (!close || sscanf(close + 1, " %*c %d", &ppid) != 1)
		return -EINVAL;
	return ppid;
}

/* The thread group of thread @tid (a PIDFD_THREAD pidfd names a thread). */
static pid_t tgid_of(pid_t tid)
{
	_cleanup_free_ char *text = NULL;
	char name[32];
	const char *v;
	int tgid;

	snprintf(name, sizeof(name), "task/%d/status", tid);
	if (proc_read_file(tid, name, &text, NULL))
		return tid;
	v = strstr(text, "\nTgid:");
	return v && sscanf(v, "\nTgid: %d", &tgid) == 1 ? tgid : tid;
}

/* Is @pid (a process or thread) in the dump's root or its descendants? */
static bool in_tree(pid_t pid, pid_t task)
{
	pid_t root = opts.tree_id ? opts.tree_id : task;

	pid = tgid_of(pid);
	for (int depth = 0; pid > 0 && depth < 4096; depth++) {
		if (pid == root || pid == task)
			return true;
		pid = ppid_of(pid);
	}
	return false;
}

static int pidfd_dump(const struct fd_parms *p, uint32_t id)
{
	PidfdEntry pe = PIDFD_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	_cleanup_free_ char *text = NULL;
	const char *v;
	int pid, nspid, r;

	r = ev_read_fdinfo(p, &text);
	if (r)
		return r;
	v = ev_field(text, "Pid:");
	if (!v || sscanf(v, "%d", &pid) != 1) {
		pr_err("%s: no Pid in the pidfd's fdinfo\n", p->what);
		return -EINVAL;
	}
	v = ev_field(text, "NSpid:");
	if (!v || sscanf(v, "%d", &nspid) != 1)
		nspid = pid;
	if (pid == 0) {
		pr_err("%s: pidfd of a process in a pid namespace criu does not see: not supported\n", p->what);
		return -EOPNOTSUPP;
	}
	if (pid > 0 && !in_tree(pid, p->pid)) {
		pr_err("%s: pidfd of process %d, which is outside the dumped tree: not supported "
		       "(it could not mean the same process after restore)\n",
		       p->what, pid);
		return -EOPNOTSUPP;
	}
	if (p->flags & ~(O_ACCMODE | PIDFD_OPEN_FLAGS))
		pr_warn("%s: pidfd flags %#o: only O_NONBLOCK and PIDFD_THREAD are restored\n", p->what, p->flags);
	pe.id = id;
	pe.ino = p->st.st_ino;
	pe.flags = p->flags;
	pe.nspid = pid < 0 ? -1 : nspid;
	pe.fown = ev_fown(p);
	fe.type = FD_TYPES__PIDFD;
	fe.id = id;
	fe.pidfd = &pe;
	pr_info("%s: pidfd of %s %d\n", p->what, pid < 0 ? "a gone process" : "process", pid);
	return files_add_entry(&fe);
}

static int pidfd_collect(struct file_desc *d)
{
	if (!d->fe->pidfd)
		return pr_err_ret(-EINVAL, "files.img: pidfd entry %u has no pidfd part", d->id);
	if (d->fe->pidfd->nspid == 0 || d->fe->pidfd->nspid < -1)
		return pr_err_ret(-EINVAL, "pidfd %u: pid %d is not valid", d->id, d->fe->pidfd->nspid);
	return 0;
}

/* A pidfd of a process that has exited and been reaped. */
static int gone_pidfd(uint32_t flags, uint32_t id)
{
	struct clone_args ca = { 0 };
	int pidfd = -1, status;
	long pid;

	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = 0; /* no SIGCHLD left pending in whoever runs this */
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0)
		return pr_err_ret(-errno, "pidfd %u: can't start a process to stand for the gone one", id);
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
		;
	if (fcntl(pidfd, F_SETFL, flags & O_NONBLOCK)) {
		int r = -errno;

		close(pidfd);
		return pr_err_ret(r, "pidfd %u: can't set its flags", id);
	}
	return pidfd;
}

/*
 * A pidfd of a gone process: final for one that was gone at dump, a
 * stand-in (until post_open()) for a live one, which may not exist yet.
 */
static int pidfd_open_desc(struct file_desc *d, int *fd)
{
	int pfd = gone_pidfd(d->fe->pidfd->flags, d->id);

	if (pfd < 0)
		return pfd;
	*fd = pfd;
	return 0;
}

/*
 * The task's fds (below the service fds) that share fd @fd's description,
 * into *@fds (allocated); their count or -errno.
 */
static int sharing_fds(int fd, int **fds, uint32_t id)
{
	pid_t self = getpid();
	int base = files_service_fd_base(), n = 0, r = 0;
	size_t max = 0;
	struct dirent *de;
	DIR *dir;

	*fds = NULL;
	dir = opendir("/proc/self/fd");
	if (!dir)
		return pr_err_ret(-errno, "pidfd %u: can't list /proc/self/fd", id);
	while ((de = readdir(dir))) {
		int i = atoi(de->d_name);

		if (de->d_name[0] == '.' || i >= base || i == dirfd(dir))
			continue;
		if (i != fd && syscall(SYS_kcmp, self, self, KCMP_FILE, fd, i) != 0)
			continue;
		r = files_grow((void **)fds, &max, n + 1, sizeof(int));
		if (r)
			break;
		(*fds)[n++] = i;
	}
	closedir(dir);
	return r ?: n;
}

static int pidfd_post_open(struct file_desc *d, int fd)
{
	const PidfdEntry *pe = d->fe->pidfd;
	_cleanup_close_ int nfd = -1;
	_cleanup_free_ int *fds = NULL;
	int n;

	if (pe->nspid < 0)
		return 0;
	/* Another branch of the tree may still be being forked: wait for it. */
	for (int i = 0; i < PIDFD_WAIT_MS; i++) {
		nfd = syscall(SYS_pidfd_open, pe->nspid, pe->flags & PIDFD_OPEN_FLAGS);
		if (nfd >= 0 || errno != ESRCH)
			break;
		usleep(1000);
	}
	if (nfd < 0)
		return pr_err_ret(-errno, "pidfd %u at fd %d: can't open a pidfd of process %d", d->id, fd, pe->nspid);
	n = sharing_fds(fd, &fds, d->id);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int fl = fcntl(fds[i], F_GETFD);

		if (fl < 0 || dup3(nfd, fds[i], (fl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
			return pr_err_ret(-errno, "pidfd %u: can't put the pidfd of %d at fd %d", d->id, pe->nspid,
					  fds[i]);
	}
	pr_info("pidfd %u: reopened on process %d at %d fds\n", d->id, pe->nspid, n);
	return 0;
}

const struct fd_kind pidfd_kind = {
	.name = "pidfd",
	.type = FD_TYPES__PIDFD,
	.match = pidfd_match,
	.dump = pidfd_dump,
	.collect = pidfd_collect,
	.open = pidfd_open_desc,
	.post_open = pidfd_post_open,
};
