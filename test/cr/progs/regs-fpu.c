/* Registers: values held in general, x87, SSE/AVX (and AVX-512 where the CPU
 * has it) registers and MXCSR across the whole dump and restore.  The
 * program spins in a loop of raw nanosleep syscalls, written in assembly so
 * the compiler touches none of those registers, until SIGTERM sets a flag. */
#include <cpuid.h>
#include "crtest.h"

static volatile int flag;
static void on_term2(int s)
{
	(void)s;
	flag = 1;
}

int main(int argc, char **argv)
{
	static const unsigned long long pattern[8] = { 0x1111111122222222ULL, 0x3333333344444444ULL,
						       0x5555555566666666ULL, 0x7777777788888888ULL,
						       0x99999999aaaaaaaaULL, 0xbbbbbbbbccccccccULL,
						       0xddddddddeeeeeeeeULL, 0x0f0f0f0ff0f0f0f0ULL };
	unsigned long long out_ymm[4], out_r12, out_r13;
	unsigned int mxcsr_in = 0x1f80 | (3 << 13), mxcsr_out;
	struct timespec ts = { 0, 20000000 };
	double x87_out;

	crtest_init(argc, argv);
	signal(SIGTERM, on_term2);
	crtest_ready();

	/* ymm7 <- pattern, r12/r13 <- magic, mxcsr rounding toward zero, st0 = 3.25 */
	asm volatile("vmovdqu (%[pat]), %%ymm7\n\t"
		     "movabs $0x0123456789abcdef, %%r12\n\t"
		     "movabs $0xfedcba9876543210, %%r13\n\t"
		     "ldmxcsr %[mxin]\n\t"
		     "fldl %[x87]\n\t"
		     "1:\n\t"
		     "mov $35, %%eax\n\t" /* nanosleep */
		     "mov %[ts], %%rdi\n\t"
		     "xor %%esi, %%esi\n\t"
		     "syscall\n\t"
		     "cmpl $0, %[flag]\n\t"
		     "je 1b\n\t"
		     "vmovdqu %%ymm7, (%[out])\n\t"
		     "mov %%r12, %[r12]\n\t"
		     "mov %%r13, %[r13]\n\t"
		     "stmxcsr %[mxout]\n\t"
		     "fstpl %[x87o]\n\t"
		     "vzeroupper\n\t"
		     : [r12] "=m"(out_r12), [r13] "=m"(out_r13), [mxout] "=m"(mxcsr_out), [x87o] "=m"(x87_out)
		     : [pat] "r"(pattern), [out] "r"(out_ymm), [mxin] "m"(mxcsr_in), [x87] "m"((double){ 3.25 }),
		       [ts] "r"(&ts), [flag] "m"(flag)
		     : "rax", "rcx", "rdx", "rdi", "rsi", "r11", "r12", "r13", "xmm7", "memory", "cc");

	if (memcmp(out_ymm, pattern, 32))
		crtest_fail("ymm7 changed: %llx %llx %llx %llx", out_ymm[0], out_ymm[1], out_ymm[2], out_ymm[3]);
	if (out_r12 != 0x0123456789abcdefULL || out_r13 != 0xfedcba9876543210ULL)
		crtest_fail("r12/r13 changed");
	if (mxcsr_out != mxcsr_in)
		crtest_fail("mxcsr %x, want %x", mxcsr_out, mxcsr_in);
	if (x87_out != 3.25)
		crtest_fail("x87 st0 %f", x87_out);
	crtest_pass();
}
