/*
 * compel's private view: the seized task, its threads, the logging macros
 * and the calls the architecture code (compel/arch/x86/) provides.
 */
#ifndef COMPEL_INTERNAL_H
#define COMPEL_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "compel.h"

#define __printf(a, b) __attribute__((format(printf, a, b)))

/* ------------------------------------------------------------------ log */
void compel_print(int level, const char *file, int line, const char *fmt, ...) __printf(4, 5);

#ifndef LOG_PREFIX
#define LOG_PREFIX "compel: "
#endif
#define pr_err(fmt, ...)   compel_print(COMPEL_LOG_ERROR, __FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)  compel_print(COMPEL_LOG_WARN, __FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  compel_print(COMPEL_LOG_INFO, __FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) compel_print(COMPEL_LOG_DEBUG, __FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)
/* Log an error for -errno @r and give @r back: "return pr_err_ret(r, ...)". */
#define pr_err_ret(r, fmt, ...)                                     \
	({                                                          \
		int _r = (r);                                       \
		pr_err(fmt ": %s\n", ##__VA_ARGS__, strerror(-_r)); \
		_r;                                                 \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --------------------------------------------------------------- task */
enum thread_stop {
	STOP_NONE,    /* running (parasite) or gone */
	STOP_TRAP,    /* PTRACE_EVENT_STOP inside get_signal(): the resting place */
	STOP_SYSCALL, /* syscall-enter or -exit stop of a remote syscall */
	STOP_SIGNAL,  /* signal-delivery-stop */
};

struct thread {
	struct compel_thread_info info; /* what callers see; regs = saved */
	struct parasite_ctl *ctl;
	void *xstate;	    /* owned copy behind info.xstate */
	siginfo_t *pending; /* owned copy behind info.pending */
	enum thread_stop stop;
	bool dead; /* exited while seized */
};

/* What compel_infect() set up (infect.c). */
struct infection {
	bool active;
	bool daemon;	      /* the runtime serves in the leader */
	unsigned long rbase;  /* the shared area in the task */
	unsigned char *lbase; /* and here */
	size_t size;
	size_t entry; /* offsets in the area */
	size_t control;
	size_t args;
	size_t args_size;
	size_t daemon_stack; /* tops of the two stacks */
	size_t thread_stack;
	int sock;  /* our end of the transport */
	int rsock; /* the task's end, an fd of the task */
};

struct parasite_ctl {
	struct compel_task_info info;
	struct infection inf;
	siginfo_t *shared_pending;
	struct thread *threads;
	unsigned int nr_alloc;
	bool dead;		  /* the whole task died while seized */
	unsigned long syscall_ip; /* where remote syscalls are injected */
};

/* seize.c: wait for @t to stop after it was resumed, classify the stop
 * (STOP_*, or -ESRCH when it left); the poll variant gives 0 if running. */
int thread_wait_stop(struct parasite_ctl *ctl, struct thread *t, int *sig);
int thread_poll_stop(struct parasite_ctl *ctl, struct thread *t, int *sig);
/* syscall.c: resume @t with @sig and bring it back into its trap; the
 * number of signals it was given on the way. */
int thread_settle(struct parasite_ctl *ctl, struct thread *t, int sig);
int thread_refresh_state(struct parasite_ctl *ctl, struct thread *t);
/* regs.c: read all of @t's state into its info (regs, xstate, mask, pending). */
int thread_read_state(struct parasite_ctl *ctl, struct thread *t, bool pending);
int thread_get_regs(struct thread *t, compel_regs_t *regs);
int thread_put_regs(struct thread *t, const compel_regs_t *regs);
int task_read_shared_pending(struct parasite_ctl *ctl);
struct thread *ctl_thread(struct parasite_ctl *ctl, unsigned int i);
/* syscall.c: choose where remote syscalls are injected. */
int find_syscall_ip(struct parasite_ctl *ctl);
/* A ptrace request on a resting thread failed with @err: if the thread died,
 * collect it and give -ESRCH, else log @what and give @err. */
int thread_ptrace_error(struct thread *t, int err, const char *what);

/* ------------------------------------------------------------- arch */
/* Bytes of the XSAVE area the kernel gives through NT_X86_XSTATE. */
size_t arch_xstate_size(void);
/* The instruction that enters a syscall, and its length. */
extern const unsigned char arch_syscall_insn[];
extern const size_t arch_syscall_insn_len;
/* Load @regs to run syscall @nr with @args at @ip. */
void arch_setup_syscall(compel_regs_t *regs, unsigned long ip, long nr, const unsigned long args[6]);
/* Load @regs to call @ip(@arg) on the stack topped at @sp (16-aligned). */
void arch_setup_call(compel_regs_t *regs, unsigned long ip, unsigned long sp, unsigned long arg);
long arch_syscall_result(const compel_regs_t *regs);
unsigned long arch_get_ip(const compel_regs_t *regs);

#endif /* COMPEL_INTERNAL_H */
