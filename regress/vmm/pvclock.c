/*
 * The paravirtual clock: vmd registers it with VMM_IOC_WRITEVMPARAMS (as
 * on a received VM) and reads it back; the guest sees a consistent
 * pvclock_time_info (even version, stable flag, shift 12, the multiplier
 * for the host TSC, a system time); a registration outside guest memory
 * gets #GP with RIP still on the WRMSR (upstream advanced RIP past it,
 * on both backends, before the guest took the #GP); the KVM wall clock
 * MSR writes the boot time.
 *
 * The multiplier is 2^20 ns per TSC tick at the kernel's TSC frequency,
 * or 0 (as upstream) where the kernel does not know it: OpenBSD only
 * measures an invariant TSC, which QEMU's qemu64 CPU does not have.  On
 * OpenBSD the program compares it with sysctl machdep.tscfreq.
 */
#if !__has_include(<testbed.h>)
#include <sys/sysctl.h>
#include <machine/cpu.h>
#endif

#include "vmmtest.h"

extern const unsigned char pv_reset[], pv_reset_end[];
extern const unsigned char pv_code[], pv_code_end[], pv_gp[], pv_bad[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"pv_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"pv_reset_end:\n"
"pv_code:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	movw	$(0x100 + pv_gp - pv_code), (13 * 4)\n"
"	movw	$0xf000, (13 * 4 + 2)\n"
"	mov	$0x7000, %sp\n"
"	mov	$0x90, %dx\n"
"	mov	(0x9000), %eax\n"		/* version */
"	out	%eax, %dx\n"
"	mov	(0x9010), %eax\n"		/* system time, low */
"	out	%eax, %dx\n"
"	mov	(0x9018), %eax\n"		/* tsc_to_system_mul */
"	out	%eax, %dx\n"
"	mov	(0x901c), %eax\n"		/* shift, flags */
"	out	%eax, %dx\n"
	/* Register outside guest memory: #GP. */
"	mov	$0x4b564d01, %ecx\n"
"	mov	$0x1, %eax\n"
"	mov	$0x2, %edx\n"			/* 0x200000001 */
"pv_bad:\n"
"	wrmsr\n"
"1:	mov	$0x4b564d00, %ecx\n"		/* wall clock at 0x9100 */
"	mov	$0x9100, %eax\n"
"	xor	%edx, %edx\n"
"	wrmsr\n"
"	mov	$0x91, %dx\n"
"	mov	(0x9104), %eax\n"		/* seconds */
"	out	%eax, %dx\n"
"	mov	(0x9100), %eax\n"		/* version */
"	out	%eax, %dx\n"
"	sti\n"
"	hlt\n"
"pv_gp:\n"
"	popw	%ax\n"				/* the faulting IP */
"	out	%ax, $0xf0\n"
"	popw	%ax\n"
"	popw	%ax\n"
"	ljmp	$0xf000, $(0x100 + 1b - pv_code)\n"
"pv_code_end:\n"
"	.code64\n"
"	.popsection\n");

static uint32_t
out32(int fd, uint32_t id, struct vm_exit *ve, uint16_t port)
{
	uint16_t r;

	do
		r = run_vcpu(fd, id, ve);
	while (r == VM_EXIT_NONE);
	if (!is_io_exit(r) || ve->vei.vei_port != port)
		errx(1, "want port 0x%x, exit 0x%x port 0x%x", port, r,
		    ve->vei.vei_port);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	return (ve->vei.vei_data);
}

#ifndef VMMTEST_TESTBED
/* tsc_to_system_mul for the kernel's TSC frequency. */
static uint32_t
expected_mul(void)
{
	int mib[2] = { CTL_MACHDEP, CPU_TSCFREQ };
	uint64_t freq;
	size_t len = sizeof(freq);

	if (sysctl(mib, 2, &freq, &len, NULL, 0) == -1)
		err(1, "sysctl machdep.tscfreq");
	printf("machdep.tscfreq %llu\n", (unsigned long long)freq);
	return (freq == 0 ? 0 : (uint32_t)((1000000000ULL << 20) / freq));
}
#endif

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_rwvmparams_params vpp;
	struct vm_exit *ve;
	uint32_t id, ver, t, mul, sf;
	uint16_t r;
	int fd, nogp = 0;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "pvclock", &vcp);
	bios_boot(fd, id, &vcp, pv_reset, pv_reset_end, pv_code, pv_code_end);

	/* vmd restores the clock registration of a received VM. */
	memset(&vpp, 0, sizeof(vpp));
	vpp.vpp_vm_id = id;
	vpp.vpp_mask = VM_RWVMPARAMS_ALL;
	vpp.vpp_pvclock_system_gpa = 0x9000 | 1;
	vpp.vpp_pvclock_version = 0;
	if (ioctl(fd, VMM_IOC_WRITEVMPARAMS, &vpp) == -1)
		err(1, "WRITEVMPARAMS");
	memset(&vpp, 0, sizeof(vpp));
	vpp.vpp_vm_id = id;
	vpp.vpp_mask = VM_RWVMPARAMS_ALL;
	if (ioctl(fd, VMM_IOC_READVMPARAMS, &vpp) == -1)
		err(1, "READVMPARAMS");
	CHECK(vpp.vpp_pvclock_system_gpa == (0x9000 | 1));

	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	ver = out32(fd, id, ve, 0x90);
	t = out32(fd, id, ve, 0x90);
	mul = out32(fd, id, ve, 0x90);
	sf = out32(fd, id, ve, 0x90);
	printf("pvclock: version %u time %u mul %u shift %d flags %u\n", ver, t,
	    mul, (int8_t)(sf & 0xff), (sf >> 8) & 0xff);
	CHECK(ver >= 2 && (ver & 1) == 0);
	CHECK(t != 0);
#ifdef VMMTEST_TESTBED
	CHECK(mul != 0);		/* the testbed's TSC runs at 1 GHz */
#else
	CHECK(mul == expected_mul());
#endif
	CHECK((sf & 0xff) == 12 && ((sf >> 8) & 0xff) == 1);

	/*
	 * The bad registration: #GP, the handler writes the IP it was
	 * pushed to port 0xf0: the WRMSR's own.  Without the #GP the guest
	 * goes on to the wall clock (port 0x91): reported as an outcome
	 * (make obsd-compare), then the rest is checked.
	 */
	do
		r = run_vcpu(fd, id, ve);
	while (r == VM_EXIT_NONE);
	if (is_io_exit(r) && ve->vei.vei_port == 0xf0) {
		OUTCOME("bad-registration", "#GP");
		t = ve->vei.vei_data & 0xffff;
		printf("#GP at ip 0x%x, wrmsr at 0x%x\n", t,
		    (unsigned)(0x100 + (pv_bad - pv_code)));
		CHECK(t == 0x100 + (pv_bad - pv_code));
		ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
		t = out32(fd, id, ve, 0x91);
	} else if (is_io_exit(r) && ve->vei.vei_port == 0x91) {
		OUTCOME("bad-registration", "no #GP, rip 0x%llx",
		    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
		nogp = 1;
		ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
		t = ve->vei.vei_data;
	} else
		errx(1, "want port 0xf0, exit 0x%x port 0x%x", r,
		    ve->vei.vei_port);
	ver = out32(fd, id, ve, 0x91);
	printf("wall clock: %u s, version %u\n", t, ver);
	OUTCOME("wall-clock", "%s", t > 1600000000U && (ver & 1) == 0 &&
	    ver != 0 ? "written" : "not written");
	CHECK(t > 1600000000U && (ver & 1) == 0 && ver != 0);

	memset(&vpp, 0, sizeof(vpp));
	vpp.vpp_vm_id = id;
	vpp.vpp_mask = VM_RWVMPARAMS_ALL;
	if (ioctl(fd, VMM_IOC_READVMPARAMS, &vpp) == -1)
		err(1, "READVMPARAMS");
	CHECK(vpp.vpp_pvclock_version >= 1);
	CHECK(vpp.vpp_pvclock_system_gpa == (0x9000 | 1));
	CHECK(is_hlt_exit(run_vcpu(fd, id, ve)));
	free(ve);
	terminate_vm(fd, id);
	close(fd);
	if (nogp)
		errx(1, "no #GP for a registration outside guest memory");
	return (0);
}
