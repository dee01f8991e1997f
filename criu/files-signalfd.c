/*
 * signalfd ("anon_inode:[signalfd]"): the SIGNALFD kind of files.img.
 *
 * A signalfd holds only its mask; the signals it reads are the reading
 * task's pending ones, which the task's own state carries (core image).
 * Dump reads "sigmask:" from fdinfo (64 bits, hex, signal N at bit N-1)
 * and writes a file_entry with its sgfd part as CRIU does; restore makes
 * a new signalfd with that mask, flags and SIGIO owner.  Nothing in it
 * depends on the process that runs open().
 */
#define LOG_PREFIX "signalfd: "

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "events.h"
#include "log.h"

static bool signalfd_match(const struct fd_parms *p)
{
	return ev_anon_is(p, "[signalfd]");
}

static int signalfd_dump(const struct fd_parms *p, uint32_t id)
{
	SignalfdEntry sfe = SIGNALFD_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	_cleanup_free_ char *text = NULL;
	unsigned long long mask;
	const char *v;
	int r;

	r = ev_read_fdinfo(p, &text);
	if (r)
		return r;
	v = ev_field(text, "sigmask:");
	if (!v || sscanf(v, "%llx", &mask) != 1) {
		pr_err("%s: no sigmask in its fdinfo\n", p->what);
		return -EINVAL;
	}
	sfe.id = id;
	sfe.flags = p->flags;
	sfe.fown = ev_fown(p);
	sfe.sigmask = mask;
	fe.type = FD_TYPES__SIGNALFD;
	fe.id = id;
	fe.sgfd = &sfe;
	pr_info("%s: signalfd mask %#llx\n", p->what, mask);
	return files_add_entry(&fe);
}

static int signalfd_collect(struct file_desc *d)
{
	if (!d->fe->sgfd)
		return pr_err_ret(-EINVAL, "files.img: signalfd entry %u has no sgfd part", d->id);
	return 0;
}

static int signalfd_open(struct file_desc *d, int *fd)
{
	const SignalfdEntry *sfe = d->fe->sgfd;
	_cleanup_close_ int sfd = -1;
	char what[48];
	sigset_t set;
	int r;

	snprintf(what, sizeof(what), "signalfd %u", d->id);
	/* The kernel's 64-bit set is the first word of glibc's (which
	 * sigaddset() can't fill: it refuses glibc's reserved signals). */
	sigemptyset(&set);
	memcpy(&set, &sfe->sigmask, sizeof(uint64_t));
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return pr_err_ret(-errno, "can't create %s with mask %#" PRIx64, what, sfe->sigmask);
	r = ev_set_file_params(sfd, sfe->flags, sfe->fown, what);
	if (r)
		return r;
	*fd = TAKE_FD(sfd);
	return 0;
}

const struct fd_kind signalfd_kind = {
	.name = "signalfd",
	.type = FD_TYPES__SIGNALFD,
	.match = signalfd_match,
	.dump = signalfd_dump,
	.collect = signalfd_collect,
	.open = signalfd_open,
};
