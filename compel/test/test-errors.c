/*
 * compel's refusals and failure paths: a pid that does not exist, a kernel
 * thread, a thread id instead of a process, this process itself, a task
 * already traced by someone else (the error names the tracer), a zombie,
 * and a task killed while seized (calls fail with -ESRCH, release works,
 * and the task's parent still reaps it normally).
 */
#include <dirent.h>
#include <grp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "driver.h"

static pid_t find_kthread(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;

	while (d && !found && (de = readdir(d))) {
		char path[300], line[128];
		pid_t pid = atoi(de->d_name);
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "Kthread:", 8) && atoi(line + 8) == 1)
				found = pid;
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

static void expect_err(const char *name, pid_t pid, int want)
{
	struct parasite_ctl *ctl = NULL;
	int r = compel_seize(pid, 0, &ctl);

	if (r == want && !ctl)
		pass("errors: %s: %s", name, strerror(-want));
	else
		fail("errors: %s: got %d (%s), want %s", name, r, strerror(-r), strerror(-want));
	if (!r)
		(void)compel_release(ctl);
}

static void test_no_such_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	expect_err("no such pid", pid, -ESRCH);
}

static void test_kthread(void)
{
	pid_t pid = find_kthread();

	if (!pid) {
		printf("SKIP: errors: kernel thread: none visible here\n");
		return;
	}
	expect_err("kernel thread", pid, -EPERM);
}

/* From an unprivileged process, a root task cannot be seized. */
static void test_no_permission(void)
{
	struct victim v;
	int status;
	pid_t child;

	if (victim_start(&v, "busy"))
		return;
	child = fork();
	if (child == 0) {
		struct parasite_ctl *ctl = NULL;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		_exit(-compel_seize(v.pid, 0, &ctl));
	}
	waitpid(child, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 100)
		printf("SKIP: errors: no permission: can't drop privileges here\n");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == EPERM)
		pass("errors: no permission: %s", strerror(EPERM));
	else
		fail("errors: no permission: status %#x", status);
	victim_finish(&v, "q", NULL, 0);
}

static void test_thread_and_self(void)
{
	struct victim v;
	char path[64];
	struct dirent *de;
	pid_t tid = 0;
	DIR *d;

	expect_err("this process", getpid(), -EINVAL);
	if (victim_start(&v, "threads"))
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", v.pid);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (atoi(de->d_name) > 0 && atoi(de->d_name) != v.pid)
			tid = atoi(de->d_name);
	if (d)
		closedir(d);
	expect_err("a thread id, not a process", tid, -EINVAL);
	victim_finish(&v, "q", NULL, 0);
}

static void test_traced(void)
{
	struct victim v;
	int go[2];
	pid_t tracer;
	char want[64];

	if (victim_start(&v, "busy"))
		return;
	if (pipe(go))
		return;
	tracer = fork();
	if (tracer == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (ptrace(PTRACE_SEIZE, v.pid, NULL, NULL))
			_exit(1);
		(void)!write(go[1], "s", 1);
		for (;;)
			pause(); /* until killed */
	}
	track(tracer);
	char c;
	close(go[1]);
	if (read(go[0], &c, 1) != 1) {
		fail("errors: traced: the other tracer could not seize");
	} else {
		last_log[0] = 0;
		expect_err("already traced", v.pid, -EBUSY);
		snprintf(want, sizeof(want), "traced by pid %d", tracer);
		if (strstr(last_log, want))
			pass("errors: already traced: the error names the tracer (%s)", want);
		else
			fail("errors: already traced: log '%s' lacks '%s'", last_log, want);
	}
	close(go[0]);
	kill(tracer, SIGKILL);
	waitpid(tracer, NULL, 0);
	untrack(tracer);
	/* With the other tracer gone, it can be seized. */
	struct parasite_ctl *ctl;
	int r = compel_seize(v.pid, 0, &ctl);
	if (r)
		fail("errors: seize after the other tracer left: %s", strerror(-r));
	else if (compel_release(ctl))
		fail("errors: release after the other tracer left");
	victim_finish(&v, "q", NULL, 0);
}

static void test_zombie(void)
{
	struct parasite_ctl *ctl;
	pid_t pid = fork();
	int r, status;

	if (pid == 0)
		_exit(7);
	track(pid);
	if (!wait_state(pid, 'Z')) {
		fail("errors: zombie: child did not become a zombie");
		return;
	}
	r = compel_seize(pid, 0, &ctl);
	if (r) {
		fail("errors: zombie: compel_seize: %s", strerror(-r));
		return;
	}
	if (compel_task(ctl)->state == COMPEL_TASK_ZOMBIE && compel_task(ctl)->nr_threads == 0)
		pass("errors: zombie: seen as a zombie, nothing seized");
	else
		fail("errors: zombie: state %d, %u threads", compel_task(ctl)->state, compel_task(ctl)->nr_threads);
	if (compel_release(ctl))
		fail("errors: zombie: release");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		fail("errors: zombie: the parent could not reap it");
	untrack(pid);
}

/* The victim is not our child here: its own parent must see it die. */
static void test_dies_while_seized(const char *mode)
{
	struct parasite_ctl *ctl;
	struct victim v;
	int r, err, status;

	if (victim_start_ex(&v, mode, true))
		return;
	r = compel_seize(v.pid, 0, &ctl);
	if (r) {
		fail("errors: dies while seized (%s): seize: %s", mode, strerror(-r));
		victim_close(&v);
		return;
	}
	kill(v.pid, SIGKILL);
	rsys(ctl, 0, SYS_getpid, 0, 0, 0, 0, 0, 0, &err);
	if (err == -ESRCH)
		pass("errors: dies while seized (%s): remote syscall fails with ESRCH", mode);
	else
		fail("errors: dies while seized (%s): remote syscall gave %d", mode, err);
	rsys(ctl, compel_task(ctl)->nr_threads - 1, SYS_getpid, 0, 0, 0, 0, 0, 0, &err);
	if (err != -ESRCH)
		fail("errors: dies while seized (%s): a second call gave %d", mode, err);
	r = compel_release(ctl);
	if (r)
		fail("errors: dies while seized (%s): release: %s", mode, strerror(-r));
	status = victim_nanny_status(&v, 5000);
	if (status == -1 || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail("errors: dies while seized (%s): its parent did not reap it (status %#x)", mode, status);
	else
		pass("errors: dies while seized (%s): released and reaped by its parent", mode);
	victim_close(&v);
}

/* SIGSTOP sent while seized: the task must end up stopped after release. */
static void test_stop_while_seized(void)
{
	struct parasite_ctl *ctl;
	struct victim v;
	int err;
	long ret;

	if (victim_start(&v, "threads"))
		return;
	if (compel_seize(v.pid, 0, &ctl)) {
		fail("errors: SIGSTOP while seized: seize");
		victim_close(&v);
		return;
	}
	kill(v.pid, SIGSTOP);
	ret = rsys(ctl, 0, SYS_getpid, 0, 0, 0, 0, 0, 0, &err);
	enum compel_task_state st = compel_task(ctl)->state;
	if (compel_release(ctl) || err || ret != v.pid)
		fail("errors: SIGSTOP while seized: getpid %ld err %d", ret, err);
	else if (st != COMPEL_TASK_STOPPED || !wait_state(v.pid, 'T'))
		fail("errors: SIGSTOP while seized: state %d, /proc says %c", st, proc_state(v.pid, NULL));
	else
		pass("errors: SIGSTOP while seized: taken by the task, stopped after release");
	kill(v.pid, SIGCONT);
	victim_finish(&v, "q", NULL, 0);
}

/* Killed while a remote syscall (pause) blocks in it. */
static void test_dies_during_syscall(const char *mode)
{
	struct parasite_ctl *ctl;
	struct victim v;
	pid_t killer;
	int r, err, status;

	if (victim_start_ex(&v, mode, true))
		return;
	r = compel_seize(v.pid, 0, &ctl);
	if (r) {
		fail("errors: killed in a remote syscall (%s): seize: %s", mode, strerror(-r));
		victim_close(&v);
		return;
	}
	killer = fork();
	if (killer == 0) {
		usleep(200000);
		kill(v.pid, SIGKILL);
		_exit(0);
	}
	track(killer);
	rsys(ctl, 0, SYS_pause, 0, 0, 0, 0, 0, 0, &err);
	waitpid(killer, NULL, 0);
	untrack(killer);
	if (err != -ESRCH)
		fail("errors: killed in a remote syscall (%s): got %d", mode, err);
	r = compel_release(ctl);
	status = victim_nanny_status(&v, 5000);
	if (r || status == -1 || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail("errors: killed in a remote syscall (%s): release %d, status %#x", mode, r, status);
	else
		pass("errors: killed in a remote syscall (%s): ESRCH, released, reaped by its parent", mode);
	victim_close(&v);
}

int main(void)
{
	driver_init();
	alarm(60);
	test_no_such_pid();
	test_kthread();
	test_no_permission();
	test_thread_and_self();
	test_traced();
	test_zombie();
	test_stop_while_seized();
	test_dies_while_seized("busy");
	test_dies_while_seized("threads");
	test_dies_during_syscall("busy");
	test_dies_during_syscall("threads");
	return nr_fail ? 1 : 0;
}
