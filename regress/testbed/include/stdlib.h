/* Testbed <stdlib.h>. */

#ifndef _STDLIB_H_
#define _STDLIB_H_

#ifdef _KERNEL
#error "<stdlib.h> is a user header; kernel code uses <sys/malloc.h>"
#endif

#include <sys/cdefs.h>
#include <sys/_types.h>

#ifndef _SIZE_T_DEFINED_
#define _SIZE_T_DEFINED_
typedef __size_t	size_t;
#endif

#ifndef NULL
#define NULL		((void *)0)
#endif

#define EXIT_SUCCESS	0
#define EXIT_FAILURE	1
#define RAND_MAX	0x7fffffff

void	*malloc(size_t) __TB_LIBC(malloc);
void	*calloc(size_t, size_t) __TB_LIBC(calloc);
void	*realloc(void *, size_t) __TB_LIBC(realloc);
void	*reallocarray(void *, size_t, size_t) __TB_LIBC(reallocarray);
void	*recallocarray(void *, size_t, size_t, size_t)
	    __TB_LIBC(recallocarray);
void	 free(void *) __TB_LIBC(free);
void	 freezero(void *, size_t) __TB_LIBC(freezero);
int	 posix_memalign(void **, size_t, size_t) __TB_LIBC(posix_memalign);
void	*aligned_alloc(size_t, size_t) __TB_LIBC(aligned_alloc);

__dead void	 exit(int) __TB_LIBC(exit);
__dead void	 _Exit(int) __TB_LIBC(_Exit);
__dead void	 abort(void) __TB_LIBC(abort);
int	 atexit(void (*)(void)) __TB_LIBC(atexit);

int	 abs(int) __TB_LIBC(abs);
long	 labs(long) __TB_LIBC(labs);
long long llabs(long long) __TB_LIBC(llabs);
int	 atoi(const char *) __TB_LIBC(atoi);
long	 atol(const char *) __TB_LIBC(atol);
long	 strtol(const char *, char **, int) __TB_LIBC(strtol);
unsigned long strtoul(const char *, char **, int) __TB_LIBC(strtoul);
long long strtoll(const char *, char **, int) __TB_LIBC(strtoll);
unsigned long long strtoull(const char *, char **, int) __TB_LIBC(strtoull);
long long strtonum(const char *, long long, long long, const char **)
	    __TB_LIBC(strtonum);

char	*getenv(const char *) __TB_LIBC(getenv);
const char *getprogname(void) __TB_LIBC(getprogname);
void	 setprogname(const char *) __TB_LIBC(setprogname);

int	 rand(void) __TB_LIBC(rand);
void	 srand(unsigned int) __TB_LIBC(srand);
unsigned int	arc4random(void) __TB_LIBC(arc4random);
unsigned int	arc4random_uniform(unsigned int) __TB_LIBC(arc4random_uniform);
void	 arc4random_buf(void *, size_t) __TB_LIBC(arc4random_buf);

void	 qsort(void *, size_t, size_t, int (*)(const void *, const void *))
	    __TB_LIBC(qsort);

#endif /* !_STDLIB_H_ */
