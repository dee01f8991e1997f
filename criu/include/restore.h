/*
 * One task being restored: what cr-restore.c reads from the images in
 * criu's main process and hands to the child it creates with the task's
 * pid (restore-task.c), which becomes the task.
 */
#ifndef CRIU_RESTORE_H
#define CRIU_RESTORE_H

#include <stdbool.h>
#include <sys/types.h>

#include "mem.h"
#include "restorer.h"
#include "vdso.h"
#include "images/core.pb-c.h"
#include "images/pstree.pb-c.h"

struct restore_task {
	pid_t pid;
	PstreeEntry *pe;
	CoreEntry *core;
	TaskKobjIdsEntry *ids;
	struct mem_restore mr;
	struct vdso_plan vdso;
	int status_fd; /* the child's end of the status pipe */
	int sync_fd;   /* the child's end of the pipe criu holds open (restorer.h) */
	bool detached; /* -d: the child's parent is a helper that exits at once */
};

/* criu's command: restore the process of the images dir. */
int cr_restore_tasks(void);

/*
 * In the child created with the task's pid: session, fds, memory through
 * the restorer.  Does not return when the restorer was entered (it reports
 * on t->status_fd from then on); returns -errno, after writing a status,
 * when something failed before.
 */
int restore_task_child(struct restore_task *t);

/* Write a failure status for criu's main process. */
void restore_report(int fd, int ret, const char *what);

#endif /* CRIU_RESTORE_H */
