/* File-backed and shared memory: a private file mapping with modified
 * (copy-on-write) pages and untouched ones, a shared file mapping whose
 * writes reach the file, shared anonymous memory and a memfd mapping. */
#include <sys/mman.h>
#include "crtest.h"

#define PG 4096

int main(int argc, char **argv)
{
	char path[] = "/tmp/crtest-mem-file.XXXXXX";
	crtest_init(argc, argv);
	int fd = mkstemp(path);
	if (fd < 0)
		crtest_fail("mkstemp: %m");
	unsigned char buf[PG];
	for (int i = 0; i < 16; i++) {
		memset(buf, 'a' + i, PG);
		if (write(fd, buf, PG) != PG)
			crtest_fail("write: %m");
	}
	unsigned char *priv = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	unsigned char *shared = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned char *shanon = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int mfd = memfd_create("crtest", 0);
	if (mfd < 0 || ftruncate(mfd, 8 * PG))
		crtest_fail("memfd: %m");
	unsigned char *mem = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (priv == MAP_FAILED || shared == MAP_FAILED || shanon == MAP_FAILED || mem == MAP_FAILED)
		crtest_fail("mmap: %m");
	close(fd);
	close(mfd);
	memset(priv + 3 * PG, 'X', PG); /* COW'd page */
	(void)priv[5 * PG];		/* read-only touched page */
	memset(shared + 7 * PG, 'S', 100);
	memset(shanon, 'A', 8 * PG);
	memset(mem, 'M', 8 * PG);

	crtest_ready();
	crtest_wait();

	for (int i = 0; i < 16; i++) {
		for (int j = 0; j < PG; j += 50) {
			/* untouched private pages show the file, shared writes included */
			unsigned char want = i == 3 ? 'X' : (i == 7 && j < 100) ? 'S' : 'a' + i;
			if (priv[i * PG + j] != want)
				crtest_fail("private page %d+%d: %c, want %c", i, j, priv[i * PG + j], want);
		}
	}
	if (shared[7 * PG] != 'S' || shared[7 * PG + 100] != 'a' + 7)
		crtest_fail("shared file mapping lost its contents");
	/* writes through the shared mapping still reach the file */
	shared[9 * PG] = 'Z';
	msync(shared, 16 * PG, MS_SYNC);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, buf, 1, 9 * PG) != 1 || buf[0] != 'Z')
		crtest_fail("shared mapping is no longer the file");
	close(fd);
	unlink(path);
	for (int i = 0; i < 8 * PG; i += 128)
		if (shanon[i] != 'A' || mem[i] != 'M')
			crtest_fail("shared anonymous or memfd memory changed at %d", i);
	crtest_pass();
}
