/*
 * Hold files open for the files tests (the .t tests of test/files):
 *
 *	files-hold READY [OPEN...]
 *
 * closes every inherited fd but 0-2, then for each OPEN, at fds 3, 4, ...:
 *	r:PATH  w:PATH  a:PATH  (read, write, append)   u:PATH (read-write, then unlinked)
 *	pipe    (the write end of a new pipe)
 * creates READY and sleeps until killed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 2)
		return 2;
	syscall(SYS_close_range, 3U, ~0U, 0);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *path = a + 2;

		if (!strcmp(a, "pipe")) {
			int p[2];

			if (pipe(p))
				return 3;
			close(p[0]);
			fd = p[1];
		} else if (a[0] == 'r') {
			fd = open(path, O_RDONLY);
		} else if (a[0] == 'w') {
			fd = open(path, O_WRONLY | O_CREAT, 0644);
		} else if (a[0] == 'a') {
			fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		} else if (a[0] == 'u') {
			fd = open(path, O_RDWR);
			if (fd >= 0 && unlink(path))
				return 4;
		} else {
			return 2;
		}
		if (fd < 0) {
			perror(a);
			return 5;
		}
		if (fd != i + 1 && (dup2(fd, i + 1) < 0 || close(fd)))
			return 6;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 7;
	close(fd);
	for (;;)
		pause();
}
