/*
 * RESETCPU after an exit vmd has answered: vmd's answer belongs to the
 * state the vcpu had, not to the one RESETCPU loads.
 *
 * The guest enables interrupts and does "in $0x60, %al"; vmd fills in
 * the data and advances RIP in its exit record, as it does for every IN,
 * but instead of running the vcpu it resets it to a new state: RIP at
 * other code, RAX 0x1234, IF=0.  vmd keeps its exit record (vmd reuses
 * one per vcpu) and asks for an interrupt on the next RUN.  That RUN must
 * start from the new state: the first exit is "out %ax, $0x61" with
 * 0x1234.  Had the old answer been applied, AL would hold vmd's data and
 * the guest would go on after the IN (port 0x62, then HLT with IF=0:
 * EIO); had the old "interrupts enabled" state been kept, the interrupt
 * would be delivered although IF=0 (port 0x63).
 */
#include "vmmtest.h"

extern const unsigned char rc_reset[], rc_reset_end[];
extern const unsigned char rc_code[], rc_code_end[], rc_new[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"rc_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"rc_reset_end:\n"
"rc_code:\n"				/* at f000:0100 */
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	movw	$(0x100 + 1f - rc_code), (0x20 * 4)\n"
"	movw	$0xf000, (0x20 * 4 + 2)\n"
"	mov	$0x7000, %sp\n"
"	sti\n"
"	nop\n"
"	in	$0x60, %al\n"
"	mov	$0x62, %dx\n"			/* the old state went on */
"	out	%al, %dx\n"
"	cli\n"
"	hlt\n"
"rc_new:\n"				/* the new state starts here */
"	mov	$0x61, %dx\n"
"	out	%ax, %dx\n"
"	cli\n"
"	hlt\n"
"1:	mov	$0x63, %dx\n"			/* vector 0x20 */
"	out	%al, %dx\n"
"	cli\n"
"	hlt\n"
"rc_code_end:\n"
"	.code64\n"
"	.popsection\n");

int
main(void)
{
	struct vm_create_params vcp;
	struct vcpu_reg_state vrs;
	struct vm_run_params vrp;
	struct vm_exit *ve;
	uint16_t r;
	uint32_t id;
	int fd;

	fd = vmm_open_or_skip();
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	id = create_vm(fd, "resetcpu", &vcp);
	bios_boot(fd, id, &vcp, rc_reset, rc_reset_end, rc_code, rc_code_end);

	/* The IN; vmd answers it in its exit record. */
	while ((r = run_vcpu(fd, id, ve)) == VM_EXIT_NONE)
		;
	CHECK(is_io_exit(r));
	CHECK(ve->vei.vei_port == 0x60 && ve->vei.vei_dir == VEI_DIR_IN);
	CHECK(ve->vrs.vrs_gprs[VCPU_REGS_RFLAGS] & 0x200);
	ve->vei.vei_data = 0xaa;
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;

	/* vmd resets the vcpu instead (a guest reboot, say). */
	flat16(&vrs);
	vrs.vrs_gprs[VCPU_REGS_RIP] = 0x100 + (rc_new - rc_code);
	vrs.vrs_gprs[VCPU_REGS_RAX] = 0x1234;
	reset_vcpu(fd, id, &vrs);

	/* The next RUN, with vmd's old exit record and an interrupt. */
	for (;;) {
		memset(&vrp, 0, sizeof(vrp));
		vrp.vrp_vm_id = id;
		vrp.vrp_vcpu_id = 0;
		vrp.vrp_exit = ve;
		vrp.vrp_intr_pending = 1;
		vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
		vrp.vrp_inject.vie_vector = 0x20;
		if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
			err(1, "VMM_IOC_RUN after RESETCPU (the old state's "
			    "answer applied?)");
		if (vrp.vrp_exit_reason != VM_EXIT_NONE)
			break;
	}
	CHECK(is_io_exit(vrp.vrp_exit_reason));
	if (ve->vei.vei_port == 0x62)
		errx(1, "the guest went on after the IN: vmd's answer to the "
		    "old state was applied after RESETCPU");
	if (ve->vei.vei_port == 0x63)
		errx(1, "interrupt delivered with IF=0: the old state's "
		    "interrupt readiness survived RESETCPU");
	CHECK(ve->vei.vei_port == 0x61 && ve->vei.vei_dir == VEI_DIR_OUT);
	if (ve->vei.vei_data != 0x1234)
		errx(1, "RAX 0x%x after RESETCPU, want 0x1234",
		    ve->vei.vei_data);
	CHECK(ve->vrs.vrs_gprs[VCPU_REGS_RIP] == 0x100 + (rc_new - rc_code) +
	    3);
	printf("RESETCPU after an answered IN: the guest runs from the new "
	    "state (RAX 0x%x), no interrupt with IF=0\n", ve->vei.vei_data);

	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
