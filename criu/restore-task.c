/*
 * A task of the tree being restored, in the child created with its pid,
 * up to the restorer (see restore.h for the tree and cr-restore.c for
 * criu's side).  In order:
 *  1. its parent death signal (SIGKILL while criu restores: a task whose
 *     parent dies goes too, so a failure takes the whole tree down), every
 *     signal blocked, the early task state (signal actions, subreaper...);
 *  2. the children it must fork in its birth session, setsid() when it
 *     leads a session, then its other children (tasks and helpers), each
 *     with clone3(set_tid), sharing the fd table or fs info (CLONE_FILES,
 *     CLONE_FS) where the dump found them shared;
 *  3. its process group: its own, or the one it joins once the leader (a
 *     task of the tree or a helper with the leader's pid) has made it;
 *  4. waits until every task of the tree made its group: then helpers
 *     exit (their children go to their subreaper, the dumped parent),
 *     zombies exit with their dumped status, and each task reaps its
 *     helpers and drops the SIGCHLD their exit queued;
 *  5. its fds (files.h): the descriptions criu opened once are inherited,
 *     the task puts them at its numbers (the first task of a shared fd
 *     table for all of them), then the files its memory maps;
 *  6. lays out the restorer's bootstrap area at a place free both in the
 *     dumped layout and in its own, and jumps there.  A child sharing its
 *     memory and signal handlers (vm_child) is not forked: the restorer
 *     creates it once the memory is back (restorer.h, rst_vm_child).  From the jump on,
 *     criu's code and data in this process are gone.
 *
 * Invariants: every fd criu hands down is at or above the service-fd base
 * (files.h); the fds a task opens for the restorer are moved there too
 * (reserve_service_fd()); the restorer closes them all.  A criu that dies
 * never leaves a half-restored tree behind: the parent death signals chain
 * the tree to criu, waits give up when criu is gone, and the restorer
 * exits when the sync pipe it waits on reports criu gone.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <time.h>

#define LOG_PREFIX "restore: "
#include "compel/blobs/criu-restorer-blob.h"
#include "arch.h"
#include "cr_options.h"
#include "files.h"
#include "memfd.h"
#include "log.h"
#include "restore.h"
#include "task-state.h"
#include "threads.h"

#define TASK_SIZE_MAX	 0x7ffffffff000ULL
#define RESTORER_STACK	 (64UL << 10)
#define PAGE_ALIGN(x)	 (((x) + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1))
#define LOWEST_BOOTSTRAP (16UL << 20)

void restore_report(int fd, int ret, const char *what)
{
	struct rst_status st = { .ret = ret ?: -EINVAL };

	snprintf(st.what, sizeof(st.what), "%s", what);
	if (write(fd, &st, sizeof(st)) != sizeof(st))
		pr_perror("can't report to criu");
}

/*
 * Try to map @len bytes at @addr without replacing anything.  The area is
 * shared memory (of this child alone): compel runs its remote syscalls in
 * the first executable *private* mapping, which must be the task's own
 * code, not this area, since one of those syscalls unmaps it.
 */
static void *try_map(uint64_t addr, size_t len)
{
	void *p = mmap((void *)addr, len, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if ((uint64_t)p != addr) { /* a kernel without MAP_FIXED_NOREPLACE */
		munmap(p, len);
		return NULL;
	}
	return p;
}

/* A place for the bootstrap area in a gap of the dumped layout that criu does not use either. */
static void *map_bootstrap(const struct mem_restore *mr, size_t len)
{
	uint64_t prev = LOWEST_BOOTSTRAP, step = 1ULL << 30;

	for (unsigned int i = 0; i <= mr->nr_vmas; i++) {
		uint64_t gs = prev, ge = i < mr->nr_vmas ? mr->vmas[i].start : TASK_SIZE_MAX;

		if (i < mr->nr_vmas) {
			if (mr->vmas[i].start >= TASK_SIZE_MAX)
				ge = TASK_SIZE_MAX;
			else
				prev = max(prev, mr->vmas[i].end);
		}
		if (ge <= gs || ge - gs < len + 2 * PAGE_SIZE_4K)
			continue;
		/* Leave a page free on each side, try the middle, then step through the gap. */
		uint64_t mid = (gs + (ge - gs) / 2) & ~(PAGE_SIZE_4K - 1);
		void *p = try_map(mid, len);
		if (p)
			return p;
		for (uint64_t a = gs + PAGE_SIZE_4K; a + len + PAGE_SIZE_4K <= ge; a += step) {
			p = try_map(a, len);
			if (p)
				return p;
		}
		p = try_map((ge - len - PAGE_SIZE_4K) & ~(PAGE_SIZE_4K - 1), len);
		if (p)
			return p;
	}
	return NULL;
}

/*
 * A free place of @len bytes in the dumped layout, away from the bootstrap
 * area [@bs, @bs + @blen): the middle of the largest gap, or below it.
 */
static uint64_t free_place(const struct mem_restore *mr, uint64_t len, uint64_t bs, uint64_t blen)
{
	uint64_t best_s = 0, best_e = 0, prev = LOWEST_BOOTSTRAP, a;

	for (unsigned int i = 0; i <= mr->nr_vmas; i++) {
		uint64_t gs = prev, ge = i < mr->nr_vmas ? min(mr->vmas[i].start, TASK_SIZE_MAX) : TASK_SIZE_MAX;

		if (i < mr->nr_vmas && mr->vmas[i].start < TASK_SIZE_MAX)
			prev = max(prev, mr->vmas[i].end);
		if (ge > gs && ge - gs > best_e - best_s)
			best_s = gs, best_e = ge;
	}
	if (best_e - best_s < len + blen + 4 * PAGE_SIZE_4K)
		return 0;
	a = (best_s + (best_e - best_s) / 2) & ~(PAGE_SIZE_4K - 1);
	if (a < bs + blen && bs < a + len)
		a = (bs - len - PAGE_SIZE_4K) & ~(PAGE_SIZE_4K - 1);
	if (a < best_s || a + len > best_e || (a < bs + blen && bs < a + len))
		return 0;
	return a;
}

/* Where this kernel's vDSO goes, and the jumps into it (vdso.h). */
static int place_vdso(struct restore_task *t, uint64_t bs, uint64_t blen, struct rst_args *a)
{
	struct vdso_plan *p = &t->vdso;
	uint64_t base = p->nr_special ? p->special[0].start : 0, at;

	memcpy(a->special, p->special, sizeof(a->special));
	a->nr_special = p->nr_special;
	if (!p->relocate)
		return 0;
	at = free_place(&t->mr, p->len, bs, blen);
	if (!at)
		return pr_err_ret(-ENOMEM, "no room for this kernel's vDSO in the task's layout");
	for (unsigned int i = 0; i < p->nr_special; i++)
		a->special[i].to = at + (p->special[i].start - base);
	for (unsigned int i = 0; i < p->nr_jumps && i < RST_MAX_PATCHES; i++) {
		uint64_t to = p->jumps[i].to == VDSO_NO_TARGET ? VDSO_NO_TARGET : at + p->vdso_off + p->jumps[i].to;

		a->patches[i].addr = t->mr.vdso_start + p->jumps[i].from;
		a->patches[i].len = vdso_jump_code(to, a->patches[i].code);
	}
	a->nr_patches = min(p->nr_jumps, (unsigned int)RST_MAX_PATCHES);
	pr_info("this kernel's vDSO goes to %#llx\n", (unsigned long long)(at + p->vdso_off));
	return 0;
}

static void fill_mm(struct rst_args *a, const struct mem_restore *mr)
{
	const MmEntry *mm = mr->mm;

	a->has_mm = 1;
	a->mm = (struct rst_mm_map){
		.start_code = mm->mm_start_code,
		.end_code = mm->mm_end_code,
		.start_data = mm->mm_start_data,
		.end_data = mm->mm_end_data,
		.start_brk = mm->mm_start_brk,
		.brk = mm->mm_brk,
		.start_stack = mm->mm_start_stack,
		.arg_start = mm->mm_arg_start,
		.arg_end = mm->mm_arg_end,
		.env_start = mm->mm_env_start,
		.env_end = mm->mm_env_end,
		.auxv_size = mm->n_mm_saved_auxv * sizeof(uint64_t),
		.exe_fd = mr->exe_fd,
	};
	memcpy(a->auxv, mm->mm_saved_auxv, a->mm.auxv_size);
	a->thp_disabled = mm->has_thp_disabled && mm->thp_disabled;
}

static __attribute__((noreturn)) void jump(uint64_t entry, uint64_t stack, uint64_t args)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "jmp *%1\n\t"
			 :
			 : "r"(stack), "r"(entry), "D"(args)
			 : "memory");
	__builtin_unreachable();
}

/* Room in the bootstrap area for the children sharing @t's memory: table, state blocks, stacks. */
static size_t vm_kids_size(const struct restore_task *t)
{
	size_t len = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < t->nr_kids; i++) {
		const struct restore_task *k = t->kids[i];
		CoreEntry *const *cores;
		unsigned int nr;

		if (!k->vm_child)
			continue;
		n++;
		cores = restore_threads_cores(k->pid, &k->core, &nr);
		len += PAGE_ALIGN(restorer_state_size(cores, nr));
		len += RST_THREAD_STACK;
	}
	return n ? len + PAGE_ALIGN(n * sizeof(struct rst_vm_child)) : 0;
}

/* Lay the children sharing @t's memory out at @at (vm_kids_size() bytes). */
static int fill_vm_kids(const struct restore_task *t, struct rst_args *a, char *at)
{
	struct rst_vm_child *vc = (struct rst_vm_child *)at;
	unsigned int n = 0;
	char *p;

	for (unsigned int i = 0; i < t->nr_kids; i++)
		n += t->kids[i]->vm_child;
	a->nr_vm_children = n;
	a->vm_children = n ? (uint64_t)(uintptr_t)at : 0;
	p = at + PAGE_ALIGN(n * sizeof(struct rst_vm_child));
	for (unsigned int i = 0; i < t->nr_kids; i++) {
		const struct restore_task *k = t->kids[i];
		unsigned int nr;
		CoreEntry *const *cores;
		size_t size;
		int r;

		if (!k->vm_child)
			continue;
		cores = restore_threads_cores(k->pid, &k->core, &nr);
		size = restorer_state_size(cores, nr);
		r = restorer_state_prepare(cores, nr, t->mr.mm, p, size);
		if (r)
			return r;
		*vc = (struct rst_vm_child){
			.pid = k->pid,
			.parent = t->pid,
			.flags = CLONE_VM | CLONE_SIGHAND | k->clone_flags,
			.state_area = (uint64_t)(uintptr_t)p,
			.close_from = k->clone_flags & CLONE_FILES ? -1 : files_service_fd_base(),
		};
		p += PAGE_ALIGN(size);
		vc->stack = (uint64_t)(uintptr_t)p;
		vc->stack_len = RST_THREAD_STACK;
		p += RST_THREAD_STACK;
		pr_info("process %d creates process %d in its memory\n", (int)t->pid, (int)k->pid);
		vc++;
	}
	return 0;
}

static int enter_restorer(struct restore_task *t)
{
	const struct compel_blob *blob = &criu_restorer_blob;
	struct mem_restore *mr = &t->mr;
	size_t blob_len = PAGE_ALIGN(blob->size + blob->bss_size);
	size_t args_len = PAGE_ALIGN(sizeof(struct rst_args));
	size_t vmas_len = PAGE_ALIGN(mr->nr_vmas * sizeof(struct rst_vma));
	size_t runs_len = PAGE_ALIGN(mr->nr_runs * sizeof(struct rst_run));
	unsigned int nr_cores;
	CoreEntry *const *cores = restore_threads_cores(t->pid, &t->core, &nr_cores); /* threads.h */
	size_t state_size = restorer_state_size(cores, nr_cores), state_len = PAGE_ALIGN(state_size);
	size_t threads_len = restore_threads_bootstrap_size(t->pid);
	size_t vm_len = vm_kids_size(t);
	size_t park_len = 0, len;
	char *base;
	int r;

	for (unsigned int i = 0; i < t->vdso.nr_special; i++)
		park_len += t->vdso.special[i].len;
	len = blob_len + args_len + vmas_len + runs_len + state_len + PAGE_ALIGN(park_len) + RESTORER_STACK +
	      threads_len + vm_len;
	base = map_bootstrap(mr, len);
	if (!base)
		return pr_err_ret(-ENOMEM, "no room of %zu bytes for the restorer in the task's layout", len);

	memcpy(base, blob->image, blob->size);
	for (unsigned int i = 0; i < blob->nr_relocs; i++) {
		uint64_t *w = (uint64_t *)(base + blob->relocs[i]);

		*w += (uint64_t)base;
	}
	struct rst_args *a = (struct rst_args *)(base + blob_len);
	char *vmas = (char *)a + args_len, *runs = vmas + vmas_len, *state = runs + runs_len;
	char *park = state + state_len;

	r = restorer_state_prepare(cores, nr_cores, mr->mm, state, state_size);
	if (r)
		return r;
	a->state_area = (uint64_t)state;
	restore_threads_fill(t->pid, a, base + len - vm_len - threads_len);
	r = fill_vm_kids(t, a, base + len - vm_len);
	if (r)
		return r;
	a->state_size = state_size;
	a->has_seccomp = t->core->thread_core && t->core->thread_core->has_seccomp_mode &&
			 t->core->thread_core->seccomp_mode != SECCOMP_MODE__disabled;

	memcpy(vmas, mr->vmas, mr->nr_vmas * sizeof(struct rst_vma));
	memcpy(runs, mr->runs, mr->nr_runs * sizeof(struct rst_run));
	a->bootstrap_start = (uint64_t)base;
	a->bootstrap_len = len;
	a->task_size = TASK_SIZE_MAX;
	r = place_vdso(t, (uint64_t)base, len, a);
	if (r)
		return r;
	a->nr_vmas = mr->nr_vmas;
	a->vmas = (uint64_t)vmas;
	a->nr_runs = mr->nr_runs;
	a->runs = (uint64_t)runs;
	a->park = (uint64_t)park;
	for (unsigned int i = 0; i < mr->nr_page_files; i++)
		a->pages_fds[i] = mr->page_fds[i];
	a->status_fd = t->status_fd;
	a->sync_fd = t->sync_fd;
	/*
	 * In an fd table shared with other tasks (CLONE_FILES), the restorer
	 * must close nothing the others still need: criu placed this task's
	 * status and sync fds above those of the tasks that enter their
	 * restorers later, and closes what is left once all are seized.
	 */
	a->close_from = t->files_seq >= 0 ? INT32_MAX : files_service_fd_base();
	r = memfd_pending_seals(a->seal_fds, a->seals, RST_MAX_SEALS);
	if (r < 0)
		return r;
	a->nr_seals = r;
	fill_mm(a, mr);
	a->mm.auxv = (uint64_t)a->auxv;

	pr_info("entering the restorer at %p (%zu bytes): %u areas, %llu pages\n", base, len, mr->nr_vmas,
		(unsigned long long)mr->pages);
	if (t->files_seq < 0)
		log_fini(); /* its fd goes with the restorer's close_range() */
	jump((uint64_t)base + blob->entry, (uint64_t)park + PAGE_ALIGN(park_len) + RESTORER_STACK, (uint64_t)a);
}

/* ------------------------------------------------------------ the tree */

static struct restore_tree *tree;

#define ACCESS_ONCE(x) (*(volatile typeof(x) *)&(x))

static void wake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

static void set_word(uint32_t *w, uint32_t v)
{
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
	wake(w);
}

/* Wait until *@w is at least @want; -ECANCELED when criu gave up or died. */
static int wait_word(uint32_t *w, uint32_t want)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	for (;;) {
		uint32_t v = __atomic_load_n(w, __ATOMIC_SEQ_CST);

		if (v >= want)
			return 0;
		if (ACCESS_ONCE(tree->sh->abort) || (kill(tree->criu_pid, 0) && errno == ESRCH))
			return -ECANCELED;
		syscall(SYS_futex, w, FUTEX_WAIT, v, &ts, NULL, 0);
	}
}

/* A failure in this task: said once, then criu learns it and kills the tree. */
static __attribute__((noreturn)) void fail(struct restore_task *t, int r, const char *what)
{
	if (r != -ECANCELED) {
		pr_err("restoring process %d failed: %s: %s\n", (int)t->pid, what, strerror(-r));
		if (t->kind == RT_ALIVE)
			restore_report(t->status_fd, r, what);
		tree->sh->failed_pid = t->pid;
		set_word(&tree->sh->abort, 1);
	}
	_exit(1);
}

pid_t restore_clone(pid_t pid, uint64_t flags)
{
	pid_t tid = pid;
	struct clone_args ca = {
		.flags = flags,
		/* a sibling gets criu's own exit signal: clone3 wants 0 there */
		.exit_signal = flags & CLONE_PARENT ? 0 : SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)&tid,
		.set_tid_size = 1,
	};

	return syscall(SYS_clone3, &ca, sizeof(ca));
}

static void fork_kids(struct restore_task *t, bool early)
{
	for (unsigned int i = 0; i < t->nr_kids; i++) {
		struct restore_task *k = t->kids[i];
		pid_t pid;

		if (k->early != early || k->vm_child)
			continue; /* a child sharing the memory: the restorer makes it */
		pid = restore_clone(k->pid, k->clone_flags);
		if (pid == 0)
			restore_task_main(tree, k);
		if (pid < 0) {
			int r = -errno;

			if (r == -EEXIST)
				pr_err("pid %d is taken by another process: can't restore into it\n", (int)k->pid);
			fail(t, r, "can't create a child");
		}
		pr_debug("process %d created %s %d\n", (int)t->pid, k->kind == RT_HELPER ? "helper" : "child",
			 (int)pid);
	}
}

/* Step 3: the process group, once its leader made it. */
static void restore_group(struct restore_task *t)
{
	pid_t cur = getpgrp();

	if (t->pgid == t->pid) {
		if (cur != t->pid && setpgid(0, 0))
			fail(t, -errno, "can't make its own process group");
		set_word(&tree->sh->slot[t->idx].group_ready, 1);
		return;
	}
	if (t->pgid == cur)
		return;
	if (t->group_leader >= 0) {
		int r = wait_word(&tree->sh->slot[t->group_leader].group_ready, 1);

		if (r)
			fail(t, r, "waiting for its process group");
	}
	if (setpgid(0, t->pgid)) {
		int r = -errno;

		pr_err("process %d can't join process group %d (session %d)\n", (int)t->pid, (int)t->pgid,
		       (int)getsid(0));
		fail(t, r, "can't join its process group");
	}
}

/* Step 4: reap the helpers, make sure zombie children are dead, drop their SIGCHLD. */
static void collect_kids(struct restore_task *t)
{
	sigset_t chld;
	struct timespec zero = { 0, 0 };

	for (unsigned int i = 0; i < t->nr_kids; i++) {
		struct restore_task *k = t->kids[i];
		siginfo_t si;

		if (k->kind == RT_HELPER) {
			while (waitpid(k->pid, NULL, 0) < 0)
				if (errno != EINTR)
					fail(t, -errno, "can't reap a helper");
		} else if (k->kind == RT_ZOMBIE) {
			while (waitid(P_PID, k->pid, &si, WEXITED | WNOWAIT) < 0)
				if (errno != EINTR)
					fail(t, -errno, "can't wait for a zombie child");
		}
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (sigtimedwait(&chld, NULL, &zero) == SIGCHLD)
		;
}

/* A zombie ends as it ended before: exit code or the signal that killed it. */
static __attribute__((noreturn)) void zombie_exit(struct restore_task *t)
{
	uint32_t code = t->core->tc->exit_code;
	int sig = code & 0x7f;

	prctl(PR_SET_NAME, (unsigned long)t->core->tc->comm, 0, 0, 0);
	pr_info("zombie %d exits (status %#x)\n", (int)t->pid, code);
	log_fini();
	if (sig) {
		struct sigaction sa = { .sa_handler = SIG_DFL };
		sigset_t one;

		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no core file */
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, &sa, NULL))
			sig = SIGKILL;
		sigemptyset(&one);
		sigaddset(&one, sig);
		syscall(SYS_kill, getpid(), sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		syscall(SYS_kill, getpid(), SIGKILL); /* a signal whose default is not to end it */
	}
	_exit((code >> 8) & 0xff);
}

/* Under a session helper: once it exited, the dumped parent (a subreaper) is ours. */
static void wait_reparent(struct restore_task *t)
{
	for (int i = 0; getppid() != t->ppid; i++) {
		if (i > 5000 || ACCESS_ONCE(tree->sh->abort))
			fail(t, -ECANCELED, "");
		usleep(1000);
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		fail(t, -errno, "can't set the parent death signal");
	if (getppid() != t->ppid)
		fail(t, -ECANCELED, "");
}

/* Step 5 and 6. */
static void restore_alive(struct restore_task *t)
{
	struct rst_slot *owner = &tree->sh->slot[t->files_owner];
	int r;

	if (t->files_owner == (int)t->idx) {
		r = restore_task_files(t->pid);
		if (r)
			fail(t, r, "can't restore its files");
		set_word(&owner->table_ready, 1);
	} else {
		r = wait_word(&owner->table_ready, 1);
		if (!r)
			r = restore_task_fs_only(t->pid);
		if (r)
			fail(t, r, "can't restore its fs");
	}
	r = mem_restore_open_files(&t->mr);
	if (r)
		fail(t, r, "can't open the files it maps");
	if (t->files_prev >= 0) {
		r = wait_word(&tree->sh->slot[t->files_prev].seized, 1);
		if (r)
			fail(t, r, "waiting for the task sharing its fd table");
	}
	r = enter_restorer(t);
	fail(t, r, "can't enter the restorer");
}

void restore_task_main(struct restore_tree *tr, struct restore_task *t)
{
	uint64_t all = ~0ULL;
	int r;

	tree = tr;
	/* No handler of criu's may run from here on: the task's own actions come in early. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all));
	if (t->parent && !t->under_helper) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL))
			fail(t, -errno, "can't set the parent death signal");
		if (getppid() != t->parent->pid)
			fail(t, -ECANCELED, ""); /* the parent is gone already */
	} else if (!t->parent && !t->detached && !opts.restore_sibling) {
		/* The root: until criu is done, its death is ours. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL))
			fail(t, -errno, "can't set the parent death signal");
		if (getppid() != tree->criu_pid)
			fail(t, -ECANCELED, "");
	}
	__atomic_store_n(&tr->sh->slot[t->idx].pid, getpid(), __ATOMIC_SEQ_CST);

	/* --log-pid: this process logs to LOG.PID (the work dir is still the cwd). */
	if (opts.log_file_per_pid && !(t->clone_flags & CLONE_FILES)) {
		r = log_init_by_pid(t->pid);
		if (!r)
			r = log_move_above(files_service_fd_base());
		if (r)
			fail(t, r, "can't open its log");
	}
	fork_kids(t, true);
	if (t->setsid && setsid() < 0)
		fail(t, -errno, "can't make it a session leader");
	/* its pty, before the members of its session are forked */
	if (t->setsid && (r = tty_restore_session()))
		fail(t, r, "can't give its session its terminal");
	fork_kids(t, false);
	/*
	 * After the forks: the children drop the rseq area they inherit
	 * themselves; before the helpers exit: a subreaper must be one then.
	 */
	if (t->kind == RT_ALIVE) {
		r = restore_task_state_early(t->core);
		if (r)
			fail(t, r, "can't restore its early state");
	}
	restore_group(t);
	__atomic_add_fetch(&tr->sh->groups_done, 1, __ATOMIC_SEQ_CST);
	wake(&tr->sh->groups_done);
	r = wait_word(&tr->sh->groups_done, tr->sh->nr);
	if (r)
		fail(t, r, "waiting for the tree's groups");
	if (t->kind == RT_HELPER) {
		log_fini();
		_exit(0);
	}
	collect_kids(t);
	if (t->kind == RT_ZOMBIE)
		zombie_exit(t);
	if (t->under_helper)
		wait_reparent(t);
	pr_info("process %d: session %d, group %d\n", (int)t->pid, (int)getsid(0), (int)getpgrp());
	restore_alive(t);
	_exit(1);
}
