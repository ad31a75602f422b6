/*
 * Testbed <sys/systm.h>: the general kernel interfaces (console output,
 * panic, user copy, sleep/wakeup, the big lock).  The assertions are in
 * <lib/libkern/libkern.h>, as in OpenBSD.
 */

#ifndef _SYS_SYSTM_H_
#define _SYS_SYSTM_H_

#include <sys/types.h>
#include <sys/queue.h>
#include <stdarg.h>
#include <lib/libkern/libkern.h>

struct proc;
struct process;
struct rwlock;
struct mutex;

extern int	securelevel;
extern const char *panicstr;

#define curproc		curcpu()->ci_curproc

int	printf(const char *, ...) __printflike(1, 2);
int	vprintf(const char *, va_list);
int	snprintf(char *, size_t, const char *, ...) __printflike(3, 4);
int	vsnprintf(char *, size_t, const char *, va_list);
void	uprintf(const char *, ...) __printflike(1, 2);
void	log(int, const char *, ...) __printflike(2, 3);
__dead void	panic(const char *, ...) __printflike(1, 2);

#define LOG_EMERG	0
#define LOG_ALERT	1
#define LOG_CRIT	2
#define LOG_ERR		3
#define LOG_WARNING	4
#define LOG_NOTICE	5
#define LOG_INFO	6
#define LOG_DEBUG	7

void	bcopy(const void *, void *, size_t);
void	bzero(void *, size_t);
void	explicit_bzero(void *, size_t);
int	bcmp(const void *, const void *, size_t);
void	*memcpy(void *, const void *, size_t);
void	*memmove(void *, const void *, size_t);
void	*memset(void *, int, size_t);

int	copyin(const void *, void *, size_t);
int	copyout(const void *, void *, size_t);
int	copyinstr(const void *, void *, size_t, size_t *);
int	copyoutstr(const void *, void *, size_t, size_t *);
int	copyin32(const uint32_t *, uint32_t *);
int	kcopy(const void *, void *, size_t);

int	tsleep(const volatile void *, int, const char *, int);
int	tsleep_nsec(const volatile void *, int, const char *, uint64_t);
int	msleep(const volatile void *, struct mutex *, int, const char *, int);
int	msleep_nsec(const volatile void *, struct mutex *, int, const char *,
	    uint64_t);
int	rwsleep(const volatile void *, struct rwlock *, int, const char *,
	    int);
int	rwsleep_nsec(const volatile void *, struct rwlock *, int,
	    const char *, uint64_t);
#define INFSLP		UINT64_MAX	/* sleep without a timeout */
#define MAXTSLP		(UINT64_MAX - 1)
void	wakeup(const volatile void *);
void	wakeup_n(const volatile void *, int);
#define wakeup_one(c)	wakeup_n((c), 1)
void	yield(void);
void	sched_pause(void);

void	delay(int);
#define DELAY(x)	delay(x)

/* One CPU and no preemption: the kernel lock is a no-op. */
#define KERNEL_LOCK()			do { } while (0)
#define KERNEL_UNLOCK()			do { } while (0)
#define KERNEL_ASSERT_LOCKED()		do { } while (0)
#define KERNEL_ASSERT_UNLOCKED()	do { } while (0)

#endif /* !_SYS_SYSTM_H_ */
