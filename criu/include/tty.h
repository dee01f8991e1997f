/*
 * Terminals: what criu/files-tty.c (dump, the kind), files-tty-restore.c
 * and files-tty-data.c share.  Not for other files.
 *
 * Bytes waiting in a pty:
 *
 * A pty holds two queues: what the slave side wrote and the master side
 * has not read yet (already output-processed: ONLCR...), and what was
 * written at the master and the slave side has not read yet (already
 * input-processed and echoed; in canonical mode possibly a partial line).
 *
 *  1. tty_queue_drain() at dump, with criu's fd on the task's master
 *     description: reads both queues (the slave's through a new slave fd,
 *     with canonical mode off for a moment so that a partial line comes
 *     too) and hands back that slave fd.
 *  2. tty_queue_push() puts queues into a pty: the master's into the slave
 *     with output processing off, the slave's with TIOCSTI (synchronous)
 *     with echo, signals and input translation off, so that neither is
 *     processed twice; the slave's termios are then what they were.  At
 *     restore into the new pty; after a dump the task lives on after
 *     (-R, or a failed dump), back into the old one.
 *  3. tty_queue_free().
 * What cannot be read or put back is logged as a warning: terminals never
 * promised delivery, and CRIU treats these bytes the same way.
 */
#ifndef CRIU_TTY_H
#define CRIU_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "file-kinds.h"

/* tty_info ids (index * 2 + master) as CRIU numbers them. */
#define MAX_PTY_INDEX 1000
#define CONSOLE_INDEX 1002
#define VT_INDEX      1004
#define CTTY_INDEX    1006
#define SERIAL_INDEX  1008 /* ours: CRIU gives serial lines index 0, a pty's */
#define TERMIOS_NCC   19   /* c_cc entries in the image (the kernel's NCCS) */

/* files-tty-restore.c: the restore half of tty_kind. */
int tty_collect_images(struct img_dir *dir);
int tty_collect(struct file_desc *d);
int tty_open(struct file_desc *d, int *fd);
int tty_post_open(struct file_desc *d, int fd);
void tty_restore_fini(void);

struct tty_queue {
	uint8_t *out; /* readable at the master */
	size_t out_len;
	uint8_t *in; /* readable at the slave */
	size_t in_len;
};

/* Most bytes carried per side (the kernel keeps far fewer). */
#define TTY_QUEUE_MAX (1u << 20)

/*
 * Drain the pty of @master (@packet: it is in packet mode) into @q; *@slave
 * gets an fd on its slave (-1 if none could be opened: nothing read at the
 * slave side then).  -errno on failure, with @q freed.
 */
int tty_queue_drain(int master, bool packet, int *slave, struct tty_queue *q, const char *what);
/* Put @q into the pty of @slave (an fd on its slave side).  -errno if something was lost (logged). */
int tty_queue_push(int slave, const struct tty_queue *q, const char *what);
void tty_queue_free(struct tty_queue *q);

#endif /* CRIU_TTY_H */
