/*
 * syscall.S: the system calls the userland makes, one stub each.
 *
 * OpenBSD/amd64 convention: the number in %rax, the arguments in %rdi,
 * %rsi, %rdx, %r10, %r8, %r9; the kernel clobbers %rcx and %r11 and sets
 * the carry flag on failure, with the errno value in %rax.  A stub
 * returns the result, or minus the errno value (sys.c turns that into
 * errno and -1).
 *
 * Since OpenBSD 7.5 the kernel accepts a system call from a static
 * program only from the one `syscall' instruction its PT_OPENBSD_SYSCALLS
 * table names for that number.  Every stub records the address of its
 * instruction and its number in the section .openbsd.syscalls (not
 * loaded); tools/pinsyscalls.c makes the program header that covers it.
 * So each number must have exactly one stub here.
 */

#define SYSCALL(name, number)						\
	.text;								\
	.globl	__sys_##name;						\
	.type	__sys_##name, @function;				\
	.p2align 4;							\
__sys_##name:								\
	movq	%rcx, %r10;						\
	movl	$number, %eax;						\
97:	syscall;							\
	jnc	98f;							\
	negq	%rax;							\
98:	ret;								\
	.size	__sys_##name, . - __sys_##name;				\
	.section .openbsd.syscalls, "", @progbits;			\
	.p2align 2;							\
	.long	97b, number

/* Numbers from OpenBSD 7.6 <sys/syscall.h>. */
SYSCALL(exit, 1)
SYSCALL(fork, 2)
SYSCALL(read, 3)
SYSCALL(write, 4)
SYSCALL(open, 5)
SYSCALL(close, 6)
SYSCALL(wait4, 11)
SYSCALL(getpid, 20)
SYSCALL(getuid, 24)
SYSCALL(geteuid, 25)
SYSCALL(getppid, 39)
SYSCALL(dup, 41)
SYSCALL(mmap, 49)
SYSCALL(ioctl, 54)
SYSCALL(reboot, 55)
SYSCALL(execve, 59)
SYSCALL(munmap, 73)
SYSCALL(mprotect, 74)
SYSCALL(clock_gettime, 87)
SYSCALL(dup2, 90)
SYSCALL(nanosleep, 91)
SYSCALL(fcntl, 92)
SYSCALL(pipe2, 101)
SYSCALL(pledge, 108)
SYSCALL(unveil, 114)
SYSCALL(kill, 122)
SYSCALL(mimmutable, 159)
SYSCALL(lseek, 166)
SYSCALL(getrlimit, 194)
SYSCALL(setrlimit, 195)
SYSCALL(sysctl, 202)
SYSCALL(minherit, 250)	/* vmmtest.h, VMMTEST_ABI_76 only */
SYSCALL(poll, 252)

	.section .note.GNU-stack, "", @progbits
