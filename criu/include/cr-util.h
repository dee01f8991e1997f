/*
 * Helpers shared by dump and restore: compel's log into criu's, the
 * images dir as an img_dir, the pidfile, and namespace identity.
 */
#ifndef CRIU_CR_UTIL_H
#define CRIU_CR_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "image.h"

/* Send compel's messages to criu's log at criu's verbosity. */
void cr_compel_log_setup(void);

/*
 * The images dir main() opened (opts.imgs_dir_fd) as an img_dir, named
 * by its absolute path in messages.
 */
int cr_open_images_dir(unsigned int flags, struct img_dir **dir) __must_check;

/* Write @pid to --pidfile (relative to the work dir) atomically. */
int cr_write_pidfile(const char *path, pid_t pid) __must_check;

/*
 * Namespaces of @pid that differ from criu's, as "net, mnt" in @buf
 * (empty when all are the same).  0 or -errno (logged).
 */
int cr_foreign_namespaces(pid_t pid, char *buf, size_t len) __must_check;

#endif /* CRIU_CR_UTIL_H */
