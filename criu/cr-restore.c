/*
 * criu restore: bring back the process of the images dir.
 *
 * Order of work, in criu's main process:
 *   inventory, pstree, core, ids, files, mm + pagemap + pages, vDSO plan
 *   (every check that can fail does so here, before any task exists)
 *   -> clone3() with set_tid = the dumped pid (restore-task.c runs there)
 *   -> wait for the restorer's status on a pipe
 *   -> seize the task (compel), unmap the restorer, load registers,
 *      extended state and signal mask, stop it for -s, let it go
 *   -> --pidfile, stats-restore; then exit (-d) or wait for the task and
 *      exit with its status.
 * A failure anywhere after the clone kills the child: no half-restored
 * process stays behind.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
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
#include "pstree.h"
#include "restore.h"
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

static int read_images(struct img_dir *dir, struct restore_task *t)
{
	InventoryEntry *ie _cleanup_msg_ = NULL;
	int r;

	r = read_inventory(dir, &ie);
	if (r)
		return r;
	r = pstree_read_one(dir, &t->pe);
	if (r)
		return r;
	t->pid = t->pe->pid;
	r = img_read_one(dir, CR_IMG_CORE, t->pid, &core_entry__descriptor, (void **)&t->core);
	if (r)
		return r;
	if (t->core->mtype != ARCH_CORE_MTYPE || !t->core->tc || !t->core->thread_info)
		return pr_err_ret(-EINVAL, "core-%d.img is not of an x86_64 task with its state", (int)t->pid);
	r = restore_threads_read(dir, t->pe, t->core); /* threads.h */
	if (r)
		return r;
	switch (t->core->tc->task_state) {
	case TASK_ALIVE:
	case TASK_STOPPED:
		break;
	case TASK_ZOMBIE:
		return pr_err_ret(-EOPNOTSUPP, "process %d was a zombie: restoring zombies is not supported yet",
				  (int)t->pid);
	default:
		return pr_err_ret(-EINVAL, "process %d has task state %u", (int)t->pid, t->core->tc->task_state);
	}
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
	return 0;
}

static pid_t clone_with_pid(pid_t pid, uint64_t flags)
{
	pid_t tid = pid;
	struct clone_args ca = {
		.flags = flags,
		/* a sibling gets criu's own exit signal: clone3 wants 0 there */
		.exit_signal = flags & CLONE_PARENT ? 0 : SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)&tid,
		.set_tid_size = 1,
	};

	return syscall(SYS_clone3, &ca, sizeof(ca));
}

/* The new task: restore-task.c, with its ends of the status and sync pipes. */
static __attribute__((noreturn)) void task_main(struct restore_task *t, int status[2], int sync[2])
{
	int r;

	close(status[0]);
	close(sync[1]);
	t->status_fd = status[1];
	t->sync_fd = sync[0];
	r = restore_task_child(t);
	restore_report(t->status_fd, r, "the child failed before the restorer (see the log)");
	_exit(1);
}

/*
 * Create the task with its pid.  With -d through a helper that exits at
 * once: the task's parent is then the nearest subreaper, never a criu that
 * exits (the task's parent death signal would fire); with -S (and -d) as
 * criu's sibling, a child of criu's parent.  0 or -errno.
 */
static int create_task(struct restore_task *t, int status[2], int sync[2])
{
	pid_t helper, child;
	int st;

	if (opts.restore_sibling) {
		child = clone_with_pid(t->pid, CLONE_PARENT);
		if (child == 0)
			task_main(t, status, sync);
		return child < 0 ? -errno : 0;
	}
	if (!t->detached) {
		child = clone_with_pid(t->pid, 0);
		if (child == 0)
			task_main(t, status, sync);
		return child < 0 ? -errno : 0;
	}
	helper = fork();
	if (helper < 0)
		return -errno;
	if (helper == 0) {
		child = clone_with_pid(t->pid, 0);
		if (child == 0)
			task_main(t, status, sync);
		_exit(child < 0 ? errno : 0);
	}
	while (waitpid(helper, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -ECHILD;
	return -WEXITSTATUS(st);
}

/* The restorer's report, or the child's exit when it had none to give. */
static int wait_restorer(struct restore_task *t, int rfd, struct rst_status *st)
{
	ssize_t n;

	do
		n = read(rfd, st, sizeof(*st));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(*st)) {
		if (!st->ret)
			return 0;
		if (st->state_err[0]) {
			struct rst_task_state ts = { .err_step = st->state_err[0],
						     .err_code = st->state_err[1],
						     .err_arg = st->state_err[2] };
			char buf[128];

			pr_err("the restorer failed: %s: %s\n", st->what, restorer_state_error(&ts, buf, sizeof(buf)));
		} else if (st->line)
			pr_err("the restorer failed: %s: %s (restorer.c:%d)\n", st->what, strerror(-st->ret), st->line);
		else
			pr_err("restoring process %d failed: %s: %s\n", (int)t->pid, st->what, strerror(-st->ret));
		return st->ret;
	}
	pr_err("process %d died while being restored\n", (int)t->pid);
	return -ECHILD;
}

/* The task waits in the restorer: unmap it, give it its registers, let it go. */
static int finish_task(struct restore_task *t, const struct rst_status *st)
{
	struct parasite_ctl *ctl = NULL;
	const struct compel_thread_info *ti;
	_cleanup_free_ void *xs = NULL;
	compel_regs_t regs;
	uint64_t mask;
	stack_t ss;
	long ret;
	int r;

	r = compel_seize(t->pid, 0, &ctl);
	if (r)
		return pr_err_ret(r, "can't seize the restored process %d", (int)t->pid);
	ti = compel_thread(ctl, 0);
	for (int i = 0; i < 2; i++) {
		int fd = i ? st->sync_fd : st->status_fd;

		r = compel_syscall(ctl, 0, __NR_close, &ret, (const unsigned long[6]){ fd });
		if (!r && ret)
			r = pr_err_ret((int)ret, "can't close criu's pipe (fd %d) in process %d", fd, (int)t->pid);
		if (r)
			goto out;
	}
	r = compel_syscall(ctl, 0, __NR_munmap, &ret,
			   (const unsigned long[6]){ st->bootstrap_start, st->bootstrap_len });
	if (!r && ret)
		r = pr_err_ret((int)ret, "can't unmap the restorer from process %d", (int)t->pid);
	if (r)
		goto out;
	xs = xmalloc(ti->xstate_size);
	r = -ENOMEM;
	if (!xs)
		goto out;
	memcpy(xs, ti->xstate, ti->xstate_size);
	r = arch_image_xstate(t->core, xs, ti->xstate_size);
	if (!r)
		r = compel_set_xstate(ctl, 0, xs, ti->xstate_size);
	if (!r)
		r = arch_image_regs(t->core, &regs);
	if (!r)
		r = compel_set_regs(ctl, 0, &regs);
	task_state_sigframe(t->core, true, &mask, &ss); /* the altstack is the restorer's already */
	if (!r)
		r = compel_set_sigmask(ctl, 0, mask);
	if (!r)
		r = restore_threads_load(ctl, t->pid); /* threads.h */
	if (r)
		goto out;
	if (run_scripts(ACT_PRE_RESUME, t->pid))
		pr_err("the pre-resume script failed: the restore goes on\n");
	if (opts.leave_stopped || t->core->tc->task_state == TASK_STOPPED) {
		if (kill(t->pid, SIGSTOP)) {
			r = pr_err_ret(-errno, "can't stop process %d", (int)t->pid);
			goto out;
		}
	}
out:
	if (compel_release(ctl) && !r)
		r = -EIO;
	return r;
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

/*
 * Kill the half-restored task and make sure its pid is free when criu
 * returns.  With -d the task is not criu's child (the helper that cloned it
 * has exited): its subreaper collects the zombie, so wait for that, a while.
 */
static void kill_child(pid_t pid)
{
	int r;

	kill(pid, SIGKILL);
	while ((r = waitpid(pid, NULL, 0)) < 0 && errno == EINTR)
		;
	if (r == pid)
		return;
	for (int i = 0; i < 500; i++) {
		if (kill(pid, 0) && errno == ESRCH)
			return;
		usleep(10000);
	}
	pr_warn("process %d is killed but its reaper has not collected it yet\n", (int)pid);
}

static int restore(struct img_dir *dir, struct restore_task *t, struct restore_stats *rs, uint64_t t0)
{
	struct rst_status st = { 0 };
	int p[2], sync[2], r;

	r = read_images(dir, t);
	if (!r && (kill(t->pid, 0) == 0 || errno != ESRCH)) {
		pr_err("pid %d is taken by another process: can't restore into it\n", (int)t->pid);
		return -EEXIST;
	}
	if (!r)
		r = task_state_collect(dir);
	if (!r)
		r = files_collect(dir);
	if (!r)
		r = prepare_task_files(t->pid, t->ids->files_id, dir);
	if (!r)
		r = mem_restore_prepare(dir, t->pid, &t->mr);
	if (!r)
		r = vdso_plan(&t->mr, &t->vdso);
	if (r)
		return r;
	if (pipe2(p, O_CLOEXEC) || pipe2(sync, O_CLOEXEC))
		return pr_err_ret(-errno, "can't make the status pipes");

	uint64_t tf = stats_now_us();
	t->detached = opts.restore_detach;
	r = create_task(t, p, sync);
	close(p[1]);
	close(sync[0]);
	if (r) {
		close(p[0]);
		close(sync[1]);
		if (r == -EEXIST)
			pr_err("pid %d is taken by another process: can't restore into it\n", (int)t->pid);
		else
			pr_err("can't create process %d: %s\n", (int)t->pid, strerror(-r));
		return r;
	}
	rs->forking_time = stats_now_us() - tf;
	pr_info("process %d created\n", (int)t->pid);
	r = wait_restorer(t, p[0], &st);
	close(p[0]);
	if (!r)
		r = run_scripts(ACT_POST_RESTORE, t->pid);
	if (!r)
		r = finish_task(t, &st);
	close(sync[1]);
	if (r) {
		kill_child(t->pid);
		pr_err("restore of process %d failed: nothing is left of it\n", (int)t->pid);
		return r;
	}
	rs->pages_restored = st.pages;
	rs->restore_time = stats_now_us() - t0;
	pr_info("process %d restored (%llu pages)\n", (int)t->pid, (unsigned long long)st.pages);
	return 0;
}

static void free_task(struct restore_task *t)
{
	img_msg_free(t->pe);
	img_msg_free(t->core);
	img_msg_free(t->ids);
	mem_restore_free(&t->mr);
	restore_threads_fini();
}

int cr_restore_tasks(void)
{
	struct img_dir *dir _cleanup_img_dir_ = NULL;
	struct restore_task t = { .mr = { .exe_fd = -1 } };
	struct restore_stats rs = { 0 };
	uint64_t t0 = stats_now_us();
	int r;

	cr_compel_log_setup();
	r = cr_open_images_dir(IMG_DIR_READ, &dir);
	if (r)
		return r;
	r = run_scripts(ACT_PRE_RESTORE, 0);
	if (!r)
		r = restore(dir, &t, &rs, t0);
	files_restore_fini();
	if (r) {
		free_task(&t);
		return r;
	}
	if (opts.pidfile)
		r = cr_write_pidfile(opts.pidfile, t.pid);
	if (!r)
		r = stats_write_restore(dir, &rs);
	if (opts.display_stats)
		stats_show_restore(&rs);
	free_task(&t);
	if (r) {
		kill_child(t.pid);
		return r;
	}
	if (run_scripts(ACT_POST_RESUME, t.pid))
		pr_err("the post-resume script failed: the restore goes on\n");
	if (opts.restore_detach)
		return 0;
	/* criu stays the task's parent and ends with its status. */
	int status = wait_task(t.pid);
	log_fini();
	exit(status < 0 ? 1 : status);
}
