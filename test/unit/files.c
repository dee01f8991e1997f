/*
 * Files of a task, dump and restore, driven without the rest of criu: a
 * forked child opens a set of files and stops itself; dump_task_files()
 * writes its images, which are read back and checked; then a second child
 * restores them with restore_task_files() into itself and checks every fd
 * (path, flags, offset, shared offsets, close-on-exec, ghost contents, cwd,
 * root, umask), reporting through a service fd.  Failure paths: a file that
 * changed size or build-id, a deleted file over --ghost-limit, kinds not
 * supported yet.
 *
 *	files			run the tests
 *	files --dump DIR	only dump the sample child into DIR (for crit tests)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <linux/netlink.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-id.h"
#include "cr_options.h"
#include "files.h"
#include "image.h"
#include "log.h"
#include "fdinfo.pb-c.h"
#include "fs.pb-c.h"
#include "ghost-file.pb-c.h"
#include "remap-file-path.pb-c.h"

#include "unit.h"
#include "image-test.h"

#define FILES_ID 2

static char T[64];

static char *tpath(const char *name)
{
	static char buf[8][PATH_MAX];
	static int n;
	char *b = buf[n++ % 8];

	snprintf(b, PATH_MAX, "%s/%s", T, name);
	return b;
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* Put @fd at number @at (the child builds its table with it). */
static void at(int fd, int want)
{
	if (fd < 0)
		_exit(90);
	if (fd != want) {
		if (dup2(fd, want) < 0)
			_exit(91);
		close(fd);
	}
}

/* Fork a child that runs @setup with nothing open, then stops itself. */
static pid_t start_child(void (*setup)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		syscall(SYS_close_range, 0, ~0U, 0);
		setup();
		raise(SIGSTOP);
		for (;;)
			pause();
	}
	if (pid < 0 || waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st)) {
		printf("FAIL: %s:%d: child did not stop\n", __FILE__, __LINE__);
		return -1;
	}
	return pid;
}

static void end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ------------------------------------------------ the sample task */

#define BIG_SIZE 20000

static void sample_setup(void)
{
	char big[BIG_SIZE];
	int fd;

	at(open("/dev/null", O_RDONLY), 0);
	at(open(tpath("wr"), O_WRONLY | O_CREAT | O_TRUNC, 0640), 1);
	if (write(1, "abc", 3) != 3)
		_exit(92);
	dup2(1, 2);
	at(open(tpath("ro"), O_RDONLY), 3);
	if (read(3, big, 5) != 5)
		_exit(93);
	at(open(tpath("app"), O_WRONLY | O_APPEND | O_CLOEXEC), 4);
	at(open(tpath("dir"), O_RDONLY | O_DIRECTORY), 5);
	at(open(tpath("del"), O_RDWR | O_CREAT | O_TRUNC, 0600), 6);
	if (write(6, "ghost data", 10) != 10)
		_exit(94);
	at(open(tpath("del"), O_RDONLY), 11);
	unlink(tpath("del"));
	at(open("/dev/zero", O_RDONLY), 7);
	at(open("/dev/urandom", O_RDONLY), 8);
	at(open(tpath("ro"), O_RDONLY), 9);
	lseek(9, 5, SEEK_SET);
	fd = open(tpath("big"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	memset(big, 'B', 4096);
	if (pwrite(fd, big, 4096, 0) != 4096)
		_exit(95);
	memset(big, 'E', 100);
	if (pwrite(fd, big, 100, BIG_SIZE - 100) != 100)
		_exit(96);
	lseek(fd, 123, SEEK_SET);
	at(fd, 10);
	unlink(tpath("big"));
	dup3(3, 20, O_CLOEXEC);
	if (chdir(tpath("dir")))
		_exit(97);
	umask(027);
}

static void make_sample_files(void)
{
	write_file(tpath("ro"), "hello world", 11);
	write_file(tpath("app"), "log\n", 4);
	mkdir(tpath("dir"), 0755);
}

/* Dump the sample child into @dir; returns its pid (stopped) or -1. */
static pid_t dump_sample(const char *dir, int *ret)
{
	struct img_dir *d = NULL;
	pid_t pid;

	make_sample_files();
	pid = start_child(sample_setup);
	if (pid < 0)
		return -1;
	*ret = img_dir_open(dir, IMG_DIR_CREATE, &d);
	if (!*ret)
		*ret = dump_task_files(NULL, pid, FILES_ID, d);
	if (!*ret)
		*ret = files_dump_finish(d);
	files_dump_fini();
	img_dir_close(d);
	return pid;
}

/* ------------------------------------------------ reading images back */

static FileEntry *files[64];
static int nr_files;
static FdinfoEntry *fdis[64];
static int nr_fdis;

static void free_read(void)
{
	for (int i = 0; i < nr_files; i++)
		img_msg_free(files[i]);
	for (int i = 0; i < nr_fdis; i++)
		img_msg_free(fdis[i]);
	nr_files = nr_fdis = 0;
}

static int read_all(struct img_dir *d, int kind, unsigned long id, void **v, int max)
{
	struct cr_img *img = NULL;
	int n = 0;

	if (img_open(d, kind, IMG_READ, id, &img))
		return -1;
	while (n < max && img_read_entry(img, NULL, &v[n]) > 0)
		n++;
	img_closep(&img);
	return n;
}

static const FdinfoEntry *fdi_of(int fd)
{
	for (int i = 0; i < nr_fdis; i++)
		if ((int)fdis[i]->fd == fd)
			return fdis[i];
	return NULL;
}

static const RegFileEntry *reg_of_id(uint32_t id)
{
	for (int i = 0; i < nr_files; i++)
		if (files[i]->id == id)
			return files[i]->reg;
	return NULL;
}

static const RegFileEntry *reg_of(int fd)
{
	const FdinfoEntry *e = fdi_of(fd);

	return e ? reg_of_id(e->id) : NULL;
}

static void test_dump_sample(void)
{
	struct img_dir *d = NULL;
	const RegFileEntry *r;
	RemapFilePathEntry *remaps[8];
	FsEntry *fs = NULL;
	int ret = -1, n;
	pid_t pid;

	pid = dump_sample(tpath("img"), &ret);
	CHECK(pid > 0);
	CHECK(ret == 0);
	if (pid > 0) {
		CHECK(kill(pid, 0) == 0); /* the dump leaves the task alone */
		end_child(pid);
	}
	if (ret || img_dir_open(tpath("img"), IMG_DIR_READ, &d))
		return;
	nr_files = read_all(d, CR_IMG_FILES, 0, (void **)files, 64);
	nr_fdis = read_all(d, CR_IMG_FDINFO, FILES_ID, (void **)fdis, 64);
	CHECK(nr_fdis == 13);
	CHECK(nr_files == 11 + 2); /* 11 descriptions, cwd and root */
	for (int i = 0; i < nr_fdis; i++)
		CHECK(fdis[i]->type == FD_TYPES__REG);

	/* sharing: dup'ed fds share an id, separate opens do not */
	CHECK(fdi_of(1)->id == fdi_of(2)->id);
	CHECK(fdi_of(3)->id == fdi_of(20)->id);
	CHECK(fdi_of(3)->id != fdi_of(9)->id);
	CHECK(fdi_of(6)->id != fdi_of(11)->id);
	CHECK(fdi_of(4)->flags == FD_CLOEXEC && fdi_of(20)->flags == FD_CLOEXEC);
	CHECK(fdi_of(3)->flags == 0 && fdi_of(1)->flags == 0);

	r = reg_of(0);
	CHECK(r && !strcmp(r->name, "/dev/null") && r->mode == (S_IFCHR | 0666) && !r->has_size);
	CHECK(r && (r->flags & O_ACCMODE) == O_RDONLY);
	r = reg_of(1);
	CHECK(r && !strcmp(r->name, tpath("wr")) && (r->flags & O_ACCMODE) == O_WRONLY && r->pos == 3);
	CHECK(r && r->has_size && r->size == 3 && r->mode == (S_IFREG | 0640));
	CHECK(r && !(r->flags & O_CLOEXEC));
	r = reg_of(3);
	CHECK(r && !strcmp(r->name, tpath("ro")) && r->pos == 5 && r->size == 11);
	r = reg_of(4);
	CHECK(r && (r->flags & O_APPEND) && !r->has_size); /* a log file may grow */
	r = reg_of(5);
	CHECK(r && !strcmp(r->name, tpath("dir")) && S_ISDIR(r->mode) && !r->has_size);
	r = reg_of(6);
	CHECK(r && !strcmp(r->name, tpath("del")) && r->pos == 10 && r->size == 10);
	CHECK(r && (r->flags & O_ACCMODE) == O_RDWR);
	r = reg_of(7);
	CHECK(r && !strcmp(r->name, "/dev/zero"));
	r = reg_of(8);
	CHECK(r && !strcmp(r->name, "/dev/urandom"));
	r = reg_of(10);
	CHECK(r && r->pos == 123 && r->size == BIG_SIZE);

	/* ghosts: del (twice, one copy) and big, in remap-fpath.img */
	n = read_all(d, CR_IMG_REMAP_FPATH, 0, (void **)remaps, 8);
	CHECK(n == 3);
	if (n == 3) {
		uint32_t g_del = 0, g_del2 = 0, g_big = 0;

		for (int i = 0; i < n; i++) {
			CHECK(remaps[i]->has_remap_type && remaps[i]->remap_type == REMAP_TYPE__GHOST);
			if (remaps[i]->orig_id == fdi_of(6)->id)
				g_del = remaps[i]->remap_id;
			if (remaps[i]->orig_id == fdi_of(11)->id)
				g_del2 = remaps[i]->remap_id;
			if (remaps[i]->orig_id == fdi_of(10)->id)
				g_big = remaps[i]->remap_id;
		}
		CHECK(g_del && g_del == g_del2 && g_big && g_big != g_del);
		if (g_del && g_big) {
			struct cr_img *img = NULL;
			GhostFileEntry *g = NULL;
			char data[16] = "";

			CHECK(img_open(d, CR_IMG_GHOST_FILE, IMG_READ, g_del, &img) == 0);
			CHECK(img && img_read_entry(img, NULL, (void **)&g) == 1);
			CHECK(g && !g->chunks && S_ISREG(g->mode) && g->has_ino);
			CHECK(img && img_read_raw(img, data, 10) == 0 && !memcmp(data, "ghost data", 10));
			img_msg_free(g);
			img_closep(&img);
			g = NULL;
			CHECK(img_open(d, CR_IMG_GHOST_FILE, IMG_READ, g_big, &img) == 0);
			CHECK(img && img_read_entry(img, NULL, (void **)&g) == 1);
			CHECK(g && g->chunks && g->size == BIG_SIZE);
			img_msg_free(g);
			img_closep(&img);
		}
	}
	for (int i = 0; i < n; i++)
		img_msg_free(remaps[i]);

	CHECK(img_read_one(d, CR_IMG_FS, pid, &fs_entry__descriptor, (void **)&fs) == 0);
	if (fs) {
		r = reg_of_id(fs->cwd_id);
		CHECK(r && !strcmp(r->name, tpath("dir")) && r->flags == 0 && r->pos == 0);
		r = reg_of_id(fs->root_id);
		CHECK(r && !strcmp(r->name, "/"));
		CHECK(fs->cwd_id != fs->root_id && fs->has_umask && fs->umask == 027);
		img_msg_free(fs);
	}
	free_read();
	img_dir_close(d);
}

/* ------------------------------------------------ restore */

static int report_fd = -1;
static int child_failures;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (report_fd >= 0 && n > 0 && write(report_fd, buf, n) < 0)
		_exit(98);
}

#define EXPECT(cond)                                                                   \
	do {                                                                           \
		if (!(cond)) {                                                         \
			say("FAIL: %s:%d: restored: %s\n", __FILE__, __LINE__, #cond); \
			child_failures++;                                              \
		}                                                                      \
	} while (0)

static bool link_is(int fd, const char *want)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	if (strcmp(buf, want))
		say("# fd %d is %s, expected %s\n", fd, buf, want);
	return !strcmp(buf, want);
}

static off_t pos(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

static int count_fds_below(int limit)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd != dirfd(d) && fd < limit)
			n++;
	}
	closedir(d);
	return n;
}

static void verify_sample(void)
{
	char buf[32], del[PATH_MAX];
	mode_t m;

	EXPECT(link_is(0, "/dev/null"));
	EXPECT(link_is(1, tpath("wr")) && link_is(2, tpath("wr")));
	EXPECT(link_is(3, tpath("ro")) && link_is(9, tpath("ro")) && link_is(20, tpath("ro")));
	EXPECT(link_is(4, tpath("app")) && link_is(5, tpath("dir")));
	snprintf(del, sizeof(del), "%s (deleted)", tpath("del"));
	EXPECT(link_is(6, del) && link_is(11, del));
	snprintf(del, sizeof(del), "%s (deleted)", tpath("big"));
	EXPECT(link_is(10, del));
	EXPECT(link_is(7, "/dev/zero") && link_is(8, "/dev/urandom"));
	EXPECT(count_fds_below(files_service_fd_base()) == 13);

	EXPECT((fcntl(0, F_GETFL) & O_ACCMODE) == O_RDONLY);
	EXPECT((fcntl(1, F_GETFL) & O_ACCMODE) == O_WRONLY);
	EXPECT((fcntl(4, F_GETFL) & (O_ACCMODE | O_APPEND)) == (O_WRONLY | O_APPEND));
	EXPECT((fcntl(6, F_GETFL) & O_ACCMODE) == O_RDWR);
	EXPECT(fcntl(4, F_GETFD) == FD_CLOEXEC && fcntl(20, F_GETFD) == FD_CLOEXEC);
	EXPECT(fcntl(3, F_GETFD) == 0 && fcntl(9, F_GETFD) == 0 && fcntl(1, F_GETFD) == 0);

	EXPECT(pos(1) == 3 && pos(2) == 3 && pos(3) == 5 && pos(9) == 5 && pos(6) == 10 && pos(10) == 123);
	EXPECT(pos(11) == 0);
	/* shared descriptions move together, separate ones do not */
	EXPECT(write(1, "x", 1) == 1 && pos(2) == 4);
	EXPECT(read(3, buf, 1) == 1 && buf[0] == ' ' && pos(20) == 6 && pos(9) == 5);

	EXPECT(pread(6, buf, 10, 0) == 10 && !memcmp(buf, "ghost data", 10));
	EXPECT(pwrite(6, "G", 1, 0) == 1 && pread(11, buf, 10, 0) == 10 && !memcmp(buf, "Ghost data", 10));
	EXPECT(pread(10, buf, 1, 0) == 1 && buf[0] == 'B');
	EXPECT(pread(10, buf, 1, BIG_SIZE - 1) == 1 && buf[0] == 'E');
	EXPECT(pread(10, buf, 1, 10000) == 1 && buf[0] == 0);
	EXPECT(lseek(10, 0, SEEK_END) == BIG_SIZE && lseek(10, 123, SEEK_SET) == 123);
	EXPECT(access(tpath("del"), F_OK) && access(tpath("big"), F_OK)); /* still deleted */

	EXPECT(readlink("/proc/self/cwd", del, sizeof(del)) > 0);
	m = umask(0);
	EXPECT(m == 027);
}

/*
 * Restore @pid's files from @dir: collect and prepare here, restore in a
 * forked child, which runs @verify and reports through a service fd.
 */
static void restore_and_verify(const char *dir, pid_t pid, int base, void (*verify)(void))
{
	struct img_dir *d = NULL;
	char line[1024];
	FILE *f;
	pid_t child;
	int st, rfd, r;

	CHECK(img_dir_open(dir, IMG_DIR_READ, &d) == 0);
	r = files_collect(d);
	CHECK(r == 0);
	if (!r)
		r = prepare_task_files(pid, FILES_ID, d);
	if (!r)
		r = files_open_shared(); /* criu opens the descriptions, the task inherits them */
	CHECK(r == 0);
	img_dir_close(d);
	if (r) {
		files_restore_fini();
		return;
	}
	CHECK(files_service_fd_base() == base);
	rfd = open(tpath("report"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		report_fd = reserve_service_fd(rfd);
		if (report_fd < files_service_fd_base())
			_exit(2);
		r = restore_task_files(pid);
		if (r) {
			say("FAIL: restore_task_files: %s\n", strerror(-r));
			_exit(1);
		}
		verify();
		_exit(child_failures ? 1 : 0);
	}
	CHECK(child > 0 && waitpid(child, &st, 0) == child);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	files_restore_fini();
	f = fdopen(rfd, "r");
	if (f) {
		rewind(f);
		while (fgets(line, sizeof(line), f)) {
			fputs(line, stdout);
			if (!strncmp(line, "FAIL", 4)) {
				unit_failures++;
				unit_case_failed = 1;
			}
		}
		fclose(f);
	}
}

static int count_ghost_copies(void)
{
	DIR *d = opendir(T);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strstr(de->d_name, ".ghost") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void test_restore_sample(void)
{
	int ret = -1;
	pid_t pid = dump_sample(tpath("img2"), &ret);

	CHECK(pid > 0 && ret == 0);
	if (pid <= 0)
		return;
	end_child(pid);
	if (ret)
		return;
	restore_and_verify(tpath("img2"), pid, 21, verify_sample);
	CHECK(count_ghost_copies() == 0); /* files_restore_fini removed them */
}

/* ------------------------------------------------ chroot */

static void chroot_setup(void)
{
	if (chroot(tpath("root")) || chdir("/sub"))
		_exit(99);
	at(open("/f", O_RDONLY), 0);
}

static struct stat root_st, sub_st;

static void verify_chroot(void)
{
	struct stat a, b;

	EXPECT(stat("/", &a) == 0 && a.st_ino == root_st.st_ino && a.st_dev == root_st.st_dev);
	EXPECT(stat(".", &b) == 0 && b.st_ino == sub_st.st_ino);
	EXPECT(access("/f", F_OK) == 0);
}

static void test_chroot(void)
{
	struct img_dir *d = NULL;
	pid_t pid;
	int r;

	if (geteuid()) {
		printf("SKIP: test_chroot: needs root\n");
		return;
	}
	mkdir(tpath("root"), 0755);
	mkdir(tpath("root/sub"), 0755);
	write_file(tpath("root/f"), "f", 1);
	stat(tpath("root"), &root_st);
	stat(tpath("root/sub"), &sub_st);
	pid = start_child(chroot_setup);
	if (pid < 0)
		return;
	r = img_dir_open(tpath("img-chroot"), IMG_DIR_CREATE, &d);
	if (!r)
		r = dump_task_files(NULL, pid, FILES_ID, d);
	if (!r)
		r = files_dump_finish(d);
	CHECK(r == 0);
	files_dump_fini();
	img_dir_close(d);
	end_child(pid);
	if (r)
		return;
	restore_and_verify(tpath("img-chroot"), pid, 3, verify_chroot);
}

/* ------------------------------------------------ a deleted cwd */

static void gone_cwd_setup(void)
{
	at(open("/dev/null", O_RDONLY), 0);
	if (chdir(tpath("gonedir")) || rmdir(tpath("gonedir")))
		_exit(99);
}

static void verify_gone_cwd(void)
{
	char buf[PATH_MAX], want[PATH_MAX];
	ssize_t n = readlink("/proc/self/cwd", buf, sizeof(buf) - 1);
	struct stat st;

	/* the copy is there until files_restore_fini() removes it */
	snprintf(want, sizeof(want), "%s.cr.1.ghost", tpath("gonedir"));
	EXPECT(n > 0);
	if (n > 0) {
		buf[n] = '\0';
		EXPECT(!strcmp(buf, want));
	}
	EXPECT(stat(".", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750);
}

static void test_deleted_cwd(void)
{
	struct img_dir *d = NULL;
	pid_t pid;
	int r;

	mkdir(tpath("gonedir"), 0750);
	pid = start_child(gone_cwd_setup);
	if (pid < 0)
		return;
	r = img_dir_open(tpath("img-cwd"), IMG_DIR_CREATE, &d);
	if (!r)
		r = dump_task_files(NULL, pid, FILES_ID, d);
	if (!r)
		r = files_dump_finish(d);
	CHECK(r == 0);
	files_dump_fini();
	img_dir_close(d);
	end_child(pid);
	if (r)
		return;
	restore_and_verify(tpath("img-cwd"), pid, 3, verify_gone_cwd);
	CHECK(count_ghost_copies() == 0);
}

/* ------------------------------------------------ fds above the soft limit */

#define HIGH_FD 1500

static void high_setup(void)
{
	at(open("/dev/null", O_RDONLY), 0);
	if (dup2(0, HIGH_FD) != HIGH_FD)
		_exit(99);
}

static void verify_high(void)
{
	EXPECT(link_is(HIGH_FD, "/dev/null"));
	EXPECT(count_fds_below(files_service_fd_base()) == 2);
}

/* A task with fd 1500 restored by a criu whose soft fd limit is 1024. */
static void test_high_fd(void)
{
	struct img_dir *d = NULL;
	struct rlimit old, low;
	pid_t pid;
	int r;

	if (getrlimit(RLIMIT_NOFILE, &old) || old.rlim_max <= HIGH_FD + 100) {
		printf("SKIP: test_high_fd: the hard fd limit is too low\n");
		return;
	}
	pid = start_child(high_setup);
	if (pid < 0)
		return;
	r = img_dir_open(tpath("img-high"), IMG_DIR_CREATE, &d);
	if (!r)
		r = dump_task_files(NULL, pid, FILES_ID, d);
	if (!r)
		r = files_dump_finish(d);
	CHECK(r == 0);
	files_dump_fini();
	img_dir_close(d);
	end_child(pid);
	if (r)
		return;
	low = old;
	low.rlim_cur = 1024;
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	restore_and_verify(tpath("img-high"), pid, HIGH_FD + 1, verify_high);
	setrlimit(RLIMIT_NOFILE, &old);
}

/* ------------------------------------------------ failures */

static bool log_has(const char *what)
{
	char buf[8192];
	int fd = open(tpath("log"), O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	if (!strstr(buf, what))
		printf("# log lacks \"%s\":\n%s", what, buf);
	return strstr(buf, what) != NULL;
}

static void log_to_file(void)
{
	if (log_init(tpath("log")))
		abort();
}

static void grow_setup(void)
{
	at(open(tpath("grow"), O_RDONLY), 0);
	at(open(tpath("elf"), O_RDONLY), 1);
}

/* Dump a task holding "grow" and "elf"; then change them as @change says. */
static int dump_grow(const char *dir)
{
	struct img_dir *d = NULL;
	pid_t pid;
	int r;

	write_file(tpath("grow"), "0123456789", 10);
	{
		char cmd[PATH_MAX + 64];

		snprintf(cmd, sizeof(cmd), "cp /usr/bin/sleep %s", tpath("elf"));
		if (system(cmd))
			return -1;
	}
	pid = start_child(grow_setup);
	if (pid < 0)
		return -1;
	r = img_dir_open(dir, IMG_DIR_CREATE, &d);
	if (!r)
		r = dump_task_files(NULL, pid, FILES_ID, d);
	if (!r)
		r = files_dump_finish(d);
	files_dump_fini();
	img_dir_close(d);
	end_child(pid);
	return r;
}

static int collect(const char *dir)
{
	struct img_dir *d = NULL;
	int r = img_dir_open(dir, IMG_DIR_READ, &d);

	if (!r)
		r = files_collect(d);
	img_dir_close(d);
	files_restore_fini();
	return r;
}

static void test_grown_file_refused(void)
{
	int fd;

	CHECK(dump_grow(tpath("img-grow")) == 0);
	CHECK(collect(tpath("img-grow")) == 0); /* unchanged: fine */
	fd = open(tpath("grow"), O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "more", 4) == 4);
	close(fd);
	log_to_file();
	CHECK(collect(tpath("img-grow")) == -ESTALE);
	log_fini();
	CHECK(log_has(tpath("grow")));
	CHECK(log_has("size 14 but had 10"));
}

/* Flip a byte of the build-id note of "elf": same size, another build. */
static int change_build_id(void)
{
	uint8_t id[BUILD_ID_MAX], buf[1 << 16];
	int fd = open(tpath("elf"), O_RDWR), n;
	ssize_t len;
	void *hit;

	if (fd < 0)
		return -1;
	n = elf_build_id(fd, id);
	len = pread(fd, buf, sizeof(buf), 0);
	hit = n > 0 && len > n ? memmem(buf, len, id, n) : NULL;
	if (!hit) {
		close(fd);
		return -1;
	}
	buf[(uint8_t *)hit - buf] ^= 0xff;
	len = pwrite(fd, buf + ((uint8_t *)hit - buf), 1, (uint8_t *)hit - buf);
	close(fd);
	return len == 1 ? 0 : -1;
}

static void test_build_id_refused(void)
{
	CHECK(dump_grow(tpath("img-bid")) == 0);
	CHECK(change_build_id() == 0);
	opts.file_validation_method = FILE_VALIDATION_FILESIZE;
	CHECK(collect(tpath("img-bid")) == 0); /* the size alone still matches */
	opts.file_validation_method = FILE_VALIDATION_BUILDID;
	log_to_file();
	CHECK(collect(tpath("img-bid")) == -ESTALE);
	log_fini();
	CHECK(log_has(tpath("elf")));
	CHECK(log_has("build-id"));
}

static void ghost_setup(void)
{
	char buf[1000];
	int fd = open(tpath("ghost-big"), O_RDWR | O_CREAT | O_TRUNC, 0600);

	memset(buf, 'g', sizeof(buf));
	if (write(fd, buf, sizeof(buf)) != sizeof(buf))
		_exit(92);
	unlink(tpath("ghost-big"));
	at(fd, 0);
}

static void test_ghost_limit(void)
{
	struct img_dir *d = NULL;
	pid_t pid = start_child(ghost_setup);
	int r = -1;

	if (pid < 0)
		return;
	opts.ghost_limit = 100;
	log_to_file();
	if (!img_dir_open(tpath("img-ghost"), IMG_DIR_CREATE, &d))
		r = dump_task_files(NULL, pid, FILES_ID, d);
	log_fini();
	files_dump_fini();
	img_dir_close(d);
	opts.ghost_limit = DEFAULT_GHOST_LIMIT;
	CHECK(r == -EFBIG);
	CHECK(log_has("--ghost-limit"));
	CHECK(log_has(tpath("ghost-big")));
	CHECK(kill(pid, 0) == 0); /* still there, untouched */
	end_child(pid);
}

static int unsup_kind;

static void unsup_setup(void)
{
	at(open("/dev/null", O_RDONLY), 0);
	if (unsup_kind == 0)
		at(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), 5);
	else if (unsup_kind == 1)
		at(socket(AF_PACKET, SOCK_DGRAM, 0), 5);
	else
		at((int)syscall(SYS_userfaultfd, O_CLOEXEC), 5);
}

static void test_unsupported(void)
{
	static const char *const names[] = { "netlink socket", "packet socket", "userfaultfd" };

	for (unsup_kind = 0; unsup_kind < 3; unsup_kind++) {
		struct img_dir *d = NULL;
		char want[64];
		pid_t pid = start_child(unsup_setup);
		int r = -1;

		if (pid < 0)
			return;
		log_to_file();
		if (!img_dir_open(tpath("img-unsup"), IMG_DIR_CREATE, &d))
			r = dump_task_files(NULL, pid, FILES_ID, d);
		log_fini();
		files_dump_fini();
		img_dir_close(d);
		CHECK(r == -EOPNOTSUPP);
		snprintf(want, sizeof(want), "fd 5 of task %d: %s", pid, names[unsup_kind]);
		CHECK(log_has(want));
		CHECK(log_has("not supported yet"));
		CHECK(kill(pid, 0) == 0);
		end_child(pid);
	}
}

/* ------------------------------------------------ images CRIU wrote */

/*
 * CRIU 4.2's checkpoint of sleep: files.img reads and validates against
 * this machine's files (when they are the same build), its fd 251, the
 * environment's pipe, included (a lone pipe end).
 */
static void test_criu_images(void)
{
	const char *root = fixture_root();
	struct img_dir *d = NULL;
	char dir[PATH_MAX];
	int r;

	if (!root) {
		printf("SKIP: test_criu_images: no fixtures (set CRIU_FIXTURES)\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/sleep", root);
	CHECK(img_dir_open(dir, IMG_DIR_READ, &d) == 0);
	log_to_file();
	r = files_collect(d);
	if (r == -ESTALE || r == -ENOENT) {
		printf("SKIP: test_criu_images: this machine's files differ from the fixture's\n");
	} else {
		CHECK(r == 0);
		CHECK(prepare_task_files(6626, 2, d) == 0);
	}
	log_fini();
	files_restore_fini();
	img_dir_close(d);
}

/* fdinfo naming a file files.img lacks is refused cleanly. */
static void test_bad_fdinfo(void)
{
	FdinfoEntry e = FDINFO_ENTRY__INIT;
	struct img_dir *d = NULL;
	struct cr_img *img = NULL;
	int ret = -1;
	pid_t pid = dump_sample(tpath("img-bad"), &ret);

	if (pid > 0)
		end_child(pid);
	CHECK(ret == 0);
	if (ret)
		return;
	CHECK(img_dir_open(tpath("img-bad"), IMG_DIR_READ, &d) == 0);
	CHECK(img_open(d, CR_IMG_FDINFO, IMG_WRITE, 7, &img) == 0);
	e.id = 999;
	e.type = FD_TYPES__REG;
	e.fd = 3;
	CHECK(img_write_entry(img, &e) == 0);
	CHECK(img_close(img) == 0);
	log_to_file();
	CHECK(files_collect(d) == 0);
	CHECK(prepare_task_files(pid, 7, d) == -EINVAL);
	log_fini();
	CHECK(log_has("refers to file 999, which files.img lacks"));
	files_restore_fini();
	img_dir_close(d);
}

/* ------------------------------------------------ mapped files, build-id */

/* The build-id of @path as readelf prints it (hex), "" when unknown. */
static void readelf_build_id(const char *path, char *out, size_t size)
{
	char cmd[PATH_MAX + 64], line[512];
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n %s 2>/dev/null", path);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Build ID: ");

		if (p && sscanf(p + 10, "%127s", out) == 1)
			break;
	}
	pclose(f);
	(void)size;
}

static void test_build_id(void)
{
	uint8_t id[BUILD_ID_MAX];
	char want[256], got[2 * BUILD_ID_MAX + 1];
	int fd = open("/usr/bin/sleep", O_RDONLY), n;

	readelf_build_id("/usr/bin/sleep", want, sizeof(want));
	if (fd < 0 || !want[0]) {
		printf("SKIP: test_build_id: no /usr/bin/sleep or readelf\n");
		if (fd >= 0)
			close(fd);
		return;
	}
	n = elf_build_id(fd, id);
	CHECK(n == 20);
	for (int i = 0; i < n; i++)
		sprintf(got + 2 * i, "%02x", id[i]);
	CHECK_STR(n > 0 ? got : "", want);
	close(fd);
	fd = open("/etc/hostname", O_RDONLY);
	CHECK(fd < 0 || elf_build_id(fd, id) == 0);
	if (fd >= 0)
		close(fd);
}

static void test_dump_file_fd(void)
{
	struct img_dir *d = NULL;
	uint32_t a = 0, b = 0, c = 0;
	int fa = open("/usr/bin/sleep", O_RDONLY), fb = open("/usr/bin/sleep", O_RDONLY);

	CHECK(dump_file_fd(fa, O_RDONLY, &a) == 0);
	CHECK(dump_file_fd(fb, O_RDONLY, &b) == 0);
	CHECK(dump_file_fd(fb, O_RDWR, &c) == 0);
	CHECK(a && a == b && c != a);
	close(fa);
	close(fb);
	CHECK(img_dir_open(tpath("img-map"), IMG_DIR_CREATE, &d) == 0);
	CHECK(files_dump_finish(d) == 0);
	files_dump_fini();
	nr_files = read_all(d, CR_IMG_FILES, 0, (void **)files, 64);
	CHECK(nr_files == 2);
	if (nr_files >= 1) {
		const RegFileEntry *r = files[0]->reg;

		CHECK(files[0]->type == FD_TYPES__REG && r && !strcmp(r->name, "/usr/bin/sleep"));
		CHECK(r && r->has_size && r->n_build_id == 5 && r->flags == O_RDONLY);
	}
	free_read();
	img_dir_close(d);
}

/* ------------------------------------------------------------------ */

static void cleanup(void)
{
	char cmd[128];

	if (getenv("FILES_TEST_KEEP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", T);
	if (system(cmd))
		printf("# can't remove %s\n", T);
}

int main(int argc, char **argv)
{
	cr_options_init(&opts);
	snprintf(T, sizeof(T), "/tmp/files-test.XXXXXX");
	if (!mkdtemp(T))
		return 1;

	if (argc == 3 && !strcmp(argv[1], "--dump")) {
		int ret = -1;
		pid_t pid = dump_sample(argv[2], &ret);

		if (pid > 0)
			end_child(pid);
		cleanup();
		return ret ? 1 : 0;
	}

	RUN(test_build_id);
	RUN(test_dump_sample);
	RUN(test_restore_sample);
	RUN(test_chroot);
	RUN(test_deleted_cwd);
	RUN(test_high_fd);
	RUN(test_dump_file_fd);
	RUN(test_grown_file_refused);
	RUN(test_build_id_refused);
	RUN(test_ghost_limit);
	RUN(test_unsupported);
	RUN(test_criu_images);
	RUN(test_bad_fdinfo);
	cleanup();
	return unit_done();
}
