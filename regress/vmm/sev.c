/*
 * The SEV fields of VMM_IOC_CREATE: vcp_sev / vcp_seves are accepted at
 * create, which reports vcp_poscbit 0 (the driver does not set up memory
 * encryption) and the vcpu's ASID, as upstream.  On SVM the VMCB then
 * asks for SEV (or SEV-ES), as upstream; on a CPU without it VMRUN would
 * fail its consistency checks, so the first RUN fails with EINVAL, the
 * vcpu is terminated (the next RUN gets EBUSY) and TERM still cleans up
 * (QEMU's SVM has no SEV).  Where CPUID says SEV is there (Bochs "ryzen"
 * says so, and ignores the bits), the run is the CPU's business: the host
 * survives and TERM cleans up.  On VMX the fields are not looked at, as
 * upstream: the guest runs.
 */
#include "vmmtest.h"

static const unsigned char guest[] = { 0xe6, 0x80 };	/* out %al, $0x80 */

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

/* CPUID 0x8000001F EAX: bit 1 SEV, bit 3 SEV-ES. */
static uint32_t
sev_caps(void)
{
	if (cpuid_eax(0x80000000, NULL) < 0x8000001f)
		return (0);
	return (cpuid_eax(0x8000001f, NULL));
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
	vcp.vcp_seves = seves;
	vcp.vcp_poscbit = 0xdead;
	if (ioctl(fd, VMM_IOC_CREATE, &vcp) == -1)
		err(1, "VMM_IOC_CREATE sev %d seves %d", sev, seves);
	CHECK(vcp.vcp_poscbit == 0 || !amd_cpu());
	guest_write(&vcp, 0xffff0, guest, sizeof(guest));
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
		    (sev_caps() >> 1) & 1, (sev_caps() >> 3) & 1, r, errno,
		    vrp.vrp_exit_reason);
		if ((sev && !(sev_caps() & 2)) ||
		    (seves && !(sev_caps() & 8))) {
			CHECK(r == -1 && errno == EINVAL);
			CHECK_ERRNO(ioctl(fd, VMM_IOC_RUN, &vrp), EBUSY);
		}
	} else {
		printf("sev %d seves %d: RUN %d, exit 0x%x (ignored on VMX)\n",
		    sev, seves, r, vrp.vrp_exit_reason);
		CHECK(r == 0 && is_io_exit(vrp.vrp_exit_reason) &&
		    ve.vei.vei_port == 0x80);
	}
	terminate_vm(fd, vcp.vcp_id);
}

int
main(void)
{
	int fd;

	fd = vmm_open_or_skip();
	one(fd, 1, 0);
	one(fd, 1, 1);
	one(fd, 0, 1);
	close(fd);
	return (0);
}
