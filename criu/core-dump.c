/*
 * The core image of a dumped task (core-PID.img) and the task fields of
 * its mm image, laid out as CRIU 4.2 writes them: registers (arch), the
 * task and thread state (task-state.h: signals, creds, timers, limits,
 * rseq...) and what only the dump knows (task state, stop signal, cgroup
 * set); the core-TID.img of every other thread (threads.h); the mm's
 * code/data/stack bounds, auxv, exe, brk and dumpable.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOG_PREFIX "core: "
#include "arch.h"
#include "dump.h"
#include "files.h"
#include "log.h"
#include "task-state.h"
#include "threads.h"

/* task_core_entry.task_state values (CRIU's TASK_*) */
#define TASK_ALIVE   1
#define TASK_STOPPED 3

int dump_task_core(struct dump_task *t, CoreEntry **out)
{
	struct arena *a = &t->a;
	const struct compel_thread_info *ti = compel_thread(t->ctl, 0);
	CoreEntry *core = arena_new(a, CoreEntry);
	TaskCoreEntry *tc = arena_new(a, TaskCoreEntry);
	ThreadCoreEntry *th = arena_new(a, ThreadCoreEntry);
	int r;

	if (!core || !tc || !th || !ti)
		return -ENOMEM;
	core_entry__init(core);
	task_core_entry__init(tc);
	thread_core_entry__init(th);
	core->tc = tc;
	core->thread_core = th;
	r = arch_dump_thread_info(a, core, ti);
	if (r)
		return r;
	/* Signals, creds, timers, limits, rseq...: task-state.h. */
	r = dump_task_state(t->ctl, &t->ps, a, core);
	if (r)
		return r;
	tc->task_state = t->stopped ? TASK_STOPPED : TASK_ALIVE;
	tc->exit_code = 0;
	if (t->stopped) {
		tc->has_stop_signo = true;
		tc->stop_signo = SIGSTOP;
	}
	th->has_cg_set = true;
	th->cg_set = 1;
	*out = core;
	return 0;
}

#define KCMP_FILES   2
#define KCMP_FS	     3
#define KCMP_SYSVSEM 6

/*
 * What a restored thread shares with its leader (clone3() in the restorer:
 * CLONE_FILES, CLONE_FS, CLONE_SYSVSEM and the leader's namespaces), the
 * dumped one must have shared too: a thread that unshared its fd table,
 * cwd/root/umask, semaphore undo list or a namespace is refused by name.
 */
static const char *const thread_ns[] = {
	"net", "ipc", "uts", "mnt", "user", "cgroup", "time", "pid_for_children", "time_for_children"
};

/* The namespaces of a task's leader, read once for all its threads (ino 0: no such one here). */
struct leader_ns {
	struct stat st[ARRAY_SIZE(thread_ns)];
};

static void read_leader_ns(pid_t pid, struct leader_ns *l)
{
	for (size_t i = 0; i < ARRAY_SIZE(thread_ns); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, thread_ns[i]);
		if (stat(path, &l->st[i]))
			l->st[i].st_ino = 0;
	}
}

static int check_thread_shares(pid_t pid, pid_t tid, const struct leader_ns *l)
{
	static const struct {
		int type;
		const char *what;
	} kcmp[] = {
		{ KCMP_FILES, "fd table (unshare(CLONE_FILES))" },
		{ KCMP_FS, "cwd, root and umask (unshare(CLONE_FS))" },
		{ KCMP_SYSVSEM, "System V semaphore undo list (unshare(CLONE_SYSVSEM))" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kcmp); i++) {
		long r = syscall(SYS_kcmp, pid, tid, kcmp[i].type, 0, 0);

		if (r < 0)
			return pr_err_ret(-errno, "kcmp of thread %d and its leader %d", (int)tid, (int)pid);
		if (r) {
			pr_err("thread %d of process %d has its own %s: not supported\n", (int)tid, (int)pid,
			       kcmp[i].what);
			return -EOPNOTSUPP;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(thread_ns); i++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/ns/%s", (int)pid, (int)tid, thread_ns[i]);
		if (!l->st[i].st_ino || stat(path, &st))
			continue; /* no such namespace here; a thread gone is seen later */
		if (st.st_ino != l->st[i].st_ino || st.st_dev != l->st[i].st_dev) {
			pr_err("thread %d of process %d is in another %s namespace than its leader: not supported\n",
			       (int)tid, (int)pid, thread_ns[i]);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/*
 * Thread @i (not the leader) of the seized, infected task: its parasite
 * answer (tid address, sigaltstack, pdeath signal, securebits, timer
 * slack are the thread's own), then its core as CRIU writes a thread's:
 * registers and thread state, no task part.
 */
static int dump_one_thread(struct dump_task *t, unsigned int i, const struct leader_ns *l, struct img_dir *dir)
{
	const struct compel_thread_info *ti = compel_thread(t->ctl, i);
	struct parasite_task_state pts;
	struct arena *a = &t->a;
	CoreEntry *core = arena_new(a, CoreEntry);
	ThreadCoreEntry *th = arena_new(a, ThreadCoreEntry);
	int r, ret = 0;

	if (!core || !th)
		return -ENOMEM;
	r = check_thread_shares(t->pid, ti->tid, l);
	if (r)
		return r;
	r = compel_rpc(t->ctl, i, PARASITE_CMD_TASK_STATE, &ret);
	if (!r && ret)
		r = pr_err_ret(ret, "the parasite can't read the state of thread %d", (int)ti->tid);
	if (r)
		return pr_err_ret(r, "can't ask thread %d of %d about its state", (int)ti->tid, (int)t->pid);
	memcpy(&pts, compel_args(t->ctl), sizeof(pts));

	/* after the command: a signal it met may have refreshed the saved state */
	ti = compel_thread(t->ctl, i);
	core_entry__init(core);
	thread_core_entry__init(th);
	core->thread_core = th;
	r = arch_dump_thread_info(a, core, ti);
	if (!r)
		r = dump_thread_state(t->ctl, i, &pts, a, core);
	if (r)
		return pr_err_ret(r, "can't dump thread %d of %d", (int)ti->tid, (int)t->pid);
	th->has_cg_set = true;
	th->cg_set = 1;
	return img_write_one(dir, CR_IMG_CORE, ti->tid, core);
}

int dump_thread_cores(struct dump_task *t, struct img_dir *dir)
{
	unsigned int n = compel_task(t->ctl)->nr_threads;
	struct leader_ns l;

	if (n > 1)
		read_leader_ns(t->pid, &l);
	for (unsigned int i = 1; i < n; i++) {
		int r = dump_one_thread(t, i, &l, dir);

		if (r)
			return r;
	}
	if (n > 1)
		pr_info("process %d: %u threads dumped\n", (int)t->pid, n);
	return 0;
}

int dump_task_mm(struct dump_task *t, MmEntry *mm)
{
	const struct proc_stat *st = &t->stat;
	uint64_t *auxv = NULL;
	size_t n = 0;
	char path[64];
	int r;

	mm->mm_start_code = st->start_code;
	mm->mm_end_code = st->end_code;
	mm->mm_start_data = st->start_data;
	mm->mm_end_data = st->end_data;
	mm->mm_start_stack = st->start_stack;
	mm->mm_start_brk = st->start_brk;
	mm->mm_brk = t->ps.brk;
	mm->mm_arg_start = st->arg_start;
	mm->mm_arg_end = st->arg_end;
	mm->mm_env_start = st->env_start;
	mm->mm_env_end = st->env_end;

	r = proc_read_auxv(t->pid, &auxv, &n);
	if (r)
		return r;
	mm->mm_saved_auxv = arena_array(&t->a, n ?: 1, sizeof(uint64_t));
	if (!mm->mm_saved_auxv) {
		free(auxv);
		return -ENOMEM;
	}
	memcpy(mm->mm_saved_auxv, auxv, n * sizeof(uint64_t));
	mm->n_mm_saved_auxv = n;
	free(auxv);

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)t->pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_err_ret(-errno, "can't open the executable of task %d", (int)t->pid);
	r = dump_file_fd(fd, O_RDONLY, &mm->exe_file_id);
	if (r)
		return r;
	mm->has_dumpable = true;
	mm->dumpable = t->ps.dumpable;
	mm->has_thp_disabled = true;
	mm->thp_disabled = t->ps.thp_disabled > 0;
	return 0;
}

void dump_fill_ns_ids(TaskKobjIdsEntry *ids)
{
	/* Every namespace is criu's own (dump refuses others): CRIU's numbering. */
	ids->has_pid_ns_id = true, ids->pid_ns_id = 1;
	ids->has_net_ns_id = true, ids->net_ns_id = 2;
	ids->has_ipc_ns_id = true, ids->ipc_ns_id = 3;
	ids->has_uts_ns_id = true, ids->uts_ns_id = 4;
	ids->has_time_ns_id = true, ids->time_ns_id = 5;
	ids->has_mnt_ns_id = true, ids->mnt_ns_id = 6;
	ids->has_user_ns_id = true, ids->user_ns_id = 7;
	ids->has_cgroup_ns_id = true, ids->cgroup_ns_id = 8;
}
