/* eventfd: a 64-bit counter, semaphore mode (each read takes one), blocking
 * and non-blocking flags, and two fds sharing one eventfd. */
#include <sys/eventfd.h>
#include <stdint.h>

#include "crtest.h"

#define BIG 0x123456789abULL

static int flags_of(int fd)
{
	return fcntl(fd, F_GETFL);
}

/* "eventfd-semaphore: N" of @fd, -1 if the kernel does not show it. */
static int sem_shown(int fd)
{
	char path[64], buf[512], *p;
	int f, n, v = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "eventfd-semaphore:");
	if (p)
		sscanf(p, "eventfd-semaphore: %d", &v);
	return v;
}

int main(int argc, char **argv)
{
	uint64_t v = BIG;
	int big, sem, blk, shared, i;

	crtest_init(argc, argv);
	big = eventfd(0, EFD_NONBLOCK);
	sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	blk = eventfd(7, 0);
	if (big < 0 || sem < 0 || blk < 0)
		crtest_fail("eventfd: %m");
	if (write(big, &v, sizeof(v)) != sizeof(v))
		crtest_fail("write: %m");
	v = 2;
	if (write(sem, &v, sizeof(v)) != sizeof(v))
		crtest_fail("write: %m");
	shared = dup2(big, 20);

	crtest_ready();
	crtest_wait();

	if (!(flags_of(big) & O_NONBLOCK) || (flags_of(blk) & O_NONBLOCK))
		crtest_fail("flags: big %#x blk %#x", flags_of(big), flags_of(blk));
	if (sem_shown(sem) == 0 || sem_shown(big) == 1)
		crtest_fail("fdinfo shows semaphore mode %d / %d", sem_shown(sem), sem_shown(big));
	if (read(big, &v, sizeof(v)) != sizeof(v) || v != BIG)
		crtest_fail("counter: %#llx, want %#llx", (unsigned long long)v, BIG);
	if (read(big, &v, sizeof(v)) >= 0 || errno != EAGAIN)
		crtest_fail("counter not zero after reading it");
	for (i = 0; i < 5; i++)
		if (read(sem, &v, sizeof(v)) != sizeof(v) || v != 1)
			crtest_fail("semaphore read %d gave %llu (%m)", i, (unsigned long long)v);
	if (read(sem, &v, sizeof(v)) >= 0 || errno != EAGAIN)
		crtest_fail("semaphore count was more than 5");
	if (read(blk, &v, sizeof(v)) != sizeof(v) || v != 7)
		crtest_fail("blocking eventfd counter %llu", (unsigned long long)v);
	v = 9;
	if (write(shared, &v, sizeof(v)) != sizeof(v) || read(big, &v, sizeof(v)) != sizeof(v) || v != 9)
		crtest_fail("fd %d and fd %d do not share one eventfd", shared, big);
	crtest_pass();
}
