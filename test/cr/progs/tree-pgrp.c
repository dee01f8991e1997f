/*
 * A process group whose leader has exited: the root's child L makes a
 * group, its siblings M and N join it, then L exits (reaped).  M and N
 * are still in group L, an orphaned group without its leader; M has a
 * child of its own in it.  After restore all are in group L.
 */
#include "tree-lib.h"

static pid_t leader;

static void leaf(void *arg)
{
	(void)arg;
}

static void join(void *arg)
{
	(void)arg;
	if (setpgid(0, leader))
		crtest_say("setpgid: %s\n", strerror(errno));
	tree_remember();
	if (arg)
		tree_fork(leaf, NULL, NULL);
}

int main(int argc, char **argv)
{
	int st;

	tree_init(argc, argv);
	tree_remember();
	leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(leader, leader);
	tree_fork(join, NULL, (void *)1L);
	tree_fork(join, NULL, NULL);
	tree_wait_set_up(3);
	kill(leader, SIGKILL);
	waitpid(leader, &st, 0);
	crtest_ready();
	crtest_wait();
	tree_check_ids();
	for (int i = 0; i < tree_me.nr_kids; i++)
		if (getpgid(tree_me.kids[i]) != leader)
			tree_bad("child %d is in group %d, not %d", (int)tree_me.kids[i], (int)getpgid(tree_me.kids[i]),
				 (int)leader);
	tree_root_verdict();
}
