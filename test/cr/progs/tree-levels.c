/*
 * A tree of three levels (root, 3 children, 2 grandchildren each, one of
 * them with a child of its own): after restore every task has its pid, its
 * parent, its group and session, and each parent can wait for its children
 * (they are its children again, with their pids).  One child leads a
 * process group of its own that its sibling joins.
 */
#include "tree-lib.h"

static pid_t group_of_first;

static void leaf(void *arg)
{
	(void)arg;
}

static void deep(void *arg)
{
	(void)arg;
	tree_fork(leaf, NULL, NULL);
}

static void middle(void *arg)
{
	long k = (long)arg;

	if (k == 0) {
		setpgid(0, 0); /* a group of its own, joined by child 1 */
		tree_remember();
	}
	if (k == 1) {
		if (setpgid(0, group_of_first))
			crtest_say("setpgid: %s\n", strerror(errno));
		tree_remember();
	}
	tree_fork(leaf, NULL, NULL);
	tree_fork(k == 2 ? deep : leaf, NULL, NULL);
}

int main(int argc, char **argv)
{
	tree_init(argc, argv);
	tree_remember();
	group_of_first = tree_fork(middle, NULL, (void *)0L);
	setpgid(group_of_first, group_of_first); /* no race with the child's own call */
	tree_fork(middle, NULL, (void *)1L);
	tree_fork(middle, NULL, (void *)2L);
	tree_ready(10); /* 3 children, 7 grandchildren and below */
	crtest_wait();
	tree_check_ids();
	tree_root_verdict();
}
