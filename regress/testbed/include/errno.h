/* Testbed <errno.h>. */

#ifndef _ERRNO_H_
#define _ERRNO_H_

#include <sys/cdefs.h>
#include <sys/errno.h>

#ifndef _KERNEL
int	*__errno(void);
#define errno	(*__errno())
#endif

#endif /* !_ERRNO_H_ */
