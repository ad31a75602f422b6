/*
 * Host interrupts and the scheduler while a guest runs.  A vcpu must
 * never hold off the host's clock interrupt, or the scheduler's request
 * to yield, for longer than one exit:
 *
 *  1. a guest looping on CPUID (an exit the kernel handles and goes
 *     straight back from), with interrupts off in the guest and then on:
 *     the host's clock keeps ticking while the vcpu is in VMM_IOC_RUN,
 *     and RUN returns VM_EXIT_NONE when the scheduler wants the CPU back
 *     (roundrobin's SPCF_SHOULDYIELD); vmd just runs it again, as here,
 *     until the guest's OUT after the loop;
 *  2. a guest spinning with interrupts on and no exits of its own: RUN
 *     returns VM_EXIT_NONE once the scheduler asks for the CPU (the host
 *     interrupt exits are what let the run loop see it).
 *
 * In the testbed the clock ticks every 1,000,000 instructions and
 * roundrobin asks for the CPU after 10 to 20 ticks without a switch (see
 * regress/testbed/README.md); the program reads the tick counter around
 * each RUN and runs each loop to its end.  On OpenBSD, where a CPUID exit
 * costs anything from a microsecond (hardware) to 25 (QEMU), the loop is
 * longer than any machine gets through in a few seconds and the program
 * stops it after the second RUN that returned VM_EXIT_NONE: a vcpu that
 * held off the scheduler (issue 14: Bochs, guest IF clear, before the
 * fix) makes it run for hours instead.
 */
#include "vmmtest.h"

extern const unsigned char hc_reset[], hc_reset_end[];
extern const unsigned char hc_cpuid[], hc_cpuid_end[];
extern const unsigned char hc_spin[], hc_spin_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"hc_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"hc_reset_end:\n"
/* (0x504) CPUIDs, counted at 0x500, IF from (0x508); then OUT 0x99. */
"hc_cpuid:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	mov	(0x504), %esi\n"
"	cmpb	$0, (0x508)\n"
"	je	1f\n"
"	sti\n"
"1:	xor	%eax, %eax\n"
"	cpuid\n"
"	incl	(0x500)\n"
"	dec	%esi\n"
"	jnz	1b\n"
"	cli\n"
"	mov	$0x99, %dx\n"
"	out	%al, %dx\n"
"2:	jmp	2b\n"
"hc_cpuid_end:\n"
/* Interrupts on, no exits: count at 0x500 for ever. */
"hc_spin:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	sti\n"
"1:	incl	(0x500)\n"
"	jmp	1b\n"
"hc_spin_end:\n"
"	.code64\n"
"	.popsection\n"
);

#define COUNTER_GPA	0x500
#define NCPUID_GPA	0x504
#define IF_GPA		0x508
/*
 * CPUIDs per loop (29 to 40 ticks' worth in the testbed), and after how
 * many yields the program stops it (0: at its end).
 */
#ifdef VMMTEST_TESTBED
#define NCPUID		100000
#define NYIELDS		0
#else
#define NCPUID		1000000000
#define NYIELDS		2
#endif

static inline uint32_t
guest_u32(struct vm_create_params *vcp, paddr_t gpa)
{
	return (*(volatile uint32_t *)(vcp->vcp_memranges[0].vmr_va + gpa));
}

static inline unsigned int
ticks_now(void)
{
#ifdef VMMTEST_TESTBED
	return (tb_ticks());
#else
	return (0);
#endif
}

/* A new VM running `code`; `arg` and `intr` for hc_cpuid. */
static uint32_t
new_vm(int fd, struct vm_create_params *vcp, const unsigned char *code,
    const unsigned char *code_end, uint32_t arg, uint8_t intr)
{
	uint32_t id;

	id = create_vm(fd, "hostclock", vcp);
	bios_boot(fd, id, vcp, hc_reset, hc_reset_end, code, code_end);
	guest_write(vcp, NCPUID_GPA, &arg, sizeof(arg));
	guest_write(vcp, IF_GPA, &intr, sizeof(intr));
	return (id);
}

/*
 * 1: NCPUID CPUIDs with the guest's IF as given, run as vmd runs a vcpu.
 * Returns how many RUNs returned VM_EXIT_NONE; *ticks: host clock ticks
 * counted while the vcpu was in RUN.
 */
static int
cpuid_loop(int fd, uint8_t intr, unsigned int *ticks)
{
	struct vm_create_params vcp;
	struct vm_exit ve;
	unsigned int t0, most = 0;
	uint32_t id;
	uint16_t r;
	int nnone = 0, nruns = 0;

	id = new_vm(fd, &vcp, hc_cpuid, hc_cpuid_end, NCPUID, intr);
	memset(&ve, 0, sizeof(ve));
	*ticks = 0;
	for (;;) {
		t0 = ticks_now();
		r = run_vcpu(fd, id, &ve);
		t0 = ticks_now() - t0;
		*ticks += t0;
		if (t0 > most)
			most = t0;
		nruns++;
		if (r != VM_EXIT_NONE)
			break;
		if (++nnone == NYIELDS)
			break;
	}
	printf("cpuid loop, guest IF=%d: %u CPUIDs in %d runs, %d returned "
	    "VM_EXIT_NONE", intr, guest_u32(&vcp, COUNTER_GPA), nruns, nnone);
#ifdef VMMTEST_TESTBED
	printf("; %u host ticks during the runs (at most %u in one)", *ticks,
	    most);
#endif
	printf("\n");
	if (NYIELDS == 0) {
		CHECK(is_io_exit(r) && ve.vei.vei_port == 0x99);
		CHECK(guest_u32(&vcp, COUNTER_GPA) == NCPUID);
	} else
		CHECK(nnone == NYIELDS);
#ifdef VMMTEST_TESTBED
	/* No run outlasts the scheduler's request (two periods of 10). */
	CHECK(most <= 20);
#endif
	terminate_vm(fd, id);
	return (nnone);
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_exit ve;
	unsigned int ticks0, ticks1, t0;
	uint32_t id, count;
	uint16_t r;
	int fd, nnone0, nnone1;

	fd = vmm_open_or_skip();

	/* 1. CPUID loops: interrupts off in the guest, then on. */
	nnone0 = cpuid_loop(fd, 0, &ticks0);
	nnone1 = cpuid_loop(fd, 1, &ticks1);

	/* 2. A guest that never exits on its own. */
	id = new_vm(fd, &vcp, hc_spin, hc_spin_end, 0, 1);
	memset(&ve, 0, sizeof(ve));
	t0 = ticks_now();
	r = run_vcpu(fd, id, &ve);
	t0 = ticks_now() - t0;
	count = guest_u32(&vcp, COUNTER_GPA);
	printf("spinning guest: RUN returned 0x%x, guest counter %u", r,
	    count);
#ifdef VMMTEST_TESTBED
	printf(", after %u host ticks", t0);
#endif
	printf("\n");
	terminate_vm(fd, id);
	close(fd);

	/*
	 * A CPUID loop takes 28 to 39 ticks' worth of instructions in the
	 * testbed (280 to 390 per CPUID, host and guest); roundrobin asks for
	 * the CPU after 20 ticks without a switch at the latest.
	 */
#ifdef VMMTEST_TESTBED
	CHECK(ticks0 >= 20 && ticks1 >= 20);
#endif
	CHECK(nnone0 >= 1 && nnone1 >= 1);
	CHECK(r == VM_EXIT_NONE);
	CHECK(count > 0);
#ifdef VMMTEST_TESTBED
	/*
	 * roundrobin asks once the thread has had two round-robin periods
	 * (10 ticks) without a switch; the first may have begun before.
	 */
	CHECK(t0 >= 1 && t0 <= 20);
#endif
	return (0);
}
