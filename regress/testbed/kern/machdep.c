/*
 * machdep.c: descriptor tables, traps, CPU identification and the way
 * out of the emulators.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/proc.h>
#include <machine/cpu.h>
#include <machine/cpufunc.h>
#include <machine/fpu.h>
#include <machine/pmap.h>
#include <machine/segments.h>

#include "tb.h"

struct trapframe {
	uint64_t	tf_r15, tf_r14, tf_r13, tf_r12;
	uint64_t	tf_r11, tf_r10, tf_r9, tf_r8;
	uint64_t	tf_rbp, tf_rdi, tf_rsi, tf_rdx;
	uint64_t	tf_rcx, tf_rbx, tf_rax;
	uint64_t	tf_trapno, tf_err;
	uint64_t	tf_rip, tf_cs, tf_rflags, tf_rsp, tf_ss;
};

struct tss64 {
	uint32_t	tss_reserved0;
	uint64_t	tss_rsp[3];
	uint64_t	tss_reserved1;
	uint64_t	tss_ist[7];
	uint64_t	tss_reserved2;
	uint16_t	tss_reserved3;
	uint16_t	tss_iobase;
} __packed;

struct gate {
	uint16_t	g_off0;
	uint16_t	g_sel;
	uint8_t		g_ist;
	uint8_t		g_type;
	uint16_t	g_off1;
	uint32_t	g_off2;
	uint32_t	g_zero;
} __packed;

struct region_desc {
	uint16_t	rd_limit;
	uint64_t	rd_base;
} __packed;

#define SEL_KCODE	0x08
#define SEL_TSS		0x20
#define GATE_INTR	0x8e		/* present, DPL 0, interrupt gate */
#define IST_PF		1
#define IST_DF		2

#define T_NMI		2
#define T_DOUBLEFLT	8
#define T_PAGEFLT	14

extern uint64_t		tb_gdt[];
extern char		tb_trap_stubs[];
extern char		tb_gdt_end[];

void	tb_xsave(void *, uint64_t);
void	tb_xrstor(void *, uint64_t);
void	tb_fxsave(void *);
void	tb_fxrstor(void *);

struct cpu_info		cpu_info_primary;
int			ncpus = 1;
uint64_t		xsave_mask;
static uint64_t		xsave_supported;	/* CPUID 0xd: valid XCR0 bits */
static struct savefpu	fpu_initstate;		/* reset image */
int			hz = 100;
int			tick = 10000;
int			ticks;
int			cold = 1;

struct tb_kstack_catch	*tb_kstack_catch;

static struct tss64	tb_tss;
static struct gate	tb_idt[256];
static char		ist_pf_stack[32 * 1024] __aligned(16);
static char		ist_df_stack[16 * 1024] __aligned(16);

static const char *trap_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range", "invalid opcode", "device not available",
	"double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 FP error", "alignment check",
	"machine check", "SIMD FP error", "virtualization", "control protection",
	"reserved", "reserved", "reserved", "reserved", "reserved", "reserved",
	"hypervisor injection", "VMM communication", "security", "reserved"
};

static void
set_gate(int vec, int ist)
{
	uint64_t off = (uint64_t)(tb_trap_stubs + 16 * vec);
	struct gate *g = &tb_idt[vec];

	g->g_off0 = off & 0xffff;
	g->g_sel = SEL_KCODE;
	g->g_ist = ist;
	g->g_type = GATE_INTR;
	g->g_off1 = (off >> 16) & 0xffff;
	g->g_off2 = off >> 32;
	g->g_zero = 0;
}

static void
fpu_init(struct cpu_info *ci)
{
	uint64_t cr0, cr4, xcr0;
	uint32_t a, b, c, d;

	/* x87/SSE usable (by the driver's FPU save code), never by us. */
	cr0 = rcr0();
	cr0 &= ~0xcUL;			/* EM, TS */
	cr0 |= 0x2UL | 0x20UL;		/* MP, NE */
	lcr0(cr0);
	cr4 = rcr4() | 0x200 | 0x400;	/* OSFXSR, OSXMMEXCPT */
	if (ci->ci_feature_ecxflags & (1U << 26))
		cr4 |= 0x40000;		/* OSXSAVE */
	lcr4(cr4);
	__asm volatile("fninit");
	if (ci->ci_feature_ecxflags & (1U << 26)) {
		CPUID_LEAF(0xd, 0, a, b, c, d);
		xsave_supported = ((uint64_t)d << 32) | a;
		xcr0 = xsave_supported & (XFEATURE_X87 | XFEATURE_SSE |
		    XFEATURE_AVX);
		xsetbv(0, xcr0);
		ci->ci_xsave_mask = xcr0;
		xsave_mask = xcr0;
	}

	/*
	 * Protection keys, as OpenBSD's cpu_init enables them: CR4.PKE
	 * when the CPU has PKU, and PKRU as the kernel keeps it for every
	 * process (PGK_VALUE: key 0 accessible, keys 1-15 not), so that a
	 * guest's WRPKRU left in the host would show (regress/vmm/pkru.c).
	 */
	CPUID_LEAF(0, 0, a, b, c, d);
	if (a >= 7) {
		CPUID_LEAF(7, 0, a, b, c, d);
		if (c & (1U << 3)) {		/* SEFF0ECX_PKU */
			lcr4(rcr4() | 0x400000);	/* CR4_PKE */
			__asm volatile("wrpkru" : : "a"(0xfffffffcU), "c"(0),
			    "d"(0));
		}
	}

	/* The state fpusavereset() leaves behind. */
	fpu_initstate.fp_fxsave.fx_fcw = __INITIAL_NPXCW__;
	fpu_initstate.fp_fxsave.fx_mxcsr = __INITIAL_MXCSR__;
}

void
fpusavereset(struct savefpu *sfp)
{
	if (xsave_mask) {
		tb_xsave(sfp, xsave_mask);
		/* Components not in XSTATE_BV are set to their init state. */
		tb_xrstor(&fpu_initstate, xsave_mask);
	} else {
		tb_fxsave(sfp);
		tb_fxrstor(&fpu_initstate);
	}
}

void
xrstor_kern(struct savefpu *sfp, uint64_t mask)
{
	if (xsave_mask)
		tb_xrstor(sfp, mask);
	else
		tb_fxrstor(sfp);
}

/* Load XCR0 on behalf of a guest; refuse values the CPU would #GP on. */
int
xsetbv_user(uint32_t reg, uint64_t mask)
{
	if (reg != 0 || (mask & XFEATURE_X87) == 0 ||
	    (mask & ~xsave_supported) != 0 ||
	    ((mask & XFEATURE_AVX) && (mask & XFEATURE_SSE) == 0))
		return (EINVAL);
	xsetbv(reg, mask);
	return (0);
}

/*
 * Move the 8259 PICs off the exception vectors (to 0x20-0x2f) and mask
 * every line: the only device interrupt is the local APIC timer
 * (kern_clock.c).
 */
static void
pic_init(void)
{
	outb(0x20, 0x11);		/* ICW1: init, ICW4 follows */
	outb(0xa0, 0x11);
	outb(0x21, 0x20);		/* ICW2: vector base */
	outb(0xa1, 0x28);
	outb(0x21, 0x04);		/* ICW3: slave on IRQ2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01);		/* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, 0xff);		/* mask all */
	outb(0xa1, 0xff);
}

void
cpu_init(void)
{
	struct region_desc rd;
	uint64_t base = (uint64_t)&tb_tss;
	int i;

	/* TSS: interrupt stacks for #PF and #DF/NMI. */
	memset(&tb_tss, 0, sizeof(tb_tss));
	tb_tss.tss_ist[IST_PF - 1] = (uint64_t)(ist_pf_stack +
	    sizeof(ist_pf_stack));
	tb_tss.tss_ist[IST_DF - 1] = (uint64_t)(ist_df_stack +
	    sizeof(ist_df_stack));
	tb_tss.tss_iobase = sizeof(tb_tss);
	tb_gdt[SEL_TSS / 8] = (sizeof(tb_tss) - 1) |
	    ((base & 0xffffff) << 16) | (0x89ULL << 40) |
	    (((base >> 24) & 0xff) << 56);
	tb_gdt[SEL_TSS / 8 + 1] = base >> 32;
	pic_init();
	__asm volatile("ltr %w0" : : "r" (SEL_TSS));

	for (i = 0; i < 256; i++)
		set_gate(i, 0);
	set_gate(T_PAGEFLT, IST_PF);
	set_gate(T_DOUBLEFLT, IST_DF);
	set_gate(T_NMI, IST_DF);
	rd.rd_limit = sizeof(tb_idt) - 1;
	rd.rd_base = (uint64_t)tb_idt;
	__asm volatile("lidt %0" : : "m" (rd));

	curcpu()->ci_gdt = tb_gdt;
	if (tb_gdt_end - (char *)tb_gdt != GDT_SIZE)
		panic("GDT_SIZE %d does not match the GDT (%ld bytes)",
		    GDT_SIZE, (long)(tb_gdt_end - (char *)tb_gdt));
	cpu_identify();
	fpu_init(curcpu());
}

/*
 * As OpenBSD's cpu.c does at attach: a VMXON page for each CPU with VMX
 * (the testbed has one CPU).  Reserved for good, like the kernel's.
 */
void
cpu_init_vmm(void)
{
	struct cpu_info *ci = curcpu();

	if (((ci->ci_feature_ecxflags >> 5) & 1) == 0)
		return;
	ci->ci_vmxon_region_pa = pmem_reserve(1);
	ci->ci_vmxon_region = (void *)PMAP_DIRECT_MAP(ci->ci_vmxon_region_pa);
}

void
cpu_identify(void)
{
	struct cpu_info *ci = &cpu_info_primary;
	uint32_t a, b, c, d, svm_edx = 0;
	int vmx, svm, ept = 0;

	ci->ci_self = ci;
	ci->ci_flags = CPUF_BSP | CPUF_PRIMARY | CPUF_RUNNING;

	CPUID(0, a, b, c, d);
	ci->ci_cpuid_level = a;
	memcpy(ci->ci_vendor, &b, 4);
	memcpy(ci->ci_vendor + 4, &d, 4);
	memcpy(ci->ci_vendor + 8, &c, 4);
	ci->ci_vendor[12] = '\0';

	CPUID(1, a, b, c, d);
	ci->ci_signature = a;
	ci->ci_family = (a >> 8) & 0xf;
	ci->ci_model = (a >> 4) & 0xf;
	if (ci->ci_family == 0xf)
		ci->ci_family += (a >> 20) & 0xff;
	if (ci->ci_family >= 0x6)
		ci->ci_model |= ((a >> 16) & 0xf) << 4;
	ci->ci_apicid = b >> 24;
	ci->ci_feature_ecxflags = c;
	ci->ci_feature_flags = d;

	if (ci->ci_cpuid_level >= 7) {
		CPUID_LEAF(7, 0, a, b, c, d);
		ci->ci_feature_sefflags_ebx = b;
		ci->ci_feature_sefflags_ecx = c;
		ci->ci_feature_sefflags_edx = d;
	}

	CPUID(0x80000000, a, b, c, d);
	ci->ci_pnfeatset = a;
	if (a >= 0x80000001) {
		CPUID(0x80000001, a, b, c, d);
		ci->ci_efeature_ecx = c;
		ci->ci_feature_eflags = d;
	}

	vmx = (ci->ci_feature_ecxflags >> 5) & 1;
	svm = (ci->ci_efeature_ecx >> 2) & 1;
	if (svm && ci->ci_pnfeatset >= 0x8000000a)
		CPUID(0x8000000a, a, b, c, svm_edx);
	if (vmx) {
		/* Secondary controls exist only if allowed-1 bit 63 is set. */
		if (rdmsr(0x482) & (1ULL << 63))
			ept = (rdmsr(0x48b) >> 33) & 1;
	}

	printf("# cpu: %s family 0x%x model 0x%x, vmx=%d ept=%d svm=%d "
	    "npt=%d nrips=%d\n", ci->ci_vendor, ci->ci_family, ci->ci_model,
	    vmx, ept, svm, svm_edx & 1, (svm_edx >> 3) & 1);
}

int
splraise(int level)
{
	struct cpu_info *ci = curcpu();
	int old = ci->ci_ilevel;

	if (level > old)
		ci->ci_ilevel = level;
	return (old);
}

void
splx(int level)
{
	curcpu()->ci_ilevel = level;
}

void
delay(int usecs)
{
	volatile int i;

	for (i = 0; i < usecs; i++)
		__asm volatile("pause");
}

/*
 * Walk the frame-pointer chain.  Only frames in memory that is known to
 * be mapped are followed, so a broken chain cannot fault.
 */
void
tb_backtrace(uint64_t rbp)
{
	int i;

	printf("# backtrace (use addr2line -e obj/testbed.elf):\n");
	for (i = 0; i < 20 && rbp != 0; i++) {
		uint64_t *frame = (uint64_t *)rbp;

		if ((rbp & 7) != 0 || !tb_va_mapped(rbp) ||
		    !tb_va_mapped(rbp + 8))
			break;
		if (frame[1] == 0)
			break;
		printf("#   #%d 0x%llx\n", i, (unsigned long long)frame[1]);
		rbp = frame[0];
	}
}

/*
 * A kernel stack overflow: a page fault on the guard page below a kernel
 * stack (#PF has its own stack, IST_PF, so it is delivered), or any trap
 * taken with %rsp already on a guard page.  Returns the stack's owner.
 */
static struct proc *
kstack_overflow(struct trapframe *tf, uint64_t cr2, vaddr_t *addr)
{
	struct proc *p = NULL;

	if (tf->tf_trapno == T_PAGEFLT &&
	    (p = tb_kstack_guard_owner(cr2)) != NULL)
		*addr = cr2;
	else if ((p = tb_kstack_guard_owner(tf->tf_rsp)) != NULL)
		*addr = tf->tf_rsp;
	return (p);
}

void
tb_trap(struct trapframe *tf)
{
	struct tb_kstack_catch *kc;
	struct proc *owner;
	uint64_t cr2 = 0;
	vaddr_t addr = 0;
	const char *name;

	/* Device interrupts and IPIs: the clock's vectors. */
	if (tf->tf_trapno >= 32 && tb_intr(tf->tf_trapno))
		return;
	if (tf->tf_trapno == T_PAGEFLT) {
		cr2 = rcr2();
		if (uvm_tb_fault(cr2, tf->tf_err) == 0)
			return;
	}
	owner = kstack_overflow(tf, cr2, &addr);
	if (owner != NULL && (kc = tb_kstack_catch) != NULL) {
		/* A test expected it: back to the test, on its own stack. */
		tb_kstack_catch = NULL;
		kc->kc_addr = addr;
		kc->kc_owner = owner;
		/* Not back through iretq: the interrupt flag by hand. */
		if (tf->tf_rflags & 0x200)		/* PSL_I */
			intr_enable();
		tb_longjmp(&kc->kc_jb, 1);
	}

	name = tf->tf_trapno < 32 ? trap_names[tf->tf_trapno] :
	    "unexpected interrupt";
	printf("\n# FATAL TRAP: vector %llu (%s), error code 0x%llx\n",
	    tf->tf_trapno, name, tf->tf_err);
	if (owner != NULL)
		printf("# kernel stack overflow: 0x%lx is in the guard page "
		    "below the kernel stack of pid %d (%s), 0x%lx-0x%lx "
		    "(%d bytes); rip 0x%llx\n", addr, owner->p_p->ps_pid,
		    owner->p_p->ps_comm, TB_KSTACK_LO(owner->p_tbkstack),
		    owner->p_tbkstack, TB_KSTACK_SIZE, tf->tf_rip);
	printf("#   rip 0x%016llx  cr2 0x%016llx  rsp 0x%016llx\n",
	    tf->tf_rip, cr2, tf->tf_rsp);
	printf("#   rax 0x%016llx  rbx 0x%016llx  rcx 0x%016llx\n",
	    tf->tf_rax, tf->tf_rbx, tf->tf_rcx);
	printf("#   rdx 0x%016llx  rsi 0x%016llx  rdi 0x%016llx\n",
	    tf->tf_rdx, tf->tf_rsi, tf->tf_rdi);
	printf("#   rbp 0x%016llx  rflags 0x%llx  cs 0x%llx\n",
	    tf->tf_rbp, tf->tf_rflags, tf->tf_cs);
	if (tf->tf_trapno == T_PAGEFLT)
		printf("#   page fault: %s, %s access%s\n",
		    (tf->tf_err & 1) ? "protection violation" : "not present",
		    (tf->tf_err & 2) ? "write" : ((tf->tf_err & 0x10) ?
		    "instruction" : "read"),
		    (cr2 >= TB_USER_BASE) ? " (user window)" : "");
	if (tf->tf_trapno == T_PAGEFLT && cr2 >= tb_ustack_lo - PAGE_SIZE &&
	    cr2 < tb_ustack_lo)
		printf("#   (guard page below the program stack: the regress "
		    "program overflowed its stack)\n");
	if (owner == NULL && tf->tf_trapno == T_DOUBLEFLT)
		printf("#   (a double fault is often a stack overflow)\n");
	if (curproc != NULL && curproc->p_p != NULL)
		printf("#   curproc: pid %d (%s)\n", curproc->p_p->ps_pid,
		    curproc->p_p->ps_comm);
	tb_backtrace(tf->tf_rbp);
	tb_fail_run("fatal trap");
}

/*
 * Leave the emulator.  QEMU: isa-debug-exit at 0xf4 turns the value v
 * into exit status (v << 1) | 1, so 0x10 gives 33 (PASS) and 0x01 gives
 * 3 (FAIL).  Bochs: "Shutdown" written to port 0x8900.
 */
__dead void
tb_exit(int pass)
{
	const char *s;
	int spin;

	intr_disable();
	for (spin = 0; spin < 10000000; spin++)
		if (inb(0x3fd) & 0x40)		/* LSR.TEMT */
			break;
	outb(0xf4, pass ? 0x10 : 0x01);
	for (s = "Shutdown"; *s != '\0'; s++)
		outb(0x8900, *s);
	for (;;)
		__asm volatile("cli; hlt");
}
