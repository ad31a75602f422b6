/*
 * make obsd-bench: exit-path costs of the /dev/vmm driver a real OpenBSD
 * kernel runs, for the C driver of OpenBSD 7.6 and the Rust one alike
 * (built against either ABI's headers; regress/vmm/vmmtest.h hides the
 * two CREATE contracts).  Under QEMU with "-icount shift=0" the TSC
 * advances by one per instruction, so rdtsc differences are instruction
 * counts.  A real kernel takes clock interrupts (hz 100: one every 10
 * million instructions) and may switch processes, so every figure is the
 * median of many samples, each much shorter than a clock tick.  Prints
 * "bench NAME VALUE UNIT" lines with the figure names of make bench:
 *  - cpuid-roundtrip: ROUNDS runs of a guest loop of CPUID_LOOPS CPUIDs
 *    (handled in the kernel), each run from the RUN ioctl to its return
 *    at the loop's end mark, divided by CPUID_LOOPS: host+guest
 *    instructions per CPUID (the loop itself is 3 of them);
 *  - io-roundtrip: one iteration of a vmd-like loop around VMM_IOC_RUN
 *    for a guest that does nothing but OUT (median of IO_SAMPLES);
 *  - ioctl-path: one VMM_IOC_READREGS of every register (median);
 *  - create-reset-term: CREATE of a 64 MiB VM (with the 7.6 ABI, the
 *    caller's mmap(2) of its ranges first, as 7.6's vmd does), RESETCPU,
 *    TERM (median of VM_ROUNDS);
 *  - info-1vm, info-NNvm: one VMM_IOC_INFO with 1 VM and with as many
 *    as the driver holds (QEMU's SVM has ASIDs for 16), median;
 *    vms-held: that number;
 *  - pages-per-vm: free pages (sysctl vm.uvmexp) before less after
 *    CREATE and RESETCPU of a one-page VM, median of VM_ROUNDS.
 */
#include "vmmtest.h"
#include "median.h"

#include <sys/sysctl.h>

#define ROUNDS		15	/* CPUID loop runs */
#define CPUID_LOOPS	2000	/* CPUIDs per run: 600,000 insns or so */
#define IO_SAMPLES	3001
#define REGS_SAMPLES	3001
#define INFO_SAMPLES	31
#define VM_ROUNDS	7
#define PORT_CPUID	0x80	/* the CPUID loop starts */
#define PORT_CPUID_END	0x81
#define PORT_IO		0x82	/* each OUT of the OUT loop */
#define MAXVMS		64

#define STR(x)		#x
#define XSTR(x)		STR(x)

extern const unsigned char b_reset[], b_reset_end[];
extern const unsigned char b_code[], b_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"b_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"b_reset_end:\n"
"b_code:\n"
"	mov	$" XSTR(ROUNDS) ", %edi\n"
"0:	mov	$" XSTR(PORT_CPUID) ", %dx\n"
"	out	%al, %dx\n"
"	mov	$" XSTR(CPUID_LOOPS) ", %esi\n"
"1:	xor	%eax, %eax\n"
"	cpuid\n"
"	dec	%esi\n"
"	jnz	1b\n"
"	mov	$" XSTR(PORT_CPUID_END) ", %dx\n"
"	out	%al, %dx\n"
"	dec	%edi\n"
"	jnz	0b\n"
"	mov	$" XSTR(PORT_IO) ", %dx\n"
"2:	out	%al, %dx\n"
"	jmp	2b\n"
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

static void
figure(const char *name, uint64_t v, const char *unit)
{
	printf("bench %s %llu %s\n", name, (unsigned long long)v, unit);
}

/* Free pages of the machine (vm.uvmexp's `free', its fifth int). */
static long
free_pages(void)
{
	int mib[2] = { CTL_VM, VM_UVMEXP };
	int ux[1024];
	size_t len = sizeof(ux);

	memset(ux, 0, sizeof(ux));
	if (sysctl(mib, 2, ux, &len, NULL, 0) == -1 && errno != ENOMEM)
		return (-1);
	return (ux[4]);
}

/* The exit must be the OUT to `port'; steps the guest past it. */
static void
expect_out(uint16_t r, struct vm_exit *ve, uint16_t port)
{
	if (!is_io_exit(r) || ve->vei.vei_port != port)
		errx(1, "exit 0x%x port 0x%x, want an OUT to 0x%x", r,
		    ve->vei.vei_port, port);
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += ve->vei.vei_insn_len;
}

static uint32_t
create_small(int fd, struct vm_create_params *vcp)
{
	memset(vcp, 0, sizeof(*vcp));
	vcp->vcp_memranges[0].vmr_size = getpagesize();
	vcp->vcp_memranges[0].vmr_type = VM_MEM_RAM;
	vcp->vcp_nmemranges = 1;
	vcp->vcp_ncpus = 1;
	strlcpy(vcp->vcp_name, "bench-n", sizeof(vcp->vcp_name));
	if (vmm_create(fd, vcp) == -1)
		return (0);
	return (vcp->vcp_id);
}

static uint64_t
info_cost(int fd, struct vm_info_params *vip, size_t want)
{
	uint64_t s[INFO_SAMPLES], t0;
	int i;

	for (i = 0; i < INFO_SAMPLES; i++) {
		t0 = rdtsc();
		if (ioctl(fd, VMM_IOC_INFO, vip) == -1)
			err(1, "VMM_IOC_INFO");
		s[i] = rdtsc() - t0;
		CHECK(vip->vip_info_ct == want);
	}
	return (median(s, INFO_SAMPLES));
}

static uint64_t	samples[REGS_SAMPLES > IO_SAMPLES ? REGS_SAMPLES : IO_SAMPLES];

/*
 * make obsd-bench-profile (regress/obsd/profile.sh) turns QEMU's
 * execution log on at a "profile start NAME" line and off at "profile
 * end NAME"; the pauses give it the time (idle time, at real speed under
 * -icount's default sleep=on).  One iteration of each profiled loop is
 * a function of its own, whose entry marks the iterations in the log.
 */
static void
profile_mark(const char *what, const char *name)
{
	printf("profile %s %s\n", what, name);
	fflush(stdout);
	sleep(1);
}

static void __attribute__((noinline))
io_once(int fd, uint32_t id, struct vm_exit *ve)
{
	expect_out(run_vcpu(fd, id, ve), ve, PORT_IO);
}

static void __attribute__((noinline))
regs_once(int fd, struct vm_rwregs_params *vrwp)
{
	if (ioctl(fd, VMM_IOC_READREGS, vrwp) == -1)
		err(1, "VMM_IOC_READREGS");
}

int
main(void)
{
	struct vm_create_params vcp, vcp2;
	struct vm_info_params vip;
	struct vm_info_result *vir;
	struct vm_rwregs_params vrwp;
	struct vcpu_reg_state vrs;
	struct vm_exit *ve;
	uint64_t t0, t1, rounds[ROUNDS], vmr[VM_ROUNDS];
	uint32_t id, id0, ids[MAXVMS];
	long pg[VM_ROUNDS], f0;
	uint16_t r;
	int fd, n, nvm;

	fd = vmm_open_or_skip();
	id0 = id = create_vm(fd, "bench", &vcp);
	bios_boot(fd, id, &vcp, b_reset, b_reset_end, b_code, b_code_end);
	if ((ve = calloc(1, sizeof(*ve))) == NULL)
		err(1, NULL);

	/* CPUID loops in the guest, a run each. */
	for (n = 0; n < ROUNDS; n++) {
		expect_out(run_vcpu(fd, id, ve), ve, PORT_CPUID);
		t0 = rdtsc();
		r = run_vcpu(fd, id, ve);
		t1 = rdtsc();
		expect_out(r, ve, PORT_CPUID_END);
		rounds[n] = (t1 - t0) / CPUID_LOOPS;
	}
	figure("cpuid-roundtrip", median(rounds, ROUNDS), "insns");

	/* The OUT loop: each iteration one exit to this loop and back. */
	expect_out(run_vcpu(fd, id, ve), ve, PORT_IO);
	profile_mark("start", "io-roundtrip");
	t0 = rdtsc();
	for (n = 0; n < IO_SAMPLES; n++) {
		io_once(fd, id, ve);
		t1 = rdtsc();
		samples[n] = t1 - t0;
		t0 = t1;
	}
	profile_mark("end", "io-roundtrip");
	figure("io-roundtrip", median(samples, IO_SAMPLES), "insns");

	memset(&vrwp, 0, sizeof(vrwp));
	vrwp.vrwp_vm_id = id;
	vrwp.vrwp_mask = VM_RWREGS_ALL;
	profile_mark("start", "ioctl-path");
	t0 = rdtsc();
	for (n = 0; n < REGS_SAMPLES; n++) {
		regs_once(fd, &vrwp);
		t1 = rdtsc();
		samples[n] = t1 - t0;
		t0 = t1;
	}
	profile_mark("end", "ioctl-path");
	CHECK(vrwp.vrwp_regs.vrs_gprs[VCPU_REGS_RIP] != 0);
	figure("ioctl-path", median(samples, REGS_SAMPLES), "insns");

	for (n = 0; n < VM_ROUNDS; n++) {
		t0 = rdtsc();
		id = create_vm(fd, "bench2", &vcp2);
		flat16(&vrs);
		reset_vcpu(fd, id, &vrs);
		terminate_vm(fd, id);
		vmr[n] = rdtsc() - t0;
	}
	figure("create-reset-term", median(vmr, VM_ROUNDS), "insns");

	for (n = 0; n < VM_ROUNDS; n++) {
		f0 = free_pages();
		id = create_small(fd, &vcp2);
		CHECK(id != 0);
		flat16(&vrs);
		reset_vcpu(fd, id, &vrs);
		pg[n] = f0 - free_pages();
		terminate_vm(fd, id);
	}
	for (n = 0; n < VM_ROUNDS; n++)
		vmr[n] = pg[n] < 0 ? 0 : (uint64_t)pg[n];
	figure("pages-per-vm", median(vmr, VM_ROUNDS), "pages");

	/* INFO with 1 VM (the first), then as many as fit. */
	if ((vir = calloc(MAXVMS, sizeof(*vir))) == NULL)
		err(1, NULL);
	memset(&vip, 0, sizeof(vip));
	vip.vip_size = MAXVMS * sizeof(*vir);
	vip.vip_info = vir;
	figure("info-1vm", info_cost(fd, &vip, 1), "insns");
	for (nvm = 1; nvm < MAXVMS; nvm++) {
		if ((ids[nvm] = create_small(fd, &vcp2)) == 0) {
			if (errno == ENOMEM)
				break;		/* out of ASIDs */
			err(1, "VMM_IOC_CREATE");
		}
	}
	printf("bench vms-held %d vms\n", nvm);
	t0 = info_cost(fd, &vip, nvm);
	printf("bench info-%dvm %llu insns\n", nvm, (unsigned long long)t0);
	for (n = 1; n < nvm; n++)
		terminate_vm(fd, ids[n]);
	terminate_vm(fd, id0);
	free(vir);
	free(ve);
	close(fd);
	return (0);
}
