/* File locks (--file-locks): a flock write lock, a flock read lock taken
 * through one fd and seen through a dup of it, two POSIX locks (a range
 * and one to the end of the file), an OFD lock; after restore a helper
 * process finds each still held, and the task's fdinfo shows them alike. */
#include <sys/file.h>
#include <sys/wait.h>

#include "crtest.h"

static char dir[64];

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0] && system(cmd))
		return;
}

static int open_in(const char *name)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		cleanup();
		crtest_fail("open %s: %m", p);
	}
	return fd;
}

/* The "lock:" lines of the fdinfo of @fd, minus their numbers, into @out. */
static void locks_of(int fd, char *out, size_t size)
{
	char path[64], buf[4096], *l, *save;
	int f, n;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
	if (f >= 0)
		close(f);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(l, ':');

		if (strncmp(l, "lock:", 5) || !(c = strchr(c + 1, ':')))
			continue;
		strncat(out, c + 1, size - strlen(out) - 2);
		strcat(out, "\n");
	}
}

static int conflicts(int fd, int cmd, short type, off_t start, off_t len, pid_t *who)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	if (fcntl(fd, cmd, &fl))
		return -1;
	*who = fl.l_pid;
	return fl.l_type != F_UNLCK;
}

/* In a helper process: which locks of the task are still held?  Bit set = missing. */
static int helper(pid_t owner)
{
	int f1 = open_in("flock-w"), f2 = open_in("flock-r"), p = open_in("posix"), o = open_in("ofd");
	int missing = 0;
	pid_t who;

	if (!flock(f1, LOCK_SH | LOCK_NB))
		missing |= 1;
	if (!flock(f2, LOCK_EX | LOCK_NB) || flock(f2, LOCK_SH | LOCK_NB))
		missing |= 2;
	if (conflicts(p, F_GETLK, F_RDLCK, 15, 1, &who) != 1 || who != owner)
		missing |= 4;
	if (conflicts(p, F_GETLK, F_RDLCK, 5, 1, &who) != 0)
		missing |= 8; /* before the range: free */
	if (conflicts(p, F_GETLK, F_WRLCK, 5000, 1, &who) != 1 || conflicts(p, F_GETLK, F_RDLCK, 5000, 1, &who))
		missing |= 16; /* read lock to EOF: writes conflict, reads do not */
	if (conflicts(o, F_OFD_GETLK, F_RDLCK, 2, 1, &who) != 1)
		missing |= 32;
	return missing;
}

int main(int argc, char **argv)
{
	struct flock range = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20 };
	struct flock to_eof = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 0 };
	struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
	static char before[4][1024], after[4][1024];
	int fds[4], dup_fd, status;
	pid_t h, me = getpid();

	crtest_init(argc, argv);
	snprintf(dir, sizeof(dir), "/tmp/ev-locks.XXXXXX");
	if (!mkdtemp(dir))
		crtest_fail("mkdtemp: %m");
	fds[0] = open_in("flock-w");
	fds[1] = open_in("flock-r");
	fds[2] = open_in("posix");
	fds[3] = open_in("ofd");
	dup_fd = dup(fds[1]);
	if (flock(fds[0], LOCK_EX) || flock(dup_fd, LOCK_SH) || fcntl(fds[2], F_SETLK, &range) ||
	    fcntl(fds[2], F_SETLK, &to_eof) || fcntl(fds[3], F_OFD_SETLK, &ofd)) {
		cleanup();
		crtest_fail("taking the locks: %m");
	}
	for (int i = 0; i < 4; i++)
		locks_of(fds[i], before[i], sizeof(before[i]));

	crtest_ready();
	crtest_wait();

	for (int i = 0; i < 4; i++) {
		locks_of(fds[i], after[i], sizeof(after[i]));
		if (strcmp(before[i], after[i])) {
			cleanup();
			crtest_fail("fd %d: locks were\n%s now\n%s", fds[i], before[i], after[i]);
		}
	}
	h = fork();
	if (h == 0)
		_exit(helper(me));
	waitpid(h, &status, 0);
	cleanup();
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		crtest_fail("locks not held after restore (helper says %#x)", WEXITSTATUS(status));
	crtest_pass();
}
