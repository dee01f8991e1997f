/*
 * The restorer's first instructions.  criu's child jumps here with rsp at
 * the top of the restorer's stack (16-byte aligned) and rdi = &rst_args.
 * restorer_main() never returns on success (it waits for criu); if it
 * does return, its value is the exit status of the whole task.
 */
	.section .text.head, "ax"
	.globl __compel_head
	.type __compel_head, @function
__compel_head:
	xor %ebp, %ebp
	call restorer_main
	mov %eax, %edi
	mov $231, %eax		/* exit_group */
	syscall
	hlt
	.size __compel_head, .-__compel_head

/*
 * long rst_clone_thread(struct clone_args *ca, unsigned long size)
 *
 * clone3() for a thread with a stack of its own.  The caller put the
 * function and its argument at the top of that stack (ca->stack +
 * ca->stack_size points at them, 16-byte aligned): the new thread pops
 * both, calls fn(arg) and ends with exit(its value), this thread only.
 * The caller gets clone3()'s result (the tid or -errno).
 */
	.text
	.globl rst_clone_thread
	.type rst_clone_thread, @function
rst_clone_thread:
	mov $435, %eax		/* clone3 */
	syscall
	test %rax, %rax
	jnz 1f
	xor %ebp, %ebp
	pop %rax
	pop %rdi
	call *%rax
	mov %eax, %edi
	mov $60, %eax		/* exit */
	syscall
	hlt
1:	ret
	.size rst_clone_thread, .-rst_clone_thread
	.section .note.GNU-stack,"",@progbits
