/*
 * A vDSO from another kernel: the task's code keeps calling the entry
 * points of the vDSO it was dumped with, at their old addresses, but that
 * code reads kernel data laid out by another kernel.  So the dumped vDSO
 * is restored as plain memory with each of its functions' first bytes
 * replaced by a jump to the same function of this kernel's vDSO, which is
 * moved to a free place of the task (its [vvar] areas with it).  The old
 * [vvar] area stays unmapped: nothing but the old vDSO code read it.
 *
 * The symbols come from each image's .dynsym (both are small ELF shared
 * objects); the dumped one is outside input and every offset is checked.
 */
#include <elf.h>

#define LOG_PREFIX "vdso: "
#include "log.h"
#include "vdso.h"

struct vsym {
	char name[32];
	uint64_t off, size;
};

#define MAX_VSYMS 16

static const void *at(const uint8_t *img, size_t len, uint64_t off, uint64_t size)
{
	if (off > len || size > len - off)
		return NULL;
	return img + off;
}

/* The functions an ELF vDSO image exports, by name (aliases included). */
static int vdso_funcs(const uint8_t *img, size_t len, struct vsym *out, unsigned int *n)
{
	const Elf64_Ehdr *eh = at(img, len, 0, sizeof(*eh));
	const Elf64_Shdr *sh;

	*n = 0;
	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr))
		return -EINVAL;
	sh = at(img, len, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr));
	if (!sh)
		return -EINVAL;
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *str;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
			continue;
		sym = at(img, len, sh[i].sh_offset, sh[i].sh_size);
		str = at(img, len, sh[sh[i].sh_link].sh_offset, sh[sh[i].sh_link].sh_size);
		if (!sym || !str)
			return -EINVAL;
		for (uint64_t j = 0; j < sh[i].sh_size / sizeof(*sym); j++) {
			const Elf64_Sym *s = &sym[j];
			uint64_t strsz = sh[sh[i].sh_link].sh_size;

			if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || !s->st_value || s->st_name >= strsz)
				continue;
			size_t nl = strnlen(str + s->st_name, strsz - s->st_name);
			if (nl >= sizeof(out->name) || nl == strsz - s->st_name)
				continue;
			if (s->st_value >= len)
				return -EINVAL;
			if (*n == MAX_VSYMS)
				return -E2BIG;
			memcpy(out[*n].name, str + s->st_name, nl + 1);
			out[*n].off = s->st_value;
			out[*n].size = s->st_size;
			(*n)++;
		}
	}
	return *n ? 0 : -ENOENT;
}

int vdso_proxy_plan(const uint8_t *dumped, size_t dlen, const uint8_t *ours, size_t olen, struct vdso_jump *jumps,
		    unsigned int *nr)
{
	struct vsym d[MAX_VSYMS], o[MAX_VSYMS];
	unsigned int nd, no;
	int r;

	*nr = 0;
	r = vdso_funcs(dumped, dlen, d, &nd);
	if (r)
		return pr_err_ret(r, "can't read the functions of the dumped vDSO");
	r = vdso_funcs(ours, olen, o, &no);
	if (r)
		return pr_err_ret(r, "can't read the functions of this kernel's vDSO");
	for (unsigned int i = 0; i < nd; i++) {
		struct vdso_jump j = { .from = d[i].off, .to = VDSO_NO_TARGET };
		bool seen = false;

		if (d[i].size < VDSO_JUMP_LEN || d[i].off + VDSO_JUMP_LEN > dlen) {
			pr_err("the dumped vDSO's %s is too short to be redirected\n", d[i].name);
			return -EOPNOTSUPP;
		}
		for (unsigned int k = 0; k < *nr; k++)
			seen |= jumps[k].from == j.from;
		if (seen)
			continue; /* an alias of one patched already */
		for (unsigned int k = 0; k < no; k++)
			if (!strcmp(d[i].name, o[k].name))
				j.to = o[k].off;
		if (j.to == VDSO_NO_TARGET)
			pr_warn("this kernel's vDSO has no %s: calls to it get ENOSYS\n", d[i].name);
		jumps[(*nr)++] = j;
		pr_debug("vDSO %s: %#llx -> %#llx\n", d[i].name, (unsigned long long)j.from, (unsigned long long)j.to);
	}
	return 0;
}

unsigned int vdso_jump_code(uint64_t target, uint8_t code[16])
{
	if (target == VDSO_NO_TARGET) {
		/* mov $-ENOSYS, %eax; cltq; ret */
		static const uint8_t enosys[] = { 0xb8, 0xda, 0xff, 0xff, 0xff, 0x48, 0x98, 0xc3 };

		memcpy(code, enosys, sizeof(enosys));
		return sizeof(enosys);
	}
	/* movabs $target, %r11; jmp *%r11 (r11: free at any call, syscalls clobber it) */
	code[0] = 0x49;
	code[1] = 0xbb;
	memcpy(code + 2, &target, 8);
	code[10] = 0x41;
	code[11] = 0xff;
	code[12] = 0xe3;
	return VDSO_JUMP_LEN;
}
