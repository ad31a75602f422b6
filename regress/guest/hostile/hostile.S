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
 *	reboot	resets through the i8042 once (NVRAM byte 0x40 says whether
 *		it did), then cli; hlt; should the vcpu go on after the
 *		reset command, a triple fault
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
#elif defined(CASE_reboot)
	movb	$0x40, %al
	outb	%al, $0x70
	inb	$0x71, %al
	testb	%al, %al
	jnz	2f
	movb	$0x40, %al
	outb	%al, $0x70
	movb	$1, %al
	outb	%al, $0x71
	movb	$0xfe, %al
	outb	%al, $0x64
	lidt	idt0		/* still here after the reset: fail */
	int3
2:	cli
	hlt
	jmp	2b
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
