/* signalfd: the mask, the flags, and the signals pending for the task
 * (a plain one and a queued real-time one with its value) read through
 * the signalfd after restore. */
#include <signal.h>
#include <sys/signalfd.h>

#include "crtest.h"

static unsigned long long mask_shown(int fd)
{
	char path[64], buf[512], *p;
	unsigned long long m = 0;
	int f, n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "sigmask:");
	if (p)
		sscanf(p, "sigmask: %llx", &m);
	return m;
}

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	sigset_t set, one;
	union sigval val = { .sival_int = 77 };
	unsigned long long m1, m2;
	int nb, blk, got_usr1 = 0, got_rt = 0;

	crtest_init(argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR2);
	nb = signalfd(-1, &set, SFD_NONBLOCK);
	sigemptyset(&one);
	sigaddset(&one, SIGUSR2);
	blk = signalfd(-1, &one, 0);
	if (nb < 0 || blk < 0)
		crtest_fail("signalfd: %m");
	raise(SIGUSR1);
	sigqueue(getpid(), SIGRTMIN + 1, val);
	m1 = mask_shown(nb);
	m2 = mask_shown(blk);

	crtest_ready();
	crtest_wait();

	if (mask_shown(nb) != m1 || mask_shown(blk) != m2 || !m1)
		crtest_fail("masks %#llx %#llx, were %#llx %#llx", mask_shown(nb), mask_shown(blk), m1, m2);
	if (!(fcntl(nb, F_GETFL) & O_NONBLOCK) || (fcntl(blk, F_GETFL) & O_NONBLOCK))
		crtest_fail("flags %#x %#x", fcntl(nb, F_GETFL), fcntl(blk, F_GETFL));
	while (read(nb, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			got_usr1++;
		else if ((int)si.ssi_signo == SIGRTMIN + 1 && si.ssi_int == 77)
			got_rt++;
		else
			crtest_fail("read signal %u (value %d)", si.ssi_signo, si.ssi_int);
	}
	if (errno != EAGAIN || got_usr1 != 1 || got_rt != 1)
		crtest_fail("read SIGUSR1 %d times, SIGRTMIN+1 %d times (%m)", got_usr1, got_rt);
	raise(SIGUSR2);
	if (read(blk, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR2)
		crtest_fail("SIGUSR2 not read from the second signalfd");
	crtest_pass();
}
