/*
 * A guest started from vmd's ELF-boot (flat64) state with vmd's GDT and
 * page-table layout (GDT 0x10000, PML4 0x11000, PML3 0x12000, PML2 0x13000
 * mapping the first GiB with 2 MiB pages; here also a PD at 0x14000 for
 * 3-4 GiB).  It enters 64-bit mode, does port I/O, reads the MMIO window
 * (an exit to vmd with VEE_FAULT_MMIO_ASSIST; vmd "emulates" the load by
 * returning RAX and the next RIP), echoes what it read, and halts.
 */
#include "vmmtest.h"

extern const unsigned char lm_entry[], lm_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code32\n"
"lm_entry:\n"					/* at 0x100000, compat mode */
"	ljmp	$0x18, $(0x100000 + lm64 - lm_entry)\n"
"	.code64\n"
"lm64:\n"
"	mov	$0x3f8, %dx\n"
"	mov	$0x4c, %al\n"
"	out	%al, %dx\n"				/* 'L' from long mode */
"	mov	$0xf0000000, %ebx\n"
"lm_mmio:\n"
"	mov	(%rbx), %eax\n"				/* MMIO load: 2 bytes */
"	mov	$0x3f8, %dx\n"
"	out	%eax, %dx\n"				/* echo it */
"	sti\n"
"	hlt\n"
"lm_end:\n"
"	.popsection\n");

#define GDT_PAGE	0x10000
#define PML4_PAGE	0x11000
#define PML3_PAGE	0x12000
#define PML2_PAGE	0x13000
#define PD_HIGH_PAGE	0x14000

static void
vmd_tables(struct vm_create_params *vcp)
{
	uint64_t gdt[4], pte[512];
	int i;

	/* vmd's GDT: null, 32-bit code 0x8, data 0x10, 64-bit code 0x18. */
	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	gdt[3] = 0x00af9b000000ffffULL;
	guest_write(vcp, GDT_PAGE, gdt, sizeof(gdt));

	memset(pte, 0, sizeof(pte));
	pte[0] = PML3_PAGE | 0x1;				/* V */
	guest_write(vcp, PML4_PAGE, pte, sizeof(pte));
	pte[0] = PML2_PAGE | 0x7;				/* V|RW|U */
	pte[3] = PD_HIGH_PAGE | 0x7;				/* 3-4 GiB */
	guest_write(vcp, PML3_PAGE, pte, sizeof(pte));
	for (i = 0; i < 512; i++)
		pte[i] = ((uint64_t)i << 21) | 0x87;		/* V|RW|U|PS */
	guest_write(vcp, PML2_PAGE, pte, sizeof(pte));
	for (i = 0; i < 512; i++)
		pte[i] = (0xc0000000ULL + ((uint64_t)i << 21)) | 0x87;
	guest_write(vcp, PD_HIGH_PAGE, pte, sizeof(pte));
}

/* vmd's flat64 register state, entering at `rip`. */
static void
flat64(struct vcpu_reg_state *vrs, uint64_t rip)
{
	int i;

	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	vrs->vrs_gprs[VCPU_REGS_RIP] = rip;
	vrs->vrs_gprs[VCPU_REGS_RSP] = 0xffdc;
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x80000011;
	vrs->vrs_crs[VCPU_REGS_CR3] = PML4_PAGE;
	vrs->vrs_crs[VCPU_REGS_CR4] = 0x30;
	vrs->vrs_crs[VCPU_REGS_XCR0] = 0x1;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x8;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_limit = 0xffffffff;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0xc09f;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		if (i == VCPU_REGS_CS)
			continue;
		vrs->vrs_sregs[i].vsi_sel = 0x10;
		vrs->vrs_sregs[i].vsi_limit = 0xffffffff;
		vrs->vrs_sregs[i].vsi_ar = 0xc093;
	}
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_sel = 0;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_limit = 0xffff;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x0082;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_sel = 0;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_limit = 0xffff;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x008b;
	vrs->vrs_gdtr.vsi_limit = 0xffff;
	vrs->vrs_gdtr.vsi_base = GDT_PAGE;
	vrs->vrs_idtr.vsi_limit = 0xffff;
	vrs->vrs_msrs[VCPU_REGS_EFER] = 0x500;
	vrs->vrs_drs[VCPU_REGS_DR6] = 0xffff0ff0;
	vrs->vrs_drs[VCPU_REGS_DR7] = 0x400;
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vcpu_reg_state vrs;
	struct vm_exit *ve;
	uint16_t reason;
	uint32_t id;
	int fd;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "longmode", &vcp);
	vmd_tables(&vcp);
	guest_write(&vcp, 0x100000, lm_entry, lm_end - lm_entry);
	flat64(&vrs, 0x100000);
	reset_vcpu(fd, id, &vrs);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	reason = run_vcpu_vmd(fd, id, ve);
	CHECK(is_io_exit(reason));
	CHECK(ve->vei.vei_port == 0x3f8 && (ve->vei.vei_data & 0xff) == 'L');
	CHECK(ve->vrs.vrs_msrs[VCPU_REGS_EFER] & 0x400);	/* LMA */
	CHECK(ve->vrs.vrs_sregs[VCPU_REGS_CS].vsi_sel == 0x18);
	printf("64-bit guest: OUT at rip 0x%llx, cs 0x%x, cpl %d\n",
	    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP],
	    ve->vrs.vrs_sregs[VCPU_REGS_CS].vsi_sel, ve->cpl);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;

	/* The MMIO load exits to vmd. */
	reason = run_vcpu_vmd(fd, id, ve);
	printf("MMIO: exit 0x%x fault type %u info 0x%x len %u rip 0x%llx\n",
	    reason, ve->vee.vee_fault_type, ve->vee.vee_insn_info,
	    ve->vee.vee_insn_len,
	    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
	CHECK(reason == SVM_VMEXIT_NPF || reason == VMX_EXIT_EPT_VIOLATION);
	CHECK(ve->vee.vee_fault_type == VEE_FAULT_MMIO_ASSIST);
	if (ve->vee.vee_insn_info & VEE_LEN_VALID)
		CHECK(ve->vee.vee_insn_len == 2);
	/* SVM: the instruction's bytes ("mov (%rbx),%eax" = 8b 03). */
	if (reason == SVM_VMEXIT_NPF) {
		CHECK(ve->vee.vee_insn_info & VEE_BYTES_VALID);
		CHECK(ve->vee.vee_insn_len >= 2);
		CHECK(ve->vee.vee_insn_bytes[0] == 0x8b &&
		    ve->vee.vee_insn_bytes[1] == 0x03);
	}
	CHECK(ve->vrs.vrs_gprs[VCPU_REGS_RBX] == 0xf0000000);
	/* vmd emulates the load: RAX and the next RIP. */
	ve->vrs.vrs_gprs[VCPU_REGS_RAX] = 0x12345678;
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += 2;

	reason = run_vcpu_vmd(fd, id, ve);
	CHECK(is_io_exit(reason));
	CHECK(ve->vei.vei_size == 4 && ve->vei.vei_data == 0x12345678);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;

	reason = run_vcpu_vmd(fd, id, ve);
	CHECK(is_hlt_exit(reason));
	printf("64-bit guest halted\n");
	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
