/*
 * memfd files ("/memfd:NAME (deleted)"): the MEMFD kind of files.img.
 *
 * Image layout (as CRIU writes it): every open description or mapped file
 * is a files.img entry of type MEMFD (memfd_file_entry: flags, pos, fown,
 * inode_id); every memfd inode is one memfd_inode_entry in memfd.img
 * (name, owner, mode, size, seals, inode_id counted from 1, shmid = the
 * inode number).  The contents go through shmem.c like those of shared
 * anonymous memory: pagemap-shmem-<shmid>.img + pages-<id>.img.  A
 * mapping of a memfd is a file VMA (VMA_AREA_MEMFD) whose shmid is the
 * files.img id.
 *
 * Restore: files_collect() calls memfd_collect(), which makes each inode
 * again in criu's main process (memfd_create with its name, contents,
 * owner, mode) and keeps an fd on it; the restored child moves these fds
 * above the service-fd base (memfd_reserve_fds()) and reopens them through
 * /proc/self/fd for every description and mapping.  Seals come last: the
 * restorer adds them once every mapping is in place (F_SEAL_FUTURE_WRITE
 * would refuse a writable shared mapping made after it).
 */
#define LOG_PREFIX "memfd: "

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "memfd.h"
#include "shmem.h"
#include "images/memfd.pb-c.h"

#define MEMFD_PREFIX "/memfd:"
#define DELETED	     " (deleted)"

/* ================================================================ dump */

struct dump_inode {
	dev_t dev;
	ino_t ino;
	uint32_t id;
};

static struct {
	struct dump_inode *inodes;
	size_t nr, max;
	uint8_t **packed; /* memfd_inode_entry each, for memfd.img */
	size_t *lens;
	size_t max_packed;
} dmp;

static bool memfd_match(const struct fd_parms *p)
{
	return S_ISREG(p->st.st_mode) && !strncmp(p->link, MEMFD_PREFIX, strlen(MEMFD_PREFIX));
}

/* A new inode: its memfd_inode_entry queued, its contents handed to shmem.c. */
static int dump_inode(const struct fd_parms *p, struct dump_inode *in)
{
	MemfdInodeEntry mie = MEMFD_INODE_ENTRY__INIT;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *name = NULL;
	struct statfs sfs;
	size_t len;
	int seals, r;

	name = xstrdup(p->link + strlen(MEMFD_PREFIX));
	if (!name)
		return -ENOMEM;
	len = strlen(name);
	if (len >= strlen(DELETED) && !strcmp(name + len - strlen(DELETED), DELETED))
		name[len - strlen(DELETED)] = '\0';
	fd = fd_parms_reopen(p, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstatfs(fd, &sfs))
		return pr_err_ret(-errno, "%s: can't statfs memfd %s", p->what, name);
	if (sfs.f_type != TMPFS_MAGIC) {
		pr_err("%s: memfd %s is not on shmem (hugetlb?): not supported yet\n", p->what, name);
		return -EOPNOTSUPP;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return pr_err_ret(-errno, "%s: can't read the seals of memfd %s", p->what, name);
	r = shmem_dump_file(fd, p->st.st_ino, p->st.st_size);
	if (r)
		return r;
	mie.name = name;
	mie.uid = p->st.st_uid;
	mie.gid = p->st.st_gid;
	mie.size = p->st.st_size;
	mie.shmid = p->st.st_ino;
	mie.seals = seals;
	mie.inode_id = in->id;
	mie.has_mode = true;
	mie.mode = p->st.st_mode & 07777;
	if (files_grow((void **)&dmp.packed, &dmp.max_packed, dmp.nr + 1, sizeof(*dmp.packed)) ||
	    !(dmp.lens = xrealloc(dmp.lens, dmp.max_packed * sizeof(*dmp.lens))))
		return -ENOMEM;
	len = memfd_inode_entry__get_packed_size(&mie);
	dmp.packed[dmp.nr] = xmalloc(len ?: 1);
	if (!dmp.packed[dmp.nr])
		return -ENOMEM;
	dmp.lens[dmp.nr] = memfd_inode_entry__pack(&mie, dmp.packed[dmp.nr]);
	pr_info("memfd %s: inode %u, shmid %llu, %llu bytes, seals %#x\n", name, in->id, (unsigned long long)mie.shmid,
		(unsigned long long)mie.size, seals);
	return 0;
}

static int memfd_dump(const struct fd_parms *p, uint32_t id)
{
	static const FownEntry no_fown = FOWN_ENTRY__INIT;
	MemfdFileEntry mfe = MEMFD_FILE_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	struct dump_inode *in = NULL;
	int r;

	for (size_t i = 0; i < dmp.nr; i++)
		if (dmp.inodes[i].dev == p->st.st_dev && dmp.inodes[i].ino == p->st.st_ino)
			in = &dmp.inodes[i];
	if (!in) {
		if (files_grow((void **)&dmp.inodes, &dmp.max, dmp.nr + 1, sizeof(*dmp.inodes)))
			return -ENOMEM;
		in = &dmp.inodes[dmp.nr];
		*in = (struct dump_inode){ .dev = p->st.st_dev, .ino = p->st.st_ino, .id = dmp.nr + 1 };
		r = dump_inode(p, in);
		if (r)
			return r;
		dmp.nr++;
	}
	mfe.id = id;
	mfe.flags = p->flags;
	mfe.pos = p->special ? 0 : p->pos;
	mfe.fown = (FownEntry *)(p->fown && !p->special ? p->fown : &no_fown);
	mfe.inode_id = in->id;
	fe.type = FD_TYPES__MEMFD;
	fe.id = id;
	fe.memfd = &mfe;
	return files_add_entry(&fe);
}

int memfd_dump_finish(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	int r;

	if (!dmp.nr)
		return 0;
	r = img_open(dir, CR_IMG_MEMFD_INODE, IMG_WRITE, 0, &img);
	if (r)
		return r;
	for (size_t i = 0; !r && i < dmp.nr; i++) {
		MemfdInodeEntry *mie = memfd_inode_entry__unpack(NULL, dmp.lens[i], dmp.packed[i]);

		if (!mie) {
			r = -ENOMEM;
			break;
		}
		r = img_write_entry(img, mie);
		memfd_inode_entry__free_unpacked(mie, NULL);
	}
	if (r) {
		img_closep(&img);
		return r;
	}
	return img_close(img);
}

void memfd_dump_fini(void)
{
	for (size_t i = 0; i < dmp.nr; i++)
		free(dmp.packed[i]);
	free(dmp.packed);
	free(dmp.lens);
	free(dmp.inodes);
	memset(&dmp, 0, sizeof(dmp));
}

/* ================================================================ restore */

struct rst_inode {
	MemfdInodeEntry *mie;
	int fd;		/* criu's, O_RDWR */
	uint32_t seals; /* to add once the memory is mapped */
};

static struct {
	struct rst_inode *inodes;
	size_t nr;
} rst;

static struct rst_inode *find_inode(uint32_t id)
{
	for (size_t i = 0; i < rst.nr; i++)
		if (rst.inodes[i].mie->inode_id == id)
			return &rst.inodes[i];
	return NULL;
}

static int make_inode(struct img_dir *dir, struct rst_inode *in)
{
	const MemfdInodeEntry *mie = in->mie;
	unsigned int flags = MFD_CLOEXEC;
	int r;

	if (mie->has_hugetlb_flag && mie->hugetlb_flag) {
		pr_err("memfd %s is hugetlb memory: not supported yet\n", mie->name);
		return -EOPNOTSUPP;
	}
	/* Without MFD_ALLOW_SEALING a memfd is born with F_SEAL_SEAL alone. */
	if (mie->seals != F_SEAL_SEAL) {
		flags |= MFD_ALLOW_SEALING;
		in->seals = mie->seals;
	}
	in->fd = memfd_create(mie->name, flags);
	if (in->fd < 0)
		return pr_err_ret(-errno, "can't create memfd %s", mie->name);
	if (ftruncate(in->fd, mie->size))
		return pr_err_ret(-errno, "can't size memfd %s to %llu bytes", mie->name,
				  (unsigned long long)mie->size);
	r = shmem_restore_file(dir, mie->shmid, in->fd, mie->size);
	if (r)
		return pr_err_ret(r, "can't fill memfd %s", mie->name);
	if (fchown(in->fd, mie->uid, mie->gid))
		return pr_err_ret(-errno, "can't give memfd %s to %u:%u", mie->name, mie->uid, mie->gid);
	if (mie->has_mode && fchmod(in->fd, mie->mode & 07777))
		return pr_err_ret(-errno, "can't set the mode of memfd %s", mie->name);
	pr_info("memfd %s (inode %llu): %llu bytes, seals %#x later\n", mie->name, (unsigned long long)mie->inode_id,
		(unsigned long long)mie->size, in->seals);
	return 0;
}

int memfd_collect(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	size_t max = 0;
	int r;

	r = img_open(dir, CR_IMG_MEMFD_INODE, IMG_READ | IMG_OPTIONAL, 0, &img);
	if (r < 0)
		return r;
	for (;;) {
		MemfdInodeEntry *mie;

		r = img_read_entry(img, NULL, (void **)&mie);
		if (r <= 0)
			break;
		r = files_grow((void **)&rst.inodes, &max, rst.nr + 1, sizeof(*rst.inodes));
		if (r) {
			img_msg_free(mie);
			break;
		}
		rst.inodes[rst.nr++] = (struct rst_inode){ .mie = mie, .fd = -1 };
		if (find_inode(mie->inode_id) != &rst.inodes[rst.nr - 1]) {
			pr_err("memfd.img: two inodes have id %llu\n", (unsigned long long)mie->inode_id);
			r = -EINVAL;
			break;
		}
	}
	img_closep(&img);
	if (r < 0)
		return r;
	for (size_t i = 0; i < rst.nr; i++) {
		r = make_inode(dir, &rst.inodes[i]);
		if (r)
			return r;
	}
	return 0;
}

static int memfd_collect_one(struct file_desc *d)
{
	if (!d->fe->memfd)
		return pr_err_ret(-EINVAL, "files.img: memfd entry %u has no memfd part", d->id);
	if (!find_inode(d->fe->memfd->inode_id))
		return pr_err_ret(-EINVAL, "memfd file %u: memfd.img has no inode %u", d->id, d->fe->memfd->inode_id);
	return 0;
}

int memfd_reserve_fds(void)
{
	for (size_t i = 0; i < rst.nr; i++) {
		int fd = reserve_service_fd(rst.inodes[i].fd);

		if (fd < 0)
			return fd;
		rst.inodes[i].fd = fd;
	}
	return 0;
}

int memfd_open_desc(struct file_desc *d, int flags, bool as_fd)
{
	const MemfdFileEntry *mfe = d->fe->memfd;
	struct rst_inode *in = find_inode(mfe->inode_id);
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", in->fd);
	flags &= ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	fd = open(path, flags);
	if (fd < 0)
		return pr_err_ret(-errno, "can't reopen memfd %s", in->mie->name);
	if (as_fd) {
		r = restore_fown(fd, mfe->fown, in->mie->name);
		if (!r && lseek(fd, mfe->pos, SEEK_SET) < 0)
			r = pr_err_ret(-errno, "memfd %s: can't seek to %llu", in->mie->name,
				       (unsigned long long)mfe->pos);
		if (r) {
			close(fd);
			return r;
		}
	}
	return fd;
}

static int memfd_open(struct file_desc *d, int *fd)
{
	int r = memfd_open_desc(d, d->fe->memfd->flags, true);

	if (r < 0)
		return r;
	*fd = r;
	return 0;
}

int memfd_pending_seals(int32_t *fds, uint32_t *seals, unsigned int max)
{
	unsigned int n = 0;

	for (size_t i = 0; i < rst.nr; i++) {
		if (!rst.inodes[i].seals)
			continue;
		if (n == max)
			return pr_err_ret(-EOPNOTSUPP, "more than %u sealed memfds: not supported yet", max);
		fds[n] = rst.inodes[i].fd;
		seals[n++] = rst.inodes[i].seals;
	}
	return n;
}

void memfd_restore_fini(void)
{
	for (size_t i = 0; i < rst.nr; i++) {
		if (rst.inodes[i].fd >= 0)
			close(rst.inodes[i].fd);
		img_msg_free(rst.inodes[i].mie);
	}
	free(rst.inodes);
	memset(&rst, 0, sizeof(rst));
}

const struct fd_kind memfd_kind = {
	.name = "memfd",
	.type = FD_TYPES__MEMFD,
	.match = memfd_match,
	.dump = memfd_dump,
	.collect = memfd_collect_one,
	.open = memfd_open,
};
