/*
 * kern_clock.c: the host clock interrupt, the scheduler's round robin
 * and inter-processor interrupts.
 *
 * The local APIC timer runs in periodic mode and interrupts every
 * TB_TICK_COUNT counts with the divider at 1.  Under Bochs (its default
 * instruction clock) and under QEMU with "-icount shift=0" (how run
 * starts it) the APIC timer, like the TSC, advances by one per
 * instruction executed, so a tick comes every TB_TICK_COUNT
 * instructions: the same points of a run every time.  The testbed calls
 * that 1/hz seconds (hz = 100).
 *
 * Each tick runs hardclock(): ticks counts up and, every hz/10 ticks,
 * roundrobin() does what OpenBSD's does for the running thread: the
 * first time it marks it SPCF_SEENRR, the next time also
 * SPCF_SHOULDYIELD, so a thread that kept the CPU for a whole round-robin
 * period without switching is asked to yield.  A switch clears both
 * (kern_sched.c, as mi_switch() does); so does the preemption on the way
 * back from a system call (tb_userret(), OpenBSD's userret() calling
 * preempt()).
 *
 * Interrupts are enabled once the clock runs, wherever OpenBSD has them
 * enabled: the test runner, system calls and the regress programs
 * (everything runs at IPL_NONE).  Code that must not be interrupted
 * disables them itself, as the driver does around its world switch.  The
 * clock never switches threads: like OpenBSD's kernel, the testbed is not
 * preempted in kernel mode.
 *
 * x86_send_ipi() delivers IPIs through the local APIC too: the testbed
 * has one CPU, so an IPI can only go to that CPU itself.  X86_IPI_NOP
 * does nothing but interrupt (a vcpu in guest mode on the target CPU
 * exits).
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/kernel.h>
#include <sys/proc.h>
#include <sys/atomic.h>
#include <sys/sched.h>
#include <machine/cpu.h>
#include <machine/cpufunc.h>
#include <machine/intr.h>
#include <machine/pmap.h>

#include "tb.h"

/* Local APIC registers (xAPIC, memory-mapped). */
#define LAPIC_ID	0x020
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ICRLO	0x300
#define LAPIC_ICRHI	0x310
#define LAPIC_LVTT	0x320
#define LAPIC_TICR	0x380
#define LAPIC_TCCR	0x390
#define LAPIC_TDCR	0x3e0

#define SVR_ENABLE	0x100
#define LVT_MASKED	0x10000
#define LVTT_PERIODIC	0x20000
#define TDCR_DIV1	0xb
#define ICR_SELF	0x40000		/* destination shorthand: self */
#define ICR_PENDING	0x1000		/* delivery status */

#define MSR_APICBASE	0x1b
#define APICBASE_EN	0x800
#define APICBASE_X2APIC	0x400

static volatile uint32_t *lapic;
static int	tb_clock_running;
static int	rrticks_left;
static u_int	tb_ipis_sent, tb_ipis_taken;

static inline uint32_t
lapic_read(int reg)
{
	return (lapic[reg / 4]);
}

static inline void
lapic_write(int reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

static void
lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/*
 * OpenBSD's roundrobin(): the running thread has now seen a round-robin
 * period; the second one without a switch in between asks it to yield.
 */
static void
roundrobin(struct cpu_info *ci)
{
	struct schedstate_percpu *spc = &ci->ci_schedstate;

	if (ci->ci_curproc == NULL)
		return;
	if (spc->spc_schedflags & SPCF_SEENRR)
		atomic_setbits_int(&spc->spc_schedflags,
		    SPCF_SEENRR | SPCF_SHOULDYIELD);
	else
		atomic_setbits_int(&spc->spc_schedflags, SPCF_SEENRR);
}

static void
hardclock(void)
{
	ticks++;
	if (--rrticks_left <= 0) {
		rrticks_left = hz / 10;
		roundrobin(curcpu());
	}
}

/* Called by tb_trap() for the vectors of this file; 1 if it was one. */
int
tb_intr(int vec)
{
	switch (vec) {
	case TB_VEC_CLOCK:
		hardclock();
		lapic_eoi();
		return (1);
	case TB_VEC_IPI:
		tb_ipis_taken++;
		lapic_eoi();
		return (1);
	case TB_VEC_SPURIOUS:
		return (1);			/* no EOI for spurious */
	}
	return (0);
}

/* Start the clock and enable interrupts (at the end of the boot). */
void
tb_clock_init(void)
{
	uint64_t base = rdmsr(MSR_APICBASE);

	if (base & APICBASE_X2APIC)
		panic("clock: the local APIC is in x2APIC mode");
	if ((base & APICBASE_EN) == 0)
		wrmsr(MSR_APICBASE, base | APICBASE_EN);
	lapic = (volatile uint32_t *)PMAP_DIRECT_MAP(base & ~0xfffULL);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | TB_VEC_SPURIOUS);
	lapic_write(LAPIC_TDCR, TDCR_DIV1);
	lapic_write(LAPIC_LVTT, LVTT_PERIODIC | TB_VEC_CLOCK);
	rrticks_left = hz / 10;
	tb_clock_start();
	printf("# clock: local APIC timer, a tick every %d counts, hz %d\n",
	    TB_TICK_COUNT, hz);
	intr_enable();
}

/* Stop and restart the clock (regress programs: tb_clock(0/1)). */
void
tb_clock_stop(void)
{
	if (lapic == NULL)
		return;
	lapic_write(LAPIC_TICR, 0);
	tb_clock_running = 0;
}

void
tb_clock_start(void)
{
	if (lapic == NULL)
		return;
	lapic_write(LAPIC_TICR, TB_TICK_COUNT);
	tb_clock_running = 1;
}

int
tb_clock_is_running(void)
{
	return (tb_clock_running);
}

u_int
tb_ipi_count(int taken)
{
	return (taken ? tb_ipis_taken : tb_ipis_sent);
}

/*
 * OpenBSD's x86_send_ipi(): only X86_IPI_NOP is known here, and the only
 * CPU is the caller's, so the IPI goes to self.
 */
int
x86_send_ipi(struct cpu_info *ci, int ipimask)
{
	u_long s;

	if (ci != curcpu() || lapic == NULL)
		return (ENOENT);
	if (ipimask != X86_IPI_NOP)
		panic("x86_send_ipi: IPI 0x%x not supported", ipimask);
	s = intr_disable_save();
	while (lapic_read(LAPIC_ICRLO) & ICR_PENDING)
		;
	lapic_write(LAPIC_ICRHI, 0);
	lapic_write(LAPIC_ICRLO, ICR_SELF | TB_VEC_IPI);
	tb_ipis_sent++;
	intr_restore(s);
	return (0);
}

/* To every other CPU: there is none. */
void
x86_broadcast_ipi(int ipimask)
{
	(void)ipimask;
}
