/*
 * make bench: exit-path costs counted in instructions.  Under QEMU with
 * "-icount shift=0", and under Bochs with its default clock, the TSC
 * advances by one per instruction executed, so rdtsc differences are
 * instruction counts (deterministic, the same on every run).  Prints
 * "bench NAME VALUE UNIT" lines:
 *  - cpuid-roundtrip: a guest loop of N CPUIDs, handled in the kernel;
 *    host+guest instructions per CPUID (the loop itself is 3 of them);
 *  - io-roundtrip: a guest loop of N OUTs, each returning to this vmd-like
 *    loop and re-entering with VMM_IOC_RUN; instructions per OUT;
 *  - ioctl-path: the same loop around VMM_IOC_READREGS of every register
 *    instead: the system call, the parameter copies, the VM lookup, the
 *    vcpu lock and the register read, without the guest.  It is no
 *    measure of the ioctl share of io-roundtrip: on SVM it costs more
 *    than the whole round trip (3,844 against 3,716 instructions on
 *    qemu-svm), so the target "1.2 x cpuid-roundtrip + ioctl
 *    path" measured with it left 12% of room; io-roundtrip has its own
 *    ceiling (bench/limits.txt);
 *  - pages-per-vm: pages the driver holds for a VM with one vcpu (the
 *    testbed's page accounting; guest RAM itself is not counted until
 *    touched);
 *  - spurious-exits: RUN returns beyond the two the guest asks for (an
 *    OUT and a HLT after a 200,000-iteration compute loop);
 *  - create-reset-term: CREATE + RESETCPU + TERM of a 64 MiB VM;
 *  - info-1vm, info-64vm, info-512vm: one VMM_IOC_INFO with 1, 64 and
 *    512 VMs, as far as the backend holds that many VMs (QEMU's SVM has
 *    ASIDs for 16 VMs, so there the driver refuses the 17th with ENOMEM,
 *    as upstream, and the figure is info-16vm); info-per-vm: what each VM
 *    after the first adds to it;
 *  - lookup-1vm, ..., lookup-per-vm: the same for a VM lookup that misses
 *    (VMM_IOC_INTR of an unknown id whose table slot, id % 512, is the
 *    first VM's, so every count reads an occupied slot and compares ids);
 *    lookup-growth: the most VMs' lookup minus lookup-1vm, undivided (the
 *    per-VM figure rounds a growth of up to 510 instructions down to 0);
 *  - vms-held: how many VMs the backend held; pages-NNNvm: pages the
 *    driver holds for those NNN VMs as created (the first one 64 MiB, the
 *    others one page of RAM, the smallest VM the driver accepts), not
 *    counting the VM table, allocated once at attach.
 */
#include "vmmtest.h"

#define LOOPS		10000	/* iterations of each timed loop */
#define COMPUTE_LOOPS	200000	/* the guest's loop without exits */
/* The guest's OUT ports: marks between its stretches, and the OUT loop. */
#define PORT_CPUID	0x80	/* the CPUID loop starts */
#define PORT_CPUID_END	0x81
#define PORT_IO		0x82	/* each OUT of the OUT loop */
#define PORT_IO_END	0x83	/* the compute loop starts */
#define PORT_QUIET_END	0x84
#define MAX_EXITS	1000	/* more exits than that: the guest is lost */
#define MIDVMS		64	/* the middle VM count measured */
#define MINVMS		8	/* fewest VMs a backend must hold */
/* Added to a VM id: an id no VM has, whose slot (id % 512) is that VM's. */
#define MISS_ID_DELTA	0x100000

#define STR(x)		#x
#define XSTR(x)		STR(x)

extern const unsigned char b_reset[], b_reset_end[];
extern const unsigned char b_code[], b_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"b_reset:\n"
"	ljmp	$0xf000, $0x0100\n"		/* to b_code, as bios_boot() places it */
"b_reset_end:\n"
"b_code:\n"
"	mov	$" XSTR(PORT_CPUID) ", %dx\n"
"	out	%al, %dx\n"			/* start: cpuid loop */
"	mov	$" XSTR(LOOPS) ", %esi\n"
"1:	xor	%eax, %eax\n"
"	cpuid\n"
"	dec	%esi\n"
"	jnz	1b\n"
"	mov	$" XSTR(PORT_CPUID_END) ", %dx\n"
"	out	%al, %dx\n"			/* end of cpuid loop */
"	mov	$" XSTR(LOOPS) ", %esi\n"
"	mov	$" XSTR(PORT_IO) ", %dx\n"
"2:	out	%al, %dx\n"			/* io loop */
"	dec	%esi\n"
"	jnz	2b\n"
"	mov	$" XSTR(PORT_IO_END) ", %dx\n"
"	out	%al, %dx\n"
"	mov	$" XSTR(COMPUTE_LOOPS) ", %ecx\n"		/* compute loop: no exits due */
"3:	dec	%ecx\n"
"	jnz	3b\n"
"	mov	$" XSTR(PORT_QUIET_END) ", %dx\n"
"	out	%al, %dx\n"
"	sti\n"
"	hlt\n"
"b_code_end:\n"
"	.code64\n"
"	.popsection\n");

/* Most VMs at once: every VM has a vcpu, and VMM_MAX_VCPUS exist. */
#define MAXVMS	VMM_MAX_VCPUS

/* Instructions spent in one ioctl (its result does not matter here). */
#define COST(fd, cmd, arg) __extension__ ({				\
	uint64_t c0_ = rdtsc();						\
	(void)ioctl((fd), (cmd), (arg));				\
	rdtsc() - c0_;							\
})

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (((uint64_t)hi << 32) | lo);
}

/*
 * INFO and the missed lookup with `nvm` VMs (always through this one
 * function, so the instructions around the ioctls are the same).
 */
static void
measure(int fd, unsigned int nvm, struct vm_info_params *vip,
    struct vm_intr_params *vin, uint64_t *info, uint64_t *lookup)
{
	*info = COST(fd, VMM_IOC_INFO, vip);
	CHECK(vip->vip_info_ct == nvm);
	*lookup = COST(fd, VMM_IOC_INTR, vin);
	CHECK(errno == ENOENT);
	printf("bench info-%uvm %llu insns\n", nvm, (unsigned long long)*info);
	printf("bench lookup-%uvm %llu insns\n", nvm,
	    (unsigned long long)*lookup);
}

int
main(void)
{
	struct vm_create_params vcp, vcp2;
	struct vm_info_params vip;
	struct vm_info_result *vir;
	struct vm_intr_params vin;
	uint32_t id2, *ids;
	uint64_t info0, info1, lookup0, lookup1;
	unsigned int nvm;
	struct vcpu_reg_state vrs;
	struct vm_exit *ve;
	struct vm_rwregs_params vrwp;
	uint64_t t0, t1, cpuid, io, ioctl_path;
	uint16_t r;
	uint32_t id;
	unsigned int n;
	int fd;
#ifdef VMMTEST_TESTBED
	size_t pages0, pages1, pages_vm1;
#endif

	fd = vmm_open_or_skip();
#ifdef VMMTEST_TESTBED
	/*
	 * No clock interrupts in the figures: they count the exit paths
	 * alone (regress/vmm/hostclock.c checks the clock's way through).
	 */
	tb_clock(0);
	pages0 = tb_pages_in_use();
#endif
	id = create_vm(fd, "bench", &vcp);
#ifdef VMMTEST_TESTBED
	pages_vm1 = tb_pages_in_use() - pages0;
	printf("bench pages-per-vm %zu pages\n", pages_vm1);
#endif
	bios_boot(fd, id, &vcp, b_reset, b_reset_end, b_code, b_code_end);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	r = run_vcpu(fd, id, ve);			/* OUT PORT_CPUID */
	CHECK(is_io_exit(r) && ve->vei.vei_port == PORT_CPUID);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	t0 = rdtsc();
	r = run_vcpu(fd, id, ve);			/* OUT PORT_CPUID_END */
	t1 = rdtsc();
	CHECK(is_io_exit(r) && ve->vei.vei_port == PORT_CPUID_END);
	cpuid = (t1 - t0) / LOOPS;
	printf("bench cpuid-roundtrip %llu insns\n", (unsigned long long)cpuid);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;

	t0 = rdtsc();
	for (n = 0; n < LOOPS; n++) {
		r = run_vcpu(fd, id, ve);
		CHECK(is_io_exit(r) && ve->vei.vei_port == PORT_IO);
		ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	}
	t1 = rdtsc();
	io = (t1 - t0) / LOOPS;
	printf("bench io-roundtrip %llu insns\n", (unsigned long long)io);

	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = id;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	t0 = rdtsc();
	for (n = 0; n < LOOPS; n++) {
		if (ioctl(fd, VMM_IOC_READREGS, &vrwp) == -1)
			err(1, "VMM_IOC_READREGS");
		CHECK(vrwp.vrwp_regs.vrs_gprs[VCPU_REGS_RIP] != 0);
	}
	t1 = rdtsc();
	ioctl_path = (t1 - t0) / LOOPS;
	printf("bench ioctl-path %llu insns\n", (unsigned long long)ioctl_path);
	r = run_vcpu(fd, id, ve);
	CHECK(is_io_exit(r) && ve->vei.vei_port == PORT_IO_END);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;

	/* Exits the guest did not ask for. */
	for (n = 1;; n++) {
		r = run_vcpu(fd, id, ve);
		if (is_hlt_exit(r))
			break;
		if (is_io_exit(r))
			ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
		CHECK(n < MAX_EXITS);
	}
	printf("bench spurious-exits %u exits\n", n - 2);

	t0 = rdtsc();
	id2 = create_vm(fd, "bench2", &vcp2);
	flat16(&vrs);
	reset_vcpu(fd, id2, &vrs);
	terminate_vm(fd, id2);
	t1 = rdtsc();
	printf("bench create-reset-term %llu insns\n",
	    (unsigned long long)(t1 - t0));

	/*
	 * INFO and a missed lookup with 1 VM, 64 and 512 (or as many as the
	 * backend holds).
	 */
	if ((vir = calloc(MAXVMS, sizeof(*vir))) == NULL ||
	    (ids = calloc(MAXVMS, sizeof(*ids))) == NULL)
		err(1, NULL);
	memset(&vip, 0, sizeof(vip));
	vip.vip_size = MAXVMS * sizeof(*vir);
	vip.vip_info = vir;
	memset(&vin, 0, sizeof(vin));
	vin.vip_vm_id = id + MISS_ID_DELTA;
	measure(fd, 1, &vip, &vin, &info0, &lookup0);
#ifdef VMMTEST_TESTBED
	pages1 = tb_pages_in_use();
#endif
	for (nvm = 1; nvm < MAXVMS; nvm++) {
		memset(&vcp2, 0, sizeof(vcp2));
		vcp2.vcp_memranges[0].vmr_gpa = 0;
		vcp2.vcp_memranges[0].vmr_size = getpagesize();
		vcp2.vcp_memranges[0].vmr_type = VM_MEM_RAM;
		vcp2.vcp_nmemranges = 1;
		vcp2.vcp_ncpus = 1;
		strlcpy(vcp2.vcp_name, "bench-n", sizeof(vcp2.vcp_name));
		if (ioctl(fd, VMM_IOC_CREATE, &vcp2) == -1) {
			if (errno == ENOMEM)
				break;		/* out of ASIDs */
			err(1, "VMM_IOC_CREATE");
		}
		ids[nvm] = vcp2.vcp_id;
		if (nvm + 1 == MIDVMS || nvm + 1 == MAXVMS)
			measure(fd, nvm + 1, &vip, &vin, &info1, &lookup1);
	}
	CHECK(nvm >= MINVMS);
	if (nvm != MIDVMS && nvm != MAXVMS)
		measure(fd, nvm, &vip, &vin, &info1, &lookup1);
	printf("bench vms-held %u vms\n", nvm);
#ifdef VMMTEST_TESTBED
	printf("bench pages-%uvm %zu pages\n", nvm,
	    tb_pages_in_use() - pages1 + pages_vm1);
#endif
	printf("bench info-per-vm %llu insns\n",
	    (unsigned long long)((info1 - info0) / (nvm - 1)));
	printf("bench lookup-per-vm %lld insns\n",
	    (long long)((int64_t)(lookup1 - lookup0) / (nvm - 1)));
	printf("bench lookup-growth %lld insns\n",
	    (long long)((int64_t)(lookup1 - lookup0)));
	for (n = 1; n < nvm; n++)
		terminate_vm(fd, ids[n]);
	free(ids);
	free(vir);
	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
