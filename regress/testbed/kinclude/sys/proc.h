/*
 * Testbed <sys/proc.h>: simulated processes.
 *
 * Each struct process owns one struct proc (its only thread), a vmspace
 * whose map covers a private 1 GiB "user window" of virtual memory, a
 * file table and its pledge state; the proc has a 64 KiB kernel stack
 * that system calls run on.  Exactly one proc is current
 * (curproc); switching is explicit.  process0/proc0 is the kernel's own
 * process, current while the testbed itself runs; it has no user window.
 */

#ifndef _SYS_PROC_H_
#define _SYS_PROC_H_

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/param.h>
#include <machine/cpu.h>

struct user;
struct vmspace;
struct file;
struct tb_arena;

#define TB_NFILES	32		/* file table size per process */

struct process {
	pid_t			 ps_pid;
	int			 ps_flags;	/* PS_* */
	uint64_t		 ps_pledge;	/* promises, if PS_PLEDGE */
	uint64_t		 ps_execpledge;
	struct vmspace		*ps_vmspace;
	struct proc		*ps_mainproc;
	int			 ps_siglist;	/* pending, process-wide */
	char			 ps_comm[MAXCOMLEN + 1];
	LIST_ENTRY(process)	 ps_list;

	/* testbed private */
	struct file		*ps_tbfiles[TB_NFILES];
	int			 ps_tbslot;	/* user window slot */
	struct tb_arena		*ps_tbheap;	/* user malloc arena */
	int			 ps_tbviolations; /* pledge_fail() calls */
	uint64_t		 ps_tblastcode;
};

struct proc {
	struct process		*p_p;
	struct vmspace		*p_vmspace;	/* copy of p_p->ps_vmspace */
	pid_t			 p_tid;
	int			 p_flag;	/* P_* */
	char			 p_stat;	/* S* */
	uint64_t		 p_pledge;	/* copy of ps_pledge at syscall */
	int			 p_siglist;	/* pending signals */
	int			 p_sigmask;	/* blocked signals */
	const volatile void	*p_wchan;	/* sleep address */
	const char		*p_wmesg;	/* sleep reason */
	struct cpu_info		*p_cpu;
	struct user		*p_addr;	/* u-area (pcb) */
	vaddr_t			 p_tbkstack;	/* top of kernel stack */
};

#define SONPROC		7
#define SRUN		2
#define SSLEEP		3

#define P_SYSTEM	0x00000200

#define PS_CONTROLT	0x00000001
#define PS_EXITING	0x00000008
#define PS_SYSTEM	0x00010000
#define PS_EMBRYO	0x00020000
#define PS_ZOMBIE	0x00040000
#define PS_PLEDGE	0x00100000	/* has called pledge(2) */
#define PS_EXECPLEDGE	0x00400000

#ifdef _KERNEL
extern struct process	process0;
extern struct proc	proc0;

struct process	*prfind(pid_t);
struct proc	*tfind(pid_t);
#endif

#endif /* !_SYS_PROC_H_ */
