/*
 * Helpers shared by dump and restore (see cr-util.h).
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include <compel.h>

#include "cr-util.h"
#include "cr_options.h"
#include "log.h"

static void compel_to_log(int level, const char *file, int line, const char *msg)
{
	print_on_level(level, file, line, "%s", msg);
}

void cr_compel_log_setup(void)
{
	compel_log_init(compel_to_log, log_get_loglevel());
}

int cr_open_images_dir(unsigned int flags, struct img_dir **dir)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (opts.imgs_dir_fd < 0)
		return img_dir_open(opts.imgs_dir ?: ".", flags, dir);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", opts.imgs_dir_fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return pr_err_ret(-errno, "can't find the path of the images dir %s", opts.imgs_dir ?: ".");
	path[n] = '\0';
	return img_dir_open(path, flags, dir);
}

int cr_write_pidfile(const char *path, pid_t pid)
{
	_cleanup_free_ char *tmp = xsprintf("%s.%d.tmp", path, (int)getpid());
	_cleanup_close_ int fd = -1;
	char buf[16];
	int len;

	if (!tmp)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return pr_err_ret(-errno, "can't create the pidfile %s", tmp);
	len = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (write(fd, buf, len) != len) {
		int r = -errno ?: -EIO;

		unlink(tmp);
		return pr_err_ret(r, "can't write the pidfile %s", path);
	}
	if (rename(tmp, path)) {
		int r = -errno;

		unlink(tmp);
		return pr_err_ret(r, "can't create the pidfile %s", path);
	}
	return 0;
}

int cr_foreign_namespaces(pid_t pid, char *buf, size_t len)
{
	static const char *const ns[] = { "pid", "net", "ipc", "uts", "mnt", "user", "cgroup", "time" };
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		char a[64], b[64];
		struct stat sa, sb;

		snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)pid, ns[i]);
		snprintf(b, sizeof(b), "/proc/self/ns/%s", ns[i]);
		if (stat(b, &sb))
			continue; /* this kernel has no such namespace */
		if (stat(a, &sa)) {
			if (errno == ENOENT)
				return pr_err_ret(-ESRCH, "task %d is gone", (int)pid);
			return pr_err_ret(-errno, "can't stat %s", a);
		}
		if (sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev)
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? ", " : "", ns[i]);
	}
	return 0;
}
