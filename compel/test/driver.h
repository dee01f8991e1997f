/*
 * Shared by the compel test drivers: start victims (compel/test/victim) on
 * pipes, make sure every victim is killed when the driver ends however it
 * ends (exit, signal, or crash: PR_SET_PDEATHSIG), read their report lines
 * with a timeout, capture compel's log, and print PASS/FAIL lines.
 */
#ifndef COMPEL_TEST_DRIVER_H
#define COMPEL_TEST_DRIVER_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compel.h"

static int nr_fail;
static char last_log[1024];

static inline void pass(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void pass(const char *fmt, ...)
{
	va_list ap;

	printf("PASS: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void fail(const char *fmt, ...)
{
	va_list ap;

	nr_fail++;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* compel's messages: kept for checks, shown on stderr (the test log). */
static inline void capture_log(int level, const char *file, int line, const char *msg)
{
	if (level == COMPEL_LOG_ERROR)
		snprintf(last_log, sizeof(last_log), "%s", msg);
	fprintf(stderr, "%s (%s:%d): %s", level == COMPEL_LOG_ERROR ? "Error" : "log", file, line, msg);
}

static inline void driver_init(void)
{
	const char *d = getenv("COMPEL_TEST_DEBUG");

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	compel_log_init(capture_log, d ? COMPEL_LOG_DEBUG : COMPEL_LOG_WARN);
}

/* ------------------------------------------------------------ victims */
struct victim {
	pid_t pid;
	int ctl;  /* write end of its fd 3 */
	int data; /* write end of its fd 4 */
	int out;  /* read end of its stdout */
	int avx512;
	unsigned long mem; /* its patterned memory (pattern.h: mem_pattern) */
	unsigned long mem_size;
	pid_t nanny;  /* the victim's parent when it is not us, else 0 */
	int nanny_fd; /* the nanny writes the victim's pid, then its wait status */
	char buf[4096];
	size_t len;
};

#define MAX_VICTIMS 64
static pid_t victim_pids[MAX_VICTIMS];

static inline void kill_victims(void)
{
	for (int i = 0; i < MAX_VICTIMS; i++)
		if (victim_pids[i] > 0) {
			kill(victim_pids[i], SIGKILL);
			waitpid(victim_pids[i], NULL, 0);
			victim_pids[i] = 0;
		}
}

static inline void on_fatal(int sig)
{
	for (int i = 0; i < MAX_VICTIMS; i++)
		if (victim_pids[i] > 0)
			kill(victim_pids[i], SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static inline void track(pid_t pid)
{
	static bool hooked;

	if (!hooked) {
		atexit(kill_victims);
		signal(SIGTERM, on_fatal);
		signal(SIGINT, on_fatal);
		signal(SIGALRM, on_fatal);
		signal(SIGSEGV, on_fatal);
		signal(SIGABRT, on_fatal);
		hooked = true;
	}
	for (int i = 0; i < MAX_VICTIMS; i++)
		if (victim_pids[i] <= 0) {
			victim_pids[i] = pid;
			return;
		}
}

static inline void untrack(pid_t pid)
{
	for (int i = 0; i < MAX_VICTIMS; i++)
		if (victim_pids[i] == pid)
			victim_pids[i] = 0;
}

/* A program next to this driver. */
static inline void sibling_path(char *out, size_t size, const char *name)
{
	char self[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0) {
		perror("readlink");
		exit(2);
	}
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(out, size, "%s/%s", self, name);
}

/* One line of the victim's output, without "\n"; NULL after @ms or EOF. */
static inline char *victim_line(struct victim *v, int ms)
{
	for (;;) {
		char *nl = memchr(v->buf, '\n', v->len);

		if (nl) {
			static char line[4096];
			size_t n = nl - v->buf;

			memcpy(line, v->buf, n);
			line[n] = 0;
			memmove(v->buf, nl + 1, v->len - n - 1);
			v->len -= n + 1;
			return line;
		}
		struct pollfd pfd = { .fd = v->out, .events = POLLIN };
		int r = poll(&pfd, 1, ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || v->len == sizeof(v->buf))
			return NULL;
		ssize_t got = read(v->out, v->buf + v->len, sizeof(v->buf) - v->len);
		if (got <= 0)
			return NULL;
		v->len += got;
	}
}

static inline void victim_exec(const char *path, const char *mode, int ctl, int data, int out)
{
	dup2(ctl, 3);
	dup2(data, 4);
	dup2(out, 1);
	execl(path, "victim", mode, NULL);
	_exit(127);
}

/*
 * Start a victim.  With @nanny, it is the child of an intermediate process
 * (as the tasks criu dumps are not criu's children) which reports the
 * victim's wait status on v->nanny_fd.
 */
static inline int victim_start_ex(struct victim *v, const char *mode, bool nanny)
{
	int ctl[2], data[2], out[2], np[2] = { -1, -1 };
	char path[PATH_MAX];
	pid_t parent = getpid(), child;

	sibling_path(path, sizeof(path), "victim");
	memset(v, 0, sizeof(*v));
	v->nanny_fd = -1;
	if (pipe2(ctl, O_CLOEXEC) || pipe2(data, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    (nanny && pipe2(np, O_CLOEXEC))) {
		perror("pipe");
		exit(2);
	}
	/* Out of the way of the child's fds 1, 3 and 4. */
	int *fds[] = { &ctl[0], &ctl[1], &data[0], &data[1], &out[0], &out[1], &np[0], &np[1] };
	for (unsigned int i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] < 0)
			continue;
		int fd = fcntl(*fds[i], F_DUPFD_CLOEXEC, 10);

		close(*fds[i]);
		*fds[i] = fd;
	}
	child = fork();
	if (child < 0) {
		perror("fork");
		exit(2);
	}
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if (!nanny)
			victim_exec(path, mode, ctl[0], data[0], out[1]);
		pid_t me = getpid(), vp = fork();
		int status = -1;

		if (vp == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != me)
				_exit(1);
			victim_exec(path, mode, ctl[0], data[0], out[1]);
		}
		(void)!write(np[1], &vp, sizeof(vp));
		while (waitpid(vp, &status, 0) < 0 && errno == EINTR)
			;
		(void)!write(np[1], &status, sizeof(status));
		_exit(0);
	}
	if (nanny) {
		v->nanny = child;
		track(child);
		close(np[1]);
		v->nanny_fd = np[0];
		if (read(np[0], &v->pid, sizeof(v->pid)) != sizeof(v->pid)) {
			fail("victim %s: no pid from its parent", mode);
			return -1;
		}
	} else {
		v->pid = child;
	}
	track(v->pid);
	close(ctl[0]);
	close(data[0]);
	close(out[1]);
	v->ctl = ctl[1];
	v->data = data[1];
	v->out = out[0];
	char *line = victim_line(v, 10000);
	if (!line || sscanf(line, "READY %d %lx %lu", &v->avx512, &v->mem, &v->mem_size) != 3) {
		fail("victim %s did not start: %s", mode, line ? line : "no output");
		return -1;
	}
	return 0;
}

static inline int victim_start(struct victim *v, const char *mode)
{
	return victim_start_ex(v, mode, false);
}

/* The wait status the nanny saw for the victim; -1 after @ms. */
static inline int victim_nanny_status(struct victim *v, int ms)
{
	struct pollfd pfd = { .fd = v->nanny_fd, .events = POLLIN };
	int status = -1;

	if (poll(&pfd, 1, ms) == 1 && read(v->nanny_fd, &status, sizeof(status)) != sizeof(status))
		status = -1;
	return status;
}

static inline void victim_close(struct victim *v)
{
	kill(v->pid, SIGKILL);
	if (v->nanny) {
		waitpid(v->nanny, NULL, 0);
		untrack(v->nanny);
		close(v->nanny_fd);
	} else {
		waitpid(v->pid, NULL, 0);
	}
	untrack(v->pid);
	close(v->ctl);
	close(v->data);
	close(v->out);
}

/* Ask the victim to finish, relay its report; true if it passed. */
static inline bool victim_finish(struct victim *v, const char *how, char *report, size_t size)
{
	uint32_t end[2] = { 0xffffffffu, 0 };
	bool ok = false;
	char *line;

	/* A victim that reads records may be gone after the first. */
	if (write(v->data, end, sizeof(end)) >= 0)
		(void)!write(v->ctl, how, 1);
	line = victim_line(v, 20000);
	if (report)
		snprintf(report, size, "%s", line ? line : "");
	if (line && !strncmp(line, "PASS", 4)) {
		printf("%s\n", line);
		ok = true;
	} else {
		fail("victim %d: %s", v->pid, line ? line + (strncmp(line, "FAIL: ", 6) ? 0 : 6) : "no report");
	}
	victim_close(v);
	return ok;
}

/* ------------------------------------------------------------- /proc */
static inline char proc_state(pid_t pid, pid_t *tracer)
{
	char path[64], line[256], st = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "State:", 6))
			sscanf(line + 6, " %c", &st);
		else if (tracer && !strncmp(line, "TracerPid:", 10))
			*tracer = atoi(line + 10);
	}
	fclose(f);
	return st;
}

/* Wait up to 5 s for the task to show state @want. */
static inline bool wait_state(pid_t pid, char want)
{
	for (int i = 0; i < 5000; i++) {
		if (proc_state(pid, NULL) == want)
			return true;
		usleep(1000);
	}
	return false;
}

static inline long rsys(struct parasite_ctl *ctl, unsigned int thread, long nr, unsigned long a0, unsigned long a1,
			unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5, int *err)
{
	const unsigned long args[6] = { a0, a1, a2, a3, a4, a5 };
	long ret = -1;

	*err = compel_syscall(ctl, thread, nr, &ret, args);
	return ret;
}

#endif
