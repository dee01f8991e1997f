/*
 * The core image of a dumped task (core-PID.img) and the task fields of
 * its mm image: registers (arch), task state (sigactions, timers, limits,
 * comm, personality, shared pending signals), thread state (robust futex
 * list, scheduling, altstack, creds, rseq, private pending signals), laid
 * out as CRIU 4.2 writes them.  Sources: /proc, the seized thread's state
 * from compel, and the parasite's answer (struct parasite_task_state).
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#define LOG_PREFIX "core: "
#include "arch.h"
#include "dump.h"
#include "files.h"
#include "log.h"
#include "compat-uapi.h"

/* task_core_entry.task_state values (CRIU's TASK_*) */
#define TASK_ALIVE   1
#define TASK_STOPPED 3

struct rseq_conf {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

static SignalQueueEntry *signal_queue(struct arena *a, const siginfo_t *si, unsigned int n)
{
	SignalQueueEntry *q = arena_new(a, SignalQueueEntry);

	if (!q)
		return NULL;
	signal_queue_entry__init(q);
	if (!n)
		return q;
	q->signals = arena_array(a, n, sizeof(*q->signals));
	if (!q->signals)
		return NULL;
	for (unsigned int i = 0; i < n; i++) {
		SiginfoEntry *e = arena_new(a, SiginfoEntry);
		void *copy = arena_alloc(a, sizeof(siginfo_t));

		if (!e || !copy)
			return NULL;
		siginfo_entry__init(e);
		memcpy(copy, &si[i], sizeof(siginfo_t));
		e->siginfo.len = sizeof(siginfo_t);
		e->siginfo.data = copy;
		q->signals[q->n_signals++] = e;
	}
	return q;
}

static ItimerEntry *itimer(struct arena *a, const struct parasite_itimer *it)
{
	ItimerEntry *e = arena_new(a, ItimerEntry);

	if (!e)
		return NULL;
	itimer_entry__init(e);
	e->isec = it->interval.sec;
	e->iusec = it->interval.usec;
	e->vsec = it->value.sec;
	e->vusec = it->value.usec;
	return e;
}

static int fill_tc(struct dump_task *t, TaskCoreEntry *tc, const struct compel_thread_info *ti)
{
	struct arena *a = &t->a;
	const struct compel_task_info *task = compel_task(t->ctl);
	unsigned long val;

	tc->task_state = t->stopped ? TASK_STOPPED : TASK_ALIVE;
	if (t->stopped) {
		tc->has_stop_signo = true;
		tc->stop_signo = SIGSTOP;
	}
	tc->exit_code = 0;
	tc->personality = (uint32_t)t->ps.personality;
	tc->flags = t->stat.flags;
	tc->blk_sigset = ti->sigmask;
	tc->comm = arena_strdup(a, t->stat.comm);

	TaskTimersEntry *tm = arena_new(a, TaskTimersEntry);
	if (!tm)
		return -ENOMEM;
	task_timers_entry__init(tm);
	tm->real = itimer(a, &t->ps.itimers[0]);
	tm->virt = itimer(a, &t->ps.itimers[1]);
	tm->prof = itimer(a, &t->ps.itimers[2]);
	tc->timers = tm;

	if (t->ps.rlimit_ret == 0) {
		TaskRlimitsEntry *rl = arena_new(a, TaskRlimitsEntry);

		if (!rl)
			return -ENOMEM;
		task_rlimits_entry__init(rl);
		rl->rlimits = arena_array(a, PARASITE_NRLIMITS, sizeof(*rl->rlimits));
		if (!rl->rlimits)
			return -ENOMEM;
		for (int i = 0; i < PARASITE_NRLIMITS; i++) {
			RlimitEntry *e = arena_new(a, RlimitEntry);

			if (!e)
				return -ENOMEM;
			rlimit_entry__init(e);
			e->cur = t->ps.rlimits[i].cur;
			e->max = t->ps.rlimits[i].max;
			rl->rlimits[rl->n_rlimits++] = e;
		}
		tc->rlimits = rl;
	} else {
		pr_warn("task %d: can't read its resource limits (%s): not dumped\n", (int)t->pid,
			strerror(-t->ps.rlimit_ret));
	}

	tc->signals_s = signal_queue(a, task->shared_pending, task->nr_shared_pending);
	if (!tc->signals_s)
		return -ENOMEM;
	if (!proc_read_ulong(t->pid, "loginuid", 10, &val)) {
		tc->has_loginuid = true;
		tc->loginuid = val;
	}
	_cleanup_free_ char *adj = NULL;
	if (!proc_read_file(t->pid, "oom_score_adj", &adj, NULL)) {
		tc->has_oom_score_adj = true;
		tc->oom_score_adj = atoi(adj);
	}

	tc->sigactions = arena_array(a, PARASITE_NSIG, sizeof(*tc->sigactions));
	if (!tc->sigactions)
		return -ENOMEM;
	for (int i = 0; i < PARASITE_NSIG; i++) {
		const struct parasite_ksigaction *k = &t->ps.sa[i];
		SaEntry *e;

		if (i + 1 == SIGKILL || i + 1 == SIGSTOP)
			continue;
		e = arena_new(a, SaEntry);
		if (!e)
			return -ENOMEM;
		sa_entry__init(e);
		e->sigaction = k->handler;
		e->flags = k->flags;
		e->restorer = k->restorer;
		e->mask = k->mask;
		e->has_compat_sigaction = true;
		tc->sigactions[tc->n_sigactions++] = e;
	}
	tc->has_child_subreaper = true;
	tc->child_subreaper = t->ps.child_subreaper;
	return 0;
}

/* Capability sets as CRIU stores them: two 32-bit words. */
static uint32_t *cap_words(struct arena *a, uint64_t caps, size_t *n)
{
	uint32_t *w = arena_array(a, 2, sizeof(uint32_t));

	if (!w)
		return NULL;
	w[0] = (uint32_t)caps;
	w[1] = (uint32_t)(caps >> 32);
	*n = 2;
	return w;
}

static CredsEntry *creds(struct dump_task *t)
{
	struct arena *a = &t->a;
	const struct proc_status *st = &t->status;
	CredsEntry *c = arena_new(a, CredsEntry);

	if (!c)
		return NULL;
	creds_entry__init(c);
	c->uid = st->uid[0], c->euid = st->uid[1], c->suid = st->uid[2], c->fsuid = st->uid[3];
	c->gid = st->gid[0], c->egid = st->gid[1], c->sgid = st->gid[2], c->fsgid = st->gid[3];
	if (!(c->cap_inh = cap_words(a, st->cap_inh, &c->n_cap_inh)) ||
	    !(c->cap_prm = cap_words(a, st->cap_prm, &c->n_cap_prm)) ||
	    !(c->cap_eff = cap_words(a, st->cap_eff, &c->n_cap_eff)) ||
	    !(c->cap_bnd = cap_words(a, st->cap_bnd, &c->n_cap_bnd)) ||
	    !(c->cap_amb = cap_words(a, st->cap_amb, &c->n_cap_amb)))
		return NULL;
	c->secbits = t->ps.securebits;
	if (st->nr_groups) {
		c->groups = arena_array(a, st->nr_groups, sizeof(uint32_t));
		if (!c->groups)
			return NULL;
		memcpy(c->groups, st->groups, st->nr_groups * sizeof(uint32_t));
		c->n_groups = st->nr_groups;
	}
	if (t->ps.no_new_privs > 0) {
		c->has_no_new_privs = true;
		c->no_new_privs = t->ps.no_new_privs;
	}
	return c;
}

static int fill_thread_core(struct dump_task *t, ThreadCoreEntry *th, const struct compel_thread_info *ti)
{
	struct arena *a = &t->a;
	struct sched_param sp;
	struct rseq_conf rc = { 0 };
	unsigned long head = 0;
	size_t len = 0;
	int policy;

	if (syscall(SYS_get_robust_list, ti->tid, &head, &len))
		return pr_err_ret(-errno, "can't read the robust futex list of thread %d", (int)ti->tid);
	th->futex_rla = head;
	th->futex_rla_len = len;
	th->has_sched_nice = true;
	th->sched_nice = t->stat.nice;
	policy = sched_getscheduler(ti->tid);
	if (policy < 0 || sched_getparam(ti->tid, &sp))
		return pr_err_ret(-errno, "can't read the scheduling policy of thread %d", (int)ti->tid);
	th->has_sched_policy = true;
	th->sched_policy = policy & ~SCHED_RESET_ON_FORK;
	if (sp.sched_priority) {
		th->has_sched_prio = true;
		th->sched_prio = sp.sched_priority;
	}

	ThreadSasEntry *sas = arena_new(a, ThreadSasEntry);
	if (!sas)
		return -ENOMEM;
	thread_sas_entry__init(sas);
	sas->ss_sp = t->ps.ss_sp;
	sas->ss_size = t->ps.ss_size;
	sas->ss_flags = t->ps.ss_flags;
	th->sas = sas;
	if (t->ps.pdeath_sig) {
		th->has_pdeath_sig = true;
		th->pdeath_sig = t->ps.pdeath_sig;
	}
	th->signals_p = signal_queue(a, ti->pending, ti->nr_pending);
	th->creds = creds(t);
	if (!th->signals_p || !th->creds)
		return -ENOMEM;
	th->comm = arena_strdup(a, t->stat.comm);

	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, ti->tid, sizeof(rc), &rc) < 0)
		return pr_err_ret(-errno, "can't read the rseq area of thread %d", (int)ti->tid);
	if (rc.rseq_abi_pointer) {
		RseqEntry *re = arena_new(a, RseqEntry);

		if (!re)
			return -ENOMEM;
		rseq_entry__init(re);
		re->rseq_abi_pointer = rc.rseq_abi_pointer;
		re->rseq_abi_size = rc.rseq_abi_size;
		re->signature = rc.signature;
		th->rseq_entry = re;
	}
	th->has_cg_set = true;
	th->cg_set = 1;
	return 0;
}

int dump_task_core(struct dump_task *t, CoreEntry **out)
{
	struct arena *a = &t->a;
	const struct compel_thread_info *ti = compel_thread(t->ctl, 0);
	CoreEntry *core = arena_new(a, CoreEntry);
	TaskCoreEntry *tc = arena_new(a, TaskCoreEntry);
	ThreadCoreEntry *th = arena_new(a, ThreadCoreEntry);
	int r;

	if (!core || !tc || !th || !ti)
		return -ENOMEM;
	core_entry__init(core);
	task_core_entry__init(tc);
	thread_core_entry__init(th);
	r = arch_dump_thread_info(a, core, ti);
	if (r)
		return r;
	if (t->ps.tid_address_ret == 0)
		core->thread_info->clear_tid_addr = t->ps.tid_address;
	r = fill_tc(t, tc, ti);
	if (r)
		return r;
	r = fill_thread_core(t, th, ti);
	if (r)
		return r;
	core->tc = tc;
	core->thread_core = th;
	*out = core;
	return 0;
}

int dump_task_mm(struct dump_task *t, MmEntry *mm)
{
	const struct proc_stat *st = &t->stat;
	uint64_t *auxv = NULL;
	size_t n = 0;
	char path[64];
	int r;

	mm->mm_start_code = st->start_code;
	mm->mm_end_code = st->end_code;
	mm->mm_start_data = st->start_data;
	mm->mm_end_data = st->end_data;
	mm->mm_start_stack = st->start_stack;
	mm->mm_start_brk = st->start_brk;
	mm->mm_brk = t->ps.brk;
	mm->mm_arg_start = st->arg_start;
	mm->mm_arg_end = st->arg_end;
	mm->mm_env_start = st->env_start;
	mm->mm_env_end = st->env_end;

	r = proc_read_auxv(t->pid, &auxv, &n);
	if (r)
		return r;
	mm->mm_saved_auxv = arena_array(&t->a, n ?: 1, sizeof(uint64_t));
	if (!mm->mm_saved_auxv) {
		free(auxv);
		return -ENOMEM;
	}
	memcpy(mm->mm_saved_auxv, auxv, n * sizeof(uint64_t));
	mm->n_mm_saved_auxv = n;
	free(auxv);

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)t->pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_err_ret(-errno, "can't open the executable of task %d", (int)t->pid);
	r = dump_file_fd(fd, O_RDONLY, &mm->exe_file_id);
	if (r)
		return r;
	mm->has_dumpable = true;
	mm->dumpable = t->ps.dumpable;
	mm->has_thp_disabled = true;
	mm->thp_disabled = t->ps.thp_disabled > 0;
	return 0;
}

void dump_fill_ns_ids(TaskKobjIdsEntry *ids)
{
	/* Every namespace is criu's own (dump refuses others): CRIU's numbering. */
	ids->has_pid_ns_id = true, ids->pid_ns_id = 1;
	ids->has_net_ns_id = true, ids->net_ns_id = 2;
	ids->has_ipc_ns_id = true, ids->ipc_ns_id = 3;
	ids->has_uts_ns_id = true, ids->uts_ns_id = 4;
	ids->has_time_ns_id = true, ids->time_ns_id = 5;
	ids->has_mnt_ns_id = true, ids->mnt_ns_id = 6;
	ids->has_user_ns_id = true, ids->user_ns_id = 7;
	ids->has_cgroup_ns_id = true, ids->cgroup_ns_id = 8;
}
