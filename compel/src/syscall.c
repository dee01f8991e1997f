/*
 * Remote syscalls.  The syscall instruction is written over the first bytes
 * of an executable private mapping of the task (the original word is kept
 * and written back after each call), the thread's registers are loaded with
 * the call and it is resumed with PTRACE_SYSCALL: it stops on entry and on
 * exit, where ax holds the result.  No breakpoint and no signal is used, so
 * the task's signal dispositions and mask are never touched.
 *
 * Putting the thread back: at the exit stop its saved registers are loaded
 * again (for a thread seized inside a blocking syscall: ax = -ERESTART*,
 * orig_ax = the syscall), then PTRACE_INTERRUPT + PTRACE_CONT make it trap
 * once more inside get_signal(), before any signal is dequeued.  From that
 * trap the kernel does, when we let go, what it would have done at the first
 * one: restart the syscall (-ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND:
 * ip -= 2 and ax = orig_ax; -ERESTART_RESTARTBLOCK: restart_syscall with
 * the untouched restart block) or deliver a signal that came meanwhile with
 * the usual EINTR/SA_RESTART rules.  Our own syscall runs with orig_ax = -1
 * so that the kernel applies no restart to it.
 *
 * A signal dequeued before our syscall starts (it was pending and unblocked
 * when the thread was seized, or arrived since) is delivered right there
 * with the saved registers, exactly as it would have been; the thread runs
 * its handler, is trapped again, its state is re-read and the call retried.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "internal.h"

/* The first executable private mapping, not the kernel's special ones. */
int find_syscall_ip(struct parasite_ctl *ctl)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", ctl->info.pid);
	f = fopen(path, "re");
	if (!f)
		return pr_err_ret(-errno, "can't open %s", path);
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[5];
		int name = 0;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end, perms, &name) < 3)
			continue;
		if (perms[2] != 'x' || perms[3] != 'p' || end - start < sizeof(long))
			continue;
		if (name && line[name] == '[')
			continue; /* [vdso], [vsyscall], [uprobes] */
		ctl->syscall_ip = start;
		break;
	}
	fclose(f);
	if (!ctl->syscall_ip)
		return pr_err_ret(-ENOENT, "task %d has no executable private mapping for remote syscalls",
				  ctl->info.pid);
	pr_debug("remote syscalls of %d run at %#lx\n", ctl->info.pid, ctl->syscall_ip);
	return 0;
}

static int peek_word(struct parasite_ctl *ctl, struct thread *t, unsigned long addr, long *word)
{
	errno = 0;
	*word = ptrace(PTRACE_PEEKDATA, t->info.tid, (void *)addr, NULL);
	if (errno)
		return thread_ptrace_error(t, -errno, "can't read the code to replace");
	return 0;
}

static int poke_word(struct parasite_ctl *ctl, struct thread *t, unsigned long addr, long word)
{
	if (ptrace(PTRACE_POKEDATA, t->info.tid, (void *)addr, (void *)word))
		return thread_ptrace_error(t, -errno, "can't write code");
	return 0;
}

/*
 * Resume @t with signal @sig (0: none) and bring it back to rest in its
 * interrupt trap.  Signals it dequeues on the way are delivered to it.
 * Returns the number of signals delivered (its state changed if > 0).
 */
int thread_settle(struct parasite_ctl *ctl, struct thread *t, int sig)
{
	int delivered = sig ? 1 : 0;

	if (ptrace(PTRACE_INTERRUPT, t->info.tid, NULL, NULL))
		return thread_ptrace_error(t, -errno, "can't interrupt");
	for (;;) {
		int k;

		if (ptrace(PTRACE_CONT, t->info.tid, NULL, (void *)(long)sig))
			return thread_ptrace_error(t, -errno, "can't resume");
		t->stop = STOP_NONE;
		k = thread_wait_stop(ctl, t, &sig);
		if (k < 0)
			return k;
		if (k == STOP_TRAP)
			return delivered;
		if (k == STOP_SIGNAL) {
			pr_debug("thread %d: delivering signal %d\n", t->info.tid, sig);
			delivered++;
		} else {
			sig = 0;
		}
	}
}

/* After the thread moved on (a handler ran): its saved state is new. */
int thread_refresh_state(struct parasite_ctl *ctl, struct thread *t)
{
	return thread_read_state(ctl, t, false);
}

/* Resume with PTRACE_SYSCALL and wait for the next stop that matters. */
static int resume_syscall(struct parasite_ctl *ctl, struct thread *t, int *sig)
{
	for (;;) {
		int k;

		if (ptrace(PTRACE_SYSCALL, t->info.tid, NULL, NULL))
			return thread_ptrace_error(t, -errno, "can't resume");
		t->stop = STOP_NONE;
		k = thread_wait_stop(ctl, t, sig);
		/* A group-stop trap on the way: the task is now stopped; go on. */
		if (k != STOP_TRAP)
			return k;
	}
}

/* 0: done, *ret set; -EAGAIN: a signal was delivered first, try again. */
static int syscall_once(struct parasite_ctl *ctl, struct thread *t, long nr, long *ret, const unsigned long args[6])
{
	unsigned long ip = ctl->syscall_ip;
	compel_regs_t regs = t->info.regs;
	long orig_word, word;
	int k, sig, r, r2;

	r = peek_word(ctl, t, ip, &orig_word);
	if (r)
		return r;
	word = orig_word;
	memcpy(&word, arch_syscall_insn, arch_syscall_insn_len);
	r = poke_word(ctl, t, ip, word);
	if (r)
		return r;
	arch_setup_syscall(&regs, ip, nr, args);
	r = thread_put_regs(t, &regs);
	if (r)
		goto out_code;

	k = resume_syscall(ctl, t, &sig);
	if (k == STOP_SIGNAL) {
		/* Not in our syscall yet: the task takes its signal first. */
		r = poke_word(ctl, t, ip, orig_word) ?: thread_put_regs(t, &t->info.regs);
		if (r)
			return r;
		r = thread_settle(ctl, t, sig);
		if (r < 0)
			return r;
		r = thread_refresh_state(ctl, t);
		return r ?: -EAGAIN;
	}
	if (k == STOP_SYSCALL) {
		r = thread_get_regs(t, &regs);
		if (!r && arch_get_ip(&regs) != ip + arch_syscall_insn_len)
			r = pr_err_ret(-EIO, "thread %d entered a syscall at %#lx, not ours", t->info.tid,
				       arch_get_ip(&regs));
		if (!r) {
			k = resume_syscall(ctl, t, &sig);
			if (k == STOP_SYSCALL) {
				r = thread_get_regs(t, &regs);
				*ret = arch_syscall_result(&regs);
			} else if (k >= 0) {
				r = pr_err_ret(-EIO, "thread %d: unexpected stop %d in a remote syscall", t->info.tid,
					       k);
			}
		}
	}
	if (k < 0)
		return k; /* gone */

out_code:
	r2 = poke_word(ctl, t, ip, orig_word);
	r = r ?: r2;
	r2 = thread_put_regs(t, &t->info.regs);
	r = r ?: r2;
	if (t->stop != STOP_TRAP) {
		r2 = thread_settle(ctl, t, 0);
		if (r2 > 0)
			r2 = thread_refresh_state(ctl, t);
		r = r ?: r2;
	}
	/* A mask that ppoll & co. were to put back is in place now. */
	if (!t->dead && ptrace(PTRACE_GETSIGMASK, t->info.tid, (void *)sizeof(t->info.sigmask), &t->info.sigmask))
		r = r ?: thread_ptrace_error(t, -errno, "can't read the signal mask");
	return r;
}

int compel_syscall(struct parasite_ctl *ctl, unsigned int i, long nr, long *ret, const unsigned long args[6])
{
	struct thread *t = ctl_thread(ctl, i);
	int r;

	if (!t || t->dead)
		return ctl && ctl->dead ? -ESRCH : pr_err_ret(-EINVAL, "remote syscall in thread %u", i);
	if (t->stop != STOP_TRAP)
		return pr_err_ret(-EINVAL, "thread %d is not resting in its trap", t->info.tid);
	for (int attempt = 0; attempt < 32; attempt++) {
		r = syscall_once(ctl, t, nr, ret, args);
		if (r != -EAGAIN)
			return r;
	}
	return pr_err_ret(-EAGAIN, "thread %d keeps receiving signals; syscall %ld not run", t->info.tid, nr);
}
