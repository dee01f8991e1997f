/*
 * criu restore: bring back the process tree of the images dir, with the
 * same pids, sessions, process groups and what the tasks shared.
 *
 * Order of work, in criu's main process:
 *   inventory, pstree, each task's core, ids, threads, mm + pagemap +
 *   pages, vDSO plan; the plan of the tree (restore-plan.c: who forks
 *   whom and when, for sessions and groups; helpers for a session or group
 *   whose leader is gone; which children share their parent's fd table or
 *   fs info); files
 *   (every check that can fail does so here, before any task exists)
 *   -> every open file description opened once, shared memory objects
 *      made and filled, everything the tasks inherit moved above the
 *      service-fd base (files.h, shmem.h)
 *   -> the root created with clone3(set_tid); each task forks its own
 *      children (restore-task.c), so the tree grows in parallel; a child
 *      sharing its parent's memory and signal handlers is created by the
 *      parent's restorer, and seized with its parent
 *   -> criu waits for every live task's restorer to report on its status
 *      pipe, seizes it (compel), unmaps the restorer, loads its registers,
 *      extended state and signal mask, and keeps it seized
 *   -> once all are there: criu closes its copies of the files, runs
 *      pre-resume, stops the tasks -s or the dump asks for, and releases
 *      every task together
 *   -> --pidfile, stats-restore; then exit (-d) or wait for the root and
 *      exit with its status.
 * A failure anywhere kills every task created so far (their pids are in
 * the shared area, and each task dies with its parent): no half-restored
 * tree stays behind.
 */
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOG_PREFIX "restore: "
#include "action-scripts.h"
#include "arch.h"
#include "cr-util.h"
#include "cr_options.h"
#include "files.h"
#include "inventory.h"
#include "log.h"
#include "net-lock.h"
#include "pstree.h"
#include "restore.h"
#include "shmem.h"
#include "stats.h"
#include "task-state.h"
#include "threads.h"
#include "pie/include/restorer-state.h"
#include "vdso.h"

#include <compel.h>

/* task_state values of the core image */
#define TASK_ALIVE   1
#define TASK_DEAD    2
#define TASK_STOPPED 3
#define TASK_ZOMBIE  6

/* ------------------------------------------------------------ reading */

static int read_task(struct img_dir *dir, const InventoryEntry *ie, struct restore_task *t)
{
	int r;

	r = img_read_one(dir, CR_IMG_CORE, t->pid, &core_entry__descriptor, (void **)&t->core);
	if (r)
		return r;
	if (t->core->mtype != ARCH_CORE_MTYPE || !t->core->tc)
		return pr_err_ret(-EINVAL, "core-%d.img is not of an x86_64 task", (int)t->pid);
	switch (t->core->tc->task_state) {
	case TASK_ALIVE:
	case TASK_STOPPED:
		break;
	case TASK_DEAD:
	case TASK_ZOMBIE:
		t->kind = RT_ZOMBIE;
		return 0;
	default:
		return pr_err_ret(-EINVAL, "process %d has task state %u", (int)t->pid, t->core->tc->task_state);
	}
	if (!t->core->thread_info || !t->core->thread_core)
		return pr_err_ret(-EINVAL, "core-%d.img has no thread state", (int)t->pid);
	r = restore_threads_read(dir, t->pe, t->core); /* threads.h */
	if (r)
		return r;
	r = img_read_one(dir, CR_IMG_IDS, t->pid, &task_kobj_ids_entry__descriptor, (void **)&t->ids);
	if (r)
		return r;
	const TaskKobjIdsEntry *a = t->ids, *b = ie->root_ids;
	if (b &&
	    ((a->has_pid_ns_id && a->pid_ns_id != b->pid_ns_id) || (a->has_net_ns_id && a->net_ns_id != b->net_ns_id) ||
	     (a->has_mnt_ns_id && a->mnt_ns_id != b->mnt_ns_id) || (a->has_ipc_ns_id && a->ipc_ns_id != b->ipc_ns_id) ||
	     (a->has_uts_ns_id && a->uts_ns_id != b->uts_ns_id) ||
	     (a->has_user_ns_id && a->user_ns_id != b->user_ns_id)))
		return pr_err_ret(-EOPNOTSUPP, "process %d was in namespaces of its own: not supported yet",
				  (int)t->pid);
	if (t->parent && t->parent->kind == RT_ALIVE && t->ids->vm_id == t->parent->ids->vm_id) {
		/* its memory is its parent's: made by the parent's restorer (restore-task.c) */
		/* an fd table or fs info of its own is a copy of its parent's (the dump checked): clone() makes it */
		if (t->ids->sighand_id != t->parent->ids->sighand_id || t->pe->n_threads != 1)
			return pr_err_ret(-EOPNOTSUPP,
					  "process %d shares the memory of its parent %d, but not its signal "
					  "handlers, or has threads: not supported",
					  (int)t->pid, (int)t->parent->pid);
		t->vm_child = true;
		return 0;
	}
	r = mem_restore_prepare(dir, t->pid, &t->mr);
	if (!r)
		r = vdso_plan(&t->mr, &t->vdso);
	return r;
}

static int read_tree(struct img_dir *dir, struct restore_tree *tr, struct pstree *ps)
{
	InventoryEntry *ie _cleanup_msg_ = NULL;
	int r;

	r = read_inventory(dir, &ie);
	if (!r)
		r = pstree_read(dir, ps);
	if (r)
		return r;
	/* Room for a helper per task and two more: the array never moves. */
	tr->t = xzalloc((2 * ps->n + 2) * sizeof(*tr->t));
	if (!tr->t)
		return -ENOMEM;
	for (size_t i = 0; i < ps->n; i++) {
		struct restore_task *t = &tr->t[i];
		PstreeEntry *e = ps->e[i];

		*t = (struct restore_task){ .pid = e->pid,
					    .ppid = e->ppid,
					    .pgid = e->pgid,
					    .sid = e->sid,
					    .idx = i,
					    .pe = e,
					    .group_leader = -1,
					    .files_owner = i,
					    .files_seq = -1,
					    .files_prev = -1,
					    .status_fd = -1,
					    .sync_fd = -1,
					    .status_rfd = -1,
					    .sync_wfd = -1,
					    .mr = { .exe_fd = -1 } };
		tr->n++;
		if (i) {
			t->parent = restore_find_pid(tr, t->ppid);
			t->parent->nr_kids++;
		}
		r = read_task(dir, ie, t);
		if (r)
			return r;
		if (restore_pid_taken(t->pid))
			return pr_err_ret(-EEXIST, "pid %d is taken by another process: can't restore into it",
					  (int)t->pid);
	}
	tr->nr_tasks = tr->n;
	if (tr->t[0].kind != RT_ALIVE)
		return pr_err_ret(-EINVAL, "the root process %d was a zombie", (int)tr->t[0].pid);
	for (unsigned int i = 0; i < tr->n; i++) {
		struct restore_task *t = &tr->t[i];

		t->kids = xzalloc((t->nr_kids + 2) * sizeof(*t->kids));
		if (!t->kids)
			return -ENOMEM;
		t->nr_kids = 0;
	}
	for (unsigned int i = 1; i < tr->n; i++)
		tr->t[i].parent->kids[tr->t[i].parent->nr_kids++] = &tr->t[i];
	return 0;
}

/* ------------------------------------------------------------ fds handed down */

/* The status and sync pipes of each live task, above the base; see restore-task.c for the order. */
static int make_pipes(struct restore_tree *tr)
{
	struct rlimit rl;
	int top;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return pr_err_ret(-errno, "can't read the fd limit");
	top = rl.rlim_cur > (1 << 20) ? 1 << 20 : (int)rl.rlim_cur; /* fs.nr_open's default caps fd numbers */
	for (unsigned int i = 0; i < tr->nr_tasks; i++) {
		struct restore_task *t = &tr->t[i];
		int p[2], s[2], r;

		if (t->kind != RT_ALIVE || t->vm_child)
			continue;
		if (pipe2(p, O_CLOEXEC) || pipe2(s, O_CLOEXEC))
			return pr_err_ret(-errno, "can't make the status pipes");
		t->status_rfd = p[0];
		t->sync_wfd = s[1];
		t->status_fd = p[1];
		t->sync_fd = s[0];
		if (t->files_seq >= 0) {
			/* Above everything of the tasks of its fd table that come later. */
			int at = top - 2 * (t->files_seq + 1), a, b;

			if (at <= files_service_fd_base() + 64)
				return pr_err_ret(-EMFILE, "no room for the status fds of process %d", (int)t->pid);
			a = dup3(p[1], at, O_CLOEXEC);
			b = dup3(s[0], at + 1, O_CLOEXEC);
			if (a < 0 || b < 0)
				return pr_err_ret(-errno, "can't place the status fds of process %d", (int)t->pid);
			close(p[1]);
			close(s[0]);
			t->status_fd = a;
			t->sync_fd = b;
		}
		for (int *fd = &t->status_rfd; fd <= &t->sync_wfd; fd++) {
			r = reserve_service_fd(*fd);
			if (r < 0)
				return r;
			*fd = r;
		}
		if (t->files_seq < 0) {
			r = reserve_service_fd(t->status_fd);
			if (r < 0)
				return r;
			t->status_fd = r;
			r = reserve_service_fd(t->sync_fd);
			if (r < 0)
				return r;
			t->sync_fd = r;
		}
		for (unsigned int k = 0; k < t->mr.nr_page_files; k++) {
			r = reserve_service_fd(t->mr.page_fds[k]);
			if (r < 0)
				return r;
			t->mr.page_fds[k] = r;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the root */

/*
 * Create the root with its pid.  With -d through a helper that exits at
 * once: the root's parent is then the nearest subreaper, never a criu that
 * exits (the root's parent death signal would fire); with -S (and -d) as
 * criu's sibling, a child of criu's parent.  0 or -errno.
 */
static int create_root(struct restore_tree *tr)
{
	struct restore_task *t = &tr->t[0];
	pid_t helper, child;
	int st;

	if (opts.restore_sibling || !t->detached) {
		child = restore_clone(t->pid, opts.restore_sibling ? CLONE_PARENT : 0);
		if (child == 0)
			restore_task_main(tr, t);
		return child < 0 ? -errno : 0;
	}
	helper = fork();
	if (helper < 0)
		return -errno;
	if (helper == 0) {
		child = restore_clone(t->pid, 0);
		if (child == 0)
			restore_task_main(tr, t);
		_exit(child < 0 ? errno : 0);
	}
	while (waitpid(helper, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -ECHILD;
	return -WEXITSTATUS(st);
}

/* ------------------------------------------------------------ criu's side */

static int status_error(const struct restore_task *t, const struct rst_status *st)
{
	if (st->state_err[0]) {
		struct rst_task_state ts = { .err_step = st->state_err[0],
					     .err_code = st->state_err[1],
					     .err_arg = st->state_err[2] };
		char buf[128];

		pr_err("the restorer of process %d failed: %s: %s\n", (int)t->pid, st->what,
		       restorer_state_error(&ts, buf, sizeof(buf)));
	} else if (st->line) {
		pr_err("the restorer of process %d failed: %s: %s (restorer.c:%d)\n", (int)t->pid, st->what,
		       strerror(-st->ret), st->line);
	} else {
		pr_err("restoring process %d failed: %s: %s\n", (int)t->pid, st->what, strerror(-st->ret));
	}
	return st->ret ?: -EINVAL;
}

/* A seized task: its registers, extended state and blocked mask, its threads'; it stays seized. */
static int load_task(struct restore_tree *tr, struct restore_task *t)
{
	const struct compel_thread_info *ti = compel_thread(t->ctl, 0);
	_cleanup_free_ void *xs = NULL;
	compel_regs_t regs;
	uint64_t mask;
	stack_t ss;
	int r;

	xs = xmalloc(ti->xstate_size);
	if (!xs)
		return -ENOMEM;
	memcpy(xs, ti->xstate, ti->xstate_size);
	r = arch_image_xstate(t->core, xs, ti->xstate_size);
	if (!r)
		r = compel_set_xstate(t->ctl, 0, xs, ti->xstate_size);
	if (!r)
		r = arch_image_regs(t->core, &regs);
	if (!r)
		r = compel_set_regs(t->ctl, 0, &regs);
	task_state_sigframe(t->core, true, &mask, &ss); /* the altstack is the restorer's already */
	if (!r)
		r = compel_set_sigmask(t->ctl, 0, mask);
	if (!r)
		r = restore_threads_load(t->ctl, t->pid); /* threads.h */
	if (r)
		return r;
	t->finished = true;
	__atomic_store_n(&tr->sh->slot[t->idx].seized, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &tr->sh->slot[t->idx].seized, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	return 0;
}

/*
 * The task waits in the restorer: seize it and the children sharing its
 * memory (they wait in the restorer's area too), unmap the restorer, give
 * each its registers, keep them seized.
 */
static int finish_task(struct restore_tree *tr, struct restore_task *t, const struct rst_status *st)
{
	long ret;
	int r;

	r = compel_seize(t->pid, 0, &t->ctl);
	if (r)
		return pr_err_ret(r, "can't seize the restored process %d", (int)t->pid);
	for (unsigned int i = 0; i < t->nr_kids; i++) {
		struct restore_task *k = t->kids[i];

		if (!k->vm_child)
			continue;
		r = compel_seize(k->pid, 0, &k->ctl);
		if (r)
			return pr_err_ret(r, "can't seize the restored process %d", (int)k->pid);
		__atomic_store_n(&tr->sh->slot[k->idx].pid, k->pid, __ATOMIC_SEQ_CST);
	}
	for (int i = 0; i < 2; i++) {
		int fd = i ? st->sync_fd : st->status_fd;

		r = compel_syscall(t->ctl, 0, __NR_close, &ret, (const unsigned long[6]){ fd });
		if (!r && ret)
			r = pr_err_ret((int)ret, "can't close criu's pipe (fd %d) in process %d", fd, (int)t->pid);
		if (r)
			return r;
	}
	r = compel_syscall(t->ctl, 0, __NR_munmap, &ret,
			   (const unsigned long[6]){ st->bootstrap_start, st->bootstrap_len });
	if (!r && ret)
		r = pr_err_ret((int)ret, "can't unmap the restorer from process %d", (int)t->pid);
	if (r)
		return r;
	r = load_task(tr, t);
	for (unsigned int i = 0; !r && i < t->nr_kids; i++)
		if (t->kids[i]->vm_child)
			r = load_task(tr, t->kids[i]);
	return r;
}

/*
 * Every live task's restorer reports on its status pipe; each is finished
 * as it comes.  A task failing before (it sets the abort word) or dying
 * ends the wait.
 */
static int wait_tasks(struct restore_tree *tr, struct restore_stats *rs, uint64_t tf)
{
	_cleanup_free_ struct pollfd *pfd = xzalloc(tr->nr_tasks * sizeof(*pfd));
	_cleanup_free_ struct restore_task **who = xzalloc(tr->nr_tasks * sizeof(*who));
	unsigned int left = 0;
	bool forked = false;

	if (!pfd || !who)
		return -ENOMEM;
	for (unsigned int i = 0; i < tr->nr_tasks; i++)
		left += tr->t[i].kind == RT_ALIVE && !tr->t[i].vm_child; /* those come with their parent */
	while (left) {
		unsigned int n = 0;
		int r;

		for (unsigned int i = 0; i < tr->nr_tasks; i++) {
			struct restore_task *t = &tr->t[i];

			if (t->kind != RT_ALIVE || t->finished || t->vm_child)
				continue;
			pfd[n] = (struct pollfd){ .fd = t->status_rfd, .events = POLLIN };
			who[n++] = t;
		}
		r = poll(pfd, n, 50);
		if (r < 0 && errno != EINTR)
			return pr_err_ret(-errno, "can't wait for the tasks");
		if (!forked && __atomic_load_n(&tr->sh->groups_done, __ATOMIC_SEQ_CST) == tr->sh->nr) {
			rs->forking_time = stats_now_us() - tf;
			forked = true;
			pr_info("%u processes created\n", tr->n);
		}
		for (unsigned int i = 0; r > 0 && i < n; i++) {
			struct restore_task *t = who[i];
			struct rst_status st;
			ssize_t got;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(t->status_rfd, &st, sizeof(st));
			if (got != sizeof(st)) {
				pr_err("process %d died while being restored\n", (int)t->pid);
				return -ECHILD;
			}
			if (st.ret)
				return status_error(t, &st);
			rs->pages_restored += st.pages;
			r = finish_task(tr, t, &st);
			if (r)
				return r;
			left--;
		}
		if (__atomic_load_n(&tr->sh->abort, __ATOMIC_SEQ_CST)) {
			pr_err("process %d failed (see above): the restore is abandoned\n", (int)tr->sh->failed_pid);
			return -ECHILD;
		}
		for (unsigned int i = 0; i < tr->n; i++) {
			const struct restore_task *t = &tr->t[i];
			pid_t pid = __atomic_load_n(&tr->sh->slot[i].pid, __ATOMIC_SEQ_CST);

			if (t->kind == RT_ALIVE && !t->finished && pid && restore_task_dead(pid)) {
				pr_err("process %d died while being restored\n", (int)t->pid);
				return -ECHILD;
			}
		}
	}
	return 0;
}

/* In a shared fd table, what the restorers left open above the base. */
static int close_shared_tables(struct restore_tree *tr)
{
	for (unsigned int i = 0; i < tr->nr_tasks; i++) {
		struct restore_task *t = &tr->t[i];
		long ret;
		int r;

		if (t->kind != RT_ALIVE || t->files_seq != 0)
			continue;
		r = compel_syscall(t->ctl, 0, __NR_close_range, &ret,
				   (const unsigned long[6]){ files_service_fd_base(), ~0U, 0 });
		if (!r && ret)
			r = (int)ret;
		if (r)
			return pr_err_ret(r, "can't close criu's fds in the fd table of process %d", (int)t->pid);
	}
	return 0;
}

/* Everything is in place: let every task go together. */
static int release_tasks(struct restore_tree *tr)
{
	int r = close_shared_tables(tr);

	files_close_shared();
	if (r)
		return r;
	if (run_scripts(ACT_PRE_RESUME, tr->t[0].pid))
		pr_err("the pre-resume script failed: the restore goes on\n");
	for (unsigned int i = 0; i < tr->nr_tasks; i++) {
		struct restore_task *t = &tr->t[i];

		if (t->kind != RT_ALIVE)
			continue;
		if ((opts.leave_stopped || t->core->tc->task_state == TASK_STOPPED) && kill(t->pid, SIGSTOP))
			return pr_err_ret(-errno, "can't stop process %d", (int)t->pid);
	}
	for (unsigned int i = 0; i < tr->nr_tasks; i++) {
		struct restore_task *t = &tr->t[i];

		if (t->ctl && compel_release(t->ctl) && !r)
			r = pr_err_ret(-EIO, "can't release process %d", (int)t->pid);
		t->ctl = NULL;
	}
	return r;
}

/*
 * Kill every task created so far and make sure their pids are free when
 * criu returns (with -d the root is not criu's child: its reaper collects
 * it, wait for that, a while).
 */
static pid_t slot_pid(struct restore_tree *tr, unsigned int i)
{
	const struct restore_task *t = &tr->t[i];
	pid_t pid = __atomic_load_n(&tr->sh->slot[i].pid, __ATOMIC_SEQ_CST);

	/* a child sharing its parent's memory exists once its parent's restorer ran: try its pid */
	if (!pid && t->vm_child && __atomic_load_n(&tr->sh->slot[t->parent->idx].pid, __ATOMIC_SEQ_CST))
		pid = t->pid;
	return pid;
}

static void kill_tree(struct restore_tree *tr)
{
	if (!tr->sh)
		return;
	__atomic_store_n(&tr->sh->abort, 1, __ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < tr->n; i++) {
		if (tr->t[i].ctl)
			compel_release(tr->t[i].ctl);
		tr->t[i].ctl = NULL;
	}
	for (unsigned int i = 0; i < tr->n; i++) {
		pid_t pid = slot_pid(tr, i);

		if (pid)
			kill(pid, SIGKILL);
	}
	for (int k = 0; k < 500; k++) {
		bool all = true;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (unsigned int i = 0; i < tr->n; i++) {
			pid_t pid = slot_pid(tr, i);

			if (pid && !(kill(pid, 0) && errno == ESRCH)) {
				kill(pid, SIGKILL);
				all = false;
			}
		}
		if (all)
			return;
		usleep(10000);
	}
	pr_warn("some killed processes are not collected by their reaper yet\n");
}

static int wait_task(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pr_err_ret(-errno, "can't wait for process %d", (int)pid);
	if (WIFEXITED(status)) {
		pr_info("process %d exited with %d\n", (int)pid, WEXITSTATUS(status));
		return WEXITSTATUS(status);
	}
	pr_info("process %d was killed by signal %d\n", (int)pid, WTERMSIG(status));
	return 128 + WTERMSIG(status);
}

static int prepare(struct img_dir *dir, struct restore_tree *tr, struct pstree *ps)
{
	int r;

	tr->criu_pid = getpid();
	tr->criu_sid = getsid(0);
	tr->criu_pgid = getpgrp();
	r = read_tree(dir, tr, ps);
	if (!r)
		r = restore_plan(tr);
	if (!r)
		r = task_state_collect(dir);
	if (!r)
		r = files_collect(dir);
	for (unsigned int i = 0; !r && i < tr->nr_tasks; i++)
		if (tr->t[i].kind == RT_ALIVE)
			r = prepare_task_files(tr->t[i].pid, tr->t[i].ids->files_id, dir);
	/* The service-fd base is final: hand everything down above it. */
	if (!r)
		r = shmem_restore_objects(dir);
	if (!r)
		r = files_open_shared();
	if (!r)
		r = make_pipes(tr);
	if (r)
		return r;
	tr->sh_len = sizeof(struct rst_shared) + tr->n * sizeof(struct rst_slot);
	tr->sh = mmap(NULL, tr->sh_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr->sh == MAP_FAILED) {
		tr->sh = NULL;
		return pr_err_ret(-errno, "can't map the tree's shared area");
	}
	tr->sh->nr = tr->n;
	for (unsigned int i = 0; i < tr->nr_tasks; i++)
		tr->sh->nr -= tr->t[i].vm_child; /* they never run criu's code */
	return 0;
}

static int restore(struct img_dir *dir, struct restore_tree *tr, struct pstree *ps, struct restore_stats *rs,
		   uint64_t t0)
{
	uint64_t tf;
	int r;

	r = prepare(dir, tr, ps);
	if (r)
		return r;
	tr->t[0].detached = opts.restore_detach;
	if (!opts.restore_detach && prctl(PR_SET_CHILD_SUBREAPER, 1))
		pr_warn("can't make criu a subreaper: %s\n", strerror(errno));
	tf = stats_now_us();
	r = create_root(tr);
	for (unsigned int i = 0; i < tr->nr_tasks; i++) {
		struct restore_task *t = &tr->t[i];

		/* The children's ends: the tree has them now. */
		if (t->status_fd >= 0)
			close(t->status_fd);
		if (t->sync_fd >= 0)
			close(t->sync_fd);
		t->status_fd = t->sync_fd = -1;
	}
	if (r) {
		if (r == -EEXIST)
			pr_err("pid %d is taken by another process: can't restore into it\n", (int)tr->t[0].pid);
		else
			pr_err("can't create process %d: %s\n", (int)tr->t[0].pid, strerror(-r));
		return r;
	}
	r = wait_tasks(tr, rs, tf);
	if (!r)
		r = run_scripts(ACT_POST_RESTORE, tr->t[0].pid);
	if (!r)
		r = network_unlock_restore(tr->t[0].pid); /* net-lock.h: lift the lock, connections out of repair */
	if (!r)
		r = release_tasks(tr);
	if (r) {
		kill_tree(tr);
		pr_err("restore of process %d failed: nothing is left of its tree\n", (int)tr->t[0].pid);
		return r;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	rs->restore_time = stats_now_us() - t0;
	pr_info("tree of process %d restored: %u processes, %llu pages\n", (int)tr->t[0].pid, tr->nr_tasks,
		(unsigned long long)rs->pages_restored);
	return 0;
}

static void free_tree(struct restore_tree *tr, struct pstree *ps)
{
	for (unsigned int i = 0; tr->t && i < tr->n; i++) {
		struct restore_task *t = &tr->t[i];

		if (t->kind != RT_HELPER) {
			img_msg_free(t->core);
			img_msg_free(t->ids);
			mem_restore_free(&t->mr);
		}
		free(t->kids);
		for (int *fd = &t->status_fd; fd <= &t->sync_wfd; fd++)
			if (*fd >= 0)
				close(*fd);
	}
	restore_threads_fini();
	shmem_restore_fini();
	free(tr->t);
	if (tr->sh)
		munmap(tr->sh, tr->sh_len);
	pstree_free(ps);
	*tr = (struct restore_tree){ 0 };
}

int cr_restore_tasks(void)
{
	struct img_dir *dir _cleanup_img_dir_ = NULL;
	struct restore_tree tr = { 0 };
	struct pstree ps = { 0 };
	struct restore_stats rs = { 0 };
	uint64_t t0 = stats_now_us();
	pid_t root;
	int r;

	cr_compel_log_setup();
	r = cr_open_images_dir(IMG_DIR_READ, &dir);
	if (r)
		return r;
	r = run_scripts(ACT_PRE_RESTORE, 0);
	if (!r)
		r = restore(dir, &tr, &ps, &rs, t0);
	files_restore_fini();
	if (r) {
		free_tree(&tr, &ps);
		return r;
	}
	root = tr.t[0].pid;
	if (opts.pidfile)
		r = cr_write_pidfile(opts.pidfile, root);
	if (!r)
		r = stats_write_restore(dir, &rs);
	if (opts.display_stats)
		stats_show_restore(&rs);
	if (r) {
		kill_tree(&tr);
		free_tree(&tr, &ps);
		return r;
	}
	free_tree(&tr, &ps);
	if (run_scripts(ACT_POST_RESUME, root))
		pr_err("the post-resume script failed: the restore goes on\n");
	if (opts.restore_detach)
		return 0;
	/* criu stays the root's parent and ends with its status. */
	int status = wait_task(root);
	log_fini();
	exit(status < 0 ? 1 : status);
}
