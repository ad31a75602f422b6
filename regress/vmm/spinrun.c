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
 * The testbed's form uses its threads and its tick and IPI counters; the
 * OpenBSD form, with two processes and two CPUs, is at the end of the
 * file.
 */
#include "vmmtest.h"


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

#ifdef VMMTEST_TESTBED

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

/*
 * On OpenBSD: vmd's VM process is a child (fork) running the vcpu as
 * above; this process is the other one.  They share a page made before
 * the fork (MAP_SHARED | MAP_ANON) and, through SHAREMEM, the guest's
 * memory.  The guest runs its CPUID loop briefly and then spins with
 * interrupts on and no exits (the count at 0x500).  With two CPUs:
 *
 *  a. the vcpu runs on one CPU while this process runs on the other: the
 *     guest's count moves while this process spins without a system call;
 *  b. VMM_IOC_INTR from this process while it does: the guest's handler
 *     runs (OUT 0x42 with the count).  Nothing but an interrupt on the
 *     vcpu's CPU makes a guest that spins without exits leave guest mode.
 *     The kernel's interrupt counters (kern.intrcnt: "clock", the clock
 *     interrupts of all CPUs, and "ipi") show that no clock interrupt
 *     came between the INTR and the handler while an IPI did, and the
 *     RUN that let vmd inject ended at a host interrupt's exit
 *     (SVM_VMEXIT_INTR, VMX_EXIT_EXTINT: an interrupt is pending and the
 *     guest can take it): the kick, X86_IPI_NOP to the vcpu's CPU.  With
 *     the kick removed from the glue (vmmk_cpu_kick) the guest spins
 *     until its CPU's next clock interrupt, and no window is without one
 *     (QEMU with two CPUs on a busy 2-core host: 0 of 193 and 0 of 189
 *     attempts; with the kick the program stops at 5 such windows, after
 *     8 and 56 attempts).  Only if the emulator's host starved it so
 *     that the two CPUs were seldom seen running side by side (this
 *     process itself stopped for more than 0.5 ms in half of the checks,
 *     or no check saw it) is the missing proof a SKIP rather than a
 *     failure;
 *  c. VMM_IOC_TERM while it does: the vcpu's RUN ends, TERM returns, the
 *     count stops, the VM process's next RUN gets ENOENT; the counters of
 *     that window are shown too.
 * Suspend is the machine's (DVACT_QUIESCE through acpi(4)), which no
 * ioctl of vmm(4) reaches: testbed only.  With one CPU the vcpu is never
 * in guest mode while this process runs, so nothing is kicked; b and c
 * are made and must pass all the same.
 */
#include <sys/sysctl.h>

#include <signal.h>
#include <time.h>

#define NATTEMPTS	200	/* INTRs, at most */
#define ATTEMPT_NS	20000000000ULL	/* and for 20 s at most */
#define NPROVEN		5	/* stop after as many windows without a tick */
#define NTERMS		5	/* VMs, for a TERM window without a tick */

/* What the VM process and this process share: a MAP_SHARED page. */
struct shared {
	volatile uint32_t vm_id;
	volatile int	 loaded;	/* 1: the guest runs; -1: failed */
	volatile int	 pending;	/* vmd's PIC: an interrupt asserted */
	volatile int	 nmarks;	/* OUTs to 0x42 */
	volatile uint32_t mark;		/* the last one's value */
	volatile uint16_t before_inject;
	volatile int	 nruns, nnone;
	volatile int	 last_ret, last_err;
};

static uint32_t
guest_u32(vaddr_t low, paddr_t gpa)
{
	return (*(volatile uint32_t *)(low + gpa));
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
}

/* vmd's VM process: the loop of the testbed's form; ends with RUN's error. */
static int
vm_process(struct shared *sh, uint32_t ncpuid)
{
	struct vm_create_params vcp;
	struct vm_run_params vrp;
	struct vm_exit ve;
	uint16_t last = VM_EXIT_NONE;
	int fd, irqready = 0;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1) {
		sh->loaded = -1;
		err(1, "open /dev/vmm");
	}
	sh->vm_id = create_vm(fd, "spinrun", &vcp);
	bios_boot(fd, sh->vm_id, &vcp, sr_reset, sr_reset_end, sr_code,
	    sr_code_end);
	guest_write(&vcp, NCPUID_GPA, &ncpuid, sizeof(ncpuid));
	sh->loaded = 1;
	memset(&ve, 0, sizeof(ve));
	for (;;) {
		memset(&vrp, 0, sizeof(vrp));
		vrp.vrp_vm_id = sh->vm_id;
		vrp.vrp_exit = &ve;
		if (irqready && sh->pending) {
			vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
			vrp.vrp_inject.vie_vector = VECTOR;
			sh->pending = 0;
			sh->before_inject = last;
		}
		vrp.vrp_intr_pending = sh->pending;
		errno = 0;
		sh->last_ret = ioctl(fd, VMM_IOC_RUN, &vrp);
		sh->last_err = errno;
		if (sh->last_ret == -1)
			break;
		sh->nruns++;
		irqready = vrp.vrp_irqready;
		last = vrp.vrp_exit_reason;
		if (last == VM_EXIT_NONE)
			sh->nnone++;
		else if (is_io_exit(last)) {
			if (ve.vei.vei_port == 0x42) {
				sh->mark = ve.vei.vei_data;
				sh->nmarks++;
			}
			ve.vrs.vrs_gprs[VCPU_REGS_RIP] += ve.vei.vei_insn_len;
		} else if (last != VMX_EXIT_EXTINT && last != SVM_VMEXIT_INTR &&
		    last != VMX_EXIT_INT_WINDOW && last != SVM_VMEXIT_VINTR)
			errx(1, "unexpected exit 0x%x", last);
	}
	return (0);
}

/* The VM processes, killed if this program fails. */
static pid_t	vm_pids[NTERMS];

static void
kill_vm_processes(void)
{
	int i;

	for (i = 0; i < NTERMS; i++)
		if (vm_pids[i] > 0)
			kill(vm_pids[i], SIGKILL);
}

/* kern.intrcnt: the index of the counter named `name`. */
static int
intrcnt_index(const char *name)
{
	int mib[4] = { CTL_KERN, KERN_INTRCNT, KERN_INTRCNT_NUM, 0 };
	char buf[64];
	size_t len;
	int i, n;

	len = sizeof(n);
	if (sysctl(mib, 3, &n, &len, NULL, 0) == -1)
		err(1, "sysctl kern.intrcnt.nintrcnt");
	for (i = 0; i < n; i++) {
		mib[2] = KERN_INTRCNT_NAME;
		mib[3] = i;
		len = sizeof(buf);
		if (sysctl(mib, 4, buf, &len, NULL, 0) == -1)
			continue;
		buf[sizeof(buf) - 1] = '\0';
		if (strcmp(buf, name) == 0)
			return (i);
	}
	errx(1, "no interrupt counter \"%s\"", name);
}

static uint64_t
intrcnt(int i)
{
	int mib[4] = { CTL_KERN, KERN_INTRCNT, KERN_INTRCNT_CNT, i };
	uint64_t c;
	size_t len = sizeof(c);

	if (sysctl(mib, 4, &c, &len, NULL, 0) == -1)
		err(1, "sysctl kern.intrcnt.intrcnt");
	return (c);
}

/*
 * Forks VM process `n` and waits until its guest spins; returns the
 * shared page and maps the guest's low memory at *low (SHAREMEM).
 */
static struct shared *
start_vm(int fd, int n, vaddr_t *low)
{
	struct vm_create_params vcp;
	struct vm_sharemem_params vsp;
	struct shared *sh;
	int i;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANON, -1, 0);
	if (sh == MAP_FAILED)
		err(1, "mmap");
	memset(sh, 0, sizeof(*sh));
	switch ((vm_pids[n] = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		close(fd);
		_exit(vm_process(sh, 100));
	}
	for (i = 0; sh->loaded == 0; i++) {
		if (i == 1000)
			errx(1, "the VM process did not load its guest");
		usleep(10000);
	}
	if (sh->loaded != 1)
		errx(1, "the VM process failed");
	memset(&vcp, 0, sizeof(vcp));
	vmd_memmap(&vcp, MB(64));
	memset(&vsp, 0, sizeof(vsp));
	vsp.vsp_vm_id = sh->vm_id;
	vsp.vsp_nmemranges = vcp.vcp_nmemranges;
	memcpy(vsp.vsp_memranges, vcp.vcp_memranges,
	    sizeof(vsp.vsp_memranges));
	if (ioctl(fd, VMM_IOC_SHAREMEM, &vsp) == -1)
		err(1, "VMM_IOC_SHAREMEM");
	*low = vsp.vsp_va[0];
	/* Past the CPUID loop: interrupts on, no exits. */
	for (i = 0; guest_u32(*low, COUNTER_GPA) == 0; i++) {
		if (i == 1000)
			errx(1, "the guest does not reach its spin loop");
		usleep(10000);
	}
	return (sh);
}

/*
 * Whether the guest runs while this process does: its count moves between
 * two readings of this process at most 200 us apart (so this process was
 * not descheduled in between), within 20 ms of spinning without a system
 * call but clock_gettime(2).  Under an emulator whose host is busy, the
 * two emulated CPUs do not always run at the same time: the window is
 * what lets this be seen at all then.  *stalled is set when this process
 * saw its own clock jump by more than 0.5 ms between two readings: it was
 * stopped, by this kernel or, in an emulator, by the emulator's host.
 */
#define STALL_NS	500000

static int
concurrent(vaddr_t low, int *stalled)
{
	uint32_t c0, c1;
	uint64_t t0, t1, start;

	start = t0 = now_ns();
	c0 = guest_u32(low, COUNTER_GPA);
	while (t0 - start < 20000000) {
		c1 = guest_u32(low, COUNTER_GPA);
		t1 = now_ns();
		if (t1 - t0 > STALL_NS)
			*stalled = 1;
		if (c1 != c0 && t1 - t0 < 200000)
			return (1);
		c0 = c1;
		t0 = t1;
	}
	return (0);
}

/* Ends VM process n: its RUN must have failed with ENOENT. */
static void
end_vm(int fd, int n, struct shared *sh)
{
	struct vm_terminate_params vtp;
	int status;

	if (waitpid(vm_pids[n], &status, 0) == -1)
		err(1, "waitpid");
	vm_pids[n] = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(sh->last_ret == -1 && sh->last_err == ENOENT);
	vtp.vtp_vm_id = sh->vm_id;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_TERM, &vtp), ENOENT);
	munmap((void *)sh, sizeof(*sh));
}

int
main(void)
{
	struct vm_intr_params vip;
	struct shared *sh;
	vaddr_t low;
	uint64_t t0, t_start, clk0, ipi0, dclk, dipi, ns;
	uint32_t c0, c1, n;
	size_t len;
	int mib[2] = { CTL_HW, HW_NCPU };
	int fd, ncpu, clk, ipi, a, conc = 0, proven = 0, delivered = 0;
	int term_proven = 0, kicked, nstalled = 0;
	uint16_t r;

	fd = vmm_open_or_skip();
	len = sizeof(ncpu);
	if (sysctl(mib, 2, &ncpu, &len, NULL, 0) == -1)
		err(1, "sysctl hw.ncpu");
	clk = intrcnt_index("clock");
	ipi = ncpu > 1 ? intrcnt_index("ipi") : -1;
	atexit(kill_vm_processes);
	sh = start_vm(fd, 0, &low);

	/* b. INTR while the guest spins. */
	t_start = now_ns();
	for (a = 0; a < (ncpu > 1 ? NATTEMPTS : 5) && proven < NPROVEN &&
	    now_ns() - t_start < ATTEMPT_NS; a++) {
		int conc_a, stalled = 0;
		uint64_t t2;

		conc_a = ncpu > 1 && concurrent(low, &stalled);
		conc += conc_a;
		n = sh->nmarks;
		clk0 = intrcnt(clk);
		ipi0 = ipi >= 0 ? intrcnt(ipi) : 0;
		c0 = guest_u32(low, COUNTER_GPA);
		t0 = now_ns();
		sh->pending = 1;
		memset(&vip, 0, sizeof(vip));
		vip.vip_vm_id = sh->vm_id;
		vip.vip_intr = 1;
		if (ioctl(fd, VMM_IOC_INTR, &vip) == -1)
			err(1, "VMM_IOC_INTR");
		/* Spin (two CPUs) or sleep (one) until the handler's OUT. */
		while (sh->nmarks == n) {
			if (!conc_a)
				usleep(1000);
			t2 = now_ns();
			if (t2 - t0 > 5000000000ULL)
				errx(1, "attempt %d: the interrupt was not "
				    "delivered in 5 s", a);
		}
		nstalled += stalled && conc_a;
		ns = now_ns() - t0;
		dclk = intrcnt(clk) - clk0;
		dipi = ipi >= 0 ? intrcnt(ipi) - ipi0 : 0;
		c1 = sh->mark;
		delivered++;
		CHECK(sh->nmarks == n + 1);
		/* The handler reports the count: the guest was spinning. */
		CHECK(c1 >= c0);
		/*
		 * The RUN that let vmd inject: it returned at a host
		 * interrupt's exit (a kick, or a clock interrupt), at the
		 * interrupt window's, or with VM_EXIT_NONE (the vcpu gave the
		 * CPU back; vmd injects then since the guest's IF is set).
		 */
		r = sh->before_inject;
		CHECK(r == VMX_EXIT_EXTINT || r == SVM_VMEXIT_INTR ||
		    r == VMX_EXIT_INT_WINDOW || r == SVM_VMEXIT_VINTR ||
		    r == VM_EXIT_NONE);
		kicked = conc_a && dclk == 0 && dipi > 0 &&
		    (r == VMX_EXIT_EXTINT || r == SVM_VMEXIT_INTR);
		proven += kicked;
		if (a < 3 || (kicked && proven == 1))
			printf("INTR %d: vcpu %s; the handler ran %llu us "
			    "later, %u spins after the INTR; %llu clock and "
			    "%llu IPI interrupts in between; vmd injected "
			    "after exit 0x%x\n", a,
			    conc_a ? "in guest mode on the other CPU" :
			    "not running beside this process",
			    (unsigned long long)ns / 1000, c1 - c0,
			    (unsigned long long)dclk, (unsigned long long)dipi,
			    r);
	}
	printf("%d CPUs: %d interrupts delivered to the spinning guest; the "
	    "vcpu ran beside this process in %d attempts, %d of them with no "
	    "clock interrupt but an IPI before the handler ran (the kick); "
	    "this process was stopped for more than %d us in %d of their "
	    "checks\n",
	    ncpu, delivered, conc, proven, STALL_NS / 1000, nstalled);
	if (ncpu > 1 && proven == 0 && (conc == 0 || nstalled * 2 >= conc)) {
		/*
		 * An emulator whose host does not give both emulated CPUs
		 * time lets the clock run while the guest does not: every
		 * window then has a clock interrupt, with or without a kick.
		 */
		printf("SKIPPED: the kick: the emulated CPUs did not run side "
		    "by side (%d of %d attempts, %d of those stopped)\n", conc,
		    delivered, nstalled);
	} else if (ncpu > 1) {
		CHECK(conc > 0);
		CHECK(proven > 0);
	} else
		printf("one CPU: the vcpu is never in guest mode while this "
		    "process runs; no kick to check\n");

	/*
	 * c. TERM while the guest spins: a new VM for each try until a
	 * window has no clock interrupt (two CPUs).
	 */
	for (a = 0; a < NTERMS; a++) {
		int conc_a, stalled = 0;

		if (a > 0)
			sh = start_vm(fd, a, &low);
		conc_a = ncpu > 1 && concurrent(low, &stalled);
		clk0 = intrcnt(clk);
		ipi0 = ipi >= 0 ? intrcnt(ipi) : 0;
		t0 = now_ns();
		terminate_vm(fd, sh->vm_id);
		ns = now_ns() - t0;
		dclk = intrcnt(clk) - clk0;
		dipi = ipi >= 0 ? intrcnt(ipi) - ipi0 : 0;
		c0 = guest_u32(low, COUNTER_GPA);
		usleep(100000);
		c1 = guest_u32(low, COUNTER_GPA);
		printf("TERM %d: vcpu %s; TERM returned after %llu us, %llu "
		    "clock and %llu IPI interrupts in between; count %u, then "
		    "%u 0.1 s later; %d runs, %d returned VM_EXIT_NONE\n", a,
		    conc_a ? "in guest mode on the other CPU" :
		    "not running beside this process",
		    (unsigned long long)ns / 1000, (unsigned long long)dclk,
		    (unsigned long long)dipi, c0, c1, sh->nruns, sh->nnone);
		CHECK(c0 == c1);
		end_vm(fd, a, sh);
		if (ncpu == 1 || (conc_a && dclk == 0 && dipi > 0)) {
			term_proven = 1;
			break;
		}
	}
	if (ncpu > 1)
		printf("TERM: %s\n", term_proven ? "a window without a clock "
		    "interrupt: the kick" : "every window had a clock "
		    "interrupt (not counted as a failure)");
	printf("suspend: the machine's (acpi(4)), not reachable through "
	    "vmm(4)'s ioctls; testbed only\n");
	close(fd);
	return (0);
}

#endif /* VMMTEST_TESTBED */
