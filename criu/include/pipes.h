/*
 * Bytes buffered in pipes and FIFOs (pipes-data.img, fifo-data.img), for
 * pipes.c and fifo.c.  One table per image kind: @fifo picks it.
 *
 * Dump:
 *  1. pipe_data_note(fifo, p) for every description of a pipe or FIFO the
 *     dump meets; the first one of an inode keeps an fd of criu's that can
 *     read the buffer (a reopened read end when @p is a write end).
 *  2. pipe_data_dump_finish(fifo, dir), once every task is dumped: copies
 *     each buffer with tee(2) (the pipe keeps its bytes) and writes one
 *     pipe_data_entry per pipe (size = F_GETPIPE_SZ) followed by the
 *     bytes; a packet-mode pipe (O_DIRECT) holding several packets gets
 *     one entry per packet, so that their boundaries survive.  A pipe
 *     whose read ends are all outside the dump has no entry: its bytes
 *     belong to the outside reader.
 *  3. pipe_data_dump_fini(fifo): closes the fds, always.
 *
 * Restore:
 *  1. pipe_data_collect(fifo, dir): reads the image (absent is fine).
 *  2. pipe_data_fill(fifo, pipe_id, wfd, packet): sets the size and writes
 *     the bytes through @wfd (a write end), once per pipe_id: later calls
 *     do nothing.
 *  3. pipe_data_restore_fini(fifo).
 */
#ifndef CRIU_PIPES_H
#define CRIU_PIPES_H

#include <stdbool.h>
#include <stdint.h>

struct fd_parms;
struct img_dir;

int pipe_data_note(bool fifo, const struct fd_parms *p) __attribute__((warn_unused_result));
int pipe_data_dump_finish(bool fifo, struct img_dir *dir) __attribute__((warn_unused_result));
void pipe_data_dump_fini(bool fifo);

int pipe_data_collect(bool fifo, struct img_dir *dir) __attribute__((warn_unused_result));
int pipe_data_fill(bool fifo, uint32_t pipe_id, int wfd, bool packet) __attribute__((warn_unused_result));
void pipe_data_restore_fini(bool fifo);

#endif /* CRIU_PIPES_H */
