/*
 * What parasite code (compiled freestanding, running inside the task) has:
 * raw syscall wrappers that return -errno, a few memory and string
 * helpers, and the one function every blob provides:
 *
 *	int parasite_command(unsigned int cmd, void *args, unsigned long args_size);
 *
 * called by the runtime for each command >= COMPEL_CMD_USER, in the thread
 * compel chose, with all signals blocked.  @args is the shared argument
 * area: criu wrote the command's input there and reads its output back.
 * Return 0 or -errno.  No libc, no globals of criu's, a small stack (64 KiB).
 */
#ifndef COMPEL_STD_H
#define COMPEL_STD_H

#include <stddef.h>
#include <stdint.h>

#include "rpc.h"
#include "syscall-arch.h"

#pragma GCC visibility push(hidden)

int parasite_command(unsigned int cmd, void *args, unsigned long args_size);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#define __sys(nr, a1, a2, a3, a4, a5, a6) \
	__syscall6((nr), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), (long)(a6))

/* Syscall numbers, x86_64. */
#define __NR_read	    0
#define __NR_write	    1
#define __NR_close	    3
#define __NR_mmap	    9
#define __NR_munmap	    11
#define __NR_rt_sigprocmask 14
#define __NR_pause	    34
#define __NR_getpid	    39
#define __NR_sendmsg	    46
#define __NR_recvmsg	    47
#define __NR_prctl	    157
#define __NR_gettid	    186
#define __NR_vmsplice	    278

static inline long sys_read(int fd, void *buf, unsigned long n)
{
	return __sys(__NR_read, fd, buf, n, 0, 0, 0);
}
static inline long sys_write(int fd, const void *buf, unsigned long n)
{
	return __sys(__NR_write, fd, buf, n, 0, 0, 0);
}
static inline long sys_close(int fd)
{
	return __sys(__NR_close, fd, 0, 0, 0, 0, 0);
}
static inline long sys_mmap(void *addr, unsigned long len, int prot, int flags, int fd, long off)
{
	return __sys(__NR_mmap, addr, len, prot, flags, fd, off);
}
static inline long sys_munmap(void *addr, unsigned long len)
{
	return __sys(__NR_munmap, addr, len, 0, 0, 0, 0);
}
static inline long sys_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
	return __sys(__NR_rt_sigprocmask, how, set, old, sizeof(uint64_t), 0, 0);
}
static inline long sys_getpid(void)
{
	return __sys(__NR_getpid, 0, 0, 0, 0, 0, 0);
}
static inline long sys_gettid(void)
{
	return __sys(__NR_gettid, 0, 0, 0, 0, 0, 0);
}
static inline long sys_sendmsg(int fd, const void *msg, int flags)
{
	return __sys(__NR_sendmsg, fd, msg, flags, 0, 0, 0);
}
static inline long sys_recvmsg(int fd, void *msg, int flags)
{
	return __sys(__NR_recvmsg, fd, msg, flags, 0, 0, 0);
}
static inline long sys_prctl(int op, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
	return __sys(__NR_prctl, op, a2, a3, a4, a5, 0);
}
static inline long sys_vmsplice(int fd, const void *iov, unsigned long nr, unsigned int flags)
{
	return __sys(__NR_vmsplice, fd, iov, nr, flags, 0, 0);
}

#pragma GCC visibility pop

#endif
