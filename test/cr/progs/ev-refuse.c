/* State that a dump must refuse, by name, leaving the task running
 * (test/events/refuse.t; not in a list: run.t only runs it alone):
 *   ev-refuse lock    holds a flock (dump without --file-locks)
 *   ev-refuse pidfd   holds a pidfd of its parent, outside the tree
 *   ev-refuse maplock holds a POSIX lock on a file it maps (with
 *                     --file-locks: the restorer would drop the lock) */
#include <sys/file.h>
#include <sys/mman.h>

#include "crtest.h"

int main(int argc, char **argv)
{
	char path[] = "/tmp/ev-refuse.XXXXXX";
	int fd;

	crtest_init(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "lock")) {
		fd = mkstemp(path);
		if (fd < 0 || flock(fd, LOCK_EX))
			crtest_fail("flock: %m");
		unlink(path);
	} else if (argc > 1 && !strcmp(argv[1], "maplock")) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		fd = mkstemp(path);
		if (fd < 0 || ftruncate(fd, 4096) || mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ||
		    fcntl(fd, F_SETLK, &fl))
			crtest_fail("lock a mapped file: %m");
		unlink(path);
	} else if (argc > 1 && !strcmp(argv[1], "pidfd")) {
		if (syscall(SYS_pidfd_open, getppid(), 0) < 0)
			crtest_fail("pidfd_open: %m");
	}
	crtest_ready();
	crtest_wait();
	crtest_pass();
}
