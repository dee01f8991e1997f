/* inotify: watches on directories and a file with their masks (one-shot,
 * excl-unlink), their watch descriptors (with a gap where one was
 * removed), events on them after restore, no stray event queued by the
 * restore itself, and the next watch getting the next number. */
#include <limits.h>
#include <sys/inotify.h>
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

/* Read one event; return its wd, mask in *mask, name in @name. */
static int one_event(int fd, uint32_t *mask, char *name)
{
	char buf[sizeof(struct inotify_event) + NAME_MAX + 1] __attribute__((aligned(8)));
	struct inotify_event *e = (void *)buf;
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < (ssize_t)sizeof(*e))
		return -1;
	*mask = e->mask;
	strcpy(name, e->len ? e->name : "");
	return e->wd;
}

static void expect(int fd, int wd, uint32_t mask, const char *name)
{
	char got[NAME_MAX + 1];
	uint32_t m;
	int w = one_event(fd, &m, got);

	if (w != wd || !(m & mask) || strcmp(got, name)) {
		cleanup();
		crtest_fail("event wd %d mask %#x \"%s\", want wd %d mask %#x \"%s\"", w, m, got, wd, mask, name);
	}
}

static void touch(const char *rel)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	fd = open(p, O_CREAT | O_WRONLY | O_APPEND, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1) {
		cleanup();
		crtest_fail("write %s: %m", p);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	char a[128], b[128], f[128], name[NAME_MAX + 1];
	int fd, wa, wb, wf, wd, wn;
	uint32_t m;

	crtest_init(argc, argv);
	snprintf(dir, sizeof(dir), "/tmp/ev-inotify.XXXXXX");
	if (!mkdtemp(dir))
		crtest_fail("mkdtemp: %m");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(f, sizeof(f), "%s/f", dir);
	mkdir(a, 0700);
	mkdir(b, 0700);
	touch("f");
	fd = inotify_init1(IN_NONBLOCK);
	wa = inotify_add_watch(fd, a, IN_CREATE);
	wb = inotify_add_watch(fd, b, IN_CREATE | IN_DELETE);
	inotify_rm_watch(fd, wa);
	expect(fd, wa, IN_IGNORED, "");
	wf = inotify_add_watch(fd, f, IN_MODIFY | IN_ONESHOT);
	wd = inotify_add_watch(fd, dir, IN_CREATE | IN_EXCL_UNLINK);
	if (fd < 0 || wa != 1 || wb != 2 || wf != 3 || wd != 4) {
		cleanup();
		crtest_fail("setup: fd %d, wds %d %d %d %d", fd, wa, wb, wf, wd);
	}

	crtest_ready();
	crtest_wait();

	if (one_event(fd, &m, name) >= 0 || errno != EAGAIN) {
		cleanup();
		crtest_fail("an event was queued before any change (mask %#x)", m);
	}
	touch("b/new");
	expect(fd, wb, IN_CREATE, "new");
	touch("f");
	expect(fd, wf, IN_MODIFY, "");
	touch("f"); /* one-shot: no second event (IN_IGNORED may come, later) */
	touch("x");
	expect(fd, wd, IN_CREATE, "x");
	touch("a/y"); /* a is not watched any more */
	while ((wn = one_event(fd, &m, name)) == wf && m == IN_IGNORED)
		;
	if (wn >= 0) {
		cleanup();
		crtest_fail("unexpected event mask %#x \"%s\"", m, name);
	}
	wn = inotify_add_watch(fd, a, IN_CREATE);
	cleanup();
	if (wn != 5)
		crtest_fail("a new watch got wd %d, want 5", wn);
	crtest_pass();
}
