/*
 * Restore of the fd tables of a tree (see files.h for the order of calls).
 *
 * files_collect() reads files.img into one struct file_desc per entry,
 * sorted by id, and lets each kind collect its entries;
 * prepare_task_files() reads each task's fdinfo and fs images and fixes
 * the service-fd base (one above the highest fd of any task).
 * files_open_shared(), still in criu's main process and before any task
 * exists, opens every description some task holds exactly once (the
 * kinds' open()) and puts it, with everything else criu hands down (log,
 * root dir, memfds), at or above the base.  The tasks inherit those fds;
 * in each, restore_task_files() closes everything below the base, dups
 * each description to every fd number that holds it (flags,
 * close-on-exec), runs the kinds' post_open(), then restores cwd, root
 * and umask (fs.c).  A description held by several tasks is then one
 * description: same offset, same flags.  files_close_shared() drops
 * criu's own copies once every task has its fds, so that e.g. a pipe's
 * reader sees EOF when the tree's writers close theirs.
 */
#define LOG_PREFIX "files: "

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "events.h"
#include "file-kinds.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "memfd.h"

struct task_fds {
	pid_t pid;
	FdinfoEntry **fdi; /* sorted by fd */
	size_t nr;
};

static struct {
	FileEntry **fes;
	struct file_desc *descs; /* sorted by id */
	size_t nr_descs;
	size_t nr_fes; /* entries read (nr_descs without the dropped ones) */
	struct task_fds *tasks;
	size_t nr_tasks;
	int *service;
	size_t nr_service, max_service;
	int base;
	int root_fd;
	bool collected;
	int *copies;		  /* criu's fd on descs[i] (files_open_shared()), or -1 */
	const FownEntry **owners; /* descs[i]'s SIGIO owner, set in the task (not by criu) */
} rst = { .root_fd = -1, .base = 3 };

int files_root_fd(void)
{
	return rst.root_fd;
}

static const char *type_name(FdTypes type)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&fd_types__descriptor, type);

	return v ? v->name : "unknown";
}

struct file_desc *find_file_desc(uint32_t id)
{
	size_t lo = 0, hi = rst.nr_descs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rst.descs[mid].id == id)
			return &rst.descs[mid];
		if (rst.descs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct file_desc *file_desc_at(size_t i)
{
	return i < rst.nr_descs ? &rst.descs[i] : NULL;
}

const char *file_desc_name(const struct file_desc *d)
{
	if (d->fe->type == FD_TYPES__REG && d->fe->reg)
		return d->fe->reg->name;
	return type_name(d->fe->type);
}

/* By id; a REG entry after the other entry of the same id. */
static int cmp_desc(const void *a, const void *b)
{
	const struct file_desc *x = a, *y = b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->fe->type == FD_TYPES__REG) - (y->fe->type == FD_TYPES__REG);
}

/*
 * CRIU writes a REG entry with the id of each TTY entry (the terminal's
 * path, which tty-info.img says again): drop it, the TTY entry is the file.
 * Any other two entries of one id are an error.
 */
static int drop_tty_paths(void)
{
	size_t n = rst.nr_descs ? 1 : 0;

	for (size_t i = 1; i < rst.nr_descs; i++) {
		struct file_desc *prev = &rst.descs[n - 1], *d = &rst.descs[i];

		if (d->id != prev->id) {
			rst.descs[n++] = *d;
			continue;
		}
		if (prev->fe->type != FD_TYPES__TTY || d->fe->type != FD_TYPES__REG) {
			pr_err("files.img: two entries have id %u\n", d->id);
			return -EINVAL;
		}
		pr_debug("file %u: the REG entry beside a TTY one is its path, dropped\n", d->id);
	}
	rst.nr_descs = n;
	return 0;
}

int files_collect(struct img_dir *dir)
{
	struct cr_img *img = NULL;
	size_t max = 0;
	int r;

	if (rst.collected)
		return 0;
	r = img_open(dir, CR_IMG_FILES, IMG_READ, 0, &img);
	if (r)
		return r;
	for (;;) {
		FileEntry *fe;

		r = img_read_entry(img, NULL, (void **)&fe);
		if (r <= 0)
			break;
		r = files_grow((void **)&rst.fes, &max, rst.nr_descs + 1, sizeof(*rst.fes));
		if (r) {
			img_msg_free(fe);
			break;
		}
		rst.fes[rst.nr_descs++] = fe;
		rst.nr_fes = rst.nr_descs;
	}
	img_closep(&img);
	if (r < 0)
		return r;

	rst.descs = xzalloc((rst.nr_descs ? rst.nr_descs : 1) * sizeof(*rst.descs));
	if (!rst.descs)
		return -ENOMEM;
	for (size_t i = 0; i < rst.nr_descs; i++) {
		rst.descs[i].id = rst.fes[i]->id;
		rst.descs[i].fe = rst.fes[i];
		rst.descs[i].kind = fd_kind_by_type(rst.fes[i]->type);
	}
	qsort(rst.descs, rst.nr_descs, sizeof(*rst.descs), cmp_desc);
	r = drop_tty_paths();
	if (r)
		return r;

	rst.root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rst.root_fd < 0)
		return pr_err_ret(-errno, "can't open /");
	rst.collected = true;
	r = memfd_collect(dir);
	for (size_t i = 0; !r && i < fd_kinds_nr(); i++) {
		const struct fd_kind *k = fd_kind_at(i);

		if (k && k->collect_images)
			r = k->collect_images(dir);
	}
	if (r)
		return r;

	for (size_t i = 0; i < rst.nr_descs; i++) {
		struct file_desc *d = &rst.descs[i];

		if (d->kind && d->kind->collect) {
			r = d->kind->collect(d);
			if (r)
				return r;
		}
	}
	pr_info("Collected %zu files\n", rst.nr_descs);
	return reg_collect_remaps(dir);
}

static int cmp_fdinfo(const void *a, const void *b)
{
	const FdinfoEntry *x = *(FdinfoEntry *const *)a, *y = *(FdinfoEntry *const *)b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

static struct task_fds *find_task(pid_t pid)
{
	for (size_t i = 0; i < rst.nr_tasks; i++)
		if (rst.tasks[i].pid == pid)
			return &rst.tasks[i];
	return NULL;
}

/* The most fds a task may have in the images: beyond, a corrupt image. */
#define MAX_TASK_FD (1 << 20)

static int check_fdinfo(const char *name, struct task_fds *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		const FdinfoEntry *e = t->fdi[i];
		const struct file_desc *d = find_file_desc(e->id);

		if (e->fd >= MAX_TASK_FD) {
			pr_err("%s: fd %u is out of range\n", name, e->fd);
			return -EINVAL;
		}
		if (i && t->fdi[i - 1]->fd == e->fd) {
			pr_err("%s: fd %u is listed twice\n", name, e->fd);
			return -EINVAL;
		}
		if (!d) {
			pr_err("%s: fd %u refers to file %u, which files.img lacks\n", name, e->fd, e->id);
			return -EINVAL;
		}
		if (d->fe->type != e->type) {
			pr_err("%s: fd %u is a %s but file %u is a %s\n", name, e->fd, type_name(e->type), e->id,
			       type_name(d->fe->type));
			return -EINVAL;
		}
		if (!d->kind) {
			pr_err("fd %u of task %d: %s (file %u): not supported yet\n", e->fd, t->pid, type_name(e->type),
			       e->id);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

int prepare_task_files(pid_t pid, uint32_t files_id, struct img_dir *dir)
{
	struct task_fds *t;
	struct cr_img *img = NULL;
	size_t max = 0;
	char name[64];
	int r;

	if (!rst.collected) {
		pr_err("prepare_task_files() before files_collect()\n");
		return -EINVAL;
	}
	if (find_task(pid))
		return 0;
	t = xrealloc(rst.tasks, (rst.nr_tasks + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	rst.tasks = t;
	t = &rst.tasks[rst.nr_tasks++];
	*t = (struct task_fds){ .pid = pid };

	r = img_open(dir, CR_IMG_FDINFO, IMG_READ, files_id, &img);
	if (r)
		return r;
	for (;;) {
		FdinfoEntry *e;

		r = img_read_entry(img, NULL, (void **)&e);
		if (r <= 0)
			break;
		r = files_grow((void **)&t->fdi, &max, t->nr + 1, sizeof(*t->fdi));
		if (r) {
			img_msg_free(e);
			break;
		}
		t->fdi[t->nr++] = e;
	}
	snprintf(name, sizeof(name), "%s", img_name(img));
	img_closep(&img);
	if (r < 0)
		return r;
	if (t->nr)
		qsort(t->fdi, t->nr, sizeof(*t->fdi), cmp_fdinfo);
	r = check_fdinfo(name, t);
	if (r)
		return r;
	if (t->nr && (int)t->fdi[t->nr - 1]->fd + 1 > rst.base)
		rst.base = t->fdi[t->nr - 1]->fd + 1;
	pr_info("Task %d: %zu fds, service fds from %d\n", pid, t->nr, rst.base);
	return prepare_task_fs(pid, dir);
}

int files_service_fd_base(void)
{
	return rst.base;
}

/*
 * Room for fds above the base: a task with high fd numbers, or many mapped
 * files held open for the restorer, can pass the soft RLIMIT_NOFILE.  The
 * soft limit may go up to the hard one without privilege; the task's own
 * limits are put back later by the restorer.
 */
static int raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == rl.rlim_max)
		return -EMFILE;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	pr_info("Soft RLIMIT_NOFILE raised to %llu for service fds\n", (unsigned long long)rl.rlim_cur);
	return 0;
}

int reserve_service_fd(int fd)
{
	int nfd = fd;

	if (fd < 0)
		return -EBADF;
	if (fd < rst.base) {
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, rst.base);
		if (nfd < 0 && (errno == EINVAL || errno == EMFILE) && !raise_nofile())
			nfd = fcntl(fd, F_DUPFD_CLOEXEC, rst.base);
		if (nfd < 0)
			return pr_err_ret(-errno, "can't move service fd %d above %d", fd, rst.base);
		close(fd);
	}
	for (size_t i = 0; i < rst.nr_service; i++)
		if (rst.service[i] == nfd)
			return nfd;
	if (files_grow((void **)&rst.service, &rst.max_service, rst.nr_service + 1, sizeof(int)))
		return -ENOMEM;
	rst.service[rst.nr_service++] = nfd;
	return nfd;
}

/* The log is criu's too and must not stay at a number the task's fds take. */
static int move_log_fd(void)
{
	int r = log_move_above(rst.base);

	if (r)
		return pr_err_ret(r, "can't move the log above fd %d", rst.base);
	return 0;
}

static size_t desc_index(const struct file_desc *d)
{
	return (size_t)(d - rst.descs);
}

/*
 * The SIGIO owner of an entry, whatever its kind: the "fown" field of its
 * kind's sub-message.  NULL when it has none.
 */
static FownEntry **fown_field(FileEntry *fe)
{
	const ProtobufCMessageDescriptor *fd = fe->base.descriptor;

	for (unsigned int i = 0; i < fd->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &fd->fields[i];
		const ProtobufCMessage *sub;
		const ProtobufCFieldDescriptor *o;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED)
			continue;
		sub = *(ProtobufCMessage **)((char *)fe + f->offset);
		if (!sub)
			continue;
		o = protobuf_c_message_descriptor_get_field_by_name(sub->descriptor, "fown");
		if (o && o->type == PROTOBUF_C_TYPE_MESSAGE && o->descriptor == &fown_entry__descriptor)
			return (FownEntry **)((char *)sub + o->offset);
	}
	return NULL;
}

/*
 * Open description @d in criu's main process.  Its SIGIO owner is a task
 * that does not exist yet: it is set later, in the task, once every task
 * of the tree exists (restore_task_files()).
 */
static int open_desc(struct file_desc *d, int *fd)
{
	FownEntry **pf = fown_field(d->fe), *orig = pf ? *pf : NULL, none;
	int r;

	if (orig && orig->pid) {
		none = *orig;
		none.pid = 0;
		*pf = &none;
		rst.owners[desc_index(d)] = orig;
	}
	r = d->kind->open(d, fd);
	if (pf)
		*pf = orig;
	return r;
}

int files_open_shared(void)
{
	struct rlimit rl;
	size_t nr = 0;
	int r;

	rst.copies = xmalloc((rst.nr_descs ?: 1) * sizeof(int));
	rst.owners = xzalloc((rst.nr_descs ?: 1) * sizeof(*rst.owners));
	if (!rst.copies || !rst.owners)
		return -ENOMEM;
	for (size_t i = 0; i < rst.nr_descs; i++)
		rst.copies[i] = -1;
	/* Room for a copy of every description above the base. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)rst.base + rst.nr_descs + 256 && raise_nofile())
		pr_warn("the fd limit %llu may be too low for %zu files above fd %d\n", (unsigned long long)rl.rlim_cur,
			rst.nr_descs, rst.base);
	r = move_log_fd();
	if (r)
		return r;
	r = reserve_service_fd(rst.root_fd);
	if (r < 0)
		return r;
	rst.root_fd = r;
	r = memfd_reserve_fds();
	if (r)
		return r;
	for (size_t t = 0; t < rst.nr_tasks; t++) {
		for (size_t i = 0; i < rst.tasks[t].nr; i++) {
			const FdinfoEntry *e = rst.tasks[t].fdi[i];
			struct file_desc *d = find_file_desc(e->id);
			size_t k = desc_index(d);
			int fd = -1;

			if (rst.copies[k] >= 0)
				continue;
			r = open_desc(d, &fd);
			if (r) {
				pr_err("fd %u of task %d: can't open %s %s\n", e->fd, rst.tasks[t].pid, d->kind->name,
				       file_desc_name(d));
				return r;
			}
			r = reserve_service_fd(fd);
			if (r < 0) {
				close(fd);
				return r;
			}
			rst.copies[k] = r;
			nr++;
		}
	}
	pr_info("%zu open file descriptions made, above fd %d\n", nr, rst.base);
	return 0;
}

void files_close_shared(void)
{
	for (size_t i = 0; rst.copies && i < rst.nr_descs; i++) {
		if (rst.copies[i] >= 0)
			close(rst.copies[i]);
		rst.copies[i] = -1;
	}
}

/* Put criu's copy of description @d at fd @e->fd. */
static int place_fd(pid_t pid, const FdinfoEntry *e, struct file_desc *d)
{
	int copy = rst.copies ? rst.copies[desc_index(d)] : -1;
	int flags = (e->flags & FD_CLOEXEC) ? O_CLOEXEC : 0;

	if (copy < 0) {
		pr_err("fd %u of task %d: %s %s was not opened\n", e->fd, pid, d->kind->name, file_desc_name(d));
		return -EINVAL;
	}
	if (dup3(copy, e->fd, flags) < 0)
		return pr_err_ret(-errno, "fd %u of task %d: can't put %s %s there", e->fd, pid, d->kind->name,
				  file_desc_name(d));
	return 0;
}

int restore_task_files(pid_t pid)
{
	struct task_fds *t = find_task(pid);
	int r;

	if (!t) {
		pr_err("restore_task_files(%d): the task was not prepared\n", pid);
		return -EINVAL;
	}
	for (size_t i = 0; i < rst.nr_service; i++)
		if (rst.service[i] < rst.base) {
			pr_err("service fd %d is below the base %d\n", rst.service[i], rst.base);
			return -EINVAL;
		}
	/* Every fd below the base is either the task's or stale: free them all. */
	if (syscall(SYS_close_range, 0, rst.base - 1, 0))
		return pr_err_ret(-errno, "can't close fds 0-%d", rst.base - 1);

	for (size_t i = 0; i < t->nr; i++) {
		const FdinfoEntry *e = t->fdi[i];

		r = place_fd(pid, e, find_file_desc(e->id));
		if (r)
			return r;
	}
	for (size_t i = 0; i < t->nr; i++) {
		const FdinfoEntry *e = t->fdi[i];
		struct file_desc *d = find_file_desc(e->id);
		bool again = false;

		for (size_t j = 0; j < i; j++)
			again |= t->fdi[j]->id == e->id;
		if (again)
			continue;
		if (rst.owners && rst.owners[desc_index(d)]) {
			r = restore_fown(e->fd, rst.owners[desc_index(d)], file_desc_name(d));
			if (r)
				return r;
		}
		if (!d->kind->post_open)
			continue;
		r = d->kind->post_open(d, e->fd);
		if (r)
			return r;
	}
	pr_info("Task %d: %zu fds restored\n", pid, t->nr);
	return events_restore_task(pid) ?: restore_task_fs(pid);
}

int restore_task_fs_only(pid_t pid)
{
	return restore_task_fs(pid);
}

int open_file_by_id(uint32_t id, int flags)
{
	struct file_desc *d = find_file_desc(id);

	if (!d) {
		pr_err("no file %u in files.img\n", id);
		return -ENOENT;
	}
	if (d->fe->type == FD_TYPES__MEMFD)
		return memfd_open_desc(d, flags, false);
	if (d->fe->type != FD_TYPES__REG) {
		pr_err("file %u is a %s: only regular files and memfds can be opened by id\n", id,
		       type_name(d->fe->type));
		return -EOPNOTSUPP;
	}
	return reg_open_desc(d, flags, false);
}

void files_restore_fini(void)
{
	reg_restore_fini();
	fs_restore_fini();
	memfd_restore_fini();
	for (size_t i = 0; i < fd_kinds_nr(); i++) {
		const struct fd_kind *k = fd_kind_at(i);

		if (k && k->restore_fini)
			k->restore_fini();
	}
	for (size_t i = 0; i < rst.nr_tasks; i++) {
		for (size_t j = 0; j < rst.tasks[i].nr; j++)
			img_msg_free(rst.tasks[i].fdi[j]);
		free(rst.tasks[i].fdi);
	}
	free(rst.tasks);
	for (size_t i = 0; rst.descs && i < rst.nr_descs; i++)
		free(rst.descs[i].priv);
	for (size_t i = 0; i < rst.nr_fes; i++)
		img_msg_free(rst.fes[i]);
	free(rst.descs);
	free(rst.fes);
	free(rst.service);
	files_close_shared();
	free(rst.copies);
	free(rst.owners);
	if (rst.root_fd >= 0)
		close(rst.root_fd);
	memset(&rst, 0, sizeof(rst));
	rst.root_fd = -1;
	rst.base = 3;
}
