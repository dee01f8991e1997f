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

#define NR_mmap		     9
#define NR_mprotect	     10
#define NR_munmap	     11
#define NR_rt_sigaction	     13
#define NR_preadv	     295
#define NR_madvise	     28
#define NR_mremap	     25
#define NR_setitimer	     38
#define NR_exit_group	     231
#define NR_personality	     135
#define NR_sigaltstack	     131
#define NR_set_tid_address   218
#define NR_set_robust_list   273
#define NR_prlimit64	     302
#define NR_rseq		     334
#define NR_close_range	     436
#define NR_rt_sigqueueinfo   129
#define NR_rt_tgsigqueueinfo 297

#define PROT_WRITE	       0x2
#define MAP_PRIVATE	       0x02
#define MAP_FIXED	       0x10
#define MAP_ANONYMOUS	       0x20
#define MREMAP_MAYMOVE	       1
#define MREMAP_FIXED	       2
#define MADV_POPULATE_WRITE    23
#define PR_SET_NAME	       15
#define PR_SET_DUMPABLE	       4
#define PR_SET_MM	       35
#define PR_SET_MM_MAP	       14
#define PR_SET_CHILD_SUBREAPER 36
#define PR_SET_THP_DISABLE     41
#define EINVAL		       22
#define IOV_MAX		       1024

struct k_iov {
	uint64_t base, len;
};

struct k_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
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
		unsigned int n = 0;

		while (i < a->nr_runs && n < sizeof(iov) / sizeof(iov[0]) && run[i].off == off + total) {
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
			long r = sys(NR_preadv, a->pages_fd, (long)&iov[k], n - k, off, 0, 0);

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
	if (a->dumpable >= 0) {
		r = sys_prctl(PR_SET_DUMPABLE, a->dumpable, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't set dumpable");
	}
	if (a->thp_disabled) {
		r = sys_prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't disable THP");
	}
	return 0;
}

static long restore_task(const struct rst_args *a)
{
	long r;

	r = sys(NR_personality, a->personality, 0, 0, 0, 0, 0);
	if (is_err(r))
		return FAIL(r, "can't set the personality");
	r = sys_prctl(PR_SET_NAME, (unsigned long)a->comm, 0, 0, 0);
	if (is_err(r))
		return FAIL(r, "can't set the name");
	if (a->child_subreaper) {
		r = sys_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't become a child subreaper");
	}
	for (int i = 0; i < RST_NSIG; i++) {
		if (!(a->sa_valid & (1ULL << i)))
			continue;
		r = sys(NR_rt_sigaction, i + 1, (long)&a->sa[i], 0, 8, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't set a signal action");
	}
	for (int i = 0; a->has_itimers && i < 3; i++) {
		r = sys(NR_setitimer, i, (long)&a->itimers[i], 0, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't set an interval timer");
	}
	return 0;
}

static long restore_thread(const struct rst_args *a)
{
	long r;

	sys(NR_set_tid_address, a->clear_tid, 0, 0, 0, 0, 0);
	r = sys(NR_set_robust_list, a->robust_list, a->robust_len, 0, 0, 0, 0);
	if (is_err(r))
		return FAIL(r, "can't set the robust futex list");
	if (a->rseq) {
		r = sys(NR_rseq, a->rseq, a->rseq_len, 0, a->rseq_sig, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't register the rseq area");
	}
	if (a->has_sas) {
		struct k_stack ss = { .sp = a->ss_sp, .flags = a->ss_flags & ~1 /* SS_ONSTACK */, .size = a->ss_size };

		r = sys(NR_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't set the signal stack");
	}
	/* Pending signals: queued again while every signal is blocked. */
	for (uint32_t i = 0; i < a->nr_sig_private + a->nr_sig_shared && i < RST_MAX_SIGINFO; i++) {
		const uint8_t *si = a->siginfo[i];
		int32_t signo;

		memcpy(&signo, si, sizeof(signo));
		if (i < a->nr_sig_private)
			r = sys(NR_rt_tgsigqueueinfo, a->pid, a->pid, signo, (long)si, 0, 0);
		else
			r = sys(NR_rt_sigqueueinfo, a->pid, signo, (long)si, 0, 0, 0);
		if (is_err(r))
			return FAIL(r, "can't queue a pending signal again");
	}
	return 0;
}

static void restore_rlimits(const struct rst_args *a)
{
	/* What can't be set (above a hard limit without CAP_SYS_RESOURCE) stays as it is. */
	for (uint32_t i = 0; i < a->nr_rlimits && i < RST_NRLIMITS; i++)
		sys(NR_prlimit64, 0, i, (long)a->rlimits[i], 0, 0, 0);
}

int restorer_main(struct rst_args *a)
{
	if (park_specials(a) || unmap_criu(a) || map_vmas(a) || place_specials(a) || fill_pages(a) || protect_vmas(a) ||
	    restore_mm(a) || restore_task(a) || restore_thread(a)) {
		report(a);
		return 1;
	}
	report(a);
	if (a->sync_fd > a->close_from)
		sys(NR_close_range, a->close_from, a->sync_fd - 1, 0, 0, 0, 0);
	sys(NR_close_range, a->sync_fd + 1, ~0U, 0, 0, 0, 0);
	restore_rlimits(a);
	/*
	 * criu takes it from here (ptrace) and never writes: the read ends
	 * only if criu is gone, and then nothing must stay behind.
	 */
	for (;;) {
		char c;
		long r = sys_read(a->sync_fd, &c, 1);

		if (r == 0 || (is_err(r) && r != -4 /* EINTR */))
			return 1;
	}
}
