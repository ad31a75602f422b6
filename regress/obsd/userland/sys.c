/*
 * sys.c: the system layer of the OpenBSD userland.
 *
 * The C library is the testbed's (regress/testbed/libc/libc.c, built
 * with -DLIBC_OPENBSD); it reaches the kernel through the tbsys_*
 * functions of kern/tb_syscall.h.  Here those functions are real OpenBSD
 * system calls (the stubs of syscall.S), and so are the calls the testbed
 * kernel does not have: processes, signals, sleeping, pledge(2), resource
 * limits, reboot(2).  malloc(3) takes its memory from mmap(2).
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/reboot.h>
#include <sys/sysctl.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tb_syscall.h"

#define PAGE_SIZE	4096UL
#define round_page(x)	(((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* syscall.S: the result, or minus the errno value. */
long	__sys_exit(int);
long	__sys_fork(void);
long	__sys_read(int, void *, size_t);
long	__sys_write(int, const void *, size_t);
long	__sys_open(const char *, int, int);
long	__sys_close(int);
long	__sys_wait4(pid_t, int *, int, struct rusage *);
long	__sys_getpid(void);
long	__sys_getuid(void);
long	__sys_geteuid(void);
long	__sys_getppid(void);
long	__sys_dup(int);
long	__sys_mmap(void *, size_t, int, int, int, off_t);
long	__sys_ioctl(int, unsigned long, void *);
long	__sys_reboot(int);
long	__sys_execve(const char *, char *const *, char *const *);
long	__sys_munmap(void *, size_t);
long	__sys_mprotect(void *, size_t, int);
long	__sys_clock_gettime(clockid_t, struct timespec *);
long	__sys_dup2(int, int);
long	__sys_nanosleep(const struct timespec *, struct timespec *);
long	__sys_fcntl(int, int, long);
long	__sys_pipe2(int *, int);
long	__sys_pledge(const char *, const char *);
long	__sys_unveil(const char *, const char *);
long	__sys_kill(pid_t, int);
long	__sys_mimmutable(void *, size_t);
long	__sys_lseek(int, off_t, int);
long	__sys_getrlimit(int, struct rlimit *);
long	__sys_setrlimit(int, const struct rlimit *);
long	__sys_sysctl(const int *, u_int, void *, size_t *, void *, size_t);
long	__sys_poll(struct pollfd *, u_int, int);

int	__tb_libc_start(int (*)(int, char **), int, char **);
void	__obsd_start(int, char **, char **) __dead;
int	main(int, char **);

char	**environ;

/* A system call's result for a tbsys_* function: 0 or the errno value. */
static int
error_of(long r)
{
	return (r < 0 ? (int)-r : 0);
}

/* A system call's result as libc returns it: -1 with errno set. */
static long
libc_ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return (-1);
	}
	return (r);
}

/* Called by crt0.S on the exec stack. */
void
__obsd_start(int argc, char **argv, char **envp)
{
	environ = envp;
	__tb_libc_start(main, argc, argv);
	__sys_exit(127);
	for (;;)
		;
}

/*
 * tb_syscall.h
 */

int
tbsys_open(const char *path, int flags, int mode, int *fdp)
{
	long r = __sys_open(path, flags, mode);

	if (r >= 0)
		*fdp = (int)r;
	return (error_of(r));
}

int
tbsys_close(int fd)
{
	return (error_of(__sys_close(fd)));
}

int
tbsys_ioctl(int fd, unsigned long request, void *arg)
{
	return (error_of(__sys_ioctl(fd, request, arg)));
}

int
tbsys_read(int fd, void *buf, size_t len, size_t *np)
{
	long r = __sys_read(fd, buf, len);

	if (r >= 0)
		*np = (size_t)r;
	return (error_of(r));
}

int
tbsys_write(int fd, const void *buf, size_t len, size_t *np)
{
	long r = __sys_write(fd, buf, len);

	if (r >= 0)
		*np = (size_t)r;
	return (error_of(r));
}

int
tbsys_lseek(int fd, off_t off, int whence, off_t *retp)
{
	long r = __sys_lseek(fd, off, whence);

	if (r >= 0)
		*retp = r;
	return (error_of(r));
}

int
tbsys_fcntl(int fd, int cmd, long arg, long *retp)
{
	long r = __sys_fcntl(fd, cmd, arg);

	if (r >= 0)
		*retp = r;
	return (error_of(r));
}

int
tbsys_dup(int fd, int *nfdp)
{
	long r = __sys_dup(fd);

	if (r >= 0)
		*nfdp = (int)r;
	return (error_of(r));
}

int
tbsys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
    void **retp)
{
	long r = __sys_mmap(addr, len, prot, flags, fd, off);

	if (r >= 0)
		*retp = (void *)r;
	return (error_of(r));
}

int
tbsys_munmap(void *addr, size_t len)
{
	return (error_of(__sys_munmap(addr, len)));
}

int
tbsys_mprotect(void *addr, size_t len, int prot)
{
	return (error_of(__sys_mprotect(addr, len, prot)));
}

int
tbsys_mimmutable(void *addr, size_t len)
{
	return (error_of(__sys_mimmutable(addr, len)));
}

pid_t
tbsys_getpid(void)
{
	return ((pid_t)__sys_getpid());
}

void
tbsys_exit(int status)
{
	__sys_exit(status);
	for (;;)
		;
}

/*
 * malloc(3): every block is a mapping of its own, so that a stray access
 * after free(3) or past the end of the last page faults.  A header just
 * below the pointer handed out says where the mapping is.
 */
#define MHDR_MAGIC	0x6f627364616c6c63ULL

struct mhdr {
	void		*mh_base;	/* the mapping */
	size_t		 mh_maplen;
	size_t		 mh_size;	/* what the caller asked for */
	uint64_t	 mh_magic;
};

void *
tbsys_umalloc(size_t size, size_t align)
{
	struct mhdr *mh;
	size_t maplen;
	char *base, *p;

	/* align is a power of two; the header's alignment at least. */
	if (align < sizeof(struct mhdr))
		align = sizeof(struct mhdr);
	if (size > SIZE_MAX / 2 || align > SIZE_MAX / 4)
		return (NULL);
	maplen = round_page(sizeof(struct mhdr) + align - 1 + size);
	if (tbsys_mmap(NULL, maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANON, -1, 0, (void **)&base) != 0)
		return (NULL);
	p = (char *)(((uintptr_t)base + sizeof(struct mhdr) + align - 1) &
	    ~(align - 1));
	mh = (struct mhdr *)p - 1;
	mh->mh_base = base;
	mh->mh_maplen = maplen;
	mh->mh_size = size;
	mh->mh_magic = MHDR_MAGIC;
	return (p);
}

static struct mhdr *
mhdr_of(void *p)
{
	struct mhdr *mh = (struct mhdr *)p - 1;

	if (((uintptr_t)p & (sizeof(struct mhdr) - 1)) != 0 ||
	    mh->mh_magic != MHDR_MAGIC)
		return (NULL);
	return (mh);
}

int
tbsys_ufree(void *p, size_t *sizep)
{
	struct mhdr *mh;

	if ((mh = mhdr_of(p)) == NULL)
		return (EINVAL);
	if (sizep != NULL)
		*sizep = mh->mh_size;
	mh->mh_magic = 0;
	return (tbsys_munmap(mh->mh_base, mh->mh_maplen));
}

int
tbsys_usize(void *p, size_t *sizep)
{
	struct mhdr *mh;

	if ((mh = mhdr_of(p)) == NULL)
		return (EINVAL);
	*sizep = mh->mh_size;
	return (0);
}

/*
 * The calls libc.c leaves to the system.
 */

pid_t
getppid(void)
{
	return ((pid_t)__sys_getppid());
}

uid_t
getuid(void)
{
	return ((uid_t)__sys_getuid());
}

uid_t
geteuid(void)
{
	return ((uid_t)__sys_geteuid());
}

int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	return ((int)libc_ret(__sys_nanosleep(req, rem)));
}

int
clock_gettime(clockid_t clock, struct timespec *ts)
{
	return ((int)libc_ret(__sys_clock_gettime(clock, ts)));
}

int
poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return ((int)libc_ret(__sys_poll(fds, nfds, timeout)));
}

unsigned int
sleep(unsigned int secs)
{
	struct timespec req, rem;

	req.tv_sec = secs;
	req.tv_nsec = 0;
	while (nanosleep(&req, &rem) == -1) {
		if (errno != EINTR)
			return (0);
		req = rem;
	}
	return (0);
}

int
usleep(useconds_t usecs)
{
	struct timespec req;

	req.tv_sec = usecs / 1000000;
	req.tv_nsec = (usecs % 1000000) * 1000L;
	return (nanosleep(&req, NULL));
}

int
pledge(const char *promises, const char *execpromises)
{
	return ((int)libc_ret(__sys_pledge(promises, execpromises)));
}

int
unveil(const char *path, const char *perms)
{
	return ((int)libc_ret(__sys_unveil(path, perms)));
}

/*
 * Processes.
 */

pid_t
fork(void)
{
	return ((pid_t)libc_ret(__sys_fork()));
}

int
execve(const char *path, char *const *argv, char *const *envp)
{
	return ((int)libc_ret(__sys_execve(path, argv, envp)));
}

pid_t
wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	return ((pid_t)libc_ret(__sys_wait4(pid, status, options, ru)));
}

pid_t
waitpid(pid_t pid, int *status, int options)
{
	return (wait4(pid, status, options, NULL));
}

int
kill(pid_t pid, int sig)
{
	return ((int)libc_ret(__sys_kill(pid, sig)));
}

int
pipe2(int *fds, int flags)
{
	return ((int)libc_ret(__sys_pipe2(fds, flags)));
}

int
pipe(int *fds)
{
	return (pipe2(fds, 0));
}

int
dup2(int fd, int nfd)
{
	return ((int)libc_ret(__sys_dup2(fd, nfd)));
}

int
getrlimit(int which, struct rlimit *rl)
{
	return ((int)libc_ret(__sys_getrlimit(which, rl)));
}

int
setrlimit(int which, const struct rlimit *rl)
{
	return ((int)libc_ret(__sys_setrlimit(which, rl)));
}

int
reboot(int howto)
{
	return ((int)libc_ret(__sys_reboot(howto)));
}

int
sysctl(const int *name, u_int namelen, void *old, size_t *oldlenp,
    void *new, size_t newlen)
{
	return ((int)libc_ret(__sys_sysctl(name, namelen, old, oldlenp, new,
	    newlen)));
}
