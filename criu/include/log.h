/*
 * criu's log.
 *
 * Levels follow the CLI contract: 0 none (only pr_msg), 1 errors, 2 warnings
 * (default), 3 info, 4 debug.  Lines at level 3 and up carry a "(SS.UUUUUU) "
 * timestamp counted from log_init(); lines printed by a process other than
 * the one that called log_init() also carry "PID: ".  Errors are written as
 * "Error (criu/file.c:LINE): text" and, when the log is a file, also go to
 * stderr.  pr_msg() is user-facing output: stdout, and the log file too.
 *
 * Each source may define LOG_PREFIX ("pstree: ") before including this.
 * Messages end with "\n", given by the caller, as in the kernel.
 */
#ifndef CRIU_LOG_H
#define CRIU_LOG_H

#include <sys/types.h>
#include "common.h"

enum {
	LOG_MSG = 0,
	LOG_ERROR = 1,
	LOG_WARN = 2,
	LOG_INFO = 3,
	LOG_DEBUG = 4,
};
#define DEFAULT_LOGLEVEL LOG_WARN

#ifndef LOG_PREFIX
#define LOG_PREFIX
#endif

/*
 * Open the log: @path NULL or "-" means stderr; otherwise the file is
 * created (truncated) relative to the current directory, which the caller
 * has made the work dir.  Returns 0 or -errno (and says why on stderr).
 */
int log_init(const char *path) __must_check;
/* --log-pid: reopen the log as "<path>.<pid>" in a forked child. */
int log_init_by_pid(pid_t pid) __must_check;
void log_fini(void);
void log_set_loglevel(int level);
int log_get_loglevel(void);
/*
 * Move the log's fds (the log file, or stderr when the log is stderr, and
 * the stderr copy of errors) to numbers >= @base, so that a restored task's
 * fds can take the low ones.  0 or -errno.
 */
int log_move_above(int base) __must_check;
/* Is the log a file (not stderr)? */
bool log_is_file(void);
/* Number of errors logged so far (tests and the exit path use it). */
unsigned int log_error_count(void);

void print_on_level(int level, const char *file, int line, const char *fmt, ...) __printf(4, 5);

#define pr_msg(fmt, ...)   print_on_level(LOG_MSG, __FILE__, __LINE__, fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...)   print_on_level(LOG_ERROR, __FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)  print_on_level(LOG_WARN, __FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  print_on_level(LOG_INFO, __FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) print_on_level(LOG_DEBUG, __FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)

/* pr_err with ": strerror(errno)" appended; errno is preserved. */
#define pr_perror(fmt, ...)                                        \
	({                                                         \
		int _e = errno;                                    \
		pr_err(fmt ": %s\n", ##__VA_ARGS__, strerror(_e)); \
		errno = _e;                                        \
	})

/* Log an error for -errno @r and return @r: "return pr_err_ret(r, ...)". */
#define pr_err_ret(r, fmt, ...)                                     \
	({                                                          \
		int _r = (r);                                       \
		pr_err(fmt ": %s\n", ##__VA_ARGS__, strerror(-_r)); \
		_r;                                                 \
	})

#endif /* CRIU_LOG_H */
