/* fanotify: the group's flags, an inode mark on a file, an inode mark on
 * a directory with events on its children, an ignore mark that survives
 * modification, and a mount mark (all shown alike in fdinfo after
 * restore); an event on the marked file after restore. */
#include <sys/fanotify.h>
#include <sys/stat.h>

#include "crtest.h"

static char dir[64];

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0] && system(cmd))
		return;
}

static void die(const char *what)
{
	int e = errno;

	cleanup();
	errno = e;
	crtest_fail("%s: %m", what);
}

/* The "fanotify" lines of fd @fd's fdinfo, sorted, into @out. */
static void marks(int fd, char *out, size_t size)
{
	char path[64], buf[8192], *lines[64], *l, *save;
	int f, n, nr = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
	if (f >= 0)
		close(f);
	if (n <= 0)
		die("fdinfo");
	buf[n] = '\0';
	for (l = strtok_r(buf, "\n", &save); l && nr < 64; l = strtok_r(NULL, "\n", &save))
		if (!strncmp(l, "fanotify", 8))
			lines[nr++] = l;
	for (int i = 0; i < nr; i++)
		for (int j = i + 1; j < nr; j++)
			if (strcmp(lines[i], lines[j]) > 0) {
				char *t = lines[i];
				lines[i] = lines[j];
				lines[j] = t;
			}
	out[0] = '\0';
	for (int i = 0; i < nr; i++) {
		strncat(out, lines[i], size - strlen(out) - 2);
		strcat(out, "\n");
	}
}

int main(int argc, char **argv)
{
	static char before[8192], after[8192];
	char f[128], g[128], buf[4096] __attribute__((aligned(8)));
	int fan, fd, found = 0;

	crtest_init(argc, argv);
	snprintf(dir, sizeof(dir), "/tmp/ev-fanotify.XXXXXX");
	if (!mkdtemp(dir))
		crtest_fail("mkdtemp: %m");
	snprintf(f, sizeof(f), "%s/f", dir);
	snprintf(g, sizeof(g), "%s/g", dir);
	close(open(f, O_CREAT | O_WRONLY, 0600));
	close(open(g, O_CREAT | O_WRONLY, 0600));
	fan = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
	if (fan < 0)
		die("fanotify_init");
	if (fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN | FAN_CLOSE_WRITE, AT_FDCWD, f))
		die("mark f");
	if (fanotify_mark(fan, FAN_MARK_ADD, FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD, AT_FDCWD, dir))
		die("mark dir");
	if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY, FAN_CLOSE_WRITE,
			  AT_FDCWD, g))
		die("ignore mark g");
	if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_CLOSE_WRITE, AT_FDCWD, "/dev/shm"))
		die("mount mark");
	marks(fan, before, sizeof(before));

	crtest_ready();
	crtest_wait();

	marks(fan, after, sizeof(after));
	if (strcmp(before, after)) {
		cleanup();
		crtest_say("before:\n%safter:\n%s", before, after);
		crtest_fail("marks differ");
	}
	/* Drain what came meanwhile (other processes' writes on /dev/shm). */
	while (read(fan, buf, sizeof(buf)) > 0)
		;
	fd = open(f, O_RDONLY);
	if (fd < 0)
		die("open f");
	close(fd);
	for (ssize_t n = read(fan, buf, sizeof(buf)); n > 0; n = read(fan, buf, sizeof(buf))) {
		struct fanotify_event_metadata *m = (void *)buf;

		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			char link[64], target[256];
			ssize_t k;

			if (m->fd < 0)
				continue;
			snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
			k = readlink(link, target, sizeof(target) - 1);
			close(m->fd);
			if (k > 0) {
				target[k] = '\0';
				if (!strcmp(target, f) && (m->mask & FAN_OPEN))
					found = 1;
			}
		}
	}
	cleanup();
	if (!found)
		crtest_fail("no FAN_OPEN event for %s after restore", f);
	if (!(fcntl(fan, F_GETFL) & O_NONBLOCK))
		crtest_fail("lost O_NONBLOCK");
	crtest_pass();
}
