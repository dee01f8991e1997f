/*
 * --action-script (see action-scripts.h).  Each script runs through
 * /bin/sh -c, as users write them (a path, or a command line), with the
 * stage in its environment; criu waits for it.  Its standard output and
 * error are criu's.
 */
#include <limits.h>
#include <sys/wait.h>

#define LOG_PREFIX "action-script: "
#include "action-scripts.h"
#include "cr_options.h"
#include "log.h"

static const char *const names[] = {
	[ACT_PRE_DUMP] = "pre-dump",	     [ACT_POST_DUMP] = "post-dump",
	[ACT_PRE_RESTORE] = "pre-restore",   [ACT_POST_RESTORE] = "post-restore",
	[ACT_PRE_RESUME] = "pre-resume",     [ACT_POST_RESUME] = "post-resume",
	[ACT_SETUP_NS] = "setup-namespaces", [ACT_POST_SETUP_NS] = "post-setup-namespaces",
	[ACT_NET_LOCK] = "network-lock",     [ACT_NET_UNLOCK] = "network-unlock",
};

static int run_one(const char *script, const char *action, const char *dir, pid_t pid)
{
	int status;
	pid_t child;

	child = fork();
	if (child < 0)
		return pr_err_ret(-errno, "can't run %s", script);
	if (child == 0) {
		char buf[16];

		setenv("CRTOOLS_SCRIPT_ACTION", action, 1);
		setenv("CRTOOLS_IMAGE_DIR", dir, 1);
		if (pid > 0) {
			snprintf(buf, sizeof(buf), "%d", (int)pid);
			setenv("CRTOOLS_INIT_PID", buf, 1);
		}
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return pr_err_ret(-errno, "can't wait for %s", script);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		pr_err("script %s failed at %s with status %d\n", script, action, WEXITSTATUS(status));
	else
		pr_err("script %s was killed by signal %d at %s\n", script, WTERMSIG(status), action);
	return -ECANCELED;
}

int run_scripts(enum script_action act, pid_t pid)
{
	char dir[PATH_MAX], link[64];
	ssize_t n;

	if (!opts.scripts.n)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", opts.imgs_dir_fd);
	n = opts.imgs_dir_fd >= 0 ? readlink(link, dir, sizeof(dir) - 1) : -1;
	if (n < 0)
		snprintf(dir, sizeof(dir), "%s", opts.imgs_dir ?: ".");
	else
		dir[n] = '\0';
	for (unsigned int i = 0; i < opts.scripts.n; i++) {
		pr_info("running %s at %s\n", opts.scripts.v[i], names[act]);
		int r = run_one(opts.scripts.v[i], names[act], dir, pid);
		if (r)
			return r;
	}
	return 0;
}
