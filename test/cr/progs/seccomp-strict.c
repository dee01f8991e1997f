/* Seccomp strict mode: the restored task may only read, write, exit and
 * sigreturn.  It waits in read() on a pipe of its own (SIGTERM's handler,
 * which returns through rt_sigreturn, interrupts it), checks the pipe
 * still works, reports with write() and leaves with exit(), never
 * exit_group().  Any other syscall after the restore would kill it, so the
 * PASS line also says the restore made no forbidden call for it.  (That
 * strict mode is really back can't be seen from inside without dying; the
 * unit test checks it: test/unit/task-state.c.) */
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
	int p[2];
	char c;

	crtest_init(argc, argv);
	if (pipe(p))
		crtest_fail("pipe: %m");
	crtest_ready();
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0))
		crtest_fail("strict mode: %m");
	while (!crtest_stop)
		if (read(p[0], &c, 1) < 0 && errno != EINTR)
			break;
	if (!crtest_stop || write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1 || c != 'x')
		say("FAIL: read or write on the pipe\n");
	else
		say("PASS\n");
	syscall(SYS_exit, 0);
	return 0;
}
