/* memfds held as fds: contents, name, size, position, open flags and
 * seals; one without sealing mapped privately (copy-on-write pages), and
 * one mapped shared and writable before F_SEAL_FUTURE_WRITE. */
#include <sys/mman.h>
#include <sys/stat.h>
#include "crtest.h"

#define PG   4096
#define SIZE (3 * PG + 123)

static void check_link(int fd, const char *name)
{
	char path[64], link[256], want[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		crtest_fail("readlink %s: %m", path);
	link[n] = '\0';
	snprintf(want, sizeof(want), "/memfd:%s (deleted)", name);
	if (strcmp(link, want))
		crtest_fail("fd %d is %s, want %s", fd, link, want);
}

int main(int argc, char **argv)
{
	crtest_init(argc, argv);
	unsigned char buf[SIZE];
	struct stat st;

	/* 1: sealed, held only as an fd */
	int a = memfd_create("crtest-sealed", MFD_ALLOW_SEALING);
	if (a < 0)
		crtest_fail("memfd_create: %m");
	for (int i = 0; i < SIZE; i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	if (write(a, buf, SIZE) != SIZE)
		crtest_fail("write: %m");
	if (fcntl(a, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE))
		crtest_fail("F_ADD_SEALS: %m");
	if (lseek(a, 5000, SEEK_SET) != 5000)
		crtest_fail("lseek: %m");

	/* 2: no sealing allowed, read-only fd, private writable mapping */
	int b = memfd_create("crtest private", 0);
	if (b < 0 || ftruncate(b, 4 * PG))
		crtest_fail("memfd b: %m");
	memset(buf, 'b', PG);
	if (pwrite(b, buf, PG, 2 * PG) != PG)
		crtest_fail("pwrite b: %m");
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", b);
	int bro = open(p, O_RDONLY);
	if (bro < 0)
		crtest_fail("reopen b: %m");
	close(b);
	unsigned char *priv = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, bro, 0);
	if (priv == MAP_FAILED)
		crtest_fail("mmap b: %m");
	memset(priv, 'P', PG); /* a copy-on-write page */

	/* 3: shared writable mapping, then F_SEAL_FUTURE_WRITE */
	int c = memfd_create("crtest-future", MFD_ALLOW_SEALING);
	if (c < 0 || ftruncate(c, 2 * PG))
		crtest_fail("memfd c: %m");
	unsigned char *sh = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, c, 0);
	if (sh == MAP_FAILED)
		crtest_fail("mmap c: %m");
	memset(sh, 'C', 2 * PG);
	if (fcntl(c, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL))
		crtest_fail("F_ADD_SEALS c: %m");

	crtest_ready();
	crtest_wait();

	check_link(a, "crtest-sealed");
	check_link(bro, "crtest private");
	check_link(c, "crtest-future");
	if (fstat(a, &st) || st.st_size != SIZE)
		crtest_fail("size of a: %lld", (long long)st.st_size);
	if (lseek(a, 0, SEEK_CUR) != 5000)
		crtest_fail("position of a: %lld", (long long)lseek(a, 0, SEEK_CUR));
	if (fcntl(a, F_GET_SEALS) != (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE))
		crtest_fail("seals of a: %#x", fcntl(a, F_GET_SEALS));
	if ((fcntl(a, F_GETFL) & O_ACCMODE) != O_RDWR)
		crtest_fail("a is not O_RDWR");
	memset(buf, 0, sizeof(buf));
	if (pread(a, buf, SIZE, 0) != SIZE)
		crtest_fail("pread a: %m");
	for (int i = 0; i < SIZE; i++)
		if (buf[i] != (unsigned char)(i * 7 + 1))
			crtest_fail("a changed at %d", i);
	if (pwrite(a, "x", 1, 0) != -1 || errno != EPERM)
		crtest_fail("a is writable after restore");
	if (ftruncate(a, 1) != -1)
		crtest_fail("a shrinks after restore");

	if (fcntl(bro, F_GET_SEALS) != F_SEAL_SEAL)
		crtest_fail("seals of b: %#x", fcntl(bro, F_GET_SEALS));
	if ((fcntl(bro, F_GETFL) & O_ACCMODE) != O_RDONLY)
		crtest_fail("b is not O_RDONLY");
	for (int i = 0; i < 4 * PG; i += 64) {
		unsigned char want = i < PG ? 'P' : (i >= 2 * PG && i < 3 * PG) ? 'b' : 0;
		if (priv[i] != want)
			crtest_fail("private mapping of b at %d: %#x, want %#x", i, priv[i], want);
	}
	if (pread(bro, buf, 1, 0) != 1 || buf[0] != 0)
		crtest_fail("b's private page reached the file");

	if (fcntl(c, F_GET_SEALS) != (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL))
		crtest_fail("seals of c: %#x", fcntl(c, F_GET_SEALS));
	for (int i = 0; i < 2 * PG; i += 64)
		if (sh[i] != 'C')
			crtest_fail("c changed at %d", i);
	sh[10] = 'D'; /* the old writable mapping still writes */
	if (pread(c, buf, 1, 10) != 1 || buf[0] != 'D')
		crtest_fail("c's shared mapping is not the memfd");
	if (mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, c, 0) != MAP_FAILED)
		crtest_fail("c takes new writable mappings");
	crtest_pass();
}
