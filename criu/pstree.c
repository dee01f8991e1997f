/*
 * pstree.img of a one-process tree: written by dump, read and checked by
 * restore (see pstree.h).
 */
#define LOG_PREFIX "pstree: "
#include "log.h"
#include "pstree.h"

#include <compel.h>

int pstree_write_one(struct img_dir *dir, pid_t pid, pid_t pgid, pid_t sid, const struct parasite_ctl *ctl)
{
	struct cr_img *img _cleanup_img_ = NULL;
	PstreeEntry e = PSTREE_ENTRY__INIT;
	unsigned int n = compel_task(ctl)->nr_threads;
	_cleanup_free_ uint32_t *tids = xmalloc(n * sizeof(*tids));
	int r;

	if (!tids)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) /* the leader first */
		tids[i] = compel_thread(ctl, i)->tid;
	e.pid = pid;
	e.ppid = 0;
	e.pgid = pgid;
	e.sid = sid;
	e.n_threads = n;
	e.threads = tids;
	r = img_open(dir, CR_IMG_PSTREE, IMG_WRITE, 0, &img);
	if (r)
		return r;
	r = img_write_entry(img, &e);
	if (r)
		return r;
	r = img_close(img);
	img = NULL;
	return r;
}

int pstree_read_one(struct img_dir *dir, PstreeEntry **out)
{
	struct cr_img *img _cleanup_img_ = NULL;
	PstreeEntry *e _cleanup_msg_ = NULL;
	void *more _cleanup_msg_ = NULL;
	int r;

	r = img_open(dir, CR_IMG_PSTREE, IMG_READ, 0, &img);
	if (r)
		return r;
	r = img_read_entry(img, NULL, (void **)&e);
	if (r < 0)
		return r;
	if (r == 0) {
		pr_err("pstree.img in %s has no process\n", img_dir_path(dir));
		return -EINVAL;
	}
	r = img_read_entry(img, NULL, &more);
	if (r < 0)
		return r;
	if (r > 0) {
		pr_err("the images hold a tree of processes: restoring process trees is not supported yet\n");
		return -EOPNOTSUPP;
	}
	if (e->pid == 0 || e->pid > INT32_MAX) {
		pr_err("pstree.img names pid %u: not a pid\n", e->pid);
		return -EINVAL;
	}
	if (!e->n_threads || e->threads[0] != e->pid) {
		pr_err("pstree.img: process %u does not list itself as its first thread\n", e->pid);
		return -EINVAL;
	}
	*out = TAKE_PTR(e);
	return 0;
}
