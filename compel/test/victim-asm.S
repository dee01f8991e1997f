/*
 * Register keepers for the compel test victim.  Each routine loads a known
 * pattern into registers no compiled code touches (zmm8-31, k1-k7, the
 * callee-saved and argument registers, MXCSR, the x87 control word and
 * stack), then spins or makes one syscall, and counts the registers that
 * no longer hold their value.  A seize, remote syscalls and release must
 * leave every one of them intact.
 *
 *   long vec_spin(long iters, const void *pat, long *bad, int avx512)
 *   long vec_syscall(long nr, long a1, long a2, long a3, long a4, long a5,
 *		      const void *pat, long *bad, int avx512)
 */
#define PAT_ZHI	  0
#define PAT_ZLO	  1024
#define PAT_KREG  1536
#define PAT_GPR	  1600
#define PAT_MXCSR 1696
#define PAT_FCW	  1700
#define PAT_X87	  1712

/* Stack frame below the six saved registers. */
#define F_BAD	   0	/* mismatch count */
#define F_MXCSR	   8	/* caller's MXCSR */
#define F_MXCHK	   12
#define F_FCW	   16	/* caller's x87 control word */
#define F_FCWCHK   18
#define F_X87	   24	/* 10 bytes popped from st(0) */
#define F_OUT	   40	/* long *bad */
#define F_AVX	   48	/* use AVX-512? */
#define F_ARGS	   56	/* rdi rsi rdx r10 r8 r9 as given to the syscall */
#define F_RET	   104
#define F_SIZE	   120
#define F_CALLER   (F_SIZE + 6 * 8 + 8)	/* first stack argument */

	.macro mismatch_if_ne
	je 1f
	incq F_BAD(%rsp)
1:
	.endm

	/* Load the pattern at %rbp.  Clobbers %rax. */
	.macro load_state
	stmxcsr F_MXCSR(%rsp)
	ldmxcsr PAT_MXCSR(%rbp)
	fnstcw F_FCW(%rsp)
	fldcw PAT_FCW(%rbp)
	fldt PAT_X87(%rbp)
	cmpl $0, F_AVX(%rsp)
	je 2f
	.irp n,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 PAT_ZHI+(\n-16)*64(%rbp), %zmm\n
	.endr
	.irp n,8,9,10,11,12,13,14,15
	vmovdqu64 PAT_ZLO+(\n-8)*64(%rbp), %zmm\n
	.endr
	.irp n,1,2,3,4,5,6,7
	kmovq PAT_KREG+(\n-1)*8(%rbp), %k\n
	.endr
	jmp 3f
2:
	.irp n,8,9,10,11,12,13,14,15
	vmovdqu PAT_ZLO+(\n-8)*64(%rbp), %ymm\n
	.endr
3:
	mov PAT_GPR+0(%rbp), %rbx
	mov PAT_GPR+8(%rbp), %r12
	mov PAT_GPR+16(%rbp), %r13
	mov PAT_GPR+24(%rbp), %r14
	mov PAT_GPR+32(%rbp), %r15
	.endm

	/* Count what differs from the pattern at %rbp; restore MXCSR and
	 * the x87 control word.  Clobbers %rax, %rcx, %zmm0/%ymm0. */
	.macro check_state
	cmp PAT_GPR+0(%rbp), %rbx
	mismatch_if_ne
	cmp PAT_GPR+8(%rbp), %r12
	mismatch_if_ne
	cmp PAT_GPR+16(%rbp), %r13
	mismatch_if_ne
	cmp PAT_GPR+24(%rbp), %r14
	mismatch_if_ne
	cmp PAT_GPR+32(%rbp), %r15
	mismatch_if_ne
	cmpl $0, F_AVX(%rsp)
	je 4f
	.irp n,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vpcmpeqq PAT_ZHI+(\n-16)*64(%rbp), %zmm\n, %k0
	kmovw %k0, %eax
	cmp $0xff, %eax
	mismatch_if_ne
	.endr
	.irp n,8,9,10,11,12,13,14,15
	vpcmpeqq PAT_ZLO+(\n-8)*64(%rbp), %zmm\n, %k0
	kmovw %k0, %eax
	cmp $0xff, %eax
	mismatch_if_ne
	.endr
	.irp n,1,2,3,4,5,6,7
	kmovq %k\n, %rax
	cmp PAT_KREG+(\n-1)*8(%rbp), %rax
	mismatch_if_ne
	.endr
	jmp 5f
4:
	.irp n,8,9,10,11,12,13,14,15
	vpcmpeqq PAT_ZLO+(\n-8)*64(%rbp), %ymm\n, %ymm0
	vpmovmskb %ymm0, %eax
	cmp $-1, %eax
	mismatch_if_ne
	.endr
5:
	stmxcsr F_MXCHK(%rsp)
	mov F_MXCHK(%rsp), %eax
	cmp PAT_MXCSR(%rbp), %eax
	mismatch_if_ne
	fnstcw F_FCWCHK(%rsp)
	movzwl F_FCWCHK(%rsp), %eax
	movzwl PAT_FCW(%rbp), %ecx
	cmp %ecx, %eax
	mismatch_if_ne
	fstpt F_X87(%rsp)
	mov F_X87(%rsp), %rax
	cmp PAT_X87(%rbp), %rax
	mismatch_if_ne
	movzwl F_X87+8(%rsp), %eax
	movzwl PAT_X87+8(%rbp), %ecx
	cmp %ecx, %eax
	mismatch_if_ne
	ldmxcsr F_MXCSR(%rsp)
	fldcw F_FCW(%rsp)
	vzeroupper
	.endm

	.macro prologue
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	sub $F_SIZE, %rsp
	movq $0, F_BAD(%rsp)
	.endm

	.macro epilogue
	mov F_OUT(%rsp), %rcx
	mov F_BAD(%rsp), %rdx
	mov %rdx, (%rcx)
	add $F_SIZE, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.endm

	.text
	.globl vec_spin
	.type vec_spin, @function
vec_spin:
	prologue
	mov %rsi, %rbp
	mov %rdx, F_OUT(%rsp)
	mov %ecx, F_AVX(%rsp)
	load_state
	/* The scratch registers too, while spinning. */
	mov PAT_GPR+40(%rbp), %r8
	mov PAT_GPR+48(%rbp), %r9
	mov PAT_GPR+56(%rbp), %r10
	mov PAT_GPR+64(%rbp), %r11
	mov PAT_GPR+72(%rbp), %rcx
	mov PAT_GPR+80(%rbp), %rdx
	mov PAT_GPR+88(%rbp), %rsi
6:
	dec %rdi
	jnz 6b
	cmp PAT_GPR+40(%rbp), %r8
	mismatch_if_ne
	cmp PAT_GPR+48(%rbp), %r9
	mismatch_if_ne
	cmp PAT_GPR+56(%rbp), %r10
	mismatch_if_ne
	cmp PAT_GPR+64(%rbp), %r11
	mismatch_if_ne
	cmp PAT_GPR+72(%rbp), %rcx
	mismatch_if_ne
	cmp PAT_GPR+80(%rbp), %rdx
	mismatch_if_ne
	cmp PAT_GPR+88(%rbp), %rsi
	mismatch_if_ne
	check_state
	xor %eax, %eax
	epilogue
	.size vec_spin, .-vec_spin

	.globl vec_syscall
	.type vec_syscall, @function
vec_syscall:
	prologue
	mov F_CALLER(%rsp), %rbp
	mov F_CALLER+8(%rsp), %rax
	mov %rax, F_OUT(%rsp)
	mov F_CALLER+16(%rsp), %eax
	mov %eax, F_AVX(%rsp)
	/* Syscall arguments, kept to check that they survive. */
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	xor %r9d, %r9d
	mov %rdi, F_ARGS+0(%rsp)
	mov %rsi, F_ARGS+8(%rsp)
	mov %rdx, F_ARGS+16(%rsp)
	mov %r10, F_ARGS+24(%rsp)
	mov %r8, F_ARGS+32(%rsp)
	mov %r9, F_ARGS+40(%rsp)
	mov %rax, F_RET(%rsp)
	load_state
	mov F_RET(%rsp), %rax
	syscall
	mov %rax, F_RET(%rsp)
	cmp F_ARGS+0(%rsp), %rdi
	mismatch_if_ne
	cmp F_ARGS+8(%rsp), %rsi
	mismatch_if_ne
	cmp F_ARGS+16(%rsp), %rdx
	mismatch_if_ne
	cmp F_ARGS+24(%rsp), %r10
	mismatch_if_ne
	cmp F_ARGS+32(%rsp), %r8
	mismatch_if_ne
	cmp F_ARGS+40(%rsp), %r9
	mismatch_if_ne
	check_state
	mov F_RET(%rsp), %rax
	epilogue
	.size vec_syscall, .-vec_syscall

	.section .note.GNU-stack,"",@progbits

/*
 * Spinners for the register-write test: each clears one register and spins
 * until someone else (the driver, through compel) writes a value into it,
 * then returns that value.
 *   long wait_r15(void)  long wait_xmm15(void)  long wait_zmm31(void)
 */
	.text
	.globl wait_r15, wait_r15_end
	.type wait_r15, @function
wait_r15:
	push %r15
	xor %r15, %r15
7:
	test %r15, %r15
	jz 7b
	mov %r15, %rax
	pop %r15
	ret
wait_r15_end:
	.size wait_r15, .-wait_r15

	.globl wait_xmm15, wait_xmm15_end
	.type wait_xmm15, @function
wait_xmm15:
	pxor %xmm15, %xmm15
8:
	movq %xmm15, %rax
	test %rax, %rax
	jz 8b
	ret
wait_xmm15_end:
	.size wait_xmm15, .-wait_xmm15

	.globl wait_zmm31, wait_zmm31_end
	.type wait_zmm31, @function
wait_zmm31:
	vpxorq %zmm31, %zmm31, %zmm31
9:
	vmovq %xmm31, %rax
	test %rax, %rax
	jz 9b
	/* The top lane too: a write of the full 512 bits. */
	vextracti64x4 $1, %zmm31, %ymm0
	vextracti128 $1, %ymm0, %xmm0
	vpextrq $1, %xmm0, %rdx
	cmp %rax, %rdx
	je 10f
	xor %eax, %eax
10:
	vzeroupper
	ret
wait_zmm31_end:
	.size wait_zmm31, .-wait_zmm31
	.section .note.GNU-stack,"",@progbits
