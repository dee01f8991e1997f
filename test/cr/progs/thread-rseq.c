/* thread-rseq: glibc registers an rseq area in every thread.  After
 * restore each thread's area is registered again (registering it a second
 * time says EBUSY) and the kernel keeps its cpu_id up to date: a value
 * written over it is replaced after the thread sleeps. */
#include <pthread.h>
#include <sched.h>
#include <sys/rseq.h>
#include "crtest.h"

#define NT 3

static pthread_barrier_t ready, go;
static char err[NT + 1][160];
static volatile int stop;

static struct rseq *area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

static void check(int i)
{
	struct rseq *rs = area();
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (syscall(SYS_rseq, rs, 32, 0, RSEQ_SIG) == 0 || errno != EBUSY) {
		snprintf(err[i], sizeof(err[i]), "thread %d: the rseq area is not registered: %m", i);
		return;
	}
	for (int k = 0; k < 3; k++) {
		__atomic_store_n(&rs->cpu_id, (uint32_t)-1, __ATOMIC_RELAXED);
		usleep(2000);
		int32_t cpu = (int32_t)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
		if (cpu < 0 || cpu >= ncpu) {
			snprintf(err[i], sizeof(err[i]), "thread %d: rseq cpu_id is %d after a sleep", i, cpu);
			return;
		}
	}
}

static void *run(void *arg)
{
	int i = (int)(long)arg;

	pthread_barrier_wait(&ready);
	/* busy: a thread frozen anywhere, also between rseq updates */
	while (!stop)
		__atomic_load_n(&area()->cpu_id, __ATOMIC_RELAXED);
	check(i);
	pthread_barrier_wait(&go);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NT];

	crtest_init(argc, argv);
	if (!__rseq_size)
		crtest_fail("glibc did not register rseq");
	pthread_barrier_init(&ready, NULL, NT + 1);
	pthread_barrier_init(&go, NULL, NT + 1);
	for (long i = 1; i <= NT; i++)
		if (pthread_create(&t[i - 1], NULL, run, (void *)i))
			crtest_fail("pthread_create");
	pthread_barrier_wait(&ready);

	crtest_ready();
	crtest_wait();

	stop = 1;
	check(0);
	pthread_barrier_wait(&go);
	for (int i = 0; i <= NT; i++)
		if (err[i][0])
			crtest_fail("%s", err[i]);
	crtest_pass();
}
