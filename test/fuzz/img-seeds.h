/*
 * Synthetic images with payloads, written through the library: the fixtures
 * have none (their pipes and sockets were empty), so the tests and fuzzers
 * make their own pipes-data, tcp-stream, sk-queues, ghost-file and ipc
 * images to reach every payload layout.
 */
#ifndef CRIU_TEST_IMG_SEEDS_H
#define CRIU_TEST_IMG_SEEDS_H

#include <sys/stat.h>

#include "image.h"
#include "images/ghost-file.pb-c.h"
#include "images/ipc-msg.pb-c.h"
#include "images/ipc-sem.pb-c.h"
#include "images/ipc-shm.pb-c.h"
#include "images/pipe-data.pb-c.h"
#include "images/sk-packet.pb-c.h"
#include "images/tcp-stream.pb-c.h"

#include "img-walk.h"

struct seed {
	const char *name;
	int kind;
	int entries; /* what a walk counts */
	uint8_t *data;
	size_t len;
};

static const uint8_t seed_bytes[64] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";

static inline int seed_pipes(struct cr_img *img)
{
	static const uint32_t sizes[] = { 5, 0, 64 };
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sizes) && !r; i++) {
		PipeDataEntry e = PIPE_DATA_ENTRY__INIT;

		e.pipe_id = 100 + i;
		e.bytes = sizes[i];
		e.has_size = true;
		e.size = 65536;
		r = img_write_entry(img, &e);
		if (!r)
			r = img_write_raw(img, seed_bytes, sizes[i]);
	}
	return r;
}

static inline int seed_tcp(struct cr_img *img)
{
	TcpStreamEntry e = TCP_STREAM_ENTRY__INIT;
	int r;

	e.inq_len = 10;
	e.inq_seq = 12345;
	e.outq_len = 7;
	e.outq_seq = 777;
	e.opt_mask = 7;
	e.snd_wscale = 7;
	e.mss_clamp = 1460;
	r = img_write_entry(img, &e);
	if (!r)
		r = img_write_raw(img, seed_bytes, 17);
	return r;
}

static inline int seed_skq(struct cr_img *img)
{
	int r = 0;

	for (int i = 0; i < 3 && !r; i++) {
		SkPacketEntry e = SK_PACKET_ENTRY__INIT;

		e.id_for = 7 + i;
		e.length = 9 * i;
		r = img_write_entry(img, &e);
		if (!r)
			r = img_write_raw(img, seed_bytes, 9 * i);
	}
	return r;
}

static inline int seed_ghost_plain(struct cr_img *img)
{
	GhostFileEntry e = GHOST_FILE_ENTRY__INIT;
	int r;

	e.mode = 0100644;
	e.has_size = true;
	e.size = 50;
	r = img_write_entry(img, &e);
	if (!r)
		r = img_write_raw(img, seed_bytes, 50);
	return r;
}

static inline int seed_ghost_chunks(struct cr_img *img)
{
	GhostFileEntry e = GHOST_FILE_ENTRY__INIT;
	int r;

	e.mode = 0100600;
	e.has_chunks = true;
	e.chunks = true;
	r = img_write_entry(img, &e);
	for (int i = 0; i < 2 && !r; i++) {
		GhostChunkEntry c = GHOST_CHUNK_ENTRY__INIT;

		c.len = 20 + i;
		c.off = 4096 * i;
		r = img_write_entry(img, &c);
		if (!r)
			r = img_write_raw(img, seed_bytes, c.len);
	}
	return r;
}

static inline int seed_ipc_msg(struct cr_img *img)
{
	IpcDescEntry d = IPC_DESC_ENTRY__INIT;
	IpcMsgEntry e = IPC_MSG_ENTRY__INIT;
	int r;

	d.key = 42;
	d.mode = 0600;
	e.desc = &d;
	e.qnum = 2;
	e.qbytes = 16384;
	r = img_write_entry(img, &e);
	for (int i = 0; i < 2 && !r; i++) {
		IpcMsg m = IPC_MSG__INIT;

		m.mtype = 1 + i;
		m.msize = 5 + 8 * i; /* 5 -> 8 bytes, 13 -> 16 bytes */
		r = img_write_entry(img, &m);
		if (!r)
			r = img_write_raw(img, seed_bytes, (m.msize + 7) & ~7u);
	}
	return r;
}

static inline int seed_ipc_shm(struct cr_img *img)
{
	IpcDescEntry d = IPC_DESC_ENTRY__INIT;
	IpcShmEntry e = IPC_SHM_ENTRY__INIT, p = IPC_SHM_ENTRY__INIT;
	int r;

	e.desc = &d;
	e.size = 5; /* 8 bytes follow */
	r = img_write_entry(img, &e);
	if (!r)
		r = img_write_raw(img, seed_bytes, 8);
	p.desc = &d;
	p.size = 1 << 20;
	p.has_in_pagemaps = true; /* contents in a pagemap: nothing follows */
	p.in_pagemaps = true;
	if (!r)
		r = img_write_entry(img, &p);
	return r;
}

static inline int seed_ipc_sem(struct cr_img *img)
{
	IpcDescEntry d = IPC_DESC_ENTRY__INIT;
	IpcSemEntry e = IPC_SEM_ENTRY__INIT;
	int r;

	e.desc = &d;
	e.nsems = 3; /* 6 bytes, padded to 8 */
	r = img_write_entry(img, &e);
	if (!r)
		r = img_write_raw(img, seed_bytes, 8);
	return r;
}

static const struct {
	const char *name;
	int kind;
	int entries;
	int (*fill)(struct cr_img *img);
} seed_makers[] = {
	{ "pipes-data", CR_IMG_PIPES_DATA, 3, seed_pipes },
	{ "fifo-data", CR_IMG_FIFO_DATA, 3, seed_pipes },
	{ "tcp-stream", CR_IMG_TCP_STREAM, 1, seed_tcp },
	{ "sk-queues", CR_IMG_SK_QUEUES, 3, seed_skq },
	{ "ghost-file", CR_IMG_GHOST_FILE, 1, seed_ghost_plain },
	{ "ghost-file-chunks", CR_IMG_GHOST_FILE, 3, seed_ghost_chunks },
	{ "ipcns-msg", CR_IMG_IPCNS_MSG, 1, seed_ipc_msg },
	{ "ipcns-shm", CR_IMG_IPCNS_SHM, 2, seed_ipc_shm },
	{ "ipcns-sem", CR_IMG_IPCNS_SEM, 1, seed_ipc_sem },
};

/* Build seed @i into @s (s->data malloc'ed); 0 or -errno. */
static inline int seed_make(size_t i, struct seed *s)
{
	struct cr_img *img = NULL;
	struct stat st;
	int fd, r;

	fd = memfd_create("seed", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = img_open_fd(dup(fd), seed_makers[i].kind, IMG_WRITE, seed_makers[i].name, &img);
	if (!r) {
		r = seed_makers[i].fill(img);
		if (r)
			img_closep(&img);
		else
			r = img_close(img);
	}
	if (!r && fstat(fd, &st))
		r = -errno;
	if (!r) {
		s->name = seed_makers[i].name;
		s->kind = seed_makers[i].kind;
		s->entries = seed_makers[i].entries;
		s->len = st.st_size;
		s->data = malloc(s->len);
		if (!s->data || pread(fd, s->data, s->len, 0) != (ssize_t)s->len)
			r = -EIO;
	}
	close(fd);
	return r;
}

#endif
