/*
 * criu's dump parasite: runs inside the seized task (compel's runtime calls
 * parasite_command() with all signals blocked) and reads what only the
 * task can tell about itself.  No libc: raw syscalls from compel's std.h.
 */
#include "std.h"
#include "parasite-cmds.h"

#define __NR_rt_sigaction 13
#define __NR_sigaltstack  131
#define __NR_getitimer	  36
#define __NR_personality  135
#define __NR_prlimit64	  302
#define __NR_brk	  12

#define PR_GET_PDEATHSIG       2
#define PR_GET_DUMPABLE	       3
#define PR_GET_TIMERSLACK      30
#define PR_GET_SECUREBITS      27
#define PR_GET_TID_ADDRESS     40
#define PR_GET_CHILD_SUBREAPER 37
#define PR_GET_NO_NEW_PRIVS    39
#define PR_GET_THP_DISABLE     42

struct k_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

static long sys(long nr, long a1, long a2, long a3, long a4)
{
	return __syscall6(nr, a1, a2, a3, a4, 0, 0);
}

static int task_state(struct parasite_task_state *s)
{
	struct k_stack ss;
	long r;

	for (int i = 0; i < PARASITE_NSIG; i++) {
		if (i + 1 == 9 || i + 1 == 19) /* SIGKILL, SIGSTOP: no action of their own */
			continue;
		r = sys(__NR_rt_sigaction, i + 1, 0, (long)&s->sa[i], 8);
		if (r)
			return (int)r;
	}
	for (int i = 0; i < 3; i++) {
		r = sys(__NR_getitimer, i, (long)&s->itimers[i], 0, 0);
		if (r)
			return (int)r;
	}
	s->rlimit_ret = 0;
	for (int i = 0; i < PARASITE_NRLIMITS; i++) {
		r = sys(__NR_prlimit64, 0, i, 0, (long)&s->rlimits[i]);
		if (r)
			s->rlimit_ret = (int32_t)r;
	}
	s->personality = (int32_t)sys(__NR_personality, 0xffffffff, 0, 0, 0);
	s->tid_address_ret = (int32_t)sys_prctl(PR_GET_TID_ADDRESS, (unsigned long)&s->tid_address, 0, 0, 0);
	s->pdeath_sig = 0;
	r = sys_prctl(PR_GET_PDEATHSIG, (unsigned long)&s->pdeath_sig, 0, 0, 0);
	if (r)
		return (int)r;
	s->dumpable = (int32_t)sys_prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	s->child_subreaper = 0;
	sys_prctl(PR_GET_CHILD_SUBREAPER, (unsigned long)&s->child_subreaper, 0, 0, 0);
	s->securebits = (int32_t)sys_prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	s->no_new_privs = (int32_t)sys_prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	s->thp_disabled = (int32_t)sys_prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	s->timerslack = (uint64_t)sys_prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	s->brk = (uint64_t)sys(__NR_brk, 0, 0, 0, 0);
	r = sys(__NR_sigaltstack, 0, (long)&ss, 0, 0);
	if (r)
		return (int)r;
	s->ss_sp = ss.sp;
	s->ss_size = ss.size;
	s->ss_flags = ss.flags;
	return 0;
}

int parasite_command(unsigned int cmd, void *args, unsigned long size)
{
	switch (cmd) {
	case PARASITE_CMD_TASK_STATE:
		if (size < sizeof(struct parasite_task_state))
			return -22;
		memset(args, 0, sizeof(struct parasite_task_state));
		return task_state(args);
	}
	return -38; /* ENOSYS */
}
