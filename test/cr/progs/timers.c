/* Timers: an interval itimer and a POSIX timer keep firing after restore,
 * with their intervals, and a one-shot itimer keeps its remaining time. */
#include <sys/time.h>
#include "crtest.h"

static volatile int alarms, ticks;

static void on_alrm(int s)
{
	(void)s;
	alarms++;
}

static void on_tick(int s)
{
	(void)s;
	ticks++;
}

int main(int argc, char **argv)
{
	struct itimerval it = { { 0, 200000 }, { 0, 200000 } };
	struct itimerval prof = { { 0, 0 }, { 3000, 0 } };
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	struct itimerspec ts = { { 0, 100000000 }, { 0, 100000000 } };
	timer_t tid;

	crtest_init(argc, argv);
	signal(SIGALRM, on_alrm);
	signal(SIGUSR1, on_tick);
	if (setitimer(ITIMER_REAL, &it, NULL) || setitimer(ITIMER_VIRTUAL, &prof, NULL))
		crtest_fail("setitimer: %m");
	if (timer_create(CLOCK_MONOTONIC, &sev, &tid) || timer_settime(tid, 0, &ts, NULL))
		crtest_fail("timer: %m");

	crtest_ready();
	crtest_wait();

	struct itimerval cur;
	getitimer(ITIMER_REAL, &cur);
	if (cur.it_interval.tv_sec != 0 || cur.it_interval.tv_usec != 200000)
		crtest_fail("ITIMER_REAL interval changed");
	getitimer(ITIMER_VIRTUAL, &cur);
	if (cur.it_value.tv_sec < 2990 || cur.it_value.tv_sec > 3000)
		crtest_fail("ITIMER_VIRTUAL remaining %ld s", (long)cur.it_value.tv_sec);
	struct itimerspec c;
	if (timer_gettime(tid, &c))
		crtest_fail("POSIX timer %p gone: %m", tid);
	if (c.it_interval.tv_nsec != 100000000)
		crtest_fail("POSIX timer interval changed");
	int a0 = alarms, t0 = ticks;
	for (int i = 0; i < 10; i++) {
		struct timespec z = { 0, 100000000 };
		nanosleep(&z, NULL);
	}
	if (alarms - a0 < 2 || ticks - t0 < 4)
		crtest_fail("timers do not fire after restore: %d alarms, %d ticks in 1 s", alarms - a0, ticks - t0);
	crtest_pass();
}
