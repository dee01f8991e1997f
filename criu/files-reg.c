/*
 * Regular files and directories (type REG): anything opened by a path.
 *
 * Dump records the path (as criu sees it: the task shares criu's mount
 * namespace), status flags, position, SIGIO owner, mode, and for regular
 * files the size and, with --file-validation buildid, the ELF build-id.  A
 * path no longer names the file in two cases: the file was deleted (no
 * link left: a "ghost" file, whose contents go to ghost-file-ID.img when
 * it is at most --ghost-limit bytes, remapped in remap-fpath.img), or it
 * was renamed/unlinked with other links left (refused: CRIU's link remap
 * is not done yet).
 *
 * Restore checks each file against the dump (size and mode always, build-id
 * in buildid mode) once, in criu's main process when it can (paths under
 * /proc/ wait for the restored task), and recreates every ghost file once,
 * in the directory of the deleted file under "<path>.cr.<ID>.ghost".  A
 * descriptor on a ghost file is opened by linking the ghost copy at the old
 * path for the time of the open() and unlinking it again, so /proc shows
 * "<path> (deleted)" as before; files_restore_fini() removes the copies.
 * Ghost directories are opened under their temporary name (no hard links
 * to directories).
 */
#define LOG_PREFIX "files-reg: "

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "build-id.h"
#include "cr_options.h"
#include "file-kinds.h"
#include "files.h"
#include "ghost-file.pb-c.h"
#include "image.h"
#include "log.h"
#include "regfile.pb-c.h"
#include "remap-file-path.pb-c.h"

#define DELETED_SUFFIX " (deleted)"
/* Ghost files from this size on are written as chunks (holes left out). */
#define GHOST_CHUNKS_FROM (3 * 4096)
/* Old images flag a ghost remap by this bit of remap_id. */
#define REMAP_GHOST_BIT 0x80000000u

/* Kernel encoding of a device number, as dev fields of images hold it. */
static uint32_t kdev(dev_t d)
{
	return (uint32_t)((major(d) << 20) | (minor(d) & 0xfffff));
}

/* ================================================================ dump */

struct dump_ghost {
	uint32_t id;
	dev_t dev;
	ino_t ino;
	struct stat st;
	int fd; /* readable copy for the contents (regular files), or -1 */
	char *path;
};

struct remap {
	uint32_t orig_id, remap_id;
};

static struct {
	struct dump_ghost *ghosts;
	size_t nr_ghosts;
	struct remap *remaps;
	size_t nr_remaps;
	uint32_t next_ghost_id;
} dg;

static bool is_memfd(const char *link)
{
	return !strncmp(link, "/memfd:", 7);
}

static bool reg_match(const struct fd_parms *p)
{
	return (S_ISREG(p->st.st_mode) || S_ISDIR(p->st.st_mode)) && p->link[0] == '/' && !is_memfd(p->link);
}

static int add_remap(uint32_t orig, uint32_t remap)
{
	struct remap *r = xrealloc(dg.remaps, (dg.nr_remaps + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	dg.remaps = r;
	dg.remaps[dg.nr_remaps++] = (struct remap){ orig, remap };
	return 0;
}

/* @p is a file with no link left: keep what is needed to carry it. */
static int dump_ghost(const struct fd_parms *p, const char *path, uint32_t id)
{
	struct dump_ghost *g;
	int fd = -1;

	if (S_ISREG(p->st.st_mode) && (uint64_t)p->st.st_size > opts.ghost_limit) {
		pr_err("%s: deleted file %s is %" PRIu64 " bytes, more than --ghost-limit (%" PRIu64
		       " bytes): raise --ghost-limit to carry it in the images\n",
		       p->what, path, (uint64_t)p->st.st_size, (uint64_t)opts.ghost_limit);
		return -EFBIG;
	}
	if (!S_ISREG(p->st.st_mode) && !S_ISDIR(p->st.st_mode)) {
		pr_err("%s: deleted %s is neither a regular file nor a directory: not supported yet\n", p->what, path);
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < dg.nr_ghosts; i++)
		if (dg.ghosts[i].dev == p->st.st_dev && dg.ghosts[i].ino == p->st.st_ino)
			return add_remap(id, dg.ghosts[i].id);

	if (S_ISREG(p->st.st_mode)) {
		fd = fd_parms_reopen(p, O_RDONLY);
		if (fd < 0)
			return fd;
	}
	g = xrealloc(dg.ghosts, (dg.nr_ghosts + 1) * sizeof(*g));
	if (!g) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	dg.ghosts = g;
	g = &dg.ghosts[dg.nr_ghosts];
	*g = (struct dump_ghost){ .id = ++dg.next_ghost_id,
				  .dev = p->st.st_dev,
				  .ino = p->st.st_ino,
				  .st = p->st,
				  .fd = fd,
				  .path = xstrdup(path) };
	if (!g->path) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	dg.nr_ghosts++;
	pr_info("%s: deleted file %s (%" PRIu64 " bytes) carried as ghost %u\n", p->what, path, (uint64_t)p->st.st_size,
		g->id);
	return add_remap(id, g->id);
}

/* @path names a file that still has links: it must still name this one. */
static int check_linked(const struct fd_parms *p, const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		int r = -errno;

		if (r == -ENOENT) {
			pr_err("%s: %s was renamed or unlinked but has other links: not supported yet "
			       "(CRIU's --link-remap)\n",
			       p->what, path);
			return -EOPNOTSUPP;
		}
		return pr_err_ret(r, "%s: can't stat %s", p->what, path);
	}
	if (st.st_dev != p->st.st_dev || st.st_ino != p->st.st_ino) {
		pr_err("%s: %s now names another file (inode %lu, the open one is %lu): not supported\n", p->what, path,
		       (unsigned long)st.st_ino, (unsigned long)p->st.st_ino);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A log file (write-only, appending) may grow at will: CRIU skips its size. */
static bool size_checked(uint32_t flags)
{
	return !((flags & O_ACCMODE) == O_WRONLY && (flags & O_APPEND));
}

static int store_build_id(const struct fd_parms *p, RegFileEntry *rfe, uint32_t *words)
{
	uint8_t id[BUILD_ID_MAX];
	int fd, n;

	if (p->st.st_size < 5) /* ELF magic and class */
		return 0;
	fd = fd_parms_reopen(p, O_RDONLY);
	if (fd < 0)
		return fd;
	n = elf_build_id(fd, id);
	close(fd);
	if (n < 0)
		return pr_err_ret(n, "%s: can't read the build-id of %s", p->what, rfe->name);
	if (n == 0)
		return 0;
	memset(words, 0, BUILD_ID_MAX);
	memcpy(words, id, n);
	rfe->n_build_id = (n + 3) / 4;
	rfe->build_id = words;
	return 0;
}

int reg_dump_entry(const struct fd_parms *p, uint32_t id)
{
	static const FownEntry no_fown = FOWN_ENTRY__INIT;
	RegFileEntry rfe = REG_FILE_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	uint32_t words[BUILD_ID_MAX / 4];
	_cleanup_free_ char *path = xstrdup(p->link);
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	if (path[0] != '/') {
		pr_err("%s: path %s is not reachable from criu's root: not supported\n", p->what, path);
		return -EOPNOTSUPP;
	}
	len = strlen(path);
	if (p->st.st_nlink == 0) {
		size_t sl = strlen(DELETED_SUFFIX);

		if (len > sl && !strcmp(path + len - sl, DELETED_SUFFIX))
			path[len - sl] = '\0';
		r = dump_ghost(p, path, id);
	} else {
		r = check_linked(p, path);
	}
	if (r)
		return r;

	rfe.id = id;
	rfe.flags = p->flags;
	rfe.pos = p->pos;
	rfe.fown = (FownEntry *)(p->fown ? p->fown : &no_fown);
	rfe.name = path;
	rfe.has_mode = true;
	rfe.mode = p->st.st_mode;
	if (S_ISREG(p->st.st_mode) && size_checked(p->flags)) {
		rfe.has_size = true;
		rfe.size = p->st.st_size;
		if (opts.file_validation_method == FILE_VALIDATION_BUILDID) {
			r = store_build_id(p, &rfe, words);
			if (r)
				return r;
		}
	}
	fe.type = FD_TYPES__REG;
	fe.id = id;
	fe.reg = &rfe;
	return files_add_entry(&fe);
}

/* ------------------------------------------------ ghost images */

static int copy_range(int from, struct cr_img *img, uint64_t off, uint64_t len, const char *path)
{
	static uint8_t buf[1 << 16];

	while (len) {
		ssize_t n = pread(from, buf, len < sizeof(buf) ? len : sizeof(buf), (off_t)off);
		int r;

		if (n < 0)
			return pr_err_ret(-errno, "can't read deleted file %s", path);
		if (n == 0) {
			pr_err("deleted file %s shrank while being dumped\n", path);
			return -EIO;
		}
		r = img_write_raw(img, buf, n);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

/* Data extents as ghost_chunk_entry + bytes; holes are left out. */
static int copy_chunks(const struct dump_ghost *g, struct cr_img *img)
{
	uint64_t size = g->st.st_size, hole = 0;

	while (hole < size) {
		GhostChunkEntry ce = GHOST_CHUNK_ENTRY__INIT;
		off_t data = lseek(g->fd, hole, SEEK_DATA);
		int r;

		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			if (hole)
				return pr_err_ret(-errno, "can't find data in deleted file %s", g->path);
			data = 0; /* no SEEK_DATA here: one chunk */
			hole = size;
		} else {
			off_t h = lseek(g->fd, data, SEEK_HOLE);

			if (h < 0)
				return pr_err_ret(-errno, "can't find holes in deleted file %s", g->path);
			hole = (uint64_t)h > size ? size : (uint64_t)h;
		}
		if ((uint64_t)data >= hole)
			break;
		ce.off = data;
		ce.len = hole - data;
		r = img_write_entry(img, &ce);
		if (!r)
			r = copy_range(g->fd, img, ce.off, ce.len, g->path);
		if (r)
			return r;
	}
	return 0;
}

static int write_ghost(struct img_dir *dir, const struct dump_ghost *g)
{
	GhostFileEntry gfe = GHOST_FILE_ENTRY__INIT;
	Timeval atim = TIMEVAL__INIT, mtim = TIMEVAL__INIT;
	struct cr_img *img = NULL;
	int r;

	gfe.uid = g->st.st_uid;
	gfe.gid = g->st.st_gid;
	gfe.mode = g->st.st_mode;
	gfe.has_dev = gfe.has_ino = true;
	gfe.dev = kdev(g->st.st_dev);
	gfe.ino = g->st.st_ino;
	atim.tv_sec = g->st.st_atim.tv_sec;
	atim.tv_usec = g->st.st_atim.tv_nsec / 1000;
	mtim.tv_sec = g->st.st_mtim.tv_sec;
	mtim.tv_usec = g->st.st_mtim.tv_nsec / 1000;
	gfe.atim = &atim;
	gfe.mtim = &mtim;
	if (S_ISREG(g->st.st_mode) && g->st.st_size >= GHOST_CHUNKS_FROM) {
		gfe.has_chunks = gfe.chunks = true;
		gfe.has_size = true;
		gfe.size = g->st.st_size;
	}

	r = img_open(dir, CR_IMG_GHOST_FILE, IMG_WRITE, g->id, &img);
	if (r)
		return r;
	r = img_write_entry(img, &gfe);
	if (!r && S_ISREG(g->st.st_mode))
		r = gfe.chunks ? copy_chunks(g, img) : copy_range(g->fd, img, 0, g->st.st_size, g->path);
	if (r) {
		img_closep(&img);
		return r;
	}
	return img_close(img);
}

int reg_dump_finish(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	int r = 0;

	for (size_t i = 0; i < dg.nr_ghosts; i++) {
		r = write_ghost(dir, &dg.ghosts[i]);
		if (r)
			return r;
	}
	if (!dg.nr_remaps)
		return 0;
	r = img_open(dir, CR_IMG_REMAP_FPATH, IMG_WRITE, 0, &img);
	if (r)
		return r;
	for (size_t i = 0; !r && i < dg.nr_remaps; i++) {
		RemapFilePathEntry rpe = REMAP_FILE_PATH_ENTRY__INIT;

		rpe.orig_id = dg.remaps[i].orig_id;
		rpe.remap_id = dg.remaps[i].remap_id;
		rpe.has_remap_type = true;
		rpe.remap_type = REMAP_TYPE__GHOST;
		r = img_write_entry(img, &rpe);
	}
	if (r) {
		img_closep(&img);
		return r;
	}
	return img_close(img);
}

void reg_dump_fini(void)
{
	for (size_t i = 0; i < dg.nr_ghosts; i++) {
		if (dg.ghosts[i].fd >= 0)
			close(dg.ghosts[i].fd);
		free(dg.ghosts[i].path);
	}
	free(dg.ghosts);
	free(dg.remaps);
	memset(&dg, 0, sizeof(dg));
}

/* ============================================================= restore */

struct rst_ghost {
	uint32_t id;
	char *path; /* the copy: "<path>.cr.<id>.ghost", absolute */
	bool is_dir;
	bool made;
};

struct reg_info {
	struct rst_ghost *ghost;
	bool checked;
};

static struct {
	struct rst_ghost **ghosts;
	size_t nr_ghosts;
} rg;

/* "/a/b" -> "a/b", "/" -> ".": paths relative to files_root_fd(). */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static int reg_collect(struct file_desc *d)
{
	RegFileEntry *rfe = d->fe->reg;
	struct reg_info *ri;

	if (!rfe || rfe->id != d->id) {
		pr_err("files.img: REG entry %u has no matching reg_file_entry\n", d->id);
		return -EINVAL;
	}
	if (rfe->ext) {
		pr_err("file %u (%s) is external: --external file[] is not supported yet\n", d->id, rfe->name);
		return -EOPNOTSUPP;
	}
	if (rfe->name[0] != '/') {
		pr_err("file %u: path %s is not absolute\n", d->id, rfe->name);
		return -EINVAL;
	}
	ri = xzalloc(sizeof(*ri));
	if (!ri)
		return -ENOMEM;
	d->priv = ri;
	return 0;
}

/* Is the file open at @fd the one dumped as @rfe?  Logs what differs. */
static int check_file(const RegFileEntry *rfe, int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st))
		return pr_err_ret(-errno, "can't stat %s", path);
	if (rfe->has_size && (uint64_t)st.st_size != rfe->size) {
		pr_err("File %s has size %" PRIu64 " but had %" PRIu64
		       " at dump: it changed since, refusing to restore\n",
		       path, (uint64_t)st.st_size, rfe->size);
		return -ESTALE;
	}
	if (rfe->has_mode && st.st_mode != rfe->mode) {
		pr_err("File %s has mode 0%o but had 0%o at dump: refusing to restore\n", path, st.st_mode, rfe->mode);
		return -ESTALE;
	}
	if (opts.file_validation_method == FILE_VALIDATION_BUILDID && rfe->has_size && rfe->n_build_id) {
		uint8_t id[BUILD_ID_MAX], want[BUILD_ID_MAX];
		char self[64];
		int rfd, n;

		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		rfd = open(self, O_RDONLY | O_CLOEXEC);
		if (rfd < 0)
			return pr_err_ret(-errno, "can't reopen %s to read its build-id", path);
		n = elf_build_id(rfd, id);
		close(rfd);
		if (n < 0)
			return pr_err_ret(n, "can't read the build-id of %s", path);
		memset(want, 0, sizeof(want));
		memcpy(want, rfe->build_id, rfe->n_build_id * 4 < sizeof(want) ? rfe->n_build_id * 4 : sizeof(want));
		if (n == 0 || (size_t)(n + 3) / 4 != rfe->n_build_id || memcmp(id, want, n)) {
			pr_err("File %s has another build-id than at dump: refusing to restore\n", path);
			return -ESTALE;
		}
	}
	return 0;
}

int restore_fown(int fd, const FownEntry *f, const char *path)
{
	struct f_owner_ex owner;
	uid_t ruid = getuid(), euid = geteuid();
	bool switched = false;
	int r = 0;

	if (!f || (!f->signum && !f->pid))
		return 0;
	if (f->signum && fcntl(fd, F_SETSIG, f->signum))
		return pr_err_ret(-errno, "%s: can't set the SIGIO signal %u", path, f->signum);
	if (!f->pid)
		return 0;
	/* The kernel records who set the owner: be that user for the call. */
	if (f->uid != ruid || f->euid != euid) {
		if (setresuid(f->uid, f->euid, -1))
			return pr_err_ret(-errno, "%s: can't become uid %u/%u to set the owner", path, f->uid, f->euid);
		switched = true;
	}
	owner.type = f->pid_type;
	owner.pid = f->pid;
	if (fcntl(fd, F_SETOWN_EX, &owner))
		r = pr_err_ret(-errno, "%s: can't set the owner to %u", path, f->pid);
	if (switched && setresuid(ruid, euid, -1))
		r = pr_err_ret(-errno, "can't go back to uid %u/%u", ruid, euid);
	return r;
}

/* Open the ghost copy of @g under @path (link, open, unlink). */
static int open_ghost(const struct rst_ghost *g, const char *path, int flags)
{
	int root = files_root_fd(), fd, r;
	_cleanup_free_ char *alt = NULL;
	const char *at = path;

	if (g->is_dir)
		return openat(root, rel(g->path), flags);
	if (linkat(root, rel(g->path), root, rel(path), 0)) {
		if (errno != EEXIST)
			return -1;
		/* Something took the old name: any name will do for the open. */
		alt = xsprintf("%s.cr_link", path);
		if (!alt) {
			errno = ENOMEM;
			return -1;
		}
		if (linkat(root, rel(g->path), root, rel(alt), 0))
			return -1;
		at = alt;
	}
	fd = openat(root, rel(at), flags);
	r = errno;
	if (unlinkat(root, rel(at), 0))
		pr_warn("can't remove the temporary link %s: %s\n", at, strerror(errno));
	errno = r;
	return fd;
}

int reg_open_desc(struct file_desc *d, int flags, bool as_fd)
{
	RegFileEntry *rfe = d->fe->reg;
	struct reg_info *ri = d->priv;
	int fd, r;

	flags &= ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_TMPFILE);
	flags |= O_CLOEXEC;
	if (ri->ghost)
		fd = open_ghost(ri->ghost, rfe->name, flags);
	else
		fd = openat(files_root_fd(), rel(rfe->name), flags);
	if (fd < 0)
		return pr_err_ret(-errno, "can't open %s%s", rfe->name, ri->ghost ? " (deleted, from its copy)" : "");
	if (!ri->checked) {
		r = check_file(rfe, fd, rfe->name);
		if (r)
			goto err;
		ri->checked = true;
	}
	if (!as_fd)
		return fd;
	if (!(flags & O_PATH) && rfe->pos && lseek(fd, rfe->pos, SEEK_SET) < 0) {
		r = pr_err_ret(-errno, "%s: can't seek to %" PRIu64, rfe->name, rfe->pos);
		goto err;
	}
	r = restore_fown(fd, rfe->fown, rfe->name);
	if (r)
		goto err;
	return fd;
err:
	close(fd);
	return r;
}

static int reg_open(struct file_desc *d, int *fd)
{
	int r = reg_open_desc(d, d->fe->reg->flags, true);

	if (r < 0)
		return r;
	*fd = r;
	return 0;
}

/* ------------------------------------------------ ghosts on restore */

static int fill_ghost_data(struct cr_img *img, const GhostFileEntry *gfe, int fd, const char *path)
{
	static uint8_t buf[1 << 16];
	int r;

	if (!gfe->chunks) {
		int in = img_raw_fd(img);

		if (in < 0)
			return in;
		for (;;) {
			ssize_t n = read(in, buf, sizeof(buf));

			if (n < 0)
				return pr_err_ret(-errno, "can't read %s", img_name(img));
			if (n == 0)
				return 0;
			for (ssize_t done = 0; done < n;) {
				ssize_t w = write(fd, buf + done, n - done);

				if (w < 0)
					return pr_err_ret(-errno, "can't write %s", path);
				done += w;
			}
		}
	}
	if (!gfe->has_size) {
		pr_err("%s: chunked ghost file without a size\n", img_name(img));
		return -EINVAL;
	}
	if (ftruncate(fd, gfe->size))
		return pr_err_ret(-errno, "can't size %s to %" PRIu64, path, gfe->size);
	for (;;) {
		_cleanup_msg_ GhostChunkEntry *ce = NULL;
		uint64_t off, len;

		r = img_read_entry(img, &ghost_chunk_entry__descriptor, (void **)&ce);
		if (r <= 0)
			return r;
		if (ce->off > gfe->size || ce->len > gfe->size - ce->off) {
			pr_err("%s: chunk %" PRIu64 "+%" PRIu64 " is beyond the file size %" PRIu64 "\n", img_name(img),
			       ce->off, ce->len, gfe->size);
			return -EINVAL;
		}
		for (off = ce->off, len = ce->len; len;) {
			size_t n = len < sizeof(buf) ? len : sizeof(buf);

			r = img_read_raw(img, buf, n);
			if (r)
				return r;
			if (pwrite(fd, buf, n, off) != (ssize_t)n)
				return pr_err_ret(errno ? -errno : -EIO, "can't write %s", path);
			off += n;
			len -= n;
		}
	}
}

static int make_ghost(struct img_dir *dir, struct rst_ghost *g, const char *orig)
{
	_cleanup_msg_ GhostFileEntry *gfe = NULL;
	struct cr_img *img = NULL;
	int root = files_root_fd(), r = 0;
	struct timespec ts[2];

	r = img_open(dir, CR_IMG_GHOST_FILE, IMG_READ, g->id, &img);
	if (r)
		return r;
	r = img_read_entry(img, &ghost_file_entry__descriptor, (void **)&gfe);
	if (r <= 0) {
		img_closep(&img);
		if (r == 0)
			pr_err("%s: no ghost_file_entry\n", img_name(img));
		return r ? r : -EIO;
	}
	r = 0;
	g->path = xsprintf("%s.cr.%x.ghost", orig, g->id);
	if (!g->path) {
		img_closep(&img);
		return -ENOMEM;
	}
	g->is_dir = S_ISDIR(gfe->mode);
	if (S_ISREG(gfe->mode)) {
		int fd = openat(root, rel(g->path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd < 0) {
			r = -errno;
			img_closep(&img);
			return pr_err_ret(r, "can't recreate deleted file %s as %s", orig, g->path);
		}
		g->made = true;
		r = fill_ghost_data(img, gfe, fd, g->path);
		close(fd);
	} else if (g->is_dir) {
		if (mkdirat(root, rel(g->path), 0700))
			r = pr_err_ret(-errno, "can't recreate deleted directory %s as %s", orig, g->path);
		else
			g->made = true;
	} else {
		pr_err("%s: deleted %s of mode 0%o: not supported yet\n", img_name(img), orig, gfe->mode);
		r = -EOPNOTSUPP;
	}
	img_closep(&img);
	if (r)
		return r;

	if (fchownat(root, rel(g->path), gfe->uid, gfe->gid, AT_SYMLINK_NOFOLLOW))
		return pr_err_ret(-errno, "can't give %s to %u:%u", g->path, gfe->uid, gfe->gid);
	if (fchmodat(root, rel(g->path), gfe->mode & 07777, 0))
		return pr_err_ret(-errno, "can't set the mode of %s", g->path);
	if (gfe->atim && gfe->mtim) {
		ts[0] = (struct timespec){ gfe->atim->tv_sec, gfe->atim->tv_usec * 1000 };
		ts[1] = (struct timespec){ gfe->mtim->tv_sec, gfe->mtim->tv_usec * 1000 };
		if (utimensat(root, rel(g->path), ts, AT_SYMLINK_NOFOLLOW))
			return pr_err_ret(-errno, "can't set the times of %s", g->path);
	}
	pr_info("Deleted file %s recreated as %s\n", orig, g->path);
	return 0;
}

static int collect_ghost(struct img_dir *dir, struct file_desc *d, uint32_t ghost_id)
{
	struct reg_info *ri = d->priv;
	struct rst_ghost *g = NULL, **v;
	int r;

	for (size_t i = 0; i < rg.nr_ghosts; i++)
		if (rg.ghosts[i]->id == ghost_id)
			g = rg.ghosts[i];
	if (!g) {
		v = xrealloc(rg.ghosts, (rg.nr_ghosts + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		rg.ghosts = v;
		g = xzalloc(sizeof(*g));
		if (!g)
			return -ENOMEM;
		g->id = ghost_id;
		rg.ghosts[rg.nr_ghosts++] = g;
		r = make_ghost(dir, g, d->fe->reg->name);
		if (r)
			return r;
	}
	ri->ghost = g;
	return 0;
}

/* Check the files that exist now, before any task is made. */
static int check_early(struct file_desc *d)
{
	RegFileEntry *rfe = d->fe->reg;
	struct reg_info *ri = d->priv;
	int fd, r;

	if (ri->ghost || !strncmp(rfe->name, "/proc/", 6))
		return 0;
	fd = openat(files_root_fd(), rel(rfe->name), O_PATH | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT) {
			pr_err("File %s is gone since the dump: can't restore\n", rfe->name);
			return r;
		}
		return pr_err_ret(r, "can't open %s", rfe->name);
	}
	r = check_file(rfe, fd, rfe->name);
	close(fd);
	if (!r)
		ri->checked = true;
	return r;
}

int reg_collect_remaps(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	struct file_desc *d;
	int r;

	r = img_open(dir, CR_IMG_REMAP_FPATH, IMG_READ | IMG_OPTIONAL, 0, &img);
	if (r < 0)
		return r;
	for (;;) {
		_cleanup_msg_ RemapFilePathEntry *rpe = NULL;
		uint32_t remap_id;
		int type;

		r = img_read_entry(img, NULL, (void **)&rpe);
		if (r <= 0)
			break;
		remap_id = rpe->remap_id;
		if (rpe->has_remap_type) {
			type = rpe->remap_type;
		} else if (remap_id & REMAP_GHOST_BIT) {
			type = REMAP_TYPE__GHOST;
			remap_id &= ~REMAP_GHOST_BIT;
		} else {
			type = REMAP_TYPE__LINKED;
		}
		d = find_file_desc(rpe->orig_id);
		if (!d || d->fe->type != FD_TYPES__REG || !d->priv) {
			pr_err("remap-fpath.img: remap of file %u, which is not a regular file of files.img\n",
			       rpe->orig_id);
			r = -EINVAL;
			break;
		}
		if (type != REMAP_TYPE__GHOST) {
			pr_err("file %u (%s): %s remaps are not supported yet\n", rpe->orig_id, d->fe->reg->name,
			       type == REMAP_TYPE__LINKED ? "linked" : "procfs");
			r = -EOPNOTSUPP;
			break;
		}
		r = collect_ghost(dir, d, remap_id);
		if (r)
			break;
	}
	img_closep(&img);
	if (r < 0)
		return r;

	for (size_t i = 0; (d = file_desc_at(i)); i++) {
		if (d->fe->type != FD_TYPES__REG || !d->priv)
			continue;
		r = check_early(d);
		if (r)
			return r;
	}
	return 0;
}

const struct fd_kind reg_file_kind = {
	.name = "regular file",
	.type = FD_TYPES__REG,
	.match = reg_match,
	.dump = reg_dump_entry,
	.collect = reg_collect,
	.open = reg_open,
};

void reg_restore_fini(void)
{
	int root = files_root_fd();

	for (size_t i = 0; i < rg.nr_ghosts; i++) {
		struct rst_ghost *g = rg.ghosts[i];

		if (g->made && root >= 0 && unlinkat(root, rel(g->path), g->is_dir ? AT_REMOVEDIR : 0))
			pr_warn("can't remove the ghost copy %s: %s\n", g->path, strerror(errno));
		free(g->path);
		free(g);
	}
	free(rg.ghosts);
	memset(&rg, 0, sizeof(rg));
}
