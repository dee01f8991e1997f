/*
 * Open files of a task: every file descriptor, and the task's fs (cwd, root,
 * umask).  Dump writes files.img (one file_entry per open file description
 * or mapped file), fdinfo-<files_id>.img (which description sits at which fd
 * number) and fs-<pid>.img; restore reopens each description and puts it at
 * its numbers.  Kinds of files (regular, devices, later pipes, sockets...)
 * are one file each behind one ops table (criu/include/file-kinds.h).
 *
 * Dump, how to use (criu's main process, task seized):
 *  1. dump_task_files(ctl, pid, files_id, dir) for each task: lists the
 *     task's fds, writes fdinfo-<files_id>.img and fs-<pid>.img, and
 *     remembers a file entry per open file description (criu keeps an fd
 *     on each deleted file until its contents are written by step 3).
 *     Each fd is read through /proc/PID/fd/N and fdinfo/N; the task's own
 *     description comes too (needed for the SIGIO owner, fown): over
 *     compel_get_fds() when @ctl is infected (the parasite's socket is then
 *     left out), else with pidfd_getfd() (@ctl may be NULL).  @files_id is the id
 *     ids-<pid>.img carries; for a task sharing a table dumped already
 *     (CLONE_FILES, same id) only fs-<pid>.img is written.
 *     Fails (-EOPNOTSUPP) naming the fd and its kind for kinds not
 *     supported yet ("fd 5: unix socket: not supported yet"), -EFBIG for a
 *     deleted file above --ghost-limit.  The task is untouched either way.
 *  2. dump_file_fd(fd, open_flags, &id) for files behind the task's
 *     mappings and its exe link: @fd is criu's own fd on the file (opened
 *     from /proc/PID/map_files/A-B or /proc/PID/exe).  The same file
 *     (device, inode, @open_flags) gets the same id every time.
 *  3. files_dump_finish(dir) writes files.img, the ghost-file images and
 *     remap-fpath.img (when a deleted file was seen) once every task and
 *     mapping is done.
 *  4. files_dump_fini() frees the state; always, also after an error.
 *
 * Ids: one id per open file description; fds sharing a description (dup,
 * fork) share it.  Sharing is decided with kcmp(KCMP_FILE) on the task's
 * fd numbers; where kcmp is unavailable, by (device, inode, pos, flags),
 * which can merge two separate opens of one file at the same offset (logged
 * as a warning).  Ids count from 1 across the whole dump.
 *
 * Restore, how to use:
 *  1. files_collect(dir) in criu's main process: reads files.img and
 *     remap-fpath.img, recreates ghost files (deleted-but-open) under a
 *     temporary name beside their old path, and checks every file that
 *     exists on its own against the dump (mode, size, and with
 *     --file-validation buildid the ELF build-id): a file that changed
 *     stops the restore here (-ESTALE), naming it.  Paths under /proc/ are
 *     checked at their first open instead.
 *  2. prepare_task_files(pid, files_id, dir) per task, still in the main
 *     process: reads fdinfo-<files_id>.img and fs-<pid>.img and checks them
 *     against files.img (kinds not supported yet fail here, -EOPNOTSUPP).
 *     files_service_fd_base() is then final.
 *  3. files_open_shared() in the main process, after the last
 *     prepare_task_files() and before any task exists: every description
 *     some task holds is opened once (the kinds' open(); SIGIO owners are
 *     left for step 4) and moved at or above the base with the log, the
 *     root dir and the memfds; every other fd criu hands down goes there
 *     too (reserve_service_fd()).  The tasks inherit them all.
 *  4. In each task, after it forked its children, before its memory is
 *     replaced: restore_task_files(pid) closes every fd below the base,
 *     dups each description to each fd number that holds it (close-on-
 *     exec as dumped), sets SIGIO owners, runs the kinds' post_open(),
 *     then restores root (chroot), cwd and umask.  A task sharing its fd
 *     table (CLONE_FILES) with the one that did this calls
 *     restore_task_fs_only() instead.  open_file_by_id() opens mapped
 *     files and the exe, also after the chroot (the task moves them above
 *     the base with reserve_service_fd()).  The restorer closes every fd
 *     at or above the base when it no longer needs them.
 *     files_close_shared() in the main process once every task has its
 *     fds: criu's copies go.
 *  5. files_restore_fini() in the main process once the tasks run (or the
 *     restore failed; always): removes the temporary names of ghost files,
 *     frees the state.
 *
 * Errors: 0 (or the documented value) or -errno, logged once where found,
 * with the pid, fd and path.
 */
#ifndef CRIU_FILES_H
#define CRIU_FILES_H

#include <stdint.h>
#include <sys/types.h>

#include "common.h"

struct parasite_ctl;
struct img_dir;

/* ------------------------------------------------------------ dump */

int dump_task_files(struct parasite_ctl *ctl, pid_t pid, uint32_t files_id, struct img_dir *dir) __must_check;
/*
 * Register the file behind criu's fd @fd (opened from map_files or exe)
 * with the open flags a restore must use (O_RDONLY for a private mapping,
 * O_RDWR for a shared writable one...); *@id is its file_entry id.
 * Deleted files become ghost files as for fds (-EFBIG above the limit).
 */
int dump_file_fd(int fd, int open_flags, uint32_t *id) __must_check;
/* Write files.img and remap-fpath.img to @dir. */
int files_dump_finish(struct img_dir *dir) __must_check;
void files_dump_fini(void);

/* ------------------------------------------------------------ restore */

int files_collect(struct img_dir *dir) __must_check;
int prepare_task_files(pid_t pid, uint32_t files_id, struct img_dir *dir) __must_check;
/*
 * The first fd number above every fd of every prepared task (at least 3);
 * final once every task is prepared.
 */
int files_service_fd_base(void);
/*
 * Keep criu's own @fd across restore_task_files(): moved to a free number
 * at or above files_service_fd_base() (close-on-exec) and @fd closed; the
 * new number is returned (the caller uses it from then on), or -errno.  An
 * fd already at or above the base is kept where it is.  Call it after the
 * last prepare_task_files().
 */
int reserve_service_fd(int fd) __must_check;
/*
 * criu's main process, after the last prepare_task_files() and before any
 * task exists: open every description the tasks hold once and move it,
 * the log, the root dir and the memfds at or above the base (the tasks
 * inherit them).  files_close_shared() closes criu's copies once every
 * task has its fds.
 */
int files_open_shared(void) __must_check;
void files_close_shared(void);
/*
 * files-tty-restore.c: in a restored task right after its setsid(), before
 * it forks the other tasks of its session, give the session its
 * controlling terminal back (a pty of the dump), so that the tasks it
 * forks inherit it.  0 also when the session had none.
 */
int tty_restore_session(void) __must_check;
/* In the restored child @pid: fds, cwd, root, umask.  See above. */
int restore_task_files(pid_t pid) __must_check;
/* In a child sharing its fd table with the task that restored it: cwd, root, umask. */
int restore_task_fs_only(pid_t pid) __must_check;
/*
 * Open the file of files.img entry @id anew (a description of its own,
 * not shared with any fd) with @flags (O_CLOEXEC is fine); returns the fd
 * or -errno.  For mappings and the exe link.
 */
int open_file_by_id(uint32_t id, int flags) __must_check;
void files_restore_fini(void);

#endif /* CRIU_FILES_H */
