/*
 * Suspend/resume, then VMM_IOC_TERM, from one process while another is
 * inside VMM_IOC_RUN on the same VM.  TERM is vmd's "vmctl stop -f": the
 * vmm process terminates the VM while the VM process's vcpu thread is
 * running the guest.
 *
 * In the testbed the vcpu runs as a cooperative thread of its own
 * process; it gives the CPU back whenever the guest faults a new page in
 * (uvm_fault is a preemption point), so the program can watch the guest
 * make progress.  Expected (README, differences from the C driver):
 *  1. suspend (DVACT_QUIESCE) while the run is in progress: the run
 *     returns 0 with VM_EXIT_NONE at its next exit, and only then does the
 *     quiesce finish (virtualisation off, VMCS cleared); the vcpu's next
 *     RUN waits for the wakeup;
 *  2. after DVACT_WAKEUP that RUN goes on and the guest continues where
 *     it was;
 *  3. TERM asks the running vcpu to stop; the run returns 0 with
 *     VM_EXIT_NONE at its next exit; only then does TERM tear the VM down
 *     and return 0; the vcpu's next RUN gets ENOENT.
 * The leak check after the program shows nothing left behind.
 *
 * On OpenBSD the VM process is a child and only step 3 is made (suspend
 * is the whole machine's, not a program's): see the end of the file.
 */
#include <signal.h>

#include "vmmtest.h"

#ifdef VMMTEST_TESTBED

/*
 * The guest: a real-mode loop that counts at 0x500, asks CPUID (an exit
 * handled in the kernel) and touches the next 4 KiB page of 0x10000-
 * 0x8ffff (a nested page fault: uvm_fault).  After those 128 pages it
 * exits to vmd with OUT 0x99, which this test treats as a failure: the
 * run should have been stopped long before.
 */
extern const unsigned char tr_reset[], tr_reset_end[];
extern const unsigned char tr_code[], tr_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"tr_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"tr_reset_end:\n"
"tr_code:\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"	movl	$0, 0x500\n"
"	mov	$0x1000, %si\n"
"1:	mov	%si, %es\n"
"	incb	%es:0\n"
"	incl	0x500\n"
"	xor	%eax, %eax\n"
"	cpuid\n"
"	add	$0x100, %si\n"			/* cpuid clobbers %bx */
"	cmp	$0x9000, %si\n"
"	jb	1b\n"
"	mov	$0x99, %dx\n"
"	out	%al, %dx\n"
"2:	jmp	2b\n"
"tr_code_end:\n"
"	.code64\n"
"	.popsection\n"
);

#define COUNTER_GPA	0x500

/* One VMM_IOC_RUN of the VM process, as the program sees it. */
struct run {
	int		 started;	/* the ioctl was entered */
	int		 done;		/* event number when it returned */
	int		 ret, err;
	uint16_t	 reason;
};

struct vcpu_thread {
	struct vm_create_params vcp;
	uint32_t	 vm_id;
	struct run	 run[3];
	int		 setup;		/* <0: the VM process failed to set up */
	int		*seqp;		/* shared event counter */
};

static void
run_once(int fd, struct vcpu_thread *t, struct run *r, struct vm_exit *ve)
{
	struct vm_run_params vrp;

	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = t->vm_id;
	vrp.vrp_exit = ve;
	r->started = 1;
	errno = 0;
	r->ret = ioctl(fd, VMM_IOC_RUN, &vrp);
	r->err = errno;
	r->reason = vrp.vrp_exit_reason;
	r->done = ++*t->seqp;
}

static char vcpu_stack[64 * 1024] __attribute__((aligned(16)));

/*
 * vmd's VM process: creates the VM (its memory is mapped in this
 * process, as in vmd), loads the guest, then its vcpu thread runs it:
 * RUN three times, as vmd's vcpu loop would.
 */
static void
vm_process(void *arg)
{
	struct vcpu_thread *t = arg;
	struct vcpu_reg_state vrs;
	struct vm_exit ve;
	int fd, i;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1) {
		t->setup = -2;
		return;
	}
	memset(&t->vcp, 0, sizeof(t->vcp));
	vmd_memmap(&t->vcp, MB(64));
	strlcpy(t->vcp.vcp_name, "termrun", sizeof(t->vcp.vcp_name));
	if (vmm_create(fd, &t->vcp) == -1) {
		t->setup = -3;
		close(fd);
		return;
	}
	t->vm_id = t->vcp.vcp_id;
	guest_write(&t->vcp, 0xffff0, tr_reset, tr_reset_end - tr_reset);
	guest_write(&t->vcp, 0xf0100, tr_code, tr_code_end - tr_code);
	flat16(&vrs);
	{
		struct vm_resetcpu_params vrsp;

		memset(&vrsp, 0, sizeof(vrsp));
		vrsp.vrp_vm_id = t->vm_id;
		vrsp.vrp_init_state = vrs;
		if (ioctl(fd, VMM_IOC_RESETCPU, &vrsp) == -1) {
			t->setup = -4;
			close(fd);
			return;
		}
	}

	memset(&ve, 0, sizeof(ve));
	for (i = 0; i < 3; i++)
		run_once(fd, t, &t->run[i], &ve);
	close(fd);
}

static uint32_t
guest_counter(struct vm_create_params *vcp)
{
	return (*(volatile uint32_t *)(vcp->vcp_memranges[0].vmr_va +
	    COUNTER_GPA));
}

int
main(void)
{
	struct vcpu_thread t;
	uint32_t id, c1, c2;
	int fd, pid, seq = 0, susp_done, term_done, i;

	/* This process plays vmd's vmm process: it only terminates. */
	fd = vmm_open_or_skip();
	memset(&t, 0, sizeof(t));
	t.seqp = &seq;
	if ((pid = tb_proc_new(TB_PLEDGE_ALL)) == -1)
		err(1, "tb_proc_new");
	if (tb_thread_start(pid, vm_process, &t, vcpu_stack,
	    sizeof(vcpu_stack)) == -1)
		err(1, "tb_thread_start");

	/* Let the vcpu run: each yield comes back at its next page fault. */
	for (i = 0; i < 8; i++)
		if (tb_yield() != 1)
			errx(1, "yield %d: the VM process is not running "
			    "(setup %d, run %d errno %d reason 0x%x)", i,
			    t.setup, t.run[0].ret, t.run[0].err,
			    t.run[0].reason);
	CHECK(t.run[0].started && t.run[0].done == 0);
	id = t.vm_id;
	c1 = guest_counter(&t.vcp);
	for (i = 0; i < 8; i++)
		CHECK(tb_yield() == 1);
	c2 = guest_counter(&t.vcp);
	printf("guest counter %u, then %u after 8 more page faults\n", c1, c2);
	CHECK(c1 >= 1 && c2 >= c1 + 8);
	CHECK(t.run[0].done == 0);

	/* 1. Suspend while the vcpu is in RUN. */
	CHECK(tb_dev_activate(TB_DVACT_QUIESCE) == 0);
	susp_done = ++seq;
	c1 = guest_counter(&t.vcp);
	printf("quiesce: run returned %d (reason 0x%x) as event %d, quiesce "
	    "as event %d; guest counter %u\n", t.run[0].ret, t.run[0].reason,
	    t.run[0].done, susp_done, c1);
	CHECK(t.run[0].ret == 0 && t.run[0].reason == VM_EXIT_NONE);
	CHECK(t.run[0].done != 0 && t.run[0].done < susp_done);
	/* vmd's next RUN sleeps until the wakeup: nothing can run. */
	CHECK(t.run[1].started && t.run[1].done == 0);
	CHECK(tb_yield() == 0);
	CHECK(guest_counter(&t.vcp) == c1);

	/* 2. Resume: the same RUN goes on, the guest where it was. */
	CHECK(tb_dev_activate(TB_DVACT_WAKEUP) == 0);
	for (i = 0; i < 8; i++)
		CHECK(tb_yield() == 1);
	c2 = guest_counter(&t.vcp);
	printf("wakeup: guest counter %u after 8 page faults\n", c2);
	CHECK(c2 >= c1 + 8);
	CHECK(t.run[1].done == 0);

	/* 3. vmctl stop -f: TERM while the vcpu is in RUN. */
	terminate_vm(fd, id);
	term_done = ++seq;
	printf("run returned %d (reason 0x%x) as event %d, TERM as event %d; "
	    "guest counter %u\n", t.run[1].ret, t.run[1].reason, t.run[1].done,
	    term_done, guest_counter(&t.vcp));
	CHECK(t.run[1].ret == 0);
	CHECK(t.run[1].reason == VM_EXIT_NONE);
	CHECK(t.run[1].done != 0 && t.run[1].done < term_done);
	/* The vcpu thread's next RUN: the VM is gone. */
	CHECK(tb_thread_join(pid) == 0);
	CHECK(t.run[2].ret == -1 && t.run[2].err == ENOENT);
	CHECK(tb_proc_exit(pid) == 0);

	/* TERM again: nothing left. */
	{
		struct vm_terminate_params vtp = { .vtp_vm_id = id };

		CHECK_ERRNO(ioctl(fd, VMM_IOC_TERM, &vtp), ENOENT);
	}
	close(fd);
	return (0);
}

#else /* !VMMTEST_TESTBED */

/*
 * The VM process, a child, runs a guest that never exits to vmd: a
 * real-mode loop that counts at 0x500; the host's interrupts are its
 * only exits (an exit-bound loop would crawl under Bochs, whose clock
 * follows the instructions it emulates).  The program is vmd's vmm
 * process: it watches the counter through a SHAREMEM mapping of the
 * guest's memory, so it sees the guest run while it runs itself (with
 * one CPU, the vcpu's run loop gives the CPU back when the scheduler asks
 * for it), then terminates the VM.  The guest sets RFLAGS.IF first: Bochs
 * 2.7 recomputes its interrupt masks at VM entry only when IF changes, so
 * a guest entered with IF=0 (host IF=0 at VMLAUNCH; on SVM, in_svm_guest
 * is set after the guest's RFLAGS) never takes the host's interrupt exit
 * and holds the CPU for ever (regress/README.md).
 */
extern const unsigned char tl_reset[], tl_reset_end[];
extern const unsigned char tl_code[], tl_code_end[];
__asm__(
"	.pushsection .rodata\n"
"	.code16\n"
"tl_reset:\n"
"	ljmp	$0xf000, $0x0100\n"
"tl_reset_end:\n"
"tl_code:\n"
"	sti\n"
"	xor	%ax, %ax\n"
"	mov	%ax, %ds\n"
"1:	incl	0x500\n"
"	jmp	1b\n"
"tl_code_end:\n"
"	.code64\n"
"	.popsection\n"
);

#define COUNTER_GPA	0x500

/*
 * The VM process's runs, as it reports them: like vmd, it runs the vcpu
 * again after every return with VM_EXIT_NONE (the kernel wanted the CPU
 * back, or TERM stopped the run) and stops at anything else.
 */
struct runs {
	int		 nnone;		/* returns with VM_EXIT_NONE */
	int		 ret, err;	/* the last RUN */
	uint16_t	 reason;
};

/* Creates and loads the VM, sends its id, runs it, sends the result. */
static int
vm_process(int idfd, int resfd)
{
	struct vm_create_params vcp;
	struct vm_run_params vrp;
	struct vm_exit ve;
	struct runs r;
	uint32_t id;
	int fd;

	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "open /dev/vmm");
	id = create_vm(fd, "termrun", &vcp);
	bios_boot(fd, id, &vcp, tl_reset, tl_reset_end, tl_code, tl_code_end);
	if (write(idfd, &id, sizeof(id)) != sizeof(id))
		err(1, "write");
	memset(&r, 0, sizeof(r));
	for (;;) {
		memset(&vrp, 0, sizeof(vrp));
		vrp.vrp_vm_id = id;
		vrp.vrp_exit = &ve;
		errno = 0;
		r.ret = ioctl(fd, VMM_IOC_RUN, &vrp);
		r.err = errno;
		r.reason = vrp.vrp_exit_reason;
		if (r.ret != 0 || r.reason != VM_EXIT_NONE)
			break;
		r.nnone++;
	}
	if (write(resfd, &r, sizeof(r)) != sizeof(r))
		err(1, "write");
	return (0);
}

static uint32_t
counter(vaddr_t low)
{
	return (*(volatile uint32_t *)(low + COUNTER_GPA));
}

/* If the program fails, the VM process must not go on running. */
static pid_t	vm_pid;

static void
kill_vm_process(void)
{
	if (vm_pid > 0)
		kill(vm_pid, SIGKILL);
}

int
main(void)
{
	struct vm_create_params vcp;
	vaddr_t va[VMM_MAX_MEM_RANGES];
	struct vm_terminate_params vtp;
	struct runs r;
	uint32_t id, c1, c2;
	int fd, idpipe[2], respipe[2], i, status;

	fd = vmm_open_or_skip();
	if (pipe(idpipe) == -1 || pipe(respipe) == -1)
		err(1, "pipe");
	switch ((vm_pid = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		close(idpipe[0]);
		close(respipe[0]);
		_exit(vm_process(idpipe[1], respipe[1]));
	}
	atexit(kill_vm_process);
	close(idpipe[1]);
	close(respipe[1]);
	if (read(idpipe[0], &id, sizeof(id)) != sizeof(id))
		errx(1, "the VM process did not create its VM");

	/* The guest's memory in this process too, as for a device. */
	memset(&vcp, 0, sizeof(vcp));
	vmd_memmap(&vcp, MB(64));
	if (vmm_sharemem(fd, id, &vcp, va) == -1)
		err(1, "VMM_IOC_SHAREMEM");

	/* The guest runs, and so does this process. */
	for (i = 0; counter(va[0]) == 0; i++) {
		if (i == 1000)
			errx(1, "the guest does not run");
		usleep(10000);
	}
	c1 = counter(va[0]);
	usleep(200000);
	c2 = counter(va[0]);
	printf("guest counter %u, then %u 0.2 s later\n", c1, c2);
	CHECK(c2 > c1);

	/* vmctl stop -f: TERM while the vcpu is in RUN. */
	terminate_vm(fd, id);
	c1 = counter(va[0]);
	usleep(100000);
	c2 = counter(va[0]);
	printf("after TERM: guest counter %u, then %u 0.1 s later\n", c1, c2);
	CHECK(c1 == c2);

	/* The runs returned VM_EXIT_NONE until the VM was gone. */
	if (read(respipe[0], &r, sizeof(r)) != sizeof(r))
		errx(1, "the VM process did not report its runs");
	printf("%d runs returned VM_EXIT_NONE, the last one %d (errno %d, "
	    "reason 0x%x)\n", r.nnone, r.ret, r.err, r.reason);
	CHECK(r.nnone >= 1);
	CHECK(r.ret == -1 && r.err == ENOENT);
	if (waitpid(vm_pid, &status, 0) == -1)
		err(1, "waitpid");
	vm_pid = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* TERM again: nothing left. */
	vtp.vtp_vm_id = id;
	CHECK_ERRNO(ioctl(fd, VMM_IOC_TERM, &vtp), ENOENT);
	close(fd);
	return (0);
}

#endif /* VMMTEST_TESTBED */
