/*
 * sys_generic.c: the system calls behind the libc shim.
 *
 * A regress program runs on its user stack; every call into the kernel
 * switches to the calling proc's kernel stack (like a real trap would),
 * so kernel buffers are never user-accessible memory.  On entry the
 * proc's pledge copy is refreshed from its process (p_pledge).
 *
 * ioctl(2) follows OpenBSD's sys_ioctl: the pledge check first, then the
 * argument is moved through a kernel buffer of IOCPARM_LEN(cmd) bytes:
 * copied in for IOC_IN (a bad pointer gives EFAULT before the driver is
 * called), zeroed for IOC_OUT, and copied out after a successful call
 * for IOC_OUT.
 */

#include <sys/param.h>
#include <sys/systm.h>
#include <sys/malloc.h>
#include <sys/proc.h>
#include <sys/pledge.h>
#include <sys/signalvar.h>
#include <sys/conf.h>
#include <sys/ioctl.h>
#include <sys/fcntl.h>
#include <sys/mman.h>
#include <sys/atomic.h>
#include <sys/kernel.h>
#include <sys/time.h>
#include <uvm/uvm_extern.h>
#include <unistd.h>

#include "tb.h"
#include "tb_file.h"
#include "tb_syscall.h"

int	pledge_ioctl_vmm(struct proc *, long);

struct sysargs {
	long	a[6];
	long	ret;
};

typedef int (*sysfn_t)(struct proc *, struct sysargs *);

struct sysframe {
	sysfn_t		 fn;
	struct proc	*p;
	struct sysargs	*args;
};

static int
sys_trampoline(void *arg)
{
	struct sysframe *sf = arg;

	return (sf->fn(sf->p, sf->args));
}

static int
tb_syscall(sysfn_t fn, struct sysargs *args)
{
	struct proc *p = curproc;
	struct sysframe sf = { fn, p, args };
	vaddr_t sp = (vaddr_t)&sf;
	int error;

	tb_syscall_enter(p);
	if (sp < p->p_tbkstack && sp >= TB_KSTACK_LO(p->p_tbkstack))
		return (fn(p, args));		/* already on it */
	error = tb_call_on_stack(p->p_tbkstack, sys_trampoline, &sf);
	tb_userret();
	return (error);
}

/*
 * open(2): "/dev/vmm", and the boot modules as "/testbed/<name>" (read
 * only).
 */
static int
sys_open(struct proc *p, struct sysargs *sa)
{
	char path[PATH_MAX];
	struct file *fp;
	int error, fd, flags = sa->a[1];

	error = copyinstr((const void *)sa->a[0], path, sizeof(path), NULL);
	if (error)
		return (error);
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return (EINVAL);
	if (strncmp(path, "/testbed/", 9) == 0)
		error = module_open(path + 9, FFLAGS(flags) & FMASK, &fp);
	else if (strcmp(path, "/dev/vmm") == 0)
		error = dev_open(p, makedev(VMM_MAJOR, 0),
		    FFLAGS(flags) & FMASK, &fp);
	else
		return (ENOENT);
	if (error)
		return (error);
	error = fd_alloc(p->p_p, fp, &fd);
	if (error) {
		(void)file_close(p, fp);
		return (error);
	}
	sa->ret = fd;
	return (0);
}

int
tbsys_open(const char *path, int flags, int mode, int *fdp)
{
	struct sysargs sa = { { (long)path, flags, mode } , 0 };
	int error;

	error = tb_syscall(sys_open, &sa);
	if (error == 0)
		*fdp = sa.ret;
	return (error);
}

static int
sys_close(struct proc *p, struct sysargs *sa)
{
	struct file *fp;
	int fd = sa->a[0];

	if ((fp = fd_getfile(p->p_p, fd)) == NULL)
		return (EBADF);
	p->p_p->ps_tbfiles[fd] = NULL;
	return (file_close(p, fp));
}

int
tbsys_close(int fd)
{
	struct sysargs sa = { { fd }, 0 };

	return (tb_syscall(sys_close, &sa));
}

static int
sys_dup(struct proc *p, struct sysargs *sa)
{
	struct file *fp;
	int error, fd;

	if ((fp = fd_getfile(p->p_p, sa->a[0])) == NULL)
		return (EBADF);
	error = fd_alloc(p->p_p, fp, &fd);
	if (error)
		return (error);
	file_hold(fp);
	sa->ret = fd;
	return (0);
}

int
tbsys_dup(int fd, int *newfdp)
{
	struct sysargs sa = { { fd }, 0 };
	int error;

	error = tb_syscall(sys_dup, &sa);
	if (error == 0)
		*newfdp = sa.ret;
	return (error);
}

static int
sys_fcntl(struct proc *p, struct sysargs *sa)
{
	struct file *fp;

	if ((fp = fd_getfile(p->p_p, sa->a[0])) == NULL)
		return (EBADF);
	switch (sa->a[1]) {
	case F_GETFD:
	case F_SETFD:
		sa->ret = 0;
		return (0);
	case F_GETFL:
		sa->ret = OFLAGS(fp->f_flag);
		return (0);
	case F_SETFL:
		fp->f_flag = (fp->f_flag & (FREAD | FWRITE)) |
		    (FFLAGS(sa->a[2]) & (FNONBLOCK | FAPPEND | FASYNC));
		sa->ret = 0;
		return (0);
	}
	return (EINVAL);
}

int
tbsys_fcntl(int fd, int cmd, long arg, long *retp)
{
	struct sysargs sa = { { fd, cmd, arg }, 0 };
	int error;

	error = tb_syscall(sys_fcntl, &sa);
	if (error == 0)
		*retp = sa.ret;
	return (error);
}

/* The pledge part of OpenBSD's pledge_ioctl(), for /dev/vmm. */
static int
pledge_ioctl(struct proc *p, u_long com, struct file *fp)
{
	int error = EPERM;

	if ((p->p_p->ps_flags & PS_PLEDGE) == 0)
		return (0);
	if (com == FIOCLEX || com == FIONCLEX)
		return (0);
	if ((p->p_pledge & PLEDGE_VMM) && fp->f_type == DTYPE_VNODE &&
	    major(fp->f_rdev) == VMM_MAJOR) {
		error = pledge_ioctl_vmm(p, com);
		if (error == 0)
			return (0);
	}
	return (pledge_fail(p, error, PLEDGE_TTY));
}

static int
sys_ioctl(struct proc *p, struct sysargs *sa)
{
	struct file *fp;
	u_long com = sa->a[1];
	void *udata = (void *)sa->a[2];
	long long stkbuf[128 / sizeof(long long)];
	caddr_t data, memp = NULL;
	u_int size;
	int error, tmp;

	fp = fd_getfile(p->p_p, sa->a[0]);
	if (fp == NULL || (fp->f_flag & (FREAD | FWRITE)) == 0)
		return (EBADF);
	error = pledge_ioctl(p, com, fp);
	if (error)
		return (error);
	if (com == FIOCLEX || com == FIONCLEX)
		return (0);

	size = IOCPARM_LEN(com);
	if (size > IOCPARM_MAX)
		return (ENOTTY);
	if (size > sizeof(stkbuf)) {
		memp = malloc(size, M_IOCTLOPS, M_WAITOK);
		data = memp;
	} else
		data = (caddr_t)stkbuf;
	if (com & IOC_IN) {
		if (size) {
			error = copyin(udata, data, size);
			if (error)
				goto out;
		} else
			*(caddr_t *)data = udata;
	} else if ((com & IOC_OUT) && size)
		memset(data, 0, size);
	else if (com & IOC_VOID)
		*(caddr_t *)data = udata;

	switch (com) {
	case FIONBIO:
		tmp = *(int *)data;
		if (tmp)
			fp->f_flag |= FNONBLOCK;
		else
			fp->f_flag &= ~FNONBLOCK;
		break;
	case FIOASYNC:
		tmp = *(int *)data;
		if (tmp)
			fp->f_flag |= FASYNC;
		else
			fp->f_flag &= ~FASYNC;
		break;
	default:
		error = file_ioctl(p, fp, com, data);
		break;
	}
	if (error == 0 && (com & IOC_OUT) && size)
		error = copyout(data, udata, size);
out:
	if (memp != NULL)
		free(memp, M_IOCTLOPS, size);
	return (error);
}

int
tbsys_ioctl(int fd, unsigned long com, void *data)
{
	struct sysargs sa = { { fd, (long)com, (long)data }, 0 };

	return (tb_syscall(sys_ioctl, &sa));
}

static int
sys_read(struct proc *p, struct sysargs *sa)
{
	struct file *fp;

	if ((fp = fd_getfile(p->p_p, sa->a[0])) == NULL ||
	    (fp->f_flag & FREAD) == 0)
		return (EBADF);
	if (fp->f_type == DTYPE_CONSOLE) {
		sa->ret = 0;		/* end of file */
		return (0);
	}
	if (fp->f_type == DTYPE_MODULE) {
		const struct tb_module *m = fp->f_module;
		size_t len = sa->a[2];
		int error;

		if (fp->f_offset >= (off_t)m->m_size)
			len = 0;
		else if (len > m->m_size - fp->f_offset)
			len = m->m_size - fp->f_offset;
		error = copyout(m->m_data + fp->f_offset, (void *)sa->a[1],
		    len);
		if (error)
			return (error);
		fp->f_offset += len;
		sa->ret = len;
		return (0);
	}
	return (ENODEV);
}

int
tbsys_read(int fd, void *buf, size_t len, size_t *retp)
{
	struct sysargs sa = { { fd, (long)buf, (long)len }, 0 };
	int error;

	error = tb_syscall(sys_read, &sa);
	if (error == 0)
		*retp = sa.ret;
	return (error);
}

/* lseek(2) on a boot module; other files are not seekable. */
static int
sys_lseek(struct proc *p, struct sysargs *sa)
{
	struct file *fp;
	off_t off = sa->a[1];

	if ((fp = fd_getfile(p->p_p, sa->a[0])) == NULL)
		return (EBADF);
	if (fp->f_type != DTYPE_MODULE)
		return (ESPIPE);
	switch (sa->a[2]) {
	case SEEK_SET:
		break;
	case SEEK_CUR:
		off += fp->f_offset;
		break;
	case SEEK_END:
		off += fp->f_module->m_size;
		break;
	default:
		return (EINVAL);
	}
	if (off < 0)
		return (EINVAL);
	fp->f_offset = off;
	sa->ret = off;
	return (0);
}

int
tbsys_lseek(int fd, off_t off, int whence, off_t *retp)
{
	struct sysargs sa = { { fd, (long)off, whence }, 0 };
	int error;

	error = tb_syscall(sys_lseek, &sa);
	if (error == 0)
		*retp = sa.ret;
	return (error);
}

/*
 * clock_gettime(2): the kernel's uptime clock (TSC based, kern_synch.c);
 * the real-time clock adds the boot time.
 */
int
tbsys_clock_gettime(int clock, struct timespec *ts)
{
	struct timespec bt;

	switch (clock) {
	case CLOCK_REALTIME:
		nanouptime(ts);
		nanoboottime(&bt);
		ts->tv_sec += bt.tv_sec;
		return (0);
	case CLOCK_MONOTONIC:
	case CLOCK_UPTIME:
	case CLOCK_BOOTTIME:
		nanouptime(ts);
		return (0);
	}
	return (EINVAL);
}

/*
 * Console output of user programs: each line gets a "# " prefix so it
 * can never be taken for a test result line.
 */
static int
sys_write(struct proc *p, struct sysargs *sa)
{
	struct file *fp;
	const char *ubuf = (const char *)sa->a[1];
	size_t len = sa->a[2], done = 0, n, i;
	char buf[256];
	int error;

	if ((fp = fd_getfile(p->p_p, sa->a[0])) == NULL ||
	    (fp->f_flag & FWRITE) == 0)
		return (EBADF);
	if (fp->f_type != DTYPE_CONSOLE)
		return (ENODEV);
	while (done < len) {
		n = MIN(len - done, sizeof(buf));
		if ((error = copyin(ubuf + done, buf, n)) != 0) {
			sa->ret = done;
			return (done ? 0 : error);
		}
		for (i = 0; i < n; i++) {
			/* OpenBSD regress convention: a "SKIPPED" line. */
			if (cons_atlinestart() && n - i >= 7 &&
			    memcmp(buf + i, "SKIPPED", 7) == 0)
				tb_curtest_skipped = 1;
			if (cons_atlinestart())
				cons_write("# ", 2);
			cons_putc(buf[i]);
		}
		done += n;
	}
	sa->ret = done;
	return (0);
}

int
tbsys_write(int fd, const void *buf, size_t len, size_t *retp)
{
	struct sysargs sa = { { fd, (long)buf, (long)len }, 0 };
	int error;

	error = tb_syscall(sys_write, &sa);
	if (error == 0)
		*retp = sa.ret;
	return (error);
}

static int
sys_mmap(struct proc *p, struct sysargs *sa)
{
	vaddr_t addr = sa->a[0];
	int prot = sa->a[2], flags = sa->a[3], fd = sa->a[4], error;

	if (flags & MAP_ANON) {
		if (fd != -1 || sa->a[5] != 0)
			return (EINVAL);
	} else
		return (fd_getfile(p->p_p, fd) == NULL ? EBADF : ENODEV);
	error = uvm_tb_mmap(p, &addr, sa->a[1], prot, flags);
	if (error == 0)
		sa->ret = addr;
	return (error);
}

int
tbsys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
    void **retp)
{
	struct sysargs sa = { { (long)addr, (long)len, prot, flags, fd,
	    (long)off }, 0 };
	int error;

	error = tb_syscall(sys_mmap, &sa);
	if (error == 0)
		*retp = (void *)sa.ret;
	return (error);
}

static int
sys_munmap(struct proc *p, struct sysargs *sa)
{
	return (uvm_tb_munmap(p, sa->a[0], sa->a[1]));
}

int
tbsys_munmap(void *addr, size_t len)
{
	struct sysargs sa = { { (long)addr, (long)len }, 0 };

	return (tb_syscall(sys_munmap, &sa));
}

static int
sys_mprotect(struct proc *p, struct sysargs *sa)
{
	return (uvm_tb_mprotect(p, sa->a[0], sa->a[1], sa->a[2]));
}

int
tbsys_mprotect(void *addr, size_t len, int prot)
{
	struct sysargs sa = { { (long)addr, (long)len, prot }, 0 };

	return (tb_syscall(sys_mprotect, &sa));
}

static int
sys_mimmutable(struct proc *p, struct sysargs *sa)
{
	vaddr_t addr = sa->a[0];
	vsize_t len = sa->a[1];

	if (addr + len < addr)
		return (EINVAL);
	return (uvm_map_immutable(&p->p_vmspace->vm_map, addr, addr + len, 1));
}

int
tbsys_mimmutable(void *addr, size_t len)
{
	struct sysargs sa = { { (long)addr, (long)len }, 0 };

	return (tb_syscall(sys_mimmutable, &sa));
}

/* pledge(2): promises can only be reduced once pledged. */
static int
sys_pledge(struct proc *p, struct sysargs *sa)
{
	struct process *pr = p->p_p;
	uint64_t promises = sa->a[0];

	if (sa->a[1] == 0)
		return (0);
	if ((pr->ps_flags & PS_PLEDGE) && (promises & ~pr->ps_pledge) != 0)
		return (EPERM);
	tb_set_pledge(pr, promises);
	return (0);
}

int
tbsys_pledge(uint64_t promises, int set)
{
	struct sysargs sa = { { (long)promises, set }, 0 };

	return (tb_syscall(sys_pledge, &sa));
}

pid_t
tbsys_getpid(void)
{
	return (curproc->p_p->ps_pid);
}

__dead void
tbsys_exit(int status)
{
	tb_prog_exit(status);
}

/*
 * User malloc: an arena in the process's window, created on first use.
 */
static struct tb_arena *
uheap(struct proc *p)
{
	struct process *pr = p->p_p;
	struct tb_arena *a;
	vaddr_t va;

	if (pr->ps_tbheap != NULL)
		return (pr->ps_tbheap);
	va = p->p_vmspace->vm_map.min_offset - TB_UW_MIN + TB_UW_HEAP;
	if (uvm_map(&p->p_vmspace->vm_map, &va, TB_UW_HEAPSZ, NULL, 0, 0,
	    UVM_MAPFLAG(PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
	    MAP_INHERIT_COPY, MADV_NORMAL, UVM_FLAG_FIXED)) != 0)
		return (NULL);
	a = malloc(sizeof(*a), M_VMMAP, M_WAITOK | M_ZERO);
	arena_init(a, "uheap", (void *)va, TB_UW_HEAPSZ, 0);
	pr->ps_tbheap = a;
	return (a);
}

static int
sys_umalloc(struct proc *p, struct sysargs *sa)
{
	struct tb_arena *a;

	if ((a = uheap(p)) == NULL)
		return (ENOMEM);
	sa->ret = (long)arena_alloc(a, sa->a[0], sa->a[1], NULL, 0, 0);
	return (sa->ret == 0 ? ENOMEM : 0);
}

void *
tbsys_umalloc(size_t size, size_t align)
{
	struct sysargs sa = { { (long)size, (long)align }, 0 };

	if (tb_syscall(sys_umalloc, &sa) != 0)
		return (NULL);
	return ((void *)sa.ret);
}

/* The arena that holds ptr: the heap of the process owning the window. */
static struct tb_arena *
uheap_of(const void *ptr)
{
	struct process *pr;
	vaddr_t va = (vaddr_t)ptr;

	if (va < TB_USER_BASE)
		return (NULL);
	pr = tb_slot_owner((va - TB_USER_BASE) / TB_USER_SLOTSZ);
	return (pr != NULL ? pr->ps_tbheap : NULL);
}

static int
sys_ufree(struct proc *p, struct sysargs *sa)
{
	struct tb_arena *a = uheap_of((void *)sa->a[0]);
	size_t size;

	(void)p;
	if (a == NULL ||
	    arena_info(a, (void *)sa->a[0], &size, NULL, NULL) != ARENA_OK)
		return (EINVAL);
	sa->ret = size;
	return (arena_free(a, (void *)sa->a[0], NULL, 0) == ARENA_OK ? 0 :
	    EINVAL);
}

int
tbsys_ufree(void *ptr, size_t *sizep)
{
	struct sysargs sa = { { (long)ptr }, 0 };
	int error;

	error = tb_syscall(sys_ufree, &sa);
	if (error == 0 && sizep != NULL)
		*sizep = sa.ret;
	return (error);
}

int
tbsys_usize(void *ptr, size_t *sizep)
{
	struct tb_arena *a = uheap_of(ptr);

	if (a == NULL || arena_info(a, ptr, sizep, NULL, NULL) != ARENA_OK)
		return (EINVAL);
	return (0);
}

/*
 * <testbed.h> extensions.
 */

static int
sys_proc_new(struct proc *p, struct sysargs *sa)
{
	struct process *pr;

	(void)p;
	pr = tb_process_new((uint64_t)sa->a[0], curproc->p_p->ps_comm);
	if (pr == NULL)
		return (ENOMEM);
	sa->ret = pr->ps_pid;
	return (0);
}

int
tbsys_proc_new(uint64_t pledges, int *pidp)
{
	struct sysargs sa = { { (long)pledges }, 0 };
	int error;

	error = tb_syscall(sys_proc_new, &sa);
	if (error == 0)
		*pidp = sa.ret;
	return (error);
}

int
tbsys_proc_switch(int pid)
{
	struct process *pr = prfind(pid);

	if (pr == NULL || pr == &process0)
		return (ESRCH);
	tb_proc_switch_to(pr->ps_mainproc);
	return (0);
}

static int
sys_proc_exit(struct proc *p, struct sysargs *sa)
{
	struct process *pr = prfind(sa->a[0]);

	if (pr == NULL || pr == &process0)
		return (ESRCH);
	if (pr == p->p_p)
		return (EINVAL);
	tb_process_exit(pr);
	return (0);
}

int
tbsys_proc_exit(int pid)
{
	struct sysargs sa = { { pid }, 0 };

	return (tb_syscall(sys_proc_exit, &sa));
}

int
tbsys_proc_signal(int pid, int sig, int set)
{
	struct process *pr = prfind(pid);

	if (pr == NULL || pr == &process0)
		return (ESRCH);
	if (set) {
		if (sig <= 0 || sig >= NSIG)
			return (EINVAL);
		pr->ps_mainproc->p_siglist |= sigmask(sig);
	} else {
		pr->ps_mainproc->p_siglist = 0;
		pr->ps_siglist = 0;
	}
	return (0);
}

int
tbsys_pledge_violations(void)
{
	return (tb_pledge_violations_total);
}

uint64_t
tbsys_pledge_lastcode(void)
{
	return (tb_pledge_lastcode_total);
}

size_t
tbsys_pages_in_use(void)
{
	return (pmem_pages_in_use());
}

size_t
tbsys_aobjs_alive(void)
{
	return (tbstat.aobjs);
}

size_t
tbsys_mappings_alive(void)
{
	return (tbstat.mappings);
}

size_t
tbsys_malloc_outstanding(void)
{
	return (tbstat.malloc_objs);
}

static int
sys_dev_activate(struct proc *p, struct sysargs *sa)
{
	(void)p;
	return (tb_dev_activate_hook(sa->a[0]));
}

int
tbsys_dev_activate(int act)
{
	struct sysargs sa = { { act }, 0 };

	return (tb_syscall(sys_dev_activate, &sa));
}

void
tbsys_should_yield(int on)
{
	struct schedstate_percpu *spc = &curcpu()->ci_schedstate;

	if (on)
		atomic_setbits_int(&spc->spc_schedflags, SPCF_SHOULDYIELD);
	else
		atomic_clearbits_int(&spc->spc_schedflags, SPCF_SHOULDYIELD);
}

/* The clock (kern_clock.c), called directly like the above. */
u_int
tbsys_ticks(void)
{
	return ((u_int)ticks);
}

int
tbsys_clock(int on)
{
	int was = tb_clock_is_running();

	if (on)
		tb_clock_start();
	else
		tb_clock_stop();
	return (was);
}

u_int
tbsys_ipis(int taken)
{
	return (tb_ipi_count(taken));
}

const void *
tbsys_cpu_ept_pmap(void)
{
	return (curcpu()->ci_ept_pmap);
}

/* Cooperative threads (kern_sched.c), called directly like the above. */
int
tbsys_thread_start(int pid, void (*fn)(void *), void *arg, void *stack,
    size_t size)
{
	return (tb_thread_start(pid, fn, arg, stack, size));
}

int
tbsys_thread_join(int pid)
{
	return (tb_thread_join(pid));
}

int
tbsys_yield(void)
{
	return (tb_yield());
}
