/* The vDSO after restore: clock_gettime (through the vDSO) is right and
 * monotonic time does not go backwards. */
#include <sys/time.h>
#include "crtest.h"

static double now(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts))
		crtest_fail("clock_gettime(%d): %m", (int)c);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	crtest_init(argc, argv);
	double m0 = now(CLOCK_MONOTONIC);
	crtest_ready();
	crtest_wait();
	double m1 = now(CLOCK_MONOTONIC);
	double r1 = now(CLOCK_REALTIME);
	struct timespec raw;
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &raw);
	double r2 = raw.tv_sec + raw.tv_nsec / 1e9;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	if (m1 < m0)
		crtest_fail("monotonic clock went back: %f -> %f", m0, m1);
	if (r2 - r1 > 1 || r2 - r1 < -1)
		crtest_fail("vDSO realtime %f differs from the syscall's %f", r1, r2);
	if (tv.tv_sec < (time_t)r2 - 1 || tv.tv_sec > (time_t)r2 + 1)
		crtest_fail("gettimeofday is wrong");
	if (time(NULL) < (time_t)r2 - 1)
		crtest_fail("time() is wrong");
	crtest_pass();
}
