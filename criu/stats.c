/*
 * stats-dump and stats-restore (see stats.h).
 */
#include <time.h>

#define LOG_PREFIX "stats: "
#include "log.h"
#include "stats.h"
#include "images/stats.pb-c.h"

uint64_t stats_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static int write_stats(struct img_dir *dir, const char *name, const StatsEntry *e)
{
	struct cr_img *img _cleanup_img_ = NULL;
	int r;

	r = img_open_named(dir, CR_IMG_STATS, IMG_WRITE, name, &img);
	if (r)
		return r;
	r = img_write_entry(img, e);
	if (r)
		return r;
	r = img_close(img);
	img = NULL;
	return r;
}

int stats_write_dump(struct img_dir *dir, const struct dump_stats *s)
{
	StatsEntry e = STATS_ENTRY__INIT;
	DumpStatsEntry d = DUMP_STATS_ENTRY__INIT;

	d.freezing_time = s->freezing_time;
	d.frozen_time = s->frozen_time;
	d.memdump_time = s->memdump_time;
	d.memwrite_time = s->memwrite_time;
	d.pages_scanned = s->pages_scanned;
	d.pages_skipped_parent = 0;
	d.pages_written = s->pages_written;
	d.has_irmap_resolve = true;
	d.pages_lazy = 0;
	e.dump = &d;
	return write_stats(dir, "dump", &e);
}

int stats_write_restore(struct img_dir *dir, const struct restore_stats *s)
{
	StatsEntry e = STATS_ENTRY__INIT;
	RestoreStatsEntry r = RESTORE_STATS_ENTRY__INIT;

	r.pages_compared = 0;
	r.pages_skipped_cow = 0;
	r.forking_time = s->forking_time;
	r.restore_time = s->restore_time;
	r.has_pages_restored = true;
	r.pages_restored = s->pages_restored;
	e.restore = &r;
	return write_stats(dir, "restore", &e);
}

void stats_show_dump(const struct dump_stats *s)
{
	pr_msg("Displaying dump stats:\n");
	pr_msg("Freezing time: %u us\n", s->freezing_time);
	pr_msg("Frozen time: %u us\n", s->frozen_time);
	pr_msg("Memory dump time: %u us\n", s->memdump_time);
	pr_msg("Memory write time: %u us\n", s->memwrite_time);
	pr_msg("Memory pages scanned: %llu (%#llx)\n", (unsigned long long)s->pages_scanned,
	       (unsigned long long)s->pages_scanned);
	pr_msg("Memory pages written: %llu (%#llx)\n", (unsigned long long)s->pages_written,
	       (unsigned long long)s->pages_written);
}

void stats_show_restore(const struct restore_stats *s)
{
	pr_msg("Displaying restore stats:\n");
	pr_msg("Pages restored: %llu (%#llx)\n", (unsigned long long)s->pages_restored,
	       (unsigned long long)s->pages_restored);
	pr_msg("Restore time: %u us\n", s->restore_time);
	pr_msg("Forking time: %u us\n", s->forking_time);
}
