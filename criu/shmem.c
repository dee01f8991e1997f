/*
 * Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS), dump and restore.
 *
 * Such memory is a shmem object of its own ("/dev/zero (deleted)" in
 * smaps).  As CRIU does, its VMAs name the object by inode number (shmid)
 * and its contents go to pagemap-shmem-<shmid>.img + pages-<id>.img, with
 * page addresses counted from the start of the object.  Dump reads the
 * object through /proc/PID/map_files, skipping holes (SEEK_DATA).
 *
 * The same object seen in several tasks (inherited at fork) or twice in
 * one is saved once.  Restore makes each object once for the whole tree,
 * in criu's main process, fills it and hands its fd down to every task,
 * which maps it MAP_SHARED: a write in one task is seen by the others, as
 * before the dump.
 *
 * memfds are shmem objects too: files-memfd.c hands each one's fd to
 * shmem_dump_file() (contents saved the same way, under its inode number)
 * and fills the new memfd with shmem_restore_file().
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define LOG_PREFIX "shmem: "
#include "files.h"
#include "log.h"
#include "mem.h"
#include "restorer.h"
#include "shmem.h"
#include "images/pagemap.pb-c.h"

struct shm_obj {
	uint64_t ino;
	uint64_t size;
	int fd;
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
		close(fd); /* seen before, in this task or another: one object */
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

/*
 * Restore: one object per shmid for the whole tree.  Each task's VMAs of
 * it are noted first (shmem_restore_prepare(), per task); once every task
 * is read, shmem_restore_objects() makes each object as big as its
 * largest use, fills it from the images and points the VMAs at its fd.
 */
struct rst_use {
	struct mem_restore *mr;
	unsigned int vma;
};

struct rst_obj {
	uint64_t shmid, size;
	int fd;
};

static struct {
	struct rst_use *uses;
	size_t nr_uses;
	struct rst_obj *objs;
	size_t nr_objs;
} rs;

static struct rst_obj *rst_obj_get(uint64_t shmid)
{
	struct rst_obj *o;

	for (size_t i = 0; i < rs.nr_objs; i++)
		if (rs.objs[i].shmid == shmid)
			return &rs.objs[i];
	o = xrealloc(rs.objs, (rs.nr_objs + 1) * sizeof(*o));
	if (!o)
		return NULL;
	rs.objs = o;
	o = &rs.objs[rs.nr_objs++];
	*o = (struct rst_obj){ .shmid = shmid, .fd = -1 };
	return o;
}

int shmem_restore_prepare(struct mem_restore *mr, struct img_dir *dir)
{
	(void)dir;
	for (unsigned int i = 0; i < mr->nr_vmas; i++) {
		const VmaEntry *e = mr->mm->vmas[i];
		struct rst_obj *o;
		struct rst_use *u;

		if (!(e->status & VMA_ANON_SHARED))
			continue;
		o = rst_obj_get(e->shmid);
		u = xrealloc(rs.uses, (rs.nr_uses + 1) * sizeof(*u));
		if (!o || !u)
			return -ENOMEM;
		rs.uses = u;
		rs.uses[rs.nr_uses++] = (struct rst_use){ mr, i };
		o->size = max(o->size, e->pgoff + (e->end - e->start));
		mr->vmas[i].flags = MAP_SHARED;
		mr->vmas[i].pgoff = e->pgoff;
		mr->vmas[i].fd = -1; /* shmem_restore_objects() */
	}
	return 0;
}

/*
 * A shared anonymous object of @size bytes and an fd on it: mapped once
 * here and reopened through map_files, so that every task mapping the fd
 * shows "/dev/zero (deleted)" as the original did.
 */
static int make_object(uint64_t size)
{
	char path[96];
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd;

	if (p == MAP_FAILED)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)p,
		 (unsigned long)p + (unsigned long)size);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	munmap(p, size);
	return fd;
}

int shmem_restore_objects(struct img_dir *dir)
{
	for (size_t i = 0; i < rs.nr_objs; i++) {
		struct rst_obj *o = &rs.objs[i];
		int r, fd;

		if (o->fd >= 0)
			continue;
		fd = make_object(o->size);
		if (fd < 0)
			return pr_err_ret(fd, "can't make shared memory %llu (%llu bytes)",
					  (unsigned long long)o->shmid, (unsigned long long)o->size);
		o->fd = fd;
		r = shmem_restore_file(dir, o->shmid, fd, o->size);
		if (r)
			return r;
		fd = reserve_service_fd(fd);
		if (fd < 0)
			return fd;
		o->fd = fd;
		pr_info("shared memory %llu: %llu bytes, fd %d\n", (unsigned long long)o->shmid,
			(unsigned long long)o->size, fd);
	}
	for (size_t i = 0; i < rs.nr_uses; i++) {
		struct rst_use *u = &rs.uses[i];

		u->mr->vmas[u->vma].fd = rst_obj_get(u->mr->mm->vmas[u->vma]->shmid)->fd;
	}
	return 0;
}

void shmem_restore_fini(void)
{
	for (size_t i = 0; i < rs.nr_objs; i++)
		if (rs.objs[i].fd >= 0)
			close(rs.objs[i].fd);
	free(rs.objs);
	free(rs.uses);
	memset(&rs, 0, sizeof(rs));
}
