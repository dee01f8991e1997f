/*
 * Helpers shared by the image tests and fuzzers: guess an image's kind from
 * its magics, walk every entry (and its payload) through the library, and
 * put bytes in a memfd so the library reads them as a file.
 */
#ifndef CRIU_TEST_IMG_WALK_H
#define CRIU_TEST_IMG_WALK_H

#include <sys/mman.h>

#include "image.h"

/* The kind the first bytes of an image name, or -ENOENT. */
static inline int walk_guess_kind(const uint8_t *d, size_t n)
{
	uint32_t m0, m1;
	int k;

	if (n < 4)
		return -ENOENT;
	m0 = d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
	if ((m0 == IMG_COMMON_MAGIC || m0 == IMG_SERVICE_MAGIC) && n >= 8) {
		m1 = d[4] | d[5] << 8 | d[6] << 16 | (uint32_t)d[7] << 24;
		k = img_kind_by_magic(m1);
		if (k >= 0)
			return k;
	}
	return img_kind_by_magic(m0);
}

/*
 * Read every entry of @img with the kind's messages, skip every payload.
 * @each (may be NULL) sees each message.  Returns the number of entries,
 * or -errno from the library (or from @each).
 */
static inline int walk_image(struct cr_img *img, int (*each)(void *arg, struct cr_img *img, const void *msg), void *arg)
{
	int n = 0;

	for (;;) {
		void *msg = NULL;
		int r = img_read_entry(img, NULL, &msg);

		if (r <= 0)
			return r < 0 ? r : n;
		r = img_skip_payload(img, msg);
		if (!r && each)
			r = each(arg, img, msg);
		img_msg_free(msg);
		if (r < 0)
			return r;
		n++;
	}
}

/* A memfd holding @n bytes of @d, offset 0; -errno on failure. */
static inline int walk_memfd(const void *d, size_t n)
{
	int fd = memfd_create("img", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (n && write(fd, d, n) != (ssize_t)n) {
		close(fd);
		return -EIO;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Is @r one of the errors the reader is documented to return? */
static inline bool walk_error_ok(int r)
{
	return r == -EIO || r == -EINVAL || r == -EFBIG || r == -ERANGE || r == -EOPNOTSUPP;
}

#endif
