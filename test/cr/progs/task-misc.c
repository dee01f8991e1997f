/* Per-task state: umask, cwd, comm, personality, pdeathsig, child
 * subreaper, dumpable, timer slack, no_new_privs, rlimits. */
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "crtest.h"

int main(int argc, char **argv)
{
	char dir[] = "/tmp/crtest-cwd.XXXXXX", cwd[4096], comm[32];
	struct rlimit rl;

	crtest_init(argc, argv);
	if (!mkdtemp(dir) || chdir(dir))
		crtest_fail("cwd: %m");
	umask(0027);
	prctl(PR_SET_NAME, "crtest-misc");
	personality(PER_LINUX | ADDR_COMPAT_LAYOUT);
	prctl(PR_SET_PDEATHSIG, SIGUSR2);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_TIMERSLACK, 123456);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	rl.rlim_cur = 512;
	rl.rlim_max = 1024;
	setrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 0;
	rl.rlim_max = 1 << 20;
	setrlimit(RLIMIT_CORE, &rl);

	crtest_ready();
	crtest_wait();

	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, dir))
		crtest_fail("cwd is %s, want %s", cwd, dir);
	rmdir(dir);
	mode_t m = umask(0);
	if (m != 0027)
		crtest_fail("umask %o", m);
	prctl(PR_GET_NAME, comm);
	if (strcmp(comm, "crtest-misc"))
		crtest_fail("comm is %s", comm);
	if (personality(0xffffffff) != (PER_LINUX | ADDR_COMPAT_LAYOUT))
		crtest_fail("personality %x", personality(0xffffffff));
	int v = 0;
	prctl(PR_GET_PDEATHSIG, &v);
	if (v != SIGUSR2)
		crtest_fail("pdeathsig %d", v);
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	if (v != 1)
		crtest_fail("not a child subreaper");
	if (prctl(PR_GET_TIMERSLACK) != 123456)
		crtest_fail("timerslack %d", prctl(PR_GET_TIMERSLACK));
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		crtest_fail("no_new_privs lost");
	if (prctl(PR_GET_DUMPABLE) != 1)
		crtest_fail("dumpable %d", prctl(PR_GET_DUMPABLE));
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != 512 || rl.rlim_max != 1024)
		crtest_fail("RLIMIT_NOFILE %lu/%lu", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
	getrlimit(RLIMIT_CORE, &rl);
	if (rl.rlim_cur != 0 || rl.rlim_max != 1 << 20)
		crtest_fail("RLIMIT_CORE changed");
	crtest_pass();
}
