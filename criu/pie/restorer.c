/*
 * The restorer: runs in the restored child, in the bootstrap area criu
 * mapped for it, and turns criu's address space into the dumped task's
 * (see criu/include/restorer.h for the contract).  No libc: raw syscalls.
 *
 * Order matters: the vDSO is parked inside the bootstrap area before
 * everything else is unmapped (its target may overlap criu's mappings),
 * VMAs are mapped before the vDSO lands (so a VMA never clobbers it) and
 * memory is filled before it gets its final protection.  Nothing here may
 * touch memory outside the bootstrap area before the VMAs exist.
 */
#include <stdbool.h>

#include "std.h"
#include "restorer.h"
#include "include/restorer-state.h"

#define NR_mmap		 9
#define NR_mprotect	 10
#define NR_munmap	 11
#define NR_preadv	 295
#define NR_madvise	 28
#define NR_mremap	 25
#define NR_close_range	 436
#define NR_fcntl	 72
#define NR_futex	 202
#define NR_wait4	 61
#define NR_getppid	 110
#define WNOHANG		 1
#define WALL		 0x40000000
#define SIGKILL		 9
#define SIGCHLD		 17
#define PR_SET_PDEATHSIG 1
#define F_ADD_SEALS	 1033

#define CLONE_VM      0x00000100
#define CLONE_FS      0x00000200
#define CLONE_FILES   0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_THREAD  0x00010000
#define CLONE_SYSVSEM 0x00040000
#define FUTEX_WAIT    0
#define FUTEX_WAKE    1
#define SECCOMP_OFF   0

#define PROT_WRITE	    0x2
#define MAP_PRIVATE	    0x02
#define MAP_FIXED	    0x10
#define MAP_ANONYMOUS	    0x20
#define MREMAP_MAYMOVE	    1
#define MREMAP_FIXED	    2
#define MADV_POPULATE_WRITE 23
#define PR_SET_MM	    35
#define PR_SET_MM_MAP	    14
#define PR_SET_THP_DISABLE  41
#define EINVAL		    22
#define IOV_MAX		    1024

struct k_iov {
	uint64_t base, len;
};

static long sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return __syscall6(nr, a1, a2, a3, a4, a5, a6);
}

static bool is_err(long r)
{
	return r < 0 && r > -4096;
}

static struct rst_status status;

/* Record the first failure: what and where. */
static long fail(long r, int line, const char *what)
{
	if (!status.ret) {
		size_t n = strlen(what);

		status.ret = (int32_t)r;
		status.line = line;
		if (n >= sizeof(status.what))
			n = sizeof(status.what) - 1;
		memcpy(status.what, what, n);
	}
	return r;
}
#define FAIL(r, what) fail((r), __LINE__, (what))

static void report(const struct rst_args *a)
{
	status.bootstrap_start = a->bootstrap_start;
	status.bootstrap_len = a->bootstrap_len;
	status.status_fd = a->status_fd;
	status.sync_fd = a->sync_fd;
	sys_write(a->status_fd, &status, sizeof(status));
}

/* Move this kernel's vDSO areas into the park, inside the bootstrap area. */
static long park_specials(const struct rst_args *a)
{
	uint64_t base = a->nr_special ? a->special[0].start : 0;

	for (uint32_t i = 0; i < a->nr_special; i++) {
		const struct rst_special *s = &a->special[i];
		long r = sys(NR_mremap, s->start, s->len, s->len, MREMAP_MAYMOVE | MREMAP_FIXED,
			     a->park + (s->start - base), 0);

		if (is_err(r))
			return FAIL(r, "can't move the vDSO aside");
	}
	return 0;
}

static long place_specials(const struct rst_args *a)
{
	uint64_t base = a->nr_special ? a->special[0].start : 0;

	for (uint32_t i = 0; i < a->nr_special; i++) {
		const struct rst_special *s = &a->special[i];
		uint64_t at = a->park + (s->start - base);
		long r;

		if (!s->to)
			r = sys(NR_munmap, at, s->len, 0, 0, 0, 0);
		else
			r = sys(NR_mremap, at, s->len, s->len, MREMAP_MAYMOVE | MREMAP_FIXED, s->to, 0);
		if (is_err(r))
			return FAIL(r, "can't move the vDSO to its dumped place");
	}
	return 0;
}

/* Everything criu had but the bootstrap area (the park is in it). */
static long unmap_criu(const struct rst_args *a)
{
	uint64_t end = a->bootstrap_start + a->bootstrap_len;
	long r;

	if (a->bootstrap_start) {
		r = sys(NR_munmap, 0, a->bootstrap_start, 0, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't unmap criu's memory below the restorer");
	}
	if (end < a->task_size) {
		r = sys(NR_munmap, end, a->task_size - end, 0, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't unmap criu's memory above the restorer");
	}
	return 0;
}

static long map_vmas(const struct rst_args *a)
{
	const struct rst_vma *v = (const struct rst_vma *)a->vmas;

	for (uint32_t i = 0; i < a->nr_vmas; i++, v++) {
		uint32_t prot = v->prot;
		long r;

		if (v->kind != RST_VMA_MAP)
			continue;
		if (v->filled)
			prot |= PROT_WRITE;
		r = sys(NR_mmap, v->start, v->end - v->start, prot, v->flags | MAP_FIXED, v->fd, v->pgoff);
		if (is_err(r))
			return FAIL(r, "can't map a memory area");
		if ((uint64_t)r != v->start)
			return FAIL(-EINVAL, "a memory area landed elsewhere");
		for (int adv = 0; adv < 64 && v->madv; adv++) {
			if (!(v->madv & (1ULL << adv)))
				continue;
			r = sys(NR_madvise, v->start, v->end - v->start, adv, 0, 0, 0);
			if (is_err(r) && r != -EINVAL)
				return FAIL(r, "can't apply a madvise hint");
		}
	}
	return 0;
}

/* Read the pages: populate each run in one go, then preadv batches. */
static long fill_pages(const struct rst_args *a)
{
	const struct rst_run *run = (const struct rst_run *)a->runs;
	struct k_iov iov[64];
	uint64_t i = 0;

	while (i < a->nr_runs) {
		uint64_t off = run[i].off, total = 0;
		uint32_t file = run[i].file;
		unsigned int n = 0;

		if (file >= RST_MAX_PAGE_FILES)
			return FAIL(-EINVAL, "a page run names no pages file");
		while (i < a->nr_runs && n < sizeof(iov) / sizeof(iov[0]) && run[i].file == file &&
		       run[i].off == off + total) {
			iov[n].base = run[i].vaddr;
			iov[n].len = run[i].nr * 4096;
			/* One fault-free pass over the range: much cheaper than faulting page by page. */
			sys(NR_madvise, iov[n].base, iov[n].len, MADV_POPULATE_WRITE, 0, 0, 0);
			total += iov[n].len;
			status.pages += run[i].nr;
			n++;
			i++;
		}
		/* preadv may stop short: go on from where it stopped. */
		unsigned int k = 0;
		while (k < n) {
			long r = sys(NR_preadv, a->pages_fds[file], (long)&iov[k], n - k, off, 0, 0);

			if (is_err(r))
				return FAIL(r, "can't read pages");
			if (r == 0)
				return FAIL(-5, "the pages image is truncated");
			off += r;
			while (k < n && (uint64_t)r >= iov[k].len) {
				r -= iov[k].len;
				k++;
			}
			if (k < n) {
				iov[k].base += r;
				iov[k].len -= r;
			}
		}
	}
	return 0;
}

/* The redirected vDSO functions (vdso-proxy.c), once their memory is filled. */
static long apply_patches(const struct rst_args *a)
{
	for (uint32_t i = 0; i < a->nr_patches && i < RST_MAX_PATCHES; i++)
		memcpy((void *)a->patches[i].addr, a->patches[i].code, a->patches[i].len);
	return 0;
}

static long protect_vmas(const struct rst_args *a)
{
	const struct rst_vma *v = (const struct rst_vma *)a->vmas;

	for (uint32_t i = 0; i < a->nr_vmas; i++, v++) {
		if (v->kind != RST_VMA_MAP || !v->filled || (v->prot & PROT_WRITE))
			continue;
		long r = sys(NR_mprotect, v->start, v->end - v->start, v->prot, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't set the protection of a memory area");
	}
	return 0;
}

static long restore_mm(const struct rst_args *a)
{
	long r;

	if (!a->has_mm)
		return 0;
	r = sys_prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)&a->mm, sizeof(a->mm), 0);
	if (is_err(r))
		return FAIL(r, "prctl(PR_SET_MM_MAP) refused the mm fields");
	if (a->thp_disabled) {
		r = sys_prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't disable THP");
	}
	return 0;
}

/* The task-state block: everything but seccomp, then criu's fds go. */
static long apply_state(const struct rst_args *a)
{
	long r = rst_apply_task_state((void *)a->state_area);

	if (r)
		return FAIL(r, "can't restore the task state");
	return 0;
}

/* Close criu's fds above close_from, keeping status_fd and sync_fd. */
static void close_service_fds(const struct rst_args *a)
{
	int32_t keep[2] = { a->status_fd < a->sync_fd ? a->status_fd : a->sync_fd,
			    a->status_fd < a->sync_fd ? a->sync_fd : a->status_fd };
	int32_t from = a->close_from;

	for (int i = 0; i < 2; i++) {
		if (keep[i] > from)
			sys(NR_close_range, from, keep[i] - 1, 0, 0, 0, 0);
		from = keep[i] + 1;
	}
	sys(NR_close_range, from, ~0U, 0, 0, 0, 0);
}

/* memfd seals: last, as F_SEAL_FUTURE_WRITE refuses new writable mappings. */
static long add_seals(const struct rst_args *a)
{
	for (uint32_t i = 0; i < a->nr_seals; i++) {
		long r = sys(NR_fcntl, a->seal_fds[i], F_ADD_SEALS, a->seals[i], 0, 0, 0);

		if (is_err(r))
			return FAIL(r, "can't add the seals of a memfd");
	}
	return 0;
}

/* ------------------------------------------------------------ threads */

/* clone3()'s struct clone_args (Linux 5.5 layout, set_tid included). */
struct k_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size;
};

long rst_clone_thread(struct k_clone_args *ca, unsigned long size); /* restorer-head.S */

static long futex(uint32_t *w, int op, uint32_t val, const void *timeout)
{
	return sys(NR_futex, (long)w, op, val, (long)timeout, 0, 0);
}

/*
 * A thread's life in the restorer: its own state, seccomp last, then it
 * counts itself done and waits for criu.  Under seccomp it makes no more
 * syscalls (its filters may forbid them): the leader polls the count.
 */
static int thread_main(struct rst_thread *th)
{
	struct rst_args *a = (struct rst_args *)th->args;
	void *area = (void *)a->state_area;
	bool filtered = rst_thread_seccomp_mode(area, th->idx) != SECCOMP_OFF;
	int r;

	r = rst_apply_thread_state(area, th->idx);
	if (!r)
		r = rst_apply_seccomp(area, th->idx);
	th->ret = r;
	__atomic_add_fetch(&a->threads_done, 1, __ATOMIC_RELEASE);
	if (filtered) {
		for (;;)
			__asm__ volatile("pause");
	}
	futex(&a->threads_done, FUTEX_WAKE, 1, 0);
	if (r)
		return 1; /* the leader sees it and ends the task */
	for (;;)
		futex(&th->park, FUTEX_WAIT, 0, 0);
}

/* Every other thread, with its own tid, on its own stack. */
static long create_threads(struct rst_args *a)
{
	struct rst_thread *th = (struct rst_thread *)a->threads;

	for (uint32_t i = 0; i < a->nr_threads; i++, th++) {
		uint64_t top = (th->stack + th->stack_len - 16) & ~15ULL;
		uint64_t tid = (uint64_t)th->tid;
		struct k_clone_args ca = {
			.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
			.stack = th->stack,
			.stack_size = top - th->stack,
			.set_tid = (uint64_t)&tid,
			.set_tid_size = 1,
		};
		long r;

		((uint64_t *)top)[0] = (uint64_t)thread_main;
		((uint64_t *)top)[1] = (uint64_t)th;
		th->args = (uint64_t)a;
		th->ret = 0;
		r = rst_clone_thread(&ca, sizeof(ca));
		if (is_err(r))
			return FAIL(r, "can't create a thread with its tid (clone3)");
		if (r != th->tid)
			return FAIL(-EINVAL, "a thread got another tid");
	}
	return 0;
}

/* Until every thread applied its state; the first failure is the task's. */
static long wait_threads(struct rst_args *a)
{
	const struct rst_thread *th = (const struct rst_thread *)a->threads;
	/* 1 ms: a thread under seccomp can't wake us */
	const int64_t tick[2] = { 0, 1000 * 1000 };
	uint32_t done;

	while ((done = __atomic_load_n(&a->threads_done, __ATOMIC_ACQUIRE)) < a->nr_threads)
		futex(&a->threads_done, FUTEX_WAIT, done, tick);
	for (uint32_t i = 0; i < a->nr_threads; i++)
		if (th[i].ret)
			return FAIL(th[i].ret, "a thread can't restore its state");
	return 0;
}

/* ------------------------------------------------------------ children sharing the memory */

/*
 * A child sharing the memory: dies with its parent while criu restores,
 * applies its own task state, seccomp last, says so and waits for criu.
 */
static int vm_child_main(struct rst_vm_child *vc)
{
	void *area = (void *)vc->state_area;
	bool filtered = rst_thread_seccomp_mode(area, 0) != SECCOMP_OFF;
	const int64_t tick[2] = { 0, 50 * 1000 * 1000 };
	int r;

	if (vc->close_from >= 0)
		sys(NR_close_range, vc->close_from, ~0U, 0, 0, 0, 0);
	r = (int)sys_prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (!r && sys(NR_getppid, 0, 0, 0, 0, 0, 0) != vc->parent)
		return 1;
	if (!r)
		r = rst_apply_task_state(area);
	if (!r)
		r = rst_apply_seccomp(area, 0);
	vc->ret = r ? r : 0;
	__atomic_store_n(&vc->done, 1, __ATOMIC_RELEASE);
	if (filtered && !r) {
		for (;;)
			__asm__ volatile("pause");
	}
	futex(&vc->done, FUTEX_WAKE, 1, 0);
	if (r)
		return 1;
	/* its dumped parent death signal may be none: a parent gone means criu gave up */
	while (sys(NR_getppid, 0, 0, 0, 0, 0, 0) == vc->parent)
		futex(&vc->park, FUTEX_WAIT, 0, tick);
	return 1;
}

/* Each child sharing the memory, with its pid; until each applied its state. */
static long create_vm_children(struct rst_args *a)
{
	struct rst_vm_child *vc = (struct rst_vm_child *)a->vm_children;
	const int64_t tick[2] = { 0, 1000 * 1000 };

	for (uint32_t i = 0; i < a->nr_vm_children; i++, vc++) {
		uint64_t top = (vc->stack + vc->stack_len - 16) & ~15ULL;
		uint64_t pid = (uint64_t)vc->pid;
		struct k_clone_args ca = {
			.flags = vc->flags,
			.exit_signal = SIGCHLD,
			.stack = vc->stack,
			.stack_size = top - vc->stack,
			.set_tid = (uint64_t)&pid,
			.set_tid_size = 1,
		};
		long r;

		((uint64_t *)top)[0] = (uint64_t)vm_child_main;
		((uint64_t *)top)[1] = (uint64_t)vc;
		vc->ret = 0;
		vc->done = 0;
		r = rst_clone_thread(&ca, sizeof(ca));
		if (is_err(r))
			return FAIL(r, "can't create a child sharing the memory (clone3)");
		if (r != vc->pid)
			return FAIL(-EINVAL, "a child sharing the memory got another pid");
	}
	vc = (struct rst_vm_child *)a->vm_children;
	for (uint32_t i = 0; i < a->nr_vm_children; i++, vc++) {
		while (!__atomic_load_n(&vc->done, __ATOMIC_ACQUIRE)) {
			if (sys(NR_wait4, vc->pid, 0, WNOHANG | WALL, 0, 0, 0) == vc->pid)
				return FAIL(-10 /* ECHILD */, "a child sharing the memory died");
			futex(&vc->done, FUTEX_WAIT, 0, tick);
		}
		if (vc->ret)
			return FAIL(vc->ret, "a child sharing the memory can't restore its state");
	}
	return 0;
}

int restorer_main(struct rst_args *a)
{
	const struct rst_task_state *ts = (const struct rst_task_state *)a->state_area;

	if (park_specials(a) || unmap_criu(a) || map_vmas(a) || place_specials(a) || fill_pages(a) ||
	    apply_patches(a) || protect_vmas(a) || add_seals(a) || restore_mm(a) || create_threads(a) ||
	    wait_threads(a) || create_vm_children(a) || apply_state(a))
		goto fail;
	close_service_fds(a);
	/* The very last: afterwards only what the task's filters allow works. */
	long r = rst_apply_seccomp((void *)a->state_area, 0);
	if (r) {
		FAIL(r, "can't load the task's seccomp filters");
		goto fail;
	}
	report(a);
	if (a->has_seccomp) {
		/* criu seizes it from here (ptrace suspends seccomp for its own calls). */
		for (;;)
			__asm__ volatile("pause");
	}
	/*
	 * criu takes it from here (ptrace) and never writes: the read ends
	 * only if criu is gone, and then nothing must stay behind.
	 */
	for (;;) {
		char c;

		r = sys_read(a->sync_fd, &c, 1);
		if (r == 0 || (is_err(r) && r != -4 /* EINTR */))
			return 1;
	}
fail:
	if (ts) {
		status.state_err[0] = ts->err_step;
		status.state_err[1] = ts->err_code;
		status.state_err[2] = ts->err_arg;
	}
	report(a);
	return 1;
}
