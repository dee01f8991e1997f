/*
 * Seize and release a task: every thread is attached with PTRACE_SEIZE and
 * stopped with PTRACE_INTERRUPT, and the task's thread list is read again
 * until a pass finds no thread it had not seen (a seized thread cannot
 * clone, so this ends).  A signal that reaches a thread before the
 * interrupt trap is handed back to it; the trap comes right after.
 *
 * Every thread rests in the PTRACE_EVENT_STOP trap, inside the kernel's
 * get_signal(): from there, detaching lets the kernel finish what it was
 * doing (restart an interrupted syscall, go back into a group stop) as if
 * no one had looked.  Remote code (syscall.c) always brings a thread back to
 * such a trap before it returns.
 */
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

struct proc_status {
	char state;
	pid_t tgid;
	pid_t tracer;
	int seccomp;
	bool kthread;
};

static int read_status(const char *path, struct proc_status *st)
{
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->state = '?';
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "State:", 6))
			sscanf(line + 6, " %c", &st->state);
		else if (!strncmp(line, "Tgid:", 5))
			sscanf(line + 5, "%d", &st->tgid);
		else if (!strncmp(line, "TracerPid:", 10))
			sscanf(line + 10, "%d", &st->tracer);
		else if (!strncmp(line, "Seccomp:", 8))
			sscanf(line + 8, "%d", &st->seccomp);
		else if (!strncmp(line, "Kthread:", 8))
			st->kthread = atoi(line + 8) == 1;
	}
	fclose(f);
	return 0;
}

static int thread_status(pid_t pid, pid_t tid, struct proc_status *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	return read_status(path, st);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

struct thread *ctl_thread(struct parasite_ctl *ctl, unsigned int i)
{
	if (!ctl || ctl->dead || i >= ctl->info.nr_threads)
		return NULL;
	return &ctl->threads[i];
}

const struct compel_task_info *compel_task(const struct parasite_ctl *ctl)
{
	return &ctl->info;
}

const struct compel_thread_info *compel_thread(const struct parasite_ctl *ctl, unsigned int i)
{
	if (i >= ctl->info.nr_threads)
		return NULL;
	return &ctl->threads[i].info;
}

/*
 * Did another seized thread exit?  They rest in ptrace stops and leave only
 * when the whole task is killed.  Their exits are collected here.
 */
static bool others_died(struct parasite_ctl *ctl)
{
	bool died = false;

	for (unsigned int i = 1; i < ctl->info.nr_threads; i++) {
		struct thread *o = &ctl->threads[i];
		int status;

		if (o->dead)
			continue;
		if (waitpid(o->info.tid, &status, __WALL | WNOHANG) == o->info.tid &&
		    (WIFEXITED(status) || WIFSIGNALED(status))) {
			o->dead = true;
			o->stop = STOP_NONE;
			died = true;
		}
	}
	return died;
}

/*
 * waitpid() for one thread.  The leader of a task with other threads is
 * polled: if the task is killed, its death is reported only after every
 * other thread was collected, and those are ours to collect.
 */
static pid_t wait_thread(struct parasite_ctl *ctl, struct thread *t, int *status)
{
	pid_t r;

	if (t != &ctl->threads[0] || ctl->info.nr_threads == 1) {
		while ((r = waitpid(t->info.tid, status, __WALL)) < 0 && errno == EINTR)
			;
		return r;
	}
	bool dying = false;
	for (unsigned int n = 0;; n++) {
		r = waitpid(t->info.tid, status, __WALL | WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			return r;
		if (!dying && others_died(ctl)) {
			/* Killed: collect the others, then the leader shows up. */
			ctl->dead = dying = true;
			n = 1000;
		}
		if (dying) {
			others_died(ctl);
			if (n > 1000 + 10000) {
				errno = ETIMEDOUT;
				return -1;
			}
		}
		if (n < 200)
			sched_yield();
		else
			usleep(n < 1000 ? 20 : 500);
	}
}

/* Classify a wait status of thread @t. */
static int classify_stop(struct parasite_ctl *ctl, struct thread *t, int status, int *sig)
{
	int event;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		t->dead = true;
		t->stop = STOP_NONE;
		if (t == &ctl->threads[0] || WIFSIGNALED(status))
			ctl->dead = true;
		pr_debug("thread %d of %d is gone (status %#x)\n", t->info.tid, ctl->info.pid, status);
		return -ESRCH;
	}
	if (!WIFSTOPPED(status))
		return pr_err_ret(-EIO, "thread %d: unexpected wait status %#x", t->info.tid, status);

	event = status >> 16;
	*sig = WSTOPSIG(status);
	if (*sig == (SIGTRAP | 0x80)) {
		t->stop = STOP_SYSCALL;
		return STOP_SYSCALL;
	}
	if (event == PTRACE_EVENT_STOP) {
		t->stop = STOP_TRAP;
		if (is_stop_signal(*sig))
			ctl->info.state = COMPEL_TASK_STOPPED;
		return STOP_TRAP;
	}
	if (event == 0) {
		t->stop = STOP_SIGNAL;
		return STOP_SIGNAL;
	}
	return pr_err_ret(-EIO, "thread %d: unexpected ptrace event %d", t->info.tid, event);
}

/*
 * Wait for thread @t (which we resumed) to stop, and say which stop it is.
 * A thread that left is marked dead; a task whose leader left is dead.
 */
int thread_wait_stop(struct parasite_ctl *ctl, struct thread *t, int *sig)
{
	int status;

	if (wait_thread(ctl, t, &status) < 0) {
		t->dead = true;
		t->stop = STOP_NONE;
		return pr_err_ret(-errno, "waiting for thread %d of %d", t->info.tid, ctl->info.pid);
	}
	return classify_stop(ctl, t, status, sig);
}

/* Like thread_wait_stop(), but 0 at once if @t is still running. */
int thread_poll_stop(struct parasite_ctl *ctl, struct thread *t, int *sig)
{
	int status;
	pid_t r;

	while ((r = waitpid(t->info.tid, &status, __WALL | WNOHANG)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		t->dead = true;
		t->stop = STOP_NONE;
		return pr_err_ret(-errno, "waiting for thread %d of %d", t->info.tid, ctl->info.pid);
	}
	if (r == 0) {
		/* A killed leader shows up only once its threads are collected. */
		if (t == &ctl->threads[0] && others_died(ctl)) {
			ctl->dead = true;
			return thread_wait_stop(ctl, t, sig);
		}
		return 0;
	}
	return classify_stop(ctl, t, status, sig);
}

int thread_ptrace_error(struct thread *t, int err, const char *what)
{
	struct parasite_ctl *ctl = t->ctl;

	/* A resting thread only stops answering when the task was killed;
	 * release collects what is left of it. */
	if (err == -ESRCH && t->stop != STOP_NONE) {
		pr_debug("thread %d of %d was killed\n", t->info.tid, ctl->info.pid);
		t->stop = STOP_NONE;
		ctl->dead = true;
		return -ESRCH;
	}
	return pr_err_ret(err, "thread %d of %d: %s", t->info.tid, ctl->info.pid, what);
}

/*
 * The thread was just interrupted: wait for its trap.  Signals that reach it
 * first are delivered (the task handles them as it would have a moment
 * before we came); the interrupt stays pending and traps right after.
 * Returns 1 when the thread rests in its trap, 0 when it left, or -errno.
 */
static int wait_seized(struct parasite_ctl *ctl, struct thread *t)
{
	for (;;) {
		int sig, r = thread_wait_stop(ctl, t, &sig);

		if (r == -ESRCH)
			return 0;
		if (r < 0)
			return r;
		if (r == STOP_TRAP)
			return 1;
		if (r != STOP_SIGNAL)
			return pr_err_ret(-EIO, "thread %d stopped in a syscall while being seized", t->info.tid);
		pr_debug("thread %d: signal %d came before the seize; delivering it\n", t->info.tid, sig);
		if (ptrace(PTRACE_CONT, t->info.tid, NULL, (void *)(long)sig) && errno != ESRCH)
			return pr_err_ret(-errno, "can't resume thread %d", t->info.tid);
	}
}

static int busy_error(pid_t pid, pid_t tid, pid_t tracer)
{
	char path[64], comm[64] = "?";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", tracer);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	pr_err("task %d (thread %d) is already traced by pid %d (%s)\n", pid, tid, tracer, comm);
	return -EBUSY;
}

static struct thread *add_thread(struct parasite_ctl *ctl, pid_t tid)
{
	struct thread *t;

	if (ctl->info.nr_threads == ctl->nr_alloc) {
		unsigned int n = ctl->nr_alloc ? ctl->nr_alloc * 2 : 8;

		t = realloc(ctl->threads, n * sizeof(*t));
		if (!t)
			return NULL;
		ctl->threads = t;
		ctl->nr_alloc = n;
	}
	t = &ctl->threads[ctl->info.nr_threads++];
	memset(t, 0, sizeof(*t));
	t->info.tid = tid;
	t->ctl = ctl;
	return t;
}

static void drop_last_thread(struct parasite_ctl *ctl)
{
	struct thread *t = &ctl->threads[--ctl->info.nr_threads];

	free(t->xstate);
	free(t->pending);
}

/* Seize one thread.  1: seized and resting; 0: it left first; or -errno. */
static int seize_thread(struct parasite_ctl *ctl, pid_t tid)
{
	unsigned long opts = PTRACE_O_TRACESYSGOOD;
	struct proc_status st;
	struct thread *t;
	int r;

	r = thread_status(ctl->info.pid, tid, &st);
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r)
		return pr_err_ret(r, "can't read the status of thread %d of %d", tid, ctl->info.pid);
	if (st.state == 'Z' || st.state == 'X')
		return 0;
	if (st.tracer && st.tracer != getpid())
		return busy_error(ctl->info.pid, tid, st.tracer);
	if (st.seccomp)
		opts |= PTRACE_O_SUSPEND_SECCOMP;

	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)opts)) {
		r = -errno;
		if (r == -ESRCH)
			return 0;
		if (thread_status(ctl->info.pid, tid, &st))
			return 0;
		if (st.state == 'Z' || st.state == 'X')
			return 0;
		if (st.tracer && st.tracer != getpid())
			return busy_error(ctl->info.pid, tid, st.tracer);
		return pr_err_ret(r, "can't seize thread %d of %d", tid, ctl->info.pid);
	}
	t = add_thread(ctl, tid);
	if (!t) {
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return pr_err_ret(-ENOMEM, "thread list of %d", ctl->info.pid);
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) && errno != ESRCH) {
		r = pr_err_ret(-errno, "can't interrupt thread %d", tid);
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		drop_last_thread(ctl);
		return r;
	}
	r = wait_seized(ctl, t);
	if (r <= 0) {
		if (r < 0)
			ptrace(PTRACE_DETACH, tid, NULL, NULL);
		drop_last_thread(ctl);
		return r;
	}
	return 1;
}

static bool have_thread(struct parasite_ctl *ctl, pid_t tid)
{
	for (unsigned int i = 0; i < ctl->info.nr_threads; i++)
		if (ctl->threads[i].info.tid == tid)
			return true;
	return false;
}

/* One pass over /proc/PID/task; the number of threads newly seized, or -errno. */
static int seize_new_threads(struct parasite_ctl *ctl)
{
	char path[64];
	struct dirent *de;
	int r, n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", ctl->info.pid);
	d = opendir(path);
	if (!d) {
		r = -errno;
		return r == -ENOENT ? -ESRCH : pr_err_ret(r, "can't list %s", path);
	}
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);

		if (tid <= 0 || have_thread(ctl, tid))
			continue;
		r = seize_thread(ctl, tid);
		if (r < 0) {
			closedir(d);
			return r;
		}
		n += r;
	}
	closedir(d);
	return n;
}

static int check_task(pid_t pid, struct proc_status *st)
{
	char path[64];
	int r;

	if (pid <= 0)
		return pr_err_ret(-EINVAL, "pid %d", pid);
	if (pid == getpid())
		return pr_err_ret(-EINVAL, "can't seize %d: it is this process", pid);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	r = read_status(path, st);
	if (r == -ENOENT)
		return pr_err_ret(-ESRCH, "can't seize %d", pid);
	if (r)
		return pr_err_ret(r, "can't read %s", path);
	if (st->kthread)
		return pr_err_ret(-EPERM, "can't seize %d: a kernel thread", pid);
	if (st->tgid != pid)
		return pr_err_ret(-EINVAL, "can't seize %d: a thread of process %d, not a process", pid, st->tgid);
	if (st->tracer && st->tracer != getpid())
		return busy_error(pid, pid, st->tracer);
	return 0;
}

static int count_threads(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += atoi(de->d_name) > 0;
	closedir(d);
	return n;
}

int compel_seize(pid_t pid, unsigned int flags, struct parasite_ctl **out)
{
	struct parasite_ctl *ctl;
	struct proc_status st;
	int r;

	*out = NULL;
	if (flags)
		return pr_err_ret(-EINVAL, "compel_seize(%d): flags %#x", pid, flags);
	r = check_task(pid, &st);
	if (r)
		return r;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->info.pid = pid;
	ctl->info.state = COMPEL_TASK_ALIVE;
	ctl->inf.sock = ctl->inf.rsock = -1;

	if (st.state == 'Z' || st.state == 'X') {
		if (count_threads(pid) > 1) {
			free(ctl);
			return pr_err_ret(-EOPNOTSUPP, "can't seize %d: its leader exited while other threads run",
					  pid);
		}
		ctl->info.state = COMPEL_TASK_ZOMBIE;
		*out = ctl;
		return 0;
	}

	r = seize_thread(ctl, pid);
	if (r == 0) {
		/* Gone, or became a zombie on the way. */
		r = check_task(pid, &st);
		if (!r && (st.state == 'Z' || st.state == 'X') && count_threads(pid) <= 1) {
			ctl->info.state = COMPEL_TASK_ZOMBIE;
			*out = ctl;
			return 0;
		}
		r = r ?: pr_err_ret(-ESRCH, "can't seize %d: it exited", pid);
		goto out_release;
	}
	if (r < 0)
		goto out_release;
	do {
		r = seize_new_threads(ctl);
		if (r < 0)
			goto out_release;
	} while (r > 0);

	for (unsigned int i = 0; i < ctl->info.nr_threads; i++) {
		r = thread_read_state(ctl, &ctl->threads[i], true);
		if (r)
			goto out_release;
	}
	r = task_read_shared_pending(ctl);
	if (r)
		goto out_release;
	r = find_syscall_ip(ctl);
	if (r)
		goto out_release;
	pr_info("seized %d: %u threads, %s\n", pid, ctl->info.nr_threads,
		ctl->info.state == COMPEL_TASK_STOPPED ? "stopped" : "alive");
	*out = ctl;
	return 0;

out_release:
	compel_release(ctl);
	return r;
}

/* A traced thread that is dying waits for us to collect it: give it 2 s. */
static void reap_thread(struct thread *t)
{
	int status;

	for (int i = 0; i < 2000; i++) {
		pid_t r = waitpid(t->info.tid, &status, __WALL | WNOHANG);

		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			return;
		usleep(1000);
	}
	pr_warn("thread %d did not finish exiting\n", t->info.tid);
}

/* Bring a running thread (a parasite) to its trap before detaching. */
static void stop_running_thread(struct parasite_ctl *ctl, struct thread *t)
{
	int sig;

	if (ptrace(PTRACE_INTERRUPT, t->info.tid, NULL, NULL))
		return;
	while (thread_wait_stop(ctl, t, &sig) == STOP_SIGNAL)
		if (ptrace(PTRACE_CONT, t->info.tid, NULL, NULL))
			return;
}

int compel_release(struct parasite_ctl *ctl)
{
	int ret = 0;

	if (!ctl)
		return 0;
	if (ctl->inf.active && compel_cure(ctl))
		pr_warn("%d released without a clean cure\n", ctl->info.pid);

	/* The leader last: a dead leader is reported only after its threads. */
	for (unsigned int i = ctl->info.nr_threads; i-- > 0;) {
		struct thread *t = &ctl->threads[i];

		if (t->dead)
			continue;
		if (ctl->dead) {
			reap_thread(t);
			continue;
		}
		if (t->stop == STOP_NONE)
			stop_running_thread(ctl, t);
		if (t->dead)
			continue;
		if (t->stop != STOP_TRAP)
			pr_warn("thread %d is released from an unexpected stop (%d)\n", t->info.tid, t->stop);
		if (ptrace(PTRACE_DETACH, t->info.tid, NULL, NULL)) {
			if (errno == ESRCH)
				reap_thread(t);
			else if (!ret)
				ret = pr_err_ret(-errno, "can't detach from thread %d", t->info.tid);
		}
	}
	for (unsigned int i = 0; i < ctl->info.nr_threads; i++) {
		free(ctl->threads[i].xstate);
		free(ctl->threads[i].pending);
	}
	free(ctl->threads);
	free(ctl->shared_pending);
	free(ctl);
	return ret;
}
