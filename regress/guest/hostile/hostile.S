/*
 * hostile.S: misbehaving guests for the monitor (regress/vmon), one ELF
 * kernel per case, chosen with -DCASE_<name> (build.sh).  Each is
 * entered as vmd enters an OpenBSD kernel: 32-bit code in long mode's
 * compatibility mode, the first 1 GiB identity-mapped, interrupts off.
 *
 *	halt	cli; hlt: the vcpu stops for good (RUN fails with EIO)
 *	sleep	sti; hlt with no timer armed: waits for an interrupt that
 *		never comes
 *	triple	an empty IDT, then int3: a triple fault (a reset)
 *	flood	OUT to a port without a device, forever
 *	chatter	console output, forever
 *	unbacked a write to guest-physical memory no range covers
 *	string	REP OUTSB, which vmd does not emulate
 */

#define COM0	0x3f8

	.text
	.code32
	.globl	start
start:
#if defined(CASE_halt)
	cli
	hlt
	jmp	start
#elif defined(CASE_sleep)
	sti
1:	hlt
	jmp	1b
#elif defined(CASE_triple)
	lidt	idt0
	int3
	jmp	start
#elif defined(CASE_flood)
1:	outb	%al, $0x80
	jmp	1b
#elif defined(CASE_chatter)
	movw	$COM0, %dx
1:	movb	$'x', %al
	outb	%al, %dx
	jmp	1b
#elif defined(CASE_unbacked)
	movl	$0x3ff00000, %edi	/* mapped by vmd's tables; no RAM */
	movl	$1, (%edi)
	jmp	start
#elif defined(CASE_string)
	movw	$COM0, %dx
	movl	$start, %esi
	movl	$4, %ecx
	cld
	rep outsb
	jmp	start
#else
#error "no CASE_ given"
#endif

	.p2align 3
idt0:
	.word	0			/* limit: no vector */
	.long	0
