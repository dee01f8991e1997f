/*
 * inotify ("anon_inode:inotify") and fanotify ("anon_inode:[fanotify]"):
 * the INOTIFY and FANOTIFY kinds of files.img.
 *
 * Dump reads the watches (inotify) and marks (fanotify) from fdinfo and
 * writes a file_entry with its ify / ffy part as CRIU does.  An inode is
 * kept as the kernel's file handle of it (fdinfo prints it) and, for
 * restore elsewhere, its path as criu sees it (found through the handle);
 * a fanotify mount mark as the mount's id and mount point.
 *
 * Restore (open(), in whichever process runs it): a new inotify or
 * fanotify group; each inode is opened by its handle first (the very
 * inode, also if it was renamed or is a hard link with several names) and
 * by its path if the handle does not open (another filesystem instance:
 * another machine, a tmpfs made anew); the watch is added through
 * /proc/self/fd/N.  inotify watch descriptors are numbered by the kernel
 * in order: watches are added by increasing wd, and a number below the
 * one wanted is removed and taken again until it matches; the IN_IGNORED
 * events that makes are read off the new queue before the task gets it.
 *
 * Events queued and not yet read at dump time are lost (as with CRIU).
 * Refused by name: watches on a deleted inode or on a filesystem without
 * file handles, fanotify filesystem marks, and fanotify groups asking for
 * permission events (criu's own opens during restore would wait for an
 * answer from the task, which runs only afterwards).
 */
#define LOG_PREFIX "fsnotify: "

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "proc-parse.h"

#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE 0x00000200
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif
#define FAN_PERM_EVENTS (0x00010000 | 0x00020000 | 0x00040000 | 0x00100000)
/* Flags that only steer inotify_add_watch() itself. */
#define IN_ADD_ONLY (IN_ONLYDIR | IN_DONT_FOLLOW | IN_MASK_ADD | IN_MASK_CREATE)
/* No more dummy watches than this to reach a wd. */
#define MAX_WD_STEPS (1 << 20)

static inline unsigned int kmajor(uint32_t kdev)
{
	return kdev >> 20;
}

static inline unsigned int kminor(uint32_t kdev)
{
	return kdev & 0xfffff;
}

/* What the dump of one inode watch or mark keeps (fh_entry lives here). */
struct watched {
	FhEntry fh;
	uint64_t words[16];
	char path[4096];
};

static void fh_like(const FhEntry *fh, struct fh_entry_like *l)
{
	*l = (struct fh_entry_like){
		.bytes = fh->bytes, .type = fh->type, .handle = fh->handle, .n_handle = fh->n_handle, .path = fh->path
	};
}

/*
 * Fill @w from the "fhandle-bytes:%x fhandle-type:%x f_handle:HEX" tail of
 * an fdinfo line (@tail NULL: the kernel gave no handle) and find the path.
 */
static int dump_watched(const struct fd_parms *p, const char *tail, uint32_t kdev, uint64_t ino, struct watched *w)
{
	struct fh_entry_like l;
	unsigned int bytes, type;
	char hex[300];
	int r;

	fh_entry__init(&w->fh);
	if (!tail || sscanf(tail, "fhandle-bytes:%x fhandle-type:%x f_handle:%299s", &bytes, &type, hex) != 3) {
		pr_err("%s: watch on inode %#" PRIx64 " of device %u:%u, a filesystem without file handles: "
		       "not supported\n",
		       p->what, ino, kmajor(kdev), kminor(kdev));
		return -EOPNOTSUPP;
	}
	if (ev_parse_handle(hex, bytes, w->words)) {
		pr_err("%s: can't read the file handle \"%s\" of inode %#" PRIx64 "\n", p->what, hex, ino);
		return -EINVAL;
	}
	w->fh.bytes = bytes;
	w->fh.type = type;
	w->fh.n_handle = 16;
	w->fh.handle = w->words;
	fh_like(&w->fh, &l);
	r = ev_handle_path(&l, kdev, w->path, sizeof(w->path));
	if (r == -ENOENT) {
		pr_err("%s: watch on inode %#" PRIx64 " of device %u:%u, which is deleted: not supported\n", p->what,
		       ino, kmajor(kdev), kminor(kdev));
		return -EOPNOTSUPP;
	}
	if (r) {
		pr_err("%s: can't open inode %#" PRIx64 " of device %u:%u by its file handle: %s\n", p->what, ino,
		       kmajor(kdev), kminor(kdev), strerror(-r));
		return r;
	}
	w->fh.path = w->path;
	return 0;
}

/* ================================================================ inotify */

static bool inotify_match(const struct fd_parms *p)
{
	return ev_anon_is(p, "inotify");
}

static int inotify_dump(const struct fd_parms *p, uint32_t id)
{
	InotifyFileEntry ife = INOTIFY_FILE_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ InotifyWdEntry *wd = NULL;
	_cleanup_free_ InotifyWdEntry **wdp = NULL;
	_cleanup_free_ struct watched *w = NULL;
	size_t nr = 0, max = 0, maxw = 0;
	int r;

	r = ev_read_fdinfo(p, &text);
	if (r)
		return r;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned int wdn, sdev, mask, ign;
		unsigned long long ino;
		int n = 0;

		if (strncmp(l, "inotify wd:", 11))
			continue;
		if (sscanf(l, "inotify wd:%x ino:%llx sdev:%x mask:%x ignored_mask:%x %n", &wdn, &ino, &sdev, &mask,
			   &ign, &n) != 5 ||
		    !n) {
			pr_err("%s: can't read inotify fdinfo line \"%.80s\"\n", p->what, l);
			return -EINVAL;
		}
		if (files_grow((void **)&wd, &max, nr + 1, sizeof(*wd)) ||
		    files_grow((void **)&w, &maxw, nr + 1, sizeof(*w)))
			return -ENOMEM;
		r = dump_watched(p, strncmp(l + n, "fhandle-bytes:", 14) ? NULL : l + n, sdev, ino, &w[nr]);
		if (r)
			return r;
		inotify_wd_entry__init(&wd[nr]);
		wd[nr].id = id;
		wd[nr].i_ino = ino;
		wd[nr].mask = mask;
		wd[nr].ignored_mask = ign;
		wd[nr].s_dev = sdev;
		wd[nr].wd = wdn;
		nr++;
	}
	wdp = xmalloc((nr ?: 1) * sizeof(*wdp));
	if (!wdp)
		return -ENOMEM;
	/* w moved while growing: point the entries at their handles now. */
	for (size_t i = 0; i < nr; i++) {
		w[i].fh.handle = w[i].words;
		w[i].fh.path = w[i].path;
		wd[i].f_handle = &w[i].fh;
		wdp[i] = &wd[i];
		pr_info("%s: inotify wd %u on %s, mask %#x\n", p->what, wd[i].wd, w[i].path, wd[i].mask);
	}
	ife.id = id;
	ife.flags = p->flags;
	ife.fown = ev_fown(p);
	ife.n_wd = nr;
	ife.wd = wdp;
	fe.type = FD_TYPES__INOTIFY;
	fe.id = id;
	fe.ify = &ife;
	return files_add_entry(&fe);
}

static int check_fh(const FhEntry *fh, uint32_t id)
{
	if (!fh || fh->bytes > fh->n_handle * sizeof(uint64_t))
		return pr_err_ret(-EINVAL, "files.img: watch of notify file %u has a bad file handle", id);
	return 0;
}

static int inotify_collect(struct file_desc *d)
{
	const InotifyFileEntry *ife = d->fe->ify;

	if (!ife)
		return pr_err_ret(-EINVAL, "files.img: inotify entry %u has no ify part", d->id);
	for (size_t i = 0; i < ife->n_wd; i++) {
		int r = check_fh(ife->wd[i]->f_handle, d->id);

		if (r)
			return r;
		for (size_t j = 0; j < i; j++)
			if (ife->wd[j]->wd == ife->wd[i]->wd)
				return pr_err_ret(-EINVAL, "inotify %u: wd %u is listed twice", d->id, ife->wd[i]->wd);
	}
	return 0;
}

static int cmp_wd(const void *a, const void *b)
{
	const InotifyWdEntry *x = *(InotifyWdEntry *const *)a, *y = *(InotifyWdEntry *const *)b;

	return (x->wd > y->wd) - (x->wd < y->wd);
}

/* Add watch @e to @ifd so that it gets its own wd number back. */
static int add_watch(int ifd, const InotifyWdEntry *e, uint32_t id)
{
	struct fh_entry_like l;
	_cleanup_close_ int tfd = -1;
	char what[64], path[64];
	uint32_t mask = e->mask & ~IN_ADD_ONLY;

	snprintf(what, sizeof(what), "inotify %u wd %u", id, e->wd);
	fh_like(e->f_handle, &l);
	tfd = ev_open_watched(&l, e->s_dev, what);
	if (tfd < 0)
		return tfd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", tfd);
	for (int step = 0; step < MAX_WD_STEPS; step++) {
		int wd = inotify_add_watch(ifd, path, mask);

		if (wd < 0)
			return pr_err_ret(-errno, "%s: can't watch %s", what, l.path ?: path);
		if ((uint32_t)wd == e->wd)
			return 0;
		if ((uint32_t)wd > e->wd) {
			pr_err("%s: the kernel gave wd %d, past the one wanted\n", what, wd);
			return -EINVAL;
		}
		/* Too low: drop it, the next one the kernel gives is one higher. */
		if (inotify_rm_watch(ifd, wd))
			return pr_err_ret(-errno, "%s: can't remove stand-in wd %d", what, wd);
	}
	pr_err("%s: wd not reached after %d watches\n", what, MAX_WD_STEPS);
	return -E2BIG;
}

/* Read away what the stand-in watches queued (IN_IGNORED events). */
static int drain(int ifd, uint32_t id)
{
	char buf[4096];

	for (;;) {
		int avail = 0;
		ssize_t n;

		if (ioctl(ifd, FIONREAD, &avail))
			return pr_err_ret(-errno, "inotify %u: can't see its queue", id);
		if (avail <= 0)
			return 0;
		n = read(ifd, buf, sizeof(buf));
		if (n < 0 && errno != EINTR)
			return pr_err_ret(-errno, "inotify %u: can't empty its queue", id);
	}
}

static int inotify_open(struct file_desc *d, int *fd)
{
	const InotifyFileEntry *ife = d->fe->ify;
	_cleanup_free_ InotifyWdEntry **sorted = NULL;
	_cleanup_close_ int ifd = -1;
	char what[48];
	int r;

	snprintf(what, sizeof(what), "inotify %u", d->id);
	ifd = inotify_init1(IN_CLOEXEC);
	if (ifd < 0)
		return pr_err_ret(-errno, "can't create %s", what);
	sorted = xmalloc((ife->n_wd ?: 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, ife->wd, ife->n_wd * sizeof(*sorted));
	qsort(sorted, ife->n_wd, sizeof(*sorted), cmp_wd);
	for (size_t i = 0; i < ife->n_wd; i++) {
		r = add_watch(ifd, sorted[i], d->id);
		if (r)
			return r;
	}
	r = drain(ifd, d->id);
	if (!r)
		r = ev_set_file_params(ifd, ife->flags, ife->fown, what);
	if (r)
		return r;
	pr_info("%s: %zu watches\n", what, ife->n_wd);
	*fd = TAKE_FD(ifd);
	return 0;
}

const struct fd_kind inotify_kind = {
	.name = "inotify",
	.type = FD_TYPES__INOTIFY,
	.match = inotify_match,
	.dump = inotify_dump,
	.collect = inotify_collect,
	.open = inotify_open,
};

/* ================================================================ fanotify */

static bool fanotify_match(const struct fd_parms *p)
{
	return ev_anon_is(p, "[fanotify]");
}

/* The mount point of mount @mnt_id as task @pid sees it, into @buf. */
static int mount_point(pid_t pid, unsigned int mnt_id, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = proc_read_file(pid, "mountinfo", &text, NULL);
	if (r)
		return r;
	for (char *l = text; l && *l;) {
		char *nl = strchr(l, '\n');
		unsigned int id;
		char mp[4096];

		if (nl)
			*nl = '\0';
		if (sscanf(l, "%u %*u %*u:%*u %*s %4095s", &id, mp) == 2 && id == mnt_id) {
			/* Spaces and such are octal escapes in mountinfo. */
			size_t o = 0;

			for (const char *c = mp; *c && o + 1 < size; c++) {
				unsigned int v;

				if (c[0] == '\\' && sscanf(c + 1, "%3o", &v) == 1) {
					buf[o++] = v;
					c += 3;
				} else {
					buf[o++] = *c;
				}
			}
			buf[o] = '\0';
			return 0;
		}
		l = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

/* Marks as dumped: the entries and what they point at. */
struct fan_marks {
	FanotifyMarkEntry *m;
	FanotifyInodeMarkEntry *ie;
	FanotifyMountMarkEntry *me;
	struct watched *w;
	char (*mp)[4096];
	size_t nr, max;
};

static void fan_marks_free(struct fan_marks *fm)
{
	free(fm->m);
	free(fm->ie);
	free(fm->me);
	free(fm->w);
	free(fm->mp);
}

static int fan_marks_grow(struct fan_marks *fm)
{
	size_t max = fm->max, need = fm->nr + 1;

	if (need <= max)
		return 0;
	max = max ? max * 2 : 8;
#define GROW(f)                                                  \
	do {                                                     \
		void *n = xrealloc(fm->f, max * sizeof(*fm->f)); \
		if (!n)                                          \
			return -ENOMEM;                          \
		fm->f = n;                                       \
	} while (0)
	GROW(m);
	GROW(ie);
	GROW(me);
	GROW(w);
	GROW(mp);
#undef GROW
	fm->max = max;
	return 0;
}

static int parse_fan_mark(const struct fd_parms *p, const char *l, uint32_t id, struct fan_marks *fm)
{
	size_t i = fm->nr;
	FanotifyMarkEntry *m = &fm->m[i];
	unsigned int a, sdev, mflags, mask, ign;
	unsigned long long ino;
	int n = 0, r;

	fanotify_mark_entry__init(m);
	m->id = id;
	if (sscanf(l, "fanotify ino:%llx sdev:%x mflags:%x mask:%x ignored_mask:%x %n", &ino, &sdev, &mflags, &mask,
		   &ign, &n) == 5 &&
	    n) {
		r = dump_watched(p, strncmp(l + n, "fhandle-bytes:", 14) ? NULL : l + n, sdev, ino, &fm->w[i]);
		if (r)
			return r;
		fanotify_inode_mark_entry__init(&fm->ie[i]);
		fm->ie[i].i_ino = ino;
		m->type = MARK_TYPE__INODE;
		m->s_dev = sdev;
	} else if (sscanf(l, "fanotify mnt_id:%x mflags:%x mask:%x ignored_mask:%x", &a, &mflags, &mask, &ign) == 4) {
		r = mount_point(p->pid, a, fm->mp[i], sizeof(fm->mp[i]));
		if (r) {
			pr_err("%s: fanotify mark on mount %u, which task %d does not show: %s\n", p->what, a, p->pid,
			       strerror(-r));
			return r;
		}
		fanotify_mount_mark_entry__init(&fm->me[i]);
		fm->me[i].mnt_id = a;
		m->type = MARK_TYPE__MOUNT;
	} else if (!strncmp(l, "fanotify sdev:", 14)) {
		pr_err("%s: fanotify mark on a whole filesystem (FAN_MARK_FILESYSTEM): not supported\n", p->what);
		return -EOPNOTSUPP;
	} else {
		pr_err("%s: can't read fanotify fdinfo line \"%.80s\"\n", p->what, l);
		return -EINVAL;
	}
	if ((mask | ign) & FAN_PERM_EVENTS) {
		pr_err("%s: fanotify mark with permission events (mask %#x): not supported (criu's own work "
		       "during restore would wait for the task's answer)\n",
		       p->what, mask);
		return -EOPNOTSUPP;
	}
	m->mflags = mflags;
	m->mask = mask;
	m->ignored_mask = ign;
	fm->nr++;
	return 0;
}

static int fanotify_dump(const struct fd_parms *p, uint32_t id)
{
	FanotifyFileEntry ffe = FANOTIFY_FILE_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ FanotifyMarkEntry **mp = NULL;
	struct fan_marks fm = { 0 };
	unsigned int faflags, evflags;
	const char *v;
	int r;

	r = ev_read_fdinfo(p, &text);
	if (r)
		return r;
	v = ev_field(text, "fanotify flags:");
	if (!v || sscanf(v, "%x event-flags:%x", &faflags, &evflags) != 2) {
		pr_err("%s: no fanotify flags in its fdinfo\n", p->what);
		return -EINVAL;
	}
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, "fanotify ", 9) || !strncmp(l, "fanotify flags:", 15))
			continue;
		r = fan_marks_grow(&fm);
		if (!r)
			r = parse_fan_mark(p, l, id, &fm);
		if (r)
			goto out;
	}
	mp = xmalloc((fm.nr ?: 1) * sizeof(*mp));
	if (!mp) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < fm.nr; i++) {
		FanotifyMarkEntry *m = &fm.m[i];

		if (m->type == MARK_TYPE__INODE) {
			fm.w[i].fh.handle = fm.w[i].words;
			fm.w[i].fh.path = fm.w[i].path;
			fm.ie[i].f_handle = &fm.w[i].fh;
			m->ie = &fm.ie[i];
		} else {
			fm.me[i].path = fm.mp[i];
			m->me = &fm.me[i];
		}
		mp[i] = m;
		pr_info("%s: fanotify %s mark on %s, mask %#x, ignored %#x, flags %#x\n", p->what,
			m->type == MARK_TYPE__INODE ? "inode" : "mount",
			m->type == MARK_TYPE__INODE ? fm.w[i].path : fm.mp[i], m->mask, m->ignored_mask, m->mflags);
	}
	ffe.id = id;
	ffe.flags = p->flags;
	ffe.fown = ev_fown(p);
	ffe.faflags = faflags;
	ffe.evflags = evflags;
	ffe.n_mark = fm.nr;
	ffe.mark = mp;
	fe.type = FD_TYPES__FANOTIFY;
	fe.id = id;
	fe.ffy = &ffe;
	r = files_add_entry(&fe);
out:
	fan_marks_free(&fm);
	return r;
}

static int fanotify_collect(struct file_desc *d)
{
	const FanotifyFileEntry *ffe = d->fe->ffy;

	if (!ffe)
		return pr_err_ret(-EINVAL, "files.img: fanotify entry %u has no ffy part", d->id);
	for (size_t i = 0; i < ffe->n_mark; i++) {
		const FanotifyMarkEntry *m = ffe->mark[i];

		if (m->type == MARK_TYPE__INODE) {
			int r = m->ie ? check_fh(m->ie->f_handle, d->id) : -EINVAL;

			if (r)
				return pr_err_ret(r, "fanotify %u: inode mark %zu is incomplete", d->id, i);
		} else if (m->type == MARK_TYPE__MOUNT) {
			if (!m->me || !m->me->path)
				return pr_err_ret(-EINVAL, "fanotify %u: mount mark %zu has no mount point", d->id, i);
		} else {
			return pr_err_ret(-EINVAL, "fanotify %u: mark %zu of unknown type %d", d->id, i, m->type);
		}
	}
	return 0;
}

static int add_mark(int ffd, const FanotifyMarkEntry *m, uint32_t id)
{
	_cleanup_close_ int tfd = -1;
	char what[64], proc[64];
	const char *path;
	unsigned int base = FAN_MARK_ADD;

	snprintf(what, sizeof(what), "fanotify %u", id);
	if (m->type == MARK_TYPE__INODE) {
		struct fh_entry_like l;

		fh_like(m->ie->f_handle, &l);
		tfd = ev_open_watched(&l, m->s_dev, what);
		if (tfd < 0)
			return tfd;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", tfd);
		path = proc;
		base |= m->mflags & FAN_MARK_EVICTABLE;
	} else {
		path = m->me->path;
		base |= FAN_MARK_MOUNT;
	}
	if (m->mask && fanotify_mark(ffd, base, m->mask, AT_FDCWD, path))
		return pr_err_ret(-errno, "%s: can't mark %s with %#x", what, path, m->mask);
	if (m->ignored_mask) {
		unsigned int fl = base | (m->mflags & FAN_MARK_IGNORED_SURV_MODIFY);

		fl |= (m->mflags & FAN_MARK_IGNORE) ? FAN_MARK_IGNORE : FAN_MARK_IGNORED_MASK;
		if (fanotify_mark(ffd, fl, m->ignored_mask, AT_FDCWD, path))
			return pr_err_ret(-errno, "%s: can't mark %s to ignore %#x", what, path, m->ignored_mask);
	}
	return 0;
}

static int fanotify_open(struct file_desc *d, int *fd)
{
	const FanotifyFileEntry *ffe = d->fe->ffy;
	_cleanup_close_ int ffd = -1;
	char what[48];
	int r;

	snprintf(what, sizeof(what), "fanotify %u", d->id);
	ffd = fanotify_init(ffe->faflags | FAN_CLOEXEC, ffe->evflags);
	if (ffd < 0)
		return pr_err_ret(-errno, "can't create %s (flags %#x, event flags %#x)", what, ffe->faflags,
				  ffe->evflags);
	for (size_t i = 0; i < ffe->n_mark; i++) {
		r = add_mark(ffd, ffe->mark[i], d->id);
		if (r)
			return r;
	}
	r = ev_set_file_params(ffd, ffe->flags, ffe->fown, what);
	if (r)
		return r;
	pr_info("%s: %zu marks\n", what, ffe->n_mark);
	*fd = TAKE_FD(ffd);
	return 0;
}

const struct fd_kind fanotify_kind = {
	.name = "fanotify",
	.type = FD_TYPES__FANOTIFY,
	.match = fanotify_match,
	.dump = fanotify_dump,
	.collect = fanotify_collect,
	.open = fanotify_open,
};
