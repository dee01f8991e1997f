/*
 * Statistics of a dump or restore: written as stats-dump / stats-restore
 * in the images dir (a service image, as CRIU writes it) and printed with
 * --display-stats.  Times are in microseconds.
 */
#ifndef CRIU_STATS_H
#define CRIU_STATS_H

#include <stdint.h>

#include "image.h"

struct dump_stats {
	uint32_t freezing_time; /* seizing the task */
	uint32_t frozen_time;	/* from frozen to released or killed */
	uint32_t memdump_time;	/* scanning memory */
	uint32_t memwrite_time; /* writing pages */
	uint64_t pages_scanned;
	uint64_t pages_written;
};

struct restore_stats {
	uint32_t forking_time; /* creating the task */
	uint32_t restore_time; /* from start to the task running */
	uint64_t pages_restored;
};

/* Monotonic microseconds, for the figures above. */
uint64_t stats_now_us(void);

int stats_write_dump(struct img_dir *dir, const struct dump_stats *s) __must_check;
int stats_write_restore(struct img_dir *dir, const struct restore_stats *s) __must_check;
/* Print as --display-stats does (pr_msg). */
void stats_show_dump(const struct dump_stats *s);
void stats_show_restore(const struct restore_stats *s);

#endif /* CRIU_STATS_H */
