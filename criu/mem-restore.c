/*
 * Restore side of a task's memory (see mem.h): mm-PID.img and
 * pagemap-PID.img turned into the restorer's VMA list and page runs, with
 * every check done in criu's main process, before a task exists, so that a
 * bad image fails with nothing left behind.
 *
 * Page runs may cross VMA boundaries (CRIU merges adjacent ranges): they
 * are cut at each boundary.  Pages of the dumped vDSO are not restored
 * (the kernel's own vDSO is moved in); their place in the file is kept to
 * compare them with this kernel's.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define LOG_PREFIX "mem: "
#include "files.h"
#include "log.h"
#include "mem.h"
#include "restorer.h"
#include "shmem.h"
#include "images/pagemap.pb-c.h"

#define TASK_SIZE_MAX 0x7ffffffff000ULL
#define VSYSCALL_ADDR 0xffffffffff600000ULL
#define MAP_KEEP      (MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE)
#define VMA_REFUSED \
	(VMA_AREA_SYSVIPC | VMA_AREA_SOCKET | VMA_AREA_AIORING | VMA_AREA_SHSTK | VMA_AREA_UPROBES | VMA_UNSUPP)

static const char *refused_name(uint32_t st)
{
	if (st & VMA_AREA_SYSVIPC)
		return "SysV shared memory";
	if (st & VMA_AREA_SOCKET)
		return "a mapped socket (packet ring)";
	if (st & VMA_AREA_AIORING)
		return "an AIO ring";
	if (st & VMA_AREA_SHSTK)
		return "a shadow stack";
	if (st & VMA_AREA_UPROBES)
		return "the uprobes area";
	return "an unsupported mapping";
}

static int check_vma(const VmaEntry *e, const VmaEntry *prev)
{
	if (e->start >= e->end || (e->start | e->end) & (PAGE_SIZE_4K - 1))
		return pr_err_ret(-EINVAL, "the image has a malformed memory area %#llx-%#llx",
				  (unsigned long long)e->start, (unsigned long long)e->end);
	if (prev && e->start < prev->end)
		return pr_err_ret(-EINVAL, "memory areas at %#llx and %#llx overlap or are out of order",
				  (unsigned long long)prev->start, (unsigned long long)e->start);
	if (e->status & VMA_AREA_VSYSCALL)
		return e->start == VSYSCALL_ADDR ? 0 : pr_err_ret(-EINVAL, "a vsyscall area at an odd place");
	if (e->end > TASK_SIZE_MAX)
		return pr_err_ret(-EOPNOTSUPP, "memory area %#llx-%#llx is above the 47-bit address space",
				  (unsigned long long)e->start, (unsigned long long)e->end);
	if (e->status & VMA_REFUSED) {
		pr_err("memory area %#llx-%#llx is %s: not supported yet\n", (unsigned long long)e->start,
		       (unsigned long long)e->end, refused_name(e->status));
		return -EOPNOTSUPP;
	}
	if (!(e->status & VMA_AREA_REGULAR))
		return pr_err_ret(-EOPNOTSUPP, "memory area %#llx-%#llx of an unknown kind (status %#x)",
				  (unsigned long long)e->start, (unsigned long long)e->end, e->status);
	return 0;
}

static int collect_vmas(struct mem_restore *mr)
{
	MmEntry *mm = mr->mm;
	int r;

	mr->vmas = xzalloc((mm->n_vmas ?: 1) * sizeof(*mr->vmas));
	if (!mr->vmas)
		return -ENOMEM;
	for (size_t i = 0; i < mm->n_vmas; i++) {
		const VmaEntry *e = mm->vmas[i];
		struct rst_vma *v = &mr->vmas[i];

		r = check_vma(e, i ? mm->vmas[i - 1] : NULL);
		if (r)
			return r;
		v->start = e->start;
		v->end = e->end;
		v->prot = e->prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
		v->flags = e->flags & MAP_KEEP;
		v->fd = -1;
		v->madv = e->has_madv ? e->madv : 0;
		v->kind = RST_VMA_MAP;
		if (e->status & (VMA_AREA_VSYSCALL | VMA_AREA_VDSO | VMA_AREA_VVAR))
			v->kind = RST_VMA_SKIP;
		if (e->status & VMA_AREA_VVAR) {
			if (!mr->vvar_start)
				mr->vvar_start = e->start;
			mr->vvar_end = e->end; /* [vvar] and [vvar_vclock] may come apart */
		}
		if (e->status & VMA_AREA_VDSO) {
			mr->vdso_start = e->start;
			mr->vdso_end = e->end;
		}
		if (e->status & (VMA_FILE_PRIVATE | VMA_FILE_SHARED)) {
			v->pgoff = e->pgoff;
			v->flags &= ~MAP_ANONYMOUS;
		} else if (v->kind == RST_VMA_MAP) {
			v->flags |= MAP_ANONYMOUS;
			v->flags &= ~MAP_SHARED;
			v->flags |= MAP_PRIVATE;
		}
		mr->nr_vmas++;
	}
	return 0;
}

int mem_restore_add_run(struct mem_restore *mr, uint64_t vaddr, uint64_t nr, uint64_t off, unsigned int file)
{
	if (mr->nr_runs == mr->cap_runs) {
		size_t ncap = mr->cap_runs ? mr->cap_runs * 2 : 256;
		struct rst_run *n = xrealloc(mr->runs, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		mr->runs = n;
		mr->cap_runs = ncap;
	}
	mr->runs[mr->nr_runs++] = (struct rst_run){ .vaddr = vaddr, .nr = nr, .off = off, .file = file };
	mr->pages += nr;
	return 0;
}

/* The VMA holding @addr, or NULL. */
static struct rst_vma *vma_at(struct mem_restore *mr, uint64_t addr)
{
	unsigned int lo = 0, hi = mr->nr_vmas;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		struct rst_vma *v = &mr->vmas[mid];

		if (addr < v->start)
			hi = mid;
		else if (addr >= v->end)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

/* One pagemap entry: cut at VMA boundaries, dropping what is not ours to fill. */
static int add_entry(struct mem_restore *mr, uint64_t vaddr, uint64_t nr, uint64_t off)
{
	uint64_t end = vaddr + nr * PAGE_SIZE_4K;

	while (vaddr < end) {
		struct rst_vma *v = vma_at(mr, vaddr);
		uint64_t stop, n;
		int r;

		if (!v)
			return pr_err_ret(-EINVAL, "the pagemap has pages at %#llx, outside any memory area",
					  (unsigned long long)vaddr);
		stop = min(end, v->end);
		n = (stop - vaddr) / PAGE_SIZE_4K;
		if (v->start == mr->vdso_start && mr->vdso_start) {
			if (mr->nr_vdso_pages < ARRAY_SIZE(mr->vdso_pages))
				mr->vdso_pages[mr->nr_vdso_pages++] =
					(typeof(mr->vdso_pages[0])){ vaddr - v->start, n, off };
		} else if (v->kind == RST_VMA_MAP && !(v->flags & MAP_SHARED)) {
			r = mem_restore_add_run(mr, vaddr, n, off, 0);
			if (r)
				return r;
			v->filled = 1;
		} else {
			return pr_err_ret(-EINVAL, "the pagemap has pages at %#llx of an area that takes none",
					  (unsigned long long)vaddr);
		}
		vaddr = stop;
		off += n * PAGE_SIZE_4K;
	}
	return 0;
}

static int read_pagemap(struct img_dir *dir, pid_t pid, struct mem_restore *mr, uint32_t *pages_id, uint64_t *size)
{
	struct cr_img *img _cleanup_img_ = NULL;
	PagemapHead *head _cleanup_msg_ = NULL;
	uint64_t off = 0;
	int r;

	r = img_open(dir, CR_IMG_PAGEMAP, IMG_READ, pid, &img);
	if (r)
		return r;
	r = img_read_entry(img, NULL, (void **)&head);
	if (r <= 0)
		return r ?: pr_err_ret(-EINVAL, "pagemap-%d.img has no head", (int)pid);
	*pages_id = head->pages_id;
	for (;;) {
		PagemapEntry *e _cleanup_msg_ = NULL;
		uint64_t nr;

		r = img_read_entry(img, NULL, (void **)&e);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		nr = e->has_nr_pages ? e->nr_pages : e->compat_nr_pages;
		uint32_t flags = e->has_flags ? e->flags : (e->in_parent ? PE_PARENT : PE_PRESENT);
		if (flags & PE_PARENT)
			return pr_err_ret(-EOPNOTSUPP, "pages at %#llx are in a parent image: not supported yet",
					  (unsigned long long)e->vaddr);
		if (!(flags & PE_PRESENT))
			return pr_err_ret(-EOPNOTSUPP, "pages at %#llx are lazy: lazy restore is not supported yet",
					  (unsigned long long)e->vaddr);
		if (e->vaddr & (PAGE_SIZE_4K - 1) || !nr || nr > (TASK_SIZE_MAX - e->vaddr) / PAGE_SIZE_4K)
			return pr_err_ret(-EINVAL, "a malformed pagemap entry at %#llx", (unsigned long long)e->vaddr);
		r = add_entry(mr, e->vaddr, nr, off);
		if (r)
			return r;
		off += nr * PAGE_SIZE_4K;
	}
	*size = off;
	return 0;
}

int mem_restore_prepare(struct img_dir *dir, pid_t pid, struct mem_restore *mr)
{
	struct cr_img *pages _cleanup_img_ = NULL;
	uint32_t pages_id = 0;
	uint64_t size = 0;
	struct stat st;
	int r, fd;

	memset(mr, 0, sizeof(*mr));
	mr->exe_fd = -1;
	r = img_read_one(dir, CR_IMG_MM, pid, &mm_entry__descriptor, (void **)&mr->mm);
	if (r)
		return r;
	if (mr->mm->n_mm_saved_auxv > RST_AUXV_MAX)
		return pr_err_ret(-EINVAL, "mm-%d.img has %zu auxv words, more than a task has", (int)pid,
				  mr->mm->n_mm_saved_auxv);
	r = collect_vmas(mr);
	if (r)
		return r;
	r = read_pagemap(dir, pid, mr, &pages_id, &size);
	if (r)
		return r;
	r = img_open(dir, CR_IMG_PAGES, IMG_READ, pages_id, &pages);
	if (r)
		return r;
	fd = img_raw_fd(pages);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st))
		return pr_err_ret(-errno, "can't stat pages-%u.img", pages_id);
	if ((uint64_t)st.st_size < size) {
		pr_err("pages-%u.img is truncated: %llu bytes where the pagemap needs %llu\n", pages_id,
		       (unsigned long long)st.st_size, (unsigned long long)size);
		return -EIO;
	}
	mr->page_fds[0] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (mr->page_fds[0] < 0)
		return pr_err_ret(-errno, "can't keep pages-%u.img open", pages_id);
	mr->nr_page_files = 1;
	r = shmem_restore_prepare(mr, dir);
	if (r)
		return r;
	pr_info("task %d: %u memory areas, %llu pages in %zu runs\n", (int)pid, mr->nr_vmas,
		(unsigned long long)mr->pages, mr->nr_runs);
	return 0;
}

int mem_restore_open_files(struct mem_restore *mr)
{
	MmEntry *mm = mr->mm;
	int fd;

	for (unsigned int i = 0; i < mr->nr_vmas; i++) {
		const VmaEntry *e = mm->vmas[i];
		struct rst_vma *v = &mr->vmas[i];
		int flags;

		if (v->kind != RST_VMA_MAP || !(e->status & (VMA_FILE_PRIVATE | VMA_FILE_SHARED)))
			continue;
		/* Areas of one file one after another share one fd. */
		if (i && mm->vmas[i - 1]->shmid == e->shmid && mr->vmas[i - 1].fd >= 0 &&
		    !((e->status ^ mm->vmas[i - 1]->status) & VMA_FILE_SHARED)) {
			v->fd = mr->vmas[i - 1].fd;
			continue;
		}
		if (e->has_fdflags)
			flags = e->fdflags & O_ACCMODE;
		else
			flags = (e->status & VMA_FILE_SHARED) && (e->prot & PROT_WRITE) ? O_RDWR : O_RDONLY;
		fd = open_file_by_id(e->shmid, flags | O_CLOEXEC);
		if (fd < 0)
			return pr_err_ret(fd, "can't open the file mapped at %#llx", (unsigned long long)e->start);
		fd = reserve_service_fd(fd);
		if (fd < 0)
			return fd;
		v->fd = fd;
	}
	fd = open_file_by_id(mm->exe_file_id, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_err_ret(fd, "can't open the executable (file %u)", mm->exe_file_id);
	fd = reserve_service_fd(fd);
	if (fd < 0)
		return fd;
	mr->exe_fd = fd;
	return 0;
}

void mem_restore_free(struct mem_restore *mr)
{
	img_msg_free(mr->mm);
	free(mr->vmas);
	free(mr->runs);
	for (unsigned int i = 0; i < mr->nr_page_files; i++)
		close(mr->page_fds[i]);
	memset(mr, 0, sizeof(*mr));
	mr->exe_fd = -1;
}
