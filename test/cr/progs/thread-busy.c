/* thread-busy: threads frozen in every state go on after restore: two
 * busy in a loop (their counters keep growing, never go back), one in a
 * blocking sigwaitinfo() (it gets the signal sent after restore, with its
 * value), one in a nanosleep() loop (it keeps counting), one waiting on a
 * condition variable (a futex wait; it wakes when signalled after restore)
 * and one in a poll() with a timeout in a loop. */
#include <poll.h>
#include <pthread.h>
#include "crtest.h"

static volatile unsigned long busy[2], naps, polls;
static volatile int stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int woken, cond_waiting;
static int got_sig, got_val;

static void *spin(void *arg)
{
	volatile unsigned long *c = arg;

	while (!stop)
		(*c)++;
	return NULL;
}

static void *sigwaiter(void *arg)
{
	sigset_t s;
	siginfo_t si;

	(void)arg;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	while (sigwaitinfo(&s, &si) < 0 && errno == EINTR)
		;
	got_val = si.si_value.sival_int;
	__atomic_store_n(&got_sig, si.si_signo, __ATOMIC_RELEASE);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	while (!stop) {
		struct timespec ts = { 0, 3 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		naps++;
	}
	return NULL;
}

static void *poller(void *arg)
{
	(void)arg;
	while (!stop) {
		poll(NULL, 0, 5);
		polls++;
	}
	return NULL;
}

static void *condwaiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	cond_waiting = 1;
	while (!woken)
		pthread_cond_wait(&cond, &lock);
	woken = 2;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000L * 1000 };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	pthread_t t[6];
	unsigned long b0[2], b1[2], n0, p0;
	sigset_t s;

	crtest_init(argc, argv);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, NULL); /* every thread: sigwaitinfo takes it */
	if (pthread_create(&t[0], NULL, spin, (void *)&busy[0]) ||
	    pthread_create(&t[1], NULL, spin, (void *)&busy[1]) || pthread_create(&t[2], NULL, sigwaiter, NULL) ||
	    pthread_create(&t[3], NULL, sleeper, NULL) || pthread_create(&t[4], NULL, condwaiter, NULL) ||
	    pthread_create(&t[5], NULL, poller, NULL))
		crtest_fail("pthread_create");
	while (!busy[0] || !busy[1] || !naps || !polls || !__atomic_load_n(&cond_waiting, __ATOMIC_ACQUIRE))
		sleep_ms(5);
	sleep_ms(20); /* the condition waiter is in its futex wait */

	crtest_ready();
	while (!crtest_stop) {
		b0[0] = busy[0], b0[1] = busy[1];
		sleep_ms(10);
		if (busy[0] < b0[0] || busy[1] < b0[1])
			crtest_fail("a counter went back before the dump");
	}

	/* the counters once more: monotonic, and moving */
	b0[0] = busy[0], b0[1] = busy[1], n0 = naps, p0 = polls;
	/* up to 3 s for every thread to show progress (a loaded machine) */
	for (int k = 0; k < 300 && (busy[0] <= b0[0] || busy[1] <= b0[1] || naps <= n0 || polls <= p0); k++)
		sleep_ms(10);
	b1[0] = busy[0], b1[1] = busy[1];
	for (int i = 0; i < 2; i++)
		if (b1[i] <= b0[i])
			crtest_fail("busy thread %d: counter %lu then %lu", i, b0[i], b1[i]);
	if (naps <= n0)
		crtest_fail("the sleeping thread stopped counting (%lu)", naps);
	if (polls <= p0)
		crtest_fail("the polling thread stopped counting (%lu)", polls);

	union sigval v = { .sival_int = 4242 };
	if (pthread_sigqueue(t[2], SIGUSR2, v))
		crtest_fail("pthread_sigqueue: %m");
	pthread_mutex_lock(&lock);
	woken = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	stop = 1;
	for (int i = 0; i < 6; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		if (pthread_timedjoin_np(t[i], NULL, &ts))
			crtest_fail("thread %d did not end", i);
	}
	if (got_sig != SIGUSR2 || got_val != 4242)
		crtest_fail("sigwaitinfo got signal %d value %d", got_sig, got_val);
	if (woken != 2)
		crtest_fail("the condition waiter did not wake");
	crtest_pass();
}
