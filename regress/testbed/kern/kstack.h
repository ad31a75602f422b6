/*
 * kstack.h: the size of the testbed's kernel stacks (C and assembly).
 *
 * Every stack the driver runs on -- proc0's, on which the testbed boots,
 * attaches vmm0 and runs its tests, and each simulated process's, on
 * which its system calls run -- gives the code TB_KSTACK_SIZE bytes
 * above an unmapped guard page, as much as OpenBSD/amd64 7.6 guarantees
 * the chain from syscall() down:
 *
 *  - a thread's u-area is USPACE = UPAGES (6) * 4096 = 24576 bytes
 *    (arch/amd64/include/param.h).  struct user, i.e. the pcb (3000
 *    bytes, most of it the FPU save area), is at its bottom.
 *  - cpu_fork() (arch/amd64/amd64/vm_machdep.c) calls setguardpage(),
 *    which unmaps the u-area's second page; the stack is the four pages
 *    above it, 16384 bytes.
 *  - cpu_fork() sets pcb_kstack to the top of the u-area less 16 bytes
 *    and less arc4random() & PAGE_MASK & ~_STACKALIGNBYTES, a random
 *    multiple of 16 from 0 to 4080.  cpu_switchto() points the CPU's
 *    kernel stack pointer FRAMESIZE (sizeof(struct trapframe), 176)
 *    below pcb_kstack; the system call entry builds the trapframe there
 *    and calls syscall().
 *
 * So syscall(), sys_ioctl(), the vnode and specfs layers and vmmioctl()
 * together have 16384 - 16 - 4080 - 176 = 12112 bytes in the worst case
 * and 16192 in the best.  The testbed gives the worst case: a driver that
 * only fits with a lucky offset double-faults in some processes.  In a
 * real kernel interrupts also nest on this stack, so the margin there is
 * smaller still.
 *
 * proc0 boots on its u-area with %rsp at USPACE - FRAMESIZE and no guard
 * page (locore0.S), so autoconf, and with it vmm's attach, has about
 * 21 KiB before it overwrites the pcb.  The testbed holds attach to the
 * same 12112 bytes as a system call, and faults instead of corrupting.
 */

#ifndef _TB_KSTACK_H_
#define _TB_KSTACK_H_

#define TB_KSTACK_SIZE	12112	/* usable bytes, see above */
#define TB_KSTACK_PAGES	3	/* howmany(TB_KSTACK_SIZE, PAGE_SIZE) */

#endif /* !_TB_KSTACK_H_ */
