/*
 * The full /dev/vmm life cycle as vmd drives it: CREATE with vmd's memory
 * map of a 64 MiB guest, SHAREMEM into a second (device) process, INFO,
 * RESETCPU to the BIOS-boot state, RUN a real-mode guest through three
 * port-I/O exits (OUT, IN with data from "vmd", OUT of that data) and a
 * HLT, READREGS, TERM.
 */
#include "vmmtest.h"

/* The guest: a reset vector jumping to code at f000:0100. */
extern const unsigned char guest_reset[], guest_reset_end[];
extern const unsigned char guest_code[], guest_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"guest_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"guest_reset_end:\n"
"guest_code:\n"
"	mov	$0x3f8, %dx\n"
"	mov	$0x48, %al\n"
"	out	%al, %dx\n"		/* exit 1: OUT 0x3f8, 'H' */
"	mov	$0x61, %dx\n"
"	in	%dx, %al\n"		/* exit 2: IN 0x61 */
"	mov	$0x62, %dx\n"
"	out	%al, %dx\n"		/* exit 3: OUT 0x62, what IN gave */
"	sti\n"
"	hlt\n"				/* exit 4: HLT with IF=1 */
"guest_code_end:\n"
"	.code64\n"
"	.popsection\n");

/* The device process: SHAREMEM the VM's memory, write a marker. */
static int
device_process(void *arg)
{
	struct vm_create_params *vcp = arg;
	vaddr_t va[VMM_MAX_MEM_RANGES];
	int dfd;

	if ((dfd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open /dev/vmm in the device process");
	if (vmm_sharemem(dfd, vcp->vcp_id, vcp, va) == -1)
		err(1, "VMM_IOC_SHAREMEM");
	CHECK(va[2] != 0 && va[3] == 0);
	((volatile char *)va[2])[0x5000] = 0x77;
	close(dfd);
	return (0);
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_info_params vip;
	struct vm_info_result *vir;
	struct vm_rwregs_params vrwp;
	struct vm_exit *ve;
	uint16_t reason;
	uint32_t id;
	size_t i;
	int fd, vmproc;

	fd = vmm_open_or_skip();
	vmproc = getpid();

	id = create_vm(fd, "lifecycle", &vcp);
	CHECK(id >= 1);
	for (i = 0; i < vcp.vcp_nmemranges; i++) {
		/* 7.6: the caller mapped every range, MMIO too. */
		if (vcp.vcp_memranges[i].vmr_type == VM_MEM_MMIO && !ABI76)
			CHECK(vcp.vcp_memranges[i].vmr_va == 0);
		else
			CHECK(vcp.vcp_memranges[i].vmr_va != 0 &&
			    (vcp.vcp_memranges[i].vmr_va & 0xfff) == 0);
	}
	printf("created vm %u\n", id);

	/* A device process maps the same memory and writes to it. */
	CHECK(run_in_child(device_process, &vcp) == 0);
	CHECK(((volatile char *)vcp.vcp_memranges[2].vmr_va)[0x5000] == 0x77);

	/* INFO, the two-call way. */
	memset(&vip, 0, sizeof(vip));
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO size");
	CHECK(vip.vip_size == sizeof(*vir) && vip.vip_info_ct == 0);
	if ((vir = malloc(vip.vip_size)) == NULL)
		err(1, NULL);
	vip.vip_info = vir;
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO");
	CHECK(vip.vip_info_ct == 1);
	CHECK(vir->vir_id == id && vir->vir_ncpus == 1);
	CHECK(vir->vir_memory_size == MB(64) + MB(4));
	CHECK(vir->vir_creator_pid == vmproc);
	CHECK(strcmp(vir->vir_name, "lifecycle") == 0);
	CHECK(vir->vir_vcpu_state[0] == 0);	/* VCPU_STATE_STOPPED */
	free(vir);

	/* BIOS boot: reset vector at 0xffff0, code at 0xf0100. */
	bios_boot(fd, id, &vcp, guest_reset, guest_reset_end, guest_code, guest_code_end);

	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	reason = run_vcpu_vmd(fd, id, ve);
	printf("exit 1: reason 0x%x port 0x%x dir %u size %u data 0x%x len %u\n",
	    reason, ve->vei.vei_port, ve->vei.vei_dir, ve->vei.vei_size,
	    ve->vei.vei_data, ve->vei.vei_insn_len);
	CHECK(is_io_exit(reason));
	CHECK(ve->vei.vei_port == 0x3f8 && ve->vei.vei_dir == VEI_DIR_OUT);
	CHECK(ve->vei.vei_size == 1 && (ve->vei.vei_data & 0xff) == 0x48);
	CHECK(ve->vei.vei_insn_len == 1);
	CHECK(ve->vrs.vrs_gprs[VCPU_REGS_RIP] == 0x105);
	/* vmd: skip the instruction. */
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;

	reason = run_vcpu_vmd(fd, id, ve);
	CHECK(is_io_exit(reason));
	CHECK(ve->vei.vei_port == 0x61 && ve->vei.vei_dir == VEI_DIR_IN);
	CHECK(ve->vei.vei_size == 1);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	ve->vei.vei_data = 0x5a;		/* vmd's answer */

	reason = run_vcpu_vmd(fd, id, ve);
	CHECK(is_io_exit(reason));
	CHECK(ve->vei.vei_port == 0x62 && ve->vei.vei_dir == VEI_DIR_OUT);
	CHECK((ve->vei.vei_data & 0xff) == 0x5a);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;

	reason = run_vcpu_vmd(fd, id, ve);
	printf("exit 4: reason 0x%x rip 0x%llx\n", reason,
	    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
	CHECK(is_hlt_exit(reason));
	CHECK(ve->vrs.vrs_gprs[VCPU_REGS_RIP] ==
	    0x100 + (size_t)(guest_code_end - guest_code));

	/* READREGS agrees with the exit record. */
	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = id;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	if (ioctl(fd, VMM_IOC_READREGS, &vrwp) == -1)
		err(1, "VMM_IOC_READREGS");
	CHECK(vrwp.vrwp_regs.vrs_gprs[VCPU_REGS_RIP] ==
	    ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
	CHECK((vrwp.vrwp_regs.vrs_gprs[VCPU_REGS_RAX] & 0xff) == 0x5a);
	CHECK(vrwp.vrwp_regs.vrs_sregs[VCPU_REGS_CS].vsi_sel == 0xf000);
	free(ve);

	terminate_vm(fd, id);
	memset(&vip, 0, sizeof(vip));
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO after TERM");
	CHECK(vip.vip_size == 0);
	close(fd);
	printf("life cycle done\n");
	return (0);
}
