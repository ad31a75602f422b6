/*
 * kern_proc.c: simulated processes, curproc switching and pledge state.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>
#include <sys/proc.h>
#include <sys/kernel.h>
#include <sys/pledge.h>
#include <sys/pool.h>
#include <sys/user.h>
#include <uvm/uvm_extern.h>

#include <machine/cpufunc.h>

#include "tb.h"

LIST_HEAD(processlist, process);
struct processlist	tb_allprocess = LIST_HEAD_INITIALIZER(tb_allprocess);

struct process		process0;
struct proc		proc0;
static struct vmspace	vmspace0;
static struct user	user0;
static struct pool	upool;		/* u-areas: 64-byte aligned */

static struct process	*tb_slots[TB_USER_NSLOTS];
static pid_t		 tb_nextpid = 100;

int			 tb_pledge_violations_total;
uint64_t		 tb_pledge_lastcode_total;

extern char		 boot_stack_top[];

CTASSERT(TB_KSTACK_PAGES == howmany(TB_KSTACK_SIZE, PAGE_SIZE));
CTASSERT(TB_KSTACK_SIZE % 16 == 0);

/* Painted into free kernel stack, to find how deep a stack was used. */
#define KSTACK_PAINT	0x5a
size_t			 tb_kstack_maxused;	/* of freed process stacks */

void
proc_init(void)
{
	process0.ps_pid = 0;
	process0.ps_flags = PS_SYSTEM;
	process0.ps_pledge = PLEDGE_USERSET;
	process0.ps_vmspace = &vmspace0;
	process0.ps_mainproc = &proc0;
	process0.ps_tbslot = -1;
	strlcpy(process0.ps_comm, "swapper", sizeof(process0.ps_comm));
	proc0.p_p = &process0;
	proc0.p_vmspace = &vmspace0;
	proc0.p_tid = 0;
	proc0.p_flag = P_SYSTEM;
	proc0.p_stat = SONPROC;
	proc0.p_pledge = process0.ps_pledge;
	proc0.p_cpu = curcpu();
	proc0.p_addr = &user0;
	proc0.p_tbkstack = (vaddr_t)boot_stack_top;	/* locore.S */
	vmspace0.vm_map.pmap = pmap_kernel();
	pool_init(&upool, sizeof(struct user), 64, IPL_NONE, PR_WAITOK,
	    "upl", NULL);
	vmspace0.vm_refcnt = 1;
	LIST_INSERT_HEAD(&tb_allprocess, &process0, ps_list);
	curcpu()->ci_curproc = &proc0;
}

/*
 * Kernel stacks: TB_KSTACK_SIZE bytes from TB_KSTACK_LO(p_tbkstack) up
 * to p_tbkstack, and the unmapped page below (see kstack.h).
 */
static void
kstack_free(struct proc *p)
{
	paddr_t base = TB_KSTACK_LO(p->p_tbkstack) - PAGE_SIZE;
	size_t used;

	if ((used = tb_kstack_measure(p)) > tb_kstack_maxused)
		tb_kstack_maxused = used;
	uvm_tb_unguard_page(base);
	pmem_free(base, TB_KSTACK_PAGES + 1);
}

/* The proc whose kernel stack has its guard page at va, if any. */
struct proc *
tb_kstack_guard_owner(vaddr_t va)
{
	struct process *pr;
	vaddr_t lo;

	LIST_FOREACH(pr, &tb_allprocess, ps_list) {
		if (pr->ps_mainproc == NULL || pr->ps_mainproc->p_tbkstack == 0)
			continue;
		lo = TB_KSTACK_LO(pr->ps_mainproc->p_tbkstack);
		if (va >= lo - PAGE_SIZE && va < lo)
			return (pr->ps_mainproc);
	}
	return (NULL);
}

/*
 * Fill p's kernel stack with KSTACK_PAINT from its bottom up to below
 * the caller's frame (all of it when another stack is in use).
 */
void
tb_kstack_paint(struct proc *p)
{
	vaddr_t lo = TB_KSTACK_LO(p->p_tbkstack);
	vaddr_t sp = (vaddr_t)__builtin_frame_address(0) - 256;

	if (sp < lo || sp >= p->p_tbkstack)
		sp = p->p_tbkstack;
	memset((void *)lo, KSTACK_PAINT, sp - lo);
}

/*
 * How much of p's kernel stack has been used since it was painted: from
 * its top down to the lowest byte that lost the paint.
 */
size_t
tb_kstack_measure(struct proc *p)
{
	const uint8_t *b = (const uint8_t *)TB_KSTACK_LO(p->p_tbkstack);

	while ((vaddr_t)b < p->p_tbkstack && *b == KSTACK_PAINT)
		b++;
	return (p->p_tbkstack - (vaddr_t)b);
}

void
tb_set_pledge(struct process *pr, uint64_t pledges)
{
	if (pledges == TB_PLEDGE_ALL) {
		pr->ps_flags &= ~PS_PLEDGE;
		pr->ps_pledge = PLEDGE_USERSET;
	} else {
		pr->ps_flags |= PS_PLEDGE;
		pr->ps_pledge = pledges & PLEDGE_USERSET;
	}
	pr->ps_mainproc->p_pledge = pr->ps_pledge;
}

/*
 * Create a process with its own user window (a 1 GiB slot), a kernel
 * stack and a file table with the console on fds 0-2.
 */
struct process *
tb_process_new(uint64_t pledges, const char *comm)
{
	struct process *pr;
	struct proc *p;
	paddr_t base;
	int slot;

	for (slot = 1; slot < TB_USER_NSLOTS; slot++)
		if (tb_slots[slot] == NULL)
			break;
	if (slot == TB_USER_NSLOTS)
		return (NULL);

	pr = malloc(sizeof(*pr), M_PROC, M_WAITOK | M_ZERO);
	p = malloc(sizeof(*p), M_PROC, M_WAITOK | M_ZERO);
	pr->ps_pid = tb_nextpid++;
	pr->ps_mainproc = p;
	pr->ps_tbslot = slot;
	strlcpy(pr->ps_comm, comm, sizeof(pr->ps_comm));
	p->p_p = pr;
	p->p_tid = pr->ps_pid + 100000;
	p->p_stat = SRUN;
	p->p_cpu = curcpu();
	p->p_addr = pool_get(&upool, PR_WAITOK | PR_ZERO);
	/* Kernel stack, with an unmapped guard page below it. */
	base = pmem_alloc(TB_KSTACK_PAGES + 1, 0, 0);
	if (base == 0) {
		pool_put(&upool, p->p_addr);
		free(p, M_PROC, sizeof(*p));
		free(pr, M_PROC, sizeof(*pr));
		return (NULL);
	}
	uvm_tb_guard_page(base);
	p->p_tbkstack = base + PAGE_SIZE + TB_KSTACK_SIZE;
	tb_kstack_paint(p);
	tb_set_pledge(pr, pledges);

	tb_slots[slot] = pr;
	if (uvm_tb_vmspace_init(pr) != 0) {
		tb_slots[slot] = NULL;
		kstack_free(p);
		pool_put(&upool, p->p_addr);
		free(p, M_PROC, sizeof(*p));
		free(pr, M_PROC, sizeof(*pr));
		return (NULL);
	}
	p->p_vmspace = pr->ps_vmspace;

	tb_files_init(pr);
	LIST_INSERT_HEAD(&tb_allprocess, pr, ps_list);
	tbstat.procs++;
	return (pr);
}

/*
 * Tear a process down as exit would: close its files (the driver's
 * close routine runs), remove every mapping (immutable ones too) and
 * release the user window.
 */
void
tb_process_exit(struct process *pr)
{
	struct proc *p = pr->ps_mainproc;
	struct proc *saved = curproc;

	if (pr == &process0)
		panic("tb_process_exit: process0");
	pr->ps_flags |= PS_EXITING;
	tb_proc_switch_to(p);
	tb_files_close_all(pr);
	tb_proc_switch_to(saved == p ? &proc0 : saved);

	LIST_REMOVE(pr, ps_list);
	uvm_tb_vmspace_free(pr);
	tb_slots[pr->ps_tbslot] = NULL;
	kstack_free(p);
	pool_put(&upool, p->p_addr);
	free(p, M_PROC, sizeof(*p));
	free(pr, M_PROC, sizeof(*pr));
	tbstat.procs--;
}

void
tb_process_reap_all(void)
{
	struct process *pr, *next;

	tb_proc_switch_to(&proc0);
	LIST_FOREACH_SAFE(pr, &tb_allprocess, ps_list, next)
		if (pr != &process0)
			tb_process_exit(pr);
}

void
tb_proc_switch_to(struct proc *p)
{
	p->p_stat = SONPROC;
	curcpu()->ci_curproc = p;
}

struct process *
tb_slot_owner(int slot)
{
	if (slot < 0 || slot >= TB_USER_NSLOTS)
		return (NULL);
	return (tb_slots[slot]);
}

struct process *
prfind(pid_t pid)
{
	struct process *pr;

	LIST_FOREACH(pr, &tb_allprocess, ps_list)
		if (pr->ps_pid == pid)
			return (pr);
	return (NULL);
}

struct proc *
tfind(pid_t tid)
{
	struct process *pr;

	LIST_FOREACH(pr, &tb_allprocess, ps_list)
		if (pr->ps_mainproc->p_tid == tid)
			return (pr->ps_mainproc);
	return (NULL);
}

/* What a system call does on entry: refresh the thread's pledge copy. */
void
tb_syscall_enter(struct proc *p)
{
	if (p == &proc0)
		panic("system call made from kernel context (proc0)");
	/* Once the clock runs, interrupts are on outside the kernel. */
	if (!cold && (read_rflags() & 0x200) == 0)
		panic("system call with interrupts disabled");
	p->p_pledge = p->p_p->ps_pledge;
}

int
pledge_fail(struct proc *p, int error, uint64_t code)
{
	struct process *pr = p->p_p;

	pr->ps_tbviolations++;
	pr->ps_tblastcode = code;
	tb_pledge_violations_total++;
	tb_pledge_lastcode_total = code;
	printf("# pledge violation: pid %d (%s), code 0x%llx, error %d\n",
	    pr->ps_pid, pr->ps_comm, (unsigned long long)code, error);
	if (pr->ps_pledge & PLEDGE_ERROR)
		return (ENOSYS);
	return (error);
}
