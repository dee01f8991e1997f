/*
 * Deterministic mutation test of the image reader, run by make test under
 * ASan/UBSan (build/test/unit/img-mutate).
 *
 * Seeds: every fixture image of CRIU 4.2 plus synthetic images with
 * payloads (img-seeds.h).  Each seed gives IMG_MUTATE_N mutants (default
 * 1000): bit flips, byte overwrites, truncations, corrupted entry lengths
 * (found by walking the seed first), splices from other seeds, duplicated,
 * deleted and inserted ranges, one to three at a time, from a xorshift
 * generator seeded with IMG_MUTATE_SEED.  Every mutant is read as a file
 * (a memfd) by the kind its magics name (or the seed's kind when the magic
 * is broken) through img_open_fd() and a full walk of entries and
 * payloads.  It must:
 *   - not crash, not leak, not trip UBSan (the sanitizers watch);
 *   - end in a count of entries or one of the documented errors
 *     (-EIO, -EINVAL, -EFBIG, -ERANGE, -EOPNOTSUPP);
 *   - log exactly one error when it fails and none when it does not;
 *   - give the same result when read from a pipe (no size known), for
 *     every 8th mutant that fits in a pipe.
 * One PASS line per seed; the first mismatch of a seed prints a FAIL line
 * with the seed, mutant number and operations, to replay with the same
 * IMG_MUTATE_SEED.
 */
#include <fcntl.h>
#include <limits.h>

#include "image.h"
#include "log.h"

#include "../unit/image-test.h"
#include "img-walk.h"
#include "img-seeds.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static size_t rnd_below(size_t n)
{
	return n ? rnd() % n : 0;
}

#define MAX_SEEDS   256
#define MAX_ENTRIES 4096

static struct seed seeds[MAX_SEEDS];
static int nr_seeds;
/* offsets of the entry length fields of the seed being mutated */
static size_t len_at[MAX_ENTRIES];
static int nr_len_at;

static void add_fixture(const char *dir, const char *name, void *arg)
{
	char path[PATH_MAX];
	struct seed *s;
	size_t len;
	uint8_t *d;
	int kind;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	d = slurp(path, &len);
	if (!d)
		return;
	kind = walk_guess_kind(d, len);
	if (kind < 0 || nr_seeds == MAX_SEEDS || len > (1 << 20)) {
		free(d); /* raw pages: nothing to parse */
		return;
	}
	s = &seeds[nr_seeds++];
	s->name = strdup(path);
	s->kind = kind;
	s->data = d;
	s->len = len;
	s->entries = -1;
}

static int note_offset(void *arg, struct cr_img *img, const void *msg)
{
	return 0;
}

/* Where the length fields of @s are: walk it and note each entry start. */
static void find_lengths(const struct seed *s)
{
	struct cr_img *img = NULL;
	int fd = walk_memfd(s->data, s->len);

	nr_len_at = 0;
	if (fd < 0 || img_open_fd(fd, s->kind, IMG_READ, s->name, &img))
		return;
	while (nr_len_at < MAX_ENTRIES) {
		void *msg = NULL;
		off_t at = img_offset(img);

		if (img_read_entry(img, NULL, &msg) <= 0)
			break;
		len_at[nr_len_at++] = at;
		if (img_skip_payload(img, msg))
			nr_len_at = nr_len_at; /* keep what we have */
		img_msg_free(msg);
	}
	img_closep(&img);
	(void)note_offset;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* One mutation of @d (length *n, capacity cap); its name into @what. */
static void mutate_once(uint8_t *d, size_t *n, size_t cap, char *what, size_t wsz)
{
	static const uint8_t interesting[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, 0x08, 0x0a, 0x12 };
	size_t len = *n, a, b, k;
	const struct seed *o;

	switch (rnd_below(9)) {
	case 0:
		if (!len)
			break;
		a = rnd_below(len);
		d[a] ^= 1u << rnd_below(8);
		snprintf(what, wsz, "flip@%zu", a);
		return;
	case 1:
		if (!len)
			break;
		a = rnd_below(len);
		d[a] = rnd_below(2) ? interesting[rnd_below(sizeof(interesting))] : (uint8_t)rnd();
		snprintf(what, wsz, "byte@%zu", a);
		return;
	case 2:
		*n = rnd_below(len + 1);
		snprintf(what, wsz, "trunc@%zu", *n);
		return;
	case 3:
	case 4: {
		static const uint32_t lens[] = {
			0, 1, 0x7fffffff, 0xffffffff, IMG_ENTRY_MAX, IMG_ENTRY_MAX + 1, 1 << 20, 65536, 65537
		};
		uint32_t v;

		if (!nr_len_at)
			break;
		a = len_at[rnd_below(nr_len_at)];
		if (a + 4 > len)
			break;
		k = rnd_below(4);
		v = d[a] | d[a + 1] << 8 | d[a + 2] << 16 | (uint32_t)d[a + 3] << 24;
		if (k == 0)
			v = lens[rnd_below(ARRAY_SIZE(lens))];
		else if (k == 1)
			v += rnd_below(2) ? 1 : -1;
		else if (k == 2)
			v = len - a - 4 + rnd_below(9) - 4; /* around the rest of the file */
		else
			v = (uint32_t)rnd();
		put32(d + a, v);
		snprintf(what, wsz, "len@%zu=%u", a, v);
		return;
	}
	case 5:
		/* splice: a range of another seed over a range of this one */
		o = &seeds[rnd_below(nr_seeds)];
		if (!o->len || !len)
			break;
		a = rnd_below(len);
		b = rnd_below(o->len);
		k = min(rnd_below(64) + 1, o->len - b);
		if (a + k > cap)
			k = cap - a;
		memcpy(d + a, o->data + b, k);
		*n = max(len, a + k);
		snprintf(what, wsz, "splice@%zu+%zu", a, k);
		return;
	case 6:
		/* duplicate a range right after itself */
		if (!len)
			break;
		a = rnd_below(len);
		k = min(rnd_below(32) + 1, len - a);
		if (len + k > cap)
			break;
		memmove(d + a + k, d + a, len - a);
		*n = len + k;
		snprintf(what, wsz, "dup@%zu+%zu", a, k);
		return;
	case 7:
		if (!len)
			break;
		a = rnd_below(len);
		k = min(rnd_below(32) + 1, len - a);
		memmove(d + a, d + a + k, len - a - k);
		*n = len - k;
		snprintf(what, wsz, "del@%zu+%zu", a, k);
		return;
	case 8:
		a = rnd_below(len + 1);
		k = rnd_below(16) + 1;
		if (len + k > cap)
			break;
		memmove(d + a + k, d + a, len - a);
		for (size_t i = 0; i < k; i++)
			d[a + i] = rnd();
		*n = len + k;
		snprintf(what, wsz, "ins@%zu+%zu", a, k);
		return;
	}
	snprintf(what, wsz, "none");
}

/* Walk @n bytes of @d as @kind from @fd (taken over): entries or -errno. */
static int walk_fd(int fd, int kind, const char *name)
{
	struct cr_img *img = NULL;
	int r;

	r = img_open_fd(fd, kind, IMG_READ, name, &img);
	if (r)
		return r;
	r = walk_image(img, NULL, NULL);
	if (r >= 0) {
		int c = img_close(img);

		return c ? c : r;
	}
	img_closep(&img);
	return r;
}

static int walk_pipe(const uint8_t *d, size_t n, int kind, const char *name)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (n && write(p[1], d, n) != (ssize_t)n) {
		close(p[0]);
		close(p[1]);
		return -EAGAIN;
	}
	close(p[1]);
	return walk_fd(p[0], kind, name);
}

static long env_num(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

static int fuzz_seed(const struct seed *s, long nmut, long *total_ok, long *total_err)
{
	size_t cap = s->len * 2 + 4096;
	_cleanup_free_ uint8_t *d = malloc(cap);
	int memfd = memfd_create("mutant", MFD_CLOEXEC);
	long ok = 0, err = 0;

	if (!d || memfd < 0) {
		printf("FAIL: mutate %s: setup: %s\n", s->name, strerror(errno));
		return -1;
	}
	find_lengths(s);
	for (long m = 0; m < nmut; m++) {
		char ops[3][48] = { "", "", "" };
		unsigned int errs;
		size_t n = s->len;
		int kind, r, rp, nops = 1 + rnd_below(3);

		memcpy(d, s->data, n);
		for (int i = 0; i < nops; i++)
			mutate_once(d, &n, cap, ops[i], sizeof(ops[i]));
		kind = walk_guess_kind(d, n);
		if (kind < 0)
			kind = s->kind;

		if (ftruncate(memfd, 0) || (n && pwrite(memfd, d, n, 0) != (ssize_t)n) || lseek(memfd, 0, SEEK_SET)) {
			printf("FAIL: mutate %s: memfd: %s\n", s->name, strerror(errno));
			close(memfd);
			return -1;
		}
		/* one mutant in 64 is logged, so the messages get formatted too */
		log_set_loglevel(m % 64 == 0 ? LOG_ERROR : LOG_MSG);
		errs = log_error_count();
		r = walk_fd(dup(memfd), kind, "mutant");
		errs = log_error_count() - errs;

		if (r < 0 ? !walk_error_ok(r) || errs != 1 : errs != 0) {
			printf("FAIL: mutate %s: mutant %ld (%s %s %s): %s, %u errors logged\n", s->name, m, ops[0],
			       ops[1], ops[2], r < 0 ? strerror(-r) : "ok", errs);
			close(memfd);
			return -1;
		}
		if (m % 8 == 0 && n <= 65536) {
			rp = walk_pipe(d, n, kind, "mutant");
			if (rp != r && rp != -EAGAIN) {
				printf("FAIL: mutate %s: mutant %ld (%s %s %s): %d from a file, %d from a pipe\n",
				       s->name, m, ops[0], ops[1], ops[2], r, rp);
				close(memfd);
				return -1;
			}
		}
		if (r < 0)
			err++;
		else
			ok++;
	}
	log_set_loglevel(DEFAULT_LOGLEVEL);
	close(memfd);
	printf("PASS: mutate %s: %ld mutants, %ld read, %ld refused\n", s->name, nmut, ok, err);
	*total_ok += ok;
	*total_err += err;
	return 0;
}

int main(void)
{
	long nmut = env_num("IMG_MUTATE_N", 1000), ok = 0, err = 0;
	int failed = 0;

	rng_state = env_num("IMG_MUTATE_SEED", 0x5eed5eed) | 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (size_t i = 0; i < ARRAY_SIZE(seed_makers) && nr_seeds < MAX_SEEDS; i++) {
		struct seed *s = &seeds[nr_seeds];

		if (seed_make(i, s)) {
			printf("FAIL: mutate: can't build the %s seed\n", seed_makers[i].name);
			return 1;
		}
		nr_seeds++;
	}
	if (!fixture_root())
		printf("SKIP: mutate fixtures: no fixtures (set CRIU_FIXTURES)\n");
	else
		for_each_fixture(add_fixture, NULL);

	for (int i = 0; i < nr_seeds; i++)
		if (fuzz_seed(&seeds[i], nmut, &ok, &err))
			failed++;
	printf("# %d seeds x %ld mutants: %ld read, %ld refused cleanly, seed 0x%lx\n", nr_seeds, nmut, ok, err,
	       env_num("IMG_MUTATE_SEED", 0x5eed5eed));

	for (int i = 0; i < nr_seeds; i++) {
		free(seeds[i].data);
		if (seeds[i].entries < 0)
			free((char *)seeds[i].name);
	}
	return failed ? 1 : 0;
}
