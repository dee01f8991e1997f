/* Signals: handlers with their flags and masks, ignored signals, the blocked
 * mask, a pending (blocked) signal delivered once unblocked after restore,
 * a queued real-time signal with its value, and the alternate stack. */
#include "crtest.h"

static volatile int got_usr1, got_rt, rt_value;
static char altstack[65536];
static volatile unsigned long handler_sp;

static void on_usr1(int s)
{
	(void)s;
	got_usr1++;
	handler_sp = (unsigned long)__builtin_frame_address(0);
}

static void on_rt(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	got_rt++;
	rt_value = si->si_value.sival_int;
}

int main(int argc, char **argv)
{
	struct sigaction sa, old;
	sigset_t set;
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };

	crtest_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGRTMIN + 3, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (sigaltstack(&ss, NULL))
		crtest_fail("sigaltstack: %m");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 3);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	union sigval v = { .sival_int = 4242 };
	sigqueue(getpid(), SIGRTMIN + 3, v);

	crtest_ready();
	crtest_wait();

	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	if (!sigismember(&cur, SIGUSR1) || !sigismember(&cur, SIGWINCH) || sigismember(&cur, SIGUSR2))
		crtest_fail("blocked mask changed");
	sigset_t pend;
	sigpending(&pend);
	if (!sigismember(&pend, SIGUSR1) || !sigismember(&pend, SIGRTMIN + 3))
		crtest_fail("pending signals lost");
	sigaction(SIGUSR1, NULL, &old);
	if (old.sa_handler != on_usr1 || !(old.sa_flags & SA_ONSTACK) || !(old.sa_flags & SA_RESTART) ||
	    !sigismember(&old.sa_mask, SIGUSR2))
		crtest_fail("SIGUSR1 action changed");
	sigaction(SIGRTMIN + 3, NULL, &old);
	if (old.sa_sigaction != on_rt || !(old.sa_flags & SA_SIGINFO) || !(old.sa_flags & SA_NODEFER))
		crtest_fail("SIGRTMIN+3 action changed");
	sigaction(SIGPIPE, NULL, &old);
	if (old.sa_handler != SIG_IGN)
		crtest_fail("SIGPIPE no longer ignored");
	stack_t cs;
	sigaltstack(NULL, &cs);
	if (cs.ss_sp != altstack || cs.ss_size != sizeof(altstack))
		crtest_fail("sigaltstack changed");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (got_usr1 != 1 || got_rt != 1 || rt_value != 4242)
		crtest_fail("pending signals delivered wrong: usr1 %d rt %d value %d", got_usr1, got_rt, rt_value);
	if (handler_sp < (unsigned long)altstack || handler_sp >= (unsigned long)altstack + sizeof(altstack))
		crtest_fail("handler did not run on the alternate stack");
	crtest_pass();
}
