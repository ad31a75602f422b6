/*
 * The SEV fields of VMM_IOC_CREATE: vcp_sev / vcp_seves are accepted at
 * create, which on SVM reports vcp_poscbit 0 (the driver does not set up
 * memory encryption) and the vcpu's ASID, as upstream; on VMX it leaves
 * vcp_poscbit as given, as upstream.  On SVM the VMCB then
 * asks for SEV (or SEV-ES), as upstream; on a CPU without it VMRUN would
 * fail its consistency checks, so the first RUN fails with EINVAL, the
 * vcpu is terminated (the next RUN gets EBUSY) and TERM still cleans up
 * (QEMU's SVM has no SEV).  Where CPUID says SEV is there (Bochs "ryzen"
 * says so, and ignores the bits), the run is the CPU's business: the host
 * survives and TERM cleans up.  On VMX the fields are not looked at, as
 * upstream: the guest runs.
 */
#include "vmmtest.h"

#define GUEST_PORT	0x80
static const unsigned char guest[] = { 0xe6, GUEST_PORT }; /* out %al, $0x80 */

/* CPUID: the highest extended leaf, and AMD's memory encryption leaf. */
#define CPUID_EXT_MAX	0x80000000
#define CPUID_AMD_SEV	0x8000001f
/* CPUID_AMD_SEV EAX bits: SEV, SEV-ES. */
#define SEV_CAP_SEV	(1U << 1)
#define SEV_CAP_SEVES	(1U << 3)
/* What CREATE is given in vcp_poscbit: SVM must overwrite it, VMX not. */
#define POSCBIT_GIVEN	0xdead

static uint32_t
cpuid_eax(uint32_t leaf, uint32_t *ebx)
{
	uint32_t a = leaf, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (ebx != NULL)
		*ebx = b;
	return (a);
}

static int
amd_cpu(void)
{
	uint32_t b;

	(void)cpuid_eax(0, &b);
	return (b == 0x68747541);			/* "Auth"enticAMD */
}

static uint32_t
sev_caps(void)
{
	if (cpuid_eax(CPUID_EXT_MAX, NULL) < CPUID_AMD_SEV)
		return (0);
	return (cpuid_eax(CPUID_AMD_SEV, NULL));
}

static void
one(int fd, int sev, int seves)
{
	struct vm_create_params vcp;
	struct vcpu_reg_state vrs;
	struct vm_run_params vrp;
	struct vm_exit ve;
	int r;

	memset(&vcp, 0, sizeof(vcp));
	vmd_memmap(&vcp, MB(8));
	strlcpy(vcp.vcp_name, "sev", sizeof(vcp.vcp_name));
	vcp.vcp_sev = sev;
#ifndef VMMTEST_ABI_76		/* vmm.h 1.7 has no vcp_seves */
	vcp.vcp_seves = seves;
#endif
	vcp.vcp_poscbit = POSCBIT_GIVEN;
	if (vmm_create(fd, &vcp) == -1)
		err(1, "VMM_IOC_CREATE sev %d seves %d", sev, seves);
	/* SVM reports no C bit (0); VMX does not touch the field. */
	CHECK(vcp.vcp_poscbit == (amd_cpu() ? 0 : POSCBIT_GIVEN));
	guest_write(&vcp, RESET_VECTOR, guest, sizeof(guest));
	flat16(&vrs);
	reset_vcpu(fd, vcp.vcp_id, &vrs);

	memset(&ve, 0, sizeof(ve));
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_exit = &ve;
	errno = 0;
	r = ioctl(fd, VMM_IOC_RUN, &vrp);
	if (amd_cpu()) {
		printf("sev %d seves %d (CPU: SEV %d, SEV-ES %d): RUN %d "
		    "errno %d, exit 0x%x\n", sev, seves,
		    (sev_caps() & SEV_CAP_SEV) != 0,
		    (sev_caps() & SEV_CAP_SEVES) != 0, r, errno,
		    vrp.vrp_exit_reason);
		if ((sev && !(sev_caps() & SEV_CAP_SEV)) ||
		    (seves && !(sev_caps() & SEV_CAP_SEVES))) {
			CHECK(r == -1 && errno == EINVAL);
			CHECK_ERRNO(ioctl(fd, VMM_IOC_RUN, &vrp), EBUSY);
		}
	} else {
		printf("sev %d seves %d: RUN %d, exit 0x%x (ignored on VMX)\n",
		    sev, seves, r, vrp.vrp_exit_reason);
		CHECK(r == 0 && is_io_exit(vrp.vrp_exit_reason) &&
		    ve.vei.vei_port == GUEST_PORT);
	}
	terminate_vm(fd, vcp.vcp_id);
}

int
main(void)
{
	int fd;

	fd = vmm_open_or_skip();
	one(fd, 1, 0);
#ifdef VMMTEST_ABI_76
	printf("sev: vcp_seves cases left out: vmm.h 1.7 has no vcp_seves\n");
#else
	one(fd, 1, 1);
	one(fd, 0, 1);
#endif
	close(fd);
	return (0);
}
