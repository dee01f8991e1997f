/*
 * The vDSO on restore: this kernel's [vvar], [vvar_vclock] and [vdso]
 * areas (as criu itself has them, and so its forked child) are moved to
 * where the dumped task had its own, so that the task's code, which
 * remembers those addresses, finds a working vDSO there.
 *
 * vdso_plan() reads criu's own areas from /proc/self/maps and fills
 * @special with where each goes: the image's VVAR area (one area of
 * [vvar] + [vvar_vclock] as CRIU 4.2 writes it, or both apart) and VDSO.
 * The sizes must match this kernel's and, when the image has the dumped
 * vDSO's pages, so must their bytes: a vDSO of another kernel would need
 * its entry points redirected, which is not supported yet (-EOPNOTSUPP).
 */
#ifndef CRIU_VDSO_H
#define CRIU_VDSO_H

#include "mem.h"
#include "restorer.h"

int vdso_plan(const struct mem_restore *mr, struct rst_special *special, unsigned int *nr) __must_check;

#endif /* CRIU_VDSO_H */
