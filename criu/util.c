/*
 * Generic helpers: allocation wrappers that log, string formatting.
 */
#include <stdarg.h>

#include "common.h"
#include "log.h"

void *__xmalloc(size_t size, const char *file, int line)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		print_on_level(LOG_ERROR, file, line, "Out of memory allocating %zu bytes\n", size);
	return p;
}

void *__xzalloc(size_t size, const char *file, int line)
{
	void *p = calloc(1, size ? size : 1);

	if (!p)
		print_on_level(LOG_ERROR, file, line, "Out of memory allocating %zu bytes\n", size);
	return p;
}

void *__xrealloc(void *old, size_t size, const char *file, int line)
{
	void *p = realloc(old, size ? size : 1);

	if (!p)
		print_on_level(LOG_ERROR, file, line, "Out of memory reallocating %zu bytes\n", size);
	return p;
}

char *__xstrdup(const char *s, const char *file, int line)
{
	char *p = strdup(s);

	if (!p)
		print_on_level(LOG_ERROR, file, line, "Out of memory duplicating a string\n");
	return p;
}

char *xsprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		pr_err("Out of memory formatting a string\n");
		s = NULL;
	}
	va_end(ap);
	return s;
}
