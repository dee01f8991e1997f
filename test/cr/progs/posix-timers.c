/* POSIX timers keep their ids, clocks, notification and value: three are
 * created and the first deleted (ids 1 and 2 remain, 0 is free), one is
 * armed, one signals this thread by tid (SIGEV_THREAD_ID), and a
 * CPU-time itimer keeps its remaining time. */
#include <sys/time.h>
#include "crtest.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile int ticks;
static volatile void *tick_value;

static void on_tick(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	ticks++;
	tick_value = si->si_value.sival_ptr;
}

int main(int argc, char **argv)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 2 };
	struct itimerspec armed = { { 0, 50000000 }, { 0, 50000000 } }, c;
	struct itimerval prof = { { 0, 0 }, { 1000, 0 } }, cur;
	struct sigaction sa = { 0 };
	timer_t t0, t1, t2;

	crtest_init(argc, argv);
	sa.sa_sigaction = on_tick;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGRTMIN + 2, &sa, NULL);
	sev.sigev_value.sival_ptr = (void *)0xfeedbeef;
	if (timer_create(CLOCK_REALTIME, &sev, &t0))
		crtest_fail("timer_create: %m");
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &t1))
		crtest_fail("timer_create: %m");
	sev.sigev_notify = SIGEV_NONE;
	if (timer_create(CLOCK_BOOTTIME, &sev, &t2))
		crtest_fail("timer_create: %m");
	if (t0 != (timer_t)0 || t1 != (timer_t)1 || t2 != (timer_t)2)
		crtest_fail("unexpected timer ids %p %p %p", t0, t1, t2);
	timer_delete(t0);
	if (timer_settime(t1, 0, &armed, NULL))
		crtest_fail("timer_settime: %m");
	armed.it_interval.tv_sec = 0;
	armed.it_interval.tv_nsec = 0;
	armed.it_value.tv_sec = 5000;
	timer_settime(t2, 0, &armed, NULL);
	setitimer(ITIMER_PROF, &prof, NULL);

	crtest_ready();
	crtest_wait();

	if (timer_gettime(t0, &c) == 0 || errno != EINVAL)
		crtest_fail("timer 0 came back");
	if (timer_gettime(t1, &c) || c.it_interval.tv_nsec != 50000000)
		crtest_fail("timer 1: %m, interval %ld ns", c.it_interval.tv_nsec);
	if (timer_gettime(t2, &c) || c.it_value.tv_sec < 4900 || c.it_interval.tv_sec)
		crtest_fail("timer 2: %m, %ld s left", (long)c.it_value.tv_sec);
	getitimer(ITIMER_PROF, &cur);
	if (cur.it_value.tv_sec < 990)
		crtest_fail("ITIMER_PROF has %ld s left", (long)cur.it_value.tv_sec);
	int t = ticks;
	for (int i = 0; i < 20; i++) {
		struct timespec z = { 0, 20000000 };
		nanosleep(&z, NULL);
	}
	if (ticks - t < 3 || tick_value != (void *)0xfeedbeef)
		crtest_fail("timer 1 does not tick after restore (%d ticks, value %p)", ticks - t, tick_value);
	/* a new timer takes a free id */
	timer_t n;
	if (timer_create(CLOCK_MONOTONIC, NULL, &n) || n == t1 || n == t2)
		crtest_fail("a new timer got id %p", n);
	crtest_pass();
}
