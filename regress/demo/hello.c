/*
 * make demo: a guest running under the Rust vmm(4).
 *
 * A vmd-like program creates a VM with vmd's memory map, loads a tiny
 * real-mode "BIOS" that asks CPUID who the hypervisor is and prints a
 * greeting on the serial port, resets the vcpu to vmd's BIOS-boot state
 * and runs it, emulating the serial port in its exit loop as vmd does.
 * The CPUID exits are handled in the kernel; the port writes come to us.
 */
#include "vmmtest.h"

extern const unsigned char hello_reset[], hello_reset_end[];
extern const unsigned char hello_code[], hello_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"hello_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"hello_reset_end:\n"
"hello_code:\n"
"	mov	%cs, %ax\n"
"	mov	%ax, %ds\n"
"	mov	$0x40000000, %eax\n"
"	cpuid\n"				/* handled by vmm, not vmd */
"	mov	%ebx, (0x100 + sig - hello_code)\n"
"	mov	%ecx, (0x104 + sig - hello_code)\n"
"	mov	%edx, (0x108 + sig - hello_code)\n"
"	mov	$(0x100 + msg - hello_code), %si\n"
"	cld\n"
"	mov	$0x3f8, %dx\n"
"1:	lodsb\n"
"	test	%al, %al\n"
"	jz	2f\n"
"	out	%al, %dx\n"			/* one exit to vmd per byte */
"	jmp	1b\n"
"2:	sti\n"
"	hlt\n"
"msg:	.ascii	\"Hello from a guest running under the Rust vmm(4)! \"\n"
"	.ascii	\"CPUID 0x40000000 says: \"\n"
"sig:	.ascii	\"............\"\n"
"	.asciz	\"\\n\"\n"
"hello_code_end:\n"
"	.code64\n"
"	.popsection\n");

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_exit *ve;
	char line[256];
	size_t n = 0;
	unsigned int runs = 0, io = 0, hlt = 0, other = 0;
	uint16_t reason;
	uint32_t id;
	int fd;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "hello", &vcp);
	printf("vmd: created VM %u (%s) with vmd's 64 MiB memory map\n", id,
	    vcp.vcp_name);
	bios_boot(fd, id, &vcp, hello_reset, hello_reset_end, hello_code, hello_code_end);
	printf("vmd: vcpu reset to the BIOS-boot state (f000:fff0), running\n");

	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	for (;;) {
		reason = run_vcpu(fd, id, ve);
		runs++;
		if (is_io_exit(reason)) {
			io++;
			if (ve->vei.vei_port == 0x3f8 &&
			    ve->vei.vei_dir == VEI_DIR_OUT) {
				char c = ve->vei.vei_data & 0xff;
				if (c == '\n' || n == sizeof(line) - 1) {
					line[n] = '\0';
					printf("guest serial: %s\n", line);
					n = 0;
				} else
					line[n++] = c;
			}
			ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
		} else if (is_hlt_exit(reason)) {
			hlt++;
			break;
		} else if (reason != VM_EXIT_NONE) {
			other++;
			errx(1, "unexpected exit 0x%x", reason);
		}
	}
	printf("vmd: guest halted; %u VMM_IOC_RUN calls: %u port I/O exits, "
	    "%u HLT, %u other\n", runs, io, hlt, other);
	terminate_vm(fd, id);
	printf("vmd: VM %u terminated\n", id);
	free(ve);
	close(fd);
	return (0);
}
