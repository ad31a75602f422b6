/*
 * The guest's CPUID, end to end, against the host CPU the program runs
 * on and the kernel's TSC facts (upstream vmm_machdep.c 1.64's
 * vmm_handle_cpuid; the policy itself is table-tested leaf by leaf in
 * rust/amd64/tests/cpuid_policy.rs):
 *  1. leaf 0: the host's maximum basic leaf, raised to 0x15 when the
 *     kernel's TSC is invariant, and the host's vendor;
 *  2. leaf 0x15 made up from the kernel's TSC frequency (1, 100,
 *     frequency / 100, 0) when the host has no leaf 0x15;
 *  3. leaf 1 OSXSAVE follows the guest's CR4; leaf 0xD sub-leaf 0 gives
 *     the size for the guest's XCR0 in EBX and for the host's components
 *     in ECX, and the host's components in EAX; where the host uses
 *     protection keys (OSPKE), leaf 7 shows PKU and leaf 0xD the PKRU
 *     component (EAX bit 9, its area in ECX and, with XCR0.PKRU, EBX),
 *     and XSETBV takes XCR0.PKRU; elsewhere neither is shown;
 *  4. VMX: MISC_ENABLE bit 22 ("limit CPUID maxval") makes the maximum 2
 *     and every higher basic leaf leaf 2; clearing it undoes that;
 *  5. the KVM feature leaves 0x40000001 and 0x40000101 offer the
 *     paravirtual clock (CLOCKSOURCE2, CLOCKSOURCE_STABLE_BIT) only when
 *     the kernel knows its TSC frequency: the pvclock multiplier is
 *     computed from it and would be 0, which a Linux guest divides by at
 *     boot (upstream offers the clock always; seen on OpenBSD under
 *     QEMU's qemu64, whose TSC is not invariant).
 * The guest is a small real-mode server: vmd (this program) gives it an
 * operation and two operands with three INs from port 0x90; it answers a
 * CPUID with four OUTs to port 0x91 and anything else with an OUT to
 * port 0x92.
 *
 * The testbed's kernel has a 1 GHz invariant TSC; on OpenBSD the program
 * reads machdep.invarianttsc and machdep.tscfreq.
 */
#if !__has_include(<testbed.h>)
#include <sys/sysctl.h>
#include <machine/cpu.h>
#endif

#include "vmmtest.h"

extern const unsigned char c_reset[], c_reset_end[];
extern const unsigned char c_code[], c_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"c_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"c_reset_end:\n"
"c_code:\n"
"1:	mov	$0x90, %dx\n"
"	in	%dx, %eax\n"				/* operation */
"	mov	%eax, %edi\n"
"	in	%dx, %eax\n"				/* operand a */
"	mov	%eax, %esi\n"
"	in	%dx, %eax\n"				/* operand b */
"	mov	%eax, %ecx\n"
"	mov	%esi, %eax\n"
"	cmp	$1, %edi\n"
"	je	2f\n"
"	cmp	$2, %edi\n"
"	je	3f\n"
"	cmp	$3, %edi\n"
"	je	4f\n"
"	cpuid\n"				/* 0: CPUID a, b */
"	mov	%edx, %esi\n"
"	mov	$0x91, %dx\n"
"	out	%eax, %dx\n"
"	mov	%ebx, %eax\n"
"	out	%eax, %dx\n"
"	mov	%ecx, %eax\n"
"	out	%eax, %dx\n"
"	mov	%esi, %eax\n"
"	out	%eax, %dx\n"
"	jmp	1b\n"
"2:	mov	%eax, %cr4\n"			/* 1: CR4 = a */
"	jmp	5f\n"
"3:	xor	%ecx, %ecx\n"			/* 2: XCR0 = a */
"	xor	%edx, %edx\n"
"	xsetbv\n"
"	jmp	5f\n"
"4:	xor	%edx, %edx\n"			/* 3: MSR b = a */
"	wrmsr\n"
"5:	mov	$0x92, %dx\n"
"	out	%al, %dx\n"
"	jmp	1b\n"
"c_code_end:\n"
"	.code64\n"
"	.popsection\n");

#define OP_CPUID	0
#define OP_CR4		1
#define OP_XCR0		2
#define OP_WRMSR	3

#define CR4_OSXSAVE	(1U << 18)
#define OSXSAVE		(1U << 27)	/* CPUID 1 ECX */
#define MSR_MISC_ENABLE	0x1a0
#define LIMIT_MAXVAL	(1U << 22)

/* KVM features: CLOCKSOURCE2 and CLOCKSOURCE_STABLE_BIT; NOP_IO_DELAY. */
#define KVM_CLOCK		((1U << 3) | (1U << 24))
#define KVM_NOP_IO_DELAY	(1U << 1)

static int fd;
static uint32_t id;
static struct vm_exit *ve;

struct regs {
	uint32_t a, b, c, d;
};

/* Runs to the next exit for vmd; checks it is 4-byte I/O on `port`. */
static void
expect_io(uint16_t port, int dir, int size)
{
	uint16_t r;

	do
		r = run_vcpu(fd, id, ve);
	while (r == VM_EXIT_NONE);
	if (!is_io_exit(r) || ve->vei.vei_port != port ||
	    ve->vei.vei_dir != dir || ve->vei.vei_size != size)
		errx(1, "want I/O on port 0x%x, exit 0x%x port 0x%x", port, r,
		    ve->vei.vei_port);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
}

static void
give(uint32_t v)
{
	expect_io(0x90, VEI_DIR_IN, 4);
	ve->vei.vei_data = v;
}

static void
op(uint32_t o, uint32_t a, uint32_t b)
{
	give(o);
	give(a);
	give(b);
	if (o != OP_CPUID)
		expect_io(0x92, VEI_DIR_OUT, 1);
}

static struct regs
guest(uint32_t leaf, uint32_t sub)
{
	struct regs g;

	op(OP_CPUID, leaf, sub);
	expect_io(0x91, VEI_DIR_OUT, 4);
	g.a = ve->vei.vei_data;
	expect_io(0x91, VEI_DIR_OUT, 4);
	g.b = ve->vei.vei_data;
	expect_io(0x91, VEI_DIR_OUT, 4);
	g.c = ve->vei.vei_data;
	expect_io(0x91, VEI_DIR_OUT, 4);
	g.d = ve->vei.vei_data;
	return (g);
}

static struct regs
host(uint32_t leaf, uint32_t sub)
{
	struct regs h;

	__asm__ volatile("cpuid" : "=a"(h.a), "=b"(h.b), "=c"(h.c), "=d"(h.d)
	    : "a"(leaf), "c"(sub));
	return (h);
}

static void
check(const char *what, struct regs g, struct regs w)
{
	printf("%s: %08x %08x %08x %08x\n", what, g.a, g.b, g.c, g.d);
	if (g.a != w.a || g.b != w.b || g.c != w.c || g.d != w.d)
		errx(1, "%s: want %08x %08x %08x %08x", what, w.a, w.b, w.c,
		    w.d);
}

/* The kernel's tsc_is_invariant and tsc_frequency. */
static void
kernel_tsc(int *invariant, uint64_t *freq)
{
#ifdef VMMTEST_TESTBED
	*invariant = 1;
	*freq = 1000000000ULL;
#else
	int mib[2] = { CTL_MACHDEP, CPU_INVARIANTTSC }, inv;
	size_t len = sizeof(inv);

	if (sysctl(mib, 2, &inv, &len, NULL, 0) == -1)
		err(1, "sysctl machdep.invarianttsc");
	*invariant = inv;
	mib[1] = CPU_TSCFREQ;
	len = sizeof(*freq);
	if (sysctl(mib, 2, freq, &len, NULL, 0) == -1)
		err(1, "sysctl machdep.tscfreq");
#endif
}

int
main(void)
{
	struct vm_create_params vcp;
	struct regs g, h0, w;
	uint64_t freq, hxcr0;
	uint32_t max, lo, hi, all;
	int invariant, intel, pke;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "cpuid", &vcp);
	bios_boot(fd, id, &vcp, c_reset, c_reset_end, c_code, c_code_end);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	kernel_tsc(&invariant, &freq);
	printf("kernel: invariant TSC %d, %llu Hz\n", invariant,
	    (unsigned long long)freq);

	/* 1. Leaf 0. */
	h0 = host(0, 0);
	intel = memcmp(&h0.b, "Genu", 4) == 0;
	max = h0.a;
	if (invariant && max < 0x15)
		max = 0x15;
	w = h0;
	w.a = max;
	check("leaf 0", guest(0, 0), w);

	/* 2. Leaf 0x15. */
	if (h0.a < 0x15 && invariant) {
		w = (struct regs){ 1, 100, (uint32_t)(freq / 100), 0 };
		check("leaf 0x15 (made up)", guest(0x15, 0), w);
	} else if (h0.a >= 0x15)
		check("leaf 0x15 (host)", guest(0x15, 0), host(0x15, 0));

	/* 3. PKU, OSXSAVE and leaf 0xD. */
	pke = h0.a >= 7 && (host(7, 0).c & (1U << 4));	/* OSPKE */
	if (((guest(7, 0).c >> 3) & 1) != pke)
		errx(1, "leaf 7 ECX 0x%x: PKU %s, the host %s protection keys",
		    guest(7, 0).c, pke ? "hidden" : "shown",
		    pke ? "uses" : "does not use");
	CHECK((guest(1, 0).c & OSXSAVE) == 0);
	if (h0.a >= 0xd && (host(1, 0).c & OSXSAVE)) {
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		hxcr0 = ((uint64_t)hi << 32 | lo) & 0x602ff;
		op(OP_CR4, CR4_OSXSAVE, 0);
		CHECK(guest(1, 0).c & OSXSAVE);
		/*
		 * The host's XCR0 here is the kernel's xsave_mask; PKRU's
		 * area is where the CPU's sub-leaf 9 puts it.
		 */
		all = host(0xd, 0).b;
		if (pke && host(0xd, 9).b + host(0xd, 9).a > all)
			all = host(0xd, 9).b + host(0xd, 9).a;
		w = (struct regs){ (uint32_t)hxcr0 | (pke ? 0x200 : 0),
		    host(0xd, 0).b, all, (uint32_t)(hxcr0 >> 32) };
		op(OP_XCR0, hxcr0, 0);
		check("leaf 0xd.0, XCR0 = host's", guest(0xd, 0), w);
		if (pke) {
			op(OP_XCR0, hxcr0 | 0x200, 0);
			w.b = all;
			check("leaf 0xd.0, XCR0 = host's and PKRU",
			    guest(0xd, 0), w);
		}
		op(OP_XCR0, 3, 0);
		w.b = 576;
		check("leaf 0xd.0, XCR0 = x87|SSE", guest(0xd, 0), w);
		op(OP_XCR0, 1, 0);
		check("leaf 0xd.0, XCR0 = x87", guest(0xd, 0), w);
		if (hxcr0 & 4) {
			w = host(0xd, 2);
			w.c = 0;
			check("leaf 0xd.2 (AVX)", guest(0xd, 2), w);
		}
	} else
		printf("no XSAVE on the host: leaf 0xd not checked\n");

	/* 4. VMX: MISC_ENABLE's limit. */
	if (intel) {
		op(OP_WRMSR, LIMIT_MAXVAL, MSR_MISC_ENABLE);
		w = guest(2, 0);
		check("limited: leaf 5", guest(5, 0), w);
		check("limited: leaf 0x15", guest(0x15, 0), w);
		g = guest(0, 0);
		printf("limited: leaf 0 max 0x%x\n", g.a);
		CHECK(g.a == 2);
		op(OP_WRMSR, 0, MSR_MISC_ENABLE);
		CHECK(guest(0, 0).a == max);
	}

	/* 5. The KVM clock. */
	w = (struct regs){ freq > 0 ? KVM_CLOCK : 0, 0, 0, 0 };
	check("leaf 0x40000001", guest(0x40000001, 0), w);
	w.a |= KVM_NOP_IO_DELAY;
	check("leaf 0x40000101", guest(0x40000101, 0), w);

	terminate_vm(fd, id);
	printf("ok\n");
	return (0);
}
