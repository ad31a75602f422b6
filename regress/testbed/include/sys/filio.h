/* Testbed <sys/filio.h>: generic file ioctls. */

#ifndef _SYS_FILIO_H_
#define _SYS_FILIO_H_

#include <sys/ioccom.h>

#define FIOCLEX		_IO('f', 1)
#define FIONCLEX	_IO('f', 2)
#define FIONREAD	_IOR('f', 127, int)
#define FIONBIO		_IOW('f', 126, int)
#define FIOASYNC	_IOW('f', 125, int)

#endif /* !_SYS_FILIO_H_ */
