/* Unit tests of the fdinfo helpers the event kinds share (files-events.c). */
#include <stdint.h>

#include "events.h"
#include "unit.h"

static void test_field(void)
{
	const char *t = "pos:\t0\nflags:\t02\neventfd-count:   1f\neventfd-id: 3\n";

	CHECK_STR(ev_field(t, "eventfd-count:"), "   1f\neventfd-id: 3\n");
	CHECK_STR(ev_field(t, "pos:"), "\t0\nflags:\t02\neventfd-count:   1f\neventfd-id: 3\n");
	CHECK(ev_field(t, "count:") == NULL); /* keys match at line starts only */
	CHECK(ev_field(t, "sigmask:") == NULL);
	CHECK(ev_field("", "pos:") == NULL);
}

static void test_handle(void)
{
	uint64_t w[16];

	CHECK(ev_parse_handle("084006005e7535b2", 8, w) == 0);
	CHECK(w[0] == 0xb235755e00064008ULL); /* bytes in order: little-endian words */
	CHECK(w[1] == 0);
	CHECK(ev_parse_handle("0840", 2, w) == 0 && w[0] == 0x4008);
	CHECK(ev_parse_handle("08zz", 2, w) == -EINVAL);
	CHECK(ev_parse_handle("08", 2, w) == -EINVAL); /* shorter than it says */
	CHECK(ev_parse_handle("00", 129, w) == -EINVAL);
}

static void test_anon(void)
{
	struct fd_parms p = { .link = "anon_inode:[eventfd]" };

	CHECK(ev_anon_is(&p, "[eventfd]"));
	CHECK(!ev_anon_is(&p, "[eventpoll]"));
	p.link = "anon_inode:inotify";
	CHECK(ev_anon_is(&p, "inotify"));
	p.link = "/tmp/anon_inode:inotify";
	CHECK(!ev_anon_is(&p, "inotify"));
}

int main(void)
{
	RUN(test_field);
	RUN(test_handle);
	RUN(test_anon);
	return unit_done();
}
