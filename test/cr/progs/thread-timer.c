/* thread-timer: POSIX timers aimed at threads go on firing at them after
 * restore: one with SIGEV_THREAD_ID at a thread that takes its signals in
 * sigwaitinfo() (value and code checked), and one of glibc's SIGEV_THREAD
 * timers (glibc runs a helper thread the kernel signals by its tid). */
#include <pthread.h>
#include "crtest.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile unsigned long hits, callbacks;
static volatile pid_t target;
static volatile int bad;

static void *taker(void *arg)
{
	sigset_t s;
	siginfo_t si;

	(void)arg;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 4);
	target = gettid();
	for (;;) {
		if (sigwaitinfo(&s, &si) < 0)
			continue;
		if (si.si_code != SI_TIMER || si.si_value.sival_int != 777)
			bad = si.si_code;
		hits++;
	}
	return NULL;
}

static void tick(union sigval v)
{
	if (v.sival_int == 888)
		callbacks++;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000L * 1000 };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	struct itimerspec its = { { 0, 5 * 1000 * 1000 }, { 0, 5 * 1000 * 1000 } };
	struct sigevent a = { 0 }, b = { 0 };
	timer_t ta, tb;
	pthread_t t;
	sigset_t s;
	unsigned long h0, c0;

	crtest_init(argc, argv);
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN + 4);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	if (pthread_create(&t, NULL, taker, NULL))
		crtest_fail("pthread_create");
	while (!target)
		sleep_ms(1);
	a.sigev_notify = SIGEV_THREAD_ID;
	a.sigev_signo = SIGRTMIN + 4;
	a.sigev_value.sival_int = 777;
	a.sigev_notify_thread_id = target;
	b.sigev_notify = SIGEV_THREAD;
	b.sigev_notify_function = tick;
	b.sigev_value.sival_int = 888;
	if (timer_create(CLOCK_MONOTONIC, &a, &ta) || timer_create(CLOCK_MONOTONIC, &b, &tb) ||
	    timer_settime(ta, 0, &its, NULL) || timer_settime(tb, 0, &its, NULL))
		crtest_fail("timers: %m");
	while (!hits || !callbacks)
		sleep_ms(5);

	crtest_ready();
	crtest_wait();

	h0 = hits, c0 = callbacks;
	for (int k = 0; k < 300 && (hits <= h0 || callbacks <= c0); k++) /* up to 3 s on a loaded machine */
		sleep_ms(10);
	if (hits <= h0)
		crtest_fail("the thread's timer stopped (%lu hits)", hits);
	if (callbacks <= c0)
		crtest_fail("glibc's SIGEV_THREAD timer stopped (%lu calls)", callbacks);
	if (bad)
		crtest_fail("the thread got a timer signal with code %d", bad);
	crtest_pass();
}
