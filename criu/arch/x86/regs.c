/*
 * x86_64 registers between compel and the core image (core-x86.proto).
 *
 * The extended state travels as the kernel's NT_X86_XSTATE buffer: the
 * 512-byte FXSAVE area, the 64-byte XSAVE header, then each enabled state
 * component at the offset CPUID leaf 0xD gives for this CPU (the standard,
 * non-compacted layout).  The image keeps each component in a field of its
 * own, so an image is independent of where a CPU puts them; a component
 * the image has and this CPU lacks refuses the restore, unless it was in
 * its initial state (bit clear in xstate_bv).
 */
#include <asm/ldt.h>
#include <cpuid.h>
#include <sys/ptrace.h>

#define LOG_PREFIX "x86: "
#include "arch.h"
#include "log.h"

/* FXSAVE area offsets. */
#define FX_CWD	     0
#define FX_SWD	     2
#define FX_TWD	     4
#define FX_FOP	     6
#define FX_RIP	     8
#define FX_RDP	     16
#define FX_MXCSR     24
#define FX_MXCSR_MSK 28
#define FX_ST	     32
#define FX_XMM	     160
#define XSAVE_HDR    512 /* xstate_bv, then xcomp_bv */

/* XSAVE state components kept in the image. */
enum {
	XC_YMM = 2,
	XC_BNDREGS = 3,
	XC_BNDCSR = 4,
	XC_OPMASK = 5,
	XC_ZMM_HI256 = 6,
	XC_HI16_ZMM = 7,
	XC_PKRU = 9,
	XC_MAX = 10,
};

struct xlayout {
	uint64_t xcr0;
	unsigned int off[XC_MAX], size[XC_MAX];
};

static const struct xlayout *xlayout(void)
{
	static struct xlayout l;
	static bool done;
	unsigned int a, b, c, d;

	if (done)
		return &l;
	__cpuid_count(1, 0, a, b, c, d);
	if (c & (1u << 27)) { /* OSXSAVE: xgetbv works */
		unsigned int lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		l.xcr0 = ((uint64_t)hi << 32) | lo;
	} else {
		l.xcr0 = 3; /* x87 and SSE */
	}
	for (int i = 2; i < XC_MAX; i++) {
		if (!(l.xcr0 & (1ULL << i)))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		l.size[i] = a;
		l.off[i] = b;
	}
	done = true;
	return &l;
}

/* Element counts of each component's image field, by element size. */
static const struct {
	int comp;
	unsigned int bytes; /* what the component holds */
} xcomps[] = {
	{ XC_YMM, 256 },       { XC_BNDREGS, 64 },    { XC_BNDCSR, 64 }, { XC_OPMASK, 64 },
	{ XC_ZMM_HI256, 512 }, { XC_HI16_ZMM, 1024 }, { XC_PKRU, 8 },
};

/* The image field of component @comp: element size 4 or 8. */
static void *xfield(UserX86XsaveEntry *x, int comp, size_t **n, unsigned int *esize)
{
	switch (comp) {
	case XC_YMM:
		*n = &x->n_ymmh_space, *esize = 4;
		return &x->ymmh_space;
	case XC_BNDREGS:
		*n = &x->n_bndreg_state, *esize = 8;
		return &x->bndreg_state;
	case XC_BNDCSR:
		*n = &x->n_bndcsr_state, *esize = 8;
		return &x->bndcsr_state;
	case XC_OPMASK:
		*n = &x->n_opmask_reg, *esize = 8;
		return &x->opmask_reg;
	case XC_ZMM_HI256:
		*n = &x->n_zmm_upper, *esize = 8;
		return &x->zmm_upper;
	case XC_HI16_ZMM:
		*n = &x->n_hi16_zmm, *esize = 8;
		return &x->hi16_zmm;
	case XC_PKRU:
		*n = &x->n_pkru, *esize = 4;
		return &x->pkru;
	}
	return NULL;
}

static void regs_to_image(UserX86RegsEntry *g, const compel_regs_t *r)
{
	g->r15 = r->r15, g->r14 = r->r14, g->r13 = r->r13, g->r12 = r->r12;
	g->bp = r->rbp, g->bx = r->rbx, g->r11 = r->r11, g->r10 = r->r10;
	g->r9 = r->r9, g->r8 = r->r8, g->ax = r->rax, g->cx = r->rcx;
	g->dx = r->rdx, g->si = r->rsi, g->di = r->rdi, g->orig_ax = r->orig_rax;
	g->ip = r->rip, g->cs = r->cs, g->flags = r->eflags, g->sp = r->rsp;
	g->ss = r->ss, g->fs_base = r->fs_base, g->gs_base = r->gs_base;
	g->ds = r->ds, g->es = r->es, g->fs = r->fs, g->gs = r->gs;
	g->has_mode = true;
	g->mode = USER_X86_REGS_MODE__NATIVE;
}

static uint16_t get16(const uint8_t *b, size_t off)
{
	uint16_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static int xstate_to_image(struct arena *a, UserX86FpregsEntry *fp, const uint8_t *b, size_t size)
{
	const struct xlayout *l = xlayout();
	UserX86XsaveEntry *x;

	if (size < XSAVE_HDR)
		return pr_err_ret(-EINVAL, "extended state of %zu bytes is too short", size);
	fp->cwd = get16(b, FX_CWD);
	fp->swd = get16(b, FX_SWD);
	fp->twd = get16(b, FX_TWD);
	fp->fop = get16(b, FX_FOP);
	fp->rip = get64(b, FX_RIP);
	fp->rdp = get64(b, FX_RDP);
	fp->mxcsr = get32(b, FX_MXCSR);
	fp->mxcsr_mask = get32(b, FX_MXCSR_MSK);
	fp->n_st_space = 32;
	fp->n_xmm_space = 64;
	fp->st_space = arena_array(a, 32, 4);
	fp->xmm_space = arena_array(a, 64, 4);
	if (!fp->st_space || !fp->xmm_space)
		return -ENOMEM;
	memcpy(fp->st_space, b + FX_ST, 128);
	memcpy(fp->xmm_space, b + FX_XMM, 256);
	if (size < XSAVE_HDR + 64)
		return 0; /* FXSAVE only */

	x = arena_new(a, UserX86XsaveEntry);
	if (!x)
		return -ENOMEM;
	user_x86_xsave_entry__init(x);
	x->xstate_bv = get64(b, XSAVE_HDR);
	/* x87, SSE and the components above; others (AMX tiles...) are not kept */
	uint64_t kept = 3;
	for (size_t i = 0; i < ARRAY_SIZE(xcomps); i++)
		kept |= 1ULL << xcomps[i].comp;
	if (x->xstate_bv & ~kept)
		return pr_err_ret(-EOPNOTSUPP, "the task uses extended state %#llx (AMX?): not supported yet",
				  (unsigned long long)(x->xstate_bv & ~kept));
	for (size_t i = 0; i < ARRAY_SIZE(xcomps); i++) {
		int c = xcomps[i].comp;
		size_t *n;
		unsigned int esize;
		void **field = xfield(x, c, &n, &esize);

		if (!(l->xcr0 & (1ULL << c)))
			continue;
		if (l->off[c] + xcomps[i].bytes > size || l->size[c] < xcomps[i].bytes)
			return pr_err_ret(-EINVAL, "xsave component %d lies outside the %zu-byte state", c, size);
		*field = arena_alloc(a, xcomps[i].bytes);
		if (!*field)
			return -ENOMEM;
		memcpy(*field, b + l->off[c], xcomps[i].bytes);
		*n = xcomps[i].bytes / esize;
	}
	fp->xsave = x;
	return 0;
}

/* GDT TLS slots 12-14 (set_thread_area), as CRIU records them. */
#define GDT_TLS_FIRST 12
#define GDT_TLS_NR    3

static int tls_to_image(struct arena *a, ThreadInfoX86 *t, pid_t tid)
{
	t->tls = arena_array(a, GDT_TLS_NR, sizeof(*t->tls));
	if (!t->tls)
		return -ENOMEM;
	for (int i = 0; i < GDT_TLS_NR; i++) {
		struct user_desc d = { .entry_number = GDT_TLS_FIRST + i };
		UserDescT *u = arena_new(a, UserDescT);

		if (!u)
			return -ENOMEM;
		user_desc_t__init(u);
		if (ptrace(PTRACE_GET_THREAD_AREA, tid, (void *)(long)d.entry_number, &d))
			return pr_err_ret(-errno, "can't read TLS slot %u of thread %d", d.entry_number, (int)tid);
		u->entry_number = d.entry_number;
		u->base_addr = d.base_addr;
		u->limit = d.limit;
		u->seg_32bit = d.seg_32bit;
		u->contents_h = d.contents & 2;
		u->contents_l = d.contents & 1;
		u->read_exec_only = d.read_exec_only;
		u->limit_in_pages = d.limit_in_pages;
		u->seg_not_present = d.seg_not_present;
		u->usable = d.useable;
		t->tls[t->n_tls++] = u;
	}
	return 0;
}

int arch_dump_thread_info(struct arena *a, CoreEntry *core, const struct compel_thread_info *ti)
{
	ThreadInfoX86 *t = arena_new(a, ThreadInfoX86);
	UserX86RegsEntry *g = arena_new(a, UserX86RegsEntry);
	UserX86FpregsEntry *fp = arena_new(a, UserX86FpregsEntry);
	compel_regs_t regs = ti->regs;

	if (!t || !g || !fp)
		return -ENOMEM;
	thread_info_x86__init(t);
	user_x86_regs_entry__init(g);
	user_x86_fpregs_entry__init(fp);
	if (regs.cs != 0x33)
		return pr_err_ret(-EOPNOTSUPP, "thread %d runs 32-bit code (cs %#llx): not supported", (int)ti->tid,
				  regs.cs);
	if (compel_regs_restartable(&regs))
		pr_info("thread %d was in syscall %lld: it restarts at %#llx\n", (int)ti->tid, ti->regs.orig_rax,
			regs.rip);
	regs_to_image(g, &regs);
	int r = xstate_to_image(a, fp, ti->xstate, ti->xstate_size);
	if (r)
		return r;
	r = tls_to_image(a, t, ti->tid);
	if (r)
		return r;
	t->gpregs = g;
	t->fpregs = fp;
	core->thread_info = t;
	core->mtype = ARCH_CORE_MTYPE;
	return 0;
}

uint64_t arch_image_clear_tid(const CoreEntry *core)
{
	return core->thread_info ? core->thread_info->clear_tid_addr : 0;
}

int arch_image_regs(const CoreEntry *core, compel_regs_t *r)
{
	const UserX86RegsEntry *g;

	if (core->mtype != ARCH_CORE_MTYPE || !core->thread_info || !core->thread_info->gpregs)
		return pr_err_ret(-EINVAL, "the core image has no x86_64 registers");
	g = core->thread_info->gpregs;
	if (g->has_mode && g->mode != USER_X86_REGS_MODE__NATIVE)
		return pr_err_ret(-EOPNOTSUPP, "the image is of a 32-bit task: not supported");
	memset(r, 0, sizeof(*r));
	r->r15 = g->r15, r->r14 = g->r14, r->r13 = g->r13, r->r12 = g->r12;
	r->rbp = g->bp, r->rbx = g->bx, r->r11 = g->r11, r->r10 = g->r10;
	r->r9 = g->r9, r->r8 = g->r8, r->rax = g->ax, r->rcx = g->cx;
	r->rdx = g->dx, r->rsi = g->si, r->rdi = g->di;
	r->orig_rax = (unsigned long long)-1;
	r->rip = g->ip, r->cs = g->cs, r->eflags = g->flags, r->rsp = g->sp;
	r->ss = g->ss, r->fs_base = g->fs_base, r->gs_base = g->gs_base;
	r->ds = g->ds, r->es = g->es, r->fs = g->fs, r->gs = g->gs;
	return 0;
}

int arch_image_xstate(const CoreEntry *core, void *buf, size_t size)
{
	const struct xlayout *l = xlayout();
	const UserX86FpregsEntry *fp;
	uint8_t *b = buf;
	uint16_t v16;
	uint64_t bv;

	if (!core->thread_info || !core->thread_info->fpregs)
		return pr_err_ret(-EINVAL, "the core image has no FPU state");
	fp = core->thread_info->fpregs;
	if (size < XSAVE_HDR || fp->n_st_space != 32 || fp->n_xmm_space != 64)
		return pr_err_ret(-EINVAL, "the FPU state in the image is malformed");
	v16 = fp->cwd, memcpy(b + FX_CWD, &v16, 2);
	v16 = fp->swd, memcpy(b + FX_SWD, &v16, 2);
	v16 = fp->twd, memcpy(b + FX_TWD, &v16, 2);
	v16 = fp->fop, memcpy(b + FX_FOP, &v16, 2);
	memcpy(b + FX_RIP, &fp->rip, 8);
	memcpy(b + FX_RDP, &fp->rdp, 8);
	memcpy(b + FX_MXCSR, &fp->mxcsr, 4);
	memcpy(b + FX_MXCSR_MSK, &fp->mxcsr_mask, 4);
	memcpy(b + FX_ST, fp->st_space, 128);
	memcpy(b + FX_XMM, fp->xmm_space, 256);
	if (!fp->xsave || size < XSAVE_HDR + 64)
		return 0;

	UserX86XsaveEntry *x = fp->xsave;
	bv = x->xstate_bv;
	if (bv & ~l->xcr0)
		return pr_err_ret(-EOPNOTSUPP, "the image uses xsave state %#llx this CPU does not have (xcr0 %#llx)",
				  (unsigned long long)(bv & ~l->xcr0), (unsigned long long)l->xcr0);
	for (size_t i = 0; i < ARRAY_SIZE(xcomps); i++) {
		int c = xcomps[i].comp;
		size_t *n;
		unsigned int esize;
		void **field = xfield(x, c, &n, &esize);

		if (!(l->xcr0 & (1ULL << c)) || !*n)
			continue;
		if (*n * esize != xcomps[i].bytes)
			return pr_err_ret(-EINVAL, "xsave component %d in the image has %zu words", c, *n);
		if (l->off[c] + xcomps[i].bytes > size)
			return pr_err_ret(-EINVAL, "xsave component %d lies outside the %zu-byte state", c, size);
		memcpy(b + l->off[c], *field, xcomps[i].bytes);
	}
	memcpy(b + XSAVE_HDR, &bv, 8);
	memset(b + XSAVE_HDR + 8, 0, 8); /* standard format: no compaction */
	return 0;
}
