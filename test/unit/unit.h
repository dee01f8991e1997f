/*
 * Minimal unit-test support: CHECK() prints a FAIL line with the position
 * and continues; unit_done() prints PASS lines per test function and
 * returns the exit status.  The runner counts PASS:/FAIL: lines.
 *
 *	static void test_foo(void) { CHECK(1 + 1 == 2); }
 *	int main(void) { RUN(test_foo); return unit_done(); }
 */
#ifndef CRIU_TEST_UNIT_H
#define CRIU_TEST_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures;
static int unit_case_failed;

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			printf("FAIL: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			unit_failures++;                                        \
			unit_case_failed = 1;                                   \
		}                                                               \
	} while (0)

#define CHECK_STR(a, b)                                                                                   \
	do {                                                                                              \
		const char *_a = (a), *_b = (b);                                                          \
		if (!_a || !_b || strcmp(_a, _b)) {                                                       \
			printf("FAIL: %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, _a ? _a : "(null)", \
			       _b ? _b : "(null)");                                                       \
			unit_failures++;                                                                  \
			unit_case_failed = 1;                                                             \
		}                                                                                         \
	} while (0)

#define RUN(fn)                                    \
	do {                                       \
		unit_case_failed = 0;              \
		fn();                              \
		if (!unit_case_failed)             \
			printf("PASS: %s\n", #fn); \
		fflush(stdout);                    \
	} while (0)

static inline int unit_done(void)
{
	return unit_failures ? 1 : 0;
}

#endif
