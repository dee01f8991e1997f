/*
 * A task's fs: current directory, root directory and umask (fs-<pid>.img).
 *
 * cwd and root are REG entries of files.img with an id each (never shared,
 * as CRIU writes them), flags 0 and position 0; a deleted directory is a
 * ghost like any deleted file.  The umask comes from /proc/PID/status.
 *
 * Restore runs last in restore_task_files(), when every fd is in place:
 * open cwd and root (O_PATH), chroot into root when it is not "/", then
 * fchdir to cwd, then set the umask.
 */
#define LOG_PREFIX "fs: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-kinds.h"
#include "fs.pb-c.h"
#include "image.h"
#include "log.h"

static int read_umask(pid_t pid, uint32_t *mask)
{
	char path[64], line[256];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return pr_err_ret(-errno, "can't open %s", path);
	while (fgets(line, sizeof(line), f)) {
		unsigned int m;

		if (sscanf(line, "Umask: %o", &m) == 1) {
			*mask = m;
			return 0;
		}
	}
	pr_err("%s has no Umask line\n", path);
	return -EINVAL;
}

/* Write a REG entry for /proc/PID/@name (cwd or root); *@id gets its id. */
static int dump_dir_link(pid_t pid, const char *name, uint32_t *id)
{
	struct fd_parms p = { .pid = pid, .fd = -1, .lfd = -1, .mnt_id = -1, .special = true };
	char link[PATH_MAX];
	ssize_t n;

	snprintf(p.proc_path, sizeof(p.proc_path), "/proc/%d/%s", pid, name);
	snprintf(p.what, sizeof(p.what), "%s of task %d", name, pid);
	n = readlink(p.proc_path, link, sizeof(link) - 1);
	if (n < 0)
		return pr_err_ret(-errno, "%s: can't read %s", p.what, p.proc_path);
	if ((size_t)n >= sizeof(link) - 1)
		return pr_err_ret(-ENAMETOOLONG, "%s: can't read %s", p.what, p.proc_path);
	link[n] = '\0';
	p.link = link;
	if (stat(p.proc_path, &p.st))
		return pr_err_ret(-errno, "%s: can't stat %s", p.what, link);
	*id = files_new_id();
	return reg_dump_entry(&p, *id);
}

int dump_task_fs(pid_t pid, struct img_dir *dir)
{
	FsEntry fe = FS_ENTRY__INIT;
	int r;

	r = dump_dir_link(pid, "cwd", &fe.cwd_id);
	if (!r)
		r = dump_dir_link(pid, "root", &fe.root_id);
	if (!r)
		r = read_umask(pid, &fe.umask);
	if (r)
		return r;
	fe.has_umask = true;
	pr_info("Task %d: cwd %u, root %u, umask %03o\n", pid, fe.cwd_id, fe.root_id, fe.umask);
	return img_write_one(dir, CR_IMG_FS, pid, &fe);
}

/* ------------------------------------------------------------ restore */

static struct fs_task {
	pid_t pid;
	FsEntry *fe;
} * tasks;
static size_t nr_tasks;

static struct fs_task *find(pid_t pid)
{
	for (size_t i = 0; i < nr_tasks; i++)
		if (tasks[i].pid == pid)
			return &tasks[i];
	return NULL;
}

static int check_dir_id(pid_t pid, const char *what, uint32_t id)
{
	struct file_desc *d = find_file_desc(id);

	if (!d || d->fe->type != FD_TYPES__REG) {
		pr_err("fs-%d.img: %s is file %u, which is not a regular file of files.img\n", pid, what, id);
		return -EINVAL;
	}
	return 0;
}

int prepare_task_fs(pid_t pid, struct img_dir *dir)
{
	FsEntry *fe = NULL;
	struct fs_task *t;
	int r;

	if (find(pid))
		return 0;
	r = img_read_one(dir, CR_IMG_FS, pid, &fs_entry__descriptor, (void **)&fe);
	if (r)
		return r;
	r = check_dir_id(pid, "cwd", fe->cwd_id);
	if (!r)
		r = check_dir_id(pid, "root", fe->root_id);
	if (r) {
		img_msg_free(fe);
		return r;
	}
	t = xrealloc(tasks, (nr_tasks + 1) * sizeof(*t));
	if (!t) {
		img_msg_free(fe);
		return -ENOMEM;
	}
	tasks = t;
	tasks[nr_tasks++] = (struct fs_task){ pid, fe };
	return 0;
}

int restore_task_fs(pid_t pid)
{
	struct fs_task *t = find(pid);
	struct file_desc *cwd, *root;
	int cfd, rfd = -1, r = 0;

	if (!t) {
		pr_err("restore_task_fs(%d): fs-%d.img was not read\n", pid, pid);
		return -EINVAL;
	}
	cwd = find_file_desc(t->fe->cwd_id);
	root = find_file_desc(t->fe->root_id);
	cfd = reg_open_desc(cwd, O_PATH | O_DIRECTORY, false);
	if (cfd < 0)
		return cfd;
	if (strcmp(root->fe->reg->name, "/")) {
		rfd = reg_open_desc(root, O_PATH | O_DIRECTORY, false);
		if (rfd < 0) {
			r = rfd;
			goto out;
		}
		if (fchdir(rfd) || chroot(".")) {
			r = pr_err_ret(-errno, "task %d: can't chroot to %s", pid, root->fe->reg->name);
			goto out;
		}
	}
	if (fchdir(cfd)) {
		r = pr_err_ret(-errno, "task %d: can't change directory to %s", pid, cwd->fe->reg->name);
		goto out;
	}
	if (t->fe->has_umask)
		umask(t->fe->umask & 0777);
	pr_info("Task %d: cwd %s, root %s\n", pid, cwd->fe->reg->name, root->fe->reg->name);
out:
	close(cfd);
	if (rfd >= 0)
		close(rfd);
	return r;
}

void fs_restore_fini(void)
{
	for (size_t i = 0; i < nr_tasks; i++)
		img_msg_free(tasks[i].fe);
	free(tasks);
	tasks = NULL;
	nr_tasks = 0;
}
