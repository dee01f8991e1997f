/*
 * Support for checkpoint/restore test programs (test/cr/progs/NAME.c).
 *
 * A test sets some state up, says it is ready, waits while the runner dumps
 * and restores it, then checks the state and reports:
 *
 *	int main(int argc, char **argv)
 *	{
 *		crtest_init(argc, argv);
 *		... set up ...
 *		crtest_ready();
 *		crtest_wait();		// returns after restore, on SIGTERM
 *		if (... broken ...)
 *			crtest_fail("value is %d", v);
 *		crtest_pass();
 *	}
 *
 * The runner (test/cr/run.t) starts the test with setsid, stdin /dev/null,
 * stdout and stderr to a file, and $CRTEST_READY naming a file to create.
 * crtest_init() closes every other inherited fd, so a test only holds what
 * it opened itself.  Results are "PASS" or "FAIL: why" lines on stdout,
 * written with write(2) so nothing sits in a stdio buffer across a dump.
 */
#ifndef CRTEST_H
#define CRTEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static volatile sig_atomic_t crtest_stop;
static const char *crtest_name = "test";

static inline void crtest_on_term(int sig)
{
	(void)sig;
	crtest_stop = 1;
}

static inline void crtest_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void crtest_say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
		return;
}

static inline void crtest_init(int argc, char **argv)
{
	struct sigaction sa;

	(void)argc;
	crtest_name = argv[0];
	syscall(SYS_close_range, 3U, ~0U, 0);
	if (getsid(0) != getpid())
		setsid(); /* fails harmlessly in a process group leader */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crtest_on_term;
	sigaction(SIGTERM, &sa, NULL);
}

static inline void crtest_ready(void)
{
	const char *path = getenv("CRTEST_READY");
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

/* Wait for SIGTERM: a plain sleep loop, restartable across any dump. */
static inline void crtest_wait(void)
{
	while (!crtest_stop) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static inline void crtest_pass(void) __attribute__((noreturn));
static inline void crtest_pass(void)
{
	crtest_say("PASS\n");
	exit(0);
}

static inline void crtest_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static inline void crtest_fail(const char *fmt, ...)
{
	char buf[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	crtest_say("FAIL: %s\n", buf);
	exit(1);
}

/* A checksum of @len bytes (FNV-1a, 64-bit). */
static inline unsigned long long crtest_csum(const void *p, size_t len)
{
	const unsigned char *c = p;
	unsigned long long h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

#endif /* CRTEST_H */
