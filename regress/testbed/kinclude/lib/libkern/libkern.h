/*
 * Testbed <lib/libkern/libkern.h>: string and integer helpers, and the
 * kernel's assertions.
 */

#ifndef __LIBKERN_H__
#define __LIBKERN_H__

#include <sys/types.h>

static __inline int imax(int a, int b) { return (a > b ? a : b); }
static __inline int imin(int a, int b) { return (a < b ? a : b); }
static __inline long lmax(long a, long b) { return (a > b ? a : b); }
static __inline long lmin(long a, long b) { return (a < b ? a : b); }
static __inline u_int max(u_int a, u_int b) { return (a > b ? a : b); }
static __inline u_int min(u_int a, u_int b) { return (a < b ? a : b); }
static __inline u_long ulmax(u_long a, u_long b) { return (a > b ? a : b); }
static __inline u_long ulmin(u_long a, u_long b) { return (a < b ? a : b); }

void	*memchr(const void *, int, size_t);
int	 memcmp(const void *, const void *, size_t);
void	*memset(void *, int, size_t);
int	 bcmp(const void *, const void *, size_t);
void	 bzero(void *, size_t);
void	 explicit_bzero(void *, size_t);
int	 timingsafe_bcmp(const void *, const void *, size_t);
size_t	 strlen(const char *);
size_t	 strnlen(const char *, size_t);
size_t	 strlcpy(char *, const char *, size_t);
size_t	 strlcat(char *, const char *, size_t);
int	 strcmp(const char *, const char *);
int	 strncmp(const char *, const char *, size_t);
int	 strcasecmp(const char *, const char *);
int	 strncasecmp(const char *, const char *, size_t);
char	*strncpy(char *, const char *, size_t);
char	*strcpy(char *, const char *);
char	*strcat(char *, const char *);
char	*strncat(char *, const char *, size_t);
size_t	 strspn(const char *, const char *);
size_t	 strcspn(const char *, const char *);
char	*strsep(char **, const char *);
char	*strchr(const char *, int);
char	*strrchr(const char *, int);
char	*strstr(const char *, const char *);
int	 ffs(int);
int	 fls(unsigned int);
int	 flsl(unsigned long);
u_int32_t	arc4random(void);
void	 arc4random_buf(void *, size_t);
u_int32_t	arc4random_uniform(u_int32_t);

__dead void	__assert(const char *, const char *, int, const char *);

/* Assertions are always on in the testbed (as with DIAGNOSTIC). */
#define DIAGNOSTIC	1
#define KASSERT(e)	((e) ? (void)0 : __assert("diagnostic ", __FILE__, \
			    __LINE__, #e))
#define KASSERTMSG(e, msg, ...)	((e) ? (void)0 :			\
			    panic("kernel diagnostic assertion \"%s\" "	\
			    "failed: file \"%s\", line %d: " msg, #e,	\
			    __FILE__, __LINE__, ##__VA_ARGS__))
#define KDASSERT(e)	KASSERT(e)
#define CTASSERT(x)	_Static_assert(x, "compile time assertion")

#endif /* !__LIBKERN_H__ */
