/*
 * `criu check`: the table of kernel probes and the code that runs them.
 *
 * One table row per probe: name (what --feature takes; CRIU's name where
 * the feature is the same), scope, function, one-line description.  The
 * `--feature list` output, the scope runs and single-feature runs all come
 * from this table.  The probes themselves live in check-*.c, grouped by
 * topic, and are described in check-probes.h.
 *
 * Outcome, following CRIU's convention:
 *   - every required probe passes, and every optional one that was asked
 *     for: "Looks good.", 0;
 *   - a required probe fails: one error line per missing feature, then
 *     "Does not look good.", the first required probe's error;
 *   - only optional probes (--extra/--experimental/--all) fail: one warning
 *     line each, then a verdict saying criu works but some kinds of state
 *     cannot be handled, and a non-zero result as CRIU does.
 * Unlike CRIU, required probes do not stop at the first failure: the user
 * sees everything that is missing at once.
 */
#include <time.h>

#include "check.h"
#include "check-probes.h"
#include "log.h"

struct check_probe {
	const char *name;
	enum check_scope scope;
	int (*fn)(struct probe *p);
	const char *desc;
};

#define REQ CHECK_REQUIRED
#define EXT CHECK_EXTRA
#define EXP CHECK_EXPERIMENTAL

static const struct check_probe probes[] = {
	/* Tasks: freezing, reading and recreating them. */
	{ "ptrace_seize", REQ, check_ptrace_seize, "PTRACE_SEIZE + PTRACE_INTERRUPT stop a task, detach resumes it" },
	{ "ptrace_peeksiginfo", REQ, check_ptrace_peeksiginfo,
	  "PTRACE_PEEKSIGINFO reads thread and shared signal queues" },
	{ "ptrace_sigmask", REQ, check_ptrace_sigmask, "PTRACE_GETSIGMASK/SETSIGMASK read and set blocked signals" },
	{ "ptrace_regs", REQ, check_ptrace_regs, "PTRACE_GETREGSET/SETREGSET of general, FPU and XSAVE registers" },
	{ "sigqueueinfo", REQ, check_sigqueueinfo,
	  "rt_sigqueueinfo() queues a signal with its siginfo (pending signals)" },
	{ "clone3_set_tid", REQ, check_clone3_set_tid, "clone3() creates a task with a chosen pid (set_tid)" },
	{ "prctl_mm_map", REQ, check_prctl_mm_map,
	  "prctl(PR_SET_MM_MAP) sets an mm's layout (code, data, brk, args, env)" },
	{ "proc_stat", REQ, check_proc_stat, "/proc/PID/stat and status carry every field dump reads" },
	{ "map_files", REQ, check_map_files, "/proc/PID/map_files opens the file behind a mapping" },
	{ "namespaces", REQ, check_namespaces, "/proc/PID/ns/{pid,net,ipc,uts,mnt,user} identify a task's namespaces" },
	{ "kcmp", REQ, check_kcmp, "kcmp() tells whether two descriptors share one open file" },
	/* Memory and pages. */
	{ "vmsplice", REQ, check_vmsplice, "vmsplice() pages into a pipe and splice() them into a file" },
	{ "memfd", REQ, check_memfd, "memfd_create() with seals (shared memory and memfd files)" },
	{ "vdso", REQ, check_vdso, "a [vdso] mapping exists and its clock_gettime works (layout at -v3)" },
	{ "vdso_remap", REQ, check_vdso_remap, "mremap() moves the vDSO areas and the moved vDSO still works" },
	/* Files and sockets. */
	{ "fdinfo_ext", REQ, check_fdinfo_ext, "fdinfo describes eventfd, epoll, signalfd and inotify files" },
	{ "fown_uids", REQ, check_fown_uids, "fcntl F_GETOWN_EX and F_GETOWNER_UIDS read a file's owner" },
	{ "tty", REQ, check_tty, "pseudo-terminal lock (TIOCSPTLCK/TIOCGPTLCK) and pty ioctls" },
	{ "sock_diag", REQ, check_sock_diag, "sock_diag lists unix, TCP and UDP (v4 and v6) sockets" },
	{ "sk_peek_off", REQ, check_sk_peek_off, "SO_PEEK_OFF lets unix socket queues be read without taking them" },
	{ "so_gets", REQ, check_so_gets, "getsockopt SO_GET_FILTER and SO_BINDTODEVICE" },
	{ "tcp_repair", REQ, check_tcp_repair, "TCP_REPAIR mode with queue sequence numbers (needs CAP_NET_ADMIN)" },

	/* Optional: needed for some kinds of state or some options. */
	{ "mem_dirty_track", EXT, check_mem_dirty_track, "soft-dirty bits in pagemap (CONFIG_MEM_SOFT_DIRTY)" },
	{ "uffd_wp_async", EXT, check_uffd_wp_async,
	  "userfaultfd async write-protect + PAGEMAP_SCAN track written pages" },
	{ "pagemap_scan", EXT, check_pagemap_scan, "PAGEMAP_SCAN ioctl on /proc/PID/pagemap" },
	{ "uffd", EXT, check_uffd, "userfaultfd (syscall or /dev/userfaultfd) and UFFDIO_API (lazy pages)" },
	{ "uffd-noncoop", EXT, check_uffd_noncoop, "userfaultfd fork/remap/remove/unmap events (lazy pages)" },
	{ "process_vm_readv", EXT, check_process_vm_readv,
	  "process_vm_readv() reads another task's memory (--pre-dump-mode read)" },
	{ "can_map_vdso", EXT, check_can_map_vdso, "arch_prctl(ARCH_MAP_VDSO_64) maps a fresh vDSO where asked" },
	{ "aio_remap", EXT, check_aio_remap, "an AIO ring keeps working after mremap()" },
	{ "memfd_hugetlb", EXT, check_memfd_hugetlb, "memfd_create(MFD_HUGETLB)" },
	{ "seccomp_suspend", EXT, check_seccomp_suspend, "PTRACE_O_SUSPEND_SECCOMP (tasks with seccomp filters)" },
	{ "seccomp_filters", EXT, check_seccomp_filters, "PTRACE_SECCOMP_GET_FILTER reads a task's seccomp program" },
	{ "get_rseq_conf", EXT, check_get_rseq_conf,
	  "PTRACE_GET_RSEQ_CONFIGURATION (tasks with rseq: all glibc ones)" },
	{ "pidfd_store", EXT, check_pidfd_store, "pidfd_open() and pidfd_getfd()" },
	{ "kcmp_epoll", EXT, check_kcmp_epoll, "kcmp(KCMP_EPOLL_TFD) matches epoll targets" },
	{ "posix_timers", EXT, check_posix_timers, "/proc/PID/timers lists POSIX timers" },
	{ "loginuid", EXT, check_loginuid, "/proc/PID/loginuid can be unset and set (CAP_AUDIT_CONTROL)" },
	{ "fdinfo_lock", EXT, check_fdinfo_lock, "fdinfo shows the locks held on a file (--file-locks)" },
	{ "mnt_id", EXT, check_mnt_id, "fdinfo shows the mount a file is on" },
	{ "timerfd", EXT, check_timerfd, "timerfd state in fdinfo and TFD_IOC_SET_TICKS" },
	{ "openat2", EXT, check_openat2, "openat2() with RESOLVE_* flags" },
	{ "tcp_half_closed", EXT, check_tcp_half_closed, "TCP_REPAIR on a half-closed connection" },
	{ "tcp_repair_window", EXT, check_tcp_repair_window,
	  "TCP_REPAIR_WINDOW reads and sets a connection's windows" },
	{ "sk_ns", EXT, check_sk_ns, "SIOCGSKNS gives a socket's network namespace" },
	{ "sk_unix_file", EXT, check_sk_unix_file, "SIOCUNIXFILE opens the file a unix socket is bound to" },
	{ "sockopt_buf_lock", EXT, check_sockopt_buf_lock, "SO_BUF_LOCK socket option" },
	{ "ipv6_freebind", EXT, check_ipv6_freebind, "IPV6_FREEBIND socket option" },
	{ "net_diag_raw", EXT, check_net_diag_raw, "sock_diag lists raw sockets (CONFIG_INET_RAW_DIAG)" },
	{ "packet_diag", EXT, check_packet_diag, "sock_diag lists packet sockets" },
	{ "netlink_diag", EXT, check_netlink_diag, "sock_diag lists netlink sockets" },
	{ "tun", EXT, check_tun, "/dev/net/tun devices, their flags and queues" },
	{ "tun_ns", EXT, check_tun_ns, "TUNGETDEVNETNS gives a tun device's network namespace" },
	{ "nsid", EXT, check_nsid, "rtnetlink RTM_NEWNSID/RTM_GETNSID namespace ids" },
	{ "link_nsid", EXT, check_link_nsid, "a veth with its peer elsewhere reports IFLA_LINK_NETNSID" },
	{ "newifindex", EXT, check_newifindex,
	  "a device moved to another netns gets the index asked (IFLA_NEW_IFINDEX)" },
	{ "userns", EXT, check_userns, "user namespaces can be made and mapped" },
	{ "cgroupns", EXT, check_cgroupns, "cgroup namespaces can be made" },
	{ "timens", EXT, check_timens, "time namespaces with clock offsets" },
	{ "ns_pid", EXT, check_ns_pid, "/proc/PID/status NSpid shows a task's pid in each pid namespace" },
	{ "ns_last_pid", EXT, check_ns_last_pid, "/proc/sys/kernel/ns_last_pid can be written" },
	{ "ipc_next_id", EXT, check_ipc_next_id, "/proc/sys/kernel/{sem,msg,shm}_next_id can be written (SysV IPC)" },
	{ "cgroup_freezer", EXT, check_cgroup_freezer, "a cgroup freezer (v2, else v1) freezes and thaws a task" },
	{ "move_mount_set_group", EXT, check_move_mount_set_group,
	  "move_mount(MOVE_MOUNT_SET_GROUP) joins peer groups" },
	{ "apparmor_stacking", EXT, check_apparmor_stacking, "AppArmor is active and stacks profiles" },
	{ "network_lock_iptables", EXT, check_network_lock_iptables,
	  "iptables-restore tools for --network-lock iptables (a tool lookup)" },
	{ "network_lock_nftables", EXT, check_network_lock_nftables,
	  "nf_tables answers, and the nft tool exists (--network-lock nftables)" },

	/* Experimental: what criu does not rely on (yet). */
	{ "autofs", EXP, check_autofs, "autofs mounts show their pipe inode" },
	{ "memfd_secret", EXP, check_memfd_secret, "memfd_secret() areas (criu cannot dump their contents)" },
	{ "io_uring", EXP, check_io_uring, "io_uring instances can be made (criu does not checkpoint them)" },
};

static const char *scope_name(enum check_scope s)
{
	switch (s) {
	case CHECK_REQUIRED:
		return "required";
	case CHECK_EXTRA:
		return "extra";
	case CHECK_EXPERIMENTAL:
		return "experimental";
	}
	return "?";
}

void check_print_features(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		pr_msg("%-24s %-13s %s\n", probes[i].name, scope_name(probes[i].scope), probes[i].desc);
}

const char *check_probe_name(unsigned int i, unsigned int *scope)
{
	if (i >= ARRAY_SIZE(probes))
		return NULL;
	if (scope)
		*scope = probes[i].scope;
	return probes[i].name;
}

static const struct check_probe *find_probe(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		if (!strcmp(probes[i].name, name))
			return &probes[i];
	return NULL;
}

/* Run one probe: 0 or -errno, with the reason in @p.  Says how it went at -v3. */
static int run_probe(const struct check_probe *cp, struct probe *p)
{
	struct timespec a, b;
	long us;
	int r;

	memset(p, 0, sizeof(*p));
	clock_gettime(CLOCK_MONOTONIC, &a);
	r = cp->fn(p);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (r > 0)
		r = -EINVAL; /* a probe returns 0 or -errno: anything else is a failure */
	if (r && !p->why[0])
		snprintf(p->why, sizeof(p->why), "%s", strerror(-r));
	us = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
	if (r)
		pr_info("%s: missing (%ld us)\n", cp->name, us);
	else
		pr_info("%s: ok (%ld us)\n", cp->name, us);
	return r;
}

static int check_one(const char *name)
{
	const struct check_probe *cp = find_probe(name);
	struct probe p;
	int r;

	if (!cp) {
		pr_err("Unknown feature %s (criu check --feature list shows the names)\n", name);
		return -ENOENT;
	}
	r = run_probe(cp, &p);
	if (r) {
		pr_err("%s is not supported: %s\n", cp->name, p.why);
		return r;
	}
	pr_msg("%s is supported\n", cp->name);
	return 0;
}

int cr_check(unsigned int scope, const char *feature)
{
	int req_err = 0, opt_err = 0;
	unsigned int missing = 0;

	if (feature && !strcmp(feature, "list")) {
		check_print_features();
		return 0;
	}
	if (geteuid() != 0)
		pr_warn("not running as root: the probes that need privileges will fail\n");
	if (feature)
		return check_one(feature);

	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		const struct check_probe *cp = &probes[i];
		struct probe p;
		int r;

		if (!(cp->scope & scope))
			continue;
		r = run_probe(cp, &p);
		if (!r)
			continue;
		missing++;
		if (cp->scope == CHECK_REQUIRED) {
			pr_err("%s: %s\n", cp->name, p.why);
			if (!req_err)
				req_err = r;
		} else {
			pr_warn("%s (%s) is missing: %s\n", cp->name, scope_name(cp->scope), p.why);
			if (!opt_err)
				opt_err = r;
		}
	}

	if (req_err) {
		pr_msg("Does not look good.\n");
		return req_err;
	}
	if (opt_err) {
		pr_msg("Looks good, except for %u optional kernel feature%s listed above:\n"
		       "dump or restore of a process tree that needs them will fail.\n",
		       missing, missing == 1 ? "" : "s");
		return opt_err;
	}
	pr_msg("Looks good.\n");
	return 0;
}
