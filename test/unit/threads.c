/*
 * The criu side of restoring threads (criu/restore-threads.c), without a
 * task: thread cores written to a temporary images dir are read back for
 * a pstree entry, in order, with the restorer's thread table laid out from
 * them; and what must be refused is (a leader not listed first, a tid
 * twice, a core without registers or thread state, a missing core, a tid
 * that is taken).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "arch.h"
#include "image.h"
#include "restorer.h"
#include "threads.h"

/* tids no process has here: above the default pid_max */
#define PID   4190001
#define TID_A 4190002
#define TID_B 4190003

static char dir[64];

/* A thread's core as dump writes it; @regs/@state false leave that part out. */
static int write_core(struct img_dir *d, pid_t tid, bool regs, bool state)
{
	CoreEntry core = CORE_ENTRY__INIT;
	ThreadInfoX86 ti = THREAD_INFO_X86__INIT;
	UserX86RegsEntry g = USER_X86_REGS_ENTRY__INIT;
	UserX86FpregsEntry fp = USER_X86_FPREGS_ENTRY__INIT;
	ThreadCoreEntry th = THREAD_CORE_ENTRY__INIT;
	CredsEntry cr = CREDS_ENTRY__INIT;

	core.mtype = ARCH_CORE_MTYPE;
	g.ip = 0x1000 + tid;
	ti.gpregs = &g;
	ti.fpregs = &fp;
	if (regs)
		core.thread_info = &ti;
	th.creds = &cr;
	if (state)
		core.thread_core = &th;
	return img_write_one(d, CR_IMG_CORE, tid, &core);
}

static struct img_dir *make_dir(const char *name, bool a_regs, bool b_state, bool b_core)
{
	struct img_dir *d = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0700) || img_dir_open(path, IMG_DIR_CREATE, &d))
		return NULL;
	if (write_core(d, TID_A, a_regs, true) || (b_core && write_core(d, TID_B, true, b_state))) {
		img_dir_close(d);
		return NULL;
	}
	return d;
}

static void test_read_and_lay_out(void)
{
	struct img_dir *d = make_dir("good", true, true, true);
	uint32_t tids[] = { PID, TID_A, TID_B };
	PstreeEntry pe = PSTREE_ENTRY__INIT;
	CoreEntry leader = CORE_ENTRY__INIT, *lp = &leader;
	CoreEntry *const *cores;
	struct rst_args a = { 0 };
	unsigned int nr = 0;
	size_t size;

	CHECK(d != NULL);
	if (!d)
		return;
	pe.pid = PID;
	pe.n_threads = 3;
	pe.threads = tids;
	CHECK(restore_threads_read(d, &pe, &leader) == 0);
	cores = restore_threads_cores(PID, &lp, &nr);
	CHECK(nr == 3);
	CHECK(cores[0] == &leader);
	CHECK(cores[1]->thread_info->gpregs->ip == 0x1000 + TID_A);
	CHECK(cores[2]->thread_info->gpregs->ip == 0x1000 + TID_B);

	size = restore_threads_bootstrap_size(PID);
	CHECK(size == 4096 + 2 * RST_THREAD_STACK);
	char *area = aligned_alloc(4096, size);
	restore_threads_fill(PID, &a, area);
	const struct rst_thread *th = (const struct rst_thread *)a.threads;
	CHECK(a.nr_threads == 2);
	CHECK(a.threads == (uint64_t)(uintptr_t)area);
	CHECK(th[0].tid == TID_A && th[0].idx == 1);
	CHECK(th[1].tid == TID_B && th[1].idx == 2);
	for (int i = 0; i < 2; i++) {
		CHECK(th[i].stack_len == RST_THREAD_STACK);
		CHECK(th[i].stack >= (uint64_t)(uintptr_t)area + 4096);
		CHECK(th[i].stack + th[i].stack_len <= (uint64_t)(uintptr_t)area + size);
	}
	CHECK(th[0].stack + th[0].stack_len <= th[1].stack);
	free(area);

	/* a pid never read: the leader alone, nothing to lay out */
	cores = restore_threads_cores(PID + 100, &lp, &nr);
	CHECK(nr == 1 && cores == &lp);
	CHECK(restore_threads_bootstrap_size(PID + 100) == 0);
	restore_threads_fill(PID + 100, &a, NULL);
	CHECK(a.nr_threads == 0 && a.threads == 0);
	restore_threads_fini();
	cores = restore_threads_cores(PID, &lp, &nr);
	CHECK(nr == 1);
	img_dir_close(d);
}

static int read_with(struct img_dir *d, uint32_t *tids, size_t n)
{
	PstreeEntry pe = PSTREE_ENTRY__INIT;
	CoreEntry leader = CORE_ENTRY__INIT;
	int r;

	pe.pid = PID;
	pe.n_threads = n;
	pe.threads = tids;
	r = restore_threads_read(d, &pe, &leader);
	restore_threads_fini();
	return r;
}

static void test_refusals(void)
{
	struct img_dir *good = make_dir("refuse", true, true, true);
	struct img_dir *no_regs = make_dir("noregs", false, true, true);
	struct img_dir *no_state = make_dir("nostate", true, false, true);
	struct img_dir *missing = make_dir("missing", true, true, false);
	uint32_t not_first[] = { TID_A, PID, TID_B };
	uint32_t twice[] = { PID, TID_A, TID_A };
	uint32_t both[] = { PID, TID_A, TID_B };
	uint32_t bad[] = { PID, 0 };
	uint32_t mine[] = { PID, (uint32_t)getpid() };

	CHECK(good && no_regs && no_state && missing);
	if (!good || !no_regs || !no_state || !missing)
		return;
	CHECK(read_with(good, not_first, 3) == -EINVAL);
	CHECK(read_with(good, twice, 3) == -EINVAL);
	CHECK(read_with(good, bad, 2) == -EINVAL);
	CHECK(read_with(good, both, 0) == -EINVAL);
	CHECK(read_with(no_regs, both, 3) == -EINVAL);
	CHECK(read_with(no_state, both, 3) == -EINVAL);
	CHECK(read_with(missing, both, 3) < 0);
	/* a tid that is taken: this process's own */
	CHECK(write_core(good, getpid(), true, true) == 0);
	CHECK(read_with(good, mine, 2) == -EEXIST);
	CHECK(read_with(good, both, 3) == 0);
	img_dir_close(good);
	img_dir_close(no_regs);
	img_dir_close(no_state);
	img_dir_close(missing);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/criu-unit-threads.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(test_read_and_lay_out);
	RUN(test_refusals);
	char rm[96];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) < 0)
		return 1;
	return unit_done();
}
