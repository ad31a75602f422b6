/*
 * The guest's FPU state across exits: the guest enables SSE, puts a
 * value in XMM3 and an x87 value on its FPU stack, and reports them
 * (OUT) after a run of exits the kernel handles itself (CPUID, RDMSR of
 * PAT), after an exit to vmd, and after a #GP the kernel queues (WRMSR of
 * a bad PAT, handled in the kernel too).  Every report must carry the
 * values the guest put there: the kernel may keep the guest's FPU state
 * loaded across in-kernel exits, but never lose or mix it.  Where the
 * CPU has XSAVE the guest also sets CR4.OSXSAVE and its own XCR0 (x87 and
 * SSE, not the host's) and reports XGETBV (OUT 0x74) with the others: the
 * guest's XCR0 is switched with its FPU state (rust/amd64/src/world.rs;
 * hoststate.c checks the host's).
 */
#include "vmmtest.h"

extern const unsigned char f_reset[], f_reset_end[];
extern const unsigned char f_code[], f_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"f_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"f_reset_end:\n"
"f_code:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	mov	$0x7000, %sp\n"
"	movw	$(0x100 + 8f - f_code), (13 * 4)\n"	/* #GP: resume after */
"	movw	$0xf000, (13 * 4 + 2)\n"
"	mov	%cr0, %eax\n"
"	and	$0xfffb, %ax\n"				/* EM off */
"	or	$0x2, %ax\n"				/* MP on */
"	mov	%eax, %cr0\n"
"	mov	%cr4, %eax\n"
"	or	$0x600, %eax\n"				/* OSFXSR, OSXMMEXCPT */
"	mov	%eax, %cr4\n"
"	fninit\n"
"	movw	$1234, (0x6000)\n"
"	filds	(0x6000)\n"				/* st(0) = 1234 */
"	movb	$0, (0x6010)\n"			/* XSAVE in use */
"	mov	$1, %eax\n"
"	cpuid\n"
"	bt	$26, %ecx\n"				/* XSAVE */
"	jnc	4f\n"
"	mov	%cr4, %eax\n"
"	or	$0x40000, %eax\n"			/* OSXSAVE */
"	mov	%eax, %cr4\n"
"	xor	%ecx, %ecx\n"
"	xor	%edx, %edx\n"
"	mov	$3, %eax\n"				/* XCR0: x87, SSE */
"	xsetbv\n"
"	movb	$1, (0x6010)\n"
"4:	mov	$0x5a5aa5a5, %eax\n"
"	movd	%eax, %xmm3\n"
"	mov	$200, %esi\n"				/* in-kernel exits */
"1:	xor	%eax, %eax\n"
"	cpuid\n"
"	mov	$0x277, %ecx\n"
"	rdmsr\n"
"	dec	%esi\n"
"	jnz	1b\n"
"	call	9f\n"					/* report: exit to vmd */
"	mov	$0x277, %ecx\n"				/* bad PAT: #GP */
"	mov	$0x02020202, %eax\n"
"	mov	%eax, %edx\n"
"	wrmsr\n"
"	jmp	7f\n"
"8:	add	$6, %sp\n"				/* #GP: drop the frame */
"7:	call	9f\n"
"	mov	$0x99, %dx\n"
"	out	%al, %dx\n"
"	sti\n"
"	hlt\n"
"9:	movd	%xmm3, %eax\n"				/* OUT 0x70: XMM3 */
"	mov	$0x70, %dx\n"
"	out	%eax, %dx\n"
"	fists	(0x6002)\n"				/* OUT 0x72: st(0) */
"	mov	(0x6002), %ax\n"
"	mov	$0x72, %dx\n"
"	out	%ax, %dx\n"
"	testb	$1, (0x6010)\n"
"	jz	5f\n"
"	xor	%ecx, %ecx\n"				/* OUT 0x74: XCR0 */
"	xgetbv\n"
"	mov	$0x74, %dx\n"
"	out	%eax, %dx\n"
"5:	ret\n"
"f_code_end:\n"
"	.code64\n"
"	.popsection\n");

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_exit *ve;
	unsigned int reports = 0, want;
	uint32_t a, b, c, d;
	uint16_t r;
	uint32_t id;
	int fd, n;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "fpustate", &vcp);
	bios_boot(fd, id, &vcp, f_reset, f_reset_end, f_code, f_code_end);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	for (n = 0; n < 100; n++) {
		r = run_vcpu_vmd(fd, id, ve);
		if (!is_io_exit(r))
			errx(1, "exit 0x%x, not I/O", r);
		if (ve->vei.vei_port == 0x99)
			break;
		switch (ve->vei.vei_port) {
		case 0x70:
			if (ve->vei.vei_data != 0x5a5aa5a5)
				errx(1, "XMM3 0x%x, want 0x5a5aa5a5",
				    ve->vei.vei_data);
			reports++;
			break;
		case 0x74:
			if (ve->vei.vei_data != 3)
				errx(1, "guest XCR0 0x%x, want 0x3",
				    ve->vei.vei_data);
			reports++;
			break;
		case 0x72:
			if ((ve->vei.vei_data & 0xffff) != 1234)
				errx(1, "st(0) %u, want 1234",
				    ve->vei.vei_data & 0xffff);
			reports++;
			break;
		case 0xd:
			errx(1, "unexpected #GP");
		default:
			errx(1, "OUT to port 0x%x", ve->vei.vei_port);
		}
		ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	}
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
	    : "a"(1), "c"(0));
	want = (c & (1U << 26)) ? 6 : 4;	/* XSAVE: XCR0 reported too */
	CHECK(ve->vei.vei_port == 0x99);
	if (reports != want)
		errx(1, "%u reports, want %u", reports, want);
	printf("guest XMM3, st(0)%s intact across %u reports\n",
	    want == 6 ? " and XCR0" : "", reports);

	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
