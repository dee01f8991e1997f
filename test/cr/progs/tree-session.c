/*
 * Sessions: the root leads its session.  Child A forks B, then leads a
 * session of its own (setsid), then forks C: B stays in the root's session
 * under a parent of another session, C is in A's.  The root is a child
 * subreaper; its child X leads a session, forks Y (in X's session and
 * group) and exits: Y is the root's child, in a session and a process
 * group whose leader is gone.  After restore all of
 * them are in their sessions and groups, with their parents.
 */
#include "tree-lib.h"

static void leaf(void *arg)
{
	(void)arg;
}

static void a_setup(void *arg)
{
	(void)arg;
	tree_fork(leaf, NULL, NULL); /* B: born in the root's session */
	if (setsid() < 0)
		crtest_say("setsid: %s\n", strerror(errno));
	tree_remember();
	tree_fork(leaf, NULL, NULL); /* C: in A's session */
}

int main(int argc, char **argv)
{
	pid_t x, y;
	int st;

	tree_init(argc, argv);
	tree_remember();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	tree_fork(a_setup, NULL, NULL);

	/* X: a session of its own, a child Y, then X exits: Y comes to us. */
	int p[2];
	if (pipe(p))
		crtest_fail("pipe: %s", strerror(errno));
	x = fork();
	if (x == 0) {
		pid_t xp = getpid(); /* in X, x is fork()'s 0 */

		setsid();
		y = fork();
		if (y == 0) {
			close(p[0]);
			close(p[1]);
			/* No parent death signal until X is gone: its exit would fire it. */
			memset(&tree_me, 0, sizeof(tree_me));
			while (getppid() == xp)
				usleep(1000);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			tree_me.ppid = getppid();
			tree_remember();
			tree_set_up();
			crtest_wait();
			tree_check_ids();
			if (getsid(0) == getpid() || getpgrp() == getpid())
				tree_bad("leads its own session or group");
			_exit(tree_me.bad ? 1 : 0);
		}
		if (write(p[1], &y, sizeof(y)) != sizeof(y))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &y, sizeof(y)) != sizeof(y))
		crtest_fail("no pid from X");
	close(p[0]);
	waitpid(x, &st, 0);
	if (tree_me.nr_kids < TREE_MAX_KIDS)
		tree_me.kids[tree_me.nr_kids++] = y;
	tree_ready(4);
	crtest_wait();
	tree_check_ids();
	{
		int sub = 0;

		if (prctl(PR_GET_CHILD_SUBREAPER, &sub) || sub != 1)
			tree_bad("no longer a child subreaper (%d)", sub);
	}
	tree_root_verdict();
}
