/*
 * Helpers of the image unit tests: where the CRIU 4.2 fixtures are, a
 * scratch directory under /tmp, whole-file reads, and just enough JSON
 * reading to compare with what crit printed beside each fixture image.
 */
#ifndef CRIU_TEST_IMAGE_TEST_H
#define CRIU_TEST_IMAGE_TEST_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common.h"

/* The fixture root: $CRIU_FIXTURES, test/fixtures/criu-4.2, ../shared/...; NULL if none. */
static inline const char *fixture_root(void)
{
	static const char *const where[] = { "test/fixtures/criu-4.2", "../shared/fixtures/criu-4.2" };
	const char *env = getenv("CRIU_FIXTURES");
	struct stat st;

	if (env && *env)
		return env;
	for (size_t i = 0; i < ARRAY_SIZE(where); i++)
		if (!stat(where[i], &st) && S_ISDIR(st.st_mode))
			return where[i];
	return NULL;
}

/* Whole file into a NUL-terminated heap buffer; NULL if unreadable. */
static inline uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st)) {
		buf = malloc(st.st_size + 1);
		if (buf && read(fd, buf, st.st_size) != st.st_size) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[st.st_size] = 0;
			*len = st.st_size;
		}
	}
	close(fd);
	return buf;
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* A new scratch directory /tmp/criu-img-XXXXXX (static storage). */
static inline const char *scratch_dir(void)
{
	static char dir[] = "/tmp/criu-img-XXXXXX";

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	return dir;
}

static inline void scratch_remove(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Is this a file name of a fixture image (not JSON, not crit's text)? */
static inline bool fixture_image_name(const char *n)
{
	size_t l = strlen(n);

	if (l > 4 && !strcmp(n + l - 4, ".img"))
		return true;
	return !strncmp(n, "stats-", 6) && !strchr(n, '.');
}

/*
 * Call @fn(dir path, file name, arg) for every image of every fixture
 * checkpoint, in a stable order.  Returns how many it visited.
 */
static inline int for_each_fixture(void (*fn)(const char *dir, const char *name, void *arg), void *arg)
{
	const char *root = fixture_root();
	struct dirent **subs = NULL, **files = NULL;
	int n, m, visited = 0;

	if (!root)
		return 0;
	n = scandir(root, &subs, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX];

		if (subs[i]->d_name[0] != '.') {
			snprintf(dir, sizeof(dir), "%s/%s", root, subs[i]->d_name);
			m = scandir(dir, &files, NULL, alphasort);
			for (int j = 0; j < m; j++) {
				if (fixture_image_name(files[j]->d_name)) {
					fn(dir, files[j]->d_name, arg);
					visited++;
				}
				free(files[j]);
			}
			free(files);
		}
		free(subs[i]);
	}
	free(subs);
	return visited;
}

/* ---------------------------------------------------------------- JSON */

/* Skip a JSON string starting at the opening quote; returns past it. */
static inline const char *json_skip_str(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : p;
}

/* Elements of the top-level "entries" array of crit's output; -1 if none. */
static inline int json_entries(const char *js)
{
	const char *p = strstr(js, "\"entries\"");
	int depth = 0, n = 0;

	if (!p || !(p = strchr(p, '[')))
		return -1;
	for (p++; *p; p++) {
		if (*p == '"') {
			p = json_skip_str(p) - 1;
			continue;
		}
		if (depth == 0 && !strchr(" \t\r\n]", *p) && n == 0)
			n = 1;
		if (*p == '[' || *p == '{')
			depth++;
		else if (*p == '}' || (*p == ']' && depth > 0))
			depth--;
		else if (*p == ']')
			return n;
		else if (*p == ',' && depth == 0)
			n++;
	}
	return -1;
}

/*
 * The values of every "key": NUMBER (decimal, or a "0x..." string) in
 * document order, up to @max; returns how many there were.
 */
static inline int json_values(const char *js, const char *key, unsigned long long *v, int max)
{
	char pat[128];
	const char *p = js;
	int n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	while ((p = strstr(p, pat))) {
		p += strlen(pat);
		while (*p == ' ')
			p++;
		if (*p == '"')
			p++;
		if (n < max)
			v[n] = strtoull(p, NULL, 0);
		n++;
	}
	return n;
}

#endif
