/*
 * The log: one output (a file in the work dir, or stderr), a level filter,
 * timestamps from level 3, and errors duplicated on stderr when the log is a
 * file so that a user running criu in a terminal always sees why it failed.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

static int log_fd = STDERR_FILENO;
static int err_fd = STDERR_FILENO; /* where errors also go when logging to a file */
static int loglevel = DEFAULT_LOGLEVEL;
static char *log_path;
static struct timespec log_start;
static pid_t log_owner;
static unsigned int nr_errors;

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);

	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "Error (%s:%d): Can't open log file %s: %s\n", __FILE__, __LINE__, path, strerror(e));
		return -e;
	}
	return fd;
}

int log_init(const char *path)
{
	clock_gettime(CLOCK_MONOTONIC, &log_start);
	log_owner = getpid();
	log_fini();

	if (!path || !strcmp(path, "-"))
		return 0;

	int fd = open_log(path);
	if (fd < 0)
		return fd;
	log_path = strdup(path);
	if (!log_path) {
		close(fd);
		return -ENOMEM;
	}
	log_fd = fd;
	return 0;
}

int log_init_by_pid(pid_t pid)
{
	char buf[4096];

	log_owner = getpid();
	if (!log_path)
		return 0;
	snprintf(buf, sizeof(buf), "%s.%d", log_path, (int)pid);
	int fd = open_log(buf);
	if (fd < 0)
		return fd;
	close(log_fd);
	log_fd = fd;
	return 0;
}

void log_fini(void)
{
	if (log_fd != STDERR_FILENO && log_fd != err_fd)
		close(log_fd);
	log_fd = err_fd;
	free(log_path);
	log_path = NULL;
}

void log_set_loglevel(int level)
{
	loglevel = level;
}

int log_get_loglevel(void)
{
	return loglevel;
}

bool log_is_file(void)
{
	return log_path != NULL;
}

/* Dup @fd to the lowest free number >= @base; the old one is closed unless it is 0-2. */
static int move_fd_above(int *fd, int base)
{
	int nfd;

	if (*fd >= base)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, base);
	if (nfd < 0)
		return -errno;
	if (*fd > STDERR_FILENO)
		close(*fd);
	*fd = nfd;
	return 0;
}

int log_move_above(int base)
{
	int r = move_fd_above(&log_fd, base);

	if (!r && err_fd != log_fd)
		r = move_fd_above(&err_fd, base);
	else if (!r)
		err_fd = log_fd;
	return r;
}

unsigned int log_error_count(void)
{
	return nr_errors;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void print_on_level(int level, const char *file, int line, const char *fmt, ...)
{
	char buf[4096];
	size_t off = 0;
	int saved_errno = errno;
	va_list ap;

	if (level == LOG_ERROR)
		nr_errors++;
	if (level > loglevel && level != LOG_MSG)
		goto out;

	if (loglevel >= LOG_INFO && level != LOG_MSG) {
		struct timespec now;
		long sec, usec;

		clock_gettime(CLOCK_MONOTONIC, &now);
		sec = now.tv_sec - log_start.tv_sec;
		usec = (now.tv_nsec - log_start.tv_nsec) / 1000;
		if (usec < 0) {
			usec += 1000000;
			sec--;
		}
		off += snprintf(buf + off, sizeof(buf) - off, "(%02ld.%06ld) ", sec, usec);
		if (log_owner && getpid() != log_owner)
			off += snprintf(buf + off, sizeof(buf) - off, "%5d: ", (int)getpid());
	}
	if (level == LOG_ERROR)
		off += snprintf(buf + off, sizeof(buf) - off, "Error (%s:%d): ", file, line);
	else if (level == LOG_WARN)
		off += snprintf(buf + off, sizeof(buf) - off, "Warn  (%s:%d): ", file, line);

	va_start(ap, fmt);
	int n = vsnprintf(buf + off, sizeof(buf) - off, fmt, ap);
	va_end(ap);
	if (n > 0)
		off += (size_t)n;
	if (off >= sizeof(buf)) {
		off = sizeof(buf) - 1;
		buf[off - 1] = '\n';
	}

	if (level == LOG_MSG) {
		fflush(stdout);
		write_all(STDOUT_FILENO, buf, off);
		if (log_is_file())
			write_all(log_fd, buf, off);
	} else {
		write_all(log_fd, buf, off);
		if (level == LOG_ERROR && log_is_file())
			write_all(err_fd, buf, off);
	}
out:
	errno = saved_errno;
}
