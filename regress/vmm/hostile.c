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
 *  - HLT with interrupts off ends the VM (EIO), RIP on the HLT (VMX) or
 *    after it (SVM), as upstream;
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
 *  - RDMSR/WRMSR with a CS override prefix run (VMX: the length the CPU
 *    reports; upstream failed the vcpu for any length but 2);
 *  - bad CR0 (PG without PE, NW without CD; VMX) and XCR0 values (no x87,
 *    AVX without SSE): #GP; self-modifying code; a 4-byte OUT at 0xfffd;
 *  - a triple fault (empty IVT, then INT3), and long mode entered with a
 *    page-table root of zeroes, are reported to vmd as
 *    VMX_EXIT_TRIPLE_FAULT / SVM_VMEXIT_SHUTDOWN, as upstream.
 *
 * In protected and long mode (the second table, below):
 *
 *  - far JMP/CALL and IRET to a null selector, one beyond the GDT limit,
 *    a non-present code segment, a data segment, the wrong DPL or RPL:
 *    #GP or #NP in the guest with the selector as the error code;
 *  - task switches (JMP to a TSS, CALL through a task gate and IRET back,
 *    #GP through an IDT task gate): VMX exits on every task switch and
 *    the driver does not emulate it, so the vcpu fails (EINVAL), as
 *    upstream; SVM does not intercept them and the guest switches tasks;
 *  - double-fault loops (#GP with its gate not present, 100 times; a #PF
 *    with an unmapped stack, #DF on an IST stack, 100 times) stay in the
 *    guest; a #DF handler that faults itself ends in a triple fault,
 *    reported to vmd;
 *  - an NMI from vmd reaches the guest with IF=0; a second one while the
 *    guest is in its NMI handler is held back until its IRET, on both
 *    backends (SVM tracks the blocking EVENTINJ ignores by intercepting
 *    that IRET); if the run ends first the request ends with it (vmd must
 *    ask again); upstream injected no NMI at all;
 *  - RDMSR/WRMSR use ECX and EDX:EAX whatever the upper halves hold, and
 *    EFER writes the CPU refuses (reserved bit, LME with paging on) get
 *    #GP (upstream: the vcpu failed at the next VMRUN on SVM).
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
CASE(c_cli_hlt, "cli\nc_cli_hlt_at: hlt");
extern const unsigned char c_cli_hlt_at[];
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
/* RDMSR and WRMSR of PAT with a CS override: 3 bytes each. */
CASE(c_msr_prefix, "mov $0x277, %ecx\n.byte 0x2e\nrdmsr\n.byte 0x2e\nwrmsr");

static const unsigned char reset[] = { 0xea, 0x00, 0x01, 0x00, 0xf0 };

enum outcome { O_EINVAL, O_EIO, O_UD, O_GP, O_GP_XSAVE, O_CONTINUE, O_REP_IO,
    O_NO_INTR, O_GP_OR_FAIL, O_GP_OR_CONT, O_UD_GP_OR_CONT, O_GP_INTEL, O_CONT_INTEL, O_SHUTDOWN, O_SHUTDOWN_OR_FAIL, O_IO_PORT };

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
	/* A prefixed RDMSR/WRMSR runs with the length VMX reports (upstream
	 * failed the vcpu for a length other than 2).  Intel only: SVM
	 * without NRIPS (QEMU) assumes 2 bytes, as upstream (README 9). */
	C(c_msr_prefix, O_CONT_INTEL),
	C(c_cr0_pg_no_pe, O_GP_INTEL),
	C(c_cr0_nw_no_cd, O_GP_INTEL),
	/* #GP from the driver's XSETBV check, and nothing else: upstream
	 * took the value and the vcpu failed (EINVAL) at the next entry.
	 * Only where the CPU has XSAVE (see main()): without it the guest
	 * cannot set CR4.OSXSAVE (QEMU lets it through under SVM, and the
	 * next VMRUN fails its consistency check). */
	C(c_xcr0_no_x87, O_GP_XSAVE),
	C(c_xcr0_avx_no_sse, O_GP_XSAVE),
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

/* A guest of 512 KiB of RAM plus the BIOS page range, named `name`. */
static uint32_t
create_small_vm(int fd, const char *name, struct vm_create_params *vcp)
{
	memset(vcp, 0, sizeof(*vcp));
	vcp->vcp_ncpus = 1;
	vcp->vcp_nmemranges = 2;
	vcp->vcp_memranges[0].vmr_size = 0x80000;
	vcp->vcp_memranges[0].vmr_type = VM_MEM_RAM;
	vcp->vcp_memranges[1].vmr_gpa = 0xf0000;
	vcp->vcp_memranges[1].vmr_size = 0x10000;
	vcp->vcp_memranges[1].vmr_type = VM_MEM_RESERVED;
	strlcpy(vcp->vcp_name, name, sizeof(vcp->vcp_name));
	if (vmm_create(fd, vcp) == -1)
		err(1, "VMM_IOC_CREATE");
	return (vcp->vcp_id);
}

static int intel_cpu(void);

/*
 * After "cli; hlt" failed the RUN with EIO: RIP is on the HLT on VMX and
 * past it on SVM, as upstream (vmx_handle_hlt returns before advancing
 * RIP, svm_handle_hlt after).
 */
static int
hlt_rip_ok(int fd, uint32_t id, const struct hcase *c)
{
	struct vm_rwregs_params vrw;
	uint64_t rip, want;

	CHECK(c->code == c_cli_hlt);
	want = 0x100 + (c_cli_hlt_at - c_cli_hlt) + (intel_cpu() ? 0 : 1);
	memset(&vrw, 0, sizeof(vrw));
	vrw.vrwp_vm_id = id;
	vrw.vrwp_mask = VM_RWREGS_GPRS;
	if (ioctl(fd, VMM_IOC_READREGS, &vrw) == -1) {
		warn("VMM_IOC_READREGS");
		return (0);
	}
	rip = vrw.vrwp_regs.vrs_gprs[VCPU_REGS_RIP];
	printf("hostile: %s: RIP 0x%llx, want 0x%llx\n", c->name,
	    (unsigned long long)rip, (unsigned long long)want);
	return (rip == want);
}

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
	id = create_small_vm(fd, c->name, &vcp);
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
			int e = errno;

			ok = ((c->want == O_EINVAL || c->want == O_GP_OR_FAIL ||
			    c->want == O_SHUTDOWN_OR_FAIL) && e == EINVAL) ||
			    (c->want == O_EIO && e == EIO &&
			    hlt_rip_ok(fd, id, c));
			printf("hostile: %s: RUN failed, errno %d: %s\n", c->name,
			    e, ok ? "ok" : "WRONG");
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
			    c->want == O_GP_XSAVE || c->want == O_GP_OR_FAIL ||
			    c->want == O_GP_INTEL ||
			    c->want == O_UD_GP_OR_CONT)) ||
			    (ve.vei.vei_port == 0x99 &&
			    c->want == O_UD_GP_OR_CONT) ||
			    (ve.vei.vei_port == 0x99 && (c->want == O_CONTINUE ||
			    c->want == O_GP_OR_CONT || c->want == O_CONT_INTEL)) ||
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

/*
 * Protected-mode and long-mode guests.  The VM starts in the mode (RESETCPU
 * with a vmd-like flat state) with tables the host wrote:
 *
 *   0x1000 GDT: 0x08 code (32-bit; 64-bit in long mode), 0x10 data,
 *          0x18 the current TSS (busy), 0x20 a second 32-bit TSS
 *          (available; in long mode the upper half of the 64-bit TSS
 *          descriptor), 0x28 code not present, 0x30 code with DPL 3,
 *          0x40 a task gate to 0x20; limit 0x57, so 0x58 and up are
 *          beyond it
 *   0x2000 IDT: vectors 0-31 go to stubs at 0x20000 + 16 * vector that
 *          OUT the error code (or 0) to port 0x100 + vector and halt
 *   0x3000 TSS of the current task (32-bit), 0x3100 the second task's,
 *          0x3200 the 64-bit TSS (IST1 = 0x8000)
 *   0x4000 long mode page tables: the first 2 MiB, identity mapped
 *   0x7000 stack top, 0x9000 the guests' variables, 0x10000 the code
 *
 * Each case is a script of the exits vmd must see, per vendor where they
 * differ; an NMI is injected on the run after a step marked so.
 */
#define PM_CODE		0x10000
#define PM_RT		0x20000
#define PM_GDT		0x1000
#define PM_IDT		0x2000
#define PM_TSS0		0x3000
#define PM_TSS1		0x3100
#define PM_TSS64	0x3200
#define PM_PML4		0x4000
#define PM_VARS		0x9000

/* An absolute address of label l of case n. */
#define AT(n, l)	"(0x10000 + " #l " - " #n ")"

#define PCASE(name, bits, body)						\
	extern const unsigned char name[], name##_end[];		\
	__asm__(".pushsection .rodata\n.code" #bits "\n"		\
	    #name ":\n" body "\n" #name "_end:\n.code64\n.popsection\n")

/* The default exception stubs (vectors 0-31, 16 bytes each). */
#define RT_STUBS(pfx, pop1, pop2)					\
	".balign 16\n" #pfx ":\n"					\
	".set rtv, 0\n"							\
	".rept 32\n"							\
	".balign 16\n"							\
	".if (rtv == 8) || (rtv == 10) || (rtv == 11) || (rtv == 12) || "	\
	"(rtv == 13) || (rtv == 14) || (rtv == 17) || (rtv == 21)\n"	\
	"push $rtv\n"							\
	".else\n"							\
	"push $0\npush $rtv\n"						\
	".endif\n"							\
	"jmp " #pfx "_common\n"						\
	".set rtv, rtv + 1\n"						\
	".endr\n"							\
	#pfx "_common:\n"						\
	pop1 "\n" pop2 "\n"						\
	"add $0x100, %dx\nout %eax, %dx\nsti\nhlt\njmp .\n"		\
	#pfx "_end:\n"

extern const unsigned char rt32[], rt32_end[], rt64[], rt64_end[];
__asm__(".pushsection .rodata\n.code32\n"
    RT_STUBS(rt32, "pop %edx", "pop %eax")
    ".code64\n"
    RT_STUBS(rt64, "pop %rdx", "pop %rax")
    ".popsection\n");

/* Far jumps and calls to bad segments: #GP or #NP with the selector as
 * the error code (RPL bits not included). */
PCASE(c_pm_ljmp_null, 32, "ljmp $0, $0");
PCASE(c_pm_ljmp_limit, 32, "ljmp $0x80, $0");
PCASE(c_pm_ljmp_np, 32, "ljmp $0x28, $0");
PCASE(c_pm_ljmp_data, 32, "ljmp $0x10, $0");
PCASE(c_pm_ljmp_dpl, 32, "ljmp $0x30, $0");
PCASE(c_pm_ljmp_rpl, 32, "ljmp $0x0b, $0");
PCASE(c_pm_lcall_null, 32, "lcall $0, $0");
PCASE(c_pm_lcall_np, 32, "lcall $0x28, $0");
PCASE(c_pm_lcall_dpl, 32, "lcall $0x30, $0");
PCASE(c_lm_ljmp_np, 64, "ljmpl *1f(%rip)\n1: .long 0\n.word 0x28");
PCASE(c_lm_ljmp_data, 64, "ljmpl *1f(%rip)\n1: .long 0\n.word 0x10");
PCASE(c_lm_lcall_null, 64, "lcalll *1f(%rip)\n1: .long 0\n.word 0");

/* IRET to a null or not-present code segment. */
PCASE(c_pm_iret_null, 32, "push $2\npush $0\npush $0\niret");
PCASE(c_lm_iretq_np, 64,
    "push $0x10\npush %rsp\npush $2\npush $0x28\npush $0\niretq");

/* Task switches: JMP to a TSS, CALL through a task gate (and IRET back).
 * VMX exits on every task switch (reason 9), which the driver does not
 * emulate: the vcpu fails (EINVAL), as upstream.  SVM does not intercept
 * them: the guest switches tasks itself. */
PCASE(c_pm_task_jmp, 32,
    "ljmp $0x20, $0\n"
    "c_pm_task_jmp_task:\n"
    "str %ax\nmovzwl %ax, %eax\nmov $0x99, %dx\nout %eax, %dx\nsti\nhlt");
PCASE(c_pm_task_gate, 32,
    "lcall $0x40, $0\n"
    "str %ax\nmovzwl %ax, %eax\nmov $0x9a, %dx\nout %eax, %dx\nsti\nhlt\n"
    "c_pm_task_gate_task:\n"
    "str %ax\nshl $16, %eax\nmovw (0x3100), %ax\n"	/* TR : back link */
    "mov $0x99, %dx\nout %eax, %dx\niret");

/* A #GP through a task gate in the IDT (how 32-bit kernels take #DF):
 * the new task finds the error code on its stack.  The guest touches
 * that stack first: under QEMU and Bochs a nested page fault while the
 * error code is pushed, after the switch, loses the error code (the
 * guest raised the #GP itself, so it is not injected again, and running
 * the new task cannot raise it again). */
PCASE(c_pm_task_idt, 32,
    "movl $0, (0x5ffc)\n"
    "mov $0x58, %ax\nmov %ax, %ds\n"
    "ud2\n"
    "c_pm_task_idt_task:\n"
    "pop %eax\nmov $0x99, %dx\nout %eax, %dx\nsti\nhlt");

/* Double faults.  The #GP gate is not present, so a #GP becomes #NP
 * during delivery and then #DF; the #DF handler returns into the
 * faulting instruction 100 times, then reports the count and the OR of
 * the #DF error codes (0). */
PCASE(c_pm_df_loop, 32,
    "c_pm_df_loop_f:\n"
    "mov $0x58, %ax\nmov %ax, %ds\n"		/* beyond the GDT: #GP */
    "ud2\n"
    "c_pm_df_loop_df:\n"
    "pop %eax\nor %eax, (0x9004)\nincl (0x9000)\n"
    "cmpl $100, (0x9000)\njae 1f\n"
    "movl $" AT(c_pm_df_loop, c_pm_df_loop_f) ", (%esp)\niret\n"
    "1: mov (0x9000), %eax\nmov $0x98, %dx\nout %eax, %dx\n"
    "mov (0x9004), %eax\nmov $0x99, %dx\nout %eax, %dx\nsti\nhlt");
/* The #DF handler itself faults (the same #GP, which again becomes #DF,
 * nested on its stack) 50 times; then it marks its own gate not present
 * and faults once more: the #DF cannot be delivered, a triple fault
 * (shutdown, reported to vmd). */
PCASE(c_pm_df_triple, 32,
    "mov $0x58, %ax\nmov %ax, %ds\n"
    "ud2\n"
    "c_pm_df_triple_df:\n"
    "pop %eax\nincl (0x9000)\n"
    "cmpl $50, (0x9000)\njb 1f\n"
    "mov (0x9000), %eax\nmov $0x98, %dx\nout %eax, %dx\n"
    "andb $0x7f, (0x2000 + 8 * 8 + 5)\n"
    "1: mov $0x58, %ax\nmov %ax, %ds\n"
    "ud2");
/* Long mode: a #PF whose frame cannot be pushed (RSP unmapped) is a #DF,
 * delivered on a good IST stack; the handler returns into the fault 100
 * times. */
PCASE(c_lm_df_ist, 64,
    "c_lm_df_ist_f:\n"
    "mov $0x40000000, %rsp\nmov (%rsp), %rax\n"
    "ud2\n"
    "c_lm_df_ist_df:\n"
    "pop %rax\nor %eax, (0x9004)\nincl (0x9000)\n"
    "cmpl $100, (0x9000)\njae 1f\n"
    "lea c_lm_df_ist_f(%rip), %rax\nmov %rax, (%rsp)\niretq\n"
    "1: mov (0x9000), %eax\nmov $0x98, %dx\nout %eax, %dx\n"
    "mov (0x9004), %eax\nmov $0x99, %dx\nout %eax, %dx\nsti\nhlt");

/* NMIs.  The handler counts (0x9000), tracks its nesting depth (0x9004)
 * and the deepest nesting (0x9008). */
#define NMI_HANDLER(n)							\
    #n "_nmi:\n"							\
    "incl (0x9004)\nincl (0x9000)\n"					\
    "mov (0x9004), %eax\ncmp (0x9008), %eax\njbe 1f\n"			\
    "mov %eax, (0x9008)\n"						\
    "1: mov (0x9000), %eax\nmov $0x72, %dx\nout %eax, %dx\n"		\
    "pushf\npop %eax\nmov $0x73, %dx\nout %eax, %dx\n"			\
    "decl (0x9004)\niret\n"
#define NMI_REPORT							\
    "mov (0x9008), %eax\nshl $8, %eax\nor (0x9000), %eax\n"		\
    "mov $0x99, %dx\nout %eax, %dx\nsti\nhlt\n"
/* With IF=0: NMIs are not masked by IF. */
PCASE(c_pm_nmi_if0, 32,
    "cli\nmov $0x70, %dx\nout %al, %dx\n" NMI_REPORT
    NMI_HANDLER(c_pm_nmi_if0));
/* A second NMI requested while the guest is in its NMI handler. */
PCASE(c_pm_nmi_nested, 32,
    "mov $0x70, %dx\nout %al, %dx\n" NMI_REPORT
    NMI_HANDLER(c_pm_nmi_nested));
/* A second NMI requested after the handler's IRET: delivered again. */
PCASE(c_pm_nmi_again, 32,
    "mov $0x70, %dx\nout %al, %dx\nxor %eax, %eax\n"
    "mov $0x71, %dx\nout %al, %dx\n" NMI_REPORT
    NMI_HANDLER(c_pm_nmi_again));

/* RDMSR/WRMSR take ECX and EDX:EAX; junk in the upper halves of RCX, RAX
 * and RDX must not matter (an SVM slip, also upstream's: it switched on
 * RCX and wrote EFER from RAX), and RDMSR clears them. */
PCASE(c_lm_msr_junk, 64,
    "movabs $0xdeadbeef00000277, %rcx\n"
    "movabs $0xfeedface00050406, %rax\n"
    "movabs $0xcafef00d00050406, %rdx\n"
    "wrmsr\n"
    "movabs $0x1234567800000277, %rcx\n"
    "mov $-1, %rax\nmov $-1, %rdx\n"
    "rdmsr\n"
    "out %al, $0x60\n"				/* PAT: 0x00070406 twice */
    "mov $0xc0000080, %ecx\nrdmsr\nmov %rax, %rbx\n"
    "mov $0xffffffff00000000, %rsi\nor %rsi, %rax\nor %rsi, %rdx\n"
    "movabs $0xdead0000c0000080, %rcx\n"
    "wrmsr\n"					/* EFER unchanged */
    "mov $-1, %rax\nmov $-1, %rdx\n"
    "movabs $0x00000001c0000080, %rcx\n"
    "rdmsr\n"
    "out %al, $0x61\n"				/* RAX == RBX, RDX == 0 */
    "movabs $0x00000001c0010117, %rcx\nrdmsr\n"	/* #GP: not an MSR vmd has */
    "mov $0x99, %dx\nout %eax, %dx");

/* EFER writes the CPU refuses with #GP: a reserved bit (bit 32, from
 * EDX), and LME cleared while paging is on.  SVM intercepts EFER writes;
 * upstream stored any value, and the next VMRUN failed. */
PCASE(c_lm_efer_rsvd, 64,
    "mov $0xc0000080, %ecx\nrdmsr\nor $1, %edx\nwrmsr\n"
    "mov $0x99, %dx\nout %eax, %dx");
PCASE(c_lm_efer_lme, 64,
    "mov $0xc0000080, %ecx\nrdmsr\nand $~0x100, %eax\nwrmsr\n"
    "mov $0x99, %dx\nout %eax, %dx");

enum { S_END, S_IO, S_IO_REGS, S_IO_RAX_RBX, S_SHUTDOWN, S_EINVAL };

struct step {
	int		 kind;
	int		 nmi;		/* inject an NMI on the next run */
	uint16_t	 port;
	uint32_t	 data, mask;
	uint64_t	 rax, rdx;
};

#define IO(p, d)	{ S_IO, 0, p, d, 0xffffffff, 0, 0 }
#define IO_NMI(p, d)	{ S_IO, 1, p, d, 0xffffffff, 0, 0 }
#define IO_M(p, d, m)	{ S_IO, 0, p, d, m, 0, 0 }
#define IO_REGS(p, a, d) { S_IO_REGS, 0, p, 0, 0, a, d }
#define DONE		{ S_END, 0, 0, 0, 0, 0, 0 }

struct idtfix {
	int			 vec;	/* -1: none */
	const unsigned char	*h;	/* NULL: gate not present; TASK_GATE */
	int			 ist;
};

struct pcase {
	const char		*name;
	int			 lm;
	const unsigned char	*code, *end;
	const unsigned char	*task;	/* entry of the second task */
	struct idtfix		 fix[2];
	int			 triple;	/* ends in a triple fault */
	const struct step	*intel, *amd;	/* amd NULL: as intel */
};

/* A task gate to the second task (0x20) instead of an interrupt gate. */
#define TASK_GATE	((const unsigned char *)1)
#define NOFIX	{ { -1, NULL, 0 }, { -1, NULL, 0 } }
#define FIX(v1, h1, i1, v2, h2, i2) { { v1, h1, i1 }, { v2, h2, i2 } }

extern const unsigned char c_pm_task_jmp_task[], c_pm_task_gate_task[],
    c_pm_task_idt_task[],
    c_pm_df_loop_df[], c_pm_df_triple_df[], c_lm_df_ist_df[],
    c_pm_nmi_if0_nmi[], c_pm_nmi_nested_nmi[], c_pm_nmi_again_nmi[];

static const struct step s_gp0[] = { IO(0x10d, 0), DONE };
static const struct step s_gp80[] = { IO(0x10d, 0x80), DONE };
static const struct step s_np28[] = { IO(0x10b, 0x28), DONE };
static const struct step s_gp10[] = { IO(0x10d, 0x10), DONE };
static const struct step s_gp30[] = { IO(0x10d, 0x30), DONE };
static const struct step s_gp08[] = { IO(0x10d, 0x08), DONE };
static const struct step s_fail[] = { { S_EINVAL, 0, 0, 0, 0, 0, 0 }, DONE };
static const struct step s_task_jmp[] = { IO(0x99, 0x20), DONE };
static const struct step s_task_gate[] = { IO(0x99, 0x00200018),
    IO(0x9a, 0x18), DONE };
static const struct step s_task_idt[] = { IO(0x99, 0x58), DONE };
static const struct step s_df_loop[] = { IO(0x98, 100), IO(0x99, 0), DONE };
static const struct step s_df_triple[] = { IO(0x98, 50),
    { S_SHUTDOWN, 0, 0, 0, 0, 0, 0 }, DONE };
/* The NMI runs with IF=0 inherited (interrupt gate) and returns. */
static const struct step s_nmi_if0[] = { IO_NMI(0x70, 0), IO(0x72, 1),
    IO_M(0x73, 0, 0x200), IO(0x99, 0x101), DONE };
/* The second NMI finds the guest blocking NMIs (it is in its handler) and
 * is not injected; the request ends with the run (vmd must ask again).
 * VMX sees the blocking in the guest's interruptibility state; SVM, whose
 * EVENTINJ would deliver it anyway (nesting the handler), tracks it: the
 * NMI blocks until the handler's IRET, which is intercepted.  Upstream
 * injected no NMI at all. */
static const struct step s_nmi_nested[] = { IO_NMI(0x70, 0),
    IO_NMI(0x72, 1), IO_M(0x73, 0, 0), IO(0x99, 0x101), DONE };
/* Once the handler has returned, NMIs are unblocked: a new one runs it
 * again (count 2, never nested). */
static const struct step s_nmi_again[] = { IO_NMI(0x70, 0), IO(0x72, 1),
    IO_M(0x73, 0, 0), IO_NMI(0x71, 0), IO(0x72, 2), IO_M(0x73, 0, 0),
    IO(0x99, 0x102), DONE };
static const struct step s_msr_junk[] = {
    IO_REGS(0x60, 0x00050406, 0x00050406),
    { S_IO_RAX_RBX, 0, 0x61, 0, 0, 0, 0 },
    IO(0x10d, 0), DONE };

#define P(n, lm, fix, tri, i, a)	{ #n, lm, n, n##_end, NULL, fix, tri, i, a }
static const struct pcase pcases[] = {
	P(c_pm_ljmp_null, 0, NOFIX, 0, s_gp0, NULL),
	P(c_pm_ljmp_limit, 0, NOFIX, 0, s_gp80, NULL),
	P(c_pm_ljmp_np, 0, NOFIX, 0, s_np28, NULL),
	P(c_pm_ljmp_data, 0, NOFIX, 0, s_gp10, NULL),
	P(c_pm_ljmp_dpl, 0, NOFIX, 0, s_gp30, NULL),
	P(c_pm_ljmp_rpl, 0, NOFIX, 0, s_gp08, NULL),
	P(c_pm_lcall_null, 0, NOFIX, 0, s_gp0, NULL),
	P(c_pm_lcall_np, 0, NOFIX, 0, s_np28, NULL),
	P(c_pm_lcall_dpl, 0, NOFIX, 0, s_gp30, NULL),
	P(c_lm_ljmp_np, 1, NOFIX, 0, s_np28, NULL),
	P(c_lm_ljmp_data, 1, NOFIX, 0, s_gp10, NULL),
	P(c_lm_lcall_null, 1, NOFIX, 0, s_gp0, NULL),
	P(c_pm_iret_null, 0, NOFIX, 0, s_gp0, NULL),
	P(c_lm_iretq_np, 1, NOFIX, 0, s_np28, NULL),
	{ "c_pm_task_jmp", 0, c_pm_task_jmp, c_pm_task_jmp_end,
	    c_pm_task_jmp_task, NOFIX, 0, s_fail, s_task_jmp },
	{ "c_pm_task_gate", 0, c_pm_task_gate, c_pm_task_gate_end,
	    c_pm_task_gate_task, NOFIX, 0, s_fail, s_task_gate },
	{ "c_pm_task_idt", 0, c_pm_task_idt, c_pm_task_idt_end,
	    c_pm_task_idt_task, FIX(13, TASK_GATE, 0, -1, NULL, 0), 0, s_fail,
	    s_task_idt },
	P(c_pm_df_loop, 0, FIX(13, NULL, 0, 8, c_pm_df_loop_df, 0), 0,
	    s_df_loop, NULL),
	P(c_pm_df_triple, 0, FIX(13, NULL, 0, 8, c_pm_df_triple_df, 0), 1,
	    s_df_triple, NULL),
	P(c_lm_df_ist, 1, FIX(8, c_lm_df_ist_df, 1, -1, NULL, 0), 0,
	    s_df_loop, NULL),
	P(c_pm_nmi_if0, 0, FIX(2, c_pm_nmi_if0_nmi, 0, -1, NULL, 0), 0,
	    s_nmi_if0, NULL),
	P(c_pm_nmi_nested, 0, FIX(2, c_pm_nmi_nested_nmi, 0, -1, NULL, 0), 0,
	    s_nmi_nested, NULL),
	P(c_pm_nmi_again, 0, FIX(2, c_pm_nmi_again_nmi, 0, -1, NULL, 0), 0,
	    s_nmi_again, NULL),
	P(c_lm_msr_junk, 1, NOFIX, 0, s_msr_junk, NULL),
	P(c_lm_efer_rsvd, 1, NOFIX, 0, s_gp0, NULL),
	P(c_lm_efer_lme, 1, NOFIX, 0, s_gp0, NULL),
};

static uint64_t
tss_desc(uint64_t base, uint64_t type)
{
	return (0x67 | (base & 0xffffff) << 16 | type << 40 |
	    (base >> 24 & 0xff) << 56);
}

/* The tables, the stubs and the code of case `c` in guest memory; the
 * register state it starts with. */
static void
pcase_setup(struct vm_create_params *vcp, const struct pcase *c,
    struct vcpu_reg_state *vrs)
{
	uint64_t gdt[11], idt[64], pt[512];
	uint32_t tss[26];
	uint64_t rt = PM_RT;
	unsigned char zero[0x100];
	int i;

	memset(gdt, 0, sizeof(gdt));
	gdt[1] = c->lm ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	if (c->lm) {
		gdt[3] = tss_desc(PM_TSS64, 0x8b);
		gdt[4] = 0;
		gdt[5] = 0x00af1b000000ffffULL;		/* not present */
		gdt[6] = 0x00affb000000ffffULL;		/* DPL 3 */
	} else {
		gdt[3] = tss_desc(PM_TSS0, 0x8b);	/* busy */
		gdt[4] = tss_desc(PM_TSS1, 0x89);	/* available */
		gdt[5] = 0x00cf1b000000ffffULL;		/* not present */
		gdt[6] = 0x00cffb000000ffffULL;		/* DPL 3 */
		gdt[8] = 0x0000850000200000ULL;		/* task gate -> 0x20 */
	}
	guest_write(vcp, PM_GDT, gdt, sizeof(gdt));

	memset(idt, 0, sizeof(idt));
	for (i = 0; i < 32; i++) {
		uint64_t h = rt + 16 * i, ist = 0;
		int k, present = 1, task = 0;

		for (k = 0; k < 2; k++) {
			if (c->fix[k].vec != i)
				continue;
			present = c->fix[k].h != NULL;
			task = c->fix[k].h == TASK_GATE;
			if (present && !task)
				h = PM_CODE + (c->fix[k].h - c->code);
			ist = c->fix[k].ist;
		}
		if (task)
			idt[i] = 0x0000850000200000ULL;
		else if (c->lm) {
			idt[2 * i] = (h & 0xffff) | 0x08 << 16 | ist << 32 |
			    (uint64_t)(present ? 0x8e00 : 0x0e00) << 32 |
			    (h >> 16 & 0xffff) << 48;
			idt[2 * i + 1] = h >> 32;
		} else {
			idt[i] = (h & 0xffff) | 0x08 << 16 |
			    (uint64_t)(present ? 0x8e00 : 0x0e00) << 32 |
			    (h >> 16 & 0xffff) << 48;
		}
	}
	guest_write(vcp, PM_IDT, idt, sizeof(idt));
	if (c->lm)
		guest_write(vcp, PM_RT, rt64, rt64_end - rt64);
	else
		guest_write(vcp, PM_RT, rt32, rt32_end - rt32);

	memset(zero, 0, sizeof(zero));
	guest_write(vcp, PM_VARS, zero, sizeof(zero));
	/* The current task's TSS, and the second task's. */
	memset(tss, 0, sizeof(tss));
	tss[25] = 0x68 << 16;				/* no I/O bitmap */
	guest_write(vcp, PM_TSS0, tss, sizeof(tss));
	if (c->task != NULL) {
		tss[8] = PM_CODE + (c->task - c->code);	/* EIP */
		tss[9] = 0x2;					/* EFLAGS */
		tss[14] = 0x6000;				/* ESP */
		tss[18] = tss[20] = tss[21] = tss[22] = tss[23] = 0x10;
		tss[19] = 0x08;					/* CS */
	}
	guest_write(vcp, PM_TSS1, tss, sizeof(tss));
	/* The 64-bit TSS: RSP0 0x7000, IST1 0x8000. */
	memset(tss, 0, sizeof(tss));
	tss[1] = 0x7000;
	tss[9] = 0x8000;
	tss[25] = 0x68 << 16;
	guest_write(vcp, PM_TSS64, tss, sizeof(tss));

	memset(pt, 0, sizeof(pt));
	pt[0] = (PM_PML4 + 0x1000) | 0x3;
	guest_write(vcp, PM_PML4, pt, sizeof(pt));
	pt[0] = (PM_PML4 + 0x2000) | 0x3;
	guest_write(vcp, PM_PML4 + 0x1000, pt, sizeof(pt));
	pt[0] = 0x83;					/* 2 MiB at 0 */
	guest_write(vcp, PM_PML4 + 0x2000, pt, sizeof(pt));

	guest_write(vcp, PM_CODE, c->code, c->end - c->code);

	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	vrs->vrs_gprs[VCPU_REGS_RIP] = PM_CODE;
	vrs->vrs_gprs[VCPU_REGS_RSP] = 0x7000;
	vrs->vrs_crs[VCPU_REGS_CR0] = c->lm ? 0x80000011 : 0x11;
	vrs->vrs_crs[VCPU_REGS_CR3] = c->lm ? PM_PML4 : 0;
	vrs->vrs_crs[VCPU_REGS_CR4] = c->lm ? 0x20 : 0;
	vrs->vrs_crs[VCPU_REGS_XCR0] = 0x1;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		vrs->vrs_sregs[i].vsi_sel = 0x10;
		vrs->vrs_sregs[i].vsi_limit = 0xffffffff;
		vrs->vrs_sregs[i].vsi_ar = 0xc093;
	}
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0x08;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = c->lm ? 0xa09b : 0xc09b;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_sel = 0;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_limit = 0xffff;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x0082;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_sel = 0x18;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_base = c->lm ? PM_TSS64 : PM_TSS0;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_limit = 0x67;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x008b;
	vrs->vrs_gdtr.vsi_base = PM_GDT;
	vrs->vrs_gdtr.vsi_limit = 0x57;
	vrs->vrs_idtr.vsi_base = PM_IDT;
	vrs->vrs_idtr.vsi_limit = c->lm ? 32 * 16 - 1 : 32 * 8 - 1;
	vrs->vrs_msrs[VCPU_REGS_EFER] = c->lm ? 0x500 : 0;
	vrs->vrs_drs[VCPU_REGS_DR6] = 0xffff0ff0;
	vrs->vrs_drs[VCPU_REGS_DR7] = 0x400;
}

/* Runs case `c` against its script; 0 if every exit was as expected. */
static int
run_pcase_child(void *arg)
{
	const struct pcase *c = arg;
	const struct step *s;
	struct vm_create_params vcp;
	struct vcpu_reg_state vrs;
	struct vm_run_params vrp;
	struct vm_exit ve;
	uint32_t id;
	int fd, n = 0, ok = 0, nmi = 0;

	s = intel_cpu() || c->amd == NULL ? c->intel : c->amd;
	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open");
	id = create_small_vm(fd, c->name, &vcp);
	pcase_setup(&vcp, c, &vrs);
	reset_vcpu(fd, id, &vrs);
	memset(&ve, 0, sizeof(ve));
	while (++n < 100) {
		uint64_t *g = ve.vrs.vrs_gprs;

		if (s->kind == S_END) {
			ok = 1;
			break;
		}
		memset(&vrp, 0, sizeof(vrp));
		vrp.vrp_vm_id = id;
		vrp.vrp_exit = &ve;
		if (nmi) {
			vrp.vrp_inject.vie_type = VCPU_INJECT_NMI;
			vrp.vrp_inject.vie_vector = 2;
			nmi = 0;
		}
		if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1) {
			ok = s->kind == S_EINVAL && errno == EINVAL;
			printf("hostile: %s: RUN failed, errno %d: %s\n",
			    c->name, errno, ok ? "ok" : "WRONG");
			break;
		}
		if (vrp.vrp_exit_reason == VM_EXIT_NONE)
			continue;
		if (is_io_exit(vrp.vrp_exit_reason)) {
			g[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
			printf("hostile: %s: port 0x%x data 0x%x\n", c->name,
			    ve.vei.vei_port, ve.vei.vei_data);
			if (ve.vei.vei_port != s->port)
				break;
			if (s->kind == S_IO &&
			    (ve.vei.vei_data & s->mask) != s->data)
				break;
			if (s->kind == S_IO_REGS && (g[VCPU_REGS_RAX] !=
			    s->rax || g[VCPU_REGS_RDX] != s->rdx)) {
				printf("hostile: %s: rax 0x%llx rdx 0x%llx\n",
				    c->name,
				    (unsigned long long)g[VCPU_REGS_RAX],
				    (unsigned long long)g[VCPU_REGS_RDX]);
				break;
			}
			if (s->kind == S_IO_RAX_RBX && (g[VCPU_REGS_RAX] !=
			    g[VCPU_REGS_RBX] || g[VCPU_REGS_RDX] != 0)) {
				printf("hostile: %s: rax 0x%llx rbx 0x%llx "
				    "rdx 0x%llx\n", c->name,
				    (unsigned long long)g[VCPU_REGS_RAX],
				    (unsigned long long)g[VCPU_REGS_RBX],
				    (unsigned long long)g[VCPU_REGS_RDX]);
				break;
			}
			if (s->kind != S_IO && s->kind != S_IO_REGS &&
			    s->kind != S_IO_RAX_RBX)
				break;
			nmi = s->nmi;
			s++;
			continue;
		}
		if ((vrp.vrp_exit_reason == VMX_EXIT_TRIPLE_FAULT ||
		    vrp.vrp_exit_reason == SVM_VMEXIT_SHUTDOWN) &&
		    s->kind == S_SHUTDOWN) {
			printf("hostile: %s: triple fault reported\n", c->name);
			s++;
			continue;
		}
		printf("hostile: %s: unexpected exit 0x%x\n", c->name,
		    vrp.vrp_exit_reason);
		break;
	}
	if (!ok)
		printf("hostile: %s: WRONG (step %d)\n", c->name,
		    (int)(s - (intel_cpu() || c->amd == NULL ? c->intel :
		    c->amd)));
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

/* CPUID 1 ECX bit 26: XSAVE (and with it XSETBV and CR4.OSXSAVE). */
static int
cpu_xsave(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return ((c & (1U << 26)) != 0);
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
	size_t i, j, ran = 0;
	int bad = 0;
	char brand[49];

	cpu_brand(brand);
	printf("hostile: host CPU: %s\n", brand);

	close(vmm_open_or_skip());
	/* One TAP line per case (the testbed shows program output as
	 * comments, so these do not disturb its own plan). */
	printf("1..%zu\n", sizeof(cases) / sizeof(cases[0]) +
	    sizeof(pcases) / sizeof(pcases[0]));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *skip = NULL;

		/* The hypercall instruction is the vendor's own: the other
		 * one is #UD in the guest without an exit. */
		if (strcmp(cases[i].name, intel_cpu() ? "c_abort" :
		    "c_abort_intel") == 0)
			skip = "the other vendor's hypercall";
		else if (cases[i].want == O_GP_INTEL && !intel_cpu())
			skip = "SVM: the CPU checks it";
		else if (cases[i].want == O_CONT_INTEL && !intel_cpu())
			skip = "SVM: the length is NRIPS's or 2";
		else if (cases[i].want == O_GP_XSAVE && !cpu_xsave())
			skip = "no XSAVE: the guest cannot enable XCR0";
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
	for (j = 0; j < sizeof(pcases) / sizeof(pcases[0]); j++, i++) {
		/*
		 * QEMU's TCG SVM answers the guest's RDMSR of PAT with the
		 * host's PAT, with this driver in the testbed and on OpenBSD
		 * alike, where Bochs's SVM, running the same driver, returns
		 * what the guest wrote (a value unlike any host's PAT).
		 */
		if (!intel_cpu() && strstr(brand, "QEMU") != NULL &&
		    strcmp(pcases[j].name, "c_lm_msr_junk") == 0) {
			printf("ok %zu - hostile: %s # SKIP QEMU's SVM reads "
			    "the host's PAT\n", i + 1, pcases[j].name);
			continue;
		}
		ran++;
		if (run_in_child(run_pcase_child, (void *)&pcases[j]) != 0) {
			bad++;
			printf("not ok %zu - hostile: %s\n", i + 1,
			    pcases[j].name);
		} else
			printf("ok %zu - hostile: %s\n", i + 1, pcases[j].name);
	}
	printf("hostile: %zu cases, %d wrong\n", ran, bad);
	return (bad != 0);
}
