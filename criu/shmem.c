/*
 * Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS), dump and restore.
 *
 * Such memory is a shmem object of its own ("/dev/zero (deleted)" in
 * smaps).  As CRIU does, its VMAs name the object by inode number (shmid)
 * and its contents go to pagemap-shmem-<shmid>.img + pages-<id>.img, with
 * page addresses counted from the start of the object.  Dump reads the
 * object through /proc/PID/map_files, skipping holes (SEEK_DATA).
 *
 * Restore, one process only: each VMA becomes a shared anonymous mapping
 * of its own filled with its part of the object.  A process cannot tell
 * that from the original unless two of its VMAs show the same part of one
 * object; dump refuses that case by name.
 *
 * memfds are shmem objects too: files-memfd.c hands each one's fd to
 * shmem_dump_file() (contents saved the same way, under its inode number)
 * and fills the new memfd with shmem_restore_file().
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define LOG_PREFIX "shmem: "
#include "log.h"
#include "mem.h"
#include "restorer.h"
#include "shmem.h"
#include "images/pagemap.pb-c.h"

struct shm_part {
	uint64_t pgoff, len;
};

struct shm_obj {
	uint64_t ino;
	uint64_t size;
	int fd;
	struct shm_part *parts;
	unsigned int nr_parts;
};

static struct shm_obj *objs;
static unsigned int nr_objs;

static struct shm_obj *find_obj(uint64_t ino)
{
	for (unsigned int i = 0; i < nr_objs; i++)
		if (objs[i].ino == ino)
			return &objs[i];
	return NULL;
}

int shmem_dump_vma(pid_t pid, unsigned long start, unsigned long end, unsigned long pgoff, VmaEntry *e)
{
	char path[96];
	struct stat st;
	struct shm_obj *o;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", (int)pid, start, end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_err_ret(-errno, "can't open the shared memory at %lx-%lx of task %d", start, end, (int)pid);
	if (fstat(fd, &st)) {
		int r = -errno;

		close(fd);
		return pr_err_ret(r, "can't stat %s", path);
	}
	o = find_obj(st.st_ino);
	if (o) {
		close(fd);
		for (unsigned int i = 0; i < o->nr_parts; i++)
			if (pgoff < o->parts[i].pgoff + o->parts[i].len && o->parts[i].pgoff < pgoff + (end - start)) {
				pr_err("task %d maps one part of a shared memory object twice (at %lx): not supported "
				       "yet\n",
				       (int)pid, start);
				return -EOPNOTSUPP;
			}
	} else {
		struct shm_obj *n = xrealloc(objs, (nr_objs + 1) * sizeof(*n));

		if (!n) {
			close(fd);
			return -ENOMEM;
		}
		objs = n;
		o = &objs[nr_objs++];
		*o = (struct shm_obj){ .ino = st.st_ino, .size = st.st_size, .fd = fd };
	}
	struct shm_part *p = xrealloc(o->parts, (o->nr_parts + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	o->parts = p;
	o->parts[o->nr_parts++] = (struct shm_part){ pgoff, end - start };

	e->status = VMA_AREA_REGULAR | VMA_ANON_SHARED;
	e->flags = MAP_SHARED | MAP_ANONYMOUS;
	e->shmid = st.st_ino;
	e->pgoff = pgoff;
	return 0;
}

static int copy_range(int in, int out, uint64_t off, uint64_t len, char *buf, size_t bufsz)
{
	while (len) {
		ssize_t n = pread(in, buf, min(len, (uint64_t)bufsz), off);

		if (n < 0)
			return -errno;
		if (n == 0) { /* past the end of a memfd: its last page's tail */
			n = min(len, (uint64_t)bufsz);
			memset(buf, 0, n);
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, n - done);

			if (w < 0)
				return -errno;
			done += w;
		}
		off += n;
		len -= n;
	}
	return 0;
}

/* One object: its data segments, page aligned, as pagemap entries and pages. */
static int dump_obj(struct img_dir *dir, const struct shm_obj *o, uint32_t pages_id, uint64_t *pages, char *buf,
		    size_t bufsz)
{
	struct cr_img *pm _cleanup_img_ = NULL, *pg _cleanup_img_ = NULL;
	PagemapHead head = PAGEMAP_HEAD__INIT;
	uint64_t size = (o->size + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1), off = 0;
	int r, out;

	r = img_open(dir, CR_IMG_SHMEM_PAGEMAP, IMG_WRITE, o->ino, &pm);
	if (!r)
		r = img_open(dir, CR_IMG_PAGES, IMG_WRITE, pages_id, &pg);
	if (r)
		return r;
	head.pages_id = pages_id;
	r = img_write_entry(pm, &head);
	out = img_raw_fd(pg);
	if (out < 0)
		return out;
	while (!r && off < size) {
		off_t data = lseek(o->fd, off, SEEK_DATA), hole;
		PagemapEntry e = PAGEMAP_ENTRY__INIT;

		if (data < 0) {
			if (errno == ENXIO)
				break;
			return pr_err_ret(-errno, "can't find data in shared memory %llu", (unsigned long long)o->ino);
		}
		hole = lseek(o->fd, data, SEEK_HOLE);
		if (hole < 0)
			return pr_err_ret(-errno, "can't find holes in shared memory %llu", (unsigned long long)o->ino);
		data &= ~(PAGE_SIZE_4K - 1);
		hole = min(((uint64_t)hole + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1), size);
		e.vaddr = data;
		e.has_flags = true;
		e.flags = PE_PRESENT;
		e.has_nr_pages = true;
		e.nr_pages = (hole - data) / PAGE_SIZE_4K;
		r = img_write_entry(pm, &e);
		if (!r)
			r = copy_range(o->fd, out, data, hole - data, buf, bufsz);
		if (r)
			return pr_err_ret(r, "can't save shared memory %llu", (unsigned long long)o->ino);
		*pages += e.nr_pages;
		off = hole;
	}
	if (r)
		return r;
	r = img_close(pm);
	pm = NULL;
	if (!r)
		r = img_close(pg);
	pg = NULL;
	return r;
}

int shmem_dump_file(int fd, uint64_t ino, uint64_t size)
{
	struct shm_obj *n;

	if (find_obj(ino))
		return 0;
	n = xrealloc(objs, (nr_objs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	objs = n;
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return pr_err_ret(-errno, "can't keep shared memory %llu open", (unsigned long long)ino);
	objs[nr_objs++] = (struct shm_obj){ .ino = ino, .size = size, .fd = fd };
	return 0;
}

int shmem_dump_contents(struct img_dir *dir, uint32_t first_pages_id, uint64_t *pages)
{
	const size_t bufsz = 4UL << 20;
	_cleanup_free_ char *buf = NULL;
	int r;

	if (!nr_objs)
		return 0;
	buf = xmalloc(bufsz);
	if (!buf)
		return -ENOMEM;
	for (unsigned int i = 0; i < nr_objs; i++) {
		r = dump_obj(dir, &objs[i], first_pages_id + i, pages, buf, bufsz);
		if (r)
			return r;
	}
	pr_info("%u shared memory objects saved\n", nr_objs);
	return 0;
}

void shmem_dump_fini(void)
{
	for (unsigned int i = 0; i < nr_objs; i++) {
		close(objs[i].fd);
		free(objs[i].parts);
	}
	free(objs);
	objs = NULL;
	nr_objs = 0;
}

/*
 * The next entry of pagemap-shmem-@shmid.img with its page count in *@nr,
 * checked: present pages, page-aligned, no overflow.  1, 0 at the end, -errno.
 */
static int shmem_next_entry(struct cr_img *pm, uint64_t shmid, PagemapEntry **e, uint64_t *nr)
{
	int r = img_read_entry(pm, NULL, (void **)e);

	if (r <= 0)
		return r;
	*nr = (*e)->has_nr_pages ? (*e)->nr_pages : (*e)->compat_nr_pages;
	if ((*e)->has_flags && !((*e)->flags & PE_PRESENT))
		return pr_err_ret(-EOPNOTSUPP, "shared memory pages that are not in the image");
	if ((*e)->vaddr & (PAGE_SIZE_4K - 1) || *nr > (UINT64_MAX - (*e)->vaddr) / PAGE_SIZE_4K)
		return pr_err_ret(-EINVAL, "a malformed entry in pagemap-shmem-%llu.img", (unsigned long long)shmid);
	return 1;
}

/* ------------------------------------------------------------ restore */

/* The pages of object @shmid for the VMA @v (its part from @pgoff). */
static int add_obj_runs(struct mem_restore *mr, struct img_dir *dir, uint64_t shmid, struct rst_vma *v, uint64_t pgoff)
{
	struct cr_img *pm _cleanup_img_ = NULL, *pg _cleanup_img_ = NULL;
	PagemapHead *head _cleanup_msg_ = NULL;
	uint64_t off = 0, len = v->end - v->start;
	unsigned int file;
	struct stat st;
	int r, fd;

	r = img_open(dir, CR_IMG_SHMEM_PAGEMAP, IMG_READ | IMG_OPTIONAL, shmid, &pm);
	if (r < 0)
		return r;
	if (r == IMG_ABSENT)
		return 0; /* never written to: zeroes */
	r = img_read_entry(pm, NULL, (void **)&head);
	if (r <= 0)
		return r ?: pr_err_ret(-EINVAL, "pagemap-shmem-%llu.img has no head", (unsigned long long)shmid);
	r = img_open(dir, CR_IMG_PAGES, IMG_READ, head->pages_id, &pg);
	if (r)
		return r;
	fd = img_raw_fd(pg);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st))
		return pr_err_ret(-errno, "can't stat pages-%u.img", head->pages_id);
	/* One pages file per object, however many of its parts are mapped. */
	for (file = 1; file < mr->nr_page_files; file++)
		if (mr->page_file_shmid[file] == shmid)
			break;
	if (file == mr->nr_page_files) {
		if (file == RST_MAX_PAGE_FILES)
			return pr_err_ret(-EOPNOTSUPP, "more than %d shared memory objects: not supported yet",
					  RST_MAX_PAGE_FILES - 1);
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return pr_err_ret(-errno, "can't keep pages-%u.img open", head->pages_id);
		mr->page_fds[file] = fd;
		mr->page_file_shmid[file] = shmid;
		mr->nr_page_files++;
	}

	for (;;) {
		PagemapEntry *e _cleanup_msg_ = NULL;
		uint64_t nr, s, t;

		r = shmem_next_entry(pm, shmid, &e, &nr);
		if (r <= 0)
			break;
		/* The part of [vaddr, vaddr + nr pages) this VMA shows. */
		s = max(e->vaddr, pgoff);
		t = min(e->vaddr + nr * PAGE_SIZE_4K, pgoff + len);
		if (s < t) {
			r = mem_restore_add_run(mr, v->start + (s - pgoff), (t - s) / PAGE_SIZE_4K,
						off + (s - e->vaddr), file);
			if (r)
				return r;
			v->filled = 1;
		}
		off += nr * PAGE_SIZE_4K;
	}
	if (r < 0)
		return r;
	if ((uint64_t)st.st_size < off)
		return pr_err_ret(-EIO, "pages-%u.img is truncated", head->pages_id);
	return 0;
}

int shmem_restore_file(struct img_dir *dir, uint64_t shmid, int fd, uint64_t size)
{
	struct cr_img *pm _cleanup_img_ = NULL, *pg _cleanup_img_ = NULL;
	PagemapHead *head _cleanup_msg_ = NULL;
	_cleanup_free_ char *buf = NULL;
	const size_t bufsz = 1UL << 20;
	uint64_t off = 0;
	int r, in;

	r = img_open(dir, CR_IMG_SHMEM_PAGEMAP, IMG_READ | IMG_OPTIONAL, shmid, &pm);
	if (r < 0)
		return r;
	if (r == IMG_ABSENT)
		return 0; /* nothing was ever written: all zeroes */
	r = img_read_entry(pm, NULL, (void **)&head);
	if (r <= 0)
		return r ?: pr_err_ret(-EINVAL, "pagemap-shmem-%llu.img has no head", (unsigned long long)shmid);
	r = img_open(dir, CR_IMG_PAGES, IMG_READ, head->pages_id, &pg);
	if (r)
		return r;
	in = img_raw_fd(pg);
	if (in < 0)
		return in;
	buf = xmalloc(bufsz);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		PagemapEntry *e _cleanup_msg_ = NULL;
		uint64_t nr, at, left;

		r = shmem_next_entry(pm, shmid, &e, &nr);
		if (r <= 0)
			break;
		/* Pages past the end of the object (its last page's tail) are not written. */
		at = e->vaddr;
		left = e->vaddr < size ? min(nr * PAGE_SIZE_4K, size - e->vaddr) : 0;
		for (uint64_t done = 0; done < left;) {
			ssize_t n = pread(in, buf, min(left - done, (uint64_t)bufsz), off + done);

			if (n <= 0)
				return pr_err_ret(n < 0 ? -errno : -EIO, "pages-%u.img is truncated", head->pages_id);
			if (pwrite(fd, buf, n, at + done) != n)
				return pr_err_ret(-errno ?: -EIO, "can't fill shared memory %llu",
						  (unsigned long long)shmid);
			done += n;
		}
		off += nr * PAGE_SIZE_4K;
	}
	return r;
}

int shmem_restore_prepare(struct mem_restore *mr, struct img_dir *dir)
{
	for (unsigned int i = 0; i < mr->nr_vmas; i++) {
		const VmaEntry *e = mr->mm->vmas[i];
		int r;

		if (!(e->status & VMA_ANON_SHARED))
			continue;
		mr->vmas[i].flags = MAP_SHARED | MAP_ANONYMOUS;
		r = add_obj_runs(mr, dir, e->shmid, &mr->vmas[i], e->pgoff);
		if (r)
			return r;
	}
	return 0;
}
