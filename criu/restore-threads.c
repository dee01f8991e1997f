/*
 * Restore of the threads of a task besides its leader, criu's side (see
 * threads.h): read their cores, give the restorer a table of them with a
 * stack each, and once the restorer has created them (clone3 with their
 * tids) and criu has seized the task, load every thread's registers,
 * extended state and blocked mask.
 *
 * What each thread restores itself, in the restorer, is the per-thread
 * part of the task-state block (task-state-restore.c lays it out for all
 * cores, leader first; criu/pie/restorer-state.c applies it).
 *
 * The tables live until restore_threads_fini(); the restored child, a
 * copy of criu, reads them from its copy of criu's memory.
 */
#include <signal.h>

#define LOG_PREFIX "threads: "
#include "arch.h"
#include "image.h"
#include "log.h"
#include "restorer.h"
#include "task-state.h"
#include "threads.h"

#include <compel.h>

#define PAGE_SZ	       4096UL
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((a)-1))

/* The threads of one task. */
struct thread_set {
	pid_t pid;
	unsigned int nr;  /* with the leader */
	CoreEntry **core; /* [0]: the leader's (not ours); [i]: tid[i]'s */
	pid_t *tid;
	struct thread_set *next;
};

static struct thread_set *sets;

static struct thread_set *find_set(pid_t pid)
{
	for (struct thread_set *s = sets; s; s = s->next)
		if (s->pid == pid)
			return s;
	return NULL;
}

static void free_set(struct thread_set *s)
{
	for (unsigned int i = 1; i < s->nr; i++)
		img_msg_free(s->core[i]);
	free(s->core);
	free(s->tid);
	free(s);
}

/* Log what is wrong (a whole sentence, no errno) and give @r. */
#define refuse(r, fmt, ...) (pr_err(fmt "\n", ##__VA_ARGS__), (r))

/* Thread @tid's core: a thread part with registers, no task part. */
static int check_thread_core(pid_t pid, pid_t tid, const CoreEntry *c)
{
	if (c->mtype != ARCH_CORE_MTYPE || !c->thread_info || !c->thread_info->gpregs || !c->thread_info->fpregs)
		return refuse(-EINVAL, "core-%d.img (thread of %d) has no x86_64 registers", (int)tid, (int)pid);
	if (!c->thread_core || !c->thread_core->creds)
		return refuse(-EINVAL, "core-%d.img (thread of %d) has no thread state", (int)tid, (int)pid);
	return 0;
}

int restore_threads_read(struct img_dir *dir, const PstreeEntry *pe, CoreEntry *leader)
{
	struct thread_set *s;
	pid_t pid = pe->pid;
	int r = 0;

	if (find_set(pid))
		return 0;
	if (!pe->n_threads || pe->threads[0] != pe->pid)
		return refuse(-EINVAL, "pstree.img: the first thread of process %d is not its leader", (int)pid);
	s = xzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pid = pid;
	s->core = xzalloc(pe->n_threads * sizeof(*s->core));
	s->tid = xzalloc(pe->n_threads * sizeof(*s->tid));
	if (!s->core || !s->tid) {
		free_set(s);
		return -ENOMEM;
	}
	s->core[0] = leader;
	s->tid[0] = pid;
	s->nr = 1;
	for (size_t i = 1; i < pe->n_threads; i++) {
		pid_t tid = pe->threads[i];

		if (tid <= 0 || (uint32_t)tid != pe->threads[i]) {
			r = refuse(-EINVAL, "pstree.img names thread %u of %d: not a tid", pe->threads[i], (int)pid);
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (pe->threads[j] == (uint32_t)tid)
				r = refuse(-EINVAL, "pstree.img names thread %d of %d twice", (int)tid, (int)pid);
		if (r)
			break;
		r = img_read_one(dir, CR_IMG_CORE, tid, &core_entry__descriptor, (void **)&s->core[i]);
		if (r)
			break;
		s->tid[i] = tid;
		s->nr++;
		r = check_thread_core(pid, tid, s->core[i]);
		if (r)
			break;
		if (kill(tid, 0) == 0 || errno != ESRCH) {
			r = refuse(-EEXIST,
				   "tid %d (a thread of %d) is taken by another process: can't restore into it",
				   (int)tid, (int)pid);
			break;
		}
	}
	if (r) {
		free_set(s);
		return r;
	}
	s->next = sets;
	sets = s;
	if (s->nr > 1)
		pr_info("process %d has %u threads\n", (int)pid, s->nr);
	return 0;
}

CoreEntry *const *restore_threads_cores(pid_t pid, CoreEntry *const *leader, unsigned int *nr)
{
	struct thread_set *s = find_set(pid);

	if (!s) {
		*nr = 1;
		return leader;
	}
	*nr = s->nr;
	return s->core;
}

size_t restore_threads_bootstrap_size(pid_t pid)
{
	struct thread_set *s = find_set(pid);

	if (!s || s->nr < 2)
		return 0;
	return ALIGN_UP((s->nr - 1) * sizeof(struct rst_thread), PAGE_SZ) + (s->nr - 1) * RST_THREAD_STACK;
}

void restore_threads_fill(pid_t pid, struct rst_args *a, void *at)
{
	struct thread_set *s = find_set(pid);
	struct rst_thread *th = at;
	char *stacks;

	a->nr_threads = 0;
	a->threads_done = 0;
	a->threads = 0;
	if (!s || s->nr < 2)
		return;
	stacks = (char *)at + ALIGN_UP((s->nr - 1) * sizeof(struct rst_thread), PAGE_SZ);
	for (unsigned int i = 1; i < s->nr; i++, th++) {
		*th = (struct rst_thread){
			.tid = s->tid[i],
			.idx = i,
			.stack = (uint64_t)(uintptr_t)(stacks + (i - 1) * RST_THREAD_STACK),
			.stack_len = RST_THREAD_STACK,
		};
	}
	a->nr_threads = s->nr - 1;
	a->threads = (uint64_t)(uintptr_t)at;
}

/* Registers, extended state and blocked mask of seized thread @i from @core. */
static int load_thread(struct parasite_ctl *ctl, unsigned int i, const CoreEntry *core)
{
	const struct compel_thread_info *ti = compel_thread(ctl, i);
	_cleanup_free_ void *xs = xmalloc(ti->xstate_size);
	compel_regs_t regs;
	uint64_t mask;
	stack_t ss;
	int r;

	if (!xs)
		return -ENOMEM;
	memcpy(xs, ti->xstate, ti->xstate_size);
	r = arch_image_xstate(core, xs, ti->xstate_size);
	if (!r)
		r = compel_set_xstate(ctl, i, xs, ti->xstate_size);
	if (!r)
		r = arch_image_regs(core, &regs);
	if (!r)
		r = compel_set_regs(ctl, i, &regs);
	task_state_sigframe(core, false, &mask, &ss); /* the altstack is in place already */
	if (!r)
		r = compel_set_sigmask(ctl, i, mask);
	if (r)
		pr_err("can't load the registers of thread %d\n", (int)ti->tid);
	return r;
}

int restore_threads_load(struct parasite_ctl *ctl, pid_t pid)
{
	struct thread_set *s = find_set(pid);
	unsigned int n = compel_task(ctl)->nr_threads;

	if (n != (s ? s->nr : 1))
		return refuse(-ESRCH, "process %d has %u threads after its restorer, not %u", (int)pid, n,
			      s ? s->nr : 1);
	for (unsigned int i = 1; i < n; i++) {
		pid_t tid = compel_thread(ctl, i)->tid;
		unsigned int k;
		int r;

		for (k = 1; k < s->nr && s->tid[k] != tid; k++)
			;
		if (k == s->nr)
			return refuse(-EINVAL, "process %d has a thread %d the images do not know", (int)pid, (int)tid);
		r = load_thread(ctl, i, s->core[k]);
		if (r)
			return r;
	}
	return 0;
}

void restore_threads_fini(void)
{
	while (sets) {
		struct thread_set *s = sets;

		sets = s->next;
		free_set(s);
	}
}
