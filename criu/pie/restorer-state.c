/*
 * The restorer's last steps inside the restored task: limits, timers,
 * membarrier registrations, scheduling, rseq, robust list, clear_child_tid,
 * comm, timer slack, sigaltstack, credentials, pdeath signal,
 * no_new_privs, dumpable,
 * pending signals, SIGCHLD's action and, last of all, seccomp.  The block
 * it reads is laid out by criu (criu/task-state-restore.c, see
 * include/restorer-state.h).
 *
 * Freestanding: no libc, raw syscalls only, nothing global, no memcpy.
 * Every signal is blocked while this runs (the restorer's duty), so the
 * signals queued here stay pending until rt_sigreturn loads the task's own
 * mask, and a timer that fires meanwhile only queues its signal.  What was
 * pending before (left by criu's own restore work) is dropped first.
 *
 * Ordering constraints:
 *  - rlimits and scheduling before the credentials: afterwards criu's
 *    privileges (CAP_SYS_NICE...) are gone;
 *  - credentials: groups, then with SECBIT_NO_SETUID_FIXUP (capabilities
 *    survive uid changes) gids and uids, then the inheritable set while
 *    the bounding set still allows it, ambient raises (they need the cap
 *    in permitted and inheritable, and no NO_CAP_AMBIENT_RAISE yet), the
 *    bounding set and the securebits (both need CAP_SETPCAP, so kept in
 *    the sets until here), and the final capset;
 *  - pdeath signal and dumpable after the credentials: a credential change
 *    resets both (dumpable is the mm's: the restorer runs the other
 *    threads' rst_apply_thread_state() to the end before the leader's
 *    rst_apply_task_state(), so it comes after every thread's credentials);
 *  - the process-wide pending signals from the leader: only a thread whose
 *    tid is the pid may queue a signal with a kernel si_code for it;
 *  - seccomp last, on its own (rst_apply_seccomp).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/restorer-state.h"
#include "../../compel/arch/x86/plugins/syscall-arch.h"

#define RST_NR_rt_sigaction	  13
#define RST_NR_rt_sigtimedwait	  128
#define RST_NR_setitimer	  38
#define RST_NR_sigaltstack	  131
#define RST_NR_getpid		  39
#define RST_NR_setgroups	  116
#define RST_NR_setresuid	  117
#define RST_NR_setresgid	  119
#define RST_NR_setfsuid		  122
#define RST_NR_setfsgid		  123
#define RST_NR_capset		  126
#define RST_NR_rt_sigqueueinfo	  129
#define RST_NR_setpriority	  141
#define RST_NR_sched_setscheduler 144
#define RST_NR_prctl		  157
#define RST_NR_gettid		  186
#define RST_NR_set_tid_address	  218
#define RST_NR_timer_create	  222
#define RST_NR_timer_settime	  223
#define RST_NR_set_robust_list	  273
#define RST_NR_rt_tgsigqueueinfo  297
#define RST_NR_prlimit64	  302
#define RST_NR_seccomp		  317
#define RST_NR_membarrier	  324
#define RST_NR_rseq		  334

#define RST_PR_SET_PDEATHSIG		1
#define RST_PR_SET_DUMPABLE		4
#define RST_PR_SET_NAME			15
#define RST_PR_SET_SECCOMP		22
#define RST_PR_CAPBSET_DROP		24
#define RST_PR_SET_SECUREBITS		28
#define RST_PR_SET_TIMERSLACK		29
#define RST_PR_SET_NO_NEW_PRIVS		38
#define RST_PR_CAP_AMBIENT		47
#define RST_PR_CAP_AMBIENT_RAISE	2
#define RST_PR_CAP_AMBIENT_CLEAR_ALL	4
#define RST_PR_TIMER_CREATE_RESTORE_IDS 77

#define RST_SECBIT_NO_SETUID_FIXUP  (1u << 2)
#define RST_CAP_SETPCAP		    8
#define RST_CAP_VERSION_3	    0x20080522
#define RST_SIGCHLD		    17
#define RST_SECCOMP_MODE_STRICT	    1
#define RST_SECCOMP_MODE_FILTER	    2
#define RST_SECCOMP_SET_MODE_FILTER 1

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	return __syscall6(nr, a, b, c, d, e, f);
}
#define sys(nr, a, b, c, d) sys6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static void *area_at(const struct rst_task_state *ts, uint64_t off)
{
	return (char *)ts + off;
}

static struct rst_thread_state *thread_at(const struct rst_task_state *ts, unsigned int idx)
{
	return (struct rst_thread_state *)area_at(ts, ts->threads_off) + idx;
}

/* The first failure is the one told (threads apply their state side by side). */
static int failed(struct rst_task_state *ts, int step, int arg, long err)
{
	int32_t none = RST_STEP_NONE, code = (int32_t)(err < 0 ? err : -22 /* EINVAL: a wrong answer */);

	if (__atomic_compare_exchange_n(&ts->err_step, &none, step, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		ts->err_arg = arg;
		ts->err_code = code;
	}
	return code;
}

static int valid(const struct rst_task_state *ts)
{
	return ts->magic == RST_STATE_MAGIC && ts->version == RST_STATE_VERSION;
}

/* ------------------------------------------------------------ task-wide */

/*
 * Whatever criu's restore left pending (a SIGPIPE of a file being
 * restored, a SIGCHLD of a helper) is not the task's: take it all before
 * queuing the dumped signals.  Every signal is blocked, so nothing was
 * delivered; rt_sigtimedwait() with a zero timeout dequeues one each call.
 */
static int drain_signals(struct rst_task_state *ts)
{
	uint64_t all = ~0ULL;
	int64_t zero[2] = { 0, 0 };

	for (int i = 0; i < 4096; i++) {
		long r = sys(RST_NR_rt_sigtimedwait, &all, 0, zero, 8);

		if (r == -11 /* EAGAIN: none left */)
			return 0;
		if (r < 0)
			return failed(ts, RST_STEP_SIGNALS, 0, r);
	}
	return failed(ts, RST_STEP_SIGNALS, 0, -16 /* EBUSY: they keep coming */);
}

static int apply_rlimits(struct rst_task_state *ts)
{
	for (unsigned int i = 0; i < ts->nr_rlimits && i < RST_NR_RLIMITS; i++) {
		long r = sys(RST_NR_prlimit64, 0, i, &ts->rlimits[i], 0);

		if (r)
			return failed(ts, RST_STEP_RLIMIT, i, r);
	}
	return 0;
}

static int apply_itimers(struct rst_task_state *ts)
{
	for (int i = 0; i < 3; i++) {
		struct rst_itimer *it = &ts->itimers[i];
		long r;

		if (!it->vsec && !it->vusec)
			continue; /* disarmed */
		r = sys(RST_NR_setitimer, i, it, 0, 0);
		if (r)
			return failed(ts, RST_STEP_ITIMER, i, r);
	}
	return 0;
}

/* The kernel's struct sigevent: 64 bytes. */
struct k_sigevent {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	int32_t pad[11];
};

static int apply_posix_timers(struct rst_task_state *ts)
{
	struct rst_posix_timer *t = area_at(ts, ts->timers_off);
	long r;

	if (!ts->nr_timers)
		return 0;
	/* timer_create() then takes the id it is given (Linux 6.15) */
	r = sys(RST_NR_prctl, RST_PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0);
	if (r)
		return failed(ts, RST_STEP_TIMER_IDS, 1, r);
	for (unsigned int i = 0; i < ts->nr_timers; i++) {
		struct k_sigevent sev = { .value = t[i].sival, .signo = t[i].signo, .notify = t[i].notify };
		int32_t id = t[i].id;

		sev.tid = t[i].tid;
		r = sys(RST_NR_timer_create, t[i].clock, &sev, &id, 0);
		if (!r && id != t[i].id)
			r = -22;
		if (r) {
			sys(RST_NR_prctl, RST_PR_TIMER_CREATE_RESTORE_IDS, 0, 0, 0);
			return failed(ts, RST_STEP_TIMER_CREATE, t[i].id, r);
		}
	}
	r = sys(RST_NR_prctl, RST_PR_TIMER_CREATE_RESTORE_IDS, 0, 0, 0);
	if (r)
		return failed(ts, RST_STEP_TIMER_IDS, 0, r);
	for (unsigned int i = 0; i < ts->nr_timers; i++) {
		if (!t[i].armed)
			continue;
		r = sys(RST_NR_timer_settime, t[i].id, 0, &t[i].isec, 0);
		if (r)
			return failed(ts, RST_STEP_TIMER_SET, t[i].id, r);
	}
	return 0;
}

static int apply_membarrier(struct rst_task_state *ts)
{
	for (int b = 0; b < 32; b++) {
		long r;

		if (!(ts->membarrier & (1u << b)))
			continue;
		r = sys(RST_NR_membarrier, 1u << b, 0, 0, 0);
		if (r)
			return failed(ts, RST_STEP_MEMBARRIER, b, r);
	}
	return 0;
}

static int queue_signals(struct rst_task_state *ts, uint64_t off, unsigned int nr, int shared)
{
	long pid = sys(RST_NR_getpid, 0, 0, 0, 0), tid = sys(RST_NR_gettid, 0, 0, 0, 0);

	for (unsigned int i = 0; i < nr; i++) {
		char *si = (char *)area_at(ts, off) + (size_t)i * RST_SIGINFO_SIZE;
		int32_t signo = *(int32_t *)si; /* si_signo comes first */
		long r;

		if (shared)
			r = sys(RST_NR_rt_sigqueueinfo, pid, signo, si, 0);
		else
			r = sys6(RST_NR_rt_tgsigqueueinfo, pid, tid, signo, (long)si, 0, 0);
		if (r)
			return failed(ts, RST_STEP_SIGNALS, signo, r);
	}
	return 0;
}

/* ------------------------------------------------------------ per thread */

struct k_cap_header {
	uint32_t version;
	int32_t pid;
};

struct k_cap_data {
	uint32_t eff, prm, inh;
};

/* capset() of the three sets, with @extra (capabilities 0-31) added to permitted and effective */
static long capset3(const uint32_t *eff, const uint32_t *prm, const uint32_t *inh, uint32_t extra)
{
	struct k_cap_header h = { RST_CAP_VERSION_3, 0 };
	struct k_cap_data d[2] = {
		{ eff[0] | extra, prm[0] | extra, inh[0] },
		{ eff[1], prm[1], inh[1] },
	};

	return sys(RST_NR_capset, &h, d, 0, 0);
}

static int apply_creds(struct rst_task_state *ts, struct rst_creds *c)
{
	long r;

	r = sys(RST_NR_setgroups, c->nr_groups, area_at(ts, c->groups_off), 0, 0);
	if (r)
		return failed(ts, RST_STEP_GROUPS, c->nr_groups, r);
	r = sys(RST_NR_prctl, RST_PR_SET_SECUREBITS, RST_SECBIT_NO_SETUID_FIXUP, 0, 0);
	if (r)
		return failed(ts, RST_STEP_SECUREBITS, RST_SECBIT_NO_SETUID_FIXUP, r);

	r = sys(RST_NR_setresgid, c->gid, c->egid, c->sgid, 0);
	if (r)
		return failed(ts, RST_STEP_SETGID, c->gid, r);
	sys(RST_NR_setfsgid, c->fsgid, 0, 0, 0);
	if ((uint32_t)sys(RST_NR_setfsgid, -1, 0, 0, 0) != c->fsgid)
		return failed(ts, RST_STEP_SETGID, c->fsgid, -1);
	r = sys(RST_NR_setresuid, c->uid, c->euid, c->suid, 0);
	if (r)
		return failed(ts, RST_STEP_SETUID, c->uid, r);
	sys(RST_NR_setfsuid, c->fsuid, 0, 0, 0);
	if ((uint32_t)sys(RST_NR_setfsuid, -1, 0, 0, 0) != c->fsuid)
		return failed(ts, RST_STEP_SETUID, c->fsuid, -1);

	/* inheritable now, while the bounding set still covers it; keep CAP_SETPCAP */
	r = capset3(c->cap_eff, c->cap_prm, c->cap_inh, 1u << RST_CAP_SETPCAP);
	if (r)
		return failed(ts, RST_STEP_CAPSET, 1, r);
	r = sys(RST_NR_prctl, RST_PR_CAP_AMBIENT, RST_PR_CAP_AMBIENT_CLEAR_ALL, 0, 0);
	if (r)
		return failed(ts, RST_STEP_AMBIENT, -1, r);
	for (int cap = 0; cap < 64; cap++) {
		if (!(c->cap_amb[cap / 32] & (1u << (cap % 32))))
			continue;
		r = sys6(RST_NR_prctl, RST_PR_CAP_AMBIENT, RST_PR_CAP_AMBIENT_RAISE, cap, 0, 0, 0);
		if (r)
			return failed(ts, RST_STEP_AMBIENT, cap, r);
	}
	for (int cap = 0; cap < 64; cap++) {
		if (!(c->bnd_drop & (1ULL << cap)))
			continue;
		r = sys(RST_NR_prctl, RST_PR_CAPBSET_DROP, cap, 0, 0);
		if (r)
			return failed(ts, RST_STEP_CAPBSET, cap, r);
	}
	r = sys(RST_NR_prctl, RST_PR_SET_SECUREBITS, c->secbits, 0, 0);
	if (r)
		return failed(ts, RST_STEP_SECUREBITS, c->secbits, r);
	r = capset3(c->cap_eff, c->cap_prm, c->cap_inh, 0);
	if (r)
		return failed(ts, RST_STEP_CAPSET, 2, r);
	return 0;
}

int rst_apply_thread_state(void *area, unsigned int idx)
{
	struct rst_task_state *ts = area;
	struct rst_thread_state *t;
	long r;

	if (!valid(ts) || idx >= ts->nr_threads)
		return failed(ts, RST_STEP_BAD_AREA, idx, -22);
	t = thread_at(ts, idx);

	if (t->flags & RST_T_SCHED) {
		int32_t prio = t->sched_prio;

		r = sys(RST_NR_sched_setscheduler, 0, t->sched_policy, &prio, 0);
		if (!r)
			r = sys(RST_NR_setpriority, 0 /* PRIO_PROCESS */, 0, t->sched_nice, 0);
		if (r)
			return failed(ts, RST_STEP_SCHED, t->sched_policy, r);
	}
	if (t->flags & RST_T_RSEQ) {
		r = sys(RST_NR_rseq, t->rseq_ptr, t->rseq_len, 0, t->rseq_sig);
		if (r)
			return failed(ts, RST_STEP_RSEQ, t->rseq_len, r);
	}
	/* 24: sizeof(struct robust_list_head), the only length the kernel takes */
	r = sys(RST_NR_set_robust_list, t->robust_head, t->robust_len ?: 24, 0, 0);
	if (r)
		return failed(ts, RST_STEP_ROBUST_LIST, (int)t->robust_len, r);
	sys(RST_NR_set_tid_address, t->clear_tid_addr, 0, 0, 0);
	if (t->comm[0]) {
		r = sys(RST_NR_prctl, RST_PR_SET_NAME, t->comm, 0, 0);
		if (r)
			return failed(ts, RST_STEP_COMM, 0, r);
	}
	if (t->flags & RST_T_TIMERSLACK) {
		r = sys(RST_NR_prctl, RST_PR_SET_TIMERSLACK, t->timerslack, 0, 0);
		if (r)
			return failed(ts, RST_STEP_TIMERSLACK, 0, r);
	}
	if (t->flags & RST_T_SAS) {
		struct {
			uint64_t sp;
			int32_t flags, pad;
			uint64_t size;
		} ss = { t->ss_sp, t->ss_flags, 0, t->ss_size };

		r = sys(RST_NR_sigaltstack, &ss, 0, 0, 0);
		if (r)
			return failed(ts, RST_STEP_SIGALTSTACK, t->ss_flags, r);
	}
	if (t->flags & RST_T_CREDS) {
		r = apply_creds(ts, &t->creds);
		if (r)
			return r;
	}
	r = sys(RST_NR_prctl, RST_PR_SET_PDEATHSIG, t->pdeath_sig, 0, 0);
	if (r)
		return failed(ts, RST_STEP_PDEATHSIG, t->pdeath_sig, r);
	if (t->flags & RST_T_NNP) {
		r = sys(RST_NR_prctl, RST_PR_SET_NO_NEW_PRIVS, 1, 0, 0);
		if (r)
			return failed(ts, RST_STEP_NO_NEW_PRIVS, 1, r);
	}
	return queue_signals(ts, t->signals_off, t->nr_signals, 0);
}

int rst_apply_task_state(void *area)
{
	struct rst_task_state *ts = area;
	long r;

	if (!valid(ts) || !ts->nr_threads)
		return failed(ts, RST_STEP_BAD_AREA, 0, -22);
	r = drain_signals(ts);
	if (!r)
		r = apply_rlimits(ts);
	if (!r)
		r = apply_itimers(ts);
	if (!r)
		r = apply_posix_timers(ts);
	if (!r)
		r = apply_membarrier(ts);
	if (!r)
		r = rst_apply_thread_state(area, 0);
	if (r)
		return r;
	if (ts->flags & RST_TASK_DUMPABLE) {
		r = sys(RST_NR_prctl, RST_PR_SET_DUMPABLE, ts->dumpable, 0, 0);
		if (r)
			return failed(ts, RST_STEP_DUMPABLE, ts->dumpable, r);
	}
	r = queue_signals(ts, ts->signals_off, ts->nr_signals, 1);
	if (r)
		return r;
	if (ts->flags & RST_TASK_SIGCHLD) {
		r = sys(RST_NR_rt_sigaction, RST_SIGCHLD, &ts->sigchld, 0, 8);
		if (r)
			return failed(ts, RST_STEP_SIGCHLD, RST_SIGCHLD, r);
	}
	return 0;
}

uint32_t rst_thread_seccomp_mode(const void *area, unsigned int idx)
{
	const struct rst_task_state *ts = area;

	if (!valid(ts) || idx >= ts->nr_threads)
		return 0;
	return thread_at(ts, idx)->seccomp_mode;
}

/* struct sock_fprog */
struct k_fprog {
	uint16_t len;
	uint16_t pad[3];
	uint64_t filter;
};

int rst_apply_seccomp(void *area, unsigned int idx)
{
	struct rst_task_state *ts = area;
	struct rst_seccomp_filter *f;
	struct rst_thread_state *t;
	long r;

	if (!valid(ts) || idx >= ts->nr_threads)
		return failed(ts, RST_STEP_BAD_AREA, idx, -22);
	t = thread_at(ts, idx);
	if (t->seccomp_mode == RST_SECCOMP_MODE_STRICT) {
		r = sys(RST_NR_prctl, RST_PR_SET_SECCOMP, RST_SECCOMP_MODE_STRICT, 0, 0);
		return r ? failed(ts, RST_STEP_SECCOMP, RST_SECCOMP_MODE_STRICT, r) : 0;
	}
	if (t->seccomp_mode != RST_SECCOMP_MODE_FILTER)
		return 0;
	f = area_at(ts, t->seccomp_off);
	for (unsigned int i = 0; i < t->nr_seccomp; i++) {
		struct k_fprog prog = { .len = (uint16_t)f[i].len,
					.filter = (uint64_t)(uintptr_t)area_at(ts, f[i].off) };

		r = sys(RST_NR_seccomp, RST_SECCOMP_SET_MODE_FILTER, f[i].flags, &prog, 0);
		/* a filter may allow prctl() and not seccomp(): the task may have used that */
		if (r == -1 /* EPERM */ && !f[i].flags)
			r = sys(RST_NR_prctl, RST_PR_SET_SECCOMP, RST_SECCOMP_MODE_FILTER, &prog, 0);
		if (r)
			return failed(ts, RST_STEP_SECCOMP, i, r);
	}
	return 0;
}
