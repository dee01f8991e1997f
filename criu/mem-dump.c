/*
 * Dump of a task's memory: VMAs from smaps into vma_entry messages, the
 * pages to save from /proc/PID/pagemap, and their contents into
 * pages-N.img with a pagemap-PID.img describing them (see mem.h).
 *
 * Ordering: smaps and pagemap are read before anything is mapped into the
 * task (remote scratch pages, the parasite), so none of criu's own
 * mappings is recorded.  The vDSO areas are recorded as CRIU 4.2 does:
 * [vvar] and [vvar_vclock] as one VVAR area, then VDSO; the restore maps
 * its own kernel's vDSO there.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define LOG_PREFIX "mem: "
#include "files.h"
#include "log.h"
#include "stats.h"
#include "mem.h"
#include "proc-parse.h"
#include "shmem.h"

#include <compel.h>

#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_FILE	    (1ULL << 61)
#define PM_SWAP	    (1ULL << 62)
#define PM_PRESENT  (1ULL << 63)

/* ------------------------------------------------------------ VMAs */

static uint64_t madv_of(unsigned int vmf)
{
	uint64_t m = 0;

	if (vmf & VMF_HUGEPAGE)
		m |= MADV_BIT(MADV_HUGEPAGE);
	if (vmf & VMF_NOHUGE)
		m |= MADV_BIT(MADV_NOHUGEPAGE);
	if (vmf & VMF_DONTDUMP)
		m |= MADV_BIT(MADV_DONTDUMP);
	if (vmf & VMF_DONTFORK)
		m |= MADV_BIT(MADV_DONTFORK);
	if (vmf & VMF_WIPEONFORK)
		m |= MADV_BIT(MADV_WIPEONFORK);
	if (vmf & VMF_SEQ_READ)
		m |= MADV_BIT(MADV_SEQUENTIAL);
	if (vmf & VMF_RAND_READ)
		m |= MADV_BIT(MADV_RANDOM);
	if (vmf & VMF_MERGEABLE)
		m |= MADV_BIT(MADV_MERGEABLE);
	return m;
}

static int refuse(pid_t pid, const struct proc_vma *v, const char *what)
{
	pr_err("task %d: %s at %lx-%lx%s%s: not supported yet\n", (int)pid, what, v->start, v->end, v->name ? " " : "",
	       v->name ?: "");
	return -EOPNOTSUPP;
}

/* A file mapping: its file registered with files.img; *@anon for /dev/zero. */
static int vma_file(pid_t pid, const struct proc_vma *v, VmaEntry *e, bool *anon)
{
	char path[96];
	struct stat st;
	int flags = v->shared && (v->vmflags & VMF_MAYWRITE) ? O_RDWR : O_RDONLY;
	_cleanup_close_ int fd = -1;
	uint32_t id;
	int r;

	*anon = false;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", (int)pid, v->start, v->end);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return pr_err_ret(-errno, "can't open the file mapped at %lx-%lx (%s) of task %d", v->start, v->end,
				  v->name, (int)pid);
	if (fstat(fd, &st))
		return pr_err_ret(-errno, "can't stat %s", path);
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 5) {
		if (v->shared)
			return refuse(pid, v, "shared anonymous memory");
		*anon = true; /* a private /dev/zero mapping is anonymous memory */
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return refuse(pid, v, "a mapping of a device or special file");
	r = dump_file_fd(fd, flags, &id);
	if (r)
		return r;
	e->shmid = id;
	e->has_fdflags = true;
	e->fdflags = flags;
	return 0;
}

static int classify(pid_t pid, const struct proc_vma *v, struct dump_vma *d)
{
	VmaEntry *e = &d->e;
	bool anon = false;
	int r;

	vma_entry__init(e);
	e->start = v->start;
	e->end = v->end;
	e->prot = v->prot;
	e->fd = -1;
	d->readable = v->prot & PROT_READ;
	d->pages = VP_NONE;

	if (v->vmflags & VMF_SHSTK)
		return refuse(pid, v, "a shadow stack");
	if (v->vmflags & VMF_UFFD)
		return refuse(pid, v, "a userfaultfd-registered area");
	if (v->vmflags & VMF_HUGETLB)
		return refuse(pid, v, "hugetlb memory");
	switch (v->kind) {
	case VMA_K_VSYSCALL:
		e->status = VMA_AREA_VSYSCALL | VMA_ANON_PRIVATE;
		e->flags = MAP_PRIVATE | MAP_ANONYMOUS;
		return 0;
	case VMA_K_VDSO:
		e->status = VMA_AREA_REGULAR | VMA_AREA_VDSO | VMA_ANON_PRIVATE;
		e->flags = MAP_PRIVATE | MAP_ANONYMOUS;
		d->pages = VP_ALL;
		return 0;
	case VMA_K_VVAR:
	case VMA_K_VVAR_VCLOCK:
		e->status = VMA_AREA_REGULAR | VMA_ANON_PRIVATE | VMA_AREA_VVAR;
		e->flags = MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case VMA_K_OTHER:
		return refuse(pid, v, "a special mapping");
	case VMA_K_FILE:
		if (v->name && !strncmp(v->name, "/SYSV", 5) && v->deleted)
			return refuse(pid, v, "SysV shared memory");
		if (v->name && !strcmp(v->name, "/dev/zero") && v->deleted && v->shared) {
			r = shmem_dump_vma(pid, v->start, v->end, v->pgoff, e); /* its pages: shmem.c */
			if (r)
				return r;
			break;
		}
		if (v->vmflags & (VMF_IO | VMF_PFNMAP))
			return refuse(pid, v, "a device mapping");
		r = vma_file(pid, v, e, &anon);
		if (r)
			return r;
		if (!anon) {
			e->pgoff = v->pgoff;
			e->status = VMA_AREA_REGULAR | (v->shared ? VMA_FILE_SHARED : VMA_FILE_PRIVATE);
			/* memfd: the file (its kind in files.img) is files.c's */
			if (v->name && !strncmp(v->name, "/memfd:", 7))
				e->status |= VMA_AREA_MEMFD;
			e->flags = v->shared ? MAP_SHARED : MAP_PRIVATE;
			d->pages = v->shared ? VP_NONE : VP_PRIVFILE;
			break;
		}
		/* a private /dev/zero mapping is anonymous memory */
		__attribute__((fallthrough));
	case VMA_K_ANON:
	case VMA_K_HEAP:
	case VMA_K_STACK:
		if (v->shared)
			return refuse(pid, v, "shared anonymous memory");
		if (v->vmflags & (VMF_IO | VMF_PFNMAP))
			return refuse(pid, v, "a device mapping");
		e->status = VMA_AREA_REGULAR | VMA_ANON_PRIVATE;
		if (v->kind == VMA_K_HEAP)
			e->status |= VMA_AREA_HEAP;
		e->flags = MAP_PRIVATE | MAP_ANONYMOUS;
		d->pages = VP_ANON;
		break;
	}
	if (v->vmflags & VMF_GROWSDOWN)
		e->flags |= MAP_GROWSDOWN;
	if (v->vmflags & VMF_LOCKED)
		e->flags |= MAP_LOCKED;
	uint64_t madv = madv_of(v->vmflags);
	if (madv) {
		e->has_madv = true;
		e->madv = madv;
	}
	return 0;
}

int mem_dump_collect(pid_t pid, struct mem_dump *md)
{
	struct proc_vmas pv;
	int r;

	memset(md, 0, sizeof(*md));
	r = proc_read_smaps(pid, &pv);
	if (r)
		return r;
	md->v = arena_array(&md->arena, pv.n ?: 1, sizeof(*md->v));
	if (!md->v) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < pv.n; i++) {
		const struct proc_vma *v = &pv.v[i];

		/* CRIU 4.2 records [vvar] + [vvar_vclock] as one VVAR area. */
		if (v->kind == VMA_K_VVAR_VCLOCK && md->n && md->v[md->n - 1].e.status & VMA_AREA_VVAR &&
		    md->v[md->n - 1].e.end == v->start) {
			md->v[md->n - 1].e.end = v->end;
			continue;
		}
		r = classify(pid, v, &md->v[md->n]);
		if (r)
			goto out;
		md->n++;
	}
	pr_info("task %d: %u memory areas\n", (int)pid, md->n);
out:
	proc_vmas_free(&pv);
	return r;
}

/* ------------------------------------------------------------ pages */

/* The PFN of the shared zero page (0 when PFNs are hidden from us). */
static uint64_t zero_pfn(void)
{
	static uint64_t pfn = ~0ULL;
	volatile char *p;
	uint64_t pme = 0;
	int fd;

	if (pfn != ~0ULL)
		return pfn;
	pfn = 0;
	p = mmap(NULL, PAGE_SIZE_4K, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	(void)p[0]; /* a read fault maps the zero page */
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &pme, sizeof(pme), (uintptr_t)p / PAGE_SIZE_4K * 8) == sizeof(pme) && (pme & PM_PRESENT))
			pfn = pme & PM_PFN_MASK;
		close(fd);
	}
	munmap((void *)p, PAGE_SIZE_4K);
	return pfn;
}

static bool want_page(enum vma_pages how, uint64_t pme, uint64_t zpfn)
{
	switch (how) {
	case VP_NONE:
		return false;
	case VP_ALL:
		return pme & PM_PRESENT;
	case VP_ANON:
		if (pme & PM_SWAP)
			return true;
		if (!(pme & PM_PRESENT))
			return false;
		return !zpfn || (pme & PM_PFN_MASK) != zpfn;
	case VP_PRIVFILE:
		if (pme & PM_SWAP)
			return true;
		return (pme & PM_PRESENT) && !(pme & PM_FILE);
	}
	return false;
}

static int add_run(struct mem_dump *md, uint64_t vaddr, uint64_t nr, uint32_t flags, bool readable)
{
	struct page_run *last = md->nr_runs ? &md->runs[md->nr_runs - 1] : NULL;

	if (last && last->vaddr + last->nr * PAGE_SIZE_4K == vaddr && last->flags == flags &&
	    last->readable == readable) {
		last->nr += nr;
		return 0;
	}
	if (md->nr_runs == md->cap_runs) {
		size_t ncap = md->cap_runs ? md->cap_runs * 2 : 256;
		struct page_run *n = xrealloc(md->runs, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		md->runs = n;
		md->cap_runs = ncap;
	}
	md->runs[md->nr_runs++] = (struct page_run){ vaddr, nr, flags, readable };
	return 0;
}

#define PME_BATCH 32768 /* entries read at once: 128 MiB of address space */

static int scan_vma(int pm, pid_t pid, struct mem_dump *md, const struct dump_vma *d, uint64_t *buf, uint64_t zpfn)
{
	uint32_t flags = d->pages == VP_ANON ? (PE_LAZY | PE_PRESENT) : PE_PRESENT;
	uint64_t start = d->e.start / PAGE_SIZE_4K, end = d->e.end / PAGE_SIZE_4K;

	for (uint64_t pg = start; pg < end;) {
		size_t n = min(end - pg, (uint64_t)PME_BATCH);
		ssize_t got = pread(pm, buf, n * 8, pg * 8);

		if (got < 0)
			return pr_err_ret(-errno, "can't read the pagemap of task %d at %#llx", (int)pid,
					  (unsigned long long)(pg * PAGE_SIZE_4K));
		if (got == 0 || got % 8)
			return pr_err_ret(-EIO, "short pagemap read of task %d at %#llx", (int)pid,
					  (unsigned long long)(pg * PAGE_SIZE_4K));
		n = got / 8;
		for (size_t i = 0; i < n;) {
			size_t j = i;

			while (j < n && want_page(d->pages, buf[j], zpfn))
				j++;
			if (j > i) {
				int r = add_run(md, (pg + i) * PAGE_SIZE_4K, j - i, flags, d->readable);

				if (r)
					return r;
				md->pages_written += j - i;
				i = j;
			} else {
				i++;
			}
		}
		md->pages_scanned += n;
		pg += n;
	}
	return 0;
}

int mem_dump_scan(pid_t pid, struct mem_dump *md)
{
	char path[64];
	_cleanup_close_ int pm = -1;
	_cleanup_free_ uint64_t *buf = NULL;
	uint64_t zpfn = zero_pfn(), t0 = stats_now_us();

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pm = open(path, O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return pr_err_ret(-errno, "can't open %s", path);
	buf = xmalloc(PME_BATCH * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (unsigned int i = 0; i < md->n; i++) {
		if (md->v[i].pages == VP_NONE)
			continue;
		int r = scan_vma(pm, pid, md, &md->v[i], buf, zpfn);
		if (r)
			return r;
	}
	md->scan_us = stats_now_us() - t0;
	pr_info("task %d: %llu pages scanned, %llu to save in %zu runs\n", (int)pid,
		(unsigned long long)md->pages_scanned, (unsigned long long)md->pages_written, md->nr_runs);
	return 0;
}

int mem_dump_vmas(struct mem_dump *md, MmEntry *mm)
{
	mm->vmas = arena_array(&md->arena, md->n ?: 1, sizeof(*mm->vmas));
	if (!mm->vmas)
		return -ENOMEM;
	for (unsigned int i = 0; i < md->n; i++)
		mm->vmas[i] = &md->v[i].e;
	mm->n_vmas = md->n;
	return 0;
}

void mem_dump_free(struct mem_dump *md)
{
	free(md->runs);
	arena_free(&md->arena);
	memset(md, 0, sizeof(*md));
}
