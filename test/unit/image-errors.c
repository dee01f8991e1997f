/*
 * Failure paths of the image library, each with its -errno, its one log
 * line (read back from the log file) and what later calls do: a missing
 * directory or file, an optional image, wrong magics, empty and short
 * files, truncated and huge lengths, bodies that do not unpack, truncated
 * payloads, wrong messages or directions, old kinds, full disks; and the
 * odd but valid: entries larger than the buffer, images on pipes, raw fds.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>

#include "image.h"
#include "log.h"
#include "images/core.pb-c.h"
#include "images/pipe-data.pb-c.h"
#include "images/pstree.pb-c.h"
#include "images/tty.pb-c.h"

#include "unit.h"
#include "image-test.h"

static const char *scratch;
static char logpath[PATH_MAX];
static struct img_dir *dir;

/* Was @text logged since the last call?  Empties the log. */
static bool logged(const char *text)
{
	_cleanup_free_ char *log = NULL;
	size_t len;
	bool found;

	log = (char *)slurp(logpath, &len);
	found = log && strstr(log, text);
	if (!found)
		printf("# not in the log: \"%s\"; log was:\n%s", text, log ? log : "(none)\n");
	truncate(logpath, 0);
	return found;
}

/* Write raw bytes as file @name in the scratch dir. */
static void put_file(const char *name, const void *d, size_t n)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, d, n) == (ssize_t)n);
	close(fd);
}

#define LE(v)	  (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), (uint8_t)((v) >> 24)
#define CORE_HEAD LE(IMG_COMMON_MAGIC), LE(0x55053847u)

static void test_missing_dir(void)
{
	struct img_dir *d = (void *)1;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/no/such", scratch);
	CHECK(img_dir_open(path, IMG_DIR_READ, &d) == -ENOENT && d == NULL);
	CHECK(logged("Can't open images directory") && true);
	snprintf(path, sizeof(path), "%s/made", scratch);
	CHECK(img_dir_open(path, IMG_DIR_CREATE, &d) == 0);
	img_dir_close(d);
	CHECK(img_dir_open(path, IMG_DIR_CREATE, &d) == 0); /* already there: fine */
	img_dir_close(d);
	CHECK(img_dir_open_at(dir, "made", IMG_DIR_READ, &d) == 0);
	CHECK(d && strstr(img_dir_path(d), "/made"));
	img_dir_close(d);
}

static void test_missing_file(void)
{
	struct cr_img *img = (void *)1;
	char want[PATH_MAX + 64];

	CHECK(img_open(dir, CR_IMG_CORE, IMG_READ, 42, &img) == -ENOENT && img == NULL);
	snprintf(want, sizeof(want), "Can't open core-42.img in %s: No such file or directory", scratch);
	CHECK(logged(want));
}

static void test_optional_absent(void)
{
	_cleanup_img_ struct cr_img *img = NULL;
	unsigned int errs = log_error_count();
	void *msg = (void *)1;

	CHECK(img_open(dir, CR_IMG_CORE, IMG_READ | IMG_OPTIONAL, 43, &img) == IMG_ABSENT);
	CHECK(img && img_is_absent(img));
	CHECK(img_read_entry(img, NULL, &msg) == 0 && msg == NULL);
	CHECK(img_raw_fd(img) == -EBADF);
	CHECK(log_error_count() == errs);
	CHECK(img_close(TAKE_PTR(img)) == 0);
}

static void test_wrong_magic(void)
{
	static const uint8_t pstree[] = { LE(IMG_COMMON_MAGIC), LE(0x50273030u) };
	static const uint8_t head[] = { LE(IMG_SERVICE_MAGIC), LE(0x55053847u) };
	static const uint8_t inv_common[] = { LE(IMG_COMMON_MAGIC), LE(0x58313116u) };
	struct cr_img *img = NULL;

	put_file("core-1.img", pstree, sizeof(pstree));
	CHECK(img_open(dir, CR_IMG_CORE, IMG_READ, 1, &img) == -EINVAL && !img);
	CHECK(logged("core-1.img (CORE): wrong magic 0x50273030 of PSTREE, expected CORE 0x55053847"));
	put_file("core-2.img", head, sizeof(head));
	CHECK(img_open(dir, CR_IMG_CORE, IMG_READ, 2, &img) == -EINVAL);
	CHECK(logged("core-2.img (CORE): wrong head magic 0x55105940, expected 0x54564319 (common)"));
	/* the inventory has no head magic: a common magic first is wrong */
	put_file("inventory.img", inv_common, sizeof(inv_common));
	CHECK(img_open(dir, CR_IMG_INVENTORY, IMG_READ, 0, &img) == -EINVAL);
	CHECK(logged("wrong magic 0x54564319, expected INVENTORY 0x58313116"));
}

/* A file with nothing is corrupt; a file with only its magics has no entries. */
static void test_empty(void)
{
	static const uint8_t magics[] = { CORE_HEAD };
	_cleanup_img_ struct cr_img *img = NULL;
	void *msg = NULL;

	put_file("core-3.img", "", 0);
	CHECK(img_open(dir, CR_IMG_CORE, IMG_READ, 3, &img) == -EIO);
	CHECK(logged("core-3.img (CORE): file too short for its magic (0 bytes)"));
	put_file("core-4.img", magics, 6);
	CHECK(img_open(dir, CR_IMG_CORE, IMG_READ, 4, &img) == -EIO);
	CHECK(logged("too short for its magic (6 bytes)"));
	put_file("core-5.img", magics, sizeof(magics));
	CHECK(img_open(dir, CR_IMG_CORE, IMG_READ, 5, &img) == 0);
	CHECK(img_read_entry(img, NULL, &msg) == 0 && !msg);
	CHECK(img_read_entry(img, NULL, &msg) == 0); /* stays at the end */
	/* but a single-entry image must have its entry */
	CHECK(img_read_one(dir, CR_IMG_CORE, 5, NULL, &msg) == -EIO && !msg);
	CHECK(logged("core-5.img (CORE): no entry in the image"));
}

/* Open core-@id.img holding @d and read one entry: the result. */
static int read_core(unsigned long id, const uint8_t *d, size_t n, struct cr_img **keep)
{
	_cleanup_img_ struct cr_img *img = NULL;
	char name[64];
	void *msg = NULL;
	int r;

	snprintf(name, sizeof(name), "core-%lu.img", id);
	put_file(name, d, n);
	r = img_open(dir, CR_IMG_CORE, IMG_READ, id, &img);
	if (r)
		return 1000 + r;
	r = img_read_entry(img, NULL, &msg);
	img_msg_free(msg);
	if (keep)
		*keep = TAKE_PTR(img);
	return r;
}

static void test_truncated(void)
{
	static const uint8_t len2[] = { CORE_HEAD, 0x10, 0x00 };
	static const uint8_t body5[] = { CORE_HEAD, LE(10u), 1, 2, 3, 4, 5 };
	struct cr_img *img = NULL;
	void *msg = NULL;
	unsigned int errs;

	CHECK(read_core(10, len2, sizeof(len2), NULL) == -EIO);
	CHECK(logged("core-10.img (CORE): truncated entry length at offset 8"));
	CHECK(read_core(11, body5, sizeof(body5), &img) == -EIO);
	CHECK(logged("core-11.img (CORE): truncated entry at offset 8: 10 bytes announced, 5 left"));
	/* the error sticks, quietly */
	errs = log_error_count();
	CHECK(img_read_entry(img, NULL, &msg) == -EIO && img_close(img) == -EIO);
	CHECK(log_error_count() == errs);
}

static void test_huge_and_garbage(void)
{
	static const uint8_t huge[] = { CORE_HEAD, LE(0xffffffffu), 0 };
	static const uint8_t over[] = { CORE_HEAD, LE(IMG_ENTRY_MAX + 1), 0 };
	static const uint8_t limit[] = { CORE_HEAD, LE(IMG_ENTRY_MAX), 0 };
	static const uint8_t junk[] = { CORE_HEAD, LE(4u), 0xff, 0xff, 0xff, 0xff };
	static const uint8_t no_required[] = { CORE_HEAD, LE(0u) }; /* core_entry.mtype is required */

	CHECK(read_core(20, huge, sizeof(huge), NULL) == -EFBIG);
	CHECK(logged("core-20.img (CORE): corrupt entry length 4294967295 at offset 8"));
	CHECK(read_core(21, over, sizeof(over), NULL) == -EFBIG);
	/* at the limit it is a truncation, found before allocating anything */
	CHECK(read_core(22, limit, sizeof(limit), NULL) == -EIO);
	CHECK(logged("truncated entry at offset 8: 67108864 bytes announced, 1 left"));
	CHECK(read_core(23, junk, sizeof(junk), NULL) == -EINVAL);
	CHECK(logged("core-23.img (CORE): corrupt entry at offset 8: 4 bytes do not unpack as core_entry"));
	CHECK(read_core(24, no_required, sizeof(no_required), NULL) == -EINVAL);
}

static void test_misuse(void)
{
	_cleanup_img_ struct cr_img *w = NULL, *r = NULL;
	PstreeEntry pe = PSTREE_ENTRY__INIT;
	CoreEntry ce = CORE_ENTRY__INIT;
	void *msg = NULL;
	uint8_t b;

	CHECK(img_open(dir, CR_IMG_PSTREE, IMG_WRITE, 7, &w) == -EINVAL && !w);
	CHECK(logged("PSTREE images take no id (given 7)"));
	CHECK(img_open(dir, CR_IMG_STATS, IMG_WRITE, 0, &w) == -EINVAL);
	CHECK(img_open_named(dir, CR_IMG_CORE, IMG_WRITE, "x", &w) == -EINVAL);
	CHECK(img_open_named(dir, CR_IMG_STATS, IMG_WRITE, "../x", &w) == -EINVAL);
	CHECK(img_open(dir, 9999, IMG_READ, 0, &w) == -EINVAL);
	CHECK(img_open(dir, CR_IMG_CREDS, IMG_WRITE, 1, &w) == -EINVAL);
	CHECK(logged("creds-1.img (CREDS): old kind, only read, never written"));
	truncate(logpath, 0);

	CHECK(img_open(dir, CR_IMG_PSTREE, IMG_WRITE, 0, &w) == 0);
	CHECK(img_write_entry(w, &ce) == -EINVAL); /* a core entry in pstree.img */
	CHECK(logged("pstree.img (PSTREE): core_entry is not an entry of this kind"));
	CHECK(img_close(TAKE_PTR(w)) == -EINVAL);

	CHECK(img_open(dir, CR_IMG_PSTREE, IMG_WRITE, 0, &w) == 0);
	pe.pid = 1;
	CHECK(img_write_entry(w, &pe) == 0);
	CHECK(img_read_entry(w, NULL, &msg) == -EBADF);
	CHECK(img_close(TAKE_PTR(w)) == -EBADF); /* a misuse still fails the image */

	CHECK(img_open(dir, CR_IMG_PSTREE, IMG_WRITE, 0, &w) == 0);
	CHECK(img_write_entry(w, &pe) == 0 && img_close(TAKE_PTR(w)) == 0);
	CHECK(img_open(dir, CR_IMG_PSTREE, IMG_READ, 0, &r) == 0);
	CHECK(img_read_entry(r, &core_entry__descriptor, &msg) == -EINVAL && !msg);
	CHECK(logged("pstree.img (PSTREE): core_entry is not a message of this kind"));
	img_closep(&r);
	CHECK(img_open(dir, CR_IMG_PSTREE, IMG_READ, 0, &r) == 0);
	CHECK(img_write_raw(r, &b, 1) == -EBADF);
	truncate(logpath, 0);
}

/* Errors of the disk surface at the latest on close. */
static void test_disk_full(void)
{
	_cleanup_img_ struct cr_img *w = NULL;
	PstreeEntry pe = PSTREE_ENTRY__INIT;
	static uint8_t big[100000];
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("SKIP: test_disk_full: no /dev/full\n");
		return;
	}
	CHECK(img_open_fd(fd, CR_IMG_PSTREE, IMG_WRITE, "full.img", &w) == 0);
	CHECK(img_write_entry(w, &pe) == 0); /* still in the buffer */
	CHECK(img_close(TAKE_PTR(w)) == -ENOSPC);
	CHECK(logged("full.img (PSTREE): write error: No space left on device"));

	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	CHECK(img_open_fd(fd, CR_IMG_PIPES_DATA, IMG_WRITE, "full.img", &w) == 0);
	CHECK(img_write_raw(w, big, sizeof(big)) == -ENOSPC); /* too big to buffer */
	CHECK(img_close(TAKE_PTR(w)) == -ENOSPC);
	truncate(logpath, 0);
}

static void test_payload(void)
{
	_cleanup_img_ struct cr_img *w = NULL, *r = NULL;
	PipeDataEntry pd = PIPE_DATA_ENTRY__INIT;
	PipeDataEntry *got _cleanup_msg_ = NULL;
	char buf[16];
	uint64_t len;

	CHECK(img_open(dir, CR_IMG_PIPES_DATA, IMG_WRITE, 0, &w) == 0);
	pd.pipe_id = 5;
	pd.bytes = 100;
	CHECK(img_write_entry(w, &pd) == 0);
	CHECK(img_entry_payload(w, &pd, &len) == 0 && len == 100);
	CHECK(img_write_raw(w, "only ten..", 10) == 0); /* 90 short */
	CHECK(img_close(TAKE_PTR(w)) == 0);

	CHECK(img_open(dir, CR_IMG_PIPES_DATA, IMG_READ, 0, &r) == 0);
	CHECK(img_read_entry(r, NULL, (void **)&got) == 1 && got->bytes == 100);
	CHECK(img_skip_payload(r, got) == -EIO);
	CHECK(logged("pipes-data.img (PIPES_DATA): truncated payload at offset 16: 100 bytes to skip, 10 left"));
	img_closep(&r);
	img_msg_free(TAKE_PTR(got));

	CHECK(img_open(dir, CR_IMG_PIPES_DATA, IMG_READ, 0, &r) == 0);
	CHECK(img_read_entry(r, NULL, (void **)&got) == 1);
	CHECK(img_read_raw(r, buf, 4) == 0 && !memcmp(buf, "only", 4));
	CHECK(img_read_raw(r, buf, 16) == -EIO);
	CHECK(logged("pipes-data.img (PIPES_DATA): truncated payload at offset 20: 16 bytes wanted, 6 left"));
}

/* An entry larger than the buffer, from a file and from a pipe. */
static void test_big_entry(void)
{
	_cleanup_img_ struct cr_img *w = NULL, *r = NULL;
	TtyDataEntry td = TTY_DATA_ENTRY__INIT;
	TtyDataEntry *got _cleanup_msg_ = NULL;
	_cleanup_free_ uint8_t *data = malloc(300000), *file = NULL;
	char path[PATH_MAX];
	size_t flen;
	int p[2];

	for (int i = 0; i < 300000; i++)
		data[i] = i * 7;
	td.tty_id = 3;
	td.data.len = 300000;
	td.data.data = data;
	CHECK(img_open(dir, CR_IMG_TTY_DATA, IMG_WRITE, 0, &w) == 0);
	CHECK(img_write_entry(w, &td) == 0 && img_write_entry(w, &td) == 0);
	CHECK(img_close(TAKE_PTR(w)) == 0);

	CHECK(img_open(dir, CR_IMG_TTY_DATA, IMG_READ, 0, &r) == 0);
	CHECK(img_read_entry(r, NULL, (void **)&got) == 1);
	CHECK(got && got->data.len == 300000 && !memcmp(got->data.data, data, 300000));
	img_closep(&r);

	/* the same bytes through a pipe: no file size to check against */
	snprintf(path, sizeof(path), "%s/tty-data.img", scratch);
	file = slurp(path, &flen);
	CHECK(file && !pipe(p));
	if (!fork()) {
		close(p[0]);
		_exit(write(p[1], file, flen) == (ssize_t)flen ? 0 : 1);
	}
	close(p[1]);
	CHECK(img_open_fd(p[0], CR_IMG_TTY_DATA, IMG_READ, "pipe", &r) == 0);
	img_msg_free(TAKE_PTR(got));
	CHECK(img_read_entry(r, NULL, (void **)&got) == 1 && got->data.len == 300000);
	img_msg_free(TAKE_PTR(got));
	CHECK(img_read_entry(r, NULL, (void **)&got) == 1 && !memcmp(got->data.data, data, 300000));
	img_msg_free(TAKE_PTR(got));
	CHECK(img_read_entry(r, NULL, (void **)&got) == 0);
	wait(NULL);
}

/* img_raw_fd(): the caller's own I/O between entries, both ways. */
static void test_raw_fd(void)
{
	_cleanup_img_ struct cr_img *w = NULL, *r = NULL;
	PipeDataEntry pd = PIPE_DATA_ENTRY__INIT;
	PipeDataEntry *got _cleanup_msg_ = NULL;
	char buf[8] = "";
	int fd;

	CHECK(img_open(dir, CR_IMG_PIPES_DATA, IMG_WRITE, 0, &w) == 0);
	pd.bytes = 5;
	CHECK(img_write_entry(w, &pd) == 0);
	fd = img_raw_fd(w);
	CHECK(fd >= 0 && write(fd, "hello", 5) == 5);
	pd.pipe_id = 2;
	pd.bytes = 0;
	CHECK(img_write_entry(w, &pd) == 0);
	CHECK(img_offset(w) == 8 + 4 + 4 + 5 + 4 + 4);
	CHECK(img_close(TAKE_PTR(w)) == 0);

	CHECK(img_open(dir, CR_IMG_PIPES_DATA, IMG_READ, 0, &r) == 0);
	CHECK(img_read_entry(r, NULL, (void **)&got) == 1 && got->bytes == 5);
	fd = img_raw_fd(r);
	CHECK(fd >= 0 && read(fd, buf, 5) == 5 && !memcmp(buf, "hello", 5));
	img_msg_free(TAKE_PTR(got));
	CHECK(img_read_entry(r, NULL, (void **)&got) == 1 && got->pipe_id == 2);
	img_msg_free(TAKE_PTR(got));
	CHECK(img_read_entry(r, NULL, (void **)&got) == 0);
}

int main(void)
{
	scratch = scratch_dir();
	snprintf(logpath, sizeof(logpath), "%s/log", scratch);
	if (log_init(logpath) || img_dir_open(scratch, IMG_DIR_READ, &dir)) {
		printf("FAIL: image-errors: setup\n");
		return 1;
	}
	RUN(test_missing_dir);
	RUN(test_missing_file);
	RUN(test_optional_absent);
	RUN(test_wrong_magic);
	RUN(test_empty);
	RUN(test_truncated);
	RUN(test_huge_and_garbage);
	RUN(test_misuse);
	RUN(test_disk_full);
	RUN(test_payload);
	RUN(test_big_entry);
	RUN(test_raw_fd);
	img_dir_close(dir);
	log_fini();
	scratch_remove(scratch);
	return unit_done();
}
