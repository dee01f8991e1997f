/*
 * compel: run code inside another task, held stopped under ptrace (x86_64).
 *
 * How to use:
 *  1. compel_seize(pid, 0, &ctl) stops every thread of process @pid with
 *     PTRACE_SEIZE + PTRACE_INTERRUPT (repeated until no new thread shows up)
 *     and saves each thread's registers, extended state, blocked mask and
 *     pending signals.  compel_task(ctl)->state says whether the task was
 *     running, stopped by a stop signal, or is a zombie (nothing is seized
 *     then, and only step 6 applies).
 *  2. compel_thread(ctl, i) gives thread i's tid and saved state (thread 0 is
 *     the leader); compel_set_regs() and compel_set_xstate() replace them.
 *  3. compel_syscall(ctl, i, nr, &ret, args) runs one syscall in thread i;
 *     every register is put back afterwards, and a thread stopped inside a
 *     blocking syscall still restarts it exactly as the kernel would.
 *  4. compel_regs_restartable() turns saved registers into the ones to load
 *     on restore (the restart the kernel would have done is applied).
 *  5. compel_infect(ctl, &blob, args_size) maps memory shared with the task,
 *     loads a parasite blob (made by compel-hgen, see compel/README.md)
 *     and starts its runtime in the leader.  compel_rpc() runs a command of
 *     the blob in any thread, with its input and output in compel_args();
 *     compel_get_fds() and compel_dump_pages() are built in.
 *     compel_cure(ctl) stops the parasite, unmaps it and restores every
 *     thread it ran in.
 *  6. compel_release(ctl) detaches from every thread, leaving each as it was
 *     (a stopped task stays stopped), and frees @ctl.  Always call it, also
 *     after an error.
 *
 * Errors: every call returns 0 (or a count) or -errno, and says why once
 * through the log function given to compel_log_init().  A task that dies
 * while seized makes later calls fail with -ESRCH; release still works and
 * collects its threads (if the caller is also the task's parent, the exit
 * status is collected by compel too).  Not thread-safe: one caller thread.
 */
#ifndef COMPEL_H
#define COMPEL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>

#ifndef __must_check
#define __must_check __attribute__((warn_unused_result))
#endif

struct parasite_ctl;

/* ------------------------------------------------------------------ log */
enum {
	COMPEL_LOG_ERROR = 1,
	COMPEL_LOG_WARN = 2,
	COMPEL_LOG_INFO = 3,
	COMPEL_LOG_DEBUG = 4,
};
/* @msg is one formatted line ending in "\n"; @file:@line is where it was said. */
typedef void (*compel_log_fn)(int level, const char *file, int line, const char *msg);
/* @fn NULL restores the default (stderr); messages above @level are dropped. */
void compel_log_init(compel_log_fn fn, int level);

/* ------------------------------------------------------------ seize */
enum compel_task_state {
	COMPEL_TASK_ALIVE = 1, /* running or sleeping when seized */
	COMPEL_TASK_STOPPED,   /* in a group stop (SIGSTOP, SIGTSTP...) */
	COMPEL_TASK_ZOMBIE,    /* dead, not reaped: no thread is seized */
};

typedef struct user_regs_struct compel_regs_t;

struct compel_thread_info {
	pid_t tid;
	compel_regs_t regs; /* as the thread stopped: -ERESTART* kept raw */
	const void *xstate; /* NT_X86_XSTATE: XSAVE layout, x87 to AVX-512 */
	size_t xstate_size;
	uint64_t sigmask;	  /* blocked signals, bit N-1 for signal N */
	const siginfo_t *pending; /* queued for this thread only, oldest first */
	unsigned int nr_pending;
};

struct compel_task_info {
	pid_t pid;
	enum compel_task_state state;
	unsigned int nr_threads;
	const siginfo_t *shared_pending; /* queued for the whole process */
	unsigned int nr_shared_pending;
};

/*
 * Seize process @pid (a thread group id), all its threads.  @flags must be 0.
 * -ESRCH: no such process; -EPERM: kernel thread or not allowed; -EBUSY:
 * another tracer holds it (the log names the tracer's pid); -EINVAL: @pid is
 * a thread, not a process, or criu itself.
 */
int compel_seize(pid_t pid, unsigned int flags, struct parasite_ctl **ctl) __must_check;
/* Detach from every thread and free @ctl (NULL is fine).  0 or the first error. */
int compel_release(struct parasite_ctl *ctl);

const struct compel_task_info *compel_task(const struct parasite_ctl *ctl) __must_check;
/* Thread @i (0 = leader) of the seized task; NULL when @i is out of range. */
const struct compel_thread_info *compel_thread(const struct parasite_ctl *ctl, unsigned int i) __must_check;

/* Write thread @i's registers / extended state now; they become the saved ones. */
int compel_set_regs(struct parasite_ctl *ctl, unsigned int i, const compel_regs_t *regs) __must_check;
int compel_set_xstate(struct parasite_ctl *ctl, unsigned int i, const void *buf, size_t size) __must_check;
/*
 * Write thread @i's blocked-signal mask (SIGKILL and SIGSTOP are ignored).
 * Note: the kernel then forgets a mask that sigsuspend, ppoll or pselect was
 * to put back when the interrupted call ends, so only use it where the saved
 * mask is meant to stay (restore), never to "put back" what was read.
 */
int compel_set_sigmask(struct parasite_ctl *ctl, unsigned int i, uint64_t mask) __must_check;

/* ---------------------------------------------------- remote syscalls */
/*
 * Run syscall @nr with @args in thread @i; *@ret gets what it returned (a
 * value or -errno, as the raw syscall gives it).  The thread's registers are
 * put back after.  A signal delivered to the thread before the syscall could
 * run is handled by the task first (as if it came a moment before the seize);
 * the thread's saved state is then refreshed.  0, or -errno when the syscall
 * could not be run (-ESRCH: the task died).
 */
int compel_syscall(struct parasite_ctl *ctl, unsigned int i, long nr, long *ret,
		   const unsigned long args[6]) __must_check;

/*
 * Registers to load when this thread is restored later: a thread stopped in
 * an interrupted syscall gets the restart the kernel would have done
 * (-ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND: ip back onto the syscall
 * instruction and the syscall number in ax; -ERESTART_RESTARTBLOCK: the same
 * with restart_syscall, which returns -EINTR in a restored task since its
 * restart data stays in the kernel).  Returns 1 when @regs were changed, else 0.
 */
int compel_regs_restartable(compel_regs_t *regs);

/* ---------------------------------------------------- parasite blobs */
/* A blob, as the header compel-hgen generates describes it. */
struct compel_blob {
	const void *image; /* code and data, linked at address 0 */
	size_t size;
	size_t bss_size;	/* zeroed bytes after the image */
	size_t entry;		/* offset of the runtime's entry */
	const uint32_t *relocs; /* offsets of 64-bit words to add the load address to */
	unsigned int nr_relocs;
};

/*
 * Load @blob into the task and start its runtime in the leader, with
 * @args_size bytes of argument area shared between criu and the parasite.
 * Everything it did is undone if it fails.  The leader rests no more until
 * compel_cure(): compel_syscall() works in the other threads only.
 */
int compel_infect(struct parasite_ctl *ctl, const struct compel_blob *blob, size_t args_size) __must_check;
/* The argument area as mapped here (the parasite sees the same bytes). */
void *compel_args(struct parasite_ctl *ctl) __must_check;
/*
 * Run the blob's command @cmd (>= COMPEL_CMD_USER) in thread @i with what
 * compel_args() holds; *@ret is what parasite_command() returned.
 */
int compel_rpc(struct parasite_ctl *ctl, unsigned int i, unsigned int cmd, int *ret) __must_check;
/* The task's fds @fds[0..@nr) as new fds of ours in @out (SCM_RIGHTS). */
int compel_get_fds(struct parasite_ctl *ctl, const int *fds, unsigned int nr, int *out) __must_check;
/* Write the task's memory @iov[0..@nr) to @fd: vmsplice there, splice here. */
int compel_dump_pages(struct parasite_ctl *ctl, const struct iovec *iov, unsigned int nr, int fd) __must_check;
/*
 * What infection added to the task, for a dump to leave out: the runtime's
 * socket (an fd of the task) and the shared area.  -EINVAL if not infected.
 */
int compel_parasite_traces(const struct parasite_ctl *ctl, int *fd, unsigned long *addr, size_t *size) __must_check;
/* Stop the parasite, unmap all infection mapped, restore the threads it ran in. */
int compel_cure(struct parasite_ctl *ctl) __must_check;

#endif /* COMPEL_H */
