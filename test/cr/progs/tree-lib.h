/*
 * Helpers for the process-tree tests (test/cr/progs/tree-*.c).
 *
 * The runner signals the root only.  Every task of a test tree waits in
 * tree_wait(); on SIGTERM it checks its own state (its check function),
 * passes SIGTERM on to its children, collects their exit statuses and
 * exits 0 only if it and all of them are right.  The root prints the one
 * PASS/FAIL line.  Children die with their parent (PR_SET_PDEATHSIG), so a
 * killed root leaves nothing behind.
 */
#ifndef TREE_LIB_H
#define TREE_LIB_H

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "crtest.h"

#define TREE_MAX_KIDS 64

/* What a task of the tree expects of itself after the restore. */
struct tree_node {
	pid_t pid, ppid, pgid, sid;
	int pdeath; /* its parent death signal, 0 when not checked */
	pid_t kids[TREE_MAX_KIDS];
	int nr_kids;
	int bad; /* problems found */
};

static struct tree_node tree_me;

/* A shared page counting the tasks that are set up (tree_init()). */
static volatile unsigned int *tree_ready_count;

static inline void tree_init(int argc, char **argv)
{
	crtest_init(argc, argv);
	tree_ready_count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tree_ready_count == MAP_FAILED)
		crtest_fail("mmap: %s", strerror(errno));
}

static inline void tree_set_up(void)
{
	__atomic_add_fetch(tree_ready_count, 1, __ATOMIC_SEQ_CST);
}

/* The root: wait until @n tasks said they are set up. */
static inline void tree_wait_set_up(unsigned int n)
{
	for (int i = 0; i < 10000 && __atomic_load_n(tree_ready_count, __ATOMIC_SEQ_CST) < n; i++)
		usleep(1000);
	if (*tree_ready_count < n)
		crtest_fail("only %u of %u tasks got set up", *tree_ready_count, n);
}

/* ... and tell the runner. */
static inline void tree_ready(unsigned int n)
{
	tree_wait_set_up(n);
	crtest_ready();
}

/* Say what is wrong (a child's lines name its pid) and remember it. */
#define tree_bad(fmt, ...)                                                                                          \
	do {                                                                                                        \
		crtest_say("FAIL: %s %d: " fmt "\n", tree_me.ppid ? "task" : "root", (int)getpid(), ##__VA_ARGS__); \
		tree_me.bad++;                                                                                      \
	} while (0)

static inline void tree_remember(void)
{
	tree_me.pid = getpid();
	tree_me.pgid = getpgrp();
	tree_me.sid = getsid(0);
}

/* The usual checks: same pid, parent, group and session as before. */
static inline void tree_check_ids(void)
{
	if (getpid() != tree_me.pid)
		tree_bad("pid is %d, was %d", (int)getpid(), (int)tree_me.pid);
	if (tree_me.ppid && getppid() != tree_me.ppid)
		tree_bad("parent is %d, was %d", (int)getppid(), (int)tree_me.ppid);
	if (getpgrp() != tree_me.pgid)
		tree_bad("process group is %d, was %d", (int)getpgrp(), (int)tree_me.pgid);
	if (getsid(0) != tree_me.sid)
		tree_bad("session is %d, was %d", (int)getsid(0), (int)tree_me.sid);
	if (tree_me.pdeath) {
		int sig = 0;

		if (prctl(PR_GET_PDEATHSIG, &sig) || sig != tree_me.pdeath)
			tree_bad("parent death signal is %d, was %d", sig, tree_me.pdeath);
	}
}

/* SIGTERM to each child, then their statuses: the number of bad ones. */
static inline int tree_collect(void)
{
	int bad = 0;

	for (int i = 0; i < tree_me.nr_kids; i++)
		kill(tree_me.kids[i], SIGTERM);
	for (int i = 0; i < tree_me.nr_kids; i++) {
		int st;

		if (waitpid(tree_me.kids[i], &st, 0) != tree_me.kids[i]) {
			tree_bad("can't wait for child %d: %s", (int)tree_me.kids[i], strerror(errno));
			bad++;
		} else if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			if (!WIFEXITED(st))
				tree_bad("child %d was killed by signal %d", (int)tree_me.kids[i], WTERMSIG(st));
			else
				crtest_say("note: child %d of %d exited with %d\n", (int)tree_me.kids[i], (int)getpid(),
					   WEXITSTATUS(st));
			bad++;
		}
	}
	return bad;
}

/*
 * A child task: remembers who it is, runs @setup, waits for SIGTERM, runs
 * @check (may be NULL: the ids only), collects its own children and exits.
 */
static inline pid_t tree_fork(void (*setup)(void *), void (*check)(void *), void *arg)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0) {
		crtest_fail("fork: %s", strerror(errno));
	}
	if (pid) {
		if (tree_me.nr_kids < TREE_MAX_KIDS)
			tree_me.kids[tree_me.nr_kids++] = pid;
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	memset(&tree_me, 0, sizeof(tree_me));
	tree_me.ppid = parent;
	tree_me.pdeath = SIGKILL;
	tree_remember();
	if (setup)
		setup(arg);
	tree_set_up();
	crtest_wait();
	tree_check_ids();
	if (check)
		check(arg);
	if (tree_collect())
		tree_me.bad++;
	_exit(tree_me.bad ? 1 : 0);
}

/* The root, after crtest_wait(): its checks are done; collect and say. */
static inline void tree_root_verdict(void)
{
	int bad = tree_collect();

	if (bad || tree_me.bad)
		crtest_fail("%d of %d children and %d own problems", bad, tree_me.nr_kids, tree_me.bad);
	crtest_pass();
}

/* Wait (a while) until *@p holds @v: memory another task writes. */
static inline int tree_wait_word(volatile unsigned int *p, unsigned int v)
{
	for (int i = 0; i < 5000 && *p != v; i++)
		usleep(1000);
	return *p == v ? 0 : -1;
}

#endif /* TREE_LIB_H */
