/*
 * The image library against real CRIU 4.2 checkpoints: every fixture
 * image is opened by its kind and file name, walked to its end, compared
 * with crit's JSON beside it, and written back entry by entry (and payload
 * by payload) to give the very same bytes.
 */
#include <limits.h>

#include "image.h"
#include "log.h"
#include "images/pagemap.pb-c.h"
#include "images/pipe-data.pb-c.h"
#include "images/pstree.pb-c.h"
#include "images/tcp-stream.pb-c.h"
#include "images/mm.pb-c.h"
#include "images/core.pb-c.h"

#include "unit.h"
#include "image-test.h"
#include "../fuzz/img-walk.h"

static const char *scratch;
static int nr_images, nr_raw, nr_entries, nr_rewritten;

/* Parse a file name against a kind's pattern: the id (or name part). */
static bool name_of_kind(const struct img_kind_desc *kd, const char *name, unsigned long *id, char *arg, size_t argsz)
{
	char again[NAME_MAX + 1];
	const char *pc;

	*id = 0;
	if (!kd->pattern)
		return false;
	pc = strchr(kd->pattern, '%');
	if (!pc)
		return !strcmp(kd->pattern, name);
	if (strncmp(name, kd->pattern, pc - kd->pattern))
		return false;
	if (kd->arg == IMG_ARG_STR) {
		snprintf(arg, argsz, "%s", name + (pc - kd->pattern));
		return !strcmp(pc + 2, ""); /* stats-%s: the rest of the name */
	}
	*id = strtoul(name + (pc - kd->pattern), NULL, pc[2] == 'x' ? 16 : 10);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(again, sizeof(again), kd->pattern, *id);
#pragma GCC diagnostic pop
	return !strcmp(again, name);
}

static int open_by_name(struct img_dir *d, int kind, unsigned int flags, const char *name, struct cr_img **img)
{
	const struct img_kind_desc *kd = img_kind_desc(kind);
	char arg[NAME_MAX + 1];
	unsigned long id;

	if (!name_of_kind(kd, name, &id, arg, sizeof(arg)))
		return -ENOENT;
	if (kd->arg == IMG_ARG_STR)
		return img_open_named(d, kind, flags, arg, img);
	return img_open(d, kind, flags, id, img);
}

/* Per-kind checks against crit's JSON. */
struct seen {
	int kind;
	unsigned long long pids[64];
	int nr_pids;
	unsigned long long nr_pages, present_pages;
	uint32_t pages_id;
	int nr_vmas;
	char *comm;
};

static int collect(void *arg, struct cr_img *img, const void *m)
{
	const ProtobufCMessage *msg = m;
	struct seen *s = arg;

	if (msg->descriptor == &pstree_entry__descriptor) {
		const PstreeEntry *e = m;

		if (s->nr_pids < 64)
			s->pids[s->nr_pids] = e->pid;
		s->nr_pids++;
	} else if (msg->descriptor == &pagemap_head__descriptor) {
		s->pages_id = ((const PagemapHead *)m)->pages_id;
	} else if (msg->descriptor == &pagemap_entry__descriptor) {
		const PagemapEntry *e = m;

		s->nr_pages += e->nr_pages;
		if ((e->flags & 4) && !(e->flags & 1)) /* PE_PRESENT, not PE_PARENT */
			s->present_pages += e->nr_pages;
	} else if (msg->descriptor == &mm_entry__descriptor) {
		s->nr_vmas = ((const MmEntry *)m)->n_vmas;
	} else if (msg->descriptor == &core_entry__descriptor) {
		const CoreEntry *c = m;

		if (c->tc && c->tc->comm)
			s->comm = strdup(c->tc->comm);
		else if (c->thread_core && c->thread_core->comm) /* threads */
			s->comm = strdup(c->thread_core->comm);
	}
	return 0;
}

static void check_json(const char *dir, const char *name, int nr, struct seen *s)
{
	char path[PATH_MAX], base[NAME_MAX + 1];
	_cleanup_free_ char *js = NULL;
	unsigned long long v[4096];
	size_t len, l = strlen(name);

	snprintf(base, sizeof(base), "%.*s", (int)(l > 4 && !strcmp(name + l - 4, ".img") ? l - 4 : l), name);
	snprintf(path, sizeof(path), "%s/%s.json", dir, base);
	js = (char *)slurp(path, &len);
	if (!js) {
		printf("FAIL: %s/%s: no JSON beside it\n", dir, name);
		unit_failures++;
		return;
	}
	if (json_entries(js) != nr) {
		printf("FAIL: %s/%s: %d entries, crit saw %d\n", dir, name, nr, json_entries(js));
		unit_failures++;
	}
	if (s->kind == CR_IMG_PSTREE) {
		int n = json_values(js, "pid", v, 64);

		CHECK(n == s->nr_pids && n > 0);
		for (int i = 0; i < n && i < s->nr_pids; i++)
			CHECK(v[i] == s->pids[i]);
	}
	if (s->kind == CR_IMG_PAGEMAP) {
		unsigned long long sum = 0;
		int n = json_values(js, "nr_pages", v, 4096);

		for (int i = 0; i < n && i < 4096; i++)
			sum += v[i];
		CHECK(n <= 4096 && sum == s->nr_pages);
		CHECK(json_values(js, "pages_id", v, 1) == 1 && v[0] == s->pages_id);
		/* the pages file holds exactly the present pages */
		snprintf(path, sizeof(path), "%s/pages-%u.img", dir, s->pages_id);
		struct stat st;
		CHECK(!stat(path, &st) && (unsigned long long)st.st_size == s->present_pages * 4096);
	}
	if (s->kind == CR_IMG_MM)
		CHECK(json_values(js, "start", v, 0) == s->nr_vmas);
	if (s->kind == CR_IMG_CORE) {
		char want[64];

		snprintf(want, sizeof(want), "\"comm\": \"%s\"", s->comm ? s->comm : "?");
		CHECK(strstr(js, want) != NULL);
	}
}

/* Read @name again and write it to the scratch dir entry by entry: same bytes? */
static void rewrite(struct img_dir *d, struct img_dir *out, int kind, const char *dir, const char *name)
{
	_cleanup_img_ struct cr_img *in = NULL, *wr = NULL;
	_cleanup_free_ uint8_t *a = NULL, *b = NULL, *payload = NULL;
	char path[PATH_MAX];
	size_t la = 0, lb = 0;
	int r;

	CHECK(open_by_name(d, kind, IMG_READ, name, &in) == 0);
	CHECK(open_by_name(out, kind, IMG_WRITE, name, &wr) == 0);
	if (!in || !wr)
		return;
	for (;;) {
		_cleanup_msg_ void *msg = NULL;
		uint64_t plen = 0;

		r = img_read_entry(in, NULL, &msg);
		if (r <= 0)
			break;
		CHECK(img_write_entry(wr, msg) == 0);
		if (img_kind_desc(kind)->extra == IMG_EXTRA_FIELDS)
			CHECK(img_entry_payload(in, msg, &plen) == 0);
		if (plen) {
			payload = realloc(payload, plen);
			CHECK(img_read_raw(in, payload, plen) == 0);
			CHECK(img_write_raw(wr, payload, plen) == 0);
		}
	}
	CHECK(r == 0);
	CHECK(img_close(TAKE_PTR(wr)) == 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	a = slurp(path, &la);
	snprintf(path, sizeof(path), "%s/%s", img_dir_path(out), name);
	b = slurp(path, &lb);
	if (!a || !b || la != lb || memcmp(a, b, la)) {
		printf("FAIL: %s/%s: rewritten image differs (%zu vs %zu bytes)\n", dir, name, la, lb);
		unit_failures++;
		return;
	}
	nr_rewritten++;
}

static void one_fixture(const char *dir, const char *name, void *arg)
{
	_cleanup_img_dir_ struct img_dir *d = NULL, *out = NULL;
	_cleanup_img_ struct cr_img *img = NULL;
	_cleanup_free_ uint8_t *bytes = NULL;
	char path[PATH_MAX];
	struct seen s = { 0 };
	unsigned long id;
	char sarg[NAME_MAX + 1];
	size_t len = 0;
	int kind, n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	bytes = slurp(path, &len);
	CHECK(bytes != NULL);
	if (!bytes)
		return;
	CHECK(img_dir_open(dir, IMG_DIR_READ, &d) == 0);
	CHECK(img_dir_open(scratch, IMG_DIR_READ, &out) == 0);
	if (!d || !out)
		return;

	kind = walk_guess_kind(bytes, len);
	if (kind < 0) {
		/* no magic: must be raw page contents, and open as such */
		CHECK(name_of_kind(img_kind_desc(CR_IMG_PAGES), name, &id, sarg, sizeof(sarg)));
		CHECK(len % 4096 == 0);
		CHECK(img_open(d, CR_IMG_PAGES, IMG_READ, id, &img) == 0);
		if (img) {
			_cleanup_free_ uint8_t *all = malloc(len + 1);

			CHECK(img_read_raw(img, all, len) == 0 && !memcmp(all, bytes, len));
			log_set_loglevel(LOG_MSG);		  /* the error below is expected */
			CHECK(img_read_raw(img, all, 1) == -EIO); /* nothing after */
			log_set_loglevel(DEFAULT_LOGLEVEL);
		}
		nr_raw++;
		return;
	}
	s.kind = kind;
	if (!name_of_kind(img_kind_desc(kind), name, &id, sarg, sizeof(sarg))) {
		printf("FAIL: %s: magic says %s, name does not fit %s\n", path, img_kind_desc(kind)->name,
		       img_kind_desc(kind)->pattern);
		unit_failures++;
		return;
	}
	CHECK(open_by_name(d, kind, IMG_READ, name, &img) == 0);
	if (!img)
		return;
	n = walk_image(img, collect, &s);
	if (n < 0) {
		printf("FAIL: %s: walk failed: %s\n", path, strerror(-n));
		unit_failures++;
		return;
	}
	CHECK(img_offset(img) == (off_t)len); /* walked to the very end */
	CHECK(img_close(TAKE_PTR(img)) == 0);
	nr_images++;
	nr_entries += n;
	check_json(dir, name, n, &s);
	free(s.comm);
	rewrite(d, out, kind, dir, name);
}

static void test_fixtures(void)
{
	int n = for_each_fixture(one_fixture, NULL);

	printf("# %d fixture files: %d images (%d entries), %d raw; %d rewritten byte for byte\n", n, nr_images,
	       nr_entries, nr_raw, nr_rewritten);
	CHECK(n > 0);
	CHECK(nr_rewritten == nr_images);
}

/* Opening by kind and id finds the right files of a known checkpoint. */
static void test_open_by_id(void)
{
	_cleanup_img_dir_ struct img_dir *d = NULL;
	_cleanup_img_ struct cr_img *img = NULL;
	CoreEntry *ce _cleanup_msg_ = NULL;
	TcpStreamEntry *ts _cleanup_msg_ = NULL;
	char dir[PATH_MAX];
	int r;

	snprintf(dir, sizeof(dir), "%s/tcp", fixture_root());
	CHECK(img_dir_open(dir, IMG_DIR_READ, &d) == 0);
	if (!d)
		return;
	CHECK(img_read_one(d, CR_IMG_CORE, 6768, &core_entry__descriptor, (void **)&ce) == 0);
	CHECK(ce && ce->tc && ce->tc->comm);
	CHECK(img_open(d, CR_IMG_TCP_STREAM, IMG_READ, 0xbe574, &img) == 0);
	if (img) {
		r = img_read_entry(img, NULL, (void **)&ts);
		CHECK(r == 1 && ts && ts->inq_seq == 3949488637u);
		CHECK(img_skip_payload(img, ts) == 0);
		void *none = NULL;
		CHECK(img_read_entry(img, NULL, &none) == 0 && !none);
	}
	CHECK(img_close(TAKE_PTR(img)) == 0);
	CHECK(img_open_named(d, CR_IMG_STATS, IMG_READ, "dump", &img) == 0);
	CHECK(img && walk_image(img, NULL, NULL) == 1);
}

int main(void)
{
	if (!fixture_root()) {
		printf("SKIP: image-fixtures: no fixtures (set CRIU_FIXTURES)\n");
		return 0;
	}
	scratch = scratch_dir();
	RUN(test_fixtures);
	RUN(test_open_by_id);
	scratch_remove(scratch);
	return unit_done();
}
