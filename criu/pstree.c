/*
 * pstree.img: written by dump with every task of the tree, read and
 * checked by restore (see pstree.h).
 */
#define LOG_PREFIX "pstree: "
#include "log.h"
#include "pstree.h"

int pstree_write(struct img_dir *dir, const struct pstree_task *tasks, size_t n)
{
	struct cr_img *img _cleanup_img_ = NULL;
	int r;

	r = img_open(dir, CR_IMG_PSTREE, IMG_WRITE, 0, &img);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct pstree_task *t = &tasks[i];
		PstreeEntry e = PSTREE_ENTRY__INIT;
		_cleanup_free_ uint32_t *tids = xmalloc((t->nr_tids ?: 1) * sizeof(*tids));

		if (!tids)
			return -ENOMEM;
		tids[0] = t->pid;
		for (unsigned int j = 0; j < t->nr_tids; j++)
			tids[j] = t->tids[j];
		e.pid = t->pid;
		e.ppid = t->ppid;
		e.pgid = t->pgid;
		e.sid = t->sid;
		e.n_threads = t->nr_tids ?: 1;
		e.threads = tids;
		r = img_write_entry(img, &e);
		if (r)
			return r;
	}
	r = img_close(img);
	img = NULL;
	return r;
}

int pstree_find(const struct pstree *tree, pid_t pid)
{
	for (size_t i = 0; i < tree->n; i++)
		if (tree->e[i]->pid == (uint32_t)pid)
			return (int)i;
	return -1;
}

void pstree_free(struct pstree *tree)
{
	for (size_t i = 0; i < tree->n; i++)
		img_msg_free(tree->e[i]);
	free(tree->e);
	tree->e = NULL;
	tree->n = 0;
}

static int check_entry(const struct pstree *tree, const PstreeEntry *e)
{
	if (e->pid == 0 || e->pid > INT32_MAX)
		return pr_err_ret(-EINVAL, "pstree.img names pid %u: not a pid", e->pid);
	if (e->pgid == 0 || e->pgid > INT32_MAX || e->sid > INT32_MAX)
		return pr_err_ret(-EINVAL, "pstree.img: process %u has group %u and session %u", e->pid, e->pgid,
				  e->sid);
	if (!e->n_threads || e->threads[0] != e->pid)
		return pr_err_ret(-EINVAL, "pstree.img: process %u does not list itself as its first thread", e->pid);
	if (pstree_find(tree, e->pid) >= 0)
		return pr_err_ret(-EINVAL, "pstree.img lists process %u twice", e->pid);
	if (!tree->n && e->ppid)
		return pr_err_ret(-EINVAL, "pstree.img: the first process (%u) has a parent (%u)", e->pid, e->ppid);
	if (tree->n && !e->ppid)
		return pr_err_ret(-EINVAL, "pstree.img: process %u has no parent but is not the first", e->pid);
	if (tree->n && pstree_find(tree, e->ppid) < 0)
		return pr_err_ret(-EINVAL, "pstree.img: the parent %u of process %u is not listed before it", e->ppid,
				  e->pid);
	return 0;
}

int pstree_read(struct img_dir *dir, struct pstree *tree)
{
	struct cr_img *img _cleanup_img_ = NULL;
	size_t max = 0;
	int r;

	*tree = (struct pstree){ 0 };
	r = img_open(dir, CR_IMG_PSTREE, IMG_READ, 0, &img);
	if (r)
		return r;
	for (;;) {
		PstreeEntry *e = NULL;

		r = img_read_entry(img, NULL, (void **)&e);
		if (r <= 0)
			break;
		r = check_entry(tree, e);
		if (!r && tree->n == max) {
			PstreeEntry **n = xrealloc(tree->e, (max ? max * 2 : 16) * sizeof(*n));

			if (n) {
				tree->e = n;
				max = max ? max * 2 : 16;
			} else {
				r = -ENOMEM;
			}
		}
		if (r) {
			img_msg_free(e);
			break;
		}
		tree->e[tree->n++] = e;
	}
	if (!r && !tree->n)
		r = pr_err_ret(-EINVAL, "pstree.img in %s has no process", img_dir_path(dir));
	if (r < 0)
		pstree_free(tree);
	return r < 0 ? r : 0;
}
