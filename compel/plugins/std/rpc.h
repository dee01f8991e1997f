/*
 * The wire between compel (in criu) and the parasite runtime (in the task):
 * where things lie in the shared area, the start-up record the runtime is
 * given, and the messages on the SOCK_SEQPACKET transport.  Included by
 * both sides, so fixed-width types only and no libc.
 */
#ifndef COMPEL_RPC_H
#define COMPEL_RPC_H

#include <stdint.h>

/* Commands below COMPEL_CMD_USER belong to the runtime. */
enum {
	COMPEL_CMD_HELLO = 1,  /* daemon -> criu once it runs */
	COMPEL_CMD_FINI,       /* criu -> daemon: put the mask back, answer, stop */
	COMPEL_CMD_SEND_FDS,   /* send fds listed in the args over the socket */
	COMPEL_CMD_DUMP_PAGES, /* vmsplice the iovecs in the args into a pipe */
	COMPEL_CMD_USER = 64,
};

enum {
	COMPEL_MODE_DAEMON = 1, /* serve commands until FINI */
	COMPEL_MODE_THREAD,	/* run one command, answer, stop */
};

/*
 * One message each way per command; @ret is the command's 0/-errno.
 * COMPEL_CMD_SEND_FDS answers with messages carrying fds (@ret = how many)
 * before its final answer, which carries none.
 */
struct compel_msg {
	uint32_t cmd;
	int32_t ret;
	int32_t tid; /* who answers */
	uint32_t pad;
};

/* What the runtime's entry gets in its first argument. */
struct compel_start {
	uint32_t mode;
	uint32_t cmd;	/* COMPEL_MODE_THREAD: the command to run */
	int32_t sock;	/* the task's end of the transport */
	int32_t result; /* COMPEL_MODE_THREAD: the command's result */
	uint64_t args;	/* address of the argument area in the task */
	uint64_t args_size;
	uint64_t saved_mask; /* the thread's mask while the runtime blocks all */
	uint32_t state;	     /* COMPEL_STATE_*, written by the runtime */
	uint32_t pad;
};

/*
 * How far the runtime got.  Signals are blocked from BLOCKED until the
 * runtime's last syscall, which puts the mask back once state is DONE; so a
 * signal (other than SIGSTOP or a fault) that stops the thread tells: before
 * BLOCKED, the runtime did nothing yet; at DONE, the work is over (the
 * answer may not be sent: the result is in @result).
 */
enum {
	COMPEL_STATE_NEW = 0,
	COMPEL_STATE_BLOCKED,
	COMPEL_STATE_DONE,
};

/* The control block at the start of the area after the blob's bss. */
struct compel_control {
	struct compel_start daemon;
	struct compel_start thread;
};

/* COMPEL_CMD_SEND_FDS: fds to send, at most COMPEL_FDS_PER_MSG a message. */
#define COMPEL_FDS_PER_MSG 252
struct compel_fds_args {
	uint32_t nr;
	int32_t fds[]; /* @nr descriptors of the task */
};

/*
 * COMPEL_CMD_DUMP_PAGES: vmsplice these ranges, as one stream cut into
 * @chunk-byte pieces, into the pipes whose write ends come attached to the
 * command: piece k goes into pipe k % 2 (@nr_pipes 2) or the only one.
 * criu drains one pipe while the task fills the other.
 */
struct compel_pages_args {
	uint32_t nr;
	uint32_t nr_pipes;
	uint64_t chunk;
	uint64_t iov[][2]; /* base, length */
};

#endif
