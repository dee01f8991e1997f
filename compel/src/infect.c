/*
 * Infection: load a parasite blob into the seized task and talk to it.
 *
 * The shared area is a memfd created in the task by a remote memfd_create,
 * taken into criu with pidfd_getfd() and mapped on both sides; the
 * transport is a SOCK_SEQPACKET socketpair made in the task the same way
 * (one end stays in the task for the runtime, the other comes to criu).
 * Nothing needs a path or an abstract socket name, so the task's mount or
 * network namespace does not matter.  Area layout, each part aligned:
 *
 *	| blob image | bss | struct compel_control | args | daemon stack | thread stack |
 *
 * The runtime serves commands in the leader (the daemon) until FINI; a
 * command for another thread starts the runtime in that thread for one
 * command.  A thread that ran parasite code is always brought back into
 * its get_signal() trap and given its saved registers and extended state
 * (compel_syscall()'s rule): a signal dequeued in parasite context after
 * the runtime put the mask back is delivered with the saved registers; a
 * fault of the parasite's own is dropped and reported.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "rpc.h"

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define STACK_SIZE (64 << 10)

static inline size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static inline unsigned int min_u(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}
#define PAGE	    4096UL
#define ALIGN(x, a) (((x) + (a)-1) & ~((a)-1))

/* Poll the transport this long before looking whether the thread stopped. */
#define POLL_MS 100

static int rcall(struct parasite_ctl *ctl, long *ret, long nr, unsigned long a0, unsigned long a1, unsigned long a2,
		 unsigned long a3, unsigned long a4, unsigned long a5)
{
	const unsigned long args[6] = { a0, a1, a2, a3, a4, a5 };
	int r = compel_syscall(ctl, 0, nr, ret, args);

	if (r)
		return r;
	if ((unsigned long)*ret > -4096UL)
		return (int)*ret;
	return 0;
}

static struct compel_control *control(struct parasite_ctl *ctl)
{
	return (struct compel_control *)(ctl->inf.lbase + ctl->inf.control);
}

int compel_parasite_traces(const struct parasite_ctl *ctl, int *fd, unsigned long *addr, size_t *size)
{
	if (!ctl->inf.active)
		return -EINVAL;
	*fd = ctl->inf.rsock;
	*addr = ctl->inf.rbase;
	*size = ctl->inf.size;
	return 0;
}

void *compel_args(struct parasite_ctl *ctl)
{
	return ctl->inf.active ? ctl->inf.lbase + ctl->inf.args : NULL;
}

/* Give @t its saved registers and extended state back. */
static int put_saved_state(struct thread *t)
{
	struct iovec iov = { t->xstate, t->info.xstate_size };
	int r = thread_put_regs(t, &t->info.regs);

	if (r)
		return r;
	if (ptrace(PTRACE_SETREGSET, t->info.tid, (void *)NT_X86_XSTATE, &iov))
		return thread_ptrace_error(t, -errno, "can't restore the extended state");
	return 0;
}

static bool is_fault(const siginfo_t *si)
{
	switch (si->si_signo) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
	case SIGSYS:
		return si->si_code > 0; /* raised by the CPU, not sent */
	}
	return false;
}

/*
 * @t ran parasite code: trap it, give it its saved state back, and leave it
 * resting.  A signal it dequeued in parasite context is delivered with the
 * saved registers, unless it is a fault of the parasite's own (dropped,
 * -EFAULT).
 */
static int park_thread(struct parasite_ctl *ctl, struct thread *t)
{
	int k, sig = 0, r, fault = 0;
	siginfo_t si;

	if (t->stop == STOP_NONE) {
		if (ptrace(PTRACE_INTERRUPT, t->info.tid, NULL, NULL))
			return thread_ptrace_error(t, -errno, "can't interrupt the parasite");
		/* Whatever trap comes now is ours: in a stopped task it reports
		 * the stop signal rather than SIGTRAP. */
		k = thread_wait_stop(ctl, t, &sig);
		if (k < 0)
			return k;
	}
	if (t->stop == STOP_SIGNAL) {
		if (ptrace(PTRACE_GETSIGINFO, t->info.tid, NULL, &si))
			return thread_ptrace_error(t, -errno, "can't read the signal");
		sig = si.si_signo;
		if (is_fault(&si)) {
			compel_regs_t regs;

			if (!thread_get_regs(t, &regs))
				pr_err("parasite in thread %d got signal %d at ip %#lx (area %#lx)\n", t->info.tid, sig,
				       arch_get_ip(&regs), ctl->inf.rbase);
			sig = 0;
			fault = -EFAULT;
		}
	}
	r = put_saved_state(t);
	if (r)
		return r;
	if (t->stop != STOP_TRAP) {
		r = thread_settle(ctl, t, sig);
		if (r < 0)
			return r;
		if (r > 0) {
			r = thread_refresh_state(ctl, t);
			if (r)
				return r;
		}
	}
	return fault;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * @t stopped (stop kind @k, signal @sig) while running the runtime started
 * with @s.  0: it was resumed, keep waiting; -EAGAIN: a signal came before
 * the runtime did anything (deliver it, start again); -EINTR: a signal came
 * once the runtime was done and had put the mask back; else an error.
 */
static int thread_stopped_in_parasite(struct parasite_ctl *ctl, struct thread *t, int k, int sig,
				      const struct compel_start *s)
{
	compel_regs_t regs;
	siginfo_t si;
	int r;

	if (k == STOP_TRAP) {
		/* The task entered a group stop: it counts as stopped; go on. */
		if (ptrace(PTRACE_CONT, t->info.tid, NULL, NULL))
			return thread_ptrace_error(t, -errno, "can't resume the parasite");
		t->stop = STOP_NONE;
		return 0;
	}
	if (k != STOP_SIGNAL)
		return pr_err_ret(-EIO, "thread %d: unexpected stop %d in the parasite", t->info.tid, k);
	if (ptrace(PTRACE_GETSIGINFO, t->info.tid, NULL, &si))
		return thread_ptrace_error(t, -errno, "can't read the signal");
	r = thread_get_regs(t, &regs);
	if (r)
		return r;
	if (is_fault(&si)) {
		pr_err("parasite in thread %d of %d got signal %d at ip %#lx (area at %#lx)\n", t->info.tid,
		       ctl->info.pid, sig, arch_get_ip(&regs), ctl->inf.rbase);
		return -EFAULT;
	}
	if (is_stop_signal(sig)) {
		/* SIGSTOP cannot be blocked: let the task take it, then go on. */
		if (ptrace(PTRACE_CONT, t->info.tid, NULL, (void *)(long)sig))
			return thread_ptrace_error(t, -errno, "can't resume the parasite");
		t->stop = STOP_NONE;
		return 0;
	}
	switch (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) {
	case COMPEL_STATE_NEW:
		return -EAGAIN;
	case COMPEL_STATE_DONE:
		return -EINTR;
	}
	return pr_err_ret(-EIO, "thread %d: signal %d reached the parasite with signals blocked", t->info.tid, sig);
}

/* The transport broke: -ESRCH if the task died (give it 2 s), else -EPIPE. */
static int hung_up(struct parasite_ctl *ctl, struct thread *t)
{
	for (int i = 0; i < 400 && !ctl->dead && !t->dead; i++) {
		int sig, k = thread_poll_stop(ctl, t, &sig);

		if (k != 0)
			break;
		usleep(5000);
	}
	if (ctl->dead || t->dead)
		return -ESRCH;
	return pr_err_ret(-EPIPE, "the parasite of %d hung up", ctl->info.pid);
}

/*
 * Wait for a message from the runtime run by @t, with up to @max fds
 * attached (*@nfds: how many came).  While waiting, a stop of @t is looked
 * at: a stop signal lets the task enter its group stop and the runtime
 * go on; else see thread_stopped_in_parasite() (@s: how the runtime was
 * started).
 */
static int wait_msg(struct parasite_ctl *ctl, struct thread *t, const struct compel_start *s, struct compel_msg *m,
		    int *fds, unsigned int max, unsigned int *nfds)
{
	char cbuf[CMSG_SPACE(COMPEL_FDS_PER_MSG * sizeof(int))];

	if (t->dead || t->stop != STOP_NONE)
		return pr_err_ret(t->dead ? -ESRCH : -EPIPE, "the parasite in thread %d is not running", t->info.tid);
	/* Short waits first: a stop of the thread has no other way to show. */
	for (int ms = 1;; ms = ms * 2 > POLL_MS ? POLL_MS : ms * 2) {
		struct pollfd p = { .fd = ctl->inf.sock, .events = POLLIN };
		int k, sig, r = poll(&p, 1, ms);

		if (r < 0 && errno != EINTR)
			return pr_err_ret(-errno, "waiting for the parasite of %d", ctl->info.pid);
		if (r > 0) {
			struct iovec iov = { m, sizeof(*m) };
			struct msghdr h = {
				.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)
			};
			ssize_t n = recvmsg(ctl->inf.sock, &h, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
				return hung_up(ctl, t); /* the task's end closed */
			if (n < 0)
				return pr_err_ret(-errno, "receiving from the parasite of %d", ctl->info.pid);
			if (n != sizeof(*m))
				return pr_err_ret(-EPROTO, "a message of %zd bytes from the parasite", n);
			*nfds = 0;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
					continue;
				unsigned int got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				int *in = (int *)CMSG_DATA(c);

				for (unsigned int i = 0; i < got; i++) {
					if (*nfds < max)
						fds[(*nfds)++] = in[i];
					else
						close(in[i]);
				}
			}
			if (h.msg_flags & MSG_CTRUNC)
				return pr_err_ret(-EMFILE, "fds from the parasite of %d were cut short", ctl->info.pid);
			return 0;
		}

		/* Nothing yet: is the thread still running the runtime? */
		k = thread_poll_stop(ctl, t, &sig);
		if (k == 0)
			continue;
		if (k < 0)
			return k;
		r = thread_stopped_in_parasite(ctl, t, k, sig, s);
		if (r)
			return r;
	}
}

/* Start the runtime in @t: entry, the stack top and struct compel_start at offsets. */
static int start_runtime(struct parasite_ctl *ctl, struct thread *t, size_t start_off, size_t stack_top)
{
	compel_regs_t regs = t->info.regs;
	unsigned long b = ctl->inf.rbase;
	int r;

	arch_setup_call(&regs, b + ctl->inf.entry, b + stack_top, b + start_off);
	r = thread_put_regs(t, &regs);
	if (r)
		return r;
	if (ptrace(PTRACE_CONT, t->info.tid, NULL, NULL))
		return thread_ptrace_error(t, -errno, "can't start the parasite");
	t->stop = STOP_NONE;
	return 0;
}

/* Take a message the runtime may have sent before it stopped for good. */
static void drain_msg(struct parasite_ctl *ctl)
{
	struct compel_msg m;

	while (recv(ctl->inf.sock, &m, sizeof(m), MSG_DONTWAIT) > 0)
		;
}

/*
 * Start the runtime in @t (struct compel_start @s at @start_off) and wait
 * for its first message into @m.  A signal due before the runtime did
 * anything is delivered first (with the saved registers) and the runtime
 * started again.  -EINTR: the runtime finished (s->result) but a signal
 * stopped it before it could answer.
 */
static int run_runtime(struct parasite_ctl *ctl, struct thread *t, struct compel_start *s, size_t start_off,
		       size_t stack_top, struct compel_msg *m)
{
	unsigned int nfds;
	siginfo_t si;

	for (int attempt = 0; attempt < 32; attempt++) {
		int r;

		s->state = COMPEL_STATE_NEW;
		r = start_runtime(ctl, t, start_off, stack_top);
		if (r)
			return r;
		r = wait_msg(ctl, t, s, m, NULL, 0, &nfds);
		if (r != -EAGAIN)
			return r;
		if (ptrace(PTRACE_GETSIGINFO, t->info.tid, NULL, &si))
			return thread_ptrace_error(t, -errno, "can't read the signal");
		r = put_saved_state(t);
		if (r)
			return r;
		r = thread_settle(ctl, t, si.si_signo);
		if (r < 0)
			return r;
		r = thread_refresh_state(ctl, t);
		if (r)
			return r;
	}
	return pr_err_ret(-EAGAIN, "thread %d keeps receiving signals; parasite not started", t->info.tid);
}

/* Send command @cmd to the daemon with @nr fds attached. */
static int send_cmd_fds(struct parasite_ctl *ctl, uint32_t cmd, const int *fds, unsigned int nr)
{
	struct compel_msg m = { .cmd = cmd };
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nr) {
		struct cmsghdr *c;

		h.msg_control = cbuf;
		h.msg_controllen = CMSG_SPACE(nr * sizeof(int));
		c = CMSG_FIRSTHDR(&h);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nr * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nr * sizeof(int));
	}
	if (sendmsg(ctl->inf.sock, &h, MSG_NOSIGNAL) != sizeof(m)) {
		if (errno == EPIPE || errno == ECONNRESET)
			return hung_up(ctl, &ctl->threads[0]);
		return pr_err_ret(-errno, "can't send command %u to the parasite of %d", cmd, ctl->info.pid);
	}
	return 0;
}

static int send_cmd(struct parasite_ctl *ctl, uint32_t cmd, int fd)
{
	return send_cmd_fds(ctl, cmd, &fd, fd >= 0 ? 1 : 0);
}

/* The daemon's answer to @cmd. */
static int daemon_wait(struct parasite_ctl *ctl, uint32_t cmd, struct compel_msg *m)
{
	unsigned int nfds;
	int r = wait_msg(ctl, &ctl->threads[0], &control(ctl)->daemon, m, NULL, 0, &nfds);

	if (r) {
		if (ctl->threads[0].stop != STOP_NONE)
			ctl->inf.daemon = false; /* it stopped for good */
		return r;
	}
	if (m->cmd != cmd)
		return pr_err_ret(-EPROTO, "the parasite answered %u to command %u", m->cmd, cmd);
	return 0;
}

/* Command @cmd in the daemon, with @fd attached if >= 0; its answer in @m. */
static int daemon_call(struct parasite_ctl *ctl, uint32_t cmd, int fd, struct compel_msg *m)
{
	int r = send_cmd(ctl, cmd, fd);

	return r ?: daemon_wait(ctl, cmd, m);
}

static int active_check(struct parasite_ctl *ctl)
{
	if (!ctl->inf.active)
		return pr_err_ret(-EINVAL, "task %d is not infected", ctl->info.pid);
	if (ctl->dead)
		return -ESRCH;
	return 0;
}

int compel_rpc(struct parasite_ctl *ctl, unsigned int i, unsigned int cmd, int *ret)
{
	struct compel_control *c = control(ctl);
	struct compel_msg m;
	struct thread *t;
	int r;

	r = active_check(ctl);
	if (r)
		return r;
	if (cmd < COMPEL_CMD_USER)
		return pr_err_ret(-EINVAL, "command %u is the runtime's", cmd);
	if (i == 0) {
		r = daemon_call(ctl, cmd, -1, &m);
		if (!r)
			*ret = m.ret;
		return r;
	}
	t = ctl_thread(ctl, i);
	if (!t || t->dead || t->stop != STOP_TRAP)
		return pr_err_ret(-EINVAL, "thread %u of %d is not resting", i, ctl->info.pid);
	c->thread = (struct compel_start){
		.mode = COMPEL_MODE_THREAD,
		.cmd = cmd,
		.sock = ctl->inf.rsock,
		.args = ctl->inf.rbase + ctl->inf.args,
		.args_size = ctl->inf.args_size,
	};
	c->thread.saved_mask = t->info.sigmask;
	r = run_runtime(ctl, t, &c->thread, ctl->inf.control + offsetof(struct compel_control, thread),
			ctl->inf.thread_stack, &m);
	if (r == -EINTR) {
		/* Done, but a signal came before the answer: it is delivered now. */
		drain_msg(ctl);
		m.cmd = cmd;
		m.ret = c->thread.result;
		r = 0;
	}
	if (r == -ESRCH)
		return r;
	int r2 = park_thread(ctl, t);
	/* It failed before it put the mask back. */
	if (r && !r2 && ptrace(PTRACE_SETSIGMASK, t->info.tid, (void *)sizeof(uint64_t), &c->thread.saved_mask))
		pr_warn("can't put the signal mask of %d back\n", t->info.tid);
	if (!r && m.cmd != cmd)
		r = pr_err_ret(-EPROTO, "thread %d answered %u to command %u", t->info.tid, m.cmd, cmd);
	if (!r)
		*ret = m.ret;
	return r ?: r2;
}

/* ----------------------------------------------------------- infect */
static int remote_write(pid_t pid, unsigned long addr, const void *buf, size_t len)
{
	struct iovec l = { (void *)buf, len }, rem = { (void *)addr, len };

	if (process_vm_writev(pid, &l, 1, &rem, 1, 0) != (ssize_t)len)
		return pr_err_ret(-errno, "can't write %zu bytes into %d at %#lx", len, pid, addr);
	return 0;
}

static int remote_read(pid_t pid, unsigned long addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, rem = { (void *)addr, len };

	if (process_vm_readv(pid, &l, 1, &rem, 1, 0) != (ssize_t)len)
		return pr_err_ret(-errno, "can't read %zu bytes of %d at %#lx", len, pid, addr);
	return 0;
}

/* Take the task's fd @rfd into criu. */
static int grab_fd(int pidfd, int rfd)
{
	int fd = syscall(SYS_pidfd_getfd, pidfd, rfd, 0);

	if (fd < 0)
		return pr_err_ret(-errno, "pidfd_getfd(%d)", rfd);
	return fd;
}

static void layout(struct infection *inf, const struct compel_blob *blob, size_t args_size)
{
	size_t off = ALIGN(blob->size + blob->bss_size, 64);

	inf->entry = blob->entry;
	inf->control = off;
	off += ALIGN(sizeof(struct compel_control), 64);
	inf->args = off;
	inf->args_size = ALIGN(args_size, 64);
	off = ALIGN(off + inf->args_size, PAGE);
	inf->daemon_stack = off += STACK_SIZE;
	inf->thread_stack = off += STACK_SIZE;
	inf->size = off;
}

/* The shared area and the transport, made in the task and taken here. */
static int make_area(struct parasite_ctl *ctl, int pidfd, unsigned long scratch)
{
	struct infection *inf = &ctl->inf;
	pid_t pid = ctl->info.pid;
	long rfd, rbase, ret;
	int lfd, sv[2], r;

	r = remote_write(pid, scratch, "compel-parasite", 16);
	if (r)
		return r;
	r = rcall(ctl, &rfd, SYS_memfd_create, scratch, MFD_CLOEXEC | MFD_EXEC, 0, 0, 0, 0);
	if (r == -EINVAL) /* a kernel before MFD_EXEC */
		r = rcall(ctl, &rfd, SYS_memfd_create, scratch, MFD_CLOEXEC, 0, 0, 0, 0);
	if (r)
		return pr_err_ret(r, "remote memfd_create in %d", pid);
	lfd = grab_fd(pidfd, rfd);
	if (lfd < 0) {
		r = lfd;
		goto out_rfd;
	}
	if (ftruncate(lfd, inf->size)) {
		r = pr_err_ret(-errno, "can't size the parasite area");
		goto out_lfd;
	}
	r = rcall(ctl, &rbase, SYS_mmap, 0, inf->size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED, rfd, 0);
	if (r) {
		pr_err_ret(r, "remote mmap of the parasite area in %d", pid);
		goto out_lfd;
	}
	inf->lbase = mmap(NULL, inf->size, PROT_READ | PROT_WRITE, MAP_SHARED, lfd, 0);
	if (inf->lbase == MAP_FAILED) {
		r = pr_err_ret(-errno, "can't map the parasite area");
		inf->lbase = NULL;
		rcall(ctl, &ret, SYS_munmap, rbase, inf->size, 0, 0, 0, 0);
		goto out_lfd;
	}
	inf->rbase = rbase;
	close(lfd);
	rcall(ctl, &ret, SYS_close, rfd, 0, 0, 0, 0, 0);

	r = rcall(ctl, &ret, SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, scratch, 0, 0);
	if (r)
		return pr_err_ret(r, "remote socketpair in %d", pid);
	r = remote_read(pid, scratch, sv, sizeof(sv));
	if (r)
		return r;
	inf->rsock = sv[1];
	inf->sock = grab_fd(pidfd, sv[0]);
	rcall(ctl, &ret, SYS_close, sv[0], 0, 0, 0, 0, 0);
	return inf->sock < 0 ? inf->sock : 0;

out_lfd:
	close(lfd);
out_rfd:
	rcall(ctl, &ret, SYS_close, rfd, 0, 0, 0, 0, 0);
	return r;
}

/* Undo what infection did in the task and here (best effort). */
static void unmake_area(struct parasite_ctl *ctl)
{
	struct infection *inf = &ctl->inf;
	long ret;

	if (!ctl->dead) {
		if (inf->rbase)
			rcall(ctl, &ret, SYS_munmap, inf->rbase, inf->size, 0, 0, 0, 0);
		if (inf->rsock >= 0)
			rcall(ctl, &ret, SYS_close, inf->rsock, 0, 0, 0, 0, 0);
	}
	if (inf->lbase)
		munmap(inf->lbase, inf->size);
	if (inf->sock >= 0)
		close(inf->sock);
	memset(inf, 0, sizeof(*inf));
	inf->sock = inf->rsock = -1;
}

static void load_blob(struct infection *inf, const struct compel_blob *blob)
{
	memcpy(inf->lbase, blob->image, blob->size);
	memset(inf->lbase + blob->size, 0, inf->size - blob->size);
	for (unsigned int i = 0; i < blob->nr_relocs; i++) {
		uint64_t v;

		memcpy(&v, inf->lbase + blob->relocs[i], 8);
		v += inf->rbase;
		memcpy(inf->lbase + blob->relocs[i], &v, 8);
	}
}

int compel_infect(struct parasite_ctl *ctl, const struct compel_blob *blob, size_t args_size)
{
	struct infection *inf = &ctl->inf;
	struct thread *t = ctl_thread(ctl, 0);
	struct compel_msg m;
	long scratch, ret;
	int pidfd, r;

	if (!t || t->dead)
		return ctl->dead ? -ESRCH : pr_err_ret(-EINVAL, "nothing to infect in %d", ctl->info.pid);
	if (inf->active)
		return pr_err_ret(-EBUSY, "%d is infected already", ctl->info.pid);
	if (t->stop != STOP_TRAP)
		return pr_err_ret(-EINVAL, "the leader of %d is not resting", ctl->info.pid);
	if (blob->entry >= blob->size)
		return pr_err_ret(-EINVAL, "blob entry %zu out of its %zu bytes", blob->entry, blob->size);
	memset(inf, 0, sizeof(*inf));
	inf->sock = inf->rsock = -1;
	layout(inf, blob, args_size);

	pidfd = syscall(SYS_pidfd_open, ctl->info.pid, 0);
	if (pidfd < 0)
		return pr_err_ret(-errno, "pidfd_open(%d)", ctl->info.pid);
	r = rcall(ctl, &scratch, SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r) {
		close(pidfd);
		return pr_err_ret(r, "remote mmap in %d", ctl->info.pid);
	}
	r = make_area(ctl, pidfd, scratch);
	rcall(ctl, &ret, SYS_munmap, scratch, PAGE, 0, 0, 0, 0);
	close(pidfd);
	if (r)
		goto out_unmake;

	load_blob(inf, blob);
	control(ctl)->daemon = (struct compel_start){
		.mode = COMPEL_MODE_DAEMON,
		.sock = inf->rsock,
		.args = inf->rbase + inf->args,
		.args_size = inf->args_size,
		.saved_mask = t->info.sigmask,
	};
	inf->active = true;
	r = run_runtime(ctl, t, &control(ctl)->daemon, inf->control + offsetof(struct compel_control, daemon),
			inf->daemon_stack, &m);
	if (!r && m.cmd != COMPEL_CMD_HELLO)
		r = pr_err_ret(-EPROTO, "the parasite of %d said %u first", ctl->info.pid, m.cmd);
	if (r) {
		if (!ctl->dead && t->stop != STOP_TRAP)
			park_thread(ctl, t);
		goto out_unmake;
	}
	inf->daemon = true;
	pr_info("infected %d: parasite at %#lx, %zu bytes\n", ctl->info.pid, inf->rbase, inf->size);
	return 0;

out_unmake:
	unmake_area(ctl);
	return r;
}

int compel_cure(struct parasite_ctl *ctl)
{
	struct infection *inf = &ctl->inf;
	struct thread *t = &ctl->threads[0];
	bool mask_back = false;
	struct compel_msg m;
	int r = 0, r2;

	if (!inf->active)
		return 0;
	if (!ctl->dead && inf->daemon) {
		r = daemon_call(ctl, COMPEL_CMD_FINI, -1, &m);
		if (r == -EINTR) {
			/* Mask back, and a signal came at once: delivered now. */
			drain_msg(ctl);
			r = 0;
		}
		mask_back = !r;
	}
	if (!ctl->dead && t->stop != STOP_TRAP) {
		r2 = park_thread(ctl, t);
		r = r ?: r2;
	}
	/* The runtime did not put the mask back itself: do it here. */
	if (!ctl->dead && !mask_back && t->stop == STOP_TRAP &&
	    ptrace(PTRACE_SETSIGMASK, t->info.tid, (void *)sizeof(uint64_t), &control(ctl)->daemon.saved_mask))
		pr_warn("can't put the signal mask of %d back\n", t->info.tid);
	unmake_area(ctl);
	if (ctl->dead)
		return -ESRCH;
	if (!r)
		pr_info("cured %d\n", ctl->info.pid);
	return r;
}

/* --------------------------------------------------------- fds, pages */
int compel_get_fds(struct parasite_ctl *ctl, const int *fds, unsigned int nr, int *out)
{
	struct compel_fds_args *a = compel_args(ctl);
	unsigned int per = 0, done = 0;
	int r = active_check(ctl);

	if (r)
		return r;
	if (ctl->inf.args_size > sizeof(*a))
		per = (ctl->inf.args_size - sizeof(*a)) / sizeof(int);
	if (!per)
		return pr_err_ret(-E2BIG, "no room in the argument area for fds");
	while (done < nr) {
		unsigned int n = min_u(nr - done, per), got = 0;
		struct compel_msg m;

		a->nr = n;
		memcpy(a->fds, fds + done, n * sizeof(int));
		r = send_cmd(ctl, COMPEL_CMD_SEND_FDS, -1);
		for (unsigned int k; !r;) {
			r = wait_msg(ctl, &ctl->threads[0], &control(ctl)->daemon, &m, out + done + got, n - got, &k);
			if (r || !k)
				break; /* the final answer carries no fds */
			got += k;
		}
		if (!r && m.ret < 0)
			r = pr_err_ret(m.ret, "the parasite of %d could not send its fds", ctl->info.pid);
		if (!r && got != n)
			r = pr_err_ret(-EPROTO, "%u fds of %u came from %d", got, n, ctl->info.pid);
		if (r) {
			for (unsigned int i = 0; i < got; i++)
				close(out[done + i]);
			break;
		}
		done += n;
	}
	if (r)
		for (unsigned int i = 0; i < done; i++)
			close(out[i]);
	return r;
}

/* Move @len bytes from the pipe @in to @fd. */
static int drain(int in, int fd, size_t len)
{
	while (len) {
		ssize_t n = splice(in, NULL, fd, NULL, len, SPLICE_F_MOVE | SPLICE_F_MORE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pr_err_ret(-errno, "splice into fd %d", fd);
		if (n == 0)
			return -EPIPE; /* the parasite stopped early: its answer says why */
		len -= n;
	}
	return 0;
}

/* A pipe as large as we may make it; its size in *@size. */
static int big_pipe(int p[2], size_t *size)
{
	int n;

	if (pipe2(p, O_CLOEXEC))
		return pr_err_ret(-errno, "pipe");
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* pipe-max-size without CAP_SYS_RESOURCE */
	n = fcntl(p[1], F_GETPIPE_SZ);
	*size = n > 0 ? (size_t)n : 65536;
	return 0;
}

/*
 * One batch of ranges (@total bytes) that fits the argument area: the task
 * fills one pipe while we drain the other, @chunk bytes at a time.
 */
static int dump_batch(struct parasite_ctl *ctl, int fd, size_t total)
{
	struct compel_pages_args *a = compel_args(ctl);
	int p[2][2], w[2], r, d = 0;
	size_t size[2];
	struct compel_msg m;

	r = big_pipe(p[0], &size[0]);
	if (r)
		return r;
	r = big_pipe(p[1], &size[1]);
	if (r) {
		close(p[0][0]);
		close(p[0][1]);
		return r;
	}
	a->nr_pipes = 2;
	a->chunk = min_u(size[0], size[1]);
	w[0] = p[0][1];
	w[1] = p[1][1];
	r = send_cmd_fds(ctl, COMPEL_CMD_DUMP_PAGES, w, 2);
	close(p[0][1]);
	close(p[1][1]);
	if (!r) {
		for (size_t done = 0, k = 0; done < total && !d; done += a->chunk, k++)
			d = drain(p[k & 1][0], fd, min_sz(a->chunk, total - done)); /* total may pass 4 GiB */
		/* Every byte the task sent must have been taken, in order. */
		for (int i = 0, left = 0; i < 2 && !d; i++)
			if (ioctl(p[i][0], FIONREAD, &left) == 0 && left)
				d = pr_err_ret(-EPROTO, "%d bytes of %d's pages left in a pipe", left, ctl->info.pid);
		/* Unread data or a closed pipe makes the task's side stop too. */
		close(p[0][0]);
		close(p[1][0]);
		r = daemon_wait(ctl, COMPEL_CMD_DUMP_PAGES, &m);
		if (!r && m.ret < 0)
			r = pr_err_ret(m.ret, "the parasite of %d could not splice its pages", ctl->info.pid);
		return r ?: d;
	}
	close(p[0][0]);
	close(p[1][0]);
	return r;
}

int compel_dump_pages(struct parasite_ctl *ctl, const struct iovec *iov, unsigned int nr, int fd)
{
	struct compel_pages_args *a = compel_args(ctl);
	unsigned int per = 0, done = 0;
	int r = active_check(ctl);

	if (r)
		return r;
	if (ctl->inf.args_size > sizeof(*a))
		per = (ctl->inf.args_size - sizeof(*a)) / sizeof(a->iov[0]);
	if (!per)
		return pr_err_ret(-E2BIG, "no room in the argument area for page ranges");
	while (done < nr && !r) {
		unsigned int n = min_u(nr - done, per);
		size_t total = 0;

		a->nr = n;
		for (unsigned int i = 0; i < n; i++) {
			a->iov[i][0] = (uint64_t)iov[done + i].iov_base;
			a->iov[i][1] = iov[done + i].iov_len;
			total += iov[done + i].iov_len;
		}
		r = dump_batch(ctl, fd, total);
		done += n;
	}
	return r;
}
