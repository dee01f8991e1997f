/* The task's fs survives: its current directory (a directory of its own,
 * reached through a relative open after restore) and its umask. */
#include <sys/stat.h>
#include "crtest.h"

int main(int argc, char **argv)
{
	char dir[] = "/tmp/crtest-cwd.XXXXXX", sub[64], cwd[256];
	struct stat a, b;
	mode_t m;
	int fd;

	crtest_init(argc, argv);
	if (!mkdtemp(dir))
		crtest_fail("mkdtemp: %m");
	snprintf(sub, sizeof(sub), "%s/here", dir);
	if (mkdir(sub, 0755) || chdir(sub))
		crtest_fail("mkdir/chdir %s: %m", sub);
	fd = open("marker", O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		crtest_fail("marker: %m");
	close(fd);
	umask(0027);
	if (stat(".", &a))
		crtest_fail("stat: %m");

	crtest_ready();
	crtest_wait();

	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, sub))
		crtest_fail("cwd is %s, not %s", cwd, sub);
	if (stat(".", &b) || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		crtest_fail("cwd is another directory");
	if (access("marker", F_OK))
		crtest_fail("marker not found from the cwd");
	m = umask(0);
	if (m != 0027)
		crtest_fail("umask is %03o, not 027", m);
	unlink("marker");
	rmdir(sub);
	rmdir(dir);
	crtest_pass();
}
