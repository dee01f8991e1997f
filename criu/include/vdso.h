/*
 * The vDSO on restore: this kernel's [vvar], [vvar_vclock] and [vdso]
 * areas (as criu itself has them, and so its forked child) go where the
 * dumped task's code looks for them.
 *
 * vdso_plan() reads criu's own areas from /proc/self/maps and decides:
 *  - the dumped vDSO is this kernel's (same sizes, and the same bytes
 *    where the image has its pages): each area is moved to the dumped
 *    place (the image's VVAR area: [vvar] + [vvar_vclock] as one, as CRIU
 *    4.2 writes it, or both apart; then VDSO);
 *  - it is another kernel's (vdso-proxy.c): the dumped vDSO is restored
 *    from the image as plain memory whose functions jump to this kernel's
 *    ones, and this kernel's areas go to a free place the child chooses
 *    (@relocate).  That needs the whole dumped vDSO in the image.
 * The task had no vDSO: this kernel's is unmapped.
 */
#ifndef CRIU_VDSO_H
#define CRIU_VDSO_H

#include <stdbool.h>

#include "mem.h"
#include "restorer.h"

/* One redirected entry point: offsets in the dumped vDSO and in ours. */
struct vdso_jump {
	uint64_t from, to;
};
#define VDSO_NO_TARGET (~0ULL) /* ours lacks it: it returns -ENOSYS */
#define VDSO_MAX_JUMPS 16
#define VDSO_JUMP_LEN  13

struct vdso_plan {
	struct rst_special special[RST_MAX_SPECIAL];
	unsigned int nr_special;
	bool relocate;	   /* another kernel's vDSO: ours goes to a free place */
	uint64_t len;	   /* of all our areas, one after another */
	uint64_t vdso_off; /* of our [vdso] in them */
	struct vdso_jump jumps[VDSO_MAX_JUMPS];
	unsigned int nr_jumps;
};

/* May turn the dumped VDSO area of @mr into plain memory with its pages (relocate). */
int vdso_plan(struct mem_restore *mr, struct vdso_plan *p) __must_check;

/* vdso-proxy.c: the entry points of @dumped and where each goes in @ours. */
int vdso_proxy_plan(const uint8_t *dumped, size_t dlen, const uint8_t *ours, size_t olen, struct vdso_jump *jumps,
		    unsigned int *nr) __must_check;
/* The code that sends a call to @target (VDSO_NO_TARGET: returns -ENOSYS); its length. */
unsigned int vdso_jump_code(uint64_t target, uint8_t code[16]);

#endif /* CRIU_VDSO_H */
