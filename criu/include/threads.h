/*
 * The threads of a task besides its leader: dump (criu/core-dump.c) and
 * restore (criu/restore-threads.c).  The leader's own core stays where it
 * was (dump_task_core(), cr-restore.c); these calls add the others.
 *
 * Images, as CRIU writes them: one core-TID.img per thread.  The leader's
 * carries the task-wide part (tc) and its thread part (thread_core,
 * thread_info); every other thread's has only mtype, thread_info
 * (registers, FPU/xsave, TLS slots, clear_child_tid) and thread_core
 * (blocked mask, pending signals, sigaltstack, rseq, robust list, comm,
 * scheduling, credentials, seccomp).  pstree.img lists every tid, the
 * leader first.
 *
 * Dump, with the task seized and infected (the leader's parasite answer
 * already copied out of the argument area):
 *	dump_thread_cores(t, dir)
 * runs the parasite's PARASITE_CMD_TASK_STATE in every other thread and
 * writes its core-TID.img.  Messages come from t->a.
 *
 * Restore, in criu's main process:
 *  1. restore_threads_read(dir, pe, leader_core) once the leader's core is
 *     read: reads every other thread's core, checks it, and checks that
 *     every tid is free.
 *  2. In the child, laying out the restorer: restore_threads_cores() gives
 *     the cores (leader first) for restorer_state_size/prepare();
 *     restore_threads_bootstrap_size() the bytes the thread table and the
 *     threads' stacks need in the bootstrap area, and
 *     restore_threads_fill() lays them out there and points rst_args at
 *     them.  The restorer creates the threads (criu/include/restorer.h).
 *  3. Once the restorer reported and criu seized the task:
 *     restore_threads_load(ctl, pid) loads the registers, extended state
 *     and blocked mask of every thread but the leader.
 *  4. restore_threads_fini() frees everything read.
 * A task with one thread goes through the same calls (nothing to do).
 */
#ifndef CRIU_THREADS_H
#define CRIU_THREADS_H

#include <stddef.h>
#include <sys/types.h>

#include "common.h"
#include "images/core.pb-c.h"
#include "images/pstree.pb-c.h"

struct dump_task;
struct img_dir;
struct parasite_ctl;
struct rst_args;

/* ------------------------------------------------------------ dump */
int dump_thread_cores(struct dump_task *t, struct img_dir *dir) __must_check;

/* ------------------------------------------------------------ restore */
int restore_threads_read(struct img_dir *dir, const PstreeEntry *pe, CoreEntry *leader) __must_check;
/* The cores of task @pid, leader first, *@nr of them; @leader alone if none were read. */
CoreEntry *const *restore_threads_cores(pid_t pid, CoreEntry *const *leader, unsigned int *nr);
size_t restore_threads_bootstrap_size(pid_t pid);
/* Lay the thread table and stacks out at @at (restore_threads_bootstrap_size() bytes). */
void restore_threads_fill(pid_t pid, struct rst_args *a, void *at);
int restore_threads_load(struct parasite_ctl *ctl, pid_t pid) __must_check;
void restore_threads_fini(void);

#endif /* CRIU_THREADS_H */
