/*
 * VMX state that RESETCPU and WRITEREGS must not leave behind (README,
 * "Differences from the C driver", 30 and 38).
 *
 * 1. The guest writes nonzero SYSENTER_CS/ESP/EIP (WRMSR 0x174-0x176;
 *    VMX passes them through, so they live in the VMCS guest fields),
 *    then "sti; out": the exit comes with STI blocking in force.  vmd
 *    resets the vcpu to a real-mode state with IF=0 and RIP at new code,
 *    which reads the three MSRs with RDMSR and OUTs them: all 0, as after
 *    RESET.  Upstream kept the old guest's values, and its STI blocking:
 *    STI blocking with IF=0 is an invalid guest state, so that RUN
 *    failed (EINVAL) where the CPU checks it.
 * 2. The guest enables interrupts and exits with IF=1 (OUT); vmd clears
 *    RFLAGS.IF with WRITEREGS and runs it asking for an interrupt whose
 *    handler OUTs a marker.  VMX injects only when the guest's IF is set
 *    at the entry, so the guest goes on to its next OUT with IF=0 and the
 *    RUN succeeds.  Upstream went by the last exit's IF and injected with
 *    IF=0, which VM entry refuses (EINVAL).
 * SVM keeps the SYSENTER MSRs across RESETCPU and decides on the last
 * exit's IF, as upstream: there the guests of 1 run for their exits only
 * and 2 is left out.
 */
#include "vmmtest.h"

#define SE_CS	0x1234
#define SE_ESP	0x5678abcdU
#define SE_EIP	0x9abc0123U

extern const unsigned char vr_reset[], vr_reset_end[];
extern const unsigned char vr_se[], vr_se_end[], vr_se_new[];
extern const unsigned char vr_if[], vr_if_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"vr_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"vr_reset_end:\n"
"vr_se:\n"				/* at f000:0100 */
"	xor	%edx, %edx\n"
"	mov	$0x174, %ecx\n"
"	mov	$0x1234, %eax\n"
"	wrmsr\n"
"	mov	$0x175, %ecx\n"
"	mov	$0x5678abcd, %eax\n"
"	wrmsr\n"
"	mov	$0x176, %ecx\n"
"	mov	$0x9abc0123, %eax\n"
"	wrmsr\n"
"	mov	$0x70, %dx\n"
"	sti\n"
"	out	%al, %dx\n"			/* in STI's shadow */
"	cli\n"
"	hlt\n"
"vr_se_new:\n"				/* the reset state starts here */
"	mov	$0x174, %ecx\n"
"	rdmsr\n"
"	mov	$0x71, %dx\n"
"	out	%eax, %dx\n"
"	mov	$0x175, %ecx\n"
"	rdmsr\n"
"	mov	$0x72, %dx\n"
"	out	%eax, %dx\n"
"	mov	$0x176, %ecx\n"
"	rdmsr\n"
"	mov	$0x73, %dx\n"
"	out	%eax, %dx\n"
"	cli\n"
"	hlt\n"
"vr_se_end:\n"
"vr_if:\n"				/* at f000:0100 */
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	movw	$(0x100 + 1f - vr_if), (0x21 * 4)\n"
"	movw	$0xf000, (0x21 * 4 + 2)\n"
"	mov	$0x7000, %sp\n"
"	sti\n"
"	nop\n"
"	mov	$0x80, %dx\n"			/* IF=1, no blocking */
"	out	%al, %dx\n"
"	mov	$0x81, %dx\n"			/* vmd cleared IF */
"	out	%al, %dx\n"
"	cli\n"
"	hlt\n"
"1:	mov	$0x7f, %dx\n"			/* vector 0x21 */
"	out	%al, %dx\n"
"	cli\n"
"	hlt\n"
"vr_if_end:\n"
"	.code64\n"
"	.popsection\n");

static int
intel_cpu(void)
{
	uint32_t a = 0, b, c, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	return (b == 0x756e6547);	/* "Genu" */
}

/*
 * One RUN (repeated over VM_EXIT_NONE), vmd's interrupt `vec` requested
 * when nonzero; the exit must be an OUT; returns its port.  A failing RUN
 * ends the program with `why`.
 */
static uint16_t
run_out(int fd, uint32_t id, struct vm_exit *ve, int vec, const char *why)
{
	struct vm_run_params vrp;

	for (;;) {
		memset(&vrp, 0, sizeof(vrp));
		vrp.vrp_vm_id = id;
		vrp.vrp_vcpu_id = 0;
		vrp.vrp_exit = ve;
		if (vec != 0) {
			vrp.vrp_intr_pending = 1;
			vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
			vrp.vrp_inject.vie_vector = vec;
		}
		if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
			err(1, "VMM_IOC_RUN (%s)", why);
		if (vrp.vrp_exit_reason != VM_EXIT_NONE)
			break;
	}
	if (!is_io_exit(vrp.vrp_exit_reason) ||
	    ve->vei.vei_dir != VEI_DIR_OUT)
		errx(1, "exit 0x%x (port 0x%x dir %d), want an OUT",
		    vrp.vrp_exit_reason, ve->vei.vei_port, ve->vei.vei_dir);
	/* vmd's answer: RIP past the OUT. */
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	return (ve->vei.vei_port);
}

static void
sysenter_reset(int fd, struct vm_exit *ve, int vmx)
{
	static const uint32_t old[3] = { SE_CS, SE_ESP, SE_EIP };
	static const char *name[3] = { "SYSENTER_CS", "SYSENTER_ESP",
	    "SYSENTER_EIP" };
	struct vm_create_params vcp;
	struct vcpu_reg_state vrs;
	uint32_t id, v;
	uint16_t port;
	int i;

	id = create_vm(fd, "vmxreset-se", &vcp);
	bios_boot(fd, id, &vcp, vr_reset, vr_reset_end, vr_se, vr_se_end);
	port = run_out(fd, id, ve, 0, "the first guest");
	CHECK(port == 0x70);
	CHECK(ve->vrs.vrs_gprs[VCPU_REGS_RFLAGS] & 0x200);

	/* Reset to real mode with IF=0, RIP at the new code. */
	flat16(&vrs);
	vrs.vrs_gprs[VCPU_REGS_RIP] = 0x100 + (vr_se_new - vr_se);
	reset_vcpu(fd, id, &vrs);

	for (i = 0; i < 3; i++) {
		port = run_out(fd, id, ve, 0, i == 0 ? "after RESETCPU: STI "
		    "blocking kept with IF=0?" : "after RESETCPU");
		CHECK(port == 0x71 + i && ve->vei.vei_size == 4);
		v = ve->vei.vei_data;
		if (!vmx) {
			printf("SVM: %s 0x%x after RESETCPU (kept, as "
			    "upstream; not checked)\n", name[i], v);
			continue;
		}
		if (v != 0)
			errx(1, "%s 0x%x after RESETCPU, want 0 (the old "
			    "guest's 0x%x kept)", name[i], v, old[i]);
	}
	if (vmx)
		printf("RESETCPU after an exit in STI's shadow: the new state "
		    "runs (IF=0), SYSENTER_CS/ESP/EIP 0\n");
	terminate_vm(fd, id);
}

static void
writeregs_if(int fd, struct vm_exit *ve)
{
	struct vm_create_params vcp;
	struct vm_rwregs_params vrw;
	uint32_t id;
	uint16_t port;

	id = create_vm(fd, "vmxreset-if", &vcp);
	bios_boot(fd, id, &vcp, vr_reset, vr_reset_end, vr_if, vr_if_end);
	port = run_out(fd, id, ve, 0, "the guest");
	CHECK(port == 0x80);
	CHECK(ve->vrs.vrs_gprs[VCPU_REGS_RFLAGS] & 0x200);

	/* vmd clears IF (RIP as vmd's answer leaves it). */
	memset(&vrw, 0, sizeof(vrw));
	vrw.vrwp_vm_id = id;
	vrw.vrwp_vcpu_id = 0;
	vrw.vrwp_mask = VM_RWREGS_ALL;
	if (ioctl(fd, VMM_IOC_READREGS, &vrw) == -1)
		err(1, "VMM_IOC_READREGS");
	vrw.vrwp_regs.vrs_gprs[VCPU_REGS_RFLAGS] &= ~0x200ULL;
	vrw.vrwp_regs.vrs_gprs[VCPU_REGS_RIP] =
	    ve->vrs.vrs_gprs[VCPU_REGS_RIP];
	vrw.vrwp_mask = VM_RWREGS_GPRS;
	if (ioctl(fd, VMM_IOC_WRITEREGS, &vrw) == -1)
		err(1, "VMM_IOC_WRITEREGS");

	port = run_out(fd, id, ve, 0x21, "interrupt injected with IF=0?");
	if (port == 0x7f)
		errx(1, "interrupt taken with IF=0 after WRITEREGS cleared it");
	CHECK(port == 0x81);
	CHECK((ve->vrs.vrs_gprs[VCPU_REGS_RFLAGS] & 0x200) == 0);
	printf("WRITEREGS cleared IF after an exit with IF=1: vmd's "
	    "interrupt waits, the guest goes on (port 0x%x)\n", port);
	terminate_vm(fd, id);
}

int
main(void)
{
	struct vm_exit *ve;
	int fd, vmx;

	fd = vmm_open_or_skip();
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	vmx = intel_cpu();
	sysenter_reset(fd, ve, vmx);
	if (vmx)
		writeregs_if(fd, ve);
	else
		printf("not VMX: checks for VMX only (WRITEREGS and IF)\n");
	free(ve);
	close(fd);
	return (0);
}
