/*
 * The plan of a tree to restore (see restore.h), made in criu's main
 * process before any task exists: who forks whom and when, so that every
 * task gets its session and process group; the helpers a session or group
 * whose leader is gone needs; which children share their parent's fd
 * table or fs info (and the children sharing their parent's memory, which
 * its restorer creates); with --shell-job, the tree's session and group mapped
 * to criu's.  Everything that can't be planned is refused here, by name.
 */
#include <linux/sched.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>

#define LOG_PREFIX "restore: "
#include "cr_options.h"
#include "log.h"
#include "proc-parse.h"
#include "restore.h"

struct restore_task *restore_find_pid(struct restore_tree *tr, pid_t pid)
{
	for (unsigned int i = 0; i < tr->n; i++)
		if (tr->t[i].pid == pid)
			return &tr->t[i];
	return NULL;
}

/* Is @pid in use?  A zombie (of a dump just done, say) gets a moment to be reaped. */
bool restore_pid_taken(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		if (kill(pid, 0) && errno == ESRCH)
			return false;
		if (!restore_task_dead(pid))
			return true;
		usleep(10000);
	}
	return true;
}

/* Is the created task @pid dead (gone, or a zombie)? */
bool restore_task_dead(pid_t pid)
{
	return proc_pid_dead(pid, NULL);
}

static struct restore_task *add_helper(struct restore_tree *tr, struct restore_task *parent, pid_t pid)
{
	struct restore_task *h = &tr->t[tr->n];
	struct restore_task **k = xrealloc(parent->kids, (parent->nr_kids + 2) * sizeof(*k));

	if (!k)
		return NULL;
	parent->kids = k;
	*h = (struct restore_task){ .pid = pid,
				    .ppid = parent->pid,
				    .pgid = pid,
				    .sid = parent->sid,
				    .idx = tr->n,
				    .kind = RT_HELPER,
				    .parent = parent,
				    .group_leader = -1,
				    .files_owner = tr->n,
				    .files_seq = -1,
				    .files_prev = -1,
				    .status_fd = -1,
				    .sync_fd = -1,
				    .status_rfd = -1,
				    .sync_wfd = -1,
				    .mr = { .exe_fd = -1 } };
	h->kids = xzalloc(tr->nr_tasks * sizeof(*h->kids));
	if (!h->kids)
		return NULL;
	parent->kids[parent->nr_kids++] = h;
	tr->n++;
	return h;
}

/* Move @k from its parent's children to @h's. */
static void move_kid(struct restore_task *k, struct restore_task *h)
{
	struct restore_task *p = k->parent;

	for (unsigned int i = 0; i < p->nr_kids; i++)
		if (p->kids[i] == k) {
			memmove(&p->kids[i], &p->kids[i + 1], (p->nr_kids - i - 1) * sizeof(*p->kids));
			p->nr_kids--;
			break;
		}
	h->kids[h->nr_kids++] = k;
	k->parent = h;
	k->under_helper = true;
}

#define NO_SID 0

/*
 * Sessions.  A task is born in its parent's session of the moment; it
 * keeps it, or leads a new one (setsid()).  So a child whose session is
 * its parent's session from before the parent's setsid() is forked before
 * it; a child in a session that none of its ancestors can give it is
 * forked by a helper that takes the session's pid and leads it, then
 * exits: the child goes to its subreaper, which must be its dumped parent.
 */
static int plan_sessions(struct restore_tree *tr)
{
	unsigned int n = tr->nr_tasks;
	_cleanup_free_ pid_t *need = xzalloc(n * sizeof(pid_t));
	_cleanup_free_ pid_t *birth = xzalloc(n * sizeof(pid_t));
	_cleanup_free_ pid_t *final = xzalloc(n * sizeof(pid_t));

	if (!need || !birth || !final)
		return -ENOMEM;
	/* What each task needs to be born in (children after parents in the image: walk back). */
	for (unsigned int i = n; i-- > 0;) {
		struct restore_task *t = &tr->t[i];

		t->setsid = t->sid == t->pid;
		if (!t->setsid) {
			need[i] = t->sid;
			continue;
		}
		need[i] = NO_SID;
		for (unsigned int k = 0; k < t->nr_kids; k++) {
			const struct restore_task *c = t->kids[k];

			if (c->sid == c->pid || c->sid == t->pid)
				continue;
			if (need[i] != NO_SID && need[i] != c->sid) {
				pr_err("children of process %d are in sessions %d and %d, neither its own: not "
				       "supported\n",
				       (int)t->pid, (int)need[i], (int)c->sid);
				return -EOPNOTSUPP;
			}
			need[i] = c->sid;
		}
	}
	birth[0] = tr->criu_sid;
	if (!tr->t[0].setsid && tr->t[0].sid != tr->criu_sid)
		return pr_err_ret(-EINVAL, "the root process %d is in session %d", (int)tr->t[0].pid,
				  (int)tr->t[0].sid);
	final[0] = tr->t[0].setsid ? tr->t[0].pid : birth[0];
	for (unsigned int i = 1; i < n; i++) {
		struct restore_task *c = &tr->t[i], *p = c->parent;
		unsigned int pi = p->idx;

		if (need[i] == NO_SID || need[i] == final[pi]) {
			birth[i] = final[pi];
		} else if (p->setsid && need[i] == birth[pi]) {
			birth[i] = birth[pi];
			c->early = true;
		} else {
			struct restore_task *h = NULL;
			const TaskCoreEntry *tc = p->core ? p->core->tc : NULL;

			if (restore_find_pid(tr, need[i]) && restore_find_pid(tr, need[i])->kind != RT_HELPER) {
				pr_err("process %d is in session %d, which its parent %d can't give it: not "
				       "supported\n",
				       (int)c->pid, (int)need[i], (int)p->pid);
				return -EOPNOTSUPP;
			}
			if (p->kind != RT_ALIVE || !tc || !tc->has_child_subreaper || !tc->child_subreaper) {
				pr_err("process %d is in session %d, whose leader is gone, and its parent %d is not a "
				       "child subreaper: not supported\n",
				       (int)c->pid, (int)need[i], (int)p->pid);
				return -EOPNOTSUPP;
			}
			for (unsigned int k = 0; k < p->nr_kids; k++)
				if (p->kids[k]->kind == RT_HELPER && p->kids[k]->pid == need[i])
					h = p->kids[k];
			if (!h) {
				if (restore_pid_taken(need[i]))
					return pr_err_ret(-EEXIST,
							  "pid %d (session %d) is taken: can't restore into it",
							  (int)need[i], (int)need[i]);
				h = add_helper(tr, p, need[i]);
				if (!h)
					return -ENOMEM;
				h->setsid = true;
				h->sid = need[i];
				pr_info("helper %d makes session %d for the children of %d\n", (int)h->pid, (int)h->sid,
					(int)p->pid);
			}
			move_kid(c, h);
			birth[i] = need[i];
		}
		final[i] = c->setsid ? c->pid : birth[i];
		if (final[i] != c->sid)
			return pr_err_ret(-EINVAL, "process %d can't get its session %d", (int)c->pid, (int)c->sid);
	}
	return 0;
}

/*
 * Process groups: a task joins a group once its leader made it; a group
 * whose leader is gone is made by a helper with its pid, a child of the
 * first task joining it, as CRIU does.
 */
static int plan_groups(struct restore_tree *tr)
{
	unsigned int n = tr->n; /* session helpers lead their groups */

	for (unsigned int i = 0; i < n; i++) {
		struct restore_task *t = &tr->t[i], *l;

		if (t->pgid == t->pid || (opts.shell_job && t->pgid == tr->criu_pgid))
			continue;
		l = restore_find_pid(tr, t->pgid);
		if (!l) {
			if (restore_pid_taken(t->pgid))
				return pr_err_ret(-EEXIST, "pid %d (process group %d) is taken: can't restore into it",
						  (int)t->pgid, (int)t->pgid);
			l = add_helper(tr, t, t->pgid);
			if (!l)
				return -ENOMEM;
			l->sid = t->sid;
			pr_info("helper %d makes process group %d for process %d\n", (int)l->pid, (int)l->pgid,
				(int)t->pid);
		}
		if (l->sid != t->sid) {
			pr_err("process %d is in group %d of session %d, but is in session %d\n", (int)t->pid,
			       (int)t->pgid, (int)l->sid, (int)t->sid);
			return -EINVAL;
		}
		t->group_leader = l->idx;
	}
	return 0;
}

/*
 * Shared fd tables and fs info: a child sharing its parent's is created
 * with CLONE_FILES / CLONE_FS.  Tasks of one fd table enter their
 * restorers one after the other (files_seq, files_prev).
 */
static int plan_sharing(struct restore_tree *tr)
{
	for (unsigned int i = 0; i < tr->nr_tasks; i++) {
		struct restore_task *t = &tr->t[i], *p = t->parent;

		if (t->kind != RT_ALIVE)
			continue;
		if (p && p->kind == RT_ALIVE && !t->under_helper) {
			if (t->ids->files_id == p->ids->files_id) {
				t->clone_flags |= CLONE_FILES;
				t->files_owner = p->files_owner;
			}
			if (t->ids->fs_id == p->ids->fs_id)
				t->clone_flags |= CLONE_FS;
		}
		for (unsigned int j = 0; j < i; j++) {
			struct restore_task *o = &tr->t[j];

			if (o->kind != RT_ALIVE)
				continue;
			if (o->ids->files_id == t->ids->files_id && t->files_owner != o->files_owner) {
				pr_err("processes %d and %d share an fd table but not through parent and child: not "
				       "supported\n",
				       (int)o->pid, (int)t->pid);
				return -EOPNOTSUPP;
			}
			if (o->ids->fs_id == t->ids->fs_id && !(t->clone_flags & CLONE_FS) && j != (p ? p->idx : 0))
				pr_warn("processes %d and %d shared their fs info: restored apart\n", (int)o->pid,
					(int)t->pid);
		}
	}
	for (unsigned int i = 0; i < tr->nr_tasks; i++) {
		struct restore_task *t = &tr->t[i];
		int seq = 0, prev = -1;

		if (t->kind != RT_ALIVE || t->files_owner != (int)i)
			continue;
		for (unsigned int j = i + 1; j < tr->nr_tasks; j++)
			if (tr->t[j].kind == RT_ALIVE && tr->t[j].files_owner == (int)i)
				seq++;
		if (!seq)
			continue;
		seq = 0;
		for (unsigned int j = i; j < tr->nr_tasks; j++) {
			if (tr->t[j].kind != RT_ALIVE || tr->t[j].files_owner != (int)i)
				continue;
			tr->t[j].files_seq = seq++;
			tr->t[j].files_prev = prev;
			prev = j;
		}
		pr_info("process %d and %d more share one fd table\n", (int)t->pid, seq - 1);
	}
	return 0;
}

/*
 * A child sharing its parent's memory and signal handlers is created by
 * its parent's restorer, in its parent's session and group, sharing its
 * fd table and fs info or with copies of them (which clone() makes: the
 * dump checked they were still copies), with no children of its own.
 */
static int plan_vm_children(struct restore_tree *tr)
{
	for (unsigned int i = 0; i < tr->nr_tasks; i++) {
		const struct restore_task *t = &tr->t[i], *p = t->parent;
		const char *why = NULL;

		if (!t->vm_child)
			continue;
		if (p->vm_child || t->under_helper)
			why = "its parent is not the process it shares its memory with";
		else if (t->nr_kids)
			why = "it has children of its own";
		else if (t->sid != p->sid || t->pgid != p->pgid)
			why = "it is not in its parent's session and process group";
		if (why) {
			pr_err("process %d shares the memory of its parent %d, but %s: not supported\n", (int)t->pid,
			       (int)p->pid, why);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* --shell-job: the tree's session (and the root's group, if it did not lead it) become criu's. */
static int map_shell_job(struct restore_tree *tr)
{
	struct restore_task *root = &tr->t[0];
	pid_t old_sid = root->sid, old_pgid = root->pgid;

	if (root->sid == root->pid)
		return 0;
	if (!opts.shell_job) {
		pr_err("process %d was not a session leader (session %d): consider using --shell-job\n", (int)root->pid,
		       (int)root->sid);
		return -EOPNOTSUPP;
	}
	pr_info("shell job: session %d -> %d, group %d -> %d\n", (int)old_sid, (int)tr->criu_sid, (int)old_pgid,
		(int)(old_pgid == root->pid ? old_pgid : tr->criu_pgid));
	for (unsigned int i = 0; i < tr->n; i++) {
		struct restore_task *t = &tr->t[i];

		if (t->sid == old_sid)
			t->sid = tr->criu_sid;
		if (old_pgid != root->pid && t->pgid == old_pgid)
			t->pgid = tr->criu_pgid;
	}
	return 0;
}

int restore_plan(struct restore_tree *tr)
{
	int r = map_shell_job(tr);

	if (!r)
		r = plan_sessions(tr);
	if (!r)
		r = plan_groups(tr);
	if (!r)
		r = plan_sharing(tr);
	if (!r)
		r = plan_vm_children(tr);
	return r;
}
