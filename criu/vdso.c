/*
 * Where this kernel's vDSO goes in a restored task (see vdso.h); the
 * redirection of another kernel's vDSO is vdso-proxy.c's.
 */
#include <fcntl.h>
#include <sys/mman.h>

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

/*
 * Another kernel's vDSO: read all of it from the image, plan the jumps to
 * ours, and make its area plain memory filled from the image.
 */
static int plan_proxy(struct mem_restore *mr, struct vdso_plan *p, uint64_t vdso, uint64_t vdso_len)
{
	uint64_t len = mr->vdso_end - mr->vdso_start, have = 0;
	_cleanup_free_ uint8_t *img = NULL;
	struct rst_vma *v = NULL;
	int r;

	for (unsigned int i = 0; i < mr->nr_vdso_pages; i++)
		have += mr->vdso_pages[i].nr * PAGE_SIZE_4K;
	if (have != len) {
		pr_err("the dumped vDSO is another kernel's and the image has only %llu of its %llu bytes: "
		       "can't restore it here\n",
		       (unsigned long long)have, (unsigned long long)len);
		return -EOPNOTSUPP;
	}
	img = xmalloc(len);
	if (!img)
		return -ENOMEM;
	for (unsigned int i = 0; i < mr->nr_vdso_pages; i++) {
		uint64_t n = mr->vdso_pages[i].nr * PAGE_SIZE_4K, at = mr->vdso_pages[i].at;

		if (at + n > len || pread(mr->page_fds[0], img + at, n, mr->vdso_pages[i].off) != (ssize_t)n)
			return pr_err_ret(-EIO, "can't read the dumped vDSO from the pages image");
	}
	r = vdso_proxy_plan(img, len, (const uint8_t *)vdso, vdso_len, p->jumps, &p->nr_jumps);
	if (r)
		return r;
	for (unsigned int i = 0; i < mr->nr_vmas; i++)
		if (mr->vmas[i].start == mr->vdso_start)
			v = &mr->vmas[i];
	if (!v)
		return pr_err_ret(-EINVAL, "the dumped vDSO area is gone");
	v->kind = RST_VMA_MAP;
	v->flags = MAP_PRIVATE | MAP_ANONYMOUS;
	v->filled = 1;
	for (unsigned int i = 0; i < mr->nr_vdso_pages; i++) {
		r = mem_restore_add_run(mr, mr->vdso_start + mr->vdso_pages[i].at, mr->vdso_pages[i].nr,
					mr->vdso_pages[i].off, 0);
		if (r)
			return r;
	}
	p->relocate = true;
	pr_info("the dumped vDSO is another kernel's: its %u functions jump to this kernel's\n", p->nr_jumps);
	return 0;
}

int vdso_plan(struct mem_restore *mr, struct vdso_plan *p)
{
	struct rst_special *sp = p->special;
	uint64_t base, vvar_len = 0, vdso = 0, vdso_len = 0;
	int r;

	r = own_specials(sp, &p->nr_special);
	if (r)
		return r;
	if (!p->nr_special)
		return mr->vdso_start ? pr_err_ret(-EOPNOTSUPP, "criu has no vDSO to give the task") : 0;
	base = sp[0].start;
	for (unsigned int i = 0; i < p->nr_special; i++) {
		if (i == p->nr_special - 1) {
			vdso = sp[i].start;
			vdso_len = sp[i].len;
		} else {
			vvar_len += sp[i].len;
		}
	}
	p->len = vvar_len + vdso_len;
	p->vdso_off = vdso - base;
	if (!mr->vdso_start) {
		pr_info("the task had no vDSO: this kernel's is unmapped\n");
		return 0;
	}
	if (mr->vdso_end - mr->vdso_start != vdso_len || mr->vvar_end - mr->vvar_start != vvar_len ||
	    mr->vvar_end != mr->vdso_start)
		return plan_proxy(mr, p, vdso, vdso_len);
	if (mr->nr_vdso_pages) {
		r = same_bytes(mr, vdso, vdso_len);
		if (r < 0)
			return r;
		if (!r)
			return plan_proxy(mr, p, vdso, vdso_len);
	}
	for (unsigned int i = 0; i < p->nr_special; i++)
		sp[i].to = mr->vvar_start + (sp[i].start - base);
	pr_info("vDSO %#llx -> %#llx\n", (unsigned long long)base, (unsigned long long)mr->vvar_start);
	return 0;
}
