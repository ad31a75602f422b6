/* <sys/ttycom.h> of the OpenBSD userland: the terminal ioctls init uses. */

#ifndef _OBSD_SYS_TTYCOM_H_
#define _OBSD_SYS_TTYCOM_H_

#include <sys/ioccom.h>

#define TIOCDRAIN	_IO('t', 94)	/* wait until the output is sent */

#endif /* !_OBSD_SYS_TTYCOM_H_ */
