/*
 * Seccomp of dumped threads: the mode from /proc/TID/status, the filters
 * with PTRACE_SECCOMP_GET_FILTER (needs CAP_SYS_ADMIN), collected for the
 * whole dump into one table that task_state_dump_finish() writes as
 * seccomp.img; restore reads it back with task_state_collect().
 *
 * Layout, as CRIU's: seccomp.img holds one seccomp_entry whose filters form
 * chains; a thread's thread_core.seccomp_filter is the index of its newest
 * filter, each filter's prev the index of the one installed before it.
 * Equal chains (same program, flags and predecessor) are stored once, so
 * threads that share filters share entries.  CRIU writes the image for
 * every dump, with an empty entry when no task has filters: so do we.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ptrace.h>

#define LOG_PREFIX "seccomp: "
#include "image.h"
#include "log.h"
#include "task-state-int.h"

#include "seccomp.pb-c.h"

/* PTRACE_SECCOMP_GET_METADATA's struct (<linux/ptrace.h> clashes with glibc's) */
struct k_seccomp_metadata {
	uint64_t filter_off;
	uint64_t flags;
};

struct sc_filter {
	void *prog; /* struct sock_filter[len] */
	uint32_t len;
	uint32_t flags;
	int prev; /* index, -1 for none */
};

/* The dump's table. */
static struct sc_filter *dump_filters;
static unsigned int nr_dump_filters;

/* The restore's: what seccomp.img said. */
static SeccompEntry *rst_seccomp;

static int find_or_add(const void *prog, uint32_t len, uint32_t flags, int prev)
{
	struct sc_filter *n;

	for (unsigned int i = 0; i < nr_dump_filters; i++) {
		struct sc_filter *f = &dump_filters[i];

		if (f->len == len && f->flags == flags && f->prev == prev &&
		    !memcmp(f->prog, prog, len * sizeof(struct sock_filter)))
			return i;
	}
	n = xrealloc(dump_filters, (nr_dump_filters + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	dump_filters = n;
	n = &dump_filters[nr_dump_filters];
	n->prog = xmalloc(len * sizeof(struct sock_filter));
	if (!n->prog)
		return -ENOMEM;
	memcpy(n->prog, prog, len * sizeof(struct sock_filter));
	n->len = len;
	n->flags = flags;
	n->prev = prev;
	return nr_dump_filters++;
}

/*
 * Read the filters of seized thread @tid (the kernel numbers them from the
 * oldest, 0), add them to the dump's table and return the index of the
 * newest in *@top.
 */
int seccomp_dump_filters(pid_t tid, unsigned int *top)
{
	struct sock_filter **progs = NULL;
	long *lens = NULL;
	uint32_t *flags = NULL;
	unsigned int n = 0;
	int prev = -1, r = 0;

	for (;;) {
		long len = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(long)n, NULL);
		struct k_seccomp_metadata md = { .filter_off = n };
		void *p;

		if (len < 0) {
			if (errno == ENOENT && n > 0)
				break;
			r = -errno;
			if (r == -EACCES || r == -EPERM)
				pr_err("can't read the seccomp filters of %d: criu needs CAP_SYS_ADMIN for that\n",
				       (int)tid);
			else
				pr_perror("PTRACE_SECCOMP_GET_FILTER %u of %d", n, (int)tid);
			goto out;
		}
		if ((n & 15) == 0) {
			p = xrealloc(progs, (n + 16) * sizeof(*progs));
			if (!p)
				goto out_nomem;
			progs = p;
			p = xrealloc(lens, (n + 16) * sizeof(*lens));
			if (!p)
				goto out_nomem;
			lens = p;
			p = xrealloc(flags, (n + 16) * sizeof(*flags));
			if (!p)
				goto out_nomem;
			flags = p;
		}
		progs[n] = xmalloc(len * sizeof(struct sock_filter));
		if (!progs[n])
			goto out_nomem;
		lens[n] = len;
		n++;
		if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(long)(n - 1), progs[n - 1]) != len) {
			r = -errno ?: -EIO;
			pr_perror("can't read seccomp filter %u of %d", n - 1, (int)tid);
			goto out;
		}
		if (ptrace(PTRACE_SECCOMP_GET_METADATA, tid, (void *)sizeof(md), &md) < 0) {
			r = -errno;
			pr_perror("PTRACE_SECCOMP_GET_METADATA %u of %d", n - 1, (int)tid);
			goto out;
		}
		flags[n - 1] = (uint32_t)md.flags;
	}
	for (unsigned int i = 0; i < n; i++) {
		prev = find_or_add(progs[i], (uint32_t)lens[i], flags[i], prev);
		if (prev < 0) {
			r = prev;
			goto out;
		}
	}
	*top = prev;
	pr_info("%d: %u seccomp filters, newest stored as #%d\n", (int)tid, n, prev);
	goto out;
out_nomem:
	r = -ENOMEM;
out:
	for (unsigned int i = 0; i < n; i++)
		free(progs[i]);
	free(progs);
	free(lens);
	free(flags);
	return r;
}

static void free_dump_filters(void)
{
	for (unsigned int i = 0; i < nr_dump_filters; i++)
		free(dump_filters[i].prog);
	free(dump_filters);
	dump_filters = NULL;
	nr_dump_filters = 0;
}

int task_state_dump_finish(struct img_dir *dir)
{
	SeccompEntry se = SECCOMP_ENTRY__INIT;
	SeccompFilter *fs = NULL, **fps = NULL;
	int r;

	if (nr_dump_filters) {
		fs = xzalloc(nr_dump_filters * sizeof(*fs));
		fps = xzalloc(nr_dump_filters * sizeof(*fps));
		if (!fs || !fps) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (unsigned int i = 0; i < nr_dump_filters; i++) {
		struct sc_filter *f = &dump_filters[i];

		seccomp_filter__init(&fs[i]);
		fs[i].filter.data = f->prog;
		fs[i].filter.len = f->len * sizeof(struct sock_filter);
		if (f->prev >= 0) {
			fs[i].has_prev = true;
			fs[i].prev = f->prev;
		}
		if (f->flags) {
			fs[i].has_flags = true;
			fs[i].flags = f->flags;
		}
		fps[i] = &fs[i];
	}
	se.n_seccomp_filters = nr_dump_filters;
	se.seccomp_filters = fps;

	r = img_write_one(dir, CR_IMG_SECCOMP, 0, &se);
out:
	free(fs);
	free(fps);
	free_dump_filters();
	return r;
}

int task_state_collect(struct img_dir *dir)
{
	struct cr_img *img;
	void *msg = NULL;
	int r;

	img_msg_free(rst_seccomp);
	rst_seccomp = NULL;
	r = img_open(dir, CR_IMG_SECCOMP, IMG_READ | IMG_OPTIONAL, 0, &img);
	if (r < 0)
		return r;
	r = img_read_entry(img, NULL, &msg);
	if (img_close(img) && r >= 0)
		r = -EIO;
	if (r < 0) {
		img_msg_free(msg);
		return r;
	}
	rst_seccomp = msg; /* NULL: no image or no entry, no filters */
	for (size_t i = 0; rst_seccomp && i < rst_seccomp->n_seccomp_filters; i++) {
		SeccompFilter *f = rst_seccomp->seccomp_filters[i];

		if (f->filter.len == 0 || f->filter.len % sizeof(struct sock_filter) ||
		    f->filter.len / sizeof(struct sock_filter) > BPF_MAXINSNS ||
		    (f->has_prev && f->prev >= rst_seccomp->n_seccomp_filters)) {
			pr_err("seccomp.img: filter %zu is malformed (%zu bytes, prev %d)\n", i, f->filter.len,
			       f->has_prev ? (int)f->prev : -1);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The chain ending at filter @top of the collected image, oldest first:
 * fills @out (up to @max) and returns the count, or -errno (logged).
 */
int seccomp_rst_chain(unsigned int top, const SeccompFilter **out, unsigned int max)
{
	unsigned int n = 0;
	long i = top;

	if (!rst_seccomp || top >= rst_seccomp->n_seccomp_filters) {
		pr_err("a thread uses seccomp filter #%u, which seccomp.img does not have\n", top);
		return -EINVAL;
	}
	while (i >= 0) {
		const SeccompFilter *f = rst_seccomp->seccomp_filters[i];

		if (n == rst_seccomp->n_seccomp_filters) {
			pr_err("seccomp.img: the chain of filter #%u loops\n", top);
			return -EINVAL;
		}
		if (n == max) {
			pr_err("seccomp filter chain of #%u is longer than %u\n", top, max);
			return -E2BIG;
		}
		out[n++] = f;
		i = f->has_prev ? (long)f->prev : -1;
	}
	for (unsigned int a = 0, b = n - 1; a < b; a++, b--) {
		const SeccompFilter *t = out[a];

		out[a] = out[b];
		out[b] = t;
	}
	return n;
}
