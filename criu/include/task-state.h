/*
 * Task state: everything of a task that is neither memory, registers nor
 * files: signal actions, blocked and pending signals, sigaltstack,
 * credentials, rlimits, personality, comm, pdeath signal, child subreaper,
 * timer slack, no_new_privs, dumpable, loginuid, oom_score_adj, rseq,
 * robust futex list, clear_child_tid, itimers, POSIX timers, scheduling,
 * membarrier registrations and seccomp.  Documentation/task-state.md lists
 * each with where it is stored and how it comes back.
 *
 * How to use (dump, in cr-dump.c):
 *  1. With the task seized and its PARASITE_CMD_TASK_STATE answer @pts in
 *     hand (criu/pie/parasite.c: signal actions, itimers, limits,
 *     personality, tid address, pdeath signal, subreaper, securebits,
 *     timer slack, sigaltstack), the leader NOT infected at the time of the
 *     call (before compel_infect() or after compel_cure(): POSIX timers
 *     and membarrier registrations are read with remote syscalls in the
 *     leader), and after core->thread_info->gpregs are filled (an ip inside
 *     an rseq critical section is moved to its abort handler there):
 *	dump_task_state(ctl, pts, arena, core)
 *     @core: core->tc, core->thread_core and core->thread_info allocated by
 *     the caller; this fills the fields listed below, with every message
 *     they point to allocated from @arena (freed with it).  Refusals
 *     (-EOPNOTSUPP, logged with the reason): SCHED_DEADLINE, seccomp filters the restorer could not load again (no
 *     no_new_privs and no CAP_SYS_ADMIN), an LSM label, unknown membarrier
 *     registrations.  The task is untouched either way (the scratch page
 *     mapped in it to read POSIX timers is unmapped before returning).
 *     Other threads: dump_thread_state(ctl, i, pts_of_i, arena, core_i)
 *     with thread i's own PARASITE_CMD_TASK_STATE answer and
 *     core_i->thread_info filled first (core-dump.c, threads.h).
 *  2. task_state_dump_finish(dir) once after every task: writes
 *     seccomp.img (always, as CRIU does, empty when no task has filters).
 *
 * Fields filled by dump_task_state():
 *   tc: personality, flags, blk_sigset, comm, timers, rlimits, signals_s,
 *	loginuid, oom_score_adj, sigactions, child_subreaper,
 *	membarrier_registration_mask (when nonzero).  NOT task_state,
 *	exit_code, stop_signo, cg_set: the caller's.
 *   thread_core: futex_rla(_len), sched_nice/policy/prio, sas, pdeath_sig,
 *	signals_p, creds, seccomp_mode/filter, comm, rseq_entry, and for
 *	threads but the leader blk_sigset.
 *   thread_info: clear_tid_addr (and gpregs->ip, see step 1).
 *   Not mm->dumpable nor mm->thp_disabled: the caller has them in @pts.
 *
 * How to use (restore, cr-restore.c):
 *  1. task_state_collect(dir) once: reads seccomp.img.
 *  2. In the restored child, with every signal blocked, before the files
 *     and the restorer: restore_task_state_early(core).  It drops criu's own
 *     rseq registration (the child inherited glibc's: it would point into
 *     memory the restorer unmaps), then sets what does not depend on the
 *     final memory nor on credentials: personality, child subreaper,
 *     loginuid, oom_score_adj and every signal action but SIGCHLD's (the
 *     handlers' addresses are the restored task's: from here on no handler
 *     of criu's may run, hence the blocked signals).  Limits the kernel
 *     refuses (oom_score_adj lowered without CAP_SYS_RESOURCE, loginuid)
 *     are logged as warnings, not errors.
 *  3. restorer_state_size(cores, n) bytes for the restorer's argument area,
 *     restorer_state_prepare(cores, n, mm, area, size) fills it (checks
 *     what the restorer cannot do — capabilities criu lacks, POSIX timer
 *     ids on a kernel without PR_TIMER_CREATE_RESTORE_IDS — and fails
 *     early, logged; clamps rlimits above criu's hard limits, with a
 *     warning).  @cores[0] is the leader's core; n is the thread count.
 *  4. In the restorer (criu/pie/restorer-state.c, freestanding, linked
 *     into the restorer blob), after the memory is in place, with every
 *     signal still blocked: rst_apply_task_state(area), then as late as
 *     possible rst_apply_seccomp(area, 0): after it only the syscalls the
 *     task's filters allow work (strict mode: read, write, exit,
 *     rt_sigreturn) unless criu holds the task with
 *     PTRACE_O_SUSPEND_SECCOMP (compel sets it when /proc shows seccomp).
 *     On failure, restorer_state_error() turns area->err_* into a message.
 *  5. The blocked mask is the caller's to load at the very end (with the
 *     registers: compel_set_sigmask(), or for a restorer ending in
 *     rt_sigreturn, task_state_sigframe() gives uc_sigmask and uc_stack).
 *
 * The pdeath signal fires when the task's parent exits: with restore -d the
 * task must not be the child of a criu that exits after the restorer set
 * it (cr-restore.c clones it from a helper that exits first).
 */
#ifndef CRIU_TASK_STATE_H
#define CRIU_TASK_STATE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "core.pb-c.h"
#include "mm.pb-c.h"

struct parasite_ctl;
struct parasite_task_state;
struct arena;
struct img_dir;

/* ------------------------------------------------------------ dump */
int dump_task_state(struct parasite_ctl *ctl, const struct parasite_task_state *pts, struct arena *a,
		    CoreEntry *core) __must_check;
/* Thread @idx of a seized task: thread_core and thread_info only. */
int dump_thread_state(struct parasite_ctl *ctl, unsigned int idx, const struct parasite_task_state *pts,
		      struct arena *a, CoreEntry *core) __must_check;
int task_state_dump_finish(struct img_dir *dir) __must_check;

/* ------------------------------------------------------------ restore */
int task_state_collect(struct img_dir *dir) __must_check;
int restore_task_state_early(const CoreEntry *core) __must_check;
size_t restorer_state_size(CoreEntry *const *cores, unsigned int nr);
int restorer_state_prepare(CoreEntry *const *cores, unsigned int nr, const MmEntry *mm, void *area,
			   size_t size) __must_check;
/* A message for a failed rst_apply_*() ("setresuid: Operation not permitted"). */
const char *restorer_state_error(const void *area, char *buf, size_t len);

/* Blocked mask and sigaltstack of a thread, for its rt_sigframe. */
void task_state_sigframe(const CoreEntry *core, bool leader, uint64_t *sigmask, stack_t *ss);

#endif /* CRIU_TASK_STATE_H */
