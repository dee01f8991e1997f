/* Seccomp strict mode: the restored task may only read, write, exit and
 * sigreturn.  It waits by spinning on a flag (no sleeping syscall is
 * allowed; SIGTERM's handler, which returns through rt_sigreturn, sets
 * it), reports with write() and leaves with exit(), never exit_group().
 * Any other syscall after the restore would kill it, so the PASS line also
 * says the restore made no forbidden call on its behalf.  (That strict
 * mode is really back can't be seen from inside without dying; the unit
 * test test/unit/task-state.c checks it.) */
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include "crtest.h"

static void say(const char *s)
{
	if (write(STDOUT_FILENO, s, strlen(s)) < 0)
		return;
}

int main(int argc, char **argv)
{
	crtest_init(argc, argv);
	crtest_ready();
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0))
		crtest_fail("strict mode: %m");
	while (!crtest_stop)
		__builtin_ia32_pause();
	say("PASS\n");
	syscall(SYS_exit, 0);
	return 0;
}
