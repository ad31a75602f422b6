/*
 * RESETCPU after an exit to vmd starts the vcpu in the new state.  A
 * monitor that reboots its guest in place (a guest's reset through the
 * i8042, which is a port write) resets the vcpu right after a port-I/O
 * exit, with its exit record still holding that exit and vmd's answer.
 * The next RUN must not take RIP and RAX from that answer: it is for a
 * state that no longer exists.
 *
 * The guest: an IN at the reset vector (vmd answers 0x5555 and advances
 * RIP as usual), followed by OUT 0x82.  The new state after RESETCPU
 * starts at f000:0100 with AX 0x1234, which does OUT 0x81 of AX.  The
 * right second exit is OUT 0x81 with 0x1234; a vcpu that resumed the old
 * state would show OUT 0x82 (and AX 0x5555).  Then the same after an
 * OUT, and after the last exit was the HLT.
 */
#include "vmmtest.h"

extern const unsigned char rc_old[], rc_old_end[];
extern const unsigned char rc_new[], rc_new_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"rc_old:\n"
"	in	$0x80, %al\n"		/* the exit vmd answers */
"	out	%al, $0x82\n"		/* only if the old state goes on */
"	out	%al, $0x82\n"
"	hlt\n"
"rc_old_end:\n"
"rc_new:\n"
"	out	%ax, $0x81\n"		/* the new state's first exit */
"	sti\n"
"	hlt\n"
"rc_new_end:\n"
"	.code64\n"
"	.popsection\n");

/* RESETCPU to f000:0100 with AX 0x1234. */
static void
reset_to_new(int fd, uint32_t id)
{
	struct vcpu_reg_state vrs;

	flat16(&vrs);
	vrs.vrs_gprs[VCPU_REGS_RIP] = 0x0100;
	vrs.vrs_gprs[VCPU_REGS_RAX] = 0x1234;
	reset_vcpu(fd, id, &vrs);
}

/* The next exit must be the new state's OUT 0x81 of 0x1234. */
static void
check_new_state(int fd, uint32_t id, struct vm_exit *ve, const char *after)
{
	uint16_t r;

	do
		r = run_vcpu(fd, id, ve);
	while (r == VM_EXIT_NONE);
	printf("after RESETCPU following %s: exit 0x%x port 0x%x data "
	    "0x%x\n", after, r, ve->vei.vei_port, ve->vei.vei_data & 0xffff);
	CHECK(is_io_exit(r));
	CHECK(ve->vei.vei_dir == VEI_DIR_OUT);
	CHECK(ve->vei.vei_port == 0x81);
	CHECK((ve->vei.vei_data & 0xffff) == 0x1234);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
}

int
main(void)
{
	struct vm_create_params vcp;
	struct vcpu_reg_state vrs;
	struct vm_exit *ve;
	uint16_t r;
	uint32_t id;
	int fd;

	fd = vmm_open_or_skip();
	id = create_vm(fd, "resetcpu", &vcp);
	guest_write(&vcp, 0xffff0, rc_old, rc_old_end - rc_old);
	guest_write(&vcp, 0xf0100, rc_new, rc_new_end - rc_new);
	flat16(&vrs);
	reset_vcpu(fd, id, &vrs);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	/* 1. After an IN that vmd answered. */
	r = run_vcpu(fd, id, ve);
	CHECK(is_io_exit(r) && ve->vei.vei_port == 0x80 &&
	    ve->vei.vei_dir == VEI_DIR_IN);
	ve->vei.vei_data = 0x5555;
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
	reset_to_new(fd, id);
	check_new_state(fd, id, ve, "an IN");

	/* 2. After that OUT (answered: RIP advanced). */
	reset_to_new(fd, id);
	check_new_state(fd, id, ve, "an OUT");

	/* 3. After a HLT exit. */
	CHECK(is_hlt_exit(run_vcpu(fd, id, ve)));
	reset_to_new(fd, id);
	check_new_state(fd, id, ve, "a HLT");

	free(ve);
	terminate_vm(fd, id);
	close(fd);
	return (0);
}
