/*
 * `criu check` probes of memory: moving pages into pipes (dump), memfd
 * (shared memory restore), userfaultfd (lazy pages, write tracking),
 * PAGEMAP_SCAN and soft-dirty (incremental dumps), AIO rings and the vDSO
 * (restore maps them where the dumped task had them).
 *
 * Probes that change their address space in ways criu must not live with
 * (vDSO moved or replaced, soft-dirty bits cleared, rings remapped) run in
 * a child; the others map, check and unmap in criu itself.
 */
#include <elf.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/userfaultfd.h>
#include <asm/prctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#define LOG_PREFIX "check: "
#include "check-probes.h"
#include "compat-uapi.h"
#include "log.h"

#define PM_SOFT_DIRTY_BIT 55

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static void *map_anon(size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

/* ------------------------------------------------------------ pipes, memfd */

int check_vmsplice(struct probe *p)
{
	long ps = page_size();
	char *buf, *back = NULL;
	struct iovec iov[2];
	int pfd[2] = { -1, -1 }, mfd = -1, r = 0;
	size_t total;
	ssize_t n;

	buf = map_anon(2 * ps);
	back = malloc(2 * ps);
	if (!buf || !back) {
		r = probe_fail(p, -ENOMEM, "out of memory");
		goto out;
	}
	for (long i = 0; i < 2 * ps; i++)
		buf[i] = (char)(i * 7 + 3);
	if (pipe2(pfd, O_CLOEXEC)) {
		r = probe_perror(p, "pipe");
		goto out;
	}
	/* A whole page, as dump gifts them, and an unaligned piece. */
	iov[0].iov_base = buf;
	iov[0].iov_len = ps;
	iov[1].iov_base = buf + ps + 1;
	iov[1].iov_len = 100;
	total = ps + 100;
	n = vmsplice(pfd[1], iov, 2, SPLICE_F_NONBLOCK | SPLICE_F_GIFT);
	if (n != (ssize_t)total) {
		r = n < 0 ? probe_perror(p, "vmsplice")
			  : probe_fail(p, -EPROTO, "vmsplice moved %zd of %zu bytes", n, total);
		goto out;
	}
	/* Then out of the pipe into a file, as pages go into an image. */
	mfd = memfd_create("criu-check-vmsplice", MFD_CLOEXEC);
	if (mfd >= 0) {
		n = splice(pfd[0], NULL, mfd, NULL, total, SPLICE_F_NONBLOCK);
		if (n != (ssize_t)total) {
			r = n < 0 ? probe_perror(p, "splice from a pipe to a file")
				  : probe_fail(p, -EPROTO, "splice moved %zd of %zu bytes", n, total);
			goto out;
		}
		n = pread(mfd, back, total, 0);
	} else {
		n = read(pfd[0], back, total);
	}
	if (n != (ssize_t)total || memcmp(back, buf, ps) || memcmp(back + ps, buf + ps + 1, 100))
		r = probe_fail(p, -EPROTO, "bytes read back differ from the ones vmspliced");
out:
	if (mfd >= 0)
		close(mfd);
	if (pfd[0] >= 0) {
		close(pfd[0]);
		close(pfd[1]);
	}
	free(back);
	if (buf)
		munmap(buf, 2 * ps);
	return r;
}

int check_memfd(struct probe *p)
{
	static const char name[] = "criu-check";
	char link[64], target[128], data[16] = "memfd probe";
	unsigned int seals = F_SEAL_SHRINK | F_SEAL_GROW;
	long ps = page_size();
	int fd, r = 0, got;
	char *m = MAP_FAILED;
	ssize_t n;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return errno == ENOSYS ? probe_fail(p, -ENOSYS, "no memfd_create() syscall")
				       : probe_perror(p, "memfd_create");
	if (ftruncate(fd, ps) || pwrite(fd, data, sizeof(data), 0) != sizeof(data)) {
		r = probe_perror(p, "filling a memfd");
		goto out;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		r = probe_perror(p, "readlink %s", link);
		goto out;
	}
	target[n] = '\0';
	if (strncmp(target, "/memfd:criu-check", strlen("/memfd:criu-check"))) {
		r = probe_fail(p, -EPROTO, "a memfd shows as \"%s\" in /proc", target);
		goto out;
	}
	if (fcntl(fd, F_ADD_SEALS, seals)) {
		r = probe_perror(p, "F_ADD_SEALS");
		goto out;
	}
	got = fcntl(fd, F_GET_SEALS);
	if (got != (int)seals) {
		r = probe_fail(p, -EPROTO, "F_GET_SEALS returned %#x, %#x set", got, seals);
		goto out;
	}
	m = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		r = probe_perror(p, "mmap of a memfd");
	else if (memcmp(m, data, sizeof(data)))
		r = probe_fail(p, -EPROTO, "a memfd mapping shows other bytes than written");
out:
	if (m != MAP_FAILED)
		munmap(m, ps);
	close(fd);
	return r;
}

int check_memfd_hugetlb(struct probe *p)
{
	struct statfs sfs;
	int fd, r = 0;

	fd = memfd_create("criu-check-huge", MFD_CLOEXEC | MFD_HUGETLB);
	if (fd < 0) {
		if (errno == EINVAL || errno == ENOENT)
			return probe_fail(p, -errno, "memfd_create(MFD_HUGETLB) refused: no hugetlbfs in this kernel");
		return probe_perror(p, "memfd_create(MFD_HUGETLB)");
	}
	if (fstatfs(fd, &sfs))
		r = probe_perror(p, "fstatfs");
	else if (sfs.f_type != HUGETLBFS_MAGIC)
		r = probe_fail(p, -EPROTO, "a MFD_HUGETLB memfd lives on fs %#lx, not hugetlbfs",
			       (unsigned long)sfs.f_type);
	close(fd);
	return r;
}

int check_memfd_secret(struct probe *p)
{
	long ps = page_size();
	char *m;
	int fd, r = 0;

	fd = (int)syscall(__NR_memfd_secret, O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOSYS)
			return probe_fail(p, -ENOSYS, "no memfd_secret() (CONFIG_SECRETMEM off or secretmem.enable=0)");
		return probe_perror(p, "memfd_secret");
	}
	if (ftruncate(fd, ps)) {
		r = probe_perror(p, "ftruncate of a secret memfd");
		goto out;
	}
	m = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		r = probe_perror(p, "mmap of a secret memfd");
		goto out;
	}
	m[0] = 42;
	if (m[0] != 42)
		r = probe_fail(p, -EPROTO, "a secret memfd mapping does not keep what is written");
	munmap(m, ps);
out:
	close(fd);
	return r;
}

/* ------------------------------------------------------------ userfaultfd */

static int uffd_by_syscall(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	/* Without privileges (vm.unprivileged_userfaultfd=0) only user-mode faults are offered. */
	if (fd < 0 && errno == EPERM)
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	return fd < 0 ? -errno : fd;
}

static int uffd_by_dev(void)
{
	int dev, fd;

	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		fd = -errno;
	close(dev);
	return fd;
}

/* A userfaultfd from whichever way works; @how says which. */
static int uffd_open(struct probe *p, const char **how)
{
	int a, b;

	a = uffd_by_syscall();
	if (a >= 0) {
		*how = "userfaultfd()";
		return a;
	}
	b = uffd_by_dev();
	if (b >= 0) {
		*how = "/dev/userfaultfd";
		return b;
	}
	return probe_fail(p, a, "userfaultfd(): %s; /dev/userfaultfd: %s", strerror(-a), strerror(-b));
}

/* UFFDIO_API handshake asking for @want; the supported features come back in *@have. */
static int uffd_api(int fd, uint64_t want, uint64_t *have)
{
	struct uffdio_api api = { .api = UFFD_API, .features = want };

	if (ioctl(fd, UFFDIO_API, &api))
		return -errno;
	if (have)
		*have = api.features;
	return 0;
}

int check_uffd(struct probe *p)
{
	const char *how = NULL;
	uint64_t features = 0;
	int fd, other, r;

	fd = uffd_open(p, &how);
	if (fd < 0)
		return fd;
	r = uffd_api(fd, 0, &features);
	close(fd);
	if (r)
		return probe_fail(p, r, "UFFDIO_API on a descriptor from %s: %s", how, strerror(-r));
	/* Say whether the other way works too: lazy-pages uses whichever it can. */
	other = strcmp(how, "userfaultfd()") ? uffd_by_syscall() : uffd_by_dev();
	if (other >= 0)
		close(other);
	pr_info("uffd: from %s%s, features %#llx\n", how, other >= 0 ? " (and the other way too)" : "",
		(unsigned long long)features);
	return 0;
}

int check_uffd_noncoop(struct probe *p)
{
	const uint64_t want = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |
			      UFFD_FEATURE_EVENT_UNMAP;
	const char *how;
	int fd, r;

	fd = uffd_open(p, &how);
	if (fd < 0)
		return fd;
	r = uffd_api(fd, want, NULL);
	close(fd);
	if (r == -EPERM)
		return probe_fail(p, r, "UFFD_FEATURE_EVENT_FORK needs CAP_SYS_PTRACE");
	if (r)
		return probe_fail(p, r, "UFFDIO_API refused the fork/remap/remove/unmap events: %s", strerror(-r));
	return 0;
}

/* PAGEMAP_SCAN of [@start, @end) into @vec: number of regions or -errno. */
static long pagemap_scan(int pm, unsigned long start, unsigned long end, uint64_t flags, uint64_t mask,
			 struct page_region *vec, size_t vec_len)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = flags,
		.start = start,
		.end = end,
		.vec = (uint64_t)(uintptr_t)vec,
		.vec_len = vec_len,
		.category_mask = mask,
		.return_mask = mask,
	};
	long n = ioctl(pm, PAGEMAP_SCAN, &arg);

	return n < 0 ? -errno : n;
}

/* Do the regions in @vec cover exactly the pages of @area whose bit is set in @pages? */
static bool regions_match(const struct page_region *vec, long n, char *area, long ps, unsigned int pages)
{
	unsigned int seen = 0;

	for (long i = 0; i < n; i++)
		for (uint64_t a = vec[i].start; a < vec[i].end; a += ps) {
			long idx = (long)(a - (uintptr_t)area) / ps;

			if (idx < 0 || idx >= 32)
				return false;
			seen |= 1U << idx;
		}
	return seen == pages;
}

#define WP_PAGES 4

static int wp_async_child(struct probe *p, void *arg)
{
	const uint64_t want = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED;
	const uint64_t scan_flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
	struct page_region vec[WP_PAGES];
	long ps = page_size(), n;
	unsigned long start, end;
	uint64_t have = 0;
	const char *how;
	char *area;
	int fd, pm, r;

	fd = uffd_open(p, &how);
	if (fd < 0)
		return fd;
	r = uffd_api(fd, want, &have);
	if (r)
		return probe_fail(p, r, "UFFDIO_API refused WP_ASYNC|WP_UNPOPULATED: %s", strerror(-r));

	area = map_anon(WP_PAGES * ps);
	if (!area)
		return probe_perror(p, "mmap");
	start = (uintptr_t)area;
	end = start + WP_PAGES * ps;

	struct uffdio_register reg = { .range = { start, end - start }, .mode = UFFDIO_REGISTER_MODE_WP };
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		return probe_perror(p, "UFFDIO_REGISTER(WP)");
	struct uffdio_writeprotect wp = { .range = { start, end - start }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp))
		return probe_perror(p, "UFFDIO_WRITEPROTECT");

	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return probe_perror(p, "opening /proc/self/pagemap");

	/* Written pages 1 and 3 show, and the scan arms them again. */
	area[1 * ps] = 1;
	area[3 * ps] = 3;
	n = pagemap_scan(pm, start, end, scan_flags, PAGE_IS_WRITTEN, vec, WP_PAGES);
	if (n < 0)
		return probe_fail(p, (int)n, "PAGEMAP_SCAN(PAGE_IS_WRITTEN, WP_MATCHING): %s", strerror((int)-n));
	if (!regions_match(vec, n, area, ps, 0xa))
		return probe_fail(p, -EPROTO, "PAGEMAP_SCAN did not report exactly the two pages written");
	n = pagemap_scan(pm, start, end, scan_flags, PAGE_IS_WRITTEN, vec, WP_PAGES);
	if (n != 0)
		return probe_fail(p, -EPROTO, "PAGEMAP_SCAN reports written pages (%ld) right after re-arming", n);
	area[0] = 5;
	n = pagemap_scan(pm, start, end, scan_flags, PAGE_IS_WRITTEN, vec, WP_PAGES);
	if (n < 0 || !regions_match(vec, n, area, ps, 0x1))
		return probe_fail(p, -EPROTO, "PAGEMAP_SCAN missed a write after re-arming");
	return 0;
}

int check_uffd_wp_async(struct probe *p)
{
	return probe_run_in_child(p, wp_async_child, NULL);
}

int check_pagemap_scan(struct probe *p)
{
	struct page_region vec[4];
	long ps = page_size(), n;
	int pm, r = 0;
	char *area;

	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return probe_perror(p, "opening /proc/self/pagemap");
	area = map_anon(4 * ps);
	if (!area) {
		close(pm);
		return probe_perror(p, "mmap");
	}
	area[0] = 1;
	area[2 * ps] = 1;
	n = pagemap_scan(pm, (uintptr_t)area, (uintptr_t)area + 4 * ps, 0, PAGE_IS_PRESENT, vec, ARRAY_SIZE(vec));
	if (n == -ENOTTY || n == -EINVAL)
		r = probe_fail(p, (int)n, "no PAGEMAP_SCAN ioctl on /proc/PID/pagemap (Linux 6.7+)");
	else if (n < 0)
		r = probe_fail(p, (int)n, "PAGEMAP_SCAN: %s", strerror((int)-n));
	else if (!regions_match(vec, n, area, ps, 0x5))
		r = probe_fail(p, -EPROTO, "PAGEMAP_SCAN(PAGE_IS_PRESENT) did not report exactly the 2 pages touched");
	munmap(area, 4 * ps);
	close(pm);
	return r;
}

static int soft_dirty_child(struct probe *p, void *arg)
{
	long ps = page_size();
	volatile char *page;
	uint64_t entry = 0;
	int pm, r;

	page = map_anon(ps);
	if (!page)
		return probe_perror(p, "mmap");
	page[0] = 1;
	r = probe_write_file("/proc/self/clear_refs", "4");
	if (r)
		return probe_fail(p, r, "writing 4 to /proc/self/clear_refs: %s", strerror(-r));
	page[0] = 2;
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0)
		return probe_perror(p, "opening /proc/self/pagemap");
	if (pread(pm, &entry, sizeof(entry), (off_t)((uintptr_t)page / ps * sizeof(entry))) != sizeof(entry))
		return probe_perror(p, "reading /proc/self/pagemap");
	if (!(entry & (1ULL << PM_SOFT_DIRTY_BIT)))
		return probe_fail(p, -EOPNOTSUPP,
				  "no soft-dirty bit on a page written after clear_refs (kernel without "
				  "CONFIG_MEM_SOFT_DIRTY); incremental dumps need uffd_wp_async instead");
	return 0;
}

int check_mem_dirty_track(struct probe *p)
{
	return probe_run_in_child(p, soft_dirty_child, NULL);
}

/* ------------------------------------------------------------ AIO */

/* Find the mapping starting at @addr: its end, and whether it is named @name. */
static int vma_at(unsigned long addr, const char *name, unsigned long *end)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		int tail = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &s, &e, &tail) != 2 || s != addr)
			continue;
		line[strcspn(line, "\n")] = '\0';
		*end = e;
		return tail && !strcmp(line + tail, name) ? 0 : -EPROTO;
	}
	return -ENOENT;
}

static int aio_child(struct probe *p, void *arg)
{
	struct timespec zero = { 0, 0 };
	struct io_event ev;
	aio_context_t ctx = 0;
	unsigned long end = 0, len;
	void *dst;
	int r;

	if (syscall(SYS_io_setup, 16, &ctx))
		return errno == ENOSYS ? probe_fail(p, -ENOSYS, "no AIO syscalls (CONFIG_AIO off)")
				       : probe_perror(p, "io_setup");
	r = vma_at(ctx, "/[aio] (deleted)", &end);
	if (r)
		return probe_fail(p, r, "no \"[aio]\" mapping at the ring address %#lx", (unsigned long)ctx);
	len = end - ctx;
	dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED)
		return probe_perror(p, "mmap");
	if (mremap((void *)ctx, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) != dst)
		return probe_perror(p, "mremap of the AIO ring");
	/* The kernel must follow its ring to the new place. */
	if (syscall(SYS_io_getevents, (aio_context_t)dst, 0, 1, &ev, &zero) < 0)
		return probe_perror(p, "io_getevents on the moved ring");
	syscall(SYS_io_destroy, (aio_context_t)dst);
	return 0;
}

int check_aio_remap(struct probe *p)
{
	return probe_run_in_child(p, aio_child, NULL);
}

/* ------------------------------------------------------------ vDSO */

/* The address of @name exported by the ELF image at @base, or 0. */
static unsigned long vdso_sym(unsigned long base, const char *name)
{
	const Elf64_Ehdr *eh = (const void *)base;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Sym *sym = NULL;
	const Elf32_Word *hash = NULL;
	const char *str = NULL;
	unsigned long bias = 0;
	bool have_load = false;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return 0;
	ph = (const void *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			bias = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const void *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			sym = (const void *)(bias + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			str = (const void *)(bias + dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			hash = (const void *)(bias + dyn->d_un.d_ptr);
	}
	if (!sym || !str || !hash)
		return 0;
	for (Elf32_Word i = 0; i < hash[1]; i++)
		if (sym[i].st_shndx != SHN_UNDEF && ELF64_ST_TYPE(sym[i].st_info) == STT_FUNC &&
		    !strcmp(str + sym[i].st_name, name))
			return bias + sym[i].st_value;
	return 0;
}

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

/* Call the vDSO's clock_gettime at @vdso and compare it with the syscall's answer. */
static int vdso_clock_works(struct probe *p, unsigned long vdso, const char *where)
{
	struct timespec a, b;
	clock_gettime_fn fn;
	unsigned long sym;

	sym = vdso_sym(vdso, "__vdso_clock_gettime");
	if (!sym)
		return probe_fail(p, -ENOENT, "no __vdso_clock_gettime in the vDSO %s", where);
	fn = (clock_gettime_fn)sym;
	if (fn(CLOCK_MONOTONIC, &a))
		return probe_fail(p, -EPROTO, "the vDSO's clock_gettime %s failed", where);
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b))
		return probe_perror(p, "clock_gettime");
	if (llabs((long long)(b.tv_sec - a.tv_sec)) > 5)
		return probe_fail(p, -EPROTO, "the vDSO's clock %s is %llds away from the kernel's", where,
				  (long long)(b.tv_sec - a.tv_sec));
	return 0;
}

enum { VDSO_VVAR, VDSO_VCLOCK, VDSO_TEXT, VDSO_NR };
static const char *const vdso_names[VDSO_NR] = { "[vvar]", "[vvar_vclock]", "[vdso]" };

struct vdso_layout {
	struct probe_vma vma[VDSO_NR];
	bool found[VDSO_NR];
	unsigned long lo, hi; /* span of the areas found */
};

static int vdso_layout(struct probe *p, struct vdso_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->lo = ~0UL;
	for (int i = 0; i < VDSO_NR; i++) {
		int r = probe_find_vma(vdso_names[i], &l->vma[i]);

		if (r == -ENOENT)
			continue;
		if (r)
			return probe_fail(p, r, "reading /proc/self/maps: %s", strerror(-r));
		l->found[i] = true;
		l->lo = min(l->lo, l->vma[i].start);
		l->hi = max(l->hi, l->vma[i].end);
	}
	if (!l->found[VDSO_TEXT])
		return probe_fail(p, -ENOENT, "no [vdso] mapping in /proc/self/maps");
	return 0;
}

int check_vdso(struct probe *p)
{
	struct vdso_layout l;
	char desc[256];
	size_t off = 0;
	long ps = page_size();
	int r;

	r = vdso_layout(p, &l);
	if (r)
		return r;
	for (int i = 0; i < VDSO_NR; i++)
		if (l.found[i])
			off += snprintf(desc + off, sizeof(desc) - off, " %s %lu pages at %#lx", vdso_names[i],
					(l.vma[i].end - l.vma[i].start) / ps, l.vma[i].start);
	pr_info("vdso: layout:%s\n", desc);
	return vdso_clock_works(p, l.vma[VDSO_TEXT].start, "in place");
}

/* Move every vDSO area by the same distance, as restore does to put them where they were. */
static int vdso_remap_child(struct probe *p, void *arg)
{
	struct probe_vma moved;
	struct vdso_layout l;
	char *dst;
	int r;

	r = vdso_layout(p, &l);
	if (r)
		return r;
	dst = mmap(NULL, l.hi - l.lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED)
		return probe_perror(p, "mmap");
	/* From here on nothing may call the C library's clock functions: they point at the old place. */
	for (int i = 0; i < VDSO_NR; i++) {
		unsigned long len = l.vma[i].end - l.vma[i].start;
		void *to = dst + (l.vma[i].start - l.lo);

		if (!l.found[i])
			continue;
		if (mremap((void *)l.vma[i].start, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
			return probe_perror(p, "mremap of %s", vdso_names[i]);
	}
	r = probe_find_vma("[vdso]", &moved);
	if (r || moved.start != (unsigned long)dst + (l.vma[VDSO_TEXT].start - l.lo))
		return probe_fail(p, -EPROTO, "/proc/self/maps does not show [vdso] where it was moved");
	return vdso_clock_works(p, moved.start, "after mremap");
}

int check_vdso_remap(struct probe *p)
{
	return probe_run_in_child(p, vdso_remap_child, NULL);
}

/* Drop the vDSO and ask the kernel for a fresh one at the same place. */
static int map_vdso_child(struct probe *p, void *arg)
{
	struct probe_vma fresh;
	struct vdso_layout l;
	long ret;
	int r;

	r = vdso_layout(p, &l);
	if (r)
		return r;
	for (int i = 0; i < VDSO_NR; i++)
		if (l.found[i] && munmap((void *)l.vma[i].start, l.vma[i].end - l.vma[i].start))
			return probe_perror(p, "munmap of %s", vdso_names[i]);
	ret = syscall(SYS_arch_prctl, ARCH_MAP_VDSO_64, l.lo);
	if (ret < 0)
		return errno == EINVAL ? probe_fail(p, -EINVAL, "arch_prctl(ARCH_MAP_VDSO_64) is not supported")
				       : probe_perror(p, "arch_prctl(ARCH_MAP_VDSO_64, %#lx)", l.lo);
	r = probe_find_vma("[vdso]", &fresh);
	if (r)
		return probe_fail(p, r, "no [vdso] in /proc/self/maps after ARCH_MAP_VDSO_64");
	return vdso_clock_works(p, fresh.start, "mapped by ARCH_MAP_VDSO_64");
}

int check_can_map_vdso(struct probe *p)
{
	return probe_run_in_child(p, map_vdso_child, NULL);
}
