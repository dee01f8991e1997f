/*
 * --action-script: run each script given, in order, at the named stages of
 * dump and restore, with CRTOOLS_SCRIPT_ACTION set to the stage,
 * CRTOOLS_IMAGE_DIR to the images dir and, where there is one,
 * CRTOOLS_INIT_PID to the pid of the (restored) root task.
 *
 * run_scripts() returns 0 when every script exited 0 (or there are none)
 * and -ECANCELED otherwise, after logging which script failed how.  At
 * pre-resume and post-resume the task is already restored: the caller
 * logs the failure and goes on (the contract's rule).
 */
#ifndef CRIU_ACTION_SCRIPTS_H
#define CRIU_ACTION_SCRIPTS_H

#include <sys/types.h>

enum script_action {
	ACT_PRE_DUMP,
	ACT_POST_DUMP,
	ACT_PRE_RESTORE,
	ACT_POST_RESTORE,
	ACT_PRE_RESUME,
	ACT_POST_RESUME,
	ACT_SETUP_NS,
	ACT_POST_SETUP_NS,
	ACT_NET_LOCK,
	ACT_NET_UNLOCK,
};

/* @pid: the root task's pid, or 0 when there is none yet. */
int run_scripts(enum script_action act, pid_t pid);

#endif /* CRIU_ACTION_SCRIPTS_H */
