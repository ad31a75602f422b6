/*
 * vmon.c: the processes, the vcpu loop and the event loop of the
 * monitor (see vmon.h).
 *
 *	vmon [-q] [-c cmdline] [-e | -E marker] [-i initrd] [-m MiB]
 *	    [-n name] [-r resets] [-t seconds] [-w seconds] kernel
 *
 * The kernel is a Linux bzImage or an ELF kernel (OpenBSD's boot
 * protocol).  The monitor stops when the guest resets (i8042 reset line
 * or triple fault) more often than -r allows, halts with interrupts off,
 * does something vmd cannot emulate, prints nothing for -w seconds or
 * runs for more than -t seconds, and with -E when the marker appears on
 * its console.  Exit status 0 if the guest ended by a reset or power-off
 * and, with -e, the marker appeared; with -E, if the marker appeared.
 */

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmon.h"

#ifndef VMON_TESTBED
#include <sys/wait.h>
#endif

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct vmon_shared	*vsh;
struct vmon_config	 vcfg;
struct vm_create_params	 vcp;		/* the VM process's, and inherited */

/* Descriptors and guest mappings, one set per process. */
static int		 vm_fd = -1, dev_fd = -1;
static struct vmon_mem	 vm_mem, dev_mem;

/*
 * Platform: the testbed runs the processes as cooperative threads of
 * simulated processes (one CPU, switching when a process waits); on
 * OpenBSD they are forked and run at the same time.
 */
#define SHARED_SIZE	(64 * 1024)

#ifdef VMON_TESTBED
/* Program data counts as every process's memory in the testbed. */
static char	tb_shared[SHARED_SIZE] __attribute__((aligned(64)));
static char	dev_stack[64 * 1024] __attribute__((aligned(16)));

static void *
plat_shared(void)
{
	memset(tb_shared, 0, sizeof(tb_shared));
	return (tb_shared);
}

/* Runs fn as a new process and waits for it; returns its result. */
static int
plat_run(int (*fn)(void))
{
	int self = getpid(), pid, status;

	if ((pid = tb_proc_new(TB_PLEDGE_ALL)) == -1)
		err(1, "tb_proc_new");
	tb_proc_switch(pid);
	status = fn();
	tb_proc_switch(self);
	if (tb_proc_exit(pid) == -1)
		err(1, "tb_proc_exit");
	return (status);
}

static void
dev_thread(void *arg)
{
	int (*fn)(void) = arg;

	(void)fn();
}

/* Starts fn as a process running beside the caller. */
static int
plat_start(int (*fn)(void))
{
	int pid;

	if ((pid = tb_proc_new(TB_PLEDGE_ALL)) == -1)
		err(1, "tb_proc_new");
	if (tb_thread_start(pid, dev_thread, fn, dev_stack,
	    sizeof(dev_stack)) == -1)
		err(1, "tb_thread_start");
	return (pid);
}

static void
plat_join(int pid)
{
	if (tb_thread_join(pid) == -1)
		err(1, "tb_thread_join");
	if (tb_proc_exit(pid) == -1)
		err(1, "tb_proc_exit");
}

/* Let the other process run (between two exits). */
static void
plat_yield(void)
{
	(void)tb_yield();
}

/* Wait a little for the other process. */
static void
plat_wait(void)
{
	(void)tb_yield();
}

/* The device process waits for its next timer (or the VM process). */
static void
plat_wait_until(uint64_t when)
{
	(void)when;
	(void)tb_yield();
}
#else
static void *
plat_shared(void)
{
	void *p;

	p = mmap(NULL, SHARED_SIZE, PROT_READ | PROT_WRITE,
	    MAP_ANON | MAP_SHARED, -1, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	return (p);
}

static int
plat_start(int (*fn)(void))
{
	pid_t pid;

	switch ((pid = fork())) {
	case -1:
		err(1, "fork");
	case 0:
		_exit(fn());
	}
	return (pid);
}

static void
plat_join(int pid)
{
	int status;

	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
}

static int
plat_run(int (*fn)(void))
{
	int pid, status;

	pid = plat_start(fn);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	return (WIFEXITED(status) ? WEXITSTATUS(status) : 128);
}

static void
plat_yield(void)
{
}

static void
plat_wait(void)
{
	struct timespec ts = { 0, 100000 };

	nanosleep(&ts, NULL);
}

/* Sleeps until `when' (monitor clock), 10 ms at most. */
static void
plat_wait_until(uint64_t when)
{
	struct timespec ts = { 0, 10000000 };
	uint64_t now = vmon_nsec();

	if (when <= now)
		return;
	if (when - now < (uint64_t)ts.tv_nsec)
		ts.tv_nsec = when - now;
	nanosleep(&ts, NULL);
}
#endif

/*
 * The shared area: vmon_shared first, then the devices' state, carved
 * out once before the processes start.
 */
static char	*shared_free, *shared_end;

void *
vmon_shared_alloc(size_t len)
{
	void *p;

	len = (len + 63) & ~(size_t)63;
	if (shared_free == NULL || len > (size_t)(shared_end - shared_free))
		errx(1, "shared area too small");
	p = shared_free;
	shared_free += len;
	return (p);
}

uint64_t
vmon_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
}

/*
 * The two processes may run at the same time (OpenBSD) or be switched
 * while one holds the lock (a testbed with preemption): the waiter lets
 * the other run.
 */
void
vmon_lock(void)
{
	while (__atomic_exchange_n(&vsh->sh_lock.l_held, 1, __ATOMIC_ACQUIRE)) {
		__asm volatile("pause");
		plat_yield();
	}
}

void
vmon_unlock(void)
{
	__atomic_store_n(&vsh->sh_lock.l_held, 0, __ATOMIC_RELEASE);
}

/* Ends the run (the first reason given stays). */
void
vmon_stop(enum vmon_end end, const char *fmt, ...)
{
	va_list ap;

	if (vsh->sh_end != END_NONE)
		return;
	va_start(ap, fmt);
	vsnprintf(vsh->sh_why, sizeof(vsh->sh_why), fmt, ap);
	va_end(ap);
	vsh->sh_end = end;
}

void
vmon_console_progress(void)
{
	vsh->sh_last_progress = vmon_nsec();
}

/* The mapping of [gpa, gpa + len) in memory map m, or NULL. */
void *
vmon_gpa(const struct vmon_mem *m, uint64_t gpa, size_t len)
{
	struct vm_mem_range *r;
	size_t i;

	for (i = 0; i < vcp.vcp_nmemranges; i++) {
		r = &vcp.vcp_memranges[i];
		if (r->vmr_type == VM_MEM_MMIO || m->va[i] == 0)
			continue;
		if (gpa >= r->vmr_gpa && gpa - r->vmr_gpa <= r->vmr_size &&
		    len <= r->vmr_size - (gpa - r->vmr_gpa))
			return ((char *)m->va[i] + (gpa - r->vmr_gpa));
	}
	return (NULL);
}

int
vmon_write_gpa(const struct vmon_mem *m, uint64_t gpa, const void *buf,
    size_t len)
{
	void *p;

	if ((p = vmon_gpa(m, gpa, len)) == NULL)
		return (-1);
	memcpy(p, buf, len);
	return (0);
}

/*
 * Interrupt lines (vmd's vcpu_assert_irq / vcpu_deassert_irq): the PIC
 * first, then VMM_IOC_INTR from the calling process, so that a running
 * vcpu comes back to take the interrupt.
 */
static void
intr_ioctl(int fd, int level)
{
	struct vm_intr_params vip;

	memset(&vip, 0, sizeof(vip));
	vip.vip_vm_id = vcp.vcp_id;
	vip.vip_vcpu_id = 0;
	vip.vip_intr = level;
	if (vsh->sh_in_run)
		vsh->sh_st.st_intr_during_run++;
	vsh->sh_st.st_intr_ioctl++;
	if (ioctl(fd, VMM_IOC_INTR, &vip) == -1)
		vmon_stop(END_ERROR, "VMM_IOC_INTR: %s", strerror(errno));
}

static void
assert_irq(int fd, uint8_t irq)
{
	int pending;

	vmon_lock();
	pending = i8259_assert_irq(irq);
	vmon_unlock();
	if (pending) {
		intr_ioctl(fd, 1);
		vsh->sh_halted = 0;
	}
}

/*
 * Memory map (vmd's create_memory_map): RAM below 640 KiB, the BIOS
 * area, RAM from 1 MiB, the PCI MMIO hole, the high BIOS copy, and RAM
 * above 4 GiB if any.
 */
static void
memory_map(uint64_t mem)
{
	struct vm_mem_range *r = vcp.vcp_memranges;
	uint64_t rem = mem - VMON_MB(1), lo, hi;

	lo = rem < 0xeff00000ULL ? rem : 0xeff00000ULL;
	hi = rem - lo;
	r[0].vmr_gpa = 0;
	r[0].vmr_size = 0xa0000;
	r[0].vmr_type = VM_MEM_RAM;
	r[1].vmr_gpa = 0xa0000;
	r[1].vmr_size = 0x60000;
	r[1].vmr_type = VM_MEM_RESERVED;
	r[2].vmr_gpa = VMON_MB(1);
	r[2].vmr_size = lo;
	r[2].vmr_type = VM_MEM_RAM;
	r[3].vmr_gpa = 0xf0000000ULL;
	r[3].vmr_size = 0x0fc00000ULL;
	r[3].vmr_type = VM_MEM_MMIO;
	r[4].vmr_gpa = 0xffc00000ULL;
	r[4].vmr_size = 0x400000;
	r[4].vmr_type = VM_MEM_RESERVED;
	vcp.vcp_nmemranges = 5;
	if (hi > 0) {
		r[5].vmr_gpa = 1ULL << 32;
		r[5].vmr_size = hi;
		r[5].vmr_type = VM_MEM_RAM;
		vcp.vcp_nmemranges = 6;
	}
}

/*
 * Images: files on OpenBSD, the testbed's boot modules (/testbed/name)
 * in the testbed; read with read(2) either way.
 */
int
vmon_image_open(struct vmon_image *img, const char *path)
{
	off_t end;

	if ((img->i_fd = open(path, O_RDONLY)) == -1) {
		warn("%s", path);
		return (-1);
	}
	if ((end = lseek(img->i_fd, 0, SEEK_END)) == -1) {
		warn("%s", path);
		close(img->i_fd);
		return (-1);
	}
	img->i_size = end;
	return (0);
}

int
vmon_image_read(struct vmon_image *img, uint64_t off, void *buf, size_t len)
{
	ssize_t n;
	char *p = buf;

	if (lseek(img->i_fd, off, SEEK_SET) == -1) {
		warn("lseek");
		return (-1);
	}
	while (len > 0) {
		if ((n = read(img->i_fd, p, len)) == -1) {
			warn("read");
			return (-1);
		}
		if (n == 0) {
			warnx("short image");
			return (-1);
		}
		p += n;
		len -= n;
	}
	return (0);
}

/* Reads len bytes at off of the image straight into guest memory. */
int
vmon_image_to_guest(const struct vmon_mem *m, struct vmon_image *img,
    uint64_t off, uint64_t gpa, uint64_t len)
{
	size_t chunk;
	void *p;

	while (len > 0) {
		chunk = len < VMON_MB(1) ? len : VMON_MB(1);
		if ((p = vmon_gpa(m, gpa, chunk)) == NULL) {
			warnx("image: 0x%llx-0x%llx is not in guest RAM",
			    (unsigned long long)gpa,
			    (unsigned long long)(gpa + chunk));
			return (-1);
		}
		if (vmon_image_read(img, off, p, chunk) == -1)
			return (-1);
		off += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return (0);
}

/*
 * The device process: maps guest memory (SHAREMEM), loads the guest (it
 * is the boot disk), then runs the timers and raises their interrupts.
 */
static struct vmon_image	kimg, rimg;

static int
load_guest(void)
{
	struct vmon_image *rd = vcfg.c_initrd != NULL ? &rimg : NULL;

	if (linux_probe(&kimg))
		return (linux_load(&dev_mem, &kimg, rd, vcfg.c_cmdline,
		    &vsh->sh_boot));
	if (elf_probe(&kimg))
		return (elf_load(&dev_mem, &kimg, vcfg.c_cmdline,
		    &vsh->sh_boot));
	warnx("%s: neither a Linux bzImage nor an amd64 ELF kernel",
	    vcfg.c_kernel);
	return (-1);
}

/*
 * `now' may be older than the shared times: the device process reads the
 * clock, and the VM process, running at the same time (or preempting it
 * on one CPU), marks progress before the device process gets here.  A
 * time after `now' is no reason to stop (unsigned, the difference would
 * be huge: OpenBSD's "chatter" guest, writing all the time, was stopped
 * as hung after 0.15 s).
 */
static int
older_than(uint64_t now, uint64_t then, int seconds)
{
	return (now > then && now - then > (uint64_t)seconds * 1000000000ULL);
}

static void
watchdog(uint64_t now)
{
	if (vsh->sh_t0 == 0)
		return;		/* the guest does not run yet */
	if (vcfg.c_timeout > 0 && older_than(now, vsh->sh_t0, vcfg.c_timeout))
		vmon_stop(END_ERROR, "run time limit (%d s) reached",
		    vcfg.c_timeout);
	if (vcfg.c_watchdog > 0 &&
	    older_than(now, vsh->sh_last_progress, vcfg.c_watchdog))
		vmon_stop(END_ERROR, "no console output for %d s (%llu exits "
		    "so far): guest hung", vcfg.c_watchdog,
		    (unsigned long long)vsh->sh_st.st_exits);
}

/*
 * The device process's descriptors: /dev/vmm and the images.  On
 * OpenBSD the VM process opens them before it pledges and the device
 * process inherits them, as vmd's device processes get theirs; a
 * simulated process of the testbed has a file table of its own.
 */
static int
dev_files(void)
{
#ifdef VMON_TESTBED
	if ((dev_fd = open("/dev/vmm", O_RDWR)) == -1) {
		warn("/dev/vmm");
		return (-1);
	}
#else
	dev_fd = vm_fd;
#endif
	if (kimg.i_fd != -1)
		return (0);
	if (vmon_image_open(&kimg, vcfg.c_kernel) == -1 ||
	    (vcfg.c_initrd != NULL &&
	    vmon_image_open(&rimg, vcfg.c_initrd) == -1))
		return (-1);
	return (0);
}

/*
 * VMM_IOC_SHAREMEM: guest memory in the device process, into dev_mem.
 * 1.13's kernel chooses the addresses and returns them in vsp_va[]; for
 * 7.6's the caller chooses them, as 7.6's vmd does for its device
 * processes: free address space of each range's size, found by mapping
 * it and unmapping it again (MMIO ranges are not shared).
 */
static int
share_guest_mem(void)
{
	struct vm_sharemem_params vsp;
	size_t i;

	memset(&vsp, 0, sizeof(vsp));
	vsp.vsp_vm_id = vcp.vcp_id;
	vsp.vsp_nmemranges = vcp.vcp_nmemranges;
	memcpy(vsp.vsp_memranges, vcp.vcp_memranges,
	    sizeof(vsp.vsp_memranges));
#ifdef VMON_ABI_76
	for (i = 0; i < vsp.vsp_nmemranges; i++) {
		struct vm_mem_range *r = &vsp.vsp_memranges[i];
		void *p;

		r->vmr_va = 0;
		if (r->vmr_type == VM_MEM_MMIO)
			continue;
		p = mmap(NULL, r->vmr_size, PROT_NONE, MAP_PRIVATE | MAP_ANON,
		    -1, 0);
		if (p == MAP_FAILED) {
			warn("mmap");
			return (-1);
		}
		munmap(p, r->vmr_size);
		r->vmr_va = (vaddr_t)p;
	}
	if (ioctl(dev_fd, VMM_IOC_SHAREMEM, &vsp) == -1) {
		warn("VMM_IOC_SHAREMEM");
		return (-1);
	}
	for (i = 0; i < vsp.vsp_nmemranges; i++)
		dev_mem.va[i] = vsp.vsp_memranges[i].vmr_va;
#else
	if (ioctl(dev_fd, VMM_IOC_SHAREMEM, &vsp) == -1) {
		warn("VMM_IOC_SHAREMEM");
		return (-1);
	}
	for (i = 0; i < vsp.vsp_nmemranges; i++)
		dev_mem.va[i] = vsp.vsp_va[i];
#endif
	return (0);
}

static int
dev_main(void)
{
	uint64_t now, next;
	int pit, rtc;

	if (dev_files() == -1)
		goto fail;
	if (pledge("stdio vmm proc", NULL) == -1) {
		warn("pledge");
		goto fail;
	}
	if (share_guest_mem() == -1)
		goto fail;
	if (load_guest() == -1)
		goto fail;
	vsh->sh_loaded = 1;

	/* vmd's event thread: the timers, while the vcpu runs. */
	while (!vsh->sh_done) {
		if (vsh->sh_reload) {
			vsh->sh_reload = 0;
			if (load_guest() == -1) {
				vmon_stop(END_ERROR, "reloading the guest "
				    "failed");
				break;
			}
			vsh->sh_loaded = 1;
		}
		now = vmon_nsec();
		next = now + 1000000000ULL;
		vmon_lock();
		pit = i8253_tick(now, &next);
		rtc = mc146818_tick(now, &next);
		vmon_unlock();
		if (pit)
			assert_irq(dev_fd, IRQ_PIT);
		if (rtc)
			assert_irq(dev_fd, IRQ_RTC);
		watchdog(now);
		plat_wait_until(next);
	}
	close(dev_fd);
	return (0);
fail:
	vsh->sh_dev_failed = 1;
	return (1);
}

/*
 * The VM process.
 */

static const char *
exit_name(uint16_t r)
{
	switch (r) {
	case SVM_VMEXIT_INTR:
		return ("SVM INTR");
	case SVM_VMEXIT_VINTR:
		return ("SVM VINTR");
	case SVM_VMEXIT_CPUID:
		return ("SVM CPUID");
	case SVM_VMEXIT_HLT:
		return ("SVM HLT");
	case SVM_VMEXIT_IOIO:
		return ("SVM IOIO");
	case SVM_VMEXIT_MSR:
		return ("SVM MSR");
	case SVM_VMEXIT_SHUTDOWN:
		return ("SVM SHUTDOWN");
	case SVM_VMEXIT_NPF:
		return ("SVM NPF");
	case VMX_EXIT_EXTINT:
		return ("VMX EXTINT");
	case VMX_EXIT_TRIPLE_FAULT:
		return ("VMX TRIPLE_FAULT");
	case VMX_EXIT_INT_WINDOW:
		return ("VMX INT_WINDOW");
	case VMX_EXIT_CPUID:
		return ("VMX CPUID");
	case VMX_EXIT_HLT:
		return ("VMX HLT");
	case VMX_EXIT_IO:
		return ("VMX IO");
	case VMX_EXIT_EPT_VIOLATION:
		return ("VMX EPT_VIOLATION");
	}
	return (NULL);
}

#define reasons	vsh->sh_st.st_reason

static void
count_exit(uint16_t r)
{
	size_t i;

	vsh->sh_st.st_exits++;
	for (i = 0; i < nitems(reasons); i++) {
		if (reasons[i].count == 0)
			reasons[i].reason = r;
		if (reasons[i].reason == r) {
			reasons[i].count++;
			return;
		}
	}
	vsh->sh_st.st_exit_other++;
}

/* The port handlers (vmd's ioports_map). */
static vmon_io_fn
io_handler(uint16_t port)
{
	switch (port) {
	case 0x20:
	case 0x21:
	case 0xa0:
	case 0xa1:
		return (vcpu_exit_i8259);
	case 0x4d0:
	case 0x4d1:
		return (vcpu_exit_elcr);
	case 0x40:
	case 0x41:
	case 0x42:
	case 0x43:
		return (vcpu_exit_i8253);
	case 0x61:
		return (vcpu_exit_i8253_misc);
	case 0x60:
	case 0x64:
		return (vcpu_exit_i8042);
	case 0x70:
	case 0x71:
		return (vcpu_exit_mc146818);
	case 0xcf8:
	case 0xcfc:
	case 0xcfd:
	case 0xcfe:
	case 0xcff:
		return (vcpu_exit_pci);
	}
	if (port >= 0x3f8 && port <= 0x3ff)
		return (vcpu_exit_com);
	return (NULL);
}

/* An access to a port without a device: counted, the port noted. */
static void
note_port(uint16_t port)
{
	struct vmon_stats *st = &vsh->sh_st;
	size_t i;

	st->st_io_unhandled++;
	for (i = 0; i < nitems(st->st_io_port); i++) {
		if (st->st_io_port[i].count == 0)
			st->st_io_port[i].port = port;
		if (st->st_io_port[i].port == port) {
			st->st_io_port[i].count++;
			return;
		}
	}
}

static void
exit_inout(struct vm_exit *ve)
{
	struct vm_exit_inout *vei = &ve->vei;
	vmon_io_fn fn;
	uint8_t irq = IRQ_NONE;

	if (vei->vei_rep || vei->vei_string) {
		vmon_stop(END_ERROR, "string or REP I/O at port 0x%x, rip "
		    "0x%llx: vmd cannot emulate it", vei->vei_port,
		    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
		return;
	}
	fn = io_handler(vei->vei_port);
	vmon_lock();
	if (fn != NULL)
		irq = fn(vei);
	else {
		note_port(vei->vei_port);
		if (vei->vei_dir == VEI_DIR_IN)
			vei_set_in(vei, 0xffffffff);
	}
	vmon_unlock();
	ve->vrs.vrs_gprs[VCPU_REGS_RIP] += vei->vei_insn_len;
	if (irq != IRQ_NONE)
		assert_irq(vm_fd, irq);
}

static void
vcpu_exit(uint16_t reason, struct vm_exit *ve)
{
	switch (reason) {
	case VMX_EXIT_IO:
	case SVM_VMEXIT_IOIO:
		exit_inout(ve);
		break;
	case VMX_EXIT_EPT_VIOLATION:
	case SVM_VMEXIT_NPF:
		switch (ve->vee.vee_fault_type) {
		case VEE_FAULT_HANDLED:
			break;
		case VEE_FAULT_PROTECT:
			vmon_stop(END_ERROR, "guest wrote to protected memory "
			    "at rip 0x%llx",
			    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
			break;
		default:
			vmon_stop(END_ERROR, "guest touched memory without a "
			    "device (MMIO) at rip 0x%llx: vmd cannot emulate "
			    "it", (unsigned long long)
			    ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
			break;
		}
		break;
	case VMX_EXIT_HLT:
	case SVM_VMEXIT_HLT:
		vsh->sh_st.st_halts++;
		vsh->sh_halted = 1;
		break;
	case VMX_EXIT_TRIPLE_FAULT:
	case SVM_VMEXIT_SHUTDOWN:
		vmon_stop(END_RESET, "guest reset (triple fault) at rip "
		    "0x%llx",
		    (unsigned long long)ve->vrs.vrs_gprs[VCPU_REGS_RIP]);
		break;
	default:
		break;		/* returned so that an interrupt goes in */
	}
}

/* The devices at power-on, or after a reset (the RTC goes on). */
static void
devices_init(int reset)
{
	uint64_t lo = vcp.vcp_memranges[2].vmr_size, hi = 0;

	if (vcp.vcp_nmemranges > 5)
		hi = vcp.vcp_memranges[5].vmr_size;
	vmon_lock();
	i8259_init();
	i8253_init();
	if (reset)
		mc146818_reset();
	else
		mc146818_init(lo, hi);
	ns8250_init();
	pci_init();
	vmon_unlock();
}

static int
reset_vcpu(void)
{
	struct vm_resetcpu_params vrp;

	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_init_state = vsh->sh_boot;
	if (ioctl(vm_fd, VMM_IOC_RESETCPU, &vrp) == -1) {
		warn("VMM_IOC_RESETCPU");
		return (-1);
	}
	return (0);
}

/* Waits for the device process to (re)load the guest. */
static int
wait_loaded(void)
{
	while (!vsh->sh_loaded && !vsh->sh_dev_failed && !vsh->sh_done)
		plat_wait();
	return (vsh->sh_loaded ? 0 : -1);
}

/* vmd's vcpu_run_loop. */
static void
vcpu_loop(void)
{
	struct vm_run_params vrp;
	struct vm_exit *ve;
	uint16_t vec;

	if ((ve = malloc(sizeof(*ve))) == NULL)
		err(1, NULL);
	memset(&vrp, 0, sizeof(vrp));
	vrp.vrp_vm_id = vcp.vcp_id;
	vrp.vrp_vcpu_id = 0;
	vrp.vrp_exit = ve;
	for (;;) {
		/* Halted: no RUN until an interrupt is there to take. */
		while (vsh->sh_halted && vsh->sh_end == END_NONE) {
			vmon_lock();
			if (i8259_is_pending())
				vsh->sh_halted = 0;
			vmon_unlock();
			if (vsh->sh_halted)
				plat_wait();
		}
		if (vsh->sh_end == END_RESET &&
		    vsh->sh_st.st_resets < (uint64_t)vcfg.c_resets) {
			/* Reboot: devices, the guest's images, RESETCPU. */
			vsh->sh_st.st_resets++;
			printf("vmon: %s; reset %llu of %d\n", vsh->sh_why,
			    (unsigned long long)vsh->sh_st.st_resets,
			    vcfg.c_resets);
			ns8250_flush();
			devices_init(1);
			vsh->sh_loaded = 0;
			vsh->sh_reload = 1;
			vsh->sh_end = END_NONE;
			vsh->sh_halted = 0;
			vrp.vrp_irqready = 0;
			if (wait_loaded() == -1 || reset_vcpu() == -1) {
				vmon_stop(END_ERROR, "reset failed");
				break;
			}
		}
		if (vsh->sh_end != END_NONE)
			break;

		vmon_lock();
		vrp.vrp_inject.vie_type = VCPU_INJECT_NONE;
		if (vrp.vrp_irqready && i8259_is_pending()) {
			vec = i8259_ack();
			vrp.vrp_inject.vie_vector = vec;
			vrp.vrp_inject.vie_type = VCPU_INJECT_INTR;
			vsh->sh_st.st_inject++;
			vsh->sh_st.st_inject_irq[(vec & 7) |
			    (vec >= 0x70 && vec < 0x78 ? 8 : 0)]++;
		}
		vrp.vrp_intr_pending = i8259_is_pending();
		vmon_unlock();

		vsh->sh_in_run = 1;
		if (ioctl(vm_fd, VMM_IOC_RUN, &vrp) == -1) {
			vsh->sh_in_run = 0;
			if (errno == EIO)
				vmon_stop(END_HALT, "guest halted with "
				    "interrupts off (RUN: EIO): powered off");
			else
				vmon_stop(END_ERROR, "VMM_IOC_RUN: %s",
				    strerror(errno));
			break;
		}
		vsh->sh_in_run = 0;
		vsh->sh_st.st_runs++;
		if (vrp.vrp_exit_reason == VM_EXIT_TERMINATED) {
			vmon_stop(END_ERROR, "vcpu terminated");
			break;
		}
		if (vrp.vrp_exit_reason != VM_EXIT_NONE) {
			count_exit(vrp.vrp_exit_reason);
			vcpu_exit(vrp.vrp_exit_reason, ve);
		}
		watchdog(vmon_nsec());
		plat_yield();
	}
	ns8250_flush();
	free(ve);
}

#ifdef VMON_ABI_76
/*
 * 7.6's CREATE shares guest memory the caller has mapped: each range,
 * MMIO included, anonymous and MAP_SHARED as 7.6's vmd maps it (vm.c
 * 1.102, alloc_guest_mem: "so emulated devices will be able to generate
 * shared mappings"; MAP_CONCEAL keeps it out of core dumps).  Shared
 * memory also stays one copy when the VM process forks the device
 * process (a private mapping would turn copy-on-write in the VM process).
 * 1.13's CREATE maps memory objects of its own and returns vmr_va.
 */
static int
map_guest_mem(void)
{
	struct vm_mem_range *r;
	void *p;
	size_t i;

	for (i = 0; i < vcp.vcp_nmemranges; i++) {
		r = &vcp.vcp_memranges[i];
		p = mmap(NULL, r->vmr_size, PROT_READ | PROT_WRITE,
		    MAP_ANON | MAP_CONCEAL | MAP_SHARED, -1, 0);
		if (p == MAP_FAILED) {
			warn("guest memory");
			return (-1);
		}
		r->vmr_va = (vaddr_t)p;
	}
	return (0);
}
#endif

static int
vm_main(void)
{
	int dev;
	size_t i;

	if ((vm_fd = open("/dev/vmm", O_RDWR)) == -1) {
		warn("/dev/vmm");
		return (1);
	}
	kimg.i_fd = rimg.i_fd = -1;
#ifndef VMON_TESTBED
	if (dev_files() == -1)
		return (1);
#endif
	if (pledge("stdio vmm proc exec recvfd", NULL) == -1)
		err(1, "pledge");
	memory_map(vcfg.c_mem);
	vcp.vcp_ncpus = 1;
	strlcpy(vcp.vcp_name, vcfg.c_name, sizeof(vcp.vcp_name));
#ifdef VMON_ABI_76
	if (map_guest_mem() == -1) {
		close(vm_fd);
		return (1);
	}
#endif
	if (ioctl(vm_fd, VMM_IOC_CREATE, &vcp) == -1) {
		warn("VMM_IOC_CREATE");
		close(vm_fd);
		return (1);
	}
	vsh->sh_vm_id = vcp.vcp_id;
	for (i = 0; i < vcp.vcp_nmemranges; i++)
		vm_mem.va[i] = vcp.vcp_memranges[i].vmr_va;
	devices_init(0);

	dev = plat_start(dev_main);
	if (wait_loaded() == -1) {
		vsh->sh_done = 1;
		plat_join(dev);
		close(vm_fd);
		return (1);
	}
	if (pledge("stdio vmm recvfd", NULL) == -1)
		err(1, "pledge");
	vsh->sh_tsc0 = rdtsc_now();
	vsh->sh_last_progress = vmon_nsec();
	vsh->sh_t0 = vsh->sh_last_progress;
	if (reset_vcpu() == 0)
		vcpu_loop();
	else
		vmon_stop(END_ERROR, "cannot reset the vcpu");
	vsh->sh_t_end = vmon_nsec();
	vsh->sh_tsc_end = rdtsc_now();
	vsh->sh_done = 1;
	plat_join(dev);
	close(vm_fd);
	return (0);
}

static void
report(void)
{
	struct vmon_stats *st = &vsh->sh_st;
	uint64_t ns = vsh->sh_t_end - vsh->sh_t0;
	const char *n;
	size_t i;

	printf("vmon: %s: %s\n", vcfg.c_name, vsh->sh_why[0] ?
	    vsh->sh_why : "stopped");
	if (vcfg.c_marker != NULL) {
		if (vsh->sh_marker_seen)
			printf("vmon: marker \"%s\" after %llu.%03llu s, %llu "
			    "TSC ticks\n", vcfg.c_marker,
			    (unsigned long long)(st->st_ns_marker / 1000000000),
			    (unsigned long long)(st->st_ns_marker / 1000000 %
			    1000), (unsigned long long)st->st_tsc_marker);
		else
			printf("vmon: marker \"%s\" never seen\n",
			    vcfg.c_marker);
	}
	printf("vmon: run %llu.%03llu s (%llu TSC ticks), %llu RUN calls, "
	    "%llu exits to the monitor\n",
	    (unsigned long long)(ns / 1000000000),
	    (unsigned long long)(ns / 1000000 % 1000),
	    (unsigned long long)(vsh->sh_tsc_end - vsh->sh_tsc0),
	    (unsigned long long)st->st_runs, (unsigned long long)st->st_exits);
	for (i = 0; i < nitems(reasons) && reasons[i].count != 0; i++) {
		n = exit_name(reasons[i].reason);
		printf("vmon:   exit %#x%s%s%s: %llu\n", reasons[i].reason,
		    n ? " (" : "", n ? n : "", n ? ")" : "",
		    (unsigned long long)reasons[i].count);
	}
	printf("vmon: %llu interrupts injected (", (unsigned long long)
	    st->st_inject);
	for (i = 0; i < 16; i++)
		if (st->st_inject_irq[i] != 0)
			printf(" irq%zu %llu", i,
			    (unsigned long long)st->st_inject_irq[i]);
	printf(" ), %llu VMM_IOC_INTR (%llu while the vcpu was in RUN), "
	    "%llu halts, %llu console bytes, %llu accesses to ports "
	    "without a device, %llu resets\n",
	    (unsigned long long)st->st_intr_ioctl,
	    (unsigned long long)st->st_intr_during_run,
	    (unsigned long long)st->st_halts,
	    (unsigned long long)st->st_console_bytes,
	    (unsigned long long)st->st_io_unhandled,
	    (unsigned long long)st->st_resets);
	if (st->st_io_port[0].count != 0) {
		printf("vmon: ports without a device (accesses):");
		for (i = 0; i < nitems(st->st_io_port) &&
		    st->st_io_port[i].count != 0; i++)
			printf(" %#x (%llu)", st->st_io_port[i].port,
			    (unsigned long long)st->st_io_port[i].count);
		printf("\n");
	}
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: vmon [-q] [-c cmdline] [-e | -E marker] "
	    "[-i initrd] [-m MiB]\n"
	    "\t[-n name] [-r resets] [-t seconds] [-w seconds] kernel\n");
	exit(1);
}

int
vmon_main(int argc, char **argv)
{
	struct vm_terminate_params vtp;
	const char *errstr;
	int ch, fd, status;

	memset(&vcfg, 0, sizeof(vcfg));
	vcfg.c_name = "vmon";
	vcfg.c_cmdline = "";
	vcfg.c_mem = VMON_MB(256);
	vcfg.c_watchdog = 60;
	while ((ch = getopt(argc, argv, "c:E:e:i:m:n:qr:t:w:")) != -1) {
		switch (ch) {
		case 'c':
			vcfg.c_cmdline = optarg;
			break;
		case 'E':
			vcfg.c_marker_stop = 1;
			/* FALLTHROUGH */
		case 'e':
			vcfg.c_marker = optarg;
			break;
		case 'i':
			vcfg.c_initrd = optarg;
			break;
		case 'm':
			vcfg.c_mem = VMON_MB(strtonum(optarg, 8, 65536,
			    &errstr));
			if (errstr != NULL)
				errx(1, "memory size %s: %s", optarg, errstr);
			break;
		case 'n':
			vcfg.c_name = optarg;
			break;
		case 'q':
			vcfg.c_quiet = 1;
			break;
		case 'r':
			vcfg.c_resets = strtonum(optarg, 0, 1000, &errstr);
			if (errstr != NULL)
				errx(1, "resets %s: %s", optarg, errstr);
			break;
		case 't':
			vcfg.c_timeout = strtonum(optarg, 0, 86400, &errstr);
			if (errstr != NULL)
				errx(1, "time limit %s: %s", optarg, errstr);
			break;
		case 'w':
			vcfg.c_watchdog = strtonum(optarg, 0, 86400, &errstr);
			if (errstr != NULL)
				errx(1, "watchdog %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	vcfg.c_kernel = argv[optind];

	/* vmd's vmm process: it only terminates the VM at the end. */
	if ((fd = open("/dev/vmm", O_RDWR)) == -1)
		err(1, "/dev/vmm");
	vsh = plat_shared();
	shared_free = (char *)vsh + ((sizeof(*vsh) + 63) & ~(size_t)63);
	shared_end = (char *)vsh + SHARED_SIZE;
	status = plat_run(vm_main);
	if (vsh->sh_vm_id != 0) {
		vtp.vtp_vm_id = vsh->sh_vm_id;
		if (ioctl(fd, VMM_IOC_TERM, &vtp) == -1)
			warn("VMM_IOC_TERM");
	}
	close(fd);
	if (status != 0)
		return (status);
	report();
	if (vsh->sh_end != END_RESET && vsh->sh_end != END_HALT &&
	    vsh->sh_end != END_MARKER)
		return (1);
	if (vcfg.c_marker != NULL && !vsh->sh_marker_seen)
		return (1);
	return (0);
}
