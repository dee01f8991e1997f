/*
 * Unit test of `criu check` (criu/check*.c): the required probes pass on
 * the machines criu supports, every probe runs by name and answers 0 or a
 * negative errno, unknown names give -ENOENT, and no probe leaves a child,
 * a descriptor or a temporary directory behind.
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <sys/wait.h>

#include "check.h"
#include "log.h"
#include "unit.h"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int count_tmp_dirs(void)
{
	glob_t g;
	int n;

	if (glob("/tmp/.criu-check.*", GLOB_NOSORT, NULL, &g))
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

/* No child of ours is left, running or zombie. */
static bool no_children(void)
{
	return waitpid(-1, NULL, WNOHANG | __WALL) < 0 && errno == ECHILD;
}

static void test_required(void)
{
	int fds = count_fds();

	CHECK(cr_check(CHECK_REQUIRED, NULL) == 0);
	CHECK(no_children());
	CHECK(count_fds() == fds);
}

static void test_list(void)
{
	unsigned int scope = 0, i;

	CHECK(cr_check(0, "list") == 0);
	CHECK(check_probe_name(0, &scope) != NULL);
	for (i = 0; check_probe_name(i, &scope); i++)
		CHECK(scope == CHECK_REQUIRED || scope == CHECK_EXTRA || scope == CHECK_EXPERIMENTAL);
	CHECK(i > 50);
	/* Names CRIU users script against are there. */
	static const char *const criu_names[] = { "mem_dirty_track", "uffd",	    "uffd-noncoop",  "clone3_set_tid",
						  "timens",	     "pidfd_store", "get_rseq_conf", "pagemap_scan" };
	for (size_t k = 0; k < sizeof(criu_names) / sizeof(criu_names[0]); k++) {
		bool found = false;

		for (i = 0; check_probe_name(i, NULL); i++)
			if (!strcmp(check_probe_name(i, NULL), criu_names[k]))
				found = true;
		CHECK(found);
	}
}

static void test_unknown(void)
{
	unsigned int errs = log_error_count();

	CHECK(cr_check(CHECK_REQUIRED, "nosuch") == -ENOENT);
	CHECK(log_error_count() == errs + 1);
}

static void test_each_by_name(void)
{
	int fds = count_fds(), tmps = count_tmp_dirs();
	unsigned int scope, i;
	const char *name;

	for (i = 0; (name = check_probe_name(i, &scope)); i++) {
		int r = cr_check(0, name);

		CHECK(r <= 0);
		if (scope == CHECK_REQUIRED)
			CHECK(r == 0);
		CHECK(no_children());
		if (count_fds() != fds) {
			printf("FAIL: %s leaves %d descriptors behind\n", name, count_fds() - fds);
			unit_failures++;
			unit_case_failed = 1;
			fds = count_fds();
		}
	}
	CHECK(count_tmp_dirs() == tmps);
}

static void test_all(void)
{
	int r = cr_check(CHECK_REQUIRED | CHECK_EXTRA | CHECK_EXPERIMENTAL, NULL);

	/* Some optional feature is missing on most machines (soft-dirty here): any answer but a crash. */
	CHECK(r <= 0);
	CHECK(no_children());
}

int main(void)
{
	if (log_init(NULL))
		return 1;
	log_set_loglevel(LOG_WARN);
	RUN(test_required);
	RUN(test_list);
	RUN(test_unknown);
	RUN(test_each_by_name);
	RUN(test_all);
	return unit_done();
}
