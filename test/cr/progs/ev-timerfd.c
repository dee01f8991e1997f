/* timerfd: time left and interval of armed timers (relative, periodic,
 * absolute on CLOCK_REALTIME), expirations not yet read (one from a timer
 * that fired, five put there with TFD_IOC_SET_TICKS), and the flags. */
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>

#include "crtest.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static double secs(const struct timespec *t)
{
	return t->tv_sec + t->tv_nsec / 1e9;
}

static uint64_t ticks(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

int main(int argc, char **argv)
{
	struct itimerspec once = { .it_value = { 60, 0 } };
	struct itimerspec periodic = { .it_value = { 0, 1000000 }, .it_interval = { 3600, 0 } };
	struct itimerspec fired = { .it_value = { 0, 1000000 } };
	struct itimerspec cur, absolute = { 0 };
	struct timespec now;
	uint64_t five = 5;
	struct pollfd pfd[2];
	int t1, t2, t3, t4, t5;

	crtest_init(argc, argv);
	t1 = timerfd_create(CLOCK_MONOTONIC, 0);
	t2 = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	t3 = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	t4 = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	t5 = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (t1 < 0 || t2 < 0 || t3 < 0 || t4 < 0 || t5 < 0)
		crtest_fail("timerfd_create: %m");
	clock_gettime(CLOCK_REALTIME, &now);
	absolute.it_value.tv_sec = now.tv_sec + 100;
	if (timerfd_settime(t1, 0, &once, NULL) || timerfd_settime(t2, 0, &periodic, NULL) ||
	    timerfd_settime(t3, TFD_TIMER_ABSTIME, &absolute, NULL) || timerfd_settime(t4, 0, &fired, NULL))
		crtest_fail("timerfd_settime: %m");
	if (ioctl(t5, TFD_IOC_SET_TICKS, &five))
		crtest_fail("TFD_IOC_SET_TICKS: %m");
	/* Let t2 and t4 fire, unread. */
	pfd[0] = (struct pollfd){ .fd = t2, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = t4, .events = POLLIN };
	while (!(pfd[0].revents & POLLIN) || !(pfd[1].revents & POLLIN))
		if (poll(pfd, 2, 1000) < 0)
			crtest_fail("poll: %m");

	crtest_ready();
	crtest_wait();

	timerfd_gettime(t1, &cur);
	if (secs(&cur.it_value) <= 0 || secs(&cur.it_value) > 60 || secs(&cur.it_interval) != 0)
		crtest_fail("one-shot timer: %.3f s left, interval %.3f", secs(&cur.it_value), secs(&cur.it_interval));
	if (fcntl(t1, F_GETFL) & O_NONBLOCK)
		crtest_fail("t1 became non-blocking");
	timerfd_gettime(t2, &cur);
	if (cur.it_interval.tv_sec != 3600 || secs(&cur.it_value) <= 3000 || secs(&cur.it_value) > 3600)
		crtest_fail("periodic timer: %.3f s left, interval %.3f", secs(&cur.it_value), secs(&cur.it_interval));
	if (ticks(t2) != 1)
		crtest_fail("periodic timer: its unread expiration is lost");
	timerfd_gettime(t3, &cur);
	if (secs(&cur.it_value) <= 0 || secs(&cur.it_value) > 100)
		crtest_fail("absolute timer: %.3f s left", secs(&cur.it_value));
	if (ticks(t3) != 0)
		crtest_fail("absolute timer fired");
	if (ticks(t4) != 1 || ticks(t4) != 0)
		crtest_fail("fired timer: unread expiration not kept once");
	if (ticks(t5) != 5)
		crtest_fail("five expirations set by ioctl not kept");
	if (!(fcntl(t5, F_GETFL) & O_NONBLOCK))
		crtest_fail("t5 lost O_NONBLOCK");
	crtest_pass();
}
