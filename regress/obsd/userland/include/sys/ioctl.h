/* <sys/ioctl.h> of the OpenBSD userland: also the terminal ioctls. */

#ifndef _OBSD_SYS_IOCTL_H_
#define _OBSD_SYS_IOCTL_H_

#include_next <sys/ioctl.h>
#include <sys/ttycom.h>

#endif /* !_OBSD_SYS_IOCTL_H_ */
