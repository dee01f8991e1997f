/*
 * eventfd ("anon_inode:[eventfd]"): the EVENTFD kind of files.img.
 *
 * Dump reads the counter ("eventfd-count:", hex) and the semaphore mode
 * ("eventfd-semaphore:", shown since Linux 6.6) from fdinfo and writes a
 * file_entry with its efd part as CRIU does, plus our own semaphore field
 * (CRIU keeps no semaphore mode).  Restore makes a new eventfd with that
 * mode and writes the counter into it; flags and SIGIO owner follow.
 *
 * File locks have no fd kind of their own: their image hooks ride on this
 * kind's (see file-locks.c).
 */
#define LOG_PREFIX "eventfd: "

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "events.h"
#include "log.h"

static bool eventfd_match(const struct fd_parms *p)
{
	return ev_anon_is(p, "[eventfd]");
}

static int eventfd_dump(const struct fd_parms *p, uint32_t id)
{
	EventfdFileEntry efe = EVENTFD_FILE_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	_cleanup_free_ char *text = NULL;
	const char *v;
	unsigned long long cnt;
	int r, sem = 0;

	r = ev_read_fdinfo(p, &text);
	if (r)
		return r;
	v = ev_field(text, "eventfd-count:");
	if (!v || sscanf(v, "%llx", &cnt) != 1) {
		pr_err("%s: no eventfd-count in its fdinfo\n", p->what);
		return -EINVAL;
	}
	v = ev_field(text, "eventfd-semaphore:");
	if (v && sscanf(v, "%d", &sem) != 1) {
		pr_err("%s: can't read eventfd-semaphore in its fdinfo\n", p->what);
		return -EINVAL;
	}
	if (!v)
		pr_warn("%s: this kernel does not show the semaphore mode: restored as a plain eventfd\n", p->what);
	efe.id = id;
	efe.flags = p->flags;
	efe.fown = ev_fown(p);
	efe.counter = cnt;
	if (sem) {
		efe.has_semaphore = true;
		efe.semaphore = true;
	}
	fe.type = FD_TYPES__EVENTFD;
	fe.id = id;
	fe.efd = &efe;
	pr_info("%s: eventfd counter %#llx%s\n", p->what, cnt, sem ? ", semaphore" : "");
	return files_add_entry(&fe);
}

static int eventfd_collect(struct file_desc *d)
{
	if (!d->fe->efd)
		return pr_err_ret(-EINVAL, "files.img: eventfd entry %u has no efd part", d->id);
	return 0;
}

static int eventfd_open(struct file_desc *d, int *fd)
{
	const EventfdFileEntry *efe = d->fe->efd;
	_cleanup_close_ int efd = -1;
	char what[48];
	int r;

	snprintf(what, sizeof(what), "eventfd %u", d->id);
	efd = eventfd(0, EFD_CLOEXEC | (efe->semaphore ? EFD_SEMAPHORE : 0));
	if (efd < 0)
		return pr_err_ret(-errno, "can't create %s", what);
	/* A write adds to the counter: from 0, any valid count goes in at once. */
	if (efe->counter) {
		uint64_t c = efe->counter;

		if (c == UINT64_MAX)
			return pr_err_ret(-EINVAL, "%s: counter %#" PRIx64 " is out of range", what, c);
		if (write(efd, &c, sizeof(c)) != sizeof(c))
			return pr_err_ret(-errno, "%s: can't set the counter to %#" PRIx64, what, c);
	}
	r = ev_set_file_params(efd, efe->flags, efe->fown, what);
	if (r)
		return r;
	*fd = TAKE_FD(efd);
	return 0;
}

const struct fd_kind eventfd_kind = {
	.name = "eventfd",
	.type = FD_TYPES__EVENTFD,
	.match = eventfd_match,
	.dump = eventfd_dump,
	.collect = eventfd_collect,
	.open = eventfd_open,
	/* filelocks.img: file locks belong to no fd kind; they ride here. */
	.dump_finish = file_locks_dump_finish,
	.dump_fini = file_locks_dump_fini,
	.collect_images = file_locks_collect,
	.restore_fini = file_locks_restore_fini,
};
