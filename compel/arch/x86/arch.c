/*
 * x86_64 details: the syscall instruction and calling convention, the size
 * of the XSAVE area the kernel exchanges through NT_X86_XSTATE, and the
 * syscall restart rule applied to registers saved for a later restore.
 */
#include <cpuid.h>
#include <sys/syscall.h>

#include "internal.h"

/* Kernel-internal restart codes a thread stopped in a syscall may show. */
#define ERESTARTSYS	      512
#define ERESTARTNOINTR	      513
#define ERESTARTNOHAND	      514
#define ERESTART_RESTARTBLOCK 516

const unsigned char arch_syscall_insn[] = { 0x0f, 0x05 }; /* syscall */
const size_t arch_syscall_insn_len = sizeof(arch_syscall_insn);

size_t arch_xstate_size(void)
{
	static size_t size;
	unsigned int eax, ebx, ecx, edx;

	if (size)
		return size;
	/* Leaf 0xD, subleaf 0: ebx = bytes for the features XCR0 enables now,
	 * ecx = bytes for every feature the CPU has.  Take the larger, and
	 * never less than the legacy area and header. */
	size = 4096;
	if (__get_cpuid_max(0, NULL) >= 0xd) {
		__cpuid_count(0xd, 0, eax, ebx, ecx, edx);
		if (ebx > size)
			size = ebx;
		if (ecx > size)
			size = ecx;
	}
	(void)eax;
	(void)edx;
	return size;
}

void arch_setup_syscall(compel_regs_t *regs, unsigned long ip, long nr, const unsigned long args[6])
{
	regs->rip = ip;
	regs->rax = nr;
	regs->orig_rax = -1; /* not in a syscall: no restart applies to ours */
	regs->rdi = args[0];
	regs->rsi = args[1];
	regs->rdx = args[2];
	regs->r10 = args[3];
	regs->r8 = args[4];
	regs->r9 = args[5];
}

void arch_setup_call(compel_regs_t *regs, unsigned long ip, unsigned long sp, unsigned long arg)
{
	regs->rip = ip;
	regs->rsp = sp & ~15UL;
	regs->rdi = arg;
	regs->rax = 0;
	regs->orig_rax = -1;
	regs->eflags &= ~0x400UL; /* DF clear, as the ABI wants at a call */
}

long arch_syscall_result(const compel_regs_t *regs)
{
	return (long)regs->rax;
}

unsigned long arch_get_ip(const compel_regs_t *regs)
{
	return regs->rip;
}

int compel_regs_restartable(compel_regs_t *regs)
{
	if ((long)regs->orig_rax < 0)
		return 0;
	switch ((long)regs->rax) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
		regs->rax = regs->orig_rax;
		break;
	case -ERESTART_RESTARTBLOCK:
		regs->rax = SYS_restart_syscall;
		break;
	default:
		return 0;
	}
	regs->rip -= arch_syscall_insn_len;
	regs->orig_rax = -1;
	return 1;
}
