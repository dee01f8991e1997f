/*
 * The task-state block of the restorer: what criu prepares (in
 * criu/task-state-restore.c, restorer_state_prepare()) and the restorer
 * applies from inside the restored task (criu/pie/restorer-state.c), just
 * before rt_sigreturn.
 *
 * The block is one flat area with no pointers: variable parts (threads,
 * POSIX timers, pending signals, groups, seccomp filters) are arrays at
 * byte offsets from the start of the area, so the block can be copied
 * anywhere (criu fills it in its own memory, the restorer reads it where
 * it was mapped).  Every offset is 8-byte aligned.  Only <stdint.h> types:
 * this header is shared by hosted criu code and the freestanding restorer.
 *
 * Order inside the restorer (see restorer-state.c for why):
 *   rst_apply_task_state(): drop signals criu's restore left pending,
 *	task-wide limits and timers, then the leader's
 *	thread state (rst_apply_thread_state(area, 0)), then the mm's dumpable
 *	flag and the process-wide pending signals;
 *   rst_apply_thread_state(area, i): scheduling, rseq, robust list,
 *	clear_child_tid, comm, timer slack, sigaltstack, credentials, pdeath
 *	signal, no_new_privs, the thread's own pending signals;
 *   rst_apply_seccomp(area, i): seccomp, the very last (see below).
 */
#ifndef CRIU_PIE_RESTORER_STATE_H
#define CRIU_PIE_RESTORER_STATE_H

#include <stdint.h>

#define RST_STATE_MAGIC	  0x54534b54u /* "TKST" */
#define RST_STATE_VERSION 1

#define RST_NR_RLIMITS	 16  /* RLIM_NLIMITS */
#define RST_SIGINFO_SIZE 128 /* sizeof(siginfo_t) */
#define RST_CAP_WORDS	 2   /* 64 capability bits */

/* rt_sigaction()'s struct for x86_64 (handler, flags, restorer, mask). */
struct rst_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct rst_rlimit {
	uint64_t cur;
	uint64_t max;
};

/* struct itimerval: interval, then value. */
struct rst_itimer {
	int64_t isec, iusec;
	int64_t vsec, vusec;
};

struct rst_posix_timer {
	int32_t id;	/* the timer id the task knows */
	int32_t clock;	/* clockid_t, also CPU clocks (negative) */
	int32_t notify; /* SIGEV_* (with SIGEV_THREAD_ID) */
	int32_t signo;
	int32_t tid;	     /* SIGEV_THREAD_ID target */
	uint32_t armed;	     /* 0: leave disarmed */
	uint64_t sival;	     /* sigev_value */
	int64_t isec, insec; /* struct itimerspec: interval */
	int64_t vsec, vnsec; /*                    remaining */
};

struct rst_creds {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	uint32_t secbits;
	uint32_t nr_groups;
	uint64_t groups_off; /* uint32_t[nr_groups] */
	uint32_t cap_inh[RST_CAP_WORDS];
	uint32_t cap_prm[RST_CAP_WORDS];
	uint32_t cap_eff[RST_CAP_WORDS];
	uint32_t cap_amb[RST_CAP_WORDS];
	uint64_t bnd_drop; /* capabilities to drop from the bounding set */
};

struct rst_seccomp_filter {
	uint32_t flags; /* SECCOMP_FILTER_FLAG_* to load it with */
	uint32_t len;	/* struct sock_filter count */
	uint64_t off;	/* the instructions (8 bytes each) */
};

/* rst_thread_state.flags */
#define RST_T_CREDS	 (1u << 0)
#define RST_T_RSEQ	 (1u << 1)
#define RST_T_SCHED	 (1u << 2)
#define RST_T_TIMERSLACK (1u << 3)
#define RST_T_NNP	 (1u << 4)
#define RST_T_SAS	 (1u << 5)

struct rst_thread_state {
	int32_t tid;
	uint32_t flags;
	uint64_t clear_tid_addr;
	uint64_t robust_head;
	uint64_t robust_len;
	uint64_t rseq_ptr;
	uint32_t rseq_len;
	uint32_t rseq_sig;
	int32_t sched_policy; /* with SCHED_RESET_ON_FORK */
	int32_t sched_prio;
	int32_t sched_nice;
	uint32_t pdeath_sig;
	uint64_t timerslack;
	uint64_t ss_sp, ss_size; /* sigaltstack */
	int32_t ss_flags;
	uint32_t pad0;
	char comm[16];
	struct rst_creds creds;
	uint32_t seccomp_mode; /* SECCOMP_MODE_* */
	uint32_t nr_seccomp;
	uint64_t seccomp_off; /* rst_seccomp_filter[nr_seccomp], oldest first */
	uint32_t nr_signals;
	uint32_t pad;
	uint64_t signals_off; /* RST_SIGINFO_SIZE each, oldest first */
};

/* rst_task_state.flags */
#define RST_TASK_SIGCHLD  (1u << 0) /* set SIGCHLD's action at the end */
#define RST_TASK_DUMPABLE (1u << 1)

/* Where rst_apply_*() failed (rst_task_state.err_step). */
enum rst_step {
	RST_STEP_NONE = 0,
	RST_STEP_BAD_AREA,
	RST_STEP_RLIMIT,
	RST_STEP_ITIMER,
	RST_STEP_TIMER_IDS,
	RST_STEP_TIMER_CREATE,
	RST_STEP_TIMER_SET,
	RST_STEP_MEMBARRIER,
	RST_STEP_SIGCHLD,
	RST_STEP_SCHED,
	RST_STEP_RSEQ,
	RST_STEP_ROBUST_LIST,
	RST_STEP_COMM,
	RST_STEP_TIMERSLACK,
	RST_STEP_SIGALTSTACK,
	RST_STEP_GROUPS,
	RST_STEP_SECUREBITS,
	RST_STEP_SETGID,
	RST_STEP_SETUID,
	RST_STEP_CAPBSET,
	RST_STEP_CAPSET,
	RST_STEP_AMBIENT,
	RST_STEP_PDEATHSIG,
	RST_STEP_NO_NEW_PRIVS,
	RST_STEP_DUMPABLE,
	RST_STEP_SIGNALS,
	RST_STEP_SECCOMP,
	RST_STEP_MAX,
};

struct rst_task_state {
	uint32_t magic;
	uint32_t version;
	uint64_t size; /* of the whole area */
	uint32_t flags;
	uint32_t nr_threads;
	uint64_t threads_off; /* rst_thread_state[nr_threads]; [0] is the leader */

	uint32_t nr_rlimits;
	uint32_t membarrier; /* MEMBARRIER_CMD_REGISTER_* bits to register */
	struct rst_rlimit rlimits[RST_NR_RLIMITS];
	struct rst_itimer itimers[3]; /* REAL, VIRTUAL, PROF */
	uint32_t nr_timers;
	int32_t dumpable;
	uint64_t timers_off; /* rst_posix_timer[nr_timers] */
	struct rst_sigaction sigchld;
	uint32_t nr_signals; /* process-wide pending */
	uint32_t pad;
	uint64_t signals_off;

	/* Written by the restorer when a step fails. */
	int32_t err_step; /* enum rst_step */
	int32_t err_code; /* -errno of the failed call */
	int32_t err_arg;  /* which limit, timer, signal, capability... */
	int32_t pad2;
};

/*
 * Restorer side (freestanding).  Each returns 0 or the -errno of the call
 * that failed, after noting the step in area->err_step/err_code/err_arg.
 * Call them with every signal blocked, once the task's memory is in place
 * (rseq, robust list and handlers point into it), from the thread they are
 * for: rst_apply_task_state() and rst_apply_seccomp(area, 0) from the
 * leader, rst_apply_thread_state(area, i) and rst_apply_seccomp(area, i)
 * from thread i (each thread in itself, side by side: the first failure
 * is the one err_* tells).
 *
 * rst_apply_seccomp() must come last: once it returned, only the syscalls
 * the task's filters allow work (in strict mode: read, write, _exit and
 * rt_sigreturn), unless criu holds the task with PTRACE_O_SUSPEND_SECCOMP.
 */
int rst_apply_task_state(void *area);
int rst_apply_thread_state(void *area, unsigned int idx);
int rst_apply_seccomp(void *area, unsigned int idx);
/* Thread @idx's seccomp mode (0: none), to know whether it may still make syscalls. */
uint32_t rst_thread_seccomp_mode(const void *area, unsigned int idx);

#endif /* CRIU_PIE_RESTORER_STATE_H */
