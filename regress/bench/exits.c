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
 *  - pages-per-vm: pages the driver holds for a VM with one vcpu (the
 *    testbed's page accounting; guest RAM itself is not counted until
 *    touched).
 */
#include "vmmtest.h"

extern const unsigned char b_reset[], b_reset_end[];
extern const unsigned char b_code[], b_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"b_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"b_reset_end:\n"
"b_code:\n"
"	mov	$0x80, %dx\n"
"	out	%al, %dx\n"			/* start: cpuid loop */
"	mov	$10000, %esi\n"
"1:	xor	%eax, %eax\n"
"	cpuid\n"
"	dec	%esi\n"
"	jnz	1b\n"
"	mov	$0x81, %dx\n"
"	out	%al, %dx\n"			/* end of cpuid loop */
"	mov	$10000, %esi\n"
"	mov	$0x82, %dx\n"
"2:	out	%al, %dx\n"			/* io loop */
"	dec	%esi\n"
"	jnz	2b\n"
"	mov	$0x83, %dx\n"
"	out	%al, %dx\n"
"	sti\n"
"	hlt\n"
"b_code_end:\n"
"	.code64\n"
"	.popsection\n");

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (((uint64_t)hi << 32) | lo);
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vcpu_reg_state vrs;
	struct vm_exit *ve;
	uint64_t t0, t1;
	uint16_t r;
	uint32_t id;
	unsigned int n;
	int fd;
#ifdef VMMTEST_TESTBED
	size_t pages0;
#endif

	fd = vmm_open_or_skip();
#ifdef VMMTEST_TESTBED
	pages0 = tb_pages_in_use();
#endif
	id = create_vm(fd, "bench", &vcp);
#ifdef VMMTEST_TESTBED
	printf("bench pages-per-vm %zu pages\n", tb_pages_in_use() - pages0);
#endif
	guest_write(&vcp, 0xffff0, b_reset, b_reset_end - b_reset);
	guest_write(&vcp, 0xf0100, b_code, b_code_end - b_code);
	flat16(&vrs);
	reset_vcpu(fd, id, &vrs);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	r = run_vcpu(fd, id, ve);			/* OUT 0x80 */
	CHECK(is_io_exit(r) && ve->vei.vei_port == 0x80);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	t0 = rdtsc();
	r = run_vcpu(fd, id, ve);			/* OUT 0x81 */
	t1 = rdtsc();
	CHECK(is_io_exit(r) && ve->vei.vei_port == 0x81);
	printf("bench cpuid-roundtrip %llu insns\n",
	    (unsigned long long)((t1 - t0) / 10000));
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;

	t0 = rdtsc();
	for (n = 0; n < 10000; n++) {
		r = run_vcpu(fd, id, ve);
		CHECK(is_io_exit(r) && ve->vei.vei_port == 0x82);
		ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	}
	t1 = rdtsc();
	printf("bench io-roundtrip %llu insns\n",
	    (unsigned long long)((t1 - t0) / 10000));
	r = run_vcpu(fd, id, ve);
	CHECK(is_io_exit(r) && ve->vei.vei_port == 0x83);
	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
