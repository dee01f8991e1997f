/*
 * libFuzzer target of the image reader: `make fuzz` (clang, ASan, UBSan)
 * builds build/test/fuzz/img-fuzz and runs it for FUZZ_TIME seconds on a
 * corpus seeded from the fixture images and the synthetic payload images.
 *
 * The input is read as an image file of the kind its magics name (or, with
 * no known magic, of the kind its last byte picks, to reach the wrong-magic
 * paths) and walked entry by entry, payloads included.  Besides what the
 * sanitizers catch, it aborts when the walk ends in an error the library
 * does not document or logs other than exactly one error for a failure.
 *
 * Run by hand: build/test/fuzz/img-fuzz [libFuzzer options] CORPUS_DIR
 *              build/test/fuzz/img-fuzz crash-file   (replay one input)
 */
#include "image.h"
#include "log.h"

#include "img-walk.h"
#include "img-seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("IMG_FUZZ_SEEDS");

	log_set_loglevel(LOG_MSG); /* errors are expected by the thousand */
	if (!dir)
		return 0;
	/* IMG_FUZZ_SEEDS=DIR: write the synthetic seeds there and carry on */
	for (size_t i = 0; i < ARRAY_SIZE(seed_makers); i++) {
		struct seed s;
		char path[4096];
		FILE *f;

		if (seed_make(i, &s))
			continue;
		snprintf(path, sizeof(path), "%s/synthetic-%s.img", dir, s.name);
		f = fopen(path, "w");
		if (f) {
			fwrite(s.data, 1, s.len, f);
			fclose(f);
		}
		free(s.data);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_img *img = NULL;
	unsigned int errs;
	int fd, kind, r;

	kind = walk_guess_kind(data, size);
	if (kind < 0)
		kind = size ? data[size - 1] % CR_IMG__NR : CR_IMG_INVENTORY;
	fd = walk_memfd(data, size);
	if (fd < 0)
		return 0;

	errs = log_error_count();
	r = img_open_fd(fd, kind, IMG_READ, "fuzz", &img);
	if (!r) {
		r = walk_image(img, NULL, NULL);
		if (r >= 0) {
			int c = img_close(img);

			r = c ? c : r;
		} else {
			img_closep(&img);
		}
	}
	errs = log_error_count() - errs;
	if (r < 0 ? !walk_error_ok(r) || errs != 1 : errs != 0) {
		fprintf(stderr, "img-fuzz: kind %s: result %d, %u errors logged\n", img_kind_desc(kind)->name, r, errs);
		abort();
	}
	return 0;
}
