/*	$vmm-rs: start.S $	*/

/*
 * Entry of obsdboot (see obsdboot.c): the multiboot header, then a known
 * GDT, segments and stack before the C code runs.  A multiboot loader
 * enters in 32-bit protected mode with paging off, %eax holding its
 * magic number and %ebx the address of its information structure; the
 * GDT it leaves may be anywhere.
 */

#define MB_HEADER_MAGIC	0x1badb002
#define MB_PAGE_ALIGN	0x00000001	/* modules on page boundaries */
#define MB_MEMORY_INFO	0x00000002	/* memory map wanted */
#define MB_FLAGS	(MB_PAGE_ALIGN | MB_MEMORY_INFO)

#define SEL_CODE	0x08
#define SEL_DATA	0x10

	.section .multiboot, "a"
	.p2align 2
	.long	MB_HEADER_MAGIC
	.long	MB_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl	_start
_start:
	cli
	cld
	lgdt	gdtdesc
	ljmp	$SEL_CODE, $1f
1:	movl	$SEL_DATA, %ecx
	movw	%cx, %ds
	movw	%cx, %es
	movw	%cx, %fs
	movw	%cx, %gs
	movw	%cx, %ss
	movl	$stack_top, %esp
	pushl	$0			/* no caller frame */
	pushl	$0
	movl	%esp, %ebp
	pushl	%ebx			/* multiboot information */
	pushl	%eax			/* multiboot magic */
	call	obsdboot
2:	hlt				/* obsdboot does not return */
	jmp	2b

	.section .rodata
	.p2align 3
gdt:
	.quad	0			/* null descriptor */
	.quad	0x00cf9a000000ffff	/* SEL_CODE: 4 GiB, 32-bit, execute/read */
	.quad	0x00cf92000000ffff	/* SEL_DATA: 4 GiB, read/write */
gdt_end:
gdtdesc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.bss
	.p2align 4
	.space	16384
stack_top:
