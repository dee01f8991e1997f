/*
 * Restore of the task state, the criu side: what the restored child sets
 * itself before its memory is replaced (restore_task_state_early), and the
 * restorer's state block (restorer_state_prepare) that
 * criu/pie/restorer-state.c applies at the very end, from inside the
 * restored task.  Which goes where, and why:
 *
 *  - early: personality, child subreaper, loginuid, oom_score_adj, every
 *    signal action but SIGCHLD's.  None depends on the final memory or is
 *    undone by later steps.  criu's own rseq registration (inherited from
 *    glibc) is dropped here: it points into memory the restorer unmaps.
 *  - restorer: everything that needs the final memory (rseq, robust list,
 *    clear_child_tid, pending signals whose handlers live there), that
 *    would hurt criu if done early (rlimits: a low RLIMIT_NOFILE or
 *    RLIMIT_AS would break restoring files and memory; SIGCHLD, which a
 *    restoring tree needs), that credentials change reset (pdeath signal,
 *    dumpable) or that needs criu's privileges first (credentials last,
 *    seccomp after them).
 *
 * Everything the restorer could only fail at is checked here first, with a
 * proper message: capabilities criu does not have, POSIX timer ids on a
 * kernel that cannot give them.  Limits above criu's hard limits are
 * clamped, with a warning: without CAP_SYS_RESOURCE they cannot be raised.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define LOG_PREFIX "task-state: "
#include "log.h"
#include "task-state-int.h"

#include "pie/include/restorer-state.h"

#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS	77 /* Linux 6.15 */
#define PR_TIMER_CREATE_RESTORE_IDS_GET 2
#endif

/* ------------------------------------------------------------ early */

static int drop_own_rseq(void)
{
	void *area;
	long r;

	if (!__rseq_size) /* glibc did not register one */
		return 0;
	area = (char *)__builtin_thread_pointer() + __rseq_offset;
	r = syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	if (r && errno == EINVAL && __rseq_size != 32) /* glibc registers at least 32 bytes */
		r = syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
	if (r)
		return pr_err_ret(-errno, "can't unregister criu's own rseq area");
	return 0;
}

/* The kernel's struct sigaction (x86_64). */
struct k_sigaction {
	uint64_t handler, flags, restorer, mask;
};

/* Signal number of entry @i of tc->sigactions (1..64 but SIGKILL, SIGSTOP). */
static int sa_signo(size_t i)
{
	int sig = 0;

	for (size_t n = 0; sig < TS_NSIG;) {
		sig++;
		if (!ts_sig_has_action(sig))
			continue;
		if (n++ == i)
			return sig;
	}
	return -1;
}

static int check_sigactions(const TaskCoreEntry *tc)
{
	if (tc->n_sigactions != TS_NSIG - 2) {
		pr_err("core has %zu signal actions, expected %d\n", tc->n_sigactions, TS_NSIG - 2);
		return -EINVAL;
	}
	for (size_t i = 0; i < tc->n_sigactions; i++)
		if (tc->sigactions[i]->has_compat_sigaction && tc->sigactions[i]->compat_sigaction) {
			pr_err("signal %d has a 32-bit action: compat tasks are not supported\n", sa_signo(i));
			return -EOPNOTSUPP;
		}
	return 0;
}

static int restore_sigactions(const TaskCoreEntry *tc)
{
	int r = check_sigactions(tc);

	if (r)
		return r;
	for (size_t i = 0; i < tc->n_sigactions; i++) {
		const SaEntry *e = tc->sigactions[i];
		struct k_sigaction k = { e->sigaction, e->flags, e->restorer, e->mask };
		int sig = sa_signo(i);

		if (sig == SIGCHLD) /* by the restorer, at the end */
			continue;
		if (syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof(k.mask)))
			return pr_err_ret(-errno, "can't restore the action of signal %d", sig);
	}
	return 0;
}

/* Write @val to /proc/self/@name unless it already says so; a refusal is only a warning. */
static int restore_proc_value(const char *name, long val, bool is_unsigned)
{
	char path[64], buf[32];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int len;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return pr_err_ret(-errno, "can't open %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		if ((is_unsigned ? (long)(uint32_t)strtoul(buf, NULL, 10) : strtol(buf, NULL, 10)) == val)
			return 0;
	}
	len = is_unsigned ? snprintf(buf, sizeof(buf), "%u", (uint32_t)val) : snprintf(buf, sizeof(buf), "%ld", val);
	if (pwrite(fd, buf, len, 0) != len) {
		pr_warn("can't set %s to %s: %s; the restored task keeps the current value\n", name, buf,
			strerror(errno));
		return 0;
	}
	return 0;
}

int restore_task_state_early(const CoreEntry *core)
{
	const TaskCoreEntry *tc = core->tc;
	int r;

	if (!tc) {
		pr_err("the core has no task part\n");
		return -EINVAL;
	}
	r = drop_own_rseq();
	if (r)
		return r;
	if (personality(tc->personality) < 0)
		return pr_err_ret(-errno, "can't set personality %#x", tc->personality);
	if (tc->has_child_subreaper && prctl(PR_SET_CHILD_SUBREAPER, tc->child_subreaper ? 1 : 0, 0, 0, 0))
		return pr_err_ret(-errno, "can't set the child-subreaper flag");
	if (tc->has_loginuid)
		restore_proc_value("loginuid", tc->loginuid, true);
	if (tc->has_oom_score_adj)
		restore_proc_value("oom_score_adj", tc->oom_score_adj, false);
	return restore_sigactions(tc);
}

/* ------------------------------------------------------------ the restorer's block */

/*
 * Laying the block out: the same walk sizes it (base NULL) and fills it,
 * so the two can never disagree.
 */
struct put {
	char *base;
	size_t off, size;
};

static uint64_t put(struct put *p, const void *src, size_t len)
{
	uint64_t off = p->off;

	if (p->base && src && len)
		memcpy(p->base + off, src, len);
	p->off += (len + 7) & ~(size_t)7;
	return off;
}

static void *at(struct put *p, uint64_t off)
{
	return p->base ? p->base + off : NULL;
}

static unsigned int cap_last_cap(void)
{
	static unsigned int last;
	FILE *f;

	if (last)
		return last;
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (!f || fscanf(f, "%u", &last) != 1 || last > 63)
		last = 40;
	if (f)
		fclose(f);
	return last;
}

static uint64_t caps64(const uint32_t *w, size_t n)
{
	return (n > 0 ? w[0] : 0) | (n > 1 ? (uint64_t)w[1] << 32 : 0);
}

/* Can the restorer (criu's credentials) give these capabilities? */
static int check_caps(const CredsEntry *c, unsigned int idx)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t own_prm, want;

	if (syscall(SYS_capget, &hdr, d))
		return pr_err_ret(-errno, "capget");
	own_prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	want = caps64(c->cap_prm, c->n_cap_prm) | caps64(c->cap_inh, c->n_cap_inh) | caps64(c->cap_eff, c->n_cap_eff) |
	       caps64(c->cap_amb, c->n_cap_amb);
	if (want & ~own_prm) {
		pr_err("thread #%u had capabilities criu does not have (%#" PRIx64 "): can't give them back\n", idx,
		       want & ~own_prm);
		return -EPERM;
	}
	if (!(own_prm & (1ULL << CAP_SETPCAP)) || !(own_prm & (1ULL << CAP_SETUID)) ||
	    !(own_prm & (1ULL << CAP_SETGID))) {
		pr_err("restoring credentials needs CAP_SETPCAP, CAP_SETUID and CAP_SETGID\n");
		return -EPERM;
	}
	return 0;
}

/* criu's own bounding set, read once (every thread of every task compares with it). */
static bool own_bounding_set(unsigned int last, uint64_t *own)
{
	static uint64_t set;
	static int state; /* 0: not read yet, 1: read, -1: can't be read */

	if (!state) {
		state = prctl(PR_CAPBSET_READ, 0, 0, 0, 0) >= 0 ? 1 : -1;
		for (unsigned int cap = 0; state > 0 && cap <= last; cap++)
			if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
				set |= 1ULL << cap;
	}
	*own = set;
	return state > 0;
}

static int put_creds(struct put *p, struct rst_creds *rc, const CredsEntry *c, unsigned int idx)
{
	uint64_t bnd = caps64(c->cap_bnd, c->n_cap_bnd), all, own;
	unsigned int last = cap_last_cap();
	int r;

	if (c->n_cap_inh > RST_CAP_WORDS || c->n_cap_prm > RST_CAP_WORDS || c->n_cap_eff > RST_CAP_WORDS ||
	    c->n_cap_bnd > RST_CAP_WORDS || c->n_cap_amb > RST_CAP_WORDS) {
		pr_err("thread #%u: capability sets longer than %d words\n", idx, RST_CAP_WORDS);
		return -EINVAL;
	}
	if (c->lsm_profile || c->lsm_sockcreate || c->has_apparmor_data) {
		pr_err("thread #%u has an LSM profile: not supported yet\n", idx);
		return -EOPNOTSUPP;
	}
	if (!p->base) {
		(void)put(p, NULL, c->n_groups * sizeof(uint32_t));
		return 0;
	}
	r = check_caps(c, idx);
	if (r)
		return r;
	rc->uid = c->uid;
	rc->euid = c->euid;
	rc->suid = c->suid;
	rc->fsuid = c->fsuid;
	rc->gid = c->gid;
	rc->egid = c->egid;
	rc->sgid = c->sgid;
	rc->fsgid = c->fsgid;
	rc->secbits = c->secbits;
	for (size_t i = 0; i < RST_CAP_WORDS; i++) {
		rc->cap_inh[i] = i < c->n_cap_inh ? c->cap_inh[i] : 0;
		rc->cap_prm[i] = i < c->n_cap_prm ? c->cap_prm[i] : 0;
		rc->cap_eff[i] = i < c->n_cap_eff ? c->cap_eff[i] : 0;
		rc->cap_amb[i] = i < c->n_cap_amb ? c->cap_amb[i] : 0;
	}
	all = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
	rc->bnd_drop = all & ~bnd;
	if (own_bounding_set(last, &own)) {
		if (bnd & all & ~own)
			pr_warn("thread #%u had capabilities in its bounding set that criu's lacks (%#" PRIx64
				"): they stay out\n",
				idx, bnd & all & ~own);
	}
	rc->nr_groups = c->n_groups;
	rc->groups_off = put(p, c->groups, c->n_groups * sizeof(uint32_t));
	return 0;
}

static int put_signals(struct put *p, const SignalQueueEntry *q, uint32_t *nr, uint64_t *off)
{
	size_t n = q ? q->n_signals : 0;

	*nr = n;
	*off = put(p, NULL, n * RST_SIGINFO_SIZE);
	for (size_t i = 0; i < n; i++) {
		const ProtobufCBinaryData *si = &q->signals[i]->siginfo;

		if (si->len != RST_SIGINFO_SIZE) {
			pr_err("a pending signal's siginfo has %zu bytes, not %d\n", si->len, RST_SIGINFO_SIZE);
			return -EINVAL;
		}
		if (p->base)
			memcpy(p->base + *off + i * RST_SIGINFO_SIZE, si->data, RST_SIGINFO_SIZE);
	}
	return 0;
}

static int put_seccomp(struct put *p, struct rst_thread_state *t, const ThreadCoreEntry *th, unsigned int idx)
{
	const SeccompFilter *chain[TS_MAX_SECCOMP_CHAIN];
	struct rst_seccomp_filter *d;
	int n;

	if (!th->has_seccomp_mode || th->seccomp_mode == SECCOMP_MODE__disabled)
		return 0;
	if (p->base)
		t->seccomp_mode = th->seccomp_mode;
	if (th->seccomp_mode == SECCOMP_MODE__strict)
		return 0;
	if (th->seccomp_mode != SECCOMP_MODE__filter || !th->has_seccomp_filter) {
		pr_err("thread #%u: seccomp mode %d without a filter\n", idx, th->seccomp_mode);
		return -EINVAL;
	}
	n = seccomp_rst_chain(th->seccomp_filter, chain, TS_MAX_SECCOMP_CHAIN);
	if (n < 0)
		return n;
	if (p->base)
		t->nr_seccomp = n;
	{
		uint64_t off = put(p, NULL, n * sizeof(*d));

		if (p->base)
			t->seccomp_off = off;
		d = at(p, off);
	}
	for (int i = 0; i < n; i++) {
		uint64_t o = put(p, chain[i]->filter.data, chain[i]->filter.len);

		if (d) {
			d[i].flags = chain[i]->has_flags ? chain[i]->flags : 0;
			d[i].len = chain[i]->filter.len / sizeof(struct sock_filter);
			d[i].off = o;
		}
	}
	return 0;
}

/*
 * Optional fields a newer schema may carry (timerslack_ns): reached through
 * the descriptor, so this builds against either schema.
 */
bool ts_pb_set_u64(void *msg, const char *name, uint64_t v)
{
	ProtobufCMessage *m = msg;
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);

	if (!f || f->type != PROTOBUF_C_TYPE_UINT64 || f->label != PROTOBUF_C_LABEL_OPTIONAL)
		return false;
	*(uint64_t *)((char *)m + f->offset) = v;
	if (f->quantifier_offset)
		*(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
	return true;
}

bool ts_pb_get_u64(const void *msg, const char *name, uint64_t *v)
{
	const ProtobufCMessage *m = msg;
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);

	if (!f || f->type != PROTOBUF_C_TYPE_UINT64 || f->label != PROTOBUF_C_LABEL_OPTIONAL)
		return false;
	if (f->quantifier_offset && !*(const protobuf_c_boolean *)((const char *)m + f->quantifier_offset))
		return false;
	*v = *(const uint64_t *)((const char *)m + f->offset);
	return true;
}

static int put_thread(struct put *p, struct rst_thread_state *t, const CoreEntry *core, unsigned int idx)
{
	const ThreadCoreEntry *th = core->thread_core;
	const char *comm;
	int r;

	if (!th || !th->creds) {
		pr_err("the core of thread #%u has no thread part or no credentials\n", idx);
		return -EINVAL;
	}
	if (p->base) {
		uint64_t slack;

		t->tid = 0; /* not in the core: the restorer asks gettid() */
		t->clear_tid_addr = core->thread_info ? core->thread_info->clear_tid_addr : 0;
		t->robust_head = th->futex_rla;
		t->robust_len = th->futex_rla_len;
		if (th->rseq_entry && th->rseq_entry->rseq_abi_pointer) {
			t->flags |= RST_T_RSEQ;
			t->rseq_ptr = th->rseq_entry->rseq_abi_pointer;
			t->rseq_len = th->rseq_entry->rseq_abi_size;
			t->rseq_sig = th->rseq_entry->signature;
		}
		if (th->has_sched_policy) {
			t->flags |= RST_T_SCHED;
			t->sched_policy = th->sched_policy;
			t->sched_prio = th->has_sched_prio ? th->sched_prio : 0;
			t->sched_nice = th->has_sched_nice ? th->sched_nice : 0;
		}
		t->pdeath_sig = th->has_pdeath_sig ? th->pdeath_sig : 0;
		if (ts_pb_get_u64(th, "timerslack_ns", &slack)) {
			t->flags |= RST_T_TIMERSLACK;
			t->timerslack = slack;
		}
		if (th->sas) {
			/* SS_ONSTACK only tells where the thread ran then */
			t->flags |= RST_T_SAS;
			t->ss_sp = th->sas->ss_sp;
			t->ss_size = th->sas->ss_size;
			t->ss_flags = th->sas->ss_flags & ~SS_ONSTACK;
		}
		comm = th->comm ?: (idx == 0 && core->tc ? core->tc->comm : NULL);
		if (comm)
			strncpy(t->comm, comm, sizeof(t->comm) - 1);
		if (th->creds->has_no_new_privs && th->creds->no_new_privs)
			t->flags |= RST_T_NNP;
		t->flags |= RST_T_CREDS;
	}
	r = put_creds(p, p->base ? &t->creds : NULL, th->creds, idx);
	if (!r)
		r = put_seccomp(p, t, th, idx);
	if (!r) {
		uint32_t nr;
		uint64_t off;

		r = put_signals(p, th->signals_p, &nr, &off);
		if (p->base) {
			t->nr_signals = nr;
			t->signals_off = off;
		}
	}
	return r;
}

static int put_timers(struct put *p, struct rst_task_state *ts, const TaskTimersEntry *tt)
{
	const ItimerEntry *it[3] = { tt->real, tt->virt, tt->prof };
	struct rst_posix_timer *pt;
	uint64_t off;

	for (int i = 0; ts && i < 3; i++) {
		if (!it[i])
			continue;
		ts->itimers[i] = (struct rst_itimer){ it[i]->isec, it[i]->iusec, it[i]->vsec, it[i]->vusec };
	}
	off = put(p, NULL, tt->n_posix * sizeof(*pt));
	pt = at(p, off);
	if (!pt)
		return 0;
	if (tt->n_posix && prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_GET, 0, 0, 0) < 0) {
		pr_err("the task has POSIX timers and this kernel can't create them with given ids "
		       "(PR_TIMER_CREATE_RESTORE_IDS, Linux 6.15): %s\n",
		       strerror(errno));
		return -EOPNOTSUPP;
	}
	ts->nr_timers = tt->n_posix;
	ts->timers_off = off;
	for (size_t i = 0; i < tt->n_posix; i++) {
		const PosixTimerEntry *e = tt->posix[i];

		pt[i] = (struct rst_posix_timer){
			.id = e->it_id,
			.clock = e->clock_id,
			.notify = e->it_sigev_notify,
			.signo = e->si_signo,
			.tid = e->has_notify_thread_id ? e->notify_thread_id : 0,
			.armed = e->vsec || e->vnsec,
			.sival = e->sival_ptr,
			.isec = e->isec,
			.insec = e->insec,
			.vsec = e->vsec,
			.vnsec = e->vnsec,
		};
		if (e->overrun)
			pr_info("POSIX timer %u had %u overruns: the kernel can't be told, they are lost\n", e->it_id,
				e->overrun);
	}
	return 0;
}

static void put_rlimits(struct rst_task_state *ts, const TaskRlimitsEntry *rl)
{
	static const char *const names[RST_NR_RLIMITS] = {
		"CPU",	   "FSIZE", "DATA",  "STACK",	   "CORE",     "RSS",  "NPROC",	 "NOFILE",
		"MEMLOCK", "AS",    "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
	};

	ts->nr_rlimits = rl ? min(rl->n_rlimits, (size_t)RST_NR_RLIMITS) : 0;
	for (unsigned int i = 0; i < ts->nr_rlimits; i++) {
		struct rlimit own;
		uint64_t cur = rl->rlimits[i]->cur, max = rl->rlimits[i]->max;

		if (!getrlimit(i, &own) && own.rlim_max != RLIM_INFINITY && max > own.rlim_max) {
			pr_warn("RLIMIT_%s: can't raise the hard limit to %" PRIu64 " above criu's %llu "
				"(no CAP_SYS_RESOURCE): the task gets %llu\n",
				names[i], max, (unsigned long long)own.rlim_max, (unsigned long long)own.rlim_max);
			max = own.rlim_max;
		}
		ts->rlimits[i] = (struct rst_rlimit){ min(cur, max), max };
	}
}

static int layout(CoreEntry *const *cores, unsigned int nr, const MmEntry *mm, struct put *p)
{
	const TaskCoreEntry *tc = nr ? cores[0]->tc : NULL;
	struct rst_task_state *ts;
	struct rst_thread_state *threads;
	uint64_t off;
	int r;

	if (!tc) {
		pr_err("restorer state: no task core\n");
		return -EINVAL;
	}
	off = put(p, NULL, sizeof(*ts));
	ts = at(p, off);
	off = put(p, NULL, nr * sizeof(*threads));
	threads = at(p, off);
	if (ts) {
		ts->magic = RST_STATE_MAGIC;
		ts->version = RST_STATE_VERSION;
		ts->nr_threads = nr;
		ts->threads_off = off;
		put_rlimits(ts, tc->rlimits);
		ts->membarrier = tc->has_membarrier_registration_mask ? tc->membarrier_registration_mask : 0;
		if (mm && mm->has_dumpable && (mm->dumpable == 0 || mm->dumpable == 1)) {
			ts->flags |= RST_TASK_DUMPABLE;
			ts->dumpable = mm->dumpable;
		} else if (mm && mm->has_dumpable) {
			/* 2 comes from fs.suid_dumpable, which a credential change applies again */
			pr_info("dumpable %d can't be set with prctl(): the kernel's choice stays\n", mm->dumpable);
		}
		r = check_sigactions(tc);
		if (r)
			return r;
		for (size_t i = 0; i < tc->n_sigactions; i++)
			if (sa_signo(i) == SIGCHLD) {
				const SaEntry *e = tc->sigactions[i];

				ts->sigchld = (struct rst_sigaction){ e->sigaction, e->flags, e->restorer, e->mask };
				ts->flags |= RST_TASK_SIGCHLD;
			}
	}
	if (tc->timers) {
		r = put_timers(p, ts, tc->timers);
		if (r)
			return r;
	}
	{
		uint32_t n;

		r = put_signals(p, tc->signals_s, &n, &off);
		if (r)
			return r;
		if (ts) {
			ts->nr_signals = n;
			ts->signals_off = off;
		}
	}
	for (unsigned int i = 0; i < nr; i++) {
		r = put_thread(p, threads ? &threads[i] : NULL, cores[i], i);
		if (r)
			return r;
	}
	if (ts)
		ts->size = p->off;
	return 0;
}

size_t restorer_state_size(CoreEntry *const *cores, unsigned int nr)
{
	struct put p = { 0 };

	if (layout(cores, nr, NULL, &p))
		return 0;
	return p.off;
}

int restorer_state_prepare(CoreEntry *const *cores, unsigned int nr, const MmEntry *mm, void *area, size_t size)
{
	struct put p = { .base = area, .size = size };
	size_t need = restorer_state_size(cores, nr);

	if (!need)
		return -EINVAL;
	if (size < need) {
		pr_err("restorer state needs %zu bytes, got %zu\n", need, size);
		return -ENOSPC;
	}
	memset(area, 0, need);
	return layout(cores, nr, mm, &p);
}

static const char *const step_names[RST_STEP_MAX] = {
	[RST_STEP_NONE] = "nothing",
	[RST_STEP_BAD_AREA] = "the state block is damaged",
	[RST_STEP_RLIMIT] = "setrlimit",
	[RST_STEP_ITIMER] = "setitimer",
	[RST_STEP_TIMER_IDS] = "prctl(PR_TIMER_CREATE_RESTORE_IDS)",
	[RST_STEP_TIMER_CREATE] = "timer_create",
	[RST_STEP_TIMER_SET] = "timer_settime",
	[RST_STEP_MEMBARRIER] = "membarrier registration",
	[RST_STEP_SIGCHLD] = "rt_sigaction(SIGCHLD)",
	[RST_STEP_SCHED] = "scheduling policy or nice",
	[RST_STEP_RSEQ] = "rseq registration",
	[RST_STEP_ROBUST_LIST] = "set_robust_list",
	[RST_STEP_COMM] = "prctl(PR_SET_NAME)",
	[RST_STEP_TIMERSLACK] = "prctl(PR_SET_TIMERSLACK)",
	[RST_STEP_SIGALTSTACK] = "sigaltstack",
	[RST_STEP_GROUPS] = "setgroups",
	[RST_STEP_SECUREBITS] = "prctl(PR_SET_SECUREBITS)",
	[RST_STEP_SETGID] = "setresgid/setfsgid",
	[RST_STEP_SETUID] = "setresuid/setfsuid",
	[RST_STEP_CAPBSET] = "prctl(PR_CAPBSET_DROP)",
	[RST_STEP_CAPSET] = "capset",
	[RST_STEP_AMBIENT] = "ambient capabilities",
	[RST_STEP_PDEATHSIG] = "prctl(PR_SET_PDEATHSIG)",
	[RST_STEP_NO_NEW_PRIVS] = "prctl(PR_SET_NO_NEW_PRIVS)",
	[RST_STEP_DUMPABLE] = "prctl(PR_SET_DUMPABLE)",
	[RST_STEP_SIGNALS] = "queueing a pending signal",
	[RST_STEP_SECCOMP] = "loading seccomp",
};

const char *restorer_state_error(const void *area, char *buf, size_t len)
{
	const struct rst_task_state *ts = area;
	int step = ts->err_step;

	snprintf(buf, len, "%s (%d) failed: %s", step > 0 && step < RST_STEP_MAX ? step_names[step] : "unknown step",
		 ts->err_arg, strerror(-ts->err_code));
	return buf;
}

void task_state_sigframe(const CoreEntry *core, bool leader, uint64_t *sigmask, stack_t *ss)
{
	const ThreadCoreEntry *th = core->thread_core;

	*sigmask = 0;
	if (leader && core->tc)
		*sigmask = core->tc->blk_sigset;
	else if (th && th->has_blk_sigset)
		*sigmask = th->blk_sigset;
	*sigmask &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));

	memset(ss, 0, sizeof(*ss));
	ss->ss_flags = SS_DISABLE;
	if (th && th->sas) {
		ss->ss_sp = (void *)(uintptr_t)th->sas->ss_sp;
		ss->ss_size = th->sas->ss_size;
		ss->ss_flags = th->sas->ss_flags & ~SS_ONSTACK;
	}
}
