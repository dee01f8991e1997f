/*
 * Memory-class character devices: /dev/null, /dev/zero, /dev/full,
 * /dev/random, /dev/urandom.  CRIU writes these as REG entries (path and
 * mode, no size) and reopens them by path, so this kind only decides at
 * dump which devices are that simple; restore is the REG kind's.  Other
 * character devices (terminals, misc devices) are refused by the registry
 * until a kind of their own handles them.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "file-kinds.h"

#define MEM_MAJOR 1

static bool char_dev_match(const struct fd_parms *p)
{
	if (!S_ISCHR(p->st.st_mode) || major(p->st.st_rdev) != MEM_MAJOR || p->link[0] != '/')
		return false;
	switch (minor(p->st.st_rdev)) {
	case 3: /* null */
	case 5: /* zero */
	case 7: /* full */
	case 8: /* random */
	case 9: /* urandom */
		return true;
	}
	return false;
}

const struct fd_kind char_dev_kind = {
	.name = "memory device", .type = FD_TYPES__REG, .match = char_dev_match, .dump = reg_dump_entry,
	/* restore: a REG entry, opened by the regular-file kind */
};
