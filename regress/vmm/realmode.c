/*
 * Real-mode guests from vmd's BIOS-boot (flat16) state, each checking the
 * exit data vmd relies on:
 *  1. OpenBSD's regress scenario: "pushw %dx; insb" exits as string I/O on
 *     port 0x61 with the right instruction length; vmd then injects #GP,
 *     whose handler does "in $0xf0" (in real mode no error code is pushed);
 *  2. IN/OUT of 1, 2 and 4 bytes with data round trips;
 *  3. CPUID answered in the kernel (hypervisor bit, "OpenBSDVMM58");
 *  4. RDMSR of PAT allowed, WRMSR of an invalid PAT refused with #GP;
 *  5. an external interrupt injected only once the guest has IF=1, and
 *     the interrupt window bringing vmd back when IF becomes 1;
 *  6. WRITEREGS/READREGS round trip; guest RAM faulted in lazily.
 * The triple fault is a case of hostile.c.
 */
#include "vmmtest.h"

extern const unsigned char rm_reset[], rm_reset_end[];
extern const unsigned char rm_code[], rm_code_end[];
extern const unsigned char rm_gp[], rm_irq[], rm_tf[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"rm_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"rm_reset_end:\n"
"rm_code:\n"				/* at f000:0100 */
	/* IVT: #GP (13) and vector 0x20 point into this code. */
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	movw	$(0x100 + rm_gp - rm_code), (13 * 4)\n"
"	movw	$0xf000, (13 * 4 + 2)\n"
"	movw	$(0x100 + rm_irq - rm_code), (0x20 * 4)\n"
"	movw	$0xf000, (0x20 * 4 + 2)\n"
"	mov	$0x7000, %sp\n"
	/* 1. string input, then #GP from vmd. */
"	mov	$0x61, %dx\n"
"	pushw	%dx\n"
"	mov	$0x8000, %di\n"
"	insb\n"
"	pause\n"				/* not reached: #GP first */
	/* 2. sizes. */
"1:	mov	$0x80, %dx\n"
"	mov	$0x11, %al\n"
"	out	%al, %dx\n"
"	mov	$0x2233, %ax\n"
"	out	%ax, %dx\n"
"	mov	$0x44556677, %eax\n"
"	out	%eax, %dx\n"
"	in	%dx, %al\n"
"	in	%dx, %ax\n"
"	in	%dx, %eax\n"
"	out	%eax, %dx\n"			/* echo what the last IN gave */
	/* 3. CPUID. */
"	mov	$1, %eax\n"
"	cpuid\n"
"	mov	%ecx, %eax\n"
"	mov	$0x81, %dx\n"
"	out	%eax, %dx\n"
"	mov	$0x40000000, %eax\n"
"	cpuid\n"
"	mov	%edx, %ebp\n"			/* cpuid clobbered %dx */
"	mov	$0x81, %dx\n"
"	mov	%ebx, %eax\n"
"	out	%eax, %dx\n"
"	mov	%ecx, %eax\n"
"	out	%eax, %dx\n"
"	mov	%ebp, %eax\n"
"	out	%eax, %dx\n"
	/* 4. MSRs: read PAT (allowed), write a bad PAT (#GP). */
"	mov	$0x277, %ecx\n"
"	rdmsr\n"
"	mov	$0x82, %dx\n"
"	out	%eax, %dx\n"
"	mov	$0x277, %ecx\n"
"	mov	$0x02020202, %eax\n"		/* type 2 is reserved */
"	xor	%edx, %edx\n"
"	wrmsr\n"
"	mov	$0x82, %dx\n"
"	mov	$0xbad, %eax\n"
"	out	%eax, %dx\n"			/* not reached if #GP */
	/* 5. interrupts: IF=0 until "sti". */
"2:	cli\n"
"	mov	$0x83, %dx\n"
"	out	%al, %dx\n"			/* IF=0 here */
"	sti\n"
"	nop\n"
"	mov	$0x84, %dx\n"
"	out	%al, %dx\n"			/* IF=1: vmd may inject now */
"	nop\n"
"	mov	$0x85, %dx\n"
"	out	%al, %dx\n"
	/* 5b. interrupt window: an in-kernel exit (CPUID) with IF=0 while
	 * an interrupt is pending arms it; "sti" then exits to vmd. */
"	cli\n"
"	mov	$0x86, %dx\n"
"	out	%al, %dx\n"
"	xor	%eax, %eax\n"
"	cpuid\n"
"	sti\n"
"	mov	$0x1000, %cx\n"
"4:	loop	4b\n"
"	mov	$0x87, %dx\n"
"	out	%al, %dx\n"
"	sti\n"
"	hlt\n"
"rm_gp:\n"				/* #GP: count and go on */
"	in	$0xf0, %al\n"
"	incw	%cs:(0x100 + gp_count - rm_code)\n"
"	cmpw	$1, %cs:(0x100 + gp_count - rm_code)\n"
"	jne	3f\n"
"	popw	%ax\n"				/* IP */
"	popw	%ax\n"				/* CS */
"	popw	%ax\n"				/* FLAGS */
"	ljmp	$0xf000, $(0x100 + 1b - rm_code)\n"
"3:	popw	%ax\n"
"	popw	%ax\n"
"	popw	%ax\n"
"	ljmp	$0xf000, $(0x100 + 2b - rm_code)\n"
"rm_irq:\n"
"	push	%dx\n"
"	mov	$0x21, %dx\n"
"	out	%al, %dx\n"
"	pop	%dx\n"
"	iret\n"
"gp_count:\n"
"	.word	0\n"
"rm_tf:\n"
"rm_code_end:\n"
"	.code64\n"
"	.popsection\n");

static int fd;
static uint32_t id;
static struct vm_exit *ve;

/* Runs until the next exit for vmd; checks it is I/O on `port`. */
static void
expect_io(uint16_t port, int dir, int size, struct vcpu_inject_event *inj,
    int pending)
{
	struct vm_run_params vrp;

	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = id;
	vrp.vrp_exit = ve;
	if (inj != NULL)
		vrp.vrp_inject = *inj;
	vrp.vrp_intr_pending = pending;
	do {
		if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
			err(1, "VMM_IOC_RUN (waiting for port 0x%x)", port);
	} while (vrp.vrp_exit_reason == VM_EXIT_NONE);
	if (!is_io_exit(vrp.vrp_exit_reason) || ve->vei.vei_port != port ||
	    ve->vei.vei_dir != dir || ve->vei.vei_size != size)
		errx(1, "want %s port 0x%x size %d, got exit 0x%x %s port 0x%x "
		    "size %u", dir == VEI_DIR_IN ? "IN" : "OUT", port, size,
		    vrp.vrp_exit_reason, ve->vei.vei_dir == VEI_DIR_IN ? "IN" :
		    "OUT", ve->vei.vei_port, ve->vei.vei_size);
	/* vmd skips the instruction next time. */
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_info_params vip;
	struct vm_info_result vir;
	struct vm_rwregs_params vrw;
	struct vcpu_inject_event inj;
	struct vm_run_params vrp;
	uint32_t sig[3];
	size_t used0;
	int i;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "realmode", &vcp);

	/*
	 * The guest's resident size before it ran: its pmap's own pages
	 * (OpenBSD counts the top-level page table; the testbed nothing).
	 * Loading the guest through the creator's mapping faults nothing
	 * in on the guest's side.
	 */
	memset(&vip, 0, sizeof(vip));
	vip.vip_size = sizeof(vir);
	vip.vip_info = &vir;
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "INFO");
	used0 = vir.vir_used_size;
	bios_boot(fd, id, &vcp, rm_reset, rm_reset_end, rm_code, rm_code_end);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "INFO");
	CHECK(vir.vir_used_size == used0);

	/* 1. "insb" from port 0x61: string input, one-byte instruction. */
	expect_io(0x61, VEI_DIR_IN, 1, NULL, 0);
	CHECK(ve->vei.vei_string == 1 && ve->vei.vei_rep == 0);
	CHECK(ve->vei.vei_insn_len == 1);
	/* vmd cannot emulate string I/O: it injects #GP (error code 0)
	 * with RIP left on the instruction. */
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] -= ve->vei.vei_insn_len;
	memset(&inj, 0, sizeof(inj));
	inj.vie_type = VCPU_INJECT_EX;
	inj.vie_vector = VMM_EX_GP;
	inj.vie_errorcode = 0;
	expect_io(0xf0, VEI_DIR_IN, 1, &inj, 0);
	printf("string I/O + injected #GP: handler ran\n");

	/* 2. Sizes and data round trips. */
	expect_io(0x80, VEI_DIR_OUT, 1, NULL, 0);
	CHECK((ve->vei.vei_data & 0xff) == 0x11);
	expect_io(0x80, VEI_DIR_OUT, 2, NULL, 0);
	CHECK((ve->vei.vei_data & 0xffff) == 0x2233);
	expect_io(0x80, VEI_DIR_OUT, 4, NULL, 0);
	CHECK(ve->vei.vei_data == 0x44556677);
	expect_io(0x80, VEI_DIR_IN, 1, NULL, 0);
	ve->vei.vei_data = 0xa1;
	expect_io(0x80, VEI_DIR_IN, 2, NULL, 0);
	ve->vei.vei_data = 0xb2b3;
	expect_io(0x80, VEI_DIR_IN, 4, NULL, 0);
	ve->vei.vei_data = 0xc4c5c6c7;
	expect_io(0x80, VEI_DIR_OUT, 4, NULL, 0);
	CHECK(ve->vei.vei_data == 0xc4c5c6c7);
	printf("IN/OUT of 1, 2, 4 bytes: ok\n");

	/* 3. CPUID. */
	expect_io(0x81, VEI_DIR_OUT, 4, NULL, 0);
	CHECK(ve->vei.vei_data & (1U << 31));		/* hypervisor */
	CHECK((ve->vei.vei_data & (1U << 5)) == 0);	/* no VMX */
	for (i = 0; i < 3; i++) {
		expect_io(0x81, VEI_DIR_OUT, 4, NULL, 0);
		sig[i] = ve->vei.vei_data;
	}
	CHECK(memcmp(sig, "OpenBSDVMM58", 12) == 0);
	printf("CPUID: hypervisor bit set, signature %.12s\n", (char *)sig);

	/* 4. MSRs. */
	expect_io(0x82, VEI_DIR_OUT, 4, NULL, 0);
	printf("RDMSR PAT: 0x%x\n", ve->vei.vei_data);
	CHECK(ve->vei.vei_data != 0xbad);
	/* The bad WRMSR gets #GP: the handler's "in $0xf0" comes next. */
	expect_io(0xf0, VEI_DIR_IN, 1, NULL, 0);
	printf("WRMSR of an invalid PAT: #GP\n");

	/* 5. Interrupt: not while IF=0. */
	expect_io(0x83, VEI_DIR_OUT, 1, NULL, 0);
	memset(&inj, 0, sizeof(inj));
	inj.vie_type = VCPU_INJECT_INTR;
	inj.vie_vector = 0x20;
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = id;
	vrp.vrp_exit = ve;
	vrp.vrp_inject = inj;
	vrp.vrp_intr_pending = 1;
	if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
		err(1, "RUN with an interrupt pending");
	/* The guest ran on to "sti" without taking it; the kernel reports
	 * the guest ready for interrupts now. */
	CHECK(vrp.vrp_irqready == 1);
	if (is_io_exit(vrp.vrp_exit_reason)) {
		CHECK(ve->vei.vei_port == 0x84);
		ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	}
	/* Now it is delivered: the handler writes port 0x21. */
	expect_io(0x21, VEI_DIR_OUT, 1, &inj, 0);
	expect_io(0x85, VEI_DIR_OUT, 1, NULL, 0);
	printf("interrupt injected once IF=1\n");

	/* 5b. The window: vmd has an interrupt pending while IF=0. */
	expect_io(0x86, VEI_DIR_OUT, 1, NULL, 0);
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = id;
	vrp.vrp_exit = ve;
	vrp.vrp_intr_pending = 1;
	do {
		if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
			err(1, "RUN with an interrupt pending, IF=0");
	} while (vrp.vrp_exit_reason == VM_EXIT_NONE && !vrp.vrp_irqready);
	printf("interrupt window: exit 0x%x irqready %u\n",
	    vrp.vrp_exit_reason, vrp.vrp_irqready);
	/* Back as soon as the guest can take it, before the OUT 0x87. */
	CHECK(vrp.vrp_irqready == 1);
	CHECK(!is_io_exit(vrp.vrp_exit_reason));
	expect_io(0x21, VEI_DIR_OUT, 1, &inj, 0);
	expect_io(0x87, VEI_DIR_OUT, 1, NULL, 0);

	CHECK(is_hlt_exit(run_vcpu(fd, id, ve)));

	/* 6. Registers round trip; memory was faulted in. */
	memset(&vrw, 0, sizeof(vrw));
	vrw.vrwp_vm_id = id;
	vrw.vrwp_mask = VM_RWREGS_ALL;
	if (ioctl(fd, VMM_IOC_READREGS, &vrw) == -1)
		err(1, "READREGS");
	vrw.vrwp_regs.vrs_gprs[VCPU_REGS_RBX] = 0x1122334455667788ULL;
	vrw.vrwp_regs.vrs_gprs[VCPU_REGS_R15] = 0x99;
	vrw.vrwp_regs.vrs_drs[VCPU_REGS_DR0] = 0x1000;
	vrw.vrwp_mask = VM_RWREGS_GPRS | VM_RWREGS_DRS;
	if (ioctl(fd, VMM_IOC_WRITEREGS, &vrw) == -1)
		err(1, "WRITEREGS");
	memset(&vrw.vrwp_regs, 0, sizeof(vrw.vrwp_regs));
	vrw.vrwp_mask = VM_RWREGS_ALL;
	if (ioctl(fd, VMM_IOC_READREGS, &vrw) == -1)
		err(1, "READREGS");
	CHECK(vrw.vrwp_regs.vrs_gprs[VCPU_REGS_RBX] == 0x1122334455667788ULL);
	CHECK(vrw.vrwp_regs.vrs_gprs[VCPU_REGS_R15] == 0x99);
	CHECK(vrw.vrwp_regs.vrs_drs[VCPU_REGS_DR0] == 0x1000);
	CHECK(vrw.vrwp_regs.vrs_sregs[VCPU_REGS_CS].vsi_sel == 0xf000);
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "INFO");
	printf("guest pages faulted in: %zu KiB (%zu KiB before)\n",
	    vir.vir_used_size / 1024, used0 / 1024);
	CHECK(vir.vir_used_size >= used0 + 3 * 4096);

	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
