/*
 * main(): read the options (config files and command line, options.c and
 * config.c), set up the log and the directories, and run the command
 * through the table below.
 *
 * Order of work, each step failing with exit status 1:
 *   parse -> validate -> command built? -> options built? -> images dir
 *   (opened before the chdir, so a relative -D is taken from where criu was
 *   started) -> chdir to the work dir -> log file -> the command.
 */
#include <fcntl.h>
#include <limits.h>

#include "check.h"
#include "cr_options.h"
#include "dump.h"
#include "restore.h"
#include "log.h"

static int run_check(void)
{
	unsigned int scope = CHECK_REQUIRED;

	if (opts.check_extra_features)
		scope |= CHECK_EXTRA;
	if (opts.check_experimental_features)
		scope |= CHECK_EXPERIMENTAL;
	return cr_check(scope, opts.check_feature);
}

/*
 * What each command runs.  A command without .run is recognised but not
 * built yet: it fails by name.  .images says it reads or writes the images
 * dir, which must then exist.
 */
static const struct {
	int (*run)(void);
	bool images;
} cmd_ops[CMD_MAX] = {
	[CMD_DUMP] = { .run = cr_dump_tasks, .images = true },
	[CMD_PRE_DUMP] = { .images = true },
	[CMD_RESTORE] = { .run = cr_restore_tasks, .images = true },
	[CMD_CHECK] = { .run = run_check },
	[CMD_PAGE_SERVER] = { .images = true },
	[CMD_LAZY_PAGES] = { .images = true },
	[CMD_SERVICE] = {},
	[CMD_SWRK] = {},
	[CMD_DEDUP] = { .images = true },
	[CMD_CPUINFO_DUMP] = { .images = true },
	[CMD_CPUINFO_CHECK] = { .images = true },
};

static int open_images_dir(void)
{
	const char *dir = opts.imgs_dir ?: ".";
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return pr_err_ret(-errno, "can't open the images dir %s", dir);
	opts.imgs_dir_fd = fd;
	return 0;
}

/* The work dir is -W, else -D, else where criu was started. */
static int enter_work_dir(void)
{
	const char *dir = opts.work_dir ?: opts.imgs_dir;

	if (dir && chdir(dir))
		return pr_err_ret(-errno, "can't change directory to the work dir %s", dir);
	return 0;
}

/*
 * What main() returns once stdout is written: 1 when a write to it failed
 * (a full disk, > /dev/full), so that "criu -V > file" cannot fail silently.
 */
static int stdout_flushed(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		pr_perror("can't write to standard output");
		return 1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	enum cr_command cmd;
	int ret;

	/* Until -o is known, errors go to stderr. */
	if (log_init(NULL))
		return 1;

	cr_options_init(&opts);
	if (parse_options(argc, argv, &opts))
		return 1;
	if (opts.show_help) {
		print_usage(stdout);
		return stdout_flushed(0);
	}
	if (opts.show_help_markdown) {
		print_options_markdown(stdout);
		return stdout_flushed(0);
	}
	if (opts.show_version) {
		print_version();
		return stdout_flushed(0);
	}
	log_set_loglevel(opts.log_level);
	if (check_options(&opts))
		return 1;

	cmd = opts.command;
	if (!cmd_ops[cmd].run) {
		opts_log_report(&opts);
		pr_err("'%s' is not supported yet\n", cr_command_name(cmd));
		return 1;
	}
	if (opts_refuse_unbuilt(&opts))
		return 1;

	if (cmd_ops[cmd].images && open_images_dir())
		return 1;
	if (enter_work_dir())
		return 1;
	if (opts.output && log_init(opts.output))
		return 1;
	opts_log_report(&opts);

	ret = cmd_ops[cmd].run();
	ret = stdout_flushed(ret ? 1 : 0);
	log_fini();
	return ret;
}
