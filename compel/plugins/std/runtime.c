/*
 * The parasite runtime: what runs first inside the task.  It blocks every
 * signal (keeping the thread's own mask to put back), then either serves
 * commands from criu over its socket until FINI (daemon, in the leader) or
 * runs the one command it was started for (another thread).  It answers
 * each command with a struct compel_msg.  The built-in commands send the
 * task's fds over SCM_RIGHTS and vmsplice page ranges into a pipe; the
 * others go to the blob's parasite_command().
 */
#include "std.h"

#define SIG_SETMASK 2
#define SOL_SOCKET  1
#define SCM_RIGHTS  1

struct k_iovec {
	void *base;
	unsigned long len;
};

struct k_msghdr {
	void *name;
	int namelen;
	struct k_iovec *iov;
	unsigned long iovlen;
	void *control;
	unsigned long controllen;
	unsigned int flags;
};

struct k_cmsghdr {
	unsigned long len;
	int level;
	int type;
};

#define CMSG_ALIGN8(n) (((n) + 7) & ~7UL)
#define CMSG_SPACE8(n) (sizeof(struct k_cmsghdr) + CMSG_ALIGN8(n))

/* Send @m, with @nr fds attached when @fds is set. */
static long send_msg(int sock, struct compel_msg *m, const int *fds, unsigned int nr)
{
	char cbuf[CMSG_SPACE8(COMPEL_FDS_PER_MSG * sizeof(int))] __attribute__((aligned(8)));
	struct k_iovec iov = { m, sizeof(*m) };
	struct k_msghdr h = { .iov = &iov, .iovlen = 1 };

	if (fds && nr) {
		struct k_cmsghdr *c = (struct k_cmsghdr *)cbuf;

		c->len = sizeof(*c) + nr * sizeof(int);
		c->level = SOL_SOCKET;
		c->type = SCM_RIGHTS;
		memcpy(c + 1, fds, nr * sizeof(int));
		h.control = cbuf;
		h.controllen = CMSG_SPACE8(nr * sizeof(int));
	}
	return sys_sendmsg(sock, &h, 0);
}

/* Receive a command; fds criu attached (up to 2) land in @fd (else -1). */
static long recv_msg(int sock, struct compel_msg *m, int fd[2])
{
	char cbuf[CMSG_SPACE8(2 * sizeof(int))] __attribute__((aligned(8)));
	struct k_iovec iov = { m, sizeof(*m) };
	struct k_msghdr h = { .iov = &iov, .iovlen = 1, .control = cbuf, .controllen = sizeof(cbuf) };
	struct k_cmsghdr *c = (struct k_cmsghdr *)cbuf;
	long r;

	fd[0] = fd[1] = -1;
	r = sys_recvmsg(sock, &h, 0);
	if (r == sizeof(*m) && h.controllen >= sizeof(*c) + sizeof(int) && c->level == SOL_SOCKET &&
	    c->type == SCM_RIGHTS) {
		unsigned long n = (c->len - sizeof(*c)) / sizeof(int);

		memcpy(fd, c + 1, (n > 2 ? 2 : n) * sizeof(int));
	}
	return r;
}

static long send_fds(int sock, struct compel_fds_args *a, unsigned long size)
{
	struct compel_msg m = { .cmd = COMPEL_CMD_SEND_FDS, .tid = (int32_t)sys_gettid() };

	if (sizeof(*a) + (unsigned long)a->nr * sizeof(int) > size)
		return -22; /* EINVAL */
	for (uint32_t done = 0; done < a->nr;) {
		uint32_t n = a->nr - done > COMPEL_FDS_PER_MSG ? COMPEL_FDS_PER_MSG : a->nr - done;
		long r;

		m.ret = n;
		r = send_msg(sock, &m, a->fds + done, n);
		if (r < 0)
			return r;
		done += n;
	}
	return 0;
}

static long dump_pages(const int pipes[2], struct compel_pages_args *a, unsigned long size)
{
	uint64_t left = a->chunk; /* of the current piece */
	unsigned int k = 0;	  /* which piece */

	if (pipes[0] < 0 || (a->nr_pipes == 2 && pipes[1] < 0) || !a->chunk ||
	    sizeof(*a) + (unsigned long)a->nr * sizeof(a->iov[0]) > size)
		return -22; /* EINVAL */
	for (uint32_t i = 0; i < a->nr; i++) {
		struct k_iovec iov = { (void *)a->iov[i][0], a->iov[i][1] };

		while (iov.len) {
			struct k_iovec part = { iov.base, iov.len < left ? iov.len : left };
			long r = sys_vmsplice(pipes[a->nr_pipes == 2 ? k & 1 : 0], &part, 1, 0);

			if (r == -4) /* EINTR */
				continue;
			if (r <= 0)
				return r ? r : -5; /* EIO */
			iov.base = (char *)iov.base + r;
			iov.len -= r;
			left -= r;
			if (!left) {
				left = a->chunk;
				k++;
			}
		}
	}
	return 0;
}

static long run_command(struct compel_start *s, uint32_t cmd, const int fd[2])
{
	void *args = (void *)s->args;

	switch (cmd) {
	case COMPEL_CMD_SEND_FDS:
		return send_fds(s->sock, args, s->args_size);
	case COMPEL_CMD_DUMP_PAGES:
		return dump_pages(fd, args, s->args_size);
	default:
		if (cmd < COMPEL_CMD_USER)
			return -38; /* ENOSYS */
		return parasite_command(cmd, args, s->args_size);
	}
}

static void serve(struct compel_start *s)
{
	struct compel_msg m = { .cmd = COMPEL_CMD_HELLO, .tid = (int32_t)sys_gettid() };
	int fd[2];

	if (send_msg(s->sock, &m, 0, 0) < 0)
		return;
	for (;;) {
		if (recv_msg(s->sock, &m, fd) != sizeof(m))
			return; /* criu is gone: wait to be trapped */
		if (m.cmd == COMPEL_CMD_FINI) {
			m.ret = 0;
			s->state = COMPEL_STATE_DONE;
			sys_sigprocmask(SIG_SETMASK, &s->saved_mask, 0);
			send_msg(s->sock, &m, 0, 0);
			return;
		}
		m.ret = (int32_t)run_command(s, m.cmd, fd);
		for (int i = 0; i < 2; i++)
			if (fd[i] >= 0)
				sys_close(fd[i]);
		m.tid = (int32_t)sys_gettid();
		if (send_msg(s->sock, &m, 0, 0) < 0)
			return;
	}
}

void __compel_entry(struct compel_start *s);
void __compel_entry(struct compel_start *s)
{
	uint64_t all = ~0ULL;

	sys_sigprocmask(SIG_SETMASK, &all, &s->saved_mask);
	s->state = COMPEL_STATE_BLOCKED;
	if (s->mode == COMPEL_MODE_DAEMON) {
		serve(s);
		return;
	}
	struct compel_msg m = { .cmd = s->cmd, .tid = (int32_t)sys_gettid() };

	const int none[2] = { -1, -1 };

	m.ret = s->result = (int32_t)run_command(s, s->cmd, none);
	s->state = COMPEL_STATE_DONE;
	sys_sigprocmask(SIG_SETMASK, &s->saved_mask, 0);
	send_msg(s->sock, &m, 0, 0);
}
