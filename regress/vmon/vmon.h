/*
 * vmon: a small guest monitor that drives /dev/vmm the way vmd(8) does.
 *
 * Processes (vmd's, see README.md):
 *  - the parent plays vmd's vmm process: it starts the VM process, waits
 *    for it and terminates the VM (VMM_IOC_TERM);
 *  - the VM process creates the VM (its memory is mapped there), resets
 *    the vcpu and runs vmd's vcpu loop: RUN, handle the exit, answer;
 *  - the device process, pledged "stdio vmm proc", maps guest memory
 *    with VMM_IOC_SHAREMEM, loads the guest (it is the boot disk) and
 *    then plays vmd's event thread: the PIT and RTC timers, which raise
 *    interrupts with VMM_IOC_INTR while the vcpu runs.
 * The device state both use is in memory the two processes share.
 */

#ifndef VMON_H
#define VMON_H

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <machine/vmmvar.h>
#include <dev/vmm/vmm.h>

#include <stdint.h>

#if __has_include(<testbed.h>)
#include <testbed.h>
#define VMON_TESTBED	1
#endif

/*
 * VMON_ABI_76: built against OpenBSD 7.6's own /dev/vmm headers (vmm.h
 * 1.7, vmmvar.h 1.106) for that tree's C driver (make obsd-bench's guest
 * boot; regress/obsd/userland VMM_ABI=c defines VMMTEST_ABI_76).  Two
 * contracts differ from vmm.h 1.13, everything else the monitor uses is
 * the same: 7.6's CREATE shares memory the caller mapped (vmr_va in),
 * and 7.6's SHAREMEM maps at addresses the caller chose (no vsp_va[]).
 */
#if defined(VMMTEST_ABI_76) && !defined(VMON_ABI_76)
#define VMON_ABI_76	1
#endif

#define VMON_MB(x)	((uint64_t)(x) << 20)

/* Interrupt lines (vmd's). */
#define IRQ_PIT		0
#define IRQ_COM1	4
#define IRQ_RTC		8
#define IRQ_NONE	0xff

/* What a port handler returns: an interrupt line to raise, or IRQ_NONE. */
typedef uint8_t (*vmon_io_fn)(struct vm_exit_inout *);

/* A simple lock over the shared state (the two processes may run at once). */
struct vmon_lock {
	volatile uint32_t	l_held;
};

/* How a run ended (vmon_shared.sh_end). */
enum vmon_end {
	END_NONE = 0,
	END_RESET,		/* i8042 reset line, or triple fault */
	END_HALT,		/* halted with interrupts off (RUN: EIO) */
	END_MARKER,		/* the marker appeared and -E was given */
	END_ERROR,		/* the monitor gave up; see sh_why */
};

/* Counters for the figures printed at the end. */
struct vmon_stats {
	uint64_t	st_exits;
	struct {
		uint16_t	reason;
		uint64_t	count;
	}		st_reason[32];		/* in order of first exit */
	uint64_t	st_exit_other;
	uint64_t	st_io_unhandled;
	struct {
		uint16_t	port;
		uint64_t	count;
	}		st_io_port[16];		/* the first such ports */
	uint64_t	st_inject;		/* interrupts injected */
	uint64_t	st_inject_irq[16];
	uint64_t	st_intr_ioctl;		/* VMM_IOC_INTR calls */
	uint64_t	st_intr_during_run;	/* ... while the vcpu was in RUN */
	uint64_t	st_halts;
	uint64_t	st_console_bytes;
	uint64_t	st_runs;
	uint64_t	st_resets;
	uint64_t	st_tsc_marker;		/* TSC when the marker came */
	uint64_t	st_ns_marker;		/* monitor clock, same moment */
};

/* The state the VM process and the device process share. */
struct vmon_shared {
	struct vmon_lock	 sh_lock;	/* devices below */
	volatile int		 sh_loaded;	/* device process: guest ready */
	volatile int		 sh_reload;	/* VM process: load again */
	volatile int		 sh_done;	/* stop everything */
	volatile int		 sh_in_run;	/* the vcpu is inside RUN */
	volatile int		 sh_halted;	/* waiting for an interrupt */
	volatile int		 sh_dev_failed;	/* device process error */
	volatile enum vmon_end	 sh_end;
	volatile int		 sh_marker_seen;
	uint32_t		 sh_vm_id;
	char			 sh_why[160];
	struct vcpu_reg_state	 sh_boot;	/* registers the loader chose */
	uint64_t		 sh_t0;		/* monitor clock at start */
	uint64_t		 sh_tsc0;
	uint64_t		 sh_last_progress;	/* console output */
	uint64_t		 sh_t_end, sh_tsc_end;
	struct vmon_stats	 sh_st;
};

/* Command line / configuration. */
struct vmon_config {
	const char	*c_name;
	const char	*c_kernel;	/* path */
	const char	*c_initrd;	/* path, Linux only */
	const char	*c_cmdline;
	const char	*c_marker;	/* expected on the console */
	int		 c_marker_stop;	/* stop when it shows (-E) */
	uint64_t	 c_mem;		/* bytes */
	int		 c_resets;	/* resets to follow before stopping */
	int		 c_watchdog;	/* seconds without console output */
	int		 c_timeout;	/* seconds of run time in all */
	int		 c_quiet;	/* no live console */
};

extern struct vmon_shared	*vsh;
extern struct vmon_config	 vcfg;
extern struct vm_create_params	 vcp;

/* Guest memory as one process maps it (per range; 0 for MMIO). */
struct vmon_mem {
	uint64_t	va[VMM_MAX_MEM_RANGES];
};

/* vmon.c */
int		vmon_main(int, char **);
void		*vmon_shared_alloc(size_t);
uint64_t	vmon_nsec(void);
void		vmon_lock(void);
void		vmon_unlock(void);
void		vmon_stop(enum vmon_end, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
void		vmon_console_progress(void);
void		*vmon_gpa(const struct vmon_mem *, uint64_t, size_t);
int		vmon_write_gpa(const struct vmon_mem *, uint64_t, const void *,
		    size_t);

/* i8259.c */
void		i8259_init(void);
int		i8259_assert_irq(uint8_t);
int		i8259_deassert_irq(uint8_t);
int		i8259_is_pending(void);
uint16_t	i8259_ack(void);
uint8_t		vcpu_exit_i8259(struct vm_exit_inout *);
uint8_t		vcpu_exit_elcr(struct vm_exit_inout *);

/* i8253.c */
void		i8253_init(void);
int		i8253_tick(uint64_t, uint64_t *);
uint8_t		vcpu_exit_i8253(struct vm_exit_inout *);
uint8_t		vcpu_exit_i8253_misc(struct vm_exit_inout *);

/* mc146818.c */
void		mc146818_init(uint64_t, uint64_t);
void		mc146818_reset(void);
int		mc146818_tick(uint64_t, uint64_t *);
uint8_t		vcpu_exit_mc146818(struct vm_exit_inout *);

/* ns8250.c */
void		ns8250_init(void);
void		ns8250_flush(void);
uint8_t		vcpu_exit_com(struct vm_exit_inout *);

/* pci.c */
void		pci_init(void);
uint8_t		vcpu_exit_pci(struct vm_exit_inout *);

/* i8042.c */
uint8_t		vcpu_exit_i8042(struct vm_exit_inout *);

/* loadfile_linux.c, loadfile_elf.c */
struct vmon_image {
	int		 i_fd;
	uint64_t	 i_size;
};
int		vmon_image_open(struct vmon_image *, const char *);
int		vmon_image_read(struct vmon_image *, uint64_t, void *, size_t);
int		vmon_image_to_guest(const struct vmon_mem *, struct vmon_image *,
		    uint64_t, uint64_t, uint64_t);
int		linux_probe(struct vmon_image *);
int		linux_load(const struct vmon_mem *, struct vmon_image *,
		    struct vmon_image *, const char *, struct vcpu_reg_state *);
int		elf_probe(struct vmon_image *);
int		elf_load(const struct vmon_mem *, struct vmon_image *,
		    const char *, struct vcpu_reg_state *);

static inline uint64_t
rdtsc_now(void)
{
	uint32_t lo, hi;

	__asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return (((uint64_t)hi << 32) | lo);
}

/* Helpers for the I/O handlers: the bytes of an access. */
static inline uint32_t
vei_mask(const struct vm_exit_inout *vei)
{
	return (vei->vei_size >= 4 ? 0xffffffffU :
	    (1U << (vei->vei_size * 8)) - 1);
}

/* Sets the value an IN returns, keeping the bytes outside the access. */
static inline void
vei_set_in(struct vm_exit_inout *vei, uint32_t v)
{
	uint32_t m = vei_mask(vei);

	vei->vei_data = (vei->vei_data & ~m) | (v & m);
}

#endif /* !VMON_H */
