/* rseq: glibc registered an rseq area for the thread; after restore the
 * kernel knows it at the same address, with the same length and signature
 * (registering it again says EBUSY; another address or length would say
 * EINVAL, another signature EPERM), and has filled the cpu number in. */
#include <sched.h>
#include <sys/rseq.h>
#include "crtest.h"

int main(int argc, char **argv)
{
	struct rseq *rs;

	crtest_init(argc, argv);
	if (!__rseq_size)
		crtest_fail("glibc did not register rseq");
	rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);

	crtest_ready();
	crtest_wait();

	if (syscall(SYS_rseq, rs, 32, 0, RSEQ_SIG) == 0 || errno != EBUSY)
		crtest_fail("the rseq area is not registered where it was: %m");
	if ((int32_t)rs->cpu_id < 0 || (int32_t)rs->cpu_id >= sysconf(_SC_NPROCESSORS_CONF))
		crtest_fail("rseq cpu_id is %d", (int32_t)rs->cpu_id);
	crtest_pass();
}
