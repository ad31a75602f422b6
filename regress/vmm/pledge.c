/*
 * pledge(2) and /dev/vmm across vmd's processes: CREATE, INFO and SHAREMEM
 * need "proc"; a process pledged "vmm" without "proc" may only touch the
 * VMs it created (anything else is a pledge violation, EPERM); a process
 * without "vmm" gets nothing.
 */
#include "vmmtest.h"
#if __has_include(<testbed.h>)
#include <testbed.h>
#endif

static int
vmm_fd(void)
{
	int fd;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open /dev/vmm");
	return (fd);
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_info_params vip;
	struct vm_intr_params vint;
	struct vm_terminate_params vtp;
	struct vm_resetcpu_params vrp;
	struct vm_rwregs_params vrw;
	int fd, vmproc, other, parent, nomvmm, fd2, fd3, fd4, v0;
	uint32_t id, id2;

	fd = vmm_open_or_skip();
	close(fd);

	/* The VM process: "stdio vmm proc exec recvfd" while creating. */
	vmproc = tb_proc_new(PLEDGE_STDIO | PLEDGE_VMM | PLEDGE_PROC);
	other = tb_proc_new(PLEDGE_STDIO | PLEDGE_VMM | PLEDGE_PROC);
	parent = tb_proc_new(PLEDGE_STDIO | PLEDGE_VMM | PLEDGE_PROC);
	nomvmm = tb_proc_new(PLEDGE_STDIO | PLEDGE_PROC);

	tb_proc_switch(vmproc);
	fd = vmm_fd();
	id = create_vm(fd, "pledged", &vcp);
	/* ... then (vmd: "stdio vmm recvfd") before the vcpu threads start. */
	if (pledge("stdio vmm", NULL) == -1)
		err(1, "pledge");
	memset(&vcp, 0, sizeof(vcp));
	vmd_memmap(&vcp, MB(64));
	CHECK_ERRNO(ioctl(fd, VMM_IOC_CREATE, &vcp), EPERM);
	memset(&vip, 0, sizeof(vip));
	CHECK_ERRNO(ioctl(fd, VMM_IOC_INFO, &vip), EPERM);
	/* Its own VM is fine. */
	memset(&vint, 0, sizeof(vint));
	vint.vip_vm_id = id;
	vint.vip_intr = 1;
	if (ioctl(fd, VMM_IOC_INTR, &vint) == -1)
		err(1, "VMM_IOC_INTR on own VM");
	memset(&vrw, 0, sizeof(vrw));
	vrw.vrwp_vm_id = id;
	vrw.vrwp_mask = VM_RWREGS_GPRS;
	if (ioctl(fd, VMM_IOC_READREGS, &vrw) == -1)
		err(1, "VMM_IOC_READREGS on own VM");

	/* Another VM process with its own VM, dropping "proc" too. */
	tb_proc_switch(other);
	fd2 = vmm_fd();
	id2 = create_vm(fd2, "other", &vcp);
	if (pledge("stdio vmm", NULL) == -1)
		err(1, "pledge");
	v0 = tb_pledge_violations();
	/* Someone else's VM: a pledge violation, EPERM. */
	vint.vip_vm_id = id;
	CHECK_ERRNO(ioctl(fd2, VMM_IOC_INTR, &vint), EPERM);
	CHECK(tb_pledge_violations() == v0 + 1);
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = id;
	CHECK_ERRNO(ioctl(fd2, VMM_IOC_RESETCPU, &vrp), EPERM);
	vtp.vtp_vm_id = id;
	CHECK_ERRNO(ioctl(fd2, VMM_IOC_TERM, &vtp), EPERM);
	CHECK(tb_pledge_violations() == v0 + 3);
	/* An id that does not exist is ENOENT, not a violation. */
	vtp.vtp_vm_id = 9999;
	CHECK_ERRNO(ioctl(fd2, VMM_IOC_TERM, &vtp), ENOENT);
	CHECK(tb_pledge_violations() == v0 + 3);

	/* A process without "vmm" gets nothing. */
	tb_proc_switch(nomvmm);
	fd4 = vmm_fd();
	memset(&vip, 0, sizeof(vip));
	CHECK_ERRNO(ioctl(fd4, VMM_IOC_INFO, &vip), EPERM);

	/* vmd's vmm process ("stdio vmm sendfd recvfd proc exec") sees and
	 * terminates every VM. */
	tb_proc_switch(parent);
	fd3 = vmm_fd();
	memset(&vip, 0, sizeof(vip));
	if (ioctl(fd3, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO from the parent");
	CHECK(vip.vip_size == 2 * sizeof(struct vm_info_result));
	vtp.vtp_vm_id = id;
	if (ioctl(fd3, VMM_IOC_TERM, &vtp) == -1)
		err(1, "TERM from the parent");
	vtp.vtp_vm_id = id2;
	if (ioctl(fd3, VMM_IOC_TERM, &vtp) == -1)
		err(1, "TERM from the parent");
	return (0);
}
