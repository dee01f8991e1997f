/*
 * Commands of criu's dump parasite (criu/pie/parasite.c), shared by criu
 * and the blob: fixed-width types only, no libc.
 *
 * PARASITE_CMD_TASK_STATE asks the task, from inside, for everything /proc
 * does not show about it; the answer fills struct parasite_task_state in
 * the argument area.  Each item carries the syscall's own result (0 or
 * -errno) where it may legitimately fail, so criu decides what to do.
 */
#ifndef CRIU_PARASITE_CMDS_H
#define CRIU_PARASITE_CMDS_H

#include <stdint.h>

#define PARASITE_CMD_TASK_STATE 64 /* COMPEL_CMD_USER */

#define PARASITE_NSIG	  64
#define PARASITE_NRLIMITS 16

/* The kernel's struct sigaction on x86_64 (rt_sigaction). */
struct parasite_ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct parasite_timeval {
	int64_t sec, usec;
};

struct parasite_itimer {
	struct parasite_timeval interval, value;
};

struct parasite_rlimit {
	uint64_t cur, max;
};

struct parasite_task_state {
	struct parasite_ksigaction sa[PARASITE_NSIG]; /* sa[i]: signal i + 1 */
	struct parasite_itimer itimers[3];	      /* real, virtual, prof */
	struct parasite_rlimit rlimits[PARASITE_NRLIMITS];
	int32_t rlimit_ret;
	int32_t personality;
	uint64_t tid_address;
	int32_t tid_address_ret;
	int32_t pdeath_sig;
	int32_t dumpable;
	int32_t child_subreaper;
	int32_t securebits;
	int32_t no_new_privs;
	int32_t thp_disabled;
	int32_t pad;
	uint64_t timerslack;
	uint64_t brk;
	uint64_t ss_sp; /* sigaltstack */
	uint64_t ss_size;
	int32_t ss_flags;
	int32_t pad2;
};

#endif /* CRIU_PARASITE_CMDS_H */
