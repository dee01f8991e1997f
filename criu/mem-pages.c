/*
 * Writing a task's page contents: pagemap-PID.img lists the runs that
 * mem_dump_scan() found, pages-N.img holds their bytes in the same order.
 *
 * The bytes go through compel_dump_pages() (the parasite vmsplices them
 * into a pipe, criu splices the pipe into the file: no copy through criu)
 * for readable memory when the task is infected.  Memory the task cannot
 * read itself (PROT_NONE, write-only) and every page when there is no
 * parasite are read through /proc/PID/mem, which may look past the
 * protection, in large chunks.
 */
#include <fcntl.h>
#include <sys/uio.h>
#include <time.h>

#define LOG_PREFIX "mem: "
#include "log.h"
#include "stats.h"
#include "mem.h"
#include "images/pagemap.pb-c.h"

#include <compel.h>

#define IOV_BATCH  1024
#define COPY_CHUNK (8UL << 20)

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Copy @len bytes at @addr of the task through /proc/PID/mem. */
static int copy_mem(int mem, int out, uint64_t addr, uint64_t len, char *buf, pid_t pid)
{
	while (len) {
		size_t n = min(len, (uint64_t)COPY_CHUNK);
		ssize_t got = pread(mem, buf, n, addr);

		if (got <= 0)
			return pr_err_ret(got < 0 ? -errno : -EIO, "can't read %zu bytes at %#llx of task %d", n,
					  (unsigned long long)addr, (int)pid);
		int r = write_all(out, buf, got);
		if (r)
			return pr_err_ret(r, "can't write pages of task %d", (int)pid);
		addr += got;
		len -= got;
	}
	return 0;
}

static int write_contents(struct parasite_ctl *ctl, pid_t pid, struct mem_dump *md, int out)
{
	_cleanup_free_ struct iovec *iov = NULL;
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int mem = -1;
	size_t i = 0;
	int r;

	iov = xmalloc(IOV_BATCH * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	while (i < md->nr_runs) {
		const struct page_run *run = &md->runs[i];

		if (ctl && run->readable) {
			unsigned int n = 0;

			while (i < md->nr_runs && md->runs[i].readable && n < IOV_BATCH) {
				iov[n].iov_base = (void *)md->runs[i].vaddr;
				iov[n].iov_len = md->runs[i].nr * PAGE_SIZE_4K;
				n++;
				i++;
			}
			r = compel_dump_pages(ctl, iov, n, out);
			if (r)
				return pr_err_ret(r, "can't dump pages of task %d", (int)pid);
			continue;
		}
		if (mem < 0) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
			mem = open(path, O_RDONLY | O_CLOEXEC);
			if (mem < 0)
				return pr_err_ret(-errno, "can't open %s", path);
			buf = xmalloc(COPY_CHUNK);
			if (!buf)
				return -ENOMEM;
		}
		r = copy_mem(mem, out, run->vaddr, run->nr * PAGE_SIZE_4K, buf, pid);
		if (r)
			return r;
		i++;
	}
	return 0;
}

static int write_pagemap(pid_t pid, struct mem_dump *md, struct img_dir *dir, uint32_t pages_id)
{
	struct cr_img *img _cleanup_img_ = NULL;
	PagemapHead head = PAGEMAP_HEAD__INIT;
	int r;

	r = img_open(dir, CR_IMG_PAGEMAP, IMG_WRITE, pid, &img);
	if (r)
		return r;
	head.pages_id = pages_id;
	r = img_write_entry(img, &head);
	for (size_t i = 0; i < md->nr_runs && !r; i++) {
		PagemapEntry e = PAGEMAP_ENTRY__INIT;

		e.vaddr = md->runs[i].vaddr;
		e.compat_nr_pages = 0;
		e.has_flags = true;
		e.flags = md->runs[i].flags;
		e.has_nr_pages = true;
		e.nr_pages = md->runs[i].nr;
		r = img_write_entry(img, &e);
	}
	if (r)
		return r;
	r = img_close(img);
	img = NULL;
	return r;
}

int mem_dump_pages(struct parasite_ctl *ctl, pid_t pid, struct mem_dump *md, struct img_dir *dir, uint32_t pages_id)
{
	struct cr_img *img _cleanup_img_ = NULL;
	uint64_t t0 = stats_now_us();
	int r, fd;

	r = write_pagemap(pid, md, dir, pages_id);
	if (r)
		return r;
	r = img_open(dir, CR_IMG_PAGES, IMG_WRITE, pages_id, &img);
	if (r)
		return r;
	fd = img_raw_fd(img);
	if (fd < 0)
		return fd;
	r = write_contents(ctl, pid, md, fd);
	if (r)
		return r;
	r = img_close(img);
	img = NULL;
	if (r)
		return r;
	md->write_us = stats_now_us() - t0;
	pr_info("task %d: %llu pages written in %llu us\n", (int)pid, (unsigned long long)md->pages_written,
		(unsigned long long)md->write_us);
	return 0;
}
