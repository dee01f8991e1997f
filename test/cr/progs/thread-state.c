/* thread-state: four threads, each with state of its own: blocked mask,
 * sigaltstack, TLS value (and its address: fs_base), name, scheduling
 * policy and nice value, timer slack, credentials (one thread runs with
 * another euid), no_new_privs and a seccomp filter (one thread only), its
 * robust list, rseq registration and tid.  Each thread waits on a condition
 * variable (a futex wait) across the dump, then checks itself. */
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/rseq.h>
#include "crtest.h"

#define NT 4

struct thr {
	int i;
	pthread_t pt;
	pid_t tid;
	sigset_t mask;
	stack_t ss;
	long *tls_addr;
	void *robust;
	size_t robust_len;
	int policy, nice, prio;
	char err[200];
};

static struct thr thr[NT + 1]; /* [0]: the main thread's own */
static __thread long tls_val;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int nready, go;

static const char *setup_err;

static int filter_sysinfo(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sysinfo, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p);
}

static void setup(struct thr *t)
{
	int i = t->i;
	char name[16];

	t->tid = gettid();
	tls_val = 1000 * i + 7;
	t->tls_addr = &tls_val;
	syscall(SYS_get_robust_list, 0, &t->robust, &t->robust_len);
	if (i == 0)
		return;
	sigemptyset(&t->mask);
	sigaddset(&t->mask, SIGUSR1);
	sigaddset(&t->mask, SIGRTMIN + i);
	pthread_sigmask(SIG_SETMASK, &t->mask, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &t->mask);
	t->ss.ss_size = 65536 + 4096 * i;
	t->ss.ss_sp = malloc(t->ss.ss_size);
	t->ss.ss_flags = 0;
	if (sigaltstack(&t->ss, NULL))
		setup_err = "sigaltstack";
	snprintf(name, sizeof(name), "worker-%d", i);
	pthread_setname_np(pthread_self(), name);
	struct sched_param sp = { 0 };
	switch (i) {
	case 1:
		t->policy = SCHED_BATCH, t->nice = 7;
		if (filter_sysinfo())
			setup_err = "seccomp filter";
		break;
	case 2:
		t->policy = SCHED_IDLE, t->nice = 0;
		prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0);
		break;
	case 3:
		t->policy = SCHED_RR, t->prio = sp.sched_priority = 3;
		break;
	case 4:
		t->policy = SCHED_OTHER, t->nice = 2;
		if (syscall(SYS_setresuid, 0, 1234, 0)) /* this thread only */
			setup_err = "setresuid";
		break;
	}
	if (sched_setscheduler(0, t->policy, &sp) || setpriority(PRIO_PROCESS, 0, t->nice))
		setup_err = "sched";
}

#define BAD(...) (snprintf(t->err, sizeof(t->err), __VA_ARGS__), (void)0)

static void check(struct thr *t)
{
	int i = t->i;
	uid_t r, e, s;
	void *head;
	size_t len;
	struct rseq *rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);

	if (gettid() != t->tid)
		return BAD("thread %d: tid %d, was %d", i, gettid(), t->tid);
	if (tls_val != 1000 * i + 7 || &tls_val != t->tls_addr)
		return BAD("thread %d: TLS value %ld at %p, was %d at %p", i, tls_val, (void *)&tls_val, 1000 * i + 7,
			   (void *)t->tls_addr);
	if (syscall(SYS_get_robust_list, 0, &head, &len) || head != t->robust || len != t->robust_len)
		return BAD("thread %d: robust list %p/%zu, was %p/%zu", i, head, len, t->robust, t->robust_len);
	if (__rseq_size && (syscall(SYS_rseq, rs, 32, 0, RSEQ_SIG) == 0 || errno != EBUSY))
		return BAD("thread %d: rseq area not registered: %m", i);
	if (syscall(SYS_getresuid, &r, &e, &s) || r != 0 || e != (i == 4 ? 1234u : 0u) || s != 0)
		return BAD("thread %d: uids %u/%u/%u", i, r, e, s);
	if (i == 0)
		return;

	sigset_t m;
	pthread_sigmask(SIG_SETMASK, NULL, &m);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&m, sig) != sigismember(&t->mask, sig))
			return BAD("thread %d: signal %d %s blocked", i, sig, sigismember(&m, sig) ? "is" : "is not");
	stack_t ss;
	if (sigaltstack(NULL, &ss) || ss.ss_sp != t->ss.ss_sp || ss.ss_size != t->ss.ss_size || ss.ss_flags != 0)
		return BAD("thread %d: altstack %p/%zu/%d, was %p/%zu", i, ss.ss_sp, ss.ss_size, ss.ss_flags,
			   t->ss.ss_sp, t->ss.ss_size);
	char name[16] = "", want[16];
	prctl(PR_GET_NAME, name, 0, 0, 0);
	snprintf(want, sizeof(want), "worker-%d", i);
	if (strcmp(name, want))
		return BAD("thread %d: name \"%s\"", i, name);
	struct sched_param sp;
	int pol = sched_getscheduler(0), nice = getpriority(PRIO_PROCESS, 0);
	sched_getparam(0, &sp);
	if (pol != t->policy || nice != t->nice || sp.sched_priority != t->prio)
		return BAD("thread %d: policy %d nice %d prio %d, was %d %d %d", i, pol, nice, sp.sched_priority,
			   t->policy, t->nice, t->prio);
	long slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	if (slack != (i == 2 ? 123456 : i == 3 ? 0 : 50000)) /* RT threads: none */
		return BAD("thread %d: timer slack %ld", i, slack);
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), sc = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (nnp != (i == 1) || sc != (i == 1 ? 2 : 0))
		return BAD("thread %d: no_new_privs %d, seccomp %d", i, nnp, sc);
	struct sysinfo *si = calloc(1, 256);
	long rr = syscall(SYS_sysinfo, si);
	free(si);
	if (i == 1 ? (rr == 0 || errno != EPERM) : rr != 0)
		return BAD("thread %d: sysinfo() gave %ld (%m)", i, rr);
}

static void *run(void *arg)
{
	struct thr *t = arg;

	setup(t);
	pthread_mutex_lock(&lock);
	nready++;
	pthread_cond_broadcast(&cond);
	while (!go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	check(t);
	return NULL;
}

int main(int argc, char **argv)
{
	crtest_init(argc, argv);
	thr[0].i = 0;
	setup(&thr[0]);
	for (int i = 1; i <= NT; i++) {
		thr[i].i = i;
		if (pthread_create(&thr[i].pt, NULL, run, &thr[i]))
			crtest_fail("pthread_create");
	}
	pthread_mutex_lock(&lock);
	while (nready < NT)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	if (setup_err)
		crtest_fail("setup: %s: %m", setup_err);

	crtest_ready();
	crtest_wait();

	pthread_mutex_lock(&lock);
	go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	check(&thr[0]);
	if (thr[0].err[0])
		crtest_fail("%s", thr[0].err);
	for (int i = 1; i <= NT; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		if (pthread_timedjoin_np(thr[i].pt, NULL, &ts))
			crtest_fail("thread %d did not end (join)", i);
		if (thr[i].err[0])
			crtest_fail("%s", thr[i].err);
	}
	crtest_pass();
}
