/*
 * Image files: reading and writing the CRIU image format (v1.1).
 *
 * A checkpoint is a directory of image files.  Every image file but the raw
 * ones (pages-N.img) is laid out as
 *
 *	[head magic, u32 LE]  [kind magic, u32 LE]  entry  entry  ...
 *	entry = [length, u32 LE] [protobuf message of that many bytes]
 *	        [raw payload, only for kinds that carry one]
 *
 * The head magic is IMG_COMMON_MAGIC, IMG_SERVICE_MAGIC for service files
 * (stats), and absent for the inventory.  The kinds (name, magic, file
 * name, messages) are one table, images/kinds.def, turned into
 * build/image-kinds.h at build time: CR_IMG_INVENTORY, CR_IMG_CORE, ...
 *
 * How to use:
 *  1. img_dir_open("/path", IMG_DIR_READ or IMG_DIR_CREATE, &dir): once per
 *     command; img_dir_close(dir) at the end.
 *  2. img_open(dir, CR_IMG_CORE, IMG_READ, pid, &img): writing creates (or
 *     truncates) the file and writes its magics; reading checks them.  The
 *     id fills the file-name pattern as an unsigned long (never printf
 *     arguments of the caller's choosing: the generator makes every
 *     pattern take one); names with a %s (stats-%s) take
 *     img_open_named(..., "dump", &img).
 *  3. Reading: loop on img_read_entry(img, NULL, &msg) until it returns 0
 *     (end of file); free each message with img_msg_free() or let
 *     _cleanup_msg_ do it.  NULL as descriptor means "what the kind table
 *     says comes next": the head message first (pagemap_head), then entries.
 *     Writing: img_write_entry(img, &msg) per entry.
 *  4. Raw payload after an entry (pipes-data, tcp-stream, ...):
 *     img_read_raw()/img_skip_raw()/img_write_raw() right after the entry.
 *     img_entry_payload() says how many bytes follow an entry of a kind,
 *     img_skip_payload() skips them.
 *  5. img_close(img): flushes; for written images the result MUST be
 *     checked, a failed or short write shows there at the latest.
 *
 * Errors: every call returns 0 (or the documented positive value) on success
 * and -errno on failure.  The library logs the error once, with the file
 * name, the images directory and the kind, where it detects it; callers just
 * pass the value up.  After an error an image stays failed: later calls
 * return the same error without logging again.
 *
 *	-ENOENT	 directory or file missing ("Can't open core-42.img in /dir: ...")
 *	-EINVAL	 wrong magic, an entry that does not unpack, a message the kind
 *		 does not list, an old kind opened for writing, a bad argument
 *	-EIO	 truncated magic, entry or payload; a short write
 *	-EFBIG	 an entry length above IMG_ENTRY_MAX (a corrupt length field)
 *	-EBADF	 reading an image open for writing, or the other way round
 *	-EOPNOTSUPP img_entry_payload() on a layout that is not one length
 *	-ENOMEM	 out of memory; other -errno from the system calls
 *
 * An optional image (IMG_OPTIONAL) that does not exist is not an error:
 * img_open() returns IMG_ABSENT and an empty image whose first read returns
 * 0 (end), as CRIU treats a missing image.  A file that exists but is
 * shorter than its magics (an empty file included) is corrupt: -EIO.  A
 * file with the magics and no entry is a valid image with no entries.
 *
 * Buffering: entries are read and written through a 64 KiB buffer (less
 * when reading a smaller file), so many small entries cost one system
 * call; larger entries and raw payloads go around it.
 * img_raw_fd() hands out the file descriptor positioned at the logical
 * offset, for splice/preadv by the caller.
 *
 * Ownership: a struct cr_img belongs to whoever opened it until img_close();
 * a message from img_read_entry() belongs to the caller.  Neither is
 * thread-safe; use one image per thread.
 */
#ifndef CRIU_IMAGE_H
#define CRIU_IMAGE_H

#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>

#include "common.h"
#include "image-kinds.h" /* generated: enum img_kind, CR_IMG_*, magics */

/* Longest entry accepted (bytes of one protobuf message). */
#define IMG_ENTRY_MAX (64u << 20)

/* img_open() returned an empty image: the optional file does not exist. */
#define IMG_ABSENT 1

/* ------------------------------------------------------------ kinds */

/* What the name pattern of a kind takes: nothing, an integer, a string. */
enum img_arg {
	IMG_ARG_NONE,
	IMG_ARG_ID,
	IMG_ARG_STR,
};

/* Kind flags (from the FLAGS column of kinds.def). */
#define IMGK_NO_HEAD_MAGIC (1u << 0) /* inventory: kind magic only */
#define IMGK_SERVICE	   (1u << 1) /* stats: service head magic */
#define IMGK_RAW	   (1u << 2) /* no magic, no entries: raw bytes (pages) */
#define IMGK_OLD	   (1u << 3) /* written by old CRIU only: read, never written */

/* What follows each entry (the extra= flag of kinds.def). */
enum img_extra {
	IMG_EXTRA_NONE,
	IMG_EXTRA_FIELDS,  /* raw bytes, the sum of the entry's extra_fields */
	IMG_EXTRA_GHOST,   /* ghost file: contents to the end, or chunk entries + len bytes */
	IMG_EXTRA_IPC_SHM, /* size bytes padded to 4 (none when in_pagemaps) */
	IMG_EXTRA_IPC_SEM, /* nsems u16 values padded to 8 bytes */
	IMG_EXTRA_IPC_MSG, /* qnum times: an ipc_msg entry, then msize bytes padded to 8 */
};

struct img_kind_desc {
	const char *name;			 /* "CORE", as crit prints it */
	uint32_t magic;				 /* the kind magic (0 for raw kinds) */
	const char *pattern;			 /* file name: "core-%lu.img", or NULL */
	enum img_arg arg;			 /* what the pattern takes */
	const ProtobufCMessageDescriptor *head;	 /* the first entry if it differs, or NULL */
	const ProtobufCMessageDescriptor *entry; /* every (other) entry, or NULL */
	unsigned int flags;			 /* IMGK_* */
	int alias;				 /* kind a lookup by magic reports instead, or -1 */
	enum img_extra extra;
	const char *extra_fields[4];		     /* IMG_EXTRA_FIELDS: NULL-terminated */
	const ProtobufCMessageDescriptor *extra_msg; /* IMG_EXTRA_IPC_MSG: ipc_msg */
};

/* The table row of a kind; NULL (no log) for a number out of range. */
const struct img_kind_desc *img_kind_desc(int kind);
/*
 * The kind whose (kind) magic is @magic, or -ENOENT.  Raw kinds and aliases
 * never match: a magic shared by several kinds gives the one they alias.
 */
int img_kind_by_magic(uint32_t magic);

/* ------------------------------------------------------------ directory */

struct img_dir;

#define IMG_DIR_READ   0
#define IMG_DIR_CREATE 1 /* mkdir (0700) if missing, for dump */

/*
 * Open the images directory @path.  -ENOENT (logged: "Can't open images
 * directory /x: ...") if it is missing and not IMG_DIR_CREATE.
 */
int img_dir_open(const char *path, unsigned int flags, struct img_dir **dir) __must_check;
/* Open @rel relative to @base (e.g. the "parent" link of a pre-dump). */
int img_dir_open_at(struct img_dir *base, const char *rel, unsigned int flags, struct img_dir **dir) __must_check;
/* Close and free; NULL is fine. */
void img_dir_close(struct img_dir *dir);
int img_dir_fd(const struct img_dir *dir);
const char *img_dir_path(const struct img_dir *dir);

static inline void img_dir_closep(struct img_dir **d)
{
	img_dir_close(*d);
}
#define _cleanup_img_dir_ __cleanup(img_dir_closep)

/* ------------------------------------------------------------ images */

struct cr_img;

/* img_open() flags. */
#define IMG_READ     0
#define IMG_WRITE    (1u << 0) /* create or truncate, mode 0600, write magics */
#define IMG_OPTIONAL (1u << 1) /* reading: a missing file is IMG_ABSENT, quietly */

/*
 * Open the image of @kind in @dir.  @id fills the file-name pattern when
 * it takes an integer (core-%lu.img: the pid; tcp-stream-%lx.img: the
 * inode) and must be 0 otherwise.  Returns 0, IMG_ABSENT (IMG_OPTIONAL
 * only, *img is then an empty image) or -errno; *img is NULL on error.
 */
int img_open(struct img_dir *dir, int kind, unsigned int flags, unsigned long id, struct cr_img **img) __must_check;
/* The same for patterns that take a string: stats-%s ("dump", "restore"). */
int img_open_named(struct img_dir *dir, int kind, unsigned int flags, const char *arg,
		   struct cr_img **img) __must_check;
/*
 * Wrap an open file descriptor (taken over: closed by img_close(), also on
 * error) as an image of @kind; @name is used in messages.  The magics are
 * written or checked as by img_open().
 */
int img_open_fd(int fd, int kind, unsigned int flags, const char *name, struct cr_img **img) __must_check;

/*
 * Read the next entry into a new message of type @desc (NULL: the kind's
 * head for the first entry, then its entry message; a descriptor that is
 * neither is refused with -EINVAL).  Returns 1 and *msg, 0 at a clean end
 * of file (*msg NULL), or -errno: -EIO for a truncated length or body,
 * -EFBIG for a length above IMG_ENTRY_MAX, -EINVAL for a body that does
 * not unpack.
 */
int img_read_entry(struct cr_img *img, const ProtobufCMessageDescriptor *desc, void **msg) __must_check;
/*
 * Append one entry: @msg is a protobuf-c message (XxxEntry *) of a type the
 * kind lists (its head, entry or extra message); -EINVAL otherwise.
 */
int img_write_entry(struct cr_img *img, const void *msg) __must_check;

/*
 * Raw bytes around entries.  img_read_raw() reads exactly @n bytes
 * (-EIO "truncated payload" otherwise); img_skip_raw() skips them.
 */
int img_read_raw(struct cr_img *img, void *buf, size_t n) __must_check;
int img_skip_raw(struct cr_img *img, uint64_t n) __must_check;
int img_write_raw(struct cr_img *img, const void *buf, size_t n) __must_check;
/*
 * Bytes of raw payload that follow @msg, an entry just read from or about
 * to be written to @img: 0 for kinds without payload; the sum of the
 * extra= fields; the padded sizes of ipc shm and sem.  -EOPNOTSUPP for
 * layouts that are not one length (ghost file contents, ipc messages):
 * img_skip_payload() walks those.
 */
int img_entry_payload(const struct cr_img *img, const void *msg, uint64_t *len) __must_check;
/*
 * Skip whatever follows the entry @msg just read, whatever the kind's
 * layout: for generic readers (tests, the fuzzer, image dumpers).
 */
int img_skip_payload(struct cr_img *img, const void *msg) __must_check;
/* Skip the rest of the file (a ghost file's contents). */
int img_skip_to_end(struct cr_img *img) __must_check;

/*
 * The file descriptor, for the caller's own I/O (splice, preadv): pending
 * writes are flushed and, for reading, the file offset is moved to the
 * logical position (just after what was read through the library).  The
 * image stays usable afterwards only if the caller leaves the offset where
 * its own I/O ended.  -EBADF for an absent image.
 */
int img_raw_fd(struct cr_img *img) __must_check;

/* The file name ("core-42.img"), the kind, whether IMG_ABSENT. */
const char *img_name(const struct cr_img *img);
int img_kind(const struct cr_img *img);
bool img_is_absent(const struct cr_img *img);
/* Logical offset in the file (bytes read or written so far). */
off_t img_offset(const struct cr_img *img);

/*
 * Flush, close and free.  Returns the first error the image met (a write
 * error, or this flush or close(2) failing), 0 otherwise.  NULL is fine.
 */
int img_close(struct cr_img *img) __must_check;

/* For error paths only: close and free, ignoring errors. */
void img_closep(struct cr_img **img);
#define _cleanup_img_ __cleanup(img_closep)

/* ------------------------------------------------------------ one-entry images */

/* Read the only entry of a single-entry image (core, mm, ids, fs...). */
int img_read_one(struct img_dir *dir, int kind, unsigned long id, const ProtobufCMessageDescriptor *desc,
		 void **msg) __must_check;
/* Write a single-entry image. */
int img_write_one(struct img_dir *dir, int kind, unsigned long id, const void *msg) __must_check;

/* ------------------------------------------------------------ messages */

/* Free an unpacked message; NULL is fine. */
static inline void img_msg_free(void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked((ProtobufCMessage *)msg, NULL);
}

static inline void img_msg_freep(void *p)
{
	img_msg_free(*(void **)p);
}
/* CoreEntry *ce _cleanup_msg_ = NULL; */
#define _cleanup_msg_ __cleanup(img_msg_freep)

#endif /* CRIU_IMAGE_H */
