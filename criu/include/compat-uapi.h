/*
 * Kernel interface definitions newer than the build machine's headers.
 *
 * Debian 12 ships linux-libc-dev 6.1; the kernels criu runs on are newer
 * (6.18 here).  Whatever criu uses from a later uapi is defined here, each
 * item guarded by #ifndef so that newer headers win and nothing is defined
 * twice.  The values are the kernel's ABI and never change once released.
 *
 * Include this after the system headers it complements (<linux/fs.h>,
 * <linux/userfaultfd.h>, <sys/ptrace.h> ...), so that their definitions
 * come first.  It includes <linux/types.h>, <linux/ioctl.h> and
 * <linux/sched.h> (which sits fine beside glibc's <sched.h>).
 */
#ifndef CRIU_COMPAT_UAPI_H
#define CRIU_COMPAT_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* ------------------------------------------------------------------ userfaultfd */

/* Each bit is a feature the kernel reports after UFFDIO_API (Linux 6.4..6.8). */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13) /* write-protect also marks empty PTEs */
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14) /* UFFDIO_POISON */
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15) /* write faults resolved by the kernel, seen via PAGEMAP_SCAN */
#endif
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16) /* UFFDIO_MOVE */
#endif
/* userfaultfd(2) flag: handle faults from user mode only (Linux 5.11). */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
/* /dev/userfaultfd (Linux 6.1) hands out userfaultfds through an ioctl. */
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC	    0xAA
#define USERFAULTFD_IOC_NEW _IO(USERFAULTFD_IOC, 0x00)
#endif

/* ------------------------------------------------------------------ PAGEMAP_SCAN */

/*
 * ioctl(PAGEMAP_SCAN) on /proc/PID/pagemap (Linux 6.7): walk a range and
 * report regions of pages by category, optionally write-protecting (for
 * userfaultfd WP_ASYNC) the pages it reports in the same call.
 */
#ifndef PAGEMAP_SCAN
struct page_region {
	__u64 start;	  /* first byte of the region */
	__u64 end;	  /* one past its last byte */
	__u64 categories; /* PAGE_IS_* bits of every page in it, masked by return_mask */
};

struct pm_scan_arg {
	__u64 size;  /* sizeof(struct pm_scan_arg) */
	__u64 flags; /* PM_SCAN_* */
	__u64 start; /* range to walk, page aligned */
	__u64 end;
	__u64 walk_end; /* out: where the walk stopped */
	__u64 vec;	/* struct page_region[vec_len] to fill */
	__u64 vec_len;
	__u64 max_pages;	   /* 0: no limit */
	__u64 category_inverted;   /* categories that match when clear */
	__u64 category_mask;	   /* all of these must match */
	__u64 category_anyof_mask; /* at least one of these must match */
	__u64 return_mask;	   /* categories reported in page_region.categories */
};

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

#ifndef PAGE_IS_WPALLOWED
#define PAGE_IS_WPALLOWED  (1 << 0) /* in a VMA registered for uffd write-protect */
#define PAGE_IS_WRITTEN	   (1 << 1) /* written since write-protect was armed */
#define PAGE_IS_FILE	   (1 << 2)
#define PAGE_IS_PRESENT	   (1 << 3)
#define PAGE_IS_SWAPPED	   (1 << 4)
#define PAGE_IS_PFNZERO	   (1 << 5) /* the shared zero page */
#define PAGE_IS_HUGE	   (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)
#endif
#ifndef PAGE_IS_GUARD
#define PAGE_IS_GUARD (1 << 8) /* MADV_GUARD_INSTALL region (Linux 6.14) */
#endif

#ifndef PM_SCAN_WP_MATCHING
#define PM_SCAN_WP_MATCHING   (1 << 0) /* write-protect the pages reported */
#define PM_SCAN_CHECK_WPASYNC (1 << 1) /* fail if a page is not under WP_ASYNC */
#endif

/* ------------------------------------------------------------------ clone3 */

/*
 * struct clone_args (Linux 5.3) gained set_tid/set_tid_size in 5.5
 * (CLONE_ARGS_SIZE_VER1) and cgroup in 5.7.  Headers without the struct get
 * ours; headers with the 5.3 struct alone cannot be patched up here.
 */
#include <linux/sched.h>
#ifndef CLONE_ARGS_SIZE_VER0
struct clone_args {
	__aligned_u64 flags;
	__aligned_u64 pidfd;
	__aligned_u64 child_tid;
	__aligned_u64 parent_tid;
	__aligned_u64 exit_signal;
	__aligned_u64 stack;
	__aligned_u64 stack_size;
	__aligned_u64 tls;
	__aligned_u64 set_tid; /* pointer to pid_t[set_tid_size]: the pids wanted, innermost ns first */
	__aligned_u64 set_tid_size;
	__aligned_u64 cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_ARGS_SIZE_VER1 80
#define CLONE_ARGS_SIZE_VER2 88
#elif !defined(CLONE_ARGS_SIZE_VER1)
#error "<linux/sched.h> has struct clone_args without set_tid: kernel headers 5.5 or later are needed"
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* ------------------------------------------------------------------ misc */

/* fcntl: the real and effective uid of a file's owner (never exported by uapi). */
#ifndef F_GETOWNER_UIDS
#define F_GETOWNER_UIDS 17
#endif

/* timerfd: set the count of expirations not yet read (Linux 3.17; <linux/timerfd.h> clashes with glibc's). */
#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, __u64)
#endif

/* ptrace: where a thread registered its rseq area (Linux 5.13). */
#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif

/* Syscall numbers newer than some libcs' lists (x86_64). */
#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif
#ifndef __NR_process_mrelease
#define __NR_process_mrelease 448
#endif
#ifndef __NR_futex_waitv
#define __NR_futex_waitv 449
#endif
#ifndef __NR_map_shadow_stack
#define __NR_map_shadow_stack 453
#endif

#endif /* CRIU_COMPAT_UAPI_H */
