/*
 * Inside `criu check`: the probe functions and the helpers they share.
 * Only criu/check*.c include this; the rest of criu sees check.h.
 *
 * A probe is `int fn(struct probe *p)`: 0 when the feature works, a
 * negative errno otherwise, with p->why saying what failed (set through
 * probe_fail/probe_perror).  Probes do not log errors themselves: the
 * table in check.c decides whether a failure is an error (required) or a
 * warning (optional) and prints it with the probe's name.  They may say
 * what they found at pr_info/pr_debug.
 *
 * Children: probe_run_in_child() runs a function in a forked child and
 * brings its result and reason back; sleeper_start() forks a child that
 * waits, for probes that trace or inspect another task.  Every child has
 * PR_SET_PDEATHSIG = SIGKILL, leaves by _exit() and is reaped by whoever
 * forked it, with a deadline (PROBE_TIMEOUT_MS) after which it is killed.
 */
#ifndef CRIU_CHECK_PROBES_H
#define CRIU_CHECK_PROBES_H

#include <sys/types.h>

#include "common.h"

#define PROBE_WHY_LEN	 256
#define PROBE_TIMEOUT_MS 5000

struct probe {
	char why[PROBE_WHY_LEN];
};

/* Say why the probe failed and return @err (made negative if it is not). */
int probe_fail(struct probe *p, int err, const char *fmt, ...) __printf(3, 4);
/* Same, with ": strerror(errno)" appended; returns -errno. */
int probe_perror(struct probe *p, const char *fmt, ...) __printf(2, 3);

/* waitpid(pid, __WALL) with a deadline; -ETIMEDOUT when it passes. */
int probe_wait(pid_t pid, int *status, int timeout_ms);
/* SIGKILL @pid (traced or not) and wait until it is gone. */
void probe_reap(pid_t pid);
/* Describe a wait status for a reason string ("exited with 3", "killed by signal 9"). */
const char *probe_status_str(int status, char *buf, size_t len);

/*
 * Fork; run @fn(child_probe, @arg) in the child and _exit().  Returns what
 * @fn returned, its reason copied into @p; a child that dies without
 * answering or outlives PROBE_TIMEOUT_MS is a failure of its own.
 * @fn may fork again but must reap what it forks.
 */
int probe_run_in_child(struct probe *p, int (*fn)(struct probe *p, void *arg), void *arg);

/*
 * A child that sits in read(2) until told to go.  @setup (may be NULL)
 * runs in the child first (block signals, install a filter...) and returns
 * 0 or -errno.  sleeper_ping() sends a byte and waits for it to come back:
 * proof the child runs.  sleeper_stop() kills and reaps it.
 */
struct sleeper {
	pid_t pid;
	int ctl;       /* write end: a byte is echoed, EOF makes the child exit */
	int echo;      /* read end of the child's answers */
	int child_ctl; /* number of the child's read end of ctl, in the child */
};
int sleeper_start(struct probe *p, struct sleeper *s, int (*setup)(void *arg), void *arg);
int sleeper_ping(struct probe *p, struct sleeper *s);
void sleeper_stop(struct sleeper *s);

/* PTRACE_SEIZE @pid with @options, PTRACE_INTERRUPT it, wait for the event stop. */
int probe_seize_stop(struct probe *p, pid_t pid, unsigned long options);

/* Read a whole (small) file into @buf, NUL-terminated: length or -errno. */
ssize_t probe_read_file(const char *path, char *buf, size_t size);
/* Write @s to an existing file: 0 or -errno. */
int probe_write_file(const char *path, const char *s);
/* Is @name an executable file in $PATH (or the usual sbin dirs)?  The path goes to @buf. */
bool probe_find_tool(const char *name, char *buf, size_t len);

/* Find a [name] special mapping of the calling process in /proc/self/maps. */
struct probe_vma {
	unsigned long start, end;
};
int probe_find_vma(const char *name, struct probe_vma *vma);

/* ----------------------------------------------------------- the probes */

/* check-task.c: ptrace, signals, task creation, mm, proc */
int check_ptrace_seize(struct probe *p);
int check_ptrace_peeksiginfo(struct probe *p);
int check_ptrace_sigmask(struct probe *p);
int check_ptrace_regs(struct probe *p);
int check_seccomp_suspend(struct probe *p);
int check_seccomp_filters(struct probe *p);
int check_get_rseq_conf(struct probe *p);
int check_sigqueueinfo(struct probe *p);
int check_clone3_set_tid(struct probe *p);
int check_prctl_mm_map(struct probe *p);
int check_proc_stat(struct probe *p);
int check_map_files(struct probe *p);
int check_kcmp(struct probe *p);
int check_kcmp_epoll(struct probe *p);
int check_pidfd_store(struct probe *p);
int check_process_vm_readv(struct probe *p);
int check_loginuid(struct probe *p);
int check_posix_timers(struct probe *p);

/* check-mem.c: memory, pages, vDSO */
int check_vmsplice(struct probe *p);
int check_memfd(struct probe *p);
int check_memfd_hugetlb(struct probe *p);
int check_memfd_secret(struct probe *p);
int check_uffd(struct probe *p);
int check_uffd_noncoop(struct probe *p);
int check_uffd_wp_async(struct probe *p);
int check_pagemap_scan(struct probe *p);
int check_mem_dirty_track(struct probe *p);
int check_aio_remap(struct probe *p);
int check_vdso(struct probe *p);
int check_vdso_remap(struct probe *p);
int check_can_map_vdso(struct probe *p);

/* check-files.c: descriptors and what /proc says about them */
int check_fdinfo_ext(struct probe *p);
int check_fdinfo_lock(struct probe *p);
int check_mnt_id(struct probe *p);
int check_fown_uids(struct probe *p);
int check_tty(struct probe *p);
int check_timerfd(struct probe *p);
int check_openat2(struct probe *p);
int check_io_uring(struct probe *p);

/* check-net.c: sockets, TCP repair, tun, network-lock tools */
int check_tcp_repair(struct probe *p);
int check_tcp_half_closed(struct probe *p);
int check_tcp_repair_window(struct probe *p);
int check_sk_peek_off(struct probe *p);
int check_so_gets(struct probe *p);
int check_sk_ns(struct probe *p);
int check_sk_unix_file(struct probe *p);
int check_sockopt_buf_lock(struct probe *p);
int check_ipv6_freebind(struct probe *p);
int check_tun(struct probe *p);
int check_tun_ns(struct probe *p);
int check_network_lock_iptables(struct probe *p);

/* check-netlink.c: socket diag, rtnetlink, nf_tables */
int check_sock_diag(struct probe *p);
int check_net_diag_raw(struct probe *p);
int check_packet_diag(struct probe *p);
int check_netlink_diag(struct probe *p);
int check_nsid(struct probe *p);
int check_link_nsid(struct probe *p);
int check_newifindex(struct probe *p);
int check_network_lock_nftables(struct probe *p);

/* check-ns.c: namespaces, cgroups, mounts, sysctls */
int check_namespaces(struct probe *p);
int check_userns(struct probe *p);
int check_cgroupns(struct probe *p);
int check_timens(struct probe *p);
int check_ns_pid(struct probe *p);
int check_ns_last_pid(struct probe *p);
int check_ipc_next_id(struct probe *p);
int check_cgroup_freezer(struct probe *p);
int check_move_mount_set_group(struct probe *p);
int check_autofs(struct probe *p);
int check_apparmor_stacking(struct probe *p);

#endif /* CRIU_CHECK_PROBES_H */
