/*
 * A child made with clone(CLONE_VM) without being a thread: it shares the
 * root's memory but not its signal handlers (with the argument "sighand":
 * both, and a copy of the fd table that differs from the root's).  Dump refuses it by name and the tree runs
 * on (test/trees/basic.t); not in the C/R lists.
 */
#include <sched.h>
#include <sys/mman.h>

#include "tree-lib.h"

static volatile int ticks;

static int child(void *arg)
{
	(void)arg;
	while (!crtest_stop) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		ticks++;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t len = 256 << 10;
	char *stack;
	pid_t pid;
	int st, flags;

	tree_init(argc, argv);
	stack = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		crtest_fail("mmap: %s", strerror(errno));
	flags = CLONE_VM | SIGCHLD;
	if (argc > 1 && !strcmp(argv[1], "sighand"))
		flags |= CLONE_SIGHAND;
	pid = clone(child, stack + len, flags, NULL);
	if (pid < 0)
		crtest_fail("clone: %s", strerror(errno));
	if ((flags & CLONE_SIGHAND) && open("/dev/null", O_RDONLY) < 0) /* the fd tables differ now */
		crtest_fail("open: %s", strerror(errno));
	crtest_ready();
	crtest_wait(); /* the child sees crtest_stop too: one memory */
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		crtest_fail("the child ended badly (%#x)", st);
	crtest_pass();
}
