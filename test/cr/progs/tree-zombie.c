/*
 * Zombies in the tree: two children ended before the dump and were not
 * reaped, one with exit code 7, one killed by SIGUSR1; a child of a child
 * ended with code 3.  After restore each parent reaps its zombie with the
 * same status, and a live child still runs beside them.
 */
#include "tree-lib.h"

static pid_t z1, z2, live;

static int reap_as(pid_t pid, int want_code, int want_sig)
{
	int st;

	if (waitpid(pid, &st, WNOHANG) != pid) {
		tree_bad("zombie %d is not reapable: %s", (int)pid, strerror(errno));
		return -1;
	}
	if (want_sig && !(WIFSIGNALED(st) && WTERMSIG(st) == want_sig)) {
		tree_bad("zombie %d: status %#x, not killed by signal %d", (int)pid, st, want_sig);
		return -1;
	}
	if (!want_sig && !(WIFEXITED(st) && WEXITSTATUS(st) == want_code)) {
		tree_bad("zombie %d: status %#x, not exit code %d", (int)pid, st, want_code);
		return -1;
	}
	return 0;
}

static pid_t grand;

static void middle(void *arg)
{
	(void)arg;
	siginfo_t si;

	grand = fork();
	if (grand == 0)
		_exit(3);
	waitid(P_PID, grand, &si, WEXITED | WNOWAIT); /* a zombie now */
}

static void middle_check(void *arg)
{
	(void)arg;
	reap_as(grand, 3, 0);
}

int main(int argc, char **argv)
{
	tree_init(argc, argv);
	tree_remember();
	z1 = fork();
	if (z1 == 0)
		_exit(7);
	z2 = fork();
	if (z2 == 0) {
		for (;;)
			pause();
	}
	kill(z2, SIGUSR1);
	live = tree_fork(middle, middle_check, NULL);
	siginfo_t si;

	waitid(P_PID, z1, &si, WEXITED | WNOWAIT);
	waitid(P_PID, z2, &si, WEXITED | WNOWAIT);
	tree_ready(1);
	crtest_wait();
	tree_check_ids();
	reap_as(z1, 7, 0);
	reap_as(z2, 0, SIGUSR1);
	tree_root_verdict();
}
