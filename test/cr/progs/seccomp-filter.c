/* Seccomp filters: two filters (with no_new_privs) answer uname() and
 * getpgid() with errors of their own; after restore the same filters are
 * in force, in the same order (the newest one's errno wins among equal
 * actions). */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include "crtest.h"

static int install(int nr, int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int status_value(const char *key)
{
	char line[256];
	int v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atoi(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	struct utsname u;

	crtest_init(argc, argv);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		crtest_fail("no_new_privs: %m");
	if (install(SYS_uname, EACCES) || install(SYS_uname, EXDEV) || install(SYS_getpgid, ENOTTY))
		crtest_fail("seccomp: %m");
	if (uname(&u) == 0 || errno != EXDEV)
		crtest_fail("before the dump: uname gives %m");

	crtest_ready();
	crtest_wait();

	if (status_value("Seccomp:") != 2 || status_value("Seccomp_filters:") != 3)
		crtest_fail("seccomp mode %d with %d filters", status_value("Seccomp:"),
			    status_value("Seccomp_filters:"));
	if (uname(&u) == 0 || errno != EXDEV)
		crtest_fail("uname gives %m, not EXDEV");
	if (getpgid(0) >= 0 || errno != ENOTTY)
		crtest_fail("getpgid gives %m, not ENOTTY");
	if (getpid() <= 0)
		crtest_fail("getpid");
	crtest_pass();
}
