/*
 * Dump of the task state into the core entry (see task-state.h for the
 * fields): signal actions, limits, itimers, personality... come from the
 * parasite's PARASITE_CMD_TASK_STATE answer; the blocked mask and pending
 * signals from compel's saved thread state; credentials, seccomp mode,
 * comm and flags from /proc; rseq and seccomp filters from ptrace; the
 * robust list and scheduling from syscalls about the thread; POSIX timers
 * from /proc/PID/timers plus timer_gettime() run in the task.
 *
 * Nothing here changes the task: the only trace is a scratch page mapped
 * in it while POSIX timers are read, unmapped again before returning.
 *
 * Memory: every message is allocated from the caller's arena (arena.h),
 * freed with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include <linux/seccomp.h>

#include <compel.h>

#define LOG_PREFIX "task-state: "
#include "arena.h"
#include "log.h"
#include "parasite-cmds.h"
#include "proc-parse.h"
#include "task-state-int.h"

#include "compat-uapi.h"

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* The membarrier registrations the restorer knows how to redo. */
#define TS_MEMBARRIER_KNOWN ((1u << 2) | (1u << 4) | (1u << 6) | (1u << 8))

/* ------------------------------------------------------------ helpers */

static int read_task_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, t = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &l, 1, &t, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* A syscall run by the leader (compel), with a result < 0 turned into an error. */
static int remote(struct parasite_ctl *ctl, long nr, long *ret, unsigned long a1, unsigned long a2, unsigned long a3)
{
	const unsigned long args[6] = { a1, a2, a3 };
	int r = compel_syscall(ctl, 0, nr, ret, args);

	if (r)
		return pr_err_ret(r, "can't run syscall %ld in task %d", nr, (int)compel_task(ctl)->pid);
	return 0;
}

/* ------------------------------------------------------------ signals */

static SignalQueueEntry *dump_sigqueue(struct arena *a, const siginfo_t *si, unsigned int n)
{
	SignalQueueEntry *q = arena_new(a, SignalQueueEntry);
	SiginfoEntry *e = arena_array(a, n, sizeof(*e));
	uint8_t *data = arena_array(a, n, sizeof(siginfo_t));

	if (!q || !e || !data)
		return NULL;
	signal_queue_entry__init(q);
	if (n) {
		q->signals = arena_array(a, n, sizeof(*q->signals));
		if (!q->signals)
			return NULL;
	}
	for (unsigned int i = 0; i < n; i++) {
		siginfo_entry__init(&e[i]);
		memcpy(data + i * sizeof(siginfo_t), &si[i], sizeof(siginfo_t));
		e[i].siginfo.data = data + i * sizeof(siginfo_t);
		e[i].siginfo.len = sizeof(siginfo_t);
		q->signals[q->n_signals++] = &e[i];
		pr_debug("pending signal %d (code %d)\n", si[i].si_signo, si[i].si_code);
	}
	return q;
}

static int dump_sigactions(struct arena *a, const struct parasite_task_state *pts, TaskCoreEntry *tc)
{
	SaEntry *e = arena_array(a, TS_NSIG, sizeof(*e));

	tc->sigactions = arena_array(a, TS_NSIG, sizeof(*tc->sigactions));
	if (!e || !tc->sigactions)
		return -ENOMEM;
	tc->n_sigactions = 0;
	for (int sig = 1; sig <= TS_NSIG; sig++) {
		const struct parasite_ksigaction *k = &pts->sa[sig - 1];
		SaEntry *s = &e[tc->n_sigactions];

		if (!ts_sig_has_action(sig))
			continue;
		sa_entry__init(s);
		s->sigaction = k->handler;
		s->flags = k->flags;
		s->restorer = k->restorer;
		s->mask = k->mask;
		s->has_compat_sigaction = true;
		s->compat_sigaction = false;
		tc->sigactions[tc->n_sigactions++] = s;
	}
	return 0;
}

/* ------------------------------------------------------------ limits and timers */

static int dump_rlimits(struct arena *a, const struct parasite_task_state *pts, TaskCoreEntry *tc)
{
	TaskRlimitsEntry *t = arena_new(a, TaskRlimitsEntry);
	RlimitEntry *e = arena_array(a, PARASITE_NRLIMITS, sizeof(*e));

	if (pts->rlimit_ret) {
		pr_err("can't read the task's resource limits: %s\n", strerror(-pts->rlimit_ret));
		return pts->rlimit_ret;
	}
	if (!t || !e)
		return -ENOMEM;
	task_rlimits_entry__init(t);
	t->rlimits = arena_array(a, PARASITE_NRLIMITS, sizeof(*t->rlimits));
	if (!t->rlimits)
		return -ENOMEM;
	for (int i = 0; i < PARASITE_NRLIMITS; i++) {
		rlimit_entry__init(&e[i]);
		e[i].cur = pts->rlimits[i].cur;
		e[i].max = pts->rlimits[i].max;
		t->rlimits[t->n_rlimits++] = &e[i];
	}
	tc->rlimits = t;
	return 0;
}

/*
 * /proc/PID/timers, one block per timer:
 *	ID: 3
 *	signal: 10/00001234567890ab
 *	notify: signal/pid.7495		(none/..., thread/...; tid. with SIGEV_THREAD_ID)
 *	ClockID: 1
 */
int ts_parse_proc_timers(const char *text, struct proc_timer **out, unsigned int *nr)
{
	_cleanup_free_ struct proc_timer *ts = NULL;
	unsigned int n = 0;
	const char *p = text;

	while (p && *p) {
		struct proc_timer t = { 0 };
		char how[16], whom[8];
		struct proc_timer *nt;
		unsigned long long sival;

		if (sscanf(p, "ID: %d", &t.id) != 1)
			return -EINVAL;
		p = strchr(p, '\n');
		if (!p || sscanf(p + 1, "signal: %d/%llx", &t.signo, &sival) != 2)
			return -EINVAL;
		t.sival = sival;
		p = strchr(p + 1, '\n');
		if (!p || sscanf(p + 1, "notify: %15[a-z]/%7[a-z].%d", how, whom, &t.tid) != 3)
			return -EINVAL;
		if (!strcmp(how, "signal"))
			t.notify = SIGEV_SIGNAL;
		else if (!strcmp(how, "none"))
			t.notify = SIGEV_NONE;
		else if (!strcmp(how, "thread"))
			t.notify = SIGEV_THREAD;
		else
			return -EINVAL;
		if (!strcmp(whom, "tid"))
			t.notify |= SIGEV_THREAD_ID;
		else if (strcmp(whom, "pid"))
			return -EINVAL;
		p = strchr(p + 1, '\n');
		if (!p || sscanf(p + 1, "ClockID: %d", &t.clock) != 1)
			return -EINVAL;
		p = strchr(p + 1, '\n');
		if (p)
			p++;
		nt = realloc(ts, (n + 1) * sizeof(*ts));
		if (!nt)
			return -ENOMEM;
		ts = nt;
		ts[n++] = t;
	}
	*nr = n;
	*out = TAKE_PTR(ts);
	return 0;
}

/* itimerspec as timer_gettime() writes it */
struct k_itimerspec {
	int64_t isec, insec, vsec, vnsec;
};

/* Remaining time and overrun of each timer, asked in the task with a scratch page. */
static int dump_posix_timers(struct parasite_ctl *ctl, pid_t pid, PosixTimerEntry *e, const struct proc_timer *pt,
			     unsigned int n)
{
	long scratch, ret;
	int r;

	const unsigned long mmap_args[6] = {
		0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long)-1, 0
	};

	r = compel_syscall(ctl, 0, __NR_mmap, &scratch, mmap_args);
	if (r)
		return pr_err_ret(r, "can't map a scratch page in task %d", (int)pid);
	if (scratch < 0 && scratch > -4096)
		return pr_err_ret((int)scratch, "mmap of a scratch page in task %d failed", (int)pid);
	for (unsigned int i = 0; i < n; i++) {
		struct k_itimerspec its;

		r = remote(ctl, __NR_timer_gettime, &ret, pt[i].id, scratch, 0);
		if (!r && ret)
			r = pr_err_ret((int)ret, "timer_gettime of POSIX timer %d in task %d failed", pt[i].id,
				       (int)pid);
		if (!r)
			r = read_task_mem(pid, scratch, &its, sizeof(its));
		if (!r)
			r = remote(ctl, __NR_timer_getoverrun, &ret, pt[i].id, 0, 0);
		if (r)
			break;
		posix_timer_entry__init(&e[i]);
		e[i].it_id = pt[i].id;
		e[i].clock_id = pt[i].clock;
		e[i].si_signo = pt[i].signo;
		e[i].it_sigev_notify = pt[i].notify;
		e[i].sival_ptr = pt[i].sival;
		e[i].overrun = ret > 0 ? ret : 0;
		e[i].isec = its.isec;
		e[i].insec = its.insec;
		e[i].vsec = its.vsec;
		e[i].vnsec = its.vnsec;
		if (pt[i].notify & SIGEV_THREAD_ID) {
			e[i].has_notify_thread_id = true;
			e[i].notify_thread_id = pt[i].tid;
		}
		pr_info("POSIX timer %d: clock %d, signal %d, notify %#x, %" PRId64 ".%09" PRId64
			" s left, every %" PRId64 ".%09" PRId64 " s\n",
			pt[i].id, pt[i].clock, pt[i].signo, pt[i].notify, its.vsec, its.vnsec, its.isec, its.insec);
	}
	if (remote(ctl, __NR_munmap, &ret, scratch, 4096, 0) || ret) {
		pr_err("can't unmap the scratch page of task %d\n", (int)pid);
		return r ?: -EIO;
	}
	return r;
}

static ItimerEntry *itimer_from(struct arena *a, const struct parasite_itimer *it)
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

static int dump_timers(struct parasite_ctl *ctl, pid_t pid, struct arena *a, const struct parasite_task_state *pts,
		       TaskCoreEntry *tc)
{
	_cleanup_free_ struct proc_timer *pt = NULL;
	_cleanup_free_ char *text = NULL;
	TaskTimersEntry *t = arena_new(a, TaskTimersEntry);
	PosixTimerEntry *e;
	unsigned int n = 0;
	int r;

	if (!t)
		return -ENOMEM;
	task_timers_entry__init(t);
	t->real = itimer_from(a, &pts->itimers[0]);
	t->virt = itimer_from(a, &pts->itimers[1]);
	t->prof = itimer_from(a, &pts->itimers[2]);
	if (!t->real || !t->virt || !t->prof)
		return -ENOMEM;
	tc->timers = t;

	r = proc_read_file(pid, "timers", &text, NULL);
	if (r)
		return r;
	r = ts_parse_proc_timers(text, &pt, &n);
	if (r)
		return pr_err_ret(r, "can't parse /proc/%d/timers", (int)pid);
	if (!n)
		return 0;
	e = arena_array(a, n, sizeof(*e));
	t->posix = arena_array(a, n, sizeof(*t->posix));
	if (!e || !t->posix)
		return -ENOMEM;
	r = dump_posix_timers(ctl, pid, e, pt, n);
	if (r)
		return r;
	for (unsigned int i = 0; i < n; i++)
		t->posix[i] = &e[i];
	t->n_posix = n;
	return 0;
}

/* ------------------------------------------------------------ credentials */

static uint32_t *cap_words(struct arena *a, uint64_t caps, size_t *n)
{
	uint32_t *w = arena_array(a, 2, sizeof(uint32_t));

	if (w) {
		w[0] = (uint32_t)caps;
		w[1] = (uint32_t)(caps >> 32);
		*n = 2;
	}
	return w;
}

static int dump_creds(struct arena *a, const struct proc_status *st, int secbits, ThreadCoreEntry *th)
{
	CredsEntry *c = arena_new(a, CredsEntry);

	if (secbits < 0) {
		pr_err("can't read the securebits of the task: %s\n", strerror(-secbits));
		return secbits;
	}
	if (!c)
		return -ENOMEM;
	creds_entry__init(c);
	c->uid = st->uid[0];
	c->euid = st->uid[1];
	c->suid = st->uid[2];
	c->fsuid = st->uid[3];
	c->gid = st->gid[0];
	c->egid = st->gid[1];
	c->sgid = st->gid[2];
	c->fsgid = st->gid[3];
	if (!(c->cap_inh = cap_words(a, st->cap_inh, &c->n_cap_inh)) ||
	    !(c->cap_prm = cap_words(a, st->cap_prm, &c->n_cap_prm)) ||
	    !(c->cap_eff = cap_words(a, st->cap_eff, &c->n_cap_eff)) ||
	    !(c->cap_bnd = cap_words(a, st->cap_bnd, &c->n_cap_bnd)) ||
	    !(c->cap_amb = cap_words(a, st->cap_amb, &c->n_cap_amb)))
		return -ENOMEM;
	c->secbits = secbits;
	if (st->nr_groups) {
		c->groups = arena_array(a, st->nr_groups, sizeof(uint32_t));
		if (!c->groups)
			return -ENOMEM;
		memcpy(c->groups, st->groups, st->nr_groups * sizeof(uint32_t));
		c->n_groups = st->nr_groups;
	}
	if (st->no_new_privs > 0) {
		c->has_no_new_privs = true;
		c->no_new_privs = 1;
	}
	th->creds = c;
	return 0;
}

/* An LSM label criu would have to put back: not done yet. */
static int check_lsm(pid_t tid)
{
	char path[64], buf[256];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/attr/current", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0) /* EINVAL: no LSM with labels */
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!buf[0] || !strcmp(buf, "unconfined"))
		return 0;
	pr_err("thread %d runs under the LSM label \"%s\": restoring LSM labels is not supported yet\n", (int)tid, buf);
	return -EOPNOTSUPP;
}

/* ------------------------------------------------------------ per thread */

static int dump_sched(pid_t tid, ThreadCoreEntry *th)
{
	struct sched_param sp;
	int policy, nice;

	policy = sched_getscheduler(tid);
	if (policy < 0)
		return pr_err_ret(-errno, "sched_getscheduler(%d)", (int)tid);
	if ((policy & ~SCHED_RESET_ON_FORK) == SCHED_DEADLINE) {
		pr_err("thread %d runs under SCHED_DEADLINE: not supported yet\n", (int)tid);
		return -EOPNOTSUPP;
	}
	errno = 0;
	nice = getpriority(PRIO_PROCESS, tid);
	if (nice == -1 && errno)
		return pr_err_ret(-errno, "getpriority(%d)", (int)tid);
	th->has_sched_policy = true;
	th->sched_policy = policy;
	th->has_sched_nice = true;
	th->sched_nice = nice;
	policy &= ~SCHED_RESET_ON_FORK;
	if (policy == SCHED_FIFO || policy == SCHED_RR) {
		if (sched_getparam(tid, &sp))
			return pr_err_ret(-errno, "sched_getparam(%d)", (int)tid);
		th->has_sched_prio = true;
		th->sched_prio = sp.sched_priority;
	}
	return 0;
}

/* PTRACE_GET_RSEQ_CONFIGURATION's answer (<linux/ptrace.h> clashes with glibc's) */
struct k_rseq_conf {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

struct k_rseq_cs {
	uint32_t version, flags;
	uint64_t start_ip, post_commit_offset, abort_ip;
};

/*
 * glibc registers an rseq area in every thread; the kernel tells where with
 * PTRACE_GET_RSEQ_CONFIGURATION (nothing is unregistered: a task left
 * running keeps it).  A thread stopped inside a critical section would
 * have been sent to its abort handler by the kernel on resuming; the
 * restored one has to be too, so its saved ip moves there.
 */
static int dump_rseq(struct arena *a, pid_t tid, const compel_regs_t *regs, CoreEntry *core)
{
	struct k_rseq_conf conf = { 0 };
	ThreadCoreEntry *th = core->thread_core;
	struct k_rseq_cs cs;
	uint64_t cs_ptr;
	RseqEntry *e;
	int r;

	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, (void *)sizeof(conf), &conf) < 0)
		return pr_err_ret(-errno, "PTRACE_GET_RSEQ_CONFIGURATION of %d", (int)tid);
	if (!conf.rseq_abi_pointer)
		return 0;
	e = arena_new(a, RseqEntry);
	if (!e)
		return -ENOMEM;
	rseq_entry__init(e);
	e->rseq_abi_pointer = conf.rseq_abi_pointer;
	e->rseq_abi_size = conf.rseq_abi_size;
	e->signature = conf.signature;
	th->rseq_entry = e;

	/* struct rseq: u32 cpu_id_start, u32 cpu_id, u64 rseq_cs, ... */
	r = read_task_mem(tid, conf.rseq_abi_pointer + 8, &cs_ptr, sizeof(cs_ptr));
	if (r)
		return pr_err_ret(r, "can't read the rseq area of %d at %#llx", (int)tid,
				  (unsigned long long)conf.rseq_abi_pointer);
	if (!cs_ptr)
		return 0;
	r = read_task_mem(tid, cs_ptr, &cs, sizeof(cs));
	if (r)
		return pr_err_ret(r, "can't read the rseq critical section of %d at %#llx", (int)tid,
				  (unsigned long long)cs_ptr);
	if (regs->rip < cs.start_ip || regs->rip - cs.start_ip >= cs.post_commit_offset)
		return 0; /* a stale pointer: the kernel clears it on the next preemption */
	if (!core->thread_info || !core->thread_info->gpregs) {
		pr_err("thread %d is inside an rseq critical section, and its registers are not filled yet\n",
		       (int)tid);
		return -EINVAL;
	}
	pr_info("thread %d stopped inside an rseq critical section: ip %#llx -> abort %#llx\n", (int)tid,
		(unsigned long long)regs->rip, (unsigned long long)cs.abort_ip);
	core->thread_info->gpregs->ip = cs.abort_ip;
	e->has_rseq_cs_pointer = true;
	e->rseq_cs_pointer = cs_ptr;
	return 0;
}

static int dump_thread_seccomp(pid_t tid, const struct proc_status *st, ThreadCoreEntry *th)
{
	unsigned int top;
	int r;

	if (st->seccomp == SECCOMP_MODE_DISABLED)
		return 0;
	th->has_seccomp_mode = true;
	th->seccomp_mode = st->seccomp;
	if (st->seccomp != SECCOMP_MODE_FILTER)
		return 0;
	/*
	 * The restorer loads the filters after the credentials: then it needs
	 * no_new_privs or CAP_SYS_ADMIN, as the kernel demands of anyone.
	 */
	if (st->no_new_privs <= 0 && !(st->cap_eff & (1ULL << CAP_SYS_ADMIN))) {
		pr_err("thread %d has seccomp filters but neither no_new_privs nor CAP_SYS_ADMIN: restoring "
		       "its filters is not supported\n",
		       (int)tid);
		return -EOPNOTSUPP;
	}
	r = seccomp_dump_filters(tid, &top);
	if (r)
		return r;
	th->has_seccomp_filter = true;
	th->seccomp_filter = top;
	return 0;
}

int dump_thread_state(struct parasite_ctl *ctl, unsigned int idx, const struct parasite_task_state *pts,
		      struct arena *a, CoreEntry *core)
{
	const struct compel_thread_info *ti = compel_thread(ctl, idx);
	ThreadCoreEntry *th = core->thread_core;
	struct proc_status st;
	struct proc_stat stat;
	ThreadSasEntry *sas;
	long head_len = 0;
	void *head = NULL;
	int r;

	if (!ti || !th) {
		pr_err("dump_thread_state: no thread %u or no thread_core\n", idx);
		return -EINVAL;
	}
	if (idx > 0) {
		th->has_blk_sigset = true;
		th->blk_sigset = ti->sigmask;
	}
	r = proc_read_stat(ti->tid, &stat);
	if (r)
		return r;
	th->comm = arena_strdup(a, stat.comm);
	if (!th->comm)
		return -ENOMEM;

	if (syscall(SYS_get_robust_list, ti->tid, &head, &head_len))
		return pr_err_ret(-errno, "get_robust_list(%d)", (int)ti->tid);
	th->futex_rla = (uintptr_t)head;
	th->futex_rla_len = head_len;

	r = dump_sched(ti->tid, th);
	if (r)
		return r;

	sas = arena_new(a, ThreadSasEntry);
	if (!sas)
		return -ENOMEM;
	thread_sas_entry__init(sas);
	sas->ss_sp = pts->ss_sp;
	sas->ss_size = pts->ss_size;
	sas->ss_flags = pts->ss_flags;
	th->sas = sas;

	if (pts->pdeath_sig) {
		th->has_pdeath_sig = true;
		th->pdeath_sig = pts->pdeath_sig;
	}
	if (pts->timerslack != TS_DEFAULT_TIMERSLACK && !ts_pb_set_u64(th, "timerslack_ns", pts->timerslack))
		pr_warn("thread %d: the image format has no place for its timer slack (%" PRIu64
			" ns): it gets the default back\n",
			(int)ti->tid, pts->timerslack);

	th->signals_p = dump_sigqueue(a, ti->pending, ti->nr_pending);
	if (!th->signals_p)
		return -ENOMEM;

	if (pts->tid_address_ret) {
		pr_err("can't read clear_child_tid of %d: %s\n", (int)ti->tid, strerror(-pts->tid_address_ret));
		return pts->tid_address_ret;
	}
	if (core->thread_info)
		core->thread_info->clear_tid_addr = pts->tid_address;

	r = check_lsm(ti->tid);
	if (r)
		return r;
	r = proc_read_status(ti->tid, &st);
	if (r)
		return r;
	r = dump_creds(a, &st, pts->securebits, th);
	if (!r)
		r = dump_thread_seccomp(ti->tid, &st, th);
	proc_status_free(&st);
	if (r)
		return r;

	return dump_rseq(a, ti->tid, &ti->regs, core);
}

static int dump_membarrier(struct parasite_ctl *ctl, pid_t pid, TaskCoreEntry *tc)
{
	long ret;
	int r;

	r = remote(ctl, __NR_membarrier, &ret, MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0);
	if (r)
		return r;
	if (ret == -EINVAL) /* before Linux 6.3: nothing to ask, nothing to say */
		return 0;
	if (ret < 0)
		return pr_err_ret((int)ret, "membarrier(GET_REGISTRATIONS) in task %d", (int)pid);
	if (ret & ~(long)TS_MEMBARRIER_KNOWN) {
		pr_err("task %d has membarrier registrations %#lx criu does not know\n", (int)pid, ret);
		return -EOPNOTSUPP;
	}
	if (ret) {
		tc->has_membarrier_registration_mask = true;
		tc->membarrier_registration_mask = ret;
	}
	return 0;
}

int dump_task_state(struct parasite_ctl *ctl, const struct parasite_task_state *pts, struct arena *a, CoreEntry *core)
{
	const struct compel_task_info *task = compel_task(ctl);
	const struct compel_thread_info *leader = compel_thread(ctl, 0);
	TaskCoreEntry *tc = core->tc;
	_cleanup_free_ char *adj = NULL;
	struct proc_stat stat;
	unsigned long loginuid;
	pid_t pid;
	int r;

	if (!task || !leader || task->state == COMPEL_TASK_ZOMBIE || !tc || !core->thread_core) {
		pr_err("dump_task_state: no live seized task or no tc/thread_core to fill\n");
		return -EINVAL;
	}
	pid = task->pid;

	r = dump_thread_state(ctl, 0, pts, a, core);
	if (r)
		goto out;

	r = proc_read_stat(pid, &stat);
	if (r)
		goto out;
	tc->flags = stat.flags;
	tc->comm = arena_strdup(a, stat.comm);
	tc->signals_s = dump_sigqueue(a, task->shared_pending, task->nr_shared_pending);
	if (!tc->comm || !tc->signals_s) {
		r = -ENOMEM;
		goto out;
	}
	tc->personality = (uint32_t)pts->personality;
	tc->blk_sigset = leader->sigmask;
	tc->has_child_subreaper = true;
	tc->child_subreaper = pts->child_subreaper != 0;

	r = dump_sigactions(a, pts, tc);
	if (!r)
		r = dump_rlimits(a, pts, tc);
	if (!r)
		r = dump_timers(ctl, pid, a, pts, tc);
	if (!r)
		r = dump_membarrier(ctl, pid, tc);
	if (!r)
		r = proc_read_ulong(pid, "loginuid", 10, &loginuid);
	if (!r)
		r = proc_read_file(pid, "oom_score_adj", &adj, NULL);
	if (r)
		goto out;
	tc->has_loginuid = true;
	tc->loginuid = (uint32_t)loginuid;
	tc->has_oom_score_adj = true;
	tc->oom_score_adj = atoi(adj);

	pr_info("task %d: %zu sigactions, %zu POSIX timers, %zu+%zu pending signals, blocked %#" PRIx64 "\n", (int)pid,
		tc->n_sigactions, tc->timers->n_posix, tc->signals_s->n_signals,
		core->thread_core->signals_p->n_signals, tc->blk_sigset);
	return 0;
out:
	pr_err("dump of the state of task %d failed\n", (int)pid);
	return r;
}
