/*
 * memfd files (criu/files-memfd.c): the MEMFD kind of the fd registry,
 * memfd.img, and the seals the restorer adds at the end.
 */
#ifndef CRIU_MEMFD_H
#define CRIU_MEMFD_H

#include <stdbool.h>
#include <stdint.h>

struct img_dir;
struct file_desc;

/* ------------------------------------------------------------ dump */

/* Write memfd.img (from files_dump_finish(), when a memfd was seen). */
int memfd_dump_finish(struct img_dir *dir) __attribute__((warn_unused_result));
void memfd_dump_fini(void);

/* ------------------------------------------------------------ restore */

/*
 * From files_collect(), criu's main process: read memfd.img and make each
 * memfd again (name, size, contents, owner, mode), criu keeping an fd on
 * it.  Seals are not added yet.
 */
int memfd_collect(struct img_dir *dir) __attribute__((warn_unused_result));
/* In the restored child, before its low fds are closed: keep criu's memfds. */
int memfd_reserve_fds(void) __attribute__((warn_unused_result));
/*
 * A new description of MEMFD entry @d with @flags; with @as_fd also its
 * position and SIGIO owner.  Returns the fd or -errno.
 */
int memfd_open_desc(struct file_desc *d, int flags, bool as_fd);
/*
 * The memfds whose seals are still to be added (after every mapping is
 * made) into @fds/@seals, at most @max: their number, or -EOPNOTSUPP when
 * there are more.
 */
int memfd_pending_seals(int32_t *fds, uint32_t *seals, unsigned int max);
void memfd_restore_fini(void);

#endif /* CRIU_MEMFD_H */
