/*
 * The process tree image (pstree.img): one pstree_entry per process with
 * its pid, parent, process group, session and threads.
 *
 * This criu dumps and restores one single-threaded process: the tree has
 * one entry whose only thread is the process itself.  pstree_read_one()
 * refuses anything larger, by name, until process trees are built.
 */
#ifndef CRIU_PSTREE_H
#define CRIU_PSTREE_H

#include <sys/types.h>

#include "image.h"
#include "images/pstree.pb-c.h"

struct parasite_ctl;

/* Write pstree.img for the one process @pid (root: ppid 0), with the threads @ctl seized. */
int pstree_write_one(struct img_dir *dir, pid_t pid, pid_t pgid, pid_t sid, const struct parasite_ctl *ctl) __must_check;

/* Read pstree.img: exactly one process, its threads leader first.  Caller frees *e. */
int pstree_read_one(struct img_dir *dir, PstreeEntry **e) __must_check;

#endif /* CRIU_PSTREE_H */
