/*
 * The page path, measured: a victim with 1 GiB of data is infected and its
 * memory written out with compel_dump_pages() (vmsplice in the task, splice
 * here) to /dev/null, to a fresh file in /dev/shm and to a file on disk;
 * next to it, memcpy() of 1 GiB here into memory already populated, and
 * into fresh memory.  Figures only: nothing passes or fails on speed.
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "compel/blobs/test-parasite-blob.h"
#include "driver.h"

#define GIB (1UL << 30)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double gbps(double secs)
{
	return GIB / secs / 1e9;
}

/* memcpy of 1 GiB: into fresh memory (*@cold), then the best of 3 warm runs. */
static double bench_memcpy(double *cold)
{
	char *src = mmap(NULL, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *dst = mmap(NULL, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t, best = 1e9;

	memset(src, 0x5a, GIB);
	t = now();
	memcpy(dst, src, GIB);
	*cold = now() - t;
	for (int i = 0; i < 3; i++) {
		t = now();
		memcpy(dst, src, GIB);
		t = now() - t;
		if (t < best)
			best = t;
	}
	munmap(src, GIB);
	munmap(dst, GIB);
	return best;
}

/* write() of 1 GiB from touched memory over the pages of the file at @path. */
static double bench_write(const char *path)
{
	char *src = mmap(NULL, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	double t, best = 1e9;

	memset(src, 0x5a, GIB);
	for (int i = 0; i < 3 && fd >= 0; i++) {
		t = now();
		if (pwrite(fd, src, GIB, 0) != (ssize_t)GIB)
			break;
		t = now() - t;
		if (t < best)
			best = t;
	}
	if (fd >= 0)
		close(fd);
	munmap(src, GIB);
	return best;
}

/* Dump the victim's 1 GiB to @path: over what is there when @keep, else truncated. */
static double bench_dump(struct parasite_ctl *ctl, struct victim *v, const char *path, bool keep)
{
	struct iovec iov = { (void *)v->mem, v->mem_size };
	int fd = open(path, O_WRONLY | O_CREAT | (keep ? 0 : O_TRUNC) | O_CLOEXEC, 0600);
	double t;
	int r;

	if (fd < 0) {
		perror(path);
		return -1;
	}
	t = now();
	r = compel_dump_pages(ctl, &iov, 1, fd);
	if (!r && !strncmp(path, "/var", 4))
		r = fdatasync(fd) ? -errno : 0;
	t = now() - t;
	close(fd);
	if (r) {
		fprintf(stderr, "dump to %s: %s\n", path, strerror(-r));
		return -1;
	}
	return t;
}

int main(int argc, char **argv)
{
	const char *disk_dir = argc > 1 ? argv[1] : "/var/tmp";
	char shm_path[64], disk_path[PATH_MAX - 64];
	struct parasite_ctl *ctl;
	struct victim v;

	driver_init();
	alarm(300);
	if (victim_start(&v, "big"))
		return 1;
	snprintf(shm_path, sizeof(shm_path), "/dev/shm/compel-bench.%d", getpid());
	snprintf(disk_path, sizeof(disk_path), "%s/compel-bench.%d", disk_dir, getpid());
	if (compel_seize(v.pid, 0, &ctl) || compel_infect(ctl, &test_parasite_blob, 4096)) {
		fprintf(stderr, "can't infect the victim\n");
		return 1;
	}
	double t_null = bench_dump(ctl, &v, "/dev/null", false);
	double t_shm_cold = bench_dump(ctl, &v, shm_path, false);
	double t_shm = bench_dump(ctl, &v, shm_path, true);
	double t_disk = bench_dump(ctl, &v, disk_path, false);
	unlink(disk_path);
	if (compel_cure(ctl) || compel_release(ctl))
		fprintf(stderr, "cure or release failed\n");
	victim_finish(&v, "q", NULL, 0);
	double t_wr = bench_write(shm_path);
	unlink(shm_path);
	double t_cp_cold, t_cp = bench_memcpy(&t_cp_cold);

	printf("1 GiB of a task's memory through compel's page path (vmsplice there, splice here):\n");
	printf("  to /dev/null (no copy)                   %6.2f GB/s  %.3f s\n", gbps(t_null), t_null);
	printf("  into a /dev/shm file, over its pages     %6.2f GB/s  %.3f s\n", gbps(t_shm), t_shm);
	printf("  into a new /dev/shm file                 %6.2f GB/s  %.3f s\n", gbps(t_shm_cold), t_shm_cold);
	printf("  into a new file in %-15s (sync) %6.2f GB/s  %.3f s\n", disk_dir, gbps(t_disk), t_disk);
	printf("write() of 1 GiB from memory here:\n");
	printf("  into a /dev/shm file, over its pages     %6.2f GB/s  %.3f s\n", gbps(t_wr), t_wr);
	printf("memcpy of 1 GiB here:\n");
	printf("  into memory touched before               %6.2f GB/s  %.3f s\n", gbps(t_cp), t_cp);
	printf("  into fresh memory                        %6.2f GB/s  %.3f s\n", gbps(t_cp_cold), t_cp_cold);
	printf("page path into existing pages / memcpy into touched memory: %.2f\n", t_cp / t_shm);
	printf("page path into existing pages / write() into the same:      %.2f\n", t_wr / t_shm);
	printf("page path into new pages / memcpy into fresh memory:        %.2f\n", t_cp_cold / t_shm_cold);
	return 0;
}
