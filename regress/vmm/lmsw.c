/*
 * Real-mode guests that enter protected mode with LMSW, as old boot code
 * does, and then run CLTS:
 *  1. "smsw %ax; or $0xb, %ax; lmsw %ax" (register operand) sets PE, MP
 *     and TS; a far jump reaches 32-bit code, which reports CR0 and CS
 *     through OUT; CLTS then clears TS and CR0 is reported again;
 *  2. "lmsw mem" (memory operand) with the word 0x0001 sets PE alone.
 * VMX owns CR0.PE (README, difference 22), so an LMSW that sets it exits
 * and the driver does what the instruction does: it loads PE, MP, EM and
 * TS from the operand, PE only ever set.  Such an LMSW used to fail the
 * RUN with EINVAL.  SVM does not intercept either instruction.
 */
#include "vmmtest.h"

/* GDT: 0x08 flat 32-bit code, 0x10 flat data; the LGDT operand at 3:. */
#define LM_GDT(name)							\
"1:	.quad	0\n"							\
"	.quad	0x00cf9a000000ffff\n"					\
"	.quad	0x00cf92000000ffff\n"					\
"2:\n"								\
"3:	.word	2b - 1b - 1\n"						\
"	.long	0xf0100 + 1b - " name "\n"

extern const unsigned char lm_reset[], lm_reset_end[];
extern const unsigned char lm_reg[], lm_reg_end[];
extern const unsigned char lm_mem[], lm_mem_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"lm_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"lm_reset_end:\n"
"lm_reg:\n"				/* at f000:0100, linear 0xf0100 */
"	lgdtl	%cs:(0x100 + 3f - lm_reg)\n"
"	smsw	%ax\n"
"	or	$0xb, %ax\n"			/* PE, MP, TS */
"	lmsw	%ax\n"
"	ljmpl	$0x08, $(0xf0100 + 4f - lm_reg)\n"
"	.code32\n"
"4:	mov	$0x10, %ax\n"
"	mov	%ax, %ds\n"
"	mov	%ax, %ss\n"
"	mov	%cr0, %eax\n"
"	mov	$0x90, %dx\n"
"	out	%eax, %dx\n"
"	clts\n"
"	mov	%cr0, %eax\n"
"	mov	$0x91, %dx\n"
"	out	%eax, %dx\n"
"	cli\n"
"5:	hlt\n"
"	jmp	5b\n"
	LM_GDT("lm_reg")
"lm_reg_end:\n"
"	.code16\n"
"lm_mem:\n"
"	lgdtl	%cs:(0x100 + 3f - lm_mem)\n"
"	lmsw	%cs:(0x100 + 6f - lm_mem)\n"
"	ljmpl	$0x08, $(0xf0100 + 4f - lm_mem)\n"
"	.code32\n"
"4:	mov	%cr0, %eax\n"
"	mov	$0x92, %dx\n"
"	out	%eax, %dx\n"
"	cli\n"
"5:	hlt\n"
"	jmp	5b\n"
"6:	.word	0x0001\n"
	LM_GDT("lm_mem")
"lm_mem_end:\n"
"	.code64\n"
"	.popsection\n");

/* Runs to the next exit; it must be a 4-byte OUT to `port`, from 32-bit
 * protected mode with CS 0x08; returns the value written (CR0). */
static uint32_t
expect_out(int fd, uint32_t id, struct vm_exit *ve, uint16_t port)
{
	uint16_t r;

	if ((r = run_vcpu(fd, id, ve)) == VM_EXIT_NONE)
		return (expect_out(fd, id, ve, port));
	if (!is_io_exit(r))
		errx(1, "exit 0x%x, want OUT to port 0x%x", r, port);
	if (ve->vei.vei_port != port || ve->vei.vei_dir != VEI_DIR_OUT ||
	    ve->vei.vei_size != 4)
		errx(1, "I/O at port 0x%x (dir %d, size %d), want OUT to 0x%x",
		    ve->vei.vei_port, ve->vei.vei_dir, ve->vei.vei_size, port);
	CHECK(ve->vrs.vrs_sregs[VCPU_REGS_CS].vsi_sel == 0x08);
	CHECK((uint32_t)ve->vrs.vrs_crs[VCPU_REGS_CR0] == ve->vei.vei_data);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	return (ve->vei.vei_data);
}

static void
guest(int fd, const char *name, const unsigned char *code,
    const unsigned char *end, struct vm_exit *ve)
{
	struct vm_create_params vcp;
	uint32_t id, cr0;

	id = create_vm(fd, name, &vcp);
	bios_boot(fd, id, &vcp, lm_reset, lm_reset_end, code, end);
	memset(ve, 0, sizeof(*ve));
	if (code == lm_reg) {
		/* flat16's CR0 is 0x60000010 (CD, NW, ET). */
		cr0 = expect_out(fd, id, ve, 0x90);
		if (cr0 != 0x6000001b)
			errx(1, "%s: CR0 0x%x after LMSW 0xb, want 0x6000001b",
			    name, cr0);
		printf("%s: LMSW (register) entered protected mode, "
		    "CR0 0x%x\n", name, cr0);
		cr0 = expect_out(fd, id, ve, 0x91);
		if (cr0 != 0x60000013)
			errx(1, "%s: CR0 0x%x after CLTS, want 0x60000013",
			    name, cr0);
		printf("%s: CLTS cleared TS, CR0 0x%x\n", name, cr0);
	} else {
		cr0 = expect_out(fd, id, ve, 0x92);
		if (cr0 != 0x60000011)
			errx(1, "%s: CR0 0x%x after LMSW 0x1, want 0x60000011",
			    name, cr0);
		printf("%s: LMSW (memory) entered protected mode, "
		    "CR0 0x%x\n", name, cr0);
	}
	terminate_vm(fd, id);
}

int
main(void)
{
	struct vm_exit *ve;
	int fd;

	fd = vmm_open_or_skip();
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	guest(fd, "lmsw-reg", lm_reg, lm_reg_end, ve);
	guest(fd, "lmsw-mem", lm_mem, lm_mem_end, ve);
	free(ve);
	close(fd);
	return (0);
}
