/*
 * Where this kernel's vDSO goes in a restored task (see vdso.h).
 */
#include <fcntl.h>

#define LOG_PREFIX "vdso: "
#include "log.h"
#include "proc-parse.h"
#include "vdso.h"

/* criu's own vDSO areas, in address order; they must be contiguous. */
static int own_specials(struct rst_special *sp, unsigned int *nr)
{
	struct proc_vmas pv;
	int r = proc_read_smaps(getpid(), &pv);

	if (r)
		return r;
	*nr = 0;
	for (unsigned int i = 0; i < pv.n; i++) {
		enum vma_kind k = pv.v[i].kind;

		if (k != VMA_K_VVAR && k != VMA_K_VVAR_VCLOCK && k != VMA_K_VDSO)
			continue;
		if (*nr == RST_MAX_SPECIAL) {
			r = pr_err_ret(-EINVAL, "more vDSO areas than expected");
			break;
		}
		sp[*nr].start = pv.v[i].start;
		sp[*nr].len = pv.v[i].end - pv.v[i].start;
		sp[*nr].to = 0;
		if (*nr && sp[*nr - 1].start + sp[*nr - 1].len != sp[*nr].start)
			r = pr_err_ret(-EINVAL, "this kernel's vDSO areas are not one after another");
		(*nr)++;
	}
	proc_vmas_free(&pv);
	return r;
}

/* Do the dumped vDSO pages (those the task had touched) match ours? */
static int same_bytes(const struct mem_restore *mr, uint64_t vdso, uint64_t len)
{
	_cleanup_free_ char *buf = xmalloc(len);

	if (!buf)
		return -ENOMEM;
	for (unsigned int i = 0; i < mr->nr_vdso_pages; i++) {
		uint64_t n = mr->vdso_pages[i].nr * PAGE_SIZE_4K, at = mr->vdso_pages[i].at;

		if (at + n > len)
			return pr_err_ret(-EINVAL, "the dumped vDSO pages run past its end");
		if (pread(mr->page_fds[0], buf, n, mr->vdso_pages[i].off) != (ssize_t)n)
			return pr_err_ret(-EIO, "can't read the dumped vDSO from the pages image");
		if (memcmp(buf, (void *)(vdso + at), n))
			return 0;
	}
	return 1;
}

int vdso_plan(const struct mem_restore *mr, struct rst_special *sp, unsigned int *nr)
{
	uint64_t base, vvar_len = 0, vdso = 0, vdso_len = 0;
	int r;

	r = own_specials(sp, nr);
	if (r)
		return r;
	if (!*nr)
		return mr->vdso_start ? pr_err_ret(-EOPNOTSUPP, "criu has no vDSO to give the task") : 0;
	base = sp[0].start;
	for (unsigned int i = 0; i < *nr; i++) {
		if (i == *nr - 1) {
			vdso = sp[i].start;
			vdso_len = sp[i].len;
		} else {
			vvar_len += sp[i].len;
		}
	}
	if (!mr->vdso_start) {
		pr_info("the task had no vDSO: this kernel's is unmapped\n");
		return 0;
	}
	if (mr->vdso_end - mr->vdso_start != vdso_len || mr->vvar_end - mr->vvar_start != vvar_len ||
	    mr->vvar_end != mr->vdso_start) {
		pr_err("the dumped vDSO (vvar %#llx-%#llx, vdso %#llx-%#llx) is laid out unlike this kernel's "
		       "(%llu + %llu bytes): restoring on another kernel is not supported yet\n",
		       (unsigned long long)mr->vvar_start, (unsigned long long)mr->vvar_end,
		       (unsigned long long)mr->vdso_start, (unsigned long long)mr->vdso_end,
		       (unsigned long long)vvar_len, (unsigned long long)vdso_len);
		return -EOPNOTSUPP;
	}
	if (mr->nr_vdso_pages) {
		r = same_bytes(mr, vdso, vdso_len);
		if (r < 0)
			return r;
		if (!r) {
			pr_err("the dumped vDSO differs from this kernel's: restoring on another kernel is "
			       "not supported yet\n");
			return -EOPNOTSUPP;
		}
	}
	for (unsigned int i = 0; i < *nr; i++)
		sp[i].to = mr->vvar_start + (sp[i].start - base);
	pr_info("vDSO %#llx -> %#llx\n", (unsigned long long)base, (unsigned long long)mr->vvar_start);
	return 0;
}
