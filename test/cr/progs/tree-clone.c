/*
 * Children made with clone(): F shares the root's fd table (CLONE_FILES),
 * S its fs info (CLONE_FS).  After restore kcmp still says so, and it
 * works: an fd F opens is the root's too; a chdir of S moves the root's
 * current directory.
 */
#include <linux/kcmp.h>
#include <sched.h>
#include <sys/syscall.h>

#include "tree-lib.h"

static volatile int opened = -1;
static char dir[] = "/tmp/crtest-clone.XXXXXX";

static pid_t clone_child(unsigned long flags, void (*check)(void))
{
	pid_t parent = getpid();
	pid_t pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);

	if (pid < 0)
		crtest_fail("clone: %s", strerror(errno));
	if (pid) {
		tree_me.kids[tree_me.nr_kids++] = pid;
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	memset(&tree_me, 0, sizeof(tree_me));
	tree_me.ppid = parent;
	tree_remember();
	tree_set_up();
	crtest_wait();
	tree_check_ids();
	check();
	_exit(tree_me.bad ? 1 : 0);
}

static void f_check(void)
{
	if (syscall(SYS_kcmp, getpid(), getppid(), KCMP_FILES, 0, 0) != 0)
		tree_bad("kcmp: the fd table is not the parent's");
	opened = open("/dev/null", O_RDONLY); /* the parent looks for it (its own copy of this word) */
	if (opened < 0)
		tree_bad("open: %s", strerror(errno));
	if (write(STDOUT_FILENO, "", 0) < 0)
		tree_bad("stdout: %s", strerror(errno));
}

static void s_check(void)
{
	if (syscall(SYS_kcmp, getpid(), getppid(), KCMP_FS, 0, 0) != 0)
		tree_bad("kcmp: the fs info is not the parent's");
	if (chdir(dir))
		tree_bad("chdir: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	char cwd[256];
	int before;

	tree_init(argc, argv);
	tree_remember();
	if (!mkdtemp(dir) || chdir("/"))
		crtest_fail("setup: %s", strerror(errno));
	clone_child(CLONE_FILES, f_check);
	clone_child(CLONE_FS, s_check);
	tree_ready(2);
	crtest_wait();
	tree_check_ids();
	before = dup(0);
	close(before);
	/* F opens an fd in the shared table: the lowest free one, which is ours as well. */
	kill(tree_me.kids[0], SIGTERM);
	kill(tree_me.kids[1], SIGTERM);
	for (int i = 0; i < 500 && fcntl(before, F_GETFD) < 0; i++)
		usleep(10000);
	if (fcntl(before, F_GETFD) < 0)
		tree_bad("fd %d that the child opened is not in our table", before);
	for (int i = 0; i < 500 && (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, dir)); i++)
		usleep(10000);
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, dir))
		tree_bad("the child's chdir did not move our cwd (%s)", cwd);
	if (chdir("/") || rmdir(dir))
		tree_bad("cleanup: %s", strerror(errno));
	tree_root_verdict();
}
