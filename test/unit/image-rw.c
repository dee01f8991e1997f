/*
 * Write, then read back, images of every kind criu writes: messages filled
 * field by field through protobuf-c's reflection (every type, optional and
 * repeated fields, nested messages), entries packed by the library, read
 * back and packed again to the same bytes, payloads included.  Also: the
 * synthetic payload images walk to their entry counts, a pagemap and a
 * stats image by hand, and many small entries cost few system calls.
 */
#include <fcntl.h>
#include <limits.h>

#include "image.h"
#include "log.h"
#include "images/pagemap.pb-c.h"
#include "images/pstree.pb-c.h"
#include "images/stats.pb-c.h"

#include "unit.h"
#include "image-test.h"
#include "../fuzz/img-seeds.h"

static const char *scratch;
static struct img_dir *dir;
static uint64_t rng = 0x1234567;

static unsigned int rnd(unsigned int n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (rng >> 33) % n;
}

static size_t type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	default:
		return 4;
	}
}

static void *fill_msg(const ProtobufCMessageDescriptor *d, int depth);

/* One value of field @f at @p; small numbers so payload lengths stay small. */
static void fill_value(const ProtobufCFieldDescriptor *f, void *p, int depth)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)p = rnd(100);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)p = rnd(100) / 4.0;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)p = rnd(100) / 4.0f;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)p = rnd(2);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;

		*(int *)p = e->values[rnd(e->n_values)].value;
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		char s[32];

		snprintf(s, sizeof(s), "%s-%u", f->name, rnd(1000));
		*(char **)p = strdup(s);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = p;

		b->len = rnd(20);
		b->data = malloc(b->len + 1);
		for (size_t i = 0; i < b->len; i++)
			b->data[i] = rnd(256);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		*(void **)p = fill_msg(f->descriptor, depth + 1);
		break;
	default: /* 32-bit integers */
		*(uint32_t *)p = rnd(100);
		break;
	}
}

/*
 * A message of type @d with every required field, most optional ones and a
 * few repeated elements; freed by protobuf_c_message_free_unpacked() like
 * one that was unpacked (all of it comes from malloc).
 */
static void *fill_msg(const ProtobufCMessageDescriptor *d, int depth)
{
	char *m = calloc(1, d->sizeof_message);

	protobuf_c_message_init(d, m);
	for (unsigned int i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool deep = depth > 3 && f->type == PROTOBUF_C_TYPE_MESSAGE;

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
			fill_value(f, m + f->offset, depth);
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
			if (deep || rnd(3) == 0)
				continue;
			fill_value(f, m + f->offset, depth);
			if (f->quantifier_offset)
				*(protobuf_c_boolean *)(m + f->quantifier_offset) = 1;
		} else {
			size_t n = deep ? 0 : rnd(3), sz = type_size(f->type);
			char *arr = n ? calloc(n, sz) : NULL;

			for (size_t j = 0; j < n; j++)
				fill_value(f, arr + j * sz, depth);
			*(size_t *)(m + f->quantifier_offset) = n;
			*(void **)(m + f->offset) = arr;
		}
	}
	return m;
}

static uint8_t *pack(const void *msg, size_t *len)
{
	uint8_t *b;

	*len = protobuf_c_message_get_packed_size(msg);
	b = malloc(*len + 1);
	protobuf_c_message_pack(msg, b);
	return b;
}

/* Do @a and @b pack to the same bytes? */
static bool same(const void *a, const void *b)
{
	size_t la, lb;
	_cleanup_free_ uint8_t *pa = pack(a, &la), *pb = pack(b, &lb);

	return la == lb && !memcmp(pa, pb, la);
}

static int open_kind(int kind, unsigned int flags, struct cr_img **img)
{
	if (img_kind_desc(kind)->arg == IMG_ARG_STR)
		return img_open_named(dir, kind, flags, "test", img);
	return img_open(dir, kind, flags, img_kind_desc(kind)->arg == IMG_ARG_ID ? 77 : 0, img);
}

#define NR_ENTRIES 4

/* Write a head (if any) and NR_ENTRIES entries of @kind, read them back. */
static void roundtrip_kind(int kind)
{
	const struct img_kind_desc *kd = img_kind_desc(kind);
	void *sent[NR_ENTRIES + 1] = { 0 };
	uint8_t payload[NR_ENTRIES + 1][512];
	uint64_t plen[NR_ENTRIES + 1] = { 0 };
	struct cr_img *img = NULL;
	int n = 0, r;

	CHECK(open_kind(kind, IMG_WRITE, &img) == 0);
	if (!img)
		return;
	if (kd->head)
		sent[n++] = fill_msg(kd->head, 0);
	while (n < NR_ENTRIES + (kd->head ? 1 : 0))
		sent[n++] = fill_msg(kd->entry, 0);
	for (int i = 0; i < n; i++) {
		CHECK(img_write_entry(img, sent[i]) == 0);
		CHECK(img_entry_payload(img, sent[i], &plen[i]) == 0);
		if (plen[i] > sizeof(payload[i])) {
			printf("FAIL: %s: payload of %llu bytes\n", kd->name, (unsigned long long)plen[i]);
			unit_failures++;
			plen[i] = 0;
		}
		for (uint64_t j = 0; j < plen[i]; j++)
			payload[i][j] = rnd(256);
		CHECK(img_write_raw(img, payload[i], plen[i]) == 0);
	}
	CHECK(img_close(img) == 0);

	CHECK(open_kind(kind, IMG_READ, &img) == 0);
	for (int i = 0; img && i <= n; i++) {
		void *got = NULL;
		uint8_t back[512];

		r = img_read_entry(img, NULL, &got);
		if (i == n) {
			CHECK(r == 0);
			break;
		}
		CHECK(r == 1 && got && same(sent[i], got));
		CHECK(img_read_raw(img, back, plen[i]) == 0 && !memcmp(back, payload[i], plen[i]));
		img_msg_free(got);
	}
	CHECK(img_close(img) == 0);
	for (int i = 0; i < n; i++)
		img_msg_free(sent[i]);
}

static void test_every_kind(void)
{
	int done = 0;

	for (int k = 0; k < CR_IMG__NR; k++) {
		const struct img_kind_desc *kd = img_kind_desc(k);

		/* raw kinds carry no entries; ghost and ipc-msg: test_seeds */
		if ((kd->flags & (IMGK_RAW | IMGK_OLD)) || kd->extra == IMG_EXTRA_GHOST ||
		    kd->extra == IMG_EXTRA_IPC_MSG)
			continue;
		if (!kd->entry) {
			printf("FAIL: kind %s has no entry message\n", kd->name);
			unit_failures++;
			continue;
		}
		roundtrip_kind(k);
		done++;
	}
	printf("# %d kinds written and read back\n", done);
	CHECK(done > 30);
}

/* The synthetic images with payloads walk to what was written. */
static void test_seeds(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(seed_makers); i++) {
		struct cr_img *img = NULL;
		struct seed s;
		int fd;

		CHECK(seed_make(i, &s) == 0);
		fd = walk_memfd(s.data, s.len);
		CHECK(img_open_fd(fd, s.kind, IMG_READ, s.name, &img) == 0);
		if (img) {
			int n = walk_image(img, NULL, NULL);

			if (n != s.entries) {
				printf("FAIL: %s: walked %d entries, wrote %d\n", s.name, n, s.entries);
				unit_failures++;
			}
			CHECK(img_offset(img) == (off_t)s.len);
			CHECK(img_close(img) == 0);
		}
		free(s.data);
	}
}

static void test_pagemap_and_stats(void)
{
	PagemapHead h = PAGEMAP_HEAD__INIT, *gh _cleanup_msg_ = NULL;
	PagemapEntry e = PAGEMAP_ENTRY__INIT;
	StatsEntry st = STATS_ENTRY__INIT, *gst _cleanup_msg_ = NULL;
	DumpStatsEntry ds = DUMP_STATS_ENTRY__INIT;
	struct cr_img *img = NULL;
	uint64_t sum = 0;
	void *m;

	h.pages_id = 9;
	CHECK(img_open(dir, CR_IMG_PAGEMAP, IMG_WRITE, 1234, &img) == 0);
	CHECK(img_write_entry(img, &h) == 0);
	for (int i = 0; i < 100; i++) {
		e.vaddr = 0x400000 + i * 0x10000;
		e.has_nr_pages = true;
		e.nr_pages = i + 1;
		e.has_flags = true;
		e.flags = 4;
		CHECK(img_write_entry(img, &e) == 0);
	}
	CHECK(img_close(img) == 0);
	CHECK(img_open(dir, CR_IMG_PAGEMAP, IMG_READ, 1234, &img) == 0);
	CHECK(img_read_entry(img, NULL, (void **)&gh) == 1 && gh->pages_id == 9);
	while (img_read_entry(img, NULL, &m) == 1) {
		CHECK(((PagemapEntry *)m)->base.descriptor == &pagemap_entry__descriptor);
		sum += ((PagemapEntry *)m)->nr_pages;
		img_msg_free(m);
	}
	CHECK(sum == 5050);
	CHECK(img_close(img) == 0);

	ds.freezing_time = 217;
	ds.frozen_time = 4778;
	st.dump = &ds;
	CHECK(img_open_named(dir, CR_IMG_STATS, IMG_WRITE, "dump", &img) == 0);
	CHECK(img_write_entry(img, &st) == 0 && img_close(img) == 0);
	CHECK(img_open_named(dir, CR_IMG_STATS, IMG_READ, "dump", &img) == 0);
	CHECK(img_read_entry(img, NULL, (void **)&gst) == 1 && gst->dump && gst->dump->frozen_time == 4778);
	CHECK(img_close(img) == 0);
}

/* /proc/self/io: read and write system calls so far. */
static void io_counts(unsigned long long *rd, unsigned long long *wr)
{
	char buf[512], *p;
	int fd = open("/proc/self/io", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strstr(buf, "syscr:");
	*rd = p ? strtoull(p + 6, NULL, 10) : 0;
	p = strstr(buf, "syscw:");
	*wr = p ? strtoull(p + 6, NULL, 10) : 0;
}

/* 20000 small entries: a handful of read(2)s and write(2)s, not 20000. */
static void test_buffering(void)
{
	PstreeEntry pe = PSTREE_ENTRY__INIT;
	unsigned long long r0, w0, r1, w1;
	struct cr_img *img = NULL;
	void *m;
	int n = 0;

	io_counts(&r0, &w0);
	CHECK(img_open(dir, CR_IMG_PSTREE, IMG_WRITE, 0, &img) == 0);
	for (int i = 0; i < 20000; i++) {
		pe.pid = pe.pgid = pe.sid = 1000 + i;
		CHECK(img_write_entry(img, &pe) == 0);
	}
	CHECK(img_close(img) == 0);
	io_counts(&r1, &w1);
	printf("# 20000 entries written with %llu write(2)s\n", w1 - w0);
	CHECK(w1 - w0 < 20);

	io_counts(&r0, &w0);
	CHECK(img_open(dir, CR_IMG_PSTREE, IMG_READ, 0, &img) == 0);
	while (img_read_entry(img, NULL, &m) == 1) {
		CHECK(((PstreeEntry *)m)->pid == (uint32_t)(1000 + n));
		img_msg_free(m);
		n++;
	}
	CHECK(img_close(img) == 0);
	io_counts(&r1, &w1);
	printf("# 20000 entries read with %llu read(2)s\n", r1 - r0 - 1);
	CHECK(n == 20000);
	CHECK(r1 - r0 < 20);
}

int main(void)
{
	scratch = scratch_dir();
	if (img_dir_open(scratch, IMG_DIR_READ, &dir)) {
		printf("FAIL: image-rw: setup\n");
		return 1;
	}
	RUN(test_every_kind);
	RUN(test_seeds);
	RUN(test_pagemap_and_stats);
	RUN(test_buffering);
	img_dir_close(dir);
	scratch_remove(scratch);
	return unit_done();
}
