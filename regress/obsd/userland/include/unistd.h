/*
 * <unistd.h> of the OpenBSD userland: the testbed's declarations plus the
 * process calls only a real kernel has (sys.c).
 */

#ifndef _OBSD_UNISTD_H_
#define _OBSD_UNISTD_H_

#include_next <unistd.h>

extern char	**environ;

pid_t	 fork(void);
int	 execve(const char *, char *const *, char *const *);
int	 pipe(int *);
int	 pipe2(int *, int);
int	 dup2(int, int);

#endif /* !_OBSD_UNISTD_H_ */
