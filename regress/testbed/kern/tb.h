/*
 * tb.h: testbed-internal kernel interfaces (not part of the OpenBSD KPI
 * the driver sees).
 */

#ifndef _TB_H_
#define _TB_H_

#include <sys/types.h>
#include <stdarg.h>

#include "kstack.h"

struct proc;
struct process;
struct vm_map;
struct trapframe;

/*
 * Memory layout (physical == virtual below 4 GiB, 2 MiB pages):
 *
 *   0x00000000 - 0x000fffff	BIOS, never allocated
 *   0x00100000 - kernel end	kernel image (text, data, bss)
 *   free RAM			kernel heap arena (carved once at boot),
 *				then the page allocator
 *
 * User windows live above the identity map, in PML4 slot 1:
 *
 *   TB_USER_BASE + slot * 1 GiB, one slot per simulated process.
 *
 * The stack regress programs run on (TB_USTACK_SIZE, with an unmapped
 * guard page below it) is reserved at boot in the identity map; like the
 * user image it counts as user memory of every process.
 */
#define TB_USTACK_SIZE	(1UL << 20)
#define TB_USER_BASE	0x0000008000000000UL
#define TB_USER_SLOTSZ	(1UL << 30)
#define TB_USER_NSLOTS	512

/* Offsets inside a user window. */
#define TB_UW_MIN	(2UL << 20)		/* first mappable address */
#define TB_UW_MMAPEND	(768UL << 20)		/* end of mmap/uvm_map area */
#define TB_UW_HEAP	(768UL << 20)		/* user malloc arena */
#define TB_UW_HEAPSZ	(240UL << 20)

/* Console */
void	cons_init(void);
void	cons_putc(int);
void	cons_write(const char *, size_t);
int	cons_atlinestart(void);

/* Formatting engine shared by printf(9) and the libc shim. */
#ifndef _TB_PUTC_T_DEFINED_
#define _TB_PUTC_T_DEFINED_
typedef void (*tb_putc_t)(int, void *);
#endif
int	tb_vformat(tb_putc_t, void *, const char *, va_list);
int	tb_vsformat(char *, size_t, const char *, va_list);

/* Machine */
struct tb_jmpbuf {
	uint64_t	jb_regs[8];
};
int	tb_setjmp(struct tb_jmpbuf *) __returns_twice;
__dead void tb_longjmp(struct tb_jmpbuf *, int);
int	tb_call_on_stack(vaddr_t, int (*)(void *), void *);

void	cpu_init(void);
void	cpu_init_vmm(void);
void	cpu_identify(void);
__dead void tb_exit(int);
void	tb_backtrace(uint64_t);
void	tb_trap(struct trapframe *);
int	tb_va_mapped(vaddr_t);

/* Physical pages */
struct tb_memrange {
	uint64_t	start;
	uint64_t	end;
};
#define PMEM_ZERO	0x01

void	pmem_init(const struct tb_memrange *, int, paddr_t, paddr_t);
paddr_t	pmem_alloc(size_t, paddr_t, int);
paddr_t	pmem_alloc_range(size_t, paddr_t, paddr_t, paddr_t, paddr_t, int);
void	pmem_free(paddr_t, size_t);
paddr_t	pmem_reserve(size_t);
void	pmem_exclude(paddr_t, paddr_t);
size_t	pmem_pages_in_use(void);
size_t	pmem_pages_free(void);
size_t	pmem_pages_total(void);
int	pmem_is_allocated(paddr_t);

/* Heap arenas (kernel malloc/pool, and per-process user malloc) */
struct hblk;
struct tb_arena {
	const char	*a_name;
	uintptr_t	 a_start;
	uintptr_t	 a_end;
	struct hblk	*a_free;
	size_t		 a_objs;		/* outstanding */
	size_t		 a_bytes;
	int		 a_junk;
};

void	 arena_init(struct tb_arena *, const char *, void *, size_t, int);
void	*arena_alloc(struct tb_arena *, size_t, size_t, const void *, int,
	    int);
int	 arena_free(struct tb_arena *, void *, const void *, size_t);
int	 arena_info(struct tb_arena *, const void *, size_t *,
	    const void **, int *);
int	 arena_contains(struct tb_arena *, const void *);
#define ARENA_OK	0
#define ARENA_BADPTR	1
#define ARENA_DOUBLE	2
#define ARENA_OWNER	3
#define ARENA_SIZE	4

void	kmem_init(void);
extern struct tb_arena kmem_arena;

/* Accounting */
struct tb_acct {
	long	pages;		/* page allocator, pages in use */
	long	malloc_objs;	/* malloc(9) objects outstanding */
	long	malloc_bytes;
	long	pool_items;	/* pool(9) items outstanding */
	long	km_pages;	/* km_alloc(9) pages outstanding */
	long	aobjs;		/* uvm_objects alive */
	long	mappings;	/* map entries alive */
	long	pmaps;		/* guest pmaps alive */
	long	procs;		/* simulated processes alive */
	long	files;		/* open files */
};
extern struct tb_acct tbstat;	/* the live counters (minus pages) */
void	tb_acct_snapshot(struct tb_acct *);

/* Processes */
#define TB_PLEDGE_ALL	(~0ULL)
void	 proc_init(void);
struct process *tb_process_new(uint64_t, const char *);
void	 tb_process_exit(struct process *);
void	 tb_process_reap_all(void);
void	 tb_proc_switch_to(struct proc *);
struct process *tb_slot_owner(int);
void	 tb_syscall_enter(struct proc *);
void	 tb_set_pledge(struct process *, uint64_t);
extern int	tb_pledge_violations_total;
extern uint64_t	tb_pledge_lastcode_total;

/* Kernel stacks (kstack.h); p_tbkstack is the top. */
#define TB_KSTACK_LO(top)	((top) - TB_KSTACK_SIZE)
struct proc *tb_kstack_guard_owner(vaddr_t);
void	 tb_kstack_paint(struct proc *);
size_t	 tb_kstack_measure(struct proc *);
extern size_t	tb_kstack_maxused;

/* A test that expects a kernel stack overflow (machdep.c). */
struct tb_kstack_catch {
	struct tb_jmpbuf kc_jb;		/* tb_trap longjmps here */
	vaddr_t		 kc_addr;	/* out: the faulting address */
	struct proc	*kc_owner;	/* out: whose guard page it hit */
};
extern struct tb_kstack_catch *tb_kstack_catch;

typedef void (*tb_sleep_hook_t)(struct proc *, const volatile void *,
    const char *, void *);
void	tb_set_sleep_hook(tb_sleep_hook_t, void *);
int	tb_sleep(const volatile void *, int, const char *, uint64_t);

/* Cooperative threads (kern_sched.c) */
int	tb_thread_start(pid_t, void (*)(void *), void *, void *, size_t);
int	tb_thread_join(pid_t);
int	tb_yield(void);
void	tb_preempt(void);
int	tb_sched_sleep(struct proc *);
int	tb_threads_live(void);
int	tb_in_thread(void);
int	tb_threads_reset(void);
void	tb_userret(void);

/* The clock and IPIs (kern_clock.c) */
#define TB_VEC_CLOCK	0xc0		/* local APIC timer, as OpenBSD's */
#define TB_VEC_IPI	0xe0		/* IPIs */
#define TB_VEC_SPURIOUS	0xff
/* APIC timer counts (instructions, see kern_clock.c) per tick. */
#define TB_TICK_COUNT	1000000
int	tb_intr(int);
void	tb_clock_init(void);
void	tb_clock_start(void);
void	tb_clock_stop(void);
int	tb_clock_is_running(void);
u_int	tb_ipi_count(int);

/* UVM glue */
void	uvm_tb_init(void);
int	uvm_tb_vmspace_init(struct process *);
void	uvm_tb_vmspace_free(struct process *);
int	uvm_tb_fault(vaddr_t, uint64_t);
int	uvm_tb_mmap(struct proc *, vaddr_t *, vsize_t, int, int);
int	uvm_tb_munmap(struct proc *, vaddr_t, vsize_t);
int	uvm_tb_mprotect(struct proc *, vaddr_t, vsize_t, int);
int	uvm_tb_user_ok(struct proc *, const void *, size_t, int);
extern char __user_image_start[], __user_image_end[];
extern char __user_bss_start[], __user_bss_end[];
extern vaddr_t tb_ustack_lo, tb_ustack_hi;
void	uvm_tb_guard_page(vaddr_t);
void	uvm_tb_unguard_page(vaddr_t);

/*
 * Boot modules (multiboot): files the loader put in memory, named by the
 * last word of their command line, read by programs as /testbed/<name>.
 */
#define TB_MAXMODS	16
struct tb_module {
	char		 m_name[64];
	const char	*m_data;	/* identity-mapped physical address */
	size_t		 m_size;
};
extern struct tb_module tb_modules[TB_MAXMODS];
extern int	tb_nmodules;

/* Devices and files */
void	tb_autoconf(void);
int	tb_dev_activate_hook(int);
void	tb_files_init(struct process *);
void	tb_files_close_all(struct process *);

/* The test runner */
extern const char *tb_curtest;
extern int	tb_curtestno;
extern int	tb_curtest_skipped;	/* the program printed "SKIPPED" */
__dead void tb_fail_run(const char *);
__dead void tb_prog_exit(int);

struct tb_selftest {
	const char	*name;
	int		(*fn)(void);
};
extern const struct tb_selftest tb_selftests[];
extern const int tb_nselftests;

struct tb_prog {
	const char	*name;
	int		(*main)(int, char **);
};
extern const struct tb_prog tb_progs[];
extern const int tb_nprogs;
extern const int tb_run_selftests;

/* libc entry, run on the user stack (libc/libc.c) */
int	__tb_libc_start(int (*)(int, char **), int, char **);

#endif /* !_TB_H_ */
