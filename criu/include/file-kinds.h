/*
 * The fd-kind registry, inside criu/files*.c and fs.c only (the public API
 * is files.h).
 *
 * A kind of file (regular file, character device, later pipe, socket...)
 * is one const struct fd_kind in a file of its own, listed once in the
 * table of criu/files.c.  Dump asks each kind in table order whether it
 * matches a descriptor and lets the first that does write its file_entry;
 * restore finds the kind of each files.img entry by its type (the first
 * kind of that type with an open()).
 *
 * Dump side: a kind's dump() fills a FileEntry (on its stack) and hands it
 * to files_add_entry(), which keeps it packed until files_dump_finish().
 *
 * Restore side: files_collect() makes a struct file_desc per files.img
 * entry and calls the kind's collect() (prepare what does not depend on
 * the task: remaps, ghost files, validation).  open() makes a new open
 * file description positioned and flagged as dumped; post_open() runs
 * once every fd of the task is in place.
 */
#ifndef CRIU_FILE_KINDS_H
#define CRIU_FILE_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fdinfo.pb-c.h"
#include "fown.pb-c.h"

struct img_dir;

/* What dump knows about one descriptor (or one file of dump_file_fd()). */
struct fd_parms {
	pid_t pid;	       /* the task; 0 for a file from dump_file_fd() */
	int fd;		       /* fd number in the task; -1 from dump_file_fd() */
	int lfd;	       /* criu's fd on the very description (compel, or dump_file_fd's), or -1 */
	struct stat st;	       /* of the file (stat through the magic link) */
	const char *link;      /* target of /proc/PID/fd/N: "/path", "pipe:[123]"... */
	uint32_t flags;	       /* status flags: O_ACCMODE, O_APPEND...; never O_CLOEXEC */
	uint64_t pos;	       /* file position */
	int mnt_id;	       /* from fdinfo, -1 if unknown */
	const FownEntry *fown; /* SIGIO owner (zeros unless known) */
	bool special;	       /* cwd/root/mapping: no offset, no fown */
	char proc_path[64];    /* with fd and lfd < 0: the magic link to reopen (/proc/PID/cwd) */
	char what[64];	       /* "fd 5 of task 1234": for messages */
};

/*
 * A new fd of criu's on the file of @p, opened anew with @flags (through
 * /proc/self/fd/LFD or /proc/PID/fd/N): reading it never moves the task's
 * offset.  -errno, logged.
 */
int fd_parms_reopen(const struct fd_parms *p, int flags);
/* "fd 5 of 1234" or "a mapped file": for messages. */
const char *fd_parms_what(const struct fd_parms *p);

/* One entry of files.img on restore. */
struct file_desc {
	uint32_t id;
	const struct fd_kind *kind;
	FileEntry *fe; /* as read; owned by files.c */
	void *priv;    /* the kind's own state */
};

struct fd_kind {
	const char *name; /* "regular file": for messages */
	FdTypes type;
	/* Dump: does this kind handle @p? */
	bool (*match)(const struct fd_parms *p);
	/* Dump: describe @p as files.img entry @id (files_add_entry()). */
	int (*dump)(const struct fd_parms *p, uint32_t id);
	/* Restore: once per files.img entry of this type, in criu's main process. */
	int (*collect)(struct file_desc *d);
	/* Restore: a new open file description as dumped; *@fd gets it. */
	int (*open)(struct file_desc *d, int *fd);
	/* Restore: after every fd of the task is at its number (may be NULL). */
	int (*post_open)(struct file_desc *d, int fd);

	/*
	 * Hooks for kinds with images of their own (pipes-data.img,
	 * tty-info.img, sk-queues.img...); each may be NULL.  Called once per
	 * operation for every kind of the registry, in table order.
	 */
	/* Dump: from files_dump_finish(), after every task, before files.img. */
	int (*dump_finish)(struct img_dir *dir);
	/* Dump: from files_dump_fini(); always, also after an error. */
	void (*dump_fini)(void);
	/* Restore: from files_collect(), before any entry's collect(). */
	int (*collect_images)(struct img_dir *dir);
	/* Restore: from files_restore_fini(); always. */
	void (*restore_fini)(void);
};

extern const struct fd_kind reg_file_kind; /* files-reg.c */
extern const struct fd_kind char_dev_kind; /* files-dev.c */
extern const struct fd_kind memfd_kind;	   /* files-memfd.c */
extern const struct fd_kind pipe_kind;	   /* pipes.c */
/*
 * Kinds being written (weak: the registry skips a kind whose file is not
 * in the build yet, and its descriptors are refused by name as before).
 */
extern const struct fd_kind tty_kind __attribute__((weak));	 /* files-tty.c */
extern const struct fd_kind fifo_kind __attribute__((weak));	 /* fifo.c */
extern const struct fd_kind unix_sk_kind __attribute__((weak));	 /* sk-unix.c */
extern const struct fd_kind inet_sk_kind __attribute__((weak));	 /* sk-inet.c */
extern const struct fd_kind eventfd_kind __attribute__((weak));	 /* files-eventfd.c */
extern const struct fd_kind signalfd_kind __attribute__((weak)); /* files-signalfd.c */
extern const struct fd_kind timerfd_kind __attribute__((weak));	 /* files-timerfd.c */
extern const struct fd_kind epoll_kind __attribute__((weak));	 /* files-epoll.c */
extern const struct fd_kind inotify_kind __attribute__((weak));	 /* files-fsnotify.c */
extern const struct fd_kind fanotify_kind __attribute__((weak)); /* files-fsnotify.c */
extern const struct fd_kind pidfd_kind __attribute__((weak));	 /* files-pidfd.c */

/* The registry, in dump order; fd_kind_at() is NULL for a kind not built in. */
const struct fd_kind *fd_kind_at(size_t i);
size_t fd_kinds_nr(void);
/* The kind that restores entries of @type (NULL: none yet). */
const struct fd_kind *fd_kind_by_type(FdTypes type);
/* Make *@v (of *@max elements of @size) hold @need elements. */
int files_grow(void **v, size_t *max, size_t need, size_t size);

/* ------------------------------------------------------------ dump */

/* Queue @fe (copied) for files.img. */
int files_add_entry(const FileEntry *fe);
/* A new id for a file entry that is never shared (cwd, root, remaps). */
uint32_t files_new_id(void);
/*
 * Describe the file behind @p as a REG entry @id (regular file, directory,
 * device node): path, flags, pos, fown, size, mode, build-id; ghost files
 * are carried.  For files-dev.c and fs.c.
 */
int reg_dump_entry(const struct fd_parms *p, uint32_t id);
/* Write the ghost file images and remap-fpath.img (files_dump_finish). */
int reg_dump_finish(struct img_dir *dir);
void reg_dump_fini(void);

/* fs.c: fs-<pid>.img (cwd, root, umask) of a task. */
int dump_task_fs(pid_t pid, struct img_dir *dir);

/* ------------------------------------------------------------ restore */

struct file_desc *find_file_desc(uint32_t id);
/* The @i-th entry of files.img by id order, NULL past the end. */
struct file_desc *file_desc_at(size_t i);
/*
 * Open REG entry @d anew with @flags (O_CREAT and the like are dropped):
 * through its ghost copy if it was deleted, checked against the dump on
 * first use (size, mode, build-id).  With @as_fd also seek to the dumped
 * position and set the SIGIO owner.  Returns the fd or -errno.
 */
int reg_open_desc(struct file_desc *d, int flags, bool as_fd);
/* Read remap-fpath.img and make the ghost files (after files.img). */
int reg_collect_remaps(struct img_dir *dir);
/* Set the SIGIO owner @f on @fd (@path for messages). */
int restore_fown(int fd, const FownEntry *f, const char *path);
/* Remove the temporary names of ghost files. */
void reg_restore_fini(void);
/* The directory fd paths are opened from ("/"), a service fd. */
int files_root_fd(void);
/* The path of entry @d if it is REG (for messages), else the kind's name. */
const char *file_desc_name(const struct file_desc *d);
/* fs.c: read fs-<pid>.img; in the child, restore cwd, root and umask. */
int prepare_task_fs(pid_t pid, struct img_dir *dir);
int restore_task_fs(pid_t pid);
void fs_restore_fini(void);

#endif /* CRIU_FILE_KINDS_H */
