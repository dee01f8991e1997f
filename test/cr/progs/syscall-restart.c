/* A task frozen inside a blocking syscall comes back inside it: a futex
 * wait with no timeout is restarted after restore (no spurious EINTR, no
 * raw -ERESTARTSYS), and only the SIGTERM handler's wake-up ends it. */
#include <linux/futex.h>
#include "crtest.h"

static volatile int word, handled;

static void on_term_wake(int s)
{
	(void)s;
	handled++;
	word = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	long r;

	crtest_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term_wake;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	crtest_ready();

	/* The handler sets the word: the restarted wait then sees 1 != 0 and
	 * returns EAGAIN.  Anything else ends the wait wrongly. */
	r = syscall(SYS_futex, &word, FUTEX_WAIT, 0, NULL, NULL, 0);
	int e = errno;

	if (!handled)
		crtest_fail("the futex wait ended before any signal: ret %ld errno %d", r, e);
	if (r != -1 || e != EAGAIN)
		crtest_fail("the futex wait ended with ret %ld errno %d, want EAGAIN after a restart", r, e);
	crtest_pass();
}
