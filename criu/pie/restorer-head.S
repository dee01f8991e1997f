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
	.section .note.GNU-stack,"",@progbits
