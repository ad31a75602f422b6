/* Testbed <fcntl.h>. */

#ifndef _FCNTL_H_
#define _FCNTL_H_

#include <sys/fcntl.h>

#ifndef _KERNEL
int	open(const char *, int, ...) __TB_LIBC(open);
int	fcntl(int, int, ...) __TB_LIBC(fcntl);
#endif

#endif /* !_FCNTL_H_ */
