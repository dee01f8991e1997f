/*
 * The log's format contract: "Error (file:line): ", "Warn  (file:line): ",
 * timestamps from level 3, level filtering, errors duplicated on stderr when
 * the log is a file, pr_msg on stdout.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "unit.h"
#include "log.h"

static char dir[] = "/tmp/criu-unit-log.XXXXXX";

static char *slurp(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/* Run @fn with stderr (and stdout) redirected into files of @dir. */
static void capture(void (*fn)(void), char *err, char *out)
{
	char ep[256], op[256];
	int e = dup(2), o = dup(1);

	snprintf(ep, sizeof(ep), "%s/stderr", dir);
	snprintf(op, sizeof(op), "%s/stdout", dir);
	int ef = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int of = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(ef, 2);
	dup2(of, 1);
	fn();
	fflush(stdout);
	dup2(e, 2);
	dup2(o, 1);
	close(ef);
	close(of);
	close(e);
	close(o);
	strcpy(err, slurp(ep));
	strcpy(out, slurp(op));
}

static int err_line;

static void emit_default(void)
{
	CHECK(log_init(NULL) == 0);
	log_set_loglevel(DEFAULT_LOGLEVEL);
	err_line = __LINE__ + 1;
	pr_err("broken %d\n", 42);
	pr_warn("careful\n");
	pr_info("hidden info\n");
	pr_debug("hidden debug\n");
	pr_msg("to the user\n");
}

static void test_default_level(void)
{
	char err[8192], out[8192], want[256];

	capture(emit_default, err, out);
	snprintf(want, sizeof(want), "Error (test/unit/log.c:%d): broken 42\n", err_line);
	CHECK(strstr(err, want) != NULL);
	CHECK(strstr(err, "Warn  (test/unit/log.c:") != NULL);
	CHECK(strstr(err, "hidden") == NULL);
	CHECK(strstr(err, "(00.") == NULL);
	CHECK_STR(out, "to the user\n");
}

static void emit_debug_to_file(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/criu.log", dir);
	CHECK(log_init(path) == 0);
	log_set_loglevel(LOG_DEBUG);
	CHECK(log_is_file());
	pr_debug("some debug\n");
	pr_err("a failure\n");
	pr_msg("result\n");
	log_fini();
}

static void test_file_and_timestamps(void)
{
	char err[8192], out[8192], path[256];

	capture(emit_debug_to_file, err, out);
	snprintf(path, sizeof(path), "%s/criu.log", dir);
	char *log = slurp(path);
	CHECK(strncmp(log, "(00.", 4) == 0);
	CHECK(strstr(log, ") some debug\n") != NULL);
	CHECK(strstr(log, "Error (test/unit/log.c:") != NULL);
	CHECK(strstr(log, "result\n") != NULL);
	/* errors reach stderr as well, other levels do not */
	CHECK(strstr(err, "a failure") != NULL);
	CHECK(strstr(err, "some debug") == NULL);
	CHECK_STR(out, "result\n");
}

static void emit_silent(void)
{
	CHECK(log_init(NULL) == 0);
	log_set_loglevel(0);
	pr_err("nothing\n");
	pr_msg("only this\n");
}

static void test_level_zero(void)
{
	char err[8192], out[8192];

	capture(emit_silent, err, out);
	CHECK_STR(err, "");
	CHECK_STR(out, "only this\n");
}

static void test_errno_kept(void)
{
	errno = EAGAIN;
	log_set_loglevel(0);
	pr_perror("x");
	CHECK(errno == EAGAIN);
	CHECK(pr_err_ret(-ENOENT, "y") == -ENOENT);
}

static void emit_bad_path(void)
{
	CHECK(log_init("/nonexistent-dir/criu.log") == -ENOENT);
}

static void test_open_failure(void)
{
	char err[8192], out[8192];

	capture(emit_bad_path, err, out);
	CHECK(strstr(err, "Can't open log file /nonexistent-dir/criu.log") != NULL);
}

/* After log_move_above() the log no longer uses low fds: closing them all
 * (as a restored task's fds replace them) loses nothing. */
static void test_move_above(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/moved.log", dir);
	CHECK(log_init(path) == 0);
	log_set_loglevel(LOG_WARN);
	CHECK(log_move_above(500) == 0);
	for (int fd = 3; fd < 500; fd++)
		if (fd != 500)
			close(fd);
	pr_warn("still logged\n");
	log_fini();
	CHECK(strstr(slurp(path), "still logged") != NULL);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(test_default_level);
	RUN(test_file_and_timestamps);
	RUN(test_level_zero);
	RUN(test_errno_kept);
	RUN(test_open_failure);
	RUN(test_move_above);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return unit_done();
}
