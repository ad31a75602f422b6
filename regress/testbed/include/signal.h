/* Testbed <signal.h>: signal numbers only (no delivery). */

#ifndef _SIGNAL_H_
#define _SIGNAL_H_

#include <sys/signal.h>

#endif /* !_SIGNAL_H_ */
