/* Testbed <sys/ioctl.h>. */

#ifndef _SYS_IOCTL_H_
#define _SYS_IOCTL_H_

#include <sys/cdefs.h>
#include <sys/ioccom.h>
#include <sys/filio.h>

#ifndef _KERNEL
int	ioctl(int, unsigned long, ...) __TB_LIBC(ioctl);
#endif

#endif /* !_SYS_IOCTL_H_ */
