/*
 * A busy tree for the stress test (test/trees/stress.t): N processes
 * (default 8; three children each, by index), one session and two process
 * groups besides the root's, a private buffer each with its own contents,
 * a shared anonymous area where each process counts its steps and answers
 * checks; with -t a thread in each process counting too, with -p a pipe
 * from each parent to each child carrying a numbered stream, with -u a
 * unix socketpair carrying numbered streams both ways.  -m MiB sizes the
 * private buffer (64 KiB by default).
 *
 * SIGUSR1 to the root asks for a check of every process: pid, parent,
 * group, session, its buffer, its counter moving in the shared area (seen
 * by the root), its thread moving, its streams gapless and moving.  The
 * root prints "CHECK n OK" or "CHECK n FAIL: ...".  SIGTERM: a last check,
 * every process ends, "PASS" or "FAIL: ...".
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "crtest.h"
#include <sys/prctl.h>
#include <sys/wait.h>

#define MAX_NODES 512

struct node {
	int32_t pid, ppid, pgid, sid;
	uint32_t ack, ok;
	uint64_t counter;
	char why[96];
};

struct shared {
	uint32_t gen, stop, ready;
	struct node node[MAX_NODES];
};

static struct shared *sh;
static int nr = 8, use_threads, use_pipes, use_unix;
static size_t buf_size = 64 << 10; /* -m MiB */
static int me;			   /* index */
static unsigned char *buf;
static volatile uint64_t steps, thread_steps;
static volatile sig_atomic_t check_asked;

/* Streams: to each child (pipe and socket), from the parent. */
struct stream {
	int fd;
	uint32_t next;	/* the next number to send */
	uint32_t rnext; /* the next number to expect */
	uint32_t moved; /* numbers passed since the last check */
	unsigned char part[4];
	unsigned int have; /* bytes of a number cut by a stream read */
};
static struct stream to_kid[3], sk_kid[3], from_parent, sk_parent;
static int kids[3], nr_kids;

static void on_usr1(int sig)
{
	(void)sig;
	check_asked = 1;
}

static void *thread_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		thread_steps++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void fill(unsigned char seed)
{
	for (size_t i = 0; i < buf_size; i++)
		buf[i] = (unsigned char)(i * 7 + seed);
}

static int buf_ok(unsigned char seed)
{
	for (size_t i = 0; i < buf_size; i++)
		if (buf[i] != (unsigned char)(i * 7 + seed))
			return 0;
	return 1;
}

static void send_some(struct stream *s)
{
	for (int i = 0; i < 4; i++) {
		ssize_t n = write(s->fd, &s->next, sizeof(s->next));

		if (n != sizeof(s->next))
			return; /* full (non-blocking) */
		s->next++;
		s->moved++;
	}
}

/* Read what came; a gap or a broken number is a failure. */
static int recv_all(struct stream *s, char *why, size_t len)
{
	unsigned char b[256];

	for (;;) {
		ssize_t n = read(s->fd, b, sizeof(b));

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			snprintf(why, len, "stream fd %d: %s", s->fd, n ? strerror(errno) : "EOF");
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			uint32_t v;

			s->part[s->have++] = b[i];
			if (s->have < 4)
				continue;
			s->have = 0;
			memcpy(&v, s->part, 4);
			if (v != s->rnext) {
				snprintf(why, len, "stream fd %d: got %u, expected %u", s->fd, v, s->rnext);
				return -1;
			}
			s->rnext++;
			s->moved++;
		}
	}
}

static int stream_fail;
static char stream_why[96];

static void io(void)
{
	if (stream_fail)
		return;
	for (int k = 0; k < nr_kids; k++) {
		if (use_pipes)
			send_some(&to_kid[k]);
		if (use_unix) {
			send_some(&sk_kid[k]);
			if (recv_all(&sk_kid[k], stream_why, sizeof(stream_why)))
				stream_fail = 1;
		}
	}
	if (me && use_pipes && recv_all(&from_parent, stream_why, sizeof(stream_why)))
		stream_fail = 1;
	if (me && use_unix) {
		send_some(&sk_parent);
		if (recv_all(&sk_parent, stream_why, sizeof(stream_why)))
			stream_fail = 1;
	}
}

static uint64_t last_thread;

/* This process's part of a check. */
static void check_me(void)
{
	struct node *n = &sh->node[me];
	char why[96] = "";

	if (getpid() != n->pid)
		snprintf(why, sizeof(why), "pid %d, was %d", (int)getpid(), n->pid);
	else if (me && getppid() != n->ppid)
		snprintf(why, sizeof(why), "parent %d, was %d", (int)getppid(), n->ppid);
	else if (getpgrp() != n->pgid)
		snprintf(why, sizeof(why), "group %d, was %d", (int)getpgrp(), n->pgid);
	else if (getsid(0) != n->sid)
		snprintf(why, sizeof(why), "session %d, was %d", (int)getsid(0), n->sid);
	else if (!buf_ok((unsigned char)me))
		snprintf(why, sizeof(why), "its private buffer changed");
	else if (n->counter != steps)
		snprintf(why, sizeof(why), "its counter in the shared area is %llu, not %llu",
			 (unsigned long long)n->counter, (unsigned long long)steps);
	else if (use_threads && thread_steps == last_thread)
		snprintf(why, sizeof(why), "its thread does not move");
	else if (stream_fail)
		snprintf(why, sizeof(why), "%s", stream_why);
	else if (me && use_pipes && !from_parent.moved)
		snprintf(why, sizeof(why), "nothing came through the pipe from the parent");
	else if (me && use_unix && !sk_parent.moved)
		snprintf(why, sizeof(why), "nothing came through the socket from the parent");
	last_thread = thread_steps;
	from_parent.moved = sk_parent.moved = 0;
	memcpy(n->why, why, sizeof(n->why));
	n->ok = !why[0];
}

static void step(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	uint32_t g;

	nanosleep(&ts, NULL);
	steps++;
	sh->node[me].counter = steps;
	io();
	g = __atomic_load_n(&sh->gen, __ATOMIC_SEQ_CST);
	if (g != sh->node[me].ack) {
		if (use_threads)
			nanosleep(&ts, NULL); /* give the thread a turn */
		check_me();
		__atomic_store_n(&sh->node[me].ack, g, __ATOMIC_SEQ_CST);
	}
}

static int nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void start_node(int idx);

/* Make child @idx of this process, with its streams. */
static void make_kid(int idx)
{
	int p[2] = { -1, -1 }, s[2] = { -1, -1 };
	pid_t pid;

	if (use_pipes && pipe(p))
		crtest_fail("pipe: %s", strerror(errno));
	if (use_unix && socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		crtest_fail("socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		crtest_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		pid_t parent = sh->node[me].pid;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		for (int k = 0; k < nr_kids; k++) {
			if (use_pipes)
				close(to_kid[k].fd);
			if (use_unix)
				close(sk_kid[k].fd);
		}
		if (me) {
			if (use_pipes)
				close(from_parent.fd);
			if (use_unix)
				close(sk_parent.fd);
		}
		nr_kids = 0;
		memset(&from_parent, 0, sizeof(from_parent));
		memset(&sk_parent, 0, sizeof(sk_parent));
		if (use_pipes) {
			close(p[1]);
			from_parent.fd = p[0];
			nonblock(p[0]);
		}
		if (use_unix) {
			close(s[0]);
			sk_parent.fd = s[1];
			nonblock(s[1]);
		}
		me = idx;
		start_node(idx);
		_exit(0);
	}
	kids[nr_kids] = pid;
	if (use_pipes) {
		close(p[0]);
		to_kid[nr_kids] = (struct stream){ .fd = p[1] };
		nonblock(p[1]);
	}
	if (use_unix) {
		close(s[1]);
		sk_kid[nr_kids] = (struct stream){ .fd = s[0] };
		nonblock(s[0]);
	}
	nr_kids++;
	if (idx == 4 || idx == 2)
		setpgid(pid, pid); /* as the child does: no race */
}

static void remember(int idx)
{
	struct node *n = &sh->node[idx];

	n->pid = getpid();
	n->ppid = idx ? getppid() : 0;
	n->pgid = getpgrp();
	n->sid = getsid(0);
}

/* A process of the tree: its place, its children, then steps until told to stop. */
static void start_node(int idx)
{
	pthread_t th;

	if (idx == 1 && setsid() < 0)
		crtest_fail("setsid: %s", strerror(errno));
	if (idx == 2 || idx == 4)
		setpgid(0, 0);
	if (idx == 5)
		setpgid(0, sh->node[4].pid); /* joins its sibling's group */
	remember(idx);
	fill((unsigned char)idx);
	for (int k = 1; k <= 3 && 3 * idx + k < nr; k++) {
		make_kid(3 * idx + k);
		if (3 * idx + k == 4) {
			while (!sh->node[4].pid)
				usleep(1000);
		}
	}
	if (use_threads && pthread_create(&th, NULL, thread_main, NULL))
		crtest_fail("pthread_create");
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	if (!idx)
		return;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST))
		step();
	for (int k = 0; k < nr_kids; k++)
		waitpid(kids[k], NULL, 0);
	_exit(0);
}

/* The root: ask every process, wait for all answers (stepping meanwhile). */
static int check_all(char *why, size_t len)
{
	static uint64_t last[MAX_NODES];
	uint32_t g = __atomic_add_fetch(&sh->gen, 1, __ATOMIC_SEQ_CST);
	int bad = 0;

	for (int i = 0; i < 4000; i++) {
		int done = 1;

		step();
		for (int k = 0; k < nr; k++)
			done &= __atomic_load_n(&sh->node[k].ack, __ATOMIC_SEQ_CST) == g;
		if (done)
			break;
	}
	why[0] = '\0';
	for (int k = 0; k < nr && !bad; k++) {
		struct node *n = &sh->node[k];

		if (n->ack != g) {
			snprintf(why, len, "process %d (%d) does not answer", k, n->pid);
			bad = 1;
		} else if (!n->ok) {
			snprintf(why, len, "process %d (%d): %s", k, n->pid, n->why);
			bad = 1;
		} else if (k && n->counter == last[k]) {
			snprintf(why, len, "process %d (%d): its counter does not move here: not shared", k, n->pid);
			bad = 1;
		}
		last[k] = n->counter;
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	char why[160];
	int opt, gen = 0;

	crtest_init(argc, argv);
	while ((opt = getopt(argc, argv, "n:m:tpu")) != -1) {
		if (opt == 'n')
			nr = atoi(optarg);
		else if (opt == 'm')
			buf_size = (size_t)atoi(optarg) << 20;
		else if (opt == 't')
			use_threads = 1;
		else if (opt == 'p')
			use_pipes = 1;
		else if (opt == 'u')
			use_unix = 1;
	}
	if (nr < 1 || nr > MAX_NODES)
		crtest_fail("-n %d: 1 to %d", nr, MAX_NODES);
	sigaction(SIGUSR1, &sa, NULL);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, buf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || buf == MAP_FAILED)
		crtest_fail("mmap: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	start_node(0);
	for (int i = 0; i < 10000 && __atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < (uint32_t)nr; i++)
		usleep(1000);
	if (sh->ready < (uint32_t)nr)
		crtest_fail("only %u of %d processes started", sh->ready, nr);
	crtest_ready();
	while (!crtest_stop) {
		step();
		if (check_asked) {
			check_asked = 0;
			gen++;
			if (check_all(why, sizeof(why)))
				crtest_say("CHECK %d FAIL: %s\n", gen, why);
			else
				crtest_say("CHECK %d OK\n", gen);
		}
	}
	if (check_all(why, sizeof(why)))
		crtest_fail("%s", why);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	for (int k = 0; k < nr_kids; k++) {
		int st;

		if (waitpid(kids[k], &st, 0) != kids[k] || !WIFEXITED(st) || WEXITSTATUS(st))
			crtest_fail("child %d ended badly", kids[k]);
	}
	crtest_pass();
}
