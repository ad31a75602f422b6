/*
 * Helpers shared by the vmm(4) regress programs.  Plain OpenBSD C: the
 * same files build with bsd.regress.mk on OpenBSD and in the testbed.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <machine/vmmvar.h>
#include <dev/vmm/vmm.h>

#if __has_include(<testbed.h>)
#include <testbed.h>
#define VMMTEST_TESTBED	1
#else
#include <sys/wait.h>
#endif

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MB(x)		((x) * 1024UL * 1024UL)

/*
 * VMMTEST_ABI_76 (make obsd-compare): built against OpenBSD 7.6's own
 * /dev/vmm headers (vmm.h 1.7, vmmvar.h 1.106) for that tree's C driver.
 * The structures and ioctl words the programs use are the same as in
 * vmm.h 1.13 except two contracts, which vmm_create() and vmm_sharemem()
 * hide: 7.6's CREATE shares guest memory the caller has mapped (vmr_va
 * in), 1.13's maps it and returns vmr_va; 7.6's SHAREMEM maps at
 * addresses the caller chose (vmr_va in, no vsp_va[]).  ABI76_SKIP()
 * leaves out what the old ABI cannot express, with the reason.
 */
#ifdef VMMTEST_ABI_76
#define ABI76		1
/* minherit(2), a stub of regress/obsd/userland/syscall.S: -errno or 0. */
long	__sys_minherit(void *, size_t, int);
#define VMMTEST_INHERIT_NONE	2	/* MAP_INHERIT_NONE */
#else
#define ABI76		0
#endif

/*
 * A machine-readable outcome for make obsd-compare, which diffs these
 * lines between the C and the Rust kernel: "outcome CASE TEXT".
 */
#define OUTCOME(c, ...) do {						\
	printf("outcome %s ", (c));					\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

/* Where a vcpu reset to the BIOS state (flat16) fetches its first insn. */
#define RESET_VECTOR	0xffff0UL

/* Fail the program unless the expression holds. */
#define CHECK(e) do {							\
	if (!(e))							\
		errx(1, "%s:%d: check failed: %s", __FILE__, __LINE__, #e);	\
} while (0)

/*
 * Fail unless the call failed with exactly errno `want`.  In a program
 * that sets vmmtest_soft (its checks do not depend on each other:
 * errno.c), every such check also prints an outcome line for make
 * obsd-compare ("outcome LLINE ret R errno E") and a mismatch is counted
 * in vmmtest_failed instead of ending the program, so that one
 * difference does not hide the checks after it.
 */
static int vmmtest_soft __attribute__((unused));
static int vmmtest_failed __attribute__((unused));
#define CHECK_ERRNO(call, want) do {					\
	int r_, e_;							\
	errno = 0;							\
	r_ = (call);							\
	e_ = errno;							\
	if (vmmtest_soft)						\
		printf("outcome L%d ret %d errno %d\n", __LINE__, r_,	\
		    r_ == -1 ? e_ : 0);					\
	if (r_ != -1 || e_ != (want)) {					\
		if (!vmmtest_soft)					\
			errx(1, "%s:%d: %s: errno %d, want %d (%s)",	\
			    __FILE__, __LINE__, #call, e_, (want), #want); \
		warnx("%s:%d: %s: ret %d errno %d, want %d (%s)",	\
		    __FILE__, __LINE__, #call, r_, e_, (want), #want);	\
		vmmtest_failed++;					\
	}								\
} while (0)

/* vmd's create_memory_map for a guest of `mem` bytes (> 5 MiB, < 4 GiB). */
static inline void
vmd_memmap(struct vm_create_params *vcp, size_t mem)
{
	struct vm_mem_range *r = vcp->vcp_memranges;

	r[0].vmr_gpa = 0;
	r[0].vmr_size = 0xa0000;
	r[0].vmr_type = VM_MEM_RAM;
	r[1].vmr_gpa = 0xa0000;
	r[1].vmr_size = 0x60000;
	r[1].vmr_type = VM_MEM_RESERVED;
	r[2].vmr_gpa = 0x100000;
	r[2].vmr_size = mem - 0x100000;
	r[2].vmr_type = VM_MEM_RAM;
	r[3].vmr_gpa = 0xf0000000;
	r[3].vmr_size = 0x0fc00000;
	r[3].vmr_type = VM_MEM_MMIO;
	r[4].vmr_gpa = 0xffc00000;
	r[4].vmr_size = 0x400000;
	r[4].vmr_type = VM_MEM_RESERVED;
	vcp->vcp_nmemranges = 5;
	vcp->vcp_ncpus = 1;
}

/* Opens /dev/vmm; exits 0 with a SKIP note when no CPU support exists. */
static inline int
vmm_open_or_skip(void)
{
	int fd;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1) {
		if (errno == ENODEV) {
			printf("SKIPPED: /dev/vmm: no supported CPU (ENODEV)\n");
			exit(0);
		}
		err(1, "open /dev/vmm");
	}
	return (fd);
}

/*
 * VMM_IOC_CREATE.  For the 7.6 ABI the caller maps each range first, as
 * 7.6's vmd does (vm.c 1.102, alloc_guest_mem: every range, MMIO
 * included, anonymous, shared and concealed), and the kernel shares it;
 * 1.13's CREATE maps the memory itself.  Returns what ioctl(2) returns.
 * The ranges are not inherited by a child (MAP_INHERIT_NONE), as 1.13's
 * own mapping, so that the programs here that fork (run_in_child) see
 * the same on both kernels.
 */
static inline int
vmm_map_ranges(struct vm_create_params *vcp)
{
#ifdef VMMTEST_ABI_76
	struct vm_mem_range *r;
	void *p;
	size_t i;

	for (i = 0; i < vcp->vcp_nmemranges && i < VMM_MAX_MEM_RANGES; i++) {
		r = &vcp->vcp_memranges[i];
		p = mmap(NULL, r->vmr_size, PROT_READ | PROT_WRITE,
		    MAP_ANON | MAP_CONCEAL | MAP_SHARED, -1, 0);
		if (p == MAP_FAILED)
			return (-1);
		if (__sys_minherit(p, r->vmr_size, VMMTEST_INHERIT_NONE) < 0)
			return (-1);
		r->vmr_va = (vaddr_t)p;
	}
#else
	(void)vcp;
#endif
	return (0);
}

static inline int
vmm_create(int fd, struct vm_create_params *vcp)
{
	if (vmm_map_ranges(vcp) == -1)
		return (-1);
	return (ioctl(fd, VMM_IOC_CREATE, vcp));
}

/*
 * VMM_IOC_SHAREMEM of VM `id` with the ranges of `layout`; the address of
 * each range in this process into va[] (0 for MMIO).  For the 7.6 ABI
 * the addresses are chosen here (free ones, as 7.6's vmd does); 1.13's
 * kernel chooses them and returns them in vsp_va[].
 */
static inline int
vmm_sharemem(int fd, uint32_t id, const struct vm_create_params *layout,
    vaddr_t *va)
{
	struct vm_sharemem_params vsp;
	size_t i;

	memset(&vsp, 0, sizeof(vsp));
	vsp.vsp_vm_id = id;
	vsp.vsp_nmemranges = layout->vcp_nmemranges;
	memcpy(vsp.vsp_memranges, layout->vcp_memranges,
	    sizeof(vsp.vsp_memranges));
	for (i = 0; i < VMM_MAX_MEM_RANGES; i++) {
		vsp.vsp_memranges[i].vmr_va = 0;
		va[i] = 0;
	}
#ifdef VMMTEST_ABI_76
	for (i = 0; i < vsp.vsp_nmemranges && i < VMM_MAX_MEM_RANGES; i++) {
		struct vm_mem_range *r = &vsp.vsp_memranges[i];
		void *p;

		if (r->vmr_type == VM_MEM_MMIO)
			continue;
		p = mmap(NULL, r->vmr_size, PROT_NONE, MAP_PRIVATE | MAP_ANON,
		    -1, 0);
		if (p == MAP_FAILED)
			return (-1);
		munmap(p, r->vmr_size);
		r->vmr_va = (vaddr_t)p;
	}
	if (ioctl(fd, VMM_IOC_SHAREMEM, &vsp) == -1)
		return (-1);
	for (i = 0; i < vsp.vsp_nmemranges && i < VMM_MAX_MEM_RANGES; i++)
		va[i] = vsp.vsp_memranges[i].vmr_va;
#else
	if (ioctl(fd, VMM_IOC_SHAREMEM, &vsp) == -1)
		return (-1);
	for (i = 0; i < VMM_MAX_MEM_RANGES; i++)
		va[i] = vsp.vsp_va[i];
#endif
	return (0);
}

/* Creates a 64 MiB guest named `name`; returns its id. */
static inline uint32_t
create_vm(int fd, const char *name, struct vm_create_params *vcp)
{
	memset(vcp, 0, sizeof(*vcp));
	vmd_memmap(vcp, MB(64));
	strlcpy(vcp->vcp_name, name, sizeof(vcp->vcp_name));
	if (vmm_create(fd, vcp) == -1)
		err(1, "VMM_IOC_CREATE");
	return (vcp->vcp_id);
}

/* Copies `len` bytes to guest-physical `gpa` through the creator's map. */
static inline void
guest_write(struct vm_create_params *vcp, paddr_t gpa, const void *buf,
    size_t len)
{
	size_t i;
	struct vm_mem_range *r;

	for (i = 0; i < vcp->vcp_nmemranges; i++) {
		r = &vcp->vcp_memranges[i];
		if (gpa >= r->vmr_gpa && gpa + len <= r->vmr_gpa + r->vmr_size &&
		    r->vmr_type != VM_MEM_MMIO) {
			memcpy((char *)r->vmr_va + (gpa - r->vmr_gpa), buf, len);
			return;
		}
	}
	errx(1, "guest_write: gpa 0x%lx not in guest RAM", (unsigned long)gpa);
}

/* vmd's flat16 register state (BIOS boot). */
static inline void
flat16(struct vcpu_reg_state *vrs)
{
	int i;

	memset(vrs, 0, sizeof(*vrs));
	vrs->vrs_gprs[VCPU_REGS_RFLAGS] = 0x2;
	vrs->vrs_gprs[VCPU_REGS_RIP] = 0xfff0;
	vrs->vrs_crs[VCPU_REGS_CR0] = 0x60000010;
	vrs->vrs_crs[VCPU_REGS_XCR0] = 0x1;
	for (i = 0; i < VCPU_REGS_NSREGS; i++) {
		vrs->vrs_sregs[i].vsi_limit = 0xffff;
		vrs->vrs_sregs[i].vsi_ar = 0x8093;
	}
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_sel = 0xf000;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_ar = 0x809f;
	vrs->vrs_sregs[VCPU_REGS_CS].vsi_base = 0xf0000;
	vrs->vrs_sregs[VCPU_REGS_LDTR].vsi_ar = 0x82;
	vrs->vrs_sregs[VCPU_REGS_TR].vsi_ar = 0x8b;
	vrs->vrs_gdtr.vsi_limit = 0xffff;
	vrs->vrs_idtr.vsi_limit = 0xffff;
	vrs->vrs_drs[VCPU_REGS_DR6] = 0xffff0ff0;
	vrs->vrs_drs[VCPU_REGS_DR7] = 0x400;
}

static inline void
reset_vcpu(int fd, uint32_t id, struct vcpu_reg_state *vrs)
{
	struct vm_resetcpu_params vrp;

	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = id;
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_init_state = *vrs;
	if (ioctl(fd, VMM_IOC_RESETCPU, &vrp) == -1)
		err(1, "VMM_IOC_RESETCPU");
}

/*
 * vmd's BIOS boot of a small real-mode guest: `reset` at the reset
 * vector (0xffff0), `code` at f000:0100 (0xf0100), then the flat16 state.
 */
static inline void
bios_boot(int fd, uint32_t id, struct vm_create_params *vcp,
    const unsigned char *reset, const unsigned char *reset_end,
    const unsigned char *code, const unsigned char *code_end)
{
	struct vcpu_reg_state vrs;

	guest_write(vcp, RESET_VECTOR, reset, reset_end - reset);
	guest_write(vcp, 0xf0100, code, code_end - code);
	flat16(&vrs);
	reset_vcpu(fd, id, &vrs);
}

/* One VMM_IOC_RUN; returns the exit reason. */
static inline uint16_t
run_vcpu(int fd, uint32_t id, struct vm_exit *ve)
{
	struct vm_run_params vrp;

	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = id;
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_exit = ve;
	if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
		err(1, "VMM_IOC_RUN");
	return (vrp.vrp_exit_reason);
}

/*
 * VMM_IOC_RUN until an exit other than VM_EXIT_NONE, as vmd's vcpu loop
 * does: a RUN returns with no exit when the host's scheduler wants the
 * CPU (OpenBSD 7.6's C driver checks that after every exit it handles in
 * the kernel, nested page faults included, so even a first RUN can).
 */
static inline uint16_t
run_vcpu_vmd(int fd, uint32_t id, struct vm_exit *ve)
{
	uint16_t r;

	while ((r = run_vcpu(fd, id, ve)) == VM_EXIT_NONE)
		continue;
	return (r);
}

static inline int
is_io_exit(uint16_t r)
{
	return (r == SVM_VMEXIT_IOIO || r == VMX_EXIT_IO);
}

static inline int
is_hlt_exit(uint16_t r)
{
	return (r == SVM_VMEXIT_HLT || r == VMX_EXIT_HLT);
}

static inline void
terminate_vm(int fd, uint32_t id)
{
	struct vm_terminate_params vtp;

	vtp.vtp_vm_id = id;
	if (ioctl(fd, VMM_IOC_TERM, &vtp) == -1)
		err(1, "VMM_IOC_TERM");
}

/*
 * Runs fn(arg) in a process of its own and returns its exit status, the
 * way vmd's device and VM processes are separate processes: fork(2) on
 * OpenBSD; in the testbed a new simulated process made current for the
 * call and torn down (its mappings with it) afterwards.
 */
static inline int
run_in_child(int (*fn)(void *), void *arg)
{
#ifdef VMMTEST_TESTBED
	int self = getpid(), p, status;

	p = tb_proc_new(TB_PLEDGE_ALL);
	tb_proc_switch(p);
	status = fn(arg);
	tb_proc_switch(self);
	tb_proc_exit(p);
	return (status);
#else
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
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128);
#endif
}
