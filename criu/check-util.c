/*
 * Helpers shared by the `criu check` probes: failure reasons, children
 * with deadlines, a sleeping child to trace, small file and maps readers.
 *
 * Invariant: a helper that forks reaps what it forked before returning
 * (or hands the pid to the caller in a struct sleeper, whose stop reaps
 * it), so a probe can never leave a zombie or a stray task behind.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "check-probes.h"
#include "log.h"

int probe_fail(struct probe *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	if (err > 0)
		err = -err;
	return err ? err : -EINVAL;
}

int probe_perror(struct probe *p, const char *fmt, ...)
{
	int e = errno ? errno : EINVAL;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	n = strlen(p->why);
	snprintf(p->why + n, sizeof(p->why) - n, ": %s", strerror(e));
	return -e;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

int probe_wait(pid_t pid, int *status, int timeout_ms)
{
	struct timespec start;
	useconds_t delay = 20;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG | __WALL);

		if (r == pid)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (elapsed_ms(&start) >= timeout_ms)
			return -ETIMEDOUT;
		usleep(delay);
		if (delay < 5000)
			delay *= 2;
	}
}

void probe_reap(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	for (;;) {
		pid_t r = waitpid(pid, &status, __WALL);

		if (r < 0 && errno == EINTR)
			continue;
		/* A traced child may report a last stop before its death. */
		if (r == pid && !WIFEXITED(status) && !WIFSIGNALED(status))
			continue;
		break;
	}
}

const char *probe_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else if (WIFSTOPPED(status))
		snprintf(buf, len, "stopped by signal %d (event %d)", WSTOPSIG(status), status >> 16);
	else
		snprintf(buf, len, "wait status %#x", status);
	return buf;
}

/* Wait until @fd is readable or @timeout_ms passes: 1, 0 (timeout) or -errno. */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left = timeout_ms - elapsed_ms(&start);
		int r;

		if (left < 0)
			left = 0;
		r = poll(&pfd, 1, (int)left);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return -errno;
	}
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, (char *)buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

struct child_result {
	int ret;
	char why[PROBE_WHY_LEN];
};

int probe_run_in_child(struct probe *p, int (*fn)(struct probe *p, void *arg), void *arg)
{
	struct child_result res = { 0 };
	char sbuf[64];
	int pfd[2], status, r;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return probe_perror(p, "pipe");
	pid = fork();
	if (pid < 0) {
		r = probe_perror(p, "fork");
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0) {
		struct probe cp = { "" };

		close(pfd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		res.ret = fn(&cp, arg);
		memcpy(res.why, cp.why, sizeof(res.why));
		if (write(pfd[1], &res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);

	r = wait_readable(pfd[0], PROBE_TIMEOUT_MS);
	n = r > 0 ? read_full(pfd[0], &res, sizeof(res)) : 0;
	close(pfd[0]);

	r = probe_wait(pid, &status, PROBE_TIMEOUT_MS);
	if (r) {
		probe_reap(pid);
		return probe_fail(p, -ETIMEDOUT, "probe child %d did not finish in %d ms", (int)pid, PROBE_TIMEOUT_MS);
	}
	if (n != (ssize_t)sizeof(res))
		return probe_fail(p, -ECHILD, "probe child %s without an answer",
				  probe_status_str(status, sbuf, sizeof(sbuf)));
	memcpy(p->why, res.why, sizeof(p->why));
	p->why[sizeof(p->why) - 1] = '\0';
	if (res.ret < 0 && !p->why[0])
		snprintf(p->why, sizeof(p->why), "%s", strerror(-res.ret));
	return res.ret;
}

static __attribute__((noreturn)) void sleeper_main(int ctl, int echo, int (*setup)(void *), void *arg)
{
	char c = 'r';

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setup) {
		int err = setup(arg);

		if (err) {
			char msg[1 + sizeof(int)] = { 'e' };

			memcpy(msg + 1, &err, sizeof(err));
			if (write(echo, msg, sizeof(msg)) < 0)
				_exit(3);
			_exit(2);
		}
	}
	if (write(echo, &c, 1) != 1)
		_exit(3);
	for (;;) {
		ssize_t n = read(ctl, &c, 1);

		if (n == 1) {
			if (write(echo, &c, 1) != 1)
				_exit(3);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		_exit(0);
	}
}

int sleeper_start(struct probe *p, struct sleeper *s, int (*setup)(void *arg), void *arg)
{
	int ctl[2], echo[2], r;
	char c;

	s->pid = -1;
	s->ctl = s->echo = -1;
	if (pipe2(ctl, O_CLOEXEC))
		return probe_perror(p, "pipe");
	if (pipe2(echo, O_CLOEXEC)) {
		r = probe_perror(p, "pipe");
		close(ctl[0]);
		close(ctl[1]);
		return r;
	}
	s->pid = fork();
	if (s->pid < 0) {
		r = probe_perror(p, "fork");
		close(ctl[0]);
		close(ctl[1]);
		close(echo[0]);
		close(echo[1]);
		return r;
	}
	if (s->pid == 0) {
		close(ctl[1]);
		close(echo[0]);
		sleeper_main(ctl[0], echo[1], setup, arg);
	}
	close(ctl[0]);
	close(echo[1]);
	s->ctl = ctl[1];
	s->echo = echo[0];
	s->child_ctl = ctl[0];

	r = wait_readable(s->echo, PROBE_TIMEOUT_MS);
	if (r <= 0) {
		r = probe_fail(p, r ? r : -ETIMEDOUT, "child %d did not get ready", (int)s->pid);
		goto out_stop;
	}
	if (read(s->echo, &c, 1) != 1) {
		r = probe_fail(p, -ECHILD, "child %d died while getting ready", (int)s->pid);
		goto out_stop;
	}
	if (c == 'e') {
		int err = -EINVAL;

		if (read_full(s->echo, &err, sizeof(err)) != sizeof(err))
			err = -EINVAL;
		r = probe_fail(p, err, "preparing child %d: %s", (int)s->pid, strerror(-err));
		goto out_stop;
	}
	return 0;

out_stop:
	sleeper_stop(s);
	return r;
}

int sleeper_ping(struct probe *p, struct sleeper *s)
{
	char c = 'p';
	int r;

	if (write(s->ctl, &c, 1) != 1)
		return probe_perror(p, "writing to child %d", (int)s->pid);
	r = wait_readable(s->echo, PROBE_TIMEOUT_MS);
	if (r <= 0)
		return probe_fail(p, r ? r : -ETIMEDOUT, "child %d does not answer", (int)s->pid);
	if (read(s->echo, &c, 1) != 1 || c != 'p')
		return probe_fail(p, -EPIPE, "child %d gave no proper answer", (int)s->pid);
	return 0;
}

void sleeper_stop(struct sleeper *s)
{
	if (s->ctl >= 0)
		close(s->ctl);
	if (s->echo >= 0)
		close(s->echo);
	probe_reap(s->pid);
	s->ctl = s->echo = -1;
	s->pid = -1;
}

int probe_seize_stop(struct probe *p, pid_t pid, unsigned long options)
{
	char sbuf[64];
	int status, r;

	if (ptrace(PTRACE_SEIZE, pid, NULL, options))
		return probe_perror(p, "PTRACE_SEIZE of %d", (int)pid);
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL))
		return probe_perror(p, "PTRACE_INTERRUPT of %d", (int)pid);
	r = probe_wait(pid, &status, PROBE_TIMEOUT_MS);
	if (r)
		return probe_fail(p, r, "waiting for %d to stop: %s", (int)pid, strerror(-r));
	if (!WIFSTOPPED(status) || (status >> 16) != PTRACE_EVENT_STOP)
		return probe_fail(p, -EPROTO, "%d %s, not in a ptrace event stop", (int)pid,
				  probe_status_str(status, sbuf, sizeof(sbuf)));
	return 0;
}

ssize_t probe_read_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read_full(fd, buf, size - 1);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

int probe_write_file(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);

	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

bool probe_find_tool(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	char *save = NULL, *dir;

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/bin:/bin", path ? path : "");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat st;

		if (!*dir)
			continue;
		snprintf(buf, len, "%s/%s", dir, name);
		if (!stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK))
			return true;
	}
	buf[0] = '\0';
	return false;
}

int probe_find_vma(const char *name, struct probe_vma *vma)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		int tail = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &tail) != 2 || !tail)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line + tail, name)) {
			vma->start = start;
			vma->end = end;
			return 0;
		}
	}
	return -ENOENT;
}
