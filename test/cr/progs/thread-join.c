/* thread-join: a thread that ends after restore wakes pthread_join() (the
 * kernel clears and wakes its clear_child_tid word), and a thread that dies
 * holding a robust mutex hands it on as EOWNERDEAD (its robust list was
 * registered again).  Both wait on condition variables across the dump. */
#include <pthread.h>
#include "crtest.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t robust;
static int nready, go;

static void wait_go(void)
{
	pthread_mutex_lock(&lock);
	nready++;
	pthread_cond_broadcast(&cond);
	while (!go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void *joiner(void *arg)
{
	wait_go();
	return arg;
}

static void *holder(void *arg)
{
	(void)arg;
	if (pthread_mutex_lock(&robust))
		return (void *)1;
	wait_go();
	return NULL; /* ends holding it */
}

static struct timespec in_secs(int s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += s;
	return ts;
}

int main(int argc, char **argv)
{
	pthread_mutexattr_t ma;
	pthread_t j, h;
	void *ret = NULL;
	int r;

	crtest_init(argc, argv);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &ma);
	if (pthread_create(&j, NULL, joiner, (void *)0x5eed) || pthread_create(&h, NULL, holder, NULL))
		crtest_fail("pthread_create");
	pthread_mutex_lock(&lock);
	while (nready < 2)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);

	crtest_ready();
	crtest_wait();

	pthread_mutex_lock(&lock);
	go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);

	struct timespec ts = in_secs(5);
	r = pthread_timedjoin_np(j, &ret, &ts);
	if (r)
		crtest_fail("pthread_join of an ending thread: %s", strerror(r));
	if (ret != (void *)0x5eed)
		crtest_fail("the thread returned %p", ret);
	ts = in_secs(5);
	r = pthread_mutex_timedlock(&robust, &ts);
	if (r != EOWNERDEAD)
		crtest_fail("a robust mutex whose owner died: %s, not EOWNERDEAD", strerror(r));
	pthread_mutex_consistent(&robust);
	pthread_mutex_unlock(&robust);
	ts = in_secs(5);
	r = pthread_timedjoin_np(h, &ret, &ts);
	if (r || ret)
		crtest_fail("the holder thread: join %s, returned %p", strerror(r), ret);
	crtest_pass();
}
