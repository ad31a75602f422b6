/*
 * make obsd-bench on a machine with two CPUs (qemu-svm-smp2): an
 * interrupt vmd asserts while the guest spins without exits, from the
 * VMM_IOC_INTR to the guest's handler, for the C driver of OpenBSD 7.6
 * and the Rust one alike (built against either ABI's headers, as
 * vsexits.c).
 *
 * Two processes, as vmd's: this one is the VM process, running the vcpu
 * in vmd's vcpu loop (the PIC's state, here one flag in a shared page,
 * decides vrp_inject and vrp_intr_pending before every VMM_IOC_RUN); a
 * child is the event thread, which sees the guest's memory through
 * SHAREMEM.  The guest (real mode) sets its IVT entry, enables
 * interrupts, reports with an OUT, then counts at 0x600 for ever with no
 * exits; its handler reads the TSC into 0x500 and reports with an OUT.
 * Per sample the child waits until the guest's count moves (the vcpu is
 * in guest mode on the other CPU), reads the TSC, marks the interrupt
 * asserted and issues VMM_IOC_INTR (vip_intr 1), as vmd's
 * vcpu_assert_irq does.  Both drivers store the request and send an IPI
 * (X86_IPI_NOP) to the CPU the vcpu is in guest mode on; the guest exits
 * there (SVM_VMEXIT_INTR / VMX_EXIT_EXTINT), RUN sees the pending
 * interrupt with the guest able to take it and returns to this loop,
 * which injects the vector with the next RUN; the handler reads the TSC.
 *
 * The clock: under QEMU with "-icount shift=0" the TSC is QEMU's virtual
 * clock, one tick per instruction of either CPU.  QEMU then runs the two
 * CPUs in turn on one thread: an IPI marks its target but does not make
 * QEMU switch; a PAUSE (or HLT) does.  So every wait here spins on PAUSE
 * (the guest's loop too), and the interval is the INTR system call on
 * the child's CPU up to its first PAUSE after it, then the vcpu's CPU
 * from the kick's exit to the handler: the same instructions every time
 * (the median of INTR_SAMPLES hides the first sample and a clock tick).
 * Neither driver intercepts RDTSC or sets a TSC offset, so the guest
 * reads the same clock.  Prints:
 *  - intr-to-guest: the child's TSC before VMM_IOC_INTR to the handler's;
 *  - intr-to-exit: the same start to this process's return from the RUN
 *    the kick ended;
 *  - intr-ioctl (the child): the VMM_IOC_INTR system call alone;
 * and a line saying after which exit each interrupt was injected (the
 * kick's, a host interrupt's exit, is the path measured; VM_EXIT_NONE,
 * the vcpu giving its CPU back, would be another).  With one CPU the
 * child runs only when the vcpu gives the CPU up and the figure would be
 * the scheduler's quantum: SKIPPED then.
 */
#include "vmmtest.h"
#include "median.h"

#include <sys/sysctl.h>

#include <signal.h>

#define INTR_SAMPLES	31
#define VECTOR		0x30
#define PORT_READY	0x90	/* the guest's interrupts are on */
#define PORT_INTR	0x91	/* the handler ran */
#define TSC_GPA		0x500	/* the handler's TSC */
#define COUNT_GPA	0x600	/* the spin loop's count */

#define STR(x)		#x
#define XSTR(x)		STR(x)

extern const unsigned char i_reset[], i_reset_end[];
extern const unsigned char i_code[], i_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"i_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"i_reset_end:\n"
"i_code:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	mov	%ax, %ss\n"
"	mov	$0x7000, %sp\n"
/*
 * The stack's page mapped now: an interrupt whose delivery (its pushes)
 * takes a nested page fault is lost by 1.37 (README difference 27).
 */
"	push	%ax\n"
"	pop	%ax\n"
"	movw	$(0x100 + i_isr - i_code), (" XSTR(VECTOR) " * 4)\n"
"	movw	$0xf000, (" XSTR(VECTOR) " * 4 + 2)\n"
"	sti\n"
"	mov	$" XSTR(PORT_READY) ", %dx\n"
"	out	%al, %dx\n"
"1:	incl	(" XSTR(COUNT_GPA) ")\n"
"	pause\n"
"	jmp	1b\n"
"i_isr:\n"
"	rdtsc\n"
"	mov	%eax, (" XSTR(TSC_GPA) ")\n"
"	mov	%edx, (" XSTR(TSC_GPA) " + 4)\n"
"	mov	$" XSTR(PORT_INTR) ", %dx\n"
"	out	%al, %dx\n"
"	iret\n"
"i_code_end:\n"
"	.code64\n"
"	.popsection\n");

/* Between the two processes: a MAP_SHARED page made before the fork. */
struct shared {
	volatile uint32_t go;		/* the sample the vcpu waits for */
	volatile int	 asserted;	/* vmd's PIC: the interrupt is up */
	volatile uint64_t t0;		/* the child's TSC before its INTR */
};

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (((uint64_t)hi << 32) | lo);
}

static uint32_t
guest_u32(vaddr_t low, paddr_t gpa)
{
	return (*(volatile uint32_t *)(low + gpa));
}

/*
 * The event thread's part, in the child: VMM_IOC_INTR for sample n once
 * the vcpu waits for it in guest mode.  Every wait spins on PAUSE:
 * QEMU, which runs the two CPUs in turn, goes on with the other at a
 * PAUSE (an IPI alone does not make it switch; the guest's loop has one
 * too), so the interval measured is the INTR's path on this CPU up to
 * its first PAUSE after the system call, then the vcpu's.  If the two
 * processes share a CPU, it sleeps now and then so that the other runs.
 * Its own figure: intr-ioctl, the VMM_IOC_INTR system call (median).
 */
static void
wait_pause(long *spins)
{
	__asm__ volatile("pause" ::: "memory");
	if (++*spins > 1000000) {
		usleep(1000);
		*spins = 0;
	}
}

static int
intr_process(int fd, uint32_t id, struct shared *sh)
{
	struct vm_create_params layout;
	struct vm_intr_params vip;
	vaddr_t va[VMM_MAX_MEM_RANGES];
	uint64_t t0, t1, ioc[INTR_SAMPLES];
	uint32_t c0, n;
	long spins;

	memset(&layout, 0, sizeof(layout));
	vmd_memmap(&layout, MB(64));
	if (vmm_sharemem(fd, id, &layout, va) == -1)
		err(1, "VMM_IOC_SHAREMEM");
	memset(&vip, 0, sizeof(vip));
	vip.vip_vm_id = id;
	vip.vip_vcpu_id = 0;
	vip.vip_intr = 1;
	for (n = 1; n <= INTR_SAMPLES; n++) {
		for (spins = 0; sh->go != n;)
			wait_pause(&spins);
		/* In guest mode: the count moves. */
		c0 = guest_u32(va[0], COUNT_GPA);
		for (spins = 0; guest_u32(va[0], COUNT_GPA) == c0;)
			wait_pause(&spins);
		t0 = rdtsc();
		sh->t0 = t0;
		sh->asserted = 1;
		if (ioctl(fd, VMM_IOC_INTR, &vip) == -1)
			err(1, "VMM_IOC_INTR");
		t1 = rdtsc();
		ioc[n - 1] = t1 - t0;
	}
	printf("bench intr-ioctl %llu insns\n",
	    (unsigned long long)median(ioc, INTR_SAMPLES));
	fflush(stdout);
	return (0);
}

static pid_t child;

static void
kill_child(void)
{
	if (child > 0)
		kill(child, SIGKILL);
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_run_params vrp;
	struct vm_exit *ve;
	struct shared *sh;
	uint64_t to_guest[INTR_SAMPLES], to_exit[INTR_SAMPLES], tg, t_ret, t_start;
	uint32_t id, n;
	uint16_t r, before;
	size_t len;
	int mib[2] = { CTL_HW, HW_NCPU };
	int fd, ncpu, irqready = 0, status, nkick = 0, nnone = 0, nother = 0;
	int runs, maxruns = 0;
	char *low;

	fd = vmm_open_or_skip();
	len = sizeof(ncpu);
	if (sysctl(mib, 2, &ncpu, &len, NULL, 0) == -1)
		err(1, "sysctl hw.ncpu");
	if (ncpu < 2) {
		printf("SKIPPED: intr-to-guest needs two CPUs (hw.ncpu %d): "
		    "with one, the figure would be the scheduler's quantum\n",
		    ncpu);
		return (0);
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANON, -1, 0);
	if (sh == MAP_FAILED)
		err(1, "mmap");
	memset((void *)sh, 0, sizeof(*sh));
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	id = create_vm(fd, "bench-intr", &vcp);
	bios_boot(fd, id, &vcp, i_reset, i_reset_end, i_code, i_code_end);
	low = (char *)vcp.vcp_memranges[0].vmr_va;

	/* To the guest's OUT after its STI. */
	while ((r = run_vcpu(fd, id, ve)) == VM_EXIT_NONE)
		continue;
	if (!is_io_exit(r) || ve->vei.vei_port != PORT_READY)
		errx(1, "exit 0x%x port 0x%x, want an OUT to 0x%x", r,
		    ve->vei.vei_port, PORT_READY);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	irqready = 1;

	fflush(stdout);
	switch ((child = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		_exit(intr_process(fd, id, sh));
	}
	atexit(kill_child);

	for (n = 0; n < INTR_SAMPLES; n++) {
		before = VM_EXIT_NONE;
		t_ret = 0;
		sh->go = n + 1;
		t_start = rdtsc();
		for (runs = 0;; runs++) {
			if (rdtsc() - t_start > 5000000000ULL)
				errx(1, "sample %u: no handler after %d RUNs "
				    "(last exit 0x%x, irqready %d, asserted %d)",
				    n, runs, r, irqready, sh->asserted);
			/* vmd's vcpu_run_loop, with the PIC as one flag. */
			memset(&vrp, 0, sizeof(vrp));
			vrp.vrp_vm_id = id;
			vrp.vrp_vcpu_id = 0;
			vrp.vrp_exit = ve;
			vrp.vrp_inject.vie_type = VCPU_INJECT_NONE;
			if (irqready && sh->asserted) {
				vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
				vrp.vrp_inject.vie_vector = VECTOR;
				sh->asserted = 0;
			}
			vrp.vrp_intr_pending = sh->asserted;
			if (ioctl(fd, VMM_IOC_RUN, &vrp) == -1)
				err(1, "VMM_IOC_RUN");
			if (t_ret == 0 && sh->asserted) {
				t_ret = rdtsc();
				before = vrp.vrp_exit_reason;
			}
			irqready = vrp.vrp_irqready;
			r = vrp.vrp_exit_reason;
			if (is_io_exit(r)) {
				if (ve->vei.vei_port != PORT_INTR)
					errx(1, "OUT to 0x%x, want 0x%x",
					    ve->vei.vei_port, PORT_INTR);
				ve->vrs.vrs_gprs[VCPU_REGS_RIP] +=
				    ve->vei.vei_insn_len;
				break;
			}
			if (r != VM_EXIT_NONE && r != SVM_VMEXIT_INTR &&
			    r != VMX_EXIT_EXTINT && r != SVM_VMEXIT_VINTR &&
			    r != VMX_EXIT_INT_WINDOW)
				errx(1, "sample %u: unexpected exit 0x%x", n, r);
		}
		if (runs > maxruns)
			maxruns = runs;
		memcpy(&tg, low + TSC_GPA, sizeof(tg));
		if (t_ret == 0 || tg <= sh->t0 || t_ret <= sh->t0)
			errx(1, "sample %u: TSC %llu before the INTR's %llu "
			    "(return %llu)", n, (unsigned long long)tg,
			    (unsigned long long)sh->t0,
			    (unsigned long long)t_ret);
		to_guest[n] = tg - sh->t0;
		to_exit[n] = t_ret - sh->t0;
		if (before == SVM_VMEXIT_INTR || before == VMX_EXIT_EXTINT)
			nkick++;
		else if (before == VM_EXIT_NONE)
			nnone++;
		else
			nother++;
	}
	if (waitpid(child, &status, 0) == -1)
		err(1, "waitpid");
	child = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	printf("intr: %d samples; the interrupt injected after a host "
	    "interrupt's exit (the kick) %d times, after VM_EXIT_NONE %d, "
	    "after another exit %d; at most %d RUNs to the handler\n",
	    INTR_SAMPLES, nkick, nnone, nother, maxruns + 1);
	printf("bench intr-to-exit %llu insns\n",
	    (unsigned long long)median(to_exit, INTR_SAMPLES));
	printf("bench intr-to-guest %llu insns\n",
	    (unsigned long long)median(to_guest, INTR_SAMPLES));
	terminate_vm(fd, id);
	free(ve);
	close(fd);
	return (0);
}
