/*
 * Memory of a task: its VMAs (mm-PID.img) and page contents
 * (pagemap-PID.img + pages-N.img), dump and restore sides.
 *
 * Dump, with the task seized:
 *  1. mem_dump_collect(pid, &md): reads smaps, classifies every VMA the
 *     way CRIU's images describe them (status bits, flags, madvise hints),
 *     registers mapped files with dump_file_fd() (files.h; memfds too) and
 *     shared anonymous memory with shmem.h, and refuses by name what is not
 *     supported yet (SysV shm, device mappings, shadow stacks...).
 *  2. mem_dump_scan(pid, &md): reads /proc/PID/pagemap and lists the pages
 *     to save: every present or swapped page of private anonymous memory
 *     (but the shared zero page), the pages of private file mappings that
 *     no longer are the file's (written, so copied on write), and the vDSO.
 *  3. mem_dump_pages(ctl, pid, &md, dir, pages_id): writes pagemap-PID.img
 *     and pages-<pages_id>.img; contents through compel_dump_pages() when
 *     @ctl is infected, else through /proc/PID/mem.
 *  4. mem_dump_vmas(&md, mm): points mm->vmas at the VMA entries.
 *  5. mem_dump_free(&md).
 */
#ifndef CRIU_MEM_H
#define CRIU_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "arena.h"
#include "image.h"
#include "images/mm.pb-c.h"
#include "images/vma.pb-c.h"

struct parasite_ctl;

/* VMA status bits of the image (CRIU's VMA_* values). */
#define VMA_AREA_REGULAR  (1u << 0)
#define VMA_AREA_STACK	  (1u << 1)
#define VMA_AREA_VSYSCALL (1u << 2)
#define VMA_AREA_VDSO	  (1u << 3)
#define VMA_AREA_HEAP	  (1u << 5)
#define VMA_FILE_PRIVATE  (1u << 6)
#define VMA_FILE_SHARED	  (1u << 7)
#define VMA_ANON_SHARED	  (1u << 8)
#define VMA_ANON_PRIVATE  (1u << 9)
#define VMA_AREA_SYSVIPC  (1u << 10)
#define VMA_AREA_SOCKET	  (1u << 11)
#define VMA_AREA_VVAR	  (1u << 12)
#define VMA_AREA_AIORING  (1u << 13)
#define VMA_AREA_MEMFD	  (1u << 14)
#define VMA_AREA_SHSTK	  (1u << 15)
#define VMA_AREA_UPROBES  (1u << 17)
#define VMA_UNSUPP	  (1u << 31)

/* pagemap_entry flags. */
#define PE_PARENT  (1u << 0)
#define PE_LAZY	   (1u << 1)
#define PE_PRESENT (1u << 2)

#define PAGE_SIZE_4K 4096UL

/* Which pages of a VMA dump saves. */
enum vma_pages {
	VP_NONE,     /* shared, vvar, vsyscall: nothing */
	VP_ANON,     /* every present or swapped page but the zero page */
	VP_PRIVFILE, /* only pages that are no longer the file's */
	VP_ALL,	     /* every present page (the vDSO) */
};

struct dump_vma {
	VmaEntry e;
	enum vma_pages pages;
	bool readable;
};

/* A run of pages to save: @nr pages from @vaddr, in one VMA. */
struct page_run {
	uint64_t vaddr;
	uint64_t nr;
	uint32_t flags; /* PE_* */
	bool readable;
};

struct mem_dump {
	struct arena arena;
	struct dump_vma *v;
	unsigned int n;
	struct page_run *runs;
	size_t nr_runs, cap_runs;
	uint64_t pages_scanned, pages_written;
	uint64_t shmem_pages; /* of shared anonymous memory */
	/* time spent, microseconds */
	uint64_t scan_us, write_us;
};

int mem_dump_collect(pid_t pid, struct mem_dump *md) __must_check;
int mem_dump_scan(pid_t pid, struct mem_dump *md) __must_check;
int mem_dump_pages(struct parasite_ctl *ctl, pid_t pid, struct mem_dump *md, struct img_dir *dir,
		   uint32_t pages_id) __must_check;
int mem_dump_vmas(struct mem_dump *md, MmEntry *mm) __must_check;
void mem_dump_free(struct mem_dump *md);

/* madvise advice bit of a vma_entry.madv: 1 << MADV_x */
#define MADV_BIT(m) (1ULL << (m))

/* ------------------------------------------------------------ restore */

struct rst_vma;
struct rst_run;

/*
 * The memory of a task to restore, read and checked in criu's main
 * process before the task is created:
 *  1. mem_restore_prepare(dir, pid, &mr): mm-PID.img and pagemap-PID.img,
 *     every VMA checked (aligned, sorted, no overlap, a kind we can map),
 *     every page run inside a VMA that takes pages, the pages image as
 *     long as the runs say; shared anonymous memory's runs (shmem.h).
 *     Refuses (-EOPNOTSUPP) parent and lazy pages and the kinds of memory
 *     not supported yet.
 *  2. in the child: mem_restore_open_files(&mr): opens the file of each
 *     file mapping and the exe (open_file_by_id, service fd numbers).
 *  3. mem_restore_free(&mr).
 */
struct mem_restore {
	MmEntry *mm;
	struct rst_vma *vmas;
	unsigned int nr_vmas;
	struct rst_run *runs;
	size_t nr_runs, cap_runs;
	uint64_t pages; /* pages to read */
	/* pages files, read with absolute offsets: [0] the task's, then shared memory's */
	int page_fds[16];
	uint64_t page_file_shmid[16];
	unsigned int nr_page_files;
	int exe_fd; /* after mem_restore_open_files(), else -1 */
	/* the dumped vDSO: [vvar_start, vvar_end) and [vdso_start, vdso_end), 0 when absent */
	uint64_t vvar_start, vvar_end, vdso_start, vdso_end;
	/* the dumped vDSO pages present in the pages file: offset in the vDSO, count, file offset */
	struct {
		uint64_t at, nr, off;
	} vdso_pages[8];
	unsigned int nr_vdso_pages;
};

int mem_restore_prepare(struct img_dir *dir, pid_t pid, struct mem_restore *mr) __must_check;
int mem_restore_open_files(struct mem_restore *mr) __must_check;
/* Add a run: @nr pages at @vaddr from @off in page file @file. */
int mem_restore_add_run(struct mem_restore *mr, uint64_t vaddr, uint64_t nr, uint64_t off,
			unsigned int file) __must_check;
void mem_restore_free(struct mem_restore *mr);

#endif /* CRIU_MEM_H */
