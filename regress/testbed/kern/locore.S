/*
 * locore.S: entry from a multiboot (v1) loader, switch to long mode,
 * trap entry stubs, and the context helpers used by the test runner.
 *
 * The image is linked at 1 MiB and loaded by the "a.out kludge" fields
 * of the multiboot header, so the same flat binary boots with QEMU's
 * -kernel and with GRUB's multiboot command.
 */

#include "kstack.h"

#define MB_HDR_MAGIC	0x1badb002
#define MB_HDR_FLAGS	0x00010003	/* align mods, memory info, a.out kludge */

#define CR0_PE		0x00000001
#define CR0_WP		0x00010000
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100

#define SEL_KCODE	0x08
#define SEL_KDATA	0x10

#define PG_V		0x001
#define PG_RW		0x002
#define PG_PS		0x080

/* Vectors for which the CPU pushes an error code. */
#define ERRCODE_VECS	0x60227d00

	.section .multiboot, "a"
	.p2align 2
mb_header:
	.long	MB_HDR_MAGIC
	.long	MB_HDR_FLAGS
	.long	-(MB_HDR_MAGIC + MB_HDR_FLAGS)
	.long	mb_header		/* header_addr */
	.long	__load_start		/* load_addr */
	.long	__load_end		/* load_end_addr */
	.long	__bss_end		/* bss_end_addr */
	.long	start32			/* entry_addr */

/*
 * 32-bit protected mode entry, paging off.  %eax holds the loader magic,
 * %ebx the physical address of the multiboot information.
 */
	.section .text.boot, "ax"
	.code32
	.globl	start32
start32:
	cli
	cld
	movl	%eax, %ebp
	movl	%ebx, %esi

	/* Clear .bss; the page tables and the boot stack live there. */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	movl	$boot_stack_top, %esp

	/* Insist on long mode. */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 29), %edx
	jz	no_long_mode

	/* PML4[0] -> PDPT, PDPT[0..3] -> four page directories. */
	movl	$boot_pdpt, %eax
	orl	$(PG_V | PG_RW), %eax
	movl	%eax, boot_pml4
	movl	$boot_pd, %eax
	orl	$(PG_V | PG_RW), %eax
	movl	$boot_pdpt, %edi
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$0x1000, %eax
	addl	$8, %edi
	loop	1b

	/* 2048 2 MiB pages: identity map of 0 - 4 GiB. */
	movl	$boot_pd, %edi
	movl	$(PG_V | PG_RW | PG_PS), %eax
	movl	$2048, %ecx
2:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	2b

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP | CR0_PE), %eax
	movl	%eax, %cr0

	lgdt	tb_gdt_desc
	ljmp	$SEL_KCODE, $start64

no_long_mode:
	/* Nothing sensible to do: ask both emulators to stop. */
	movw	$0xf4, %dx
	movb	$0x01, %al
	outb	%al, %dx
	movl	$shutdown_str, %esi
	movw	$0x8900, %dx
3:	lodsb
	testb	%al, %al
	jz	4f
	outb	%al, %dx
	jmp	3b
4:	hlt
	jmp	4b

	.code64
start64:
	movw	$SEL_KDATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs
	movq	$boot_stack_top, %rsp
	movl	%ebp, %edi		/* arg 1: multiboot magic */
	movl	%esi, %esi		/* arg 2: multiboot info (zero-ext) */
	xorl	%ebp, %ebp		/* end of frame chain */
	call	kmain
5:	cli
	hlt
	jmp	5b

/*
 * Trap entry.  256 stubs, 16 bytes apart; each pushes a dummy error
 * code when the CPU does not supply one, then the vector number.
 */
	.text
	.p2align 4
	.globl	tb_trap_stubs
tb_trap_stubs:
	.set	vec, 0
	.rept	256
	.p2align 4
	.if	vec < 32
	.if	((ERRCODE_VECS >> vec) & 1) == 0
	pushq	$0
	.endif
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	alltraps
	.set	vec, vec + 1
	.endr

	.p2align 4
alltraps:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	cld
	call	tb_trap
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector and error code */
	iretq

/*
 * int tb_setjmp(struct tb_jmpbuf *jb);
 * void tb_longjmp(struct tb_jmpbuf *jb, int val);
 *
 * Save/restore the callee-saved registers, the stack pointer and the
 * return address.
 */
	.globl	tb_setjmp
tb_setjmp:
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rdx
	movq	%rdx, 48(%rdi)
	movq	(%rsp), %rdx
	movq	%rdx, 56(%rdi)
	xorl	%eax, %eax
	ret

	.globl	tb_longjmp
tb_longjmp:
	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	48(%rdi), %rsp
	movl	%esi, %eax
	testl	%eax, %eax
	jnz	6f
	incl	%eax
6:	jmp	*56(%rdi)

/*
 * int tb_call_on_stack(vaddr_t stacktop, int (*fn)(void *), void *arg);
 *
 * Run fn(arg) on another stack and return its result on this one.
 */
	.globl	tb_call_on_stack
tb_call_on_stack:
	pushq	%rbp
	movq	%rsp, %rbp
	andq	$~15, %rdi
	movq	%rdi, %rsp
	movq	%rdx, %rdi
	xorl	%edx, %edx
	pushq	%rdx			/* fake return address ends */
	pushq	%rdx			/* the backtrace here */
	call	*%rsi
	movq	%rbp, %rsp
	popq	%rbp
	ret

/*
 * FPU state: void tb_xsave(void *area, uint64_t mask),
 * tb_xrstor(void *area, uint64_t mask), tb_fxsave(void *area),
 * tb_fxrstor(void *area).  The area must be 64-byte aligned.
 */
	.globl	tb_xsave
tb_xsave:
	movq	%rsi, %rax
	movq	%rsi, %rdx
	shrq	$32, %rdx
	xsave64	(%rdi)
	ret

	.globl	tb_xrstor
tb_xrstor:
	movq	%rsi, %rax
	movq	%rsi, %rdx
	shrq	$32, %rdx
	xrstor64 (%rdi)
	ret

	.globl	tb_fxsave
tb_fxsave:
	fxsave64 (%rdi)
	ret

	.globl	tb_fxrstor
tb_fxrstor:
	fxrstor64 (%rdi)
	ret

	.section .rodata
shutdown_str:
	.asciz	"Shutdown"

/* Global descriptor table; the TSS descriptor is filled in by C code. */
	.data
	.p2align 4
	.globl	tb_gdt
tb_gdt:
	.quad	0x0000000000000000	/* 0x00 null */
	.quad	0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad	0x00cf92000000ffff	/* 0x10 kernel data */
	.quad	0x0000000000000000	/* 0x18 unused */
	.quad	0, 0			/* 0x20 TSS (16 bytes) */
	.globl	tb_gdt_end
tb_gdt_end:
	.p2align 3
	.globl	tb_gdt_desc
tb_gdt_desc:
	.word	tb_gdt_end - tb_gdt - 1
	.quad	tb_gdt

	.bss
	.p2align 12
	.globl	boot_pml4
boot_pml4:
	.space	4096
boot_pdpt:
	.space	4096
	.globl	boot_pd
boot_pd:
	.space	4 * 4096
/*
 * proc0's kernel stack, the one the testbed boots on: TB_KSTACK_SIZE
 * bytes above a guard page (unmapped by uvm_tb_init()).
 */
	.p2align 12
	.globl	boot_stack_guard
boot_stack_guard:
	.space	4096
	.globl	boot_stack
boot_stack:
	.space	TB_KSTACK_SIZE
	.globl	boot_stack_top
boot_stack_top:
	.space	TB_KSTACK_PAGES * 4096 - TB_KSTACK_SIZE

	.section .note.GNU-stack, "", @progbits
