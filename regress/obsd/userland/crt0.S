/*
 * crt0.S: entry point of a static OpenBSD/amd64 executable.
 *
 * execve(2) leaves every register zero and %rsp pointing at argc,
 * followed by the argv pointers, a NULL, the envp pointers and a NULL.
 * This stack is the process's MAP_STACK stack: programs keep running on
 * it, as every system call must be made with %rsp in stack memory.
 */

	.text
	.globl	_start
	.type	_start, @function
_start:
	movq	(%rsp), %rdi			/* argc */
	leaq	8(%rsp), %rsi			/* argv */
	leaq	16(%rsp, %rdi, 8), %rdx		/* envp: past argv's NULL */
	andq	$-16, %rsp			/* the C ABI's alignment */
	xorl	%ebp, %ebp			/* end of the frame chain */
	call	__obsd_start
	hlt					/* __obsd_start does not return */
	.size	_start, . - _start

/*
 * The ELF note that makes execve(2) accept the file as an OpenBSD
 * program (kern/exec_elf.c): name "OpenBSD", a 4-byte descriptor, type 1.
 */
	.section .note.openbsd.ident, "a", @note
	.p2align 2
	.long	8			/* namesz */
	.long	4			/* descsz */
	.long	1			/* type */
	.asciz	"OpenBSD"
	.long	0			/* descriptor */

	.section .note.GNU-stack, "", @progbits
