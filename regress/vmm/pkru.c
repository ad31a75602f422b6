/*
 * Protection keys: a guest must never change the host's PKRU.
 *
 * The guest reports CPUID leaf 7 ECX (OUT 0x71) and, if it shows PKU,
 * sets CR4.PKE, writes
 * 0x12345678 into PKRU with WRPKRU, makes a few exits the kernel handles
 * itself (CPUID) and reports RDPKRU (OUT 0x70), exits to vmd (OUT 0x72)
 * and reports RDPKRU again.
 *
 * On a host that uses protection keys (CPUID OSPKE: the testbed sets
 * CR4.PKE and PKRU 0xfffffffc, as OpenBSD does, when the CPU has PKU;
 * qemu-svm-pku, bochs-vmx-tgl) the guest must see PKU, keep its own PKRU
 * across exits, and the host's PKRU must be what it was after every
 * exit to vmd (the driver switches PKRU with the guest's FPU state,
 * rust/amd64/src/world.rs; without that, SVM left the guest's value in
 * the host).  On a host
 * without (qemu-svm, bochs-vmx, bochs-svm) the guest must not see PKU
 * (it then stops, OUT 0x73: QEMU's SVM takes a CR4.PKE the CPU lacks and
 * fails the next VMRUN instead of raising #GP, so the guest does not try).
 */
#include "vmmtest.h"

#define SEFF0ECX_PKU	(1U << 3)
#define SEFF0ECX_OSPKE	(1U << 4)
#define GUEST_PKRU	0x12345678U

extern const unsigned char k_reset[], k_reset_end[];
extern const unsigned char k_code[], k_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"k_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"k_reset_end:\n"
"k_code:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	mov	$0x7000, %sp\n"
"	movw	$(0x100 + 8f - k_code), (13 * 4)\n"	/* #GP: OUT 0xd */
"	movw	$0xf000, (13 * 4 + 2)\n"
"	movw	$(0x100 + 7f - k_code), (6 * 4)\n"	/* #UD: OUT 0x6 */
"	movw	$0xf000, (6 * 4 + 2)\n"
"	mov	$7, %eax\n"
"	xor	%ecx, %ecx\n"
"	cpuid\n"
"	mov	%ecx, %eax\n"
"	mov	$0x71, %dx\n"
"	out	%eax, %dx\n"
"	test	$8, %al\n"				/* no PKU: done */
"	jz	6f\n"
"	mov	%cr4, %eax\n"
"	or	$0x400000, %eax\n"			/* CR4.PKE */
"	mov	%eax, %cr4\n"
"	mov	$0x12345678, %eax\n"
"	xor	%ecx, %ecx\n"
"	xor	%edx, %edx\n"
"	wrpkru\n"
"	mov	$5, %esi\n"				/* in-kernel exits */
"1:	xor	%eax, %eax\n"
"	cpuid\n"
"	dec	%esi\n"
"	jnz	1b\n"
"	call	9f\n"					/* OUT 0x70: PKRU */
"	mov	$0x72, %dx\n"				/* to vmd */
"	out	%al, %dx\n"
"	call	9f\n"
"	mov	$0x99, %dx\n"
"	out	%al, %dx\n"
"	hlt\n"
"9:	xor	%ecx, %ecx\n"
"	rdpkru\n"
"	mov	$0x70, %dx\n"
"	out	%eax, %dx\n"
"	ret\n"
"6:	mov	$0x73, %dx\n"
"	out	%al, %dx\n"
"	hlt\n"
"8:	mov	$0xd, %dx\n"
"	out	%al, %dx\n"
"	hlt\n"
"7:	mov	$0x6, %dx\n"
"	out	%al, %dx\n"
"	hlt\n"
"k_code_end:\n"
"	.code64\n"
"	.popsection\n");

/* The host's PKRU, if it uses protection keys. */
static int
host_pkru(uint32_t *pkru)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
	    : "a"(0), "c"(0));
	if (a < 7)
		return (0);
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
	    : "a"(7), "c"(0));
	if ((c & SEFF0ECX_OSPKE) == 0)
		return (0);
	__asm__ volatile("rdpkru" : "=a"(a), "=d"(d) : "c"(0));
	*pkru = a;
	return (1);
}

/* Runs to the next OUT and returns its port; the data in *data. */
static unsigned int
next_out(int fd, uint32_t id, struct vm_exit *ve, uint32_t *data)
{
	uint16_t r;

	r = run_vcpu(fd, id, ve);
	if (!is_io_exit(r))
		errx(1, "exit 0x%x, not I/O", r);
	*data = ve->vei.vei_data;
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	return (ve->vei.vei_port);
}

/* The host's PKRU must still be `want`. */
static void
host_same(uint32_t want, const char *when)
{
	uint32_t now = 0;

	if (!host_pkru(&now) || now != want)
		errx(1, "host PKRU 0x%x %s, was 0x%x", now, when, want);
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vm_exit *ve;
	uint32_t id, data, before = 0;
	unsigned int port;
	int fd, pke;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "pkru", &vcp);
	bios_boot(fd, id, &vcp, k_reset, k_reset_end, k_code, k_code_end);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);
	pke = host_pkru(&before);

	port = next_out(fd, id, ve, &data);
	CHECK(port == 0x71);
	if (!pke) {
		if (data & SEFF0ECX_PKU)
			errx(1, "guest sees PKU (leaf 7 ECX 0x%x) on a host "
			    "without protection keys", data);
		port = next_out(fd, id, ve, &data);
		CHECK(port == 0x73);
		printf("host without protection keys: the guest sees no "
		    "PKU\n");
		goto out;
	}
	if ((data & SEFF0ECX_PKU) == 0)
		errx(1, "guest sees no PKU (leaf 7 ECX 0x%x), the host "
		    "uses protection keys", data);
	host_same(before, "after the first exit");

	port = next_out(fd, id, ve, &data);
	if (port != 0x70)
		errx(1, "OUT 0x%x after CR4.PKE and WRPKRU (0xd: #GP, "
		    "0x6: #UD), not the PKRU report", port);
	host_same(before, "after the guest's WRPKRU and CPUID exits");
	if (data != GUEST_PKRU)
		errx(1, "guest PKRU 0x%x after in-kernel exits, want 0x%x",
		    data, GUEST_PKRU);

	port = next_out(fd, id, ve, &data);
	CHECK(port == 0x72);
	host_same(before, "at the guest's exit to vmd");

	port = next_out(fd, id, ve, &data);
	CHECK(port == 0x70);
	if (data != GUEST_PKRU)
		errx(1, "guest PKRU 0x%x after an exit to vmd, want 0x%x",
		    data, GUEST_PKRU);
	port = next_out(fd, id, ve, &data);
	CHECK(port == 0x99);
	host_same(before, "at the end");
	printf("host PKRU 0x%x kept; the guest's 0x%x across exits\n",
	    before, GUEST_PKRU);
out:
	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
