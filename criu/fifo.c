/*
 * FIFOs (named pipes): the FIFO kind of files.img.
 *
 * As CRIU does, a FIFO description is two files.img entries: a REG entry
 * (files-reg.c writes it: the path, the open flags) under an id of its own,
 * and the FIFO entry (the pipe's inode as pipe_id, regf_id pointing at the
 * REG entry).  The bytes in the FIFO's buffer go to fifo-data.img
 * (pipes.c copies them without consuming them).
 *
 * Restore reopens the path.  Opening one end of a FIFO blocks until the
 * other end is open, so criu first opens it read-write (which never
 * blocks), puts the buffered bytes back through that fd (once per FIFO),
 * then opens the end the task had, and drops its read-write fd.  A deleted
 * FIFO is refused at dump (files-reg.c says so).
 */
#define LOG_PREFIX "fifo: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "pipes.h"

static bool fifo_match(const struct fd_parms *p)
{
	return S_ISFIFO(p->st.st_mode) && p->link[0] == '/';
}

static int fifo_dump(const struct fd_parms *p, uint32_t id)
{
	FifoEntry fie = FIFO_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	uint32_t rf_id = files_new_id();
	int r;

	r = reg_dump_entry(p, rf_id);
	if (r)
		return r;
	r = pipe_data_note(true, p);
	if (r)
		return r;
	fie.id = id;
	fie.pipe_id = (uint32_t)p->st.st_ino;
	fie.has_regf_id = true;
	fie.regf_id = rf_id;
	fe.type = FD_TYPES__FIFO;
	fe.id = id;
	fe.fifo = &fie;
	pr_info("%s: FIFO %s (inode %u, path entry %u)\n", p->what, p->link, fie.pipe_id, rf_id);
	return files_add_entry(&fe);
}

static int fifo_dump_finish(struct img_dir *dir)
{
	return pipe_data_dump_finish(true, dir);
}

static void fifo_dump_fini(void)
{
	pipe_data_dump_fini(true);
}

static int fifo_collect_images(struct img_dir *dir)
{
	return pipe_data_collect(true, dir);
}

/* The REG entry holding the path of FIFO entry @d. */
static const RegFileEntry *fifo_reg(const struct file_desc *d)
{
	const FifoEntry *fie = d->fe->fifo;
	const struct file_desc *rd;

	if (!fie || !fie->has_regf_id)
		return NULL;
	rd = find_file_desc(fie->regf_id);
	if (!rd || rd->fe->type != FD_TYPES__REG || !rd->fe->reg)
		return NULL;
	return rd->fe->reg;
}

static int fifo_collect(struct file_desc *d)
{
	const RegFileEntry *rfe = fifo_reg(d);

	if (!rfe) {
		pr_err("files.img entry %u: a FIFO without its path entry\n", d->id);
		return -EINVAL;
	}
	if (rfe->name[0] != '/') {
		pr_err("files.img entry %u: FIFO path %s is not absolute\n", d->id, rfe->name);
		return -EINVAL;
	}
	return 0;
}

static int fifo_open(struct file_desc *d, int *fd)
{
	const RegFileEntry *rfe = fifo_reg(d);
	const FifoEntry *fie = d->fe->fifo;
	const char *rel = rfe->name + 1;
	_cleanup_close_ int any = -1;
	int nfd, r;

	any = openat(files_root_fd(), rel, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (any < 0)
		return pr_err_ret(-errno, "can't open FIFO %s", rfe->name);
	r = pipe_data_fill(true, fie->pipe_id, any, !!(rfe->flags & O_DIRECT));
	if (r)
		return r;
	nfd = openat(files_root_fd(), rel, (int)(rfe->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)) | O_CLOEXEC);
	if (nfd < 0)
		return pr_err_ret(-errno, "can't open FIFO %s with flags %#x", rfe->name, rfe->flags);
	r = restore_fown(nfd, rfe->fown, rfe->name);
	if (r) {
		close(nfd);
		return r;
	}
	*fd = nfd;
	return 0;
}

static void fifo_restore_fini(void)
{
	pipe_data_restore_fini(true);
}

const struct fd_kind fifo_kind = {
	.name = "FIFO",
	.type = FD_TYPES__FIFO,
	.match = fifo_match,
	.dump = fifo_dump,
	.collect = fifo_collect,
	.open = fifo_open,
	.dump_finish = fifo_dump_finish,
	.dump_fini = fifo_dump_fini,
	.collect_images = fifo_collect_images,
	.restore_fini = fifo_restore_fini,
};
