/*
 * One open file description held by parent and child (inherited at fork)
 * stays one: kcmp(KCMP_FILE) says the same, and a read in the child moves
 * the parent's offset.  Its flags are shared too (O_APPEND set on it).
 * A pipe between them (the parent keeps the write end, the child reads
 * until EOF) must see EOF once the parent closes its end: criu keeps no
 * copy of it.
 */
#include <linux/kcmp.h>
#include <sys/syscall.h>

#include "tree-lib.h"

static int fd, rfd, wfd;
static char path[] = "/tmp/crtest-fdshare.XXXXXX";

static void child_check(void *arg)
{
	char buf[16];

	(void)arg;
	if (syscall(SYS_kcmp, getpid(), getppid(), KCMP_FILE, fd, fd) != 0)
		tree_bad("kcmp: its fd %d is not the parent's description", fd);
	if (lseek(fd, 0, SEEK_CUR) != 100)
		tree_bad("offset %lld, not 100", (long long)lseek(fd, 0, SEEK_CUR));
	if (read(fd, buf, 10) != 10)
		tree_bad("read: %s", strerror(errno));
	if (!(fcntl(fd, F_GETFL) & O_APPEND))
		tree_bad("O_APPEND is lost");
	close(wfd);
	/* The parent closes its write end after we say we are done: EOF. */
	for (;;) {
		ssize_t n = read(rfd, buf, sizeof(buf));

		if (n == 0)
			break;
		if (n < 0 && errno != EINTR) {
			tree_bad("pipe read: %s", strerror(errno));
			break;
		}
	}
}

int main(int argc, char **argv)
{
	char buf[256];
	int p[2];

	tree_init(argc, argv);
	tree_remember();
	fd = mkstemp(path);
	memset(buf, 'x', sizeof(buf));
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) || lseek(fd, 100, SEEK_SET) != 100 || pipe(p))
		crtest_fail("setup: %s", strerror(errno));
	unlink(path);
	fcntl(fd, F_SETFL, O_APPEND);
	rfd = p[0];
	wfd = p[1];
	tree_fork(NULL, child_check, NULL);
	close(rfd);
	tree_ready(1);
	crtest_wait();
	tree_check_ids();
	kill(tree_me.kids[0], SIGTERM);
	for (int i = 0; i < 500 && lseek(fd, 0, SEEK_CUR) != 110; i++)
		usleep(10000);
	if (lseek(fd, 0, SEEK_CUR) != 110)
		tree_bad("the child's read did not move our offset (%lld)", (long long)lseek(fd, 0, SEEK_CUR));
	close(wfd);
	tree_me.nr_kids = 1;
	tree_root_verdict();
}
