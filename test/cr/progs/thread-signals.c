/* thread-signals: signals pending for one thread stay that thread's, in
 * order, with their siginfo: SIGUSR1 sent to thread 1 (tgkill), SIGRTMIN+2
 * queued twice to thread 2 with values, nothing for thread 3; SIGRTMIN+3
 * pending for the whole process.  Every thread blocks all three. */
#include <pthread.h>
#include "crtest.h"

#define NT 3

static pthread_barrier_t ready, checked, done;
static pthread_t t[NT + 1];
static char err[NT + 1][200];

#define BAD(...) (snprintf(err[i], sizeof(err[i]), __VA_ARGS__), (void)0)

static void check_pending(int i)
{
	sigset_t p;

	sigpending(&p); /* the thread's own and the process's */
	for (int sig = 1; sig < SIGRTMAX; sig++) {
		int want = sig == SIGRTMIN + 3 || (i == 1 && sig == SIGUSR1) || (i == 2 && sig == SIGRTMIN + 2);
		if (sigismember(&p, sig) != want)
			return BAD("thread %d: signal %d %s pending", i, sig, want ? "is not" : "is");
	}
}

static void take_own(int i)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	sigset_t s;

	sigemptyset(&s);
	if (i == 1) {
		sigaddset(&s, SIGUSR1);
		if (sigtimedwait(&s, &si, &zero) != SIGUSR1 || (si.si_code != SI_TKILL && si.si_code != SI_USER) ||
		    si.si_pid != getpid())
			return BAD("thread 1: SIGUSR1 code %d from %d", si.si_code, si.si_pid);
	}
	if (i == 2) {
		sigaddset(&s, SIGRTMIN + 2);
		for (int k = 0; k < 2; k++)
			if (sigtimedwait(&s, &si, &zero) != SIGRTMIN + 2 || si.si_code != SI_QUEUE ||
			    si.si_value.sival_int != 100 + k)
				return BAD("thread 2: signal %d: code %d value %d", k, si.si_code,
					   si.si_value.sival_int);
		if (sigtimedwait(&s, &si, &zero) >= 0)
			return BAD("thread 2: a third SIGRTMIN+2");
	}
}

static void *run(void *arg)
{
	int i = (int)(long)arg;

	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&ready);	/* signals sent */
	pthread_barrier_wait(&checked); /* after restore */
	check_pending(i);
	pthread_barrier_wait(&done);
	if (!err[i][0])
		take_own(i);
	return NULL;
}

int main(int argc, char **argv)
{
	sigset_t s;

	crtest_init(argc, argv);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGRTMIN + 2);
	sigaddset(&s, SIGRTMIN + 3);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	pthread_barrier_init(&ready, NULL, NT + 1);
	pthread_barrier_init(&checked, NULL, NT + 1);
	pthread_barrier_init(&done, NULL, NT + 1);
	for (long i = 1; i <= NT; i++)
		if (pthread_create(&t[i], NULL, run, (void *)i))
			crtest_fail("pthread_create");
	pthread_barrier_wait(&ready);
	union sigval v0 = { .sival_int = 100 }, v1 = { .sival_int = 101 };
	if (pthread_kill(t[1], SIGUSR1) || pthread_sigqueue(t[2], SIGRTMIN + 2, v0) ||
	    pthread_sigqueue(t[2], SIGRTMIN + 2, v1) || kill(getpid(), SIGRTMIN + 3))
		crtest_fail("sending the signals: %m");
	pthread_barrier_wait(&ready);

	crtest_ready();
	crtest_wait();

	pthread_barrier_wait(&checked);
	int i = 0;
	check_pending(0);
	pthread_barrier_wait(&done);
	for (int k = 1; k <= NT; k++)
		pthread_join(t[k], NULL);
	for (int k = 0; k <= NT; k++)
		if (err[k][0])
			crtest_fail("%s", err[k]);
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	sigdelset(&s, SIGUSR1);
	sigdelset(&s, SIGRTMIN + 2);
	if (sigtimedwait(&s, &si, &zero) != SIGRTMIN + 3 || si.si_code != SI_USER || si.si_pid != getpid())
		crtest_fail("the process-wide SIGRTMIN+3: code %d from %d", si.si_code, si.si_pid);
	(void)i;
	crtest_pass();
}
