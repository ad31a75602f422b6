/*
 * pledge(2) and /dev/vmm across vmd's processes: CREATE, INFO and SHAREMEM
 * need "proc"; a process pledged "vmm" without "proc" may only touch the
 * VMs it created (anything else is a pledge violation); a process
 * without "vmm" gets nothing.
 *
 * In the testbed the processes are simulated ones the program switches
 * between and a violation returns EPERM, counted by the testbed.  On
 * OpenBSD they are children: a violation kills the process with an
 * uncatchable SIGABRT, or fails the call with ENOSYS if it promised
 * "error".
 */
#include <signal.h>

#include "vmmtest.h"

static int
vmm_fd(void)
{
	int fd;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open /dev/vmm");
	return (fd);
}

#ifdef VMMTEST_TESTBED

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

#else /* !VMMTEST_TESTBED */

/* Runs fn in a child process; returns its wait(2) status. */
static int
spawn(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	switch ((pid = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	return (status);
}

/* Fails unless the child ended by exit(0). */
static void
spawn_ok(const char *what, int (*fn)(void *), void *arg)
{
	int status = spawn(fn, arg);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(1, "%s: wait status 0x%x", what, status);
}

/* Fails unless the child was killed for the pledge violation (SIGABRT). */
static void
spawn_killed(const char *what, int (*fn)(void *), void *arg)
{
	int status = spawn(fn, arg);

	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		errx(1, "%s: wait status 0x%x, want SIGABRT", what, status);
	printf("%s: killed by SIGABRT\n", what);
}

/* The id of the VM called `name` (INFO), or 0 if there is none. */
static uint32_t
find_vm(int fd, const char *name)
{
	struct vm_info_params vip;
	struct vm_info_result *info;
	uint32_t id = 0;
	size_t i;

	memset(&vip, 0, sizeof(vip));
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO");
	if (vip.vip_size == 0)
		return (0);
	if ((info = malloc(vip.vip_size)) == NULL)
		err(1, NULL);
	vip.vip_info = info;
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1)
		err(1, "VMM_IOC_INFO");
	for (i = 0; i < vip.vip_size / sizeof(*info); i++)
		if (strcmp(info[i].vir_name, name) == 0)
			id = info[i].vir_id;
	free(info);
	return (id);
}

struct vmproc {
	int	 idpipe[2];	/* to the parent: the VM's id */
	int	 waitpipe[2];	/* from the parent: closed when done */
};

/*
 * vmd's VM process: creates its VM pledged "stdio vmm proc", then drops
 * "proc" (vmd: "stdio vmm recvfd") and stays until the parent is done.
 */
static int
vm_process(void *arg)
{
	struct vmproc *v = arg;
	struct vm_create_params vcp;
	struct vm_info_params vip;
	struct vm_intr_params vint;
	struct vm_rwregs_params vrw;
	uint32_t id;
	char c;
	int fd;

	close(v->idpipe[0]);
	close(v->waitpipe[1]);
	fd = vmm_fd();
	/* "error" cannot be added later: it is not a reduction. */
	if (pledge("stdio vmm proc error", NULL) == -1)
		err(1, "pledge");
	id = create_vm(fd, "pledged", &vcp);
	if (pledge("stdio vmm error", NULL) == -1)
		err(1, "pledge");
	/* Without "proc": no CREATE, no INFO ("error": ENOSYS, alive). */
	memset(&vcp, 0, sizeof(vcp));
	vmd_memmap(&vcp, MB(64));
	CHECK_ERRNO(ioctl(fd, VMM_IOC_CREATE, &vcp), ENOSYS);
	memset(&vip, 0, sizeof(vip));
	CHECK_ERRNO(ioctl(fd, VMM_IOC_INFO, &vip), ENOSYS);
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
	if (write(v->idpipe[1], &id, sizeof(id)) != sizeof(id))
		err(1, "write");
	while (read(v->waitpipe[0], &c, 1) > 0)
		;
	return (0);
}

/* Another VM process, with "error": someone else's VM is ENOSYS. */
static int
other_process(void *arg)
{
	uint32_t id = *(uint32_t *)arg;
	struct vm_create_params vcp;
	struct vm_intr_params vint;
	struct vm_resetcpu_params vrp;
	struct vm_terminate_params vtp;
	int fd;

	fd = vmm_fd();
	if (pledge("stdio vmm proc error", NULL) == -1)
		err(1, "pledge");
	(void)create_vm(fd, "other", &vcp);
	if (pledge("stdio vmm error", NULL) == -1)
		err(1, "pledge");
	memset(&vint, 0, sizeof(vint));
	vint.vip_vm_id = id;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_INTR, &vint), ENOSYS);
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = id;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_RESETCPU, &vrp), ENOSYS);
	vtp.vtp_vm_id = id;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_TERM, &vtp), ENOSYS);
	/* An id that does not exist is ENOENT, not a violation. */
	vtp.vtp_vm_id = 9999;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_TERM, &vtp), ENOENT);
	/* Its own VM still works. */
	vint.vip_vm_id = vcp.vcp_id;
	if (ioctl(fd, VMM_IOC_INTR, &vint) == -1)
		err(1, "VMM_IOC_INTR on own VM");
	return (0);
}

/* Violations without "error": each one kills the process. */
static int
intr_foreign(void *arg)
{
	struct vm_intr_params vint;
	int fd;

	fd = vmm_fd();
	if (pledge("stdio vmm", NULL) == -1)
		err(1, "pledge");
	memset(&vint, 0, sizeof(vint));
	vint.vip_vm_id = *(uint32_t *)arg;
	ioctl(fd, VMM_IOC_INTR, &vint);
	return (3);
}

static int
create_noproc(void *arg)
{
	struct vm_create_params vcp;
	int fd;

	(void)arg;
	fd = vmm_fd();
	if (pledge("stdio vmm", NULL) == -1)
		err(1, "pledge");
	memset(&vcp, 0, sizeof(vcp));
	vmd_memmap(&vcp, MB(64));
	ioctl(fd, VMM_IOC_CREATE, &vcp);
	return (3);
}

/* INFO pledged `arg', without "vmm": 0 if it failed with ENOSYS. */
static int
info_novmm(void *arg)
{
	struct vm_info_params vip;
	int fd;

	fd = vmm_fd();
	if (pledge(arg, NULL) == -1)
		err(1, "pledge");
	memset(&vip, 0, sizeof(vip));
	if (ioctl(fd, VMM_IOC_INFO, &vip) == -1 && errno == ENOSYS)
		return (0);
	return (3);
}

/*
 * vmd's vmm process ("stdio vmm sendfd recvfd proc"): sees every VM and
 * terminates the two.
 */
static int
vmm_process(void *arg)
{
	struct vm_terminate_params vtp;
	const char *names[] = { "pledged", "other" };
	int fd, i;

	(void)arg;
	fd = vmm_fd();
	if (pledge("stdio vmm proc", NULL) == -1)
		err(1, "pledge");
	for (i = 0; i < 2; i++) {
		if ((vtp.vtp_vm_id = find_vm(fd, names[i])) == 0)
			errx(1, "INFO does not show VM \"%s\"", names[i]);
		if (ioctl(fd, VMM_IOC_TERM, &vtp) == -1)
			err(1, "TERM of VM \"%s\"", names[i]);
	}
	return (0);
}

int
main(void)
{
	struct vmproc v;
	uint32_t id;
	pid_t pid;
	int fd, status;

	fd = vmm_open_or_skip();

	/* The VM process runs alongside, holding its VM. */
	if (pipe(v.idpipe) == -1 || pipe(v.waitpipe) == -1)
		err(1, "pipe");
	switch ((pid = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		_exit(vm_process(&v));
	}
	close(v.idpipe[1]);
	close(v.waitpipe[0]);
	if (read(v.idpipe[0], &id, sizeof(id)) != sizeof(id))
		errx(1, "the VM process did not create its VM");

	spawn_ok("other VM process", other_process, &id);
	spawn_killed("INTR on a foreign VM, pledged \"stdio vmm\"",
	    intr_foreign, &id);
	spawn_killed("CREATE pledged \"stdio vmm\"", create_noproc, NULL);
	spawn_killed("INFO pledged \"stdio proc\"", info_novmm,
	    "stdio proc");
	spawn_ok("INFO pledged \"stdio proc error\"", info_novmm,
	    "stdio proc error");
	spawn_ok("vmm process", vmm_process, NULL);

	close(v.waitpipe[1]);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(1, "VM process: wait status 0x%x", status);
	CHECK(find_vm(fd, "pledged") == 0 && find_vm(fd, "other") == 0);
	close(fd);
	return (0);
}

#endif /* VMMTEST_TESTBED */
