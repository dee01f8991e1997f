/*
 * The parasite's first instructions.  compel starts a thread here with rsp
 * at the top of a stack in the shared area (16-byte aligned) and rdi
 * pointing at its struct compel_start.  When the runtime returns, the
 * thread waits in pause() until compel traps it and puts its own
 * registers back; it never returns into the task's code from here.
 */
	.section .text.head, "ax"
	.globl __compel_head
	.type __compel_head, @function
__compel_head:
	xor %ebp, %ebp
	call __compel_entry
1:
	mov $34, %eax		/* pause */
	syscall
	jmp 1b
	.size __compel_head, .-__compel_head
	.section .note.GNU-stack,"",@progbits
