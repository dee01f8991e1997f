/*
 * criu dump -t PID: checkpoint the process tree under PID.
 *
 * Order of work:
 *   look at the root in /proc (refuse what is not supported, untouched)
 *   -> seize the root (compel), then every child of every thread of every
 *      seized task, again and again until a whole pass finds no new task
 *      (tasks that fork or exit meanwhile), within --timeout
 *   -> check every task (namespaces, sessions, groups, terminals) and give
 *      each its kernel object ids (kcmp: shared fd tables, fs info, and a
 *      child sharing its parent's memory and signal handlers)
 *   -> each live task in turn: smaps + pagemap, its fds (files.h), infect,
 *      task state and threads from the parasite, page contents, cure;
 *      core, mm, ids, fs images.  A child sharing its parent's memory
 *      gets no mm or pages of its own.  A zombie gets its core only (state
 *      TASK_DEAD and its exit code, as CRIU writes it).
 *   -> once for the tree: shared memory contents, files.img, pstree,
 *      seccomp, inventory images
 *   -> kill every task (default), leave them stopped (-s) or running (-R)
 *   -> stats-dump.
 * Any failure before the end releases every seized task as it was (compel
 * restores registers and mask; nothing of the parasite stays) and says why.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define LOG_PREFIX "dump: "
#include "compel/blobs/criu-parasite-blob.h"
#include "action-scripts.h"
#include "arch.h"
#include "cr-util.h"
#include "cr_options.h"
#include "dump.h"
#include "files.h"
#include "inventory.h"
#include "log.h"
#include "net-lock.h"
#include "sk-inet.h"
#include "mem.h"
#include "pstree.h"
#include "shmem.h"
#include "stats.h"
#include "task-state.h"
#include "threads.h"

#define PF_KTHREAD 0x00200000
#define PF_EXITING 0x00000004
/* Room for page ranges of one compel_dump_pages() batch, and the task state. */
#define PARASITE_ARGS_SIZE (64u << 10)

/* task_core_entry.task_state of a zombie, as CRIU writes it */
#define TASK_DEAD 2

/* The tree being dumped, parents before children (the root first). */
struct dump_tree {
	struct dump_task **v;
	size_t n, max;
	uint32_t next_pages_id;
};

static struct dump_task *tree_find(const struct dump_tree *tr, pid_t pid)
{
	for (size_t i = 0; i < tr->n; i++)
		if (tr->v[i]->pid == pid)
			return tr->v[i];
	return NULL;
}

static void task_free(struct dump_task *t)
{
	arena_free(&t->a);
	proc_status_free(&t->status);
	free(t);
}

/* What can be refused by looking at /proc: before seizing and once seized. */
static int check_task(struct dump_task *t, bool root)
{
	char what[256];
	int r;

	proc_status_free(&t->status);
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
		if (root) {
			pr_err("process %d is a zombie: nothing to dump\n", (int)t->pid);
			return -EINVAL;
		}
		return 0; /* a zombie of the tree: its core only */
	}
	r = cr_foreign_namespaces(t->pid, what, sizeof(what));
	if (r)
		return r;
	if (what[0]) {
		pr_err("process %d is in other namespaces than criu (%s): not supported yet\n", (int)t->pid, what);
		return -EOPNOTSUPP;
	}
	if (!opts.shell_job) {
		if (root && t->stat.sid != t->pid) {
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

/* ------------------------------------------------------------ freezing */

static int tree_add(struct dump_tree *tr, pid_t pid, pid_t ppid, struct dump_task **out)
{
	struct dump_task *t;

	if (tr->n == tr->max) {
		size_t m = tr->max ? tr->max * 2 : 16;
		struct dump_task **v = xrealloc(tr->v, m * sizeof(*v));

		if (!v)
			return -ENOMEM;
		tr->v = v;
		tr->max = m;
	}
	t = xzalloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pid = pid;
	t->ppid = ppid;
	tr->v[tr->n++] = t;
	*out = t;
	return 0;
}

/*
 * Seize @pid, a child of @ppid (0: the root).  A child gone meanwhile (its
 * parent reaps automatically) is left out: returns 1 then.
 */
static int seize_task(struct dump_tree *tr, pid_t pid, pid_t ppid)
{
	struct dump_task *t;
	int r;

	r = tree_add(tr, pid, ppid, &t);
	if (r)
		return r;
	r = compel_seize(pid, 0, &t->ctl);
	if (r == -ESRCH && ppid) {
		pr_info("process %d (a child of %d) ended before it could be seized\n", (int)pid, (int)ppid);
		task_free(tr->v[--tr->n]);
		return 1;
	}
	if (r) {
		pr_err("can't seize process %d: %s\n", (int)pid, strerror(-r));
		task_free(tr->v[--tr->n]);
		return r;
	}
	t->zombie = compel_task(t->ctl)->state == COMPEL_TASK_ZOMBIE;
	t->stopped = compel_task(t->ctl)->state == COMPEL_TASK_STOPPED;
	pr_info("seized process %d (parent %d)%s%s\n", (int)pid, (int)ppid, t->zombie ? ", a zombie" : "",
		t->stopped ? ", stopped" : "");
	return 0;
}

/* Append the children of every thread of @pid to *@kids (a growing array). */
static int list_children(pid_t pid, pid_t **kids, size_t *nr, size_t *max)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : pr_err_ret(-errno, "can't list the threads of %d", (int)pid);
	while (!r && (de = readdir(d))) {
		_cleanup_free_ char *text = NULL;
		char name[300];
		char *p, *end;

		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "task/%s/children", de->d_name);
		if (proc_read_file(pid, name, &text, NULL))
			continue; /* the thread ended */
		for (p = text;; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			if (*nr == *max) {
				size_t m = *max ? *max * 2 : 32;
				pid_t *n = xrealloc(*kids, m * sizeof(*n));

				if (!n) {
					r = -ENOMEM;
					break;
				}
				*kids = n;
				*max = m;
			}
			(*kids)[(*nr)++] = (pid_t)c;
		}
	}
	closedir(d);
	return r;
}

/*
 * Seize the root, then the children of every seized task, pass after pass,
 * until a pass finds nobody new: a frozen task forks no more, but its
 * children may have until they were seized, and a subreaper inherits
 * orphans.  Zombies are collected too (seized as zombies: nothing stops).
 */
static int freeze_tree(struct dump_tree *tr, pid_t root)
{
	uint64_t deadline = stats_now_us() + (uint64_t)(opts.timeout > 0 ? opts.timeout : 10) * 1000000;
	_cleanup_free_ pid_t *kids = NULL;
	size_t max = 0;
	bool found;
	int r;

	r = seize_task(tr, root, 0);
	if (r)
		return r;
	do {
		found = false;
		for (size_t i = 0; i < tr->n; i++) {
			size_t nr = 0;

			if (tr->v[i]->zombie)
				continue;
			r = list_children(tr->v[i]->pid, &kids, &nr, &max);
			if (r)
				return r;
			for (size_t k = 0; k < nr; k++) {
				if (tree_find(tr, kids[k]))
					continue;
				r = seize_task(tr, kids[k], tr->v[i]->pid);
				if (r < 0)
					return r;
				found |= r == 0;
			}
		}
		if (found && stats_now_us() > deadline) {
			pr_err("the tree of process %d kept changing for %d s (--timeout): giving up\n", (int)root,
			       opts.timeout > 0 ? opts.timeout : 10);
			return -ETIMEDOUT;
		}
	} while (found);
	pr_info("tree of process %d frozen: %zu processes\n", (int)root, tr->n);
	return 0;
}

/* ------------------------------------------------------------ checks and ids */

/* Is @pid a process on this system (outside the tree, when not in it)? */
static bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/*
 * Sessions and groups must be restorable: a session or group whose
 * leader is neither in the tree nor gone (its pid taken by a process
 * outside) could not be made again.
 */
static int check_ids(const struct dump_tree *tr)
{
	const struct dump_task *root = tr->v[0];

	for (size_t i = 0; i < tr->n; i++) {
		const struct dump_task *t = tr->v[i];
		pid_t sid = t->stat.sid, pgid = t->stat.pgid;

		if (i && sid != root->stat.sid && !tree_find(tr, sid) && sid && pid_alive(sid)) {
			pr_err("process %d is in session %d, whose leader is alive outside the dumped tree: "
			       "not supported\n",
			       (int)t->pid, (int)sid);
			return -EOPNOTSUPP;
		}
		if (opts.shell_job && pgid == root->stat.pgid)
			continue;
		if (!tree_find(tr, pgid) && pid_alive(pgid)) {
			pr_err("process %d is in process group %d, whose leader is alive outside the dumped tree: "
			       "not supported\n",
			       (int)t->pid, (int)pgid);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static long kcmp(pid_t a, pid_t b, int type)
{
	long r = syscall(SYS_kcmp, a, b, type, 0, 0);

	return r < 0 ? -errno : r;
}

/* The fd numbers of @pid, sorted, into *@v (*@n of them). */
static int list_fds(pid_t pid, int **v, size_t *n)
{
	char path[64];
	struct dirent *de;
	size_t max = 0;
	DIR *d;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return pr_err_ret(-errno, "can't list the fds of %d", (int)pid);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == max) {
			int *m = xrealloc(*v, (max = max ? 2 * max : 64) * sizeof(**v));

			if (!m) {
				closedir(d);
				return -ENOMEM;
			}
			*v = m;
		}
		(*v)[(*n)++] = atoi(de->d_name);
	}
	closedir(d);
	for (size_t i = 1; i < *n; i++) /* few fds: insertion sort */
		for (size_t j = i; j > 0 && (*v)[j - 1] > (*v)[j]; j--) {
			int x = (*v)[j];

			(*v)[j] = (*v)[j - 1];
			(*v)[j - 1] = x;
		}
	return 0;
}

/* Does fd @fd of @pid have close-on-exec set?  -errno if it can't be read. */
static int fd_cloexec(pid_t pid, int fd)
{
	_cleanup_free_ char *text = NULL;
	char name[64];
	const char *f;

	snprintf(name, sizeof(name), "fdinfo/%d", fd);
	if (proc_read_file(pid, name, &text, NULL))
		return -ENOENT;
	f = strstr(text, "flags:");
	if (!f)
		return -EINVAL;
	return (strtoul(f + 6, NULL, 8) & O_CLOEXEC) != 0;
}

/*
 * Has the child @c an fd table of its own that is still a copy of its
 * parent @p's (the same fd numbers, each the same description with the
 * same close-on-exec flag)?  Then the copy clone() makes on restore is
 * right.  1 yes, 0 no, -errno.
 */
static int same_fds(pid_t p, pid_t c)
{
	_cleanup_free_ int *a = NULL, *b = NULL;
	size_t na, nb;
	int r;

	r = list_fds(p, &a, &na);
	if (!r)
		r = list_fds(c, &b, &nb);
	if (r)
		return r;
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		if (a[i] != b[i] || syscall(SYS_kcmp, p, c, KCMP_FILE, a[i], b[i]) != 0)
			return 0;
		if (fd_cloexec(p, a[i]) != fd_cloexec(c, b[i]))
			return 0;
	}
	return 1;
}

/* The same directory (dev, inode) at /proc/@p/@what and /proc/@c/@what? */
static bool same_dir(pid_t p, pid_t c, const char *what)
{
	char a[64], b[64];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "/proc/%d/%s", (int)p, what);
	snprintf(b, sizeof(b), "/proc/%d/%s", (int)c, what);
	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The Umask line of /proc/@pid/status, -1 if none. */
static long umask_of(pid_t pid)
{
	_cleanup_free_ char *text = NULL;
	const char *u;

	if (proc_read_file(pid, "status", &text, NULL) || !(u = strstr(text, "Umask:")))
		return -1;
	return strtol(u + 6, NULL, 8);
}

/* Has @c fs info of its own that is still a copy of @p's (cwd, root, umask)? */
static bool same_fs(const struct dump_task *p, const struct dump_task *c)
{
	long m = umask_of(p->pid);

	return same_dir(p->pid, c->pid, "cwd") && same_dir(p->pid, c->pid, "root") && m >= 0 && m == umask_of(c->pid);
}

/*
 * A process sharing memory (CLONE_VM) with another without being its
 * thread: restorable when it is a child of that process, shares its
 * signal handlers too, its fd table and fs info or copies of them that
 * have not changed since, has one thread and no children (its parent's
 * restorer creates it once the memory is back).  Anything else is refused
 * by name.
 */
static int check_vm_child(struct dump_tree *tr, struct dump_task *t, struct dump_task *o)
{
	const char *why = NULL;
	int r = 0;

	if (o->pid != t->ppid)
		why = "it is not its child";
	else if (o->vm_child)
		why = "the parent shares memory with its own parent";
	else if (t->ids.sighand_id != o->ids.sighand_id)
		why = "not their signal handlers (CLONE_SIGHAND)";
	else if (t->ids.files_id != o->ids.files_id && (r = same_fds(o->pid, t->pid)) <= 0)
		why = "not their fd table (CLONE_FILES), and their fds differ";
	else if (t->ids.fs_id != o->ids.fs_id && !same_fs(o, t))
		why = "not their fs info (CLONE_FS), and their cwd, root or umask differ";
	else if (compel_task(t->ctl)->nr_threads != 1)
		why = "the child has threads";
	else if (t->stat.sid != o->stat.sid || t->stat.pgid != o->stat.pgid)
		why = "the child is not in its parent's session and process group";
	for (size_t i = 0; !why && i < tr->n; i++)
		if (tr->v[i]->ppid == t->pid)
			why = "the child has children of its own";
	if (r < 0)
		return r;
	if (why) {
		pr_err("processes %d and %d share their memory (CLONE_VM), but %s: not supported\n", (int)o->pid,
		       (int)t->pid, why);
		return -EOPNOTSUPP;
	}
	t->vm_child = true;
	pr_info("process %d shares the memory and signal handlers of its parent %d\n", (int)t->pid, (int)o->pid);
	return 0;
}

/*
 * vm, files, fs and sighand ids: the same id where two tasks share the
 * object (kcmp says equal), else the next of its kind.  Processes sharing
 * memory and signal handlers (CLONE_VM|CLONE_SIGHAND without threads) are
 * checked by check_vm_child().
 */
static int assign_ids(struct dump_tree *tr)
{
	static const int kinds[] = { KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND };
	static const char *const names[] = { "memory (CLONE_VM)", "fd table", "fs info", "signal handlers" };
	uint32_t next[4] = { DUMP_ID_TASK, DUMP_ID_TASK, DUMP_ID_TASK, DUMP_ID_TASK };

	for (size_t i = 0; i < tr->n; i++) {
		struct dump_task *t = tr->v[i], *vm_with = NULL;
		uint32_t *id[4] = { &t->ids.vm_id, &t->ids.files_id, &t->ids.fs_id, &t->ids.sighand_id };

		task_kobj_ids_entry__init(&t->ids);
		if (t->zombie)
			continue;
		for (int k = 0; k < 4; k++) {
			*id[k] = 0;
			for (size_t j = 0; j < i && !*id[k]; j++) {
				struct dump_task *o = tr->v[j];
				uint32_t *oid[4] = { &o->ids.vm_id, &o->ids.files_id, &o->ids.fs_id,
						     &o->ids.sighand_id };
				long r;

				if (o->zombie)
					continue;
				r = kcmp(t->pid, o->pid, kinds[k]);
				if (r < 0) {
					pr_warn("kcmp(%d, %d): %s: taken as not shared\n", (int)t->pid, (int)o->pid,
						strerror((int)-r));
					continue;
				}
				if (r)
					continue;
				if (k == 0)
					vm_with = o;
				*id[k] = *oid[k];
				pr_info("process %d shares the %s of process %d (id %u)\n", (int)t->pid, names[k],
					(int)o->pid, *id[k]);
			}
			if (!*id[k])
				*id[k] = next[k]++;
		}
		if (vm_with) {
			int r = check_vm_child(tr, t, vm_with);

			if (r)
				return r;
		}
		dump_fill_ns_ids(&t->ids);
	}
	return 0;
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

/* ------------------------------------------------------------ one task */

/*
 * The fds, then inside the task: the parasite's view and, with @md, the
 * pages (a child sharing its parent's memory has none of its own).
 */
static int dump_infected(struct dump_task *t, struct mem_dump *md, struct img_dir *dir, uint32_t pages_id)
{
	int r, ret = 0;

	/*
	 * The fds first, while no fd of the parasite's (its socket, its
	 * memfd) is in the task's table.
	 */
	r = dump_task_files(t->ctl, t->pid, t->ids.files_id, dir);
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
	if (!r && md)
		r = mem_dump_pages(t->ctl, t->pid, md, dir, pages_id);
	int c = compel_cure(t->ctl);
	if (c)
		pr_err("can't cure process %d: %s\n", (int)t->pid, strerror(-c));
	return r ?: c;
}

/*
 * A child sharing its parent's memory: its fds (its parent's table), its
 * task state and threads from the parasite, its core and ids; its memory
 * was dumped with its parent's.
 */
static int dump_vm_child(struct dump_task *t, struct img_dir *dir)
{
	CoreEntry *core;
	int r;

	r = dump_infected(t, NULL, dir, 0);
	if (!r)
		r = dump_task_core(t, &core);
	if (!r)
		r = img_write_one(dir, CR_IMG_CORE, t->pid, core);
	if (!r)
		r = img_write_one(dir, CR_IMG_IDS, t->pid, &t->ids);
	return r;
}

static int dump_one(struct dump_task *t, struct img_dir *dir, struct dump_stats *st, uint32_t pages_id)
{
	struct mem_dump md;
	CoreEntry *core;
	MmEntry mm = MM_ENTRY__INIT;
	uint64_t t0 = stats_now_us();
	int r;

	pr_info("dumping process %d (%s)%s\n", (int)t->pid, t->stat.comm, t->stopped ? ", stopped" : "");
	if (t->vm_child)
		return dump_vm_child(t, dir);
	r = mem_dump_collect(t->pid, &md);
	if (r)
		goto out;
	r = mem_dump_scan(t->pid, &md);
	if (r)
		goto out;
	st->memdump_time += stats_now_us() - t0;
	r = dump_infected(t, &md, dir, pages_id);
	if (r)
		goto out;
	st->memwrite_time += md.write_us;
	st->pages_scanned += md.pages_scanned;
	st->pages_written += md.pages_written;

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
		r = img_write_one(dir, CR_IMG_IDS, t->pid, &t->ids);
out:
	mem_dump_free(&md);
	return r;
}

/* A zombie: its core with state TASK_DEAD and the exit code (wait status). */
static int dump_zombie(struct dump_task *t, struct img_dir *dir)
{
	CoreEntry core = CORE_ENTRY__INIT;
	TaskCoreEntry tc = TASK_CORE_ENTRY__INIT;

	core.mtype = ARCH_CORE_MTYPE;
	core.tc = &tc;
	tc.task_state = TASK_DEAD;
	tc.exit_code = (uint32_t)t->stat.exit_code;
	tc.comm = t->stat.comm;
	pr_info("process %d is a zombie (exit status %#x)\n", (int)t->pid, t->stat.exit_code);
	return img_write_one(dir, CR_IMG_CORE, t->pid, &core);
}

/* pstree.img: every task, its threads as compel seized them. */
static int write_pstree(const struct dump_tree *tr, struct img_dir *dir)
{
	_cleanup_free_ struct pstree_task *pt = xzalloc(tr->n * sizeof(*pt));
	_cleanup_free_ pid_t *tids = NULL;
	size_t nr = 0, k = 0;

	if (!pt)
		return -ENOMEM;
	for (size_t i = 0; i < tr->n; i++)
		nr += tr->v[i]->zombie ? 1 : compel_task(tr->v[i]->ctl)->nr_threads;
	tids = xmalloc((nr ?: 1) * sizeof(*tids));
	if (!tids)
		return -ENOMEM;
	for (size_t i = 0; i < tr->n; i++) {
		const struct dump_task *t = tr->v[i];
		unsigned int n = t->zombie ? 1 : compel_task(t->ctl)->nr_threads;

		pt[i] = (struct pstree_task){ .pid = t->pid,
					      .ppid = t->ppid,
					      .pgid = t->stat.pgid,
					      .sid = t->stat.sid,
					      .tids = &tids[k],
					      .nr_tids = n };
		tids[k] = t->pid;
		for (unsigned int j = 0; !t->zombie && j < n; j++)
			tids[k + j] = compel_thread(t->ctl, j)->tid; /* the leader first */
		k += n;
	}
	return pstree_write(dir, pt, tr->n);
}

/* ------------------------------------------------------------ the end */

/* Wait until @pid is dead (gone or a zombie its parent has not reaped). */
static bool wait_dead(pid_t pid)
{
	for (int i = 0; i < 2000; i++) {
		if (proc_pid_dead(pid, NULL))
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * Kill the tree, children before their parents, each reaped by its own
 * parent (a remote wait4() in the parent, still seized): their pids are
 * free when the dump returns, whatever reaps orphans here and however
 * slowly.  The root is its parent's to reap, outside the tree.
 */
static int kill_tree(struct dump_tree *tr)
{
	int r = 0;

	for (size_t i = tr->n; i-- > 0;) {
		struct dump_task *t = tr->v[i], *p = i ? tree_find(tr, t->ppid) : NULL;
		long ret;

		if (!t->zombie && kill(t->pid, SIGKILL) && !r)
			r = pr_err_ret(-errno, "can't kill process %d after the dump", (int)t->pid);
		if (compel_release(t->ctl) && !r)
			r = -EIO;
		t->ctl = NULL;
		if (!p || p->zombie || !p->ctl)
			continue;
		/* -ECHILD: the parent ignores SIGCHLD, the kernel reaped the child already */
		if (compel_syscall(p->ctl, 0, __NR_wait4, &ret, (const unsigned long[6]){ t->pid, 0, __WALL, 0 }) ||
		    (ret != t->pid && ret != -ECHILD))
			pr_warn("process %d can't reap its child %d: its reaper will\n", (int)p->pid, (int)t->pid);
	}
	for (size_t i = 0; i < tr->n; i++)
		if (!tr->v[i]->zombie && !wait_dead(tr->v[i]->pid) && !r)
			r = pr_err_ret(-ETIMEDOUT, "process %d is still alive after SIGKILL", (int)tr->v[i]->pid);
	if (!r)
		pr_info("%zu processes killed\n", tr->n);
	return r;
}

/* The end of a successful dump: what -R, -s or the default ask for, for every task. */
static int finish_tree(struct dump_tree *tr)
{
	int r = 0;

	if (!opts.leave_running && !opts.leave_stopped)
		return kill_tree(tr);
	for (size_t i = 0; i < tr->n; i++) {
		struct dump_task *t = tr->v[i];

		if (!t->zombie && opts.leave_stopped && kill(t->pid, SIGSTOP) && !r)
			r = pr_err_ret(-errno, "can't stop process %d after the dump", (int)t->pid);
	}
	for (size_t i = 0; i < tr->n; i++) {
		int c = compel_release(tr->v[i]->ctl);

		tr->v[i]->ctl = NULL;
		if (c && !r)
			r = c;
	}
	pr_info("%zu processes left %s\n", tr->n, opts.leave_running ? "running" : "stopped");
	return r;
}

/* SIGKILL is pending for @pid (killed, not gone yet). */
static bool sigkill_pending(pid_t pid)
{
	_cleanup_free_ char *st = NULL;
	unsigned long long mask;

	if (proc_read_file(pid, "status", &st, NULL))
		return false;
	for (const char *k = st; (k = strstr(k, "Pnd:")); k += 4)
		if (sscanf(k + 4, "%llx", &mask) == 1 && (mask & (1ULL << (SIGKILL - 1))))
			return true;
	return false;
}

/* The task is gone, a zombie or on its way (killed while being dumped, say). */
static bool task_died(pid_t pid)
{
	struct proc_stat ps = { 0 };

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	if (proc_pid_dead(pid, &ps) || (ps.flags & PF_EXITING))
		return true;
	return sigkill_pending(pid);
}

/* A failed dump: every seized task goes on as it was. */
static void release_tree(struct dump_tree *tr)
{
	pid_t root = tr->n ? tr->v[0]->pid : opts.tree_id;
	bool died = false, stuck = false;

	for (size_t i = tr->n; i-- > 0;) {
		struct dump_task *t = tr->v[i];

		if (compel_release(t->ctl)) {
			pr_err("can't release process %d cleanly\n", (int)t->pid);
			stuck = true;
		} else if (!t->zombie && task_died(t->pid)) {
			if (i)
				pr_err("process %d died while being dumped\n", (int)t->pid);
			died = true;
		}
		t->ctl = NULL;
	}
	if (died && tr->n && task_died(root))
		pr_err("dump of process %d failed: it died while being dumped\n", (int)root);
	else if (!stuck && !died)
		pr_err("dump of process %d failed: %s untouched\n", (int)root,
		       tr->n > 1 ? "the tree goes on running" : "it goes on running");
	else
		pr_err("dump of process %d failed\n", (int)root);
}

static void free_tree(struct dump_tree *tr)
{
	for (size_t i = 0; i < tr->n; i++)
		task_free(tr->v[i]);
	free(tr->v);
	*tr = (struct dump_tree){ 0 };
	shmem_dump_fini();
	files_dump_fini();
}

static int dump_tree(struct dump_tree *tr, struct img_dir *dir, struct dump_stats *st)
{
	uint32_t pages_id = 1;
	int r;

	for (size_t i = 0; i < tr->n; i++) {
		r = check_task(tr->v[i], i == 0); /* a thread or a terminal may have come meanwhile */
		if (r)
			return r;
		tr->v[i]->zombie |= tr->v[i]->stat.state == 'Z' || tr->v[i]->stat.state == 'X';
	}
	r = check_ids(tr);
	if (!r)
		r = assign_ids(tr);
	for (size_t i = 0; !r && i < tr->n; i++)
		r = tr->v[i]->zombie ? dump_zombie(tr->v[i], dir)
				     : dump_one(tr->v[i], dir, st, tr->v[i]->vm_child ? 0 : pages_id++);
	if (!r)
		r = shmem_dump_contents(dir, pages_id, &st->pages_written);
	if (!r)
		r = files_dump_finish(dir);
	if (!r)
		r = write_pstree(tr, dir);
	if (!r)
		r = task_state_dump_finish(dir); /* seccomp.img */
	if (!r)
		r = write_inventory_img(dir);
	return r;
}

int cr_dump_tasks(void)
{
	struct img_dir *dir _cleanup_img_dir_ = NULL;
	struct dump_tree tr = { 0 };
	struct dump_task probe = { .pid = opts.tree_id };
	struct dump_stats st = { 0 };
	uint64_t t0, frozen;
	int r;

	cr_compel_log_setup();
	if (probe.pid <= 0) {
		pr_err("dump needs the process to dump: -t PID\n");
		return -EINVAL;
	}
	if (probe.pid == getpid()) {
		pr_err("criu can't dump itself\n");
		return -EINVAL;
	}
	r = cr_open_images_dir(IMG_DIR_CREATE, &dir);
	if (r)
		return r;
	r = inet_check_task(probe.pid); /* sk-inet.h: a connection without --tcp-established, first as in CRIU */
	if (!r)
		r = check_task(&probe, true);
	proc_status_free(&probe.status);
	if (!r)
		r = run_scripts(ACT_PRE_DUMP, probe.pid);
	if (r) {
		if (r != -ESRCH)
			pr_err("dump of process %d refused: it was not touched\n", (int)probe.pid);
		return r;
	}

	t0 = stats_now_us();
	r = freeze_tree(&tr, probe.pid);
	frozen = stats_now_us();
	st.freezing_time = frozen - t0;
	if (!r)
		r = dump_tree(&tr, dir, &st);
	if (!r)
		r = run_scripts(ACT_POST_DUMP, probe.pid);
	if (r) {
		network_dump_end(r); /* connections out of repair mode and unlocked before the tree resumes */
		release_tree(&tr);
		free_tree(&tr);
		return r;
	}
	network_dump_end(0); /* with -R: connections out of repair mode and unlocked */
	r = finish_tree(&tr);
	st.frozen_time = stats_now_us() - frozen;
	free_tree(&tr);
	if (r)
		return r;
	r = stats_write_dump(dir, &st);
	if (opts.display_stats)
		stats_show_dump(&st);
	if (!r)
		pr_info("dump of process %d finished\n", (int)probe.pid);
	return r;
}
