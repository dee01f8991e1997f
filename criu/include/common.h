/*
 * Small helpers every criu source uses: attributes, cleanup scopes, array
 * sizes, and the allocation wrappers that log when memory runs out.
 *
 * Errors: functions return 0 (or a count) on success and -errno on failure;
 * convert libc's -1/errno right at the call with -errno.
 */
#ifndef CRIU_COMMON_H
#define CRIU_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define __must_check   __attribute__((warn_unused_result))
#define __unused       __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __cleanup(fn)  __attribute__((cleanup(fn)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min(a, b)                   \
	({                          \
		typeof(a) _a = (a); \
		typeof(b) _b = (b); \
		_a < _b ? _a : _b;  \
	})
#define max(a, b)                   \
	({                          \
		typeof(a) _a = (a); \
		typeof(b) _b = (b); \
		_a > _b ? _a : _b;  \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_	 __cleanup(freep)
#define _cleanup_close_	 __cleanup(closep)
#define _cleanup_fclose_ __cleanup(fclosep)

/* Hand ownership on: returns the value and leaves NULL / -1 behind. */
#define TAKE_PTR(p)                 \
	({                          \
		typeof(p) _p = (p); \
		(p) = NULL;         \
		_p;                 \
	})
#define TAKE_FD(fd)             \
	({                      \
		int _fd = (fd); \
		(fd) = -1;      \
		_fd;            \
	})

/* Allocation that logs "out of memory" with the caller's position. */
void *__xmalloc(size_t size, const char *file, int line);
void *__xzalloc(size_t size, const char *file, int line);
void *__xrealloc(void *p, size_t size, const char *file, int line);
char *__xstrdup(const char *s, const char *file, int line);
#define xmalloc(s)     __xmalloc((s), __FILE__, __LINE__)
#define xzalloc(s)     __xzalloc((s), __FILE__, __LINE__)
#define xrealloc(p, s) __xrealloc((p), (s), __FILE__, __LINE__)
#define xstrdup(s)     __xstrdup((s), __FILE__, __LINE__)

/* printf into a new string; NULL (logged) when out of memory. */
char *xsprintf(const char *fmt, ...) __printf(1, 2);

#endif /* CRIU_COMMON_H */
