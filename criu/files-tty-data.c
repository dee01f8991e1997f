/*
 * Bytes waiting in a pty: read them at dump, put them back (after a dump
 * the task survives) or into the restored pty.  See criu/include/tty.h.
 */
#define LOG_PREFIX "tty: "

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <asm/termbits.h>

#include "common.h"
#include "log.h"
#include "tty.h"

#define WAIT_MS 1000 /* longest wait for room or for bytes in flight */

void tty_queue_free(struct tty_queue *q)
{
	free(q->out);
	free(q->in);
	memset(q, 0, sizeof(*q));
}

static int append(uint8_t **buf, size_t *len, const uint8_t *data, size_t n, const char *what)
{
	uint8_t *p;

	if (*len + n > TTY_QUEUE_MAX) {
		pr_warn("%s: more than %u bytes wait in the pty: the rest is dropped\n", what, TTY_QUEUE_MAX);
		n = TTY_QUEUE_MAX - *len;
	}
	if (!n)
		return 0;
	p = xrealloc(*buf, *len + n);
	if (!p)
		return -ENOMEM;
	memcpy(p + *len, data, n);
	*buf = p;
	*len += n;
	return 0;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/*
 * What the master can read.  @master is the task's description: it is not
 * made non-blocking, each read follows a poll that says it will not block.
 * In packet mode every read starts with a status byte: data comes after a
 * zero one, other status bytes are events and are dropped.
 */
static int drain_master(int master, bool packet, struct tty_queue *q, const char *what)
{
	uint8_t buf[4096 + 1];

	while (readable(master)) {
		ssize_t n = read(master, buf, sizeof(buf));
		int r;

		if (n <= 0)
			break; /* EIO: the slave side is closed, nothing more */
		if (packet && buf[0] != 0)
			continue;
		r = append(&q->out, &q->out_len, buf + packet, n - packet, what);
		if (r)
			return r;
	}
	return 0;
}

/* What the slave can read, partial line included: canonical mode off meanwhile. */
static int drain_slave(int slave, struct tty_queue *q, const char *what)
{
	struct termios cur, raw;
	uint8_t buf[4096];
	int r = 0;

	if (ioctl(slave, TCGETS, &cur) < 0)
		return pr_err_ret(-errno, "%s: can't read the termios", what);
	raw = cur;
	raw.c_lflag &= ~ICANON;
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (ioctl(slave, TCSETS, &raw) < 0)
		return pr_err_ret(-errno, "%s: can't leave canonical mode to read what waits", what);
	for (;;) {
		ssize_t n = read(slave, buf, sizeof(buf));

		if (n <= 0)
			break;
		r = append(&q->in, &q->in_len, buf, n, what);
		if (r)
			break;
	}
	if (ioctl(slave, TCSETS, &cur) < 0)
		r = pr_err_ret(-errno, "%s: can't set the termios back", what);
	return r;
}

int tty_queue_drain(int master, bool packet, int *slave, struct tty_queue *q, const char *what)
{
	int r;

	memset(q, 0, sizeof(*q));
	*slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (*slave < 0)
		pr_warn("%s: can't open the slave (%s): bytes waiting at it are not carried\n", what, strerror(errno));
	r = drain_master(master, packet, q, what);
	if (!r && *slave >= 0)
		r = drain_slave(*slave, q, what);
	if (r) {
		tty_queue_free(q);
		return r;
	}
	if (q->out_len || q->in_len)
		pr_info("%s: %zu bytes wait at the master, %zu at the slave\n", what, q->out_len, q->in_len);
	return 0;
}

/* Write @len bytes to @fd, waiting for room up to WAIT_MS; bytes written. */
static size_t write_waiting(int fd, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		if (poll(&p, 1, WAIT_MS) <= 0)
			break;
		n = write(fd, buf + done, len - done);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		if (n > 0)
			done += n;
	}
	return done;
}

int tty_queue_push(int slave, const struct tty_queue *q, const char *what)
{
	struct termios cur, quiet;
	size_t n;
	int r = 0;

	if (!q->out_len && !q->in_len)
		return 0;
	if (slave < 0) {
		pr_warn("%s: no slave fd: %zu + %zu waiting bytes are lost\n", what, q->out_len, q->in_len);
		return -EBADF;
	}
	if (ioctl(slave, TCGETS, &cur) < 0)
		return pr_err_ret(-errno, "%s: can't read the termios", what);
	/*
	 * Neither processed nor echoed a second time; canonical mode stays as
	 * it is, and so does IXON (a change of flow control would show as a
	 * status event to a master in packet mode; START/STOP characters are
	 * never queued while it is on anyway).
	 */
	quiet = cur;
	quiet.c_oflag &= ~OPOST;
	quiet.c_lflag &= ~(ECHO | ECHONL | ISIG | IEXTEN);
	quiet.c_iflag &= ~(ICRNL | INLCR | IGNCR | ISTRIP | IUCLC | PARMRK);
	if (ioctl(slave, TCSETS, &quiet) < 0)
		return pr_err_ret(-errno, "%s: can't quiet the pty", what);

	n = write_waiting(slave, q->out, q->out_len);
	if (n < q->out_len) {
		pr_warn("%s: %zu of %zu bytes for the master did not fit\n", what, q->out_len - n, q->out_len);
		r = -EAGAIN;
	}
	for (n = 0; n < q->in_len; n++)
		if (ioctl(slave, TIOCSTI, &q->in[n]) < 0)
			break;
	if (n < q->in_len) {
		pr_warn("%s: %zu of %zu bytes for the slave are lost (TIOCSTI: %s)\n", what, q->in_len - n, q->in_len,
			strerror(errno));
		r = -EIO;
	}
	if (ioctl(slave, TCSETS, &cur) < 0)
		r = pr_err_ret(-errno, "%s: can't set the termios back", what);
	return r;
}
