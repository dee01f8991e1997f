/*
 * What criu hands the restorer blob (criu/pie/restorer.c), and what the
 * restorer answers.  Shared by criu and the blob: fixed-width types only.
 *
 * The restored child maps one "bootstrap" area at a place that is free in
 * the task's dumped layout and in its own, and lays it out as
 *
 *	[blob image + bss][rst_args][rst_vma[]][rst_run[]][task state][park][stack]
 *	[rst_thread[]][a stack per thread]	(tasks with more than one thread)
 *	[rst_vm_child[]][their task-state blocks][a stack each]	(children sharing its memory)
 *
 * then jumps to the blob's entry with the stack at the end and rdi =
 * &args.  Pointers in rst_args are absolute addresses inside the area.
 *
 * The restorer: moves this kernel's vDSO areas into "park" (inside the
 * area), unmaps everything else criu had, moves the vDSO to the dumped
 * addresses, maps every VMA, reads the pages, sets up the mm, creates the
 * other threads (struct rst_thread) and waits until each applied its own
 * state, creates the children sharing its memory (struct rst_vm_child)
 * and waits until each applied its own, applies the leader's part of the task-state block (task-state.h:
 * signals, creds, timers... seccomp last), closes criu's fds but status_fd
 * and sync_fd, writes one struct rst_status to status_fd and waits in
 * read(sync_fd) with every signal blocked (a task under seccomp spins
 * instead: its filters may not allow the read).  criu then seizes it, closes both fds and unmaps the bootstrap
 * area in it, loads the registers and lets it go.  criu never writes to
 * sync_fd: the read ends (EOF) only when criu died, and the restorer then
 * exits, so a criu killed halfway leaves nothing behind.  On an error the
 * restorer writes the status and exits with status 1.
 */
#ifndef CRIU_RESTORER_H
#define CRIU_RESTORER_H

#include <stdint.h>

/* rst_vma.kind */
enum {
	RST_VMA_MAP = 0, /* map it: anonymous or from fd */
	RST_VMA_SKIP,	 /* the kernel's (vsyscall) or moved (vdso, vvar) */
};

struct rst_vma {
	uint64_t start, end;
	uint64_t pgoff;	 /* bytes */
	uint64_t madv;	 /* 1 << MADV_x hints to apply */
	uint32_t prot;	 /* final protection */
	uint32_t flags;	 /* mmap flags: MAP_PRIVATE/SHARED, MAP_ANONYMOUS, MAP_GROWSDOWN... */
	int32_t fd;	 /* file mappings, else -1 */
	uint32_t kind;	 /* RST_VMA_* */
	uint32_t filled; /* pages are read into it: map it writable first */
	uint32_t pad;
};

/* @nr pages at @vaddr come from @off in pages file @file (rst_args.pages_fds). */
struct rst_run {
	uint64_t vaddr;
	uint64_t nr;
	uint64_t off;
	uint32_t file;
	uint32_t pad;
};

/* One of this kernel's vDSO areas ([vvar], [vvar_vclock], [vdso]). */
struct rst_special {
	uint64_t start, len; /* where it is now */
	uint64_t to;	     /* where it goes, 0: unmap it */
};

#define RST_MAX_SPECIAL	   4
#define RST_MAX_PAGE_FILES 16  /* the task's pages and its shared memory objects' */
#define RST_AUXV_MAX	   128 /* words */

/* Code written over the restored memory at @addr (a redirected vDSO function). */
struct rst_patch {
	uint64_t addr;
	uint8_t code[16];
	uint32_t len;
	uint32_t pad;
};
#define RST_MAX_PATCHES 16
#define RST_MAX_SEALS	8 /* memfds whose seals are added after the mappings */

struct rst_mm_map {
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv;	    /* address of the words */
	uint32_t auxv_size; /* bytes */
	uint32_t exe_fd;
};

struct rst_args {
	uint64_t bootstrap_start, bootstrap_len;
	uint64_t task_size; /* unmap up to here */

	struct rst_special special[RST_MAX_SPECIAL];
	uint32_t nr_special;
	uint32_t nr_patches;
	struct rst_patch patches[RST_MAX_PATCHES];
	uint32_t nr_vmas;
	uint64_t vmas; /* struct rst_vma[] */
	uint64_t nr_runs;
	uint64_t runs; /* struct rst_run[] */
	uint64_t park; /* room for the specials while unmapping */
	int32_t pages_fds[RST_MAX_PAGE_FILES];
	int32_t status_fd;
	int32_t sync_fd;
	int32_t close_from; /* close_range(close_from, ~0) but status_fd and sync_fd */
	int32_t has_mm;
	uint32_t nr_seals;
	int32_t seal_fds[RST_MAX_SEALS]; /* fcntl(F_ADD_SEALS) once memory is mapped */
	uint32_t seals[RST_MAX_SEALS];

	struct rst_mm_map mm;
	uint64_t auxv[RST_AUXV_MAX];
	int32_t thp_disabled;
	int32_t has_seccomp; /* after rst_apply_seccomp(): no syscall but allowed ones */

	/* the task-state block (criu/pie/include/restorer-state.h) */
	uint64_t state_area;
	uint64_t state_size;

	/* the other threads (struct rst_thread[nr_threads]), see below */
	uint32_t nr_threads;
	uint32_t threads_done; /* futex word: threads done with their state */
	uint64_t threads;

	/* children sharing the memory (struct rst_vm_child[nr_vm_children]), see below */
	uint32_t nr_vm_children;
	uint32_t pad_vm;
	uint64_t vm_children;
};

/*
 * A child process sharing the task's memory and signal handlers
 * (CLONE_VM|CLONE_SIGHAND, not a thread).  Once the threads are done and
 * before its own state, the task creates each with clone3(), set_tid =
 * @pid, @flags and exit signal SIGCHLD, on its own stack inside the
 * bootstrap area.  Without CLONE_FILES its fd table is a copy of the
 * task's: it closes criu's fds in it (from @close_from) first.  The child
 * applies its task-state block at @state_area
 * (rst_apply_task_state(), rst_apply_seccomp()), writes @ret, sets @done
 * and waits on @park (it exits if its parent is gone).  The task waits for
 * every child's @done before it reports; criu then seizes the children
 * too, before it unmaps the bootstrap area, and loads their registers.
 */
struct rst_vm_child {
	int32_t pid;
	int32_t parent;	    /* the task's pid */
	uint64_t flags;	    /* CLONE_VM|CLONE_SIGHAND, CLONE_FILES, CLONE_FS */
	uint64_t stack;	    /* lowest address of its stack */
	uint64_t stack_len; /* bytes */
	uint64_t state_area;
	int32_t ret;	    /* 0 or -errno, by the child */
	uint32_t done;	    /* futex word: 1 once its state is applied */
	uint32_t park;	    /* futex word it waits on, never changed */
	int32_t close_from; /* an fd table of its own (a copy): close criu's fds from here first; -1: shared */
};

/*
 * A thread of the task other than the leader.  Once the memory is in place
 * the leader creates each with clone3() and set_tid = @tid, on its own
 * stack inside the bootstrap area; the thread applies its entry @idx of the
 * task-state block (rst_apply_thread_state(), then rst_apply_seccomp()),
 * writes @ret, counts itself in rst_args.threads_done and waits there for
 * criu, which seizes the whole task and loads every thread's registers.
 * The leader goes on with its own state only when every thread is done,
 * and fails the restore (exit_group) if one failed.
 */
struct rst_thread {
	int32_t tid;
	uint32_t idx;	    /* in the task-state block's thread table */
	uint64_t stack;	    /* lowest address of its stack */
	uint64_t stack_len; /* bytes */
	uint64_t args;	    /* the rst_args, for the thread */
	int32_t ret;	    /* 0 or -errno, by the thread */
	uint32_t park;	    /* futex word it waits on, never changed */
};
#define RST_THREAD_STACK (32UL << 10)

/* What the restorer reports on status_fd. */
struct rst_status {
	int32_t ret;				 /* 0 or -errno */
	int32_t line;				 /* where in restorer.c it failed */
	uint64_t pages;				 /* pages read */
	uint64_t bootstrap_start, bootstrap_len; /* for criu to unmap */
	int32_t status_fd, sync_fd;		 /* for criu to close */
	int32_t state_err[3];			 /* err_step, err_code, err_arg of the task-state block */
	int32_t pad;
	char what[88]; /* what failed */
};

#endif /* CRIU_RESTORER_H */
