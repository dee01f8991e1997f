/*
 * The process tree image (pstree.img): one pstree_entry per process with
 * its pid, parent, process group, session and threads (leader first),
 * parents before their children, the root first with ppid 0.
 *
 * Dump: pstree_write(dir, entries, n) with the entries in that order.
 * Restore: pstree_read(dir, &tree) reads and checks every entry (pids
 * unique, each parent listed before its child, one root); the caller
 * frees with pstree_free().
 */
#ifndef CRIU_PSTREE_H
#define CRIU_PSTREE_H

#include <stddef.h>
#include <sys/types.h>

#include "image.h"
#include "images/pstree.pb-c.h"

struct parasite_ctl;

/* What dump writes for one task; @tids leader first (@nr_tids of them). */
struct pstree_task {
	pid_t pid, ppid, pgid, sid;
	const pid_t *tids;
	unsigned int nr_tids;
};

int pstree_write(struct img_dir *dir, const struct pstree_task *tasks, size_t n) __must_check;

struct pstree {
	PstreeEntry **e; /* in image order: e[0] is the root */
	size_t n;
};

int pstree_read(struct img_dir *dir, struct pstree *tree) __must_check;
/* The index of @pid in @tree, or -1. */
int pstree_find(const struct pstree *tree, pid_t pid);
void pstree_free(struct pstree *tree);

#endif /* CRIU_PSTREE_H */
