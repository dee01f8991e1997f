/*
 * The tree being restored: what cr-restore.c reads from the images and
 * plans in criu's main process, and what each task (restore-task.c) does
 * with it in the child created with its pid.
 *
 * Every task, and every helper criu adds (a task with a pid of the images
 * that makes a session or a process group whose leader is gone, then
 * exits), is one struct restore_task.  The tasks meet in one shared area
 * (struct rst_shared, mapped before the root is created): each says there
 * that it exists, when its process group is made, when its fd table is in
 * place; criu says there when it has seized a task, or that the restore is
 * abandoned.
 */
#ifndef CRIU_RESTORE_H
#define CRIU_RESTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mem.h"
#include "restorer.h"
#include "vdso.h"
#include "images/core.pb-c.h"
#include "images/pstree.pb-c.h"

struct parasite_ctl;

enum restore_kind {
	RT_ALIVE,  /* restored through the restorer (running or stopped) */
	RT_ZOMBIE, /* exits with its status once the tree's groups are made */
	RT_HELPER, /* a helper: makes its session/group, forks, exits */
};

struct restore_task {
	pid_t pid, ppid, pgid, sid; /* sid and pgid mapped to criu's with --shell-job */
	unsigned int idx;	    /* in the tree and the shared area */
	enum restore_kind kind;
	PstreeEntry *pe; /* NULL for helpers */
	CoreEntry *core; /* NULL for helpers */
	TaskKobjIdsEntry *ids;
	struct mem_restore mr;
	struct vdso_plan vdso;

	struct restore_task *parent; /* who forks it (a helper for some) */
	struct restore_task **kids;  /* what it forks, in order */
	unsigned int nr_kids;
	bool early;	      /* forked before its parent's setsid() */
	bool setsid;	      /* calls setsid() */
	bool under_helper;    /* forked by a session helper: reparented to ppid when it exits */
	bool vm_child;	      /* shares its parent's memory and signal handlers: its parent's restorer creates it */
	int group_leader;     /* index of the task making its group; -1: none to wait for */
	uint64_t clone_flags; /* CLONE_FILES / CLONE_FS shared with its parent */
	int files_owner;      /* index of the task placing its fd table (itself, or up its chain) */
	int files_seq, files_prev; /* in a shared fd table: order into the restorer, index of the one before (-1) */

	int status_fd;		  /* the child's end of its status pipe */
	int sync_fd;		  /* the child's end of the pipe criu holds open (restorer.h) */
	int status_rfd, sync_wfd; /* criu's ends */
	bool detached;		  /* -d: the root's parent is a helper that exits at once */
	struct parasite_ctl *ctl; /* criu's, once the task reported from its restorer */
	bool finished;		  /* registers loaded, waiting for the release */
};

/* Per task in the shared area; futex words are 0 until set to 1. */
struct rst_slot {
	int32_t pid;	      /* set by the task once created */
	uint32_t group_ready; /* its process group exists (it leads it) */
	uint32_t table_ready; /* its fd table is in place (files owner) */
	uint32_t seized;      /* criu has seized it and loaded its registers */
};

struct rst_shared {
	uint32_t abort;	      /* criu gave up: every task not in its restorer exits */
	uint32_t nr;	      /* tasks and helpers (but children sharing their parent's memory) */
	uint32_t groups_done; /* how many made their session and group */
	int32_t failed_pid;   /* the task that failed first */
	struct rst_slot slot[];
};

struct restore_tree {
	struct restore_task *t; /* t[0] is the root; helpers after the tasks */
	unsigned int n, nr_tasks;
	struct rst_shared *sh;
	size_t sh_len;
	pid_t criu_pid, criu_sid, criu_pgid;
};

/* criu's command: restore the tree of the images dir. */
int cr_restore_tasks(void);

/*
 * restore-plan.c: the plan of the tree read (sessions, groups, helpers,
 * shared fd tables and fs info), before any task exists.  0 or -errno,
 * said once.
 */
int restore_plan(struct restore_tree *tr) __must_check;
struct restore_task *restore_find_pid(struct restore_tree *tr, pid_t pid);
/* Is @pid in use?  A zombie gets a moment to be reaped first. */
bool restore_pid_taken(pid_t pid);
/* Is @pid gone or a zombie? */
bool restore_task_dead(pid_t pid);

/*
 * In the child created with @t's pid: its session and group, its
 * children, its fds, its memory through the restorer.  Does not return:
 * exits on failure after writing a status, exits with the dumped status
 * for a zombie, or ends in the restorer.
 */
__attribute__((noreturn)) void restore_task_main(struct restore_tree *tr, struct restore_task *t);

/* Write a failure status for criu's main process. */
void restore_report(int fd, int ret, const char *what);

/* clone3() with set_tid = @pid and @flags; the exit signal is SIGCHLD but with CLONE_PARENT. */
pid_t restore_clone(pid_t pid, uint64_t flags);

#endif /* CRIU_RESTORE_H */
