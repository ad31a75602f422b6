/*
 * Hostile guests: each case runs in a fresh VM and must end with the
 * documented outcome, the host unharmed and nothing leaked (the testbed
 * checks the last part after the program).
 *
 *  - an access to guest-physical memory nothing backs fails the vcpu
 *    (EINVAL, VM_EXIT_TERMINATED), as upstream;
 *  - VMMCALL with RAX = HVCALL_FORCED_ABORT at CPL 0 ends the VM (EINVAL);
 *  - any other VMMCALL, and the virtualisation instructions (VMRUN,
 *    VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA, VMXON...), get #UD;
 *  - RDMSR of host-sensitive MSRs (VM_HSAVE_PA, VM_CR, FEATURE_CONTROL
 *    on AMD is passed through: skipped) gets #GP; WRMSR of them is
 *    dropped; clearing EFER.SVME from the guest does not stick;
 *  - HLT with interrupts off ends the VM (EIO);
 *  - XSETBV with CR4.OSXSAVE clear is #UD (the CPU checks it first);
 *  - CR4.VMXE on AMD: #GP, or (QEMU) the VM fails at the next entry;
 *  - APIC base and MTRR reads: #GP; microcode, SPEC_CTRL,
 *    TSC and HWCR writes are dropped; SYSENTER/STAR/KERNELGSBASE writes
 *    reach the guest's own copies (VMLOAD/VMSAVE), not the host's;
 *  - INVLPG storms run; REP OUTS is reported to vmd as string I/O;
 *  - an interrupt vmd keeps injecting while IF=0 is never delivered;
 *  - INVD is a no-op (upstream let it run natively on SVM, dropping host
 *    cache lines, and failed the vcpu on VMX); WBINVD runs; RDTSCP,
 *    #UD; RDPMC: #UD, #GP or the guest goes on;
 *  - bad CR0 (PG without PE, NW without CD; VMX) and XCR0 values (no x87,
 *    AVX without SSE): #GP; self-modifying code; a 4-byte OUT at 0xfffd;
 *  - a triple fault (empty IVT, then INT3), and long mode entered with a
 *    page-table root of zeroes, are reported to vmd as
 *    VMX_EXIT_TRIPLE_FAULT / SVM_VMEXIT_SHUTDOWN, as upstream.
 */
#include "vmmtest.h"

/* Each case: code at f000:0100 entered from the reset vector; a #UD
 * handler does OUT 0x6 and a #GP handler OUT 0xd, then halt with IF=1. */
#define CASE(name, body)						\
	extern const unsigned char name[], name##_end[];		\
	__asm__(".pushsection .rodata\n.code16\n"			\
	    #name ":\n"							\
	    "xor %ax, %ax\nmov %ax, %ds\nmov $0x7000, %sp\n"		\
	    "movw $(0x100 + 1f - " #name "), (6 * 4)\n"			\
	    "movw $0xf000, (6 * 4 + 2)\n"				\
	    "movw $(0x100 + 2f - " #name "), (13 * 4)\n"		\
	    "movw $0xf000, (13 * 4 + 2)\n"				\
	    body "\n"							\
	    "mov $0x99, %dx\nout %al, %dx\nsti\nhlt\n"			\
	    "1: mov $0x6, %dx\nout %al, %dx\nsti\nhlt\n"		\
	    "2: mov $0xd, %dx\nout %al, %dx\nsti\nhlt\n"		\
	    #name "_end:\n.code64\n.popsection\n")

CASE(c_unbacked, "mov $0x9000, %ax\nmov %ax, %es\nmov %es:(0), %eax");
CASE(c_abort, "mov $0x1234, %eax\nvmmcall");	/* AMD's hypercall */
CASE(c_abort_intel, "mov $0x1234, %eax\nvmcall");	/* Intel's */
CASE(c_vmmcall, "mov $0x1, %eax\nvmmcall");
CASE(c_vmrun, "vmrun");
CASE(c_vmload, "vmload");
CASE(c_stgi, "stgi");
CASE(c_clgi, "clgi");
CASE(c_skinit, "skinit");
CASE(c_invlpga, "invlpga");
CASE(c_vmxon, "vmxon (0x8000)");
CASE(c_rd_hsave, "mov $0xc0010117, %ecx\nrdmsr");
CASE(c_rd_vmcr, "mov $0xc0010114, %ecx\nrdmsr");
CASE(c_wr_hsave, "mov $0xc0010117, %ecx\nxor %eax, %eax\nxor %edx, %edx\nwrmsr");
CASE(c_efer, "mov $0xc0000080, %ecx\nrdmsr\nand $0xffffefff, %eax\nwrmsr\n"
    "rdmsr\nmov %eax, %ebx\nmov $0x98, %dx\nmov %ebx, %eax\nout %eax, %dx");
CASE(c_cli_hlt, "cli\nhlt");
CASE(c_cr4_vmxe, "mov %cr4, %eax\nor $0x2000, %eax\nmov %eax, %cr4");
CASE(c_apicbase, "mov $0x1b, %ecx\nrdmsr");
CASE(c_mtrrcap, "mov $0xfe, %ecx\nrdmsr");
CASE(c_ucode, "mov $0x79, %ecx\nxor %eax, %eax\nxor %edx, %edx\nwrmsr");
CASE(c_spec_ctrl, "mov $0x48, %ecx\nmov $0x1, %eax\nxor %edx, %edx\nwrmsr");
CASE(c_wr_tsc, "mov $0x10, %ecx\nxor %eax, %eax\nxor %edx, %edx\nwrmsr");
CASE(c_wr_hwcr, "mov $0xc0010015, %ecx\nxor %eax, %eax\nxor %edx, %edx\nwrmsr");
CASE(c_sysenter, "mov $0x174, %ecx\nmov $0x8, %eax\nxor %edx, %edx\nwrmsr");
CASE(c_star, "mov $0xc0000081, %ecx\nmov $0x1, %eax\nmov $0x00230010, %edx\nwrmsr");
CASE(c_kgsbase, "mov $0xc0000102, %ecx\nmov $0x1000, %eax\nxor %edx, %edx\nwrmsr");
CASE(c_invlpg_storm, "mov $1000, %cx\n3: invlpg (0)\nloop 3b");
CASE(c_rep_outs, "mov $0x70, %dx\nxor %si, %si\nmov $0x100, %cx\nrep outsb");
CASE(c_invd, "invd");
CASE(c_wbinvd, "wbinvd");
CASE(c_rdtscp, "rdtscp");
CASE(c_rdpmc, "xor %ecx, %ecx\nrdpmc");
CASE(c_cr0_pg_no_pe, "mov %cr0, %eax\nor $0x80000000, %eax\nmov %eax, %cr0");
CASE(c_cr0_nw_no_cd, "mov %cr0, %eax\nand $0x9fffffff, %eax\nor $0x20000000, %eax\nmov %eax, %cr0");
CASE(c_xcr0_no_x87, "mov %cr4, %eax\nor $0x40000, %eax\nmov %eax, %cr4\n"
    "xor %ecx, %ecx\nmov $0x2, %eax\nxor %edx, %edx\nxsetbv");
CASE(c_xcr0_avx_no_sse, "mov %cr4, %eax\nor $0x40000, %eax\nmov %eax, %cr4\n"
    "xor %ecx, %ecx\nmov $0x5, %eax\nxor %edx, %edx\nxsetbv");
CASE(c_selfmod, "movw $0x9090, %cs:(0x100 + 4f - c_selfmod)\n4: ud2");
CASE(c_port_wrap, "mov $0xfffd, %dx\nout %eax, %dx\nmov $0x99, %dx");
CASE(c_intr_storm, "cli\nmov $0x71, %dx\nout %al, %dx\nout %al, %dx\nout %al, %dx");
CASE(c_triple, "lidt %cs:(0x100 + 5f - c_triple)\nint3\n"
    "5: .word 0, 0, 0");
/* Long mode with a page-table root of zeroes: the first fetch after
 * CR0.PG faults, and with no usable IDT that ends in a triple fault. */
CASE(c_bogus_lm, "mov %cr4, %eax\nor $0x20, %eax\nmov %eax, %cr4\n"
    "mov $0x7000, %eax\nmov %eax, %cr3\n"
    "mov $0xc0000080, %ecx\nrdmsr\nor $0x100, %eax\nwrmsr\n"
    "mov %cr0, %eax\nor $0x80000001, %eax\nmov %eax, %cr0\nnop");
CASE(c_bad_xcr0, "mov $0, %ecx\nmov $0x2, %eax\nxor %edx, %edx\nxsetbv");

static const unsigned char reset[] = { 0xea, 0x00, 0x01, 0x00, 0xf0 };

enum outcome { O_EINVAL, O_EIO, O_UD, O_GP, O_CONTINUE, O_REP_IO, O_NO_INTR,
    O_GP_OR_FAIL, O_GP_OR_CONT, O_UD_GP_OR_CONT, O_GP_INTEL, O_SHUTDOWN, O_SHUTDOWN_OR_FAIL, O_IO_PORT };

struct hcase {
	const char		*name;
	const unsigned char	*code, *end;
	enum outcome		 want;
};

#define C(n, w)	{ #n, n, n##_end, w }
static const struct hcase cases[] = {
	C(c_unbacked, O_EINVAL),
	C(c_abort, O_EINVAL),		/* AMD only, see main() */
	C(c_abort_intel, O_EINVAL),	/* Intel only */
	C(c_vmmcall, O_UD),
	C(c_vmrun, O_UD),
	C(c_vmload, O_UD),
	C(c_stgi, O_UD),
	C(c_clgi, O_UD),
	C(c_skinit, O_UD),
	C(c_invlpga, O_UD),
	C(c_vmxon, O_UD),
	C(c_rd_hsave, O_GP),
	C(c_rd_vmcr, O_GP),
	C(c_wr_hsave, O_CONTINUE),
	C(c_efer, O_CONTINUE),
	C(c_cli_hlt, O_EIO),
	/* Bochs: #GP; QEMU lets the write through and the next VMRUN fails
	 * its consistency check: the VM fails (EINVAL), the host goes on. */
	C(c_cr4_vmxe, O_GP_OR_FAIL),
	C(c_apicbase, O_GP),
	C(c_mtrrcap, O_GP),
	C(c_ucode, O_CONTINUE),
	C(c_spec_ctrl, O_CONTINUE),
	C(c_wr_tsc, O_CONTINUE),
	C(c_wr_hwcr, O_CONTINUE),
	C(c_sysenter, O_CONTINUE),
	C(c_star, O_CONTINUE),
	C(c_kgsbase, O_CONTINUE),
	C(c_invlpg_storm, O_CONTINUE),
	C(c_rep_outs, O_REP_IO),
	C(c_invd, O_CONTINUE),		/* a no-op: would drop host caches */
	C(c_wbinvd, O_CONTINUE),
	C(c_rdtscp, O_UD),
	/* Counter 0 at CPL 0 is a legal read on hardware; QEMU gives #UD.
	 * Not intercepted: the point is that the host survives it. */
	C(c_rdpmc, O_UD_GP_OR_CONT),
	/* VMX owns PE/PG/NW/CD and refuses these with #GP.  SVM lets the
	 * CPU check them (no intercept), so they test the emulator there,
	 * and Bochs 2.7 panics on the resulting triple fault: Intel only. */
	C(c_cr0_pg_no_pe, O_GP_INTEL),
	C(c_cr0_nw_no_cd, O_GP_INTEL),
	/* #GP from our XSETBV check; QEMU lets CR4.OSXSAVE through where
	 * the host lacks XSAVE and the next VMRUN fails (VM fails). */
	C(c_xcr0_no_x87, O_GP_OR_FAIL),
	C(c_xcr0_avx_no_sse, O_GP_OR_FAIL),
	C(c_selfmod, O_CONTINUE),	/* ud2 overwritten by a nop first */
	C(c_port_wrap, O_IO_PORT),
	C(c_intr_storm, O_NO_INTR),
	C(c_bad_xcr0, O_UD),	/* CR4.OSXSAVE is 0: #UD before any intercept */
	C(c_triple, O_SHUTDOWN),
	/* VMX may instead refuse the entry: a real-mode TR is not a 64-bit
	 * TSS, which IA-32e mode requires (the VM fails, EINVAL). */
	C(c_bogus_lm, O_SHUTDOWN_OR_FAIL),
};

/*
 * Each case is a VM of its own in a process of its own, as vmd does it: a
 * small memory map (512 KiB of RAM, the BIOS area; 0x80000-0xf0000 is not
 * backed), and the process exits afterwards, which is what releases the
 * guest memory mapped (immutably) into it.
 */
static int
run_case_child(void *arg)
{
	const struct hcase *c = arg;
	struct vm_create_params vcp;
	struct vcpu_reg_state vrs;
	struct vm_run_params vrp;
	struct vm_exit ve;
	uint32_t id;
	int fd, r, n = 0, ok = 0;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open");
	memset(&vcp, 0, sizeof(vcp));
	vcp.vcp_ncpus = 1;
	vcp.vcp_nmemranges = 2;
	vcp.vcp_memranges[0].vmr_size = 0x80000;
	vcp.vcp_memranges[0].vmr_type = VM_MEM_RAM;
	vcp.vcp_memranges[1].vmr_gpa = 0xf0000;
	vcp.vcp_memranges[1].vmr_size = 0x10000;
	vcp.vcp_memranges[1].vmr_type = VM_MEM_RESERVED;
	strlcpy(vcp.vcp_name, c->name, sizeof(vcp.vcp_name));
	if (ioctl(fd, VMM_IOC_CREATE, &vcp) == -1)
		err(1, "VMM_IOC_CREATE");
	id = vcp.vcp_id;
	guest_write(&vcp, 0xffff0, reset, sizeof(reset));
	guest_write(&vcp, 0xf0100, c->code, c->end - c->code);
	flat16(&vrs);
	reset_vcpu(fd, id, &vrs);
	memset(&ve, 0, sizeof(ve));
	for (;;) {
		memset(&vrp, 0, sizeof(vrp));
		vrp.vrp_vm_id = id;
		vrp.vrp_exit = &ve;
		if (c->want == O_NO_INTR) {
			vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
			vrp.vrp_inject.vie_vector = 13;	/* would hit #GP's */
			vrp.vrp_intr_pending = 1;
		}
		r = ioctl(fd, VMM_IOC_RUN, &vrp);
		if (r == -1) {
			ok = ((c->want == O_EINVAL || c->want == O_GP_OR_FAIL ||
			    c->want == O_SHUTDOWN_OR_FAIL) && errno == EINVAL) ||
			    (c->want == O_EIO && errno == EIO);
			printf("hostile: %s: RUN failed, errno %d: %s\n", c->name,
			    errno, ok ? "ok" : "WRONG");
			break;
		}
		if (vrp.vrp_exit_reason == VM_EXIT_NONE)
			continue;
		if (is_io_exit(vrp.vrp_exit_reason) && c->want == O_REP_IO) {
			/* Reported faithfully to vmd, which refuses it. */
			ok = ve.vei.vei_port == 0x70 && ve.vei.vei_rep == 1 &&
			    ve.vei.vei_string == 1 && ve.vei.vei_dir == VEI_DIR_OUT;
			printf("hostile: %s: rep outsb reported: %s\n", c->name,
			    ok ? "ok" : "WRONG");
			break;
		}
		if (is_io_exit(vrp.vrp_exit_reason) && ve.vei.vei_port == 0x71) {
			/* vmd keeps injecting an interrupt while IF=0: it must
			 * never be delivered (the handler would OUT 0x6/0xd). */
			ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
			if (++n == 3) {
				ok = 1;
				printf("hostile: %s: 3 runs with IF=0, no "
				    "delivery: ok\n", c->name);
				break;
			}
			memset(&vrp, 0, sizeof(vrp));
			continue;
		}
		if (is_io_exit(vrp.vrp_exit_reason)) {
			ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
			if (ve.vei.vei_port == 0x98) {
				/* EFER as the guest read it back: SVME (bit 12)
				 * is forced on (SVM) or never visible (VMX). */
				printf("hostile: %s: EFER 0x%x\n", c->name,
				    ve.vei.vei_data);
				continue;
			}
			ok = (ve.vei.vei_port == 0x6 && (c->want == O_UD ||
			    c->want == O_UD_GP_OR_CONT)) ||
			    (ve.vei.vei_port == 0xd && (c->want == O_GP ||
			    c->want == O_GP_OR_FAIL || c->want == O_GP_INTEL ||
			    c->want == O_UD_GP_OR_CONT)) ||
			    (ve.vei.vei_port == 0x99 &&
			    c->want == O_UD_GP_OR_CONT) ||
			    (ve.vei.vei_port == 0x99 && (c->want == O_CONTINUE ||
			    c->want == O_GP_OR_CONT)) ||
			    (ve.vei.vei_port == 0xd && c->want == O_GP_OR_CONT) ||
			    (ve.vei.vei_port == 0xfffd && c->want == O_IO_PORT &&
			    ve.vei.vei_size == 4);
			printf("hostile: %s: port 0x%x: %s\n", c->name,
			    ve.vei.vei_port, ok ? "ok" : "WRONG");
			break;
		}
		if ((vrp.vrp_exit_reason == VMX_EXIT_TRIPLE_FAULT ||
		    vrp.vrp_exit_reason == SVM_VMEXIT_SHUTDOWN) &&
		    (c->want == O_SHUTDOWN || c->want == O_SHUTDOWN_OR_FAIL)) {
			ok = 1;
			printf("hostile: %s: triple fault reported: ok\n",
			    c->name);
			break;
		}
		if ((vrp.vrp_exit_reason == VMX_EXIT_TRIPLE_FAULT ||
		    vrp.vrp_exit_reason == SVM_VMEXIT_SHUTDOWN) &&
		    c->want == O_GP_OR_FAIL) {
			/* QEMU shuts the guest down where hardware raises
			 * #GP; vmd resets such a VM.  The host goes on. */
			ok = 1;
			printf("hostile: %s: guest shutdown reported: ok\n",
			    c->name);
			break;
		}
		if (is_hlt_exit(vrp.vrp_exit_reason) || ++n > 100) {
			printf("hostile: %s: unexpected exit 0x%x\n", c->name,
			    vrp.vrp_exit_reason);
			break;
		}
	}
	terminate_vm(fd, id);
	close(fd);
	return (ok ? 0 : 1);
}

/* The CPU's brand string (CPUID 0x80000002-4), NUL-terminated. */
static void
cpu_brand(char brand[49])
{
	uint32_t r[12];
	uint32_t leaf;

	for (leaf = 0; leaf < 3; leaf++) {
		uint32_t a = 0x80000002 + leaf;

		__asm__ volatile("cpuid" : "+a"(a), "=b"(r[leaf * 4 + 1]),
		    "=c"(r[leaf * 4 + 2]), "=d"(r[leaf * 4 + 3]));
		r[leaf * 4] = a;
	}
	memcpy(brand, r, 48);
	brand[48] = '\0';
}

static int
intel_cpu(void)
{
	uint32_t a = 0, b, c, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	return (b == 0x756e6547);	/* "Genu" */
}

int
main(void)
{
	size_t i, ran = 0;
	int bad = 0;
	char brand[49];

	cpu_brand(brand);
	printf("hostile: host CPU: %s\n", brand);

	close(vmm_open_or_skip());
	/* One TAP line per case (the testbed shows program output as
	 * comments, so these do not disturb its own plan). */
	printf("1..%zu\n", sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *skip = NULL;

		/* The hypercall instruction is the vendor's own: the other
		 * one is #UD in the guest without an exit. */
		if (strcmp(cases[i].name, intel_cpu() ? "c_abort" :
		    "c_abort_intel") == 0)
			skip = "the other vendor's hypercall";
		else if (cases[i].want == O_GP_INTEL && !intel_cpu())
			skip = "SVM: the CPU checks it";
		if (skip != NULL) {
			printf("ok %zu - hostile: %s # SKIP %s\n", i + 1,
			    cases[i].name, skip);
			continue;
		}
		ran++;
		if (run_in_child(run_case_child, (void *)&cases[i]) != 0) {
			bad++;
			printf("not ok %zu - hostile: %s\n", i + 1,
			    cases[i].name);
		} else
			printf("ok %zu - hostile: %s\n", i + 1, cases[i].name);
	}
	printf("hostile: %zu cases, %d wrong\n", ran, bad);
	return (bad != 0);
}
