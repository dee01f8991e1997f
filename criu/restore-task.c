/*
 * The restored child before and up to the restorer: it was created with
 * the task's pid; it takes the task's session, gets the task's fds, cwd
 * and root (files.h), opens the files its memory maps, lays out the
 * restorer's bootstrap area at a place free both in the dumped layout and
 * in its own, and jumps there.  From the jump on, criu's code and data in
 * this process are gone.
 *
 * Invariants: every fd this child keeps for the restorer is a service fd
 * (at or above files_service_fd_base(), closed by the restorer at the end);
 * a criu that dies never leaves a half-restored task behind: the parent
 * death signal is SIGKILL while criu is the parent, and the restorer exits
 * when the sync pipe it waits on reports criu gone.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

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
 * The task's session and process group.  A session leader gets a session
 * of its own.  With --shell-job the task was part of a shell's job: it
 * joins criu's session (and so its terminal), in a group of its own if it
 * led one, else in criu's group.
 */
static int restore_session(struct restore_task *t)
{
	const PstreeEntry *pe = t->pe;

	if (pe->sid == (uint32_t)t->pid) {
		if (setsid() < 0)
			return pr_err_ret(-errno, "can't make process %d a session leader", (int)t->pid);
		return 0;
	}
	if (!opts.shell_job) {
		pr_err("process %d was not a session leader (session %u): consider using --shell-job\n", (int)t->pid,
		       pe->sid);
		return -EOPNOTSUPP;
	}
	if (pe->pgid == (uint32_t)t->pid && setpgid(0, 0))
		return pr_err_ret(-errno, "can't make process %d a process group leader", (int)t->pid);
	pr_info("process %d joins criu's session %d as a shell job\n", (int)t->pid, (int)getsid(0));
	return 0;
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
	size_t park_len = 0, len;
	char *base;
	int r;

	for (unsigned int i = 0; i < t->vdso.nr_special; i++)
		park_len += t->vdso.special[i].len;
	len = blob_len + args_len + vmas_len + runs_len + state_len + PAGE_ALIGN(park_len) + RESTORER_STACK +
	      threads_len;
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
	restore_threads_fill(t->pid, a, base + len - threads_len);
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
	a->close_from = files_service_fd_base();
	r = memfd_pending_seals(a->seal_fds, a->seals, RST_MAX_SEALS);
	if (r < 0)
		return r;
	a->nr_seals = r;
	fill_mm(a, mr);
	a->mm.auxv = (uint64_t)a->auxv;

	pr_info("entering the restorer at %p (%zu bytes): %u areas, %llu pages\n", base, len, mr->nr_vmas,
		(unsigned long long)mr->pages);
	log_fini(); /* its fd goes with the restorer's close_range() */
	jump((uint64_t)base + blob->entry, (uint64_t)park + PAGE_ALIGN(park_len) + RESTORER_STACK, (uint64_t)a);
}

int restore_task_child(struct restore_task *t)
{
	uint64_t all = ~0ULL;
	int r, fd;

	/* --log-pid: this process logs to LOG.PID (the work dir is still the cwd). */
	if (opts.log_file_per_pid) {
		r = log_init_by_pid(t->pid);
		if (r)
			return r;
	}

	/*
	 * No handler of criu's may run from here on: the task's own signal
	 * actions come in early, and the restorer replaces criu's memory.
	 */
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all)))
		return pr_err_ret(-errno, "can't block signals");

	/* Until criu is done, its death is ours (with -d the parent is gone already). */
	if (!t->detached && !opts.restore_sibling && prctl(PR_SET_PDEATHSIG, SIGKILL))
		return pr_err_ret(-errno, "can't set the parent death signal");
	r = restore_session(t);
	if (r)
		return r;
	r = restore_task_state_early(t->core);
	if (r)
		return r;
	fd = reserve_service_fd(t->status_fd);
	if (fd < 0)
		return fd;
	t->status_fd = fd;
	fd = reserve_service_fd(t->sync_fd);
	if (fd < 0)
		return fd;
	t->sync_fd = fd;
	for (unsigned int i = 0; i < t->mr.nr_page_files; i++) {
		fd = reserve_service_fd(t->mr.page_fds[i]);
		if (fd < 0)
			return fd;
		t->mr.page_fds[i] = fd;
	}
	r = restore_task_files(t->pid);
	if (r)
		return r;
	r = mem_restore_open_files(&t->mr);
	if (r)
		return r;
	return enter_restorer(t);
}
