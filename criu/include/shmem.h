/*
 * Shared anonymous memory and memfd contents (see shmem.c): dump registers
 * each VMA of it and writes each object's contents once; restore adds its
 * page runs.
 */
#ifndef CRIU_SHMEM_H
#define CRIU_SHMEM_H

#include <sys/types.h>

#include "mem.h"

/* A shared anonymous VMA of @pid: fills @e (status, flags, shmid, pgoff). */
int shmem_dump_vma(pid_t pid, unsigned long start, unsigned long end, unsigned long pgoff, VmaEntry *e) __must_check;
/*
 * A shmem object seen through criu's @fd of its own (a memfd): its
 * contents (@size bytes) are written by shmem_dump_contents() under shmid
 * @ino, like those of shared anonymous memory.  Once per inode.
 */
int shmem_dump_file(int fd, uint64_t ino, uint64_t size) __must_check;
/* pagemap-shmem-<shmid>.img and pages-<id>.img, ids from @first_pages_id on. */
int shmem_dump_contents(struct img_dir *dir, uint32_t first_pages_id, uint64_t *pages) __must_check;
void shmem_dump_fini(void);

/*
 * Note every shared anonymous VMA of @mr (after its private pagemap): its
 * object is one for the whole tree, made by shmem_restore_objects().
 */
int shmem_restore_prepare(struct mem_restore *mr, struct img_dir *dir) __must_check;
/*
 * Once every task's memory is prepared and the service-fd base is final
 * (criu's main process, before any task exists): make each object, fill
 * it, keep an fd on it above the base and point every VMA noted at it.
 * The tasks map it MAP_SHARED and so share it.
 */
int shmem_restore_objects(struct img_dir *dir) __must_check;
void shmem_restore_fini(void);
/*
 * Write the saved contents of object @shmid into file @fd (a new memfd of
 * @size bytes), within @size.  An object without pages is left as it is.
 */
int shmem_restore_file(struct img_dir *dir, uint64_t shmid, int fd, uint64_t size) __must_check;

#endif /* CRIU_SHMEM_H */
