/*
 * The register pattern a victim keeps live (compel/test/victim-asm.S), shared
 * with the drivers so that they can recognise it in a seized thread's state.
 * Derived from the victim's pid, so every victim holds different values.
 */
#ifndef COMPEL_TEST_PATTERN_H
#define COMPEL_TEST_PATTERN_H

#include <stdint.h>
#include <string.h>

/* Offsets in the pattern block; keep in sync with victim-asm.S. */
#define PAT_ZHI	  0    /* zmm16..zmm31, 16 x 64 bytes (AVX-512 only) */
#define PAT_ZLO	  1024 /* zmm8..zmm15 (ymm8..15 without AVX-512), 8 x 64 */
#define PAT_KREG  1536 /* k1..k7, 7 x 8 */
#define PAT_GPR	  1600 /* rbx r12 r13 r14 r15 r8 r9 r10 r11 rcx rdx rsi, 12 x 8 */
#define PAT_MXCSR 1696 /* 4 bytes */
#define PAT_FCW	  1700 /* 2 bytes */
#define PAT_X87	  1712 /* 10 bytes, an 80-bit value */
#define PAT_SIZE  1728

struct pattern {
	_Alignas(64) unsigned char b[PAT_SIZE];
};

static inline uint64_t pat_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline void pattern_fill(struct pattern *p, int pid)
{
	uint64_t s = 0x9e3779b97f4a7c15ull ^ (uint64_t)pid * 0x100000001b3ull;
	uint64_t v;

	for (int i = 0; i < PAT_MXCSR; i += 8) {
		v = pat_next(&s);
		memcpy(p->b + i, &v, 8);
	}
	/* Round toward -inf, all exceptions masked: not the default 0x1f80. */
	uint32_t mxcsr = 0x3f80;
	memcpy(p->b + PAT_MXCSR, &mxcsr, 4);
	/* x87: 53-bit precision instead of the default 64. */
	uint16_t fcw = 0x027f;
	memcpy(p->b + PAT_FCW, &fcw, 2);
	/* A normal 80-bit number: sign 0, exponent 0x3fff, explicit integer bit. */
	memset(p->b + PAT_X87, 0, 16);
	v = pat_next(&s) | (1ull << 63);
	memcpy(p->b + PAT_X87, &v, 8);
	uint16_t ex = 0x3fff;
	memcpy(p->b + PAT_X87 + 8, &ex, 2);
}

/* The victim's memory: 64-bit words from the same generator, seeded by pid. */
static inline void mem_pattern(uint64_t *mem, size_t size, int pid)
{
	uint64_t s = pid;

	for (size_t i = 0; i < size / 8; i++)
		mem[i] = pat_next(&s);
}

static inline uint64_t mem_checksum_of(const uint64_t *mem, size_t size)
{
	uint64_t s = 0;

	for (size_t i = 0; i < size / 8; i++)
		s = (s ^ mem[i]) * 0x100000001b3ull;
	return s;
}

#endif
