/*
 * Every errno of the machine-independent /dev/vmm interface that a program
 * can reach, each checked for its exact value.
 */
#include "vmmtest.h"

/* A guest that halts with interrupts off: the vcpu fails (EIO). */
extern const unsigned char guest_cli_hlt[], guest_cli_hlt_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"guest_cli_hlt:\n"
"	cli\n"
"	hlt\n"
"guest_cli_hlt_end:\n"
"	.code64\n"
"	.popsection\n");

/* A vcpu id the VMs here do not have (they have vcpu 0 only). */
#define NO_VCPU		1
/* A VM id while no VM exists. */
#define NO_VM		1
/* A command number of the 'V' group that /dev/vmm does not have. */
#define VMM_IOC_UNUSED	_IOW('V', 12, int)
/* vir_vcpu_state[] of a failed vcpu: VCPU_STATE_TERMINATED, which
 * <dev/vmm/vmm.h> defines for the kernel only. */
#define VCPU_TERMINATED	3

static void
create_bad(int fd, const char *what, void (*mangle)(struct vm_create_params *))
{
	struct vm_create_params vcp;

	printf("CREATE with %s:\n", what);
	memset(&vcp, 0, sizeof(vcp));
	vmd_memmap(&vcp, MB(64));
	/* 7.6: the caller maps the memory (and a zero vmr_va is EINVAL). */
	if (vmm_map_ranges(&vcp) == -1)
		err(1, "mmap");
	mangle(&vcp);
	CHECK_ERRNO(ioctl(fd, VMM_IOC_CREATE, &vcp), EINVAL);
}

static void no_ranges(struct vm_create_params *v) { v->vcp_nmemranges = 0; }
static void too_many(struct vm_create_params *v) { v->vcp_nmemranges = VMM_MAX_MEM_RANGES + 1; }
static void bad_gpa(struct vm_create_params *v) { v->vcp_memranges[4].vmr_gpa = 0xffbfffff; }
static void bad_size(struct vm_create_params *v) { v->vcp_memranges[2].vmr_size += 1; }
static void zero_size(struct vm_create_params *v) { v->vcp_memranges[1].vmr_size = 0; }
static void bad_va(struct vm_create_params *v) { v->vcp_memranges[0].vmr_va = 0x123; }
static void overlap(struct vm_create_params *v) { v->vcp_memranges[1].vmr_gpa = 0x9f000; }
static void above(struct vm_create_params *v)
{
	v->vcp_nmemranges = 1;
	v->vcp_memranges[0].vmr_gpa = VMM_MAX_VM_MEM_SIZE;
	v->vcp_memranges[0].vmr_size = getpagesize();
}
static void two_cpus(struct vm_create_params *v) { v->vcp_ncpus = 2; }

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_terminate_params vtp;
	struct vm_resetcpu_params vrp;
	struct vm_run_params vrun;
	struct vm_info_params vip;
	struct vm_intr_params vint;
	struct vm_rwregs_params vrw;
	struct vm_rwvmparams_params vpp;
	struct vm_sharemem_params vsp;
	struct vcpu_reg_state vrs;
	struct vm_exit *ve;
	uint32_t id;
	int fd, n;

	fd = vmm_open_or_skip();
	vmmtest_soft = 1;

	create_bad(fd, "no ranges", no_ranges);
	create_bad(fd, "17 ranges", too_many);
	create_bad(fd, "an unaligned gpa", bad_gpa);
	create_bad(fd, "an unaligned size", bad_size);
	create_bad(fd, "a zero size", zero_size);
	create_bad(fd, "an unaligned va", bad_va);
	create_bad(fd, "overlapping ranges", overlap);
	create_bad(fd, "a range at 128 GB", above);
	create_bad(fd, "two vcpus", two_cpus);

	/* Nothing exists: ENOENT everywhere. */
	vtp.vtp_vm_id = NO_VM;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_TERM, &vtp), ENOENT);
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = NO_VM;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RESETCPU, &vrp), ENOENT);
	memset(&vint, 0, sizeof(vint));
	vint.vip_vm_id = NO_VM;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_INTR, &vint), ENOENT);

	id = create_vm(fd, "errno", &vcp);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	/* Unknown vcpu: ENOENT. */
	memset(&vrun, 0, sizeof(vrun));
	vrun.vrp_vm_id = id;
	vrun.vrp_vcpu_id = NO_VCPU;
	vrun.vrp_exit = ve;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RUN, &vrun), ENOENT);
	vrp.vrp_vm_id = id;
	vrp.vrp_vcpu_id = NO_VCPU;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RESETCPU, &vrp), ENOENT);
	memset(&vrw, 0, sizeof(vrw));
	vrw.vrwp_vm_id = id;
	vrw.vrwp_vcpu_id = NO_VCPU;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_READREGS, &vrw), ENOENT);
	CHECK_ERRNO(ioctl(fd, VMM_IOC_WRITEREGS, &vrw), ENOENT);
	memset(&vpp, 0, sizeof(vpp));
	vpp.vpp_vm_id = id;
	vpp.vpp_vcpu_id = NO_VCPU;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_READVMPARAMS, &vpp), ENOENT);
	CHECK_ERRNO(ioctl(fd, VMM_IOC_WRITEVMPARAMS, &vpp), ENOENT);
	vint.vip_vm_id = id;
	vint.vip_vcpu_id = NO_VCPU;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_INTR, &vint), ENOENT);

	/* SHAREMEM validation: EINVAL, and ENOENT for an unknown VM. */
	memset(&vsp, 0, sizeof(vsp));
	vsp.vsp_vm_id = id;
	vsp.vsp_nmemranges = vcp.vcp_nmemranges - 1;
	memcpy(vsp.vsp_memranges, vcp.vcp_memranges, sizeof(vsp.vsp_memranges));
	CHECK_ERRNO(ioctl(fd, VMM_IOC_SHAREMEM, &vsp), EINVAL);
	vsp.vsp_nmemranges = vcp.vcp_nmemranges;
#ifndef VMMTEST_ABI_76		/* 7.6's SHAREMEM has no vsp_va[] */
	vsp.vsp_va[0] = 0x10000;	/* must be 0 */
	CHECK_ERRNO(ioctl(fd, VMM_IOC_SHAREMEM, &vsp), EINVAL);
	vsp.vsp_va[0] = 0;
#endif
	vsp.vsp_memranges[2].vmr_size -= getpagesize();
	CHECK_ERRNO(ioctl(fd, VMM_IOC_SHAREMEM, &vsp), EINVAL);
	vsp.vsp_vm_id = id + 1;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_SHAREMEM, &vsp), ENOENT);

	/* Unknown ioctl: ENOTTY. */
	n = 0;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_UNUSED, &n), ENOTTY);

	/* A guest halting with interrupts off fails the vcpu: EIO ... */
	guest_write(&vcp, RESET_VECTOR, guest_cli_hlt,
	    guest_cli_hlt_end - guest_cli_hlt);
	flat16(&vrs);
	reset_vcpu(fd, id, &vrs);
	vrun.vrp_vcpu_id = 0;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RUN, &vrun), EIO);
	/*
	 * A failed ioctl copies nothing out: the driver's VM_EXIT_TERMINATED
	 * stays in the kernel's copy, the caller's block is as it was.
	 */
	CHECK(vrun.vrp_exit_reason == 0);
	/* ... and it can neither run nor be reset again: EBUSY. */
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RUN, &vrun), EBUSY);
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_init_state = vrs;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RESETCPU, &vrp), EBUSY);

	/* INFO shows it terminated. */
	{
		struct vm_info_result vir;

		memset(&vip, 0, sizeof(vip));
		vip.vip_size = sizeof(vir);
		vip.vip_info = &vir;
		if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
			err(1, "VMM_IOC_INFO");
		CHECK(vip.vip_info_ct == 1 &&
		    vir.vir_vcpu_state[0] == VCPU_TERMINATED);
	}

	terminate_vm(fd, id);
	vtp.vtp_vm_id = id;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_TERM, &vtp), ENOENT);
	free(ve);
	close(fd);
	return (vmmtest_failed != 0);
}
