/*
 * Image files: open an images directory, open image files of a kind,
 * check or write their magics, and move protobuf entries and raw payload
 * in and out through one buffer per image.  See image.h for the format and
 * the contract.
 *
 * Reading keeps a window buf[start, end) of the file; an entry whose body
 * fits in the buffer is unpacked in place, a larger one goes through one
 * heap buffer.  When the file size is known (a regular file), an entry or
 * payload that claims more bytes than the file has left is refused before
 * anything is allocated, so a corrupt length never costs memory.  Writing
 * packs small entries straight into the buffer and flushes it when full.
 *
 * Every error is logged here, once, and kept in img->err: later calls on
 * the image return it again quietly, and img_close() reports it.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "image.h"
#include "log.h"

#include "image-kinds-table.h" /* generated: img_kinds[] and the pb-c headers */

#define IMG_BUF_SIZE (64u << 10)
#define IMG_BUF_MIN  4096u

struct img_dir {
	int fd;
	char path[];
};

struct cr_img {
	int fd;
	int kind;
	const struct img_kind_desc *kd;
	bool writing;
	bool absent;
	bool resync; /* the caller used the fd: re-read the offset */
	int err;     /* first error met, sticky */
	unsigned long nr_entries;
	off_t off;  /* logical offset */
	off_t size; /* reading a regular file: its size; else -1 */
	uint8_t *buf;
	size_t cap; /* of buf: IMG_BUF_SIZE, less for a small file */
	size_t start, end;
	const char *dir; /* for messages; points into the img_dir or "" */
	char name[];
};

/* ------------------------------------------------------------ kinds */

const struct img_kind_desc *img_kind_desc(int kind)
{
	if (kind < 0 || kind >= CR_IMG__NR)
		return NULL;
	return &img_kinds[kind];
}

int img_kind_by_magic(uint32_t magic)
{
	for (int i = 0; i < CR_IMG__NR; i++) {
		if (!(img_kinds[i].flags & IMGK_RAW) && img_kinds[i].alias < 0 && img_kinds[i].magic == magic)
			return i;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------ directory */

static int dir_open(int base, const char *shown, const char *rel, unsigned int flags, struct img_dir **out)
{
	struct img_dir *d;
	int fd;

	*out = NULL;
	if ((flags & IMG_DIR_CREATE) && mkdirat(base, rel, 0700) && errno != EEXIST) {
		int r = -errno;
		return pr_err_ret(r, "Can't create images directory %s", shown);
	}
	fd = openat(base, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		return pr_err_ret(r, "Can't open images directory %s", shown);
	}
	d = xmalloc(sizeof(*d) + strlen(shown) + 1);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	d->fd = fd;
	strcpy(d->path, shown);
	*out = d;
	return 0;
}

int img_dir_open(const char *path, unsigned int flags, struct img_dir **dir)
{
	return dir_open(AT_FDCWD, path, path, flags, dir);
}

int img_dir_open_at(struct img_dir *base, const char *rel, unsigned int flags, struct img_dir **dir)
{
	_cleanup_free_ char *shown = NULL;

	if (rel[0] == '/')
		return dir_open(AT_FDCWD, rel, rel, flags, dir);
	shown = xsprintf("%s/%s", base->path, rel);
	if (!shown)
		return -ENOMEM;
	return dir_open(base->fd, shown, rel, flags, dir);
}

void img_dir_close(struct img_dir *dir)
{
	if (!dir)
		return;
	close(dir->fd);
	free(dir);
}

int img_dir_fd(const struct img_dir *dir)
{
	return dir->fd;
}

const char *img_dir_path(const struct img_dir *dir)
{
	return dir->path;
}

/* ------------------------------------------------------------ low-level I/O */

/* Log @r for @img once and make it sticky. */
#define img_fail(img, r, fmt, ...)                                                   \
	({                                                                           \
		struct cr_img *_i = (img);                                           \
		int _r = (r);                                                        \
		pr_err("%s (%s): " fmt "\n", _i->name, _i->kd->name, ##__VA_ARGS__); \
		if (!_i->err)                                                        \
			_i->err = _r;                                                \
		_r;                                                                  \
	})

/* read(2) until @n bytes or end of file: bytes read, or -errno. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

/* write(2) all @n bytes: 0, -errno, or -EIO when the kernel takes none. */
static int write_full(int fd, const void *buf, size_t n)
{
	while (n) {
		ssize_t r = write(fd, buf, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		buf = (const char *)buf + r;
		n -= r;
	}
	return 0;
}

/* The caller moved the file offset with its own I/O: take it over. */
static void img_resync(struct cr_img *img)
{
	off_t o;

	if (!img->resync)
		return;
	img->resync = false;
	o = lseek(img->fd, 0, SEEK_CUR);
	if (o >= 0)
		img->off = o;
}

/* Bytes left in the file after the logical offset, or -1 if unknown. */
static off_t left_in_file(const struct cr_img *img)
{
	if (img->size < 0)
		return -1;
	return img->size > img->off ? img->size - img->off : 0;
}

/*
 * Have at least @need (<= img->cap) bytes in the window if the file
 * has them.  Returns the bytes available (less than @need only at end of
 * file) or -errno (logged).
 */
static ssize_t fill(struct cr_img *img, size_t need)
{
	size_t have = img->end - img->start;

	if (have >= need)
		return have;
	if (img->start + need > img->cap) {
		memmove(img->buf, img->buf + img->start, have);
		img->start = 0;
		img->end = have;
	}
	while (img->end - img->start < need) {
		ssize_t r = read(img->fd, img->buf + img->end, img->cap - img->end);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return img_fail(img, -errno, "read error at offset %lld: %s", (long long)img->off,
					strerror(errno));
		}
		if (r == 0)
			break;
		img->end += r;
	}
	return img->end - img->start;
}

static void consume(struct cr_img *img, size_t n)
{
	img->start += n;
	img->off += n;
	if (img->start == img->end)
		img->start = img->end = 0;
}

static int flush(struct cr_img *img)
{
	int r;

	if (!img->end)
		return 0;
	r = write_full(img->fd, img->buf, img->end);
	img->end = 0;
	if (r)
		return img_fail(img, r, "write error: %s", r == -EIO ? "short write" : strerror(-r));
	return 0;
}

/* Append @n bytes; large ones skip the buffer. */
static int put(struct cr_img *img, const void *p, size_t n)
{
	int r;

	if (img->end + n > img->cap) {
		r = flush(img);
		if (r)
			return r;
	}
	if (n >= img->cap) {
		r = write_full(img->fd, p, n);
		if (r)
			return img_fail(img, r, "write error: %s", r == -EIO ? "short write" : strerror(-r));
	} else {
		memcpy(img->buf + img->end, p, n);
		img->end += n;
	}
	img->off += n;
	return 0;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------ open / close */

static int check_magic(struct cr_img *img)
{
	const struct img_kind_desc *kd = img->kd;
	uint32_t head = 0, magic;
	size_t n = 4;
	ssize_t got;

	if (!(kd->flags & IMGK_NO_HEAD_MAGIC)) {
		head = kd->flags & IMGK_SERVICE ? IMG_SERVICE_MAGIC : IMG_COMMON_MAGIC;
		n = 8;
	}
	got = fill(img, n);
	if (got < 0)
		return got;
	if ((size_t)got < n)
		return img_fail(img, -EIO, "file too short for its magic (%zd bytes)", got);
	if (head) {
		uint32_t m = get_le32(img->buf + img->start);

		if (m != head)
			return img_fail(img, -EINVAL, "wrong head magic 0x%08x, expected 0x%08x (%s)", m, head,
					head == IMG_SERVICE_MAGIC ? "service" : "common");
		consume(img, 4);
	}
	magic = get_le32(img->buf + img->start);
	if (magic != kd->magic) {
		int other = img_kind_by_magic(magic);

		return img_fail(img, -EINVAL, "wrong magic 0x%08x%s%s, expected %s 0x%08x", magic,
				other >= 0 ? " of " : "", other >= 0 ? img_kinds[other].name : "", kd->name, kd->magic);
	}
	consume(img, 4);
	return 0;
}

static int write_magic(struct cr_img *img)
{
	const struct img_kind_desc *kd = img->kd;
	uint8_t m[8];
	size_t n = 0;

	if (!(kd->flags & IMGK_NO_HEAD_MAGIC)) {
		put_le32(m, kd->flags & IMGK_SERVICE ? IMG_SERVICE_MAGIC : IMG_COMMON_MAGIC);
		n = 4;
	}
	put_le32(m + n, kd->magic);
	return put(img, m, n + 4);
}

static struct cr_img *img_alloc(int kind, const char *name, const char *dir)
{
	struct cr_img *img = xzalloc(sizeof(*img) + strlen(name) + 1);

	if (!img)
		return NULL;
	img->fd = -1;
	img->kind = kind;
	img->kd = &img_kinds[kind];
	img->size = -1;
	img->dir = dir;
	strcpy(img->name, name);
	return img;
}

static void img_free(struct cr_img *img)
{
	if (img->fd >= 0)
		close(img->fd);
	free(img->buf);
	free(img);
}

/* Set up an image around @fd (owned from here) and do the magics. */
static int img_setup(struct cr_img *img, int fd, unsigned int flags)
{
	struct stat st;
	int r;

	img->fd = fd;
	img->writing = flags & IMG_WRITE;
	img->cap = IMG_BUF_SIZE;
	if (img->writing && (img->kd->flags & IMGK_OLD)) {
		pr_err("%s (%s): old kind, only read, never written\n", img->name, img->kd->name);
		return -EINVAL;
	}
	if (!img->writing && !fstat(fd, &st) && S_ISREG(st.st_mode)) {
		img->size = st.st_size;
		img->off = lseek(fd, 0, SEEK_CUR);
		if (img->off < 0)
			img->off = 0;
		/* most images are small: a buffer the size of the file will do */
		if (st.st_size < IMG_BUF_SIZE)
			img->cap =
				max(IMG_BUF_MIN, ((size_t)st.st_size + IMG_BUF_MIN - 1) & ~(size_t)(IMG_BUF_MIN - 1));
	}
	img->buf = xmalloc(img->cap);
	if (!img->buf)
		return -ENOMEM;
	if (img->kd->flags & IMGK_RAW)
		return 0;
	r = img->writing ? write_magic(img) : check_magic(img);
	return r;
}

/* Open @name in @dir for @kind. */
static int img_open_file(struct img_dir *dir, int kind, unsigned int flags, const char *name, struct cr_img **out)
{
	struct cr_img *img;
	int fd, r;

	img = img_alloc(kind, name, dir->path);
	if (!img)
		return -ENOMEM;
	if (flags & IMG_WRITE)
		fd = openat(dir->fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	else
		fd = openat(dir->fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && (flags & IMG_OPTIONAL) && !(flags & IMG_WRITE)) {
			pr_info("No %s in %s\n", name, dir->path);
			img->absent = true;
			*out = img;
			return IMG_ABSENT;
		}
		pr_err("Can't open %s in %s: %s\n", name, dir->path, strerror(-r));
		img_free(img);
		return r;
	}
	r = img_setup(img, fd, flags);
	if (r) {
		img_free(img);
		return r;
	}
	*out = img;
	return 0;
}

static const struct img_kind_desc *kind_or_log(int kind)
{
	const struct img_kind_desc *kd = img_kind_desc(kind);

	if (!kd)
		pr_err("No image kind %d\n", kind);
	return kd;
}

int img_open(struct img_dir *dir, int kind, unsigned int flags, unsigned long id, struct cr_img **img)
{
	const struct img_kind_desc *kd = kind_or_log(kind);
	char name[NAME_MAX + 1];

	*img = NULL;
	if (!kd)
		return -EINVAL;
	if (kd->arg == IMG_ARG_STR) {
		pr_err("%s images are named by a string: use img_open_named()\n", kd->name);
		return -EINVAL;
	}
	if (kd->arg == IMG_ARG_NONE && id) {
		pr_err("%s images take no id (given %lu)\n", kd->name, id);
		return -EINVAL;
	}
	/* The generated patterns take exactly one unsigned long, or nothing. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(name, sizeof(name), kd->pattern, id);
#pragma GCC diagnostic pop
	return img_open_file(dir, kind, flags, name, img);
}

int img_open_named(struct img_dir *dir, int kind, unsigned int flags, const char *arg, struct cr_img **img)
{
	const struct img_kind_desc *kd = kind_or_log(kind);
	char name[NAME_MAX + 1];

	*img = NULL;
	if (!kd)
		return -EINVAL;
	if (kd->arg != IMG_ARG_STR || !arg || strchr(arg, '/')) {
		pr_err("%s images can't be named by \"%s\"\n", kd->name, arg ? arg : "(null)");
		return -EINVAL;
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (snprintf(name, sizeof(name), kd->pattern, arg) >= (int)sizeof(name)) {
#pragma GCC diagnostic pop
		pr_err("%s image name too long for \"%s\"\n", kd->name, arg);
		return -ENAMETOOLONG;
	}
	return img_open_file(dir, kind, flags, name, img);
}

int img_open_fd(int fd, int kind, unsigned int flags, const char *name, struct cr_img **out)
{
	const struct img_kind_desc *kd = kind_or_log(kind);
	struct cr_img *img;
	char fdname[32];
	int r;

	*out = NULL;
	if (!kd) {
		close(fd);
		return -EINVAL;
	}
	if (!name) {
		snprintf(fdname, sizeof(fdname), "fd %d", fd);
		name = fdname;
	}
	img = img_alloc(kind, name, "");
	if (!img) {
		close(fd);
		return -ENOMEM;
	}
	r = img_setup(img, fd, flags);
	if (r) {
		img_free(img);
		return r;
	}
	*out = img;
	return 0;
}

int img_close(struct cr_img *img)
{
	int r;

	if (!img)
		return 0;
	r = img->err;
	if (img->writing && !img->err && img->fd >= 0)
		r = flush(img);
	if (img->fd >= 0) {
		int fd = TAKE_FD(img->fd);

		if (close(fd) && img->writing && !r) {
			r = -errno;
			pr_err("%s (%s): close failed: %s\n", img->name, img->kd->name, strerror(-r));
		}
	}
	img_free(img);
	return r;
}

void img_closep(struct cr_img **img)
{
	if (*img && img_close(*img)) {
		/* the error was logged where it happened */
	}
	*img = NULL;
}

const char *img_name(const struct cr_img *img)
{
	return img->name;
}

int img_kind(const struct cr_img *img)
{
	return img->kind;
}

bool img_is_absent(const struct cr_img *img)
{
	return img->absent;
}

off_t img_offset(const struct cr_img *img)
{
	return img->off;
}

int img_raw_fd(struct cr_img *img)
{
	int r;

	if (img->err)
		return img->err;
	if (img->absent)
		return -EBADF;
	img_resync(img);
	if (img->writing) {
		r = flush(img);
		if (r)
			return r;
	} else if (img->end > img->start) {
		if (lseek(img->fd, img->off, SEEK_SET) < 0)
			return img_fail(img, -errno, "can't seek to offset %lld: %s", (long long)img->off,
					strerror(errno));
		img->start = img->end = 0;
	}
	img->resync = true;
	return img->fd;
}

/* ------------------------------------------------------------ entries */

/*
 * Which message the next entry is: @desc checked against the messages the
 * kind table lists for the kind, or (NULL) the one that comes next.
 */
static const ProtobufCMessageDescriptor *entry_desc(struct cr_img *img, const ProtobufCMessageDescriptor *desc)
{
	const struct img_kind_desc *kd = img->kd;

	if (!desc)
		return img->nr_entries == 0 && kd->head ? kd->head : kd->entry;
	if (desc == kd->head || desc == kd->entry || desc == kd->extra_msg)
		return desc;
	return NULL;
}

static int read_body_heap(struct cr_img *img, uint32_t len, uint8_t **out)
{
	size_t have = img->end - img->start;
	uint8_t *p = malloc(len);
	ssize_t r;

	if (!p)
		return img_fail(img, -ENOMEM, "out of memory for a %u-byte entry", len);
	memcpy(p, img->buf + img->start, have);
	consume(img, have);
	r = read_full(img->fd, p + have, len - have);
	if (r < 0) {
		free(p);
		return img_fail(img, (int)r, "read error at offset %lld: %s", (long long)img->off, strerror(-r));
	}
	img->off += r;
	if ((size_t)r < len - have) {
		free(p);
		return img_fail(img, -EIO, "truncated entry: %zu of %u bytes", have + r, len);
	}
	*out = p;
	return 0;
}

int img_read_entry(struct cr_img *img, const ProtobufCMessageDescriptor *desc, void **msg)
{
	_cleanup_free_ uint8_t *heap = NULL;
	const uint8_t *body;
	off_t at, left;
	uint32_t len;
	ssize_t got;

	*msg = NULL;
	if (img->err)
		return img->err;
	if (img->absent)
		return 0;
	if (img->writing)
		return img_fail(img, -EBADF, "read from an image open for writing");
	if (!entry_desc(img, desc))
		return img_fail(img, -EINVAL, "%s is not a message of this kind%s", desc ? desc->name : "entry",
				desc ? "" : " (no schema for it in images/)");
	desc = entry_desc(img, desc);
	img_resync(img);

	at = img->off;
	got = fill(img, 4);
	if (got < 0)
		return got;
	if (got == 0)
		return 0;
	if (got < 4)
		return img_fail(img, -EIO, "truncated entry length at offset %lld", (long long)at);
	len = get_le32(img->buf + img->start);
	if (len > IMG_ENTRY_MAX)
		return img_fail(img, -EFBIG, "corrupt entry length %u at offset %lld (limit %u)", len, (long long)at,
				IMG_ENTRY_MAX);
	consume(img, 4);
	left = left_in_file(img);
	if (left >= 0 && len > left)
		return img_fail(img, -EIO, "truncated entry at offset %lld: %u bytes announced, %lld left",
				(long long)at, len, (long long)left);

	if (len <= img->cap) {
		got = fill(img, len);
		if (got < 0)
			return got;
		if ((size_t)got < len)
			return img_fail(img, -EIO, "truncated entry at offset %lld: %zd of %u bytes", (long long)at,
					got, len);
		body = img->buf + img->start;
	} else {
		int r = read_body_heap(img, len, &heap);

		if (r)
			return r;
		body = heap;
	}

	*msg = protobuf_c_message_unpack(desc, NULL, len, body);
	if (!heap)
		consume(img, len);
	if (!*msg)
		return img_fail(img, -EINVAL, "corrupt entry at offset %lld: %u bytes do not unpack as %s",
				(long long)at, len, desc->name);
	img->nr_entries++;
	return 1;
}

int img_write_entry(struct cr_img *img, const void *m)
{
	const ProtobufCMessage *msg = m;
	_cleanup_free_ uint8_t *heap = NULL;
	uint8_t lenbuf[4];
	size_t size, packed;
	int r;

	if (img->err)
		return img->err;
	if (!img->writing || img->fd < 0)
		return img_fail(img, -EBADF, "write to an image not open for writing");
	if (!entry_desc(img, msg->descriptor) || (img->kd->flags & IMGK_RAW))
		return img_fail(img, -EINVAL, "%s is not an entry of this kind", msg->descriptor->name);
	img_resync(img);

	size = protobuf_c_message_get_packed_size(msg);
	if (size > IMG_ENTRY_MAX)
		return img_fail(img, -EFBIG, "%s entry of %zu bytes is above the limit", msg->descriptor->name, size);

	if (size + 4 <= img->cap) {
		/* pack straight into the buffer */
		if (img->end + size + 4 > img->cap) {
			r = flush(img);
			if (r)
				return r;
		}
		put_le32(img->buf + img->end, size);
		packed = protobuf_c_message_pack(msg, img->buf + img->end + 4);
		if (packed != size)
			return img_fail(img, -EINVAL, "%s packed to %zu bytes, expected %zu", msg->descriptor->name,
					packed, size);
		img->end += size + 4;
		img->off += size + 4;
	} else {
		heap = malloc(size);
		if (!heap)
			return img_fail(img, -ENOMEM, "out of memory for a %zu-byte entry", size);
		packed = protobuf_c_message_pack(msg, heap);
		if (packed != size)
			return img_fail(img, -EINVAL, "%s packed to %zu bytes, expected %zu", msg->descriptor->name,
					packed, size);
		put_le32(lenbuf, size);
		r = put(img, lenbuf, 4);
		if (!r)
			r = put(img, heap, size);
		if (r)
			return r;
	}
	img->nr_entries++;
	return 0;
}

/* ------------------------------------------------------------ raw payload */

int img_read_raw(struct cr_img *img, void *buf, size_t n)
{
	size_t have, done = 0;
	off_t at = img->off, left;
	ssize_t r;

	if (img->err)
		return img->err;
	if (img->writing || img->absent)
		return img_fail(img, -EBADF, "raw read from an image not open for reading");
	img_resync(img);
	at = img->off;
	left = left_in_file(img);
	if (left >= 0 && (uint64_t)left < n)
		return img_fail(img, -EIO, "truncated payload at offset %lld: %zu bytes wanted, %lld left",
				(long long)at, n, (long long)left);

	while (done < n) {
		have = img->end - img->start;
		if (!have && n - done >= img->cap) {
			r = read_full(img->fd, (char *)buf + done, n - done);
			if (r < 0)
				return img_fail(img, (int)r, "read error at offset %lld: %s", (long long)img->off,
						strerror(-r));
			img->off += r;
			done += r;
			break;
		}
		if (!have) {
			r = fill(img, min(img->cap, n - done));
			if (r < 0)
				return r;
			if (r == 0)
				break;
			continue;
		}
		have = min(have, n - done);
		memcpy((char *)buf + done, img->buf + img->start, have);
		consume(img, have);
		done += have;
	}
	if (done < n)
		return img_fail(img, -EIO, "truncated payload at offset %lld: %zu of %zu bytes", (long long)at, done,
				n);
	return 0;
}

int img_skip_raw(struct cr_img *img, uint64_t n)
{
	off_t at, left;
	size_t have;

	if (img->err)
		return img->err;
	if (img->writing || img->absent)
		return img_fail(img, -EBADF, "skip in an image not open for reading");
	img_resync(img);
	at = img->off;
	left = left_in_file(img);
	if (left >= 0) {
		if ((uint64_t)left < n)
			return img_fail(img, -EIO, "truncated payload at offset %lld: %llu bytes to skip, %lld left",
					(long long)at, (unsigned long long)n, (long long)left);
		have = img->end - img->start;
		if (n <= have) {
			consume(img, n);
			return 0;
		}
		if (lseek(img->fd, at + n, SEEK_SET) < 0)
			return img_fail(img, -errno, "can't seek: %s", strerror(errno));
		img->start = img->end = 0;
		img->off = at + n;
		return 0;
	}
	/* not seekable: read through */
	while (n) {
		ssize_t r;

		if (img->end == img->start) {
			r = fill(img, min((uint64_t)img->cap, n));
			if (r < 0)
				return r;
			if (r == 0)
				return img_fail(img, -EIO, "truncated payload at offset %lld", (long long)at);
		}
		have = min((uint64_t)(img->end - img->start), n);
		consume(img, have);
		n -= have;
	}
	return 0;
}

int img_write_raw(struct cr_img *img, const void *buf, size_t n)
{
	if (img->err)
		return img->err;
	if (!img->writing || img->fd < 0)
		return img_fail(img, -EBADF, "raw write to an image not open for writing");
	img_resync(img);
	return put(img, buf, n);
}

int img_skip_to_end(struct cr_img *img)
{
	off_t left;

	if (img->err)
		return img->err;
	if (img->writing || img->absent)
		return img_fail(img, -EBADF, "skip in an image not open for reading");
	img_resync(img);
	left = left_in_file(img);
	if (left >= 0)
		return img_skip_raw(img, left);
	for (;;) {
		ssize_t r;

		img->off += img->end - img->start;
		img->start = img->end = 0;
		r = fill(img, img->cap);
		if (r <= 0)
			return r;
	}
}

/* ------------------------------------------------------------ one-entry images */

int img_read_one(struct img_dir *dir, int kind, unsigned long id, const ProtobufCMessageDescriptor *desc, void **msg)
{
	_cleanup_img_ struct cr_img *img = NULL;
	int r;

	*msg = NULL;
	r = img_open(dir, kind, IMG_READ, id, &img);
	if (r < 0)
		return r;
	r = img_read_entry(img, desc, msg);
	if (r == 0)
		return img_fail(img, -EIO, "no entry in the image");
	if (r < 0)
		return r;
	r = img_close(TAKE_PTR(img));
	if (r) {
		img_msg_free(*msg);
		*msg = NULL;
	}
	return r;
}

int img_write_one(struct img_dir *dir, int kind, unsigned long id, const void *msg)
{
	_cleanup_img_ struct cr_img *img = NULL;
	int r;

	r = img_open(dir, kind, IMG_WRITE, id, &img);
	if (r < 0)
		return r;
	r = img_write_entry(img, msg);
	if (r)
		return r;
	return img_close(TAKE_PTR(img));
}
