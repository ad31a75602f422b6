/*
 * vmd's answer to an IN: the data goes into AL, AX or EAX by the access
 * size and the rest of RAX stays as the guest had it, as on the CPU.
 * vmd's answer carries more bytes than the access (vei_data is 32 bits;
 * vmd merges its byte or word into the EAX the exit reported, this
 * program puts junk there): an 8-bit IN must change AL only, a 16-bit IN
 * AX only.  Upstream stored vei_data into all of RAX on both backends;
 * the port merged by size on VMX only until the run loop was shared
 * (rust/amd64/src/runloop.rs), so on SVM EAX came back 0xaabbcc42.
 */
#include "vmmtest.h"

extern const unsigned char m_reset[], m_reset_end[];
extern const unsigned char m_code[], m_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"m_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"m_reset_end:\n"
"m_code:\n"
"	mov	$0x12345678, %eax\n"
"	in	$0x60, %al\n"
"	mov	$0x71, %dx\n"
"	out	%eax, %dx\n"
"	mov	$0x12345678, %eax\n"
"	mov	$0x62, %dx\n"
"	in	%dx, %ax\n"
"	mov	$0x71, %dx\n"
"	out	%eax, %dx\n"
"	mov	$0x12345678, %eax\n"
"	mov	$0x64, %dx\n"
"	in	%dx, %eax\n"
"	mov	$0x71, %dx\n"
"	out	%eax, %dx\n"
"	mov	$0x99, %dx\n"
"	out	%al, %dx\n"
"	hlt\n"
"m_code_end:\n"
"	.code64\n"
"	.popsection\n");

static struct vm_exit *ve;

/* Runs to the next I/O exit, which must be at `port`. */
static void
expect(int fd, uint32_t id, uint16_t port)
{
	uint16_t r;

	r = run_vcpu(fd, id, ve);
	if (!is_io_exit(r))
		errx(1, "exit 0x%x, not I/O", r);
	if (ve->vei.vei_port != port)
		errx(1, "I/O at port 0x%x, want 0x%x", ve->vei.vei_port, port);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
}

/* Answers an IN of `size` bytes with `data`; the guest reports EAX. */
static void
in(int fd, uint32_t id, uint16_t port, int size, uint32_t data, uint32_t want)
{
	expect(fd, id, port);
	CHECK(ve->vei.vei_dir == VEI_DIR_IN && ve->vei.vei_size == size);
	ve->vei.vei_data = data;
	expect(fd, id, 0x71);
	if (ve->vei.vei_data != want)
		errx(1, "%d-byte IN of 0x%x into EAX 0x12345678: EAX 0x%x, "
		    "want 0x%x", size, data, ve->vei.vei_data, want);
}

int
main(void)
{
	struct vm_create_params vcp;
	uint32_t id;
	int fd;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "inmerge", &vcp);
	bios_boot(fd, id, &vcp, m_reset, m_reset_end, m_code, m_code_end);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	in(fd, id, 0x60, 1, 0xaabbcc42, 0x12345642);
	in(fd, id, 0x62, 2, 0xaabbc0de, 0x1234c0de);
	in(fd, id, 0x64, 4, 0xaabbccdd, 0xaabbccdd);
	expect(fd, id, 0x99);
	printf("IN data merged into AL, AX, EAX by size\n");

	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
