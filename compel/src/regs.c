/*
 * A seized thread's state: general registers (PTRACE_GETREGS, which on
 * x86_64 includes fs_base and gs_base), the XSAVE area (NT_X86_XSTATE), the
 * blocked mask (PTRACE_GETSIGMASK) and the signals queued for it or for the
 * whole task (PTRACE_PEEKSIGINFO, which reads without dequeuing).  The
 * thread must be resting in a ptrace stop.
 */
#include <elf.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "internal.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

int thread_get_regs(struct thread *t, compel_regs_t *regs)
{
	if (ptrace(PTRACE_GETREGS, t->info.tid, NULL, regs))
		return thread_ptrace_error(t, -errno, "can't read the registers");
	return 0;
}

int thread_put_regs(struct thread *t, const compel_regs_t *regs)
{
	if (ptrace(PTRACE_SETREGS, t->info.tid, NULL, regs))
		return thread_ptrace_error(t, -errno, "can't write the registers");
	return 0;
}

static int read_xstate(struct thread *t)
{
	size_t size = arch_xstate_size();
	struct iovec iov;

	if (!t->xstate) {
		t->xstate = calloc(1, size);
		if (!t->xstate)
			return -ENOMEM;
	}
	iov.iov_base = t->xstate;
	iov.iov_len = size;
	if (ptrace(PTRACE_GETREGSET, t->info.tid, (void *)NT_X86_XSTATE, &iov))
		return thread_ptrace_error(t, -errno, "can't read the extended state");
	t->info.xstate = t->xstate;
	t->info.xstate_size = iov.iov_len;
	return 0;
}

/* Read the signals queued for @tid (or its whole task): a new array in *@out. */
static int peek_siginfo(pid_t tid, bool shared, siginfo_t **out, unsigned int *nr)
{
	struct __ptrace_peeksiginfo_args args = { .flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0 };
	siginfo_t *si = NULL;
	unsigned int n = 0, alloc = 0;

	for (;;) {
		long got;

		if (n == alloc) {
			siginfo_t *p;

			alloc = alloc ? alloc * 2 : 16;
			p = realloc(si, alloc * sizeof(*si));
			if (!p) {
				free(si);
				return -ENOMEM;
			}
			si = p;
		}
		args.off = n;
		args.nr = alloc - n;
		got = ptrace(PTRACE_PEEKSIGINFO, tid, &args, si + n);
		if (got < 0) {
			int r = -errno;

			free(si);
			return pr_err_ret(r, "can't read the pending signals of %d", tid);
		}
		if (got == 0)
			break;
		n += got;
	}
	free(*out);
	*out = si;
	*nr = n;
	return 0;
}

int thread_read_state(struct parasite_ctl *ctl, struct thread *t, bool pending)
{
	int r;

	r = thread_get_regs(t, &t->info.regs);
	if (r)
		return r;
	r = read_xstate(t);
	if (r)
		return r;
	if (ptrace(PTRACE_GETSIGMASK, t->info.tid, (void *)sizeof(t->info.sigmask), &t->info.sigmask))
		return thread_ptrace_error(t, -errno, "can't read the signal mask");
	if (pending) {
		r = peek_siginfo(t->info.tid, false, &t->pending, &t->info.nr_pending);
		if (r)
			return r;
		t->info.pending = t->pending;
	}
	return 0;
}

int task_read_shared_pending(struct parasite_ctl *ctl)
{
	int r = peek_siginfo(ctl->threads[0].info.tid, true, &ctl->shared_pending, &ctl->info.nr_shared_pending);

	ctl->info.shared_pending = ctl->shared_pending;
	return r;
}

static struct thread *resting_thread(struct parasite_ctl *ctl, unsigned int i)
{
	struct thread *t = ctl_thread(ctl, i);

	if (!t) {
		pr_err("thread %u of %d: no such seized thread\n", i, ctl ? ctl->info.pid : 0);
		return NULL;
	}
	if (t->dead || t->stop != STOP_TRAP) {
		pr_err("thread %d is not stopped in its trap\n", t->info.tid);
		return NULL;
	}
	return t;
}

int compel_set_regs(struct parasite_ctl *ctl, unsigned int i, const compel_regs_t *regs)
{
	struct thread *t = resting_thread(ctl, i);
	int r;

	if (!t)
		return ctl && ctl->dead ? -ESRCH : -EINVAL;
	r = thread_put_regs(t, regs);
	if (r)
		return r;
	/* Read back: the kernel may have refused or adjusted a field. */
	return thread_get_regs(t, &t->info.regs);
}

int compel_set_xstate(struct parasite_ctl *ctl, unsigned int i, const void *buf, size_t size)
{
	struct thread *t = resting_thread(ctl, i);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = size };

	if (!t)
		return ctl && ctl->dead ? -ESRCH : -EINVAL;
	if (ptrace(PTRACE_SETREGSET, t->info.tid, (void *)NT_X86_XSTATE, &iov))
		return thread_ptrace_error(t, -errno, "can't write the extended state");
	return read_xstate(t);
}

int compel_set_sigmask(struct parasite_ctl *ctl, unsigned int i, uint64_t mask)
{
	struct thread *t = resting_thread(ctl, i);

	if (!t)
		return ctl && ctl->dead ? -ESRCH : -EINVAL;
	if (ptrace(PTRACE_SETSIGMASK, t->info.tid, (void *)sizeof(mask), &mask))
		return thread_ptrace_error(t, -errno, "can't write the signal mask");
	if (ptrace(PTRACE_GETSIGMASK, t->info.tid, (void *)sizeof(mask), &t->info.sigmask))
		return thread_ptrace_error(t, -errno, "can't read the signal mask");
	return 0;
}
