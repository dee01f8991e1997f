/*
 * Shared by the task-state sources (task-state-dump.c, task-state-restore.c,
 * task-state-seccomp.c); not for the rest of criu.
 */
#ifndef CRIU_TASK_STATE_INT_H
#define CRIU_TASK_STATE_INT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "task-state.h"

#include "seccomp.pb-c.h"

/* The signals with an action of their own: every one but SIGKILL, SIGSTOP. */
#define TS_NSIG 64
static inline bool ts_sig_has_action(int sig)
{
	return sig != SIGKILL && sig != SIGSTOP;
}

/* The kernel's timer slack of a task that never set one (ns). */
#define TS_DEFAULT_TIMERSLACK 50000

/* Longest seccomp chain one thread may have (the kernel's limit is memory). */
#define TS_MAX_SECCOMP_CHAIN 512

/* One timer of /proc/PID/timers. */
struct proc_timer {
	int id, signo, notify, tid, clock;
	uint64_t sival;
};
/* Parse the text of /proc/PID/timers: *@out (malloc'ed), *@nr; -EINVAL, -ENOMEM. */
int ts_parse_proc_timers(const char *text, struct proc_timer **out, unsigned int *nr) __must_check;

/*
 * An optional uint64 field @name of protobuf message @msg, if the schema
 * has it (timer slack: see Documentation/task-state.md).  False when the
 * field does not exist (or, for get, is not set).
 */
bool ts_pb_set_u64(void *msg, const char *name, uint64_t v);
bool ts_pb_get_u64(const void *msg, const char *name, uint64_t *v);

int seccomp_dump_filters(pid_t tid, unsigned int *top) __must_check;
int seccomp_rst_chain(unsigned int top, const SeccompFilter **out, unsigned int max) __must_check;

#endif /* CRIU_TASK_STATE_INT_H */
