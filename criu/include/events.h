/*
 * Event and notification descriptors (eventfd, signalfd, timerfd, epoll,
 * inotify, fanotify, pidfd) and file locks: what their files share, and
 * the one hook restore_task_files() calls once a task's fds are in place.
 *
 * Each kind is one file (criu/files-<kind>.c) with one const struct
 * fd_kind (file-kinds.h).  Dump reads /proc/PID/fdinfo/FD, where the kernel
 * shows each kind's state; restore makes the object again in open(),
 * which works in whichever process runs it, and does what needs the task
 * itself (arming a timerfd, reopening a pidfd, epoll registrations, POSIX
 * locks) in the task.
 */
#ifndef CRIU_EVENTS_H
#define CRIU_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "file-kinds.h"

struct img_dir;

/* ------------------------------------------------------------ helpers */

/* Is @p's target the anonymous inode "anon_inode:@name"? */
bool ev_anon_is(const struct fd_parms *p, const char *name);
/* The text of /proc/PID/fdinfo/FD of @p (*@text allocated), or -errno, logged. */
int ev_read_fdinfo(const struct fd_parms *p, char **text);
/*
 * The value after "@key" at the start of a line of @text (the rest of the
 * line), or NULL.  "@key" includes its colon: "eventfd-count:".
 */
const char *ev_field(const char *text, const char *key);
/* The SIGIO owner to write for @p (never NULL). */
FownEntry *ev_fown(const struct fd_parms *p);
/*
 * Give the new description @fd the status flags @flags (O_NONBLOCK,
 * O_APPEND, O_ASYNC...; the access mode is ignored) and SIGIO owner @fown.
 * @what names it in messages.  0 or -errno, logged.
 */
int ev_set_file_params(int fd, uint32_t flags, const FownEntry *fown, const char *what);
/*
 * Parse a kernel file handle as fdinfo prints it ("f_handle:" hex bytes)
 * into the 16 64-bit words of an fh_entry.  0 or -EINVAL.
 */
int ev_parse_handle(const char *hex, unsigned int bytes, uint64_t words[16]);

/*
 * An O_PATH fd on the inode of a watch or mark: by its file handle (the
 * very inode, also if renamed) through a mount of device @kdev (the
 * kernel's encoding, as fdinfo prints "sdev:"), else by @path.  -errno,
 * logged with @what.
 */
struct fh_entry_like {
	uint32_t bytes, type;
	const uint64_t *handle;
	size_t n_handle;
	const char *path; /* may be NULL */
};
int ev_open_watched(const struct fh_entry_like *fh, uint32_t kdev, const char *what);
/*
 * At dump: the path of the inode behind handle @fh on device @kdev, into
 * @buf (criu's view).  -errno if it can't be found (not logged);
 * -ENOENT also when the inode has no name left (deleted).
 */
int ev_handle_path(const struct fh_entry_like *fh, uint32_t kdev, char *buf, size_t size);

/* ------------------------------------------------------------ restore hook */

/*
 * In the restored task, after every fd is at its number and every kind's
 * post_open() ran: register the epoll targets (their files are final only
 * now: a pidfd is reopened in its post_open()), then take the task's file
 * locks (--file-locks).  Called once per task by restore_task_files().
 */
int events_restore_task(pid_t pid) __must_check;

/* files-epoll.c: register the targets of every epoll post_open() noted. */
int epoll_register_noted(void);

/* ------------------------------------------------------------ file locks */

/*
 * Dump: note the flock, POSIX and OFD locks held through the fds of task
 * @pid (their "lock:" lines in /proc/PID/fdinfo).  Without --file-locks
 * a lock fails the dump (-EOPNOTSUPP) with a message naming the option.
 */
int dump_task_file_locks(pid_t pid) __must_check;
/* filelocks.img; hooks of eventfd_kind call these (no kind owns locks). */
int file_locks_dump_finish(struct img_dir *dir);
void file_locks_dump_fini(void);
int file_locks_collect(struct img_dir *dir);
void file_locks_restore_fini(void);
/* Restore: take the locks of task @pid, in the task. */
int file_locks_restore_task(pid_t pid);

#endif /* CRIU_EVENTS_H */
