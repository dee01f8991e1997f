/*
 * criu dump -t PID: checkpoint one single-threaded process.
 *
 * Order of work:
 *   look at /proc (refuse what is not supported, before touching the task)
 *   -> seize (compel) -> check again (a thread or child may have appeared)
 *   -> smaps + pagemap (nothing of criu's is mapped in the task yet)
 *   -> infect: task state from the parasite, fds (files.h), page contents
 *   -> cure -> core, mm, ids, files, pstree, seccomp, inventory images
 *   -> kill the task (default), leave it stopped (-s) or running (-R)
 *   -> stats-dump.
 * Any failure before the end releases the task as it was (compel restores
 * registers and mask; nothing of the parasite stays) and says why.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#define LOG_PREFIX "dump: "
#include "compel/blobs/criu-parasite-blob.h"
#include "action-scripts.h"
#include "cr-util.h"
#include "cr_options.h"
#include "dump.h"
#include "files.h"
#include "inventory.h"
#include "log.h"
#include "mem.h"
#include "pstree.h"
#include "shmem.h"
#include "stats.h"
#include "task-state.h"
#include "threads.h"

#define PF_KTHREAD 0x00200000
#define PAGES_ID   1
/* Room for page ranges of one compel_dump_pages() batch, and the task state. */
#define PARASITE_ARGS_SIZE (64u << 10)

/* Children of @pid (its only thread), as a short list in @buf; 0 when none. */
static int children_of(pid_t pid, char *buf, size_t len)
{
	char name[64];
	_cleanup_free_ char *t = NULL;
	int r;

	snprintf(name, sizeof(name), "task/%d/children", (int)pid);
	r = proc_read_file(pid, name, &t, NULL);
	if (r)
		return r;
	size_t n = strlen(t);
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\n'))
		t[--n] = '\0';
	snprintf(buf, len, "%s", t);
	return n ? 1 : 0;
}

/* What can be refused by looking at /proc: before seizing and once seized. */
static int check_task(struct dump_task *t)
{
	char what[256];
	int r;

	r = proc_read_status(t->pid, &t->status);
	if (r == -ESRCH) {
		pr_err("no process with pid %d\n", (int)t->pid);
		return r;
	}
	if (r)
		return r;
	r = proc_read_stat(t->pid, &t->stat);
	if (r)
		return r;
	if (t->status.tgid != t->pid) {
		pr_err("%d is a thread of process %d: give the process's pid\n", (int)t->pid, (int)t->status.tgid);
		return -EINVAL;
	}
	if (t->status.kthread || (t->stat.flags & PF_KTHREAD)) {
		pr_err("%d is a kernel thread: it can't be dumped\n", (int)t->pid);
		return -EPERM;
	}
	if (t->stat.state == 'Z' || t->stat.state == 'X') {
		pr_err("process %d is a zombie: nothing to dump\n", (int)t->pid);
		return -EINVAL;
	}
	r = children_of(t->pid, what, sizeof(what));
	if (r < 0)
		return r;
	if (r) {
		pr_err("process %d has children (%s): dumping process trees is not supported yet\n", (int)t->pid, what);
		return -EOPNOTSUPP;
	}
	r = cr_foreign_namespaces(t->pid, what, sizeof(what));
	if (r)
		return r;
	if (what[0]) {
		pr_err("process %d is in other namespaces than criu (%s): not supported yet\n", (int)t->pid, what);
		return -EOPNOTSUPP;
	}
	if (!opts.shell_job) {
		if (t->stat.sid != t->pid) {
			pr_err("process %d is not a session leader (its session %d is outside the dump); "
			       "consider using --shell-job\n",
			       (int)t->pid, (int)t->stat.sid);
			return -EOPNOTSUPP;
		}
		if (t->stat.tty_nr) {
			pr_err("process %d has a controlling terminal; consider using --shell-job\n", (int)t->pid);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int write_ids(struct img_dir *dir, pid_t pid)
{
	TaskKobjIdsEntry ids = TASK_KOBJ_IDS_ENTRY__INIT;

	ids.vm_id = ids.files_id = ids.fs_id = ids.sighand_id = DUMP_ID_TASK;
	dump_fill_ns_ids(&ids);
	return img_write_one(dir, CR_IMG_IDS, pid, &ids);
}

static int write_inventory_img(struct img_dir *dir)
{
	TaskKobjIdsEntry ids = TASK_KOBJ_IDS_ENTRY__INIT;
	struct inventory_params p = { .root_ids = &ids, .root_cg_set = 1 };

	ids.vm_id = ids.files_id = ids.fs_id = ids.sighand_id = DUMP_ID_CRIU;
	dump_fill_ns_ids(&ids);
	p.network_lock_method = opts.network_lock_method;
	p.tcp_close = opts.tcp_close;
	return write_inventory(dir, &p);
}

/* The fds, then inside the task: the parasite's view and the pages. */
static int dump_infected(struct dump_task *t, struct mem_dump *md, struct img_dir *dir)
{
	int r, ret = 0;

	/*
	 * The fds first, while no fd of the parasite's (its socket, its
	 * memfd) is in the task's table.
	 */
	r = dump_task_files(t->ctl, t->pid, DUMP_ID_TASK, dir);
	if (r)
		return r;
	r = compel_infect(t->ctl, &criu_parasite_blob, PARASITE_ARGS_SIZE);
	if (r)
		return pr_err_ret(r, "can't infect process %d", (int)t->pid);
	r = compel_rpc(t->ctl, 0, PARASITE_CMD_TASK_STATE, &ret);
	if (!r && ret)
		r = pr_err_ret(ret, "the parasite can't read the state of process %d", (int)t->pid);
	if (!r)
		memcpy(&t->ps, compel_args(t->ctl), sizeof(t->ps));
	if (!r)
		r = dump_thread_cores(t, dir); /* threads.h */
	if (!r)
		r = mem_dump_pages(t->ctl, t->pid, md, dir, PAGES_ID);
	if (!r)
		r = shmem_dump_contents(dir, PAGES_ID + 1, &md->shmem_pages);
	int c = compel_cure(t->ctl);
	if (c)
		pr_err("can't cure process %d: %s\n", (int)t->pid, strerror(-c));
	return r ?: c;
}

/* The task is gone or a zombie (killed while being dumped, say). */
static bool task_died(pid_t pid)
{
	struct proc_stat ps;

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	return !proc_read_stat(pid, &ps) && (ps.state == 'Z' || ps.state == 'X');
}

static int dump_one(struct dump_task *t, struct img_dir *dir, struct dump_stats *st)
{
	struct mem_dump md;
	CoreEntry *core;
	MmEntry mm = MM_ENTRY__INIT;
	uint64_t t0 = stats_now_us();
	int r;

	r = mem_dump_collect(t->pid, &md);
	if (r)
		goto out;
	r = mem_dump_scan(t->pid, &md);
	if (r)
		goto out;
	st->memdump_time = stats_now_us() - t0;
	r = dump_infected(t, &md, dir);
	if (r)
		goto out;
	st->memwrite_time = md.write_us;
	st->pages_scanned = md.pages_scanned;
	st->pages_written = md.pages_written;

	r = dump_task_core(t, &core);
	if (!r)
		r = img_write_one(dir, CR_IMG_CORE, t->pid, core);
	if (!r)
		r = dump_task_mm(t, &mm);
	if (!r)
		r = mem_dump_vmas(&md, &mm);
	if (!r)
		r = img_write_one(dir, CR_IMG_MM, t->pid, &mm);
	if (!r)
		r = write_ids(dir, t->pid);
	if (!r)
		r = files_dump_finish(dir);
	if (!r)
		r = pstree_write_one(dir, t->pid, t->stat.pgid, t->stat.sid, t->ctl);
	if (!r)
		r = task_state_dump_finish(dir); /* seccomp.img */
	if (!r)
		r = write_inventory_img(dir);
out:
	mem_dump_free(&md);
	return r;
}

/* Wait until @pid is dead (gone or a zombie its parent has not reaped). */
static bool wait_dead(pid_t pid)
{
	for (int i = 0; i < 2000; i++) {
		struct proc_stat st;
		char path[64], buf[1024];
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return true;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return true;
		buf[n] = '\0';
		if (proc_parse_stat(buf, &st) || st.state == 'Z' || st.state == 'X')
			return true;
		usleep(1000);
	}
	return false;
}

/* The end of a successful dump: what -R, -s or the default ask for. */
static int finish_task(struct dump_task *t)
{
	int r;

	if (opts.leave_running) {
		r = compel_release(t->ctl);
		pr_info("process %d left running\n", (int)t->pid);
		return r;
	}
	if (opts.leave_stopped) {
		if (kill(t->pid, SIGSTOP))
			pr_perror("can't stop process %d", (int)t->pid);
		r = compel_release(t->ctl);
		pr_info("process %d left stopped\n", (int)t->pid);
		return r;
	}
	if (kill(t->pid, SIGKILL))
		return pr_err_ret(-errno, "can't kill process %d after the dump", (int)t->pid);
	compel_release(t->ctl);
	if (!wait_dead(t->pid))
		return pr_err_ret(-ETIMEDOUT, "process %d is still alive after SIGKILL", (int)t->pid);
	pr_info("process %d killed\n", (int)t->pid);
	return 0;
}

int cr_dump_tasks(void)
{
	struct img_dir *dir _cleanup_img_dir_ = NULL;
	struct dump_task t = { .pid = opts.tree_id };
	struct dump_stats st = { 0 };
	uint64_t t0, frozen;
	int r;

	cr_compel_log_setup();
	if (t.pid <= 0) {
		pr_err("dump needs the process to dump: -t PID\n");
		return -EINVAL;
	}
	if (t.pid == getpid()) {
		pr_err("criu can't dump itself\n");
		return -EINVAL;
	}
	r = cr_open_images_dir(IMG_DIR_CREATE, &dir);
	if (r)
		return r;
	r = check_task(&t);
	if (!r)
		r = run_scripts(ACT_PRE_DUMP, t.pid);
	if (r)
		goto out_refused;

	t0 = stats_now_us();
	r = compel_seize(t.pid, 0, &t.ctl);
	if (r) {
		pr_err("can't seize process %d: %s\n", (int)t.pid, strerror(-r));
		goto out_refused;
	}
	frozen = stats_now_us();
	st.freezing_time = frozen - t0;
	t.stopped = compel_task(t.ctl)->state == COMPEL_TASK_STOPPED;
	proc_status_free(&t.status);
	r = check_task(&t); /* a child or thread may have come meanwhile */
	if (r)
		goto out_release;

	pr_info("dumping process %d (%s)%s\n", (int)t.pid, t.stat.comm, t.stopped ? ", stopped" : "");
	r = dump_one(&t, dir, &st);
	if (!r)
		r = run_scripts(ACT_POST_DUMP, t.pid);
	if (r)
		goto out_release;
	r = finish_task(&t);
	st.frozen_time = stats_now_us() - frozen;
	shmem_dump_fini();
	files_dump_fini();
	arena_free(&t.a);
	proc_status_free(&t.status);
	if (r)
		return r;
	r = stats_write_dump(dir, &st);
	if (opts.display_stats)
		stats_show_dump(&st);
	if (!r)
		pr_info("dump of process %d finished\n", (int)t.pid);
	return r;

out_release:
	if (compel_release(t.ctl))
		pr_err("can't release process %d cleanly\n", (int)t.pid);
	else if (task_died(t.pid))
		pr_err("dump of process %d failed: it died while being dumped\n", (int)t.pid);
	else
		pr_err("dump of process %d failed: it goes on running untouched\n", (int)t.pid);
	goto out_free;
out_refused:
	if (r != -ESRCH)
		pr_err("dump of process %d refused: it was not touched\n", (int)t.pid);
out_free:
	shmem_dump_fini();
	files_dump_fini();
	arena_free(&t.a);
	proc_status_free(&t.status);
	return r;
}
