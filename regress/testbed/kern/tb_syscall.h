/*
 * tb_syscall.h: the "system call" interface between the user-side libc
 * shim (libc/libc.c) and the testbed kernel.  Only plain C types cross
 * it.  Functions return 0 or an errno value.
 */

#ifndef _TB_SYSCALL_H_
#define _TB_SYSCALL_H_

#include <sys/types.h>
#include <stdarg.h>

#ifndef _TB_PUTC_T_DEFINED_
#define _TB_PUTC_T_DEFINED_
typedef void (*tb_putc_t)(int, void *);
#endif
int	tb_vformat(tb_putc_t, void *, const char *, va_list);
int	tb_vsformat(char *, size_t, const char *, va_list);

int	tbsys_open(const char *, int, int, int *);
int	tbsys_close(int);
int	tbsys_ioctl(int, unsigned long, void *);
int	tbsys_read(int, void *, size_t, size_t *);
int	tbsys_write(int, const void *, size_t, size_t *);
int	tbsys_lseek(int, off_t, int, off_t *);
struct timespec;
int	tbsys_clock_gettime(int, struct timespec *);
int	tbsys_fcntl(int, int, long, long *);
int	tbsys_dup(int, int *);
int	tbsys_mmap(void *, size_t, int, int, int, off_t, void **);
int	tbsys_munmap(void *, size_t);
int	tbsys_mprotect(void *, size_t, int);
int	tbsys_mimmutable(void *, size_t);
int	tbsys_pledge(uint64_t, int);
pid_t	tbsys_getpid(void);
__dead void tbsys_exit(int);

void	*tbsys_umalloc(size_t, size_t);
int	 tbsys_ufree(void *, size_t *);
int	 tbsys_usize(void *, size_t *);

int	tbsys_proc_new(uint64_t, int *);
int	tbsys_proc_switch(int);
int	tbsys_proc_exit(int);
int	tbsys_proc_signal(int, int, int);
int	tbsys_pledge_violations(void);
uint64_t tbsys_pledge_lastcode(void);
size_t	tbsys_pages_in_use(void);
size_t	tbsys_aobjs_alive(void);
size_t	tbsys_mappings_alive(void);
size_t	tbsys_malloc_outstanding(void);
int	tbsys_dev_activate(int);
void	tbsys_should_yield(int);
const void *tbsys_cpu_ept_pmap(void);
u_int	tbsys_ticks(void);
int	tbsys_clock(int);
u_int	tbsys_ipis(int);
int	tbsys_thread_start(int, void (*)(void *), void *, void *, size_t);
int	tbsys_thread_join(int);
int	tbsys_yield(void);

#endif /* !_TB_SYSCALL_H_ */
