/*
 * timerfd ("anon_inode:[timerfd]"): the TIMERFD kind of files.img.
 *
 * Dump reads from fdinfo the clock, the expirations not yet read
 * ("ticks:"), the settime flags, the time left to the next expiry
 * ("it_value:", always relative) and the interval, and writes a file_entry
 * with its tfd part as CRIU does.
 *
 * Restore: open() makes an unarmed timerfd of that clock (in whichever
 * process runs it); post_open(), in the task, arms it as late as criu can
 * (the time left counts from there, as it does for CRIU, which arms it in
 * its restorer) and then puts the unread expirations back with
 * TFD_IOC_SET_TICKS (which settime would reset).  An absolute timer is
 * armed at now + the time that was left.  A periodic timer whose expiry
 * had passed unread shows 0 left: it is armed one interval ahead, and its
 * ticks are those fdinfo showed (the overruns the kernel would add at the
 * next read are not shown, so they are lost).
 */
#define LOG_PREFIX "timerfd: "

#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "log.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif
#ifndef CLOCK_REALTIME_ALARM
#define CLOCK_REALTIME_ALARM 8
#endif
#ifndef CLOCK_BOOTTIME_ALARM
#define CLOCK_BOOTTIME_ALARM 9
#endif

#define NSEC_PER_SEC 1000000000ULL

static bool timerfd_match(const struct fd_parms *p)
{
	return ev_anon_is(p, "[timerfd]");
}

static bool clock_ok(uint32_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC || c == CLOCK_BOOTTIME || c == CLOCK_REALTIME_ALARM ||
	       c == CLOCK_BOOTTIME_ALARM;
}

static int timerfd_dump(const struct fd_parms *p, uint32_t id)
{
	TimerfdEntry tfe = TIMERFD_ENTRY__INIT;
	FileEntry fe = FILE_ENTRY__INIT;
	_cleanup_free_ char *text = NULL;
	unsigned long long ticks, vs, vns, is, ins;
	unsigned int clk, sflags;
	const char *a, *b, *c, *v, *i;
	int r;

	r = ev_read_fdinfo(p, &text);
	if (r)
		return r;
	a = ev_field(text, "clockid:");
	b = ev_field(text, "ticks:");
	c = ev_field(text, "settime flags:");
	v = ev_field(text, "it_value:");
	i = ev_field(text, "it_interval:");
	if (!a || !b || !c || !v || !i || sscanf(a, "%u", &clk) != 1 || sscanf(b, "%llu", &ticks) != 1 ||
	    sscanf(c, "%o", &sflags) != 1 || sscanf(v, " (%llu, %llu)", &vs, &vns) != 2 ||
	    sscanf(i, " (%llu, %llu)", &is, &ins) != 2) {
		pr_err("%s: can't read the timer from its fdinfo\n", p->what);
		return -EINVAL;
	}
	if (!clock_ok(clk)) {
		pr_err("%s: timerfd of clock %u: not supported\n", p->what, clk);
		return -EOPNOTSUPP;
	}
	tfe.id = id;
	tfe.flags = p->flags;
	tfe.fown = ev_fown(p);
	tfe.clockid = clk;
	tfe.ticks = ticks;
	tfe.settime_flags = sflags;
	tfe.vsec = vs;
	tfe.vnsec = vns;
	tfe.isec = is;
	tfe.insec = ins;
	fe.type = FD_TYPES__TIMERFD;
	fe.id = id;
	fe.tfd = &tfe;
	pr_info("%s: timerfd clock %u, %llu.%09llu s left, interval %llu.%09llu s, %llu ticks, flags %#o\n", p->what,
		clk, vs, vns, is, ins, ticks, sflags);
	return files_add_entry(&fe);
}

static int timerfd_collect(struct file_desc *d)
{
	const TimerfdEntry *t = d->fe->tfd;

	if (!t)
		return pr_err_ret(-EINVAL, "files.img: timerfd entry %u has no tfd part", d->id);
	if (!clock_ok(t->clockid)) {
		pr_err("timerfd %u: unknown clock %u\n", d->id, t->clockid);
		return -EINVAL;
	}
	if (t->vnsec >= NSEC_PER_SEC || t->insec >= NSEC_PER_SEC) {
		pr_err("timerfd %u: nanoseconds out of range\n", d->id);
		return -EINVAL;
	}
	return 0;
}

static int timerfd_open(struct file_desc *d, int *fd)
{
	const TimerfdEntry *t = d->fe->tfd;
	_cleanup_close_ int tfd = -1;
	char what[48];
	int r;

	snprintf(what, sizeof(what), "timerfd %u", d->id);
	tfd = timerfd_create(t->clockid, TFD_CLOEXEC);
	if (tfd < 0)
		return pr_err_ret(-errno, "can't create %s (clock %u)", what, t->clockid);
	r = ev_set_file_params(tfd, t->flags, t->fown, what);
	if (r)
		return r;
	*fd = TAKE_FD(tfd);
	return 0;
}

/* Arm the timer and put its unread expirations back, in the task. */
static int timerfd_post_open(struct file_desc *d, int fd)
{
	const TimerfdEntry *t = d->fe->tfd;
	struct itimerspec its = {
		.it_value = { .tv_sec = t->vsec, .tv_nsec = t->vnsec },
		.it_interval = { .tv_sec = t->isec, .tv_nsec = t->insec },
	};
	bool zero_value = !t->vsec && !t->vnsec;

	/* Expired unread and periodic: the next expiry is one interval on. */
	if (zero_value && (t->isec || t->insec))
		its.it_value = its.it_interval;
	if (t->settime_flags & TFD_TIMER_ABSTIME && (its.it_value.tv_sec || its.it_value.tv_nsec)) {
		struct timespec now;

		if (clock_gettime(t->clockid, &now))
			return pr_err_ret(-errno, "timerfd %u: can't read clock %u", d->id, t->clockid);
		its.it_value.tv_sec += now.tv_sec;
		its.it_value.tv_nsec += now.tv_nsec;
		if (its.it_value.tv_nsec >= (long)NSEC_PER_SEC) {
			its.it_value.tv_nsec -= NSEC_PER_SEC;
			its.it_value.tv_sec++;
		}
	}
	if (timerfd_settime(fd, t->settime_flags, &its, NULL))
		return pr_err_ret(-errno, "timerfd %u (fd %d): can't arm it", d->id, fd);
	if (t->ticks) {
		uint64_t ticks = t->ticks;

		if (ioctl(fd, TFD_IOC_SET_TICKS, &ticks))
			return pr_err_ret(-errno, "timerfd %u (fd %d): can't set %llu unread expirations", d->id, fd,
					  (unsigned long long)ticks);
	}
	pr_info("timerfd %u at fd %d armed: %lld.%09ld s, interval %lld.%09ld s, %llu ticks\n", d->id, fd,
		(long long)its.it_value.tv_sec, its.it_value.tv_nsec, (long long)its.it_interval.tv_sec,
		its.it_interval.tv_nsec, (unsigned long long)t->ticks);
	return 0;
}

const struct fd_kind timerfd_kind = {
	.name = "timerfd",
	.type = FD_TYPES__TIMERFD,
	.match = timerfd_match,
	.dump = timerfd_dump,
	.collect = timerfd_collect,
	.open = timerfd_open,
	.post_open = timerfd_post_open,
};
