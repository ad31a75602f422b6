/*
 * Requests to a vcpu whose guest spins without exits of its own: the
 * vcpu must see them at once, not at the guest's next exit.
 *
 *  1. The scheduler asks for the CPU just before a RUN enters the guest
 *     (SPCF_SHOULDYIELD set when the run loop takes the CPU): the loop
 *     looks again once the CPU is published in vc_curcpu, and since no
 *     IPI could have been sent before, sends itself one, so the first
 *     entry exits at once and RUN returns VM_EXIT_NONE with no clock tick
 *     needed.  (On a machine with more CPUs VMM_IOC_INTR, VMM_IOC_TERM
 *     and suspend send that IPI to the vcpu's CPU; the host tests check
 *     that, rust/testkit/tests/run_pledge.rs.)
 *  2. vmd asserts an interrupt from another process while the VM process
 *     runs the vcpu (as vmd's event thread does: the PIC, then
 *     VMM_IOC_INTR), when the guest has interrupts off and loops on
 *     CPUID: the vcpu gets it exactly when the guest enables interrupts
 *     (its handler reports the count of a loop that starts right after
 *     the STI: 0).  The other process runs at all because the vcpu gives
 *     the CPU back when the host's clock says so (regress/vmm/hostclock.c).
 *  3. Suspend, resume and VMM_IOC_TERM from the other process while the
 *     guest spins with interrupts on and no exits: each is done without
 *     waiting for the guest; the guest goes on after the resume; after
 *     TERM the VM process's next RUN gets ENOENT.
 *
 * The testbed has one CPU: the other process runs while the VM process
 * is between two RUNs (after one returned VM_EXIT_NONE), never while the
 * guest is in guest mode, so no IPI is sent for its requests (checked).
 * Testbed only (threads, the tick and IPI counters).
 */
#include "vmmtest.h"

#ifdef VMMTEST_TESTBED

extern const unsigned char sr_reset[], sr_reset_end[];
extern const unsigned char sr_spin[], sr_spin_end[];
extern const unsigned char sr_code[], sr_code_end[], sr_isr[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"sr_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"sr_reset_end:\n"
/* 1: interrupts on, no exits: count at 0x500 for ever. */
"sr_spin:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	sti\n"
"1:	incl	(0x500)\n"
"	jmp	1b\n"
"sr_spin_end:\n"
/*
 * 2, 3: vector 0x30's handler reports the count at 0x500 with OUT 0x42;
 * (0x504) CPUIDs with interrupts off, the number left at 0x508, then STI
 * and count at 0x500.
 */
"sr_code:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	movw	$(0x100 + sr_isr - sr_code), (0x30 * 4)\n"
"	movw	$0xf000, (0x30 * 4 + 2)\n"
"	mov	$0x7000, %sp\n"
"	mov	(0x504), %esi\n"
"1:	xor	%eax, %eax\n"
"	cpuid\n"
"	dec	%esi\n"
"	mov	%esi, (0x508)\n"
"	jnz	1b\n"
"	sti\n"
"	nop\n"
"2:	incl	(0x500)\n"
"	jmp	2b\n"
"sr_isr:\n"
"	mov	(0x500), %eax\n"
"	mov	$0x42, %dx\n"
"	out	%eax, %dx\n"
"	iret\n"
"sr_code_end:\n"
"	.code64\n"
"	.popsection\n"
);

#define COUNTER_GPA	0x500
#define NCPUID_GPA	0x504
#define LEFT_GPA	0x508
#define NCPUID		120000
#define VECTOR		0x30

/* What the VM process and the other process share (vmd's memory). */
struct vmproc {
	struct vm_create_params vcp;
	uint32_t	 vm_id;
	int		 setup;		/* <0: the VM process failed */
	volatile int	 loaded;	/* the guest is in memory */
	volatile int	 pending;	/* vmd's PIC: an interrupt is asserted */
	int		 nruns, nnone;
	int		 nmarks;	/* OUTs to 0x42 */
	uint32_t	 mark;		/* the last one's value */
	uint16_t	 before_inject;	/* exit reason of the RUN before */
	int		 last_ret, last_err;
};

static char vcpu_stack[64 * 1024] __attribute__((aligned(16)));

static uint32_t
guest_u32(struct vm_create_params *vcp, paddr_t gpa)
{
	return (*(volatile uint32_t *)(vcp->vcp_memranges[0].vmr_va + gpa));
}

static uint32_t
counter(struct vm_create_params *vcp)
{
	return (guest_u32(vcp, COUNTER_GPA));
}

/*
 * vmd's VM process: creates and loads the VM, then its vcpu loop as
 * vmd's: the interrupt is injected when the guest can take it, RUN tells
 * the kernel whether one is pending, an OUT is completed, VM_EXIT_NONE
 * just runs the vcpu again.  Ends when RUN fails (ENOENT after TERM).
 */
static void
vm_process(void *arg)
{
	struct vmproc *vp = arg;
	struct vm_run_params vrp;
	struct vm_exit ve;
	uint32_t n = NCPUID;
	uint16_t last = VM_EXIT_NONE;
	int fd, irqready = 0;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1) {
		vp->setup = -1;
		return;
	}
	memset(&vp->vcp, 0, sizeof(vp->vcp));
	vmd_memmap(&vp->vcp, MB(64));
	strlcpy(vp->vcp.vcp_name, "spinrun", sizeof(vp->vcp.vcp_name));
	if (vmm_create(fd, &vp->vcp) == -1) {
		vp->setup = -2;
		close(fd);
		return;
	}
	vp->vm_id = vp->vcp.vcp_id;
	bios_boot(fd, vp->vm_id, &vp->vcp, sr_reset, sr_reset_end, sr_code,
	    sr_code_end);
	guest_write(&vp->vcp, NCPUID_GPA, &n, sizeof(n));
	vp->loaded = 1;
	memset(&ve, 0, sizeof(ve));
	for (;;) {
		memset(&vrp, 0, sizeof(vrp));
		vrp.vrp_vm_id = vp->vm_id;
		vrp.vrp_exit = &ve;
		if (irqready && vp->pending) {
			vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
			vrp.vrp_inject.vie_vector = VECTOR;
			vp->pending = 0;
			vp->before_inject = last;
		}
		vrp.vrp_intr_pending = vp->pending;
		errno = 0;
		vp->last_ret = ioctl(fd, VMM_IOC_RUN, &vrp);
		vp->last_err = errno;
		if (vp->last_ret == -1)
			break;
		vp->nruns++;
		irqready = vrp.vrp_irqready;
		last = vrp.vrp_exit_reason;
		if (last == VM_EXIT_NONE)
			vp->nnone++;
		else if (is_io_exit(last)) {
			if (ve.vei.vei_port == 0x42) {
				vp->mark = ve.vei.vei_data;
				vp->nmarks++;
			}
			ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
		}
	}
	close(fd);
}

/* 1. SHOULDYIELD when the loop takes the CPU: a self-IPI, an exit. */
static void
yield_at_entry(int fd)
{
	struct vm_create_params vcp;
	struct vm_exit ve;
	unsigned int t0, sent0, taken0;
	uint32_t id;
	uint16_t r;

	id = create_vm(fd, "spinrun", &vcp);
	bios_boot(fd, id, &vcp, sr_reset, sr_reset_end, sr_spin, sr_spin_end);
	memset(&ve, 0, sizeof(ve));
	/* A first run: the guest spins until the scheduler asks. */
	r = run_vcpu(fd, id, &ve);
	CHECK(r == VM_EXIT_NONE && counter(&vcp) > 0);
	t0 = tb_ticks();
	sent0 = tb_ipis(0);
	taken0 = tb_ipis(1);
	tb_set_should_yield(1);
	r = run_vcpu(fd, id, &ve);
	t0 = tb_ticks() - t0;
	printf("asked to yield before the entry: RUN returned 0x%x after %u "
	    "ticks, %u IPI sent, %u taken\n", r, t0, tb_ipis(0) - sent0,
	    tb_ipis(1) - taken0);
	CHECK(r == VM_EXIT_NONE);
	CHECK(tb_ipis(0) - sent0 == 1 && tb_ipis(1) - taken0 == 1);
	CHECK(t0 <= 1);
	terminate_vm(fd, id);
}

int
main(void)
{
	struct vmproc vp;
	struct vm_intr_params vip;
	uint32_t c1, c2;
	unsigned int ipis;
	int fd, pid, i;

	fd = vmm_open_or_skip();
	yield_at_entry(fd);

	/* 2. The VM process runs the vcpu; this process is another. */
	memset(&vp, 0, sizeof(vp));
	if ((pid = tb_proc_new(TB_PLEDGE_ALL)) == -1)
		err(1, "tb_proc_new");
	if (tb_thread_start(pid, vm_process, &vp, vcpu_stack,
	    sizeof(vcpu_stack)) == -1)
		err(1, "tb_thread_start");
	/*
	 * Each yield comes back when the VM process faults a page in or
	 * its RUN gives the CPU back to the scheduler (VM_EXIT_NONE), until
	 * the guest is seen in its CPUID loop or past it.
	 */
	for (i = 0; vp.setup == 0 && (!vp.loaded ||
	    (guest_u32(&vp.vcp, LEFT_GPA) == 0 && counter(&vp.vcp) == 0)) &&
	    i < 100; i++)
		CHECK(tb_yield() == 1);
	printf("this process runs again: setup %d, %d RUNs recorded; the "
	    "guest has %u CPUIDs left, counter %u\n", vp.setup, vp.nruns,
	    guest_u32(&vp.vcp, LEFT_GPA), counter(&vp.vcp));
	CHECK(vp.setup == 0 && vp.loaded);
	/* The guest is still in its CPUID loop, interrupts off. */
	CHECK(guest_u32(&vp.vcp, LEFT_GPA) != 0 && counter(&vp.vcp) == 0);
	ipis = tb_ipis(0);
	vp.pending = 1;
	memset(&vip, 0, sizeof(vip));
	vip.vip_vm_id = vp.vm_id;
	vip.vip_intr = 1;
	if (ioctl(fd, VMM_IOC_INTR, &vip) == -1)
		err(1, "VMM_IOC_INTR");
	/* The vcpu was not in guest mode: no IPI. */
	CHECK(tb_ipis(0) == ipis);
	for (i = 0; vp.nmarks == 0 && i < 100; i++)
		CHECK(tb_yield() == 1);
	printf("interrupt asserted in the CPUID loop: the handler ran after "
	    "%u spins (%d runs, %d VM_EXIT_NONE; the RUN before the "
	    "injection ended with exit 0x%x)\n", vp.mark, vp.nruns, vp.nnone,
	    vp.before_inject);
	CHECK(vp.nmarks == 1);
	CHECK(vp.mark == 0);
	CHECK(vp.before_inject == VMX_EXIT_INT_WINDOW ||
	    vp.before_inject == SVM_VMEXIT_VINTR);

	/* 3. Suspend, resume, TERM while the guest spins. */
	c1 = counter(&vp.vcp);
	CHECK(tb_yield() == 1);
	c2 = counter(&vp.vcp);
	CHECK(c2 > c1);
	CHECK(tb_dev_activate(TB_DVACT_QUIESCE) == 0);
	/* The VM process's next RUN waits for the wakeup. */
	CHECK(tb_yield() == 1);
	CHECK(tb_yield() == 0);
	c1 = counter(&vp.vcp);
	CHECK(tb_dev_activate(TB_DVACT_WAKEUP) == 0);
	CHECK(tb_yield() == 1);
	c2 = counter(&vp.vcp);
	printf("suspended at guest counter %u, %u after the resume\n", c1, c2);
	CHECK(c2 > c1);
	terminate_vm(fd, vp.vm_id);
	CHECK(tb_thread_join(pid) == 0);
	printf("after TERM the VM process's RUN returned %d, errno %d\n",
	    vp.last_ret, vp.last_err);
	CHECK(vp.last_ret == -1 && vp.last_err == ENOENT);
	CHECK(tb_ipis(0) == ipis);
	CHECK(tb_proc_exit(pid) == 0);
	close(fd);
	return (0);
}

#else /* !VMMTEST_TESTBED */

int
main(void)
{
	printf("SKIPPED: the testbed's threads and counters\n");
	return (0);
}

#endif /* VMMTEST_TESTBED */
