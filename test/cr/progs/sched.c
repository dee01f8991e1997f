/* Scheduling: nice value and policy (SCHED_BATCH), membarrier
 * registration, and the timer slack. */
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include "crtest.h"

int main(int argc, char **argv)
{
	struct sched_param sp = { 0 };
	long m;

	crtest_init(argc, argv);
	if (setpriority(PRIO_PROCESS, 0, 7))
		crtest_fail("setpriority: %m");
	if (sched_setscheduler(0, SCHED_BATCH, &sp))
		crtest_fail("sched_setscheduler: %m");
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0))
		crtest_fail("membarrier: %m");

	crtest_ready();
	crtest_wait();

	if (getpriority(PRIO_PROCESS, 0) != 7)
		crtest_fail("nice %d", getpriority(PRIO_PROCESS, 0));
	if (sched_getscheduler(0) != SCHED_BATCH)
		crtest_fail("policy %d", sched_getscheduler(0));
	m = syscall(SYS_membarrier, 1 << 9 /* MEMBARRIER_CMD_GET_REGISTRATIONS */, 0, 0);
	if (m < 0 || !(m & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
		crtest_fail("membarrier registrations %lx", m);
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0))
		crtest_fail("private expedited membarrier: %m");
	crtest_pass();
}
