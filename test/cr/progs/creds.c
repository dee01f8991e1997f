/* Credentials: supplementary groups, real/effective/saved/fs uids and gids,
 * capability sets (permitted, effective, inheritable, ambient, bounding)
 * and securebits. */
#include <grp.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include "crtest.h"

#define SECBIT_KEEP_CAPS_ (1 << 4)

static int capget2(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d);
}

static int capset2(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capset, &h, d);
}

static unsigned long long status_caps(const char *key)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoull(line + strlen(key), NULL, 16);
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	gid_t groups[] = { 4, 24, 1234 }, g[16];
	struct __user_cap_data_struct d[2], want[2];
	uid_t r, e, s;
	int n;

	crtest_init(argc, argv);
	if (setgroups(3, groups))
		crtest_fail("setgroups: %m");
	if (capget2(d))
		crtest_fail("capget: %m");
	d[0].permitted &= ~(1u << CAP_MKNOD);
	d[0].effective &= ~((1u << CAP_MKNOD) | (1u << CAP_SYS_CHROOT));
	d[0].inheritable = (1u << CAP_NET_RAW) | (1u << CAP_SYS_BOOT);
	if (capset2(d))
		crtest_fail("capset: %m");
	/* after: an inheritable capability may stay out of the bounding set */
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0))
		crtest_fail("PR_CAPBSET_DROP: %m");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0))
		crtest_fail("ambient raise: %m");
	if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_, 0, 0, 0))
		crtest_fail("securebits: %m");
	if (setresgid(1000, 1001, 1002))
		crtest_fail("setresgid: %m");
	setfsgid(1003);
	if (setresuid(0, 1000, 0))
		crtest_fail("setresuid: %m");
	/* the uid change emptied the effective set: take it back (saved uid is 0) */
	d[0].effective = d[0].permitted & ~(1u << CAP_SYS_CHROOT);
	d[1].effective = d[1].permitted;
	if (capset2(d))
		crtest_fail("capset after setresuid: %m");
	setfsuid(1004);
	if (capget2(want))
		crtest_fail("capget: %m");

	crtest_ready();
	crtest_wait();

	getresuid(&r, &e, &s);
	if (r != 0 || e != 1000 || s != 0)
		crtest_fail("uids %u %u %u", r, e, s);
	if (setfsuid(-1) != 1004)
		crtest_fail("fsuid %d", setfsuid(-1));
	getresgid(&r, &e, &s);
	if (r != 1000 || e != 1001 || s != 1002)
		crtest_fail("gids %u %u %u", r, e, s);
	if (setfsgid(-1) != 1003)
		crtest_fail("fsgid %d", setfsgid(-1));
	n = getgroups(16, g);
	if (n != 3 || g[0] != 4 || g[1] != 24 || g[2] != 1234)
		crtest_fail("groups: %d of them", n);
	if (capget2(d))
		crtest_fail("capget: %m");
	for (int i = 0; i < 2; i++)
		if (d[i].permitted != want[i].permitted || d[i].effective != want[i].effective ||
		    d[i].inheritable != want[i].inheritable)
			crtest_fail("capabilities word %d: prm %x eff %x inh %x, want %x %x %x", i, d[i].permitted,
				    d[i].effective, d[i].inheritable, want[i].permitted, want[i].effective,
				    want[i].inheritable);
	if (status_caps("CapAmb:") != 1ULL << CAP_NET_RAW)
		crtest_fail("ambient set %llx", status_caps("CapAmb:"));
	if (status_caps("CapBnd:") & (1ULL << CAP_SYS_BOOT))
		crtest_fail("CAP_SYS_BOOT is back in the bounding set");
	if (!(status_caps("CapBnd:") & (1ULL << CAP_NET_RAW)))
		crtest_fail("bounding set lost CAP_NET_RAW");
	if (prctl(PR_GET_SECUREBITS) != SECBIT_KEEP_CAPS_)
		crtest_fail("securebits %#x", prctl(PR_GET_SECUREBITS));
	crtest_pass();
}
