/*
 * Testbed <string.h>.  The plain string functions are shared with the
 * kernel (same semantics); the ones that allocate or keep state are
 * libc-private.
 */

#ifndef _STRING_H_
#define _STRING_H_

#include <sys/cdefs.h>
#include <sys/_types.h>

#ifndef _SIZE_T_DEFINED_
#define _SIZE_T_DEFINED_
typedef __size_t	size_t;
#endif

#ifndef NULL
#define NULL		((void *)0)
#endif

void	*memchr(const void *, int, size_t);
int	 memcmp(const void *, const void *, size_t);
void	*memcpy(void *, const void *, size_t);
void	*memmove(void *, const void *, size_t);
void	*memset(void *, int, size_t);
char	*strcat(char *, const char *);
char	*strchr(const char *, int);
int	 strcmp(const char *, const char *);
char	*strcpy(char *, const char *);
size_t	 strcspn(const char *, const char *);
size_t	 strlen(const char *);
char	*strncat(char *, const char *, size_t);
int	 strncmp(const char *, const char *, size_t);
char	*strncpy(char *, const char *, size_t);
size_t	 strnlen(const char *, size_t);
char	*strrchr(const char *, int);
size_t	 strspn(const char *, const char *);
char	*strstr(const char *, const char *);
size_t	 strlcpy(char *, const char *, size_t);
size_t	 strlcat(char *, const char *, size_t);
char	*strsep(char **, const char *);
void	 explicit_bzero(void *, size_t);
int	 timingsafe_bcmp(const void *, const void *, size_t);

char	*strdup(const char *) __TB_LIBC(strdup);
char	*strndup(const char *, size_t) __TB_LIBC(strndup);
char	*strerror(int) __TB_LIBC(strerror);
int	 strerror_r(int, char *, size_t) __TB_LIBC(strerror_r);

#endif /* !_STRING_H_ */
