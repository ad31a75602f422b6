/*
 * The host's state after guest runs: a guest loads its own values into
 * every MSR the world switch swaps (FS/GS/KernelGS bases, STAR, LSTAR,
 * CSTAR, SFMASK, SYSENTER_CS/ESP/EIP) and into FS and GS, exits in the
 * kernel (CPUID) a few times and then to vmd (OUT).  Afterwards, in
 * the testbed (which runs programs at CPL 0), the host's GDTR and IDTR
 * (bases and limits: a VMX exit sets the limits to 0xffff), TR, LDTR and
 * those MSRs, DR7 (the guest set DR0 and enabled it in its DR7: its DR0
 * stays in the CPU, which is harmless only while the host's DR7 is the
 * host's), XCR0 and PKRU (where the host uses protection keys) must be
 * what they were before (rust/amd64/src/world.rs HOST_STATE lists what
 * is switched and how), and on SVM its DS, ES, FS,
 * GS and SS selectors too (the #VMEXIT reloads ES/SS/DS from the host
 * save area, VMLOAD FS/GS).  A VMX exit loads the selectors of the VMCS
 * host-state area, the kernel's data selector, as upstream.
 *
 * In the testbed also: on VMX the CPU records the EPT pmap of the VM it
 * runs (ci_ept_pmap), which is where pmap_shootept sends its INVEPT IPIs
 * when guest memory is unmapped; a second VM's run replaces it, running
 * the first again brings its pmap back.  SVM does not touch it.
 */
#include "vmmtest.h"

extern const unsigned char h_reset[], h_reset_end[];
extern const unsigned char h_code[], h_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"h_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"h_reset_end:\n"
"h_code:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	movw	$(0x100 + 9f - h_code), (13 * 4)\n"	/* #GP: OUT 0xd */
"	movw	$0xf000, (13 * 4 + 2)\n"
"	mov	$0x1234, %ax\n"
"	mov	%ax, %fs\n"
"	mov	$0x2345, %ax\n"
"	mov	%ax, %gs\n"
"	mov	$0x1111, %edx\n"
"	mov	$0x22220000, %eax\n"
"	mov	$0xc0000100, %ecx\n"			/* FSBASE */
"	wrmsr\n"
"	inc	%ecx\n"					/* GSBASE */
"	wrmsr\n"
"	inc	%ecx\n"					/* KERNELGSBASE */
"	wrmsr\n"
"	mov	$0xc0000082, %ecx\n"			/* LSTAR */
"	wrmsr\n"
"	inc	%ecx\n"					/* CSTAR */
"	wrmsr\n"
"	mov	$0xc0000081, %ecx\n"			/* STAR */
"	mov	$0x00330028, %edx\n"
"	wrmsr\n"
"	mov	$0xc0000084, %ecx\n"			/* SFMASK */
"	xor	%edx, %edx\n"
"	mov	$0x4700, %eax\n"
"	wrmsr\n"
"	mov	$0x174, %ecx\n"				/* SYSENTER_CS */
"	mov	$0x33, %eax\n"
"	wrmsr\n"
"	inc	%ecx\n"					/* SYSENTER_ESP */
"	mov	$0x1111, %edx\n"
"	mov	$0x33330000, %eax\n"
"	wrmsr\n"
"	inc	%ecx\n"					/* SYSENTER_EIP */
"	wrmsr\n"
"	mov	$0x1234, %eax\n"			/* DR0: a breakpoint */
"	mov	%eax, %dr0\n"
"	mov	$0x3, %eax\n"				/* DR7: L0, G0 */
"	mov	%eax, %dr7\n"
"	mov	$5, %esi\n"
"1:	xor	%eax, %eax\n"
"	cpuid\n"
"	dec	%esi\n"
"	jnz	1b\n"
"	mov	$0x99, %dx\n"
"	out	%al, %dx\n"
"	sti\n"
"	hlt\n"
"9:	mov	$0xd, %dx\n"
"	out	%al, %dx\n"
"	sti\n"
"	hlt\n"
"h_code_end:\n"
"	.code64\n"
"	.popsection\n");

struct hoststate {
	uint16_t	sel[5];		/* ds, es, fs, gs, ss */
#ifdef VMMTEST_TESTBED
	uint16_t	tr, ldtr;
	unsigned char	gdtr[10], idtr[10];
	uint64_t	msr[10];
	uint64_t	dr7, xcr0;
	uint32_t	pkru;
#endif
};

#ifdef VMMTEST_TESTBED
static const uint32_t msrs[10] = {
	0xc0000100, 0xc0000101, 0xc0000102,		/* FS/GS/KGS base */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,	/* STAR .. SFMASK */
	0x174, 0x175, 0x176,				/* SYSENTER */
};

static uint64_t
rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (((uint64_t)hi << 32) | lo);
}
#endif

static void
host_state(struct hoststate *h)
{
	memset(h, 0, sizeof(*h));
	__asm__ volatile("mov %%ds, %0" : "=r"(h->sel[0]));
	__asm__ volatile("mov %%es, %0" : "=r"(h->sel[1]));
	__asm__ volatile("mov %%fs, %0" : "=r"(h->sel[2]));
	__asm__ volatile("mov %%gs, %0" : "=r"(h->sel[3]));
	__asm__ volatile("mov %%ss, %0" : "=r"(h->sel[4]));
#ifdef VMMTEST_TESTBED
	{
		int i;

		__asm__ volatile("sgdt %0" : "=m"(h->gdtr));
		__asm__ volatile("sidt %0" : "=m"(h->idtr));
		__asm__ volatile("str %0" : "=r"(h->tr));
		__asm__ volatile("sldt %0" : "=r"(h->ldtr));
		uint32_t a, b, c, d;

		for (i = 0; i < 10; i++)
			h->msr[i] = rdmsr(msrs[i]);
		__asm__ volatile("mov %%dr7, %0" : "=r"(h->dr7));
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		    : "a"(1), "c"(0));
		if (c & (1U << 27)) {			/* OSXSAVE */
			__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
			h->xcr0 = (uint64_t)d << 32 | a;
		}
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		    : "a"(0), "c"(0));
		if (a >= 7) {
			__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c),
			    "=d"(d) : "a"(7), "c"(0));
			if (c & (1U << 4))		/* OSPKE */
				__asm__ volatile("rdpkru" : "=a"(h->pkru),
				    "=d"(d) : "c"(0));
		}
	}
#endif
}

static void
same(const struct hoststate *a, const struct hoststate *b, int svm)
{
	int i;

	for (i = 0; svm && i < 5; i++)
		if (a->sel[i] != b->sel[i])
			errx(1, "host selector %d: 0x%x, was 0x%x", i,
			    b->sel[i], a->sel[i]);
#ifdef VMMTEST_TESTBED
	CHECK(memcmp(a->gdtr, b->gdtr, sizeof(a->gdtr)) == 0);
	CHECK(memcmp(a->idtr, b->idtr, sizeof(a->idtr)) == 0);
	CHECK(a->tr == b->tr);
	CHECK(a->ldtr == b->ldtr);
	if (a->dr7 != b->dr7)
		errx(1, "host DR7 0x%llx, was 0x%llx",
		    (unsigned long long)b->dr7, (unsigned long long)a->dr7);
	if (a->xcr0 != b->xcr0)
		errx(1, "host XCR0 0x%llx, was 0x%llx",
		    (unsigned long long)b->xcr0, (unsigned long long)a->xcr0);
	if (a->pkru != b->pkru)
		errx(1, "host PKRU 0x%x, was 0x%x", b->pkru, a->pkru);
	for (i = 0; i < 10; i++)
		if (a->msr[i] != b->msr[i])
			errx(1, "host MSR 0x%x: 0x%llx, was 0x%llx", msrs[i],
			    (unsigned long long)b->msr[i],
			    (unsigned long long)a->msr[i]);
#endif
}

#ifdef VMMTEST_TESTBED
/*
 * ci_ept_pmap after the run of VM `id` (`before` it: a pmap of an earlier
 * program's VM may still be recorded), after a second VM's, and after
 * `id` runs again.
 */
static void
ept_pmap(int fd, uint32_t id, struct vm_exit *ve, int svm, const void *before)
{
	struct vm_create_params vcp;
	const void *a, *b, *again;
	uint32_t id2;

	a = tb_cpu_ept_pmap();
	id2 = create_vm(fd, "hoststate-2", &vcp);
	bios_boot(fd, id2, &vcp, h_reset, h_reset_end, h_code, h_code_end);
	(void)run_vcpu_vmd(fd, id2, ve);
	b = tb_cpu_ept_pmap();
	(void)run_vcpu_vmd(fd, id, ve);
	again = tb_cpu_ept_pmap();
	terminate_vm(fd, id2);
	if (svm) {
		CHECK(a == before && b == before && again == before);
		printf("SVM: ci_ept_pmap untouched\n");
		return;
	}
	if (a == NULL || b == NULL || a == b || again != a)
		errx(1, "ci_ept_pmap %p, %p after another VM, %p after the "
		    "first again: not the running VM's EPT pmap", a, b, again);
	printf("VMX: ci_ept_pmap follows the VM that runs\n");
}
#endif

int
main(void)
{
	struct vm_create_params vcp;
	struct hoststate before, after;
	struct vm_exit *ve;
#ifdef VMMTEST_TESTBED
	const void *ept0;
#endif
	uint16_t r;
	uint32_t id;
	int fd;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "hoststate", &vcp);
	bios_boot(fd, id, &vcp, h_reset, h_reset_end, h_code, h_code_end);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

#ifdef VMMTEST_TESTBED
	ept0 = tb_cpu_ept_pmap();
#endif
	host_state(&before);
	r = run_vcpu_vmd(fd, id, ve);
	host_state(&after);
	CHECK(is_io_exit(r));
	if (ve->vei.vei_port != 0x99)
		errx(1, "guest exited at port 0x%x, not 0x99 (#GP: 0xd)",
		    ve->vei.vei_port);
	same(&before, &after, r == SVM_VMEXIT_IOIO);
	printf("host state unchanged after the guest loaded its own\n");
#ifdef VMMTEST_TESTBED
	ept_pmap(fd, id, ve, r == SVM_VMEXIT_IOIO, ept0);
#endif

	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
