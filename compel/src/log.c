/*
 * compel's log: one function pointer and a level.  The library formats each
 * message once and hands the line to the caller's function (criu plugs its
 * own log in); without one, warnings and errors go to stderr in criu's
 * "Error (file:line): text" form.
 */
#include <stdarg.h>
#include <unistd.h>

#include "internal.h"

static void log_to_stderr(int level, const char *file, int line, const char *msg);

static compel_log_fn log_fn = log_to_stderr;
static int log_level = COMPEL_LOG_WARN;

static void log_to_stderr(int level, const char *file, int line, const char *msg)
{
	if (level == COMPEL_LOG_ERROR)
		fprintf(stderr, "Error (%s:%d): %s", file, line, msg);
	else if (level == COMPEL_LOG_WARN)
		fprintf(stderr, "Warn  (%s:%d): %s", file, line, msg);
	else
		fputs(msg, stderr);
}

void compel_log_init(compel_log_fn fn, int level)
{
	log_fn = fn ? fn : log_to_stderr;
	log_level = level;
}

void compel_print(int level, const char *file, int line, const char *fmt, ...)
{
	char buf[1024];
	int saved_errno = errno;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fn(level, file, line, buf);
	errno = saved_errno;
}
