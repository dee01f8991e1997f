/*
 * `criu check` probes of namespaces, cgroups, mounts and the sysctls that
 * restore writes: each namespace file, creating user, cgroup, time and pid
 * namespaces (in a child that dies with them), the cgroup freezer (a
 * temporary cgroup holding a sleeping child, frozen and thawed), mount
 * propagation groups and autofs (in a child's private mount namespace).
 *
 * Temporary directories are made by criu itself and removed after the
 * child that mounted on them is gone; a temporary cgroup is removed after
 * its only task was reaped.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define LOG_PREFIX "check: "
#include "check-probes.h"
#include "compat-uapi.h"
#include "log.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ------------------------------------------------------------ namespace files */

static int ns_file(struct probe *p, const char *ns)
{
	char path[64], link[64], want[64];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return probe_fail(p, -ENOENT, "no %s: kernel without %s namespaces", path, ns);
		return probe_perror(p, "opening %s", path);
	}
	n = fstat(fd, &st);
	close(fd);
	if (n)
		return probe_perror(p, "fstat of %s", path);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return probe_perror(p, "readlink %s", path);
	link[n] = '\0';
	/* "pid_for_children" and the like read as the namespace they name. */
	snprintf(want, sizeof(want), ":[%lu]", (unsigned long)st.st_ino);
	if (!strstr(link, want))
		return probe_fail(p, -EPROTO, "%s reads \"%s\" but is inode %lu", path, link, (unsigned long)st.st_ino);
	return 0;
}

int check_namespaces(struct probe *p)
{
	static const char *const required[] = { "pid", "pid_for_children", "net", "ipc", "uts", "mnt", "user" };

	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		int r = ns_file(p, required[i]);

		if (r)
			return r;
	}
	return 0;
}

/* ------------------------------------------------------------ making namespaces */

static int userns_child(struct probe *p, void *arg)
{
	unsigned int size = 0;
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int r;

	if (unshare(CLONE_NEWUSER)) {
		if (errno == EPERM || errno == ENOSPC)
			return probe_perror(p,
					    "unshare(CLONE_NEWUSER) (user.max_user_namespaces or a policy forbids it)");
		return probe_perror(p, "unshare(CLONE_NEWUSER)");
	}
	snprintf(map, sizeof(map), "0 %u 1", uid);
	r = probe_write_file("/proc/self/uid_map", map);
	if (!r)
		r = probe_write_file("/proc/self/setgroups", "deny");
	if (!r) {
		snprintf(map, sizeof(map), "0 %u 1", gid);
		r = probe_write_file("/proc/self/gid_map", map);
	}
	if (r)
		return probe_fail(p, r, "writing the maps of a new user namespace: %s", strerror(-r));
	if (getuid() != 0 || getgid() != 0)
		return probe_fail(p, -EPROTO, "ids in the new user namespace are %u/%u, 0/0 mapped", getuid(),
				  getgid());
	/* Restore of an mm inside a user namespace relies on PR_SET_MM_MAP. */
	if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, (unsigned long)&size, 0, 0))
		return probe_perror(p, "prctl(PR_SET_MM_MAP_SIZE)");
	return 0;
}

int check_userns(struct probe *p)
{
	int r = ns_file(p, "user");

	return r ? r : probe_run_in_child(p, userns_child, NULL);
}

static int cgroupns_child(struct probe *p, void *arg)
{
	char buf[4096];
	ssize_t n;

	if (unshare(CLONE_NEWCGROUP))
		return probe_perror(p, "unshare(CLONE_NEWCGROUP)");
	n = probe_read_file("/proc/self/cgroup", buf, sizeof(buf));
	if (n < 0)
		return probe_fail(p, (int)n, "reading /proc/self/cgroup: %s", strerror((int)-n));
	/* Inside its own cgroup namespace a task sees itself at the root. */
	if (strncmp(buf, "0::/\n", 5) && !strstr(buf, "\n0::/\n"))
		return probe_fail(p, -EPROTO, "a new cgroup namespace does not start at \"/\"");
	return 0;
}

int check_cgroupns(struct probe *p)
{
	int r = ns_file(p, "cgroup");

	return r ? r : probe_run_in_child(p, cgroupns_child, NULL);
}

#define TIMENS_SHIFT 864000 /* ten days */

static int timens_child(struct probe *p, void *arg)
{
	struct timespec here, there;
	char buf[64];
	int pfd[2], status, r;
	pid_t pid;

	if (unshare(CLONE_NEWTIME))
		return errno == EINVAL ? probe_fail(p, -EINVAL, "unshare(CLONE_NEWTIME) refused: no CONFIG_TIME_NS")
				       : probe_perror(p, "unshare(CLONE_NEWTIME)");
	/* Offsets can be set until a task enters: restore sets the dumped ones. */
	snprintf(buf, sizeof(buf), "monotonic %d 0\nboottime %d 0\n", TIMENS_SHIFT, TIMENS_SHIFT);
	r = probe_write_file("/proc/self/timens_offsets", buf);
	if (r)
		return probe_fail(p, r, "writing /proc/self/timens_offsets: %s", strerror(-r));
	if (pipe(pfd))
		return probe_perror(p, "pipe");
	pid = fork(); /* the first task of the new time namespace */
	if (pid < 0)
		return probe_perror(p, "fork");
	if (pid == 0) {
		clock_gettime(CLOCK_MONOTONIC, &there);
		_exit(write(pfd[1], &there, sizeof(there)) == sizeof(there) ? 0 : 1);
	}
	close(pfd[1]);
	r = probe_wait(pid, &status, PROBE_TIMEOUT_MS);
	if (r) {
		probe_reap(pid);
		return probe_fail(p, r, "the task in the new time namespace did not finish");
	}
	clock_gettime(CLOCK_MONOTONIC, &here);
	if (read(pfd[0], &there, sizeof(there)) != sizeof(there))
		return probe_fail(p, -EPROTO, "the task in the new time namespace did not answer");
	if (llabs((long long)(there.tv_sec - here.tv_sec - TIMENS_SHIFT)) > 60)
		return probe_fail(p, -EPROTO, "CLOCK_MONOTONIC in the new time namespace is off by %llds, not %d",
				  (long long)(there.tv_sec - here.tv_sec), TIMENS_SHIFT);
	return 0;
}

int check_timens(struct probe *p)
{
	int r = ns_file(p, "time");

	return r ? r : probe_run_in_child(p, timens_child, NULL);
}

/* A task in a new pid namespace: its status must show both its pids. */
static int ns_pid_child(struct probe *p, void *arg)
{
	char path[64], buf[4096], want[64];
	int pfd[2], r = 0;
	ssize_t n;
	pid_t pid;

	if (unshare(CLONE_NEWPID))
		return probe_perror(p, "unshare(CLONE_NEWPID)");
	if (pipe(pfd))
		return probe_perror(p, "pipe");
	pid = fork();
	if (pid < 0)
		return probe_perror(p, "fork");
	if (pid == 0) {
		char c;

		close(pfd[1]);
		_exit(read(pfd[0], &c, 1) < 0);
	}
	close(pfd[0]);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	n = probe_read_file(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "\nNSpid:\t%d\t1\n", (int)pid);
	if (n < 0)
		r = probe_fail(p, (int)n, "reading %s: %s", path, strerror((int)-n));
	else if (!strstr(buf, want))
		r = probe_fail(p, -EPROTO, "%s does not show NSpid %d and 1", path, (int)pid);
	close(pfd[1]);
	probe_reap(pid);
	return r;
}

int check_ns_pid(struct probe *p)
{
	return probe_run_in_child(p, ns_pid_child, NULL);
}

/* ------------------------------------------------------------ sysctls restore writes */

#define PROBE_LAST_PID 100

/* As the first task of a new pid namespace: set ns_last_pid, then fork. */
static int last_pid_init(struct probe *p, void *arg)
{
	char buf[16];
	int status, r;
	pid_t pid;

	snprintf(buf, sizeof(buf), "%d", PROBE_LAST_PID);
	r = probe_write_file("/proc/sys/kernel/ns_last_pid", buf);
	if (r)
		return probe_fail(p, r, "writing /proc/sys/kernel/ns_last_pid: %s", strerror(-r));
	pid = fork();
	if (pid < 0)
		return probe_perror(p, "fork");
	if (pid == 0)
		_exit(0);
	r = probe_wait(pid, &status, PROBE_TIMEOUT_MS);
	if (r) {
		probe_reap(pid);
		return probe_fail(p, r, "waiting for child %d", (int)pid);
	}
	if (pid != PROBE_LAST_PID + 1)
		return probe_fail(p, -EPROTO, "after writing %d to ns_last_pid the next pid was %d", PROBE_LAST_PID,
				  (int)pid);
	return 0;
}

static int last_pid_child(struct probe *p, void *arg)
{
	if (unshare(CLONE_NEWPID))
		return probe_perror(p, "unshare(CLONE_NEWPID)");
	return probe_run_in_child(p, last_pid_init, NULL);
}

int check_ns_last_pid(struct probe *p)
{
	/* In a pid namespace of its own, so that criu's pids are untouched. */
	return probe_run_in_child(p, last_pid_child, NULL);
}

#define PROBE_IPC_ID 7

/* In a new IPC namespace: set each *_next_id and make an object of that id. */
static int ipc_child(struct probe *p, void *arg)
{
	static const char *const kinds[] = { "sem", "msg", "shm" };
	char path[64], buf[16];
	int r, id = -1;

	if (unshare(CLONE_NEWIPC))
		return probe_perror(p, "unshare(CLONE_NEWIPC)");
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/sys/kernel/%s_next_id", kinds[i]);
		snprintf(buf, sizeof(buf), "%d", PROBE_IPC_ID);
		r = probe_write_file(path, buf);
		if (r)
			return probe_fail(p, r, "writing %s: %s", path, strerror(-r));
		if (i == 0)
			id = semget(IPC_PRIVATE, 1, 0600);
		else if (i == 1)
			id = msgget(IPC_PRIVATE, 0600);
		else
			id = shmget(IPC_PRIVATE, 4096, 0600);
		if (id < 0)
			return probe_perror(p, "making a SysV %s object", kinds[i]);
		if (id != PROBE_IPC_ID)
			return probe_fail(p, -EPROTO, "with %s = %d a new object got id %d", path, PROBE_IPC_ID, id);
	}
	return 0; /* the objects go with the namespace */
}

int check_ipc_next_id(struct probe *p)
{
	return probe_run_in_child(p, ipc_child, NULL);
}

/* ------------------------------------------------------------ cgroup freezer */

/*
 * Where the hierarchy with @want mounted is, and criu's cgroup in it:
 * want "" means cgroup v2, else a v1 controller name.  Fills @dir with
 * mountpoint + criu's cgroup path.
 */
static int cgroup_dir(const char *want, char *dir, size_t len)
{
	_cleanup_fclose_ FILE *mi = fopen("/proc/self/mountinfo", "re");
	_cleanup_fclose_ FILE *cg = fopen("/proc/self/cgroup", "re");
	char line[2048], mnt[1024] = "", root[1024] = "", path[1024] = "";

	if (!mi || !cg)
		return -errno;
	while (!mnt[0] && fgets(line, sizeof(line), mi)) {
		char r[1024], m[1024], *sep, fstype[64], opts[1024];

		if (sscanf(line, "%*d %*d %*s %1023s %1023s", r, m) != 2)
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep, " - %63s %*s %1023s", fstype, opts) != 2)
			continue;
		if (!want[0] && !strcmp(fstype, "cgroup2")) {
			snprintf(mnt, sizeof(mnt), "%s", m);
			snprintf(root, sizeof(root), "%s", r);
		} else if (want[0] && !strcmp(fstype, "cgroup")) {
			for (char *save = NULL, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
				if (!strcmp(o, want)) {
					snprintf(mnt, sizeof(mnt), "%s", m);
					snprintf(root, sizeof(root), "%s", r);
				}
		}
	}
	if (!mnt[0])
		return -ENOENT;
	while (!path[0] && fgets(line, sizeof(line), cg)) {
		char *ctrl = strchr(line, ':'), *p;

		if (!ctrl)
			continue;
		p = strchr(ctrl + 1, ':');
		if (!p)
			continue;
		*p++ = '\0';
		p[strcspn(p, "\n")] = '\0';
		if (!want[0] ? !strcmp(ctrl + 1, "") : !!strstr(ctrl + 1, want))
			snprintf(path, sizeof(path), "%s", p);
	}
	if (!path[0])
		return -ENOENT;
	/* A mount of a sub-tree shows paths below its root. */
	if (strcmp(root, "/") && !strncmp(path, root, strlen(root)))
		memmove(path, path + strlen(root), strlen(path + strlen(root)) + 1);
	snprintf(dir, len, "%s%s", mnt, strcmp(path, "/") ? path : "");
	return 0;
}

struct freezer {
	const char *kind;	   /* "v2" or "v1" */
	const char *procs;	   /* file to move a task in */
	const char *ctl;	   /* file to freeze through */
	const char *freeze, *thaw; /* what to write there */
	const char *state;	   /* file to watch */
	const char *frozen;	   /* what it shows when frozen */
};

static const struct freezer freezer_v2 = {
	"v2", "cgroup.procs", "cgroup.freeze", "1", "0", "cgroup.events", "frozen 1"
};
static const struct freezer freezer_v1 = {
	"v1", "tasks", "freezer.state", "FROZEN", "THAWED", "freezer.state", "FROZEN"
};

static int in_cg(char *buf, size_t len, const char *cg, const char *file)
{
	return snprintf(buf, len, "%s/%s", cg, file) >= (int)len ? -ENAMETOOLONG : 0;
}

/* Freeze and thaw a sleeping child in a cgroup of its own under @base. */
static int freeze_once(struct probe *p, const struct freezer *f, const char *base)
{
	char cg[1200], file[1300], buf[1024], pid[32];
	struct sleeper s = { .pid = -1 };
	bool frozen = false;
	int r, i;

	snprintf(cg, sizeof(cg), "%s/criu-check-%d", base, (int)getpid());
	if (mkdir(cg, 0700))
		return probe_perror(p, "making cgroup %s", cg);
	if (in_cg(file, sizeof(file), cg, f->ctl) || access(file, W_OK)) {
		r = probe_fail(p, -ENOENT, "cgroup %s has no writable %s", cg, f->ctl);
		goto out_rmdir;
	}
	r = sleeper_start(p, &s, NULL, NULL);
	if (r)
		goto out_rmdir;
	snprintf(pid, sizeof(pid), "%d", (int)s.pid);
	in_cg(file, sizeof(file), cg, f->procs);
	r = probe_write_file(file, pid);
	if (r) {
		r = probe_fail(p, r, "moving a child into %s: %s", cg, strerror(-r));
		goto out_stop;
	}
	in_cg(file, sizeof(file), cg, f->ctl);
	r = probe_write_file(file, f->freeze);
	if (r) {
		r = probe_fail(p, r, "writing %s to %s: %s", f->freeze, file, strerror(-r));
		goto out_stop;
	}
	in_cg(file, sizeof(file), cg, f->state);
	for (i = 0; i < 200 && !frozen; i++) {
		if (probe_read_file(file, buf, sizeof(buf)) > 0 && strstr(buf, f->frozen))
			frozen = true;
		else
			usleep(10000);
	}
	in_cg(file, sizeof(file), cg, f->ctl);
	probe_write_file(file, f->thaw);
	if (!frozen)
		r = probe_fail(p, -ETIMEDOUT, "cgroup %s did not report \"%s\" within 2 s", cg, f->frozen);
	else
		pr_info("freezer: cgroup %s froze and thawed a child in %s\n", f->kind, cg);
out_stop:
	sleeper_stop(&s);
out_rmdir:
	/* The cgroup empties once its task is reaped; that may take a moment. */
	for (i = 0; i < 100 && rmdir(cg) && errno == EBUSY; i++)
		usleep(10000);
	return r;
}

int check_cgroup_freezer(struct probe *p)
{
	char dir[1024];
	int r;

	r = cgroup_dir("", dir, sizeof(dir));
	if (!r) {
		r = freeze_once(p, &freezer_v2, dir);
		if (!r)
			return 0;
		pr_info("freezer: cgroup v2 failed (%s); trying v1\n", p->why);
	}
	if (!cgroup_dir("freezer", dir, sizeof(dir)))
		return freeze_once(p, &freezer_v1, dir);
	if (r)
		return r;
	return probe_fail(p, -ENOENT, "neither a cgroup v2 hierarchy nor a v1 freezer is mounted");
}

/* ------------------------------------------------------------ mounts */

/* Private mount namespace for the calling child. */
static int private_mntns(struct probe *p)
{
	if (unshare(CLONE_NEWNS))
		return probe_perror(p, "unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return probe_perror(p, "making / private");
	return 0;
}

/* The "shared:N" group of the mount at @path in our mountinfo, 0 if none, -errno. */
static int shared_group(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[2048], mp[1024];
	int group = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *s;

		if (sscanf(line, "%*d %*d %*s %*s %1023s", mp) != 1 || strcmp(mp, path))
			continue;
		s = strstr(line, " shared:");
		group = s && s < strstr(line, " - ") ? atoi(s + 8) : 0; /* the last mount there wins */
	}
	return group;
}

static int set_group_child(struct probe *p, void *arg)
{
	const char *dir = arg;
	char a[1100], b[1100];
	int r, ga, gb;

	r = private_mntns(p);
	if (r)
		return r;
	if (mount("criu-check", dir, "tmpfs", 0, "size=64k,mode=700"))
		return probe_perror(p, "mounting tmpfs on %s", dir);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	if (mkdir(a, 0700) || mkdir(b, 0700))
		return probe_perror(p, "mkdir in %s", dir);
	/* Groups can only be shared within one superblock: b is a private bind of a. */
	if (mount("criu-check", a, "tmpfs", 0, "size=64k") || mount(a, b, NULL, MS_BIND, NULL) ||
	    mount(NULL, a, NULL, MS_SHARED, NULL))
		return probe_perror(p, "mounting tmpfs on %s and binding it on %s", a, b);
	if (shared_group(b) != 0)
		return probe_fail(p, -EPROTO, "the bind mount on %s is not private", b);
	/* Put b in a's peer group: how restore rebuilds shared mounts. */
	if (syscall(SYS_move_mount, AT_FDCWD, a, AT_FDCWD, b, MOVE_MOUNT_SET_GROUP)) {
		if (errno == EINVAL || errno == ENOSYS)
			return probe_perror(p, "move_mount(MOVE_MOUNT_SET_GROUP) is not supported");
		return probe_perror(p, "move_mount(MOVE_MOUNT_SET_GROUP)");
	}
	ga = shared_group(a);
	gb = shared_group(b);
	if (ga <= 0 || gb != ga)
		return probe_fail(p, -EPROTO, "after MOVE_MOUNT_SET_GROUP the mounts are in groups %d and %d", ga, gb);
	return 0;
}

/* Run @fn in a child, given a fresh empty directory that is removed afterwards. */
static int with_tmp_dir(struct probe *p, int (*fn)(struct probe *, void *))
{
	char dir[] = "/tmp/.criu-check.XXXXXX";
	int r;

	if (!mkdtemp(dir))
		return probe_perror(p, "mkdtemp in /tmp");
	r = probe_run_in_child(p, fn, dir);
	rmdir(dir);
	return r;
}

int check_move_mount_set_group(struct probe *p)
{
	return with_tmp_dir(p, set_group_child);
}

static int autofs_child(struct probe *p, void *arg)
{
	const char *dir = arg;
	char opts[128], line[2048], mp[1024];
	_cleanup_fclose_ FILE *f = NULL;
	int pfd[2], r = -ENOENT;

	r = private_mntns(p);
	if (r)
		return r;
	if (pipe(pfd))
		return probe_perror(p, "pipe");
	snprintf(opts, sizeof(opts), "fd=%d,pgrp=%d,minproto=5,maxproto=5,direct", pfd[1], (int)getpgrp());
	if (mount("criu-check", dir, "autofs", 0, opts))
		return probe_perror(p, "mounting autofs on %s", dir);
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		r = probe_perror(p, "opening /proc/self/mountinfo");
	else {
		r = probe_fail(p, -ENOENT, "the autofs mount is not in /proc/self/mountinfo");
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*d %*d %*s %*s %1023s", mp) == 1 && !strcmp(mp, dir)) {
				r = strstr(line, "pipe_ino=")
					    ? 0
					    : probe_fail(p, -EPROTO, "autofs mount options lack pipe_ino");
				break;
			}
	}
	umount2(dir, MNT_DETACH);
	return r;
}

int check_autofs(struct probe *p)
{
	char buf[4096];
	ssize_t n;

	/* Look first, so that no module gets loaded just to be probed. */
	n = probe_read_file("/proc/filesystems", buf, sizeof(buf));
	if (n < 0)
		return probe_fail(p, (int)n, "reading /proc/filesystems: %s", strerror((int)-n));
	if (!strstr(buf, "\tautofs\n"))
		return probe_fail(p, -ENOENT, "no autofs in /proc/filesystems");
	return with_tmp_dir(p, autofs_child);
}

/* ------------------------------------------------------------ LSM */

int check_apparmor_stacking(struct probe *p)
{
	const char *stack = "/sys/kernel/security/apparmor/features/domain/stack";
	char buf[64];
	ssize_t n;

	/* Not a syscall: AppArmor states its features in securityfs. */
	if (access("/sys/kernel/security/apparmor", F_OK))
		return probe_fail(p, -ENOENT, "AppArmor is not active (no /sys/kernel/security/apparmor)");
	n = probe_read_file(stack, buf, sizeof(buf));
	if (n < 0)
		return probe_fail(p, (int)n, "reading %s: %s", stack, strerror((int)-n));
	if (strncmp(buf, "yes", 3))
		return probe_fail(p, -EOPNOTSUPP, "AppArmor does not stack profiles (%s: %s)", stack, buf);
	return 0;
}
