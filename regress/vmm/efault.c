/*
 * EFAULT for every user pointer of the /dev/vmm interface: the ioctl
 * argument itself, vip_info, vrp_exit (in and out), and nothing left
 * half-done after it.
 */
#include "vmmtest.h"

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_info_params vip;
	struct vm_run_params vrun;
	struct vcpu_reg_state vrs;
	struct vm_exit *ve;
	char *ro;
	uint32_t id;
	int fd;

	fd = vmm_open_or_skip();

	/* The argument of the ioctl itself. */
	CHECK_ERRNO(ioctl(fd, VMM_IOC_CREATE, (void *)8), EFAULT);
	CHECK_ERRNO(ioctl(fd, VMM_IOC_INFO, (void *)8), EFAULT);

	id = create_vm(fd, "efault", &vcp);

	/* vip_info. */
	memset(&vip, 0, sizeof(vip));
	vip.vip_size = sizeof(struct vm_info_result);
	vip.vip_info = (struct vm_info_result *)16;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_INFO, &vip), EFAULT);

	/* vrp_exit: unreadable, before anything runs. */
	flat16(&vrs);
	reset_vcpu(fd, id, &vrs);
	memset(&vrun, 0, sizeof(vrun));
	vrun.vrp_vm_id = id;
	vrun.vrp_exit = (struct vm_exit *)24;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RUN, &vrun), EFAULT);

	/* The vcpu is still usable afterwards (the C driver left it
	 * RUNNING, so every later run failed with EBUSY). */
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	{
		/* A guest that just does OUT. */
		static const unsigned char out[] = { 0xe6, 0x80 }; /* out %al,$0x80 */
		guest_write(&vcp, 0xffff0, out, sizeof(out));
	}
	vrun.vrp_exit = ve;
	if (ioctl(fd, VMM_IOC_RUN, &vrun) == -1)
		err(1, "VMM_IOC_RUN after EFAULT");
	CHECK(is_io_exit(vrun.vrp_exit_reason) && ve->vei.vei_port == 0x80);

	/* vrp_exit readable but not writable: the run happens, the
	 * copy-out fails with EFAULT, the vcpu stays stopped. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE,
	    -1, 0);
	CHECK(ro != MAP_FAILED);
	memcpy(ro, ve, sizeof(*ve));
	CHECK(mprotect(ro, 4096, PROT_READ) == 0);
	vrun.vrp_exit = (struct vm_exit *)ro;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RUN, &vrun), EFAULT);
	vrun.vrp_exit = ve;
	if (ioctl(fd, VMM_IOC_RUN, &vrun) == -1)
		err(1, "VMM_IOC_RUN after copy-out EFAULT");
	munmap(ro, 4096);

	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
